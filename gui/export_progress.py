"""What the export's progress bar and the line under it say, stage by stage, with an honest time left.

An export runs up to three stages: choosing the decoder layers (fewer layers), calibrating the layers (the
calibrated method fits each layer just before it is written), and writing. Their costs have nothing in
common: a calibrated layer takes seconds while its bytes take milliseconds, and the first bytes (the
embeddings) are copied file to file at disk speed. One estimate from the bytes therefore said "0:01 left"
during the calibration and then climbed to minutes. Here each stage is estimated from its own rate, only
once it has finished a step and run a moment, and the estimate counts down: within a stage it never goes
up unless the work has really slowed down (by more than a third), and a stage of unknown length says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from headmix.core.model.inspection import human_bytes

from .layers_view import stage_text

translate = QCoreApplication.translate

#: an estimate is shown once its stage has run this long (seconds) and finished a step
SETTLE = 1.0
#: a countdown that falls this far below what the rate says is corrected upwards (the work slowed down)
SLOWER = 0.65


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class Shown:
    """What the widgets show: the bar's range, value and text, the line under it, and the tooltip."""

    maximum: int  # 0: busy, no count
    value: int
    bar: str
    label: str
    tooltip: str


class _Countdown:
    """Time left in one stage from its rate, counting down between updates, never jumping up without cause."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.started = clock()
        self.shown: tuple[float, float] | None = None  # (remaining, at time)

    def update(self, done: float, total: float) -> float | None:
        now = self.clock()
        elapsed = now - self.started
        if done <= 0 or total <= 0 or elapsed < SETTLE:
            return None
        raw = elapsed / done * max(total - done, 0)
        if self.shown is not None:
            remaining, at = self.shown
            counted = max(remaining - (now - at), 0.0)
            if counted >= SLOWER * raw:
                raw = min(raw, counted)
        self.shown = (raw, now)
        return raw


class ExportProgress:
    """Turns the export worker's reports (``choosing``, ``calibrating``, ``progress`` in bytes) into :class:`Shown`."""

    def __init__(self, calibration_words: Callable[[int, int], str], clock: Callable[[], float] = lambda: time.monotonic(),
                 layers: Callable[[], int] | None = None):
        self.clock = clock
        self.words = calibration_words  # plan_text.calibration_text for the exported plan
        self.layers = layers  # the exported plan's layer count: a walk of twice as many steps has two passes
        self.started = clock()
        self.stage = "starting"
        self._countdown: _Countdown | None = None
        self._key = None
        self.bytes = (0, 0)
        self.calibration = (0, 0)
        self.calibrating = False

    def _stage(self, key) -> _Countdown:
        if key != self._key:
            self._key, self._countdown = key, _Countdown(lambda: self.clock())
        return self._countdown

    def _times(self, remaining: float | None, known: bool = True) -> tuple[str, str]:
        """(for the line: "0:20 left", "estimating…" or "no estimate"; for the tooltip: the same, with the time so far)."""
        elapsed = format_duration(self.clock() - self.started)
        if remaining is not None:
            left = format_duration(remaining)
            return (translate("ExportProgress", "{left} left").format(left=left),
                    translate("ExportProgress", "Elapsed {elapsed}; about {left} left in this stage.").format(
                        elapsed=elapsed, left=left))
        if not known:
            return (translate("ExportProgress", "no estimate"),
                    translate("ExportProgress", "Elapsed {elapsed}; this stage's length is not known beforehand, so no time "
                                                "left is given.").format(elapsed=elapsed))
        return (translate("ExportProgress", "estimating…"),
                translate("ExportProgress", "Elapsed {elapsed}; the time left is estimated once this stage has done a "
                                            "step.").format(elapsed=elapsed))

    def choosing(self, stage: str, done: int, total: int) -> Shown:
        """Fewer decoder layers: the layers are chosen (scoring, fitting; or from the weights, no count) first."""
        self.stage = "choosing"
        what = stage_text(stage, done, total)
        counted = stage in ("scoring", "fitting") and total > 0
        remaining = self._stage(("choosing", stage)).update(done, total) if counted else None
        times, tip = self._times(remaining, known=counted)
        text = translate("ExportProgress", "choosing layers first: {what}").format(what=what)
        return Shown(total if counted else 0, done if counted else 0,
                     text if counted else translate("ExportProgress", "choosing layers"), f"{text} · {times}",
                     translate("ExportProgress", "{what}; the export writes once the layers are chosen. {times}").format(
                         what=text, times=tip))

    def on_calibrating(self, done: int, total: int) -> Shown:
        """A step of the calibration walk (``done`` of ``total``)."""
        self.calibration = (done, total)
        self.calibrating = done < total
        return self.shown()

    def on_bytes(self, done: int, total: int) -> Shown:
        self.bytes = (done, total)
        return self.shown()

    def shown(self) -> Shown:
        written, size = self.bytes
        bytes_text = (translate("ExportProgress", "{written} of {size}").format(written=human_bytes(written),
                                                                                 size=human_bytes(size))
                      if size else translate("ExportProgress", "nothing yet"))
        if self.calibrating:
            self.stage = "calibrating"
            done, total = self.calibration
            words = self.words(done, total)  # "calibrating: layer 3 of 16"
            # a walk that first scores the rotary pairs has two passes of different pace: each is a stage of its own
            layers = self.layers() if self.layers is not None else total
            two = total == 2 * layers
            first = two and done < layers
            step, steps = (done, layers) if first else (done - (total - layers), layers) if two else (done, total)
            remaining = self._stage(("calibrating", first)).update(step, steps)
            times, tip = self._times(remaining)
            # "calibrating layer 3 of 16" on the bar (the translation may word both alike)
            bar = words.replace(translate("ExportProgress", "calibrating: "), translate("ExportProgress", "calibrating "))
            return Shown(max(total, 1), done, bar, f"{bar} · {times}",
                         translate("ExportProgress", "{what}: each layer is calibrated just before it is written ({bytes} "
                                                     "written so far). {times}").format(what=words, bytes=bytes_text,
                                                                                        times=tip))
        self.stage = "writing"
        if not size:
            return Shown(0, 0, translate("ExportProgress", "starting"), translate("ExportProgress", "starting…"),
                         translate("ExportProgress", "The export is starting"))
        # the writing stage counts from the bytes it found when it began (after any calibration)
        countdown = self._stage("writing")
        if not hasattr(countdown, "base"):
            countdown.base = written
        remaining = countdown.update(written - countdown.base, size - countdown.base)
        times, tip = self._times(remaining)
        text = translate("ExportProgress", "writing {bytes}").format(bytes=bytes_text)
        return Shown(1000, int(1000 * written / size), translate("ExportProgress", "writing %p%"), f"{text} · {times}",
                     translate("ExportProgress", "{what}. {times}").format(what=text, times=tip))
