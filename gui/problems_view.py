"""The problems of a checkpoint (config.json against its tensors), in a bounded, scrollable list.

A folder whose config disagrees with every attention tensor has dozens of problems, each a long line; as
label text they pushed the tree off the screen and made the window taller than the screen, and it stayed so.
Here they take at most a few rows, scroll, and never ask the window for more room.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QSizePolicy

#: rows shown at most; more scroll
ROWS = 5
ERROR = QColor("#c62828")


class ProblemsList(QListWidget):
    """One row per problem (whole text on hover, selectable to copy with Ctrl+C); hidden when there are none."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("problems")
        self.setToolTip(self.tr("What headmix found wrong with this checkpoint"))
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.hide()

    def set_problems(self, problems: list[str]) -> None:
        self.clear()
        for problem in problems:
            item = QListWidgetItem(problem)
            item.setForeground(ERROR)
            item.setToolTip(problem)
            self.addItem(item)
        self.setFixedHeight(self._height(len(problems)))
        self.setVisible(bool(problems))

    def _height(self, rows: int) -> int:
        row = self.sizeHintForRow(0) if self.count() else self.fontMetrics().height()
        scroll = self.horizontalScrollBar().sizeHint().height()
        return min(max(rows, 1), ROWS) * max(row, 1) + 2 * self.frameWidth() + scroll

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(200, self._height(self.count()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(50, self._height(self.count()))
