"""Small labels the views share: one line of text that elides instead of wrapping or widening its pane."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget


class LineLabel(QWidget):
    """One line of plain text that never wraps and never widens its pane: too long, it is
    elided (at the end, or in the middle for paths) and the tooltip holds all of it."""

    def __init__(self, bold: bool = False, grey: bool = False, middle: bool = False, parent=None, lines: int = 1):
        super().__init__(parent)
        self._text = ""
        #: more than one: the text's " · "-separated parts go on up to this many lines (always reserved, so
        #: what is below never moves), each part whole where it fits, elided only beyond the last line
        self.lines = lines
        self.middle = middle
        self.grey = grey
        self.colour = None  # a QColor for the text (else the palette's), set by the owner for its palette
        if bold:
            font = self.font()
            font.setBold(True)
            self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def set_colour(self, colour) -> None:
        self.colour = colour
        self.update()

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name
        self._text = text
        self.setToolTip(text)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.fontMetrics().horizontalAdvance(self._text), self.lines * self.fontMetrics().height() + 2)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, self.lines * self.fontMetrics().height() + 2)

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        role = QPalette.ColorRole.PlaceholderText if self.grey else QPalette.ColorRole.WindowText
        painter.setPen(self.colour if self.colour is not None else self.palette().color(role))
        if self.lines == 1:
            painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), self.shown_text())
            return
        height = self.fontMetrics().height()
        shown = self.shown_lines()
        top = (self.height() - len(shown) * height) // 2
        for n, line in enumerate(shown):
            painter.drawText(0, top + n * height, self.width(), height,
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), line)

    def shown_text(self) -> str:
        """What fits on screen (the whole text when it fits); on several lines, joined by line breaks."""
        if self.lines > 1:
            return "\n".join(self.shown_lines())
        mode = Qt.TextElideMode.ElideMiddle if self.middle else Qt.TextElideMode.ElideRight
        return self.fontMetrics().elidedText(self._text, mode, self.width())

    def shown_lines(self) -> list[str]:
        """The text's " · " parts packed onto at most ``lines`` lines of this width; what does not fit is elided."""
        metrics, width = self.fontMetrics(), max(self.width(), 1)
        out: list[str] = []
        for part in (p for p in self._text.split(" · ") if p):
            joined = f"{out[-1]} · {part}" if out else part
            if out and metrics.horizontalAdvance(joined) <= width:
                out[-1] = joined
            elif len(out) < self.lines:
                out.append(part)
            else:
                out[-1] = joined  # elided below
        mode = Qt.TextElideMode.ElideMiddle if self.middle else Qt.TextElideMode.ElideRight  # a path keeps its end
        return [metrics.elidedText(line, mode, width) for line in out]


#: green, amber and red, each readable on a light (first) and a dark (second) window background
STATUS_COLOURS = {"ok": ("#2e7d32", "#81c784"), "warn": ("#a65f00", "#ffb74d"), "no": ("#c62828", "#ef9a9a")}


def status_colour(status: str, palette: QPalette | None = None):
    """The colour of a verdict's mark (``ok``, ``warn``, ``no``) under this palette."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication

    palette = palette or QApplication.palette()
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor(STATUS_COLOURS[status][dark])
