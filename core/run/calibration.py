"""Calibrated shrinking: each layer chosen, merged and compensated from the activations it sees.

The calibration text runs through the model **layer by layer**: layer *l* is shrunk from
the activations that leave the already-shrunk layers before it (GPTQ's and SparseGPT's
sequential scheme), so later layers correct what earlier ones lost, with one layer's weights
and the calibration tokens' activations in memory. For each layer, on those activations:

1. **What matters is measured**: each rotary pair by ``E‖q_pair‖·E‖k_pair‖`` summed over the
   query heads that read it (MHA2MLA, ThinK), in a first pass over the original model, since
   config.json holds one rope for every layer.
2. **Key/value heads merge RoPE-aware**: kv heads are grouped by how well a rank-1 complex fit
   per rotary pair explains each pair of them, and each group's keys merge per pair by the top
   complex principal component (TransMLA's joint complex PCA), the queries that read head g
   multiplied by the matching complex factor, the only maps that commute with RoPE
   (:func:`fitting.pair_merge_weights`). Values merge, and shrink, by the top principal
   directions of their activations, folded into the output projection. Without rotary
   embeddings keys do the same as values. A qk-norm is not linear, so on such models kv heads
   are selected, not merged.
3. **Query heads are kept by the refit they allow**, within the groups rule 4 allows: every
   head's outputs under the new kv heads and head size go into one Gram with the layer's output,
   and the subset whose damped least-squares refit (step 4) is best is kept
   (:mod:`..shrink.query_choice`; by energy with ``query_heads="energy"``). Without a qk-norm,
   each kept rotary pair of each query head then takes a complex factor fitted to the softmax's
   view of the logits where the head size shrinks (:mod:`.query_pairs`).
4. **The output projection is refitted by least squares** so that the shrunk attention
   reproduces the original layer's output on the same input, damped towards the
   uncompensated projection (:class:`fitting.Gram`); where the family has an output bias it
   is fitted too. The fit is kept only where it lowers the calibration error.

Everything exports as plain weights (:class:`methods.LayerMixing` maps plus the refitted
output projection), so stock transformers loads it as it loads any other shrink.
"""

from __future__ import annotations

import itertools
import threading
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..errors import Cancelled
from ..model.architecture import Layer
from ..model.families import Norm
from ..shrink.fitting import (Gram, complex_pairs, complex_scaling_matrix, output_directions, pair_merge_weights,
                              principal_directions)
from ..model.attention import attend, output, project
from ..model.embedding import embed
from ..model.forward_spec import attention_spec, model_spec
from ..model.importance import summed_pair_scores
from ..model.layer_step import attention_input, finish_layer_in_place
from ..shrink.methods import LayerMixing, UnitMap, columns, output_side, select_matrix, temperature, top
from ..shrink.mixing import mix_layer
from ..shrink.qk_norm import refit_norm_weight
from ..shrink.query_choice import best_heads
from .query_pairs import fitted_pair_factors, fitted_temperatures, with_pair_factors
from ..model.pipeline import LayerPipeline
from ..io.spill import SpillFolder, SpilledArrays
from ..io.text import CALIBRATION_BOS

if TYPE_CHECKING:
    from ..io.checkpoint import Checkpoint
    from ..io.text import Sample
    from ..model.architecture import Architecture
    from ..model.importance import Importance

Progress = Callable[[int, int], None]
#: (mixing keeping every query head, each group's candidate query heads, heads to keep per group) -> kept heads
KeepQueries = Callable[[LayerMixing, list[np.ndarray], int], np.ndarray]


class CalibratedRun(Protocol):
    """What a calibration reads from the run it serves (:class:`shrink_run.ShrinkRun`, which builds it): the
    plan's description, the layer scores and rotary pairs kept, the config the export writes, and whom to tell."""

    arch: Architecture
    checkpoint: Checkpoint
    layers: tuple[int, ...]
    num_heads: int
    num_kv_heads: int
    head_dim: int
    new_scale_base: float | None
    reduces_rotary_pairs: bool
    kept_pairs: np.ndarray | None
    calibration_progress: Progress | None
    calibration_cancelled: Callable[[], bool] | None

    def importance(self, index: int) -> Importance: ...

    def new_config(self) -> dict | None: ...

#: defaults: a few thousand tokens in windows of 512; damping 3% of the mean diagonal: of 0.1%–30% on a
#: real decoder, the best on kv heads and head size and within 2% of the best elsewhere (README, "Choosing
#: the default by measurement")
DEFAULT_CALIBRATION_TOKENS = 4096
DEFAULT_CALIBRATION_WINDOW = 512
DEFAULT_DAMPING = 0.03
#: the rotary pairs are ranked on the first windows only: on SmolLM2-135M the pairs kept from 512, 1,024
#: and 4,096 tokens were identical for head sizes 16, 32 and 48, progression and any subset alike
#: (summed per-pair norms settle fast), and the first pass costs a quarter as much
PAIR_SCORE_TOKENS = 1024


@dataclass(frozen=True)
class CalibrationOptions:
    """How the calibrated method runs; the defaults are the measured best (README, scripts/measure_quality.py).

    ``sequential``: fit each layer on the shrunk model's own activations (else the original's);
    ``target``: reproduce the original layer on the same input ("layer") or the original model's
    own attention output at that layer ("model"); ``compensate``: refit the output projection;
    ``damping``: of that least-squares fit, as a fraction of the mean diagonal; ``pair_scores``:
    rank rotary pairs by activations or by weight norms.
    """

    sequential: bool = True
    target: str = "layer"
    compensate: bool = True
    damping: float = DEFAULT_DAMPING
    pair_scores: str = "activations"
    #: "rule": rule 2's sqrt(d'/d); "fit": per query head, matched to the original logits; "pairs": a complex factor
    #: per kept rotary pair and query head, fitted to the softmax's view of the logits (run/query_pairs.py)
    temperature: str = "pairs"
    damp_towards: str = "prior"  # "prior": the uncompensated projection; "zero": plain ridge regression
    #: a qk-norm under a smaller head size: "rule": the weights follow the kept dims and q_norm takes rule 2's
    #: uniform sqrt(d'/d); "refit" each kept dim's q_norm/k_norm weight so the kept dims, renormalised over d'
    #: dims, reproduce the original normalised ones on the data (shrink/qk_norm.py). It lowers each layer's
    #: calibration error but was worse on every held-out cell of Gemma 3's head size 256 → 128 (README,
    #: "The worst case"), so the rule stays the default
    qk_norm: str = "rule"
    #: which calibration windows start with the BOS (io.text.BOS_PLACES): every other one by default, so the
    #: shrink is fitted to windows with and without it; "every" is the way before issue 22
    bos: str = CALIBRATION_BOS
    #: which query heads a group keeps when query heads go: "energy" (each head's ``E‖z_h·W_o,h‖²``) or "fit",
    #: the subset whose damped least-squares refit reproduces the layer best (shrink/query_choice.py)
    query_heads: str = "fit"
    #: a smaller head size's value dims by their "pca" principal directions, or by the "output" directions that
    #: keep the most of what the output projection writes from them (fitting.output_directions); kv merges keep PCA
    value_basis: str = "pca"


@dataclass
class LayerFit:
    """How well one shrunk layer's attention reproduces the original on the calibration tokens."""

    layer: int
    error_before_fit: float  # relative error of the attention output with the mixing alone
    error: float  # after the least-squares refit (never above the one before)
    refitted: bool

    def to_json(self) -> dict:
        return {"layer": self.layer, "error_before_fit": self.error_before_fit, "error": self.error, "refitted": self.refitted}


@dataclass
class CalibrationReport:
    """What headmix.json records: which text, how many tokens, and each layer's fit."""

    text: str
    sha256: str
    tokens: int
    windows: int
    window: int
    fits: list[LayerFit] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"text": self.text, "sha256": self.sha256, "tokens": self.tokens, "windows": self.windows,
                "window": self.window, "layers": [f.to_json() for f in self.fits]}  # fmt: skip


def _pair_means(x: np.ndarray, rotary_dim: int) -> np.ndarray:
    """``E‖x_pair‖`` per head and pair: ``(b, heads, T, d) -> (heads, rotary_dim/2)``."""
    return np.abs(complex_pairs(x.astype(np.float64), rotary_dim)).mean(axis=(0, 2))


def pair_scores(layer: Layer, q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Each rotary pair's ``E‖q_pair‖·E‖k_pair‖``, summed over query heads (each with the kv head it reads)."""
    rotary_dim = layer.rope.rotary_dim
    qm, km = _pair_means(q, rotary_dim), _pair_means(k, rotary_dim)
    reads = np.arange(layer.num_heads) // (layer.num_heads // layer.num_kv_heads)
    return (qm * km[reads]).sum(axis=0)


def head_energy(heads: np.ndarray, o: np.ndarray) -> np.ndarray:
    """``E‖z_h·W_o,h‖²`` per query head from its outputs ``heads (b, T, nq·d)`` and canonical ``o (nq, d, hidden)``."""
    nq, d, _ = o.shape
    z = heads.reshape(-1, nq, d)
    moments = np.zeros((nq, d, d))
    for start in range(0, z.shape[0], 1024):  # float64 a block of tokens at a time, not a copy of every token
        block = z[start:start + 1024].astype(np.float64)
        moments += np.einsum("nhd,nhe->hde", block, block)
    moments /= max(1, z.shape[0])
    oo = np.einsum("hdx,hex->hde", o.astype(np.float64), o.astype(np.float64))
    return np.einsum("hde,hde->h", moments, oo)


def kv_groups(similarity: np.ndarray, new_kv: int) -> list[np.ndarray]:
    """``new_kv`` equal groups of kv heads with the most similarity within groups.

    Exhaustive over the partitions when there are few (a handful of kv heads), greedy
    otherwise: the most similar pairs seed groups that grow by their best remaining match.
    """
    n = similarity.shape[0]
    size = n // new_kv
    if new_kv == 1:
        return [np.arange(n)]
    if size == 1:
        return [np.array([g]) for g in range(n)]

    def partitions(items: tuple[int, ...]):
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for others in itertools.combinations(rest, size - 1):
            group = (first, *others)
            remaining = tuple(i for i in rest if i not in others)
            for tail in partitions(remaining):
                yield [group, *tail]

    count = math.factorial(n) // (math.factorial(size) ** new_kv * math.factorial(new_kv))
    if count <= 20000:
        best = max(partitions(tuple(range(n))), key=lambda groups: sum(similarity[np.ix_(g, g)].sum() for g in groups))
        return [np.array(sorted(g)) for g in best]
    left = set(range(n))
    groups = []
    while left:
        seed = max(left, key=lambda i: max((similarity[i, j] for j in left if j != i), default=0.0))
        group = [seed]
        left.discard(seed)
        while len(group) < size:
            nxt = max(left, key=lambda j: sum(similarity[g, j] for g in group))
            group.append(nxt)
            left.discard(nxt)
        groups.append(np.array(sorted(group)))
    return sorted(groups, key=lambda g: g[0])


def key_similarity(layer: Layer, k: np.ndarray) -> np.ndarray:
    """How much of two kv heads' keys one merged head keeps, per pair of heads (1 = identical up to rotations)."""
    nkv = layer.num_kv_heads
    if layer.rope is not None and layer.rope.rotary_dim == layer.head_dim:
        z = complex_pairs(k.astype(np.float64), layer.head_dim)  # (b, nkv, T, pairs)
    else:
        z = k.astype(np.float64)
    flat = np.moveaxis(z, 1, -2).reshape(-1, nkv, z.shape[-1])  # (tokens, nkv, units)
    energy = np.einsum("tgj,tgj->gj", flat, np.conj(flat)).real  # per head and unit
    cross = np.einsum("tgj,thj->ghj", flat, np.conj(flat))
    sim = np.zeros((nkv, nkv))
    for a in range(nkv):
        for b in range(nkv):
            if a == b:
                continue
            # the top eigenvalue of the 2×2 Hermitian [[e_a, c], [c*, e_b]] per unit, over the total energy
            ea, eb, c = energy[a], energy[b], np.abs(cross[a, b])
            top_value = (ea + eb) / 2 + np.sqrt(((ea - eb) / 2) ** 2 + c**2)
            sim[a, b] = float(top_value.sum() / max((ea + eb).sum(), 1e-30))
    return sim


@dataclass
class _Decision:
    """One layer's maps before the refit, and what the refit needs to know."""

    mixing: LayerMixing
    kept_queries: np.ndarray


def decide(plan: CalibratedRun, layer: Layer, q: np.ndarray, k: np.ndarray, v: np.ndarray, heads: np.ndarray,
           w: dict[str, np.ndarray], temperature_fit: str = "rule", qk_norm: str = "rule",
           keep: KeepQueries | None = None, value_basis: str = "pca") -> _Decision:
    """The layer's maps from its activations: kv groups and merges, kept query heads, value bases.

    ``keep(mixing, candidates, per_group)`` chooses the query heads from a mixing that keeps them all
    (:meth:`Calibrator._keep_by_fit`); without it they are kept by energy.
    """
    nq, nkv, d = layer.num_heads, layer.num_kv_heads, layer.head_dim
    new_q, new_kv, new_d = plan.num_heads, plan.num_kv_heads, plan.head_dim
    rotary = layer.rope is not None and layer.rope.rotary_dim == d
    if layer.rope is not None and not rotary and (new_kv != nkv or new_d != d):
        raise NotImplementedError("partial rotary")  # refused by targets.check
    kept_pairs = plan.kept_pairs if rotary and new_d != d else None
    pairs = np.arange(d // 2) if kept_pairs is None else kept_pairs
    reads = np.arange(nq) // (nq // nkv)
    energy = head_energy(heads, w["o"])
    merging = new_kv != nkv and "k_norm" not in w

    # -- key/value heads: groups, and one matrix per old kv head for keys and for values
    if new_kv == nkv:
        groups = [np.array([g]) for g in range(nkv)]
    elif merging:
        groups = kv_groups(key_similarity(layer, k), new_kv)
    else:  # a qk-norm: keep the kv heads whose query heads write the most (select's way)
        groups = [np.array([g]) for g in top(np.bincount(reads, weights=energy, minlength=nkv), new_kv)]
    kv_heads = columns(nkv, groups, [np.ones(len(g)) for g in groups])
    key_dims = np.zeros((nkv, d, new_d))
    if rotary:  # heads that stay unmerged keep the pairs as they are (and a qk-norm sees one map for all)
        key_dims[:] = complex_scaling_matrix(np.ones(d // 2), d, pairs)
    value_dims = np.zeros((nkv, d, new_d))
    value_out = np.zeros((nkv, d, new_d))  # the output projection's side: value_dims unless they are not orthonormal
    factor = np.ones((nkv, d // 2), dtype=np.complex128)
    vf = v.astype(np.float64)
    for group in groups:
        if rotary:
            if len(group) > 1:
                z = complex_pairs(k[:, group].astype(np.float64), d)  # (b, |G|, T, pairs)
                flat = np.moveaxis(z, 1, -2).reshape(-1, len(group), d // 2)
                factor[group] = np.conj(pair_merge_weights(np.einsum("tgj,thj->jgh", flat, np.conj(flat))))
            for g in group:
                key_dims[g] = complex_scaling_matrix(factor[g], d, pairs)
        # values (and keys without rotary): the group's top principal directions, stacked per head
        stacked = np.moveaxis(vf[:, group], 1, -2).reshape(-1, len(group) * d)
        if value_basis == "output" and new_d != d:  # measured on head sizes only (README, the worst case)
            # what each query head reading the group writes through its output projection, in the group's slots
            writes = np.zeros((len(group) * d, len(group) * d))
            for slot, g in enumerate(group):
                for h in np.flatnonzero(reads == g):
                    oh = w["o"][h].astype(np.float64)
                    writes[slot * d:(slot + 1) * d, slot * d:(slot + 1) * d] += oh @ oh.T
            basis, out_basis = output_directions(stacked.T @ stacked, writes, new_d)
        else:
            basis = principal_directions(stacked.T @ stacked, new_d) if (len(group) > 1 or new_d != d) else np.eye(d)
            out_basis = basis
        for slot, g in enumerate(group):
            value_dims[g] = basis[slot * d : (slot + 1) * d]
            value_out[g] = out_basis[slot * d : (slot + 1) * d]
        if not rotary:
            ks = np.moveaxis(k[:, group].astype(np.float64), 1, -2).reshape(-1, len(group) * d)
            kbasis = principal_directions(ks.T @ ks, new_d) if (len(group) > 1 or new_d != d) else np.eye(d)
            for slot, g in enumerate(group):
                key_dims[g] = kbasis[slot * d : (slot + 1) * d]

    query_dims = key_dims[reads]  # a query head takes the key map of the kv head it reads
    o_dims = value_out[reads]
    q_scale, q_norm_scale = temperature(layer, new_d, plan.new_scale_base) if (new_d != d or plan.new_scale_base) else (1.0, 1.0)
    f32 = lambda m: np.asarray(m, dtype=np.float32)  # noqa: E731

    def with_queries(kept: np.ndarray, query_dims: np.ndarray) -> LayerMixing:
        q_heads = select_matrix(nq, kept)
        return LayerMixing(
            index=layer.index,
            q=UnitMap(f32(q_heads), f32(query_dims), q_scale),
            k=UnitMap(f32(kv_heads), f32(key_dims)),
            v=UnitMap(f32(kv_heads), f32(value_dims)),
            o=UnitMap(f32(output_side(q_heads)), f32(o_dims)),
            kept_pairs=kept_pairs,
            q_norm_scale=q_norm_scale,
        )

    # -- query heads: per group, among those reading the group (rule 4), the subset the refit does best
    # with (``keep``, from every head's outputs under the new kv heads and head size), else by energy
    per_group = new_q // new_kv
    candidates = [np.flatnonzero(np.isin(reads, group)) for group in groups]
    if keep is not None and new_q != nq:
        kept = np.asarray(keep(with_queries(np.arange(nq), query_dims), candidates, per_group))
    else:
        kept = np.concatenate([c[top(energy[c], per_group)] for c in candidates])
    if temperature_fit == "fit" and rotary and "q_norm" not in w and (new_d != d or merging):
        query_dims = query_dims * fitted_temperatures(plan, layer, q, k, query_dims, key_dims, reads, kept, q_scale)[:, None, None]
    if temperature_fit == "pairs" and rotary and "q_norm" not in w and new_d != d:  # measured on head sizes only
        query_dims = with_pair_factors(query_dims, fitted_pair_factors(plan, layer, q, k, query_dims, key_dims, kv_heads,
                                                                       reads, kept, q_scale))
    mixing = with_queries(kept, query_dims)
    if not rotary and "q_norm" in w and new_d != d:
        raise NotImplementedError("qk-norm without rotary")  # no family in the table has it
    if qk_norm == "refit" and "q_norm" in w and new_d != d:
        offset = 1.0 if layer.family.norm is Norm.RMS_PLUS_ONE else 0.0
        dims = np.concatenate([pairs, pairs + d // 2])  # the kept dims in the new layout's order
        mixing.replace["q_norm"] = refit_norm_weight(q[:, kept], w["q_norm"], offset, dims, q_norm_scale * new_d / d)
        mixing.replace["k_norm"] = refit_norm_weight(k, w["k_norm"], offset, dims, 1.0)
    return _Decision(mixing, kept)


class Calibrator:
    """The sequential walk: ``mixing(i)`` advances through the layers up to i, caching each layer's result.

    Two streams run side by side: the shrunk model's, whose inputs each layer is fitted on, and,
    with ``target="model"``, the original model's, whose attention outputs are then the target.
    """

    def __init__(self, plan: CalibratedRun, sample: Sample, options: CalibrationOptions = CalibrationOptions(),
                 progress: Progress | None = None, cancelled: Callable[[], bool] | None = None):
        self.plan = plan
        self.sample = sample
        self.options = options
        self._spill: SpillFolder | None = None  # made when the first refitted projection is
        self.damping = options.damping
        self.target = options.target
        self.compensate = options.compensate
        self._progress = progress
        self._cancelled = cancelled
        self._lock = threading.RLock()  # the window's workers and the export may ask from different threads
        self.spec = model_spec(plan.arch)
        self.mixings: dict[int, LayerMixing] = {}
        self.fits: dict[int, LayerFit] = {}
        self._walk = None
        self._pipeline: LayerPipeline | None = None  # the walk's, closed with it
        self._closing = False  # close() asked while a walk ran on another thread
        self._pair_scores: np.ndarray | None = None

    # ------------------------------------------------------------------ the first pass: rotary pair scores

    def pair_scores(self) -> np.ndarray:
        """Each rotary pair's calibrated score, normalised per changed layer and summed (one rope for all layers)."""
        with self._lock:
            return self._scores()

    def known_pair_scores(self) -> np.ndarray | None:
        """The pair scores if the first pass has run, else None (without running it)."""
        return self._pair_scores

    def _scores(self) -> np.ndarray:
        if self._pair_scores is None and self.options.pair_scores == "weights":
            self._pair_scores = summed_pair_scores((self.plan.importance(i) for i in self.plan.layers),
                                                   self.plan.arch.head_dim // 2)
        if self._pair_scores is None:
            plan, arch = self.plan, self.plan.arch
            windows = self.sample.windows
            first = windows.ids[:max(1, -(-PAIR_SCORE_TOKENS // windows.window))]
            h = embed(plan.checkpoint, arch, self.spec, first)
            total = np.zeros(arch.head_dim // 2)
            changed = set(plan.layers)
            steps = len(arch.layers)
            for _, weights in LayerPipeline(plan.checkpoint, arch, cancelled=self.cancelled,
                                            progress=lambda done, _: self.progress(done, 2 * steps)):
                layer = weights.layer
                spec = attention_spec(arch, layer)
                x = attention_input(self.spec, weights.other, h)
                q, k, v = project(spec, weights.attention, x)
                if layer.index in changed:
                    scores = pair_scores(layer, q, k)
                    total += scores / (scores.sum() or 1.0)
                finish_layer_in_place(self.spec, weights.other, h, output(weights.attention, attend(spec, q, k, v)))
            self._pair_scores = total
        return self._pair_scores

    # ------------------------------------------------------------------ the sequential pass

    def progress(self, done: int, total: int) -> None:
        """Report to whoever runs the calibration now (the plan's current callback, else the one given)."""
        report = self.plan.calibration_progress or self._progress
        if report is not None:
            report(done, total)

    def cancelled(self) -> bool:
        ask = self.plan.calibration_cancelled or self._cancelled
        return bool(ask and ask())

    def ready(self, index: int) -> bool:
        """Whether ``mixing(index)`` returns without running anything."""
        return index in self.mixings

    def mixing(self, index: int) -> LayerMixing:
        """Layer ``index``'s mixing, running the walk as far as needed.

        A cancel stops between layers and keeps the walk where it is, so asking again goes on from
        there (the layers done are never fitted twice); a failed walk starts over.
        """
        with self._lock:
            try:
                while index not in self.mixings:
                    if self.cancelled():
                        raise Cancelled("calibration cancelled; the layers fitted so far are kept")
                    if self._walk is None:
                        self._walk = self._layers()
                    try:
                        next(self._walk)
                    except StopIteration:
                        self._end_walk()
                        raise KeyError(f"layer {index} is not changed by this plan") from None
                    except Cancelled:
                        self._end_walk()  # stopped inside the first pass (the rotary pairs): that pass runs again
                        raise
                    except BaseException:
                        self._end_walk()  # a new walk recomputes the same layers from the start
                        raise
                if all(i in self.mixings for i in self.plan.layers):
                    # done: a suspended walk would keep its layer's weights, the next one read ahead and
                    # its activations for as long as the plan lives (through an evaluation, an export)
                    self._end_walk()
                return self.mixings[index]
            finally:
                if self._closing:
                    self._end_walk()

    def close(self) -> None:
        """Let a suspended walk go (its activations and read-ahead layer) when the plan is no longer shown.

        What was fitted stays; a later ``mixing`` of a layer not yet fitted walks again from the start.
        A walk running on another thread is let go when it stops.
        """
        if self._lock.acquire(blocking=False):
            try:
                self._end_walk()
            finally:
                self._lock.release()
        else:
            self._closing = True

    def _end_walk(self) -> None:
        walk, pipeline, self._walk, self._pipeline, self._closing = self._walk, self._pipeline, None, None, False
        if walk is not None:
            walk.close()
        if pipeline is not None:
            pipeline.close()

    def _layers(self):
        """The walk: yields after each layer (changed or not), so a cancel is heard between any two layers."""
        plan, arch = self.plan, self.plan.arch
        plan.kept_pairs  # noqa: B018 - the rope is decided before the first layer
        config = plan.new_config()
        h = embed(plan.checkpoint, arch, self.spec, self.sample.windows.ids)
        original = h.copy() if self.target == "model" or not self.options.sequential else None
        changed = set(plan.layers)
        steps = len(arch.layers)
        offset = steps if plan.reduces_rotary_pairs else 0
        total = steps + offset
        # no cancel here: mixing() asks between layers, so a cancelled walk can go on later
        self._pipeline = pipeline = LayerPipeline(plan.checkpoint, arch,
                                                  progress=lambda done, _: self.progress(offset + done, total))
        for _, weights in pipeline:
            layer = weights.layer
            spec = attention_spec(arch, layer)
            x = attention_input(self.spec, weights.other, h)
            if layer.index not in changed:
                attn = output(weights.attention, attend(spec, *project(spec, weights.attention, x)))
                if original is not None:
                    xo = attention_input(self.spec, weights.other, original)
                    finish_layer_in_place(self.spec, weights.other, original,
                                          output(weights.attention, attend(spec, *project(spec, weights.attention, xo))))
                finish_layer_in_place(self.spec, weights.other, h, attn)
                del weights, x, attn
                yield layer.index
                continue
            if not self.options.sequential:  # fit on the original model's activations (one pass, as TransMLA does)
                x = attention_input(self.spec, weights.other, original)
            q, k, v = project(spec, weights.attention, x)
            heads = attend(spec, q.copy(), k.copy(), v)
            if original is None:
                target = output(weights.attention, heads)
            else:
                xo = attention_input(self.spec, weights.other, original)
                target = output(weights.attention, attend(spec, *project(spec, weights.attention, xo)))
                finish_layer_in_place(self.spec, weights.other, original, target)
            keep = (self._keep_by_fit(layer, weights.attention, x, target, config)
                    if self.options.query_heads == "fit" and self.compensate else None)
            decision = decide(plan, layer, q, k, v, heads, weights.attention, self.options.temperature,
                              self.options.qk_norm, keep, self.options.value_basis)
            del q, k, v, heads
            mixing, attn = self._refit(layer, decision.mixing, weights.attention, x, target, config)
            self.mixings[layer.index] = mixing
            finish_layer_in_place(self.spec, weights.other, h, attn)
            del weights, x, attn, target, decision, mixing  # a suspended walk keeps its activations, not this layer
            yield layer.index

    def _keep_by_fit(self, layer: Layer, w: dict[str, np.ndarray], x: np.ndarray, target: np.ndarray,
                     config: dict | None) -> KeepQueries:
        """Query heads chosen by the refit they allow: every head's outputs under the new kv heads and head
        size, in one Gram with the target, and :func:`query_choice.best_heads` on it (the same damping)."""
        plan = self.plan

        def keep(mixing: LayerMixing, candidates: list[np.ndarray], per_group: int) -> np.ndarray:
            new = mix_layer(layer, mixing, w)
            nq = layer.num_heads
            spec = attention_spec(plan.arch, layer, nq, plan.num_kv_heads, plan.head_dim, plan.kept_pairs, config)
            _, gram, prior = self._gram(new, w, spec, x, target)
            return best_heads(gram, prior, candidates, per_group, plan.head_dim, self.damping, int("o_bias" in w))

        return keep

    def _gram(self, new: dict[str, np.ndarray], w: dict[str, np.ndarray], spec, x: np.ndarray, target: np.ndarray
              ) -> tuple[np.ndarray, Gram, np.ndarray]:
        """The mixed attention's head outputs (a ones column last where the family has an output bias), their
        Gram with the target, and the uncompensated projection (and bias) the refit is damped towards."""
        heads = attend(spec, *project(spec, new, x))  # (b, T, nq'·d')
        units = heads.shape[-1]
        z = heads.reshape(-1, units)
        if "o_bias" in w:
            z = np.concatenate([z, np.ones((z.shape[0], 1), dtype=z.dtype)], axis=1)
        gram = Gram(z.shape[1], target.shape[-1])
        for part in np.array_split(np.arange(z.shape[0]), max(1, z.shape[0] // 2048)):
            gram.add(z[part], target.reshape(-1, target.shape[-1])[part])
        prior = np.asarray(new["o"], dtype=np.float64).reshape(units, -1)
        if "o_bias" in w:
            prior = np.concatenate([prior, np.asarray(w["o_bias"], dtype=np.float64)[None, :]], axis=0)
        return z, gram, prior

    def _refit(self, layer: Layer, mixing: LayerMixing, w: dict[str, np.ndarray], x: np.ndarray, target: np.ndarray,
               config: dict | None) -> tuple[LayerMixing, np.ndarray]:
        """Refit the output projection (and bias) on the calibration tokens; returns the mixing and the attention output."""
        plan = self.plan
        new = mix_layer(layer, mixing, w)
        spec = attention_spec(plan.arch, layer, plan.num_heads, plan.num_kv_heads, plan.head_dim, plan.kept_pairs, config)
        z, gram, prior = self._gram(new, w, spec, x, target)
        has_bias = "o_bias" in w
        units = z.shape[1] - int(has_bias)
        before = gram.error(prior)
        weights, refitted = prior, False
        if self.compensate:
            fitted = gram.fit(self.damping, prior if self.options.damp_towards == "prior" else None)
            if gram.error(fitted) < before:
                weights, refitted = fitted, True
        scale = max(gram.yy, 1e-30)
        self.fits[layer.index] = LayerFit(layer.index, math.sqrt(before / scale), math.sqrt(gram.error(weights) / scale), refitted)
        if refitted:
            # on disk until written: every layer's refitted W_o in memory would not be bounded by one layer
            if self._spill is None:
                self._spill = SpillFolder()
            spilled = SpilledArrays(self._spill)
            spilled.update(mixing.replace)
            mixing.replace = spilled
            mixing.replace["o"] = np.ascontiguousarray(weights[:units].reshape(plan.num_heads, plan.head_dim, -1), dtype=np.float32)
            if has_bias:
                mixing.replace["o_bias"] = np.asarray(weights[units], dtype=np.float32)
        attn = (z @ weights.astype(np.float32)).reshape(target.shape)
        return mixing, attn

    def report(self) -> CalibrationReport:
        info = self.sample.info
        return CalibrationReport(info.source, info.sha256, info.scored_tokens + info.windows, info.windows, info.window,
                                 [self.fits[i] for i in sorted(self.fits)])

