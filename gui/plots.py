"""pyqtgraph views: a matrix heatmap with colour bar and hover readout, weights before/after on
one colour scale, importance bars with their kv groups, a histogram.

Every view follows the application palette (light or dark) through :func:`apply_theme`.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .formatting import SUPERSCRIPT, format_error

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="w", foreground="k")

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


def _style_plot(plot: pg.PlotItem, foreground: QColor, title: str | None) -> None:
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


def _plot(title: str = "", **kwargs) -> pg.PlotItem:
    return pg.PlotItem(title=title, axisItems={"left": UnitAxis("left"), "bottom": UnitAxis("bottom")}, **kwargs)


class MatrixView(QWidget):
    """One matrix as a heatmap: rows are old units, columns new ones, value under the mouse below."""

    def __init__(self, title: str, old_label: str, new_label: str, parent=None, prefixes: bool = True):
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.row_step = self.col_step = 1
        self.title = title
        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = _plot(title)
        self.graphics.addItem(self.plot)
        self.prefixes = ("old ", "new ") if prefixes else ("", "")
        self.plot.setLabel("left", f"{self.prefixes[0]}{old_label}")
        self.plot.setLabel("bottom", f"{self.prefixes[1]}{new_label}")
        self.plot.invertY(True)
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=DIVERGING, interactive=False, width=12)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.readout = QLabel(" ")
        self.readout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.readout.setToolTip("The weight under the mouse: old unit → new unit")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.readout)
        self.graphics.scene().sigMouseMoved.connect(self._hover)
        self.old_label, self.new_label = old_label, new_label
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.graphics.setBackground(background)
        _style_plot(self.plot, foreground, self.title)
        self.bar.axis.setPen(foreground)
        self.bar.axis.setTextPen(foreground)

    def set_row_label(self, label: str) -> None:
        """What the rows are (``dim``, or ``head · dim`` for dim matrices stacked per old head)."""
        if label != self.old_label:
            self.old_label = label
            self.plot.setLabel("left", f"{self.prefixes[0]}{label}")

    def set_matrix(self, matrix: np.ndarray | None, row_step: int = 1, col_step: int = 1, title: str | None = None) -> None:
        """Show ``matrix`` (already small enough to draw; steps say how it was strided)."""
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=np.float32)
        self.row_step, self.col_step = row_step, col_step
        if title is not None and title != self.title:
            self.title = title
            set_title(self.plot, title, theme_colours()[1])
        if self.matrix is None or self.matrix.size == 0:
            self.image.clear()
            self.readout.setText("nothing to show")
            return
        limit = float(np.abs(self.matrix).max()) or 1.0
        self.image.setImage(self.matrix, autoLevels=False, levels=(-limit, limit))
        # cell (r, c) centred on integer coordinates, so the axis ticks are unit numbers
        rows, cols = self.matrix.shape
        self.image.setRect(QRectF(-0.5 * col_step, -0.5 * row_step, cols * col_step, rows * row_step))
        self.bar.setLevels((-limit, limit))
        self.plot.autoRange(padding=0)
        rows_text, cols_text = (f"{self.matrix.shape[0] * row_step}", f"{self.matrix.shape[1] * col_step}")
        self.readout.setText(f"{rows_text} old × {cols_text} new" if self.prefixes[0] else f"{rows_text} × {cols_text}")
        self.readout.setToolTip("Hover over the matrix for the weight under the mouse: old unit → new unit")

    def value_at(self, row: int, col: int) -> float | None:
        if self.matrix is None or not (0 <= row < self.matrix.shape[0] and 0 <= col < self.matrix.shape[1]):
            return None
        return float(self.matrix[row, col])

    def _hover(self, pos) -> None:
        if self.matrix is None or not self.plot.sceneBoundingRect().contains(pos):
            return
        point = self.plot.vb.mapSceneToView(pos)
        row = int(np.floor(point.y() / self.row_step + 0.5))
        col = int(np.floor(point.x() / self.col_step + 0.5))
        value = self.value_at(row, col)
        if value is not None:
            old, new = self.prefixes
            arrow = "→" if old else ","
            self.readout.setText(
                f"{old}{self.old_label} {row * self.row_step} {arrow} {new}{self.new_label} {col * self.col_step}: {value:.4g}"
            )


class WeightsPair(QWidget):
    """One weight matrix before and after the shrink, side by side on one colour scale.

    Rows are the projection's units (head·dim), whatever the stored layout. The *after* rows
    are drawn at the height of the old unit each one comes from (``positions``), so a kept row
    sits beside its source and the rows in between stay blank.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.titles = ["before", "after"]
        self.plots = [_plot("before"), _plot("after")]
        self.images = [pg.ImageItem(), pg.ImageItem()]
        for col, (plot, image) in enumerate(zip(self.plots, self.images, strict=True)):
            self.graphics.addItem(plot, row=0, col=col)
            plot.invertY(True)
            plot.setMenuEnabled(False)
            plot.addItem(image)
            plot.setLabel("bottom", "input")
        self.plots[0].setLabel("left", "unit (head · dim)")
        self.plots[1].setYLink(self.plots[0])
        self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=DIVERGING, interactive=False, width=12)
        self.bar.setImageItem(self.images, insert_in=self.plots[1])
        self.matrices: list[np.ndarray | None] = [None, None]
        self.row_step = self.col_step = 1
        self.readout = QLabel(" ")
        self.readout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.readout.setToolTip("The weight under the mouse")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.readout)
        self.graphics.scene().sigMouseMoved.connect(self._hover)
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.graphics.setBackground(background)
        for plot, title in zip(self.plots, self.titles, strict=True):
            _style_plot(plot, foreground, title)
        self.bar.axis.setPen(foreground)
        self.bar.axis.setTextPen(foreground)

    def set_weights(self, before: np.ndarray | None, after: np.ndarray | None, titles: tuple[str, str] = ("before", "after"),
                    row_step: int = 1, col_step: int = 1, note: str = "") -> None:
        """Both matrices already strided for display and with equal row counts (NaN = blank row)."""
        foreground = theme_colours()[1]
        for i, title in enumerate(titles):
            if title != self.titles[i]:
                self.titles[i] = title
                set_title(self.plots[i], title, foreground)
        self.matrices = [None if m is None else np.asarray(m, dtype=np.float32) for m in (before, after)]
        self.row_step, self.col_step = row_step, col_step
        shown = [m for m in self.matrices if m is not None and m.size]
        if not shown:
            for image in self.images:
                image.clear()
            self.readout.setText(note or "nothing to show")
            return
        limit = max(float(np.nanmax(np.abs(m))) if np.isfinite(m).any() else 0.0 for m in shown) or 1.0
        for plot, image, m in zip(self.plots, self.images, self.matrices, strict=True):
            if m is None or not m.size:
                image.clear()
                continue
            image.setImage(m, autoLevels=False, levels=(-limit, limit))
            rows, cols = m.shape
            image.setRect(QRectF(-0.5 * col_step, -0.5 * row_step, cols * col_step, rows * row_step))
            plot.autoRange(padding=0)
        self.bar.setLevels((-limit, limit))
        self.readout.setText(note or "one colour scale for both; hover for values")

    def _hover(self, pos) -> None:
        for plot, m, title in zip(self.plots, self.matrices, self.titles, strict=True):
            if m is None or not plot.sceneBoundingRect().contains(pos):
                continue
            point = plot.vb.mapSceneToView(pos)
            row = int(np.floor(point.y() / self.row_step + 0.5))
            col = int(np.floor(point.x() / self.col_step + 0.5))
            if 0 <= row < m.shape[0] and 0 <= col < m.shape[1] and np.isfinite(m[row, col]):
                self.readout.setText(f"{title.split(':')[0]}: unit {row * self.row_step}, input {col * self.col_step}: "
                                     f"{float(m[row, col]):.4g}")


class ImportanceChart(QWidget):
    """Per-head importance of one layer: heads ``select`` would keep are green, and shaded
    bands show which key/value head each query head reads. The legend sits below the plot,
    never over the bars."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": UnitAxis("bottom")})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("bottom", "query head")
        self.plot.setLabel("left", "importance ‖W_v‖·‖W_o‖")
        self.plot.setMenuEnabled(False)
        # items are made once and updated in place (re-creating them, and a pyqtgraph legend,
        # leaks references on every redraw)
        self.bands = pg.BarGraphItem(x=[], height=[], width=1.0, brush=pg.mkBrush(0, 0, 0, 0), pen=None)
        self.kept_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(*KEPT), pen=None)
        self.dropped_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(*DROPPED), pen=None)
        for item in (self.bands, self.kept_bars, self.dropped_bars):
            self.plot.addItem(item)
        self.group_labels: list[pg.TextItem] = []
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setToolTip("What the colours and bands mean")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.legend)
        self.scores = np.zeros(0)
        self.kept = np.zeros(0, dtype=bool)
        self.kv_of_head = np.zeros(0, dtype=int)
        self._title = ""
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.plot_widget.setBackground(background)
        _style_plot(self.plot, foreground, self._title)
        band = QColor(foreground)
        band.setAlpha(22)
        self._band_brush = pg.mkBrush(band)
        for label in self.group_labels:
            label.setColor(foreground)
        self._redraw_bands()

    def set_scores(self, scores: np.ndarray | None, kept: np.ndarray | None, title: str = "", num_kv_heads: int | None = None,
                   labels: tuple[str, str] = ("select keeps", "select drops")) -> None:
        """``labels``: the legend's words for the green and the grey bars (they depend on the method)."""
        self._title = title
        set_title(self.plot, title, theme_colours()[1])
        if scores is None:
            self.scores, self.kept, self.kv_of_head = np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0, dtype=int)
        else:
            self.scores = np.asarray(scores, dtype=float)
            self.kept = np.ones(len(self.scores), bool) if kept is None else np.asarray(kept, bool)
            n = len(self.scores)
            groups = num_kv_heads if num_kv_heads and n % num_kv_heads == 0 else n
            self.kv_of_head = np.arange(n) // (n // groups)
        x = np.arange(len(self.scores), dtype=float)
        self.kept_bars.setOpts(x=x[self.kept], height=self.scores[self.kept])
        self.dropped_bars.setOpts(x=x[~self.kept], height=self.scores[~self.kept])
        self._redraw_bands()
        self.plot.autoRange()
        if scores is None:
            self.legend.setText("")
        else:
            square = "<span style='color:rgb{}'>■</span>"
            keeps = f"{square.format(KEPT)} {labels[0]}" if kept is not None else f"{square.format(KEPT)} score"
            drops = f" &nbsp; {square.format(DROPPED)} {labels[1]}" if kept is not None and not self.kept.all() else ""
            self.legend.setText(f"{keeps}{drops} &nbsp; shaded bands: the key/value head each query head reads")

    def _redraw_bands(self) -> None:
        n = len(self.scores)
        top = float(self.scores.max()) * 1.12 if n else 0.0
        groups = sorted(set(self.kv_of_head.tolist())) if n else []
        shaded = [g for g in groups if g % 2 == 0] if len(groups) > 1 else []
        xs, widths = [], []
        for g in shaded:
            heads = np.flatnonzero(self.kv_of_head == g)
            xs.append((heads[0] + heads[-1]) / 2)
            widths.append(len(heads))
        self.bands.setOpts(x=xs, height=[top] * len(xs), width=widths or 1.0, brush=self._band_brush)
        foreground = theme_colours()[1]
        while len(self.group_labels) < len(groups):
            label = pg.TextItem(anchor=(0.5, 0.0), color=foreground)
            self.plot.addItem(label)
            self.group_labels.append(label)
        for i, label in enumerate(self.group_labels):
            if i < len(groups) and len(groups) > 1:
                heads = np.flatnonzero(self.kv_of_head == groups[i])
                label.setText(f"kv {groups[i]}")
                label.setPos((heads[0] + heads[-1]) / 2, top)
                label.show()
            else:
                label.hide()


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
        _style_plot(self.plot.getPlotItem(), foreground, self._title)

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


#: the original model and the shrunk one, in every quality chart
ORIGINAL = (66, 133, 244)
SHRUNK = (239, 108, 0)


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
                     for i, colour in enumerate((ORIGINAL, SHRUNK))]
        self.labels = [pg.TextItem(anchor=(0.0, 0.5)) for _ in range(2)]
        for item in (*self.bars, *self.labels):
            self.plot.addItem(item)
        self.plot.getAxis("left").setTicks([[(1.0, "original"), (0.0, "shrunk")]])
        self.values = (0.0, 0.0)
        self.texts = ("", "")
        self._title = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)
        self.plot.getViewBox().sigResized.connect(lambda *_: self._fit())
        self.set_pair(None)
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.plot_widget.setBackground(background)
        _style_plot(self.plot, foreground, self._title)
        for label in self.labels:
            label.setColor(foreground)

    def set_pair(self, values: tuple[float, float] | None, texts: tuple[str, str] = ("", ""), title: str = "",
                 log: bool = False, axis_label: str = "") -> None:
        """``values``: what each bar's length is (log10 of the value when ``log``); ``texts`` at the bar ends."""
        self._title = title
        set_title(self.plot, title, theme_colours()[1])
        self.axis.log = log
        self.plot.setLabel("bottom", axis_label)
        self.values = (0.0, 0.0) if values is None else (float(values[0]), float(values[1]))
        self.texts = texts if values is not None else ("", "")
        for bar, label, value, text in zip(self.bars, self.labels, self.values, self.texts, strict=True):
            bar.setOpts(width=[value])
            label.setText(text)
            label.setPos(max(value, 0.0), bar.opts["y"][0])
        self.plot.setYRange(-0.55, 1.55, padding=0)
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


class _ModestPlot(pg.PlotWidget):
    """A plot that asks for no more than its minimum height: it grows by stretch, so a scroll
    area around it never scrolls just because pyqtgraph prefers 480 pixels."""

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(super().sizeHint().width(), max(self.minimumHeight(), 100))


class _LayerBars(QWidget):
    """A bar per decoder layer: the plot, a dashed outline round the selected layer, a readout of the layer
    under the mouse and a legend below; a click on a layer emits ``layer_clicked``. Subclasses draw the bars
    and say which layers are shown (``has_layer``), where one is (``layer_at``) and what it is (``describe``)."""

    layer_clicked = Signal(int)
    #: room above the tallest bar for the selection outline, as a fraction of the bars' range
    BAND = 0.08

    def __init__(self, axis_items: dict, bottom: str, left: str, readout_tip: str, parent=None):
        super().__init__(parent)
        self.plot_widget = _ModestPlot(axisItems=axis_items)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", bottom)
        self.plot.setLabel("left", left)
        # made once and updated in place (see ImportanceChart)
        self.selected = pg.BarGraphItem(x=[], height=[], width=0.96, brush=pg.mkBrush(0, 0, 0, 0), pen=None)
        self.readout = QLabel(" ")
        self.readout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.readout.setToolTip(readout_tip)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.readout)
        layout.addWidget(self.legend)
        self.selected_layer: int | None = None
        self.top, self.base = 1.0, 0.0
        self._title = ""
        self.plot_widget.scene().sigMouseMoved.connect(self._hover)
        self.plot_widget.scene().sigMouseClicked.connect(self._clicked)

    def _add_bars(self, *items) -> None:
        """The subclass's bar items, under the selection outline."""
        for item in (*items, self.selected):
            self.plot.addItem(item)

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.plot_widget.setBackground(background)
        _style_plot(self.plot, foreground, self._title)
        self._mark_pen = pg.mkPen(foreground, width=1.5, style=Qt.PenStyle.DashLine)
        self._draw_selection()

    def set_selected(self, layer: int | None) -> None:
        self.selected_layer = layer
        self._draw_selection()

    def _band_top(self) -> float:
        return self.top + self.BAND * ((self.top - self.base) or 1.0)

    def _draw_selection(self) -> None:
        layer = self.selected_layer
        if layer is None or not self.has_layer(layer):
            self.selected.setOpts(x=[], height=[])
            return
        self.selected.setOpts(x=[float(layer)], y0=self.base, height=[self._band_top() - self.base], pen=self._mark_pen)

    def has_layer(self, layer: int) -> bool:
        raise NotImplementedError

    def layer_at(self, scene_pos) -> int | None:
        raise NotImplementedError

    def describe(self, layer: int) -> str:
        raise NotImplementedError

    def _hover(self, pos) -> None:
        layer = self.layer_at(pos)
        if layer is not None:
            self.readout.setText(self.describe(layer))

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        layer = self.layer_at(event.scenePos())
        if layer is not None:
            self.layer_clicked.emit(layer)


class LayerErrorChart(_LayerBars):
    """Per layer: the relative error of the shrunk attention output (bars; layers the plan does
    not change are greyed), the selected layer outlined. Hover reads out a layer's numbers,
    the accumulated error of the residual stream too; a click emits ``layer_clicked``."""

    def __init__(self, parent=None):
        axis = ValueAxis("left")
        super().__init__({"left": axis, "bottom": UnitAxis("bottom")}, "layer", "relative error",
                         "A layer's numbers, under the mouse; click a layer to select it in the window", parent)
        self.axis = axis
        self.unchanged = pg.BarGraphItem(x=[], height=[], width=0.9, brush=pg.mkBrush(*DROPPED, 110), pen=None)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush(*SHRUNK), pen=None)
        self._add_bars(self.unchanged, self.bars)
        square = "<span style='color:rgb{}'>■</span>"
        self.legend.setText(
            f"{square.format(SHRUNK)} relative error of the layer's attention output, shrunk against original on "
            f"the same input &nbsp; {square.format(DROPPED)} layer unchanged by the targets")
        self.legend.setToolTip("What the shrink does to each layer on its own, undiluted by earlier layers; "
                               "hover for how far the whole model has drifted after the layer")
        self.layers: list = []
        self.log = False
        self.apply_theme()

    def _height(self, value: float) -> float:
        """Where a value sits on the axis (its log10 in log mode; NaN for nothing to draw)."""
        if self.log:
            return math.log10(value) if value > 0 and math.isfinite(value) else math.nan
        return value if math.isfinite(value) else math.nan

    def set_layers(self, layers: list | None, title: str = "", selected: int | None = None) -> None:
        """``layers``: the core's LayerError records (None: nothing measured)."""
        self.layers = list(layers or [])
        self._title = title
        set_title(self.plot, title, theme_colours()[1])
        changed = [e for e in self.layers if e.changed]
        errors = [e.attention_error for e in changed if e.attention_error > 0 and math.isfinite(e.attention_error)]
        # log when the errors span more than three decades (the article's blow-ups next to ordinary layers)
        self.log = bool(errors) and max(errors) / min(errors) > 1000
        self.axis.log = self.log
        self.plot.setLabel("left", "relative error (log)" if self.log else "relative error")
        base = math.floor(math.log10(min(errors))) if self.log else 0.0
        x = np.array([e.layer for e in changed], dtype=float)
        tops = np.array([self._height(e.attention_error) for e in changed], dtype=float)
        finite = np.isfinite(tops)
        self.bars.setOpts(x=x[finite], y0=base, height=tops[finite] - base)
        heights = [h for h in map(self._height, errors) if math.isfinite(h)]
        self.top = max(heights) if heights else 1.0
        self.base = base
        grey = np.array([e.layer for e in self.layers if not e.changed], dtype=float)
        self.unchanged.setOpts(x=grey, y0=base, height=np.full(len(grey), self._band_top() - base))
        if self.layers:
            first, last = self.layers[0].layer, self.layers[-1].layer
            self.plot.setXRange(first - 0.6, last + 0.6, padding=0)
            self.plot.setYRange(base, self._band_top() + 0.02 * ((self.top - base) or 1.0), padding=0)
        self.axis.picture = None
        self.axis.update()
        self.readout.setText("hover over a layer for its numbers; click to select it" if self.layers else " ")
        self.set_selected(selected)

    def has_layer(self, layer: int) -> bool:
        return any(e.layer == layer for e in self.layers)

    def layer_at(self, scene_pos) -> int | None:
        if not self.layers or not self.plot.getViewBox().sceneBoundingRect().contains(scene_pos):
            return None
        x = self.plot.getViewBox().mapSceneToView(scene_pos).x()
        nearest = min(self.layers, key=lambda e: abs(e.layer - x))
        return nearest.layer if abs(nearest.layer - x) <= 0.5 else None

    def describe(self, layer: int) -> str:
        e = next(e for e in self.layers if e.layer == layer)
        drift = f"residual stream error after it {format_error(e.hidden_error)}"
        if not e.changed:
            return f"layer {layer}: unchanged by the targets · {drift}"
        return f"layer {layer}: attention output error {format_error(e.attention_error)} · {drift}"


#: the layer chart's colours: a layer that stays, one that goes
LAYER_KEPT = KEPT
LAYER_REMOVED = (198, 40, 40)


class LayerScoreChart(_LayerBars):
    """Why these decoder layers go: each source layer's score as a bar, green where the layer stays,
    red where it is removed, the selected layer outlined. Hover reads a layer out (its score, its
    new index or where it was merged); a click emits ``layer_clicked``."""

    BAND = 0.06

    def __init__(self, parent=None):
        super().__init__({"bottom": UnitAxis("bottom")}, "layer of the original model", "score",
                         "A layer's score and fate, under the mouse; click a layer to select it in the window", parent)
        self.kept_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush(*LAYER_KEPT), pen=None)
        self.removed_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush(*LAYER_REMOVED), pen=None)
        self._add_bars(self.kept_bars, self.removed_bars)
        self.scores = np.zeros(0)
        self.kept: tuple[int, ...] = ()
        self.merged: dict[int, tuple[int, ...]] = {}
        self.apply_theme()
        self.set_choice(None)

    @property
    def removed(self) -> tuple[int, ...]:
        kept = set(self.kept)
        return tuple(i for i in range(len(self.scores)) if i not in kept)

    def set_choice(self, choice, title: str = "", axis_label: str = "score", selected: int | None = None) -> None:
        """``choice``: the core's LayerChoice (None: nothing chosen yet)."""
        self._title = title
        set_title(self.plot, title, theme_colours()[1])
        self.plot.setLabel("left", axis_label)
        if choice is None:
            self.scores, self.kept, self.merged = np.zeros(0), (), {}
        else:
            self.scores = np.asarray(choice.scores, dtype=float)
            self.kept, self.merged = tuple(choice.kept), dict(choice.merged)
        x = np.arange(len(self.scores), dtype=float)
        stays = np.isin(np.arange(len(self.scores)), self.kept)
        self.kept_bars.setOpts(x=x[stays], height=self.scores[stays])
        self.removed_bars.setOpts(x=x[~stays], height=self.scores[~stays])
        if len(self.scores):
            top = float(np.nanmax(self.scores)) if np.isfinite(self.scores).any() else 1.0
            low = min(0.0, float(np.nanmin(self.scores)))
            self.top, self.base = (top if top > low else low + 1.0), low
            self.plot.setXRange(-0.6, len(self.scores) - 0.4, padding=0)
            self.plot.setYRange(low, self._band_top() + 0.02 * (self.top - low), padding=0)
        else:
            self.top, self.base = 1.0, 0.0
        square = "<span style='color:rgb{}'>■</span>"
        self.legend.setText(f"{square.format(LAYER_KEPT)} stays &nbsp; {square.format(LAYER_REMOVED)} removed "
                            "(the lowest scores go)" if len(self.scores) else "")
        self.readout.setText("hover over a layer for its score; click to select it" if len(self.scores) else " ")
        self.set_selected(selected)

    def has_layer(self, layer: int) -> bool:
        return 0 <= layer < len(self.scores)

    def layer_at(self, scene_pos) -> int | None:
        if not len(self.scores) or not self.plot.getViewBox().sceneBoundingRect().contains(scene_pos):
            return None
        x = self.plot.getViewBox().mapSceneToView(scene_pos).x()
        layer = int(round(x))
        return layer if 0 <= layer < len(self.scores) and abs(layer - x) <= 0.5 else None

    def describe(self, layer: int) -> str:
        score = f"layer {layer}: score {self.scores[layer]:.4g}"
        if layer in self.kept:
            new = self.kept.index(layer)
            merged = self.merged.get(layer, ())
            return f"{score} · stays, as layer {new}" + (f" (+ merged {', '.join(map(str, merged))})" if merged else "")
        into = next((k for k, group in self.merged.items() if layer in group), None)
        return f"{score} · removed" + (f" (merged into layer {into})" if into is not None else "")
