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

from dataclasses import dataclass

import numpy as np

from .architecture import AttentionLayer
from .checkpoint import Checkpoint
from .layer_weights import role_weights


@dataclass(frozen=True)
class Importance:
    q_heads: np.ndarray  # (num_heads,)
    kv_heads: np.ndarray  # (num_kv_heads,)
    qk_units: np.ndarray  # (head_dim/2,) rotary pairs, or (head_dim,) dims without rotary
    v_dims: np.ndarray  # (head_dim,)


def rotary_pairs(layer: AttentionLayer) -> bool:
    """True when q/k dims must be kept in whole rotary pairs."""
    return layer.rope is not None and layer.rope.rotary_dim == layer.head_dim


def layer_importance(checkpoint: Checkpoint, layer: AttentionLayer) -> Importance:
    q = role_weights(checkpoint, layer, "q")
    k = role_weights(checkpoint, layer, "k")
    v = role_weights(checkpoint, layer, "v")
    o = role_weights(checkpoint, layer, "o")
    group = layer.num_heads // layer.num_kv_heads
    kv_of = np.arange(layer.num_heads) // group

    v_norm = np.sqrt((v.astype(np.float64) ** 2).sum(axis=(1, 2)))
    o_norm = np.sqrt((o.astype(np.float64) ** 2).sum(axis=(1, 2)))
    q_heads = v_norm[kv_of] * o_norm
    kv_heads = np.bincount(kv_of, weights=q_heads, minlength=layer.num_kv_heads)

    v_dims = np.sqrt((v.astype(np.float64) ** 2).sum(axis=(0, 2))) * np.sqrt((o.astype(np.float64) ** 2).sum(axis=(0, 2)))
    q_dims = (q.astype(np.float64) ** 2).sum(axis=(0, 2))
    k_dims = (k.astype(np.float64) ** 2).sum(axis=(0, 2))
    if rotary_pairs(layer):
        half = layer.head_dim // 2
        q_dims = q_dims[:half] + q_dims[half:]
        k_dims = k_dims[:half] + k_dims[half:]
    qk_units = np.sqrt(q_dims) * np.sqrt(k_dims)
    return Importance(q_heads, kv_heads, qk_units, v_dims)
