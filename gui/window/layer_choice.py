"""Fewer decoder layers: the choice of layers (then the kept layers' head scores) as a session job."""

from __future__ import annotations

from headmix.core.run.shrink_run import ShrinkRun

from ..layers_view import stage_text
from ..workers import ChoiceWorker


#: how many finished layer choices the window keeps, to choose again from their scores at once
KEPT_CHOICES = 8


class LayerChoice:
    """Fewer decoder layers: the choice of layers (then the kept layers' head scores) as a session job.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

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
            self._choice_note = self.tr("choosing layers…")
            self.layers_view.show_choosing(reduction.arch.num_layers, reduction.num_layers, reduction.method.value,
                                           reduction.data)
        else:
            self._choice_note = self.tr("reading the head scores of the smaller model…")
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
            self.layers_view.progress.setFormat(self.tr("cancelling…"))
            self.layers_view.cancel_button.setEnabled(False)

    def _choice_stage(self, stage: str, done: int, total: int) -> None:
        if self.sender() is not self.choice_worker:
            return
        if self.export_worker is not None and self.export_plan is self.choice_worker.plan and stage != "heads":
            self._show_export_choosing(stage, done, total)  # the export waits for this very choice
        if stage == "heads":
            self._choice_note = self.tr("reading the head scores of the smaller model ({done} of {total} layers)…").format(
                done=done, total=total)
        else:
            self._choice_note = self.tr("choosing layers: {stage}…").format(stage=stage_text(stage, done, total))
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
        self._choice_note = self.tr("the layer choice failed: {message}").format(message=message)
        self.layers_view.show_failed(message)
        self._update_preview()
        self._step("status bar", self._update_status)

    def _choice_cancelled(self) -> None:
        if self.sender() is not self.choice_worker:
            return
        self.choice_worker = None
        if self.layer_choice is None:
            self._choice_note = self.tr("layer choice cancelled (Layer scores tab: Choose layers)")
            self.layers_view.show_cancelled()
        else:  # chosen already, only the head scores were stopped
            self._choice_note = self.tr("head scores cancelled (Layer scores tab: Choose layers)")
            self.layers_view.choose_button.show()
        self._update_preview()
        self._step("status bar", self._update_status)

    def _choice_ended(self, *_) -> None:
        worker = self.sender()
        worker.wait(1000)  # it has emitted its last signal; its thread is ending now
        if self._quit_after_choice and not self.session.jobs.running("choice", "calibration"):
            self.close()
