"""The export flow, one stage after another: where (dialog, refusals, the replace question), then the export job
(choosing layers, calibrating, writing) with its progress, then what it ended in; quitting during it asks first.
A new stage goes here.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from headmix.core.errors import OutputRefused
from headmix.core.run.export import inspect_output
from headmix.core.run.shrink_run import ShrinkRun

from ..export_dialog import ExportDialog, suggested_folder
from ..plan_text import calibration_text
from ..workers import ExportWorker


class Export:
    """The export flow, one stage after another: where (dialog, refusals, the replace question), then the export
    job (choosing layers, calibrating, writing) with its progress, then what it ended in; quitting during it
    asks first. A new stage goes here.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

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
        dialog.accepted.connect(lambda: self.set_heal_after_export(dialog.heal.options()))  # before it starts
        dialog.accepted.connect(lambda: self._export_folder_chosen(dialog.output()))
        self.export_dialog = dialog
        dialog.open()

    def proposed_export_folder(self, plan: ShrinkRun) -> Path:
        """Next to the source, except for the bundled demo (inside headmix's own files) and a Hugging Face cache
        snapshot: those get the last export's folder or the documents, never site-packages or the cache."""
        from ..export_place import documents_folder, export_parent

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
            self.show_message(self.tr("Cannot export there"), str(e))
            return
        self.settings.setValue("last_export_folder", str(out.parent))
        if replaces:
            self.ask_replace(out, replaces)
        else:
            self.start_export(out)

    def ask_replace(self, out: Path, replaces: list[str]) -> QMessageBox:
        """The one destructive question: it lists what goes, and its default answer is Cancel."""
        shown = replaces[:12] + ([self.tr("… and %n more", None, len(replaces) - 12)] if len(replaces) > 12 else [])
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Replace the earlier export?"),
                          self.tr("{folder} holds an earlier headmix export. Replace it with this one?").format(folder=out),
                          parent=self)
        box.setInformativeText(self.tr("These go to the trash:") + "\n" + "\n".join(shown))
        replace = box.addButton(self.tr("Replace"), QMessageBox.ButtonRole.DestructiveRole)
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
        from ..export_progress import ExportProgress

        def exported():
            return getattr(worker, "exported", None) or self.export_plan

        self._export_view = ExportProgress(lambda done, total: calibration_text(exported(), done, total),
                                           layers=lambda: len(exported().arch.layers))
        self.export_worker = worker.start(self.session.jobs)
        self._step("status bar", self._update_status)
        if self.plan.reduction is not None and self.layer_choice is None:
            self.panel.progress_label.setText(self.tr("choosing layers first…"))

    def cancel_export(self) -> None:
        if self.heal_worker is not None:
            return self.cancel_heal()
        if self.export_worker is not None and not self.export_worker.is_cancelled():
            self.export_worker.cancel()
            self.panel.progress_label.setText(self.tr("cancelling…"))

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
        if self.heal_after(out):  # Heal after export: the Heal stage follows in the same progress box
            return
        self._export_ended()
        if self._quit_after_export:  # it finished before it could stop: the window is gone already
            self.export_finished.emit(str(out))
            return
        ok, reason = self.export_plan.loadability
        self.show_message(self.tr("Export finished"), self.tr("Wrote {folder}").format(folder=out) + "\n"
                          + (self.tr("Loads in transformers.") if ok else reason),
                          QMessageBox.Icon.Information, open_folder=str(out), open_model=str(out))
        self.last_export = Path(out)
        self.open_export_action.setEnabled(True)
        self.export_finished.emit(str(out))

    def _export_failed(self, message: str) -> None:
        self._export_ended()
        if not self._quit_after_export:
            self.show_message(self.tr("Export failed"), message, QMessageBox.Icon.Critical)
        self.export_failed.emit(message)

    def _export_cancelled(self) -> None:
        self._export_ended()
        self.statusBar().showMessage(self.tr("Export cancelled; nothing was left behind."), 10000)
        self.export_cancelled.emit()

    def ask_quit_during_export(self) -> QMessageBox:
        """Quitting while an export runs: ask, with "Keep exporting" as the default answer."""
        if self.quit_question is not None and self.quit_question.isVisible():
            return self.quit_question
        return self.ask_quit_during(self.tr("Quit headmix?"), self.tr("An export is running. Cancel the export and quit?"),
                                    self.tr("Nothing of the unfinished export is left behind."),
                                    self.tr("Cancel export and quit"), self.tr("Keep exporting"), self._quit_during_export)

    def _quit_during_export(self) -> None:
        self._quit_after_export = True
        self.cancel_and_quit(self.cancel_export, lambda: self.export_worker is not None)
