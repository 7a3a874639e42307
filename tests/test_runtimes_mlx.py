"""mlx-lm computes what transformers computes on headmix's exports: logits compared in float32.

The fast subset of ``scripts/check_runtimes.py``: tiny random models built with transformers,
shrunk with headmix, loaded with mlx-lm (its CPU build runs on Linux). Skipped unless mlx-lm
is installed: ``pip install -e ".[test,runtimes]"``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

mlx_lm_utils = pytest.importorskip(
    "mlx_lm.utils", reason='mlx-lm is not installed (pip install -e ".[test,runtimes]" brings mlx[cpu] and mlx-lm)'
)
import hf_models  # noqa: E402
import mlx.core as mx  # noqa: E402
from headmix.core.io.checkpoint import open_checkpoint  # noqa: E402
from headmix.core.run.export import export  # noqa: E402
from headmix.core.plan.planner import Plan  # noqa: E402
from headmix.core.plan.request import Request  # noqa: E402
from headmix.core.plan.runtimes import Status  # noqa: E402

pytestmark = pytest.mark.runtimes
#: not mlx-lm's default θ (10000), so a runtime that misses the rope keys shows it
THETA = 50_000.0
#: a Qwen2 whose heads fill the hidden size (what mlx-lm's Qwen2 assumes), so only a change leaves it
QWEN2 = dict(num_attention_heads=4, num_key_value_heads=2, head_dim=12)
TOLERANCE = 1e-4


def mlx_logits(folder, ids: np.ndarray) -> np.ndarray:
    mx.set_default_device(mx.cpu)
    model, _ = mlx_lm_utils.load_model(folder)
    model.set_dtype(mx.float32)
    return np.array(model(mx.array(ids.astype(np.int32))).astype(mx.float32))


def source(tmp_path, family):
    overrides = QWEN2 if family == "qwen2" else {}
    return hf_models.save_model(family, tmp_path / f"{family}-source", rope_theta=THETA, **overrides)


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    scale = float(np.abs(a).max())
    assert scale > 1e-2, "logits too small for the comparison to mean anything"
    return float(np.abs(a - b).max()) / scale


@pytest.mark.parametrize(
    ("family", "targets", "expect_family", "expect_rope"),
    [
        ("llama", dict(), "llama", "default"),  # identity: only the legacy rope keys are added
        ("llama", dict(kv_heads=2, method="mean"), "llama", "default"),
        ("llama", dict(heads=4, method="select"), "llama", "default"),
        ("llama", dict(head_dim=8, method="mean"), "llama", "default"),  # pairs 0,2,4,6: θ' = θ^(1/2)
        ("llama", dict(head_dim=8, method="select"), "llama", None),  # the best progression: may be offset (linear)
        ("llama", dict(head_dim=12, method="mean", rotary_pairs="any"), "llama", "longrope"),  # pairs 0,1,2,4,5,6
        ("qwen2", dict(), "qwen2", "default"),
        ("qwen2", dict(head_dim=8, method="mean"), "llama", "default"),  # Qwen2 with a new head shape → Llama
    ],
    ids=["identity", "kv-heads", "heads", "head-size-mean", "head-size-select", "longrope", "qwen2-identity", "qwen2-to-llama"],
)
def test_mlx_lm_computes_what_transformers_computes(tmp_path, family, targets, expect_family, expect_rope):
    src = source(tmp_path, family)
    plan = Plan.build(open_checkpoint(src), Request(**targets))
    out = export(plan, tmp_path / "out")
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == expect_family
    if expect_rope:
        assert config["rope_parameters"]["rope_type"] == expect_rope
    verdict = {v.runtime: v for v in plan.verdicts(exact=True)}["mlx-lm"]
    assert verdict.status is Status.OK, verdict.reason

    ids = hf_models.tokens(length=48)  # positions up to 47 of 64: the rope matters
    expected = hf_models.outputs(hf_models.load(expect_family, out), ids).numpy()
    got = mlx_logits(out, ids.numpy())
    assert got.shape == expected.shape
    assert relative_difference(expected, got) <= TOLERANCE


def test_mlx_lm_misreads_a_config_that_transformers_5_wrote_itself(tmp_path):
    """Why every export carries a top-level rope_theta: mlx-lm reads no rope_parameters, and a
    folder saved by transformers 5 has nothing else, so mlx-lm rotates at θ = 10000."""
    src = source(tmp_path, "llama")
    assert "rope_theta" not in json.loads((src / "config.json").read_text())
    ids = hf_models.tokens(length=48)
    expected = hf_models.outputs(hf_models.load("llama", src), ids).numpy()
    assert relative_difference(expected, mlx_logits(src, ids.numpy())) > 100 * TOLERANCE
