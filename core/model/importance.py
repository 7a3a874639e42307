"""Data-free importance scores for heads and head dims, from weight norms alone.

A head can only change the residual stream through its value and output projections, so a
query head scores ``‖W_v,kv(h)‖_F · ‖W_o,h‖_F``: the Frobenius bound on how much it can
write. A key/value head scores the sum of the query heads that read it. A value dim scores
the norm of its value rows times the norm of its output columns; a query/key unit (a rotary
pair, or a single dim without rotary) scores the norm of its query rows times the norm of
its key rows, the bound on what it adds to the attention logits. ``select`` keeps the
highest scores; the window shows them in the tree and as a bar chart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .architecture import Layer
from ..io.checkpoint import Checkpoint
from .layer_weights import read_attention


@dataclass(frozen=True)
class Importance:
    q_heads: np.ndarray  # (num_heads,)
    kv_heads: np.ndarray  # (num_kv_heads,)
    qk_units: np.ndarray  # (head_dim/2,) rotary pairs, or (head_dim,) dims without rotary
    v_dims: np.ndarray  # (head_dim,)


def _sq(w: np.ndarray, axes) -> np.ndarray:
    """Per-(head, dim) sums of squares (numpy's pairwise float32 sums, in the array's own memory order)."""
    w = np.asarray(w, dtype=np.float32)
    return np.square(w).sum(axis=2, dtype=np.float32).astype(np.float64).sum(axis=axes)


def layer_importance(checkpoint: Checkpoint, layer: Layer) -> Importance:
    """Scores of one layer, reading its projections one at a time (only row and column sums are kept)."""
    sums = {}
    for role in ("q", "k", "v", "o"):
        w = read_attention(checkpoint, layer, (role,), contiguous=False)[role]
        sums[role] = _sq(w, ())  # (heads, dims) sums of squares
        del w
    return scores_from_sums(layer, sums["q"], sums["k"], sums["v"], sums["o"])


def scores_from_weights(layer: Layer, q: np.ndarray, k: np.ndarray, v: np.ndarray, o: np.ndarray) -> Importance:
    return scores_from_sums(layer, _sq(q, ()), _sq(k, ()), _sq(v, ()), _sq(o, ()))


def scores_from_sums(layer: Layer, q: np.ndarray, k: np.ndarray, v: np.ndarray, o: np.ndarray) -> Importance:
    """Scores from each projection's per-(head, dim) sums of squared weights."""
    group = layer.num_heads // layer.num_kv_heads
    kv_of = np.arange(layer.num_heads) // group
    v_norm, o_norm = np.sqrt(v.sum(axis=1)), np.sqrt(o.sum(axis=1))
    q_heads = v_norm[kv_of] * o_norm
    kv_heads = np.bincount(kv_of, weights=q_heads, minlength=layer.num_kv_heads)
    v_dims = np.sqrt(v.sum(axis=0)) * np.sqrt(o.sum(axis=0))
    q_dims, k_dims = q.sum(axis=0), k.sum(axis=0)
    if layer.rotary_pairs:
        half = layer.head_dim // 2
        q_dims = q_dims[:half] + q_dims[half:]
        k_dims = k_dims[:half] + k_dims[half:]
    qk_units = np.sqrt(q_dims) * np.sqrt(k_dims)
    return Importance(q_heads, kv_heads, qk_units, v_dims)


def summed_pair_scores(importances: Iterable[Importance], half: int) -> np.ndarray:
    """Every layer's rotary-pair scores, each normalised to sum 1, summed: config.json holds one rope for all
    layers, so one set of pairs is kept everywhere, and no single layer's scale should decide it."""
    total = np.zeros(half)
    for importance in importances:
        scores = importance.qk_units
        total += scores / (scores.sum() or 1.0)
    return total
