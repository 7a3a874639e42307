"""The tree's filter box, applied once typing pauses and without expanding the head rows.

Measured on SmolLM2-135M (30 layers, about 1,100 rows): the filter ran on every keystroke and then
expanded every row, heads included; going from "q" to "q_" made Qt call the Python tree model's
``parent()`` 411,000 times (1.0 s idle). While a measurement runs, its threads hold the GIL between
numpy calls, and each of those calls from Qt into Python waits its turn, so a keystroke took 2–4 s.
Now the filter runs once, 200 ms after the last key (at once when cleared or on Enter), and expands
down to the tensors, not their heads (a head matches only through its tensor's name anyway):
about 20,000 model calls, once per pause.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSortFilterProxyModel, QTimer
from PySide6.QtWidgets import QLineEdit, QTreeView

#: milliseconds of no typing before the filter runs
PAUSE = 200
#: model → layer → group → tensor: expanded so far, the head rows under each tensor stay folded
DEPTH = 2


class TreeFilter(QObject):
    def __init__(self, edit: QLineEdit, proxy: QSortFilterProxyModel, tree: QTreeView):
        super().__init__(edit)
        self.edit, self.proxy, self.tree = edit, proxy, tree
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(PAUSE)
        self.timer.timeout.connect(self.apply)
        self._applied = ""
        edit.textChanged.connect(self._typed)
        edit.returnPressed.connect(self.apply)

    def _typed(self, text: str) -> None:
        if text:
            self.timer.start()
        else:
            self.apply()  # cleared (a new model, the clear button): show everything at once

    def apply(self) -> None:
        self.timer.stop()
        text = self.edit.text()
        if text == self._applied:
            return
        self._applied = text
        self.proxy.setFilterFixedString(text)
        if text:
            self.tree.expandToDepth(DEPTH)
