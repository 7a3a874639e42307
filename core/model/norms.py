"""The norms a family places around its blocks: RMSNorm, Gemma's ``(1 + w)`` RMSNorm and LayerNorm.

One function for all three so that the embedding, qk-norm, the layer's norms and the final norm
compute them identically (in float32, over the last axis, as transformers does).
"""

from __future__ import annotations

import numpy as np

from .families import Norm


def norm(kind: Norm, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, eps: float) -> np.ndarray:
    """RMSNorm, Gemma's RMSNorm with ``(1 + w)``, or LayerNorm over the last axis, in float32."""
    if kind is Norm.LAYER:
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        var = np.mean(np.square(centred), axis=-1, keepdims=True)
        out = centred / np.sqrt(var + np.float32(eps))
        out *= weight
        if bias is not None:
            out += bias
        return out
    out = x / np.sqrt(np.mean(np.square(x), axis=-1, keepdims=True) + np.float32(eps))
    out *= (weight + np.float32(1.0)) if kind is Norm.RMS_PLUS_ONE else weight
    return out
