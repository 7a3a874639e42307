"""Weights before and after, arranged so each new unit sits beside the old unit it comes from.

Pure numpy over a plan's matrices (no Qt), used by the *before → after* view. A projection's
units (``head·dim``) are rows (the planner's canonical previews); every new unit is drawn at the
row of its strongest source (a kept unit exactly beside itself). When strongest sources
collide, as with the article's dense Gaussian matrices, the new units are spread evenly.
"""

from __future__ import annotations

import numpy as np

from headmix.core.model.stats import display_matrix


def unit_sources(mixing, role: str, old_units: int) -> np.ndarray:
    """For each new unit ``h'·d' + e'``, the old unit ``h·d + e`` it draws on most.

    Works on the canonical ``(heads·dims, hidden)`` rows the planner's previews give, so the
    stored layout (fused, Conv1D, transposed output projection) never matters here.
    """
    unit = mixing.unit_map(role)
    heads, dims = unit.heads, unit.dims
    if dims.ndim == 3:  # one dim matrix per old head: where each new dim draws most, on average
        dims = np.abs(dims).mean(axis=0)
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
