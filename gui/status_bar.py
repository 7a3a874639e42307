"""A status bar whose temporary message ends in "…" a gap before the permanent texts on its right.

Qt cuts a message that does not fit two pixels before the first permanent widget, mid-word, so it reads as one
run-on text with the summary beside it ("…as it was before t" + "smollm2 · llama…"). Here the message is elided
to the room it has, with the whole of it in the tooltip, and re-elided when the window is resized.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar, QWidget

#: pixels kept free between the message and the permanent texts
GAP = 16


class ElidingStatusBar(QStatusBar):
    """:class:`QStatusBar` whose ``showMessage`` elides the message to the room left of the permanent widgets."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        self._timeout = 0
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(self._message_changed)

    def full_message(self) -> str:
        """The message as it was given (``currentMessage()`` is what fits)."""
        return self._full if self.currentMessage() else ""

    def room(self) -> int:
        """Pixels the message may take: from Qt's left margin to a gap before the first visible permanent widget."""
        right = self.width() - 12
        for widget in self._permanent:
            if widget.isVisible():
                right = min(right, widget.x())
        return max(0, right - 6 - GAP)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802 - Qt's name
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def showMessage(self, message: str, timeout: int = 0) -> None:  # noqa: N802 - Qt's name
        self._full = message
        self._timeout = timeout
        elided = self.fontMetrics().elidedText(message, Qt.TextElideMode.ElideRight, self.room())
        self.setToolTip(message if elided != message else "")
        super().showMessage(elided, timeout)

    def _message_changed(self, text: str) -> None:
        if not text:
            self.setToolTip("")

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.currentMessage() and self._full:
            elided = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.room())
            if elided != self.currentMessage():
                super().showMessage(elided, self._timeout)  # restarts its timeout: a resize is rare while one shows
