"""What can be built: the rules that make a head shape valid, and the values each control may offer.

:func:`check` refuses an impossible shape with a message for the control it belongs to;
:func:`choices` lists the values a control may take given the others, which both the
window's spin boxes and :func:`request.resolve`'s snapping use, so the two cannot disagree.
"""

from __future__ import annotations

import re

from ..model.architecture import Layer
from ..errors import TargetError
from .methods import Method
from ..model.rope import SUPPORTED_TYPES


def parse_layers(spec: str | None, num_layers: int) -> tuple[int, ...] | None:
    """``"0-11,20"`` -> (0, ..., 11, 20); None, "" or "all" -> None (every layer)."""
    if spec is None or spec.strip().lower() in ("", "all"):
        return None
    layers: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            raise TargetError(
                f"layers: '{part}' is not a layer number or a range; this model has layers "
                f"{layer_range(num_layers)}, e.g. '{layer_example(num_layers)}' or 'all'",
                field="layers",
            )
        lo, hi = int(m[1]), int(m[2] or m[1])
        if lo > hi:
            raise TargetError(f"layers: range '{part}' runs backwards", field="layers")
        if hi >= num_layers:
            raise TargetError(f"layers: the model has layers {layer_range(num_layers)}; '{part}' is outside", field="layers")
        layers.update(range(lo, hi + 1))
    return tuple(sorted(layers))


def layer_range(num_layers: int) -> str:
    """The model's own layer numbers, as a user would type them: ``0-3`` (or ``0``)."""
    return "0" if num_layers <= 1 else f"0-{num_layers - 1}"


def layer_example(num_layers: int) -> str:
    """An example entry that fits this model: its first half, e.g. ``0-1`` for four layers."""
    return "0" if num_layers <= 2 else f"0-{num_layers // 2 - 1}"


def format_layers(layers: tuple[int, ...] | None) -> str:
    if layers is None:
        return "all"
    runs, start = [], None
    for i, layer in enumerate(layers):
        if start is None:
            start = layer
        if i + 1 == len(layers) or layers[i + 1] != layer + 1:
            runs.append(str(start) if start == layer else f"{start}-{layer}")
            start = None
    return ",".join(runs)


def check(layer: Layer, heads: int, kv: int, d: int, method: Method) -> None:
    """Raise :class:`TargetError`, naming the control, unless these targets can be built."""
    nq, nkv, hd = layer.num_heads, layer.num_kv_heads, layer.head_dim
    family = layer.family
    for value, field, label in ((heads, "heads", "query heads"), (kv, "kv_heads", "key/value heads"), (d, "head_dim", "head size")):
        if type(value) is not int or value < 1:
            raise TargetError(f"{label} must be a positive whole number, not {value!r}", field=field)
    if heads > nq:
        raise TargetError(f"query heads: {heads} is more than the model's {nq}; headmix only shrinks", field="heads")
    if kv > nkv:
        raise TargetError(f"key/value heads: {kv} is more than the model's {nkv}; headmix only shrinks", field="kv_heads")
    if d > hd:
        raise TargetError(f"head size: {d} is more than the model's {hd}; headmix only shrinks", field="head_dim")
    if not family.grouped_query and kv != heads:
        raise TargetError(
            f"key/value heads: {family.title} has no grouped-query attention, so kv heads must equal query heads ({heads})",
            field="kv_heads",
        )
    if heads % kv:
        raise TargetError(f"key/value heads: {kv} does not divide the {heads} query heads", field="kv_heads")
    # Every new kv head is built from a group of old ones (or one kept head); its new query
    # heads can only come from the query heads reading that group (design note, rule 4).
    smallest_group = nq // nkv if method.selects_kv(layer) else (nkv // kv) * (nq // nkv)
    if heads // kv > smallest_group:
        raise TargetError(
            f"query heads: {heads} query heads over {kv} key/value heads needs {heads // kv} per kv head, "
            f"but each kv head group only reaches {smallest_group} old query heads; lower the query heads "
            f"or raise the kv heads",
            field="heads",
        )
    partial_rotary = layer.rope is not None and 0 < layer.rope.rotary_dim < hd
    if partial_rotary and method is Method.CALIBRATED and kv != nkv:
        raise TargetError(
            f"key/value heads: this model rotates only {layer.rope.rotary_dim} of {hd} dims (partial_rotary_factor); "
            "the calibrated merge handles fully rotary heads only, so use mean or select here",
            field="kv_heads",
        )
    if d != hd and layer.rope is not None:
        if partial_rotary:
            raise TargetError(
                f"head size: this model rotates only {layer.rope.rotary_dim} of {hd} dims "
                "(partial_rotary_factor); headmix cannot yet reduce its head size",
                field="head_dim",
            )
        if layer.rotary_pairs and d % 2:
            raise TargetError(f"head size: {d} is odd; rotary embeddings need whole pairs of dims", field="head_dim")
        if method is not Method.ARTICLE and layer.rope.type not in SUPPORTED_TYPES:
            raise TargetError(
                f"head size: rope type '{layer.rope.type}' depends on the head size in ways headmix cannot "
                f"reproduce (it handles {', '.join(SUPPORTED_TYPES)})",
                field="head_dim",
            )
    if d != hd and "q_norm" in layer.names and not layer.rotary_pairs and method not in (Method.SELECT, Method.CALIBRATED):
        raise TargetError("head size: qk-norm weights can follow kept dims only; use the select method", field="head_dim")


def choices(layer: Layer, method: Method, heads: int, kv: int, head_dim: int) -> dict[str, list[int]]:
    """The values each control may offer, given the other controls' current values.

    The window's spin boxes step only through these, so every reachable combination can be
    built. Key/value heads are resolved before the head size, so a kv value that the new
    query heads made impossible does not empty the head-size list.
    """

    def ok(h: int, k: int, d: int) -> bool:
        try:
            check(layer, h, k, d, method)
            return True
        except TargetError:
            return False

    tied = not layer.family.grouped_query  # kv heads are the heads
    heads_choices = [h for h in range(1, layer.num_heads + 1) if ok(h, h if tied else kv, head_dim)]
    kv_choices = [k for k in range(1, layer.num_kv_heads + 1) if ok(heads, k, head_dim)] or [
        k for k in range(1, layer.num_kv_heads + 1) if ok(heads, k, layer.head_dim)
    ]
    kv_used = kv if kv in kv_choices or not kv_choices else min(kv_choices, key=lambda k: (abs(k - kv), -k))
    return {
        "heads": heads_choices,
        "kv_heads": kv_choices,
        "head_dim": [d for d in range(1, layer.head_dim + 1) if ok(heads, kv_used, d)],
    }
