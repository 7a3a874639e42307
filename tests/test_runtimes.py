"""A verdict per runtime, said before anything runs, recorded in headmix.json after the export."""

from __future__ import annotations

import json

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
