"""A heal's training loss, step by step as it trains: the distillation loss (KL to the original's next-token
distribution) against the tokens trained on, drawn as each step reports it."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

from .style import SHRUNK, set_title, stacked, style_plot, theme_colours

translate = QCoreApplication.translate


class LossChart(QWidget):
    """The loss of every training step (a thin line) and its running mean (a thick one: a single step's loss is
    noisy, the mean says whether it is still falling), over the tokens trained on."""

    #: weight of the newest step in the running mean
    SMOOTHING = 0.1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", translate("LossChart", "tokens trained on"))
        self.plot.setLabel("left", translate("LossChart", "loss"))
        for side in ("bottom", "left"):  # a loss of 0.66 reads "0.66", not "655.9 (x0.001)"
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        # the ranges are set from the points (autorange spans a single point by ±1e-12 and labels it to 15 digits,
        # and keeps an earlier heal's range while the chart is empty)
        self.plot.disableAutoRange()
        self.steps = self.plot.plot([], [], pen=pg.mkPen((*SHRUNK, 110), width=1))
        self.mean = self.plot.plot([], [], pen=pg.mkPen(SHRUNK, width=2.5))
        self.points: list[tuple[float, float]] = []
        self.means: list[float] = []
        self._title = ""
        stacked(self, self.plot_widget)
        self.clear()
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.plot_widget.setBackground(background)
        style_plot(self.plot, foreground, self._title)

    def set_title(self, title: str) -> None:
        self._title = title
        set_title(self.plot, title, theme_colours()[1])

    def clear(self) -> None:
        self.points, self.means, self._ema = [], [], 0.0
        self.steps.setData([], [])
        self.mean.setData([], [])
        self._fit()
        self.set_title(translate("LossChart", "distillation loss (KL to the original), per step"))

    def add(self, tokens: float, loss: float) -> None:
        """One training step: ``loss`` after ``tokens`` tokens trained on."""
        self.points.append((float(tokens), float(loss)))
        # an exponential mean corrected for its start at zero (Adam's way): early on it is the mean of the steps so
        # far, not a line stuck near the first step
        self._ema = (1 - self.SMOOTHING) * self._ema + self.SMOOTHING * float(loss)
        self.means.append(self._ema / (1 - (1 - self.SMOOTHING) ** len(self.points)))
        xs = [x for x, _ in self.points]
        self.steps.setData(xs, [y for _, y in self.points])
        self.mean.setData(xs, self.means)
        self._fit()

    def _fit(self) -> None:
        """Tokens from 0 to a little past the last step; the losses with a margin of at least 5% of their size."""
        if not self.points:
            self.plot.setXRange(0, 1, padding=0)
            self.plot.setYRange(0, 1, padding=0)
            return
        self.plot.setXRange(0, 1.05 * max(max(x for x, _ in self.points), 1.0), padding=0)
        values = [y for _, y in self.points] + self.means
        low, high = min(values), max(values)
        margin = max(0.1 * (high - low), 0.05 * max(abs(low), abs(high)), 1e-3)
        self.plot.setYRange(low - margin, high + margin, padding=0)
