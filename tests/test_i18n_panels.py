"""The window's panels (targets, layers, tree, preview words, export progress) in Chinese, English plurals, and
numbers in the window's locale."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale
from test_i18n import CHINESE, chinese, english, names, visible_texts  # noqa: F401 (fixtures)


def untranslated(widget) -> list[str]:
    return [t for t in visible_texts(widget) if not CHINESE.search(t) and t not in names()]


def test_targets_panel_speaks_chinese(chinese, qtbot):
    from headmix.gui.targets_panel import TargetsPanel

    panel = TargetsPanel()
    qtbot.addWidget(panel)
    panel.show_summary("", (1000, 2000), (500, 1000), None, [], why="")
    assert not untranslated(panel), untranslated(panel)
    assert CHINESE.search(panel.saved_label.text()) and "50.0" in panel.saved_label.text()
    tips = [panel.heads.toolTip(), panel.calib_tokens.toolTip(), panel.method.itemData(0, 3), panel.layer_method.itemData(0, 3)]
    assert all(CHINESE.search(t) for t in tips), tips
    assert CHINESE.search(panel.method_help.text()) and CHINESE.search(panel.layer_method_help.text())


def test_layers_view_and_its_words_speak_chinese(chinese, qtbot):
    from headmix.gui.layers_view import LayersView, stage_text

    view = LayersView()
    qtbot.addWidget(view)
    for show in (lambda: view.show_idle(None), lambda: view.show_idle(4), lambda: view.show_choosing(4, 3, "drop", True),
                 view.show_cancelled):
        show()
        assert CHINESE.search(view.headline.text()) and CHINESE.search(view.message.text())
        assert not untranslated(view), untranslated(view)
    assert all(CHINESE.search(stage_text(stage, 1, 4)) for stage in ("scoring", "fitting", "weights", "waiting", "heads"))


def test_tree_headers_preview_axes_and_progress_words_speak_chinese(chinese, qtbot):
    from PySide6.QtCore import Qt

    from headmix.gui.export_progress import ExportProgress
    from headmix.gui.preview_panel import PreviewPanel
    from headmix.gui.tree_model import COLUMNS, CheckpointTreeModel

    model = CheckpointTreeModel()
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(len(COLUMNS))]
    assert all(CHINESE.search(h) for h in headers), headers
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.show_mixing(3, None)
    assert CHINESE.search(panel.layer_label.text())
    clock = iter(range(100))
    progress = ExportProgress(lambda done, total: f"校准：第 {done} 层", clock=lambda: float(next(clock)))
    for shown in (progress.on_bytes(0, 0), progress.on_bytes(10, 100), progress.choosing("scoring", 1, 4)):
        assert all(CHINESE.search(t) for t in (shown.label, shown.tooltip)), shown


def test_english_counts_say_their_plural(english, qtbot):
    """One message with %n; the English catalogue of plural forms says "1 layer" and "4 layers"."""
    from headmix.gui.layers_view import LayersView

    view = LayersView()
    qtbot.addWidget(view)
    view.show_idle(1)
    assert view.headline.text() == "All 1 decoder layer stays"
    view.show_idle(4)
    assert view.headline.text() == "All 4 decoder layers stay"
    assert not CHINESE.search(view.message.text())


def test_back_to_english_keeps_the_plural_forms(chinese, qtbot):
    from headmix.gui.i18n import remove_translators
    from headmix.gui.layers_view import LayersView

    remove_translators()
    view = LayersView()
    qtbot.addWidget(view)
    view.show_idle(4)
    assert view.headline.text() == "All 4 decoder layers stay"


def test_numbers_follow_the_locale(qapp):
    """The decimal point and digit grouping are the window's locale's (here German: 1.240 and 1,50)."""
    from headmix.gui.formatting import format_error, format_number, format_ratio

    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    try:
        assert format_number(1240.0) == "1.240"
        assert format_number(27.33) == "27,33"
        assert format_ratio(1.5) == "×1,50"
        assert format_error(0.94) == "0,94"
    finally:
        QLocale.setDefault(before)
    assert format_number(1240.0) in ("1,240", "1240")  # en_US, or C where tests run without a locale
