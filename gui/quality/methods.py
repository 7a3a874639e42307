"""The current targets with each method, measured one after the other, in a table whose rows choose the method."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem

from headmix.core.model.inspection import human_count
from headmix.core.run.quality import evaluation_key

from ..formatting import format_perplexity, format_ratio, grouped, ratio_of
from .words import calibration_note, cosine_text, describe_targets, headline_numbers, plan_targets


class Methods:
    """The current targets with each method, measured one after the other, in a table whose rows choose the method.

    A part of :class:`~headmix.gui.quality_view.QualityView`, which assembles the parts over QWidget."""

    # ------------------------------------------------------------------ the methods on this text

    def compare_methods(self, rows: list[tuple]) -> bool:
        """Measure the current targets with each method, one after the other, and show them in a table; results come
        from and go to the same cache as Measure's. ``rows``: (method, plan or None, why not, calibration text hash
        or None) per method."""
        if self.worker is not None or self.sample is None or self.checkpoint is None:
            return False
        entries = []
        for method, plan, why, calibration in rows:
            key = evaluation_key(self.checkpoint, self.sample.info, plan) if plan is not None else None
            entries.append({"method": method, "plan": plan, "key": key, "why": why, "calibration": calibration})
        self.comparison = None  # one comparison at a time
        self.method_comparison = {"rows": entries, "info": self.sample.info, "reported": False}
        self._queue = [(e["plan"], e["key"]) for e in entries if e["plan"] is not None and e["key"] not in self.cache]
        self._next_comparison()
        self._render()
        return True

    def _methods_done(self) -> bool:
        """Every method that can be built has a result or a failure."""
        rows = self.method_comparison["rows"]
        return all(e["plan"] is None or e["key"] in self.cache or e["key"] in self.failures for e in rows)

    def _render_methods_button(self) -> None:
        ready = self.worker is None and self.sample is not None and self.unavailable is None and self.plan is not None
        self.methods_button.setEnabled(ready)
        self.with_article.setEnabled(self.unavailable is None and self.arch is not None and self.arch.usable)

    def _method_row_clicked(self, row: int, _column: int) -> None:
        comparison = self.method_comparison
        if comparison is None or row >= len(comparison["rows"]):
            return
        entry = comparison["rows"][row]
        if entry["plan"] is not None:
            self.method_chosen.emit(entry["method"])

    def best_method(self) -> str | None:
        """The method with the lowest perplexity after (the highest cosine for an encoder), once all are measured."""
        comparison = self.method_comparison
        if comparison is None or not self._methods_done():
            return None
        measured = [(e["method"], self.cache[e["key"]]) for e in comparison["rows"] if e["key"] in self.cache]
        if not measured:
            return None
        if all(r.after is not None for _, r in measured):
            return min(measured, key=lambda m: m[1].after.mean_nll)[0]
        return max(measured, key=lambda m: m[1].embedding_cosine if m[1].embedding_cosine is not None else -2)[0]

    def _render_methods(self) -> None:
        self._render_methods_button()
        comparison = self.method_comparison
        self.methods_box.setVisible(comparison is not None)
        if comparison is None:
            return
        rows, info = comparison["rows"], comparison["info"]
        results = [self.cache.get(e["key"]) if e["key"] is not None else None for e in rows]
        decoder = all(r is None or r.after is not None for r in results)
        on_calibration_text = [e["calibration"] is not None and e["calibration"] == info.sha256 for e in rows]
        targets = next((describe_targets(plan_targets(e["plan"]), len(self.arch.layers)) for e in rows
                        if e["plan"] is not None), "")
        targets = targets.split(", ", 3)
        shape = ", ".join(targets[:2] + targets[3:]) if len(targets) == 4 else ", ".join(targets)
        text = self.tr("The current targets ({shape}) with each method, measured on the same text ({tokens} tokens "
                       "scored in %n window(s) of {window}). The highlighted row is the method in use; click another to "
                       "use it.", None, info.windows).format(shape=shape, tokens=grouped(info.scored_tokens),
                                                             window=info.window)
        if any(on_calibration_text):
            text += "\n" + self.tr("⚠ marks a method measured on its calibration text: expect it to look better than on "
                                   "other text.")
        self.methods_text.setText(text)
        table = self.methods_table
        table.setHorizontalHeaderLabels([self.tr("method"), self.tr("params"),
                                         self.tr("perplexity") if decoder else self.tr("cosine"),
                                         self.tr("× before") if decoder else ""])
        table.horizontalHeaderItem(2).setToolTip(
            self.tr("Perplexity of the shrunk model on the text (lower is better)") if decoder
            else self.tr("Mean cosine of pooled embeddings with the original (1 = unchanged)"))
        table.horizontalHeaderItem(3).setToolTip(self.tr("Perplexity after ÷ before"))
        table.setColumnHidden(3, not decoder)
        table.setRowCount(len(rows))
        best = self.best_method()
        running = self.worker.key if self.worker is not None else None
        original = self.checkpoint.num_parameters if self.checkpoint is not None else 0
        for n, (entry, result) in enumerate(zip(rows, results, strict=True)):
            plan = entry["plan"]
            name = entry["method"] + (" ⚠" if on_calibration_text[n] else "")
            if entry["method"] == best:
                name = "★ " + name
            if plan is None:
                params, value, ratio = "—", self.tr("cannot build"), ""
                tip = self.tr("{method} cannot build these targets: {why}").format(method=entry["method"],
                                                                                    why=entry["why"])
            else:
                share = 100 * plan.params_after / max(original, 1)
                params = human_count(plan.params_after)
                tip = (self.tr("{method}: {params} parameters ({share}% of the original)").format(
                    method=entry["method"], params=params, share=grouped(share))
                       + (self.tr("; in use") if entry["key"] == self.key
                          else self.tr("; click to use {method} for the targets").format(method=entry["method"])))
                if result is not None and result.after is not None:
                    value = format_perplexity(result.after.perplexity, result.after.mean_nll)
                    ratio = format_ratio(ratio_of(result.before.mean_nll, result.after.mean_nll))
                    tip += ": " + headline_numbers(result)
                elif result is not None:
                    value, ratio = cosine_text(result.embedding_cosine), ""
                elif entry["key"] in self.failures:
                    value, ratio = self.tr("failed"), ""
                    tip = self.tr("{method}: the measurement failed: {message}").format(
                        method=entry["method"], message=self.failures[entry["key"]])
                else:
                    value = self.tr("measuring…") if entry["key"] == running else self.tr("waiting")
                    ratio = ""
            if on_calibration_text[n]:
                tip += "\n" + calibration_note().removeprefix("⚠ ")
            for column, cell in enumerate((name, params, value, ratio)):
                item = table.item(n, column)
                if item is None:
                    item = QTableWidgetItem()
                    table.setItem(n, column, item)
                item.setText(cell)
                item.setToolTip(tip)
                font = item.font()
                font.setBold(entry["method"] == best)
                item.setFont(font)
                alignment = Qt.AlignmentFlag.AlignLeft if column == 0 else Qt.AlignmentFlag.AlignRight
                item.setTextAlignment(alignment | Qt.AlignmentFlag.AlignVCenter)
                flags = Qt.ItemFlag.ItemIsEnabled | (Qt.ItemFlag.ItemIsSelectable if plan is not None else Qt.ItemFlag.NoItemFlags)
                item.setFlags(flags)
        current = next((n for n, e in enumerate(rows) if e["key"] is not None and e["key"] == self.key), None)
        table.blockSignals(True)
        table.clearSelection()
        if current is not None:
            table.selectRow(current)
        table.blockSignals(False)
        height = table.horizontalHeader().sizeHint().height() + sum(table.rowHeight(n) for n in range(len(rows)))
        table.setFixedHeight(height + 2 * table.frameWidth())
        measured = [r for r in results if r is not None]
        failed = [e for e in rows if e["key"] in self.failures]
        buildable = [e for e in rows if e["plan"] is not None]
        if best is not None:
            result = self.cache[rows[[e["method"] for e in rows].index(best)]["key"]]
            numbers = (self.tr("perplexity {perplexity} ({ratio} the original)").format(
                perplexity=format_perplexity(result.after.perplexity, result.after.mean_nll),
                ratio=format_ratio(ratio_of(result.before.mean_nll, result.after.mean_nll)))
                       if result.after is not None else self.tr("cosine {cosine}").format(
                cosine=cosine_text(result.embedding_cosine)))
            self.methods_verdict.setText(self.tr("Best here: {method}, {numbers}").format(method=best, numbers=numbers)
                                         + (self.tr("; %n failed (hover for why)", None, len(failed)) if failed else ""))
        elif self._methods_done():
            self.methods_verdict.setText(self.tr("No method could be measured: hover over a row for why"))
        elif self.worker is None and not self._queue:
            self.methods_verdict.setText(self.tr("Stopped before every method was measured: Compare methods again to "
                                                 "finish"))
        else:
            self.methods_verdict.setText(self.tr("Measuring: {done} of {total} done").format(
                done=len(measured) + len(failed), total=len(buildable)))
