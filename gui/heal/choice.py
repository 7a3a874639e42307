"""The export dialog's *Heal after export* choice: whether to heal, on how many tokens, and what is trained.

Greyed, with the install line, when PyTorch is missing (``core.heal.torch_available``, which never imports torch)
or when the model has no tokenizer (healing distils next-token predictions on the calibration text), or when
the student cannot run its family (``core.heal.availability.heal_unavailable``, the check ``shrink --heal`` makes
before it writes anything: without it the window offered a heal that failed after the export). The token
budget starts at :class:`~headmix.core.heal.record.HealOptions`' own default, whatever that is tuned to.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout

from headmix.core import heal as core_heal
from headmix.core.heal.record import HealOptions

# what a heal trains (HealOptions.train), in the order the dialog lists them
TRAIN_CHOICES = ("changed", "attention", "all")


class HealChoice(QGroupBox):
    """Heal after export: a checkbox, the token budget and what is trained; :meth:`options` is None when off."""

    def __init__(self, model_folder=None, parent=None, ask: bool = True, arch=None):
        super().__init__(parent)
        from headmix.core.io.text import has_tokenizer

        tokenizer = model_folder is None or has_tokenizer(model_folder)
        self.setTitle(self.tr("Heal"))
        defaults = HealOptions()
        self.unavailable: str | None = None  # why healing cannot run here
        self.check = QCheckBox(self.tr("Heal after export"))
        self.check.setToolTip(self.tr("After the export is written, train it towards the original model on the "
                                      "calibration text (distillation); it is kept only if it helps"))
        self.tokens = QSpinBox()
        self.tokens.setRange(256, 100_000_000)
        self.tokens.setSingleStep(1024)
        self.tokens.setGroupSeparatorShown(True)
        self.tokens.setValue(defaults.tokens)
        self.tokens.setToolTip(self.tr("Tokens of the calibration text to train on (default {tokens}); more takes "
                                       "longer and usually heals further").format(tokens=f"{defaults.tokens:,}"))
        self.train = QComboBox()
        words = {"changed": self.tr("what the shrink changed"), "attention": self.tr("every attention projection"),
                 "all": self.tr("every tensor")}
        for value in TRAIN_CHOICES:
            self.train.addItem(words[value], value)
        self.train.setCurrentIndex(TRAIN_CHOICES.index(defaults.train) if defaults.train in TRAIN_CHOICES else 0)
        self.train.setToolTip(self.tr("Which tensors the heal trains; the others stay exactly as exported"))
        self.note = QLabel()
        self.note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Token budget"), self.tokens)
        form.addRow(self.tr("Train"), self.train)
        layout = QVBoxLayout(self)
        layout.addWidget(self.check)
        layout.addLayout(form)
        layout.addWidget(self.note)
        self.check.toggled.connect(self._sync)
        if not ask:  # File → Heal an export…: healing is what was asked for; only how remains to choose
            self.check.setChecked(True)
            self.check.hide()
        if not core_heal.torch_available():
            self.unavailable = self.tr("Healing needs PyTorch, which is not installed. Install it with: {line}").format(
                line=core_heal.INSTALL_LINE)
        elif not tokenizer:
            self.unavailable = self.tr("Healing needs the model's tokenizer (it trains on the calibration text), "
                                       "and this model has none.")
        elif arch is not None and model_folder is not None:
            from headmix.core.heal.availability import heal_unavailable

            problem = heal_unavailable(model_folder, arch)
            if problem is not None and problem.kind == "family":  # the core's reason, in English like every core message
                self.unavailable = self.tr("Healing cannot run on this model: {reason}").format(reason=str(problem))
        self.note.setVisible(bool(self.unavailable))
        if self.unavailable:
            self.check.setChecked(False)
            self.note.setText(self.unavailable)
            for widget in (self, self.check, self.tokens, self.train):
                widget.setToolTip(self.unavailable)
            self.check.setEnabled(False)
        self._sync()

    def _sync(self) -> None:
        on = self.check.isChecked() and self.unavailable is None
        self.tokens.setEnabled(on)
        self.train.setEnabled(on)

    def options(self) -> HealOptions | None:
        """What to heal with, or None when the export is not to be healed."""
        if self.unavailable is not None or not self.check.isChecked():
            return None
        return replace(HealOptions(), tokens=int(self.tokens.value()), train=str(self.train.currentData()))
