"""Closed-form fits on calibration activations: least squares, principal directions, RoPE-aware key merges.

Everything here works on activations already computed by the forward pass and returns
small matrices; statistics accumulate in float64 over batches (design note, "Calibrated
shrinking"), so no layer's activations are kept for every token.
"""

from __future__ import annotations

import numpy as np


class Gram:
    """Running ``ZᵀZ``, ``ZᵀY``, ``YᵀY`` and the token count, in float64, over batches of rows."""

    def __init__(self, inputs: int, outputs: int):
        self.zz = np.zeros((inputs, inputs))
        self.zy = np.zeros((inputs, outputs))
        self.yy = 0.0
        self.count = 0

    def add(self, z: np.ndarray, y: np.ndarray) -> None:
        z = np.asarray(z, dtype=np.float64).reshape(-1, self.zz.shape[0])
        y = np.asarray(y, dtype=np.float64).reshape(-1, self.zy.shape[1])
        self.zz += z.T @ z
        self.zy += z.T @ y
        self.yy += float(np.einsum("ij,ij->", y, y))
        self.count += z.shape[0]

    def error(self, w: np.ndarray) -> float:
        """``‖Z·W − Y‖²`` for ``W (inputs, outputs)``, from the accumulated statistics alone."""
        w = np.asarray(w, dtype=np.float64)
        return max(0.0, float(np.einsum("ij,ij->", w, self.zz @ w) - 2 * np.einsum("ij,ij->", w, self.zy) + self.yy))

    def fit(self, damping: float = 0.01, prior: np.ndarray | None = None) -> np.ndarray:
        """``argmin ‖Z·W − Y‖² + λ‖W − prior‖²`` with ``λ = damping × mean(diag ZᵀZ)``.

        Damping towards ``prior`` (the uncompensated solution) rather than towards zero: a
        direction the calibration text barely excites keeps the weights the mixing gave it
        instead of shrinking to nothing, which is what lets a fit help on text it never saw.
        """
        n = self.zz.shape[0]
        lam = damping * (float(np.trace(self.zz)) / n if n else 0.0) or 1e-12
        rhs = self.zy + (lam * np.asarray(prior, dtype=np.float64) if prior is not None else 0.0)
        a = self.zz + lam * np.eye(n)
        try:
            c = np.linalg.cholesky(a)
            return np.linalg.solve(c.T, np.linalg.solve(c, rhs))
        except np.linalg.LinAlgError:
            return np.linalg.lstsq(a, rhs, rcond=None)[0]


def principal_directions(second_moment: np.ndarray, k: int) -> np.ndarray:
    """The top ``k`` eigenvectors (as columns, largest first) of a symmetric second-moment matrix."""
    values, vectors = np.linalg.eigh(np.asarray(second_moment, dtype=np.float64))
    order = np.argsort(values)[::-1][:k]
    basis = vectors[:, order]
    # a deterministic sign: the largest entry of each direction positive
    signs = np.sign(basis[np.argmax(np.abs(basis), axis=0), np.arange(basis.shape[1])])
    return basis * np.where(signs == 0, 1.0, signs)


def output_directions(second_moment: np.ndarray, output_moment: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` directions of ``x`` that keep the most of what ``x·W`` writes: ``(encoder, decoder)``, both ``(n, k)``.

    ``second_moment`` is ``E xᵀx`` and ``output_moment`` ``W·Wᵀ``. Minimising ``E‖x·W − x·E·Dᵀ·W‖²`` over
    rank k is the best rank-k fit of ``R·W`` with ``R = (E xᵀx)^½`` (SVD-LLM's whitening): with ``U`` its
    top left singular vectors, ``E = R⁻¹U`` and ``D = R·U``. Principal directions keep what ``x``
    varies most in, even where ``W`` writes nothing; these keep what the output sees. Directions
    ``x`` never moves in are left out (their whitening would divide by zero).
    """
    values, vectors = np.linalg.eigh(np.asarray(second_moment, dtype=np.float64))
    floor = max(float(values.max()), 1e-30) * 1e-10
    root = np.sqrt(np.maximum(values, floor))
    r = (vectors * root) @ vectors.T
    r_inverse = (vectors / root) @ vectors.T
    u = principal_directions(r @ np.asarray(output_moment, dtype=np.float64) @ r, k)
    return r_inverse @ u, r @ u


def complex_pairs(keys: np.ndarray, rotary_dim: int) -> np.ndarray:
    """``(..., d)`` real vectors in the rotate_half layout → ``(..., rotary_dim/2)`` complex pairs ``x_j + i·x_{j+half}``."""
    half = rotary_dim // 2
    return keys[..., :half] + 1j * keys[..., half:rotary_dim]


def pair_merge_weights(second_moments: np.ndarray) -> np.ndarray:
    """Per rotary pair, the complex weights that merge a group of kv heads into one.

    ``second_moments (pairs, g, g)`` holds ``Σ_t z_t z_tᴴ`` of each pair's complex keys across
    the g heads of the group. Its top eigenvector ``w`` is the best rank-1 fit ``k_g ≈ w_g·k'``
    (TransMLA's joint complex PCA); merging with ``k' = Σ_g conj(w_g)·k_g`` and multiplying the
    queries that read head g by ``conj(w_g)`` changes nothing where the heads are equal up to a
    scaled rotation per pair, and only multiplications by complex numbers commute with RoPE.
    Returns ``(g, pairs)`` complex weights with unit norm over g per pair, phase fixed so the
    largest weight is real and positive (deterministic).
    """
    pairs, g, _ = second_moments.shape
    weights = np.zeros((g, pairs), dtype=np.complex128)
    for j in range(pairs):
        values, vectors = np.linalg.eigh(second_moments[j])
        w = vectors[:, np.argmax(values)]
        big = np.argmax(np.abs(w))
        w = w * (np.conj(w[big]) / abs(w[big])) if abs(w[big]) > 0 else w
        weights[:, j] = w
    return weights


def complex_scaling_matrix(factors: np.ndarray, d: int, kept_pairs: np.ndarray | None = None) -> np.ndarray:
    """The real ``(d, d')`` dim matrix that multiplies pair j by ``factors[j]`` (and keeps only ``kept_pairs``).

    In the :class:`methods.UnitMap` convention (new = dimsᵀ·old) a complex factor ``a + ib``
    maps ``(re, im)`` to ``(a·re − b·im, b·re + a·im)``.
    """
    half = d // 2
    kept = np.arange(half) if kept_pairs is None else np.asarray(kept_pairs)
    new_half = len(kept)
    m = np.zeros((d, 2 * new_half))
    for e, j in enumerate(kept):
        a, b = float(np.real(factors[j])), float(np.imag(factors[j]))
        m[j, e], m[j + half, e] = a, -b  # new re
        m[j, e + new_half], m[j + half, e + new_half] = b, a  # new im
    return m
