"""Calibration progress in the window (issue 12): a progress bar with Cancel under the mixing title,
Calibrate to run it again, the export saying it calibrates, and the line that says what the plan
computed: its calibration fit and the rotary pairs it keeps (issue 14)."""

from __future__ import annotations


import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication

from conftest import gate, open_demo
from headmix.gui.plan_text import pair_span
from headmix.gui.preview_panel import StatusRow

pytestmark = pytest.mark.interop


def gate_calibration(monkeypatch):
    """Hold each calibrated layer until the gate opens (as a large model would take its time)."""
    import headmix.core.run.calibration as calibration

    return gate(monkeypatch, calibration, "decide", 20)


def places(window) -> dict[str, QRect]:
    parts = {"status": window.preview.status, **{k: v for k, v in window.preview.matrices.items()}}
    return {name: QRect(w.mapTo(window, QPoint(0, 0)), w.size()) for name, w in parts.items()}


def test_progress_cancel_and_calibrate_again(qtbot, window, tokenized_llama, monkeypatch):
    open_demo(qtbot, window, tokenized_llama)
    window.select_layer(1)  # the last layer: the walk goes through layer 0 first
    status = window.preview.status
    QApplication.processEvents()
    reference = places(window)
    gate = gate_calibration(monkeypatch)
    window.panel.set_values(4, 2, 8, "calibrated", 0, "all")
    QApplication.processEvents()
    assert status.currentIndex() == StatusRow.CALIBRATING and status.progress.isVisible()
    assert status.cancel_button.isVisible() and status.cancel_button.isEnabled()
    # the head size shrinks: a first pass scores the rotary pairs, then the layers are fitted one by one
    qtbot.waitUntil(lambda: "calibrating: layer 1 of 2" in status.progress.format(), timeout=20000)
    assert status.progress.maximum() == 4 and status.progress.value() == 2
    assert window.preview.layer_label.text() == "Layer 1 — calibrating… (progress below)"
    assert "calibrating" in window.plan_status.text()
    assert places(window) == reference  # the progress takes the line that is always there
    qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
    assert not status.cancel_button.isEnabled() and status.progress.format() == "cancelling…"
    gate.set()
    qtbot.waitUntil(lambda: status.currentIndex() == StatusRow.STOPPED, timeout=20000)
    assert window.calibration_worker is None and status.calibrate_button.isVisible()
    assert status.stopped.text() == "calibration cancelled · Calibrate runs it again"
    assert window.preview.matrices["q_heads"].matrix is None
    window.select_layer(0)  # looking elsewhere does not start it again by itself
    window.select_layer(1)
    assert window.calibration_worker is None and status.currentIndex() == StatusRow.STOPPED
    with qtbot.waitSignal(window.calibration_ready, timeout=60000):
        qtbot.mouseClick(status.calibrate_button, Qt.MouseButton.LeftButton)
        assert status.currentIndex() == StatusRow.CALIBRATING
    assert window.preview.matrices["q_heads"].matrix is not None
    # what the plan computed, in one line: this layer's fit and the pairs every layer keeps
    assert status.currentIndex() == StatusRow.INFO
    fit = window.plan._calibrator.fits[1]
    pairs = window.plan.kept_pairs
    assert status.info.text().startswith(f"Keeps rotary pairs {pair_span(pairs)} of 8 (")
    assert " · calibration fit error " in status.info.text()
    assert fit.error <= fit.error_before_fit
    assert places(window) == reference


def test_a_failed_calibration_says_why_and_waits_for_calibrate(qtbot, window, tokenized_llama, monkeypatch):
    import headmix.core.run.calibration as calibration
    from headmix.core.errors import HeadmixError

    open_demo(qtbot, window, tokenized_llama)
    real = calibration.decide
    monkeypatch.setattr(calibration, "decide", lambda *a, **k: (_ for _ in ()).throw(HeadmixError("disk went away")))
    status = window.preview.status
    window.panel.set_values(4, 2, 16, "calibrated", 0, "all")
    qtbot.waitUntil(lambda: status.currentIndex() == StatusRow.STOPPED, timeout=20000)
    assert status.stopped.text() == "calibration failed: disk went away" and status.stopped.colour is not None
    assert "calibration failed: disk went away" in window.preview.layer_label.text()
    monkeypatch.setattr(calibration, "decide", real)
    with qtbot.waitSignal(window.calibration_ready, timeout=60000):
        status.calibrate_button.click()
    assert status.currentIndex() == StatusRow.INFO


def test_export_says_it_calibrates(qtbot, window, tokenized_llama, tmp_path, monkeypatch):
    open_demo(qtbot, window, tokenized_llama)
    gate = gate_calibration(monkeypatch)
    window.panel.set_values(4, 2, 16, "calibrated", 0, "all")
    preview_worker = window.calibration_worker
    formats = []
    bar = window.panel.progress
    set_format = bar.setFormat
    monkeypatch.setattr(bar, "setFormat", lambda text: (formats.append(text), set_format(text)))  # every step's words
    with qtbot.waitSignal(window.export_finished, timeout=60000):
        window.start_export(tmp_path / "out")
        qtbot.waitUntil(lambda: window.panel.progress.format().startswith("calibrating layer"), timeout=20000)
        assert "calibrating" in window.panel.progress.toolTip()
        # the preview waits on the same walk, and follows it
        assert window.calibration_worker is preview_worker and "calibrating" in window.preview.status.progress.format()
        gate.set()
    assert "calibrating layer 1 of 2" in formats and "calibrating layer 2 of 2" in formats  # layer by layer
    assert (tmp_path / "out" / "headmix.json").is_file()
    qtbot.waitUntil(lambda: window.calibration_worker is None, timeout=20000)


def test_cancelling_the_export_during_calibration_leaves_nothing(qtbot, window, tokenized_llama, tmp_path, monkeypatch):
    open_demo(qtbot, window, tokenized_llama)
    gate = gate_calibration(monkeypatch)
    window.panel.set_values(4, 2, 16, "calibrated", 0, "all")
    with qtbot.waitSignal(window.export_cancelled, timeout=60000):
        window.start_export(tmp_path / "out")
        qtbot.waitUntil(lambda: window.panel.progress.format().startswith("calibrating layer"), timeout=20000)
        window.cancel_calibration()  # the preview gives up; the export still needs the walk
        window.cancel_export()
        gate.set()
    assert not (tmp_path / "out").exists()


def test_select_says_which_rotary_pairs_it_keeps(qtbot, window):
    open_demo(qtbot, window)
    status = window.preview.status
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    pairs = window.plan.kept_pairs
    assert status.currentIndex() == StatusRow.INFO
    line = status.info.text()
    assert line.startswith(f"Keeps rotary pairs {pair_span(pairs)} of 16 (progression: plain rope)")
    window.panel.set_values(4, 2, 16, "select", 0, "all", rotary_pairs="any")
    pairs = window.plan.kept_pairs
    line = status.info.text()
    assert line.startswith(f"Keeps rotary pairs {pair_span(pairs)} of 16 (")
    from headmix.core.model.rope import progression

    if progression(pairs) is None:
        assert "(any subset: longrope, transformers and vLLM only)" in line and "the best progression, " in line
    window.panel.set_values(4, 2, 16, "mean", 0, "all")  # every other pair: a progression whatever is allowed
    assert status.info.text() == "Keeps rotary pairs 0–14 step 2 of 16 (progression: plain rope, no longrope needed)"
    window.panel.set_values(4, 2, 16, "mean", 0, "all", rotary_pairs="progression")
    assert status.info.text() == "Keeps rotary pairs 0–14 step 2 of 16 (progression: plain rope)"
    window.panel.set_values(4, 2, 32, "mean", 0, "all")
    assert status.info.text() == ""
    np.testing.assert_array_equal(pairs, np.sort(pairs))


def test_pair_spans_read_well():
    assert pair_span([8, 9, 10, 11]) == "8–11"
    assert pair_span([0, 2, 4]) == "0–4 step 2"
    assert pair_span([0, 1, 2, 5, 9, 10]) == "0–2, 5, 9–10"
    assert pair_span([3]) == "3"


def test_closing_during_a_calibration_is_quick(qtbot, window, tokenized_llama, monkeypatch):
    import time

    open_demo(qtbot, window, tokenized_llama)
    window.select_layer(1)
    gate = gate_calibration(monkeypatch)
    window.panel.set_values(4, 2, 16, "calibrated", 0, "all")
    assert window.calibration_worker is not None
    started = time.monotonic()
    with qtbot.waitSignal(window.closed, timeout=10000):
        window.close()
        assert not window.isVisible()  # gone at once; the process ends when the layer being fitted is done
        gate.set()
    assert time.monotonic() - started < 5
    assert not window.session.jobs.running("calibration")
