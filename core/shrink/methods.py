"""The methods, their mixing matrices, and the rules that make them behave.

Matrices are ``(old, new)``: column ``j`` says how new unit ``j`` combines old units. The
query/key/value side uses them directly; the output side uses the pseudo-inverse
transposed, so that ``v·A`` followed by ``W_o·pinv(A)ᵀ`` returns to the original output
wherever ``A`` loses nothing (design note, rule 1). For a group mean that is the group sum,
for a selection the same selection.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from ..model.architecture import Layer


class Method(str, Enum):
    """How new heads and dims are made from old ones. A ``str``, so JSON and the CLI read it as its name."""

    CALIBRATED = "calibrated"
    SELECT = "select"
    MEAN = "mean"
    RANDOM = "random"
    ARTICLE = "article"

    def __str__(self) -> str:
        return self.value

    @property
    def sentence(self) -> str:
        return _SENTENCES[self]

    @property
    def needs_scores(self) -> bool:
        """Whether the matrices depend on the weights (read per layer), not on shapes and the seed alone."""
        return self is Method.SELECT

    @property
    def chooses_pairs(self) -> bool:
        """Whether the kept rotary pairs are chosen from scores (weights or activations), not from the shapes alone."""
        return self in (Method.SELECT, Method.CALIBRATED)

    @property
    def compensates(self) -> bool:
        """Whether the output side is compensated (every method except the article's)."""
        return self is not Method.ARTICLE

    @property
    def sequential(self) -> bool:
        """Whether layer l's matrices depend on the shrunk layers before it (calibration runs the model)."""
        return self is Method.CALIBRATED

    def selects_kv(self, layer) -> bool:
        """Whether new kv heads are kept old ones (so each reaches only its own query heads), not merged groups."""
        return self is Method.SELECT or (self is Method.CALIBRATED and "k_norm" in layer.names)


#: one sentence each, shown in the window, the CLI's help and the README.
_SENTENCES = {
    Method.CALIBRATED: "Run a calibration text through the model layer by layer: keep the query heads whose outputs "
    "best reproduce the layer's, merge key/value heads RoPE-aware and values by their principal directions, and refit the output projection "
    "by least squares.",
    Method.SELECT: "Keep the heads and dims with the highest weight-norm importance scores and drop the rest.",
    Method.MEAN: "Average contiguous groups of heads and dims (for key/value heads this is the GQA paper's mean pooling).",
    Method.RANDOM: "Replace each group that mean would average by a seeded random weighted average "
    "(positive weights summing to one).",
    Method.ARTICLE: "The article's method: Gaussian matrices divided by their column sums, the same ones on q, k, v "
    "and o, with no output compensation.",
}
METHODS = {m.value: m.sentence for m in Method}
#: the default where the model has a tokenizer; without one, the best data-free method on a
#: real decoder (README: "Choosing the default by measurement")
DEFAULT_METHOD = Method.CALIBRATED
DATA_FREE_DEFAULT = Method.MEAN

#: An article column whose raw sum is below this fraction of sqrt(n) (the typical size of a
#: sum of n standard normals) blows its weights up by the inverse; we warn about it.
NEAR_ZERO_COLUMN_SUM = 0.1


def method(value: str | Method) -> Method:
    """The method named ``value``; ValueError names the ones that exist."""
    try:
        return Method(value)
    except ValueError:
        raise ValueError(f"'{value}' is not one of {', '.join(m.value for m in Method)}") from None


@dataclass
class UnitMap:
    """How the new units of one projection are made: new (head j, dim e) = Σ heads[h, j] · dims_h[d, e] · old (h, d).

    ``dims`` is one ``(d, d')`` matrix shared by every head, i.e. ``kron(heads, dims)``, or
    ``(n, d, d')`` with one matrix per old head (the RoPE-aware key merge rotates each old
    head's pairs by its own complex factors). ``scale`` multiplies the result.
    """

    heads: np.ndarray
    dims: np.ndarray
    scale: float = 1.0


@dataclass
class LayerMixing:
    """Everything one layer's shrink applies.

    ``q``, ``k``, ``v`` map the projections' output units; ``o`` the output projection's
    input units (the compensating side). ``q_norm_scale`` multiplies the qk-norm query
    weight instead of a scale on the projection, which the norm would cancel. ``replace``
    holds canonical arrays that a calibrated fit computed directly (for example a refitted
    output projection); they win over the maps.
    """

    index: int
    q: UnitMap
    k: UnitMap
    v: UnitMap
    o: UnitMap
    kept_pairs: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)
    q_norm_scale: float = 1.0
    replace: MutableMapping[str, np.ndarray] = field(default_factory=dict)  # calibrated: on disk (spill.py)
    precision: str = "float32"

    def unit_map(self, role: str) -> UnitMap | None:
        return {"q": self.q, "k": self.k, "v": self.v, "o": self.o,
                "q_bias": self.q, "k_bias": self.k, "v_bias": self.v}.get(role)  # fmt: skip

    def matrices(self) -> dict[str, np.ndarray]:
        """Every matrix, by the names the window's heatmaps and the exported npz use."""
        return {key: getter(self) for key, _, getter in MATRICES}

    def heatmaps(self) -> dict[str, np.ndarray]:
        """The 2-D matrices a user looks at (per-head dim matrices are stacked head by head)."""
        shown = {}
        for key in HEATMAPS:
            m = self.matrices()[key]
            shown[key] = m.reshape(-1, m.shape[-1]) if m.ndim == 3 else m
        return shown


#: the matrices of a layer, by one name everywhere: (key, title, getter)
MATRICES = (
    ("q_heads", "Query heads", lambda m: m.q.heads),
    ("kv_heads", "Key/value heads", lambda m: m.k.heads),
    ("qk_dims", "Query/key dims", lambda m: m.q.dims),
    ("k_dims", "Key dims", lambda m: m.k.dims),
    ("v_heads", "Value heads", lambda m: m.v.heads),
    ("v_dims", "Value dims", lambda m: m.v.dims),
    ("o_heads", "Output heads", lambda m: m.o.heads),
    ("o_dims", "Output dims", lambda m: m.o.dims),
    ("scales", "Scales", lambda m: np.array([m.q.scale, m.q_norm_scale])),
)
MATRIX_TITLES = {key: title for key, title, _ in MATRICES}
#: the four the window draws side by side
HEATMAPS = ("q_heads", "kv_heads", "qk_dims", "v_dims")


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


def columns(n: int, groups: list[np.ndarray], weights: list[np.ndarray]) -> np.ndarray:
    m = np.zeros((n, len(groups)), dtype=np.float64)
    for j, (g, w) in enumerate(zip(groups, weights, strict=True)):
        m[g, j] = w
    return m


def mean_matrix(n: int, groups: list[np.ndarray]) -> np.ndarray:
    return columns(n, groups, [np.full(len(g), 1.0 / len(g)) for g in groups])


def random_matrix(n: int, groups: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    return columns(n, groups, [rng.dirichlet(np.ones(len(g))) for g in groups])


def select_matrix(n: int, kept: np.ndarray) -> np.ndarray:
    return columns(n, [np.array([i]) for i in kept], [np.ones(1)] * len(kept))


def top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, in their original order (ties go to the lower index)."""
    order = np.argsort(-np.asarray(scores), kind="stable")[:k]
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


def kv_groups_by_index(nkv: int, new_kv: int) -> list[np.ndarray]:
    return np.array_split(np.arange(nkv), new_kv)


def query_groups(layer: Layer, kv_groups: list[np.ndarray], per_group: int, method: Method,
                 q_scores: np.ndarray | None) -> list[np.ndarray]:
    """For each new kv head, the old query heads its ``per_group`` new query heads are made of (rule 4).

    A new query head mixes only old query heads that read a kv head of the group its own
    new kv head is made from: select keeps the best ``per_group`` of them, the others split
    them into contiguous runs.
    """
    nq, nkv = layer.num_heads, layer.num_kv_heads
    reads = np.arange(nq) // (nq // nkv)
    groups: list[np.ndarray] = []
    for group in kv_groups:
        candidates = np.flatnonzero(np.isin(reads, group))
        if method is Method.SELECT:
            assert q_scores is not None
            groups += [np.array([h]) for h in candidates[top(q_scores[candidates], per_group)]]
        else:
            groups += list(np.array_split(candidates, per_group))
    return groups


def head_matrices(method: Method, layer: Layer, new_heads: int, new_kv: int, scores, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Query-head and key/value-head matrices that respect grouped-query structure (rule 4)."""
    nq, nkv = layer.num_heads, layer.num_kv_heads
    if new_heads == nq and new_kv == nkv:
        return np.eye(nq), np.eye(nkv)
    if method is Method.SELECT:
        kv_groups = [np.array([g]) for g in top(scores.kv_heads, new_kv)]
        kv = np.eye(nkv) if new_kv == nkv else select_matrix(nkv, np.concatenate(kv_groups))
    else:
        kv_groups = kv_groups_by_index(nkv, new_kv)
        if new_kv == nkv:
            kv = np.eye(nkv)
        elif method is Method.RANDOM:
            kv = random_matrix(nkv, kv_groups, rng)
        else:
            kv = mean_matrix(nkv, kv_groups)
    q_groups = query_groups(layer, kv_groups, new_heads // new_kv, method, None if scores is None else scores.q_heads)
    if method is Method.SELECT:
        q = columns(nq, q_groups, [np.ones(1)] * len(q_groups))
    elif method is Method.RANDOM:
        q = random_matrix(nq, q_groups, rng)
    else:
        q = mean_matrix(nq, q_groups)
    return q, kv


def dim_matrix(method: Method, d: int, new_d: int, scores: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """Value dims, or query/key dims of a model without rotary embeddings."""
    if new_d == d:
        return np.eye(d)
    if method is Method.SELECT:
        return select_matrix(d, top(scores, new_d))
    groups = np.array_split(np.arange(d), new_d)
    return random_matrix(d, groups, rng) if method is Method.RANDOM else mean_matrix(d, groups)


def pair_matrix(d: int, kept_pairs: np.ndarray) -> np.ndarray:
    """Select whole rotary pairs: kept pair ``i`` brings dims ``i`` and ``i + d/2`` along."""
    half = d // 2
    return select_matrix(d, np.concatenate([kept_pairs, kept_pairs + half]))


def temperature(layer: Layer, new_d: int, new_scale_base: float | None = None) -> tuple[float, float]:
    """(scale on the query projection, scale on the q_norm weight) that keep the logits' scale (rule 2).

    With dims that carry nothing dropped, ``q·k`` keeps its value, and the logits are divided
    by sqrt(scale base): the head size d, now d', or a config constant (Gemma's
    query_pre_attn_scalar), which the export may rewrite to d' so that runtimes that ignore
    the constant compute the same (``new_scale_base``). The queries absorb the change. A
    qk-norm renormalises over d' dims, which multiplies each of q and k by sqrt(d'/d), and
    would cancel a scale on the projection, so there the whole correction goes into q_norm.
    """
    d = layer.head_dim
    old_base = layer.scale_base
    if new_scale_base is None:
        new_base = float(new_d) if layer.family.attention_scale_key is None else old_base
    else:
        new_base = new_scale_base
    logits_factor = math.sqrt(old_base / new_base)  # how much the new divisor changes the logits
    if "q_norm" in layer.names:
        logits_factor *= new_d / d
        return 1.0, 1.0 / logits_factor
    return 1.0 / logits_factor, 1.0


def layer_mixing(method: Method, layer: Layer, new_heads: int, new_kv: int, new_d: int, scores,
                 rng: np.random.Generator, kept_pairs: np.ndarray | None,
                 new_scale_base: float | None = None) -> LayerMixing:
    """Build every matrix and scale for one layer, following the design note's rules."""
    d = layer.head_dim
    if method is Method.ARTICLE:
        return article_mixing(layer.index, *article_matrices(layer, new_heads, new_kv, new_d, rng))
    q_heads, kv_heads = head_matrices(method, layer, new_heads, new_kv, scores, rng)
    v_dims = dim_matrix(method, d, new_d, None if scores is None else scores.v_dims, rng)
    if new_d == d:
        qk = np.eye(d)
        kept_pairs = None
    elif layer.rotary_pairs:
        assert kept_pairs is not None
        qk = pair_matrix(d, kept_pairs)
    else:
        qk = dim_matrix(method, d, new_d, None if scores is None else scores.qk_units, rng)
        kept_pairs = None
    changes_scale = new_scale_base is not None and new_scale_base != layer.scale_base
    q_scale, q_norm_scale = temperature(layer, new_d, new_scale_base) if new_d != d or changes_scale else (1.0, 1.0)
    f32 = lambda m: np.asarray(m, dtype=np.float32)  # noqa: E731
    return LayerMixing(
        index=layer.index,
        q=UnitMap(f32(q_heads), f32(qk), q_scale),
        k=UnitMap(f32(kv_heads), f32(output_side(qk))),
        v=UnitMap(f32(kv_heads), f32(v_dims)),
        o=UnitMap(f32(output_side(q_heads)), f32(output_side(v_dims))),
        kept_pairs=kept_pairs,
        q_norm_scale=q_norm_scale,
    )


def article_matrices(layer: Layer, new_heads: int, new_kv: int, new_d: int, rng: np.random.Generator):
    nq, nkv, d = layer.num_heads, layer.num_kv_heads, layer.head_dim
    q_heads = np.eye(nq) if new_heads == nq else column_normalised_gaussian(nq, new_heads, rng)
    if nkv == nq and new_kv == new_heads:
        kv_heads = q_heads
    else:
        kv_heads = np.eye(nkv) if new_kv == nkv else column_normalised_gaussian(nkv, new_kv, rng)
    dims = np.eye(d) if new_d == d else column_normalised_gaussian(d, new_d, rng)
    return q_heads, kv_heads, dims


def article_warnings(index: int, q_heads: np.ndarray, kv_heads: np.ndarray, dims: np.ndarray) -> list[str]:
    warnings = []
    checked = [("head", q_heads)] if kv_heads is q_heads else [("query-head", q_heads), ("kv-head", kv_heads)]
    for label, m in checked + [("dim", dims)]:
        if m.shape[0] != m.shape[1] or not np.array_equal(m, np.eye(m.shape[0])):
            for j, factor in near_zero_columns(m):
                warnings.append(
                    f"layer {index}: column {j} of the article's {label} matrix had a near-zero sum; "
                    f"dividing by it scales its weights by about {factor:.0f}x"
                )
    return warnings


def article_mixing(index: int, q_heads: np.ndarray, kv_heads: np.ndarray, dims: np.ndarray) -> LayerMixing:
    """The article, faithfully: the same matrices on q, k, v and the output, no compensation.

    Computed in float64 like the article's own numpy, so the exported tensors equal its
    results rounded to the checkpoint's dtype.
    """
    warnings = article_warnings(index, q_heads, kv_heads, dims)
    q_heads, kv_heads, dims = (np.asarray(m, dtype=np.float64) for m in (q_heads, kv_heads, dims))
    return LayerMixing(
        index=index,
        q=UnitMap(q_heads, dims),
        k=UnitMap(kv_heads, dims),
        v=UnitMap(kv_heads, dims),
        o=UnitMap(q_heads, dims),
        warnings=warnings,
        precision="float64",
    )
