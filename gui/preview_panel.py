"""The centre: mixing-matrix heatmaps, weights before/after, importance bars, tensor histogram."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QSizePolicy,
    QStackedWidget, QTabWidget, QVBoxLayout, QWidget,
)  # fmt: skip

from headmix.core.shrink.methods import HEATMAPS

from .core_words import matrix_title
from .labels import LineLabel, status_colour
from .layers_view import LayersView
from .plots import HistogramView, ImportanceChart, MatrixView, WeightsPair
from .plots.loss_chart import LossChart
from .quality_view import QualityView

#: the core's heatmap keys, with the axis labels each one's rows and columns get (translated where shown)
AXES = {"q_heads": QT_TRANSLATE_NOOP("PreviewPanel", "head"), "kv_heads": QT_TRANSLATE_NOOP("PreviewPanel", "kv head"),
        "qk_dims": QT_TRANSLATE_NOOP("PreviewPanel", "dim"), "v_dims": QT_TRANSLATE_NOOP("PreviewPanel", "dim")}


def axis(key: str) -> str:
    return QCoreApplication.translate("PreviewPanel", AXES[key])


class HeatmapGrid(QWidget):
    """The four heatmaps two by two, or one under another when two side by side would not fit
    (a narrow pane scrolls instead of clipping plots and colour bars)."""

    CELL_HEIGHT = 200

    def __init__(self, views: list[QWidget], parent=None):
        super().__init__(parent)
        self.views = views
        self.layout_ = QGridLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.columns = 0
        self._arrange(2)

    def cell_width(self) -> int:
        """The narrowest a heatmap is drawn: plot, axes, colour bar and title. It follows the font
        (and so the scale factor), never the data, so the grid never reflows on its own."""
        return 18 * self.fontMetrics().height()

    def _fit(self, width: int) -> None:
        cell = self.cell_width()
        for view in self.views:
            view.setMinimumSize(cell, self.CELL_HEIGHT)
        self._arrange(2 if width >= 2 * cell + self.layout_.spacing() else 1)

    def _arrange(self, columns: int) -> None:
        if columns == self.columns:
            return
        self.columns = columns
        for view in self.views:
            self.layout_.removeWidget(view)
        for i, view in enumerate(self.views):
            self.layout_.addWidget(view, i // columns, i % columns)
        for row in range(4):
            self.layout_.setRowStretch(row, 1 if row < -(-len(self.views) // columns) else 0)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit(event.size().width())

    def minimumSizeHint(self):  # noqa: N802
        from PySide6.QtCore import QSize

        rows = -(-len(self.views) // max(self.columns, 1))
        return QSize(self.cell_width(), rows * self.CELL_HEIGHT + (rows - 1) * self.layout_.spacing())


class StatusRow(QStackedWidget):
    """One line under the mixing title, always there so the heatmaps never move: what the plan computed
    (kept rotary pairs, the calibration fit), or a calibration's progress with Cancel, or why it stopped
    with Calibrate to run it again."""

    INFO, CALIBRATING, STOPPED = range(3)

    cancel_requested = Signal()
    calibrate_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.info = LineLabel(grey=True, lines=3)  # rotary pairs kept, the other choice's score, the fit: each whole
        self.progress = QProgressBar()
        self.progress.setToolTip(self.tr("The calibration text runs through the model layer by layer; each layer is "
                                         "fitted on what leaves the already-shrunk layers before it"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop calibrating (after the layer being fitted); the targets stay as they are"))
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.stopped = LineLabel()
        self.calibrate_button = QPushButton(self.tr("Calibrate"))
        self.calibrate_button.setToolTip(self.tr("Run the calibration for the current targets, to draw their matrices"))
        self.calibrate_button.clicked.connect(self.calibrate_requested)
        pages = []
        for widgets in ((self.info,), (self.progress, self.cancel_button), (self.stopped, self.calibrate_button)):
            page = QWidget()
            row = QHBoxLayout(page)
            row.setContentsMargins(0, 0, 0, 0)
            for n, w in enumerate(widgets):
                row.addWidget(w, 1 if n == 0 else 0)
            pages.append(page)
            self.addWidget(page)
        self.failed = False
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def show_info(self, text: str) -> None:
        self.info.setText(text)
        self.setCurrentIndex(self.INFO)

    def show_calibrating(self, text: str, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(min(done, total) if total > 0 else 0)
        self.progress.setFormat(text)
        self.progress.setToolTip(text)
        self.cancel_button.setEnabled(True)
        self.setCurrentIndex(self.CALIBRATING)

    def show_stopped(self, text: str, failed: bool = False) -> None:
        self.failed = failed
        self.stopped.setText(text)
        self.stopped.set_colour(status_colour("no", self.palette()) if failed else None)
        self.setCurrentIndex(self.STOPPED)

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and self.failed:
            self.stopped.set_colour(status_colour("no", self.palette()))


class PreviewPanel(QTabWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrices = {key: MatrixView(matrix_title(key), axis(key), axis(key)) for key in HEATMAPS}
        self.grid = HeatmapGrid(list(self.matrices.values()))
        grid_scroll = QScrollArea()
        grid_scroll.setWidget(self.grid)
        grid_scroll.setWidgetResizable(True)
        grid_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        grid_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        grid_widget = grid_scroll

        self.weights = WeightsPair()

        self.stack = QStackedWidget()
        self.stack.addWidget(grid_widget)
        self.stack.addWidget(self.weights)
        self.toggle = QCheckBox(self.tr("Weights before → after"))
        self.toggle.setToolTip(self.tr("Swap the mixing matrices for one of this layer's weights, before and after the shrink"))
        self.role = QComboBox()
        self.role.addItems(["q", "k", "v", "o"])
        self.role.setToolTip(self.tr("Which projection to show before and after"))
        self.role.setEnabled(False)
        self.layer_label = LineLabel(bold=True)  # too long, it ends in "…" (the tooltip has all of it)
        # a longer note must never widen the panel (the splitter would move every pane)
        self.layer_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top = QHBoxLayout()
        top.addWidget(self.layer_label, 1)
        top.addWidget(self.toggle)
        top.addWidget(self.role)
        self.status = StatusRow()
        mixing_tab = QWidget()
        layout = QVBoxLayout(mixing_tab)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.stack, 1)
        self.addTab(mixing_tab, self.tr("Mixing matrices"))
        self.setTabToolTip(0, self.tr("Each column is a new unit, each row an old one: the weight with which the old one "
                                  "enters"))

        self.importance = ImportanceChart()
        self.addTab(self.importance, self.tr("Head importance"))
        self.setTabToolTip(1, self.tr("Data-free importance of the selected layer's query heads"))
        self.layers = LayersView()
        self.addTab(self.layers, self.tr("Layer scores"))
        self.setTabToolTip(2, self.tr("With fewer decoder layers: each layer's score and which layers go"))
        self.histogram = HistogramView()
        self.addTab(self.histogram, self.tr("Tensor values"))
        self.setTabToolTip(3, self.tr("Histogram and statistics of the tensor picked in the tree"))
        self.quality = QualityView()
        self.addTab(self.quality, self.tr("Quality"))
        self.setTabToolTip(4, self.tr("What the current targets do to the model on a text: perplexity before → after "
                                  "and the error layer by layer, measured without exporting"))

        # the heal's loss chart, a tab shown from the first heal on (the right column keeps the targets and Preview)
        self.loss_chart = LossChart()
        self.heal_tab = self.addTab(self.loss_chart, self.tr("Heal"))
        self.setTabToolTip(self.heal_tab, self.tr("The heal's distillation loss, step by step"))
        self.setTabVisible(self.heal_tab, False)

        self.toggle.toggled.connect(self._toggled)

    #: the tab names, and shorter ones for a pane too narrow for the long ones (Qt would scroll the tabs)
    #: (English, translated where shown)
    TAB_NAMES = ((QT_TRANSLATE_NOOP("PreviewPanel", "Mixing matrices"), QT_TRANSLATE_NOOP("PreviewPanel", "Mixing")),
                 (QT_TRANSLATE_NOOP("PreviewPanel", "Head importance"), QT_TRANSLATE_NOOP("PreviewPanel", "Importance")),
                 (QT_TRANSLATE_NOOP("PreviewPanel", "Layer scores"), QT_TRANSLATE_NOOP("PreviewPanel", "Layers")),
                 (QT_TRANSLATE_NOOP("PreviewPanel", "Tensor values"), QT_TRANSLATE_NOOP("PreviewPanel", "Values")),
                 (QT_TRANSLATE_NOOP("PreviewPanel", "Quality"), QT_TRANSLATE_NOOP("PreviewPanel", "Quality")),
                 (QT_TRANSLATE_NOOP("PreviewPanel", "Heal"), QT_TRANSLATE_NOOP("PreviewPanel", "Heal")))

    def show_heal(self) -> None:
        """A heal starts: its chart's tab appears (from now on) and comes to the front."""
        self.setTabVisible(self.heal_tab, True)
        self.setCurrentIndex(self.heal_tab)
        self._fit_tab_names(self.width())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_tab_names(event.size().width())

    def _fit_tab_names(self, width: int) -> None:
        bar = self.tabBar()
        metrics = bar.fontMetrics()
        # each tab's width for its long name: the style's margins around the text it has now, plus the long text
        names = [[QCoreApplication.translate("PreviewPanel", name) for name in pair] for pair in self.TAB_NAMES]
        full = sum(bar.tabSizeHint(i).width() - metrics.horizontalAdvance(bar.tabText(i)) + metrics.horizontalAdvance(long)
                   for i, (long, _) in enumerate(names) if self.isTabVisible(i))
        short = full > width
        for i, pair in enumerate(names):
            self.setTabText(i, pair[short])

    def _toggled(self, on: bool) -> None:
        self.stack.setCurrentIndex(1 if on else 0)
        self.role.setEnabled(on)

    def show_mixing(self, layer: int, heatmaps: dict | None, note: str = "", title: str | None = None,
                    stacked: set[str] = frozenset()) -> None:
        """The selected layer's matrices (None: the layer is not changed by the plan); ``title`` replaces "Layer N";
        ``stacked``: the matrices that hold one dim matrix per old head, stacked (rows: old head · dim)."""
        text = (title or self.tr("Layer {layer}").format(layer=layer)) + (f" — {note}" if note else "")
        self.layer_label.setText(text)
        self.layer_label.setToolTip(text)
        for key, view in self.matrices.items():
            view.set_row_label(self.tr("head · dim") if key in stacked else axis(key))
            view.set_matrix(None if heatmaps is None else heatmaps[key])

    def show_message(self, note: str) -> None:
        """A line above the charts, for what the charts cannot show (e.g. a failed step)."""
        self.layer_label.setText(note)
        self.layer_label.setToolTip(note)

    def show_weights(self, name: str, before, after, sources, note: str = "") -> None:
        """``before``/``after``: the weight with its units as rows; ``sources``: the old row of each new one."""
        from .alignment import aligned_pair

        short = ".".join(name.split(".")[-2:])  # a long title would widen the plot past its column
        before_title, after_title = self.tr("before: {what}"), self.tr("after: {what}")
        if before is None:
            self.weights.set_weights(None, None, (before_title.format(what=short), after_title.format(what=short)),
                                     note=note or self.tr("nothing to show"))
            return
        shown_before, shown_after, row_step, col_step = aligned_pair(before, after, sources)
        shape = lambda m: " × ".join(map(str, m.shape))  # noqa: E731
        self.weights.set_weights(shown_before, shown_after, (before_title.format(what=f"{short} {shape(before)}"),
                                                              after_title.format(what=shape(after))),
                                 row_step, col_step, note)
        self.weights.setToolTip(self.tr("{name}: rows are its units (head · dim); each new row sits beside the old row it "
                                        "comes from, on one colour scale").format(name=name))

    def apply_theme(self, palette=None) -> None:
        for view in (*self.matrices.values(), self.weights, self.importance, self.layers, self.histogram, self.quality,
                     self.loss_chart):
            view.apply_theme(palette)
