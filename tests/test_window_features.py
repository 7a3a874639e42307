"""What a user of this kind of tool expects: undo, reset, a status bar, the command line,
opening the export, help, and plots that follow a dark palette."""

from __future__ import annotations

import shlex

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from conftest import DEMO, open_demo
from headmix.core.cli import build_parser, main
from headmix.core.plan.request import Request


def test_undo_and_redo_target_changes_and_reset_to_the_models_shape(qtbot, window):
    open_demo(qtbot, window)
    start = window.panel.values()
    assert not window.undo_stack.can_undo()
    window.panel.heads.setValue(4)
    window.panel.method.setCurrentText("random")
    window.panel.layers.setText("0-1")
    window.panel.layers.editingFinished.emit()
    after = window.panel.values()
    assert window.undo_stack.count() == 3 and window.undo_action.text().replace("&", "") == "Undo layers all → 0-1"
    window.undo_action.trigger()
    assert window.panel.values()["layers"] == "all" and window.plan.resolved.layers is None
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert window.panel.values() == start and not window.undo_stack.can_undo()
    for _ in range(3):
        window.redo_action.trigger()
    assert window.panel.values() == after and window.plan.num_heads == 4
    window.reset_action.trigger()
    values = window.panel.values()
    assert (values["heads"], values["kv_heads"], values["head_dim"], values["layers"]) == (8, 2, 32, "all")
    assert window.plan.identity
    window.undo_action.trigger()
    assert window.panel.values() == after
    # a new model starts a new history
    open_demo(qtbot, window)
    assert not window.undo_stack.can_undo()


def test_typing_in_layers_is_one_undo_step(qtbot, window):
    open_demo(qtbot, window)
    box = window.panel.layers
    box.selectAll()
    for text in ("0", "0-", "0-2"):
        box.setText(text)
        window.refresh()
    assert window.undo_stack.count() == 1
    window.undo_action.trigger()
    assert window.panel.values()["layers"] == "all"


def test_the_status_bar_always_shows_the_model_and_the_plan(qtbot, window):
    assert window.plan_status.text() == "No model open"
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    text = window.plan_status.text()
    assert text.startswith("demo · llama 8×32, kv 2 → 4×16, kv 2 · select · all layers")
    assert window.panel.saved_label.text() in text
    window.statusBar().showMessage("a passing message")
    assert window.plan_status.isVisible()  # permanent: a message never hides it
    window.panel.set_values(4, 2, 16, "select", 0, "0-9")
    assert window.plan_status.text().endswith("invalid targets")


def test_copy_as_command_gives_the_same_plan_on_the_command_line(qtbot, window, capsys):
    open_demo(qtbot, window)
    window.panel.set_values(4, 1, 16, "mean", 7, "0-1,3")
    window.copy_command_action.trigger()
    line = QApplication.clipboard().text()
    args = shlex.split(line)
    assert args[:3] == ["headmix", "shrink", str(DEMO)]
    parsed = build_parser().parse_args(args[1:])
    assert (parsed.heads, parsed.kv_heads, parsed.head_dim, parsed.method, parsed.seed, parsed.layers) == (
        4, 1, 16, "mean", 7, "0-1,3")
    capsys.readouterr()
    assert main(args[1:] + ["--dry-run"]) == 0
    cli_plan = capsys.readouterr().out
    plan = window.plan
    plan.kept_pairs  # noqa: B018 - what the dry run computes before describing
    for i in plan.layers:
        plan.mixing(i)
    assert cli_plan.strip() == plan.describe().strip()


def test_command_lines_round_trip_through_the_parser():
    import shlex

    line = Request(8, 2, 32, method="select").command_line("/models/my model", "/tmp/out dir")
    parsed = build_parser().parse_args(shlex.split(line)[1:])
    assert (parsed.source, parsed.output, parsed.layers, parsed.heads) == ("/models/my model", "/tmp/out dir", None, 8)
    line = Request(8, 2, 32, method="article", seed=3, layers=" 0 - 2, 5 ").command_line("m")
    assert build_parser().parse_args(shlex.split(line)[1:]).layers == "0-2,5"


def test_after_an_export_the_exported_model_opens_in_the_window(qtbot, window, tmp_path):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    with qtbot.waitSignal(window.export_finished, timeout=30000):
        window.start_export(tmp_path / "small")
    box = next(w for w in QApplication.topLevelWidgets() if w.isVisible() and w.windowTitle() == "Export finished")
    button = next(b for b in box.buttons() if b.text() == "Open the exported model")
    with qtbot.waitSignal(window.checkpoint_opened):
        button.click()
    assert window.checkpoint.path == (tmp_path / "small").resolve()
    assert window.arch.num_heads == 4 and window.arch.head_dim == 16
    assert window.open_export_action.isEnabled()


def test_help_lists_the_keyboard_shortcuts_and_shows_the_readme(qtbot, window):
    box = window.show_shortcuts()
    text = box.text()
    for keys, what in (("Ctrl+E", "Export"), ("Ctrl+Z", "Undo"), ("Ctrl+Shift+C", "Copy as command"), ("Esc", "Cancel")):
        assert keys in text and what in text
    dialog = window.show_readme()
    assert dialog.isVisible() and "Quick start" in window.readme_browser.toPlainText()
    dialog.close()


def test_plots_follow_a_dark_palette(qtbot, window):
    open_demo(qtbot, window)
    app = QApplication.instance()
    light = app.palette()
    dark = QPalette(light)
    for role, colour in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.Base, "#2b2b2b"),
                         (QPalette.ColorRole.Text, "#e8e8e8"), (QPalette.ColorRole.WindowText, "#e8e8e8")):
        dark.setColor(role, QColor(colour))
    try:
        app.setPalette(dark)
        QApplication.processEvents()
        views = [*window.preview.matrices.values(), window.preview.weights]
        backgrounds = [v.graphics.backgroundBrush().color() for v in views]
        backgrounds += [window.preview.importance.plot_widget.backgroundBrush().color(),
                        window.preview.histogram.plot.backgroundBrush().color()]
        assert all(c.lightness() < 100 for c in backgrounds), [c.name() for c in backgrounds]
        axis = window.preview.matrices["q_heads"].plot.getAxis("left")
        assert axis.textPen().color().lightness() > 150
    finally:
        app.setPalette(light)
        QApplication.processEvents()
    assert window.preview.matrices["q_heads"].graphics.backgroundBrush().color() == QColor("white")
