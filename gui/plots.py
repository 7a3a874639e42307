"""pyqtgraph views: a matrix heatmap with colour bar and hover readout, weights before/after on
one colour scale, importance bars with their kv groups, a histogram.

Every view follows the application palette (light or dark) through :func:`apply_theme`.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QVBoxLayout, QWidget

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


def _style_plot(plot: pg.PlotItem, foreground: QColor, title: str | None) -> None:
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(foreground)
        axis.setTextPen(foreground)
    if title is not None:
        plot.setTitle(title, color=foreground)


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

    def set_matrix(self, matrix: np.ndarray | None, row_step: int = 1, col_step: int = 1, title: str | None = None) -> None:
        """Show ``matrix`` (already small enough to draw; steps say how it was strided)."""
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=np.float32)
        self.row_step, self.col_step = row_step, col_step
        if title is not None and title != self.title:
            self.title = title
            self.plot.setTitle(title, color=theme_colours()[1])
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
                self.plots[i].setTitle(title, color=foreground)
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

    def set_scores(self, scores: np.ndarray | None, kept: np.ndarray | None, title: str = "", num_kv_heads: int | None = None) -> None:
        self._title = title
        self.plot.setTitle(title, color=theme_colours()[1])
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
            keeps = f"{square.format(KEPT)} select keeps" if kept is not None else f"{square.format(KEPT)} score"
            drops = f" &nbsp; {square.format(DROPPED)} select drops" if kept is not None and not self.kept.all() else ""
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
        self.plot.setTitle(name, color=theme_colours()[1])
        self.curve.setData(stats["edges"], stats["counts"])
        sampled = "" if stats["sampled"] == stats["count"] else f" (histogram of {stats['sampled']:,} evenly strided values)"
        self.stats.setText(
            f"<b>{name}</b>: {stats['count']:,} values{sampled}<br>"
            f"mean {stats['mean']:.4g} · std {stats['std']:.4g} · min {stats['min']:.4g} · max {stats['max']:.4g} · "
            f"mean |x| {stats['abs_mean']:.4g} · zeros {100 * stats['zeros']:.2f}%"
            + (f" · <span style='color:#c62828'>{stats['non_finite']} non-finite</span>" if stats["non_finite"] else "")
        )
