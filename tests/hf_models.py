"""Tiny random models of each family, built by transformers itself: no downloads."""

from __future__ import annotations

from pathlib import Path

import torch
import transformers

FAMILIES = ("llama", "mistral", "qwen2", "qwen3", "gpt2", "bert")
CAUSAL = ("llama", "mistral", "qwen2", "qwen3", "gpt2")


def config(family: str, **overrides):
    common = dict(vocab_size=96, max_position_embeddings=64)
    if family in ("llama", "mistral", "qwen2", "qwen3"):
        kwargs = dict(
            common, hidden_size=48, intermediate_size=64, num_hidden_layers=2, num_attention_heads=8,
            num_key_value_heads=4, head_dim=16, tie_word_embeddings=False,
        )
        cls = {"llama": transformers.LlamaConfig, "mistral": transformers.MistralConfig,
               "qwen2": transformers.Qwen2Config, "qwen3": transformers.Qwen3Config}[family]
        if family == "mistral":
            kwargs["sliding_window"] = None
        if family == "qwen3":
            kwargs["use_sliding_window"] = False
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
                p.uniform_(0.5, 1.5)
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
