"""Keyboard shortcuts that must always work, and quitting while an export runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from conftest import open_demo


XVFB_RUN = shutil.which("xvfb-run")
DRIVER = Path(__file__).resolve().parent / "x11_keys.py"


@pytest.mark.skipif(not XVFB_RUN, reason="needs xvfb-run (Debian package xvfb) for a real X11 display")
def test_ctrl_e_exports_while_the_filter_box_has_the_focus_on_x11():
    """On X11 every QLineEdit claims Ctrl+E ("move to end of line") before any shortcut sees
    it, and the filter box has the focus at start-up. Qt's offscreen platform has no such key
    binding, so this runs the real window on the xcb platform under Xvfb."""
    from headmix.gui.app import platform_problem

    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    problem = platform_problem(dict(env, DISPLAY=":0"))
    if problem:
        pytest.skip(problem)
    result = subprocess.run([XVFB_RUN, "-a", sys.executable, str(DRIVER)], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["platform"] == "xcb"
    assert "Ctrl+E" in report["end_of_line_keys"]  # the binding that took the key
    assert report["focus"] == "filter" and report["export_dialog_opened"], report


def test_the_window_does_not_let_text_boxes_claim_its_shortcuts(qtbot, window):
    """What makes the X11 test pass, checked on any platform: Ctrl+E and Esc never reach a text
    box of the window as a ShortcutOverride it could accept."""
    from PySide6.QtGui import QKeyEvent

    seen = []
    for box in (window.filter, window.panel.layers, window.panel.heads):
        for key, modifiers in ((Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier), (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)):
            event = QKeyEvent(QEvent.Type.ShortcutOverride, key, modifiers)
            event.ignore()
            QApplication.sendEvent(box, event)
            seen.append(event.isAccepted())
    assert not any(seen)


def gate_export(monkeypatch, per_tensor: float = 10.0):
    """Make every tensor of the export wait for the test (at most ``per_tensor`` seconds), so
    the export is still running when the test acts, as it would be on a large model."""
    import headmix.core.run.executor as export_module

    gate = threading.Event()
    real = export_module.copy_to

    def gated(*args, **kwargs):
        gate.wait(per_tensor)
        return real(*args, **kwargs)

    monkeypatch.setattr(export_module, "copy_to", gated)
    return gate


def test_escape_cancels_a_running_export(qtbot, window, tmp_path, monkeypatch):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 32, "mean", 0, "all")
    gate = gate_export(monkeypatch)
    with qtbot.waitSignal(window.export_cancelled, timeout=10000):
        window.start_export(tmp_path / "out")
        window.filter.setFocus()
        qtbot.keyClick(window.filter, Qt.Key.Key_Escape)
        gate.set()
    assert not (tmp_path / "out").exists() and list(tmp_path.glob(".*")) == []


def test_quitting_during_an_export_asks_and_is_quick(qtbot, window, tmp_path, monkeypatch):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 32, "mean", 0, "all")
    gate_export(monkeypatch, per_tensor=0.1)  # about 4 s for the demo's tensors
    window.start_export(tmp_path / "out")
    window.close()
    question = window.quit_question
    assert question is not None and question.isVisible()
    assert question.text() == "An export is running. Cancel the export and quit?"
    qtbot.keyClick(question, Qt.Key.Key_Return)  # the default: keep exporting
    assert window.isVisible() and window.export_worker is not None and not window.export_worker.is_cancelled()
    window.close()
    question = window.quit_question
    quit_button = next(b for b in question.buttons() if "quit" in b.text())
    started = time.monotonic()
    with qtbot.waitSignal(window.closed, timeout=5000):
        qtbot.mouseClick(quit_button, Qt.MouseButton.LeftButton)
        assert not window.isVisible()  # gone at once
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"quitting took {elapsed:.2f} s"
    assert window.export_worker is None
    assert not (tmp_path / "out").exists() and list(tmp_path.glob(".*")) == []
