"""Long work off the GUI thread: a worker object with progress/finished/failed and a cancel flag.

Each worker lives on its own ``QThread`` (napari's and superqt's pattern, written out so the
signals carry 64-bit byte counts as Python ints and the cancel flag is a plain attribute the
core polls between tensors).
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from headmix.core.errors import Cancelled

from .session.jobs import Job, Jobs
from .session_words import session_text


class Worker(QObject):
    """The Qt side of one of the session's jobs: the job (``gui/session/jobs.py``) records how the work ended and
    lives in the session's list of running jobs; the worker runs it on a ``QThread`` and tells the window on the
    GUI thread, by signals, what the job reports."""

    progress = Signal(object, object)  # done, total (ints; may exceed 32 bits)
    finished = Signal(object)  # the result
    failed = Signal(str)  # a message for the user
    cancelled = Signal()
    kind = "work"  # the job's kind in the session's list (a new one of a kind cancels the one before)

    def __init__(self):
        super().__init__()
        self._cancel = threading.Event()
        self.thread: QThread | None = None
        self.job: Job | None = None

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def work(self):  # pragma: no cover - abstract
        raise NotImplementedError

    @Slot()
    def run(self) -> None:
        job = self.job
        try:
            job.run()  # records the result, the error or the cancel, and leaves the session's running jobs
            if job.was_cancelled:
                self.cancelled.emit()
            elif job.error is not None:
                self.failed.emit(session_text(job.error))  # a sentence of the session's, in the window's language
            else:
                self.finished.emit(job.result)
        finally:
            # End the thread from the thread itself. Connecting the result signals to
            # thread.quit would queue the quit to the GUI thread, so a GUI thread blocked in
            # wait() (closing the window) would wait for a quit that can never run.
            if self.thread is not None:
                self.thread.quit()  # QThread.quit is thread-safe

    def start(self, jobs: Jobs | None = None, kind: str | None = None) -> Worker:
        """Start this work as a job of ``jobs`` (the session's; a list of its own when None), on a new thread
        that ends when the work does.

        The worker (and with it its QThread) is kept alive in ``_RUNNING`` until the thread has
        really finished, so a window that drops its reference from the ``finished`` handler never
        destroys a running QThread. Nothing connected to the thread refers back to the worker: a
        Python reference held by a Qt connection is invisible to the garbage collector, and such a
        cycle kept every finished worker, its plan and a suspended calibration walk (with its
        reading thread) alive for the rest of the session (issue 18).
        """
        jobs = jobs if jobs is not None else Jobs()
        jobs.start(kind or self.kind, lambda progress, cancelled: self.work(), getattr(self, "plan", None),
                   runner=_OnQThread(self), cancel=self._cancel)
        return self

    def _launch(self) -> None:
        thread = QThread()
        self.thread = thread
        self.moveToThread(thread)
        thread.started.connect(self.run)
        key = id(self)
        _RUNNING[key] = self
        # emitted from the ending thread; the reaper lives on the GUI thread, so the worker is let go there
        thread.finished.connect(lambda: _REAPER.ended.emit(key))
        thread.start()

    def wait(self, msecs: int = 5000) -> bool:
        """Block until the thread has finished (used when the window closes); the work polls
        its cancel flag between tensors or layers, so after cancel() this is short."""
        return self.thread.wait(msecs) if self.thread is not None else True


class _OnQThread:
    """The session's runner for one worker: the job runs in the worker's ``run`` on its own QThread."""

    def __init__(self, worker: Worker):
        self.worker = worker

    def start(self, job: Job) -> None:
        self.worker.job = job  # before the thread starts: its run reads it at once
        self.worker._launch()


class _Reaper(QObject):
    """Lets a worker go once its thread has ended: on the GUI thread, after ``QThread.wait``, so the last
    reference never goes from inside the thread's own ``finished`` (destroying a QThread that still runs aborts)."""

    ended = Signal(object)

    def __init__(self):
        super().__init__()
        self.ended.connect(self._reap, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _reap(self, key: int) -> None:
        worker = _RUNNING.pop(key, None)
        if worker is not None and worker.thread is not None:
            worker.thread.wait()  # finished was its last act: this returns at once
        del worker
        give_back_freed_memory()


def give_back_freed_memory() -> None:
    """Return the heap's free pages to the system after a piece of work (glibc only; elsewhere nothing).

    A calibration or a measurement allocates and frees many arrays of a few MB; glibc's malloc raises its
    mmap threshold as they are freed, so later ones come from the heap, whose free pages it keeps: on
    SmolLM2-135M the process grew some 16 MB per calibration with nothing alive (flat with
    MALLOC_MMAP_THRESHOLD_ fixed). ``malloc_trim`` hands those pages back; it takes milliseconds.
    """
    if _TRIM is not None:
        _TRIM(0)


def _malloc_trim():
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
        return None


_TRIM = _malloc_trim()


_RUNNING: dict[int, Worker] = {}
_REAPER = _Reaper()


def running() -> list[Worker]:
    """Workers whose threads have not ended yet (the window waits for them before it lets the process go)."""
    return list(_RUNNING.values())


from .session.work import (  # noqa: F401 - the workers' Qt-free bodies, importable from here as before
    Stages, _CalibrationFollowers, calibration_steps, choose_layers, following_calibration)


class ChoiceWorker(Worker):
    """Chooses a plan's decoder layers (the calibration walk, or weight norms without a tokenizer),
    then reads the kept layers' head scores, so the window draws the final plan without reading weights.

    ``stage(what, done, total)``: "scoring" layers (done of total), "fitting" them (fit), "weights"
    (data-free scores, no count), "heads" (head scores of the output layers).
    """

    kind = "choice"

    stage = Signal(str, int, int)

    def __init__(self, plan, reuse=()):
        super().__init__()
        self.plan, self.reuse = plan, tuple(reuse)

    def work(self):
        if not self.plan.reduction.data:
            self.stage.emit("weights", 0, 0)
        final = choose_layers(self.plan, Stages(self.plan, self.stage.emit), self.is_cancelled, self.reuse)
        total = len(final.arch.layers)
        for n, layer in enumerate(final.arch.layers):
            if self.is_cancelled():
                raise Cancelled("layer choice cancelled")
            final.importance(layer.index)
            self.stage.emit("heads", n + 1, total)
        if final.layers and final.method.needs_scores and not final.method.sequential:
            final.kept_pairs  # noqa: B018 - select's model-wide pair choice, computed here, not on the GUI thread
        return final


class ExportWorker(Worker):
    """Writes the export; with fewer decoder layers it chooses them first (``choosing(done, total)``); a calibrated
    plan calibrates each layer as it is written (``calibrating(done, total)`` of the calibration walk)."""

    kind = "export"

    choosing = Signal(str, int, int)
    calibrating = Signal(int, int)

    def __init__(self, plan, out, force: bool = False, reuse=()):
        super().__init__()
        self.plan, self.out, self.force, self.reuse = plan, out, force, tuple(reuse)

    def work(self):
        from headmix.core.run.export import export

        plan = self.plan
        if plan.reduction is not None:
            if not plan.reduction.data:
                self.choosing.emit("weights", 0, 0)
            plan = choose_layers(plan, Stages(plan, self.choosing.emit), self.is_cancelled, self.reuse)
        self.exported = plan
        with following_calibration(plan, self.calibrating.emit, self.is_cancelled):
            return export(plan, self.out, force=self.force, progress=self.progress.emit, cancelled=self.is_cancelled)


class ImportanceWorker(Worker):
    """Scores every layer, reporting each as it is done so the tree fills in progressively."""

    kind = "importance"

    layer_done = Signal(int, object)

    def __init__(self, checkpoint, arch):
        super().__init__()
        self.checkpoint, self.arch = checkpoint, arch

    def work(self):
        from headmix.core.model.importance import layer_importance

        total = len(self.arch.layers)
        for n, layer in enumerate(self.arch.layers):
            if self.is_cancelled():
                raise Cancelled("importance cancelled")
            self.layer_done.emit(layer.index, layer_importance(self.checkpoint, layer))
            self.progress.emit(n + 1, total)
        return total


class CalibrationWorker(Worker):
    """Runs a calibrated plan's layer-by-layer walk up to one layer, so its matrices can be drawn.

    The plan's calibrator keeps what it computed, so the export and the quality check reuse it;
    progress is (layer, layers) of the walk.
    """

    kind = "calibration"

    def __init__(self, plan, index: int):
        super().__init__()
        self.plan, self.index = plan, index

    def work(self):
        with following_calibration(self.plan, self.progress.emit, self.is_cancelled):
            self.plan.mixing(self.index)
        return self.index


class SampleWorker(Worker):
    """Reads a text (None: headmix's default text) and tokenises it with the model's tokenizer.

    Finishes with a ``Sample``; a model without a tokenizer is not a failure but ``unavailable``
    (the quality check simply does not apply to it), reported with the core's message.
    """

    kind = "sample"

    unavailable = Signal(str)

    def __init__(self, checkpoint, path, settings):
        super().__init__()
        self.checkpoint, self.path, self.settings = checkpoint, path, settings

    def work(self):
        from headmix.core.io.text import prepare_text
        from headmix.core.io.text import QualityUnavailable, TextError, load_tokenizer, read_text

        try:
            try:
                text = read_text(self.path) if self.path is not None else None
            except TextError:
                load_tokenizer(self.checkpoint.folder)  # a model without a tokenizer says that first
                raise
            return prepare_text(self.checkpoint, text, self.settings)
        except QualityUnavailable as e:
            self.unavailable.emit(str(e))
            return None


class QualityWorker(Worker):
    """Runs the original and the plan's shrunk model side by side on a sample (core.run.quality.evaluate_plan).

    ``progress(done, total)``: ``done`` layers of ``total - 1`` are through, then the output head.
    With fewer decoder layers, ``stage`` says what runs: "scoring"/"fitting"/"weights" while the
    layers are chosen (their progress in ``choosing``), "measuring" the smaller model against itself
    unshrunk, then "original": the original model alone, for perplexity before (no count).
    """

    kind = "measure"

    stage = Signal(str)
    choosing = Signal(str, int, int)
    calibrating = Signal(int, int)  # a calibrated plan's walk, as it fits the layers the measurement reaches

    def __init__(self, plan, sample, key: str, reuse=()):
        super().__init__()
        self.plan, self.sample, self.key, self.reuse = plan, sample, key, tuple(reuse)

    def work(self):
        started = time.perf_counter()
        result = self._measure()
        result.seconds = time.perf_counter() - started  # from Measure to the result: choosing and calibrating too
        return result

    def _measure(self):
        from headmix.core.run.quality import evaluate_plan

        if self.plan.reduction is None:
            with following_calibration(self.plan, self.calibrating.emit, self.is_cancelled):
                return evaluate_plan(self.plan, self.sample, progress=self.progress.emit, cancelled=self.is_cancelled)
        self.stage.emit("choosing")
        if not self.plan.reduction.data:
            self.choosing.emit("weights", 0, 0)
        final = choose_layers(self.plan, Stages(self.plan, self.choosing.emit), self.is_cancelled, self.reuse,
                              waiting=lambda: self.choosing.emit("waiting", 0, 0))
        self.stage.emit("measuring")

        def progress(done, total):
            self.progress.emit(done, total)
            if done >= total:  # the smaller model is through; the original's perplexity follows, uncounted
                self.stage.emit("original")

        with following_calibration(final, self.calibrating.emit, self.is_cancelled):
            return evaluate_plan(self.plan, self.sample, progress=progress, cancelled=self.is_cancelled)
