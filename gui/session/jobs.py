"""The session's running jobs and their lifetimes: start, cancel, close, with the thread runner injected.

A job is a function ``work(progress, cancelled)``; a runner runs it somewhere and reports back. The window
injects one on ``QThread`` workers (``gui/workers.py``); tests and scripts use :class:`ThreadRunner` (a plain
``threading.Thread``) or run jobs inline. The session never waits on a job while it holds anything: closing
cancels every job (the core polls ``cancelled`` between layers) and, when asked, waits for their threads.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from headmix.core.errors import Cancelled, HeadmixError

from .events import Event
from .words import Words

Work = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]


class Job:
    """One piece of long work: its kind ("calibration", "choice", …), what it works on, its cancel flag and
    how it ended (``result``, ``error`` or ``cancelled``)."""

    def __init__(self, kind: str, work: Work, subject: Any = None, cancel: threading.Event | None = None):
        self.kind, self.work, self.subject = kind, work, subject
        self._cancel = cancel if cancel is not None else threading.Event()  # a Qt worker shares its own flag
        self.done = threading.Event()
        self.result: Any = None
        self.error: str | None = None
        self.was_cancelled = False
        self.progress = Event("progress")  # (done, total), on the thread the work runs on
        self.ended = Event("ended")  # (job), once, whichever way it ended

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        """Run the work here and now, recording how it ended (a runner calls this on its thread)."""
        try:
            self.result = self.work(self.progress.emit, self.is_cancelled)
        except Cancelled:
            self.was_cancelled = True
        except HeadmixError as e:
            self.error = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], Words) else str(e)
        except Exception as e:  # a bug: reported, never a silent dead thread
            traceback.print_exc()
            self.error = Words("internal error: {kind}: {message}", kind=type(e).__name__, message=str(e))
        finally:
            self.done.set()
            self.ended.emit(self)

    def wait(self, seconds: float | None = None) -> bool:
        return self.done.wait(seconds)

    def __repr__(self) -> str:
        state = "running" if not self.done.is_set() else (
            "cancelled" if self.was_cancelled else "failed" if self.error else "finished")
        return f"Job({self.kind!r}, {state})"


class Runner(Protocol):
    def start(self, job: Job) -> None:
        """Begin running ``job.run()`` (on another thread, or at once)."""


class InlineRunner:
    """Runs each job at once on the caller's thread: for tests and scripts that want no threads."""

    def start(self, job: Job) -> None:
        job.run()


class ThreadRunner:
    """Runs each job on a plain daemon thread (the window's runner uses a QThread instead)."""

    def start(self, job: Job) -> None:
        threading.Thread(target=job.run, name=f"headmix-{job.kind}", daemon=True).start()


class Jobs:
    """Every job still running, by kind, obsolete ones too: the current one of a kind is the last started;
    starting another of the same kind cancels the one before (its subject is gone)."""

    def __init__(self, runner: Runner | None = None):
        self.runner = runner or ThreadRunner()
        self._lock = threading.Lock()
        self._running: list[Job] = []
        self.current: dict[str, Job] = {}
        self.started = Event("started")  # (job)
        self.ended = Event("ended")  # (job), on the thread the job ran on

    def start(self, kind: str, work: Work, subject: Any = None, runner: Runner | None = None,
              cancel: threading.Event | None = None) -> Job:
        """Run ``work`` as the current job of ``kind`` (on ``runner``, else the session's); ``cancel`` is the flag
        a Qt worker already polls, so cancelling the job and the worker is one act."""
        self.cancel(kind)
        job = Job(kind, work, subject, cancel)
        job.ended.connect(self._ended)
        with self._lock:
            self._running.append(job)
            self.current[kind] = job
        self.started.emit(job)
        (runner or self.runner).start(job)
        return job

    def _ended(self, job: Job) -> None:
        with self._lock:
            if job in self._running:
                self._running.remove(job)
            if self.current.get(job.kind) is job:
                del self.current[job.kind]
        self.ended.emit(job)

    def cancel(self, kind: str) -> Job | None:
        """Cancel the current job of ``kind`` (it ends when the core next polls); returns it, or None."""
        with self._lock:
            job = self.current.pop(kind, None)
        if job is not None:
            job.cancel()
        return job

    def running(self, *kinds: str) -> list[Job]:
        """The jobs still running (of these kinds; of every kind when none is given), obsolete ones too."""
        with self._lock:
            return [j for j in self._running if not kinds or j.kind in kinds]

    def close(self, wait: float | None = 5.0) -> bool:
        """Cancel every job; with ``wait`` seconds, wait for them to end. True when none is left running."""
        for job in self.running():
            job.cancel()
        with self._lock:
            self.current.clear()
        if wait is not None:
            for job in self.running():
                job.wait(wait)
        return not self.running()
