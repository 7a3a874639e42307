"""Measuring a model, and what a plan does to it, on a text: perplexity, output error, per-layer error.

:func:`evaluate_model` gives one model's perplexity. :func:`evaluate_plan` measures a shrink
**without exporting it**: the original and the shrunk model run side by side in one layer
walk. Each layer's source weights are read once; the shrunk layer is the plan's mixing
applied to them in memory (rounded to the checkpoint's dtype, exactly as the export writes
it), and each model carries its own hidden states. Both share the embeddings and the output
head, which a shrink never touches, so the head too is read once.

Defaults (:data:`DEFAULT_WINDOW`, :data:`DEFAULT_MAX_TOKENS`): perplexity over the first
4,096 tokens of the text in non-overlapping windows of 512, each window scored on its own
(fresh context, so a window never sees the previous one). 512 tokens of context is what
most evaluations of small models use; 4,096 tokens (8 windows) give a perplexity that moves
by a few percent between texts while keeping a 135M model's check to seconds, and a 1B
model's to a minute or two on a laptop CPU. A text shorter than one window is refused.

What is reported, and why:

- **perplexity before and after**: ``exp`` of the mean negative log-likelihood of every
  scored token (see :mod:`text` for which tokens are scored).
- **final hidden-state error**: ``‖H' − H‖ / ‖H‖`` over every token, H the hidden states the
  output head (or, for an encoder, the user) reads. Also for encoders, with the **mean
  cosine** of each window's mean-pooled embedding against the original's.
- **per layer**: ``attention_error``, the relative error of the shrunk attention output
  against the original attention *on the shrunk model's own input* to that layer. Fed the
  same input, the two differ only by what the shrink did to this layer, so the number says
  where the shrink hurts, undiluted by earlier layers (on the original model's input it
  would measure a situation the shrunk model never meets; comparing each model on its own
  input would mix in all upstream drift). ``hidden_error`` is that accumulated drift: the
  relative error of the residual stream after the layer, shrunk against original.

Results are plain dataclasses that serialise to JSON (:meth:`PlanQuality.to_json`), keyed
by :func:`evaluation_key` (resolved request, source header digest, text hash, settings), so
the window can cache them per plan and ``headmix shrink --eval`` stores them in headmix.json.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from .. import __version__
from ..io.checkpoint import Checkpoint
from ..model.attention import attention
from ..model.embedding import embed
from ..model.forward import check_length, prepare
from ..model.forward_spec import attention_spec, model_spec
from ..model.layer_step import attention_input, finish_layer, run_layer
from ..model.output_head import OutputHead, final_hidden
from ..model.parallel import each, parallel_chunks, window_chunks
from ..model.layout import FUSED
from ..shrink.mixing import mix_layer
from ..model.pipeline import LayerPipeline
from ..model.architecture import Architecture
from ..plan.planner import Plan
from .shrink_run import ShrinkRun
from ..io.text import QualityUnavailable, Sample, TextInfo

#: ``progress(done, total)``: one step per layer, and a last one for the output head
Progress = Callable[[int, int], None]


@dataclass
class Perplexity:
    perplexity: float
    mean_nll: float  # nats per scored token
    tokens: int  # scored tokens

    @classmethod
    def from_nll(cls, nll: np.ndarray) -> Perplexity:
        mean = float(np.mean(nll))
        return cls(float(math.exp(mean)) if mean < 700 else math.inf, mean, int(nll.size))


@dataclass
class LayerError:
    layer: int
    changed: bool
    attention_error: float  # shrunk vs original attention output, both on the shrunk model's input
    hidden_error: float  # shrunk vs original residual stream after this layer


@dataclass
class ModelQuality:
    """One model's perplexity on a text."""

    key: str
    model: str
    architecture: str
    text: TextInfo
    perplexity: Perplexity
    seconds: float

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ModelQuality:
        return cls(**{**data, "text": TextInfo(**data["text"]), "perplexity": Perplexity(**data["perplexity"])})


@dataclass
class PlanQuality:
    """What a plan does to a model on a text (``before``/``after`` are None for encoders)."""

    key: str
    model: str
    architecture: str
    text: TextInfo
    targets: dict
    before: Perplexity | None
    after: Perplexity | None
    hidden_error: float
    embedding_cosine: float | None  # encoders: mean cosine of mean-pooled window embeddings
    layers: list[LayerError] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> PlanQuality:
        def ppl(value):
            return None if value is None else Perplexity(**value)

        return cls(**{**data, "text": TextInfo(**data["text"]), "before": ppl(data["before"]), "after": ppl(data["after"]),
                      "layers": [LayerError(**layer) for layer in data["layers"]]})


def evaluation_key(checkpoint: Checkpoint, info: TextInfo, plan: Plan | None = None) -> str:
    """A cache key: same source bytes' headers, same resolved targets, same text and windows -> same result."""
    resolved = None
    if plan is not None:
        r = plan.resolved
        # the targets as resolved (so "1/2" and 4 agree), and every other setting of the request
        # (method, seed, and whatever a newer Request adds) as given
        others = {k: v for k, v in plan.request.to_json().items() if k not in ("heads", "kv_heads", "head_dim", "layers")}
        resolved = {"num_heads": r.num_heads, "num_kv_heads": r.num_kv_heads, "head_dim": r.head_dim,
                    "layers": list(plan.layers), **others}
    payload = {
        "headmix": __version__,
        "source": checkpoint.header_digest(),
        "plan": resolved,
        "text": info.sha256,
        "window": info.window,
        "windows": info.windows,
        "bos": info.bos,
        "bos_first_only": info.bos_first_only,
    }
    if info.bos_places == "alternate":  # keys of the other conventions stay as they were
        payload["bos_places"] = info.bos_places
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _relative(num: float, den: float) -> float:
    return float(math.sqrt(num / den)) if den > 0 else (0.0 if num == 0 else math.inf)


def _squares(a: np.ndarray) -> float:
    flat = a.reshape(-1)
    return float(np.dot(flat, flat))


def _difference_squares(a: np.ndarray, b: np.ndarray) -> float:
    total = 0.0
    for part in window_chunks(a.shape[0], a.shape[1]):
        total += _squares(a[part] - b[part])
    return total


def _targets(ids: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(ids[:, 1:]).reshape(-1)


def _predicting(hidden: np.ndarray) -> np.ndarray:
    """The hidden states that predict the next token (every position but each window's last)."""
    return np.ascontiguousarray(hidden[:, :-1]).reshape(-1, hidden.shape[-1])


def evaluate_model(checkpoint: Checkpoint, sample: Sample, progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None, arch: Architecture | None = None) -> ModelQuality:
    """Perplexity of a causal LM on the sample, one layer in memory at a time (``arch``: the checkpoint's, when known)."""
    started = time.perf_counter()
    arch, spec = prepare(checkpoint, arch)
    if not spec.decoder:
        raise QualityUnavailable(
            f"{arch.family.title} is an encoder, so perplexity does not apply; `headmix shrink --eval` compares a "
            "shrink with the original instead (hidden-state error and embedding cosine)"
        )
    ids = sample.windows.ids
    check_length(spec, ids.shape[1])
    total = len(arch.layers) + 1
    report = progress or (lambda done, total: None)
    h = embed(checkpoint, arch, spec, ids)
    specs = {layer.index: attention_spec(arch, layer) for layer in arch.layers}
    pipeline = LayerPipeline(checkpoint, arch, progress=lambda done, _: report(done, total), cancelled=cancelled)
    for _, weights in pipeline:
        run_layer(spec, specs[weights.index], weights.attention, weights.other, h)
    hidden = final_hidden(checkpoint, arch, spec, h)
    (nll,) = OutputHead(checkpoint, arch, spec, cancelled).nll([_predicting(hidden)], _targets(ids))
    report(total, total)
    return ModelQuality(evaluation_key(checkpoint, sample.info), str(checkpoint.path), arch.name, sample.info,
                        Perplexity.from_nll(nll), time.perf_counter() - started)


def _dtypes(checkpoint: Checkpoint, layer) -> dict[str, str]:
    """Canonical attention role -> dtype of the stored tensor holding it."""
    out = {}
    for stored in layer.attention_roles:
        dtype = checkpoint.tensors[layer.names[stored]].dtype
        for role in FUSED.get(stored, (stored,)):
            out[role] = dtype
    return out


def evaluate_plan(plan: Plan | ShrinkRun, sample: Sample, progress: Progress | None = None,
                  cancelled: Callable[[], bool] | None = None) -> PlanQuality:
    """The original and the plan's shrunk model side by side, in one walk over the source's layers.

    With fewer layers the two no longer walk the same layers: the smaller model (and its head
    shrink) is measured side by side with itself unshrunk, for the per-layer errors, and the
    original model's perplexity is measured on its own for "before". A run's computed layers are reused.
    """
    plan = ShrinkRun.of(plan)
    if plan.reduction is not None:
        started = time.perf_counter()
        final = plan.final(cancelled=cancelled)  # the smaller model's run, measured on its own
        result = _side_by_side(final, sample, progress, cancelled)
        original = evaluate_model(plan.source_checkpoint, sample, None, cancelled, plan.reduction.arch)
        result.before = original.perplexity
        result.key = evaluation_key(plan.checkpoint, sample.info, plan)  # what a caller holding this plan computes
        result.seconds = time.perf_counter() - started  # the choice and the original's pass included
        return result
    return _side_by_side(plan, sample, progress, cancelled)


def _side_by_side(plan: ShrinkRun, sample: Sample, progress: Progress | None,
                  cancelled: Callable[[], bool] | None) -> PlanQuality:
    """The original and the run's shrunk model in one walk over the (same) layers."""
    started = time.perf_counter()
    checkpoint, arch = plan.checkpoint, plan.arch
    spec = model_spec(arch)
    ids = sample.windows.ids
    check_length(spec, ids.shape[1])
    total = len(arch.layers) + 1
    report = progress or (lambda done, total: None)
    changed = set(plan.layers)
    kept = plan.kept_pairs  # select's model-wide pair choice reads every changed layer's scores first
    if plan.method.sequential:
        # calibrate first: the calibration walk and this one each hold a layer's weights and activations,
        # so one after the other peaks at the larger of the two, not at their sum (scripts/benchmark.py, memory)
        for i in plan.layers:
            plan.mixing(i)
    original = {layer.index: attention_spec(arch, layer) for layer in arch.layers}
    # the shrunk layers run with the config the export writes (a core may, say, rewrite Gemma's
    # query_pre_attn_scalar for the new head size and fold the difference into the queries)
    written = plan.new_config() if changed else None
    shrunk = {i: attention_spec(arch, plan.layer(i), plan.num_heads, plan.num_kv_heads, plan.head_dim, kept, written)
              for i in changed}

    h = embed(checkpoint, arch, spec, ids)
    hs = h  # the shrunk model's stream is the original's until the first changed layer
    errors: list[LayerError] = []
    pipeline = LayerPipeline(checkpoint, arch, progress=lambda done, _: report(done, total), cancelled=cancelled)
    for _, weights in pipeline:
        i = weights.index
        if i not in changed and hs is h:
            run_layer(spec, original[i], weights.attention, weights.other, h)
            errors.append(LayerError(i, False, 0.0, 0.0))
            continue
        if hs is h:
            hs = h.copy()
        mixed = mix_layer(plan.layer(i), plan.mixing(i), weights.attention, _dtypes(checkpoint, plan.layer(i))) \
            if i in changed else weights.attention
        own, other = shrunk.get(i, original[i]), weights.other

        def both(part: slice, i: int = i, own=own, mixed=mixed, weights=weights, other=other, hs=hs) -> tuple[float, float]:
            x = h[part]
            h[part] = finish_layer(spec, other, x, attention(original[i], weights.attention, attention_input(spec, other, x)))
            xs = hs[part]
            inputs = attention_input(spec, other, xs)
            out = attention(own, mixed, inputs)
            diff = ref = 0.0
            if i in changed:
                expected = attention(original[i], weights.attention, inputs)
                diff, ref = _squares(out - expected), _squares(expected)
            hs[part] = finish_layer(spec, other, xs, out)
            return diff, ref

        sums = each(parallel_chunks(h.shape[0], h.shape[1]), both)
        diff, ref = sum(d for d, _ in sums), sum(r for _, r in sums)
        errors.append(LayerError(i, i in changed, _relative(diff, ref), _relative(_difference_squares(hs, h), _squares(h))))

    final = final_hidden(checkpoint, arch, spec, h)
    final_s = final if hs is h else final_hidden(checkpoint, arch, spec, hs)
    hidden_error = _relative(_difference_squares(final_s, final), _squares(final))
    before = after = cosine = None
    if spec.decoder:
        nll = OutputHead(checkpoint, arch, spec, cancelled).nll([_predicting(final), _predicting(final_s)], _targets(ids))
        before, after = Perplexity.from_nll(nll[0]), Perplexity.from_nll(nll[1])
    else:
        a, b = final.mean(axis=1, dtype=np.float64), final_s.mean(axis=1, dtype=np.float64)
        cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)
        cosine = float(cos.mean())
    report(total, total)
    targets = {"num_heads": plan.num_heads, "num_kv_heads": plan.num_kv_heads, "head_dim": plan.head_dim,
               "layers": list(plan.layers), "method": plan.method.value, "seed": plan.seed}
    return PlanQuality(evaluation_key(checkpoint, sample.info, plan), str(checkpoint.path), arch.name, sample.info, targets,
                       before, after, hidden_error, cosine, errors, time.perf_counter() - started)
