"""A calibrated run's layer-by-layer walk as a session job, so the selected layer's matrices can be drawn."""

from __future__ import annotations

from headmix.core.run.shrink_run import ShrinkRun

from ..plan_text import calibration_text, layers_up_to
from ..workers import CalibrationWorker


class Calibration:
    """A calibrated run's layer-by-layer walk as a session job, so the selected layer's matrices can be drawn.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    def _calibration_ended(self, *_) -> None:
        worker = self.sender()
        worker.wait(1000)  # it has emitted its last signal; its thread is ending now
        if self._quit_after_choice and not self.session.jobs.running("choice", "calibration"):
            self.close()

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
        self._calibration_note = self.tr("calibrating: reading the calibration text…")
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
            self.preview.status.progress.setFormat(self.tr("cancelling…"))
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
        self._calibration_stop = (worker.plan, self.tr("calibration failed: {message}").format(message=message), True)
        self._update_preview()
        self._step("status bar", self._update_status)

    def _calibration_stopped(self) -> None:
        worker = self.sender()
        if worker is not self.calibration_worker:
            return
        self.calibration_worker = None
        self._calibration_note = ""
        self._calibration_stop = (worker.plan, self.tr("calibration cancelled"), False)
        self._update_preview()
        self._step("status bar", self._update_status)
