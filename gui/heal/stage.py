"""The window's Heal stage: after an export (its dialog's *Heal after export*) or for an earlier export (*File →
Heal an export…*), the heal runs as a session job while the export's progress box says where it is and a loss
chart in the middle pane's Heal tab draws every training step. Cancel (the box's button, Escape) stops it and
leaves the export as it was written; a heal that did not help is said plainly; quitting asks first, then ends
once the heal has stopped.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QVBoxLayout

from headmix.core.errors import HeadmixError
from headmix.core.heal.record import HealOptions, HealRecord

from ..plots.loss_chart import LossChart
from .choice import HealChoice
from .known import HealedExports, read_export
from .progress import HealProgress, format_loss
from .worker import HealWorker

translate = QCoreApplication.translate


class HealDialog(QDialog):
    """*File → Heal an export…*: which export, made from what, and how to heal it (the token budget, what is
    trained); Heal is greyed, with the install line, when PyTorch is missing."""

    def __init__(self, folder: Path, provenance: dict, parent=None):
        super().__init__(parent)
        self.folder = folder
        self.setWindowTitle(self.tr("Heal an export"))
        self.setModal(True)
        about = QLabel(self.tr("Heal {folder}, exported from {source}, towards that original model on the text it "
                               "was calibrated on.").format(folder=folder, source=provenance.get("source", "?")))
        about.setWordWrap(True)
        about.setMinimumWidth(480)
        self.choice = HealChoice(folder, ask=False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.heal_button = self.buttons.addButton(self.tr("Heal"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.heal_button.setEnabled(self.choice.unavailable is None)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        if "heal" in provenance:
            earlier = QLabel(self.tr("It was healed before; this heal starts from its current weights."))
            earlier.setWordWrap(True)
            layout.addWidget(earlier)
        layout.addWidget(self.choice)
        layout.addWidget(self.buttons)


def heal_words(record: HealRecord, folder: Path) -> tuple[str, str]:
    """(title, message) for the end of a heal: what it did to the held-out loss, and whether it was kept."""
    before, after = record.heldout_before, record.heldout_after
    numbers = translate("HealStage", "held-out perplexity {before} → {after}, KL to the original {kl_before} → "
                                     "{kl_after}, on the part of the calibration text it did not train on ({windows} × {window} "
                                     "tokens)").format(
        before=format_loss(before["perplexity"]), after=format_loss(after["perplexity"]),
        kl_before=format_loss(before["kl"]), kl_after=format_loss(after["kl"]), windows=record.heldout_windows, window=record.window)
    spent = translate("HealStage", "{tokens} tokens, {tensors} tensors trained, {seconds} s on {device}").format(
        tokens=f"{record.tokens:,}", tensors=len(record.trained), seconds=f"{record.seconds.get('total', 0):.0f}",
        device=record.device)
    if record.kept:
        return (translate("HealStage", "Heal finished"),
                translate("HealStage", "Healed {folder}: {numbers}.\n{spent}. The heal is recorded in its "
                                       "headmix.json.").format(folder=folder, numbers=numbers, spent=spent))
    return (translate("HealStage", "The heal did not help"),
            translate("HealStage", "The heal did not lower the held-out loss ({numbers}), so {folder} keeps its "
                                   "un-healed weights. headmix.json records the attempt.\n{spent}.").format(
                folder=folder, numbers=numbers, spent=spent))


class HealStage:
    """The Heal stage of the export flow and *File → Heal an export…*.

    A part of :class:`~headmix.gui.main_window.MainWindow` (which assembles the parts over QMainWindow): it
    reads and sets the window's widgets and the session it holds."""

    def _build_heal(self) -> None:
        self.heal_worker: HealWorker | None = None
        self.heal_after_export: HealOptions | None = None  # the export dialog's choice, for the export under way
        self.healed_exports = HealedExports()
        self.heal_dialog: HealDialog | None = None
        self.heal_question: QMessageBox | None = None
        self._heal_view: HealProgress | None = None
        self._quit_after_heal = False
        self.loss_chart: LossChart = self.preview.loss_chart  # the middle pane's Heal tab, shown from the first heal
        self.quality.healed_exports = self.healed_exports
        self.heal_action = QAction(translate("HealStage", "&Heal an export…"), self, triggered=self.choose_export_to_heal)
        self.heal_action.setToolTip(translate("HealStage", "Train an earlier headmix export towards its original model"))
        menu = next(a.menu() for a in self.menuBar().actions() if a.menu() and self.export_action in a.menu().actions())
        menu.insertAction(self.open_export_action, self.heal_action)

    # ------------------------------------------------------------------ starting

    def set_heal_after_export(self, options: HealOptions | None) -> None:
        self.heal_after_export = options

    def heal_after(self, out) -> bool:
        """The export is written: heal it now when its dialog asked to (True: the stage has started)."""
        options, self.heal_after_export = self.heal_after_export, None
        if options is None or self._quit_after_export:
            return False
        self.export_worker = None
        self.last_export = Path(out)
        self.open_export_action.setEnabled(True)
        self.start_heal(out, None, options)
        self.export_finished.emit(str(out))  # the export is written; its heal is under way
        return True

    def choose_export_to_heal(self):
        folder = str(self.last_export or self.settings.value("last_export_folder", "") or Path.home())
        return self._file_dialog(translate("HealStage", "Choose a headmix export to heal"), folder, self.heal_folder_chosen,
                                 directory=True)

    def heal_folder_chosen(self, path: str) -> HealDialog | None:
        """Refuse a folder that is not a headmix export, with why; else ask how to heal it."""
        folder = Path(path)
        try:
            provenance = read_export(folder)
        except HeadmixError as e:
            self.show_message(translate("HealStage", "Cannot heal this folder"),
                              translate("HealStage", "{problem}\n\nChoose a folder that headmix exported: it holds "
                                                     "headmix.json, the record of the shrink.").format(problem=e))
            return None
        dialog = HealDialog(folder, provenance, self)
        dialog.accepted.connect(lambda: self.start_heal(folder, self._heal_source(provenance), dialog.choice.options()))
        self.heal_dialog = dialog
        dialog.open()
        return dialog

    def _heal_source(self, provenance: dict) -> str | None:
        """The original headmix.json names, or the open model when that one is gone and the open one is it."""
        named = provenance.get("source")
        if named and Path(named).exists():
            return None
        if self.checkpoint is not None and self.checkpoint.header_digest() == provenance.get("source_header_sha256"):
            return str(self.checkpoint.path)
        return None

    def start_heal(self, folder, source: str | None = None, options: HealOptions | None = None) -> bool:
        if self.heal_worker is not None or self.export_worker is not None or options is None:
            return False
        worker = HealWorker(Path(folder), source, options)
        worker.step.connect(self._heal_step)
        worker.finished.connect(self._heal_done)
        worker.failed.connect(self._heal_failed)
        worker.cancelled.connect(self._heal_cancelled)
        self._heal_view = HealProgress()
        self._heal_tokens = options.batch * options.window
        self.panel.set_exporting(True)
        self.export_action.setEnabled(False)
        self.heal_action.setEnabled(False)
        self.cancel_shortcut.setEnabled(True)
        self.panel.progress.setRange(0, 0)
        self.panel.progress.setFormat(translate("HealStage", "healing"))
        self.panel.progress_label.setText(translate("HealStage", "healing: starting…"))
        self.panel.cancel_button.setToolTip(translate("HealStage", "Stop the heal; the export stays as it was written"))
        self.loss_chart.clear()
        self.preview.show_heal()
        self.heal_worker = worker.start(self.session.jobs)
        self._step("status bar", self._update_status)
        return True

    # ------------------------------------------------------------------ while it runs

    def _heal_step(self, stage: str, done: int, total: int, loss) -> None:
        worker = self.sender()
        if worker is not self.heal_worker or worker.is_cancelled():
            return
        self._show_export_stage(self._heal_view.on_step(stage, done, total, loss))
        if stage == "train" and loss is not None:
            self.loss_chart.add(done * self._heal_tokens, float(loss))

    def cancel_heal(self) -> None:
        if self.heal_worker is not None and not self.heal_worker.is_cancelled():
            self.heal_worker.cancel()
            self.panel.progress_label.setText(translate("HealStage", "cancelling the heal…"))

    # ------------------------------------------------------------------ how it ended

    def _heal_ended(self) -> Path:
        folder = self.heal_worker.folder
        self.heal_worker = None
        self.cancel_shortcut.setEnabled(False)
        self.panel.set_exporting(False)
        self._enable_export()
        self.heal_action.setEnabled(True)
        self._step("status bar", self._update_status)
        if self._quit_after_heal:
            self.close()
        return folder

    def _heal_done(self, record: HealRecord) -> None:
        folder = self._heal_ended()
        if self._quit_after_heal:
            return
        self.healed_exports.add(folder)
        before, after = record.heldout_before["kl"], record.heldout_after["kl"]
        self.loss_chart.set_title(translate("HealStage", "distillation loss; held-out {before} → {after} ({kept})").format(
            before=format_loss(before), after=format_loss(after),
            kept=translate("HealStage", "kept") if record.kept else translate("HealStage", "not kept")))
        title, text = heal_words(record, folder)
        self.show_message(title, text, QMessageBox.Icon.Information if record.kept else QMessageBox.Icon.Warning,
                          open_folder=str(folder), open_model=str(folder))
        self.quality._render()  # the healed column, when the heal is of the plan on screen
        self.heal_finished.emit(record)

    def _heal_failed(self, message: str) -> None:
        folder = self._heal_ended()
        if not self._quit_after_heal:
            self.show_message(translate("HealStage", "Heal failed"),
                              translate("HealStage", "{problem}\n\n{folder} is as it was before the heal.").format(
                                  problem=message, folder=folder), QMessageBox.Icon.Critical)
        self.heal_failed.emit(message)

    def _heal_cancelled(self) -> None:
        folder = self._heal_ended()
        self.loss_chart.set_title(translate("HealStage", "heal cancelled"))
        self.statusBar().showMessage(translate("HealStage", "Heal cancelled; {folder} is as it was before the "
                                                            "heal.").format(folder=folder), 10000)
        self.heal_cancelled.emit()

    # ------------------------------------------------------------------ quitting

    def heal_close(self, event) -> bool:
        """Closing while a heal runs (True: handled here): ask, "Keep healing" being the default answer."""
        if self.heal_worker is None:
            return False
        event.ignore()
        if self._quit_after_heal:
            self.hide()
            return True
        if self.heal_question is not None and self.heal_question.isVisible():
            return True
        self.heal_question = self.ask_quit_during(
            translate("HealStage", "Quit headmix?"), translate("HealStage", "A heal is running. Cancel the heal and quit?"),
            translate("HealStage", "The export stays as it was written, un-healed."),
            translate("HealStage", "Cancel heal and quit"), translate("HealStage", "Keep healing"), self._quit_during_heal)
        return True

    def _quit_during_heal(self) -> None:
        self._quit_after_heal = True
        self.cancel_and_quit(self.cancel_heal, lambda: self.heal_worker is not None)
