"""Weights before and after, arranged so each new unit sits beside the old unit it comes from.

Pure numpy over a plan's matrices (no Qt), used by the *before → after* view. A projection's
units (``head·dim``) become rows whatever the stored layout; every new unit is drawn at the
row of its strongest source (a kept unit exactly beside itself). When strongest sources
collide, as with the article's dense Gaussian matrices, the new units are spread evenly.
"""

from __future__ import annotations

import numpy as np

from headmix.core.stats import display_matrix


def _units_axis(layer, role: str) -> int:
    """The axis of the stored weight that holds the role's units."""
    if layer.fused:  # GPT-2 Conv1D: c_attn is (in, 3·units), c_proj is (units, out)
        return 1 if role in ("q", "k", "v") else 0
    return 0 if role in ("q", "k", "v") else 1


def as_units(layer, role: str, weight: np.ndarray) -> np.ndarray:
    """The role's weight with its units as rows (the role's third of a fused c_attn)."""
    w = np.asarray(weight)
    if layer.fused and role in ("q", "k", "v"):
        w = np.split(w, 3, axis=-1)["qkv".index(role)]
    return w.T if _units_axis(layer, role) == 1 else w


def unit_sources(mixing, role: str, old_units: int) -> np.ndarray:
    """For each new unit ``h'·d' + e'``, the old unit ``h·d + e`` it draws on most."""
    heads, dims = {
        "q": (mixing.q_heads, mixing.qk_dims),
        "k": (mixing.kv_heads, mixing.k_dims),
        "v": (mixing.kv_heads, mixing.v_dims),
        "o": (mixing.o_heads, mixing.o_dims),
    }[role]
    d = dims.shape[0]
    head = np.argmax(np.abs(heads), axis=0)
    dim = np.argmax(np.abs(dims), axis=0)
    sources = (head[:, None] * d + dim[None, :]).reshape(-1)
    if len(np.unique(sources)) != len(sources):  # dense mixing: no single source per unit
        sources = np.round(np.arange(len(sources)) * old_units / max(len(sources), 1)).astype(int)
    return sources


def aligned_pair(before: np.ndarray, after: np.ndarray, sources: np.ndarray | None,
                 max_side: int = 512) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Display matrices of equal height: ``before`` strided, and ``after``'s rows placed at
    their sources' rows (NaN elsewhere). Returns (before, after, row step, column step)."""
    shown = display_matrix(before, max_side)
    row_step = max(1, -(-before.shape[0] // shown.shape[0]))
    col_step = max(1, -(-before.shape[1] // shown.shape[1]))
    if sources is None:
        sources = np.arange(after.shape[0])
    placed = np.full((shown.shape[0], -(-after.shape[1] // col_step)), np.nan, dtype=np.float32)
    after_cols = np.asarray(after, dtype=np.float32)[:, ::col_step]
    for j, source in enumerate(sources):
        row = int(source) // row_step
        if 0 <= row < placed.shape[0] and np.isnan(placed[row, 0]):
            placed[row] = after_cols[j]
    return shown, placed, row_step, col_step
