"""A chart's title never widens the chart past its pane: it is elided to the plot's width, whole on hover."""

from __future__ import annotations

from PySide6.QtCore import Qt

from headmix.gui.plots import PairChart


def test_a_long_title_is_elided_and_sets_no_minimum_width(qtbot):
    chart = PairChart()
    qtbot.addWidget(chart)
    chart.resize(320, 140)
    chart.show()
    title = "perplexity on 4,088 tokens (lower is better), measured on a text the calibration never saw"
    chart.set_pair((27.33, 107.3), ("27.33", "107.3"), title, axis_label="perplexity")
    qtbot.waitUntil(lambda: chart.plot.geometry().width() <= chart.plot_widget.width())
    label = chart.plot.titleLabel
    assert chart.plot.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() < 100  # the title used to set ~560
    assert label.text == title and label.toolTip() == title
    shown = label._headmix_shown
    assert shown.endswith("…") and title.startswith(shown[:-1])
    chart.resize(1400, 140)  # room enough: the whole title, no tooltip needed
    qtbot.waitUntil(lambda: label._headmix_shown == title)
    assert label.toolTip() == ""
