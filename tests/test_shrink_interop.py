"""The design note's invariants, proved against transformers' own logits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

import hf_models
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.export import export
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request

pytestmark = pytest.mark.interop
ROTARY = hf_models.ROTARY


def shrink(src, out, method="mean", seed=0, heads=None, kv_heads=None, head_dim=None, rotary_pairs="progression"):
    plan = ShrinkRun.build(open_checkpoint(src), Request(heads, kv_heads, head_dim, method=method, seed=seed, rotary_pairs=rotary_pairs))
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


def projections(attn):
    """The (weight, bias) views of q, k and v of one attention module, fused (Phi-3) or not."""
    if hasattr(attn, "qkv_proj"):
        w = attn.qkv_proj.weight
        q, kv = attn.config.num_attention_heads * attn.head_dim, attn.config.num_key_value_heads * attn.head_dim
        return [(w[:q], None), (w[q : q + kv], None), (w[q + kv :], None)]
    return [(p.weight, p.bias) for p in (attn.q_proj, attn.k_proj, attn.v_proj)]


def rope_blocks(config: dict) -> list[dict]:
    """The rope parameter dicts of a config (one per layer type for Gemma 3)."""
    rope = config["rope_parameters"]
    return list(rope.values()) if all(isinstance(v, dict) for v in rope.values()) else [rope]


def close(a: torch.Tensor, b: torch.Tensor, tol=2e-4):
    scale = a.abs().max().item()
    assert scale > 1e-2, "outputs too small for the comparison to mean anything"
    diff = (a - b).abs().max().item()
    assert diff <= tol * max(scale, 1.0), f"max |diff| {diff:.3g} vs scale {scale:.3g}"


@pytest.mark.parametrize("family", hf_models.FAMILIES)
@pytest.mark.parametrize("method", ["mean", "select", "random", "article"])
def test_identity_targets_give_identical_bytes(model_dir, tmp_path, family, method):
    src = model_dir(family)
    plan = ShrinkRun.build(open_checkpoint(src), Request(method=method))
    assert plan.identity
    export(plan, tmp_path / "out")
    before, after = tensors(src), tensors(tmp_path / "out")
    assert before.keys() == after.keys()
    for name in before:
        assert torch.equal(before[name].view(torch.uint8), after[name].view(torch.uint8)), name
    # the config only gains the keys other runtimes read (legacy rope keys, the layer period, GPT-2's n_ctx), saying the same
    portable = {"rope_theta", "rope_scaling", "rope_local_base_freq", "partial_rotary_factor", "sliding_window_pattern", "n_ctx"}
    new, old = json.loads((tmp_path / "out" / "config.json").read_text()), json.loads((src / "config.json").read_text())
    assert {k: v for k, v in new.items() if k not in portable} == {k: v for k, v in old.items() if k not in portable}


@pytest.mark.parametrize("family", ROTARY)
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


@pytest.mark.parametrize("family", ROTARY)
def test_duplicated_heads_merged_by_mean_keep_logits(tmp_path, family):
    """8 query heads in identical pairs over 4 kv heads in identical pairs -> 4 over 2."""
    model = hf_models.build(family)
    with torch.no_grad():
        for attn in attention_modules(model):
            for (weight, bias), n in zip(projections(attn), (8, 4, 4), strict=True):
                for t in (weight, bias):
                    if t is not None:
                        t = heads_view(t, n)
                        t[1::2] = t[0::2]
            # q heads 0,1 read kv 0 and q heads 2,3 read kv 1 = kv 0: make them one group too
            for t in projections(attn)[0]:
                if t is not None:
                    t = heads_view(t, 8)
                    t[2:4] = t[0:2]
                    t[6:8] = t[4:6]
    expected = hf_models.outputs(model)
    hf_models.save(model, tmp_path / "src")
    plan = shrink(tmp_path / "src", tmp_path / "out", heads=4, kv_heads=2)
    assert plan.loadability[0]
    close(expected, hf_models.outputs(hf_models.load(family, tmp_path / "out")))


def _zero_pairs(weight, bias, n, d, dropped_pairs):
    w = heads_view(weight, n)
    for p in dropped_pairs:
        w[:, p] = 0
        w[:, p + d // 2] = 0
        if bias is not None:
            heads_view(bias, n)[:, [p, p + d // 2]] = 0


@pytest.mark.parametrize("family", ROTARY)
def test_duplicated_value_dims_and_every_other_rotary_pair(tmp_path, family):
    """Mean halves the head size: value dims come in identical pairs, odd rotary pairs carry zero."""
    model = hf_models.build(family)
    with torch.no_grad():
        for attn in attention_modules(model):
            (qw, qb), (kw, kb), (vw, vb) = projections(attn)
            _zero_pairs(qw, qb, 8, 16, range(1, 8, 2))
            _zero_pairs(kw, kb, 4, 16, range(1, 8, 2))
            for t in (vw, vb):
                if t is not None:
                    t = heads_view(t, 4)
                    t[:, 1::2] = t[:, 0::2]
    expected = hf_models.outputs(model)
    hf_models.save(model, tmp_path / "src")
    plan = shrink(tmp_path / "src", tmp_path / "out", head_dim=8)
    assert list(plan.kept_pairs) == [0, 2, 4, 6]
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["head_dim"] == 8 and all(r["rope_type"] == "default" for r in rope_blocks(config))
    close(expected, hf_models.outputs(hf_models.load(family, tmp_path / "out")))


def _zero_all_but(model, kept):
    with torch.no_grad():
        for attn in attention_modules(model):
            (qw, qb), (kw, kb), (vw, vb) = projections(attn)
            _zero_pairs(qw, qb, 8, 16, [p for p in range(8) if p not in kept])
            _zero_pairs(kw, kb, 4, 16, [p for p in range(8) if p not in kept])
            for t in (vw, vb):
                if t is not None:
                    heads_view(t, 4)[:, 8:] = 0  # value dims 8.. carry nothing


LLAMA3 = {"rope_parameters": {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0, "original_max_position_embeddings": 16}}


@pytest.mark.parametrize(
    "family, kept, rope_type, overrides",
    [("llama", [1, 3, 5, 7], "linear", {}), ("qwen2", [2, 3, 4, 5], "linear", {}), ("phi3", [0, 1, 2, 3], "default", {}),
     # Gemma keeps pairs from pair 0 (llama.cpp and mlx-lm read no factor on its sliding layers): every 2nd pair
     ("gemma3_text", [0, 2, 4, 6], "default", {}), ("gemma2", [0, 1, 2, 3], "default", {}),
     ("llama", [0, 1, 2, 3], "llama3", LLAMA3)],
    ids=["llama", "qwen2", "phi3", "gemma3", "gemma2", "llama3-rope"],
)
def test_a_progression_of_rotary_pairs_exports_as_a_plain_rope(tmp_path, family, kept, rope_type, overrides):
    """Pairs {s + r·j} rotate exactly under the default rope of the new size with base θ^(2rk/d),
    linearly scaled by θ^(2s/d) when s > 0: no longrope, so every runtime reads it. A llama3 rope
    rescales each frequency by itself alone, so pairs r·j keep it with the same parameters."""
    from headmix.core.model.architecture import Rope
    from headmix.core.model.rope import inverse_frequencies

    model = hf_models.build(family, **overrides)
    _zero_all_but(model, kept)
    expected = hf_models.outputs(model)
    hf_models.save(model, tmp_path / "src")
    plan = shrink(tmp_path / "src", tmp_path / "out", "select", head_dim=8)
    assert list(plan.kept_pairs) == kept
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert all(r["rope_type"] == rope_type for r in rope_blocks(config))
    shrunk = hf_models.load(family, tmp_path / "out")
    for source_rope, new_rope in zip(rope_blocks(json.loads((tmp_path / "src" / "config.json").read_text())),
                                     rope_blocks(config), strict=True):
        as_rope = lambda b: Rope(b["rope_type"], b["rope_theta"], 0, 1.0, b)  # noqa: E731
        original_inv = inverse_frequencies(as_rope(source_rope), 16)
        torch.testing.assert_close(torch.from_numpy(inverse_frequencies(as_rope(new_rope), 8)),
                                   torch.from_numpy(original_inv[kept]), rtol=1e-9, atol=0)
    close(expected, hf_models.outputs(shrunk))


@pytest.mark.parametrize("family", ["llama", "qwen3", "gemma3_text"])
def test_arbitrary_rotary_pair_subset_through_longrope(tmp_path, family):
    """select keeps pairs {0, 1, 3, 6} (the others carry zero): exact through longrope factors."""
    kept = [0, 1, 3, 6]
    model = hf_models.build(family)
    _zero_all_but(model, kept)
    expected = hf_models.outputs(model)
    hf_models.save(model, tmp_path / "src")
    plan = shrink(tmp_path / "src", tmp_path / "out", "select", head_dim=8, rotary_pairs="any")
    assert list(plan.kept_pairs) == kept
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    shrunk = hf_models.load(family, tmp_path / "out")
    source_ropes = rope_blocks(json.loads((tmp_path / "src" / "config.json").read_text()))
    layer_types = [None] if len(source_ropes) == 1 else list(config["rope_parameters"])
    for source_rope, rope, layer_type in zip(source_ropes, rope_blocks(config), layer_types, strict=True):
        assert rope["rope_type"] == "longrope" and rope["factor"] == 1.0 and rope["attention_factor"] == 1.0
        assert rope["original_max_position_embeddings"] == config["max_position_embeddings"]
        # transformers' own rotary embedding rotates each kept pair at its original frequency
        original_inv = 1.0 / source_rope["rope_theta"] ** (torch.arange(0, 16, 2, dtype=torch.float64) / 16)
        new_inv, scaling = ROPE_INIT_FUNCTIONS["longrope"](shrunk.config, layer_type=layer_type)
        assert scaling == 1.0
        torch.testing.assert_close(new_inv.double(), original_inv[kept], rtol=1e-6, atol=0)
        buffer = "inv_freq" if layer_type is None else f"{layer_type}_inv_freq"
        torch.testing.assert_close(getattr(shrunk.model.rotary_emb, buffer).double(), original_inv[kept], rtol=1e-6, atol=0)
    close(expected, hf_models.outputs(shrunk))


@pytest.mark.parametrize("family", ROTARY)
def test_select_equals_pruning(tmp_path, model_dir, family):
    src = model_dir(family)
    plan = shrink(src, tmp_path / "out", "select", heads=4)
    model = hf_models.load(family, src)
    with torch.no_grad():
        for i, attn in enumerate(attention_modules(model)):
            kept = np.flatnonzero(plan.mixing(i).q.heads.any(axis=1))
            assert len(kept) == 4
            o = attn.o_proj.weight.view(attn.o_proj.weight.shape[0], 8, 16)  # noqa: same layout in every family
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


@pytest.mark.parametrize("family", ROTARY)
@pytest.mark.parametrize("method", ["mean", "select", "random", "article"])
def test_every_method_loads_and_runs(model_dir, tmp_path, family, method):
    src = model_dir(family, "bfloat16")
    shrink(src, tmp_path / "out", method, heads=4, kv_heads=2, head_dim=8)
    logits = hf_models.outputs(hf_models.load(family, tmp_path / "out"))
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("family", ROTARY)
def test_the_verdict_matches_what_transformers_does_for_every_head_count(model_dir, family):
    """For every query-head count the window offers, "loads" is said exactly when transformers builds the model."""
    import transformers

    from headmix.core.model.architecture import detect
    from headmix.core.shrink.methods import Method
    from headmix.core.shrink.targets import choices

    checkpoint = open_checkpoint(model_dir(family))
    arch = detect(checkpoint)
    layer = arch.layers[0]
    tried = set()
    for heads in range(1, 9):
        offered = choices(layer, Method.MEAN, heads, 1, 16)
        if heads not in offered["heads"]:
            continue
        kv = max(offered["kv_heads"])
        tried.add(heads)
        plan = ShrinkRun.build(checkpoint, Request(heads, kv, method="mean"))
        ok, reason = plan.loadability
        config = plan.new_config()
        try:
            cfg = transformers.AutoConfig.for_model(**config)
            transformers.AutoModelForCausalLM.from_config(cfg)
            loads = True
        except Exception:  # noqa: BLE001 - whatever transformers raises, the verdict must have said so
            loads = False
        assert ok == loads, (heads, kv, reason)
    assert {5, 7} <= tried  # head counts that do not divide the hidden size 48


def _resolved_frequencies(config: dict) -> dict:
    """What transformers builds from a config: each layer type's inverse frequencies and attention scaling."""
    import transformers

    model = transformers.AutoModelForCausalLM.from_config(transformers.AutoConfig.for_model(**config))
    rotary = model.model.rotary_emb
    rope = model.config.rope_parameters
    layer_types = list(rope) if all(isinstance(v, dict) for v in rope.values()) else [None]
    out = {}
    for layer_type in layer_types:
        prefix = "" if layer_type is None else f"{layer_type}_"
        scaling = getattr(rotary, f"{prefix}attention_scaling", getattr(rotary, "attention_scaling", 1.0))
        out[layer_type] = (getattr(rotary, f"{prefix}inv_freq").double(), float(scaling))
    return out


@pytest.mark.parametrize("family, request_", [
    ("llama", Request()), ("llama", Request(head_dim=8, method="mean")), ("llama", Request(head_dim=6, method="mean")),
    ("qwen3", Request(head_dim=8, method="select")), ("gemma3_text", Request(head_dim=8, method="mean")),
    ("gemma3_text", Request()), ("phi3", Request(head_dim=6, method="mean")), ("mistral", Request(heads=4)),
])  # fmt: skip
def test_every_rope_key_alone_resolves_to_the_same_frequencies(model_dir, tmp_path, family, request_):
    """rope_parameters, the legacy rope_scaling and the top-level rope_theta each say the same thing,
    so a runtime reading any one of them rotates at the frequencies transformers uses."""
    plan = ShrinkRun.build(open_checkpoint(model_dir(family)), request_)
    export(plan, tmp_path / "out")
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert "rope_theta" in config
    full = _resolved_frequencies(config)
    variants = {"rope_parameters only": {k: v for k, v in config.items() if k not in ("rope_scaling", "rope_theta", "rope_local_base_freq")}}
    if "rope_scaling" in config:
        variants["rope_scaling and rope_theta only"] = {k: v for k, v in config.items() if k != "rope_parameters"}
        assert config["rope_scaling"]["type"] == config["rope_scaling"]["rope_type"]
    else:  # a default rope: the legacy readers need only the top-level thetas
        variants["rope_theta only"] = {k: v for k, v in config.items() if k != "rope_parameters"}
    for label, variant in variants.items():
        got = _resolved_frequencies(variant)
        assert got.keys() == full.keys(), label
        for key, (inv, scaling) in full.items():
            torch.testing.assert_close(got[key][0], inv, rtol=1e-12, atol=0, msg=label)
            assert got[key][1] == scaling, label


def test_qwen2_with_a_new_head_shape_goes_out_as_the_same_llama(model_dir, tmp_path):
    """vLLM, llama.cpp and mlx-lm size Qwen2's attention by hidden / heads; Llama with attention
    biases and a zero output bias computes exactly what the Qwen2 shrink computes, and they load it."""
    import transformers
    from safetensors.torch import save_file

    src = model_dir("qwen2")
    plan = shrink(src, tmp_path / "out", "mean", heads=4, kv_heads=2, head_dim=8)
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["model_type"] == "llama" and config["architectures"] == ["LlamaForCausalLM"]
    assert config["attention_bias"] is True and "use_sliding_window" not in config
    weights = tensors(tmp_path / "out")
    assert all(torch.count_nonzero(weights[f"model.layers.{i}.self_attn.o_proj.bias"]) == 0 for i in range(2))
    assert plan.exported_family.name == "llama" and plan.params_after == sum(t.numel() for t in weights.values())
    as_llama = hf_models.outputs(transformers.LlamaForCausalLM.from_pretrained(tmp_path / "out", dtype=torch.float32).eval())
    # the same weights read as the Qwen2 they were: no output bias, Qwen2's own config
    qwen = tmp_path / "as-qwen2"
    qwen.mkdir()
    save_file({k: v.contiguous() for k, v in weights.items() if not k.endswith("o_proj.bias")}, qwen / "model.safetensors",
              metadata={"format": "pt"})
    source_config = json.loads((src / "config.json").read_text())
    source_config.update(num_attention_heads=4, num_key_value_heads=2, head_dim=8)
    (qwen / "config.json").write_text(json.dumps(source_config))
    close(hf_models.outputs(hf_models.load("qwen2", qwen)), as_llama, tol=1e-5)


@pytest.mark.parametrize("family", ["gemma2", "gemma3_text"])
def test_gemma_head_size_changes_rewrite_its_scale_to_the_head_size(model_dir, tmp_path, family):
    """llama.cpp and Ollama ignore query_pre_attn_scalar and scale by the head size: the export makes the two equal."""
    plan = shrink(model_dir(family), tmp_path / "out", "mean", head_dim=8)
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["query_pre_attn_scalar"] == config["head_dim"] == 8
    assert plan.new_scale_base == 8.0
