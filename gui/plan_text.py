"""What a plan computed, in words for the line under the mixing title: the rotary pairs it keeps (and
how that compares with the other choice of pairs), and how well a calibrated layer fits.

Only what is already known is said: select's and the calibrated method's pairs are chosen from
scores that workers compute, so nothing here reads weights or runs text on the window's thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QLocale

from headmix.core.shrink.methods import Method, top
from headmix.core.model.rope import best_progression, progression
from headmix.core.plan.runtime_table import unread_by

from .formatting import format_error, runs

translate = QCoreApplication.translate


def pair_span(pairs) -> str:
    """``8–15``, ``0–30 step 2``, or a list with ranges (``0–2, 5, 9–11``) when the pairs form no progression."""
    pairs = [int(p) for p in pairs]
    found = progression(pairs)
    if found is not None and len(pairs) > 1:
        s, r = found
        return f"{s}–{pairs[-1]}" + (translate("PlanText", " step {step}").format(step=r) if r > 1 else "")
    return runs(pairs)


def known_pairs(plan) -> np.ndarray | None:
    """The plan's kept rotary pairs when they are known without reading weights or text (None otherwise)."""
    if not plan.reduces_rotary_pairs:
        return None
    if plan.method.chooses_pairs:
        return plan._kept_pairs  # chosen from scores a worker computes: known once it has
    return plan.kept_pairs  # evenly spaced: from the shapes alone


def _not_read_by(plan, rope_type: str) -> str:
    """``not llama.cpp or ollama create``: the runtimes (the runtime table's) that would not read ``rope_type``."""
    family = (plan.exported_family or plan.arch.family).name
    names = [_SHORT.get(r, r) for r in unread_by(family, rope_type, plan.has_sliding_layers)]
    return translate("PlanText", "not {runtimes}").format(runtimes=translate("PlanText", " or ").join(names)) if names else ""


_SHORT = {"llama.cpp / Ollama (GGUF)": "llama.cpp"}


def rotary_line(plan) -> str:
    """``Keeps rotary pairs 8–15 of 16 (progression: plain rope) · …`` ("" when no rotary pairs go): the kept pairs,
    and what the other choice would score and which runtimes it would lose (the runtime table's)."""
    pairs = known_pairs(plan)
    if pairs is None:
        return ""
    half, kept = plan.arch.head_dim // 2, len(pairs)
    any_subset = plan.request.rotary_pairs == "any"
    found = progression(pairs)
    if found is not None and found[0] > 0 and _not_read_by(plan, "linear"):
        kind = translate("PlanText", "progression from pair {pair}: a linear factor, {unread}").format(
            pair=found[0], unread=_not_read_by(plan, "linear"))
    elif found is not None:
        kind = (translate("PlanText", "progression: plain rope, no longrope needed") if any_subset
                else translate("PlanText", "progression: plain rope"))
    else:
        unread = _not_read_by(plan, "longrope")
        kind = (translate("PlanText", "any subset: longrope, {unread}").format(unread=unread) if unread
                else translate("PlanText", "any subset: longrope"))
    line = translate("PlanText", "Keeps rotary pairs {pairs} of {half} ({kind})").format(pairs=pair_span(pairs), half=half,
                                                                                          kind=kind)
    scores = plan.known_pair_scores()
    if scores is not None and kept < half:
        best_any = top(scores, kept)
        best_progression_pairs = best_progression(scores, kept, start_at_zero=plan.pairs_from_zero)
        any_score, progression_score = float(scores[best_any].sum()), float(scores[best_progression_pairs].sum())
        if found is None:
            share = 100 * progression_score / any_score if any_score > 0 else 100.0
            line += " · " + translate("PlanText", "the best progression, {pairs}, scores {percent} of these").format(
                pairs=pair_span(best_progression_pairs), percent=_percent(share))
        else:
            if progression(np.sort(best_any)) is None and "longrope" in plan.arch.family.rope_types:
                more = 100 * (any_score / progression_score - 1) if progression_score > 0 else 0.0
                unread = _not_read_by(plan, "longrope")
                line += " · " + (translate("PlanText", "any subset would score {percent} more (longrope: {unread})")
                                 if unread else translate("PlanText", "any subset would score {percent} more (longrope)")
                                 ).format(percent=_percent(more), unread=unread)
            offset = best_progression(scores, kept)
            offset_score = float(scores[offset].sum())
            if plan.pairs_from_zero and offset[0] > 0 and offset_score > progression_score:
                more = 100 * (offset_score / progression_score - 1) if progression_score > 0 else 0.0
                line += " · " + translate("PlanText", "from pair {pair}, {pairs} would score {percent} more (a linear "
                                                      "factor: {unread})").format(
                    pair=int(offset[0]), pairs=pair_span(offset), percent=_percent(more), unread=_not_read_by(plan, "linear"))
    return line


def _percent(value: float) -> str:
    return QLocale().toString(value, "f", 1 if abs(value) < 10 else 0) + "%"


def fit_line(plan, index: int) -> str:
    """How the calibrated layer fits the original on the calibration text ("" when not calibrated yet)."""
    fit = plan.calibration_fit(index) if plan.method is Method.CALIBRATED else None
    if fit is None:
        return ""
    how = (translate("PlanText", "output projection refitted") if fit.refitted
           else translate("PlanText", "refit not kept: it did not help"))
    return translate("PlanText", "calibration fit error {before} → {after} ({how})").format(
        before=format_error(fit.error_before_fit), after=format_error(fit.error), how=how)


def status_line(plan, index: int) -> str:
    """The line under the mixing title for layer ``index`` of ``plan`` (a changed layer)."""
    return " · ".join(part for part in (rotary_line(plan), fit_line(plan, index)) if part)


def calibration_text(plan, done: int, total: int, upto: int | None = None) -> str:
    """``calibrating: layer 3 of 16`` of a calibration walk at ``done`` of ``total`` steps (a first pass scores the
    rotary pairs when the head size shrinks, so the walk then has twice as many steps as layers).

    ``upto``: the walk stops after that many layers (the preview's, at the layer on screen), and says so:
    ``calibrating layers 1–3 of 16 (up to the layer shown): layer 2``."""
    layers = len(plan.arch.layers)
    part = upto is not None and upto < layers
    if total <= 0:
        return translate("PlanText", "calibrating: reading the calibration text")
    if total == 2 * layers and done < layers:
        then = translate("PlanText", ", then layers 1–{upto}").format(upto=upto) if part else ""
        return translate("PlanText", "calibrating: scoring rotary pairs, layer {layer} of {layers}{then}").format(
            layer=min(done + 1, layers), layers=layers, then=then)
    step = done - (total - layers)
    if part:
        if step < upto:
            return translate("PlanText", "calibrating layers 1–{upto} of {layers} (up to the layer shown): layer {layer}"
                             ).format(upto=upto, layers=layers, layer=step + 1)
        return translate("PlanText", "calibrated layers 1–{upto} of {layers}").format(upto=upto, layers=layers)
    if step < layers:
        return translate("PlanText", "calibrating: layer {layer} of {layers}").format(layer=min(step + 1, layers),
                                                                                      layers=layers)
    # (a count in a module-level function: lupdate marks plurals only in self.tr, so no "%n" here)
    return translate("PlanText", "layers calibrated: {layers}").format(layers=layers)


def layers_up_to(plan, index: int) -> int:
    """How many layers a walk goes through to reach layer ``index`` (layers are walked in the model's order)."""
    order = [layer.index for layer in plan.arch.layers]
    return order.index(index) + 1 if index in order else len(order)
