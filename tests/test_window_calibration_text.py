"""The calibration text in the window (issue 12): headmix's default text or a file of the user's, and how
many tokens; checked as soon as it is chosen; carried by undo, presets and the command line; and the
Quality tab says when it measures on the very text the plan was calibrated on."""

from __future__ import annotations

import shlex
import shutil

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit

import tiny_text
from conftest import DEMO, open_demo
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.cli import build_parser
from headmix.core.run.shrink_run import ShrinkRun
from headmix.gui.quality_view import CALIBRATION_NOTE
from headmix.gui.targets_panel import CHOOSE_TEXT_ITEM

pytestmark = pytest.mark.interop


@pytest.fixture
def texts(tmp_path):
    good = tmp_path / "my notes.txt"
    good.write_text(tiny_text.sample_text(1200, seed=3), encoding="utf-8")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Caf\xe9 au lait, the dog sat.".encode("latin-1") * 20)
    short = tmp_path / "short.txt"
    short.write_text("the cat sat on the dog.", encoding="utf-8")
    return {"good": good, "latin1": latin1, "short": short}


def answer(qtbot, dialog, path) -> None:
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    name = dialog.findChild(QLineEdit)
    name.setText(str(path))
    qtbot.keyClick(name, Qt.Key.Key_Return)


def test_the_controls_apply_to_the_calibrated_method_and_to_fewer_layers(qtbot, window, tokenized_llama):
    open_demo(qtbot, window, tokenized_llama)
    panel = window.panel
    assert panel.method.currentText() == "calibrated"
    assert panel.calib_text.isEnabled() and panel.calib_tokens.isEnabled()
    assert panel.calib_text.currentText() == "Default text" and panel.calib_tokens.value() == 4096
    assert (panel.calib_tokens.minimum(), panel.calib_tokens.maximum()) == (64, 65536)
    with qtbot.waitSignal(window.plan_changed):
        panel.method.setCurrentText("mean")
    assert not panel.calib_text.isEnabled() and "only the calibrated method and fewer decoder layers" in panel.calib_text.toolTip()
    with qtbot.waitSignal(window.plan_changed):
        panel.num_layers.setValue(1)  # the layer choice reads the same text
    assert panel.calib_text.isEnabled()
    qtbot.waitUntil(lambda: window.choice_worker is None, timeout=20000)


def test_without_a_tokenizer_there_is_nothing_to_calibrate_on(qtbot, window):
    open_demo(qtbot, window, DEMO)
    window.panel.num_layers.setValue(3)
    assert not window.panel.calib_text.isEnabled() and "no tokenizer" in window.panel.calib_tokens.toolTip()
    assert window.plan.request.calib_text is None
    qtbot.waitUntil(lambda: window.choice_worker is None, timeout=20000)


def test_a_chosen_file_goes_into_the_plan_the_command_undo_and_presets(qtbot, window, tokenized_llama, texts):
    open_demo(qtbot, window, tokenized_llama)
    panel = window.panel
    with qtbot.waitSignal(window.plan_changed):
        panel.set_values(4, 2, 16, "calibrated", 0, "all")
    # the list's last entry asks for a file, and never becomes the text itself
    panel.calib_text.setCurrentIndex(panel.calib_text.findData(CHOOSE_TEXT_ITEM))
    assert panel.calib_text.currentText() == "Default text"
    with qtbot.waitSignal(window.plan_changed):
        answer(qtbot, window.file_dialog, texts["good"])
    assert panel.calib_text.currentText() == "my notes.txt" and panel.values()["calib_text"] == str(texts["good"])
    with qtbot.waitSignal(window.plan_changed):
        panel.calib_tokens.setValue(1024)
    request = window.plan.request
    assert (request.calib_text, request.calib_tokens) == (str(texts["good"]), 1024)
    line = window.command_line()
    assert f"--calib-text '{texts['good']}'" in line and "--calib-tokens 1024" in line
    # the command line reads back the same text and tokens
    args = build_parser().parse_args(shlex.split(line)[1:])
    assert (args.calib_text, args.calib_tokens, args.method) == (str(texts["good"]), 1024, "calibrated")
    # undo: the tokens, then the text, with readable steps
    assert window.undo_stack.undo_text() == "calibration tokens 4096 → 1024"
    window.undo_action.trigger()
    assert window.undo_stack.undo_text() == "calibration text default text → my notes.txt"
    window.undo_action.trigger()
    assert panel.values()["calib_text"] is None and window.plan.request.calib_text is None
    window.redo_action.trigger()
    window.redo_action.trigger()
    assert window.plan.request.calib_tokens == 1024
    # presets: saved and applied back
    path = window.save_preset("my text")
    with qtbot.waitSignal(window.plan_changed):
        panel.set_values(4, 2, 16, "calibrated", 0, "all", calib_text=None, calib_tokens=4096)
    assert window.load_preset_file(path)
    assert (panel.values()["calib_text"], panel.values()["calib_tokens"]) == (str(texts["good"]), 1024)
    # a method that reads no text leaves it out of the command and the plan (and so of the quality cache)
    with qtbot.waitSignal(window.plan_changed):
        panel.method.setCurrentText("mean")
    assert window.plan.request.calib_text is None and "--calib" not in window.command_line()


def test_a_text_that_cannot_be_used_is_explained_next_to_the_control(qtbot, window, tokenized_llama, texts):
    open_demo(qtbot, window, tokenized_llama)
    panel = window.panel
    error = panel.errors["calib_text"]
    with qtbot.waitSignal(window.plan_changed):
        panel.set_values(4, 2, 16, "calibrated", 0, "all")
    with qtbot.waitSignal(window.plan_changed):
        panel.use_calib_file(str(texts["latin1"]))
    assert error.isVisibleTo(panel) and "not UTF-8 text (byte 3 is 0xe9)" in error.text()
    assert window.plan is None and not panel.export_button.isEnabled()
    assert window.calibration_worker is None  # nothing started on a text that cannot work
    with qtbot.waitSignal(window.plan_changed):
        panel.use_calib_file(str(texts["short"]))
    assert "fewer than one calibration window of 64" in error.text() and window.plan is None
    with qtbot.waitSignal(window.plan_changed):
        panel.use_calib_file(str(texts["good"].parent / "gone.txt"))
    assert "no such file" in error.text()
    # fixed on disk and chosen again: checked again
    (texts["good"].parent / "gone.txt").write_text(tiny_text.sample_text(1200), encoding="utf-8")
    with qtbot.waitSignal(window.plan_changed):
        panel.use_calib_file(str(texts["good"].parent / "gone.txt"))
    assert not error.isVisibleTo(panel) and window.plan is not None
    # a text that does not matter to the plan is not an error
    with qtbot.waitSignal(window.plan_changed):
        panel.use_calib_file(str(texts["latin1"]))
    assert window.plan is None
    with qtbot.waitSignal(window.plan_changed):
        panel.method.setCurrentText("mean")
    assert window.plan is not None and not error.isVisibleTo(panel)
    assert window.last_message is None  # all said in place, no dialog


def test_the_quality_tab_says_when_it_measures_on_the_calibration_text(qtbot, window, tmp_path, texts):
    folder = tmp_path / "demo with tokenizer"
    shutil.copytree(DEMO, folder)
    tiny_text.save_tokenizer(folder, add_bos=True)
    quality = window.quality
    quality.set_settings(16, 200)
    with qtbot.waitSignals([window.importance_ready, quality.text_ready], timeout=20000):
        assert window.open_path(folder)
    window.preview.setCurrentWidget(quality)
    panel = window.panel
    with qtbot.waitSignal(window.plan_changed):
        panel.set_values(4, 2, 16, "calibrated", 0, "all", calib_tokens=256)
    with qtbot.waitSignal(quality.measurement_finished, timeout=60000):
        assert window.measure_quality()
    # by default the mixed-genre calibration text calibrates and the English prose measures (issue 22): no note
    assert quality.calib_note.text() == ""
    with qtbot.waitSignal(window.plan_changed):
        panel.use_calib_file(str(texts["good"]))
    with qtbot.waitSignal(quality.measurement_finished, timeout=60000):
        assert window.measure_quality()
    assert quality.calib_note.text() == ""
    # measured on the same file it was calibrated on: said again
    with qtbot.waitSignal(quality.text_ready, timeout=10000):
        quality.use_text_file(texts["good"])
    with qtbot.waitSignal(quality.measurement_finished, timeout=60000):
        assert window.measure_quality()
    assert quality.calib_note.text() == CALIBRATION_NOTE
    # a data-free method reads no calibration text: nothing to say
    with qtbot.waitSignal(window.plan_changed):
        panel.method.setCurrentText("mean")
    with qtbot.waitSignal(quality.measurement_finished, timeout=60000):
        assert window.measure_quality()
    assert quality.calib_note.text() == ""
    plan = ShrinkRun.build(open_checkpoint(folder), window.current_request())
    assert plan.request.calib_text is None


def test_a_preset_asking_for_more_tokens_than_the_window_offers_says_so(qtbot, window, tokenized_llama, tmp_path):
    import json

    open_demo(qtbot, window, tokenized_llama)
    preset = tmp_path / "many.json"
    preset.write_text(json.dumps({"schema": 1, "name": "many", "method": "calibrated", "calib_tokens": 100000}))
    assert window.load_preset_file(preset)
    assert window.panel.values()["calib_tokens"] == 65536
    assert "100,000 calibration tokens" in window.statusBar().currentMessage()


@pytest.mark.parametrize("size", [(1480, 880), (1024, 640)])
def test_the_new_controls_move_nothing(qtbot, window, tokenized_llama, texts, size):
    """Greying the calibration and rotary controls, a calibration's progress, the verdicts and the line under the
    mixing title: none of it moves the panes, the heatmaps or the summary."""
    from test_window_layout import geometry, moved, settle

    window.resize(*size)
    open_demo(qtbot, window, tokenized_llama)
    window.panel.set_values(4, 2, 8, "mean", 0, "all")
    settle()
    parts = lambda: {**geometry(window), "verdicts": QRect(window.panel.verdicts.mapTo(window, QPoint(0, 0)),  # noqa: E731
                                                             window.panel.verdicts.size()),
                     "status": QRect(window.preview.status.mapTo(window, QPoint(0, 0)), window.preview.status.size())}
    reference = parts()
    for values, extra in (((4, 2, 8, "calibrated", 0, "all"), {}), ((4, 2, 8, "select", 0, "all"), {"rotary_pairs": "any"}),
                          ((4, 2, 16, "calibrated", 0, "all"), {"calib_text": str(texts["good"])}),
                          ((8, 4, 16, "mean", 0, "0"), {})):
        window.panel.set_values(*values, **extra)
        settle()
        assert not moved(reference, parts()), (values, extra, moved(reference, parts()))
        qtbot.waitUntil(lambda: window.calibration_worker is None, timeout=20000)
        settle()
        assert not moved(reference, parts()), (values, extra, moved(reference, parts()))
    # a text that cannot be used is said under its control (which moves what is below, as every error does),
    # and a long path wraps instead of widening the panel
    deep = texts["latin1"].parent / ("a-folder-with-a-rather-long-name-" * 3) / "latin1.txt"
    deep.parent.mkdir()
    deep.write_bytes(texts["latin1"].read_bytes())
    window.panel.set_values(4, 2, 16, "calibrated", 0, "all", calib_text=str(deep))
    settle()
    assert window.panel.errors["calib_text"].isVisibleTo(window.panel)
    assert window.panel.width() <= window.right_scroll.viewport().width()
