"""A verdict per runtime, said before anything runs, recorded in headmix.json after the export."""

from __future__ import annotations

import json

import numpy as np
import pytest

import synthetic
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.export import export
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request
from headmix.core.plan.runtimes import RUNTIMES, Status

GGUF = "llama.cpp / Ollama (GGUF)"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("runtimes")
    # hidden 24 for the Llama-style families: 6 heads of 4 fill it, so a head-size change does not
    return {
        family: open_checkpoint(synthetic.write(root / family, family, 2, 6, 3 if family != "gpt2" else 6, 4 if family != "gpt2" else 4))
        for family in ("llama", "qwen2", "qwen3")
    } | {"llama-wide": open_checkpoint(synthetic.write(root / "llama-wide", "llama", 2, 6, 3, 8))}


def status(plan, runtime):
    return {v.runtime: v for v in plan.verdicts()}[runtime]


def test_every_runtime_gets_a_verdict_with_a_reason(models):
    plan = ShrinkRun.build(models["llama"], Request(heads=3))
    found = plan.verdicts()
    assert [v.runtime for v in found] == list(RUNTIMES)
    assert all(v.reason for v in found)


def test_a_progression_of_pairs_runs_everywhere_but_a_subset_does_not_in_llama_cpp(models):
    progression = ShrinkRun.build(models["llama-wide"], Request(head_dim=4, method="select"))
    subset = ShrinkRun.build(models["llama-wide"], Request(head_dim=4, method="select", rotary_pairs="any"))
    assert status(progression, GGUF).status is Status.OK
    assert status(subset, GGUF).status is Status.NO and "longrope" in status(subset, GGUF).reason
    assert status(subset, "vLLM").status is Status.OK and status(subset, "transformers").status is Status.OK


def test_qwen2_with_a_new_head_shape_is_portable_because_it_goes_out_as_llama(models):
    plan = ShrinkRun.build(models["qwen2"], Request(heads=3, kv_heads=3, head_dim=4))
    assert plan.exported_family.name == "llama"
    assert {v.runtime: v.status for v in plan.verdicts()} == {
        "transformers": Status.OK, "vLLM": Status.OK, GGUF: Status.OK, "mlx-lm": Status.OK,
        "ollama create": Status.NO,  # its converter sizes the rope by hidden / heads
    }  # fmt: skip


def test_partial_plans_run_nowhere(models):
    plan = ShrinkRun.build(models["llama"], Request(heads=3, layers="0"))
    assert all(v.status is Status.NO for v in plan.verdicts())


def test_headmix_json_records_the_verdicts_of_what_was_written(models, tmp_path):
    plan = ShrinkRun.build(models["llama-wide"], Request(head_dim=4, method="select", rotary_pairs="any"))
    out = export(plan, tmp_path / "out")
    recorded = json.loads((out / "headmix.json").read_text())["runtimes"]
    assert [r["runtime"] for r in recorded] == list(RUNTIMES)
    config = json.loads((out / "config.json").read_text())
    longrope = config["rope_parameters"]["rope_type"] == "longrope"
    gguf = next(r for r in recorded if r["runtime"] == GGUF)
    assert (gguf["status"] == "no") == longrope  # exact after the export: what select actually kept


def test_the_dry_run_prints_every_verdict(models, capsys):
    from headmix.core.cli import main

    code = main(["shrink", str(models["llama"].folder), "--heads", "3", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0 and all(runtime in out for runtime in RUNTIMES)


@pytest.mark.interop
@pytest.mark.parametrize("method", ["calibrated", "select"])
def test_pairs_chosen_from_scores_are_the_worst_case_until_chosen_then_what_the_export_writes(tokenized_llama, method,
                                                                                            tmp_path):
    """The calibrated method chooses any subset from activations as select does from weights: before the choice
    llama.cpp is refused (it may be longrope), after it the verdict is what the export writes."""
    from headmix.core.model.rope import progression

    plan = ShrinkRun.build(open_checkpoint(tokenized_llama), Request(head_dim=8, method=method, rotary_pairs="any",
                                                                calib_tokens=256))
    assert status(plan, GGUF).status is Status.NO and status(plan, "transformers").status is Status.OK
    pairs = plan.kept_pairs  # the choice (calibration's first pass, or the weights' scores)
    assert (status(plan, GGUF).status is Status.NO) == (progression(pairs) is None)
    out = export(plan, tmp_path / "out")
    recorded = {r["runtime"]: r["status"] for r in json.loads((out / "headmix.json").read_text())["runtimes"]}
    assert recorded == {v.runtime: v.status.value for v in plan.verdicts()}


def test_the_worst_case_says_it_is_one(models):
    plan = ShrinkRun.build(models["llama-wide"], Request(head_dim=4, method="select", rotary_pairs="any"))
    assert status(plan, GGUF).reason.startswith("the rotary pairs are chosen from scores not computed yet")
    plan.kept_pairs  # noqa: B018 - the choice
    assert "not computed yet" not in status(plan, GGUF).reason
    # the plan itself never changes: alone it still says the worst case; the run says what its pairs give
    assert status(plan.plan, GGUF).reason.startswith("the rotary pairs are chosen from scores not computed yet")


def _gemma3(folder, factor: float | None):
    """Gemma 3 as it ships, in miniature: five sliding layers (θ 10,000) and a global one (θ 1,000,000, with a linear
    factor as from 4B up), query_pre_attn_scalar equal to the head size (16), 8 query heads × 16 ≠ hidden 48."""
    import hf_models

    full = {"rope_type": "linear", "factor": factor} if factor else {"rope_type": "default"}
    hf_models.save_model(
        "gemma3_text", folder, num_hidden_layers=6, query_pre_attn_scalar=16,
        layer_types=["sliding_attention"] * 5 + ["full_attention"],
        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
                         "full_attention": full | {"rope_theta": 1_000_000.0}})
    return open_checkpoint(folder)


@pytest.fixture(scope="module")
def gemma3(tmp_path_factory):
    return _gemma3(tmp_path_factory.mktemp("gemma3") / "gemma3", 8.0)


@pytest.mark.interop
@pytest.mark.parametrize("method", ["select", "mean"])
def test_gemma3_keeps_pairs_from_pair_0_so_no_sliding_layer_needs_a_factor(gemma3, method, tmp_path):
    """llama.cpp and mlx-lm read no rope factor on Gemma 3's sliding layers: an offset progression (a linear factor
    there) rotated 15 of 18 layers 100× too fast in both while the export said ✔. The pairs now start at pair 0."""
    plan = ShrinkRun.build(gemma3, Request(head_dim=8, method=method))
    assert plan.pairs_from_zero
    assert plan.kept_pairs[0] == 0
    out = export(plan, tmp_path / "out")
    config = json.loads((out / "config.json").read_text())
    assert config["rope_parameters"]["sliding_attention"]["rope_type"] == "default"
    recorded = {r["runtime"]: r["status"] for r in json.loads((out / "headmix.json").read_text())["runtimes"]}
    assert recorded[GGUF] == recorded["mlx-lm"] == recorded["vLLM"] == "ok"


@pytest.mark.interop
def test_a_factor_on_gemma3s_sliding_layers_is_no_in_llama_cpp_and_mlx_lm_yes_in_vllm(gemma3):
    """The verdict reads the table, per layer type: pairs 1–4 need a linear factor on every layer type."""
    plan = ShrinkRun.build(gemma3, Request(head_dim=8, method="select"))
    plan._kept_pairs = np.arange(1, 5)  # what select chose before pairs_from_zero
    found = {v.runtime: v for v in plan.verdicts(exact=True)}
    for runtime in (GGUF, "mlx-lm"):
        assert found[runtime].status is Status.NO
        assert "linear rope factor on its sliding-window layers" in found[runtime].reason
    assert found["vLLM"].status is Status.OK and found["transformers"].status is Status.OK


@pytest.mark.interop
def test_ollama_create_reads_gemma3s_head_dim(gemma3, tmp_path):
    """Ollama's Gemma 3 converter writes key_length = head_dim: 8 heads × 16 ≠ 48 is no reason to refuse it (the
    270M and 1B have no rope factor; from 4B up the global layers' linear factor is one it does not read)."""
    plain = _gemma3(tmp_path / "plain", None)
    for request in (Request(), Request(heads=4, method="select")):
        found = {v.runtime: v for v in ShrinkRun.build(plain, request).verdicts()}
        assert found["ollama create"].status is Status.OK, found["ollama create"].reason
    scaled = {v.runtime: v for v in ShrinkRun.build(gemma3, Request()).verdicts()}["ollama create"]
    assert scaled.status is Status.NO and "yarn only" in scaled.reason and "pair 0" not in scaled.reason


def test_every_row_of_the_table_names_its_source():
    from headmix.core.plan.runtime_table import TABLE

    assert set(TABLE) == set(RUNTIMES[1:])
    assert all(row.source for rows in TABLE.values() for row in rows.values())


def test_ollama_create_says_the_original_already_misses_the_hidden_size(models):
    """The demo is 8 heads × 32 = 256 against a hidden size of 128 before anything changes: Ollama's Llama converter
    (convert_llama.go: rope.dimension_count = hidden / heads) mis-sizes it unchanged, so "no longer" would be untrue."""
    from conftest import DEMO

    demo = open_checkpoint(DEMO)
    for request in (Request(), Request(heads=4, kv_heads=1, head_dim=16)):
        verdict = status(ShrinkRun.build(demo, request), "ollama create")
        assert verdict.status is Status.NO
        assert "no longer" not in verdict.reason
        assert "already in the original" in verdict.reason and "ignores head_dim" in verdict.reason
    # a model whose heads fill the hidden size before the shrink: that one does no longer equal it
    changed = status(ShrinkRun.build(models["llama"], Request(head_dim=2, method="select")), "ollama create")
    assert changed.status is Status.NO and "no longer equals the hidden size" in changed.reason
    assert "already" not in changed.reason
