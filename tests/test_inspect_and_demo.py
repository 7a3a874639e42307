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
