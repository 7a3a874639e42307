"""Which query heads to keep: the subset whose damped least-squares refit of the output projection is best.

Removing query heads leaves the kept heads' outputs as they are (each head attends on its own),
so the refit that follows (:meth:`fitting.Gram.fit`) sees, for any subset S of heads, the rows
and columns of S in ONE Gram of every head's outputs. Its damped objective

    J(S) = min_W ‖Y − Z_S·W‖² + λ‖W − W0_S‖² = yy + λ‖W0_S‖² − tr(B_Sᵀ A_S⁻¹ B_S),
    A_S = Z_SᵀZ_S + λI,  B_S = Z_SᵀY + λ·W0_S,

is then known for every subset without running the layer again. Energy (``E‖z_h·W_o,h‖²``)
ranks heads one at a time; two heads that write the same thing both score high, and a head
the others can stand in for is kept over one they cannot. Ranking subsets by J keeps the
heads that the refit can least do without.

Few subsets (a handful of heads per kv group): every subset is scored, with the λ the refit
itself would use. Otherwise backward elimination: from all heads, repeatedly drop the head
whose removal raises J least, ``ΔJ_h = tr(W_hᵀ (A⁻¹)_hh⁻¹ W_h) − λ‖W0_h‖²`` (the block form of
Optimal Brain Surgeon, one inverse per step).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .fitting import Gram

#: more candidate subsets than this and the choice is greedy (backward elimination)
EXHAUSTIVE_LIMIT = 256


def _units(heads: np.ndarray, block: int, extra: np.ndarray) -> np.ndarray:
    """The Gram rows of ``heads`` (``block`` units each), then the always-kept ``extra`` rows (an output bias)."""
    rows = (np.asarray(heads)[:, None] * block + np.arange(block)[None, :]).ravel()
    return np.concatenate([rows, extra]).astype(int)


def damping_of(gram: Gram, units: np.ndarray, damping: float) -> float:
    """The λ :meth:`Gram.fit` uses on these units: ``damping`` × the mean of their diagonal."""
    diag = np.diag(gram.zz)[units]
    return damping * (float(diag.mean()) if len(units) else 0.0) or 1e-12


def objective(gram: Gram, prior: np.ndarray, units: np.ndarray, damping: float) -> float:
    """``J(S)``: the damped least-squares objective the refit reaches on these units (rows of the Gram)."""
    lam = damping_of(gram, units, damping)
    a = gram.zz[np.ix_(units, units)] + lam * np.eye(len(units))
    w0 = prior[units]
    b = gram.zy[units] + lam * w0
    try:
        c = np.linalg.cholesky(a)
        half = np.linalg.solve(c, b)
        explained = float(np.einsum("ij,ij->", half, half))
    except np.linalg.LinAlgError:
        explained = float(np.einsum("ij,ij->", b, np.linalg.lstsq(a, b, rcond=None)[0]))
    return gram.yy + lam * float(np.einsum("ij,ij->", w0, w0)) - explained


def _subsets(candidates: list[np.ndarray], per_group: int):
    """Every choice of ``per_group`` heads in each group, as one sorted array of heads."""
    for parts in itertools.product(*(itertools.combinations(c.tolist(), per_group) for c in candidates)):
        yield np.sort(np.concatenate([np.asarray(p, dtype=int) for p in parts]))


def subset_count(candidates: list[np.ndarray], per_group: int) -> int:
    return math.prod(math.comb(len(c), per_group) for c in candidates)


def _backward(gram: Gram, prior: np.ndarray, candidates: list[np.ndarray], per_group: int, block: int,
              extra: np.ndarray, damping: float) -> np.ndarray:
    """Greedy: drop the head whose removal raises J least, in a group that still has more than ``per_group``.

    One inverse for every head at the start; each removal then downdates it and the fitted weights by the
    block formulas (``A⁻¹ ← A⁻¹_rr − A⁻¹_rh (A⁻¹_hh)⁻¹ A⁻¹_hr``, ``W ← W_r − A⁻¹_rh (A⁻¹_hh)⁻¹ W_h``), so a step
    costs no new inverse. λ stays the one of all heads (the refit's own, on the kept heads, differs by the
    ratio of their mean diagonals).
    """
    heads = np.sort(np.concatenate(candidates)).astype(int)
    units = _units(heads, block, extra)
    lam = damping_of(gram, units, damping)
    a = gram.zz[np.ix_(units, units)] + lam * np.eye(len(units))
    try:
        inverse = np.linalg.inv(a)  # positive definite with λ > 0
    except np.linalg.LinAlgError:
        inverse = np.linalg.pinv(a, hermitian=True)
    w = inverse @ (gram.zy[units] + lam * prior[units])
    alive = list(heads)  # the heads still in, in the order of their blocks in ``inverse`` and ``w``
    kept = [list(c) for c in candidates]
    while any(len(g) > per_group for g in kept):
        best, best_delta = None, math.inf
        for gi, group in enumerate(kept):
            if len(group) <= per_group:
                continue
            for h in group:
                rows = slice(alive.index(h) * block, (alive.index(h) + 1) * block)
                w0 = prior[units[rows]]
                delta = (float(np.einsum("ij,ij->", w[rows], np.linalg.pinv(inverse[rows, rows], hermitian=True) @ w[rows]))
                         - lam * float(np.einsum("ij,ij->", w0, w0)))
                if delta < best_delta:
                    best, best_delta = (gi, h), delta
        assert best is not None
        gi, h = best
        at = alive.index(h) * block
        rows = np.arange(at, at + block)
        rest = np.setdiff1d(np.arange(len(units)), rows)
        solve = np.linalg.pinv(inverse[np.ix_(rows, rows)], hermitian=True)
        cross = inverse[np.ix_(rest, rows)]
        w = w[rest] - cross @ (solve @ w[rows])
        inverse = inverse[np.ix_(rest, rest)] - cross @ solve @ cross.T
        units = units[rest]
        alive.remove(h)
        kept[gi].remove(h)
    return np.sort(np.concatenate([np.asarray(g, dtype=int) for g in kept]))


def best_heads(gram: Gram, prior: np.ndarray, candidates: list[np.ndarray], per_group: int, block: int,
               damping: float, extra: int = 0, limit: int = EXHAUSTIVE_LIMIT) -> np.ndarray:
    """The heads to keep: ``per_group`` of each group's ``candidates`` (rule 4), with the lowest refit objective.

    ``gram`` holds every head's outputs (``block`` units a head, head h at rows h·block…) followed
    by ``extra`` always-kept units (a bias column of ones); ``prior`` ``(units, outputs)`` is the
    uncompensated projection the fit is damped towards.
    """
    prior = np.asarray(prior, dtype=np.float64)
    extra_rows = np.arange(gram.zz.shape[0] - extra, gram.zz.shape[0])
    if subset_count(candidates, per_group) > limit:
        return _backward(gram, prior, candidates, per_group, block, extra_rows, damping)
    subsets = list(_subsets(candidates, per_group))
    return subsets[int(np.argmin(_objectives(gram, prior, [_units(h, block, extra_rows) for h in subsets], damping)))]


def _objectives(gram: Gram, prior: np.ndarray, subsets: list[np.ndarray], damping: float) -> np.ndarray:
    """:func:`objective` of each subset (all of one size), factorised in batches: one call per batch, not per subset
    (a few hundred small factorisations one by one cost more in calls than in arithmetic)."""
    size = len(subsets[0])
    batch = max(1, int(2e7 // (size * size)))
    values = []
    for start in range(0, len(subsets), batch):
        units = np.stack(subsets[start:start + batch])  # (n, size)
        lam = np.array([damping_of(gram, u, damping) for u in units])
        a = gram.zz[units[:, :, None], units[:, None, :]] + lam[:, None, None] * np.eye(size)
        w0 = prior[units]
        b = gram.zy[units] + lam[:, None, None] * w0
        try:
            half = np.linalg.solve(np.linalg.cholesky(a), b)
            explained = np.einsum("nij,nij->n", half, half)
        except np.linalg.LinAlgError:
            explained = np.array([gram.yy + lam[i] * float(np.einsum("ij,ij->", w0[i], w0[i]))
                                  - objective(gram, prior, u, damping) for i, u in enumerate(units)])
        values.append(gram.yy + lam * np.einsum("nij,nij->n", w0, w0) - explained)
    return np.concatenate(values)
