"""The Quality tab's healed column: original → shrunk → healed perplexity, when the plan on screen has a healed
export (the window's Heal stage, or *File → Heal an export…* of an export of this plan).

The healed export is measured by headmix's own evaluation path (``evaluate_model``, what ``headmix eval`` runs) on
the tab's text and windows, the same sample the shrunk plan was measured on, so the three numbers compare. It is
never measured on the text it was healed on (the number would flatter it): the tab says so instead.
"""

from __future__ import annotations

import hashlib
import json
import math

from PySide6.QtCore import QTimer

from ..formatting import format_perplexity, format_ratio, ratio_of
from ..heal.worker import ExportQualityWorker
from ..labels import LineLabel
from .words import LOG_RATIO


class Healed:
    """The healed column of a measured plan: found, measured once per text and export, shown as a third bar.

    A part of :class:`~headmix.gui.quality_view.QualityView`, which assembles the parts over QWidget."""

    def _build_healed(self) -> None:
        self.healed_exports = None  # the window's HealedExports (gui/heal/known.py)
        self.healed_cache: dict = {}  # key -> ModelQuality of the healed export on the text
        self.healed_failures: dict[str, str] = {}
        self.healed_worker: ExportQualityWorker | None = None
        self.healed_shown = None  # the ModelQuality shown in the third bar
        # the sentence on one line, the healed export's folder on the next (elided in its middle when long)
        self.healed_line = LineLabel(middle=True, lines=2)
        layout = self.summary.parentWidget().layout()
        layout.insertWidget(layout.indexOf(self.summary) + 1, self.healed_line)
        self.healed_line.hide()

    def _healed_key(self, folder, record: dict) -> str:
        info = self.sample.info
        payload = {"folder": str(folder), "heal": record, "text": info.sha256, "window": info.window,
                   "windows": info.windows, "bos": info.bos, "first_only": info.bos_first_only}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    def _show_healed(self, q) -> None:
        """After the shrunk plan's result is drawn: the healed export's, or why there is none to show."""
        self.healed_shown = None
        self.pair.setFixedHeight(7 * self.fontMetrics().height())  # two bars (Building._fit's height)
        found = None
        if self.healed_exports is not None and q.before is not None and self.sample is not None:
            found = self.healed_exports.for_plan(self.plan)
        self.healed_line.setVisible(found is not None)
        if found is None:
            return
        folder, record = found
        if not record.get("kept"):
            self.healed_line.setText(self.tr("Healed export {folder}: the heal did not help, so it keeps the shrunk "
                                             "weights").format(folder=folder))
            return
        if record.get("text_sha256") == self.sample.info.sha256:
            self.healed_line.setText(self.tr("Healed export not measured: it was healed on this text, where it would "
                                             "look better than it is; choose another text"))
            return
        key = self._healed_key(folder, record)
        result = self.healed_cache.get(key)
        if result is None:
            if key in self.healed_failures:
                self.healed_line.setText(self.tr("Healed export {folder}: not measured ({problem})").format(
                    folder=folder, problem=self.healed_failures[key]))
                return
            self.healed_line.setText(self.tr("Healed export {folder}: measuring…").format(folder=folder))
            if self.healed_worker is None:
                QTimer.singleShot(0, lambda: self._measure_healed(folder, key))
            return
        self.healed_shown = result
        healed = result.perplexity
        shrunk_ratio = ratio_of(q.before.mean_nll, q.after.mean_nll)
        healed_ratio = ratio_of(q.before.mean_nll, healed.mean_nll)
        texts = tuple(format_perplexity(p.perplexity, p.mean_nll) for p in (q.before, q.after, healed))
        self.summary.setText(self.tr("Perplexity {before} → {after} shrunk → {healed} healed ({shrunk} → {ratio})").format(
            before=texts[0], after=texts[1], healed=texts[2], shrunk=format_ratio(shrunk_ratio),
            ratio=format_ratio(healed_ratio)))
        self.healed_line.setText(self.tr("Healed on {tokens} tokens, measured on the same text and windows · "
                                         "{folder}").format(folder=folder, tokens=f"{record.get('tokens', 0):,}"))
        self.pair.setFixedHeight(9 * self.fontMetrics().height())  # room for the third bar
        nlls = (q.before.mean_nll, q.after.mean_nll, healed.mean_nll)
        log = not all(1 / LOG_RATIO <= ratio_of(nlls[0], n) <= LOG_RATIO for n in nlls[1:])
        values = (tuple(n / math.log(10) for n in nlls) if log else (q.before.perplexity, q.after.perplexity,
                                                                       healed.perplexity))
        self.pair.set_pair(values, texts, self.tr("perplexity on {tokens} tokens (lower is better)").format(
            tokens=f"{q.text.scored_tokens:,}"), log=log,
            axis_label=self.tr("perplexity, log scale") if log else self.tr("perplexity"))

    def _measure_healed(self, folder, key: str) -> None:
        if self.healed_worker is not None or key in self.healed_cache or self.sample is None:
            return
        worker = ExportQualityWorker(folder, self.sample, key)
        worker.finished.connect(self._healed_measured)
        worker.failed.connect(self._healed_failed)
        worker.cancelled.connect(self._healed_failed)
        self.healed_worker = worker
        worker.start(self.jobs)

    def _healed_measured(self, result) -> None:
        worker = self.sender()
        self.healed_cache[worker.key] = result
        if worker is self.healed_worker:
            self.healed_worker = None
        self._render()
        self.healed_measured.emit(result)

    def _healed_failed(self, message: str = "") -> None:
        worker = self.sender()
        self.healed_failures[worker.key] = message or self.tr("cancelled")
        if worker is self.healed_worker:
            self.healed_worker = None
        self._render()
