"""Refitting a qk-norm's weights for a smaller head size (issue 22).

Qwen3 and Gemma 3 normalise each query and key head by its RMS before RoPE. Keeping d' of the d
dims, the norm then divides by the RMS of the kept dims, not of the whole head, so the kept dims
grow per token by rms(all)/rms(kept), which depends on how much of the head's energy the kept
pairs carry. Rule 2 guesses a uniform sqrt(d'/d) (that they carry a d'/d share); fitting each kept
dim's gain on the calibration activations replaces the guess by what the data says.
"""

from __future__ import annotations

import numpy as np


def refit_norm_weight(normed: np.ndarray, weight: np.ndarray, offset: float, dims: np.ndarray, scale: float) -> np.ndarray:
    """The stored qk-norm weight over the kept ``dims`` that makes the renormalised kept dims reproduce
    ``scale`` × the original normalised ones, ``normed (..., d)``, in least squares per dim.

    With gain g = offset + weight, x = normed/g is the pre-norm vector over rms(all), ρ = rms(x over
    kept) and the new value x·g'/ρ; minimising Σ (x_i g'_i/ρ − s·n_i)² over the tokens gives
    g'_i = s·g_i·Σ n_i²/ρ / Σ n_i²/ρ². A dim whose gain is zero stays zero.
    """
    gain = offset + np.asarray(weight, dtype=np.float64)
    n = np.asarray(normed, dtype=np.float64)[..., dims].reshape(-1, len(dims))
    g = gain[dims]
    alive = np.abs(g) > 1e-8
    safe = np.where(alive, g, 1.0)
    rho = np.sqrt(np.mean((n / safe) ** 2, axis=-1, keepdims=True)) + 1e-12
    num = np.sum(n * n / rho, axis=0)
    den = np.sum(n * n / rho**2, axis=0)
    factor = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
    new_gain = np.where(alive, scale * g * factor, g)
    return (new_gain - offset).astype(np.float32)
