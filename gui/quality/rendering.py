"""What the tab shows for its state: the text line, the state line, the result's numbers and the layer chart."""

from __future__ import annotations

import math

from headmix.core.run.quality import PlanQuality

from ..formatting import format_error, format_perplexity, format_ratio, ratio_of
from ..targets_panel import ERROR_STYLE
from .words import CALIBRATION_NOTE, LOG_RATIO, describe_targets, headline_numbers, result_targets


class Rendering:
    """What the tab shows for its state: the text line, the state line, the result's numbers and the layer chart.

    A part of :class:`~headmix.gui.quality_view.QualityView`, which assembles the parts over QWidget."""

    def show_problem(self, message: str) -> None:
        """A step of the window failed to update this tab: say so in its place."""
        self.shown = None
        self._set_state("failed", "Cannot show the quality check", message, error=True)

    # ------------------------------------------------------------------ what the tab shows

    def _set_state(self, state: str, headline: str, message: str = "", error: bool = False, previous: str = "") -> None:
        self.state = state
        self.headline.setText(headline)
        self.message.setText(message)
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.previous.setText(previous)
        self.previous.setVisible(bool(previous))
        self.stack.setCurrentIndex(0)

    def _render(self) -> None:
        measuring = self.worker is not None
        self.measure_button.setEnabled(self.can_measure())
        self.cancel_button.setEnabled(measuring and not self.worker.is_cancelled())
        self.progress.setVisible(measuring)
        usable = self.arch is not None and self.arch.usable
        for w in (self.text_choice, self.choose_button, self.window_spin, self.max_tokens_spin):
            # the text stays as it is while it is being measured on
            w.setEnabled(usable and self.unavailable is None and not measuring)
        self._render_text()
        self.measure_button.setToolTip(
            "Already measured for these targets on this text" if self.key in self.cache else
            "Run the original and the shrunk model side by side on the text, without exporting")
        self._render_compare_button()
        self._render_comparison()
        self._render_methods()
        old_state = self.state
        self._render_state()
        if self.state != old_state:
            self.state_changed.emit(self.state)

    def _render_text(self) -> None:
        default = self.text_path is None
        self.text_label.middle = not default  # a path keeps its file name in view
        what = "original English prose shipped with headmix" if default else str(self.text_path)
        if self.sample is not None:
            info = self.sample.info
            self.text_label.setText(f"{info.text_tokens:,} tokens of {what}" if default
                                    else f"{what}: {info.text_tokens:,} tokens")
            self.windows_label.setText(
                f"{info.windows} window{'s' * (info.windows != 1)} of {info.window} tokens, {info.scored_tokens:,} scored"
                + (f", each after {info.bos}" if info.bos else ""))
        else:
            words = f"{self._default_words:,} words of " if default and self._default_words else ""
            line = (words + what) if default else what
            self.text_label.setText(line[:1].upper() + line[1:])
            self.windows_label.setText("reading the text…" if self.sample_worker is not None else "")

    def _render_state(self) -> None:
        if self.checkpoint is None:
            return self._set_state("no model", "No model open", "Open a model to measure what a shrink does to it.")
        if not self.arch.usable:
            return self._set_state("unrecognised", "Cannot measure this model",
                                   "headmix does not recognise this model's attention, so there is no shrink to measure.")
        if self.unavailable is not None:
            return self._set_state(
                "unavailable", "Quality check unavailable for this model",
                f"{self.unavailable}.\n\nEverything else works as before: the shrink can still be planned and exported.")
        if self.sample is None and self.text_problem is None:
            return self._set_state("preparing", "Reading the text…", "Tokenising the text with this model's tokenizer.")
        if self.text_problem is not None:
            return self._set_state("text error", "Cannot use this text",
                                   f"{self.text_problem}\n\nChoose another file, or the default text.", error=True)
        if self.plan is None:
            return self._set_state("invalid targets", "Not measured",
                                   "These targets cannot be built: fix the highlighted target on the right first.")
        result = self.cache.get(self.key)
        if result is not None:
            return self._show_result(result)
        self.shown = None
        info = self.sample.info
        how = (f"Measure runs the original model and the shrunk one side by side on the text, layer by layer, "
               f"without exporting: {info.windows} window{'s' * (info.windows != 1)} of {info.window} tokens, "
               f"{info.scored_tokens:,} tokens scored.")
        previous = ""
        if self.last is not None and self.last.key != self.key:
            previous = (f"Last measured, for other targets ({describe_targets(result_targets(self.last), len(self.arch.layers))}): "
                        f"{headline_numbers(self.last)}. These numbers are not for the current targets.")
        if self.worker is not None:
            if self.worker.key == self.key:
                if self.worker.is_cancelled():
                    return self._set_state("cancelling", "Cancelling…", "Stopping after the layer being computed.")
                return self._set_state("measuring", f"Measuring {self._measuring_targets}…",
                                       f"Running the original and the shrunk model side by side on the text: "
                                       f"{info.windows} windows of {info.window} tokens. The window stays usable.",
                                       previous=previous)
            return self._set_state("not measured", "Not measured for these targets",
                                   f"A measurement of other targets ({self._measuring_targets}) is running; its result "
                                   "will be kept for when you go back to them.", previous=previous)
        if self.key in self.failures:
            return self._set_state("failed", "Measurement failed", self.failures[self.key], error=True, previous=previous)
        headline = "Not measured for these targets" if previous else "Not measured"
        message = how + (f"\n\n{self.note}" if self.note else "")
        return self._set_state("not measured", headline, message, previous=previous)

    def _show_result(self, q: PlanQuality) -> None:
        self.state = "measured"
        self.shown = self.last = q
        changed = [e for e in q.layers if e.changed]
        # fewer decoder layers: the per-layer numbers are the smaller model's, its head targets against itself unshrunk
        fewer = self.arch is not None and len(q.layers) < len(self.arch.layers)
        seconds = f" in {q.seconds:.1f} s" if q.seconds >= 0.05 else ""
        headline = (f"Measured for these targets{seconds}" if changed or fewer
                    else f"Measured{seconds}: these targets change no layer")
        self.headline.setText(headline)
        self.calib_note.setText(CALIBRATION_NOTE if self.on_calibration_text(q) else "")
        worst = sorted(changed, key=lambda e: -e.attention_error)[:3]
        if fewer and not worst:
            self.worst.setText(f"Whole layers removed ({len(q.layers)} of {len(self.arch.layers)} stay) and heads "
                               "unchanged: perplexity says what it costs")
        else:
            self.worst.setText(("Worst layers" + (" of the smaller model: " if fewer else ": ")
                                + ", ".join(f"{e.layer} ({format_error(e.attention_error)})" for e in worst)) if worst
                               else "No layer is changed by these targets: before = after.")
        if fewer:
            self.output_error.setText(f"Relative error of the final hidden states from the head targets, within the "
                                      f"{len(q.layers)}-layer model: {format_error(q.hidden_error)}")
        else:
            self.output_error.setText(f"Relative error of the final hidden states: {format_error(q.hidden_error)}")
        if q.before is not None:
            ratio = ratio_of(q.before.mean_nll, q.after.mean_nll)
            before = format_perplexity(q.before.perplexity, q.before.mean_nll)
            after = format_perplexity(q.after.perplexity, q.after.mean_nll)
            self.summary.setText(f"Perplexity {before} → {after} ({format_ratio(ratio)})")
            log = not (1 / LOG_RATIO <= ratio <= LOG_RATIO)
            values = ((q.before.mean_nll / math.log(10), q.after.mean_nll / math.log(10)) if log
                      else (q.before.perplexity, q.after.perplexity))
            self.pair.set_pair(values, (before, after),
                               f"perplexity on {q.text.scored_tokens:,} tokens (lower is better)", log=log,
                               axis_label="perplexity, log scale" if log else "perplexity")
        else:
            cosine = q.embedding_cosine
            self.summary.setText(f"Embedding cosine with the original: {cosine:.3f} (1 = unchanged)")
            self.pair.set_pair((1.0, cosine), ("1", f"{cosine:.3f}"),
                               "mean cosine of pooled embeddings with the original (1 = unchanged)",
                               axis_label="cosine")
        self.layers_chart.set_layers(q.layers, "layer by layer of the smaller model" if fewer
                                     else "where the shrink hurts, layer by layer", self.selected_layer)
        self._show_healed(q)  # original → shrunk → healed, when the plan has a healed export
        self.stack.setCurrentIndex(1)
