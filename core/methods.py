"""The mixing matrices of each method, and the rules that make them behave.

Matrices are ``(old, new)``: column ``j`` says how new unit ``j`` combines old units. The
query/key/value side uses them directly; the output side uses the pseudo-inverse
transposed, so that ``v·A`` followed by ``W_o·pinv(A)ᵀ`` returns to the original output
wherever ``A`` loses nothing (design note, rule 1). For a group mean that is the group sum,
for a selection the same selection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .architecture import AttentionLayer
from .importance import Importance, rotary_pairs

#: one sentence each, shown in the window and the README.
METHODS = {
    "mean": "Average contiguous groups of heads and dims (for key/value heads this is the GQA paper's mean pooling).",
    "select": "Keep the heads and dims with the highest weight-norm importance scores and drop the rest.",
    "random": "Replace each group `mean` would average by a seeded random weighted average (positive weights summing to one).",
    "article": "The article's method: Gaussian matrices divided by their column sums, the same ones on q, k, v and o, "
    "with no output compensation.",
}
DEFAULT_METHOD = "select"

#: An article column whose raw sum is below this fraction of sqrt(n) (the typical size of a
#: sum of n standard normals) blows its weights up by the inverse; we warn about it.
NEAR_ZERO_COLUMN_SUM = 0.1


@dataclass
class LayerMixing:
    """Everything one layer's shrink applies.

    ``q_heads`` mixes query heads, ``kv_heads`` key/value heads; ``qk_dims`` mixes query
    dims (the temperature scale ``q_scale`` is applied on top), ``k_dims`` key dims,
    ``v_dims`` value dims; ``o_heads``/``o_dims`` act on the output projection's input side.
    ``q_norm_scale`` multiplies the qk-norm query weight instead of ``q_scale`` on models
    whose norm would cancel a scale on the projection.
    """

    index: int
    q_heads: np.ndarray
    kv_heads: np.ndarray
    qk_dims: np.ndarray
    k_dims: np.ndarray
    v_dims: np.ndarray
    o_heads: np.ndarray
    o_dims: np.ndarray
    q_scale: float
    kept_pairs: np.ndarray | None
    warnings: list[str]
    q_norm_scale: float = 1.0

    def heatmaps(self) -> dict[str, np.ndarray]:
        """The matrices a user looks at, by the names the window and the npz use."""
        return {
            "query heads": self.q_heads,
            "kv heads": self.kv_heads,
            "q/k dims": self.qk_dims,
            "v dims": self.v_dims,
            "output heads": self.o_heads,
            "output dims": self.o_dims,
        }


def output_side(m: np.ndarray) -> np.ndarray:
    """pinv(m)ᵀ.

    When no old unit feeds two new ones (selections, group means, grouped random weights),
    the columns are orthogonal and pinv(m)ᵀ is each column divided by its squared norm:
    exactly the group sum for a mean and the same selection for a selection, without the
    rounding an SVD would add. Otherwise the SVD-based pseudo-inverse.
    """
    m = np.asarray(m, dtype=np.float64)
    if ((m != 0).sum(axis=1) <= 1).all():
        norms = (m * m).sum(axis=0)
        return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)
    return np.linalg.pinv(m).T


def _columns(n: int, groups: list[np.ndarray], weights: list[np.ndarray]) -> np.ndarray:
    m = np.zeros((n, len(groups)), dtype=np.float64)
    for j, (g, w) in enumerate(zip(groups, weights, strict=True)):
        m[g, j] = w
    return m


def _mean(n: int, groups: list[np.ndarray]) -> np.ndarray:
    return _columns(n, groups, [np.full(len(g), 1.0 / len(g)) for g in groups])


def _random(n: int, groups: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    return _columns(n, groups, [rng.dirichlet(np.ones(len(g))) for g in groups])


def _select(n: int, kept: np.ndarray) -> np.ndarray:
    return _columns(n, [np.array([i]) for i in kept], [np.ones(1)] * len(kept))


def top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, in their original order (ties go to the lower index)."""
    order = np.argsort(-scores, kind="stable")[:k]
    return np.sort(order)


def column_normalised_gaussian(n: int, new: int, rng: np.random.Generator) -> np.ndarray:
    """The article's matrix: ``randn(n, new)`` divided by its column sums."""
    m = rng.standard_normal((n, new))
    return m / m.sum(axis=0)


def near_zero_columns(m: np.ndarray) -> list[tuple[int, float]]:
    """Columns of an article matrix whose raw sum was tiny, with the factor it blew them up by.

    Works on the normalised matrix, so it also checks matrices a user hands in: a raw
    Gaussian column has norm about sqrt(n), so after division by its sum s the column's norm
    is about sqrt(n)/|s|, which is 1 for a typical sum and large exactly when s was tiny.
    """
    norms = np.linalg.norm(m, axis=0)
    return [(j, float(a)) for j, a in enumerate(norms) if a > 1.0 / NEAR_ZERO_COLUMN_SUM]


def head_matrices(method: str, layer: AttentionLayer, new_heads: int, new_kv: int,
                  scores: Importance | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Query-head and key/value-head matrices that respect grouped-query structure (rule 4).

    Old kv heads fall into ``new_kv`` groups (contiguous for mean/random, single kept heads
    for select). A new query head mixes only old query heads that read a kv head of the group
    its own new kv head is made from.
    """
    nq, nkv = layer.num_heads, layer.num_kv_heads
    if new_heads == nq and new_kv == nkv:
        return np.eye(nq), np.eye(nkv)
    if method == "select":
        assert scores is not None
        kv_groups = [np.array([g]) for g in top(scores.kv_heads, new_kv)]
    else:
        kv_groups = np.array_split(np.arange(nkv), new_kv)
    if new_kv == nkv:
        kv = np.eye(nkv)
    elif method == "select":
        kv = _select(nkv, np.concatenate(kv_groups))
    elif method == "random":
        kv = _random(nkv, kv_groups, rng)
    else:
        kv = _mean(nkv, kv_groups)

    per_group = new_heads // new_kv
    reads = np.arange(nq) // (nq // nkv)
    q_groups, q_weights = [], []
    for group in kv_groups:
        candidates = np.flatnonzero(np.isin(reads, group))
        if method == "select":
            chosen = candidates[top(scores.q_heads[candidates], per_group)]
            q_groups += [np.array([h]) for h in chosen]
            q_weights += [np.ones(1)] * per_group
        else:
            for part in np.array_split(candidates, per_group):
                q_groups.append(part)
                q_weights.append(rng.dirichlet(np.ones(len(part))) if method == "random" else np.full(len(part), 1 / len(part)))
    return _columns(nq, q_groups, q_weights), kv


def dim_matrix(method: str, d: int, new_d: int, scores: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """Value dims, or query/key dims of a model without rotary embeddings."""
    if new_d == d:
        return np.eye(d)
    if method == "select":
        return _select(d, top(scores, new_d))
    groups = np.array_split(np.arange(d), new_d)
    return _random(d, groups, rng) if method == "random" else _mean(d, groups)


def pair_matrix(d: int, kept_pairs: np.ndarray) -> np.ndarray:
    """Select whole rotary pairs: kept pair ``i`` brings dims ``i`` and ``i + d/2`` along."""
    half = d // 2
    dims = np.concatenate([kept_pairs, kept_pairs + half])
    return _select(d, dims)


def layer_mixing(method: str, layer: AttentionLayer, new_heads: int, new_kv: int, new_d: int,
                 scores: Importance | None, rng: np.random.Generator,
                 kept_pairs: np.ndarray | None, dtype=np.float32) -> LayerMixing:
    """Build every matrix and scale for one layer, following the design note's rules."""
    d = layer.head_dim
    if method == "article":
        return article_mixing(layer.index, *_article_matrices(layer, new_heads, new_kv, new_d, rng), dtype=dtype)

    q_heads, kv_heads = head_matrices(method, layer, new_heads, new_kv, scores, rng)
    v_dims = dim_matrix(method, d, new_d, None if scores is None else scores.v_dims, rng)
    if new_d == d:
        qk = np.eye(d)
        kept_pairs = None
    elif rotary_pairs(layer):
        assert kept_pairs is not None
        qk = pair_matrix(d, kept_pairs)
    else:
        qk = dim_matrix(method, d, new_d, None if scores is None else scores.qk_units, rng)
        kept_pairs = None
    scale = math.sqrt(new_d / d)  # rule 2: logits divided by sqrt(d') keep their sqrt(d) scale
    has_norm = "q_norm" in layer.names
    f = lambda m: np.asarray(m, dtype=dtype)  # noqa: E731
    return LayerMixing(
        index=layer.index,
        q_heads=f(q_heads),
        kv_heads=f(kv_heads),
        qk_dims=f(qk),
        k_dims=f(output_side(qk)),
        v_dims=f(v_dims),
        o_heads=f(output_side(q_heads)),
        o_dims=f(output_side(v_dims)),
        # A qk-norm would divide a scale on the projection away again, and it renormalises
        # over d' dims instead of d; folding 1/scale into q_norm keeps the logits exact when
        # the dropped pairs carry nothing (see design note, rule 2, and the derivation in README).
        q_scale=1.0 if has_norm else scale,
        q_norm_scale=1.0 / scale if has_norm else 1.0,
        kept_pairs=kept_pairs,
        warnings=[],
    )


def _article_matrices(layer: AttentionLayer, new_heads: int, new_kv: int, new_d: int, rng: np.random.Generator):
    nq, nkv, d = layer.num_heads, layer.num_kv_heads, layer.head_dim
    q_heads = np.eye(nq) if new_heads == nq else column_normalised_gaussian(nq, new_heads, rng)
    if nkv == nq and new_kv == new_heads:
        kv_heads = q_heads
    else:
        kv_heads = np.eye(nkv) if new_kv == nkv else column_normalised_gaussian(nkv, new_kv, rng)
    dims = np.eye(d) if new_d == d else column_normalised_gaussian(d, new_d, rng)
    return q_heads, kv_heads, dims


def article_mixing(index: int, q_heads: np.ndarray, kv_heads: np.ndarray, dims: np.ndarray,
                   dtype=np.float64) -> LayerMixing:
    """The article, faithfully: the same matrices on q, k, v and the output, no compensation.

    Computed in float64 like the article's own numpy, so the exported tensors equal its
    results rounded to the checkpoint's dtype.
    """
    warnings = []
    checked = [("head", q_heads)] if kv_heads is q_heads else [("query-head", q_heads), ("kv-head", kv_heads)]
    for label, m in checked + [("dim", dims)]:
        if m.shape[0] != m.shape[1] or not np.array_equal(m, np.eye(m.shape[0])):
            for j, factor in near_zero_columns(m):
                warnings.append(
                    f"layer {index}: column {j} of the article's {label} matrix had a near-zero sum; "
                    f"dividing by it scales its weights by about {factor:.0f}x"
                )
    q_heads, kv_heads, dims = (np.asarray(m, dtype=np.float64) for m in (q_heads, kv_heads, dims))
    return LayerMixing(
        index=index,
        q_heads=q_heads,
        kv_heads=kv_heads,
        qk_dims=dims,
        k_dims=dims,
        v_dims=dims,
        o_heads=q_heads,
        o_dims=dims,
        q_scale=1.0,
        kept_pairs=None,
        warnings=warnings,
    )
