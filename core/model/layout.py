"""One layer's attention tensors in one canonical form, and back: the layout is decoded once.

Every projection is viewed as ``(heads, head_dim, hidden)``, units first: q, k and v by
their output units, the output projection by its input units. Biases are ``(heads,
head_dim)``, the output bias ``(hidden,)``, qk-norm weights ``(head_dim,)``. The stored
layouts differ by family (``Linear`` stores ``(out, in)``, GPT-2's ``Conv1D`` ``(in, out)``;
GPT-2 and Phi-3 fuse q, k and v into one tensor): :func:`decode` turns one stored tensor
into the canonical arrays of the roles it holds, :func:`encode` turns them back. Scores,
mixing, the forward pass and the tests all work on the canonical form.
"""

from __future__ import annotations

import numpy as np

from .families import Family, Layout

#: canonical weight roles (units first) and the rest, in the order a layer lists them
ATTENTION_WEIGHTS = ("q", "k", "v", "o")
ATTENTION_ROLES = ATTENTION_WEIGHTS + ("q_bias", "k_bias", "v_bias", "o_bias", "q_norm", "k_norm")
FUSED = {"qkv": ("q", "k", "v"), "qkv_bias": ("q_bias", "k_bias", "v_bias")}


def stored_shape(family: Family, role: str, hidden: int, nq: int, nkv: int, d: int) -> tuple[int, ...]:
    """The shape of the stored tensor for ``role`` (a family attention role, fused or not)."""
    q, kv = nq * d, nkv * d
    conv = family.layout is Layout.CONV1D
    shapes = {
        "q": (q, hidden), "k": (kv, hidden), "v": (kv, hidden),
        "o": (q, hidden) if conv else (hidden, q),
        "q_bias": (q,), "k_bias": (kv,), "v_bias": (kv,), "o_bias": (hidden,),
        "q_norm": (d,), "k_norm": (d,),
        "qkv": (hidden, q + 2 * kv) if conv else (q + 2 * kv, hidden),
        "qkv_bias": (q + 2 * kv,),
    }  # fmt: skip
    return shapes[role]


def _heads(role: str, nq: int, nkv: int) -> int:
    return nkv if role[0] in "kv" else nq


def decode(family: Family, role: str, stored: np.ndarray, nq: int, nkv: int, d: int) -> dict[str, np.ndarray]:
    """The canonical arrays held by one stored attention tensor (views where the layout allows)."""
    conv = family.layout is Layout.CONV1D
    if role in FUSED:
        parts = FUSED[role]
        sizes = [_heads(r, nq, nkv) * d for r in parts]
        axis = 1 if (conv and role == "qkv") else 0
        pieces = np.split(stored, np.cumsum(sizes)[:-1], axis=axis)
        out: dict[str, np.ndarray] = {}
        for r, piece in zip(parts, pieces, strict=True):
            out.update(decode(family, r, piece.T if axis == 1 else piece, nq, nkv, d) if r in ATTENTION_WEIGHTS
                       else {r: piece.reshape(_heads(r, nq, nkv), d)})
        return out
    if role in ATTENTION_WEIGHTS:
        n = _heads(role, nq, nkv)
        # units are rows for Linear q/k/v and Conv1D o; columns for Linear o (a fused Conv1D
        # part arrives here already transposed)
        units_first = stored.T if (role == "o" and not conv) else stored
        return {role: units_first.reshape(n, d, -1)}
    if role in ("q_bias", "k_bias", "v_bias"):
        return {role: stored.reshape(_heads(role, nq, nkv), d)}
    return {role: stored}  # o_bias, q_norm, k_norm


def encode(family: Family, role: str, canonical: dict[str, np.ndarray]) -> np.ndarray:
    """The stored tensor for ``role`` from canonical arrays (the inverse of :func:`decode`)."""
    conv = family.layout is Layout.CONV1D
    if role in FUSED:
        parts = [encode(family, r, canonical) for r in FUSED[role]]
        if role == "qkv":
            return np.concatenate([p.T for p in parts], axis=1) if conv else np.concatenate(parts, axis=0)
        return np.concatenate(parts)
    value = canonical[role]
    if role in ATTENTION_WEIGHTS:
        n, d, h = value.shape
        flat = value.reshape(n * d, h)
        return np.ascontiguousarray(flat.T if (role == "o" and not conv) else flat)
    if role in ("q_bias", "k_bias", "v_bias"):
        return value.reshape(-1)
    return value
