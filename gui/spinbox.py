"""A spin box that offers only the values it is given."""

from __future__ import annotations

import bisect

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QSpinBox


class ChoiceSpinBox(QSpinBox):
    """Steps through ``choices`` only, and accepts typed text only when it is one of them.

    Qt's spin boxes step by a constant; head counts must divide each other and head sizes
    come in rotary pairs, so the valid values are an arbitrary sorted list.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._choices: list[int] = [1]
        self.setKeyboardTracking(False)

    def choices(self) -> list[int]:
        return list(self._choices)

    def set_choices(self, choices: list[int], value: int | None = None) -> None:
        """Replace the offered values, keeping ``value`` (or the current one, or the nearest valid one)."""
        self._choices = sorted(set(choices)) or [1]
        self.setSpecialValueText("")  # a read-only model's "?" (TargetsPanel.show_model_shape) is gone
        keep = self.value() if value is None else value
        self.blockSignals(True)
        self.setRange(self._choices[0], self._choices[-1])
        self.setValue(self.nearest(keep))
        self.blockSignals(False)

    def nearest(self, value: int) -> int:
        i = bisect.bisect_left(self._choices, value)
        candidates = self._choices[max(0, i - 1) : i + 1]
        return min(candidates, key=lambda c: (abs(c - value), -c))

    def stepBy(self, steps: int) -> None:
        i = bisect.bisect_left(self._choices, self.value())
        if i < len(self._choices) and self._choices[i] != self.value() and steps > 0:
            i -= 1  # between two choices: one step up lands on the next one
        self.setValue(self._choices[max(0, min(len(self._choices) - 1, i + steps))])

    def validate(self, text: str, pos: int):
        stripped = text.strip()
        if stripped.isdigit() and int(stripped) in self._choices:
            return QValidator.State.Acceptable, text, pos
        if stripped == "" or stripped.isdigit():
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Invalid, text, pos

    def fixup(self, text: str) -> str:
        stripped = text.strip()
        return str(self.nearest(int(stripped))) if stripped.isdigit() else str(self.value())
