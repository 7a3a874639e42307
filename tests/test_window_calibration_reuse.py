"""Finished calibrated layers of an unchanged plan are reused, and the progress says what the walk will do (issue 18,
item 5): the preview's walk stops at the layer on screen; Cancel then Calibrate goes on from where it stopped; a
toggle or an Undo back to calibrated targets redraws without fitting again; an export continues the walk."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from conftest import gate, open_demo
from headmix.gui.preview_panel import StatusRow

pytestmark = pytest.mark.interop


@pytest.fixture
def decided(monkeypatch):
    """The layers the calibration fits, in order (every call of calibration.decide)."""
    import headmix.core.run.calibration as calibration

    seen: list[int] = []
    real = calibration.decide

    def counting(plan, layer, *args, **kwargs):
        seen.append(layer.index)
        return real(plan, layer, *args, **kwargs)

    monkeypatch.setattr(calibration, "decide", counting)
    return seen


def calibrate(qtbot, window, kv: int) -> None:
    with qtbot.waitSignal(window.calibration_ready, timeout=60000):
        window.panel.set_values(4, kv, 32, "calibrated", 0, "all", calib_tokens=1024)


def test_the_bar_says_the_walk_stops_at_the_layer_shown(qtbot, window, demo_folder, monkeypatch, decided):
    open_demo(qtbot, window, demo_folder)
    window.select_layer(1)
    held = gate(monkeypatch, __import__("headmix.core.run.calibration", fromlist=["x"]), "decide", 20)
    status = window.preview.status
    window.panel.set_values(4, 1, 32, "calibrated", 0, "all")
    qtbot.waitUntil(lambda: status.progress.format().startswith("calibrating layers 1–2 of 4"), timeout=20000)
    assert status.progress.format() == "calibrating layers 1–2 of 4 (up to the layer shown): layer 1…"
    assert status.progress.maximum() == 2  # the bar fills when the layer on screen is done, not at layer 4
    with qtbot.waitSignal(window.calibration_ready, timeout=60000):
        held.set()
    assert decided == [0, 1]


def test_cancel_then_calibrate_goes_on_from_where_it_stopped(qtbot, window, demo_folder, monkeypatch, decided):
    import headmix.core.run.calibration as calibration

    open_demo(qtbot, window, demo_folder)
    window.select_layer(2)
    held = gate(monkeypatch, calibration, "decide", 20)
    status = window.preview.status
    window.panel.set_values(4, 1, 32, "calibrated", 0, "all")
    qtbot.waitUntil(held.entered.is_set, timeout=20000)
    qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
    held.set()
    qtbot.waitUntil(lambda: status.currentIndex() == StatusRow.STOPPED, timeout=20000)
    assert decided == [0]
    with qtbot.waitSignal(window.calibration_ready, timeout=60000):
        qtbot.mouseClick(status.calibrate_button, Qt.MouseButton.LeftButton)
    assert decided == [0, 1, 2]  # layer 0 was not fitted again
    assert window.preview.matrices["q_heads"].matrix is not None


def test_going_back_to_calibrated_targets_reuses_their_layers(qtbot, window, demo_folder, decided):
    open_demo(qtbot, window, demo_folder)
    window.select_layer(1)
    calibrate(qtbot, window, 1)
    calibrated = window.plan
    assert decided == [0, 1]
    window.panel.set_values(4, 1, 32, "select", 0, "all")  # calibrated → select → Undo
    QApplication.processEvents()
    window.undo_stack.undo()
    QApplication.processEvents()
    assert window.plan is calibrated and window.calibration_worker is None
    assert window.preview.matrices["q_heads"].matrix is not None
    calibrate(qtbot, window, 2)  # kv heads 1 → 2 → 1: the second visit draws at once
    window.panel.set_values(4, 1, 32, "calibrated", 0, "all")
    QApplication.processEvents()
    assert window.plan is calibrated and window.calibration_worker is None
    assert decided == [0, 1, 0, 1]  # the kv-2 plan's two layers, nothing refitted for kv 1


def test_the_export_continues_the_previews_walk(qtbot, window, demo_folder, tmp_path, decided):
    open_demo(qtbot, window, demo_folder)
    window.select_layer(1)
    calibrate(qtbot, window, 1)
    with qtbot.waitSignal(window.export_finished, timeout=60000):
        window.start_export(tmp_path / "out")
    assert decided == [0, 1, 2, 3]  # layers 0 and 1 came from the preview's walk


def test_plans_kept_for_reuse_are_bounded_and_closed(qtbot, window, demo_folder, decided):
    """The reuse must not become the new leak: three plans at most, and one let go ends its suspended walk."""
    from headmix.gui.recent_plans import SIZE

    open_demo(qtbot, window, demo_folder)
    plans = []
    for tokens in (512, 576, 640, 704):
        with qtbot.waitSignal(window.calibration_ready, timeout=60000):
            window.panel.set_values(4, 1, 32, "calibrated", 0, "all", calib_tokens=tokens)
        plans.append(window.plan)
    assert len(window.recent_plans) == SIZE == 3
    first = plans[0]._calibrator
    assert first._walk is None and first._pipeline is None  # closed when it was let go
    assert plans[-1]._calibrator._walk is not None  # the plan on screen keeps its walk to go on with


def test_undo_back_through_several_plans_keeps_the_calibrated_one(qtbot, window, demo_folder, decided):
    """The tryout: calibrated (and measured) at 30 layers, then 30 → 25 a layer at a time, then Undo back to 30
    recalibrated every layer: the four plans between pushed the calibrated one out of the three kept. A plan with
    calibrated layers now outlasts newer ones with less done."""
    open_demo(qtbot, window, demo_folder)
    window.select_layer(3)
    calibrate(qtbot, window, 1)
    calibrated = window.plan
    assert decided == [0, 1, 2, 3]
    for layers in (3, 2, 1):  # as the wheel did, one decoder layer at a time, each a plan and an undo step
        window.panel.set_values(4, 1, 32, "calibrated", 0, "all", num_layers=layers)
        QApplication.processEvents()
    for _ in range(3):
        window.undo_stack.undo()
        QApplication.processEvents()
    assert window.panel.values()["num_layers"] == 4
    assert window.plan is calibrated and window.calibration_worker is None  # nothing to fit again
    assert window.preview.matrices["q_heads"].matrix is not None
