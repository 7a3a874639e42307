"""A mixing matrix as a heatmap with colour bar and hover readout, and weights before/after on one colour scale."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

from .style import DIVERGING, new_plot, readout, set_title, stacked, style_plot, theme_colours


class MatrixView(QWidget):
    """One matrix as a heatmap: rows are old units, columns new ones, value under the mouse below."""

    def __init__(self, title: str, old_label: str, new_label: str, parent=None, prefixes: bool = True):
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.row_step = self.col_step = 1
        self.title = title
        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = new_plot(title)
        self.graphics.addItem(self.plot)
        self.prefixes = prefixes  # the axes say "old head", "new head"
        self.plot.setLabel("left", self._old(old_label))
        self.plot.setLabel("bottom", self._new(new_label))
        self.plot.invertY(True)
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=DIVERGING, interactive=False, width=12)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.readout = readout(self.tr("The weight under the mouse: old unit → new unit"))
        stacked(self, self.graphics, self.readout, spacing=2)
        self.graphics.scene().sigMouseMoved.connect(self._hover)
        self.old_label, self.new_label = old_label, new_label
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.graphics.setBackground(background)
        style_plot(self.plot, foreground, self.title)
        self.bar.axis.setPen(foreground)
        self.bar.axis.setTextPen(foreground)

    def _old(self, unit: str) -> str:
        """The rows' axis: "old head" (one phrase, so a language can put the words in its own order)."""
        return self.tr("old {unit}").format(unit=unit) if self.prefixes else unit

    def _new(self, unit: str) -> str:
        return self.tr("new {unit}").format(unit=unit) if self.prefixes else unit

    def set_row_label(self, label: str) -> None:
        """What the rows are (``dim``, or ``head · dim`` for dim matrices stacked per old head)."""
        if label != self.old_label:
            self.old_label = label
            self.plot.setLabel("left", self._old(label))

    def set_matrix(self, matrix: np.ndarray | None, row_step: int = 1, col_step: int = 1, title: str | None = None) -> None:
        """Show ``matrix`` (already small enough to draw; steps say how it was strided)."""
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=np.float32)
        self.row_step, self.col_step = row_step, col_step
        if title is not None and title != self.title:
            self.title = title
            set_title(self.plot, title, theme_colours()[1])
        if self.matrix is None or self.matrix.size == 0:
            self.image.clear()
            self.readout.setText(self.tr("nothing to show"))
            return
        limit = float(np.abs(self.matrix).max()) or 1.0
        self.image.setImage(self.matrix, autoLevels=False, levels=(-limit, limit))
        # cell (r, c) centred on integer coordinates, so the axis ticks are unit numbers
        rows, cols = self.matrix.shape
        self.image.setRect(QRectF(-0.5 * col_step, -0.5 * row_step, cols * col_step, rows * row_step))
        self.bar.setLevels((-limit, limit))
        self.plot.autoRange(padding=0)
        rows_text, cols_text = (f"{self.matrix.shape[0] * row_step}", f"{self.matrix.shape[1] * col_step}")
        self.readout.setText(self.tr("{rows} old × {cols} new").format(rows=rows_text, cols=cols_text) if self.prefixes
                             else f"{rows_text} × {cols_text}")
        self.readout.setToolTip(self.tr("Hover over the matrix for the weight under the mouse: old unit → new unit"))

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
            arrow = "→" if self.prefixes else ","
            self.readout.setText(f"{self._old(self.old_label)} {row * self.row_step} {arrow} "
                                 f"{self._new(self.new_label)} {col * self.col_step}: {value:.4g}")


class WeightsPair(QWidget):
    """One weight matrix before and after the shrink, side by side on one colour scale.

    Rows are the projection's units (head·dim), whatever the stored layout. The *after* rows
    are drawn at the height of the old unit each one comes from (``positions``), so a kept row
    sits beside its source and the rows in between stay blank.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.titles = [self.tr("before"), self.tr("after")]
        self.plots = [new_plot(self.titles[0]), new_plot(self.titles[1])]
        self.images = [pg.ImageItem(), pg.ImageItem()]
        for col, (plot, image) in enumerate(zip(self.plots, self.images, strict=True)):
            self.graphics.addItem(plot, row=0, col=col)
            plot.invertY(True)
            plot.setMenuEnabled(False)
            plot.addItem(image)
            plot.setLabel("bottom", self.tr("input"))
        self.plots[0].setLabel("left", self.tr("unit (head · dim)"))
        self.plots[1].setYLink(self.plots[0])
        self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=DIVERGING, interactive=False, width=12)
        self.bar.setImageItem(self.images, insert_in=self.plots[1])
        self.matrices: list[np.ndarray | None] = [None, None]
        self.row_step = self.col_step = 1
        self.readout = readout(self.tr("The weight under the mouse"))
        stacked(self, self.graphics, self.readout, spacing=2)
        self.graphics.scene().sigMouseMoved.connect(self._hover)
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.graphics.setBackground(background)
        for plot, title in zip(self.plots, self.titles, strict=True):
            style_plot(plot, foreground, title)
        self.bar.axis.setPen(foreground)
        self.bar.axis.setTextPen(foreground)

    def set_weights(self, before: np.ndarray | None, after: np.ndarray | None, titles: tuple[str, str] | None = None,
                    row_step: int = 1, col_step: int = 1, note: str = "") -> None:
        """Both matrices already strided for display and with equal row counts (NaN = blank row); ``titles``
        default: before, after."""
        foreground = theme_colours()[1]
        titles = titles or (self.tr("before"), self.tr("after"))
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
            self.readout.setText(note or self.tr("nothing to show"))
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
        self.readout.setText(note or self.tr("one colour scale for both; hover for values"))

    def _hover(self, pos) -> None:
        for plot, m, title in zip(self.plots, self.matrices, self.titles, strict=True):
            if m is None or not plot.sceneBoundingRect().contains(pos):
                continue
            point = plot.vb.mapSceneToView(pos)
            row = int(np.floor(point.y() / self.row_step + 0.5))
            col = int(np.floor(point.x() / self.col_step + 0.5))
            if 0 <= row < m.shape[0] and 0 <= col < m.shape[1] and np.isfinite(m[row, col]):
                self.readout.setText(self.tr("{title}: unit {unit}, input {input}: {value}").format(
                    title=title.split(":")[0].split("：")[0], unit=row * self.row_step, input=col * self.col_step,
                    value=f"{float(m[row, col]):.4g}"))
