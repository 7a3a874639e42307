"""Perplexity and the error a plan causes: against transformers, against the exported model, and exact cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import hf_models
import tiny_text
from headmix.core.model import attention, forward, forward_spec, layer_step
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.errors import HeadmixError
from headmix.core.run.export import export
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.run.quality import (
    ModelQuality, PlanQuality, evaluate_model, evaluate_plan, evaluation_key,
)  # fmt: skip
from headmix.core.plan.request import Request
from headmix.core.io.text import (
    QualityUnavailable, Settings, Text, TextError, cut_windows, load_tokenizer, prepare_text, read_text,
)  # fmt: skip

pytestmark = pytest.mark.interop
SETTINGS = Settings(window=16, max_tokens=200)


def text(seed: int = 0, words: int = 400) -> Text:
    content = tiny_text.sample_text(words, seed)
    import hashlib

    return Text(content, f"sample {seed}", hashlib.sha256(content.encode()).hexdigest())


def model_folder(tmp_path, family: str, name: str = "src", dtype: str = "float32", model=None, **tokenizer) -> tuple:
    model = model if model is not None else hf_models.build(family)
    folder = hf_models.save(model, tmp_path / name, dtype)
    tiny_text.save_tokenizer(folder, **tokenizer)
    return folder, model


@torch.no_grad()
def torch_perplexity(model, ids: np.ndarray) -> float:
    logits = model(input_ids=torch.tensor(ids)).logits.double()
    logp = torch.log_softmax(logits[:, :-1], dim=-1)
    nll = -logp.gather(-1, torch.tensor(ids[:, 1:, None])).squeeze(-1)
    return math.exp(nll.mean().item())


@pytest.mark.parametrize("family, bos", [("llama", True), ("gpt2", False), ("gemma2", True), ("qwen3", False)])
def test_perplexity_equals_transformers(tmp_path, family, bos):
    folder, model = model_folder(tmp_path, family, add_bos=bos)
    sample = prepare_text(open_checkpoint(folder), text(), SETTINGS)
    ids = sample.windows.ids
    assert ids.shape == (200 // (16 - bos), 16)
    assert (ids[:, 0] == 1).all() == bos
    assert sample.info.scored_tokens == ids.shape[0] * (ids.shape[1] - 1)
    result = evaluate_model(open_checkpoint(folder), sample)
    assert result.perplexity.tokens == sample.info.scored_tokens
    assert result.perplexity.perplexity == pytest.approx(torch_perplexity(model, ids), rel=1e-5)
    assert ModelQuality.from_json(json.loads(json.dumps(result.to_json()))) == result


def _shrink_and_compare(tmp_path, folder, request: Request, dtype_tol: float = 1e-5):
    """evaluate_plan's 'after' equals the exported model evaluated on its own; 'before' the source."""
    checkpoint = open_checkpoint(folder)
    plan = ShrinkRun.build(checkpoint, request)
    sample = prepare_text(checkpoint, text(), SETTINGS)
    result = evaluate_plan(plan, sample)
    export(plan, tmp_path / "out")
    exported = open_checkpoint(tmp_path / "out")
    assert result.before.perplexity == pytest.approx(evaluate_model(checkpoint, sample).perplexity.perplexity, rel=1e-6)
    assert result.after.perplexity == pytest.approx(evaluate_model(exported, sample).perplexity.perplexity, rel=dtype_tol)
    original = forward.run(checkpoint, sample.windows.ids).hidden
    shrunk = forward.run(exported, sample.windows.ids).hidden
    expected_error = np.linalg.norm(shrunk - original) / np.linalg.norm(original)
    assert result.hidden_error == pytest.approx(expected_error, rel=1e-3)
    assert result.hidden_error > 1e-3  # the shrink did something, so the comparisons above mean something
    assert PlanQuality.from_json(json.loads(json.dumps(result.to_json()))) == result
    return plan, result


@pytest.mark.parametrize("family, request_", [
    ("llama", Request(heads=4, kv_heads=2, head_dim=8, method="select")),   # arbitrary kept pairs: longrope
    ("gemma3_text", Request(heads=4, head_dim=8, method="mean")),           # per-layer-type rope, qk-norm
    ("qwen2", Request(kv_heads=2, method="random", seed=3)),                # biases
    ("phi3", Request(heads=4, kv_heads=2, method="select")),                # fused qkv
    ("llama", Request(heads=4, head_dim=8, method="article")),              # float64 mixing, mixed rotary dims
    ("phi3-partial", Request(heads=4, kv_heads=2, method="mean")),          # partial rotary: 8 of 16 dims rotate
])  # fmt: skip
def test_plan_in_memory_equals_exported_model(tmp_path, family, request_):
    model = hf_models.build("phi3", partial_rotary_factor=0.5) if family == "phi3-partial" else None
    folder, _ = model_folder(tmp_path, family.removesuffix("-partial"), model=model)
    _shrink_and_compare(tmp_path, folder, request_)


def test_gpt2_select_in_memory_equals_pruning(tmp_path):
    """A shrunk GPT-2 does not load anywhere (head size is hidden / heads), so check the in-memory plan
    against the design note's invariant instead: selecting heads = zeroing the dropped heads' output."""
    folder, model = model_folder(tmp_path, "gpt2")
    checkpoint = open_checkpoint(folder)
    plan = ShrinkRun.build(checkpoint, Request(heads=3, method="select"))
    sample = prepare_text(checkpoint, text(), SETTINGS)
    result = evaluate_plan(plan, sample)
    with torch.no_grad():
        for i, block in enumerate(model.transformer.h):
            kept = plan.mixing(i).q.heads.any(axis=1)
            rows = block.attn.c_proj.weight.view(6, 8, 48)  # Conv1D (in, out): rows are head units
            rows[~torch.from_numpy(kept)] = 0
    pruned, _ = model_folder(tmp_path, "gpt2", name="pruned", model=model)
    expected = evaluate_model(open_checkpoint(pruned), sample).perplexity.perplexity
    assert result.after.perplexity == pytest.approx(expected, rel=1e-5)
    assert abs(result.after.perplexity - result.before.perplexity) > 1e-3 * result.before.perplexity


def test_plan_in_memory_rounds_like_the_bf16_export(tmp_path):
    folder, _ = model_folder(tmp_path, "qwen3", dtype="bfloat16")
    _shrink_and_compare(tmp_path, folder, Request(heads=4, kv_heads=2, head_dim=8, method="mean"), dtype_tol=1e-6)


def test_duplicated_heads_merged_by_mean_change_nothing(tmp_path):
    """The design note's exact case, measured: errors vanish and perplexity stays."""
    model = hf_models.build("llama")
    with torch.no_grad():
        for layer in model.model.layers:
            attn = layer.self_attn
            for proj, n in ((attn.q_proj, 8), (attn.k_proj, 4), (attn.v_proj, 4)):
                w = proj.weight.view(n, 16, -1)
                w[1::2] = w[0::2]
            q = attn.q_proj.weight.view(8, 16, -1)
            q[2:4] = q[0:2]
            q[6:8] = q[4:6]
    folder, _ = model_folder(tmp_path, "llama", model=model)
    checkpoint = open_checkpoint(folder)
    result = evaluate_plan(ShrinkRun.build(checkpoint, Request(heads=4, kv_heads=2, method="mean")),
                           prepare_text(checkpoint, text(), SETTINGS))
    assert result.after.perplexity == pytest.approx(result.before.perplexity, rel=1e-5)
    assert result.hidden_error < 1e-5
    assert all(e.changed and e.attention_error < 1e-5 for e in result.layers)


def test_per_layer_errors_where_the_plan_changes(tmp_path):
    folder, _ = model_folder(tmp_path, "llama")
    checkpoint = open_checkpoint(folder)
    sample = prepare_text(checkpoint, text(), SETTINGS)
    result = evaluate_plan(ShrinkRun.build(checkpoint, Request(heads=2, kv_heads=1, method="mean", layers="1")), sample)
    first, second = result.layers
    assert (first.layer, first.changed, first.attention_error, first.hidden_error) == (0, False, 0.0, 0.0)
    assert second.changed and second.attention_error > 0.05 and second.hidden_error > 0
    # the attention error of layer 1, recomputed by hand from layer 0's output
    arch, spec = forward.prepare(checkpoint)
    h = forward.run(checkpoint, sample.windows.ids, keep_layers=True).layers[0]
    from headmix.core.shrink.mixing import mix_layer
    from headmix.core.model.pipeline import read_layer

    plan = ShrinkRun.build(checkpoint, Request(heads=2, kv_heads=1, method="mean", layers="1"))
    weights = read_layer(checkpoint, arch.layers[1])
    x = layer_step.attention_input(spec, weights.other, h)
    original = attention.attention(forward_spec.attention_spec(arch, arch.layers[1]), weights.attention, x)
    shrunk = attention.attention(forward_spec.attention_spec(arch, arch.layers[1], 2, 1, 16),
                                 mix_layer(arch.layers[1], plan.mixing(1), weights.attention), x)
    expected = np.linalg.norm(shrunk - original) / np.linalg.norm(original)
    assert second.attention_error == pytest.approx(expected, rel=1e-4)


def test_identity_plan_changes_nothing(tmp_path):
    folder, _ = model_folder(tmp_path, "gemma2")
    checkpoint = open_checkpoint(folder)
    result = evaluate_plan(ShrinkRun.build(checkpoint, Request()), prepare_text(checkpoint, text(), SETTINGS))
    assert result.after == result.before and result.hidden_error == 0.0
    assert [e.attention_error for e in result.layers] == [0.0, 0.0]


def test_encoder_reports_hidden_error_and_embedding_cosine(tmp_path):
    model = hf_models.build("bert")
    with torch.no_grad():  # heads in identical pairs: merging them by mean is exact
        for layer in model.encoder.layer:
            for proj in (layer.attention.self.query, layer.attention.self.key, layer.attention.self.value):
                proj.weight.view(6, 8, -1)[1::2] = proj.weight.view(6, 8, -1)[0::2]
                proj.bias.view(6, 8)[1::2] = proj.bias.view(6, 8)[0::2]
    folder, _ = model_folder(tmp_path, "bert", model=model)
    checkpoint = open_checkpoint(folder)
    sample = prepare_text(checkpoint, text(), SETTINGS)
    with pytest.raises(QualityUnavailable, match="encoder, so perplexity does not apply"):
        evaluate_model(checkpoint, sample)
    exact = evaluate_plan(ShrinkRun.build(checkpoint, Request(heads=3, method="mean")), sample)
    assert exact.before is None and exact.after is None
    assert exact.hidden_error < 1e-5 and exact.embedding_cosine == pytest.approx(1.0, abs=1e-6)
    lossy = evaluate_plan(ShrinkRun.build(checkpoint, Request(heads=3, method="article")), sample)
    assert lossy.hidden_error > 0.05 and lossy.embedding_cosine < 0.999
    # the cosine, recomputed from the two streams' final hidden states
    assert -1 <= lossy.embedding_cosine <= 1


def test_cache_key_follows_plan_text_and_settings(tmp_path):
    folder, _ = model_folder(tmp_path, "llama")
    checkpoint = open_checkpoint(folder)
    a = prepare_text(checkpoint, text(0), SETTINGS)
    b = prepare_text(checkpoint, text(1), SETTINGS)
    c = prepare_text(checkpoint, text(0), Settings(window=8, max_tokens=200))
    plan = ShrinkRun.build(checkpoint, Request(heads=4, method="mean"))
    same = ShrinkRun.build(checkpoint, Request(heads="1/2", method="mean"))
    other = ShrinkRun.build(checkpoint, Request(heads=4, method="random", seed=1))
    assert evaluation_key(checkpoint, a.info, plan) == evaluation_key(checkpoint, a.info, same)
    keys = {evaluation_key(checkpoint, a.info, plan), evaluation_key(checkpoint, b.info, plan),
            evaluation_key(checkpoint, c.info, plan), evaluation_key(checkpoint, a.info, other),
            evaluation_key(checkpoint, a.info, None)}
    assert len(keys) == 5
    assert evaluate_plan(plan, a).key == evaluation_key(checkpoint, a.info, plan)


def test_progress_counts_layers_then_the_head_and_cancel_stops(tmp_path):
    folder, _ = model_folder(tmp_path, "llama")
    checkpoint = open_checkpoint(folder)
    sample = prepare_text(checkpoint, text(), SETTINGS)
    plan = ShrinkRun.build(checkpoint, Request(heads=4))
    seen = []
    evaluate_plan(plan, sample, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    calls = []

    def cancel_after_first_layer():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(HeadmixError, match="cancelled"):
        evaluate_plan(plan, sample, cancelled=cancel_after_first_layer)


# --------------------------------------------------------------------------- text and tokenizer


def test_bos_conventions(tmp_path):
    """tokenizer_config.json's add_bos_token decides when present, else the post-processor."""
    cases = {(None, True): 1, (None, False): None, (False, True): None, (True, False): 1}
    for (add_bos, post), expected in cases.items():
        folder = tiny_text.save_tokenizer(tmp_path / f"{add_bos}-{post}", add_bos=add_bos, post_processor_bos=post)
        assert load_tokenizer(folder).bos_id == expected, (add_bos, post)


def test_tokenizer_problems_are_named(tmp_path):
    with pytest.raises(QualityUnavailable, match="there is no tokenizer.json, so the quality check is unavailable"):
        load_tokenizer(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(QualityUnavailable, match="tokenizer.json: not a tokenizer file"):
        load_tokenizer(tmp_path)
    folder = tiny_text.save_tokenizer(tmp_path / "t", add_bos=True)
    (folder / "tokenizer_config.json").write_text(json.dumps({"add_bos_token": True, "bos_token": "<bos>"}))
    with pytest.raises(QualityUnavailable, match="'bos_token' is '<bos>', which is not in tokenizer.json"):
        load_tokenizer(folder)


def test_text_problems_are_named(tmp_path):
    with pytest.raises(TextError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(TextError, match=r"not UTF-8 text \(byte 3 is 0xe9\)"):
        read_text(tmp_path / "latin1.txt")
    (tmp_path / "empty.txt").write_text(" \n\t\n")
    with pytest.raises(TextError, match="holds no text"):
        read_text(tmp_path / "empty.txt")
    (tmp_path / "bom.txt").write_bytes("\ufeffhello".encode())
    assert read_text(tmp_path / "bom.txt").content == "hello"
    with pytest.raises(TextError, match="10 tokens is shorter than one window of 16 tokens"):
        cut_windows(np.arange(10), 16, 100, None, "short.txt")
    with pytest.raises(TextError, match=r"12 tokens \(--max-tokens 12\) is shorter"):
        cut_windows(np.arange(40), 16, 12, None)
    windows = cut_windows(np.arange(50), 16, 100, 7)  # BOS + 15 text tokens a window
    assert windows.ids.shape == (3, 16) and (windows.ids[:, 0] == 7).all() and windows.ids[1, 1] == 15
    assert windows.predicted == 45
    windows = cut_windows(np.arange(50), 16, 100, None)
    assert windows.ids.shape == (3, 16) and windows.ids[1, 0] == 16 and windows.predicted == 45
    with pytest.raises(TextError, match="15 tokens is shorter than one window of 16"):
        cut_windows(np.arange(15), 16, 100, None)
    assert cut_windows(np.arange(15), 16, 100, 7).count == 1


def test_windows_with_the_bos_on_every_other_window():
    """'alternate' (how calibration cuts its text, issue 22): even windows start with the BOS, odd
    ones are running text, so a shrink is fitted to windows with and without it."""
    both = cut_windows(np.arange(100), 10, 100, 999, bos="alternate")
    assert both.places == "alternate" and not both.first_only
    assert list(both.ids[:, 0] == 999) == [i % 2 == 0 for i in range(both.count)]
    assert both.count == 10 and both.ids.shape[1] == 10
    assert np.array_equal(both.ids[both.ids != 999], np.arange(int((both.ids != 999).sum())))
    assert both.predicted == both.count * 9
    # without a BOS every placement is the same windows
    assert np.array_equal(cut_windows(np.arange(100), 10, 100, None, bos="alternate").ids,
                          cut_windows(np.arange(100), 10, 100, None).ids)
    with pytest.raises(TextError, match="BOS placement"):
        cut_windows(np.arange(100), 10, 100, 999, bos="never")


def test_cache_key_follows_the_alternate_bos_placement(tmp_path):
    folder, _ = model_folder(tmp_path, "llama", add_bos=True)
    checkpoint = open_checkpoint(folder)
    every = prepare_text(checkpoint, text(0), SETTINGS)
    alternate = prepare_text(checkpoint, text(0), Settings(SETTINGS.window, SETTINGS.max_tokens, "alternate"))
    assert every.info.bos is not None
    assert alternate.info.bos_places == "alternate" and not alternate.info.bos_first_only
    assert evaluation_key(checkpoint, every.info) != evaluation_key(checkpoint, alternate.info)
