"""One shrink opens the model once: the architecture is detected once and the request resolved once.

The plan is described from one opened model (checkpoint + architecture, passed down); the
layer choice, the final plan on the kept layers, calibration and the export reuse those facts
instead of detecting again. Counted by profiling every call of the functions themselves, so a
module that imported them under another name is counted too.
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest

from headmix.core.cli import main
from headmix.core.io import text
from headmix.core.model import architecture
from headmix.core.plan import request
from hf_models import FAMILIES


def _count_calls(*functions) -> tuple[Counter, callable]:
    codes = {f.__code__: f.__qualname__ for f in functions}
    calls: Counter = Counter()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            calls[codes[frame.f_code]] += 1

    return calls, profile


@pytest.mark.parametrize(("extra", "texts"), [
    (["--heads", "1/2", "--kv-heads", "1/2", "--method", "calibrated", "--eval"], 2),
    (["--heads", "1/2", "--kv-heads", "1/2", "--num-layers", "1", "--layer-method", "fit", "--eval"], 2),
], ids=["calibrated", "fewer-layers"])
def test_a_shrink_detects_the_architecture_once(tmp_path, tokenized_llama, capsys, extra, texts):
    calls, profile = _count_calls(architecture.detect, request.Request.resolve, text.read_text)
    argv = ["shrink", str(tokenized_llama), "-o", str(tmp_path / "out"), "--calib-tokens", "256", "--window", "32",
            "--max-tokens", "128", *extra]
    sys.setprofile(profile)
    try:
        code = main(argv)
    finally:
        sys.setprofile(None)
    assert code == 0, capsys.readouterr().err
    assert calls["detect"] == 1, calls
    assert calls["Request.resolve"] == 1, calls
    # the evaluation's text once, and the calibration text once: with fewer layers the run tokenises it once
    # for the layer choice and the calibration on the kept layers alike
    assert calls["read_text"] == texts, calls


@pytest.mark.parametrize("family", FAMILIES)
def test_the_smaller_models_architecture_is_derived_as_detection_finds_it(model_dir, family):
    from headmix.core.io.checkpoint import open_checkpoint
    from headmix.core.shrink.layer_removal import LayerChoice, ReducedCheckpoint, reduced_architecture

    checkpoint = open_checkpoint(model_dir(family))
    arch = architecture.detect(checkpoint)
    kept = tuple(i for i in range(arch.num_layers) if i != 1)
    reduced = ReducedCheckpoint(checkpoint, arch, LayerChoice(kept))
    assert reduced_architecture(reduced, arch) == architecture.detect(reduced)


def test_a_plan_is_an_immutable_description_and_the_run_holds_what_changes(tokenized_llama):
    import dataclasses

    from headmix.core.io.checkpoint import open_checkpoint
    from headmix.core.plan.planner import Plan
    from headmix.core.run.shrink_run import ShrinkRun

    checkpoint = open_checkpoint(tokenized_llama)
    plan = Plan.build(checkpoint, request.Request(heads="1/2", num_layers=1, layer_method="drop", calib_tokens=256))
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.layers = ()  # type: ignore[misc]
    for running in ("mixing", "kept_pairs", "calibrator", "importance", "calibration_progress", "final", "provenance"):
        assert not hasattr(plan, running), running
    before = (plan.describe(), plan.files, plan.warnings)
    run = ShrinkRun(plan)
    final = run.final()  # chooses the layers: the run on the plan of the kept layers
    assert final.plan.layers_chosen and not plan.layers_chosen and final.plan.choice is not None
    assert run.final() is final and final.final() is final
    for i in final.layers:
        final.mixing(i)
    assert (plan.describe(), plan.files, plan.warnings) == before and run.plan is plan
