"""Applying a layer's mixing to its tensors, in the canonical ``(heads, head_dim, hidden)`` form.

Every projection index ``p = head·d + dim`` maps through ``kron(heads, dims)`` (or, for the
calibrated methods, through a head matrix and one dim matrix per old head); the heads and
the dims are contracted one after the other with BLAS matrix products, never through a
materialised Kronecker product (for a 70B layer it would hold 8192² entries). A selection is
a gather, exactly. A role whose maps are all identities is not touched at all, so it keeps
its bytes exactly, even the sign of a zero.
"""

from __future__ import annotations

import numpy as np

from ..model.architecture import Layer
from ..io.dtypes import to_source_dtype
from ..model.families import Norm
from ..model.layout import ATTENTION_WEIGHTS, FUSED, decode, encode
from .methods import LayerMixing, UnitMap


def is_identity(m: np.ndarray) -> bool:
    return m.ndim == 2 and m.shape[0] == m.shape[1] and np.array_equal(m, np.eye(m.shape[0], dtype=m.dtype))


def selection(m: np.ndarray) -> np.ndarray | None:
    """The source index of each column when ``m`` only picks (one 1.0 per column, zeros elsewhere)."""
    if m.ndim != 2 or not ((m == 0) | (m == 1)).all() or not (m.sum(axis=0) == 1).all():
        return None
    return np.argmax(m, axis=0)


def _units_last(t: np.ndarray) -> np.ndarray | None:
    """The ``(x, n, d)`` array that ``t`` is a transposed view of, if it is one (a Linear output projection).

    Mixing such a tensor through its own memory order avoids a transposing copy, which costs
    more than the mixing itself on a large projection.
    """
    base = t.transpose(2, 0, 1)
    return base if not t.flags.c_contiguous and base.flags.c_contiguous else None


def _heads(t: np.ndarray, heads: np.ndarray) -> np.ndarray:
    if is_identity(heads):
        return t
    picked = selection(heads)
    base = _units_last(t)
    if base is not None:
        out = base[:, picked] if picked is not None else np.matmul(heads.T.astype(t.dtype, copy=False), base)
        return out.transpose(1, 2, 0)
    if picked is not None:
        return t[picked]
    n, d, x = t.shape
    return (heads.T.astype(t.dtype, copy=False) @ t.reshape(n, d * x)).reshape(heads.shape[1], d, x)


def _dims(t: np.ndarray, dims: np.ndarray) -> np.ndarray:
    if dims.ndim == 2 and is_identity(dims):
        return t
    picked = selection(dims) if dims.ndim == 2 else None
    dims = dims.astype(t.dtype, copy=False)
    base = _units_last(t)
    if base is not None:
        x, n, d = base.shape
        if dims.ndim == 3:
            out = np.einsum("xhd,hde->xhe", base, dims)
        elif picked is not None:
            out = base[:, :, picked]
        else:
            out = (base.reshape(x * n, d) @ dims).reshape(x, n, -1)
        return out.transpose(1, 2, 0)
    if dims.ndim == 3:  # one matrix per old head: (n, d, d') applied as (n, d', d) @ (n, d, x)
        return np.matmul(dims.transpose(0, 2, 1), t)
    if picked is not None:
        return t[:, picked]
    return np.matmul(dims.T, t)


def apply_units(t: np.ndarray, m: UnitMap) -> np.ndarray:
    """``(n, d, x) -> (n', d', x)``: new unit (j, e) = Σ heads[h, j] · dims_h[dd, e] · t[h, dd]."""
    if m.dims.ndim == 3:
        t = _heads(_dims(t, m.dims), m.heads)
    elif m.heads.shape[1] <= m.heads.shape[0]:
        t = _dims(_heads(t, m.heads), m.dims)  # fewer heads first: a smaller dims product
    else:
        t = _heads(_dims(t, m.dims), m.heads)
    if m.scale != 1.0:
        t = t * t.dtype.type(m.scale)
    return t


def _norm_weight(w: np.ndarray, dims: np.ndarray, scale: float, offset: float) -> np.ndarray:
    """qk-norm weights follow the kept dims; a temperature goes into them as ``(offset + w)·s − offset``.

    The compensating methods only ever select dims here (targets.check refuses the rest); the
    article mixes the norm weights with the same matrix as everything else.
    """
    if dims.ndim == 3:  # one matrix per head: a norm shared by all heads follows them only where they agree
        if not all(np.array_equal(dims[0], m) for m in dims[1:]):
            raise ValueError("qk-norm weights cannot follow dim matrices that differ between heads")
        dims = dims[0]
    picked = selection(dims)
    w = w[picked] if picked is not None else w @ dims.astype(w.dtype, copy=False)
    if scale != 1.0:
        w = (offset + w) * w.dtype.type(scale) - w.dtype.type(offset)
    return w


def _changes(mixing: LayerMixing, role: str) -> bool:
    if role in mixing.replace:
        return True
    unit = mixing.unit_map(role)
    if unit is not None:
        return not (is_identity(unit.heads) and is_identity(unit.dims) and unit.scale == 1.0)
    if role in ("q_norm", "k_norm"):
        dims = mixing.q.dims if role == "q_norm" else mixing.k.dims
        return not is_identity(dims) or (role == "q_norm" and mixing.q_norm_scale != 1.0)
    return False  # o_bias: the output keeps its size


def apply_role(layer: Layer, mixing: LayerMixing, role: str, value: np.ndarray, compute=np.float32) -> np.ndarray:
    """The new canonical value of one role, computed in ``compute`` precision."""
    if role in mixing.replace:
        return np.asarray(mixing.replace[role], dtype=compute)
    w = np.asarray(value, dtype=compute)
    unit = mixing.unit_map(role)
    if unit is not None:
        if role in ATTENTION_WEIGHTS:
            return apply_units(w, unit)
        return apply_units(w[:, :, None], unit)[:, :, 0]  # a bias follows its rows (rule 3)
    if role in ("q_norm", "k_norm"):
        offset = 1.0 if layer.family.norm is Norm.RMS_PLUS_ONE else 0.0
        if role == "q_norm":
            return _norm_weight(w, mixing.q.dims, mixing.q_norm_scale, offset)
        return _norm_weight(w, mixing.k.dims, 1.0, offset)
    return w


def mix_tensor(layer: Layer, mixing: LayerMixing, name: str, source: np.ndarray, dtype: str) -> np.ndarray:
    """The exported value of attention tensor ``name`` of ``layer``, in the checkpoint dtype ``dtype``.

    A tensor none of whose roles change is returned as it is (its bytes stay exactly). Otherwise
    the whole stored tensor is converted once, contiguously, to the compute precision
    (float32, or float64 for the article and for F64 checkpoints; converting before any
    transpose is what keeps BF16 fast), mixed, and rounded back once. Roles of a fused tensor
    that do not change make that round trip exactly, since BF16/F16 → float32 → BF16/F16 is
    lossless.
    """
    (stored_role,) = [r for r in layer.family.attention if layer.names.get(r) == name]
    roles = FUSED.get(stored_role, (stored_role,))
    if not any(_changes(mixing, role) for role in roles):
        return np.asarray(source)
    compute = np.float64 if mixing.precision == "float64" or dtype == "F64" else np.float32
    w = np.asarray(source, dtype=compute)
    old = decode(layer.family, stored_role, w, layer.num_heads, layer.num_kv_heads, layer.head_dim)
    new = {role: apply_role(layer, mixing, role, value, compute) if _changes(mixing, role) else value
           for role, value in old.items()}
    return to_source_dtype(encode(layer.family, stored_role, new), dtype)


def mix_layer(layer: Layer, mixing: LayerMixing, canonical: dict[str, np.ndarray],
              dtypes: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """Every canonical attention array of a layer after mixing, in float32 (for the forward pass).

    With ``dtypes`` (canonical role -> the checkpoint dtype of the tensor holding it), each
    changed role is computed in the mixing's precision and rounded to that dtype, exactly as
    :func:`mix_tensor` writes it, so a forward pass over the result runs the exported model.
    """
    if dtypes is None:
        return {role: apply_role(layer, mixing, role, value) if _changes(mixing, role) else value
                for role, value in canonical.items()}
    compute = np.float64 if mixing.precision == "float64" else np.float32
    return {
        role: to_source_dtype(apply_role(layer, mixing, role, value, compute), dtypes[role]).astype(np.float32)
        if _changes(mixing, role) else value
        for role, value in canonical.items()
    }
