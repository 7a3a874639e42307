"""A plain undo stack of target changes: what was set before and after, worded for the Edit menu.

Qt's ``QUndoStack`` would tie the targets' history to a QApplication; this one is a list and an index,
with the one merge the window needs (typing in Layers is one step).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .events import Event
from .words import Words

#: how the Edit menu names each target (Words: the window shows them in its language)
FIELD_NAMES = {"heads": Words("query heads"), "kv_heads": Words("kv heads"), "head_dim": Words("head size"),
               "method": Words("method"), "seed": Words("seed"), "layers": Words("layers"),
               "num_layers": Words("decoder layers"), "layer_method": Words("layer method"),
               "rotary_pairs": Words("rotary pairs"), "calib_text": Words("calibration text"),
               "calib_tokens": Words("calibration tokens")}


class Change:
    """One change of the targets: the values before and after, and the words Undo/Redo show for it."""

    def __init__(self, before: dict, after: dict):
        self.before, self.after = dict(before), dict(after)
        self.changed = [k for k in FIELD_NAMES if before.get(k) != after.get(k)]
        if len(self.changed) == 1:
            key = self.changed[0]
            shown = (lambda v: Words("default text") if v is None else Path(v).name) if key == "calib_text" else str
            self.text = Words("{field} {before} → {after}", field=FIELD_NAMES[key], before=shown(before[key]),
                              after=shown(after[key]))
        else:
            self.text = Words("targets {fields}", fields=tuple(FIELD_NAMES[k] for k in self.changed))

    def merge(self, other: Change) -> bool:
        """Typing in Layers is one step: a Layers change followed by another becomes one change."""
        if self.changed != ["layers"] or other.changed != ["layers"]:
            return False
        self.after = other.after
        self.text = Words("{field} {before} → {after}", field=FIELD_NAMES["layers"], before=self.before["layers"],
                          after=self.after["layers"])
        return True


class UndoStack:
    """Changes already made; :meth:`undo`/:meth:`redo` hand the values to set to ``apply`` and emit ``changed``."""

    def __init__(self, apply: Callable[[dict], None] | None = None):
        self.apply = apply
        self._changes: list[Change] = []
        self._index = 0  # changes before it are done, from it on undone
        self.changed = Event("changed")  # the stack's texts or what can be undone changed

    def push(self, change: Change) -> None:
        """Record a change that already happened (nothing is applied)."""
        del self._changes[self._index:]
        if not (self._changes and self._changes[-1].merge(change)):
            self._changes.append(change)
        self._index = len(self._changes)
        self.changed.emit()

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._changes)

    def undo_text(self) -> str:
        return self._changes[self._index - 1].text if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._changes[self._index].text if self.can_redo() else ""

    def count(self) -> int:
        return len(self._changes)

    def undo(self) -> None:
        if not self.can_undo():
            return
        self._index -= 1
        values = self._changes[self._index].before
        if self.apply is not None:
            self.apply(values)
        self.changed.emit()

    def redo(self) -> None:
        if not self.can_redo():
            return
        values = self._changes[self._index].after
        self._index += 1
        if self.apply is not None:
            self.apply(values)
        self.changed.emit()

    def clear(self) -> None:
        self._changes, self._index = [], 0
        self.changed.emit()
