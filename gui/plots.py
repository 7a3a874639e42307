"""pyqtgraph views: a matrix heatmap with colour bar and hover readout, bars, a histogram."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="w", foreground="k")

DIVERGING = "CET-D1"
KEPT = (46, 125, 50)
DROPPED = (189, 189, 189)


class MatrixView(QWidget):
    """One matrix as a heatmap: rows are old units, columns new ones, value under the mouse below."""

    def __init__(self, title: str, old_label: str, new_label: str, parent=None, prefixes: bool = True):
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.row_step = self.col_step = 1
        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = self.graphics.addPlot(title=title)
        self.prefixes = ("old ", "new ") if prefixes else ("", "")
        self.plot.setLabel("left", f"{self.prefixes[0]}{old_label}")
        self.plot.setLabel("bottom", f"{self.prefixes[1]}{new_label}")
        self.plot.invertY(True)
        self.plot.setMenuEnabled(False)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)  # unit numbers, never "(x0.001)"
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=DIVERGING, interactive=False, width=12)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.readout = QLabel(" ")
        self.readout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.readout.setToolTip("The weight under the mouse: old unit → new unit")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.readout)
        self.graphics.scene().sigMouseMoved.connect(self._hover)
        self.old_label, self.new_label = old_label, new_label

    def set_matrix(self, matrix: np.ndarray | None, row_step: int = 1, col_step: int = 1, title: str | None = None) -> None:
        """Show ``matrix`` (already small enough to draw; steps say how it was strided)."""
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=np.float32)
        self.row_step, self.col_step = row_step, col_step
        if title is not None:
            self.plot.setTitle(title)
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
        for axis, n, step in (("left", rows, row_step), ("bottom", cols, col_step)):
            major = max(1, int(np.ceil(n * step / 8)))
            self.plot.getAxis(axis).setTickSpacing(major, major)
        self.plot.autoRange(padding=0)
        rows_text, cols_text = (f"{self.matrix.shape[0] * row_step}", f"{self.matrix.shape[1] * col_step}")
        if self.prefixes[0]:
            self.readout.setText(f"{rows_text} old × {cols_text} new — hover for values")
        else:
            self.readout.setText(f"{rows_text} × {cols_text} — hover for values")

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


class ImportanceChart(pg.PlotWidget):
    """Per-head importance of one layer; heads `select` would keep are green."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setLabel("bottom", "query head")
        self.setLabel("left", "importance ‖W_v‖·‖W_o‖")
        self.setMenuEnabled(False)
        self.bars: pg.BarGraphItem | None = None
        self.legend = self.addLegend(offset=(-10, 10))
        self.scores = np.zeros(0)
        self.kept = np.zeros(0, dtype=bool)

    def set_scores(self, scores: np.ndarray | None, kept: np.ndarray | None, title: str = "") -> None:
        self.clear()
        self.legend.clear()
        self.setTitle(title)
        if scores is None:
            self.scores, self.kept = np.zeros(0), np.zeros(0, dtype=bool)
            return
        self.scores = np.asarray(scores, dtype=float)
        self.kept = np.ones(len(scores), bool) if kept is None else np.asarray(kept, bool)
        x = np.arange(len(scores))
        for mask, colour, name in ((self.kept, KEPT, "select keeps"), (~self.kept, DROPPED, "select drops")):
            if mask.any():
                item = pg.BarGraphItem(x=x[mask], height=self.scores[mask], width=0.8, brush=pg.mkBrush(*colour), pen=None, name=name)
                self.addItem(item)  # named items join the legend by themselves


class HistogramView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "value")
        self.plot.setLabel("left", "count")
        self.plot.setMenuEnabled(False)
        self.stats = QLabel("Pick a tensor in the tree to see its values.")
        self.stats.setWordWrap(True)
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.stats)

    def set_stats(self, name: str, stats: dict) -> None:
        self.plot.clear()
        self.plot.setTitle(name)
        self.plot.plot(stats["edges"], stats["counts"], stepMode="center", fillLevel=0, brush=(33, 150, 243, 120), pen=pg.mkPen(25, 118, 210))
        sampled = "" if stats["sampled"] == stats["count"] else f" (histogram of {stats['sampled']:,} evenly strided values)"
        self.stats.setText(
            f"<b>{name}</b>: {stats['count']:,} values{sampled}<br>"
            f"mean {stats['mean']:.4g} · std {stats['std']:.4g} · min {stats['min']:.4g} · max {stats['max']:.4g} · "
            f"mean |x| {stats['abs_mean']:.4g} · zeros {100 * stats['zeros']:.2f}%"
            + (f" · <span style='color:#c62828'>{stats['non_finite']} non-finite</span>" if stats["non_finite"] else "")
        )
