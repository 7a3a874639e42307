"""The session: one open model, the targets and their history, presets, the current run and the running jobs.

What the window shows is drawn from here, and what the user does is handed here; nothing in this package
imports Qt, so a session runs (and is tested) without a QApplication. The window subscribes to its events.
"""

from __future__ import annotations

from pathlib import Path

from headmix.core.errors import HeadmixError
from headmix.core.io.checkpoint import Checkpoint, open_checkpoint
from headmix.core.model.architecture import Architecture, detect
from headmix.core.plan import presets as preset_store
from headmix.core.plan.request import Request
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.shrink.layer_removal import default_layer_method
from headmix.core.shrink.methods import Method

from ..recent_plans import RecentPlans
from .events import Event
from .jobs import Job, Jobs, Runner
from .undo import Change, UndoStack
from .words import Words
from .work import choose_layers, following_calibration


class Session:
    """The window's state without the window.

    ``opened(checkpoint, arch)``, ``closed()``, ``values_changed(values)`` (the targets, as the targets panel
    holds them: see :meth:`TargetsPanel.values`), ``run_changed(run)``; ``undo.changed`` and ``jobs.started``/
    ``jobs.ended`` come from the undo stack and the jobs. The thread runner is injected (the window's runs
    jobs on QThreads).
    """

    def __init__(self, runner: Runner | None = None):
        self.checkpoint: Checkpoint | None = None
        self.arch: Architecture | None = None
        self.has_tokenizer = False
        self.values: dict | None = None  # the targets last set (the undo stack's current state)
        self.run: ShrinkRun | None = None
        self.recent_runs = RecentPlans()  # going back to targets just shown reuses their run (and its calibration)
        self.undo = UndoStack(self._restore)
        self.jobs = Jobs(runner)
        self.restoring = False  # values being set by undo/redo, not a new change
        self.opened = Event("opened")
        self.closed = Event("closed")
        self.values_changed = Event("values_changed")
        self.run_changed = Event("run_changed")

    # ------------------------------------------------------------------ the open model

    def open(self, path: str | Path) -> tuple[Checkpoint, Architecture]:
        """Open a checkpoint from its headers and detect its architecture, once; on bad input raise
        :class:`HeadmixError` and keep what was open."""
        checkpoint = open_checkpoint(path)
        arch = detect(checkpoint)
        self._let_go()
        self.checkpoint, self.arch = checkpoint, arch
        self.has_tokenizer = False
        if arch.usable:
            from headmix.core.io.text import has_tokenizer

            self.has_tokenizer = (checkpoint.folder / "config.json").is_file() and has_tokenizer(checkpoint.folder)
        self.opened.emit(checkpoint, arch)
        return checkpoint, arch

    def close(self, wait: float | None = 5.0) -> bool:
        """Cancel every job and let the model go; True when no job is left running."""
        ended = self.jobs.close(wait)
        self._let_go()
        self.checkpoint = self.arch = None
        self.has_tokenizer = False
        self.closed.emit()
        return ended

    def _let_go(self) -> None:
        for kind in list(self.jobs.current):
            self.jobs.cancel(kind)
        self.recent_runs.clear()
        self.set_run(None)
        self.undo.clear()
        self.values = None

    @property
    def usable(self) -> bool:
        return self.arch is not None and self.arch.usable

    # ------------------------------------------------------------------ targets and their history

    def initial_values(self, method: str | None = None, seed: int = 0) -> dict:
        """The open model's own shape, as targets: every head, every layer, the model's default methods."""
        a = self.arch
        if a is None or not a.usable:
            raise HeadmixError(Words("no model whose attention headmix recognises is open"))
        return {"heads": a.num_heads, "kv_heads": a.num_kv_heads, "head_dim": a.head_dim,
                "method": method or Request().method_for(self.has_tokenizer).value, "seed": seed, "layers": "all",
                "num_layers": a.num_layers, "layer_method": default_layer_method(a, self.has_tokenizer).value,
                "rotary_pairs": "progression", "calib_text": None, "calib_tokens": 4096}

    def set_values(self, values: dict) -> None:
        """The targets are now ``values``: recorded as one undoable change (unless undo/redo set them, or
        they are the first values after opening), and told to every view."""
        before, self.values = self.values, dict(values)
        if not self.restoring and before is not None and before != values:
            self.undo.push(Change(before, values))
        self.values_changed.emit(dict(values))

    def _restore(self, values: dict) -> None:
        self.restoring = True
        try:
            self.set_values(values)
        finally:
            self.restoring = False

    def request_for(self, v: dict) -> Request:
        """The request for a set of targets (see :meth:`TargetsPanel.values`)."""
        fewer = self.arch is not None and v["num_layers"] < self.arch.num_layers
        # settings that nothing reads for these targets stay at their defaults (the command, presets and
        # the quality cache see only what matters)
        pairs = v["rotary_pairs"] if self.rotary_pairs_use(v)[0] else "progression"
        calibrates = self.calibration_use(v)[0]
        return Request(v["heads"], v["kv_heads"], v["head_dim"], Method(v["method"]), v["seed"], v["layers"],
                       rotary_pairs=pairs, calib_text=v["calib_text"] if calibrates else None,
                       calib_tokens=v["calib_tokens"] if calibrates else 4096,
                       num_layers=v["num_layers"] if fewer else None, layer_method=v["layer_method"] if fewer else None)

    def rotary_pairs_use(self, v: dict) -> tuple[bool, str]:
        """Whether the rotary pairs choice matters for these values, and why not."""
        a = self.arch
        if a is None or not a.usable or not a.layers:
            return False, Words("no model")
        if not a.layers[0].rotary_pairs:
            return False, (Words("this model has no rotary embeddings") if a.rope is None
                           else Words("this model rotates only part of each head, so its head size does not shrink by "
                                      "pairs"))
        if "longrope" not in a.family.rope_types:
            return False, Words("{family} loads only a plain rope, so a smaller head size keeps a progression of pairs",
                                family=a.family.title)
        if v["head_dim"] >= a.head_dim:
            return False, Words("the head size does not shrink")
        if v["method"] == Method.ARTICLE.value:
            return False, Words("article mixes rotary dims instead of keeping pairs")
        return True, ""

    def calibration_use(self, v: dict) -> tuple[bool, str]:
        """Whether anything reads the calibration text for these values (the calibrated method, or the
        choice of decoder layers with a tokenizer), and why not."""
        if self.arch is None or not self.arch.usable:
            return False, Words("no model")
        if not self.has_tokenizer:
            return False, Words("this model has no tokenizer.json to read a text with")
        if v["method"] == Method.CALIBRATED.value or v["num_layers"] < self.arch.num_layers:
            return True, ""
        return False, Words("only the calibrated method and fewer decoder layers read it")

    # ------------------------------------------------------------------ presets

    def preset_values(self, preset: preset_store.Preset) -> dict:
        """The targets a preset asks of the open model (raises :class:`HeadmixError` when it does not fit)."""
        if not self.usable:
            raise HeadmixError(Words("Open a checkpoint whose attention headmix recognises first."))
        r = preset.request.resolve(self.arch, self.has_tokenizer)
        return {"heads": r.num_heads, "kv_heads": r.num_kv_heads, "head_dim": r.head_dim, "method": r.method.value,
                "seed": r.seed, "layers": r.layers_text, "num_layers": r.num_layers or self.arch.num_layers,
                "layer_method": preset.request.layer_method or default_layer_method(self.arch, self.has_tokenizer).value,
                "rotary_pairs": preset.request.rotary_pairs, "calib_text": preset.request.calib_text,
                "calib_tokens": preset.request.calib_tokens}

    def apply_preset(self, preset: preset_store.Preset) -> dict:
        """Set the targets a preset asks of the open model (one undoable change); returns them."""
        values = self.preset_values(preset)
        self.set_values(values)
        return values

    def current_preset(self, name: str, fractions: bool = False) -> preset_store.Preset:
        """The current targets as a preset; with ``fractions`` its targets are fractions of this model's shape."""
        request = self.request_for(self.values)
        if fractions and self.arch is not None:
            request = request.relative_to(self.arch)
        return preset_store.Preset(name=name, request=request)

    def save_preset(self, name: str, fractions: bool = False) -> Path:
        """Save the current targets as the user's preset ``name`` (replacing one of that name: the window asks
        first); a built-in preset's name is refused with :class:`HeadmixError`."""
        if self.values is None:
            raise HeadmixError(Words("no targets to save: open a model whose attention headmix recognises first"))
        return preset_store.save_user(self.current_preset(name, fractions))

    # ------------------------------------------------------------------ the current run

    def build_run(self, values: dict | None = None, importance: dict | None = None,
                  text_sha256: str | None = None) -> ShrinkRun:
        """The run for these targets: an equal recent one (with what it computed) or a new one, now kept."""
        run = ShrinkRun.build(self.checkpoint, self.request_for(values if values is not None else self.values),
                              arch=self.arch, importance=importance)
        return self.recent_runs.reuse(run, text_sha256)

    def set_run(self, run: ShrinkRun | None) -> None:
        if run is not self.run:
            self.run = run
            self.run_changed.emit(run)

    # ------------------------------------------------------------------ jobs

    def start_calibration(self, run: ShrinkRun, index: int) -> Job:
        """Calibrate ``run`` up to layer ``index`` (its matrices then draw at once); progress is the walk's."""

        def work(progress, cancelled):
            with following_calibration(run, progress, cancelled):
                run.mixing(index)
            return index

        return self.jobs.start("calibration", work, run)

    def start_choice(self, run: ShrinkRun, reuse=()) -> Job:
        """Choose ``run``'s decoder layers (fewer decoder layers); the job's result is the run on the kept layers."""

        def work(progress, cancelled):
            return choose_layers(run, lambda done, total: progress(done, total), cancelled, reuse)

        return self.jobs.start("choice", work, run)
