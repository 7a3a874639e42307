"""Reading one layer's tensors from a checkpoint, decoded into the canonical form.

The attention comes back as ``(heads, head_dim, hidden)`` arrays (see :mod:`layout`), the
other roles (norms, MLP) as stored. Only the asked-for tensors are read, memory-mapped, and
converted for computing (float32 unless asked otherwise), so one layer is in memory at a time.
"""

from __future__ import annotations

import numpy as np

from .architecture import Layer
from ..io.checkpoint import Checkpoint
from .layout import FUSED, decode


def read_attention(checkpoint: Checkpoint, layer: Layer, roles: tuple[str, ...] | None = None,
                   dtype=np.float32, contiguous: bool = True) -> dict[str, np.ndarray]:
    """Canonical attention arrays of ``layer``: every role it has, or only ``roles``.

    With ``contiguous=False`` an array may be a transposed view of the stored tensor (a Linear
    output projection), which saves a transposing copy for callers that only reduce over it.
    """
    out: dict[str, np.ndarray] = {}
    for stored_role in layer.attention_roles:
        held = FUSED.get(stored_role, (stored_role,))
        if roles is not None and not set(held) & set(roles):
            continue
        stored = checkpoint.read_float(layer.names[stored_role], dtype)
        for role, value in decode(layer.family, stored_role, stored, layer.num_heads, layer.num_kv_heads, layer.head_dim).items():
            if roles is None or role in roles:
                out[role] = np.ascontiguousarray(value) if contiguous else value
    return out


def role_weights(checkpoint: Checkpoint, layer: Layer, role: str, dtype=np.float32) -> np.ndarray:
    """The q, k, v or o weights of ``layer`` as ``(heads, head_dim, hidden)`` in ``dtype``."""
    return read_attention(checkpoint, layer, (role,), dtype)[role]


def read_other(checkpoint: Checkpoint, layer: Layer, dtype=np.float32) -> dict[str, np.ndarray]:
    """The layer's non-attention tensors (norms, MLP) by role, as stored, converted to ``dtype``."""
    attention = set(layer.family.attention)
    return {role: checkpoint.read_float(name, dtype) for role, name in layer.names.items() if role not in attention}
