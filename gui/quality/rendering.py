"""What the tab shows for its state: the text line, the state line, the result's numbers and the layer chart."""

from __future__ import annotations

import math

from headmix.core.run.quality import PlanQuality

from ..formatting import format_error, format_perplexity, format_ratio, grouped, ratio_of
from ..targets_panel import ERROR_STYLE
from .words import LOG_RATIO, calibration_note, cosine_text, describe_targets, headline_numbers, result_targets


class Rendering:
    """What the tab shows for its state: the text line, the state line, the result's numbers and the layer chart.

    A part of :class:`~headmix.gui.quality_view.QualityView`, which assembles the parts over QWidget."""

    def show_problem(self, message: str) -> None:
        """A step of the window failed to update this tab: say so in its place."""
        self.shown = None
        self._set_state("failed", self.tr("Cannot show the quality check"), message, error=True)

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
            self.tr("Already measured for these targets on this text") if self.key in self.cache else
            self.tr("Run the original and the shrunk model side by side on the text, without exporting"))
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
        what = self.tr("original English prose shipped with headmix") if default else str(self.text_path)
        if self.sample is not None:
            info = self.sample.info
            self.text_label.setText(self.tr("{tokens} tokens of {what}").format(tokens=grouped(info.text_tokens), what=what)
                                    if default else self.tr("{what}: {tokens} tokens").format(
                                        what=what, tokens=grouped(info.text_tokens)))
            self.windows_label.setText(
                self.tr("%n window(s) of {window} tokens, {scored} scored", None, info.windows).format(
                    window=info.window, scored=grouped(info.scored_tokens))
                + (self.tr(", each after {bos}").format(bos=info.bos) if info.bos else ""))
        else:
            line = self.tr("{words} words of {what}").format(words=grouped(self._default_words), what=what) \
                if default and self._default_words else (
                    self.tr("Original English prose shipped with headmix") if default else what)
            self.text_label.setText(line)
            self.windows_label.setText(self.tr("reading the text…") if self.sample_worker is not None else "")

    def _render_state(self) -> None:
        if self.checkpoint is None:
            return self._set_state("no model", self.tr("No model open"),
                                   self.tr("Open a model to measure what a shrink does to it."))
        if not self.arch.usable:
            return self._set_state("unrecognised", self.tr("Cannot measure this model"),
                                   self.tr("headmix does not recognise this model's attention, so there is no shrink to "
                                           "measure."))
        if self.unavailable is not None:
            return self._set_state(
                "unavailable", self.tr("Quality check unavailable for this model"),
                self.tr("{why}.\n\nEverything else works as before: the shrink can still be planned and exported.").format(
                    why=self.unavailable))
        if self.sample is None and self.text_problem is None:
            return self._set_state("preparing", self.tr("Reading the text…"),
                                   self.tr("Tokenising the text with this model's tokenizer."))
        if self.text_problem is not None:
            return self._set_state("text error", self.tr("Cannot use this text"),
                                   self.tr("{problem}\n\nChoose another file, or the default text.").format(
                                       problem=self.text_problem), error=True)
        if self.plan is None:
            return self._set_state("invalid targets", self.tr("Not measured"),
                                   self.tr("These targets cannot be built: fix the highlighted target on the right first."))
        result = self.cache.get(self.key)
        if result is not None:
            return self._show_result(result)
        self.shown = None
        info = self.sample.info
        how = self.tr("Measure runs the original model and the shrunk one side by side on the text, layer by layer, "
                      "without exporting: %n window(s) of {window} tokens, {scored} tokens scored.", None,
                      info.windows).format(window=info.window, scored=grouped(info.scored_tokens))
        previous = ""
        if self.last is not None and self.last.key != self.key:
            previous = self.tr("Last measured, for other targets ({targets}): {numbers}. These numbers are not for the "
                               "current targets.").format(
                targets=describe_targets(result_targets(self.last), len(self.arch.layers)),
                numbers=headline_numbers(self.last))
        if self.worker is not None:
            if self.worker.key == self.key:
                if self.worker.is_cancelled():
                    return self._set_state("cancelling", self.tr("Cancelling…"),
                                           self.tr("Stopping after the layer being computed."))
                return self._set_state("measuring", self.tr("Measuring {targets}…").format(targets=self._measuring_targets),
                                       self.tr("Running the original and the shrunk model side by side on the text: "
                                               "%n window(s) of {window} tokens. The window stays usable.", None,
                                               info.windows).format(window=info.window),
                                       previous=previous)
            return self._set_state("not measured", self.tr("Not measured for these targets"),
                                   self.tr("A measurement of other targets ({targets}) is running; its result will be kept "
                                           "for when you go back to them.").format(targets=self._measuring_targets),
                                   previous=previous)
        if self.key in self.failures:
            return self._set_state("failed", self.tr("Measurement failed"), self.failures[self.key], error=True,
                                   previous=previous)
        headline = self.tr("Not measured for these targets") if previous else self.tr("Not measured")
        message = how + (f"\n\n{self.note}" if self.note else "")
        return self._set_state("not measured", headline, message, previous=previous)

    def _show_result(self, q: PlanQuality) -> None:
        self.state = "measured"
        self.shown = self.last = q
        changed = [e for e in q.layers if e.changed]
        # fewer decoder layers: the per-layer numbers are the smaller model's, its head targets against itself unshrunk
        fewer = self.arch is not None and len(q.layers) < len(self.arch.layers)
        seconds = self.tr(" in {seconds} s").format(seconds=grouped(q.seconds, 1)) if q.seconds >= 0.05 else ""
        headline = (self.tr("Measured for these targets{seconds}").format(seconds=seconds) if changed or fewer
                    else self.tr("Measured{seconds}: these targets change no layer").format(seconds=seconds))
        self.headline.setText(headline)
        self.calib_note.setText(calibration_note() if self.on_calibration_text(q) else "")
        worst = sorted(changed, key=lambda e: -e.attention_error)[:3]
        if fewer and not worst:
            self.worst.setText(self.tr("Whole layers removed ({kept} of {total} stay) and heads unchanged: perplexity "
                                       "says what it costs").format(kept=len(q.layers), total=len(self.arch.layers)))
        else:
            layers = ", ".join(f"{e.layer} ({format_error(e.attention_error)})" for e in worst)
            self.worst.setText((self.tr("Worst layers of the smaller model: {layers}") if fewer
                                else self.tr("Worst layers: {layers}")).format(layers=layers) if worst
                               else self.tr("No layer is changed by these targets: before = after."))
        if fewer:
            self.output_error.setText(self.tr("Relative error of the final hidden states from the head targets, within "
                                              "the {layers}-layer model: {error}").format(
                layers=len(q.layers), error=format_error(q.hidden_error)))
        else:
            self.output_error.setText(self.tr("Relative error of the final hidden states: {error}").format(
                error=format_error(q.hidden_error)))
        if q.before is not None:
            ratio = ratio_of(q.before.mean_nll, q.after.mean_nll)
            before = format_perplexity(q.before.perplexity, q.before.mean_nll)
            after = format_perplexity(q.after.perplexity, q.after.mean_nll)
            self.summary.setText(self.tr("Perplexity {before} → {after} ({ratio})").format(
                before=before, after=after, ratio=format_ratio(ratio)))
            log = not (1 / LOG_RATIO <= ratio <= LOG_RATIO)
            values = ((q.before.mean_nll / math.log(10), q.after.mean_nll / math.log(10)) if log
                      else (q.before.perplexity, q.after.perplexity))
            self.pair.set_pair(values, (before, after),
                               self.tr("perplexity on {tokens} tokens (lower is better)").format(
                                   tokens=grouped(q.text.scored_tokens)), log=log,
                               axis_label=self.tr("perplexity, log scale") if log else self.tr("perplexity"))
        else:
            cosine = q.embedding_cosine
            self.summary.setText(self.tr("Embedding cosine with the original: {cosine} (1 = unchanged)").format(
                cosine=cosine_text(cosine)))
            self.pair.set_pair((1.0, cosine), ("1", cosine_text(cosine)),
                               self.tr("mean cosine of pooled embeddings with the original (1 = unchanged)"),
                               axis_label=self.tr("cosine"))
        self.layers_chart.set_layers(q.layers, self.tr("layer by layer of the smaller model") if fewer
                                     else self.tr("where the shrink hurts, layer by layer"), self.selected_layer)
        self._show_healed(q)  # original → shrunk → healed, when the plan has a healed export
        self.stack.setCurrentIndex(1)
