"""The calibrated method on tiny random models: exact where the answer is known, never worse than its prior, deterministic."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

import hf_models
import tiny_text
from headmix.core.run.calibration import CalibrationOptions
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.cli import main
from headmix.core.errors import TargetError
from headmix.core.run.export import export
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request

pytestmark = pytest.mark.interop
CALIB = dict(calib_tokens=256)


def save_with_tokenizer(model, folder):
    hf_models.save(model, folder)
    tiny_text.save_tokenizer(folder)
    return folder


def close(a, b, tol=2e-4):
    scale = a.abs().max().item()
    assert (a - b).abs().max().item() <= tol * max(scale, 1.0), f"max |diff| {(a - b).abs().max().item():.3g}"


def heads(w: torch.Tensor, n: int) -> torch.Tensor:
    return w.view(n, w.shape[0] // n, *w.shape[1:])


def test_a_dropped_head_that_repeats_a_kept_one_is_absorbed_exactly_by_the_refit(tmp_path):
    """Query heads 2k and 2k+1 attend identically but write through different output columns:
    keeping one per kv head and refitting the output projection reproduces the layer exactly on
    the calibration text (outside what the text excites, damping keeps the uncompensated
    projection); without the refit it does not."""
    model = hf_models.build("llama")
    with torch.no_grad():
        for layer in model.model.layers:
            q = heads(layer.self_attn.q_proj.weight, 8)
            q[1::2] = q[0::2]
    src = save_with_tokenizer(model, tmp_path / "src")
    plan = ShrinkRun.build(open_checkpoint(src), Request(heads=4, method="calibrated", **CALIB))
    plan.calibration_options = CalibrationOptions(damping=1e-9)  # damping pulls towards the prior: exact only without it
    export(plan, tmp_path / "out")
    ids = torch.tensor(plan.calibrator.sample.windows.ids)
    expected = hf_models.outputs(model, ids)
    close(expected, hf_models.outputs(hf_models.load("llama", tmp_path / "out"), ids))
    assert all(f.refitted and f.error < 1e-4 < f.error_before_fit for f in plan.calibrator.report().fits)

    unfitted = ShrinkRun.build(open_checkpoint(src), Request(heads=4, method="calibrated", **CALIB))
    unfitted.calibration_options = CalibrationOptions(compensate=False)
    export(unfitted, tmp_path / "unfitted")
    assert (expected - hf_models.outputs(hf_models.load("llama", tmp_path / "unfitted"), ids)).abs().max() > 1e-2


def test_query_heads_chosen_by_the_refit_keep_the_head_nothing_else_writes(tmp_path):
    """In each group of three query heads (6 over 2 kv heads), head 3k+1 repeats head 3k (queries and output
    columns) and head 3k+2 writes something else, more quietly. Keeping 2 per kv head, energy keeps the two
    loud copies and loses head 3k+2; ``query_heads="fit"`` keeps one copy and the quiet head, and the refit
    (doubling the copy's output columns) reproduces the model exactly."""
    model = hf_models.build("llama", num_attention_heads=6, num_key_value_heads=2, head_dim=8)
    with torch.no_grad():
        for layer in model.model.layers:
            q = heads(layer.self_attn.q_proj.weight, 6)
            q[1::3] = q[0::3]
            o = layer.self_attn.o_proj.weight.view(48, 6, 8)
            o[:, 1::3] = o[:, 0::3]
            o[:, 2::3] *= 0.3
    src = save_with_tokenizer(model, tmp_path / "src")
    ids = None
    for choice in ("fit", "energy"):
        plan = ShrinkRun.build(open_checkpoint(src), Request(heads=4, method="calibrated", **CALIB))
        # the default chooses by the fit (damping towards the prior would keep the fit from being exact)
        plan.calibration_options = CalibrationOptions(damping=1e-9, **({} if choice == "fit" else {"query_heads": choice}))
        export(plan, tmp_path / choice)
        ids = torch.tensor(plan.calibrator.sample.windows.ids)
        kept = [np.flatnonzero(plan.mixing(i).q.heads.any(axis=1)).tolist() for i in plan.layers]
        gap = (hf_models.outputs(model, ids) - hf_models.outputs(hf_models.load("llama", tmp_path / choice), ids)).abs().max()
        if choice == "fit":
            assert all(len(k) == 4 and {2, 5} <= set(k) for k in kept)  # one of each pair of copies, either one
            assert gap < 1e-3
        else:
            assert kept == [[0, 1, 3, 4]] * 2
            assert gap > 1e-2


def _complex_scaled(w: torch.Tensor, d: int, factors: np.ndarray) -> torch.Tensor:
    """Rows of one head's key projection multiplied, pair by pair, by complex factors."""
    half = d // 2
    a = torch.tensor(factors.real, dtype=w.dtype)[:, None]
    b = torch.tensor(factors.imag, dtype=w.dtype)[:, None]
    re, im = w[:half], w[half:]
    return torch.cat([a * re - b * im, b * re + a * im])


@pytest.mark.parametrize("family", ["llama", "qwen2", "gemma2"])
def test_kv_heads_equal_up_to_a_rotation_per_pair_merge_exactly(tmp_path, family):
    """kv heads 1 and 3 are heads 0 and 2 with every rotary pair multiplied by a complex number and the
    values turned by an orthogonal matrix: the RoPE-aware merge (4 kv heads → 2, every query head kept)
    finds the pairs by similarity and changes nothing."""
    rng = np.random.default_rng(0)
    model = hf_models.build(family)
    with torch.no_grad():
        for layer in model.model.layers:
            attn = layer.self_attn
            k, v = heads(attn.k_proj.weight, 4), heads(attn.v_proj.weight, 4)
            kb = heads(attn.k_proj.bias, 4) if attn.k_proj.bias is not None else None
            vb = heads(attn.v_proj.bias, 4) if attn.v_proj.bias is not None else None
            for src, dst in ((0, 3), (2, 1)):  # not neighbours: grouping must follow similarity, not index
                factors = rng.normal(size=8) * np.exp(1j * rng.uniform(0, 2 * np.pi, 8))
                k[dst] = _complex_scaled(k[src], 16, factors)
                rotation = torch.tensor(np.linalg.qr(rng.normal(size=(16, 16)))[0], dtype=v.dtype)
                v[dst] = rotation @ v[src]
                if kb is not None:
                    kb[dst] = _complex_scaled(kb[src][:, None], 16, factors)[:, 0]
                    vb[dst] = rotation @ vb[src]
    expected = hf_models.outputs(model)
    src = save_with_tokenizer(model, tmp_path / "src")
    plan = ShrinkRun.build(open_checkpoint(src), Request(kv_heads=2, method="calibrated", **CALIB))
    plan.calibration_options = CalibrationOptions(compensate=False)  # exact without any refit
    export(plan, tmp_path / "out")
    groups = [sorted(np.flatnonzero(plan.mixing(i).k.heads[:, j]).tolist()) for i in plan.layers for j in range(2)]
    assert all(g in ([0, 3], [1, 2]) for g in groups)
    close(expected, hf_models.outputs(hf_models.load(family, tmp_path / "out")))


@pytest.mark.parametrize("targets", [dict(heads=4, kv_heads=2), dict(head_dim=8), dict(heads=2, kv_heads=1)])
def test_the_refit_never_raises_the_calibration_error(model_dir, tmp_path, targets):
    src = tmp_path / "src"
    save_with_tokenizer(hf_models.build("qwen2", seed=3), src)
    plan = ShrinkRun.build(open_checkpoint(src), Request(method="calibrated", **targets, **CALIB))
    for i in plan.layers:
        plan.mixing(i)
    fits = plan.calibrator.report().fits
    assert [f.layer for f in fits] == list(plan.layers)
    assert all(f.error <= f.error_before_fit + 1e-12 for f in fits)
    assert any(f.refitted for f in fits)


def test_same_text_and_request_give_the_same_bytes(tmp_path):
    src = save_with_tokenizer(hf_models.build("llama", seed=5), tmp_path / "src")
    digests = []
    for name in ("a", "b"):
        export(ShrinkRun.build(open_checkpoint(src), Request(heads=4, kv_heads=2, head_dim=8, **CALIB)), tmp_path / name)
        h = hashlib.sha256()
        for f in sorted((tmp_path / name).iterdir()):
            if f.name != "headmix.json":  # it names the output's own source path and time-free facts only
                h.update(f.read_bytes())
        digests.append(h.hexdigest())
    assert digests[0] == digests[1]


def test_calibrated_is_the_default_with_a_tokenizer_and_headmix_json_records_the_text(tmp_path, capsys):
    src = save_with_tokenizer(hf_models.build("llama"), tmp_path / "src")
    text = tmp_path / "calibration.txt"
    text.write_text(tiny_text.sample_text(600, 7))
    code = main(["shrink", str(src), "-o", str(tmp_path / "out"), "--heads", "4", "--calib-text", str(text),
                 "--calib-tokens", "300"])
    assert code == 0, capsys.readouterr().err
    record = json.loads((tmp_path / "out" / "headmix.json").read_text())
    assert record["method"] == "calibrated"
    calibration = record["calibration"]
    assert calibration["sha256"] == hashlib.sha256(text.read_text().encode()).hexdigest()
    assert 200 <= calibration["tokens"] <= 300 and len(calibration["layers"]) == 2
    assert all(0 <= layer["error"] <= layer["error_before_fit"] for layer in calibration["layers"])
    assert record["request"]["calib_tokens"] == 300


def test_without_a_tokenizer_the_default_is_data_free_and_calibrated_is_refused(model_dir):
    checkpoint = open_checkpoint(model_dir("llama"))  # saved by transformers without a tokenizer
    assert ShrinkRun.build(checkpoint, Request(heads=4)).method.value == "mean"
    with pytest.raises(TargetError) as info:
        ShrinkRun.build(checkpoint, Request(heads=4, method="calibrated"))
    assert info.value.field == "method" and "tokenizer.json" in str(info.value)


def test_calibration_windows_start_with_the_bos_every_other_window(tmp_path):
    """Fitted only on BOS-started windows, a shrink can collapse on windows without one (issue 22):
    calibration sees both kinds."""
    src = save_with_tokenizer(hf_models.build("llama"), tmp_path / "src")
    text = tmp_path / "calibration.txt"
    text.write_text(tiny_text.sample_text(600, 7))
    checkpoint = open_checkpoint(src)
    plan = ShrinkRun.build(checkpoint, Request(heads=4, method="calibrated", calib_text=str(text), calib_tokens=300))
    windows = plan.calibrator.sample.windows
    bos = windows.bos_id
    assert bos is not None and windows.count >= 2
    assert list(windows.ids[:, 0] == bos) == [i % 2 == 0 for i in range(windows.count)]


def test_the_default_calibration_text_mixes_genres_and_lists_its_sources(tmp_path):
    """The default calibration text holds every genre users run within its first 4,096 tokens
    (about 12,000 characters), and SOURCES.md lists each part with its licence."""
    from headmix.core.io.text import CALIBRATION_TEXT, read_calibration_text

    text = read_calibration_text()
    assert text.source == "default calibration text"
    head = text.content[:12_000]
    assert any("\u4e00" <= c <= "\u9fff" for c in head)  # Chinese
    assert "def " in head and "return " in head  # source code
    assert "Apache License" in head  # legal
    assert "User:" in head and "Assistant:" in head  # dialogue
    assert "Parameters\n----------" in head  # technical (numpy docstrings)
    sources = (CALIBRATION_TEXT.parent / "SOURCES.md").read_text(encoding="utf-8")
    for licence in ("MIT", "BSD-3-Clause", "Apache-2.0"):
        assert licence in sources
    src = save_with_tokenizer(hf_models.build("llama"), tmp_path / "src")
    plan = ShrinkRun.build(open_checkpoint(src), Request(heads=4, method="calibrated", calib_tokens=300))
    assert plan.calibrator.report().text == "default calibration text"


@pytest.mark.parametrize("family", ["gemma3_text", "qwen3"])
def test_qk_norm_weights_are_refitted_for_a_smaller_head_size(tmp_path, family):
    """A qk-norm over d' kept dims divides by their own RMS, not the head's: the kept dims grow by
    rms(all)/rms(kept) per token, not by rule 2's uniform sqrt(d/d'). Refitting each kept dim's
    q_norm/k_norm weight on the normalised activations reproduces the attention better (issue 22:
    Gemma's head size 256 → 128 was 39× the original's perplexity). An option: on held-out text the
    rule measured better (README, the worst case)."""
    src = save_with_tokenizer(hf_models.build(family), tmp_path / "src")
    checkpoint = open_checkpoint(src)
    text = tmp_path / "calibration.txt"
    text.write_text(tiny_text.sample_text(600, 7))
    errors = {}
    for how in ("rule", "refit"):
        plan = ShrinkRun.build(checkpoint, Request(head_dim="1/2", method="calibrated", calib_text=str(text), calib_tokens=300))
        plan.calibration_options = CalibrationOptions(qk_norm=how)
        for index in plan.layers:
            plan.calibrator.mixing(index)
        fits = plan.calibrator.report().fits
        assert len(fits) == len(plan.layers)
        errors[how] = [f.error_before_fit for f in fits]
        mixing = plan.calibrator.mixing(0)
        if how == "refit":
            assert set(mixing.replace) >= {"q_norm", "k_norm"}
            assert mixing.replace["q_norm"].shape == (plan.head_dim,)
        else:  # the default
            assert CalibrationOptions().qk_norm == "rule" and "q_norm" not in mixing.replace
    assert np.mean(errors["refit"]) < np.mean(errors["rule"]), errors


@pytest.mark.parametrize("family", ["llama", "qwen2", "gemma2"])
def test_query_pair_factors_bring_the_shrunk_attention_closer_before_the_refit(tmp_path, family):
    """Dropped rotary pairs (head size 16 → 8) change every logit; a complex factor per kept pair and query
    head, fitted to the softmax's view of the logits (temperature="pairs"), brings the first layer's attention
    output closer to the original's than rule 2's uniform factor does, on the same input (layer 0 sees the
    embeddings either way). A kv merge alone keeps its queries as the merge made them."""
    src = save_with_tokenizer(hf_models.build(family, seed=3), tmp_path / "src")
    errors, queries = {}, {}
    for how in ("rule", "pairs"):  # pairs: the default
        plan = ShrinkRun.build(open_checkpoint(src), Request(method="calibrated", head_dim=8, **CALIB))
        plan.calibration_options = CalibrationOptions(temperature=how) if how == "rule" else None
        plan.mixing(plan.layers[0])
        errors[how] = plan.calibrator.report().fits[0].error_before_fit
        merge = ShrinkRun.build(open_checkpoint(src), Request(method="calibrated", kv_heads=2, **CALIB))
        merge.calibration_options = CalibrationOptions(temperature=how)
        queries[how] = merge.mixing(merge.layers[0]).q.dims
    assert errors["pairs"] < 0.9 * errors["rule"], errors
    np.testing.assert_array_equal(queries["pairs"], queries["rule"])


@pytest.mark.parametrize("family", ["llama", "gemma3_text"])
def test_value_dims_by_what_the_output_writes_bring_the_refit_closer(tmp_path, family):
    """Head size 16 → 8: the value directions that keep the most of what the output projection writes
    (value_basis="output") leave the first layer's refitted attention closer to the original's than the
    values' own principal directions do (layer 0 sees the embeddings either way)."""
    src = save_with_tokenizer(hf_models.build(family, seed=3), tmp_path / "src")
    errors = {}
    for how in ("pca", "output"):
        plan = ShrinkRun.build(open_checkpoint(src), Request(method="calibrated", head_dim=8, **CALIB))
        plan.calibration_options = CalibrationOptions(value_basis=how)
        plan.mixing(plan.layers[0])
        errors[how] = plan.calibrator.report().fits[0].error
    assert errors["output"] < 0.97 * errors["pca"], errors
