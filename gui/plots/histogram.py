"""A tensor's (or one head's) values as a histogram with their statistics."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .style import set_title, style_plot, theme_colours


class HistogramView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "value")
        self.plot.setLabel("left", "count")
        self.plot.setMenuEnabled(False)
        self.curve = self.plot.plot([0, 1], [0], stepMode="center", fillLevel=0, brush=(33, 150, 243, 120), pen=pg.mkPen(25, 118, 210))
        self.stats = QLabel("Pick a tensor in the tree to see its values.")
        self.stats.setWordWrap(True)
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._title = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.stats)
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.plot.setBackground(background)
        style_plot(self.plot.getPlotItem(), foreground, self._title)

    def set_stats(self, name: str, stats: dict) -> None:
        self._title = name
        set_title(self.plot, name, theme_colours()[1])
        self.curve.setData(stats["edges"], stats["counts"])
        sampled = "" if stats["sampled"] == stats["count"] else f" (histogram of {stats['sampled']:,} evenly strided values)"
        self.stats.setText(
            f"<b>{name}</b>: {stats['count']:,} values{sampled}<br>"
            f"mean {stats['mean']:.4g} · std {stats['std']:.4g} · min {stats['min']:.4g} · max {stats['max']:.4g} · "
            f"mean |x| {stats['abs_mean']:.4g} · zeros {100 * stats['zeros']:.2f}%"
            + (f" · <span style='color:#c62828'>{stats['non_finite']} non-finite</span>" if stats["non_finite"] else "")
        )
