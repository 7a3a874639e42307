"""What the charts show: before → after, importance, heatmap ticks, badges and texts."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import open_demo
from headmix.core.io.checkpoint import open_checkpoint


def test_before_after_on_an_unchanged_layer_shows_the_weight_twice(qtbot, window):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 32, "select", 0, "0")  # layer 2 is unchanged
    window.preview.toggle.setChecked(True)
    window.select_layer(2)
    before, after = window.preview.weights.matrices
    weight = open_checkpoint(window.checkpoint.path).read_float("model.layers.2.self_attn.q_proj.weight")
    assert before is not None and after is not None
    np.testing.assert_array_equal(before, weight)
    np.testing.assert_array_equal(after, weight)
    assert "unchanged" in window.preview.weights.readout.text()


def test_before_after_share_one_colour_scale_and_kept_rows_sit_beside_their_source(qtbot, window):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    window.preview.toggle.setChecked(True)
    window.preview.role.setCurrentText("q")
    pair = window.preview.weights
    before, after = pair.matrices
    assert before.shape == after.shape == (256, 128)
    levels = [tuple(image.getLevels()) for image in pair.images]
    assert levels[0] == levels[1] == pytest.approx(tuple(pair.bar.levels()))
    limit = max(np.abs(before).max(), np.nanmax(np.abs(after)))
    assert levels[0] == pytest.approx((-limit, limit))
    # select keeps whole heads and rotary pairs: every kept row is its source row, scaled by the
    # temperature sqrt(16/32) folded into the queries
    kept = np.flatnonzero(np.isfinite(after[:, 0]))
    assert len(kept) == 4 * 16
    np.testing.assert_allclose(after[kept], before[kept] * np.sqrt(0.5), rtol=1e-2, atol=1e-2)
    # the two plots share their rows
    assert pair.plots[1].getViewBox().linkedView(1) is pair.plots[0].getViewBox()
    # o_proj's units are its columns: shown as rows too
    window.preview.role.setCurrentText("o")
    before, after = pair.matrices
    assert before.shape == (256, 128) and np.isfinite(after[:, 0]).sum() == 64


def test_importance_legend_stays_off_the_bars_and_kv_groups_are_shown(qtbot, window):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 32, "select", 0, "all")
    chart = window.preview.importance
    window.preview.setCurrentWidget(chart)
    qtbot.waitExposed(chart)
    legends = [item for item in chart.plot.scene().items() if type(item).__name__ == "LegendItem"]
    view = chart.plot.getViewBox().sceneBoundingRect()
    assert not any(legend.isVisible() and legend.sceneBoundingRect().intersects(view) for legend in legends)
    assert "select keeps" in chart.legend.text() and "select drops" in chart.legend.text()
    # the demo has 8 query heads over 2 kv heads: heads 0-3 read kv 0, heads 4-7 read kv 1
    assert chart.kv_of_head.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    labels = [label.textItem.toPlainText() for label in chart.group_labels if label.isVisible()]
    assert labels == ["kv 0", "kv 1"]
    assert "key/value head each query head reads" in chart.legend.text()


@pytest.mark.parametrize("width", [260, 420])
def test_heatmap_tick_labels_never_overlap(qtbot, window, width):
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QApplication

    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "mean", 0, "all")
    view = window.preview.matrices["qk_dims"]  # 32 old dims × 16 new
    view.setFixedWidth(width)
    QApplication.processEvents()
    for name in ("bottom", "left"):
        axis = view.plot.getAxis(name)
        lo, hi = sorted(axis.range)
        size = axis.geometry().width() if name == "bottom" else axis.geometry().height()
        (spacing, _), *rest = axis.tickSpacing(lo, hi, size)
        pixels_per_tick = spacing * size / (hi - lo)
        metrics = QFontMetrics(QApplication.font())
        widest = max(metrics.horizontalAdvance(str(int(v))) for v in np.arange(0, hi, spacing))
        need = widest + 4 if name == "bottom" else metrics.height()
        assert pixels_per_tick >= need, (name, spacing, pixels_per_tick, need)
        assert spacing == int(spacing)  # unit numbers


def test_article_verdicts_are_amber_and_say_retraining(qtbot, window):
    from headmix.gui.labels import STATUS_COLOURS

    open_demo(qtbot, window)
    window.panel.set_values(8, 2, 8, "article", 0, "all")
    row = window.panel.verdicts
    assert row.line("transformers").startswith("⚠ transformers: loads in transformers")
    assert row.line("transformers").endswith("needs retraining first")
    assert STATUS_COLOURS["warn"][0] in row.marks[0].styleSheet()
    window.panel.set_values(4, 2, 32, "mean", 0, "all")
    assert row.line("transformers").startswith("✔ transformers: loads") and STATUS_COLOURS["ok"][0] in row.marks[0].styleSheet()


def test_method_descriptions_have_no_raw_backticks(qtbot, window):
    open_demo(qtbot, window)
    for method in ("select", "mean", "random", "article"):
        window.panel.method.setCurrentText(method)
        assert "`" not in window.panel.method_help.text()
        index = window.panel.method.findText(method)
        from PySide6.QtCore import Qt

        assert "`" not in window.panel.method.itemData(index, Qt.ItemDataRole.ToolTipRole)


def test_a_method_description_sits_right_under_its_combo_whatever_its_length(qtbot, window):
    """The description label keeps the height of the longest one (nothing below jumps when the method changes); a
    shorter one is drawn at the top of that space, under its combo, not floated in the middle of a gap."""
    open_demo(qtbot, window)
    window.resize(1480, 900)
    window.show()
    qtbot.waitExposed(window)
    label = window.panel.method_help
    lines = []
    for method in ("select", "calibrated"):
        window.panel.method.setCurrentText(method)
        qtbot.waitUntil(lambda: label.text() and label.height() > 0)
        image = label.grab().toImage()
        background = image.pixelColor(0, 0)
        inked = [y for y in range(image.height())
                 if any(image.pixelColor(x, y) != background for x in range(image.width()))]
        assert inked, method
        lines.append(inked[0])
    line = label.fontMetrics().height()
    assert all(first < line for first in lines), (lines, line, label.height())
