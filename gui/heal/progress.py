"""What the export's progress bar and the line under it say while a heal runs, stage by stage, with a time left.

A heal has three stages of unrelated pace (core/heal/run.py): the teacher (the original model's next-token
targets, layer by layer, then the output head), training (optimiser steps, each with its loss) and writing the
healed weights. Each is estimated from its own rate, as the export's stages are (:mod:`..export_progress`).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale

from ..export_progress import ExportProgress, Shown

translate = QCoreApplication.translate


def format_loss(loss: float) -> str:
    return QLocale().toString(float(loss), "g", 4)


class HealProgress(ExportProgress):
    """Turns the heal's ``progress(stage, done, total, loss)`` into :class:`~..export_progress.Shown`, with the
    export's countdown (each stage its own rate, never jumping up without cause) and its time words."""

    def __init__(self, clock=None):
        if clock is None:
            super().__init__(lambda done, total: "")
        else:
            super().__init__(lambda done, total: "", clock)
        self.stage = "healing"
        self.loss: float | None = None

    def on_step(self, stage: str, done: int, total: int, loss: float | None) -> Shown:
        self.stage = stage
        if loss is not None:
            self.loss = float(loss)
        remaining = self._stage(("heal", stage)).update(done, total) if stage != "write" else None
        times, tip = self._times(remaining, known=stage != "write")
        if stage == "teacher":
            bar = translate("HealProgress", "healing: teacher {done} of {total}").format(done=done, total=total)
            why = translate("HealProgress", "The original model's next-token predictions on the calibration text, "
                                            "computed once, layer by layer, then its output head.")
        elif stage == "train":
            bar = translate("HealProgress", "training step {step} of {steps}").format(step=done, steps=total)
            if self.loss is not None:
                bar = translate("HealProgress", "training step {step} of {steps} — loss {loss}").format(
                    step=done, steps=total, loss=format_loss(self.loss))
            why = translate("HealProgress", "The smaller model learns to predict what the original predicts (the "
                                            "loss is the KL divergence to it; lower is closer).")
        else:
            bar = translate("HealProgress", "healing: writing the healed weights")
            why = translate("HealProgress", "The healed weights replace the export's only now, and only if the "
                                            "held-out loss improved.")
            total, done = 0, 0
        return Shown(max(total, 0), max(done, 0), bar, f"{bar} · {times}", f"{why} {tip}")
