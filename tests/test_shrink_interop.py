"""The design note's invariants, proved against transformers' own logits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

import hf_models
from headmix.core.checkpoint import open_checkpoint
from headmix.core.export import export
from headmix.core.planner import Plan
from headmix.core.request import Request

pytestmark = pytest.mark.interop
LLAMA_STYLE = ("llama", "mistral", "qwen2", "qwen3")


def shrink(src, out, method="mean", seed=0, heads=None, kv_heads=None, head_dim=None):
    plan = Plan.build(open_checkpoint(src), Request(heads, kv_heads, head_dim, method=method, seed=seed))
    export(plan, out)
    return plan


def tensors(folder):
    result = {}
    for f in sorted(folder.glob("*.safetensors")):
        result.update(load_file(f))
    return result


def heads_view(w: torch.Tensor, n: int) -> torch.Tensor:
    """(n*d, ...) -> (n, d, ...), a view to edit heads in place."""
    return w.view(n, w.shape[0] // n, *w.shape[1:])


def attention_modules(model):
    return [layer.self_attn for layer in model.model.layers]


def close(a: torch.Tensor, b: torch.Tensor, tol=2e-4):
    scale = a.abs().max().item()
    assert scale > 1e-2, "outputs too small for the comparison to mean anything"
    diff = (a - b).abs().max().item()
    assert diff <= tol * max(scale, 1.0), f"max |diff| {diff:.3g} vs scale {scale:.3g}"


@pytest.mark.parametrize("family", hf_models.FAMILIES)
@pytest.mark.parametrize("method", ["mean", "select", "random", "article"])
def test_identity_targets_give_identical_bytes(model_dir, tmp_path, family, method):
    src = model_dir(family)
    plan = Plan.build(open_checkpoint(src), Request(method=method))
    assert plan.identity
    export(plan, tmp_path / "out")
    before, after = tensors(src), tensors(tmp_path / "out")
    assert before.keys() == after.keys()
    for name in before:
        assert torch.equal(before[name].view(torch.uint8), after[name].view(torch.uint8)), name
    assert json.loads((tmp_path / "out" / "config.json").read_text()) == json.loads((src / "config.json").read_text())


@pytest.mark.parametrize("family", LLAMA_STYLE)
def test_non_attention_tensors_always_identical(model_dir, tmp_path, family):
    src = model_dir(family)
    plan = shrink(src, tmp_path / "out", "random", heads=4, kv_heads=2, head_dim=8)
    before, after = tensors(src), tensors(tmp_path / "out")
    changed = plan.changed_tensors()
    assert changed
    for name in before:
        if name not in changed:
            assert torch.equal(before[name], after[name]), name
        else:
            assert tuple(after[name].shape) == plan.shapes[name]


@pytest.mark.parametrize("family", LLAMA_STYLE)
def test_duplicated_heads_merged_by_mean_keep_logits(tmp_path, family):
    """8 query heads in identical pairs over 4 kv heads in identical pairs -> 4 over 2."""
    model = hf_models.build(family)
    with torch.no_grad():
        for attn in attention_modules(model):
            for proj, n in ((attn.q_proj, 8), (attn.k_proj, 4), (attn.v_proj, 4)):
                w = heads_view(proj.weight, n)
                w[1::2] = w[0::2]
                if proj.bias is not None:
                    b = heads_view(proj.bias, n)
                    b[1::2] = b[0::2]
            # q heads 0,1 read kv 0 and q heads 2,3 read kv 1 = kv 0: make them one group too
            q = heads_view(attn.q_proj.weight, 8)
            q[2:4] = q[0:2]
            q[6:8] = q[4:6]
            if attn.q_proj.bias is not None:
                qb = heads_view(attn.q_proj.bias, 8)
                qb[2:4] = qb[0:2]
                qb[6:8] = qb[4:6]
    expected = hf_models.outputs(model)
    hf_models.save(model, tmp_path / "src")
    plan = shrink(tmp_path / "src", tmp_path / "out", heads=4, kv_heads=2)
    assert plan.loadability[0]
    close(expected, hf_models.outputs(hf_models.load(family, tmp_path / "out")))


def _zero_pairs(proj, n, d, dropped_pairs):
    w = heads_view(proj.weight, n)
    for p in dropped_pairs:
        w[:, p] = 0
        w[:, p + d // 2] = 0
        if proj.bias is not None:
            heads_view(proj.bias, n)[:, [p, p + d // 2]] = 0


@pytest.mark.parametrize("family", LLAMA_STYLE)
def test_duplicated_value_dims_and_every_other_rotary_pair(tmp_path, family):
    """Mean halves the head size: value dims come in identical pairs, odd rotary pairs carry zero."""
    model = hf_models.build(family)
    with torch.no_grad():
        for attn in attention_modules(model):
            for proj, n in ((attn.q_proj, 8), (attn.k_proj, 4)):
                _zero_pairs(proj, n, 16, range(1, 8, 2))
            v = heads_view(attn.v_proj.weight, 4)
            v[:, 1::2] = v[:, 0::2]
            if attn.v_proj.bias is not None:
                vb = heads_view(attn.v_proj.bias, 4)
                vb[:, 1::2] = vb[:, 0::2]
    expected = hf_models.outputs(model)
    hf_models.save(model, tmp_path / "src")
    plan = shrink(tmp_path / "src", tmp_path / "out", head_dim=8)
    assert list(plan.kept_pairs) == [0, 2, 4, 6]
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["head_dim"] == 8 and config["rope_parameters"]["rope_type"] == "default"
    close(expected, hf_models.outputs(hf_models.load(family, tmp_path / "out")))


@pytest.mark.parametrize("family", ["llama", "qwen3"])
def test_arbitrary_rotary_pair_subset_through_longrope(tmp_path, family):
    """select keeps pairs {0, 1, 3, 6} (the others carry zero): exact through longrope factors."""
    kept = [0, 1, 3, 6]
    model = hf_models.build(family)
    with torch.no_grad():
        for attn in attention_modules(model):
            for proj, n in ((attn.q_proj, 8), (attn.k_proj, 4)):
                _zero_pairs(proj, n, 16, [p for p in range(8) if p not in kept])
            heads_view(attn.v_proj.weight, 4)[:, 8:] = 0  # value dims 8.. carry nothing
    expected = hf_models.outputs(model)
    hf_models.save(model, tmp_path / "src")
    plan = shrink(tmp_path / "src", tmp_path / "out", "select", head_dim=8)
    assert list(plan.kept_pairs) == kept
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    rope = config["rope_parameters"]
    assert rope["rope_type"] == "longrope" and rope["factor"] == 1.0 and rope["attention_factor"] == 1.0
    assert rope["original_max_position_embeddings"] == config["max_position_embeddings"]
    shrunk = hf_models.load(family, tmp_path / "out")
    # transformers' own rotary embedding rotates each kept pair at its original frequency
    base = model.config.rope_parameters["rope_theta"]
    original_inv = 1.0 / base ** (torch.arange(0, 16, 2, dtype=torch.float64) / 16)
    new_inv, scaling = ROPE_INIT_FUNCTIONS["longrope"](shrunk.config)
    assert scaling == 1.0
    torch.testing.assert_close(new_inv.double(), original_inv[kept], rtol=1e-6, atol=0)
    torch.testing.assert_close(shrunk.model.rotary_emb.inv_freq.double(), original_inv[kept], rtol=1e-6, atol=0)
    close(expected, hf_models.outputs(shrunk))


@pytest.mark.parametrize("family", LLAMA_STYLE)
def test_select_equals_pruning(tmp_path, model_dir, family):
    src = model_dir(family)
    plan = shrink(src, tmp_path / "out", "select", heads=4)
    model = hf_models.load(family, src)
    with torch.no_grad():
        for i, attn in enumerate(attention_modules(model)):
            kept = np.flatnonzero(plan.mixing(i).q.heads.any(axis=1))
            assert len(kept) == 4
            o = attn.o_proj.weight.view(attn.o_proj.weight.shape[0], 8, 16)
            for h in range(8):
                if h not in kept:
                    o[:, h] = 0
    close(hf_models.outputs(model), hf_models.outputs(hf_models.load(family, tmp_path / "out")))


def test_same_seed_same_bytes_other_seed_differs(model_dir, tmp_path):
    src = model_dir("qwen2", "bfloat16", sharded=True)
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        shrink(src, tmp_path / name, "random", seed=seed, heads=4, kv_heads=2, head_dim=8)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert tensors(tmp_path / "a").keys() == tensors(tmp_path / "c").keys()
    assert any(not torch.equal(x, tensors(tmp_path / "c")[k]) for k, x in tensors(tmp_path / "a").items())


@pytest.mark.parametrize("family", LLAMA_STYLE)
@pytest.mark.parametrize("method", ["mean", "select", "random", "article"])
def test_every_method_loads_and_runs(model_dir, tmp_path, family, method):
    src = model_dir(family, "bfloat16")
    shrink(src, tmp_path / "out", method, heads=4, kv_heads=2, head_dim=8)
    logits = hf_models.outputs(hf_models.load(family, tmp_path / "out"))
    assert torch.isfinite(logits).all()
