"""Rotary frequencies: which ones a source rotates at, and how the export keeps them.

In Hugging Face's ``rotate_half`` layout dims ``i`` and ``i + rotary_dim/2`` form pair ``i``.
Reducing the head size keeps whole pairs; each kept pair must go on rotating at its
original frequency, or relative positions break. When the kept pairs are exactly what the
source's rope type produces for the new head size, the rope parameters stay as they are;
otherwise the ``longrope`` type's per-pair factors express any set of frequencies.
"""

from __future__ import annotations

import math

import numpy as np

from .architecture import Rope

#: rope types whose frequencies depend on the frequency alone, which we can compute here.
SUPPORTED_TYPES = ("default", "linear", "llama3")


def inverse_frequencies(rope: Rope, rotary_dim: int) -> np.ndarray:
    """The inverse frequency of each pair for a head with ``rotary_dim`` rotating dims.

    Mirrors transformers' ``_compute_default_rope_parameters`` and its linear and llama3
    variants, in float64.
    """
    base = rope.theta
    inv = 1.0 / base ** (np.arange(0, rotary_dim, 2, dtype=np.float64) / rotary_dim)
    params = rope.params
    if rope.type == "linear":
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


def stride_pairs(num_pairs: int, new_pairs: int) -> np.ndarray:
    """Evenly spaced pairs from pair 0: every r-th one when r divides, which the default
    rope of the new head size reproduces exactly."""
    return np.floor(np.arange(new_pairs) * num_pairs / new_pairs).astype(np.int64)


def rope_parameters_for(rope: Rope, head_dim: int, kept_pairs: np.ndarray, new_head_dim: int,
                        max_position_embeddings: int) -> dict | None:
    """The rope parameters that make pairs ``kept_pairs`` rotate as before in a head of
    ``new_head_dim`` dims; None when the source parameters already do.

    longrope divides each pair's default inverse frequency by its factor; with ``factor`` and
    ``attention_factor`` 1.0 and ``original_max_position_embeddings`` equal to
    ``max_position_embeddings`` nothing else rescales, so the factors alone set the frequencies.
    """
    target = inverse_frequencies(rope, head_dim)[kept_pairs]
    if rope.type in SUPPORTED_TYPES:
        same_type = inverse_frequencies(rope, new_head_dim)
        if np.allclose(same_type, target, rtol=1e-9, atol=0):
            return None
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
