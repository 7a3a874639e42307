"""A tensor's (or one head's) values as a histogram with their statistics."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget

from ..formatting import grouped
from .style import set_title, stacked, style_plot, theme_colours


class HistogramView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", self.tr("value"))
        self.plot.setLabel("left", self.tr("count"))
        self.plot.setMenuEnabled(False)
        self.curve = self.plot.plot([0, 1], [0], stepMode="center", fillLevel=0, brush=(33, 150, 243, 120), pen=pg.mkPen(25, 118, 210))
        self.stats = QLabel(self.tr("Pick a tensor in the tree to see its values."))
        self.stats.setWordWrap(True)
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._title = ""
        stacked(self, self.plot, self.stats)
        self.plot.hide()  # no axes around nothing until a tensor is picked (they read -500 to 500 (x0.001))
        self.stats.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.plot.setBackground(background)
        style_plot(self.plot.getPlotItem(), foreground, self._title)

    def set_stats(self, name: str, stats: dict) -> None:
        self._title = name
        set_title(self.plot, name, theme_colours()[1])
        self.curve.setData(stats["edges"], stats["counts"])
        self.plot.show()
        self.stats.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        sampled = "" if stats["sampled"] == stats["count"] else self.tr(
            " (histogram of {sampled} evenly strided values)").format(sampled=grouped(stats["sampled"]))
        number = "{:.4g}".format
        self.stats.setText(
            self.tr("<b>{name}</b>: {count} values{sampled}<br>mean {mean} · std {std} · min {min} · max {max} · "
                    "mean |x| {abs_mean} · zeros {zeros}%").format(
                name=name, count=grouped(stats["count"]), sampled=sampled, mean=number(stats["mean"]),
                std=number(stats["std"]), min=number(stats["min"]), max=number(stats["max"]),
                abs_mean=number(stats["abs_mean"]), zeros=grouped(100 * stats["zeros"], 2))
            + (" · <span style='color:#c62828'>" + self.tr("{count} non-finite").format(count=stats["non_finite"])
               + "</span>" if stats["non_finite"] else "")
        )
