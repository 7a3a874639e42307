"""Applying a layer's matrices to its tensors.

Every projection index ``p = head·d + dim`` maps through ``kron(heads, dims)``; we contract
heads and dims one after the other with einsum and never build the Kronecker product (for
a 70B layer it would hold 8192² entries). An axis whose matrix is the identity is not
touched at all, so an unchanged axis keeps its bytes exactly (even the sign of a zero).
"""

from __future__ import annotations

import numpy as np

from .architecture import AttentionLayer
from .dtypes import to_source_dtype
from .methods import LayerMixing


def is_identity(m: np.ndarray) -> bool:
    return m.shape[0] == m.shape[1] and np.array_equal(m, np.eye(m.shape[0], dtype=m.dtype))


def mix_rows(w: np.ndarray, heads: np.ndarray, dims: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Units along axis 0: ``(n·d, ...) -> (n'·d', ...)``, i.e. ``kron(heads, dims)ᵀ @ w``."""
    n, d = heads.shape[0], dims.shape[0]
    rest = w.shape[1:]
    t = w.reshape(n, d, -1)
    if not is_identity(dims):
        t = np.einsum("hdx,dD->hDx", t, dims.astype(t.dtype, copy=False))
    if not is_identity(heads):
        t = np.einsum("hdx,hH->Hdx", t, heads.astype(t.dtype, copy=False))
    if scale != 1.0:
        t = t * t.dtype.type(scale)
    return t.reshape(heads.shape[1] * dims.shape[1], *rest)


def mix_cols(w: np.ndarray, heads: np.ndarray, dims: np.ndarray) -> np.ndarray:
    """Units along axis 1: ``(x, n·d) -> (x, n'·d')``, i.e. ``w @ kron(heads, dims)``."""
    n, d = heads.shape[0], dims.shape[0]
    t = w.reshape(w.shape[0], n, d)
    if not is_identity(dims):
        t = np.einsum("xhd,dD->xhD", t, dims.astype(t.dtype, copy=False))
    if not is_identity(heads):
        t = np.einsum("xhd,hH->xHd", t, heads.astype(t.dtype, copy=False))
    return t.reshape(w.shape[0], heads.shape[1] * dims.shape[1])


def _qkv_factors(m: LayerMixing):
    return {
        "q": (m.q_heads, m.qk_dims, m.q_scale),
        "k": (m.kv_heads, m.k_dims, 1.0),
        "v": (m.kv_heads, m.v_dims, 1.0),
    }


def mix_tensor(layer: AttentionLayer, mixing: LayerMixing, name: str, source: np.ndarray, dtype: str) -> np.ndarray:
    """The exported value of attention tensor ``name`` of ``layer``, in the checkpoint dtype ``dtype``.

    Computes in the mixing matrices' precision (float32, or float64 for the article) and
    rounds back once at the end.
    """
    compute = np.float64 if mixing.q_heads.dtype == np.float64 else np.float32
    w = np.asarray(source, dtype=compute)
    factors = _qkv_factors(mixing)
    roles = [r for r, n in layer.names.items() if n == name]
    if layer.fused and ("q" in roles or "q_bias" in roles):
        # GPT-2's c_attn: q, k and v side by side along the output axis.
        parts = np.split(w, 3, axis=-1)
        if w.ndim == 1:
            out = [mix_rows(p, *factors[r][:2], scale=factors[r][2]) for p, r in zip(parts, "qkv", strict=True)]
        else:
            out = [mix_cols(p, *factors[r][:2]) * compute(factors[r][2]) for p, r in zip(parts, "qkv", strict=True)]
        result = np.concatenate(out, axis=-1)
    else:
        (role,) = roles
        if role in ("q", "k", "v", "q_bias", "k_bias", "v_bias"):
            heads, dims, scale = factors[role[0]]
            result = mix_rows(w, heads, dims, scale=scale)
        elif role == "o":
            result = mix_rows(w, mixing.o_heads, mixing.o_dims) if layer.fused else mix_cols(w, mixing.o_heads, mixing.o_dims)
        elif role == "o_bias":
            return np.asarray(source)
        elif role in ("q_norm", "k_norm"):
            dims = mixing.qk_dims if role == "q_norm" else mixing.k_dims
            if is_identity(dims):
                return np.asarray(source)
            result = w @ dims  # a selection: each kept dim keeps its own norm weight
            if role == "q_norm" and mixing.q_norm_scale != 1.0:
                result = result * compute(mixing.q_norm_scale)
        else:
            raise ValueError(f"unexpected attention role {role!r} for {name}")
    return to_source_dtype(result, dtype)

