"""The planner: a request becomes a :class:`Plan`, fully described before anything runs.

A plan holds the resolved targets, the shape of every output tensor, and the jobs: one
:class:`LayerJob` per changed layer (which attention tensors it rewrites, and how its
matrices are chosen) and one :class:`TensorJob` per output tensor (copied byte for byte or
computed by its layer's job). The window's summary, ``headmix shrink --dry-run`` and the
executor all read the same plan, and what it *says* (shapes, sizes, verdict, warnings)
comes from headers and the seed alone, never from which scores happen to be cached.

A plan is immutable, built once from one opened model (the checkpoint and its architecture,
detected once and passed down). What runs it lives elsewhere: :class:`run.shrink_run.ShrinkRun`
holds a plan with the caches, the calibrator, the chosen rotary pairs, progress and cancel,
and the plan on the layers kept once they are chosen; it computes one layer's matrices on
demand when the executor or the window asks (``select`` reads that layer's weights to score it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..model.architecture import Architecture, Layer, detect, expected_shapes
from ..io.checkpoint import Checkpoint
from ..io.dtypes import itemsize
from ..errors import ConfigError, TargetError
from ..model.families import FAMILIES, Family, Loads
from ..model.inspection import human_bytes, human_count, ordinal
from ..shrink.methods import Method, article_matrices, article_warnings
from .request import Request, Resolved
from ..model.inspection import period_of
from ..model.rope import plain_rope_starts, progression, rope_parameters_for, stride_pairs
from ..model.rope_config import resolved_rope
from .runtime_table import unread_by
from .runtimes import RuntimeFacts, Verdict, verdicts
from ..io.safetensors_file import TensorInfo
from ..shrink.targets import check, format_layers
from ..shrink.layer_removal import (
    LayerChoice, LayerMethod, LayerReduction, ReducedCheckpoint, check_method, default_layer_method, reduced_architecture,
)  # fmt: skip
from ..io.text import has_tokenizer as tokenizer_loads


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


@dataclass(frozen=True)
class Plan:
    checkpoint: Checkpoint
    arch: Architecture
    resolved: Resolved
    layers: tuple[int, ...]  # the layers that change
    shapes: dict[str, tuple[int, ...]]  # every output tensor's shape, in source order
    layer_jobs: tuple[LayerJob, ...]
    files: tuple[OutputFile, ...]
    warnings: tuple[str, ...] = ()
    #: the family the export is written as (a head-shape change of Qwen2 goes out as Llama)
    exported_family: Family | None = None
    has_tokenizer: bool = False
    #: fewer layers: what is asked (the count, the method, the text); the choice is made by a run
    reduction: LayerReduction | None = field(default=None, repr=False)
    #: the layers kept, on the plan a run builds once they are chosen (None: not chosen yet, or none go)
    choice: LayerChoice | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, checkpoint: Checkpoint, request: Request | Resolved, arch: Architecture | None = None, *,
              has_tokenizer: bool | None = None, reduction: LayerReduction | None = None,
              choice: LayerChoice | None = None) -> Plan:
        """Validate the request against the model and work out every output tensor and job.

        Raises :class:`ConfigError` for a model headmix cannot shrink and
        :class:`TargetError` (with the control's name in ``field``) for impossible targets.
        Reads headers only. ``arch`` is the checkpoint's architecture when the caller has it
        (detected once per opened model); ``has_tokenizer``, ``reduction`` and ``choice`` are
        passed down by the plan on fewer layers to the plans it builds on the smaller model.
        """
        arch = arch or detect(checkpoint)
        if not arch.recognised:
            raise ConfigError(f"{checkpoint.path}: {arch.description}")
        if arch.problems:
            raise ConfigError(f"{checkpoint.path}: cannot shrink: " + "; ".join(arch.problems))
        if has_tokenizer is None:
            has_tokenizer = (checkpoint.folder / "config.json").is_file() and tokenizer_loads(checkpoint.folder)
        resolved = request if isinstance(request, Resolved) else request.resolve(arch, has_tokenizer)
        if reduction is None and resolved.num_layers and resolved.num_layers != arch.num_layers:
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
        plan = cls(checkpoint, arch, resolved, changing, shapes, (), tuple(files), (), target or arch.family, has_tokenizer,
                   reduction, choice)
        # the jobs and warnings are worded from the plan's own description (its method, shapes, seed)
        jobs = tuple(LayerJob(i, tuple(by_index[i].tensor_names()), plan._how(by_index[i])) for i in changing)
        return replace(plan, layer_jobs=jobs, warnings=tuple(plan._warnings()))

    @classmethod
    def _with_fewer_layers(cls, checkpoint: Checkpoint, arch: Architecture, resolved: Resolved, has_tokenizer: bool) -> Plan:
        """A plan on the smaller model: described at once on a stand-in (every layer has the same
        shapes); a run builds it on the chosen layers (:meth:`on_kept_layers`) when something needs the weights."""
        asked = resolved.request.layer_method
        method = LayerMethod(asked) if asked is not None else default_layer_method(arch, has_tokenizer)
        check_method(arch, method, has_tokenizer)
        request = resolved.request
        reduction = LayerReduction(checkpoint, arch, resolved.num_layers, method, request.calib_text, request.calib_tokens,
                                   has_tokenizer)
        stand_in = ReducedCheckpoint(checkpoint, arch, reduction.provisional())
        inner = replace(resolved, num_layers=resolved.num_layers, layers=None)
        return cls.build(stand_in, inner, reduced_architecture(stand_in, arch), has_tokenizer=has_tokenizer,
                         reduction=reduction)

    def on_kept_layers(self, choice: LayerChoice) -> Plan:
        """The same request on the layers ``choice`` keeps (a plan for fewer layers is described on a stand-in)."""
        reduced = ReducedCheckpoint(self.reduction.checkpoint, self.reduction.arch, choice)
        return Plan.build(reduced, self.resolved, reduced_architecture(reduced, self.reduction.arch),
                          has_tokenizer=self.has_tokenizer, reduction=self.reduction, choice=choice)

    @property
    def layers_chosen(self) -> bool:
        """Whether this plan is on the layers actually kept (always, when no layers go)."""
        return self.reduction is None or self.choice is not None

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
                Method.CALIBRATED: "keeps the query heads whose outputs best reproduce the layer's on the calibration "
                                   "text and merges "
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

    def rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, index])

    def spaced_pairs(self) -> np.ndarray:
        """The evenly spaced rotary pairs the methods that choose none keep (from the shapes alone): a stride
        over the pairs, or, where that is no progression and any subset is not asked for, the widest
        progression from pair 0."""
        half, new_half = self.arch.head_dim // 2, self.head_dim // 2
        pairs = stride_pairs(half, new_half)
        any_subset = self.request.rotary_pairs == "any" and "longrope" in self.arch.family.rope_types
        if not any_subset and progression(pairs) is None:
            r = (half - 1) // (new_half - 1) if new_half > 1 else 1
            pairs = r * np.arange(new_half)
        return np.asarray(pairs, dtype=np.int64)

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

    def runtime_facts(self, kept_pairs: np.ndarray | None = None, written: dict | None = None,
                      exact: bool = False) -> RuntimeFacts:
        """The plain facts the runtime verdicts depend on (:mod:`runtimes` reads these, never the plan).

        ``kept_pairs``: the rotary pairs once a run chose them (without, the worst case a choice
        from scores can give); ``exact`` with ``written``: what the export wrote, for headmix.json.
        """
        plan = self
        family = plan.exported_family or plan.arch.family
        hidden = plan.arch.hidden_size or 0
        heads, d = (plan.num_heads, plan.head_dim)
        scale_key = plan.arch.family.attention_scale_key
        scale = None
        if scale_key:
            scale = plan.new_scale_base or (plan.arch.layers[0].scale_base if plan.arch.layers else None)
        ropes, thetas, pending = plan._ropes(kept_pairs, written if exact else None)
        layer_types, pattern_pending = plan._layer_types()
        return RuntimeFacts(
            family=family.name,
            shape_changed=heads * d != hidden,
            partial=plan.partial,
            identity=plan.identity,
            ropes=ropes,
            thetas=thetas,
            pairs_pending=pending,
            source_ropes={layer.rope.layer_type: layer.rope.type for layer in plan.arch.layers if layer.rope is not None},
            scale_differs=scale is not None and scale != (d if not plan.identity else plan.arch.head_dim),
            article=plan.needs_retraining,
            layer_types=layer_types,
            pattern_pending=pattern_pending,
            config={"sliding_window_pattern": period_of(layer_types)} if layer_types else {},
            prefix=plan.arch.base,
            source_shape_differs=plan.arch.num_heads * plan.arch.head_dim != hidden,
        )

    def _ropes(self, kept_pairs: np.ndarray | None, written: dict | None,
               ) -> tuple[dict[str | None, str], dict[str | None, float | None], bool]:
        """The rope type and base the export writes per layer type, and whether that is a worst case (pairs not chosen yet)."""
        plan = self
        arch = plan.arch
        source = {layer.rope.layer_type: layer.rope for layer in arch.layers if layer.rope is not None}
        if not arch.family.rotary or not source:
            return {}, {}, False
        if not plan.reduces_rotary_pairs or plan.partial:
            return {key: rope.type for key, rope in source.items()}, {key: rope.theta for key, rope in source.items()}, False
        if written is not None:  # after an export: what it wrote
            blocks = resolved_rope(written)
            return ({key: block["rope_type"] for key, block in blocks.items()},
                    {key: float(block["rope_theta"]) for key, block in blocks.items()}, False)
        half, new_half = arch.head_dim // 2, plan.head_dim // 2
        pairs = kept_pairs  # set once a run chose them; never computed here (a verdict reads no weights or text)
        if pairs is None and not plan.method.chooses_pairs:
            pairs = plan.spaced_pairs()  # evenly spaced: from the shapes alone
        pending = pairs is None
        if pending:  # the worst a choice from scores can give
            if plan.request.rotary_pairs == "any" and "longrope" in arch.family.rope_types:
                return {key: "longrope" for key in source}, {key: None for key in source}, True
            offset = 0 if plan.pairs_from_zero or new_half >= half else 1  # an offset progression needs a linear factor
            pairs = offset + np.arange(new_half)
        types, thetas = {}, {}
        positions = next((arch.config[k] for k in arch.family.keys.max_positions if (arch.config or {}).get(k)), 4096)
        for key, rope in source.items():
            new = rope_parameters_for(rope, arch.head_dim, np.asarray(pairs), plan.head_dim, positions)
            types[key] = rope.type if new is None else new.get("rope_type", rope.type)
            thetas[key] = None if pending else rope.theta if new is None else float(new.get("rope_theta", rope.theta))
        return types, thetas, pending

    def _layer_types(self) -> tuple[list[str] | None, bool]:
        """The export's layer_types when the model mixes sliding and global layers; pending while layers are to be chosen."""
        plan = self
        if plan.arch.family.sliding_window != "layer_types":
            return None, False
        source_arch = plan.reduction.arch if plan.reduction is not None else plan.arch
        types = (source_arch.config or {}).get("layer_types")
        if not isinstance(types, list) or not types:
            return None, False
        if plan.reduction is None:
            return list(types), False
        if plan.choice is None:  # the plan on the kept layers has its choice; the plan asked for has none yet
            return None, True
        return [types[i] for i in plan.choice.kept], False

    def verdicts(self, kept_pairs: np.ndarray | None = None, written: dict | None = None,
                 exact: bool = False) -> list[Verdict]:
        """One verdict per runtime in :data:`runtimes.RUNTIMES`.

        From the plan alone by default, for the dry run and the window; ``exact`` looks at what
        the export wrote (select's rotary pairs are chosen from the weights), for headmix.json.
        """
        return verdicts(self.runtime_facts(kept_pairs, written, exact), self.loadability)

    def describe(self, verdicts: list[Verdict] | None = None) -> str:
        """The dry-run text: everything the plan will do, from headers and the seed alone (``verdicts``:
        a run's, on the rotary pairs it kept; by default the plan's own, the worst case)."""
        a = self.arch
        ok, reason = self.loadability
        saved = 1 - self.params_after / max(self.params_before, 1)
        lines = [
            f"plan for {self.checkpoint.path} ({a.name})",
            f"  method       {self.method.value} (seed {self.seed}): {self.method.sentence}",
            f"  query heads  {a.num_heads} -> {self.num_heads}",
            f"  kv heads     {a.num_kv_heads} -> {self.num_kv_heads}",
            f"  head size    {a.head_dim} -> {self.head_dim}",
            f"  layers       {format_layers(self.layers)} of {a.num_layers}" if self.layers else
            f"  layers       none of the {a.num_layers} change their heads",
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
                    kind = f"every {ordinal(half // new_half)} pair: the default rope of the new size" if half % new_half == 0 \
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
        for v in verdicts if verdicts is not None else self.verdicts():
            lines.append(f"  {v.runtime:<26} {v.status.mark} {v.reason}")
        lines.extend(f"  warning      {w}" for w in self.warnings)
        return "\n".join(lines)



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
