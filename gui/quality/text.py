"""The model and the text it is measured on: the text read and tokenised as a session job, its settings, the cache
key for the current run.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from headmix.core.errors import HeadmixError
from headmix.core.io.text import DEFAULT_WINDOW, Settings
from headmix.core.run.quality import PlanQuality, evaluation_key

from ..workers import SampleWorker


class Text:
    """The model and the text it is measured on: the text read and tokenised as a session job, its settings, the
    cache key for the current run.

    A part of :class:`~headmix.gui.quality_view.QualityView`, which assembles the parts over QWidget."""

    # ------------------------------------------------------------------ inputs from the window

    def set_model(self, checkpoint, arch) -> None:
        """A model was opened: forget its predecessor's text and measurement (not the cache)."""
        self.cancel()
        self.worker = self.sample_worker = None  # what they still report is about the last model
        self.checkpoint, self.arch, self.plan = checkpoint, arch, None
        self.sample = self.text_problem = self.unavailable = None
        self.shown = self.last = None
        self.key = None
        self.note = ""
        self.comparison = self.method_comparison = None
        self._limit_window()
        if arch is not None and arch.usable:
            self._prepare()
        self._render()

    def set_plan(self, plan) -> None:
        """The window's plan changed (None: invalid targets)."""
        self.plan = plan
        self._update_key()
        self._render()

    def set_calibration_text(self, sha256: str | None) -> None:
        """The current plan's calibration text (its hash; None: the plan reads none), set before ``set_plan``."""
        self.calibration_sha = sha256

    def on_calibration_text(self, q: PlanQuality) -> bool:
        """Whether ``q`` was measured on the very text its plan was calibrated on."""
        return self.calibration_sha is not None and q.text.sha256 == self.calibration_sha

    def set_selected_layer(self, layer: int | None) -> None:
        self.selected_layer = layer
        self.layers_chart.set_selected(layer)

    def use_text_file(self, path: str | Path) -> None:
        """Measure on this file from now on (it becomes the current entry of the text list)."""
        path = Path(path)
        index = self.text_choice.findData(str(path))
        if index < 0:
            self.text_choice.addItem(path.name, str(path))
            index = self.text_choice.count() - 1
            self.text_choice.setItemData(index, str(path), Qt.ItemDataRole.ToolTipRole)
        if index == self.text_choice.currentIndex():
            self._text_chosen(index)  # chosen again: read it again (it may have been fixed)
        else:
            self.text_choice.setCurrentIndex(index)

    def use_default_text(self) -> None:
        self.text_choice.setCurrentIndex(0)

    def set_settings(self, window: int, max_tokens: int) -> None:
        """Set both settings at once (the text is tokenised again once)."""
        for spin, value in ((self.window_spin, window), (self.max_tokens_spin, max_tokens)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self._window_wanted = self.window_spin.value()
        self._prepare()

    def _window_changed(self, value: int) -> None:
        self._window_wanted = value

    def settings(self) -> Settings:
        return Settings(self.window_spin.value(), self.max_tokens_spin.value())

    # ------------------------------------------------------------------ the text

    def _limit_window(self) -> None:
        """Learned positions (GPT-2, BERT) cap the window; rotary models take any length."""
        from headmix.core.model.forward import model_spec

        limit, self.decoder = None, True
        if self.arch is not None and self.arch.usable:
            try:
                spec = model_spec(self.arch)
            except HeadmixError:  # the measurement itself will say why it cannot run
                spec = None
            if spec is not None:
                limit = spec.max_positions if not spec.family.rotary else None
                self.decoder = spec.decoder
        self.window_spin.blockSignals(True)
        self.window_spin.setMaximum(limit or 65_536)
        self.window_spin.setValue(min(self._window_wanted, limit or self._window_wanted))
        self.window_spin.blockSignals(False)
        base = self.tr("Tokens per window; each window is scored on its own, from a fresh context "
                       "(default {window})").format(window=DEFAULT_WINDOW)
        self.window_spin.setToolTip(base + (self.tr("; this model has {positions} learned positions").format(
            positions=limit) if limit else ""))

    def _text_chosen(self, _index: int) -> None:
        data = self.text_choice.currentData()
        self.text_path = None if data is None else Path(data)
        self.text_choice.setToolTip(str(self.text_path) if self.text_path else self.tr("headmix's default text"))
        self._prepare()

    def _prepare(self) -> None:
        """Read and tokenise the text for the open model, off the GUI thread."""
        self._settings_timer.stop()
        if self.checkpoint is None or self.arch is None or not self.arch.usable:
            return
        self.sample = self.text_problem = self.unavailable = None
        self.key = None
        self.last = None  # numbers measured on another text or window are never offered as "last measured"
        self.comparison = self.method_comparison = None  # measured on another text
        self._queue.clear()
        worker = SampleWorker(self.checkpoint, self.text_path, self.settings())
        worker.finished.connect(self._sample_ready)
        worker.failed.connect(self._sample_failed)
        worker.unavailable.connect(self._sample_unavailable)
        self.sample_worker = worker
        self._start(worker)
        self._render()

    def _sample_ready(self, sample) -> None:
        if self.sender() is not self.sample_worker or sample is None:
            return
        self.sample_worker = None
        self.sample = sample
        self._update_key()
        self._render()
        self.text_ready.emit()

    def _sample_failed(self, message: str) -> None:
        if self.sender() is not self.sample_worker:
            return
        self.sample_worker = None
        self.text_problem = message
        self._render()
        self.text_ready.emit()

    def _sample_unavailable(self, message: str) -> None:
        if self.sender() is not self.sample_worker:
            return
        self.sample_worker = None
        self.unavailable = message
        self._render()
        self.text_ready.emit()

    def _update_key(self) -> None:
        key = None
        if self.plan is not None and self.sample is not None and self.checkpoint is not None:
            key = evaluation_key(self.checkpoint, self.sample.info, self.plan)
        if key != self.key:
            self.note = ""  # "cancelled" was about the targets and text before
        self.key = key
