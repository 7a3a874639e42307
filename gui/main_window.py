"""The main window: open a checkpoint, look at it, choose targets, preview, export, presets."""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, QSortFilterProxyModel, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QFileDialog, QHeaderView, QLabel, QLineEdit, QMainWindow, QMenu, QMessageBox, QProgressBar, QScrollArea,
    QSplitter, QTreeView, QVBoxLayout, QWidget,
)  # fmt: skip

from headmix.core.plan import presets as preset_store
from headmix.core.model.architecture import Architecture
from headmix.core.io.checkpoint import Checkpoint
from headmix.core.errors import HeadmixError, OutputRefused, TargetError
from headmix.core.run.export import inspect_output
from headmix.core.model.inspection import human_bytes, human_count
from headmix.core.shrink.layer_removal import LayerMethod, check_method, default_layer_method
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request
from headmix.core.model.stats import tensor_stats
from headmix.core.shrink.methods import Method
from headmix.core.shrink.targets import check, choices, layer_example, layer_range

from .cache_dialog import CacheDialog, fill_cache_menu
from .export_dialog import ExportDialog, suggested_folder
from .layers_view import stage_text
from .plan_text import calibration_text, layers_up_to, status_line
from .preview_panel import PreviewPanel
from .targets_panel import TargetsPanel
from .tree_model import CheckpointTreeModel
from .session import Session
from .workers import CalibrationWorker, ChoiceWorker, ExportWorker, ImportanceWorker

MAX_RECENT = 10


#: the status bar says this when a measurement ends; a new plan clears it
QUALITY_MESSAGE = "Quality measured: "


class ShortcutGuard(QObject):
    """Keeps the window's own shortcuts working while a text box has the focus.

    Before a shortcut fires, Qt asks the focus widget whether it wants the key itself
    (ShortcutOverride). On X11 every QLineEdit claims Ctrl+E ("move to end of line"), so
    Export's shortcut did nothing while the filter box had the focus. Installed on the
    window's text boxes, this answers "no" for the given keys.
    """

    def __init__(self, window: QMainWindow, sequences: list[QKeySequence]):
        super().__init__(window)
        self.window = window
        self.sequences = sequences

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(obj, QWidget) or obj.window() is not self.window:
            return False
        pressed = QKeySequence(event.keyCombination())
        if any(pressed.matches(s) == QKeySequence.SequenceMatch.ExactMatch for s in self.sequences):
            event.ignore()
            return True  # the focus widget never hears of it, so the shortcut runs
        return False


#: how many finished layer choices the window keeps, to choose again from their scores at once
KEPT_CHOICES = 8


class MainWindow(QMainWindow):
    checkpoint_opened = Signal(str)
    plan_changed = Signal()
    importance_ready = Signal()
    calibration_ready = Signal()
    layers_chosen = Signal()  # the current plan's decoder layers are chosen and its previews can be drawn
    export_finished = Signal(str)
    export_failed = Signal(str)
    export_cancelled = Signal()
    message_shown = Signal(str, str)
    closed = Signal()

    def __init__(self, settings: QSettings | None = None, parent=None):
        super().__init__(parent)
        self.settings = settings or QSettings("headmix", "headmix")
        # the open model, the targets and their undo history, the current run and every running job
        self.session = Session()
        self.session.values_changed.connect(self._values_set)
        self._plan_values: dict | None = None
        self.importance: dict = {}
        self.selected_layer = 0
        self.selected_tensor: str | None = None
        self.export_worker: ExportWorker | None = None
        self.importance_worker: ImportanceWorker | None = None
        self.calibration_worker: CalibrationWorker | None = None
        self.choice_worker: ChoiceWorker | None = None
        self.final_plan: ShrinkRun | None = None  # the current plan on its chosen layers (fewer decoder layers)
        self.layer_choice = None  # the core's LayerChoice of the current plan, once made
        self._heads_ready = False  # the final plan's head scores are read (by the choice worker)
        self._choice_note = ""
        self._reductions: list = []  # finished LayerReductions of this model, newest first, for LayerReduction.reuse
        self._quit_after_choice = False
        self._calibration_note = ""
        self._calibration_step = (0, 0)  # the running calibration's (done, total)
        self._calibration_stop: tuple | None = None  # (plan, why, failed): a calibration the user cancelled, or that failed
        self.calibration_text = None  # the current plan's calibration text, once checked (calibration_text.CalibrationText)
        self.last_message: tuple[str, str] | None = None
        self.last_export: Path | None = None
        self._export_view = None  # export_progress.ExportProgress of the running export
        self.export_plan: ShrinkRun | None = None
        self.export_dialog: ExportDialog | None = None
        self.replace_question: QMessageBox | None = None
        self.quit_question: QMessageBox | None = None
        self.preset_question: QMessageBox | None = None
        self._quit_after_export = False
        self._quit_after_measurement = False

        self.setWindowTitle("headmix")
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_menus()
        self._restore_settings()

    # ------------------------------------------------------------------ what the session holds

    @property
    def checkpoint(self) -> Checkpoint | None:
        return self.session.checkpoint

    @property
    def arch(self) -> Architecture | None:
        return self.session.arch

    @property
    def has_tokenizer(self) -> bool:
        return self.session.has_tokenizer

    @property
    def plan(self) -> ShrinkRun | None:
        """The run Export carries out: the session's current run for the targets on screen."""
        return self.session.run

    @plan.setter
    def plan(self, run: ShrinkRun | None) -> None:
        self.session.set_run(run)

    @property
    def recent_plans(self):
        return self.session.recent_runs

    @property
    def undo_stack(self):
        return self.session.undo

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
        self.filter.setPlaceholderText("Filter tensors, e.g. q_proj or layer 3")
        self.filter.setToolTip("Narrow the tree to matching tensor names and nodes")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        from .tree_filter import TreeFilter

        self.tree_filter = TreeFilter(self.filter, self.proxy, self.tree)  # once typing pauses (see tree_filter.py)
        self.tree.setUniformRowHeights(True)
        self.tree.setToolTip("Model structure from the headers; select a layer for its heatmaps, a tensor for its histogram")
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(False)
        self.tree.selectionModel().currentChanged.connect(self._tree_current_changed)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        self.model_label = QLabel("Open a checkpoint: File → Open, or drop a file or folder here.")
        self.model_label.setWordWrap(True)
        left_layout.addWidget(self.model_label)
        from .problems_view import ProblemsList

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

        self.plan_status = QLabel("No model open")
        self.plan_status.setToolTip("The open model and what Export would do with it")
        self.statusBar().addPermanentWidget(self.plan_status)

        self.busy = QProgressBar()
        self.busy.setMaximumWidth(220)
        self.busy.setToolTip("Importance scores being computed in the background")
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open file…", self, shortcut=QKeySequence.StandardKey.Open, triggered=self.choose_file)
        self.open_action.setToolTip("Open a .safetensors file")
        self.open_folder_action = QAction("Open &folder…", self, shortcut="Ctrl+Shift+O", triggered=self.choose_folder)
        self.open_folder_action.setToolTip("Open a model folder (config.json with single or sharded safetensors)")
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.cache_menu = QMenu("Open from &cache", self)
        self.cache_menu.setToolTipsVisible(True)
        self.cache_menu.aboutToShow.connect(self.fill_cache_menu)
        self.export_action = QAction("&Export…", self, shortcut="Ctrl+E", triggered=self.choose_export_folder)
        self.export_action.setEnabled(False)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        self.cancel_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel_export)
        self.cancel_shortcut.setEnabled(False)  # only while an export runs
        # Text boxes take some of these keys for themselves on X11 (Ctrl+E is "end of line"
        # in every QLineEdit there, and the filter box has the focus at start-up).
        own = [QKeySequence("Ctrl+E"), QKeySequence(Qt.Key.Key_Escape)]
        self._shortcut_guard = ShortcutGuard(self, own)
        # a spin box's own undo would only undo its text; the window's undoes the targets
        self._spin_guard = ShortcutGuard(self, own + [QKeySequence(k) for k in ("Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+Y")])
        spins = self.findChildren(QAbstractSpinBox)
        for box in spins:
            box.installEventFilter(self._spin_guard)
        for box in self.findChildren(QLineEdit):
            if not any(box.parent() is spin for spin in spins):
                box.installEventFilter(self._shortcut_guard)
        for action in (self.open_action, self.open_folder_action):
            file_menu.addAction(action)
        file_menu.insertMenu(None, self.recent_menu)
        file_menu.addMenu(self.cache_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        self.open_export_action = QAction("Open the last e&xport", self, triggered=lambda: self.open_path(self.last_export))
        self.open_export_action.setToolTip("Open the model this window exported last")
        self.open_export_action.setEnabled(False)
        file_menu.addAction(self.open_export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = self.menuBar().addMenu("&Edit")
        undo = self.session.undo
        self.undo_action = QAction("&Undo", self, shortcut=QKeySequence.StandardKey.Undo, triggered=undo.undo)
        self.redo_action = QAction("&Redo", self, triggered=undo.redo)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        undo.changed.connect(self._undo_changed)
        self._undo_changed()
        self.reset_action = QAction("Reset to the model's &shape", self, shortcut="Ctrl+R", triggered=self.reset_targets)
        self.reset_action.setToolTip("Query heads, kv heads, head size and decoder layers back to the model's own; "
                                     "all layers; rotary pairs a progression")
        self.reset_action.setEnabled(False)
        self.copy_command_action = QAction("&Copy as command", self, shortcut="Ctrl+Shift+C", triggered=self.copy_command)
        self.copy_command_action.setToolTip("Copy the equivalent `headmix shrink …` command line")
        self.copy_command_action.setEnabled(False)
        for action in (self.undo_action, self.redo_action, None, self.reset_action, None, self.copy_command_action):
            edit_menu.addSeparator() if action is None else edit_menu.addAction(action)

        self.presets_menu = self.menuBar().addMenu("&Presets")
        self.presets_menu.aboutToShow.connect(self._fill_presets_menu)
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = QAction("&Keyboard shortcuts", self, shortcut=QKeySequence.StandardKey.HelpContents,
                                        triggered=self.show_shortcuts)
        self.readme_action = QAction("headmix &README", self, triggered=self.show_readme)
        for action in (self.shortcuts_action, self.readme_action):
            help_menu.addAction(action)
        help_menu.addSeparator()
        help_menu.addAction(QAction("&About headmix", self, triggered=self._about))
        self._fill_presets_menu()
        self._fill_recent_menu()

    # ------------------------------------------------------------------ settings

    def _restore_settings(self) -> None:
        from .window_size import fit_to_screen, fitting_size

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

    def closeEvent(self, event) -> None:
        if self.export_worker is not None:
            event.ignore()
            if self._quit_after_export:
                self.hide()  # already agreed: the window goes now, the process when the worker stops
            else:
                self.ask_quit_during_export()
            return
        if self.quality.busy():
            # Nothing to ask: a measurement keeps nothing. The window goes now; it closes for
            # good once the measurement has stopped (after the layer it is computing).
            event.ignore()
            self._quit_after_measurement = True
            self.quality.cancel()
            self.hide()
            return
        if self.session.jobs.running("choice", "calibration"):
            # the same for a layer choice or a calibration: it stops after the layer it is working on
            event.ignore()
            self._quit_after_choice = True
            for job in self.session.jobs.running("choice", "calibration"):
                job.cancel()
            self.hide()
            return
        self._stop_importance()
        self._stop_calibration()
        self.quality.shutdown()
        self.session.close(wait=5.0)  # every job cancelled and waited for, the model let go
        from .workers import running

        for worker in running():  # each has ended its work; its thread is returning now
            worker.wait(1000)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.sync()
        super().closeEvent(event)
        self.closed.emit()
        if self._quit_after_choice or self._quit_after_measurement or self._quit_after_export:
            # Hidden at the first close while work stopped: Qt ends app.exec() when the last *visible* window
            # closes, which this one no longer was, so the process lived on without a window (issue 18).
            QApplication.quit()

    def ask_quit_during_export(self) -> QMessageBox:
        """Quitting while an export runs: ask, with "Keep exporting" as the default answer."""
        if self.quit_question is not None and self.quit_question.isVisible():
            return self.quit_question
        box = QMessageBox(QMessageBox.Icon.Question, "Quit headmix?",
                          "An export is running. Cancel the export and quit?", parent=self)
        box.setInformativeText("Nothing of the unfinished export is left behind.")
        quit_button = box.addButton("Cancel export and quit", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep exporting", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(lambda _: box.clickedButton() is quit_button and self._quit_during_export())
        self.quit_question = box
        box.open()
        return box

    def _quit_during_export(self) -> None:
        self._quit_after_export = True
        self.cancel_export()
        if self.export_worker is None:
            self.close()
        else:
            self.hide()  # closes for good when the worker reports that it stopped

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in (value or []) if isinstance(v, str)]

    def _remember(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self.settings.setValue("last_folder", str(path.parent))
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        """Recent checkpoints that still exist; deleted ones are forgotten."""
        self.recent_menu.clear()
        listed = self.recent_files()
        recent = [p for p in listed if Path(p).exists()]
        if recent != listed:
            self.settings.setValue("recent", recent)
        for path in recent:
            self.recent_menu.addAction(path, lambda p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(recent))

    # ------------------------------------------------------------------ messages

    def show_message(self, title: str, text: str, icon=QMessageBox.Icon.Warning, open_folder: str | None = None,
                     open_model: str | None = None) -> QMessageBox:
        """A non-blocking message box: the window stays usable, and tests can read what was said."""
        self.last_message = (title, text)
        actions = bool(open_model or open_folder)
        # With actions (the export's "Open …"), Close is the default and the Escape answer, and the actions never
        # become the default as the focus moves onto them: Enter after a stray arrow key only closes the box.
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Close if actions else QMessageBox.StandardButton.Ok,
                          self)
        if actions:
            close = box.button(QMessageBox.StandardButton.Close)
            box.setDefaultButton(close)
            box.setEscapeButton(close)
        if open_model:
            button = box.addButton("Open the exported model", QMessageBox.ButtonRole.ActionRole)
            button.setToolTip("Open the smaller checkpoint in this window")
            button.setAutoDefault(False)
            button.clicked.connect(lambda: self.open_path(open_model))
        if open_folder:
            button = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
            button.setToolTip("Show the folder in the file manager")
            button.setAutoDefault(False)
            button.clicked.connect(lambda: self.open_in_file_manager(open_folder))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.message_shown.emit(title, text)
        return box

    def open_in_file_manager(self, folder: str) -> bool:
        if QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            return True
        QApplication.clipboard().setText(folder)
        self.show_message("Cannot open the folder",
                          f"No file manager could be started to show {folder}.\n"
                          "The export is there; its path is now on the clipboard.")
        return False

    def shortcuts(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every action with a shortcut, as the menus show them."""
        rows = []
        for action in (self.open_action, self.open_folder_action, self.export_action, self.quit_action, self.undo_action,
                       self.redo_action, self.reset_action, self.copy_command_action, self.shortcuts_action):
            keys = " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            if keys:
                rows.append((keys, action.text().replace("&", "").rstrip("…")))
        rows.append((QKeySequence(Qt.Key.Key_Escape).toString(QKeySequence.SequenceFormat.NativeText),
                     "Cancel the running export"))
        return rows

    def show_shortcuts(self) -> QMessageBox:
        table = "".join(f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for keys, what in self.shortcuts())
        box = self.show_message("Keyboard shortcuts", f"<table>{table}</table>", QMessageBox.Icon.Information)
        box.setTextFormat(Qt.TextFormat.RichText)
        return box

    def show_readme(self) -> QWidget:
        """The README in a window of its own: the repository's file, or the installed package's copy."""
        from PySide6.QtWidgets import QDialog, QTextBrowser

        readme = Path(__file__).resolve().parent.parent / "README.md"
        if readme.is_file():
            text, base = readme.read_text(encoding="utf-8"), readme.parent
        else:
            from importlib.metadata import PackageNotFoundError, metadata

            try:
                text = metadata("headmix").get_payload() or ""
            except PackageNotFoundError:
                text = ""
            text, base = text or "The README is not installed with this copy of headmix.", None
        dialog = QDialog(self)
        dialog.setWindowTitle("headmix README")
        dialog.resize(820, 640)
        browser = QTextBrowser()
        browser.setOpenExternalLinks(True)
        if base is not None:
            browser.setSearchPaths([str(base)])
        browser.setMarkdown(text)
        layout = QVBoxLayout(dialog)
        layout.addWidget(browser)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.readme_window = dialog
        self.readme_browser = browser
        dialog.show()
        return dialog

    def changeEvent(self, event) -> None:  # noqa: N802
        """Plots follow the application palette, dark or light, also when it changes."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and hasattr(self, "preview"):
            self.preview.apply_theme(QApplication.palette())
            for label in self.findChildren(QLabel):  # a style sheet keeps the palette it was polished with
                if label.styleSheet():
                    label.setStyleSheet(label.styleSheet())

    def _about(self) -> None:
        from headmix.core import __version__

        self.show_message(
            "About headmix",
            f"headmix {__version__}\nShrinks transformer checkpoints by mixing attention heads: each new head a "
            "weighted combination of old heads, each new head dim a combination of old dims.",
            QMessageBox.Icon.Information,
        )

    # ------------------------------------------------------------------ opening

    def _file_dialog(self, title: str, folder: str, on_chosen, name_filter: str | None = None,
                     directory: bool = False) -> QFileDialog:
        """Qt's own (non-native) file dialog, opened without blocking, so it looks the same
        everywhere and tests can answer it."""
        dialog = QFileDialog(self, title, folder)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        if directory:
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            if name_filter:
                dialog.setNameFilter(name_filter)
        dialog.fileSelected.connect(lambda path: path and on_chosen(path))
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def choose_file(self) -> QFileDialog:
        return self._file_dialog("Open checkpoint", self.settings.value("last_folder", ""), self.open_path,
                                 "Checkpoints (*.safetensors *.json);;All files (*)")

    def fill_cache_menu(self) -> None:
        """List the Hugging Face cache's models in File → Open from cache (read when the menu opens)."""
        fill_cache_menu(self.cache_menu, self.open_path, self.open_from_cache)

    def open_from_cache(self) -> CacheDialog:
        """Every cached model in a table; the chosen snapshot folder opens like any model folder."""
        dialog = CacheDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self.open_path)
        dialog.open()
        return dialog

    def choose_folder(self) -> QFileDialog:
        return self._file_dialog("Open model folder", self.settings.value("last_folder", ""), self.open_path,
                                 directory=True)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])

    def open_path(self, path: str | Path) -> bool:
        """Open a checkpoint from its headers; on bad input say why and keep what was open."""
        self._stop_importance()
        try:
            checkpoint, arch = self.session.open(path)  # keeps what was open on bad input
        except HeadmixError as e:
            self.show_message("Cannot open checkpoint", str(e))
            return False
        self._stop_choice()
        self._stop_calibration()
        self._reductions.clear()
        self.final_plan = self.layer_choice = None
        self.tree_model.set_layer_choice(None)
        self.quality.set_model(checkpoint, arch)
        self.importance = {}
        self.selected_layer = arch.layers[0].index if arch.layers else 0
        self.selected_tensor = None
        self.quality.set_selected_layer(self.selected_layer)
        self.tree_model.set_checkpoint(checkpoint, arch)
        self.tree.expand(self.proxy.index(0, 0))
        self.tree.expand(self.proxy.index(1, 0, self.proxy.index(0, 0)))
        from .tree_model import column_widths

        for col, width in enumerate(column_widths(self.tree.fontMetrics())):
            self.tree.setColumnWidth(col, width)
        self._show_model_label()
        self.setWindowTitle(f"headmix — {checkpoint.display_name}")
        self._remember(Path(checkpoint.path).resolve())
        self.panel.setEnabled(arch.usable)
        self.export_action.setEnabled(arch.usable)
        self.filter.clear()  # a filter typed for the last model would hide this one's tensors
        n = arch.num_layers
        self.panel.layers.setToolTip(f"Layers to shrink: 'all', or numbers and ranges such as {layer_example(n)}; "
                                     f"this model has layers {layer_range(n)}")
        self.panel.layers.setPlaceholderText(f"all, or e.g. {layer_example(n)}")
        self.reset_action.setEnabled(arch.usable)
        if arch.usable:
            # A new model opens at its own shape; the last preset is applied again only when
            # asked (Presets → Apply last preset), never by itself.
            self.panel.set_method_available(
                "calibrated", self.has_tokenizer, "this model has no tokenizer.json to read a calibration text with")
            try:
                check_method(arch, LayerMethod.FIT, self.has_tokenizer)
                fit_ok, why = True, ""
            except TargetError as e:
                fit_ok, why = False, str(e).removeprefix("layer method: ")
            self.panel.set_layer_method_available(LayerMethod.FIT.value, fit_ok, why)
            # like the method, the layer method opens at the model's default (fit where it can run)
            layer_method = default_layer_method(arch, self.has_tokenizer).value
            self.panel.set_num_layers_range(arch.num_layers)
            self.layers_view.show_idle(arch.num_layers)
            method = Request().method_for(self.has_tokenizer).value
            self.panel.set_values(arch.num_heads, arch.num_kv_heads, arch.head_dim, method, self.panel.seed.value(), "all",
                                  None, layer_method)
            self._start_importance()
        else:
            self.plan = None
            reason = arch.description if not arch.recognised else (
                arch.problems[0] if len(arch.problems) == 1 else f"{len(arch.problems)} problems, listed on the left")
            self.panel.show_summary(f"Cannot shrink: {reason}", (checkpoint.num_parameters, checkpoint.size_on_disk), None, None, [],
                                    why="nothing to export")
            self.preview.show_mixing(0, None, "no attention recognised" if not arch.recognised else "")
            self.layers_view.show_idle(None)
            self.copy_command_action.setEnabled(False)
            self._enable_export()
            self._update_status()
        self.checkpoint_opened.emit(str(checkpoint.path))
        return True

    def _show_model_label(self) -> None:
        c, a = self.checkpoint, self.arch
        rope = f", rope θ={a.rope.theta:g}" if a.rope else ""
        heads = f"{a.num_heads} heads" + (f" / {a.num_kv_heads} kv" if a.num_kv_heads != a.num_heads else "")
        text = (f"<b>{c.display_name}</b> — {a.name}: {a.num_layers} layers, hidden {a.hidden_size}, {heads}, "
                f"head size {a.head_dim}{rope}<br>{human_count(c.num_parameters)} parameters, {c.dtype}, "
                f"{human_bytes(c.size_on_disk)} on disk") if a.recognised else (
                f"<b>{c.display_name}</b>: {a.description}")  # fmt: skip
        if a.problems:
            count = "1 problem" if len(a.problems) == 1 else f"{len(a.problems)} problems"
            text += f"<br><span style='color:#c62828'>{count}, listed below</span>"
        self.model_label.setText(text)
        self.problems.set_problems(a.problems)

    # ------------------------------------------------------------------ importance

    def _start_importance(self) -> None:
        worker = ImportanceWorker(self.checkpoint, self.arch)
        worker.layer_done.connect(self._importance_layer_done)
        worker.progress.connect(self._importance_progress)
        worker.finished.connect(self._importance_finished)
        worker.failed.connect(self._importance_failed)
        worker.cancelled.connect(self.busy.hide)
        self.busy.setRange(0, len(self.arch.layers))
        self.busy.setValue(0)
        self.busy.setFormat("importance %v/%m layers")
        self.busy.show()
        self.importance_worker = worker.start(self.session.jobs)

    def _stop_importance(self) -> None:
        if self.importance_worker is not None:
            self.importance_worker.cancel()
            self.importance_worker.wait()
            self.importance_worker = None

    def _importance_layer_done(self, layer: int, scores) -> None:
        if self.sender() is not self.importance_worker:
            return
        self.importance[layer] = scores
        self.tree_model.set_importance(layer, scores)
        if layer == self.selected_layer:
            self._update_importance_chart()

    def _importance_progress(self, done, total) -> None:
        self.busy.setValue(int(done))

    def _importance_finished(self, _result) -> None:
        self.busy.hide()
        self._update_preview()
        self.importance_ready.emit()

    def _importance_failed(self, message: str) -> None:
        self.busy.hide()
        self.statusBar().showMessage(f"Importance scores failed: {message}", 10000)

    # ------------------------------------------------------------------ planning

    def refresh(self) -> None:
        """Rebuild the plan from the controls, then redraw every view from it.

        The plan is the one Export runs. Each view is drawn by its own step: a step that fails
        shows its own message and never stops the others, so the summary always describes
        the plan that Export would write.
        """
        if self.arch is None or not self.arch.usable:
            return
        layer = self.arch.layers[0]
        for _ in range(3):  # offering valid values can move a spin box; settle the three together
            values = self.panel.values()
            self.panel.set_choices(
                choices(layer, Method(values["method"]), values["heads"], values["kv_heads"], values["head_dim"])
            )
            if self.panel.values() == values:
                break
        values = self.panel.values()
        self.panel.clear_errors()
        self.panel.set_rotary_available(*self.rotary_pairs_use(values))
        self.panel.set_calibration_available(*self.calibration_use(values))
        self.calibration_text = None
        try:
            plan = ShrinkRun.build(self.checkpoint, self.current_request(), arch=self.arch, importance=self.importance)
            self._check_calibration_text(plan)
            plan = self.recent_plans.reuse(plan, self.calibration_text.sha256 if self.calibration_text else None)
        except HeadmixError as e:
            self.plan = None
            self._plan_changed()
            self.preview.status.show_info("")
            self.panel.show_error(e.field if isinstance(e, TargetError) else None, str(e))
            if isinstance(e, TargetError) and e.field == "num_layers":
                self.layers_view.show_invalid(str(e))
            self._step("summary", lambda: self.panel.show_summary(
                "Fix the highlighted target.", (self.checkpoint.num_parameters, self.checkpoint.size_on_disk), None, None, [],
                decoder=f"Decoder layers: {self.arch.num_layers}", why="no plan for these targets"))
            self._enable_export()
            self._step("matrices", lambda: self.preview.show_mixing(self.selected_layer, None, "invalid targets"))
            self._refreshed(values)
            return
        if plan is not self.plan:
            self._calibration_stop = None  # a cancel was about the targets before: these calibrate by themselves
        self.plan = plan
        self._plan_changed()
        self._plan_values = values
        self._step("summary", self._show_summary)
        self._enable_export()
        self._update_preview()
        self._refreshed(values)

    def _check_calibration_text(self, plan: ShrinkRun) -> None:
        """A plan that reads its calibration text needs one it can use: said next to the control at once."""
        from .calibration_text import check_calibration_text

        uses = (plan.method.sequential and bool(plan.layers)) or (plan.reduction is not None and plan.reduction.data)
        if not uses:
            return
        request = plan.request
        found = check_calibration_text(self.checkpoint, self.arch, request.calib_text, request.calib_tokens)
        if found.problem is not None:
            # the file by its name next to the control (the list's tooltip has its path)
            problem = found.problem
            if request.calib_text is not None:
                problem = problem.replace(found.source, Path(found.source).name)
            raise TargetError(f"calibration text {problem}", field="calib_text")
        self.calibration_text = found

    def choose_calibration_text(self) -> QFileDialog:
        folder = self.settings.value("calibration/text_folder", "") or self.settings.value("quality/text_folder", "") \
            or str(Path.home())
        return self._file_dialog("Choose a calibration text", folder, self._calibration_text_chosen,
                                 "Text files (*.txt *.md *.rst);;All files (*)")

    def _calibration_text_chosen(self, path: str) -> None:
        self.settings.setValue("calibration/text_folder", str(Path(path).parent))
        self.panel.use_calib_file(path)

    def _plan_changed(self) -> None:
        """A new plan (or none): what was chosen or calibrated for the last one no longer applies."""
        self.final_plan = self.layer_choice = None
        self._heads_ready = False
        if self.statusBar().currentMessage().startswith(QUALITY_MESSAGE):
            self.statusBar().clearMessage()  # it was about the targets before these
        if self.choice_worker is not None and self.choice_worker.plan is not self.plan:
            self._stop_choice()  # its plan is gone
        if self.calibration_worker is not None and not self._is_current(self.calibration_worker.plan):
            self._stop_calibration()  # its plan is gone
        plan = self.plan
        if plan is None or plan.reduction is None:
            self.tree_model.set_layer_choice(None)
            if plan is not None:
                self.layers_view.show_idle(self.arch.num_layers)
            return
        # An earlier choice on the same text answers at once (drop and merge need only its scores);
        # otherwise, and always for the kept layers' head scores, a worker runs.
        for earlier in self._reductions:
            if plan.reduction.reuse(earlier):
                self._show_choice(plan, plan.final())
                break
        else:
            self.tree_model.set_layer_choice(None)
        self._start_choice(plan)

    def _is_current(self, plan) -> bool:
        return plan is not None and (plan is self.plan or plan is self.final_plan)

    def _refreshed(self, values: dict) -> None:
        self._record(values)
        sha = self.calibration_text.sha256 if self.plan is not None and self.calibration_text is not None else None
        self.quality.set_calibration_text(sha)
        self._step("quality", lambda: self.quality.set_plan(self.plan),
                   on_error=lambda m: self.quality.show_problem(m))
        self._step("status bar", self._update_status)
        self.copy_command_action.setEnabled(self.plan is not None)
        self.plan_changed.emit()

    # ------------------------------------------------------------------ undo, reset, command, status

    def _record(self, values: dict) -> None:
        """The session holds the targets the controls settled on (one undoable change, unless undo/redo set them)."""
        self.session.set_values(values)

    def _values_set(self, values: dict) -> None:
        """Undo or redo set the session's targets: the controls follow (a change the user made shows already)."""
        if self.session.restoring and values != self.panel.values():
            self.apply_values(values)

    def _undo_changed(self) -> None:
        undo = self.session.undo
        self.undo_action.setEnabled(undo.can_undo())
        self.undo_action.setText(f"&Undo {undo.undo_text()}".rstrip())
        self.redo_action.setEnabled(undo.can_redo())
        self.redo_action.setText(f"&Redo {undo.redo_text()}".rstrip())

    def apply_values(self, values: dict) -> None:
        """Set the controls to ``values`` as undo/redo does: without recording a new change."""
        self.session.restoring = True
        try:
            self.panel.set_values(values["heads"], values["kv_heads"], values["head_dim"], values["method"],
                                  values["seed"], values["layers"], values.get("num_layers"),
                                  values.get("layer_method", LayerMethod.DROP.value),
                                  values.get("rotary_pairs", "progression"), values.get("calib_text"),
                                  values.get("calib_tokens", 4096))
        finally:
            self.session.restoring = False

    def reset_targets(self) -> None:
        """Query heads, kv heads, head size and decoder layers back to the model's own, on all layers, rotary pairs
        back to a progression (undoable)."""
        a = self.arch
        if a is None or not a.usable:
            return
        v = self.panel.values()
        self.panel.set_values(a.num_heads, a.num_kv_heads, a.head_dim, v["method"], v["seed"], "all", None,
                              v["layer_method"], rotary_pairs="progression")

    def command_line(self) -> str | None:
        """The ``headmix shrink …`` line that exports what the controls say."""
        plan = self.current_plan()
        if plan is None:
            return None
        return plan.request.command_line(self.checkpoint.argument, self.proposed_export_folder(plan))

    def copy_command(self) -> None:
        line = self.command_line()
        if line is None:
            self.statusBar().showMessage("Fix the highlighted target first: there is no command for it", 8000)
            return
        QApplication.clipboard().setText(line)
        self.statusBar().showMessage(f"Copied: {line}", 10000)

    def _update_status(self) -> None:
        c, a, plan = self.checkpoint, self.arch, self.plan
        if c is None:
            text = "No model open"
        elif not a.usable:
            text = f"{c.display_name} · {a.name if a.recognised else 'attention not recognised'} · read-only"
        elif plan is None:
            text = f"{c.display_name} · {a.name} {a.num_heads}×{a.head_dim}, kv {a.num_kv_heads} · invalid targets"
        else:
            saved = 100 * (1 - plan.params_after / max(plan.params_before, 1))
            layers = "all layers" if plan.resolved.layers is None else f"layers {plan.resolved.layers_text}"
            if plan.reduction is not None:
                layers = f"decoder layers {a.num_layers} → {plan.reduction.num_layers} ({plan.reduction.method})"
            text = (f"{c.display_name} · {a.name} {a.num_heads}×{a.head_dim}, kv {a.num_kv_heads} → "
                    f"{plan.num_heads}×{plan.head_dim}, kv {plan.num_kv_heads} · {plan.method} · {layers} · "
                    f"{saved:.1f}% smaller")
            if self.choice_worker is not None and self.layer_choice is None:
                text += " · choosing layers"
            elif self.calibration_worker is not None:
                text += " · calibrating"
            if self.export_worker is not None:
                text += " · exporting"
        self.plan_status.setText(text)

    def current_plan(self) -> ShrinkRun | None:
        """The plan for the controls as they are now (rebuilt if a typed entry is still pending)."""
        if self.plan is None or self.panel.values() != self._plan_values:
            self.refresh()
        return self.plan

    def _step(self, name: str, draw, on_error=None) -> bool:
        """Run one drawing step; on failure say so in that view's place and carry on."""
        try:
            draw()
            return True
        except Exception as e:  # noqa: BLE001 - one view failing must never stop the others
            message = f"cannot show the {name}: {type(e).__name__}: {e}" if not isinstance(e, HeadmixError) else str(e)
            traceback.print_exc()
            try:
                (on_error or (lambda m: self.statusBar().showMessage(m, 10000)))(message)
            except Exception:  # noqa: BLE001
                traceback.print_exc()
            return False

    def _enable_export(self) -> None:
        ok = self.plan is not None and self.export_worker is None
        self.export_action.setEnabled(ok)
        self.panel.export_button.setEnabled(ok)

    def _show_summary(self) -> None:
        plan = self.plan
        decoder = f"Decoder layers: {self.arch.num_layers}"
        if plan.reduction is not None:
            decoder += f" → {plan.reduction.num_layers} ({plan.reduction.method})"
        self.panel.show_summary(
            f"{self.arch.name}: {self.arch.num_heads}×{self.arch.head_dim} → {plan.num_heads}×{plan.head_dim} heads, "
            f"kv {self.arch.num_kv_heads} → {plan.num_kv_heads}",
            (plan.params_before, plan.bytes_before), (plan.params_after, plan.bytes_after), plan.verdicts(),
            plan.warnings, decoder=decoder,
        )

    def _update_preview(self) -> None:
        if self.plan is None:
            return
        i = self.selected_layer
        plan, j, why = self._view()
        if plan is None:
            # fewer decoder layers: not chosen yet, or this layer is not in the smaller model
            self.preview.status.show_info("")
            self._step("matrices", lambda: self.preview.show_mixing(i, None, why))
            if self.preview.toggle.isChecked():
                name = self.arch.layer(i).tensor_for(self.preview.role.currentText())
                self._step("weights", lambda: self.preview.show_weights(name, None, None, None, why))
            self._step("importance chart", self._update_importance_chart,
                       on_error=lambda m: self.preview.importance.set_scores(None, None, m))
            return
        reduced = plan is not self.plan
        # the smaller model's layer j is the source's layer i: say both
        title = self._layer_title(j)
        changed = j in plan.layers
        scores_ready = self._heads_ready if reduced else len(self.importance) >= len(self.arch.layers)
        waiting = changed and plan.method.needs_scores and not scores_ready
        calibrating = changed and plan.method.sequential and not (plan._calibrator is not None and plan._calibrator.ready(j))
        stopped = self._calibration_stop if self._calibration_stop is not None and self._calibration_stop[0] is plan else None
        if calibrating and stopped is not None:
            # cancelled, or failed: not run again by itself (Calibrate on the line below the title does)
            _, note, failed = stopped
            waiting = True
            self.preview.status.show_stopped(note + " · Calibrate runs it again" if not failed else note, failed)
            self._step("matrices", lambda: self.preview.show_mixing(i, None, note, title))
        elif calibrating:
            # a calibrated layer is fitted after every layer before it: run the walk in the background
            self._start_calibration(plan, j)
            self.preview.status.show_calibrating(self._calibration_note, *self._calibration_step)
            note = "calibrating… (progress below)"
            waiting = True
            self._step("matrices", lambda: self.preview.show_mixing(i, None, note, title))
        elif waiting:
            # select needs every layer's scores (rotary pairs are chosen model-wide); computing
            # them here would freeze the window on a large model, so wait for the worker.
            note = (self._choice_note or "waiting for the head scores of the smaller model") if reduced else \
                f"waiting for importance scores ({len(self.importance)}/{len(self.arch.layers)} layers)"
            self._step("matrices", lambda: self.preview.show_mixing(i, None, note, title))
        else:
            self._step("matrices", lambda: self.preview.show_mixing(
                i, plan.heatmaps(j), plan.method if changed else "unchanged by these targets (identity)", title,
                plan.stacked_heatmaps(j)),
                on_error=lambda m: self.preview.show_mixing(i, None, m, title))
        if not calibrating:
            self._step("status line", lambda: self.preview.status.show_info(status_line(plan, j) if changed else ""),
                       on_error=self.preview.status.show_info)
        if self.preview.toggle.isChecked():
            role = self.preview.role.currentText()
            name = plan.layer(j).tensor_for(role)
            if waiting:
                self._step("weights", lambda: self.preview.show_weights(name, None, None, None, note))
            else:
                self._step("weights", lambda: self._draw_weights(plan, j, role),
                           on_error=lambda m: self.preview.show_weights(name, None, None, None, m))
        self._step("importance chart", self._update_importance_chart,
                   on_error=lambda m: self.preview.importance.set_scores(None, None, m))
        if not waiting and plan is self.plan and plan.reduces_rotary_pairs and plan.method.chooses_pairs:
            # the rotary pairs chosen from scores are known now: the verdicts can say what they are, not the worst case
            self._step("summary", self._show_summary)

    # ------------------------------------------------------------------ fewer decoder layers

    def _start_choice(self, plan: ShrinkRun) -> None:
        """Choose the plan's decoder layers in the background (then read the kept layers' head scores)."""
        worker = self.choice_worker
        if worker is not None and worker.plan is plan and not worker.is_cancelled():
            return
        self._stop_choice()
        worker = ChoiceWorker(plan, self._reductions)
        worker.stage.connect(self._choice_stage)
        worker.finished.connect(self._choice_finished)
        worker.failed.connect(self._choice_failed)
        worker.cancelled.connect(self._choice_cancelled)
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(self._choice_ended)
        self.choice_worker = worker
        if self.layer_choice is None:
            reduction = plan.reduction
            self._choice_note = "choosing layers…"
            self.layers_view.show_choosing(reduction.arch.num_layers, reduction.num_layers, reduction.method.value,
                                           reduction.data)
        else:
            self._choice_note = "reading the head scores of the smaller model…"
        worker.start(self.session.jobs)
        self._step("status bar", self._update_status)

    def _stop_choice(self) -> None:
        """Abandon the running choice (it stops after the layer it is scoring; nothing waits for it)."""
        if self.choice_worker is not None:
            self.choice_worker.cancel()
            self.choice_worker = None
        self._choice_note = ""

    def cancel_choice(self) -> None:
        """The user stops the layer choice; the plan stays, its layers unchosen until asked again."""
        if self.choice_worker is not None and not self.choice_worker.is_cancelled():
            self.choice_worker.cancel()
            self.layers_view.progress.setFormat("cancelling…")
            self.layers_view.cancel_button.setEnabled(False)

    def _choice_stage(self, stage: str, done: int, total: int) -> None:
        if self.sender() is not self.choice_worker:
            return
        if self.export_worker is not None and self.export_plan is self.choice_worker.plan and stage != "heads":
            self._show_export_choosing(stage, done, total)  # the export waits for this very choice
        if stage == "heads":
            self._choice_note = f"reading the head scores of the smaller model ({done} of {total} layers)…"
        else:
            self._choice_note = f"choosing layers: {stage_text(stage, done, total)}…"
            self.layers_view.set_progress(stage, done, total)
        if self._view()[2]:  # the selected layer waits for the choice: say how far it is
            self.preview.show_mixing(self.selected_layer, None, self._choice_note)

    def _choice_finished(self, final) -> None:
        worker = self.sender()
        if worker is not self.choice_worker:
            return
        self.choice_worker = None
        self._choice_note = ""
        plan = worker.plan
        if plan is not self.plan:
            return
        if plan.reduction not in self._reductions:
            self._reductions.insert(0, plan.reduction)
            del self._reductions[KEPT_CHOICES:]
        self._heads_ready = True
        self._show_choice(plan, final)
        self._update_preview()
        self._step("status bar", self._update_status)
        self.layers_chosen.emit()

    def _show_choice(self, plan: ShrinkRun, final: ShrinkRun) -> None:
        """The choice is made: mark the tree, draw the scores, map the selected layer."""
        self.final_plan = final
        self.layer_choice = plan.reduction.choice()
        self.tree_model.set_layer_choice(self.layer_choice)
        self._step("layer scores", lambda: self.layers_view.show_choice(self.layer_choice, self.arch.num_layers,
                                                                         self.selected_layer),
                   on_error=self.layers_view.show_failed)
        self.quality.set_selected_layer(self._output_index(self.selected_layer))

    def _choice_failed(self, message: str) -> None:
        if self.sender() is not self.choice_worker:
            return
        self.choice_worker = None
        self._choice_note = f"the layer choice failed: {message}"
        self.layers_view.show_failed(message)
        self._update_preview()
        self._step("status bar", self._update_status)

    def _choice_cancelled(self) -> None:
        if self.sender() is not self.choice_worker:
            return
        self.choice_worker = None
        if self.layer_choice is None:
            self._choice_note = "layer choice cancelled (Layer scores tab: Choose layers)"
            self.layers_view.show_cancelled()
        else:  # chosen already, only the head scores were stopped
            self._choice_note = "head scores cancelled (Layer scores tab: Choose layers)"
            self.layers_view.choose_button.show()
        self._update_preview()
        self._step("status bar", self._update_status)

    def _choice_ended(self, *_) -> None:
        worker = self.sender()
        worker.wait(1000)  # it has emitted its last signal; its thread is ending now
        if self._quit_after_choice and not self.session.jobs.running("choice", "calibration"):
            self.close()

    def _calibration_ended(self, *_) -> None:
        worker = self.sender()
        worker.wait(1000)  # it has emitted its last signal; its thread is ending now
        if self._quit_after_choice and not self.session.jobs.running("choice", "calibration"):
            self.close()

    def _output_index(self, layer: int | None) -> int | None:
        """Where a source layer is in the plan's output (None: removed, or not chosen yet)."""
        if layer is None or self.plan is None or self.plan.reduction is None:
            return layer
        if self.layer_choice is None or layer not in self.layer_choice.kept:
            return None
        return self.layer_choice.kept.index(layer)

    def _view(self) -> tuple[ShrinkRun | None, int | None, str]:
        """What the previews draw for the selected layer: (plan, its index there, "") or, when the
        plan cannot show it, (None, None, why): layers not chosen yet, or the layer removed."""
        plan, i = self.plan, self.selected_layer
        if plan is None or plan.reduction is None:
            return plan, i, ""
        if self.layer_choice is None or self.final_plan is None:
            return None, None, self._choice_note or "choosing layers…"
        if i not in self.layer_choice.kept:
            into = self.tree_model.merged_into(i)
            return None, None, "removed: no matrices" + (f" (averaged into layer {into})" if into is not None else "")
        return self.final_plan, self.layer_choice.kept.index(i), ""

    def _quality_layer_clicked(self, index: int) -> None:
        """The Quality tab's chart counts the measured model's layers: map them back to the source's."""
        shown = self.quality.shown
        if (self.plan is not None and self.plan.reduction is not None and self.layer_choice is not None
                and shown is not None and len(shown.layers) == len(self.layer_choice.kept)):
            index = self.layer_choice.kept[index]
        self.select_layer_everywhere(index)

    def _start_calibration(self, plan: ShrinkRun, index: int) -> None:
        """Calibrate up to layer ``index`` in the background (one walk at a time, for the current plan only)."""
        worker = self.calibration_worker
        if worker is not None and worker.plan is plan and worker.index >= index and not worker.is_cancelled():
            return
        self._stop_calibration()
        self._calibration_stop = None
        worker = CalibrationWorker(plan, index)
        worker.progress.connect(self._calibration_progress)
        worker.finished.connect(self._calibration_done)
        worker.failed.connect(self._calibration_failed)
        worker.cancelled.connect(self._calibration_stopped)
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(self._calibration_ended)
        self.calibration_worker = worker.start(self.session.jobs)
        self._calibration_note = "calibrating: reading the calibration text…"
        self._calibration_step = (0, 0)
        self._step("status bar", self._update_status)

    def _stop_calibration(self) -> None:
        """Abandon the running calibration (its plan is gone); it stops after the layer it is fitting."""
        if self.calibration_worker is not None:
            self.calibration_worker.cancel()
            self.calibration_worker = None
        self._calibration_note = ""

    def cancel_calibration(self) -> None:
        """The user stops the calibration: the plan stays, its matrices undrawn until Calibrate."""
        worker = self.calibration_worker
        if worker is not None and not worker.is_cancelled():
            worker.cancel()
            self.preview.status.progress.setFormat("cancelling…")
            self.preview.status.cancel_button.setEnabled(False)

    def calibrate(self) -> None:
        """Run the calibration again for the current targets (after a cancel or a failure)."""
        self._calibration_stop = None
        self._update_preview()

    def _calibration_progress(self, done, total) -> None:
        if self.sender() is not self.calibration_worker or self.calibration_worker.is_cancelled():
            return
        self._show_calibration_progress(int(done), int(total))

    def _show_calibration_progress(self, done: int, total: int) -> None:
        """The preview's calibration has come ``done`` steps of ``total`` (reported by it, or by an export of the same plan)."""
        worker = self.calibration_worker
        plan = worker.plan
        upto = layers_up_to(plan, worker.index)  # the walk stops at the layer on screen: the bar says so
        last = total - len(plan.arch.layers) + upto if total > 0 else total
        self._calibration_note = calibration_text(plan, done, total, upto) + ("…" if done < last else "")
        self._calibration_step = (min(done, last), last)
        shown, j, _ = self._view()
        if shown is plan and j in plan.layers and self.preview.status.currentIndex() == self.preview.status.CALIBRATING:
            self.preview.status.show_calibrating(self._calibration_note, *self._calibration_step)

    def _layer_title(self, j: int) -> str | None:
        """The mixing title for the smaller model's layer ``j`` when it is not the source's selected layer's number."""
        i = self.selected_layer
        return f"Layer {i} → {j}" if self.plan is not None and self.plan.reduction is not None and i != j else None

    def _calibration_done(self, _index) -> None:
        worker = self.sender()
        if worker is not self.calibration_worker:
            return
        self.calibration_worker = None
        self._calibration_note = ""
        if self._is_current(worker.plan):
            self._update_preview()
        self._step("status bar", self._update_status)
        self.calibration_ready.emit()

    def _calibration_failed(self, message: str) -> None:
        worker = self.sender()
        if worker is not self.calibration_worker:
            return
        self.calibration_worker = None
        self._calibration_note = ""
        self._calibration_stop = (worker.plan, f"calibration failed: {message}", True)
        self._update_preview()
        self._step("status bar", self._update_status)

    def _calibration_stopped(self) -> None:
        worker = self.sender()
        if worker is not self.calibration_worker:
            return
        self.calibration_worker = None
        self._calibration_note = ""
        self._calibration_stop = (worker.plan, "calibration cancelled", False)
        self._update_preview()
        self._step("status bar", self._update_status)

    def _draw_weights(self, plan: ShrinkRun, i: int, role: str) -> None:
        from headmix.core.model.layer_weights import read_attention

        from .alignment import unit_sources

        layer = plan.layer(i)
        name = layer.tensor_for(role)
        if i in plan.layers:
            before, after = plan.canonical_preview(i, role)
            sources = unit_sources(plan.mixing(i), role, before.shape[0])
            self.preview.show_weights(name, before, after, sources)
        else:
            before = read_attention(plan.checkpoint, layer, (role,))[role]
            before = before.reshape(-1, before.shape[-1])
            self.preview.show_weights(name, before, before, None, "layer unchanged by these targets: after = before")

    def _update_importance_chart(self) -> None:
        i = self.selected_layer
        scores = self.importance.get(i)
        if scores is None or self.plan is None:
            self.preview.importance.set_scores(None, None, f"layer {i}: computing…" if scores is None else "")
            return
        plan, j, why = self._view()
        if plan is None:  # the source layer's own scores, and why there is nothing more to show
            self.preview.importance.set_scores(scores.q_heads, None, f"layer {i}: {why}", self.arch.layer(i).num_kv_heads)
            return
        name = f"layer {i}" if j == i else f"layer {i} (→ {j})"
        if plan is not self.plan:  # the smaller model's layer: averaged by merge, so its own scores
            if not self._heads_ready:
                self.preview.importance.set_scores(None, None, f"{name}: {self._choice_note or 'reading head scores…'}")
                return
            scores = plan.importance(j)
        from .importance_legend import colouring

        shown = colouring(plan, j) if j in plan.layers else None
        if shown is None:
            self.preview.importance.set_scores(scores.q_heads, None, f"{name}: unchanged by these targets",
                                               plan.layer(j).num_kv_heads, ("score", ""))
            return
        self.preview.importance.set_scores(scores.q_heads, shown.kept, f"{name}: {shown.title}", plan.layer(j).num_kv_heads,
                                           (shown.keeps, shown.drops))

    # ------------------------------------------------------------------ tree selection

    def _tree_current_changed(self, current, _previous) -> None:
        node = self.tree_model.node(self.proxy.mapToSource(current))
        if node.layer is not None and node.layer != self.selected_layer:
            self.select_layer(node.layer)
        if node.kind == "tensor" and node.tensor:
            self.show_tensor(node.tensor)
        elif node.kind == "head" and node.tensor:
            self.show_head(node.tensor, node.layer, node.head, node.head_axis)

    def select_layer(self, index: int) -> None:
        self.selected_layer = index
        self.quality.set_selected_layer(self._output_index(index))
        self.layers_view.set_selected(index)
        self._update_preview()

    def select_layer_everywhere(self, index: int) -> None:
        """Select a layer as if picked in the tree (the tree follows when the layer is shown there)."""
        for node in self.tree_model.iter_nodes():
            if node.kind == "layer" and node.layer == index:
                proxy_index = self.proxy.mapFromSource(self.tree_model.createIndex(node.row(), 0, node))
                if proxy_index.isValid():
                    self.tree.setCurrentIndex(proxy_index)
                    self.tree.scrollTo(proxy_index)
                break
        if self.selected_layer != index:
            self.select_layer(index)

    def show_tensor(self, name: str) -> None:
        """Histogram and statistics of one tensor, read on demand."""
        self.selected_tensor = name
        try:
            stats = tensor_stats(self.checkpoint.read(name))
        except HeadmixError as e:
            self.statusBar().showMessage(str(e), 10000)
            return
        self.preview.histogram.set_stats(name, stats)

    def show_head(self, tensor: str, layer: int, head: int, axis: str) -> None:
        """Histogram and statistics of one head's slice of a tensor (a head row of the tree)."""
        from .head_values import head_values

        self.selected_tensor = tensor
        try:
            title, values = head_values(self.checkpoint, self.arch.layer(layer), tensor, head, axis)
            stats = tensor_stats(values)
        except HeadmixError as e:
            self.statusBar().showMessage(str(e), 10000)
            return
        self.preview.histogram.set_stats(title, stats)

    # ------------------------------------------------------------------ quality

    def measure_quality(self) -> bool:
        """Measure the current plan on the Quality tab's text (in the background)."""
        plan = self.current_plan()
        return plan is not None and self.quality.measure(plan)

    def comparison_plans(self) -> list[tuple[str, ShrinkRun]] | None:
        """The current plan and the other way to the same size: fewer decoder layers for a plan that
        shrinks heads, fewer heads for one that removes layers; the other has the parameter count
        nearest the current plan's (of every layer count, or every buildable query/kv head pair)."""
        from .quality_view import comparison_kind

        plan = self.current_plan()
        kind = comparison_kind(plan, self.arch)
        if kind is None:
            return None
        a, v = self.arch, self.panel.values()
        target = plan.params_after
        candidates = []
        if kind == "layers":
            layer_method = v["layer_method"]
            for n in range(1, a.num_layers):
                request = Request(method=plan.method, seed=plan.seed, num_layers=n, layer_method=layer_method)
                candidates.append(ShrinkRun.build(self.checkpoint, request, arch=a, importance=self.importance))
        else:
            layer, method = a.layers[0], plan.method
            for heads in range(1, layer.num_heads + 1):
                for kv in range(1, layer.num_kv_heads + 1):
                    try:
                        check(layer, heads, kv, layer.head_dim, method)
                    except TargetError:
                        continue
                    if (heads, kv) == (layer.num_heads, layer.num_kv_heads):
                        continue
                    request = Request(heads, kv, None, method, plan.seed)
                    try:
                        candidates.append(ShrinkRun.build(self.checkpoint, request, arch=a, importance=self.importance))
                    except HeadmixError:
                        continue
        if not candidates:
            return None
        other = min(candidates, key=lambda p: (abs(p.params_after - target), -p.params_after))
        heads, layers = (plan, other) if kind == "layers" else (other, plan)
        return [("fewer heads", heads), ("fewer layers", layers)]

    def compare_quality(self) -> bool:
        """Quality tab: measure the current plan and the other way to the same size, side by side."""
        try:
            rows = self.comparison_plans()
        except HeadmixError as e:
            self.quality.show_problem(str(e))
            return False
        if rows is None:
            self.statusBar().showMessage("Set head targets, or fewer decoder layers (not both), to compare them", 8000)
            return False
        return self.quality.compare(rows)

    def method_plans(self) -> list[tuple[str, ShrinkRun | None, str, str | None]] | None:
        """The current targets with each method the model can use (calibrated with a tokenizer, mean, select, random,
        and article when the Quality tab asks): (method, plan or None, why not, its calibration text's hash or None)."""
        from .calibration_text import check_calibration_text

        plan = self.current_plan()
        if plan is None:
            return None
        methods = ([Method.CALIBRATED] if self.has_tokenizer else []) + [Method.MEAN, Method.SELECT, Method.RANDOM]
        if self.quality.with_article.isChecked():
            methods.append(Method.ARTICLE)
        rows = []
        for method in methods:
            try:
                if method is plan.method:
                    other = plan  # the window's own: its calibration and layer choice are shared
                else:
                    request = self.request_for({**self.panel.values(), "method": method.value})
                    other = ShrinkRun.build(self.checkpoint, request, arch=self.arch, importance=self.importance)
            except HeadmixError as e:
                rows.append((method.value, None, str(e), None))
                continue
            sha = None
            if (other.method.sequential and other.layers) or (other.reduction is not None and other.reduction.data):
                found = check_calibration_text(self.checkpoint, self.arch, other.request.calib_text,
                                               other.request.calib_tokens)
                if found.problem is not None:
                    rows.append((method.value, None, f"calibration text: {found.problem}", None))
                    continue
                sha = found.sha256
            rows.append((method.value, other, "", sha))
        return rows

    def compare_methods(self) -> bool:
        """Quality tab: measure the current targets with each method on its text, one after the other."""
        rows = self.method_plans()
        if rows is None:
            self.statusBar().showMessage("Fix the highlighted target first: there is nothing to compare", 8000)
            return False
        return self.quality.compare_methods(rows)

    def use_method(self, method: str) -> None:
        """A row of the methods table was clicked: the targets take that method (one undoable step)."""
        if self.panel.method.currentText() != method and self.panel.method.isEnabled():
            self.panel.method.setCurrentText(method)
            self.statusBar().showMessage(f"Method: {method}", 5000)

    def choose_quality_text(self) -> QFileDialog:
        folder = self.settings.value("quality/text_folder", "") or str(Path.home())
        return self._file_dialog("Choose a text to measure on", folder, self._quality_text_chosen,
                                 "Text files (*.txt *.md *.rst);;All files (*)")

    def _quality_text_chosen(self, path: str) -> None:
        self.settings.setValue("quality/text_folder", str(Path(path).parent))
        self.quality.use_text_file(path)

    def _quality_measured(self, result) -> None:
        if self.quality.shown is result:
            self.statusBar().showMessage(f"{QUALITY_MESSAGE}{self.quality.summary.text().lower()}", 10000)

    def _quality_idle(self) -> None:
        if self._quit_after_measurement:
            self.close()

    # ------------------------------------------------------------------ export

    def choose_export_folder(self) -> None:
        """Ask where to export (a new folder next to the source is suggested; for headmix's own demo, one in the
        last export's folder or the documents), then export."""
        if self.export_worker is not None:
            return
        plan = self.current_plan()
        if plan is None:
            return
        dialog = ExportDialog(plan, self.proposed_export_folder(plan), self)
        dialog.accepted.connect(lambda: self._export_folder_chosen(dialog.output()))
        self.export_dialog = dialog
        dialog.open()

    def proposed_export_folder(self, plan: ShrinkRun) -> Path:
        """Next to the source, except for the bundled demo (inside headmix's own files) and a Hugging Face cache
        snapshot: those get the last export's folder or the documents, never site-packages or the cache."""
        from .export_place import documents_folder, export_parent

        last = self.settings.value("last_export_folder", "")
        last = last if isinstance(last, str) else None
        fallback = Path(last) if last and Path(last).is_dir() else documents_folder()
        return suggested_folder(plan, fallback, export_parent(plan.checkpoint.folder, last))

    def _export_folder_chosen(self, out: Path) -> None:
        if self.plan is None:
            return
        try:
            out, replaces = inspect_output(self.plan, out)  # every refusal before any question
        except OutputRefused as e:
            self.show_message("Cannot export there", str(e))
            return
        self.settings.setValue("last_export_folder", str(out.parent))
        if replaces:
            self.ask_replace(out, replaces)
        else:
            self.start_export(out)

    def ask_replace(self, out: Path, replaces: list[str]) -> QMessageBox:
        """The one destructive question: it lists what goes, and its default answer is Cancel."""
        shown = replaces[:12] + ([f"… and {len(replaces) - 12} more"] if len(replaces) > 12 else [])
        box = QMessageBox(QMessageBox.Icon.Warning, "Replace the earlier export?",
                          f"{out} holds an earlier headmix export. Replace it with this one?", parent=self)
        box.setInformativeText("These go to the trash:\n" + "\n".join(shown))
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.finished.connect(lambda _: box.clickedButton() is replace and self.start_export(out, force=True))
        self.replace_question = box
        box.open()
        return box

    def start_export(self, out: str | Path, force: bool = False) -> None:
        if self.export_worker is not None or self.current_plan() is None:
            return
        self.export_plan = self.plan
        worker = ExportWorker(self.plan, Path(out), force, self._reductions)
        worker.progress.connect(self._export_progress)
        worker.choosing.connect(self._export_choosing)
        worker.calibrating.connect(self._export_calibrating)
        worker.finished.connect(self._export_done)
        worker.failed.connect(self._export_failed)
        worker.cancelled.connect(self._export_cancelled)
        self.panel.set_exporting(True)
        self.export_action.setEnabled(False)
        self.cancel_shortcut.setEnabled(True)
        from .export_progress import ExportProgress

        def exported():
            return getattr(worker, "exported", None) or self.export_plan

        self._export_view = ExportProgress(lambda done, total: calibration_text(exported(), done, total),
                                           layers=lambda: len(exported().arch.layers))
        self.export_worker = worker.start(self.session.jobs)
        self._step("status bar", self._update_status)
        if self.plan.reduction is not None and self.layer_choice is None:
            self.panel.progress_label.setText("choosing layers first…")

    def cancel_export(self) -> None:
        if self.export_worker is not None and not self.export_worker.is_cancelled():
            self.export_worker.cancel()
            self.panel.progress_label.setText("cancelling…")

    def _export_choosing(self, stage: str, done: int, total: int) -> None:
        """Fewer decoder layers: the export chooses them before it writes anything."""
        if self.sender() is self.export_worker:
            self._show_export_choosing(stage, done, total)

    def _show_export_choosing(self, stage: str, done: int, total: int) -> None:
        if self.export_worker is None or self.export_worker.is_cancelled() or self._export_view.stage != "choosing" \
                and self._export_view.stage != "starting":
            return
        self._show_export_stage(self._export_view.choosing(stage, done, total))

    def _export_calibrating(self, done: int, total: int) -> None:
        """A calibrated plan is fitted layer by layer as the export writes it: the bar says which layer."""
        worker = self.sender()
        if worker is not self.export_worker or worker.is_cancelled():
            return
        plan = getattr(worker, "exported", None) or self.export_plan
        self._show_export_stage(self._export_view.on_calibrating(int(done), int(total)))
        if self.calibration_worker is not None and self.calibration_worker.plan is plan:
            self._show_calibration_progress(done, total)  # the same walk: the preview follows it too

    def _export_progress(self, done, total) -> None:
        if self.export_worker is None or self.export_worker.is_cancelled():
            return
        self._show_export_stage(self._export_view.on_bytes(int(done), int(total)))

    def _show_export_stage(self, shown) -> None:
        """Show one step of the export (see export_progress.ExportProgress: stages, each with its own time left)."""
        bar = self.panel.progress
        bar.setFormat(shown.bar)  # before the value, so whoever hears valueChanged reads the step's own words
        bar.setRange(0, shown.maximum)
        if shown.maximum:
            bar.setValue(shown.value)
        bar.setToolTip(shown.tooltip)
        self.panel.progress_label.setText(shown.label)
        self.panel.progress_label.setToolTip(shown.tooltip)

    def _export_ended(self) -> None:
        self.export_worker = None
        self.cancel_shortcut.setEnabled(False)
        self.panel.set_exporting(False)
        self._enable_export()
        self._step("status bar", self._update_status)  # no longer "exporting"
        if self._quit_after_export:
            self.close()

    def _export_done(self, out) -> None:
        self._export_ended()
        if self._quit_after_export:  # it finished before it could stop: the window is gone already
            self.export_finished.emit(str(out))
            return
        ok, reason = self.export_plan.loadability
        self.show_message("Export finished", f"Wrote {out}\n{'Loads in transformers.' if ok else reason}",
                          QMessageBox.Icon.Information, open_folder=str(out), open_model=str(out))
        self.last_export = Path(out)
        self.open_export_action.setEnabled(True)
        self.export_finished.emit(str(out))

    def _export_failed(self, message: str) -> None:
        self._export_ended()
        if not self._quit_after_export:
            self.show_message("Export failed", message, QMessageBox.Icon.Critical)
        self.export_failed.emit(message)

    def _export_cancelled(self) -> None:
        self._export_ended()
        self.statusBar().showMessage("Export cancelled; nothing was left behind.", 10000)
        self.export_cancelled.emit()

    # ------------------------------------------------------------------ presets

    def _fill_presets_menu(self) -> None:
        menu = self.presets_menu
        menu.clear()
        last = self.last_preset()
        self.apply_last_action = menu.addAction(
            f"Apply last preset again ({last.name})" if last else "Apply last preset again",
            lambda: self.apply_last_preset())
        self.apply_last_action.setEnabled(last is not None)
        self.apply_last_action.setToolTip("The preset applied last time, to this model (never applied by itself)")
        menu.addSection("Built-in")
        for preset in preset_store.builtin().values():
            action = menu.addAction(preset.name, lambda p=preset: self.apply_preset(p))
            action.setToolTip(preset.description)
        user = preset_store.user_presets()
        if user:
            menu.addSection("Yours")
            for preset in user.values():
                menu.addAction(preset.name, lambda p=preset: self.apply_preset(p))
        menu.addSeparator()
        menu.addAction("&Load preset file…", self.choose_preset_file)
        menu.addAction("&Save current settings as preset…", self.ask_save_preset)
        delete = menu.addMenu("&Delete preset")
        for name, preset in user.items():
            delete.addAction(preset.name, lambda n=name: self.delete_preset(n))
        delete.setEnabled(bool(user))
        menu.setToolTipsVisible(True)

    def current_preset(self, name: str, fractions: bool = False) -> preset_store.Preset:
        """The current settings as a preset; with ``fractions`` its targets are fractions of this model's shape."""
        return preset_store.Preset(name=name, request=self.preset_request(fractions))

    def preset_request(self, fractions: bool) -> Request:
        request = self.current_request()
        return request.relative_to(self.arch) if fractions and self.arch is not None else request

    def current_request(self) -> Request:
        """The panel's values as the one request object the CLI, presets and headmix.json share."""
        return self.request_for(self.panel.values())

    def request_for(self, v: dict) -> Request:
        """The request for a set of the panel's values (see :meth:`TargetsPanel.values`)."""
        return self.session.request_for(v)

    def rotary_pairs_use(self, v: dict) -> tuple[bool, str]:
        return self.session.rotary_pairs_use(v)

    def calibration_use(self, v: dict) -> tuple[bool, str]:
        return self.session.calibration_use(v)

    def apply_preset(self, preset: preset_store.Preset, remember: bool = True) -> bool:
        if self.arch is None or not self.arch.usable:
            self.show_message("Preset", "Open a checkpoint whose attention headmix recognises first.")
            return False
        try:
            v = self.session.preset_values(preset)
        except HeadmixError as e:
            self.show_message("Preset does not fit this model", str(e))
            return False
        self.panel.set_values(v["heads"], v["kv_heads"], v["head_dim"], v["method"], v["seed"], v["layers"],
                              v["num_layers"], v["layer_method"], v["rotary_pairs"], v["calib_text"], v["calib_tokens"])
        if remember:
            self.settings.setValue("last_preset", self._preset_key(preset))
        tokens, most = preset.request.calib_tokens, self.panel.calib_tokens.maximum()
        if tokens > most:  # the core takes more; the window offers what calibrates in minutes
            self.statusBar().showMessage(f"Preset: {preset.name}; it asks for {tokens:,} calibration tokens, the window "
                                         f"calibrates on at most {most:,} (the command line takes more)", 15000)
        else:
            self.statusBar().showMessage(f"Preset: {preset.name}", 5000)
        return True

    def last_preset(self) -> preset_store.Preset | None:
        key = self.settings.value("last_preset")
        if not (isinstance(key, str) and key):
            return None
        try:
            return preset_store.find(key)
        except HeadmixError:
            return None

    def apply_last_preset(self) -> bool:
        preset = self.last_preset()
        return preset is not None and self.apply_preset(preset)

    @staticmethod
    def _preset_key(preset: preset_store.Preset) -> str:
        """What find() needs to get this preset back next time: its file, or its built-in name."""
        if preset.path is not None and preset.path.parent != preset_store.BUILTIN_DIR:
            return str(preset.path)
        return preset.path.stem if preset.path is not None else preset.name

    def choose_preset_file(self) -> QFileDialog:
        return self._file_dialog("Load preset", str(preset_store.user_dir()), self.load_preset_file, "Presets (*.json)")

    def load_preset_file(self, path: str | Path) -> bool:
        try:
            preset = preset_store.load(path)
        except HeadmixError as e:
            self.show_message("Cannot load preset", str(e))
            return False
        return self.apply_preset(preset)

    def ask_save_preset(self):
        """The name (never a built-in preset's) and whether the targets are saved as fractions of this model."""
        from .preset_dialog import SavePresetDialog

        dialog = SavePresetDialog(self.preset_request, self)
        dialog.chosen.connect(lambda name, fractions: self.save_preset(name, fractions=fractions))
        self.name_dialog = dialog
        dialog.open()
        return dialog

    def _question(self, title: str, text: str, informative: str, action: str, on_yes) -> QMessageBox:
        """A non-blocking question whose default (and Escape) answer is Cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        if informative:
            box.setInformativeText(informative)
        yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.finished.connect(lambda _: box.clickedButton() is yes and on_yes())
        self.preset_question = box
        box.open()
        return box

    def save_preset(self, name: str, replace: bool = False, fractions: bool = False) -> Path | None:
        """Save the current settings as a user preset (``fractions``: its targets as fractions of this model's
        shape); a preset of the same name is replaced only after a question (whose default is Cancel), and a
        built-in preset's name is refused."""
        path = preset_store.user_file(name)
        if path.exists() and not replace and preset_store.builtin_clash(name) is None:
            self._question("Replace preset?", f"A preset named “{name}” already exists. Replace it?",
                           str(path), "Replace", lambda: self.save_preset(name, replace=True, fractions=fractions))
            return None
        if self.panel.values() != self.session.values:
            self.refresh()  # a typed entry still pending: the session holds the targets on screen
        try:
            path = self.session.save_preset(name, fractions)
        except HeadmixError as e:
            self.show_message("Cannot save preset", str(e))
            return None
        self.statusBar().showMessage(f"Saved preset {path}", 5000)
        self._fill_presets_menu()
        return path

    def delete_preset(self, name: str) -> QMessageBox:
        """Ask before deleting a user preset (by file stem); Cancel is the default answer."""
        preset = preset_store.user_presets().get(name)
        label = preset.name if preset else name
        return self._question("Delete preset?", f"Delete your preset “{label}”?",
                              str(preset_store.user_dir() / f"{name}.json"), "Delete", lambda: self._delete_preset_now(name))

    def _delete_preset_now(self, name: str) -> None:
        try:
            preset_store.delete_user(name)
        except HeadmixError as e:
            self.show_message("Cannot delete preset", str(e))
        self._fill_presets_menu()
