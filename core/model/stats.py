"""Statistics the window shows for a tensor picked in the tree: Netron shows neither these nor a histogram."""

from __future__ import annotations

import numpy as np

#: at most this many values are read for a histogram, evenly strided, so a 1 GB embedding stays quick
SAMPLE = 4_000_000


def tensor_stats(values: np.ndarray, bins: int = 80) -> dict:
    flat = np.asarray(values).reshape(-1)
    step = max(1, flat.size // SAMPLE)
    sample = np.asarray(flat[::step], dtype=np.float64)
    finite = sample[np.isfinite(sample)]
    if finite.size == 0:
        finite = np.zeros(1)
    counts, edges = np.histogram(finite, bins=bins)
    return {
        "count": int(flat.size),
        "sampled": int(sample.size),
        "mean": float(finite.mean()),
        "std": float(finite.std()),
        "min": float(finite.min()),
        "max": float(finite.max()),
        "abs_mean": float(np.abs(finite).mean()),
        "zeros": float((sample == 0).mean()),
        "non_finite": int(sample.size - np.isfinite(sample).sum()),
        "counts": counts,
        "edges": edges,
    }


def display_matrix(values: np.ndarray, max_side: int = 512) -> np.ndarray:
    """A 2-D view small enough to draw: strided, never averaged, so every pixel is a real weight."""
    m = np.asarray(values, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    elif m.ndim > 2:
        m = m.reshape(m.shape[0], -1)
    step0 = max(1, -(-m.shape[0] // max_side))
    step1 = max(1, -(-m.shape[1] // max_side))
    return np.ascontiguousarray(m[::step0, ::step1])
