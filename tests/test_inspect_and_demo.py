"""`headmix inspect` and the bundled demo checkpoint."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import hf_models
from conftest import DEMO, ROOT
from headmix.core.cli import main


def test_inspect_text(capsys):
    assert main(["inspect", str(DEMO)]) == 0
    out = capsys.readouterr().out
    for expected in ("architecture llama", "layers       4", "hidden size  128", "8 query, 2 key/value",
                     "head size    32", "rope         default, theta 10000", "embeddings", "attention", "mlp",
                     "dtype        BF16", "on disk      1.71 MB"):  # fmt: skip
        assert expected in out, expected


@pytest.mark.parametrize("family", hf_models.FAMILIES)
def test_inspect_json_keys(capsys, model_dir, family):
    assert main(["inspect", str(model_dir(family)), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    for key in ("architecture", "num_layers", "hidden_size", "num_heads", "num_kv_heads", "head_dim", "parameters", "dtype", "rope"):
        assert key in info
    assert info["architecture"] == family and info["num_layers"] == 2 and info["hidden_size"] == 48
    assert info["dtype"] == "F32"
    if family in ("gpt2", "bert"):
        assert info["rope"] is None
    else:
        assert info["rope"]["type"] == "default" and info["rope"]["theta"] > 1


def test_demo_is_small_and_loads_in_transformers():
    files = {p.name: p.stat().st_size for p in DEMO.iterdir()}
    assert "config.json" in files and sum(files.values()) < 4_000_000
    config = json.loads((DEMO / "config.json").read_text())
    assert config["num_key_value_heads"] < config["num_attention_heads"] and config["rope_parameters"]["rope_type"] == "default"
    model = hf_models.load("llama", DEMO)
    assert torch.isfinite(hf_models.outputs(model)).all()


def test_demo_script_is_reproducible(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo.py"), str(tmp_path)], check=True, capture_output=True)
    for name in ("model.safetensors", "config.json", "generation_config.json"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_demo_bf16_rounding_is_nearest_even_on_float32_bits():
    """The demo script rounds to bfloat16 itself, so its bytes do not depend on the installed ml_dtypes."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_demo
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    bits = np.array([0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, 0xBF80C000, 0x00000000], dtype=np.uint32)
    got = make_demo.to_bf16_bits(bits.view(np.float32))
    assert got.dtype == np.uint16
    assert got.tolist() == [0x3F80, 0x3F82, 0x3F80, 0x3F81, 0xBF81, 0x0000]  # ties go to the even pattern
@pytest.mark.interop
def test_inspect_shows_each_layer_types_rope_the_window_the_pattern_and_the_attention_scale(tmp_path, capsys):
    """A Gemma 3 has two ropes (θ 10,000 on the sliding layers, 1,000,000 and a factor on the global ones), a
    window, a layer pattern and query_pre_attn_scalar: inspect used to show only layer 0's rope."""
    import json

    import hf_models
    from headmix.core.cli import main

    folder = hf_models.save_model(
        "gemma3_text", tmp_path / "gemma3", num_hidden_layers=6, layer_types=["sliding_attention"] * 5 + ["full_attention"],
        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
                         "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1_000_000.0}})
    assert main(["inspect", str(folder), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["ropes"] == [
        {"layer_type": "sliding_attention", "type": "default", "theta": 10_000.0, "factor": None, "rotary_dim": 16,
         "sliding_window": 8},
        {"layer_type": "full_attention", "type": "linear", "theta": 1_000_000.0, "factor": 8.0, "rotary_dim": 16,
         "sliding_window": None},
    ]
    assert info["layer_types"]["period"] == 6 and info["layer_types"]["sliding"] == 5
    assert info["attention_scale"] == {"query_pre_attn_scalar": 24}
    assert main(["inspect", str(folder)]) == 0
    text = capsys.readouterr().out
    assert "sliding  default, theta 10000, window 8" in text and "full     linear, theta 1e+06, factor 8" in text
    assert "layer types  5 sliding, 1 full, every 6th full: S S S S S F" in text
    assert "attention    query_pre_attn_scalar 24" in text
