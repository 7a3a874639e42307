"""Fewer heads against fewer layers at the same size: both measured, one after the other, side by side."""

from __future__ import annotations

from headmix.core.model.inspection import human_count
from headmix.core.run.quality import evaluation_key

from ..formatting import format_perplexity, grouped
from .words import comparison_kind, cosine_text, describe_targets, plan_targets


class Comparison:
    """Fewer heads against fewer layers at the same size: both measured, one after the other, side by side.

    A part of :class:`~headmix.gui.quality_view.QualityView`, which assembles the parts over QWidget."""

    # ------------------------------------------------------------------ fewer heads or fewer layers

    def _render_compare_button(self) -> None:
        kind = comparison_kind(self.plan, self.arch)
        button = self.compare_button
        button.setText(self.tr("Compare with fewer heads at this size") if kind == "heads" else
                       self.tr("Compare with fewer layers at this size"))
        ready = self.worker is None and self.sample is not None and self.unavailable is None
        button.setEnabled(kind is not None and ready)
        if kind == "layers":
            button.setToolTip(self.tr("Build the plan that removes whole decoder layers to about the same number of "
                                      "parameters as these targets, and measure both on the text"))
        elif kind == "heads":
            button.setToolTip(self.tr("Build the plan with fewer query/key-value heads nearest to this size in "
                                      "parameters, and measure both on the text"))
        else:
            button.setToolTip(self.tr("Set head targets, or fewer decoder layers (not both), to compare the two at the "
                                      "same size"))

    def compare(self, rows: list[tuple[str, object]]) -> bool:
        """Measure ``rows`` ([(label, plan)], fewer heads and fewer layers) one after the other and show them
        side by side; results come from and go to the same cache as Measure's."""
        if self.worker is not None or self.sample is None or self.checkpoint is None:
            return False
        keys = [evaluation_key(self.checkpoint, self.sample.info, plan) for _, plan in rows]
        self.comparison = {"rows": [(label, plan, key) for (label, plan), key in zip(rows, keys, strict=True)],
                           "info": self.sample.info, "reported": False}
        self._queue = [(plan, key) for (_, plan), key in zip(rows, keys, strict=True) if key not in self.cache]
        self.method_comparison = None  # one comparison at a time
        self._next_comparison()
        self._render()
        return True

    def _next_comparison(self) -> None:
        if self.worker is not None:
            return
        while self._queue:
            plan, key = self._queue.pop(0)
            if key not in self.cache:
                self._run(plan, key)
                return
        if self.comparison is not None and not self.comparison["reported"] and self._compared():
            self.comparison["reported"] = True
            self._render()
            self.comparison_finished.emit()
        methods = self.method_comparison
        if methods is not None and not methods["reported"] and self._methods_done():
            methods["reported"] = True
            self._render()
            self.methods_compared.emit()

    def _compared(self) -> list | None:
        """The comparison's results, when every row is measured."""
        if self.comparison is None:
            return None
        results = [self.cache.get(key) for _, _, key in self.comparison["rows"]]
        return results if all(r is not None for r in results) else None

    def _render_comparison(self) -> None:
        comparison = self.comparison
        self.compare_box.setVisible(comparison is not None)
        if comparison is None:
            return
        rows = comparison["rows"]
        results = [self.cache.get(key) for _, _, key in rows]
        original = self.checkpoint.num_parameters if self.checkpoint is not None else 0
        params = [plan.params_after for _, plan, _ in rows]
        apart = abs(params[0] - params[1]) / max(original, 1)
        described = "; ".join(f"{label}: {describe_targets(plan_targets(plan), len(self.arch.layers))}"
                              for label, plan, _ in rows)
        info = comparison["info"]
        self.compare_text.setText(self.tr(
            "Two ways to shrink the model by about the same number of parameters ({apart}% of the original apart), "
            "measured on the same text ({tokens} tokens scored in %n window(s) of {window}): {described}. Removing "
            "whole layers saves attention and MLP at once; mixing heads saves attention only, in every layer.", None,
            info.windows).format(apart=grouped(100 * apart, 1), tokens=grouped(info.scored_tokens), window=info.window,
                                 described=described))
        decoder = all(r is None or r.before is not None for r in results)
        column = self.tr("perplexity") if decoder else self.tr("cosine")
        plan_word, params_word, original_word = self.tr("plan"), self.tr("params"), self.tr("original")
        lines = [f"<tr><th align='left'>{plan_word}&nbsp;&nbsp;</th><th align='right'>{params_word}&nbsp;&nbsp;"
                 f"</th><th align='right'>{column}</th></tr>"]
        before = next((r.before for r in results if r is not None and r.before is not None), None)
        lines.append(f"<tr><td>{original_word}</td><td align='right'>{human_count(original)}&nbsp;&nbsp;</td><td align='right'>"
                     f"{format_perplexity(before.perplexity, before.mean_nll) if before else ('1' if not decoder else '')}"
                     f"</td></tr>")
        running = self.worker.key if self.worker is not None else None
        for (label, plan, key), result in zip(rows, results, strict=True):
            if result is not None:
                value = (format_perplexity(result.after.perplexity, result.after.mean_nll) if result.after is not None
                         else cosine_text(result.embedding_cosine))
            else:
                value = self.tr("measuring…") if key == running else (
                    self.tr("failed") if key in self.failures else self.tr("waiting"))
            current = self.tr(" (current)") if key == self.key else ""
            share = 100 * plan.params_after / max(original, 1)
            lines.append(f"<tr><td>{label}{current}&nbsp;&nbsp;</td><td align='right'>{human_count(plan.params_after)} "
                         f"({share:.0f}%)&nbsp;&nbsp;</td><td align='right'><b>{value}</b></td></tr>")
        self.compare_table.setText("<table>" + "".join(lines) + "</table>")
        if all(r is not None for r in results):
            if decoder:
                scores = [r.after.mean_nll for r in results]
                best = min(range(len(rows)), key=lambda i: scores[i])
                worse = format_perplexity(results[1 - best].after.perplexity, results[1 - best].after.mean_nll)
                better = format_perplexity(results[best].after.perplexity, results[best].after.mean_nll)
                self.compare_verdict.setText(self.tr("{plan} costs less here: perplexity {better} against {worse}").format(
                    plan=rows[best][0].capitalize(), better=better, worse=worse))
            else:
                scores = [r.embedding_cosine for r in results]
                best = max(range(len(rows)), key=lambda i: scores[i])
                self.compare_verdict.setText(self.tr("{plan} stays closer to the original here: cosine {better} against "
                                                     "{worse}").format(plan=rows[best][0].capitalize(),
                                                                       better=cosine_text(scores[best]),
                                                                       worse=cosine_text(scores[1 - best])))
        elif any(key in self.failures for _, _, key in rows):
            self.compare_verdict.setText(self.tr("A measurement failed: see the message above"))
        elif self.worker is None and not self._queue:
            self.compare_verdict.setText(self.tr("Stopped before both were measured: Compare again to finish"))
        else:
            done = sum(r is not None for r in results)
            self.compare_verdict.setText(self.tr("Measuring: {done} of {total} done").format(done=done, total=len(rows)))
