"""The Quality tab: what the current plan does to the model on a text, measured when asked.

The core does the work (``core.run.quality``): :func:`prepare_text` reads and tokenises the text
with the model's own tokenizer, :func:`evaluate_plan` runs the original and the shrunk model
side by side without exporting. Both run as the session's jobs on worker threads; the tab only shows their state.

Results are cached by :func:`evaluation_key` (source headers, resolved targets, text, windows),
so going back to targets measured before shows their numbers at once, and numbers are only
ever shown for the targets and text they were measured with.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget

from headmix.core.io.text import Sample
from headmix.core.run.quality import PlanQuality

from .i18n import PartsTranslate
from .quality.building import Building
from .quality.comparison import Comparison
from .quality.healed import Healed
from .quality.measuring import Measuring
from .quality.methods import Methods
from .quality.rendering import Rendering
from .quality.text import Text
from .quality.words import (  # noqa: F401 - importable from here as before
    CALIBRATION_NOTE, DEFAULT_TEXT_ITEM, GREY_STYLE, LOG_RATIO, calibration_note, comparison_kind, default_text_item,
    describe_targets, headline_numbers,
    plan_targets, result_targets, _default_words,
)
from .workers import QualityWorker, SampleWorker


class QualityView(PartsTranslate, Building, Text, Measuring, Comparison, Methods, Rendering, Healed, QWidget):
    """Text, settings, Measure/Cancel with progress, and the result for the current plan.

    Assembled from the parts in ``gui/quality/`` (building the widgets, the text, measuring as a session job,
    the comparison of fewer heads against fewer layers, the methods table, rendering the state); this class
    holds the tab's signals and state."""

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
    healed_measured = Signal(object)  # ModelQuality of the plan's healed export

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
        self._build_healed()
        self._render()
