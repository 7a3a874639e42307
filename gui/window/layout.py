"""The window's panes: the tree on the left, the previews in the middle, the targets on the right, the status bar;
laid out once the window has its width, following the palette.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QSize, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QApplication, QHeaderView, QLabel, QLineEdit, QProgressBar, QScrollArea, QSplitter, QTreeView, QVBoxLayout, QWidget,
)

from ..preview_panel import PreviewPanel
from ..targets_panel import TargetsPanel
from ..tree_model import CheckpointTreeModel


class WindowLayout:
    """The window's panes: the tree on the left, the previews in the middle, the targets on the right, the status
    bar; laid out once the window has its width, following the palette.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    # ------------------------------------------------------------------ construction

    def _build_widgets(self) -> None:
        self.tree_model = CheckpointTreeModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.tree_model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setAutoAcceptChildRows(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterRole(Qt.ItemDataRole.UserRole)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter tensors, e.g. q_proj or layer 3"))
        self.filter.setToolTip(self.tr("Narrow the tree to matching tensor names and nodes"))
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        from ..tree_filter import TreeFilter

        self.tree_filter = TreeFilter(self.filter, self.proxy, self.tree)  # once typing pauses (see tree_filter.py)
        self.tree.setUniformRowHeights(True)
        self.tree.setToolTip(self.tr("Model structure from the headers; select a layer for its heatmaps, a tensor for its "
                                      "histogram"))
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(False)
        self.tree.selectionModel().currentChanged.connect(self._tree_current_changed)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        self.model_label = QLabel(self.tr("Open a checkpoint: File → Open, or drop a file or folder here."))
        self.model_label.setWordWrap(True)
        left_layout.addWidget(self.model_label)
        from ..problems_view import ProblemsList

        self.problems = ProblemsList()  # bounded and scrolling: dozens of problems never push the tree away
        left_layout.addWidget(self.problems)
        left_layout.addWidget(self.filter)
        left_layout.addWidget(self.tree, 1)

        self.preview = PreviewPanel()
        self.preview.toggle.toggled.connect(lambda _: self._update_preview())
        self.preview.role.currentTextChanged.connect(lambda _: self._update_preview())
        self.quality = self.preview.quality
        self.quality.measure_requested.connect(self.measure_quality)
        self.quality.choose_text_requested.connect(self.choose_quality_text)
        self.quality.compare_requested.connect(self.compare_quality)
        self.quality.compare_methods_requested.connect(self.compare_methods)
        self.quality.method_chosen.connect(self.use_method)
        self.quality.layer_clicked.connect(self._quality_layer_clicked)
        self.quality.measurement_finished.connect(self._quality_measured)
        self.quality.idle.connect(self._quality_idle)
        self.quality.reductions = self._reductions
        self.quality.jobs = self.session.jobs
        self.layers_view = self.preview.layers
        self.layers_view.layer_clicked.connect(self.select_layer_everywhere)
        self.layers_view.cancel_requested.connect(self.cancel_choice)
        self.layers_view.choose_requested.connect(lambda: self.plan is not None and self._start_choice(self.plan))
        self.preview.status.cancel_requested.connect(self.cancel_calibration)
        self.preview.status.calibrate_requested.connect(self.calibrate)
        self.panel = TargetsPanel()
        self.panel.changed.connect(self.refresh)
        self.panel.export_requested.connect(self.choose_export_folder)
        self.panel.cancel_requested.connect(self.cancel_export)
        self.panel.calib_text_requested.connect(self.choose_calibration_text)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there, so a summary that grows (warnings, a longer verdict) never narrows the
        # panel and reflows everything in it.
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.right_scroll = scroll
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(scroll, 1)
        summary = QWidget()  # the Preview: never scrolled out of view, never squeezed by the targets
        summary_layout = QVBoxLayout(summary)
        summary_layout.setContentsMargins(9, 2, 9, 0)
        summary_layout.addWidget(self.panel.summary_box)
        right_layout.addWidget(summary)
        right_layout.addWidget(self.panel.export_box)  # never scrolled out of view
        # the export box sits outside the panel (which is disabled with no model), so it is switched off itself
        self.panel.export_button.setEnabled(False)
        right.setMinimumWidth(300)
        left.setMinimumWidth(220)
        self.preview.setMinimumWidth(160)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.addWidget(right)
        for i in range(3):
            splitter.setCollapsible(i, False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 5)
        splitter.setStretchFactor(2, 2)
        self.splitter = splitter
        self._sized = False
        self.setCentralWidget(splitter)

        from ..status_bar import ElidingStatusBar

        self.setStatusBar(ElidingStatusBar(self))  # a long message ends in "…" before the summary, never runs into it
        self.plan_status = QLabel(self.tr("No model open"))
        self.plan_status.setToolTip(self.tr("The open model and what Export would do with it"))
        self.statusBar().addPermanentWidget(self.plan_status)

        self.busy = QProgressBar()
        self.busy.setMaximumWidth(220)
        self.busy.setToolTip(self.tr("Importance scores being computed in the background"))
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)

    # ------------------------------------------------------------------ settings

    def _restore_settings(self) -> None:
        from ..window_size import fit_to_screen, fitting_size

        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty() and self.restoreGeometry(geometry):
            fit_to_screen(self)  # saved on a larger screen, or at another scale
        else:
            screen = self.screen()
            self.resize(fitting_size(screen.availableGeometry()) if screen is not None else QSize(1480, 880))

    def showEvent(self, event) -> None:
        """Lay the three panes out once the window has its real width (or as the user left them)."""
        super().showEvent(event)
        if self._sized:
            return
        self._sized = True
        state = self.settings.value("window/splitter")
        if not (isinstance(state, QByteArray) and self.splitter.restoreState(state)):
            width = self.width()
            right = 380 if width >= 1300 else 350 if width >= 1100 else 310
            left = max(230, int(0.5 * (width - right))) if width >= 1100 else max(230, int(0.3 * width))
            self.splitter.setSizes([left, max(160, width - right - left), right])

    def changeEvent(self, event) -> None:  # noqa: N802
        """Plots follow the application palette, dark or light, also when it changes."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and hasattr(self, "preview"):
            self.preview.apply_theme(QApplication.palette())
            for label in self.findChildren(QLabel):  # a style sheet keeps the palette it was polished with
                if label.styleSheet():
                    label.setStyleSheet(label.styleSheet())
