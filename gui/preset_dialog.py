"""Saving the current settings as a preset: a name, checked as it is typed, and whether the targets are kept as
fractions of this model's shape (so the preset applies to a model of any size) or as the counts on screen."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from headmix.core.plan import presets as preset_store
from headmix.core.plan.request import Request

ERROR_STYLE = "color: #c62828;"


def describe(request: Request) -> str:
    """What a preset holds, in the words of the controls: "query heads 2/3, kv heads kept, …"."""
    kept = QCoreApplication.translate("SavePresetDialog", "{what} kept")
    given = QCoreApplication.translate("SavePresetDialog", "{what} {value}")
    targets = ((QCoreApplication.translate("SavePresetDialog", "query heads"), request.heads),
               (QCoreApplication.translate("SavePresetDialog", "kv heads"), request.kv_heads),
               (QCoreApplication.translate("SavePresetDialog", "head size"), request.head_dim),
               (QCoreApplication.translate("SavePresetDialog", "decoder layers"), request.num_layers))
    parts = [(kept if value is None else given).format(what=label, value=value) for label, value in targets]
    return QCoreApplication.translate("SavePresetDialog", ", ").join(parts)


class SavePresetDialog(QDialog):
    """``chosen(name, fractions)`` once a name that is not a built-in preset's is accepted."""

    chosen = Signal(str, bool)

    def __init__(self, request_for: Callable[[bool], Request], parent=None):
        super().__init__(parent)
        self.request_for = request_for
        self.setWindowTitle(self.tr("Save preset"))
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("e.g. my shrink"))
        self.name_edit.setToolTip(self.tr("Your presets are listed under Presets → Yours; a built-in preset's name is taken"))
        self.fractions = QCheckBox(self.tr("Save the targets as fractions of this model's shape"))
        self.fractions.setChecked(True)
        self.fractions.setToolTip(self.tr("Fractions (query heads 2/3, decoder layers 4/5) apply to a model of any size, "
                                          "as the command line's --heads 1/2 does; unticked, the preset holds the "
                                          "counts shown"))
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setMinimumWidth(420)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(ERROR_STYLE)
        for label in (self.note, self.problem):  # two lines kept for each, so the dialog never squeezes them
            label.setMinimumHeight(2 * label.fontMetrics().lineSpacing() + 4)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Name:"), self.name_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.fractions)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self.check)
        self.fractions.toggled.connect(self.check)
        self.check()

    def refusal(self) -> str | None:
        name = self.name_edit.text().strip()
        if not name:
            return self.tr("Type a name for the preset.")
        clash = preset_store.builtin_clash(name)
        if clash is not None:
            return self.tr("“{name}” is the name of a built-in preset ({builtin}): choose another name.").format(
                name=name, builtin=clash.name)
        return None

    def check(self) -> None:
        problem = self.refusal()
        shown = problem if problem and self.name_edit.text().strip() else ""
        self.problem.setText(shown)
        self.save_button.setEnabled(problem is None)
        self.note.setText(self.tr("Saves: {what}").format(what=describe(self.request_for(self.fractions.isChecked()))))

    def _accept(self) -> None:
        if self.refusal() is None:
            self.accept()
            self.chosen.emit(self.name_edit.text().strip(), self.fractions.isChecked())
