"""The main window, assembled: the session, the parts of gui/window/ over QMainWindow, and closing with work running."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from headmix.core.io.checkpoint import Checkpoint
from headmix.core.model.architecture import Architecture
from headmix.core.run.shrink_run import ShrinkRun

from .export_dialog import ExportDialog
from .heal.stage import HealStage
from .i18n import PartsTranslate
from .session import Session
from .wheel_guard import guard_wheel
from .window.calibration import Calibration
from .window.export import Export
from .window.layer_choice import LayerChoice
from .window.layout import WindowLayout
from .window.menus import Menus
from .window.messages import Messages
from .window.opening import Opening
from .window.presets import Presets
from .window.preview import Preview
from .window.quality import Quality
from .window.targets import Targets
from .workers import CalibrationWorker, ChoiceWorker, ExportWorker, ImportanceWorker


class MainWindow(PartsTranslate, WindowLayout, Menus, Messages, Opening, Targets, Preview, LayerChoice, Calibration, Quality,
                 Export, Presets, HealStage, QMainWindow):
    """The window: the session (gui/session/, no Qt) under the views (the tree, the targets panel, the previews,
    the Quality and Layer scores tabs, the export box). Each part in gui/window/ holds one concern of the window
    (opening, targets, preview, layer choice, calibration, quality, export, presets, menus, messages, layout);
    this class only assembles them and says what the window holds, and how it closes."""

    checkpoint_opened = Signal(str)
    plan_changed = Signal()
    importance_ready = Signal()
    calibration_ready = Signal()
    layers_chosen = Signal()  # the current plan's decoder layers are chosen and its previews can be drawn
    export_finished = Signal(str)
    export_failed = Signal(str)
    export_cancelled = Signal()
    heal_finished = Signal(object)  # the HealRecord
    heal_failed = Signal(str)
    heal_cancelled = Signal()
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
        self._build_heal()  # the Heal stage: its loss chart and File → Heal an export…
        self.wheel_guard = guard_wheel(self)  # the wheel scrolls the panels; a control takes it only once focused
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

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event) -> None:
        """Close at once when nothing runs; with work running, ask (an export) or hide and close for good once
        the work has stopped (it stops after the layer it is computing)."""
        if self.heal_close(event):  # a heal runs: ask first
            return
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
        if self._quit_after_choice or self._quit_after_measurement or self._quit_after_export or self._quit_after_heal:
            # Hidden at the first close while work stopped: Qt ends app.exec() when the last *visible* window
            # closes, which this one no longer was, so the process lived on without a window (issue 18).
            QApplication.quit()
