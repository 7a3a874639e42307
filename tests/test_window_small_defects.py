"""The smaller defects of the first afternoon with the window, one test each."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt

from conftest import DEMO, open_demo
from headmix.core.plan import presets
from headmix.core.errors import TargetError
from headmix.core.shrink.targets import parse_layers


def test_the_last_preset_is_not_applied_again_on_open(qtbot, window, model_dir):
    open_demo(qtbot, window)
    assert window.apply_preset(presets.builtin()["halve-query-heads"])
    assert window.panel.values()["heads"] == 4
    window.panel.heads.setValue(6)  # a manual edit after the preset
    with qtbot.waitSignal(window.importance_ready, timeout=20000):
        window.open_path(model_dir("gpt2"))
    a = window.arch
    assert (window.panel.values()["heads"], window.panel.values()["head_dim"]) == (a.num_heads, a.head_dim)
    assert window.panel.verdicts.line("transformers").startswith("✔ transformers: loads")  # not a red "will not load"
    # only when asked
    window._fill_presets_menu()
    assert "Halve query heads" in window.apply_last_action.text() and window.apply_last_action.isEnabled()
    window.apply_last_action.trigger()
    assert window.panel.values()["heads"] == a.num_heads // 2


def test_the_filter_does_not_carry_over_to_a_new_model(qtbot, window, model_dir):
    open_demo(qtbot, window)
    qtbot.keyClicks(window.filter, "q_proj")
    assert window.proxy.rowCount() > 0
    with qtbot.waitSignal(window.importance_ready, timeout=20000):
        window.open_path(model_dir("gpt2"))
    assert window.filter.text() == ""
    model = window.proxy.index(0, 0)
    assert window.proxy.rowCount(model) == window.tree_model.rowCount(window.tree_model.index(0, 0))


def test_preset_names_never_share_a_file_and_replacing_one_asks(qtbot, window):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 32, "mean", 0, "all")
    first = window.save_preset("My test 1")
    window.panel.set_values(2, 1, 16, "select", 0, "all")
    second = window.save_preset("My test ü/1")
    assert first != second and first.exists() and second.exists()
    assert presets.load(first).name == "My test 1" and presets.load(first).request.heads == 4
    assert presets.load(second).name == "My test ü/1" and presets.load(second).request.heads == 2
    # the same name again: a question, Cancel by default
    window.panel.set_values(8, 2, 32, "mean", 0, "all")
    assert window.save_preset("My test 1") is None
    question = window.preset_question
    assert question.isVisible() and question.defaultButton() is question.escapeButton()
    qtbot.keyClick(question, Qt.Key.Key_Return)
    assert presets.load(first).request.heads == 4
    window.save_preset("My test 1")
    next(b for b in window.preset_question.buttons() if b.text() == "Replace").click()
    assert presets.load(first).request.heads == 8


def test_deleting_a_preset_asks_and_cancel_is_the_default(qtbot, window):
    open_demo(qtbot, window)
    path = window.save_preset("keep me")
    question = window.delete_preset(path.stem)
    assert "keep me" in question.text() and question.defaultButton().text().replace("&", "") == "Cancel"
    qtbot.keyClick(question, Qt.Key.Key_Escape)
    qtbot.keyClick(window.delete_preset(path.stem), Qt.Key.Key_Return)
    assert path.exists()


def test_open_folder_without_a_file_manager_says_so(qtbot, window, monkeypatch, tmp_path):
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QApplication

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
    box = window.show_message("Export finished", "Wrote it", open_folder=str(tmp_path))
    button = next(b for b in box.buttons() if b.text() == "Open folder")
    button.click()
    title, text = window.last_message
    assert title == "Cannot open the folder" and str(tmp_path) in text
    assert QApplication.clipboard().text() == str(tmp_path)


def test_open_recent_forgets_deleted_checkpoints(qtbot, window, tmp_path):
    gone = tmp_path / "gone"
    shutil.copytree(DEMO, gone)
    open_demo(qtbot, window, gone)
    open_demo(qtbot, window)
    assert str(gone.resolve()) in [a.text() for a in window.recent_menu.actions()]
    shutil.rmtree(gone)
    window.recent_menu.aboutToShow.emit()
    assert [a.text() for a in window.recent_menu.actions()] == [str(DEMO.resolve())]
    assert window.recent_files() == [str(DEMO.resolve())]


def test_layers_errors_suggest_the_models_own_range(qtbot, window):
    with pytest.raises(TargetError) as error:
        parse_layers("first", 4)
    assert "0-3" in str(error.value) and "0-11" not in str(error.value)
    with pytest.raises(TargetError, match="the model has layers 0-3"):
        parse_layers("0-11", 4)
    open_demo(qtbot, window)
    assert "0-11" not in window.panel.layers.toolTip() and "0-3" in window.panel.layers.toolTip()


def test_open_and_save_dialogs_are_qts_own_and_answered_with_the_keyboard(qtbot, window):
    from PySide6.QtWidgets import QFileDialog, QLineEdit

    files = window.choose_folder()
    assert files.testOption(QFileDialog.Option.DontUseNativeDialog) and files.isVisible()
    files.reject()
    open_demo(qtbot, window)
    dialog = window.ask_save_preset()
    qtbot.keyClicks(dialog.findChild(QLineEdit), "from keys")
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert "from keys" in [p.name for p in presets.user_presets().values()]


def test_the_main_controls_have_stable_object_names(window):
    """Tests and accessibility tools find the controls by name (issue 18), each name on exactly one widget."""
    from PySide6.QtWidgets import QWidget

    panel = window.panel
    expected = {"query_heads": panel.heads, "kv_heads": panel.kv_heads, "head_size": panel.head_dim,
                "method": panel.method, "num_layers": panel.num_layers, "layer_method": panel.layer_method,
                "rotary_pairs": panel.rotary_pairs}
    for name, widget in expected.items():
        found = window.findChildren(QWidget, name)
        assert found == [widget], name
        assert widget.accessibleName()
