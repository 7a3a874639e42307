"""Colours, titles and axes every chart shares: the palette (light or dark), a title elided to its plot, unit
and value axes whose ticks read well.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..formatting import SUPERSCRIPT

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="w", foreground="k")


def stacked(owner: QWidget, chart: QWidget, *below: QWidget, spacing: int | None = None) -> QVBoxLayout:
    """``owner``'s layout: the chart taking the room, the labels under it (readout, legend) at their own height,
    edge to edge, so a chart sits in its pane the same way wherever it is used."""
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    if spacing is not None:
        layout.setSpacing(spacing)
    layout.addWidget(chart, 1)
    for widget in below:
        layout.addWidget(widget)
    return layout


def readout(tip: str) -> QLabel:
    """The line under a chart that says the value under the mouse: centred, and never widening its pane."""
    label = QLabel(" ")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    label.setToolTip(tip)
    return label


DIVERGING = "CET-D1"
KEPT = (46, 125, 50)
DROPPED = (189, 189, 189)
#: tick steps that read well for unit numbers (heads, dims, rows)
_NICE_STEPS = (1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 200, 256, 500, 512, 1000, 1024, 2048, 4096)


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def theme_colours(palette: QPalette | None = None) -> tuple[QColor, QColor]:
    """(background, foreground) for plots under this palette."""
    palette = palette or QApplication.palette()
    if is_dark(palette):
        return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    return QColor("white"), QColor("black")


def set_title(plot: pg.PlotItem, title: str, color) -> None:
    """``plot.setTitle``, elided to the plot's width (the whole title on hover) and without a minimum width:
    pyqtgraph makes a title's text width the plot's minimum, so a long title pushed the chart past its pane
    (its last bars cut off, with no way to scroll to them), and side by side plots' titles overlapped."""
    if isinstance(plot, pg.PlotWidget):
        plot = plot.getPlotItem()
    label = plot.titleLabel
    if not getattr(label, "_headmix_relaxed", False):
        label.updateMin = lambda label=label: _title_fits(label)  # LabelItem calls it on every text change and resize
        label._headmix_relaxed, label._headmix_busy = True, False
    _span_title(plot, label)
    label._headmix_full, label._headmix_shown = title, None
    plot.setTitle(title, color=color)


def _span_title(plot: pg.PlotItem, label) -> None:
    """Give the title the plot's whole width, over the axes and any colour bar, not only the view box's column:
    a heatmap's "Query/key dims" was elided to "Query/key di…" in a 240-pixel cell that had room for it."""
    columns = plot.layout.columnCount()
    if getattr(label, "_headmix_span", None) == columns:
        return
    plot.layout.removeItem(label)
    plot.layout.addItem(label, 0, 0, 1, columns)
    label._headmix_span = columns


def _title_fits(label) -> None:
    type(label).updateMin(label)
    hint = getattr(label, "_sizeHint", None)  # what LabelItem.sizeHint answers
    if isinstance(hint, dict):
        for which in (Qt.SizeHint.MinimumSize, Qt.SizeHint.PreferredSize):
            if which in hint:
                hint[which] = (0, hint[which][1])
    label.setMinimumWidth(0)
    full, width = label._headmix_full, int(label.rect().width())
    if label._headmix_busy or not full or width <= 0:
        return
    font = QFont(label.item.font())
    size = str(label.opts.get("size", ""))
    if size.endswith("pt"):
        font.setPointSizeF(float(size[:-2]))
    shown = QFontMetrics(font).elidedText(full, Qt.TextElideMode.ElideRight, max(1, width - 8))
    if shown != label._headmix_shown:
        label._headmix_busy = True
        try:
            type(label).setText(label, shown)  # with the label's own colour and size
        finally:
            label._headmix_busy = False
        label._headmix_shown, label.text = shown, full
        label.setToolTip(full if shown != full else "")


def style_plot(plot: pg.PlotItem, foreground: QColor, title: str | None) -> None:
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(foreground)
        axis.setTextPen(foreground)
    if title is not None:
        set_title(plot, title, foreground)


class UnitAxis(pg.AxisItem):
    """Whole-number ticks (unit numbers, never "(x0.001)"), spaced so labels never overlap."""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def label_extent(self, largest: float) -> int:
        """Pixels one tick label needs along this axis, gap included."""
        metrics = QFontMetrics(self.style.get("tickFont") or QApplication.font())
        if self.orientation in ("bottom", "top"):
            return metrics.horizontalAdvance(str(int(abs(largest)) or 0)) + metrics.horizontalAdvance("  ")
        return metrics.height() + 2

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph's name
        span = maxVal - minVal
        if not (span > 0 and size > 0 and math.isfinite(span)):
            return [(1.0, 0.0)]
        fits = max(1.0, size / self.label_extent(max(abs(minVal), abs(maxVal))))
        step = next((s for s in _NICE_STEPS if span / s <= fits), 10 ** math.ceil(math.log10(span / fits)))
        return [(float(step), 0.0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [str(int(round(v))) for v in values]


def new_plot(title: str = "", **kwargs) -> pg.PlotItem:
    return pg.PlotItem(title=title, axisItems={"left": UnitAxis("left"), "bottom": UnitAxis("bottom")}, **kwargs)


#: the original model and the shrunk one, in every quality chart
ORIGINAL = (66, 133, 244)
SHRUNK = (239, 108, 0)
#: the healed export (issue 21), after the shrunk model
HEALED = (46, 125, 50)


def power_of_ten(exponent: float) -> str:
    """A tick label for ``10 ** exponent`` (whole exponents): plain near 1, a power beyond."""
    e = int(round(exponent))
    if -2 <= e <= 3:
        return f"{10.0 ** e:,g}"
    return f"10{str(e).translate(SUPERSCRIPT)}"


class ValueAxis(pg.AxisItem):
    """A value axis that can label log10 data: with ``log`` set, the plotted numbers are
    exponents and the ticks say the values (1, 10, 100, 10⁴), one per whole decade or more.
    (pyqtgraph's own log mode would also transform the data items, and bars cannot be.)"""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self.log = False

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph's name
        if not self.log:
            return super().tickSpacing(minVal, maxVal, size)
        span = maxVal - minVal
        if not (span > 0 and size > 0 and math.isfinite(span)):
            return [(1.0, 0.0)]
        metrics = QFontMetrics(self.style.get("tickFont") or QApplication.font())
        extent = metrics.horizontalAdvance("10⁻⁰⁰  ") if self.orientation in ("bottom", "top") else metrics.height() + 4
        fits = max(1.0, size / extent)
        return [(float(max(1, math.ceil(span / fits))), 0.0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        if self.log:
            return [power_of_ten(v) for v in values]
        return super().tickStrings(values, scale, spacing)


#: the layer chart's colours: a layer that stays, one that goes
LAYER_KEPT = KEPT
LAYER_REMOVED = (198, 40, 40)
