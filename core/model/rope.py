"""Rotary frequencies: which ones a source rotates at, and how the export keeps them.

In Hugging Face's ``rotate_half`` layout dims ``i`` and ``i + rotary_dim/2`` form pair ``i``.
Reducing the head size keeps whole pairs; each kept pair must go on rotating at its
original frequency, or relative positions break. Three ways to say so in config.json, in
the order headmix prefers them:

1. the kept pairs are exactly what the source's rope produces for the new head size: the
   rope parameters stay as they are;
2. the kept pairs form an arithmetic progression ``{s + r·j : j < k}`` of a source with
   ``d`` rotary dims and a default or linear rope: pair ``s + r·j`` rotates at
   ``θ^(-2(s + r·j)/d) = θ^(-2s/d) · θ'^(-2j/2k)`` with ``θ' = θ^(2rk/d)``, which is the plain
   default rope of head size ``2k`` with base ``θ'``, plus linear scaling by ``θ^(2s/d)``
   when ``s > 0``. Every runtime reads these (design note, rule 5; issue 14);
3. any other subset: the ``longrope`` type's per-pair factors, exact in transformers and
   vLLM but not everywhere.
"""

from __future__ import annotations

import math

import numpy as np

from .architecture import Rope

#: rope types whose frequencies depend on the frequency alone, which we can compute here.
SUPPORTED_TYPES = ("default", "linear", "llama3")


def inverse_frequencies(rope: Rope, rotary_dim: int, seq_len: int | None = None, config: dict | None = None) -> np.ndarray:
    """The inverse frequency of each pair for a head with ``rotary_dim`` rotating dims.

    Mirrors transformers' ``_compute_default_rope_parameters`` and its linear, llama3 and
    longrope variants, in float64. ``seq_len`` matters for longrope alone: like transformers,
    a sequence longer than ``original_max_position_embeddings`` uses ``long_factor``, any
    other (or None) ``short_factor``; see :func:`longrope_original_max`.
    """
    base = rope.theta
    inv = 1.0 / base ** (np.arange(0, rotary_dim, 2, dtype=np.float64) / rotary_dim)
    params = rope.params
    if rope.type == "longrope":
        long = seq_len is not None and seq_len > longrope_original_max(rope, config)
        key = "long_factor" if long else "short_factor"
        factors = np.asarray(params[key], dtype=np.float64)
        if factors.shape != inv.shape:
            raise ValueError(f"rope parameter '{key}' has {factors.size} factors; the rotary dims need {inv.size}")
        inv = inv / factors
    elif rope.type == "linear":
        inv = inv / float(params.get("factor", 1.0))
    elif rope.type == "llama3":
        factor = float(params["factor"])
        low, high = float(params["low_freq_factor"]), float(params["high_freq_factor"])
        old_len = float(params["original_max_position_embeddings"])
        low_wavelen, high_wavelen = old_len / low, old_len / high
        wavelen = 2 * math.pi / inv
        scaled = np.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old_len / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        inv = np.where(medium, smoothed, scaled)
    elif rope.type != "default":
        raise ValueError(f"rope type {rope.type!r} is not one headmix can recompute")
    return inv


def longrope_original_max(rope: Rope, config: dict | None = None) -> int:
    """The length past which longrope switches to its long factors.

    transformers gives a top-level ``original_max_position_embeddings`` in config.json
    priority (Phi-3 keeps the pretraining length there), then the rope parameters' own,
    then ``max_position_embeddings``. :class:`Rope` keeps the parameters only, so a caller
    with the config passes it; without it the parameters decide.
    """
    config = config or {}
    for value in (config.get("original_max_position_embeddings"), rope.params.get("original_max_position_embeddings"),
                  config.get("max_position_embeddings")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    raise ValueError("longrope needs 'original_max_position_embeddings' in its rope parameters")


def attention_factor(rope: Rope, config: dict | None = None) -> float:
    """The factor transformers multiplies cos and sin by (1.0 for every rope type but longrope).

    For longrope: ``attention_factor`` when given, else ``sqrt(1 + ln(factor) / ln(original))``
    for a ``factor`` above 1 (``factor`` defaulting to ``max_position_embeddings / original``).
    """
    if rope.type != "longrope":
        return 1.0
    given = rope.params.get("attention_factor")
    if given is not None:
        return float(given)
    original = longrope_original_max(rope, config)
    factor = rope.params.get("factor")
    if factor is None:
        factor = float((config or {}).get("max_position_embeddings", original)) / original
    factor = float(factor)
    return 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original))


def stride_pairs(num_pairs: int, new_pairs: int) -> np.ndarray:
    """Evenly spaced pairs from pair 0: every r-th one when r divides, which the default
    rope of the new head size reproduces exactly."""
    return np.floor(np.arange(new_pairs) * num_pairs / new_pairs).astype(np.int64)


def progression(kept_pairs: np.ndarray) -> tuple[int, int] | None:
    """``(s, r)`` when the pairs are ``{s + r·j}`` (a single pair counts, with r = 1), else None."""
    pairs = np.asarray(kept_pairs, dtype=np.int64)
    if len(pairs) == 0:
        return None
    if len(pairs) == 1:
        return int(pairs[0]), 1
    steps = np.diff(pairs)
    if steps[0] > 0 and (steps == steps[0]).all():
        return int(pairs[0]), int(steps[0])
    return None


def progressions(num_pairs: int, new_pairs: int) -> list[np.ndarray]:
    """Every arithmetic progression of ``new_pairs`` pairs out of ``num_pairs``."""
    found = []
    for r in range(1, max(1, (num_pairs - 1) // max(1, new_pairs - 1)) + 1 if new_pairs > 1 else 2):
        for s in range(0, num_pairs - r * (new_pairs - 1)):
            found.append(s + r * np.arange(new_pairs))
    return found


def plain_rope_starts(rope: Rope, rope_types: tuple[str, ...]) -> bool:
    """Whether a progression of pairs must start at pair 0 to stay a plain rope: an offset needs a
    linear factor, which llama3 cannot combine with and some families (Phi-3) cannot load."""
    return rope.type == "llama3" or "linear" not in rope_types


def best_progression(scores: np.ndarray, new_pairs: int, start_at_zero: bool = False) -> np.ndarray:
    """The arithmetic progression of pairs with the highest total score (ties: smaller s, then r)."""
    options = [p for p in progressions(len(scores), new_pairs) if not start_at_zero or p[0] == 0]
    totals = [float(np.asarray(scores)[p].sum()) for p in options]
    return options[int(np.argmax(totals))]


def rope_parameters_for(rope: Rope, head_dim: int, kept_pairs: np.ndarray, new_head_dim: int,
                        max_position_embeddings: int) -> dict | None:
    """The rope parameters that make pairs ``kept_pairs`` rotate as before in a head of
    ``new_head_dim`` dims; None when the source parameters already do.

    An arithmetic progression from a default or linear rope becomes a default (or linear)
    rope with a new base, exact in every runtime. Anything else uses longrope, which divides
    each pair's default inverse frequency by its factor; with ``factor`` and
    ``attention_factor`` 1.0 and ``original_max_position_embeddings`` equal to
    ``max_position_embeddings`` nothing else rescales, so the factors alone set the frequencies.
    """
    target = inverse_frequencies(rope, head_dim)[kept_pairs]
    if rope.type in SUPPORTED_TYPES:
        same_type = inverse_frequencies(rope, new_head_dim)
        if np.allclose(same_type, target, rtol=1e-9, atol=0):
            return None
    found = progression(kept_pairs)
    if found is not None and rope.type == "llama3" and found[0] == 0:
        # llama3 rescales each frequency by a function of that frequency alone, so pairs r·j keep
        # their frequencies under the same llama3 parameters with the base θ^(2rk/d)
        _, r = found
        params = {key: value for key, value in rope.params.items() if key != "type"}
        params["rope_theta"] = float(rope.theta ** (2 * r * (new_head_dim // 2) / head_dim))
        return params
    if found is not None and rope.type in ("default", "linear"):
        s, r = found
        d, k = head_dim, new_head_dim // 2
        params = {key: value for key, value in rope.params.items() if key not in ("factor", "type", "rope_type")}
        params["rope_type"] = "default"
        params["rope_theta"] = float(rope.theta ** (2 * r * k / d))
        factor = float(rope.params.get("factor", 1.0)) if rope.type == "linear" else 1.0
        factor *= float(rope.theta ** (2 * s / d))
        if factor != 1.0:
            params.update(rope_type="linear", factor=factor)
        return params
    default = 1.0 / rope.theta ** (np.arange(0, new_head_dim, 2, dtype=np.float64) / new_head_dim)
    factors = [float(f) for f in default / target]
    return {
        "rope_type": "longrope",
        "rope_theta": rope.theta,
        "short_factor": factors,
        "long_factor": factors,
        "factor": 1.0,
        "attention_factor": 1.0,
        "original_max_position_embeddings": int(max_position_embeddings),
    }
