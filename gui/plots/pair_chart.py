"""The original model and the shrunk one side by side, one bar each per measure."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import QWidget

from PySide6.QtCore import QCoreApplication

from .style import HEALED, ORIGINAL, SHRUNK, ValueAxis, set_title, stacked, style_plot, theme_colours


class PairChart(QWidget):
    """Two horizontal bars, the original model's value above the shrunk model's, each with its
    number at its end; on a log axis when the two are far apart (the caller decides and passes
    log10 values then)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.axis = ValueAxis("bottom")
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": self.axis})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getViewBox().setDefaultPadding(0)
        self.bars = [pg.BarGraphItem(x0=[0.0], y=[1 - i], height=0.62, width=[0.0], brush=pg.mkBrush(*colour), pen=None)
                     for i, colour in enumerate((ORIGINAL, SHRUNK, HEALED))]  # a third bar: the healed export
        self.labels = [pg.TextItem(anchor=(0.0, 0.5)) for _ in range(3)]
        for item in (*self.bars, *self.labels):
            self.plot.addItem(item)
        self.plot.getAxis("left").setTicks([[(1.0, self.tr("original")), (0.0, self.tr("shrunk"))]])
        self.values = (0.0, 0.0)
        self.texts = ("", "")
        self._title = ""
        stacked(self, self.plot_widget)
        self.plot.getViewBox().sigResized.connect(lambda *_: self._fit())
        self.set_pair(None)
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.plot_widget.setBackground(background)
        style_plot(self.plot, foreground, self._title)
        for label in self.labels:
            label.setColor(foreground)

    def set_pair(self, values: tuple[float, float] | None, texts: tuple[str, str] = ("", ""), title: str = "",
                 log: bool = False, axis_label: str = "") -> None:
        """``values``: what each bar's length is (log10 of the value when ``log``); ``texts`` at the bar ends."""
        self._title = title
        set_title(self.plot, title, theme_colours()[1])
        self.axis.log = log
        self.plot.setLabel("bottom", axis_label)
        self.values = (0.0, 0.0) if values is None else tuple(float(v) for v in values)
        self.texts = tuple(texts) if values is not None else ("", "")
        rows = len(self.values)  # 2, or 3 with the healed export
        for i, (bar, label) in enumerate(zip(self.bars, self.labels, strict=True)):
            value, text = (self.values[i], self.texts[i]) if i < rows else (0.0, "")
            bar.setOpts(width=[value])
            bar.setVisible(i < rows)
            label.setText(text)
            label.setPos(max(value, 0.0), bar.opts["y"][0])
        ticks = self.plot.getAxis("left")._tickLevels[0][:2]
        ticks += [(-1.0, QCoreApplication.translate("PairChart", "healed"))] if rows > 2 else []
        self.plot.getAxis("left").setTicks([ticks])
        self.plot.setYRange(-0.55 - (rows - 2), 1.55, padding=0)
        self._fit()
        self.axis.picture = None
        self.axis.update()

    def _fit(self) -> None:
        """The value range, with room after each bar for its number, at the plot's width in pixels."""
        low = min(0.0, *self.values)
        high = max(self.values)
        if high <= low:
            high = low + 1.0
        width = self.plot.getViewBox().width()
        metrics = QFontMetrics(self.labels[0].textItem.font())
        right = high
        for value, text in zip(self.values, self.texts, strict=True):
            needed = metrics.horizontalAdvance(text) + 2 * metrics.height() if text else 0  # the item's margins too
            if width > needed + 24:
                right = max(right, low + (max(value, 0.0) - low) * width / (width - needed))
            else:
                right = max(right, low + 2 * (high - low))
        self.plot.setXRange(low, right, padding=0)
