"""The window's last few plans, so going back to targets it has shown reuses what was computed for them.

Toggling key/value heads 3 → 1 → 3 → 1, or Undo after a change, rebuilds a plan the window had a moment
ago; a calibrated plan would then fit its layers again from the first (issue 18). A plan is determined by
the checkpoint, the resolved request (the seed only where the method draws random numbers) and, when it
reads one, the calibration text's content; the same key gives back the same :class:`ShrinkRun`, with its
calibrated layers, its suspended walk and its layer choice.

Bounded: a suspended calibration walk holds the calibration tokens' activations and one layer read ahead,
so only ``size`` plans are kept, and the one let go is closed (its walk ends; a thread still using it, an
export say, walks again for what it lacks). The one let go is the one with the fewest calibrated layers (the
oldest of those), not simply the oldest: stepping through a few targets on the way (a spin box clicked down
30 → 25, each value a plan) must not push out the plan calibrated a minute earlier that Undo goes back to.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from headmix.core.run.shrink_run import ShrinkRun

#: the plan on screen and the two before it: enough for a toggle and an undo
SIZE = 3


def plan_key(plan: ShrinkRun, text_sha256: str | None) -> tuple:
    """What determines everything a plan computes: the model, the resolved targets, the calibration text."""
    request = plan.request.to_json()
    if plan.method.sequential:
        request.pop("seed", None)  # the calibrated method draws no random numbers
    resolved = (plan.num_heads, plan.num_kv_heads, plan.head_dim, plan.method.value, plan.layers,
                plan.resolved.num_layers)
    return (id(plan.source_checkpoint), json.dumps(request, sort_keys=True, default=str), resolved, text_sha256,
            repr(plan.calibration_options))


class RecentPlans:
    """An LRU of plans by :func:`plan_key`; :meth:`reuse` answers with the kept plan for an equal one."""

    def __init__(self, size: int = SIZE):
        self.size = size
        self._plans: OrderedDict[tuple, ShrinkRun] = OrderedDict()

    def __len__(self) -> int:
        return len(self._plans)

    def reuse(self, plan: ShrinkRun, text_sha256: str | None) -> ShrinkRun:
        """The kept plan equal to ``plan`` (then ``plan`` is dropped), else ``plan``, now kept."""
        key = plan_key(plan, text_sha256)
        kept = self._plans.get(key)
        if kept is not None:
            self._plans.move_to_end(key)
            return kept
        self._plans[key] = plan
        while len(self._plans) > self.size:
            older = list(self._plans)[:-1]  # never the plan just asked for
            key = min(older, key=lambda k: self._plans[k].calibrated_layers())  # min keeps the oldest of equals
            self._plans.pop(key).close()
        return plan

    def clear(self) -> None:
        """A new model (or none): every kept plan goes."""
        plans, self._plans = list(self._plans.values()), OrderedDict()
        for plan in plans:
            plan.close()
