"""The heal and the healed export's measurement as the session's jobs on QThreads (``gui/workers.py``'s Worker)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal

from ..session import work
from ..workers import Worker


class HealWorker(Worker):
    """Heals an export (``work.heal``); ``step(stage, done, total, loss)`` for every report of the core: the teacher's
    layers, each training step with its loss (None elsewhere), the writing. Finishes with the HealRecord."""

    kind = "heal"

    step = Signal(str, int, int, object)

    def __init__(self, folder: Path, source: str | None, options):
        super().__init__()
        self.folder, self.source, self.options = Path(folder), source, options

    def work(self):
        return work.heal(self.folder, self.source, self.options,
                         lambda stage, done, total, loss: self.step.emit(stage, int(done), int(total), loss),
                         self.is_cancelled)


class ExportQualityWorker(Worker):
    """Measures an exported model's perplexity on the Quality tab's sample (``work.measure_export``)."""

    kind = "measure healed"

    def __init__(self, folder: Path, sample, key: str):
        super().__init__()
        self.folder, self.sample, self.key = Path(folder), sample, key

    def work(self):
        return work.measure_export(self.folder, self.sample, self.progress.emit, self.is_cancelled)
