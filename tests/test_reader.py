"""Opening checkpoints: every family, single and sharded, BF16 and F32; headers only."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import hf_models
import synthetic
from headmix.core.model.architecture import detect
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.model.inspection import summary
from headmix.core.io.safetensors_file import OutputTensor, encode_header

EXPECTED = {
    # family: (heads, kv heads, head size, layout, roles beyond q/k/v/o)
    "llama": (8, 4, 16, "linear", set()),
    "mistral": (8, 4, 16, "linear", set()),
    "qwen2": (8, 4, 16, "linear", {"q_bias", "k_bias", "v_bias"}),
    "qwen3": (8, 4, 16, "linear", {"q_norm", "k_norm"}),
    "phi3": (8, 4, 16, "linear", None),  # fused qkv_proj
    "gemma2": (8, 4, 16, "linear", set()),
    "gemma3_text": (8, 4, 16, "linear", {"q_norm", "k_norm"}),
    "gpt2": (6, 6, 8, "conv1d", {"q_bias", "k_bias", "v_bias", "o_bias"}),
    "bert": (6, 6, 8, "linear", {"q_bias", "k_bias", "v_bias", "o_bias"}),
}


@pytest.mark.interop
@pytest.mark.parametrize("family", hf_models.FAMILIES)
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("sharded", [False, True], ids=["single", "sharded"])
def test_families_are_detected(model_dir, family, dtype, sharded):
    folder = model_dir(family, dtype, sharded)
    checkpoint = open_checkpoint(folder)
    assert checkpoint.sharded == sharded and (len(checkpoint.files) > 1) == sharded
    arch = detect(checkpoint)
    heads, kv, d, layout, extra = EXPECTED[family]
    assert arch.name == family and arch.recognised and not arch.problems
    assert (arch.num_heads, arch.num_kv_heads, arch.head_dim, arch.num_layers) == (heads, kv, d, 2)
    assert all(layer.family.layout.value == layout for layer in arch.layers)
    if family == "gpt2":  # one fused c_attn holds q, k and v
        assert set(arch.layers[0].attention_roles) == {"qkv", "qkv_bias", "o", "o_bias"}
    elif family == "phi3":
        assert set(arch.layers[0].attention_roles) == {"qkv", "o"}
    else:
        assert set(arch.layers[0].attention_roles) == {"q", "k", "v", "o"} | extra
    assert (arch.rope is not None) == (family not in ("gpt2", "bert"))
    if arch.rope:
        assert arch.rope.type == "default" and arch.rope.theta > 1 and arch.rope.rotary_dim == d
    info = summary(checkpoint, arch)
    assert info["dtype"] == {"float32": "F32", "bfloat16": "BF16"}[dtype]
    assert sum(info["parameters_by_part"].values()) == info["parameters"] == checkpoint.num_parameters
    assert info["parameters_by_part"]["attention"] > 0 and info["parameters_by_part"]["mlp"] > 0
    # tensors read on demand equal what transformers wrote
    reference = {}
    for f in checkpoint.files:
        reference.update(load_file(f))
    for name, tensor in list(reference.items())[:6]:
        ours = torch.from_numpy(np.array(checkpoint.read_float(name)))
        assert torch.equal(ours, tensor.float()), name


def _write(path, tensors: dict[str, np.ndarray], dtype_names: dict[str, str] | None = None):
    dtype_names = dtype_names or {}
    with open(path, "wb") as f:
        f.write(encode_header([OutputTensor(n, dtype_names.get(n, {"float64": "F64", "float32": "F32", "float16": "F16"}.get(a.dtype.name, "U8")), a.shape, a.nbytes) for n, a in tensors.items()]))
        for a in tensors.values():
            f.write(a.tobytes())


def test_reads_f64_f16_and_passes_other_dtypes(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {
        "a": rng.normal(size=(3, 4)),
        "b": rng.normal(size=(5,)).astype(np.float16),
        "c": np.arange(6, dtype=np.uint8).reshape(2, 3),
    }
    _write(tmp_path / "m.safetensors", tensors, {"c": "F4_MYSTERY"})
    checkpoint = open_checkpoint(tmp_path / "m.safetensors")
    assert np.array_equal(checkpoint.read("a"), tensors["a"]) and checkpoint.tensors["a"].dtype == "F64"
    assert np.array_equal(checkpoint.read("b"), tensors["b"]) and checkpoint.tensors["b"].dtype == "F16"
    assert checkpoint.tensors["c"].dtype == "F4_MYSTERY" and checkpoint.tensors["c"].nbytes == 6
    arch = detect(checkpoint)
    assert not arch.recognised and "not recognised" in arch.description
    assert set(arch.parts) == {"a", "b", "c"}


def test_unknown_architecture_opens_and_lists_everything(tmp_path):
    _write(tmp_path / "model.safetensors", {"encoder.blocks.0.mixer.in_proj": np.zeros((4, 4), np.float32)})
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mamba", "architectures": ["MambaForCausalLM"]}))
    checkpoint = open_checkpoint(tmp_path)
    arch = detect(checkpoint)
    assert arch.name == "unknown" and not arch.recognised
    assert "model_type 'mamba'" in arch.description
    assert list(arch.parts) == ["encoder.blocks.0.mixer.in_proj"]


def test_config_disagreeing_with_shapes_names_tensor_and_number(tmp_path, model_dir):
    src = model_dir("llama")
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    config = json.loads((tmp_path / "config.json").read_text())
    config["num_key_value_heads"] = 2
    (tmp_path / "config.json").write_text(json.dumps(config))
    arch = detect(open_checkpoint(tmp_path))
    assert not arch.usable
    assert any("model.layers.0.self_attn.k_proj.weight" in p and "[64, 48]" in p and "[32, 48]" in p for p in arch.problems)


def test_70b_class_sharded_index_opens_and_plans_from_headers_alone(tmp_path, monkeypatch):
    """80 layers of Llama-70B shapes in 30 sparse shards: ~140 GB of BF16 that never touches the disk.

    Opening, detecting, planning with every method and describing the plan read no tensor
    data at all (how fast that is, and in how much memory, scripts/benchmark.py measures).
    """
    import headmix.core.io.checkpoint as checkpoint_module
    from headmix.core.plan.planner import Plan
    from headmix.core.plan.request import Request

    folder = synthetic.write_llama_70b(tmp_path)

    def no_reading(info):
        raise AssertionError(f"read tensor data of {info.name}")

    monkeypatch.setattr(checkpoint_module, "read_tensor", no_reading)
    checkpoint = open_checkpoint(folder)
    arch = detect(checkpoint)
    assert arch.usable and arch.num_layers == 80 and arch.num_kv_heads == 8
    assert checkpoint.num_parameters > 69e9
    for method in ("select", "mean", "random", "article"):
        plan = Plan.build(checkpoint, Request(heads=32, kv_heads=4, head_dim=64, method=method), arch=arch)
        text = plan.describe()
        assert "query heads  64 -> 32" in text and ("rotary pairs keeps 32 of 64" in text) == (method != "article")
    assert os.stat(checkpoint.files[0]).st_blocks * 512 < 1 << 20  # the test itself stayed sparse
