"""A measurement as a session job: started, followed (choosing layers, calibrating, measuring), cancelled, ended."""

from __future__ import annotations

from headmix.core.run.quality import PlanQuality

from ..plan_text import calibration_text
from ..workers import QualityWorker
from .words import describe_targets, plan_targets


class Measuring:
    """A measurement as a session job: started, followed (choosing layers, calibrating, measuring), cancelled,
    ended.

    A part of :class:`~headmix.gui.quality_view.QualityView`, which assembles the parts over QWidget."""

    # ------------------------------------------------------------------ measuring

    def can_measure(self) -> bool:
        return (self.worker is None and self.plan is not None and self.key is not None and self.key not in self.cache)

    def measure(self, plan) -> bool:
        """Measure ``plan`` (the window's current plan) in the background; False when it cannot start."""
        if plan is not self.plan:
            self.set_plan(plan)
        if not self.can_measure():
            return False
        self._queue.clear()  # a measurement asked for now goes before a comparison's
        return self._run(plan, self.key)

    def _run(self, plan, key: str) -> bool:
        worker = QualityWorker(plan, self.sample, key, self.reductions)
        worker.progress.connect(self._progress)
        worker.finished.connect(self._measured)
        worker.failed.connect(self._measure_failed)
        worker.cancelled.connect(self._measure_cancelled)
        self.worker = worker
        self.note = ""
        self.failures.pop(key, None)
        self._measuring_targets = describe_targets(plan_targets(plan), len(self.arch.layers))
        self.progress.setRange(0, len(self.arch.layers) + 1)
        self._show_progress(0, len(self.arch.layers) + 1)
        worker.stage.connect(self._stage)
        worker.choosing.connect(self._choosing)
        worker.calibrating.connect(self._calibrating)
        self._start(worker)
        self._render()
        self.measurement_started.emit()
        return True

    def cancel(self) -> None:
        self._queue.clear()
        if self.worker is not None and not self.worker.is_cancelled():
            self.worker.cancel()
            self.progress.setFormat(self.tr("cancelling…"))
            self._render()

    def busy(self) -> bool:
        """A thread of this view is still running (closing the window waits for ``idle``)."""
        return bool(self._running)

    def shutdown(self, msecs: int = 5000) -> None:
        """Cancel and wait for every thread this view started (the window is closing)."""
        self.cancel()
        for worker in list(self._running):
            worker.wait(msecs)

    def _start(self, worker) -> None:
        # connected after the result handlers, so those run first; exactly one of these ends a run
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(self._ended)
        self._running.add(worker)
        worker.start(self.jobs)  # one of the session's jobs (the window hands its list over)

    def _ended(self, *_) -> None:
        worker = self.sender()
        if worker not in self._running:
            return
        self._running.discard(worker)
        worker.wait(1000)  # it has emitted its last signal; its thread is ending now
        if not self._running:
            self.idle.emit()

    def _progress(self, done, total) -> None:
        if self.sender() is self.worker:  # not a measurement of the model opened before
            self._show_progress(done, total)

    def _stage(self, stage: str) -> None:
        """Fewer decoder layers: the measurement chooses them, measures the smaller model, then the original."""
        if self.sender() is not self.worker or self.worker.is_cancelled():
            return
        if stage == "original":
            self.progress.setRange(0, 0)
            self.progress.setFormat(self.tr("the original model, for perplexity before"))
        elif stage == "choosing":
            self.progress.setFormat(self.tr("choosing layers…"))

    def _choosing(self, stage: str, done: int, total: int) -> None:
        if self.sender() is not self.worker or self.worker.is_cancelled():
            return
        from ..layers_view import stage_text

        self.progress.setRange(0, 0 if stage == "weights" or total <= 0 else total)
        if total > 0:
            self.progress.setValue(done)
        self.progress.setFormat(self.tr("choosing layers: {stage}").format(stage=stage_text(stage, done, total)))

    def _calibrating(self, done: int, total: int) -> None:
        """A calibrated plan fits each layer as the measurement reaches it: the bar says so meanwhile."""
        if self.sender() is not self.worker or self.worker.is_cancelled() or done >= total:
            return
        # the bar follows the calibration walk while it runs (it sat empty at the measurement's step 0, so the
        # layers still to calibrate looked like a hang): the measurement's own steps take the bar back after it
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(calibration_text(self.worker.plan, done, total))

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        layers = total - 1
        if done < layers:
            step = self.tr("layer {layer} of {layers}").format(layer=done + 1, layers=layers)
        elif done == layers:
            step = self.tr("output head") if self.decoder else self.tr("pooled embeddings")
        else:
            step = self.tr("done")
        if not (self.worker is not None and self.worker.is_cancelled()):
            self.progress.setFormat(step)
        self.progress.setValue(int(done))

    def _measured(self, result: PlanQuality) -> None:
        worker = self.sender()
        self.cache[worker.key] = result
        if worker is self.worker:
            self.worker = None
        if worker.sample is self.sample:
            self.last = result
        self._render()
        self.measurement_finished.emit(result)
        self._next_comparison()

    def _measure_failed(self, message: str) -> None:
        worker = self.sender()
        self.failures[worker.key] = message
        if worker is self.worker:
            self.worker = None
        if self.method_comparison is None:
            self._queue.clear()
        self._render()
        self.measurement_failed.emit(message)
        self._next_comparison()  # comparing methods: one that fails does not stop the others

    def _measure_cancelled(self) -> None:
        if self.sender() is self.worker:
            self.worker = None
            self.note = self.tr("Measurement cancelled.")
        self._render()
        self.measurement_cancelled.emit()
