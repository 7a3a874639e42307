"""Make resources/demo: a small Llama-style checkpoint with grouped-query attention and rope.

Numpy only and seeded, so running it again gives the same bytes. The weights are random but
not featureless: each head and each rotary pair gets its own scale, so importance scores,
heatmaps and `select` have something to show. Stock transformers loads the result
(tests/test_demo.py checks it).

    python scripts/make_demo.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "vocab_size": 512,
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 4,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "hidden_act": "silu",
    "max_position_embeddings": 512,
    "rms_norm_eps": 1e-6,
    "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0},
    "tie_word_embeddings": False,
    "attention_bias": False,
    "mlp_bias": False,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "dtype": "bfloat16",
}


def tensors(rng: np.random.Generator) -> dict[str, np.ndarray]:
    c = CONFIG
    h, d, nq, nkv, ff = c["hidden_size"], c["head_dim"], c["num_attention_heads"], c["num_key_value_heads"], c["intermediate_size"]
    out = {"model.embed_tokens.weight": rng.normal(0, 0.02, (c["vocab_size"], h))}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        head_scale = rng.uniform(0.3, 1.5, nq)  # some heads matter more than others
        pair_scale = np.tile(np.geomspace(1.5, 0.2, d // 2), 2)  # low-frequency pairs carry less
        q = rng.normal(0, 0.05, (nq, d, h)) * head_scale[:, None, None] * pair_scale[None, :, None]
        k = rng.normal(0, 0.05, (nkv, d, h)) * pair_scale[None, :, None]
        v = rng.normal(0, 0.05, (nkv, d, h))
        o = rng.normal(0, 0.05, (h, nq, d)) * head_scale[None, :, None]
        out[p + "input_layernorm.weight"] = np.ones(h)
        out[p + "self_attn.q_proj.weight"] = q.reshape(nq * d, h)
        out[p + "self_attn.k_proj.weight"] = k.reshape(nkv * d, h)
        out[p + "self_attn.v_proj.weight"] = v.reshape(nkv * d, h)
        out[p + "self_attn.o_proj.weight"] = o.reshape(h, nq * d)
        out[p + "post_attention_layernorm.weight"] = np.ones(h)
        out[p + "mlp.gate_proj.weight"] = rng.normal(0, 0.05, (ff, h))
        out[p + "mlp.up_proj.weight"] = rng.normal(0, 0.05, (ff, h))
        out[p + "mlp.down_proj.weight"] = rng.normal(0, 0.05, (h, ff))
    out["model.norm.weight"] = np.ones(h)
    out["lm_head.weight"] = rng.normal(0, 0.02, (c["vocab_size"], h))
    return {name: to_bf16_bits(value) for name, value in out.items()}


def to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns (uint16) of `values`, rounded here rather than by a library.

    Why by hand: the script must give the same bytes on every install, and ml_dtypes changed how
    it rounds float64 to bfloat16 (0.7 rounds once from float64; earlier versions went through
    float32), which moved one byte of the bundled demo. The rounding below is the float32 path the
    bundled resources/demo was made with: IEEE float64 -> float32, then round-to-nearest-even on
    the float32 bits, dropping the low 16. Weights here are finite and small, so no NaN/overflow
    handling is needed (checked by an assert so a change to `tensors` cannot silently break it).
    """
    f32 = np.ascontiguousarray(values, dtype=np.float32)
    assert np.isfinite(f32).all(), "the demo's weights must be finite"
    bits = f32.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def main(folder: Path) -> None:
    from core.io.safetensors_file import OutputTensor, encode_header

    folder.mkdir(parents=True, exist_ok=True)
    weights = tensors(np.random.default_rng(20261128))
    with open(folder / "model.safetensors", "wb") as f:
        f.write(encode_header([OutputTensor(n, "BF16", a.shape, a.nbytes) for n, a in weights.items()], {"format": "pt"}))
        for a in weights.values():
            f.write(a.tobytes())
    (folder / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    (folder / "generation_config.json").write_text(json.dumps({"bos_token_id": 1, "eos_token_id": 2}, indent=2) + "\n")
    print(f"wrote {folder}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "resources" / "demo")
