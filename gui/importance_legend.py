"""What the *Head importance* chart's colours mean under each method, said truthfully.

The bars are weight-norm scores. ``select`` keeps the heads with the highest ones; the calibrated
method keeps query heads by the energy they write on the calibration text, which is known only
once the layer is calibrated; mean, random and article keep no head as it is, they mix them all.
So the green bars are select's choice only under select: under calibrated they are the heads the
calibration kept, and under the mixing methods what select *would* keep, with the title saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from headmix.core.shrink.methods import Method


@dataclass(frozen=True)
class Colouring:
    kept: np.ndarray | None  # a bool per query head, or None: every bar in one colour
    title: str  # after "layer i: "
    keeps: str  # the legend's words for the green bars
    drops: str  # ... and for the grey ones


def colouring(plan, index: int) -> Colouring:
    """The chart's colouring for the plan's layer ``index`` (its index in ``plan``)."""
    n = plan.num_heads
    method = plan.method
    if method is Method.CALIBRATED:
        calibrator = plan._calibrator
        if calibrator is not None and calibrator.ready(index):
            kept = np.asarray(plan.mixing(index).q.heads != 0).any(axis=1)
            return Colouring(kept, f"green = kept by calibrated at {n} heads (by what they write on the calibration text)",
                             "calibrated keeps", "calibrated drops")
        return Colouring(None, "weight-norm scores; calibrated keeps heads by what they write on the calibration text "
                               "(coloured once this layer is calibrated)", "score", "")
    kept = plan.kept_by_select(index)
    if method is Method.SELECT:
        if kept is None:
            return Colouring(None, f"select cannot build {n} query heads over {plan.num_kv_heads} kv heads", "score", "")
        return Colouring(kept, f"green = kept by select at {n} heads", "select keeps", "select drops")
    if kept is None:
        return Colouring(None, f"weight-norm scores; {method} mixes every head, none is kept as it is", "score", "")
    return Colouring(kept, f"green = what select would keep at {n} heads; {method} mixes every head instead",
                     "select would keep", "select would drop")
