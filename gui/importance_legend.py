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
from PySide6.QtCore import QCoreApplication

from headmix.core.shrink.methods import Method

translate = QCoreApplication.translate


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
        if plan.calibrated(index):
            kept = np.asarray(plan.mixing(index).q.heads != 0).any(axis=1)
            return Colouring(kept, translate("ImportanceLegend", "green = kept by calibrated at {n} heads (by what they "
                                                                 "write on the calibration text)").format(n=n),
                             translate("ImportanceLegend", "calibrated keeps"),
                             translate("ImportanceLegend", "calibrated drops"))
        return Colouring(None, translate("ImportanceLegend", "weight-norm scores; calibrated keeps heads by what they write "
                                                             "on the calibration text (coloured once this layer is "
                                                             "calibrated)"), _score(), "")
    kept = plan.kept_by_select(index)
    if method is Method.SELECT:
        if kept is None:
            return Colouring(None, translate("ImportanceLegend", "select cannot build {n} query heads over {kv} kv "
                                                                 "heads").format(n=n, kv=plan.num_kv_heads), _score(), "")
        return Colouring(kept, translate("ImportanceLegend", "green = kept by select at {n} heads").format(n=n),
                         translate("ImportanceLegend", "select keeps"), translate("ImportanceLegend", "select drops"))
    if kept is None:
        return Colouring(None, translate("ImportanceLegend", "weight-norm scores; {method} mixes every head, none is kept "
                                                             "as it is").format(method=method), _score(), "")
    return Colouring(kept, translate("ImportanceLegend", "green = what select would keep at {n} heads; {method} mixes every "
                                                         "head instead").format(n=n, method=method),
                     translate("ImportanceLegend", "select would keep"), translate("ImportanceLegend", "select would drop"))


def _score() -> str:
    return translate("ImportanceLegend", "score")
