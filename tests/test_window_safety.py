"""Nothing a user owns is ever deleted: the export folder dialog and its one question, driven
with the keyboard as a hurried user would (Enter, Enter)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from conftest import DEMO, open_demo
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.export import export
from headmix.core.plan.planner import Plan
from headmix.core.plan.request import Request


def press(widget, key=Qt.Key.Key_Return):
    """A key as the user presses it: to whatever has the focus inside ``widget``."""
    target = widget.focusWidget() or widget
    QApplication.processEvents()
    from pytestqt.qtbot import QtBot

    QtBot.keyClick(target, key)
    QApplication.processEvents()


def open_export_dialog(qtbot, window, parent: Path, name: str):
    window.choose_export_folder()
    dialog = window.export_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.parent_edit.setText(str(parent))
    dialog.name_edit.setFocus()
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, name)
    return dialog


@pytest.fixture
def demo_copy(tmp_path):
    folder = tmp_path / "models" / "demo"
    shutil.copytree(DEMO, folder)
    return folder


def test_enter_enter_never_deletes_an_unrelated_folder(qtbot, window, tmp_path, demo_copy):
    parent = tmp_path / "downloads"
    (parent / "other-model").mkdir(parents=True)
    (parent / "other-model" / "model.safetensors").write_bytes(b"precious")
    (parent / "notes.txt").write_text("precious")
    open_demo(qtbot, window, demo_copy)
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    dialog = open_export_dialog(qtbot, window, tmp_path, "downloads")
    assert not dialog.export_button.isEnabled()
    assert "not an earlier headmix export" in dialog.status.text()
    assert "notes.txt" in dialog.status.text() and "other-model/" in dialog.status.text()
    press(dialog)
    press(dialog)
    assert dialog.isVisible() and window.replace_question is None and window.export_worker is None
    press(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert (parent / "notes.txt").read_text() == "precious"
    assert (parent / "other-model" / "model.safetensors").read_bytes() == b"precious"


def test_replacing_an_earlier_export_asks_first_and_cancel_is_the_default(qtbot, window, tmp_path, demo_copy):
    earlier = tmp_path / "models" / "small"
    export(Plan.build(open_checkpoint(demo_copy), Request(heads=4)), earlier)
    stamp = (earlier / "headmix.json").read_text()
    open_demo(qtbot, window, demo_copy)
    window.panel.set_values(2, 2, 32, "select", 0, "all")
    dialog = open_export_dialog(qtbot, window, demo_copy.parent, "small")
    assert dialog.export_button.isEnabled() and "earlier headmix export" in dialog.status.text()
    press(dialog)  # Enter: Export
    question = window.replace_question
    assert question is not None and question.isVisible()
    listed = question.informativeText()
    assert "trash" in listed and "model.safetensors" in listed and "headmix.json" in listed
    assert question.defaultButton() is question.escapeButton()
    assert question.defaultButton().text().replace("&", "") == "Cancel"
    press(question)  # Enter: the default, Cancel
    assert not question.isVisible() and window.export_worker is None
    assert (earlier / "headmix.json").read_text() == stamp
    # asked again, the user really means it
    dialog = open_export_dialog(qtbot, window, demo_copy.parent, "small")
    press(dialog)
    question = window.replace_question
    replace = next(b for b in question.buttons() if b.text() == "Replace")
    with qtbot.waitSignal(window.export_finished, timeout=30000):
        qtbot.mouseClick(replace, Qt.MouseButton.LeftButton)
    assert json.loads((earlier / "headmix.json").read_text())["targets"]["num_heads"] == 2


@pytest.mark.parametrize("where", ["source", "inside the source", "contains the source", "home", "root", "not writable"])
def test_every_refusal_comes_before_any_question(qtbot, window, tmp_path, demo_copy, monkeypatch, where):
    import headmix.core.run.export as export_module

    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(export_module.os, "access", lambda p, mode: Path(p) != locked and real_access(p, mode))
    parent, name, message = {
        "source": (demo_copy.parent, "demo", "inside the source"),
        "inside the source": (demo_copy, "out", "inside the source"),
        "contains the source": (tmp_path, "models", "contains the source"),
        "home": (tmp_path, "home", "home folder"),
        "root": (Path("/"), "", "Type a name"),
        "not writable": (locked, "out", "no permission to write"),
    }[where]
    open_demo(qtbot, window, demo_copy)
    window.panel.set_values(4, 2, 32, "mean", 0, "all")
    dialog = open_export_dialog(qtbot, window, parent, name)
    if where == "root":
        dialog.parent_edit.setText("/")
        dialog.name_edit.setText("..")
        assert "is not a folder name" in dialog.status.text()
    else:
        assert message in dialog.status.text(), dialog.status.text()
    assert not dialog.export_button.isEnabled()
    press(dialog)
    press(dialog)
    assert window.replace_question is None and window.export_worker is None and dialog.isVisible()
    dialog.reject()
    # the window refuses them itself too, whatever a dialog let through
    if where != "root":
        window._export_folder_chosen(parent / name)
        assert window.last_message[0] == "Cannot export there" and message in window.last_message[1]
        assert window.replace_question is None and window.export_worker is None


def test_a_new_folder_name_is_suggested_next_to_the_source(qtbot, window, demo_copy):
    open_demo(qtbot, window, demo_copy)
    window.panel.set_values(8, 2, 32, "select", 0, "all")
    window.panel.heads.setValue(4)
    window.panel.head_dim.setValue(16)
    window.choose_export_folder()
    dialog = window.export_dialog
    assert Path(dialog.parent_edit.text()) == demo_copy.parent.resolve()
    assert dialog.name_edit.text() == "demo-4x16-kv2-select"
    assert dialog.status.text().startswith("✔ Creates")
    with qtbot.waitSignal(window.export_finished, timeout=30000):
        press(dialog)
    assert (demo_copy.parent / "demo-4x16-kv2-select" / "headmix.json").exists()
    window.choose_export_folder()
    assert window.export_dialog.name_edit.text() == "demo-4x16-kv2-select-2"  # never an existing folder
    window.export_dialog.reject()


def test_the_browse_dialog_is_qts_own_so_it_can_be_driven(qtbot, window, demo_copy):
    from PySide6.QtWidgets import QFileDialog

    open_demo(qtbot, window, demo_copy)
    window.choose_export_folder()
    dialog = window.export_dialog
    dialog.browse()
    files = dialog.file_dialog
    assert files.testOption(QFileDialog.Option.DontUseNativeDialog)
    files.reject()
    dialog.reject()
