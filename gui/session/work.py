"""The long jobs' work, without threads or Qt: what a worker thread runs, callable from anywhere.

The window's QThread workers (``gui/workers.py``) and the session's plain runner both call these; each takes
``progress``/``cancelled`` callbacks and the core polls ``cancelled`` between layers or tensors.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from headmix.core.errors import Cancelled


#: one layer choice at a time: a worker that needs a plan's layers while another is choosing
#: them waits for that choice (and then finds it made) instead of running the text twice
_CHOOSING = threading.Lock()


def choose_layers(plan, progress=None, cancelled=None, reuse=(), waiting=None):
    """The plan on its chosen layers (``plan.final()``), from an earlier choice's scores when one of
    ``reuse`` (LayerReductions) answers the same question; run on a worker thread, never the GUI's.
    ``waiting()`` is called once if another choice (the window's own) must finish first."""
    cancelled = cancelled or (lambda: False)
    first = True
    while not _CHOOSING.acquire(timeout=0.05):
        if first and waiting is not None:
            waiting()
        first = False
        if cancelled():
            raise Cancelled("cancelled while waiting for another layer choice")
    try:
        if plan.reduction is not None:
            for earlier in reuse:
                if earlier is not plan.reduction and plan.reduction.reuse(earlier):
                    break
        return plan.final(progress, cancelled)
    finally:
        _CHOOSING.release()


class _CalibrationFollowers:
    """Everyone waiting on one plan's calibration walk (the previews, the export, a measurement): each hears its
    progress, and the walk stops only once every one of them has cancelled (it serves them all). It remembers
    the last step, so one who joins a walk under way hears at once how far it is."""

    def __init__(self):
        self.entries: list[tuple] = []
        self.last: tuple[int, int] | None = None

    def progress(self, done, total) -> None:
        self.last = (int(done), int(total))
        for report, _ in list(self.entries):
            report(int(done), int(total))

    def cancelled(self) -> bool:
        entries = list(self.entries)
        return bool(entries) and all(cancelled() for _, cancelled in entries)


_FOLLOWERS_LOCK = threading.Lock()


def calibration_steps(plan) -> int:
    """Steps of a plan's calibration walk: a first pass that scores the rotary pairs when the head size
    shrinks, then the layers (as the core's Calibrator counts them)."""
    return len(plan.arch.layers) * (2 if plan.reduces_rotary_pairs else 1)


@contextmanager
def following_calibration(plan, report, cancelled):
    """Hear ``plan``'s calibration walk (``report(done, total)``) while the block runs, and let ``cancelled`` stop it
    when no one else needs it. The core asks the plan's ``calibration_progress``/``calibration_cancelled``."""
    if plan is None or not plan.method.sequential or not plan.layers:
        yield
        return
    if all(plan.calibrated(i) for i in plan.layers):
        yield  # calibrated already: nothing will run
        return
    entry = (report, cancelled)
    with _FOLLOWERS_LOCK:
        followers = getattr(plan.calibration_progress, "__self__", None)
        if not isinstance(followers, _CalibrationFollowers):
            followers = _CalibrationFollowers()
            plan.calibration_progress, plan.calibration_cancelled = followers.progress, followers.cancelled
        followers.entries.append(entry)
        where = followers.last or (0, calibration_steps(plan))
    report(*where)
    failed = False
    try:
        yield
    except Cancelled:
        raise  # a cancelled walk goes on from where it stopped: the next follower hears that step at once
    except BaseException:
        failed = True
        raise
    finally:
        with _FOLLOWERS_LOCK:
            followers.entries.remove(entry)
            if failed and not followers.entries:
                followers.last = None  # a failed walk starts over


class Stages:
    """Turns the core's per-walk ``progress(done, total)`` into steps a user can read: the choice
    runs the text once to score the layers, and once more to refit them for ``fit``."""

    def __init__(self, plan, emit):
        self.emit = emit
        self.walks = 0
        self.fits = plan.reduction is not None and plan.reduction.method.value == "fit" and plan.reduction.data

    def __call__(self, done, total) -> None:
        stage = "fitting" if self.walks and self.fits else "scoring"
        self.emit(stage, int(done), int(total))
        if done >= total:
            self.walks += 1


def heal(export, source, options, progress, cancelled):
    """Heal the export at ``export`` towards ``source`` (None: the original its headmix.json names): the window's
    Heal stage and *File → Heal an export…* run this on a worker thread. ``progress(stage, done, total, loss)``
    hears the teacher's layers, each training step with its loss, and the writing; a cancel leaves the export as it
    was. Torch is imported by the core only here, inside the heal, never by the window."""
    from headmix.core.heal.run import heal_export

    return heal_export(export, source, options, progress=progress, cancelled=cancelled)


def measure_export(folder, sample, progress=None, cancelled=None):
    """The perplexity of the exported model in ``folder`` on ``sample`` (the Quality tab's text), by headmix's own
    evaluation path (``headmix eval``'s), so a healed export is measured as the shrunk plan is."""
    from headmix.core.io.checkpoint import open_checkpoint
    from headmix.core.run.quality import evaluate_model

    return evaluate_model(open_checkpoint(folder), sample, progress, cancelled)
