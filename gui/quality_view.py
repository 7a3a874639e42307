"""The Quality tab: what the current plan does to the model on a text, measured when asked.

The core does the work (``core.run.quality``): :func:`prepare_text` reads and tokenises the text
with the model's own tokenizer, :func:`evaluate_plan` runs the original and the shrunk model
side by side without exporting. Both run on worker threads; the tab only shows their state.

Results are cached by :func:`evaluation_key` (source headers, resolved targets, text, windows),
so going back to targets measured before shows their numbers at once, and numbers are only
ever shown for the targets and text they were measured with.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
    QScrollArea, QSizePolicy, QSpinBox, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)  # fmt: skip

from headmix.core.errors import HeadmixError
from headmix.core.model.inspection import human_count
from headmix.core.io.text import DEFAULT_MAX_TOKENS, DEFAULT_WINDOW, Sample, Settings
from headmix.core.run.quality import PlanQuality, evaluation_key

from .formatting import format_error, format_perplexity, format_ratio, ratio_of, runs
from .labels import LineLabel, status_colour
from .plan_text import calibration_text
from .plots import LayerErrorChart, PairChart
from .targets_panel import ERROR_STYLE
from .workers import QualityWorker, SampleWorker

#: what the first entry of the text list is
DEFAULT_TEXT_ITEM = "Default text"
#: perplexities further apart than this factor are drawn on a log axis
LOG_RATIO = 10.0
GREY_STYLE = "color: palette(placeholder-text);"
CALIBRATION_NOTE = "⚠ measured on the calibration text: expect it to look better than on other text"


def describe_targets(targets: dict, num_layers: int | None = None) -> str:
    """``4×16, kv 2, select, all layers`` from a PlanQuality's ``targets`` (or the same keys of a plan);
    with fewer decoder layers (``decoder_layers``, of ``num_layers``): ``8×32, kv 4, select, 3 of 4 decoder layers``."""
    layers = targets["layers"]
    decoder = targets.get("decoder_layers")
    if decoder is not None and num_layers is not None and decoder < num_layers:
        how = f" ({targets['layer_method']})" if targets.get("layer_method") else ""
        return (f"{targets['num_heads']}×{targets['head_dim']}, kv {targets['num_kv_heads']}, {targets['method']}, "
                f"{decoder} of {num_layers} decoder layers{how}")
    if num_layers is not None and len(layers) == num_layers:
        where = "all layers"
    elif not layers:
        where = "no layer changed"
    else:
        where = "layers " + runs(layers, ",")
    return f"{targets['num_heads']}×{targets['head_dim']}, kv {targets['num_kv_heads']}, {targets['method']}, {where}"


def plan_targets(plan) -> dict:
    targets = {"num_heads": plan.num_heads, "num_kv_heads": plan.num_kv_heads, "head_dim": plan.head_dim,
               "layers": list(plan.layers), "method": plan.method.value, "seed": plan.seed,
               "decoder_layers": len(plan.arch.layers)}
    if plan.reduction is not None:
        targets["layer_method"] = plan.reduction.method.value
    return targets


def result_targets(q: PlanQuality) -> dict:
    """A result's targets, with the decoder layer count of the model it measured."""
    return {**q.targets, "decoder_layers": len(q.layers)}


def comparison_kind(plan, arch) -> str | None:
    """What the current plan can be compared with at the same size: "layers" when it shrinks heads
    (or head size) only, "heads" when it removes decoder layers only; None otherwise."""
    if plan is None or arch is None:
        return None
    heads = bool(plan.layers) and (plan.num_heads, plan.num_kv_heads, plan.head_dim) != (arch.num_heads, arch.num_kv_heads,
                                                                                        arch.head_dim)
    if plan.reduction is None and heads:
        return "layers"
    if plan.reduction is not None and not heads:
        return "heads"
    return None


def _default_words() -> int | None:
    from headmix.core.io.text import read_text

    try:
        return len(read_text(None).content.split())
    except HeadmixError:
        return None


def headline_numbers(q: PlanQuality) -> str:
    """The result in one line of plain text (the summary, the status bar, the stale note)."""
    if q.before is not None:
        ratio = ratio_of(q.before.mean_nll, q.after.mean_nll)
        main = (f"perplexity {format_perplexity(q.before.perplexity, q.before.mean_nll)} → "
                f"{format_perplexity(q.after.perplexity, q.after.mean_nll)} ({format_ratio(ratio)})")
    else:
        main = f"embedding cosine {q.embedding_cosine:.3f}"
    return f"{main}, final hidden-state error {format_error(q.hidden_error)}"


class QualityView(QWidget):
    """Text, settings, Measure/Cancel with progress, and the result for the current plan."""

    measure_requested = Signal()  # the window answers with measure(its current plan)
    choose_text_requested = Signal()  # the window answers with a file dialog, then use_text_file(path)
    layer_clicked = Signal(int)
    text_ready = Signal()  # a text was read and tokenised, or could not be (see ``state``)
    measurement_started = Signal()
    measurement_finished = Signal(object)  # PlanQuality
    measurement_failed = Signal(str)
    measurement_cancelled = Signal()
    compare_requested = Signal()  # the window answers with compare(the two plans)
    comparison_finished = Signal()
    compare_methods_requested = Signal()  # the window answers with compare_methods(a plan per method)
    methods_compared = Signal()
    method_chosen = Signal(str)  # a row of the methods table was clicked: use that method
    idle = Signal()  # no thread started by this view is running any more
    state_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.checkpoint = None
        self.arch = None
        self.plan = None
        self.text_path: Path | None = None  # None: the default text
        self.sample: Sample | None = None
        self.text_problem: str | None = None
        self.unavailable: str | None = None
        self.cache: dict[str, PlanQuality] = {}
        self.key: str | None = None
        self.shown: PlanQuality | None = None  # the result on screen (always for the current key)
        self.last: PlanQuality | None = None  # the last result for this model and text, whatever its targets
        self.worker: QualityWorker | None = None
        self.reductions: list = []  # the window's finished layer choices (LayerReduction.reuse)
        self.jobs = None  # the session's running jobs (gui/session/jobs.py), set by the window; None: a list of its own
        self.comparison: dict | None = None  # fewer heads against fewer layers: plans, keys, labels
        self.method_comparison: dict | None = None  # the current targets with each method: rows of plans and keys
        self._queue: list = []  # (plan, key) still to measure for the comparison
        self.sample_worker: SampleWorker | None = None
        self.failures: dict[str, str] = {}  # key -> why its measurement failed
        self.note = ""
        self.selected_layer: int | None = None
        self.calibration_sha: str | None = None  # the current plan's calibration text, when it reads one
        self.state = "no model"
        self.decoder = True
        self._measuring_targets = ""
        self._running: set = set()
        self._default_words = _default_words()
        self._build()
        self._render()

    # ------------------------------------------------------------------ construction

    def _build(self) -> None:
        self.text_choice = QComboBox()
        self.text_choice.addItem(DEFAULT_TEXT_ITEM, None)
        self.text_choice.setToolTip("The text both models read: headmix's own, or a UTF-8 file of yours")
        self.text_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.text_choice.setMinimumContentsLength(12)
        self.text_choice.currentIndexChanged.connect(self._text_chosen)
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.setToolTip("Measure on a UTF-8 text file of your own")
        self.choose_button.clicked.connect(self.choose_text_requested)
        self.text_label = LineLabel(grey=True, middle=True)  # what the text is
        self.windows_label = LineLabel(grey=True)  # how it is cut

        self.window_spin = QSpinBox()
        self.window_spin.setRange(2, 65_536)
        self.window_spin.setValue(DEFAULT_WINDOW)
        self.window_spin.setSingleStep(128)
        self.window_spin.setToolTip(f"Tokens per window; each window is scored on its own, from a fresh context "
                                    f"(default {DEFAULT_WINDOW})")
        self.max_tokens_spin = QSpinBox()
        self.max_tokens_spin.setRange(2, 10_000_000)
        self.max_tokens_spin.setValue(DEFAULT_MAX_TOKENS)
        self.max_tokens_spin.setSingleStep(1024)
        self.max_tokens_spin.setGroupSeparatorShown(True)
        self.max_tokens_spin.setToolTip(f"Measure at most the text's first this many tokens, in whole windows "
                                        f"(default {DEFAULT_MAX_TOKENS:,})")
        self._settings_timer = QTimer(self)
        self._settings_timer.setSingleShot(True)
        self._settings_timer.setInterval(200)
        self._settings_timer.timeout.connect(self._prepare)
        self._window_wanted = DEFAULT_WINDOW  # the user's window, shown capped for a model with fewer positions
        self.window_spin.valueChanged.connect(self._window_changed)
        for spin in (self.window_spin, self.max_tokens_spin):
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._settings_timer.start)

        self.measure_button = QPushButton("&Measure")
        self.measure_button.setToolTip("Run the original and the shrunk model side by side on the text, "
                                       "without exporting")
        self.measure_button.clicked.connect(self.measure_requested)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop measuring (after the layer being computed)")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setToolTip("Layers of the model, then its output head")
        keep = self.progress.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(keep)
        self.progress.hide()
        self.compare_button = QPushButton("Compare with fewer layers at this size")
        self.compare_button.clicked.connect(self.compare_requested)
        compare_hint = self.compare_button.sizePolicy()
        compare_hint.setHorizontalPolicy(QSizePolicy.Policy.Ignored)  # its text changes; its width does not
        self.compare_button.setSizePolicy(compare_hint)
        self.compare_button.setMinimumWidth(self.compare_button.fontMetrics().horizontalAdvance(
            "Compare with fewer layers at this size") + 24)

        # fewer heads against fewer layers at the same size: shown once asked for
        self.compare_box = QGroupBox("Fewer heads or fewer layers, at the same size")
        self.compare_text = QLabel()
        self.compare_text.setWordWrap(True)
        self.compare_text.setTextFormat(Qt.TextFormat.PlainText)
        self.compare_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.compare_table = QLabel()
        self.compare_table.setTextFormat(Qt.TextFormat.RichText)
        self.compare_table.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.compare_table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.compare_verdict = QLabel()
        self.compare_verdict.setWordWrap(True)
        self.compare_verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.compare_verdict.setStyleSheet("font-weight: bold;")
        self.compare_verdict.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        box_layout = QVBoxLayout(self.compare_box)
        for w in (self.compare_text, self.compare_table, self.compare_verdict):
            box_layout.addWidget(w)
        self.compare_box.hide()

        # the current targets with each method, on the same text: shown once asked for
        self.methods_button = QPushButton("Compare methods")
        self.methods_button.setToolTip("Measure the current targets with each method (calibrated where the model has a "
                                       "tokenizer, mean, select, random) on the text, one after the other")
        self.methods_button.clicked.connect(self.compare_methods_requested)
        self.with_article = QCheckBox("with article")
        self.with_article.setToolTip("Include the article's method (it needs retraining, so it is left out by default)")
        self.methods_box = QGroupBox("Methods on this text")
        self.methods_text = QLabel()
        self.methods_text.setWordWrap(True)
        self.methods_text.setTextFormat(Qt.TextFormat.PlainText)
        self.methods_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.methods_table = QTableWidget(0, 4)
        self.methods_table.setHorizontalHeaderLabels(["method", "params", "perplexity", "× before"])
        self.methods_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.methods_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.methods_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.methods_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.methods_table.verticalHeader().hide()
        self.methods_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.methods_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.methods_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.methods_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.methods_table.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.methods_table.setToolTip("Click a row to use that method for the targets")
        self.methods_table.cellClicked.connect(self._method_row_clicked)
        self.methods_verdict = QLabel()
        self.methods_verdict.setWordWrap(True)
        self.methods_verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.methods_verdict.setStyleSheet("font-weight: bold;")
        self.methods_verdict.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        methods_layout = QVBoxLayout(self.methods_box)
        for w in (self.methods_text, self.methods_table, self.methods_verdict):
            methods_layout.addWidget(w)
        self.methods_box.hide()

        controls = QVBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        text_row = QHBoxLayout()
        text_row.addWidget(self.text_choice, 1)
        text_row.addWidget(self.choose_button)
        controls.addLayout(text_row)
        text_lines = QVBoxLayout()
        text_lines.setSpacing(0)
        text_lines.setContentsMargins(4, 0, 0, 0)
        text_lines.addWidget(self.text_label)
        text_lines.addWidget(self.windows_label)
        controls.addLayout(text_lines)
        settings_row = QHBoxLayout()
        for text, spin in (("&Window", self.window_spin), ("Max &tokens", self.max_tokens_spin)):
            label = QLabel(text)
            label.setBuddy(spin)
            settings_row.addWidget(label)
            settings_row.addWidget(spin)
        settings_row.addStretch(1)
        controls.addLayout(settings_row)
        run_row = QHBoxLayout()
        run_row.addWidget(self.measure_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)
        controls.addLayout(run_row)
        compare_row = QHBoxLayout()
        compare_row.addWidget(self.compare_button)
        compare_row.addStretch(1)
        controls.addLayout(compare_row)
        methods_row = QHBoxLayout()
        methods_row.addWidget(self.methods_button)
        methods_row.addWidget(self.with_article)
        methods_row.addStretch(1)
        controls.addLayout(methods_row)
        controls.addWidget(self.compare_box)
        controls.addWidget(self.methods_box)

        self.headline = LineLabel(bold=True)

        # the message page: everything but a result
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.previous = QLabel()
        self.previous.setTextFormat(Qt.TextFormat.PlainText)
        self.previous.setWordWrap(True)
        self.previous.setStyleSheet(GREY_STYLE)
        self.previous.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.previous.setToolTip("Numbers measured for other targets: not for the current ones")
        message_page = QWidget()
        message_layout = QVBoxLayout(message_page)
        message_layout.setContentsMargins(0, 0, 0, 0)
        message_layout.addWidget(self.message)
        message_layout.addSpacing(8)
        message_layout.addWidget(self.previous)
        message_layout.addStretch(1)

        # the results page
        # the result in three lines that never wrap, so every result puts the charts at the same place
        self.summary = LineLabel(bold=True)
        font = self.summary.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.summary.setFont(font)
        # said when the text measured on is the one the plan was calibrated on (the numbers flatter it there)
        self.calib_note = LineLabel()
        self.calib_note.set_colour(status_colour("warn"))
        self.output_error = LineLabel()
        self.worst = LineLabel()
        self.pair = PairChart()
        self.layers_chart = LayerErrorChart()
        self.layers_chart.layer_clicked.connect(self.layer_clicked)
        results_page = QWidget()
        results_layout = QVBoxLayout(results_page)
        results_layout.setContentsMargins(0, 0, 0, 0)
        for label in (self.summary, self.calib_note, self.output_error, self.worst):
            results_layout.addWidget(label)
        results_layout.addWidget(self.pair)
        results_layout.addWidget(self.layers_chart, 1)

        self.stack = QStackedWidget()
        self.stack.addWidget(message_page)
        self.stack.addWidget(results_page)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addLayout(controls)
        layout.addWidget(self.headline)
        layout.addWidget(self.stack, 1)
        self.content = content
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll = scroll  # scrolls only when the pane is dragged narrower or lower than the tab needs
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._fit()

    def _fit(self) -> None:
        """Heights that follow the font (and so the scale factor), never the data."""
        line = self.fontMetrics().height()
        self.pair.setFixedHeight(7 * line)
        self.layers_chart.plot_widget.setMinimumHeight(9 * line)

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def apply_theme(self, palette=None) -> None:
        self.pair.apply_theme(palette)
        self.layers_chart.apply_theme(palette)
        self.calib_note.set_colour(status_colour("warn", palette))

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
        base = f"Tokens per window; each window is scored on its own, from a fresh context (default {DEFAULT_WINDOW})"
        self.window_spin.setToolTip(base + (f"; this model has {limit} learned positions" if limit else ""))

    def _text_chosen(self, _index: int) -> None:
        data = self.text_choice.currentData()
        self.text_path = None if data is None else Path(data)
        self.text_choice.setToolTip(str(self.text_path) if self.text_path else "headmix's default text")
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

    # ------------------------------------------------------------------ measuring

    def can_measure(self) -> bool:
        return (self.worker is None and self.plan is not None and self.key is not None and self.key not in self.cache)

    def measure(self, plan) -> bool:
        """Measure ``plan`` (the window's current plan) in the background; False when it cannot start."""
        if plan is not self.plan:
            self.set_plan(plan)
        if not self.can_measure():
            return False
        self._queue.clear()  # a measurement asked for now goes before a comparison's
        return self._run(plan, self.key)

    def _run(self, plan, key: str) -> bool:
        worker = QualityWorker(plan, self.sample, key, self.reductions)
        worker.progress.connect(self._progress)
        worker.finished.connect(self._measured)
        worker.failed.connect(self._measure_failed)
        worker.cancelled.connect(self._measure_cancelled)
        self.worker = worker
        self.note = ""
        self.failures.pop(key, None)
        self._measuring_targets = describe_targets(plan_targets(plan), len(self.arch.layers))
        self.progress.setRange(0, len(self.arch.layers) + 1)
        self._show_progress(0, len(self.arch.layers) + 1)
        worker.stage.connect(self._stage)
        worker.choosing.connect(self._choosing)
        worker.calibrating.connect(self._calibrating)
        self._start(worker)
        self._render()
        self.measurement_started.emit()
        return True

    # ------------------------------------------------------------------ fewer heads or fewer layers

    def _render_compare_button(self) -> None:
        kind = comparison_kind(self.plan, self.arch)
        button = self.compare_button
        button.setText("Compare with fewer heads at this size" if kind == "heads" else
                       "Compare with fewer layers at this size")
        ready = self.worker is None and self.sample is not None and self.unavailable is None
        button.setEnabled(kind is not None and ready)
        if kind == "layers":
            button.setToolTip("Build the plan that removes whole decoder layers to about the same number of parameters "
                              "as these targets, and measure both on the text")
        elif kind == "heads":
            button.setToolTip("Build the plan with fewer query/key-value heads nearest to this size in parameters, "
                              "and measure both on the text")
        else:
            button.setToolTip("Set head targets, or fewer decoder layers (not both), to compare the two at the same size")

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
        self.compare_text.setText(
            f"Two ways to shrink the model by about the same number of parameters ({100 * apart:.1f}% of the original "
            f"apart), measured on the same text ({info.scored_tokens:,} tokens scored in {info.windows} windows of "
            f"{info.window}): {described}. Removing whole layers saves attention and MLP at once; mixing heads "
            f"saves attention only, in every layer.")
        decoder = all(r is None or r.before is not None for r in results)
        column = "perplexity" if decoder else "cosine"
        lines = [f"<tr><th align='left'>plan&nbsp;&nbsp;</th><th align='right'>params&nbsp;&nbsp;</th>"
                 f"<th align='right'>{column}</th></tr>"]
        before = next((r.before for r in results if r is not None and r.before is not None), None)
        lines.append(f"<tr><td>original</td><td align='right'>{human_count(original)}&nbsp;&nbsp;</td><td align='right'>"
                     f"{format_perplexity(before.perplexity, before.mean_nll) if before else ('1' if not decoder else '')}"
                     f"</td></tr>")
        running = self.worker.key if self.worker is not None else None
        for (label, plan, key), result in zip(rows, results, strict=True):
            if result is not None:
                value = (format_perplexity(result.after.perplexity, result.after.mean_nll) if result.after is not None
                         else f"{result.embedding_cosine:.3f}")
            else:
                value = "measuring…" if key == running else ("failed" if key in self.failures else "waiting")
            current = " (current)" if key == self.key else ""
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
                self.compare_verdict.setText(f"{rows[best][0].capitalize()} costs less here: perplexity {better} "
                                             f"against {worse}")
            else:
                scores = [r.embedding_cosine for r in results]
                best = max(range(len(rows)), key=lambda i: scores[i])
                self.compare_verdict.setText(f"{rows[best][0].capitalize()} stays closer to the original here: "
                                             f"cosine {scores[best]:.3f} against {scores[1 - best]:.3f}")
        elif any(key in self.failures for _, _, key in rows):
            self.compare_verdict.setText("A measurement failed: see the message above")
        elif self.worker is None and not self._queue:
            self.compare_verdict.setText("Stopped before both were measured: Compare again to finish")
        else:
            done = sum(r is not None for r in results)
            self.compare_verdict.setText(f"Measuring: {done} of {len(rows)} done")

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
        text = (f"The current targets ({shape}) with each method, measured on the same text ({info.scored_tokens:,} "
                f"tokens scored in {info.windows} windows of {info.window}). The highlighted row is the method in use; "
                f"click another to use it.")
        if any(on_calibration_text):
            text += "\n⚠ marks a method measured on its calibration text: expect it to look better than on other text."
        self.methods_text.setText(text)
        table = self.methods_table
        table.setHorizontalHeaderLabels(["method", "params", "perplexity" if decoder else "cosine",
                                         "× before" if decoder else ""])
        table.horizontalHeaderItem(2).setToolTip("Perplexity of the shrunk model on the text (lower is better)" if decoder
                                                 else "Mean cosine of pooled embeddings with the original (1 = unchanged)")
        table.horizontalHeaderItem(3).setToolTip("Perplexity after ÷ before")
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
                params, value, ratio = "—", "cannot build", ""
                tip = f"{entry['method']} cannot build these targets: {entry['why']}"
            else:
                share = 100 * plan.params_after / max(original, 1)
                params = human_count(plan.params_after)
                tip = (f"{entry['method']}: {params} parameters ({share:.0f}% of the original)"
                       + ("; in use" if entry["key"] == self.key else f"; click to use {entry['method']} for the targets"))
                if result is not None and result.after is not None:
                    value = format_perplexity(result.after.perplexity, result.after.mean_nll)
                    ratio = format_ratio(ratio_of(result.before.mean_nll, result.after.mean_nll))
                    tip += f": perplexity {headline_numbers(result)}"
                elif result is not None:
                    value, ratio = f"{result.embedding_cosine:.3f}", ""
                elif entry["key"] in self.failures:
                    value, ratio = "failed", ""
                    tip = f"{entry['method']}: the measurement failed: {self.failures[entry['key']]}"
                else:
                    value = "measuring…" if entry["key"] == running else "waiting"
                    ratio = ""
            if on_calibration_text[n]:
                tip += "\n" + CALIBRATION_NOTE.removeprefix("⚠ ")
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
            numbers = (f"perplexity {format_perplexity(result.after.perplexity, result.after.mean_nll)} "
                       f"({format_ratio(ratio_of(result.before.mean_nll, result.after.mean_nll))} the original)"
                       if result.after is not None else f"cosine {result.embedding_cosine:.3f}")
            self.methods_verdict.setText(f"Best here: {best}, {numbers}"
                                         + (f"; {len(failed)} failed (hover for why)" if failed else ""))
        elif self._methods_done():
            self.methods_verdict.setText("No method could be measured: hover over a row for why")
        elif self.worker is None and not self._queue:
            self.methods_verdict.setText("Stopped before every method was measured: Compare methods again to finish")
        else:
            self.methods_verdict.setText(f"Measuring: {len(measured) + len(failed)} of {len(buildable)} done")

    def cancel(self) -> None:
        self._queue.clear()
        if self.worker is not None and not self.worker.is_cancelled():
            self.worker.cancel()
            self.progress.setFormat("cancelling…")
            self._render()

    def busy(self) -> bool:
        """A thread of this view is still running (closing the window waits for ``idle``)."""
        return bool(self._running)

    def shutdown(self, msecs: int = 5000) -> None:
        """Cancel and wait for every thread this view started (the window is closing)."""
        self.cancel()
        for worker in list(self._running):
            worker.wait(msecs)

    def _start(self, worker) -> None:
        # connected after the result handlers, so those run first; exactly one of these ends a run
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(self._ended)
        self._running.add(worker)
        worker.start(self.jobs)  # one of the session's jobs (the window hands its list over)

    def _ended(self, *_) -> None:
        worker = self.sender()
        if worker not in self._running:
            return
        self._running.discard(worker)
        worker.wait(1000)  # it has emitted its last signal; its thread is ending now
        if not self._running:
            self.idle.emit()

    def _progress(self, done, total) -> None:
        if self.sender() is self.worker:  # not a measurement of the model opened before
            self._show_progress(done, total)

    def _stage(self, stage: str) -> None:
        """Fewer decoder layers: the measurement chooses them, measures the smaller model, then the original."""
        if self.sender() is not self.worker or self.worker.is_cancelled():
            return
        if stage == "original":
            self.progress.setRange(0, 0)
            self.progress.setFormat("the original model, for perplexity before")
        elif stage == "choosing":
            self.progress.setFormat("choosing layers…")

    def _choosing(self, stage: str, done: int, total: int) -> None:
        if self.sender() is not self.worker or self.worker.is_cancelled():
            return
        from .layers_view import stage_text

        self.progress.setRange(0, 0 if stage == "weights" or total <= 0 else total)
        if total > 0:
            self.progress.setValue(done)
        self.progress.setFormat(f"choosing layers: {stage_text(stage, done, total)}")

    def _calibrating(self, done: int, total: int) -> None:
        """A calibrated plan fits each layer as the measurement reaches it: the bar says so meanwhile."""
        if self.sender() is not self.worker or self.worker.is_cancelled() or done >= total:
            return
        self.progress.setFormat(calibration_text(self.worker.plan, done, total))

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        layers = total - 1
        if done < layers:
            step = f"layer {done + 1} of {layers}"
        elif done == layers:
            step = "output head" if self.decoder else "pooled embeddings"
        else:
            step = "done"
        if not (self.worker is not None and self.worker.is_cancelled()):
            self.progress.setFormat(step)
        self.progress.setValue(int(done))

    def _measured(self, result: PlanQuality) -> None:
        worker = self.sender()
        self.cache[worker.key] = result
        if worker is self.worker:
            self.worker = None
        if worker.sample is self.sample:
            self.last = result
        self._render()
        self.measurement_finished.emit(result)
        self._next_comparison()

    def _measure_failed(self, message: str) -> None:
        worker = self.sender()
        self.failures[worker.key] = message
        if worker is self.worker:
            self.worker = None
        if self.method_comparison is None:
            self._queue.clear()
        self._render()
        self.measurement_failed.emit(message)
        self._next_comparison()  # comparing methods: one that fails does not stop the others

    def _measure_cancelled(self) -> None:
        if self.sender() is self.worker:
            self.worker = None
            self.note = "Measurement cancelled."
        self._render()
        self.measurement_cancelled.emit()

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
        self.stack.setCurrentIndex(1)
