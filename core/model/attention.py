"""One layer's attention in numpy: projections, qk-norm, rotary, causal and sliding masks, soft-capping.

Batched over windows and kv heads, query rows in blocks that bound the scores' memory; the
pieces (:func:`project`, :func:`attend`, :func:`output`) are public because the calibration
walk measures queries, keys and values between them and quality walks an original and a shrunk
layer side by side.
"""

from __future__ import annotations

import numpy as np

from .families import Norm
from .forward_spec import AttentionSpec
from .norms import norm

#: bytes of attention scores computed at once (query rows are taken in blocks to fit)
SCORE_BYTES = 64 << 20
#: causal query rows per block: keys past a block's last row are never computed
QUERY_BLOCK = 128
#: scores up to this go into exp directly (float32 exp overflows past 88.7)
EXP_SAFE = 80.0


def rotate(x: np.ndarray, cos: np.ndarray, sin: np.ndarray, rotary_dim: int) -> None:
    """Rotate the leading ``rotary_dim`` dims of ``x (..., T, d)`` in place, in HF's rotate_half layout."""
    half = rotary_dim // 2
    first, second = x[..., :half], x[..., half:rotary_dim]
    new_first = first * cos - second * sin
    second *= cos
    second += first * sin
    x[..., :half] = new_first


def project(spec: AttentionSpec, w: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Queries, keys and values of ``x (b, T, hidden)``, each ``(b, heads, T, d)``: after the projection,
    its bias and a qk-norm, before any rotation (what calibration measures)."""
    b, T, hidden = x.shape
    d = spec.head_dim
    flat = x.reshape(b * T, hidden)

    def one(role: str, heads: int) -> np.ndarray:
        weight = w[role].reshape(heads * d, hidden)
        out = flat @ weight.T
        if f"{role}_bias" in w:
            out += w[f"{role}_bias"].reshape(-1)
        return np.ascontiguousarray(out.reshape(b, T, heads, d).transpose(0, 2, 1, 3))  # (b, heads, T, d)

    q, k, v = one("q", spec.num_heads), one("k", spec.num_kv_heads), one("v", spec.num_kv_heads)
    if "q_norm" in w:
        q = norm(Norm.RMS_PLUS_ONE if spec.qk_norm_offset else Norm.RMS, q, w["q_norm"], None, spec.norm_eps)
        k = norm(Norm.RMS_PLUS_ONE if spec.qk_norm_offset else Norm.RMS, k, w["k_norm"], None, spec.norm_eps)
    return q, k, v


def attend(spec: AttentionSpec, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Every query head's output before the output projection, ``(b, T, heads·d)``.

    Rotates ``q`` and ``k`` in place (pass copies to keep them). Attention is batched over
    windows and kv heads, the query heads that share a kv head stacked as extra rows of one
    product (no loop per head or token). Query rows go in blocks that keep the scores under
    :data:`SCORE_BYTES`; a causal block reads only the keys up to its last row (and from its
    first row's window).
    """
    b, nq, T, d = q.shape
    nkv = spec.num_kv_heads
    g = nq // nkv
    if spec.rotary is not None:
        cos, sin = spec.rotary.cos_sin(T)
        rotate(q, cos, sin, spec.rotary.rotary_dim)
        rotate(k, cos, sin, spec.rotary.rotary_dim)
    if spec.softcap is None:
        q *= np.float32(spec.scale)  # folded into the queries: one multiply per query, not per score
    q = q.reshape(b, nkv, g, T, d)
    kt = np.ascontiguousarray(k.transpose(0, 1, 3, 2))  # (b, nkv, d, T): plain BLAS operands
    # |q·k| <= |q| max|k|: where that bound keeps every score under EXP_SAFE, exp needs no
    # max subtracted first (two passes saved, and no subnormal exp(s - max) either)
    bound = np.sqrt(np.einsum("bhgtd,bhgtd->bhgt", q, q)) * np.sqrt(np.einsum("bhdt,bhdt->bht", kt, kt).max(axis=-1))[..., None, None]
    if spec.softcap is not None:
        bound = np.minimum(bound * np.float32(spec.scale), np.float32(spec.softcap))
    out = np.empty((b, nkv, g, T, d), dtype=np.float32)
    rows = max(1, min(T, SCORE_BYTES // max(1, 4 * nq * T)))
    if spec.causal:
        rows = min(rows, QUERY_BLOCK)  # smaller blocks skip more of the masked upper triangle
    positions = np.arange(T)
    for window in range(b):  # one window at a time keeps its scores in cache through softmax and product
        for start in range(0, T, rows):
            stop = min(T, start + rows)
            k_lo, k_hi = 0, T
            if spec.causal:
                k_hi = stop
                if spec.window is not None:
                    k_lo = max(0, start - spec.window + 1)
            n, keys = stop - start, k_hi - k_lo
            qb = q[window, :, :, start:stop].reshape(nkv, g * n, d)
            scores = qb @ kt[window, :, :, k_lo:k_hi]  # (nkv, g·n, keys)
            if spec.softcap is not None:
                scores *= np.float32(spec.scale / spec.softcap)
                np.tanh(scores, out=scores)
                scores *= np.float32(spec.softcap)
            if spec.causal:
                blocked = positions[None, k_lo:k_hi] > positions[start:stop, None]
                if spec.window is not None:
                    blocked |= positions[None, k_lo:k_hi] <= positions[start:stop, None] - spec.window
                columns = np.flatnonzero(blocked.any(axis=0))
                if columns.size:  # add the mask only where it blocks something
                    lo, hi = int(columns[0]), int(columns[-1]) + 1
                    view = scores.reshape(nkv, g, n, keys)[..., lo:hi]
                    view += np.where(blocked[:, lo:hi], np.float32(-np.inf), np.float32(0.0))
            if float(bound[window, :, :, start:stop].max()) > EXP_SAFE:
                scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            total = scores.sum(axis=-1, keepdims=True)
            # normalise after the product: (rows, d) divisions instead of (rows, keys)
            values = scores @ v[window, :, k_lo:k_hi]
            values /= total
            out[window, :, :, start:stop] = values.reshape(nkv, g, n, d)
    return out.reshape(b, nq, T, d).transpose(0, 2, 1, 3).reshape(b, T, nq * d)


def output(w: dict[str, np.ndarray], heads: np.ndarray) -> np.ndarray:
    """The output projection (and its bias) of the heads' outputs ``(b, T, heads·d)``."""
    b, T, units = heads.shape
    result = heads.reshape(b * T, units) @ w["o"].reshape(units, -1)
    if "o_bias" in w:
        result += w["o_bias"]
    return result.reshape(b, T, -1)


def attention(spec: AttentionSpec, w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """One layer's attention output (after the output projection and its bias) for ``x (b, T, hidden)``.

    ``w`` holds the canonical arrays of :mod:`layout`.
    """
    return output(w, attend(spec, *project(spec, w, x)))
