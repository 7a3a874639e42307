"""The planner: a request becomes a :class:`Plan`, fully described before anything runs.

A plan holds the resolved targets, the shape of every output tensor, and the jobs: one
:class:`LayerJob` per changed layer (which attention tensors it rewrites, and how its
matrices are chosen) and one :class:`TensorJob` per output tensor (copied byte for byte or
computed by its layer's job). The window's summary, ``headmix shrink --dry-run`` and the
executor all read the same plan, and what it *says* (shapes, sizes, verdict, warnings)
comes from headers and the seed alone, never from which scores happen to be cached.

Computing is on demand: :meth:`Plan.mixing` builds one layer's matrices when the executor
or the window asks (``select`` reads that layer's weights to score it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .architecture import Architecture, Layer, detect, expected_shapes
from .checkpoint import Checkpoint
from .dtypes import itemsize
from .errors import ConfigError, TargetError
from .families import FAMILIES, Family, Loads
from .importance import Importance, layer_importance
from .inspection import human_bytes, human_count
from .layer_weights import read_attention
from .methods import HEATMAPS, LayerMixing, Method, article_matrices, article_warnings, head_matrices, layer_mixing, top
from .mixing import apply_role, mix_tensor
from .request import Request, Resolved
from .rope import best_progression, plain_rope_starts, progression, stride_pairs
from .runtime_table import unread_by
from .runtimes import verdicts
from .safetensors_file import TensorInfo
from .targets import check, format_layers


@dataclass(frozen=True)
class TensorJob:
    """One output tensor: where it comes from, its new shape and size, and who computes it."""

    name: str
    source: TensorInfo | None  # None: a tensor the export adds (zeros), such as a portable output bias
    shape: tuple[int, ...]
    nbytes: int
    layer: int | None  # the layer whose job computes it; None: copied byte for byte (or zeros)
    block: int | None = None  # the layer the tensor belongs to, computed or not (None: outside the layers)
    dtype: str = ""
    computed: bool = False  # its bytes come from the checkpoint's view (an averaged or refitted layer), not the file

    @property
    def copied(self) -> bool:
        return self.layer is None and self.source is not None and not self.computed

    @property
    def zeros(self) -> bool:
        return self.source is None


@dataclass(frozen=True)
class LayerJob:
    """One changed layer: the attention tensors it rewrites and, in words, how."""

    index: int
    tensors: tuple[str, ...]
    how: str


@dataclass(frozen=True)
class OutputFile:
    """One output safetensors file: the source file it mirrors and its tensors in order."""

    name: str
    source: Path
    metadata: dict
    tensors: tuple[TensorJob, ...]


@dataclass
class Plan:
    checkpoint: Checkpoint
    arch: Architecture
    resolved: Resolved
    layers: tuple[int, ...]  # the layers that change
    shapes: dict[str, tuple[int, ...]]  # every output tensor's shape, in source order
    layer_jobs: tuple[LayerJob, ...]
    files: tuple[OutputFile, ...]
    warnings: list[str] = field(default_factory=list)
    _mixing: dict[int, LayerMixing] = field(default_factory=dict, repr=False)
    _importance: dict[int, Importance] = field(default_factory=dict, repr=False)
    _kept_pairs: np.ndarray | None = field(default=None, repr=False)
    #: the family the export is written as (a head-shape change of Qwen2 goes out as Llama)
    exported_family: Family | None = None
    _calibrator: object | None = field(default=None, repr=False)
    #: where a calibration reports progress and asks whether to stop (set by whoever runs it)
    calibration_progress: object | None = field(default=None, repr=False)
    calibration_cancelled: object | None = field(default=None, repr=False)
    calibration_options: object | None = field(default=None, repr=False)
    #: fewer layers: the reduction, and the plan on the layers it keeps once chosen
    reduction: object | None = field(default=None, repr=False)
    _final: Plan | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, checkpoint: Checkpoint, request: Request | Resolved, arch: Architecture | None = None,
              importance: dict[int, Importance] | None = None) -> Plan:
        """Validate the request against the model and work out every output tensor and job.

        Raises :class:`ConfigError` for a model headmix cannot shrink and
        :class:`TargetError` (with the control's name in ``field``) for impossible targets.
        ``importance`` is a cache of layer scores shared between plans (the window keeps one,
        so changing a spin box never re-reads weights). Reads headers only.
        """
        arch = arch or detect(checkpoint)
        if not arch.recognised:
            raise ConfigError(f"{checkpoint.path}: {arch.description}")
        if arch.problems:
            raise ConfigError(f"{checkpoint.path}: cannot shrink: " + "; ".join(arch.problems))
        from .text import has_tokenizer as tokenizer_loads

        has_tokenizer = (checkpoint.folder / "config.json").is_file() and tokenizer_loads(checkpoint.folder)
        resolved = request if isinstance(request, Resolved) else request.resolve(arch, has_tokenizer)
        if resolved.num_layers and resolved.num_layers != arch.num_layers:
            return cls._with_fewer_layers(checkpoint, arch, resolved, has_tokenizer)
        if resolved.method.sequential and not has_tokenizer:
            raise TargetError(
                f"method: calibrated needs the model's tokenizer.json to read its calibration text, and "
                f"{checkpoint.folder} has none that loads; choose mean, select or random", field="method")
        heads, kv, d = resolved.num_heads, resolved.num_kv_heads, resolved.head_dim
        chosen = resolved.layers if resolved.layers is not None else tuple(layer.index for layer in arch.layers)
        by_index = {layer.index: layer for layer in arch.layers}
        for i in chosen:
            if i not in by_index:
                raise TargetError(f"layers: the model has no layer {i}", field="layers")
            check(by_index[i], heads, kv, d, resolved.method)
        first = by_index[chosen[0]] if chosen else arch.layers[0]
        unchanged = (heads, kv, d) == (first.num_heads, first.num_kv_heads, first.head_dim)
        changing = () if unchanged else tuple(chosen)

        shapes = {name: info.shape for name, info in checkpoint.tensors.items()}
        owner: dict[str, int] = {}
        for i in changing:
            shapes.update(expected_shapes(by_index[i], heads, kv, d))
            owner.update({name: i for name in by_index[i].tensor_names()})
        block = {name: layer.index for layer in arch.layers for name in layer.names.values()}
        computed = getattr(checkpoint, "computed", {})
        target = portable_family(arch, heads, kv, d, changing)
        added = {}  # tensors the portable family needs and the source lacks: zeros after their neighbour
        if target is not None and target is not arch.family:
            for i in changing:
                layer = by_index[i]
                name = target.layer_name(arch.base, i, target.attention["o_bias"])
                if name not in checkpoint.tensors:
                    added[layer.names["o"]] = (name, (layer.hidden_size,), i)
        files = []
        for header in checkpoint.headers:
            jobs = []
            for name, info in header.tensors.items():
                size = itemsize(info.dtype)
                nbytes = info.nbytes if size is None or name not in owner else math.prod(shapes[name]) * size
                jobs.append(TensorJob(name, info, shapes[name], nbytes, owner.get(name), block.get(name), info.dtype,
                                      name in computed))
                if name in added:
                    new, shape, i = added[name]
                    shapes[new] = shape
                    jobs.append(TensorJob(new, None, shape, math.prod(shape) * (size or 0), None, i, info.dtype))
            files.append(OutputFile(header.path.name, header.path, header.metadata, tuple(jobs)))
        plan = cls(checkpoint, arch, resolved, changing, shapes, (), tuple(files))
        plan.exported_family = target or arch.family
        plan.layer_jobs = tuple(LayerJob(i, tuple(by_index[i].tensor_names()), plan._how(by_index[i])) for i in changing)
        if importance is not None:
            plan._importance = importance
        plan.warnings = plan._warnings()
        return plan

    @classmethod
    def _with_fewer_layers(cls, checkpoint: Checkpoint, arch: Architecture, resolved: Resolved, has_tokenizer: bool) -> Plan:
        """A plan on the smaller model: described at once on a stand-in (every layer has the same
        shapes), made on the chosen layers by :meth:`final` when something needs the weights."""
        from dataclasses import replace as with_fields

        from .layer_removal import LayerMethod, LayerReduction, ReducedCheckpoint, check_method, default_layer_method

        asked = resolved.request.layer_method
        method = LayerMethod(asked) if asked is not None else default_layer_method(arch, has_tokenizer)
        check_method(arch, method, has_tokenizer)
        request = resolved.request
        reduction = LayerReduction(checkpoint, arch, resolved.num_layers, method, request.calib_text, request.calib_tokens,
                                   has_tokenizer)
        stand_in = ReducedCheckpoint(checkpoint, arch, reduction.provisional())
        inner = with_fields(resolved, num_layers=resolved.num_layers, layers=None)
        plan = cls.build(stand_in, inner)
        plan.reduction = reduction
        return plan

    def final(self, progress=None, cancelled=None) -> Plan:
        """The plan on the layers actually kept (the same plan when no layers go); chooses them on first call."""
        if self.reduction is None or self._final is self:
            return self
        if self._final is None:
            from .layer_removal import ReducedCheckpoint

            choice = self.reduction.choice(progress, cancelled)
            final = Plan.build(ReducedCheckpoint(self.reduction.checkpoint, self.reduction.arch, choice), self.resolved)
            final.reduction = self.reduction
            final._final = final
            final.calibration_options = self.calibration_options
            self._final = final
        return self._final

    @property
    def source_checkpoint(self) -> Checkpoint:
        """The checkpoint the user opened (the plan's own is the smaller model's view when layers go)."""
        return self.reduction.checkpoint if self.reduction is not None else self.checkpoint

    # ------------------------------------------------------------------ the request, resolved

    @property
    def request(self) -> Request:
        return self.resolved.request

    @property
    def method(self) -> Method:
        return self.resolved.method

    @property
    def seed(self) -> int:
        return self.resolved.seed

    @property
    def num_heads(self) -> int:
        return self.resolved.num_heads

    @property
    def num_kv_heads(self) -> int:
        return self.resolved.num_kv_heads

    @property
    def head_dim(self) -> int:
        return self.resolved.head_dim

    @property
    def new_scale_base(self) -> float | None:
        """The attention scale constant the export writes, when it rewrites one.

        Gemma divides the logits by sqrt(query_pre_attn_scalar), a config constant; llama.cpp and
        Ollama ignore it and use the head size. A head-size change therefore sets the constant to
        the new head size and folds the difference into the queries, so every runtime agrees.
        """
        family = self.arch.family
        if family.attention_scale_key is None or self.partial or self.identity or not self.method.compensates:
            return None
        return float(self.head_dim) if self.head_dim != self.arch.head_dim else None

    @property
    def partial(self) -> bool:
        """True when only some layers change (transformers needs one head shape for all)."""
        return bool(self.layers) and len(self.layers) != self.arch.num_layers

    # ------------------------------------------------------------------ description (static)

    @property
    def reduces_rotary_pairs(self) -> bool:
        return bool(self.layers) and self.head_dim != self.arch.head_dim and self.method is not Method.ARTICLE \
            and self.layer(self.layers[0]).rotary_pairs

    def _how(self, layer: Layer) -> str:
        m = self.method
        parts = []
        if (self.num_heads, self.num_kv_heads) != (layer.num_heads, layer.num_kv_heads):
            parts.append({
                Method.CALIBRATED: "keeps the query heads that write the most on the calibration text and merges "
                                   "kv heads RoPE-aware; the output projection is refitted by least squares",
                Method.SELECT: "keeps the query and kv heads with the highest weight-norm scores",
                Method.MEAN: "averages contiguous groups of heads",
                Method.RANDOM: "takes seeded random weighted averages of contiguous groups of heads",
                Method.ARTICLE: "mixes heads by the article's column-normalised Gaussian matrix",
            }[m])  # fmt: skip
        if self.head_dim != layer.head_dim:
            if self.reduces_rotary_pairs:
                pairs = "the highest-scoring rotary pairs" if m in (Method.SELECT, Method.CALIBRATED) else "evenly spaced rotary pairs"
                values = {Method.SELECT: "the highest-scoring value dims", Method.MEAN: "averages of value dims",
                          Method.RANDOM: "random weighted averages of value dims",
                          Method.CALIBRATED: "the principal directions of the values"}[m]  # fmt: skip
                parts.append(f"keeps {pairs} at their own frequencies and {values}")
            else:
                parts.append(f"reduces the head size by {m.value}")
        return f"layer {layer.index}: " + "; ".join(parts)

    def _warnings(self) -> list[str]:
        """Every warning the export will give, known before anything is read."""
        warnings = []
        if self.method is Method.ARTICLE and self.layers:
            warnings.append(
                "article: the same matrices act on q, k, v and the output with no compensation; expect the "
                "model to need retraining. Use mean or select for a model that starts close to the original."
            )
            if self.arch.rope is not None and self.head_dim != self.arch.head_dim:
                warnings.append("article: mixing rotary dims of different frequencies destroys relative position information")
            for i in self.layers:
                q, kv, dims = article_matrices(self.layer(i), self.num_heads, self.num_kv_heads, self.head_dim, self.rng(i))
                warnings.extend(article_warnings(i, q, kv, dims))
        return warnings

    # ------------------------------------------------------------------ per layer (computed on demand)

    def layer(self, index: int) -> Layer:
        return self.arch.layer(index)

    def importance(self, index: int) -> Importance:
        """Importance scores of one layer (reads its four attention tensors once)."""
        if index not in self._importance:
            self._importance[index] = layer_importance(self.checkpoint, self.layer(index))
        return self._importance[index]

    @property
    def calibrator(self):
        """The calibrated method's sequential walk over its text (built on first use; reads the tokenizer)."""
        if self._calibrator is None:
            from .calibration import CalibrationOptions, Calibrator
            from .quality import Settings, prepare_text
            from .text import read_text

            request = self.request
            config = self.arch.config or {}
            positions = next((config[k] for k in self.arch.family.keys.max_positions if isinstance(config.get(k), int)), 512)
            window = min(512, request.calib_tokens, positions)
            sample = prepare_text(self.checkpoint, read_text(request.calib_text),
                                  Settings(window=window, max_tokens=request.calib_tokens))
            self._calibrator = Calibrator(self, sample, self.calibration_options or CalibrationOptions(),
                                          progress=self.calibration_progress, cancelled=self.calibration_cancelled)
            self._mixing = self._calibrator.mixings
        return self._calibrator

    def release(self, index: int) -> None:
        """Drop a layer's computed arrays once they are written (a calibrated layer's refitted projection is large)."""
        mixing = self._mixing.get(index)
        if mixing is not None:
            mixing.replace.clear()

    def rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, index])

    @property
    def has_sliding_layers(self) -> bool:
        """The model mixes sliding-window and global layers, each with a rope of its own (Gemma 2/3)."""
        return any(layer.layer_type == "sliding_attention" for layer in self.arch.layers) \
            and self.arch.family.sliding_window == "layer_types"

    @property
    def pairs_from_zero(self) -> bool:
        """Whether a progression of rotary pairs must start at pair 0 (every r-th pair, no factor needed).

        An offset progression needs a linear factor, which llama3 cannot combine with, some families cannot
        load, and some runtimes do not read on some layer type (the runtime table: llama.cpp's and mlx-lm's
        Gemma 3 read no factor on the sliding layers, so an offset would rotate them far too fast there)."""
        family = self.exported_family or self.arch.family
        return plain_rope_starts(self.arch.rope, self.arch.family.rope_types) \
            or bool(unread_by(family.name, "linear", self.has_sliding_layers))

    @property
    def kept_pairs(self) -> np.ndarray | None:
        """Rotary pairs kept in every changed layer, or None when no rotary head size changes.

        One set for the whole model, because config.json holds one rope: ``select`` sums
        each layer's normalised pair scores (reading every changed layer's weights once),
        the other methods keep evenly spaced pairs.
        """
        if not self.reduces_rotary_pairs:
            return None
        if self._kept_pairs is None:
            half, new_half = self.arch.head_dim // 2, self.head_dim // 2
            allowed = self.arch.family.rope_types
            any_subset = self.request.rotary_pairs == "any" and "longrope" in allowed
            from_zero = self.pairs_from_zero
            if not self.method.chooses_pairs:
                pairs = stride_pairs(half, new_half)
                if not any_subset and progression(pairs) is None:
                    r = (half - 1) // (new_half - 1) if new_half > 1 else 1
                    pairs = r * np.arange(new_half)  # the widest progression from pair 0
            else:
                if self.method is Method.CALIBRATED:
                    total = self.calibrator.pair_scores()
                else:
                    total = np.zeros(half)
                    for i in self.layers:
                        scores = self.importance(i).qk_units
                        total += scores / (scores.sum() or 1.0)
                pairs = top(total, new_half) if any_subset else best_progression(total, new_half, start_at_zero=from_zero)
            self._kept_pairs = np.asarray(pairs, dtype=np.int64)
        return self._kept_pairs

    def mixing(self, index: int) -> LayerMixing:
        """The matrices and scales for one changed layer, built once."""
        if index not in self.layers:
            raise KeyError(f"layer {index} is not changed by this plan")
        if index not in self._mixing and self.method.sequential:
            return self.calibrator.mixing(index)
        if index not in self._mixing:
            scores = self.importance(index) if self.method.needs_scores else None
            self._mixing[index] = layer_mixing(
                self.method, self.layer(index), self.num_heads, self.num_kv_heads, self.head_dim, scores,
                self.rng(index), self.kept_pairs, self.new_scale_base,
            )
        return self._mixing[index]

    def stacked_heatmaps(self, index: int) -> set[str]:
        """Which of ``heatmaps(index)`` stack one matrix per old head (their rows are old head · dim, not dims)."""
        if index not in self.layers:
            return set()
        matrices = self.mixing(index).matrices()
        return {key for key in HEATMAPS if matrices[key].ndim == 3}

    def heatmaps(self, index: int) -> dict[str, np.ndarray]:
        """The matrices the window draws for one layer: identities where the layer is unchanged."""
        if index in self.layers:
            return self.mixing(index).heatmaps()
        layer = self.layer(index)
        unchanged = layer_mixing(Method.MEAN, layer, layer.num_heads, layer.num_kv_heads, layer.head_dim, None,
                                 self.rng(index), None)
        return unchanged.heatmaps()

    def kept_by_select(self, index: int) -> np.ndarray | None:
        """Which query heads ``select`` would keep in this layer at these targets (a bool per head).

        None when select cannot reach these head counts (its kv heads are single kept heads,
        so fewer query heads per kv head are reachable than by the grouping methods).
        """
        layer = self.layer(index)
        try:
            check(layer, self.num_heads, self.num_kv_heads, layer.head_dim, Method.SELECT)
        except TargetError:
            return None
        q, _ = head_matrices(Method.SELECT, layer, self.num_heads, self.num_kv_heads, self.importance(index), self.rng(index))
        return q.any(axis=1)

    def preview(self, index: int, role: str) -> tuple[np.ndarray, np.ndarray]:
        """One stored weight tensor of a changed layer, before and after, in float32."""
        layer = self.layer(index)
        name = layer.names[role]
        before = self.checkpoint.read_float(name)
        return before, mix_tensor(layer, self.mixing(index), name, before, "F32")

    def canonical_preview(self, index: int, role: str) -> tuple[np.ndarray, np.ndarray]:
        """One projection of a changed layer in the canonical ``(heads·dims, hidden)`` form, before and after."""
        layer = self.layer(index)
        before = read_attention(self.checkpoint, layer, (role,))[role]
        after = apply_role(layer, self.mixing(index), role, before)
        return before.reshape(-1, before.shape[-1]), after.reshape(-1, after.shape[-1])

    # ------------------------------------------------------------------ the whole model

    @property
    def identity(self) -> bool:
        return not self.layers and self.reduction is None

    def changed_tensors(self) -> set[str]:
        return {name for job in self.layer_jobs for name in job.tensors} | {j.name for j in self.tensor_jobs() if j.zeros}

    def tensor_jobs(self) -> list[TensorJob]:
        return [job for f in self.files for job in f.tensors]

    @property
    def params_before(self) -> int:
        return self.source_checkpoint.num_parameters

    @property
    def params_after(self) -> int:
        return sum(math.prod(s) for s in self.shapes.values())

    @property
    def bytes_before(self) -> int:
        return sum(t.nbytes for t in self.source_checkpoint.tensors.values())

    def output_nbytes(self, name: str) -> int:
        """Bytes of one exported tensor (dtypes headmix cannot read keep their size: they pass through)."""
        info = self.checkpoint.tensors[name]
        size = itemsize(info.dtype)
        return info.nbytes if size is None else math.prod(self.shapes[name]) * size

    @property
    def bytes_after(self) -> int:
        return sum(job.nbytes for f in self.files for job in f.tensors)

    @property
    def loadability(self) -> tuple[bool, str]:
        """Whether stock transformers will load the export, and why not when it won't."""
        family = self.arch.family
        if self.identity:
            return True, "loads in transformers (nothing changes)"
        if self.partial:
            return False, (
                f"will not load: transformers needs the same head counts in every layer, and this plan changes "
                f"layers {format_layers(self.layers)} only"
            )
        hidden = self.arch.hidden_size
        if family.heads_divide_hidden and hidden % self.num_heads:
            return False, (
                f"will not load: {family.title}'s config in transformers requires the query heads to divide the "
                f"hidden size ({hidden}), and {self.num_heads} does not; choose a divisor of {hidden}"
            )
        if family.loads is Loads.ANY_SHAPE:
            return True, f"loads in transformers ({family.title} reads num_key_value_heads and head_dim from config.json)"
        if self.num_heads * self.head_dim != hidden:
            return False, (
                f"will not load: {family.title} in transformers derives the head size from hidden_size / heads, so "
                f"heads × head size must equal the hidden size ({hidden}); this plan gives "
                f"{self.num_heads} × {self.head_dim} = {self.num_heads * self.head_dim}"
            )
        return True, "loads in transformers"

    @property
    def needs_retraining(self) -> bool:
        """The article's uncompensated mixing loads but computes something far from the original."""
        return self.method is Method.ARTICLE and not self.identity

    def new_config(self) -> dict | None:
        """config.json for the export: the new head shape, and every rope key each runtime reads."""
        from .export_config import export_config

        return export_config(self)

    def describe(self) -> str:
        """The dry-run text: everything the plan will do, from headers and the seed alone."""
        a = self.arch
        ok, reason = self.loadability
        saved = 1 - self.params_after / max(self.params_before, 1)
        lines = [
            f"plan for {self.checkpoint.path} ({a.name})",
            f"  method       {self.method.value} (seed {self.seed}): {self.method.sentence}",
            f"  query heads  {a.num_heads} -> {self.num_heads}",
            f"  kv heads     {a.num_kv_heads} -> {self.num_kv_heads}",
            f"  head size    {a.head_dim} -> {self.head_dim}",
            f"  layers       {format_layers(self.layers) if self.layers else 'none change'} of {a.num_layers}",
            *([f"  decoder layers {self.reduction.describe()}"] if self.reduction is not None else []),
            f"  parameters   {human_count(self.params_before)} -> {human_count(self.params_after)} ({100 * saved:.1f}% saved)",
            f"  size         {human_bytes(self.bytes_before)} -> {human_bytes(self.bytes_after)}",
        ]
        if self.reduces_rotary_pairs:
            half, new_half = a.head_dim // 2, self.head_dim // 2
            any_subset = self.request.rotary_pairs == "any" and "longrope" in a.family.rope_types
            if self.method in (Method.SELECT, Method.CALIBRATED):
                lost = unread_by((self.exported_family or a.family).name, "linear", self.has_sliding_layers)
                which = ("the highest-scoring pairs, any subset (longrope factors)" if any_subset else
                         "the arithmetic progression of pairs from pair 0 with the highest scores (a plain rope with a "
                         f"new base: {', '.join(lost)} read no rope factor on some layer type)" if lost else
                         "the arithmetic progression of pairs with the highest scores (a plain rope)")
                source = "the calibration text's activations" if self.method is Method.CALIBRATED else "the weights"
                lines.append(f"  rotary pairs keeps {new_half} of {half}: {which}, scores summed over the layers "
                             f"from {source} when exporting; each at its own frequency")
            else:
                stride = stride_pairs(half, new_half)
                if progression(stride) is not None:
                    kind = f"every {half // new_half}th pair: the default rope of the new size" if half % new_half == 0 \
                        else "evenly spaced pairs: a plain rope"
                elif any_subset:
                    kind = "evenly spaced pairs via longrope factors"
                else:
                    kind = "the widest arithmetic progression from pair 0: a plain rope"
                lines.append(f"  rotary pairs keeps {new_half} of {half} ({kind})")
        if self.method is Method.CALIBRATED and self.layers:
            request = self.request
            text = request.calib_text or "headmix's default text"
            lines.append(f"  calibration  up to {request.calib_tokens:,} tokens of {text}, layer by layer on the shrunk "
                         "model's own activations")
        lines.append(f"  verdict      {reason}")
        for v in verdicts(self):
            lines.append(f"  {v.runtime:<26} {v.status.mark} {v.reason}")
        lines.extend(f"  warning      {w}" for w in self.warnings)
        return "\n".join(lines)

    def provenance(self) -> dict:
        """headmix.json: enough to inspect and reproduce the shrink (read after the export computed it)."""
        ok, reason = self.loadability
        return {
            "headmix_version": __version__,
            "source": str(self.source_checkpoint.path.resolve()),
            "source_header_sha256": self.source_checkpoint.header_digest(),
            **({"layer_reduction": self.reduction._choice.to_json()}
               if self.reduction is not None and self.reduction._choice is not None else {}),
            "architecture": self.arch.name,
            "method": self.method.value,
            "seed": self.seed,
            "request": self.request.to_json(),
            "targets": {
                "num_heads": self.num_heads,
                "num_kv_heads": self.num_kv_heads,
                "head_dim": self.head_dim,
                "layers": format_layers(self.resolved.layers),
            },
            "source_shape": {
                "num_heads": self.arch.num_heads,
                "num_kv_heads": self.arch.num_kv_heads,
                "head_dim": self.arch.head_dim,
            },
            "changed_layers": list(self.layers),
            "kept_rotary_pairs": None if self.kept_pairs is None else [int(p) for p in self.kept_pairs],
            "parameters": {"before": self.params_before, "after": self.params_after},
            "loads_in_transformers": ok,
            "verdict": reason,
            "runtimes": [v.to_json() for v in verdicts(self, exact=True)],
            "warnings": list(self.warnings),
            "matrices": "headmix_matrices.npz",
            **({"calibration": self._calibrator.report().to_json()} if self._calibrator is not None else {}),
        }


def portable_family(arch: Architecture, heads: int, kv: int, d: int, changing: tuple[int, ...]) -> Family | None:
    """The family an export is written as when not its own: Qwen2 goes out as Llama once its head
    shape no longer fills the hidden size (vLLM, llama.cpp and mlx-lm size Qwen2's attention by
    hidden / heads), unless Llama's own config would refuse it or Qwen2's sliding window is in use."""
    family = arch.family
    if family.portable_as is None or not changing or len(changing) != arch.num_layers:
        return None
    if heads * d == arch.hidden_size:
        return None
    target = FAMILIES[family.portable_as]
    if target.heads_divide_hidden and arch.hidden_size % heads:
        return None
    if (arch.config or {}).get("use_sliding_window"):
        return None
    return target
