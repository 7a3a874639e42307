"""Fewer layers: the article's second question, answered on the user's own model.

A decoder layer maps ``x ↦ x + attn(x) + mlp(…)``; removing it is exact where that update is
zero, so layers are ranked by how little they change the residual stream. Three methods:

- ``drop``: remove the layers with the lowest **block influence**, ``1 − E[cos(x_in, x_out)]``
  over every token of the calibration text (ShortGPT); without a tokenizer, by a data-free
  proxy, the size of what the layer's output projections can write (``‖W_o‖² + ‖W_down‖²``).
- ``merge``: remove the same layers, but average each into the kept layer before it, every
  tensor, as the article proposes (LaCo merges by parameter differences; plain averaging is
  the article's question).
- ``fit``: remove them, then refit the MLP output of the kept layer before each removed run by
  least squares, so that the run's output is reproduced on the calibration text: ``r + M·T ≈ y``
  with ``M`` that layer's MLP output, ``r`` the residual it is added to and ``y`` what enters
  the next kept layer (ReplaceMe's closed form), damped towards ``T = I`` and folded into the
  down projection. Where the MLP output is normalised before the residual (Gemma 2/3's
  ``post_feedforward_layernorm``: ``r + g ⊙ norm(M)``) no matrix after the norm can be folded,
  so the fit runs in the normalised space instead (issue 22): ``T`` (folded into the down
  projection, before the norm) turns ``M`` towards the direction ``(y − r) / g``, and then the
  post-norm gain is refitted per dim, ``g' = argmin ‖r + g' ⊙ norm(M·T) − y‖²``. Post-norm
  encoders (BERT: ``norm(x + mlp(x))``) have no such place and keep drop and merge.

The result is a :class:`ReducedCheckpoint`: the same files seen as the smaller model, tensors
renamed to their new layer numbers (still copied byte for byte from the source), averaged or
refitted tensors computed on demand, and a config.json whose every per-layer list follows the
kept layers. Everything else (planning head targets, calibrating, exporting, evaluating) runs
on it unchanged.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np

from ..model.architecture import Architecture
from ..io.checkpoint import Checkpoint
from ..io.dtypes import to_source_dtype
from ..errors import TargetError
from ..model.families import Blocks, Layout, Norm
from .fitting import Gram
from ..io.safetensors_file import SafetensorsHeader, read_tensor

Progress = Callable[[int, int], None]


class LayerMethod(str, Enum):
    DROP = "drop"
    MERGE = "merge"
    FIT = "fit"

    def __str__(self) -> str:
        return self.value

    @property
    def sentence(self) -> str:
        return {
            LayerMethod.DROP: "Remove the layers that change the residual stream least (block influence on the "
                              "calibration text; weight norms without a tokenizer).",
            LayerMethod.MERGE: "Remove the same layers, each averaged into the kept layer before it, as the article "
                               "proposes.",
            LayerMethod.FIT: "Remove them and refit the MLP output of the kept layer before each removed run by least "
                             "squares, so the run's output is reproduced on the calibration text.",
        }[self]  # fmt: skip


LAYER_METHODS = {m.value: m.sentence for m in LayerMethod}


@dataclass
class LayerChoice:
    """Which source layers become the output's layers, and how."""

    kept: tuple[int, ...]  # source layer of each output layer, in order
    merged: dict[int, tuple[int, ...]] = field(default_factory=dict)  # kept layer -> removed layers averaged into it
    scores: tuple[float, ...] = ()  # per source layer, higher = more important
    score_kind: str = ""
    transforms: dict[int, np.ndarray] = field(default_factory=dict)  # kept layer -> fitted T (hidden × hidden)
    method: LayerMethod = LayerMethod.DROP
    #: kept layer -> its refitted post-MLP norm weight, as stored (post-norm families' fit)
    norms: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def removed(self) -> tuple[int, ...]:
        kept = set(self.kept)
        return tuple(i for i in range(len(self.scores) or (max(self.kept) + 1)) if i not in kept)

    def to_json(self) -> dict:
        return {
            "method": self.method.value,
            "layers": {str(new): [source, *self.merged.get(source, ())] for new, source in enumerate(self.kept)},
            "removed": list(self.removed),
            "merged": {str(k): list(v) for k, v in self.merged.items()},
            "refitted": sorted(self.transforms),
            **({"post_norm_refitted": sorted(self.norms)} if self.norms else {}),
            "scores": [round(float(s), 6) for s in self.scores],
            "score": self.score_kind,
        }


def weight_scores(checkpoint: Checkpoint, arch: Architecture) -> np.ndarray:
    """Data-free: how much each layer's output projections can write, ``‖W_o‖² + ‖W_down‖²`` per hidden unit."""
    scores = []
    for layer in arch.layers:
        total = 0.0
        for role in ("o", "down"):
            if role in layer.names:
                w = checkpoint.read_float(layer.names[role])
                total += float(np.einsum("ij,ij->", w, w, dtype=np.float64))
        scores.append(total / max(1, layer.hidden_size))
    return np.asarray(scores)


def block_influence(checkpoint: Checkpoint, arch: Architecture, ids: np.ndarray, progress: Progress | None = None,
                    cancelled: Callable[[], bool] | None = None) -> np.ndarray:
    """``1 − E[cos(x_in, x_out)]`` per layer over every token (the residual stream before and after it)."""
    from ..model.attention import attention
    from ..model.embedding import embed
    from ..model.forward_spec import attention_spec, model_spec
    from ..model.layer_step import attention_input, finish_layer
    from ..model.pipeline import LayerPipeline

    spec = model_spec(arch)
    h = embed(checkpoint, arch, spec, ids)
    scores = []
    for _, weights in LayerPipeline(checkpoint, arch, progress=progress, cancelled=cancelled):
        aspec = attention_spec(arch, weights.layer)
        out = finish_layer(spec, weights.other, h, attention(aspec, weights.attention, attention_input(spec, weights.other, h)))
        a, b = h.reshape(-1, h.shape[-1]).astype(np.float64), out.reshape(-1, out.shape[-1]).astype(np.float64)
        cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)
        scores.append(1.0 - float(cos.mean()))
        h = out
    return np.asarray(scores)


def choose(scores: np.ndarray, keep: int, method: LayerMethod) -> tuple[tuple[int, ...], dict[int, tuple[int, ...]]]:
    """The ``keep`` highest-scoring layers (ties: the earlier), and for merge which removed layers go into which kept one.

    A removed layer merges into the nearest kept layer before it (the first kept layer when none is before).
    """
    order = np.argsort(-np.asarray(scores), kind="stable")
    kept = tuple(sorted(int(i) for i in order[:keep]))
    merged: dict[int, tuple[int, ...]] = {}
    if method is LayerMethod.MERGE:
        groups: dict[int, list[int]] = {}
        for r in (i for i in range(len(scores)) if i not in kept):
            before = [k for k in kept if k < r]
            groups.setdefault(before[-1] if before else kept[0], []).append(r)
        merged = {k: tuple(v) for k, v in groups.items()}
    return kept, merged


def _layer_prefix(arch: Architecture, index: int) -> str:
    return f"{arch.base}{arch.family.layers_path}.{index}."


class ReducedCheckpoint(Checkpoint):
    """The source's files seen as the model with fewer layers: renamed, averaged or refitted tensors, new config."""

    def __init__(self, source: Checkpoint, arch: Architecture, choice: LayerChoice):
        self.source = source
        self.choice = choice
        self.computed: dict[str, Callable[[], np.ndarray]] = {}
        rename: dict[str, str] = {}
        pattern = re.compile(rf"^{re.escape(arch.base)}{re.escape(arch.family.layers_path)}\.(\d+)\.(.+)$")
        new_index = {source_index: new for new, source_index in enumerate(choice.kept)}
        for name in source.tensors:
            m = pattern.match(name)
            if m is None:
                rename[name] = name
            elif int(m[1]) in new_index:
                rename[name] = f"{_layer_prefix(arch, new_index[int(m[1])])}{m[2]}"
        headers = []
        for header in source.headers:
            tensors = {rename[n]: replace(info, name=rename[n]) for n, info in header.tensors.items() if n in rename}
            headers.append(SafetensorsHeader(header.path, tensors, header.metadata, header.header_bytes, header.data_start))
        tensors = {name: info for h in headers for name, info in h.tensors.items()}
        self.rename = rename  # source name -> name in the smaller model, for the kept tensors
        index = copy.deepcopy(source.index)
        if index is not None:
            index["weight_map"] = {rename[n]: f for n, f in index["weight_map"].items() if n in rename}
        super().__init__(source.path, source.folder, source.files, headers, tensors, reduced_config(source.config, arch, choice),
                         index, list(source.notes))
        for kept, removed in choice.merged.items():
            for name, info in source.tensors.items():
                m = pattern.match(name)
                if m is None or int(m[1]) != kept:
                    continue
                parts = [name] + [f"{_layer_prefix(arch, r)}{m[2]}" for r in removed]
                if all(p in source.tensors and source.tensors[p].shape == info.shape for p in parts):
                    self.computed[rename[name]] = self._average(parts, info.dtype)
        for kept, transform in choice.transforms.items():
            layer = arch.layer(kept)
            for role in ("down", "down_bias"):
                if role in layer.names:
                    name = layer.names[role]
                    self.computed[rename[name]] = self._transformed(name, role, transform, arch.family.layout,
                                                                    self.computed.get(rename[name]))
        for kept, weight in choice.norms.items():
            name = arch.layer(kept).names["post_mlp_norm"]
            dtype = source.tensors[name].dtype
            self.computed[rename[name]] = lambda weight=weight, dtype=dtype: to_source_dtype(weight, dtype)

    def _average(self, names: list[str], dtype: str) -> Callable[[], np.ndarray]:
        def compute() -> np.ndarray:
            total = sum(np.asarray(read_tensor(self.source.tensors[n]), dtype=np.float32) for n in names)
            return to_source_dtype(total / np.float32(len(names)), dtype)

        return compute

    def _transformed(self, name: str, role: str, transform: np.ndarray, layout: Layout,
                     base: Callable[[], np.ndarray] | None) -> Callable[[], np.ndarray]:
        info = self.source.tensors[name]

        def compute() -> np.ndarray:
            w = np.asarray(base() if base is not None else read_tensor(info), dtype=np.float32)
            t = transform.astype(np.float32)
            if role == "down_bias":
                out = w @ t
            elif layout is Layout.CONV1D:  # (intermediate, hidden): x·W then ·T
                out = w @ t
            else:  # Linear (hidden, intermediate): (x·Wᵀ)·T = x·(Tᵀ·W)ᵀ
                out = t.T @ w
            return to_source_dtype(out, info.dtype)

        return compute

    def read(self, name: str) -> np.ndarray:
        if name in self.computed:
            return self.computed[name]()
        return read_tensor(self.tensors[name])

    def header_digest(self) -> str:
        h = hashlib.sha256(self.source.header_digest().encode())
        h.update(json.dumps(self.choice.to_json(), sort_keys=True).encode())
        return h.hexdigest()


def reduced_architecture(reduced: ReducedCheckpoint, arch: Architecture) -> Architecture:
    """The smaller model's architecture, derived from the source's (detected once) instead of detected again:
    the kept layers renumbered, every tensor name as the smaller model names it, its config.json.
    tests/test_plan_once.py checks it equals what detection on ``reduced`` finds, for every family."""
    rename = reduced.rename
    layers = [replace(arch.layer(source), index=new, names={role: rename[n] for role, n in arch.layer(source).names.items()})
              for new, source in enumerate(reduced.choice.kept)]
    return replace(arch, config=reduced.config, num_layers=len(layers), layers=layers,
                   parts={rename[n]: part for n, part in arch.parts.items() if n in rename},
                   global_names={role: rename[n] for role, n in arch.global_names.items()},
                   problems=list(arch.problems))


def reduced_config(config: dict | None, arch: Architecture, choice: LayerChoice) -> dict | None:
    """config.json of the smaller model: the layer count, and every per-layer list cut to the kept layers."""
    if config is None:
        return None
    out = copy.deepcopy(config)
    total = arch.num_layers
    kept = list(choice.kept)
    for key, value in config.items():
        if isinstance(value, list) and len(value) == total and key not in ("architectures",):
            out[key] = [value[i] for i in kept]
    out[arch.family.keys.layers[0]] = len(kept)
    for key in arch.family.keys.layers[1:]:
        if key in out:
            out[key] = len(kept)
    if isinstance(config.get("max_window_layers"), int):  # Qwen2/3: layers below it use full attention
        out["max_window_layers"] = sum(1 for i in kept if i < config["max_window_layers"])
    pattern = config.get("sliding_window_pattern")
    if isinstance(pattern, int) and isinstance(out.get("layer_types"), list):
        # a pattern that no longer describes the kept layers' types would mislead runtimes that read it
        regular = all((t == "full_attention") == ((i + 1) % pattern == 0) for i, t in enumerate(out["layer_types"]))
        if not regular:
            out.pop("sliding_window_pattern")
    return out


def check_method(arch: Architecture, method: LayerMethod, has_tokenizer: bool = True) -> None:
    """Refuse a layer method this model cannot run (rather than quietly running another one)."""
    if method is LayerMethod.FIT and arch.family.blocks is Blocks.POST:
        raise TargetError(
            f"layer method: fit refits an MLP output that reaches the residual stream directly; {arch.family.title}'s "
            "layers normalise the whole residual stream after it, so use drop or merge", field="num_layers")
    if method is LayerMethod.FIT and not has_tokenizer:
        raise TargetError("layer method: fit refits on a calibration text, and this model has no tokenizer.json to "
                          "read one with, so use drop or merge", field="num_layers")


def default_layer_method(arch: Architecture, has_tokenizer: bool) -> LayerMethod:
    """``fit`` wherever it can run, else ``drop``: on SmolLM2-135M, 30 → 24 layers, held-out perplexity 37.81 →
    78.97 with fit, 92.54 with drop, 301.27 with merge (README, "Fewer layers"; scripts/measure_quality.py)."""
    try:
        check_method(arch, LayerMethod.FIT, has_tokenizer)
    except TargetError:
        return LayerMethod.DROP
    return LayerMethod.FIT


def fit_transforms(checkpoint: Checkpoint, arch: Architecture, kept: tuple[int, ...], ids: np.ndarray,
                   damping: float = 0.01, progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """For each run of removed layers after a kept layer s: ``T`` with ``r + M·T ≈ y`` on the calibration tokens,
    and on post-norm (sandwich) families the refitted post-MLP norm weight; ``(transforms, norms)``.

    ``M`` is layer s's MLP output, ``r`` the residual it is added to, ``y`` the residual entering the
    next kept layer (the original model's, so the fit reproduces the removed run's effect).
    """
    from ..model.attention import attention
    from ..model.embedding import embed
    from ..model.forward_spec import attention_spec, model_spec
    from ..model.layer_step import attention_input, mlp, mlp_input
    from ..model.norms import norm
    from ..model.pipeline import LayerPipeline

    spec = model_spec(arch)
    sandwich = arch.family.blocks is Blocks.SANDWICH
    kept_data: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}  # sandwich: s -> [(M, y − r)] per batch
    gains: dict[int, np.ndarray] = {}  # sandwich: s -> its post-MLP norm's gain
    keep = set(kept)
    runs: dict[int, int] = {}  # kept layer s -> the next kept layer (or the end) after its removed run
    for position, s in enumerate(kept):
        following = kept[position + 1] if position + 1 < len(kept) else arch.num_layers
        if following > s + 1:
            runs[s] = following
    h = embed(checkpoint, arch, spec, ids)
    grams: dict[int, Gram] = {}
    pending: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # s -> (r, M) until y is known
    for _, weights in LayerPipeline(checkpoint, arch, progress=progress, cancelled=cancelled):
        i = weights.index
        for s, end in runs.items():
            if end == i and s in pending:
                r, m = pending.pop(s)
                kept_data.setdefault(s, []).append((m, h - r))
        aspec = attention_spec(arch, weights.layer)
        x = attention_input(spec, weights.other, h)
        a = attention(aspec, weights.attention, x)
        if sandwich:
            r = h + norm(arch.family.norm, a, weights.other["post_attn_norm"], None, spec.norm_eps)
            m = mlp(spec, weights.other, mlp_input(spec, weights.other, r))
            h = r + norm(arch.family.norm, m, weights.other["post_mlp_norm"], None, spec.norm_eps)
            if i in runs and i in keep:
                gains[i] = np.asarray(weights.other["post_mlp_norm"], dtype=np.float64) + (arch.family.norm is Norm.RMS_PLUS_ONE)
        else:
            r = h + a
            m = mlp(spec, weights.other, mlp_input(spec, weights.other, r))
            h = r + m
        if i in runs and i in keep:
            pending[i] = (r, m)
    for s, end in runs.items():  # a run that reaches the last layer: y is the final residual stream
        if s in pending and end == arch.num_layers:
            r, m = pending.pop(s)
            kept_data.setdefault(s, []).append((m, h - r))
    hidden = arch.hidden_size
    transforms, norms = {}, {}
    for s, batches in kept_data.items():
        m = np.concatenate([b[0].reshape(-1, hidden) for b in batches]).astype(np.float64)
        delta = np.concatenate([b[1].reshape(-1, hidden) for b in batches]).astype(np.float64)
        if not sandwich:
            gram = Gram(hidden, hidden)
            gram.add(m, delta)
            transforms[s] = gram.fit(damping, np.eye(hidden))
            continue
        offset = 1.0 if arch.family.norm is Norm.RMS_PLUS_ONE else 0.0
        transforms[s], gain = fit_normalised(m, delta, gains[s], spec.norm_eps, damping)
        norms[s] = (gain - offset).astype(np.float32)
    return transforms, norms


def fit_normalised(m: np.ndarray, delta: np.ndarray, gain: np.ndarray, eps: float, damping: float = 0.01,
                   rounds: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``(T, g')`` with ``g' ⊙ rmsnorm(M·T) ≈ δ`` over the rows (tokens) of ``M`` and ``δ`` (both ``(n, hidden)``).

    The norm makes the output's size per token the gain's, whatever ``M·T`` is, so ``T`` only has
    to turn each row towards the direction ``δ / g``: least squares on that direction, scaled to the
    size ``M·T`` gives the row (so damping towards ``T = I`` weighs it as it weighs ``M``). Then the
    gain, per dim, by least squares on the new normalised rows, damped towards the old gain. The
    direction depends on the gain and the gain on the direction, so a few rounds alternate them.
    """
    hidden = m.shape[1]
    size = np.sqrt(np.mean(m * m, axis=1, keepdims=True))
    new_gain = np.asarray(gain, dtype=np.float64)
    t = np.eye(hidden)
    for _ in range(rounds):
        safe = np.where(np.abs(new_gain) > 1e-6, new_gain, np.inf)
        want = delta / safe  # what the normalised output should be before the gain (0 where the gain is 0)
        want_size = np.sqrt(np.mean(want * want, axis=1, keepdims=True))
        gram = Gram(hidden, hidden)
        gram.add(m, want * (size / np.maximum(want_size, 1e-30)))
        t = gram.fit(damping, np.eye(hidden))
        z = m @ t
        size = np.sqrt(np.mean(z * z, axis=1, keepdims=True))
        n = z / np.sqrt(np.mean(z * z, axis=1, keepdims=True) + eps)
        nn = np.sum(n * n, axis=0)
        lam = damping * float(nn.mean()) or 1e-12
        new_gain = (np.sum(n * delta, axis=0) + lam * gain) / (nn + lam)
    return t, new_gain


@dataclass
class LayerReduction:
    """A request for fewer layers on one model: what the plan says at once, and the choice made when asked."""

    checkpoint: Checkpoint
    arch: Architecture
    num_layers: int
    method: LayerMethod
    calib_text: str | None = None
    calib_tokens: int = 4096
    has_tokenizer: bool = True
    _choice: LayerChoice | None = field(default=None, repr=False)

    @property
    def data(self) -> bool:
        """Whether the choice runs the calibration text (else weight norms decide)."""
        return self.has_tokenizer

    def provisional(self) -> LayerChoice:
        """The layers' shapes are all alike: the first ``num_layers`` stand in for the plan's description."""
        return LayerChoice(tuple(range(self.num_layers)), method=self.method)

    def describe(self) -> str:
        removed = self.arch.num_layers - self.num_layers
        how = "block influence on the calibration text" if self.data else "weight norms (no tokenizer)"
        what = {LayerMethod.DROP: "dropped", LayerMethod.MERGE: "each averaged into the kept layer before it",
                LayerMethod.FIT: "dropped, the MLP output before each removed run refitted"}[self.method]  # fmt: skip
        return f"{self.arch.num_layers} -> {self.num_layers}: the {removed} with the lowest {how}, {what} (chosen when exporting)"

    def choice(self, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
               ids: Callable[[], np.ndarray] | None = None) -> LayerChoice:
        """The layers kept, chosen on first call. ``ids()`` gives the calibration text's token windows when the
        caller has them (a run tokenises its text once and its calibration reuses it); else they are read here."""
        if self._choice is None:
            tokens = None
            if self.data:
                tokens = ids() if ids is not None else self._calibration_ids()
                scores = block_influence(self.checkpoint, self.arch, tokens, progress, cancelled)
                kind = "block influence 1 − cos(input, output) on the calibration text"
            else:
                scores = weight_scores(self.checkpoint, self.arch)
                kind = "‖W_o‖² + ‖W_down‖² per hidden unit (data-free)"
            kept, merged = choose(scores, self.num_layers, self.method)
            transforms, norms = {}, {}
            if self.method is LayerMethod.FIT and tokens is not None:
                transforms, norms = fit_transforms(self.checkpoint, self.arch, kept, tokens, progress=progress,
                                                   cancelled=cancelled)
            self._choice = LayerChoice(kept, merged, tuple(float(s) for s in scores), kind, transforms, self.method, norms)
        return self._choice

    def _calibration_ids(self) -> np.ndarray:
        from ..io.text import CALIBRATION_BOS, Settings, prepare_text, read_calibration_text

        config = self.arch.config or {}
        positions = next((config[k] for k in self.arch.family.keys.max_positions if isinstance(config.get(k), int)), 512)
        sample = prepare_text(self.checkpoint, read_calibration_text(self.calib_text),
                              Settings(window=min(512, self.calib_tokens, positions), max_tokens=self.calib_tokens,
                                       bos=CALIBRATION_BOS))
        return sample.windows.ids

    def reuse(self, other: LayerReduction) -> bool:
        """Choose from ``other``'s scores, without running the text again, when they answer the same question.

        The scores depend on the model and the text only, so drop and merge can take them from a
        choice made for another layer count or method; fit also needs the refit of the same kept
        layers. True when this reduction's choice is now made (or already was).
        """
        if self._choice is not None:
            return True
        made = other._choice
        if made is None or (other.checkpoint is not self.checkpoint
                            and other.checkpoint.header_digest() != self.checkpoint.header_digest()):
            return False
        if (other.calib_text, other.calib_tokens, other.has_tokenizer) != (self.calib_text, self.calib_tokens, self.has_tokenizer):
            return False
        kept, merged = choose(np.asarray(made.scores), self.num_layers, self.method)
        transforms, norms = {}, {}
        if self.method is LayerMethod.FIT and self.has_tokenizer:
            if made.method is not LayerMethod.FIT or made.kept != kept:
                return False
            transforms, norms = made.transforms, made.norms
        self._choice = LayerChoice(kept, merged, made.scores, made.score_kind, transforms, self.method, norms)
        return True

    def checkpoint_for(self, choice: LayerChoice) -> ReducedCheckpoint:
        return ReducedCheckpoint(self.checkpoint, self.arch, choice)

