"""Tiny random models of each family, built by transformers itself: no downloads."""

from __future__ import annotations

from pathlib import Path

import torch
import transformers

FAMILIES = ("llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text", "gpt2", "bert")
CAUSAL = ("llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text", "gpt2")
#: families with rotary embeddings and config.head_dim: any head shape loads in transformers
ROTARY = ("llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text")


def config(family: str, **overrides):
    common = dict(vocab_size=96, max_position_embeddings=64)
    if family in ROTARY:
        kwargs = dict(
            common, hidden_size=48, intermediate_size=64, num_hidden_layers=2, num_attention_heads=8,
            num_key_value_heads=4, head_dim=16, tie_word_embeddings=False,
        )
        cls = {"llama": transformers.LlamaConfig, "mistral": transformers.MistralConfig,
               "qwen2": transformers.Qwen2Config, "qwen3": transformers.Qwen3Config, "phi3": transformers.Phi3Config,
               "gemma2": transformers.Gemma2Config, "gemma3_text": transformers.Gemma3TextConfig}[family]
        if family == "mistral":
            kwargs["sliding_window"] = None
        if family == "qwen3":
            kwargs["use_sliding_window"] = False
        if family == "phi3":
            kwargs.update(pad_token_id=0, bos_token_id=1, eos_token_id=2)
        if family.startswith("gemma"):
            # a scale unrelated to the head size, tied embeddings, a short window the tests cross
            kwargs.update(query_pre_attn_scalar=24, tie_word_embeddings=True, sliding_window=8,
                          layer_types=["sliding_attention", "full_attention"], pad_token_id=0, bos_token_id=1, eos_token_id=2)
    elif family == "gpt2":
        cls = transformers.GPT2Config
        kwargs = dict(vocab_size=96, n_positions=64, n_embd=48, n_layer=2, n_head=6, bos_token_id=0, eos_token_id=0)
    elif family == "bert":
        cls = transformers.BertConfig
        kwargs = dict(common, hidden_size=48, intermediate_size=64, num_hidden_layers=2, num_attention_heads=6)
    else:
        raise ValueError(family)
    kwargs.update(overrides)
    return cls(**kwargs)


def build(family: str, seed: int = 0, **overrides) -> torch.nn.Module:
    torch.manual_seed(seed)
    cfg = config(family, **overrides)
    cls = transformers.BertModel if family == "bert" else transformers.AutoModelForCausalLM
    model = cls.from_config(cfg) if cls is not transformers.BertModel else cls(cfg)
    # Default initialisation gives near-zero logits; larger weights make comparisons meaningful.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.normal_(0, 0.15)
            elif "bias" in name:
                p.normal_(0, 0.1)
            elif "norm" in name.lower():
                # Gemma's norms multiply by (1 + w): centre its weights on 0 so the factor is near 1
                p.uniform_(-0.5, 0.5) if family.startswith("gemma") else p.uniform_(0.5, 1.5)
    return model.eval()


def save(model, folder: Path, dtype: str = "float32", sharded: bool = False) -> Path:
    model = model.to(getattr(torch, dtype))
    model.save_pretrained(folder, max_shard_size="40KB" if sharded else "10GB")
    return folder


def save_model(family: str, folder: Path, dtype: str = "float32", sharded: bool = False, **overrides) -> Path:
    return save(build(family, **overrides), folder, dtype, sharded)


def load(family: str, folder: Path) -> torch.nn.Module:
    cls = transformers.BertModel if family == "bert" else transformers.AutoModelForCausalLM
    return cls.from_pretrained(folder, dtype=torch.float32).eval()


def tokens(seed: int = 0, length: int = 12) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 96, (2, length), generator=g)


@torch.no_grad()
def outputs(model, ids: torch.Tensor | None = None) -> torch.Tensor:
    ids = tokens() if ids is None else ids
    out = model(input_ids=ids)
    return out.logits if hasattr(out, "logits") else out.last_hidden_state
