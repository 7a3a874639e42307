"""The preview always equals what Export writes: the plan the summary shows is the plan exported."""

from __future__ import annotations

import numpy as np

from conftest import DEMO
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request


def test_kept_by_select_says_none_where_select_cannot_build_the_heads():
    """MHA → GQA with mean: 8 query heads over 1 kv head. select keeps whole kv heads (4 query
    heads each), so it cannot build this; asking which heads it keeps must not raise."""
    plan = ShrinkRun.build(open_checkpoint(DEMO), Request(8, 1, 32, method="mean"))
    assert plan.kept_by_select(0) is None
    kept = ShrinkRun.build(open_checkpoint(DEMO), Request(4, 2, 32, method="mean")).kept_by_select(0)
    assert kept.dtype == np.bool_ and kept.sum() == 4


# --------------------------------------------------------------------------- the window

import json  # noqa: E402
import random  # noqa: E402

import pytest  # noqa: E402

import synthetic  # noqa: E402
from conftest import open_demo  # noqa: E402
from headmix.core.plan import presets  # noqa: E402
from headmix.core.model.inspection import human_bytes, human_count  # noqa: E402


def plan_from_controls(window) -> ShrinkRun:
    """The plan Export runs, built afresh from the controls without the window's help."""
    v = window.panel.values()
    fewer = v["num_layers"] < window.arch.num_layers
    request = Request(v["heads"], v["kv_heads"], v["head_dim"], method=v["method"], seed=v["seed"], layers=v["layers"],
                      num_layers=v["num_layers"] if fewer else None, layer_method=v["layer_method"] if fewer else None)
    return ShrinkRun.build(open_checkpoint(window.checkpoint.path), request)


def assert_summary_is(window, plan: ShrinkRun) -> None:
    panel = window.panel
    assert panel.params_label.text() == f"Parameters: {human_count(plan.params_before)} → {human_count(plan.params_after)}"
    assert panel.size_label.text() == f"Size: {human_bytes(plan.bytes_before)} → {human_bytes(plan.bytes_after)}"
    assert panel.saved_label.text() == f"{100 * (1 - plan.params_after / plan.params_before):.1f}% smaller"
    # one line per runtime, as the core says it for this plan
    assert panel.verdicts.verdicts == plan.verdicts()
    for v in plan.verdicts():
        assert panel.verdicts.line(v.runtime) == f"{v.status.mark} {v.runtime}: {v.reason}"
    assert window.plan is not None
    assert (window.plan.params_after, window.plan.bytes_after, window.plan.loadability) == (
        plan.params_after, plan.bytes_after, plan.loadability)


def test_one_failing_chart_never_stops_the_summary(qtbot, window, monkeypatch):
    open_demo(qtbot, window)

    def broken(self, index):
        raise RuntimeError("heatmap exploded")

    monkeypatch.setattr(ShrinkRun, "heatmaps", broken)
    monkeypatch.setattr("traceback.print_exc", lambda *a, **k: None)
    window.panel.set_values(4, 2, 16, "mean", 0, "all")
    assert "heatmap exploded" in window.preview.layer_label.text()
    assert_summary_is(window, plan_from_controls(window))
    assert window.panel.export_button.isEnabled()


def test_mha_preset_after_preset_shows_the_plan_that_is_exported(qtbot, window, tmp_path):
    """The reported bug: Halve query heads, then MHA to GQA, on a multi-head model. select cannot
    build 8 query heads over 2 kv heads, the importance chart raised, and the summary kept the
    previous plan's figures while Export wrote the new plan."""
    model = synthetic.write(tmp_path / "mha", "llama", 2, 8, 8, 8)
    open_demo(qtbot, window, model)
    builtin = presets.builtin()
    window.apply_preset(builtin["halve-query-heads"])
    assert_summary_is(window, plan_from_controls(window))
    window.apply_preset(builtin["mha-to-gqa"])
    assert window.panel.values()["kv_heads"] == 2
    expected = plan_from_controls(window)
    assert_summary_is(window, expected)
    shown = window.panel.saved_label.text()
    with qtbot.waitSignal(window.export_finished, timeout=30000):
        window.start_export(tmp_path / "out")
    written = json.loads((tmp_path / "out" / "headmix.json").read_text())
    assert written["parameters"]["after"] == expected.params_after
    assert shown == f"{100 * (1 - written['parameters']['after'] / written['parameters']['before']):.1f}% smaller"


@pytest.mark.parametrize("model", ["demo", "mha"])
def test_every_builtin_preset_previews_what_export_writes(qtbot, window, tmp_path, model):
    path = synthetic.write(tmp_path / "mha", "llama", 2, 8, 8, 8) if model == "mha" else None
    open_demo(qtbot, window, *([path] if path else []))
    for n, (key, preset) in enumerate(presets.builtin().items()):
        assert window.apply_preset(preset), window.last_message
        expected = plan_from_controls(window)
        assert_summary_is(window, expected)
        out = tmp_path / f"out-{n}"
        with qtbot.waitSignal(window.export_finished, timeout=30000):
            window.start_export(out)
        written = json.loads((out / "headmix.json").read_text())
        assert written["parameters"]["after"] == expected.params_after, key
        assert written["verdict"] == expected.loadability[1], key
        tensor_bytes = sum(info.nbytes for info in open_checkpoint(out).tensors.values())
        assert tensor_bytes == expected.bytes_after, key


def test_random_valid_targets_preview_what_export_would_run(qtbot, window):
    open_demo(qtbot, window)
    rng = random.Random(9)
    for _ in range(40):
        method = rng.choice(["select", "mean", "random", "article"])
        layers = rng.choice(["all", "0", "1-2", "0,3", "0-3"])
        window.panel.set_values(8, 2, 32, method, rng.randrange(5), layers)
        window.panel.heads.setValue(rng.choice(window.panel.heads.choices()))
        window.panel.kv_heads.setValue(rng.choice(window.panel.kv_heads.choices()))
        window.panel.head_dim.setValue(rng.choice(window.panel.head_dim.choices()))
        window.select_layer(rng.randrange(4))
        assert window.plan is not None, window.panel.values()
        assert_summary_is(window, plan_from_controls(window))


def test_a_corrected_layers_entry_clears_its_error(qtbot, window):
    from PySide6.QtCore import Qt

    open_demo(qtbot, window)
    box = window.panel.layers
    box.setFocus()
    box.selectAll()
    with qtbot.waitSignal(window.plan_changed):
        qtbot.keyClicks(box, "0-11")
        qtbot.keyClick(box, Qt.Key.Key_Return)
    error = window.panel.errors["layers"]
    assert error.isVisibleTo(window.panel) and "0-3" in error.text()
    assert not window.panel.export_button.isEnabled()
    box.selectAll()
    with qtbot.waitSignal(window.plan_changed, timeout=3000):
        qtbot.keyClicks(box, "1-2")  # no Return: the user goes straight on
    assert not error.isVisibleTo(window.panel) and error.text() == ""
    assert window.panel.export_button.isEnabled() and window.plan.resolved.layers == (1, 2)
    assert_summary_is(window, plan_from_controls(window))


def test_export_right_after_typing_uses_what_was_typed(qtbot, window):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 32, "mean", 0, "all")
    window.panel.layers.setText("0")  # typed, its pause not yet over
    assert window.current_plan().layers == (0,) and window.plan.num_heads == 4
