"""A bar per decoder layer: the Quality tab's error per layer, and the layer scores that say why layers go."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ..formatting import format_error
from .style import (DROPPED, LAYER_KEPT, LAYER_REMOVED, SHRUNK, UnitAxis, ValueAxis, readout, set_title, stacked,
                    style_plot, theme_colours)

translate = QCoreApplication.translate


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
        self.readout = readout(readout_tip)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        stacked(self, self.plot_widget, self.readout, self.legend, spacing=2)
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
        style_plot(self.plot, foreground, self._title)
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
        super().__init__({"left": axis, "bottom": UnitAxis("bottom")}, translate("LayerErrorChart", "layer"),
                         translate("LayerErrorChart", "relative error"),
                         translate("LayerErrorChart", "A layer's numbers, under the mouse; click a layer to select it in "
                                                      "the window"), parent)
        self.axis = axis
        self.unchanged = pg.BarGraphItem(x=[], height=[], width=0.9, brush=pg.mkBrush(*DROPPED, 110), pen=None)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush(*SHRUNK), pen=None)
        self._add_bars(self.unchanged, self.bars)
        square = "<span style='color:rgb{}'>■</span>"
        self.legend.setText(
            f"{square.format(SHRUNK)} " + self.tr("relative error of the layer's attention output, shrunk against "
                                                  "original on the same input")
            + f" &nbsp; {square.format(DROPPED)} " + self.tr("layer unchanged by the targets"))
        self.legend.setToolTip(self.tr("What the shrink does to each layer on its own, undiluted by earlier layers; "
                                       "hover for how far the whole model has drifted after the layer"))
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
        self.plot.setLabel("left", self.tr("relative error (log)") if self.log else self.tr("relative error"))
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
        self.readout.setText(self.tr("hover over a layer for its numbers; click to select it") if self.layers else " ")
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
        drift = self.tr("residual stream error after it {error}").format(error=format_error(e.hidden_error))
        if not e.changed:
            return self.tr("layer {layer}: unchanged by the targets · {drift}").format(layer=layer, drift=drift)
        return self.tr("layer {layer}: attention output error {error} · {drift}").format(
            layer=layer, error=format_error(e.attention_error), drift=drift)


class LayerScoreChart(_LayerBars):
    """Why these decoder layers go: each source layer's score as a bar, green where the layer stays,
    red where it is removed, the selected layer outlined. Hover reads a layer out (its score, its
    new index or where it was merged); a click emits ``layer_clicked``."""

    BAND = 0.06

    def __init__(self, parent=None):
        super().__init__({"bottom": UnitAxis("bottom")}, translate("LayerScoreChart", "layer of the original model"),
                         translate("LayerScoreChart", "score"),
                         translate("LayerScoreChart", "A layer's score and fate, under the mouse; click a layer to "
                                                      "select it in the window"), parent)
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

    def set_choice(self, choice, title: str = "", axis_label: str | None = None, selected: int | None = None) -> None:
        """``choice``: the core's LayerChoice (None: nothing chosen yet); ``axis_label`` default: "score"."""
        self._title = title
        set_title(self.plot, title, theme_colours()[1])
        self.plot.setLabel("left", self.tr("score") if axis_label is None else axis_label)
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
        self.legend.setText(f"{square.format(LAYER_KEPT)} " + self.tr("stays") + f" &nbsp; {square.format(LAYER_REMOVED)} "
                            + self.tr("removed (the lowest scores go)") if len(self.scores) else "")
        self.readout.setText(self.tr("hover over a layer for its score; click to select it") if len(self.scores) else " ")
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
        score = self.tr("layer {layer}: score {score}").format(layer=layer, score=f"{self.scores[layer]:.4g}")
        if layer in self.kept:
            new = self.kept.index(layer)
            merged = self.merged.get(layer, ())
            return self.tr("{score} · stays, as layer {new}").format(score=score, new=new) + (
                self.tr(" (+ merged {layers})").format(layers=", ".join(map(str, merged))) if merged else "")
        into = next((k for k, group in self.merged.items() if layer in group), None)
        return self.tr("{score} · removed").format(score=score) + (
            self.tr(" (merged into layer {layer})").format(layer=into) if into is not None else "")
