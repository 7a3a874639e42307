"""Small checkpoints of each family written straight from numpy: fast enough for property tests."""

from __future__ import annotations

import json
from pathlib import Path

import ml_dtypes
import numpy as np

from headmix.core.io.safetensors_file import OutputTensor, encode_header

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": ml_dtypes.bfloat16}


def tensors(family: str, layers: int, heads: int, kv: int, d: int, hidden: int, rng) -> dict[str, np.ndarray]:
    w = lambda *shape: rng.normal(0, 0.2, shape)  # noqa: E731
    out = {}
    if family in ("llama", "qwen2", "qwen3"):
        out["model.embed_tokens.weight"] = w(32, hidden)
        for i in range(layers):
            p = f"model.layers.{i}."
            out[p + "input_layernorm.weight"] = np.ones(hidden)
            out[p + "self_attn.q_proj.weight"] = w(heads * d, hidden)
            out[p + "self_attn.k_proj.weight"] = w(kv * d, hidden)
            out[p + "self_attn.v_proj.weight"] = w(kv * d, hidden)
            out[p + "self_attn.o_proj.weight"] = w(hidden, heads * d)
            if family == "qwen2":
                out[p + "self_attn.q_proj.bias"] = w(heads * d)
                out[p + "self_attn.k_proj.bias"] = w(kv * d)
                out[p + "self_attn.v_proj.bias"] = w(kv * d)
            if family == "qwen3":
                out[p + "self_attn.q_norm.weight"] = 1 + w(d)
                out[p + "self_attn.k_norm.weight"] = 1 + w(d)
            out[p + "mlp.up_proj.weight"] = w(2 * hidden, hidden)
        out["lm_head.weight"] = w(32, hidden)
    elif family == "gpt2":
        out["wte.weight"] = w(32, hidden)
        for i in range(layers):
            p = f"h.{i}.attn."
            out[p + "c_attn.weight"] = w(hidden, 3 * heads * d)
            out[p + "c_attn.bias"] = w(3 * heads * d)
            out[p + "c_proj.weight"] = w(heads * d, hidden)
            out[p + "c_proj.bias"] = w(hidden)
            out[f"h.{i}.mlp.c_fc.weight"] = w(hidden, 2 * hidden)
    elif family == "bert":
        out["embeddings.word_embeddings.weight"] = w(32, hidden)
        for i in range(layers):
            p = f"encoder.layer.{i}.attention."
            for n in ("query", "key", "value"):
                out[p + f"self.{n}.weight"] = w(heads * d, hidden)
                out[p + f"self.{n}.bias"] = w(heads * d)
            out[p + "output.dense.weight"] = w(hidden, heads * d)
            out[p + "output.dense.bias"] = w(hidden)
            out[f"encoder.layer.{i}.intermediate.dense.weight"] = w(2 * hidden, hidden)
    return out


def config(family: str, layers: int, heads: int, kv: int, d: int, hidden: int) -> dict:
    if family == "gpt2":
        return {"model_type": "gpt2", "n_embd": hidden, "n_head": heads, "n_layer": layers}
    if family == "bert":
        return {"model_type": "bert", "hidden_size": hidden, "num_attention_heads": heads, "num_hidden_layers": layers}
    return {
        "model_type": family, "hidden_size": hidden, "num_attention_heads": heads, "num_key_value_heads": kv,
        "head_dim": d, "num_hidden_layers": layers, "rope_theta": 10000.0, "max_position_embeddings": 64,
    }  # fmt: skip


def write(folder: Path, family: str, layers: int, heads: int, kv: int, d: int, dtype: str = "F32", seed: int = 0,
          shards: int = 1) -> Path:
    """A checkpoint folder; for GPT-2 and BERT the hidden size is heads × d, as they require."""
    hidden = heads * d if family in ("gpt2", "bert") else 24
    rng = np.random.default_rng(seed)
    arrays = {n: a.astype(DTYPES[dtype]) for n, a in tensors(family, layers, heads, kv, d, hidden, rng).items()}
    folder.mkdir(parents=True, exist_ok=True)
    names = list(arrays)
    weight_map = {}
    for s in range(shards):
        part = names[s::shards]
        fname = "model.safetensors" if shards == 1 else f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        with open(folder / fname, "wb") as f:
            f.write(encode_header([OutputTensor(n, dtype, arrays[n].shape, arrays[n].nbytes) for n in part]))
            for n in part:
                f.write(arrays[n].tobytes())
        weight_map.update({n: fname for n in part})
    if shards > 1:
        (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    (folder / "config.json").write_text(json.dumps(config(family, layers, heads, kv, d, hidden)))
    (folder / "tokenizer.json").write_text("{}")
    return folder


def write_llama_70b(folder: Path, shards: int = 30) -> Path:
    """Llama-70B's shapes (80 layers, 64 heads over 8 kv heads of 128) in sparse BF16 shards.

    The files hold headers and holes: ~140 GB that never touch the disk, for tests and
    benchmarks of what must work from headers alone.
    """
    hidden, heads, kv, d, ff, vocab = 8192, 64, 8, 128, 28672, 128256
    layers = 80
    shapes = {"model.embed_tokens.weight": (vocab, hidden), "lm_head.weight": (vocab, hidden), "model.norm.weight": (hidden,)}
    for i in range(layers):
        p = f"model.layers.{i}."
        shapes.update({
            p + "self_attn.q_proj.weight": (heads * d, hidden), p + "self_attn.k_proj.weight": (kv * d, hidden),
            p + "self_attn.v_proj.weight": (kv * d, hidden), p + "self_attn.o_proj.weight": (hidden, heads * d),
            p + "mlp.gate_proj.weight": (ff, hidden), p + "mlp.up_proj.weight": (ff, hidden),
            p + "mlp.down_proj.weight": (hidden, ff), p + "input_layernorm.weight": (hidden,),
            p + "post_attention_layernorm.weight": (hidden,),
        })  # fmt: skip
    names = list(shapes)
    weight_map = {}
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(shards):
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        outs = [OutputTensor(n, "BF16", shapes[n], 2 * int(np.prod(shapes[n]))) for n in names[s::shards]]
        header = encode_header(outs)
        with open(folder / fname, "wb") as f:
            f.write(header)
            f.truncate(len(header) + sum(o.nbytes for o in outs))  # a sparse hole: no data written
        weight_map.update({o.name: fname for o in outs})
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    (folder / "config.json").write_text(json.dumps({
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": hidden,
        "num_attention_heads": heads, "num_key_value_heads": kv, "num_hidden_layers": layers, "intermediate_size": ff,
        "vocab_size": vocab, "rope_theta": 500000.0, "max_position_embeddings": 8192,
    }))  # fmt: skip
    return folder
