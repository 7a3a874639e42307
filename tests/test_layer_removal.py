"""Fewer layers: exact where a layer changes nothing, consistent configs, loadable exports."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import hf_models
import tiny_text
from headmix.core.model.architecture import detect
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.errors import TargetError
from headmix.core.run.export import export
from headmix.core.shrink.layer_removal import LayerChoice, LayerMethod, ReducedCheckpoint, block_influence
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request

pytestmark = pytest.mark.interop
CALIB = dict(calib_tokens=256)


def four_layers(family: str, seed: int = 0):
    extra = {"n_layer": 4} if family == "gpt2" else {"num_hidden_layers": 4}
    if family.startswith("gemma"):
        extra["layer_types"] = ["sliding_attention", "full_attention", "sliding_attention", "full_attention"]
    return hf_models.build(family, seed=seed, **extra)


def blocks(model):
    return model.transformer.h if hasattr(model, "transformer") else model.model.layers


def silence(block) -> None:
    """Make a decoder layer change nothing: its attention and MLP write zeros to the residual stream."""
    with torch.no_grad():
        for name, p in block.named_parameters():
            if any(k in name for k in ("o_proj", "down_proj", "attn.c_proj", "mlp.c_proj")):
                p.zero_()


def save(model, folder):
    hf_models.save(model, folder)
    tiny_text.save_tokenizer(folder)
    return folder


def close(a, b, tol=2e-4):
    assert (a - b).abs().max().item() <= tol * max(a.abs().max().item(), 1.0), (a - b).abs().max().item()


@pytest.mark.parametrize("family", ["llama", "qwen2", "gemma2", "gpt2"])
def test_dropping_a_layer_that_changes_nothing_keeps_the_logits(tmp_path, family):
    model = four_layers(family)
    silence(blocks(model)[2])
    expected = hf_models.outputs(model)
    src = save(model, tmp_path / "src")
    plan = ShrinkRun.build(open_checkpoint(src), Request(num_layers=3, **CALIB))
    assert "4 -> 3" in plan.describe()
    out = export(plan, tmp_path / "out")
    record = json.loads((out / "headmix.json").read_text())["layer_reduction"]
    assert record["removed"] == [2] and record["layers"] == {"0": [0], "1": [1], "2": [3]}
    assert record["scores"][2] == pytest.approx(0.0, abs=1e-6)  # block influence of a layer that changes nothing
    shrunk = hf_models.load(family, out)
    assert len(blocks(shrunk)) == 3
    close(expected, hf_models.outputs(shrunk))


def test_merging_two_identical_layers_equals_dropping_one_of_them(tmp_path):
    """Averaging a layer with a copy of itself gives it back: the merged model is the original
    minus one copy. That equals the original (the layer applied twice) only where applying it
    twice equals applying it once, as for a layer that changes nothing; otherwise it does not."""
    model = four_layers("llama")
    with torch.no_grad():
        blocks(model)[2].load_state_dict(blocks(model)[1].state_dict())
    src = save(model, tmp_path / "src")
    checkpoint = open_checkpoint(src)
    arch = detect(checkpoint)
    merged = ReducedCheckpoint(checkpoint, arch, LayerChoice((0, 1, 3), {1: (2,)}, method=LayerMethod.MERGE))
    dropped = ReducedCheckpoint(checkpoint, arch, LayerChoice((0, 1, 3)))
    for name in merged.tensors:
        np.testing.assert_array_equal(np.asarray(merged.read(name)), np.asarray(dropped.read(name)), err_msg=name)
    assert set(merged.computed) and all(".layers.1." in n for n in merged.computed)
    # the layer applied twice is not the layer applied once here (it changes the stream)...
    export(ShrinkRun.build(merged, Request()), tmp_path / "merged")
    assert (hf_models.outputs(model) - hf_models.outputs(hf_models.load("llama", tmp_path / "merged"))).abs().max() > 1e-3
    # ...and is, once the duplicated layer changes nothing
    silence(blocks(model)[1])
    silence(blocks(model)[2])
    src2 = save(model, tmp_path / "src2")
    c2 = open_checkpoint(src2)
    export(ShrinkRun.build(ReducedCheckpoint(c2, detect(c2), LayerChoice((0, 1, 3), {1: (2,)}, method=LayerMethod.MERGE)),
                      Request()), tmp_path / "merged2")
    close(hf_models.outputs(model), hf_models.outputs(hf_models.load("llama", tmp_path / "merged2")))


def test_per_layer_config_lists_follow_the_kept_layers(tmp_path):
    model = four_layers("gemma3_text")  # sliding, full, sliding, full: every second layer global
    silence(blocks(model)[1])
    src = save(model, tmp_path / "src")
    config = json.loads((src / "config.json").read_text())
    config["sliding_window_pattern"] = 2  # true of the source, no longer of the kept layers (every third is global)
    (src / "config.json").write_text(json.dumps(config))
    out = export(ShrinkRun.build(open_checkpoint(src), Request(num_layers=3, **CALIB)), tmp_path / "out")
    new = json.loads((out / "config.json").read_text())
    assert new["num_hidden_layers"] == 3
    assert new["layer_types"] == ["sliding_attention", "sliding_attention", "full_attention"]
    assert new["sliding_window_pattern"] == 3  # the kept layers' period, which mlx-lm derives its layers from
    shrunk = hf_models.load("gemma3_text", out)
    assert shrunk.config.layer_types == new["layer_types"]
    # llama.cpp assumes Gemma 3's fixed period of 6 (its converter writes none), which the kept layers break
    verdicts = {v["runtime"]: v for v in json.loads((out / "headmix.json").read_text())["runtimes"]}
    assert verdicts["llama.cpp / Ollama (GGUF)"]["status"] == "no"  # (its first reason: the tiny model's scale 24 ≠ 16)
    assert verdicts["mlx-lm"]["status"] == "ok"


def test_fit_reproduces_the_removed_layer_better_than_dropping_it(tmp_path):
    model = four_layers("llama", seed=2)
    src = save(model, tmp_path / "src")
    results = {}
    for method in ("drop", "fit"):
        plan = ShrinkRun.build(open_checkpoint(src), Request(num_layers=3, layer_method=method, **CALIB))
        out = export(plan.final(), tmp_path / method)
        ids = torch.tensor(plan.reduction.choice is not None and _calibration_ids(plan))
        results[method] = (hf_models.outputs(model, ids) - hf_models.outputs(hf_models.load("llama", out), ids)).norm().item()
    assert results["fit"] < results["drop"]


def _calibration_ids(plan):
    from headmix.core.io.text import Settings, prepare_text

    return prepare_text(plan.source_checkpoint, None, Settings(64, 256)).windows.ids


def test_layer_targets_combine_with_head_targets_and_the_cli(tmp_path, capsys):
    from headmix.core.cli import main

    src = save(four_layers("llama"), tmp_path / "src")
    code = main(["shrink", str(src), "-o", str(tmp_path / "out"), "--num-layers", "3", "--layer-method", "merge",
                 "--heads", "4", "--kv-heads", "2", "--calib-tokens", "256"])
    assert code == 0, capsys.readouterr().err
    record = json.loads((tmp_path / "out" / "headmix.json").read_text())
    assert record["request"]["num_layers"] == 3 and record["layer_reduction"]["method"] == "merge"
    shrunk = hf_models.load("llama", tmp_path / "out")
    assert len(shrunk.model.layers) == 3 and shrunk.config.num_attention_heads == 4
    assert torch.isfinite(hf_models.outputs(shrunk)).all()


@pytest.mark.parametrize("family", ["gemma2", "gemma3_text"])
def test_fit_on_a_post_norm_family_reproduces_the_removed_layer_better_than_dropping_it(tmp_path, family):
    """Gemma 2/3 normalise the MLP output before the residual, so fit runs in the normalised space:
    the down projection turned towards what the removed run wrote, the post-MLP norm's gain refitted
    (issue 22: fit was refused there and plain drop was 19× the original on Gemma 3)."""
    model = four_layers(family, seed=2)
    src = save(model, tmp_path / "src")
    results = {}
    for method in ("drop", "fit"):
        plan = ShrinkRun.build(open_checkpoint(src), Request(num_layers=3, layer_method=method, **CALIB))
        out = export(plan.final(), tmp_path / method)
        if method == "fit":
            choice = plan.reduction.choice()
            assert choice.norms and set(choice.norms) <= set(choice.transforms)
            assert json.loads((out / "headmix.json").read_text())["layer_reduction"]["post_norm_refitted"]
        ids = torch.tensor(_calibration_ids(plan))
        results[method] = (hf_models.outputs(model, ids) - hf_models.outputs(hf_models.load(family, out), ids)).norm().item()
    assert results["fit"] < results["drop"], results


def test_the_normalised_fit_recovers_a_turn_and_a_gain_it_can_express():
    """``g' ⊙ rmsnorm(M·T) = δ`` exactly for some T and g': the fit removes most of the error that plain
    ``rmsnorm(M)`` leaves (not all: T and g' trade a scale per dim through the norm)."""
    from headmix.core.shrink.layer_removal import fit_normalised

    rng = np.random.default_rng(0)
    m = rng.normal(size=(4000, 8)) * rng.uniform(0.5, 3.0, size=(4000, 1))
    turn = np.eye(8) + 0.3 * rng.normal(size=(8, 8))
    true_gain = rng.uniform(0.5, 2.0, size=8)
    z = m @ turn
    delta = true_gain * z / np.sqrt(np.mean(z * z, axis=1, keepdims=True) + 1e-6)
    t, gain = fit_normalised(m, delta, np.ones(8), 1e-6, damping=1e-6)
    zt = m @ t
    got = gain * zt / np.sqrt(np.mean(zt * zt, axis=1, keepdims=True) + 1e-6)
    plain = np.ones(8) * m / np.sqrt(np.mean(m * m, axis=1, keepdims=True) + 1e-6)
    assert np.linalg.norm(got - delta) < 0.15 * np.linalg.norm(plain - delta)


def test_fit_is_refused_where_the_whole_stream_is_normalised_and_layers_with_some_layers_too(tmp_path):
    src = save(four_layers("bert"), tmp_path / "src")
    with pytest.raises(TargetError, match="normalise"):
        ShrinkRun.build(open_checkpoint(src), Request(num_layers=3, layer_method="fit"))
    gemma = save(four_layers("gemma2"), tmp_path / "gemma")
    with pytest.raises(TargetError, match="either fewer layers"):
        ShrinkRun.build(open_checkpoint(gemma), Request(num_layers=3, heads=4, layers="0-1"))


def test_block_influence_is_zero_exactly_for_a_layer_that_changes_nothing(tmp_path):
    model = four_layers("llama")
    silence(blocks(model)[3])
    checkpoint = open_checkpoint(save(model, tmp_path / "src"))
    scores = block_influence(checkpoint, detect(checkpoint), np.arange(32).reshape(2, 16) % 96)
    assert scores[3] == pytest.approx(0.0, abs=1e-6) and (scores[:3] > 1e-4).all()


def test_a_choice_reuses_the_scores_of_an_earlier_one_on_the_same_text(tmp_path, monkeypatch):
    import headmix.core.shrink.layer_removal as layer_removal

    checkpoint = open_checkpoint(save(four_layers("llama"), tmp_path / "src"))
    first = ShrinkRun.build(checkpoint, Request(num_layers=3, **CALIB))
    made = first.reduction.choice()
    monkeypatch.setattr(layer_removal, "block_influence", lambda *a, **k: pytest.fail("the text ran again"))
    for n, method in ((2, "drop"), (2, "merge"), (3, "drop")):
        plan = ShrinkRun.build(checkpoint, Request(num_layers=n, layer_method=method, **CALIB))
        assert plan.reduction.reuse(first.reduction)
        expected = layer_removal.choose(np.asarray(made.scores), n, LayerMethod(method))
        choice = plan.reduction.choice()
        assert (choice.kept, choice.merged, choice.scores) == (*expected, made.scores)
    # fit refits on the text for its kept layers; another text or token count scores anew
    assert not ShrinkRun.build(checkpoint, Request(num_layers=2, layer_method="fit", **CALIB)).reduction.reuse(first.reduction)
    assert not ShrinkRun.build(checkpoint, Request(num_layers=2, calib_tokens=128)).reduction.reuse(first.reduction)


def test_the_default_layer_method_is_fit_where_it_can_run_and_fit_is_never_quietly_drop(tmp_path):
    """The measured default (fit) with a tokenizer on a pre-norm or sandwich family; drop otherwise; and fit asked for on a
    model without a tokenizer is refused instead of quietly dropping."""
    bare = save(four_layers("llama"), tmp_path / "bare")
    (bare / "tokenizer.json").unlink()
    with pytest.raises(TargetError, match="no tokenizer.json"):
        ShrinkRun.build(open_checkpoint(bare), Request(num_layers=3, layer_method="fit"))
    assert ShrinkRun.build(open_checkpoint(bare), Request(num_layers=3)).reduction.method is LayerMethod.DROP
    tokenized = save(four_layers("llama"), tmp_path / "tokenized")
    assert ShrinkRun.build(open_checkpoint(tokenized), Request(num_layers=3)).reduction.method is LayerMethod.FIT
    gemma = save(four_layers("gemma2"), tmp_path / "gemma")  # post-norm: fit in the normalised space (issue 22)
    assert ShrinkRun.build(open_checkpoint(gemma), Request(num_layers=3)).reduction.method is LayerMethod.FIT


def test_fewer_layers_and_the_calibrated_method_tokenise_the_calibration_text_once(tmp_path, monkeypatch):
    """The layer choice and the calibrated method on the kept layers read the same text with the same tokenizer:
    the run tokenises it once and both use it (it used to be tokenised once for each)."""
    import headmix.core.io.text as text

    cut = []
    original = text.cut_windows
    monkeypatch.setattr(text, "cut_windows", lambda *a, **k: cut.append(1) or original(*a, **k))
    src = save(four_layers("llama"), tmp_path / "src")
    plan = ShrinkRun.build(open_checkpoint(src), Request(num_layers=3, layer_method="fit", heads=4, kv_heads=2,
                                                         method="calibrated", **CALIB))
    out = export(plan, tmp_path / "out")
    assert len(cut) == 1
    assert len(hf_models.load("llama", out).model.layers) == 3
