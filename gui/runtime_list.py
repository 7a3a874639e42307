"""The Preview's verdicts: one line per runtime people deploy with (the core's ``runtimes.verdicts``).

Each line is a mark (✔ / ⚠ / ✘ in green, amber or red for the palette, light or dark), the
runtime, and the reason on one line, elided when it does not fit; the tooltip holds all of it.
There is always one line per runtime, so a plan that changes never moves what is below.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from headmix.core.plan.runtimes import RUNTIMES, Verdict

from .labels import LineLabel, status_colour

#: shorter names where the core's would crowd the reason out of a narrow panel (the tooltip says the whole name)
SHORT_NAMES = {"llama.cpp / Ollama (GGUF)": "llama.cpp (GGUF)"}


class RuntimeVerdicts(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(0)
        self.marks: list[QLabel] = []
        self.names: list[QLabel] = []
        self.reasons: list[LineLabel] = []
        for row, runtime in enumerate(RUNTIMES):
            mark = QLabel("–")
            font = mark.font()
            font.setBold(True)
            mark.setFont(font)
            name = QLabel(SHORT_NAMES.get(runtime, runtime))
            reason = LineLabel(grey=True)
            grid.addWidget(mark, row, 0)
            grid.addWidget(name, row, 1)
            grid.addWidget(reason, row, 2)
            self.marks.append(mark)
            self.names.append(name)
            self.reasons.append(reason)
        grid.setColumnStretch(2, 1)
        self.verdicts: list[Verdict] | None = None
        self._fit()
        self.set_verdicts(None)

    def _fit(self) -> None:
        width = max(self.fontMetrics().horizontalAdvance(m) for m in "✔⚠✘–") + 2
        for mark in self.marks:
            mark.setFixedWidth(width)

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._colour()

    def set_verdicts(self, verdicts: list[Verdict] | None, why: str = "") -> None:
        """One verdict per runtime, in :data:`RUNTIMES` order (None: no plan, and ``why``)."""
        self.verdicts = None if verdicts is None else list(verdicts)
        by_runtime = {v.runtime: v for v in verdicts or ()}
        for row, runtime in enumerate(RUNTIMES):
            verdict = by_runtime.get(runtime)
            mark, name, reason = self.marks[row], self.names[row], self.reasons[row]
            if verdict is None:
                mark.setText("–")
                reason.setText(why)
                tip = f"{runtime}: {why}" if why else runtime
            else:
                mark.setText(verdict.status.mark)
                reason.setText(verdict.reason)
                tip = f"{verdict.status.mark} {runtime}: {verdict.reason}"
            for w in (mark, name, reason):
                w.setToolTip(tip)
        self._colour()

    def _colour(self) -> None:
        by_runtime = {v.runtime: v for v in self.verdicts or ()}
        for row, runtime in enumerate(RUNTIMES):
            verdict = by_runtime.get(runtime)
            mark = self.marks[row]
            if verdict is None:
                mark.setStyleSheet("color: palette(placeholder-text);")
            else:
                mark.setStyleSheet(f"color: {status_colour(verdict.status.value, self.palette()).name()};")

    def line(self, runtime: str) -> str:
        """A runtime's line as shown (for tests and the status bar): ``✔ transformers: reason``."""
        row = RUNTIMES.index(runtime)
        return f"{self.marks[row].text()} {runtime}: {self.reasons[row].text()}"
