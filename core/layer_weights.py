"""One layer's attention weights in a single canonical form, whatever the layout.

Every projection is viewed as ``(heads, head_dim, hidden)``: units along the first two
axes. Linear q/k/v and GPT-2's ``c_proj`` already store units as rows; Linear ``o_proj``
and GPT-2's fused ``c_attn`` store them as columns. Scores and tests read this form so the
layout question is answered once.
"""

from __future__ import annotations

import numpy as np

from .architecture import AttentionLayer
from .checkpoint import Checkpoint


def role_weights(checkpoint: Checkpoint, layer: AttentionLayer, role: str, dtype=np.float32) -> np.ndarray:
    """The q, k, v or o weights of ``layer`` as ``(heads, head_dim, hidden)`` in ``dtype``."""
    n = layer.num_kv_heads if role in ("k", "v") else layer.num_heads
    d, h = layer.head_dim, layer.hidden_size
    w = checkpoint.read_float(layer.names[role], dtype)
    if layer.fused and role != "o":
        part = "qkv".index(role)
        w = w[:, part * n * d : (part + 1) * n * d].T
    elif role == "o" and not layer.fused:
        w = w.T
    return np.ascontiguousarray(w).reshape(n, d, h)
