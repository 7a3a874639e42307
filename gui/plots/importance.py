"""Head importance as bars, grouped by the kv head each query head reads."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QWidget

from .style import DROPPED, KEPT, UnitAxis, set_title, stacked, style_plot, theme_colours


class ImportanceChart(QWidget):
    """Per-head importance of one layer: heads ``select`` would keep are green, and shaded
    bands show which key/value head each query head reads. The legend sits below the plot,
    never over the bars."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": UnitAxis("bottom")})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("bottom", self.tr("query head"))
        self.plot.setLabel("left", self.tr("importance ‖W_v‖·‖W_o‖"))
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
        self.legend.setToolTip(self.tr("What the colours and bands mean"))
        stacked(self, self.plot_widget, self.legend, spacing=2)
        self.scores = np.zeros(0)
        self.kept = np.zeros(0, dtype=bool)
        self.kv_of_head = np.zeros(0, dtype=int)
        self._title = ""
        self.apply_theme()

    def apply_theme(self, palette: QPalette | None = None) -> None:
        background, foreground = theme_colours(palette)
        self.plot_widget.setBackground(background)
        style_plot(self.plot, foreground, self._title)
        band = QColor(foreground)
        band.setAlpha(22)
        self._band_brush = pg.mkBrush(band)
        for label in self.group_labels:
            label.setColor(foreground)
        self._redraw_bands()

    def set_scores(self, scores: np.ndarray | None, kept: np.ndarray | None, title: str = "", num_kv_heads: int | None = None,
                   labels: tuple[str, str] | None = None) -> None:
        """``labels``: the legend's words for the green and the grey bars (they depend on the method; default:
        select keeps, select drops)."""
        labels = labels or (self.tr("select keeps"), self.tr("select drops"))
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
            keeps = f"{square.format(KEPT)} " + (labels[0] if kept is not None else self.tr("score"))
            drops = f" &nbsp; {square.format(DROPPED)} {labels[1]}" if kept is not None and not self.kept.all() else ""
            self.legend.setText(f"{keeps}{drops} &nbsp; " + self.tr("shaded bands: the key/value head each query head reads"))

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
