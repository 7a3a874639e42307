"""The plan: one object that says everything a shrink will do, before anything is written.

The window's summary and heatmaps, ``headmix shrink --dry-run`` and the export all read the
same :class:`Plan`. Shapes, parameter counts and the loadability verdict come from headers
alone; mixing matrices are built per layer on first use (``select`` reads that layer's
weights to score it), so previewing one layer of a 70B model stays quick.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import __version__
from .architecture import LLAMA_STYLE, Architecture, detect, expected_shapes
from .checkpoint import Checkpoint
from .dtypes import itemsize
from .errors import ConfigError, TargetError
from .importance import Importance, layer_importance, rotary_pairs
from .methods import DEFAULT_METHOD, METHODS, LayerMixing, head_matrices, layer_mixing, top
from .mixing import mix_tensor
from .rope import rope_parameters_for, stride_pairs
from .targets import Targets, check, format_layers, resolve


@dataclass
class Plan:
    checkpoint: Checkpoint
    arch: Architecture
    targets: Targets
    method: str
    seed: int
    num_heads: int  # resolved targets
    num_kv_heads: int
    head_dim: int
    layers: tuple[int, ...]  # the layers that change
    shapes: dict[str, tuple[int, ...]]  # every output tensor's shape, in source order
    warnings: list[str] = field(default_factory=list)
    _mixing: dict[int, LayerMixing] = field(default_factory=dict, repr=False)
    _importance: dict[int, Importance] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, checkpoint: Checkpoint, targets: Targets, method: str = DEFAULT_METHOD, seed: int = 0,
              arch: Architecture | None = None, importance: dict[int, Importance] | None = None) -> Plan:
        """Validate the targets against the model and work out every output shape.

        Raises :class:`ConfigError` for a model headmix cannot shrink and
        :class:`TargetError` (with the control's name in ``field``) for impossible targets.
        ``importance`` is a cache of layer scores shared between plans (the window keeps one,
        so changing a spin box never re-reads weights).
        """
        arch = arch or detect(checkpoint)
        if not arch.recognised:
            raise ConfigError(f"{checkpoint.path}: {arch.description}")
        if arch.problems:
            raise ConfigError(f"{checkpoint.path}: cannot shrink: " + "; ".join(arch.problems))
        if method not in METHODS:
            raise TargetError(f"method: '{method}' is not one of {', '.join(METHODS)}", field="method")
        if type(seed) is not int or not 0 <= seed < 2**63:
            raise TargetError(f"seed: {seed!r} is not a non-negative whole number", field="seed")
        heads, kv, d = resolve(arch, targets)
        chosen = targets.layers if targets.layers is not None else tuple(range(arch.num_layers))
        by_index = {layer.index: layer for layer in arch.layers}
        for i in chosen:
            if i not in by_index:
                raise TargetError(f"layers: the model has no layer {i}", field="layers")
            check(by_index[i], arch.family, heads, kv, d, method)
        first = by_index[chosen[0]] if chosen else arch.layers[0]
        unchanged = (heads, kv, d) == (first.num_heads, first.num_kv_heads, first.head_dim)
        changing = () if unchanged else tuple(chosen)

        shapes = {name: info.shape for name, info in checkpoint.tensors.items()}
        for i in changing:
            shapes.update(expected_shapes(by_index[i], heads, kv, d))
        plan = cls(checkpoint, arch, targets, method, seed, heads, kv, d, changing, shapes)
        if importance is not None:
            plan._importance = importance
        plan.warnings.extend(plan._static_warnings())
        return plan

    def _static_warnings(self) -> list[str]:
        warnings = []
        if self.method == "article":
            warnings.append(
                "article: the same matrices act on q, k, v and the output with no compensation; expect the "
                "model to need retraining. Use mean or select for a model that starts close to the original."
            )
            if self.arch.rope is not None and self.head_dim != self.arch.head_dim:
                warnings.append(
                    "article: mixing rotary dims of different frequencies destroys relative position information"
                )
        return warnings

    # ------------------------------------------------------------------ per layer

    def layer(self, index: int):
        return next(layer for layer in self.arch.layers if layer.index == index)

    def importance(self, index: int) -> Importance:
        """Importance scores of one layer (reads its four attention tensors once)."""
        if index not in self._importance:
            self._importance[index] = layer_importance(self.checkpoint, self.layer(index))
        return self._importance[index]

    def rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, index])

    @cached_property
    def kept_pairs(self) -> np.ndarray | None:
        """Rotary pairs kept in every changed layer, or None when no rotary head size changes.

        One set for the whole model, because config.json holds one rope: ``select`` sums
        each layer's normalised pair scores, the other methods keep evenly spaced pairs.
        """
        if not self.layers or self.head_dim == self.arch.head_dim or self.method == "article":
            return None
        layer = self.layer(self.layers[0])
        if not rotary_pairs(layer):
            return None
        half, new_half = layer.head_dim // 2, self.head_dim // 2
        if self.method != "select":
            return stride_pairs(half, new_half)
        total = np.zeros(half)
        for i in self.layers:
            scores = self.importance(i).qk_units
            total += scores / (scores.sum() or 1.0)
        return top(total, new_half)

    def mixing(self, index: int) -> LayerMixing:
        """The matrices and scales for one changed layer, built once."""
        if index not in self.layers:
            raise KeyError(f"layer {index} is not changed by this plan")
        if index not in self._mixing:
            layer = self.layer(index)
            scores = self.importance(index) if self.method == "select" else None
            self._mixing[index] = layer_mixing(
                self.method, layer, self.num_heads, self.num_kv_heads, self.head_dim, scores,
                self.rng(index), self.kept_pairs,
            )
        return self._mixing[index]

    def heatmaps(self, index: int) -> dict[str, np.ndarray]:
        """The matrices the window draws for one layer: identities where the layer is unchanged."""
        if index in self.layers:
            return self.mixing(index).heatmaps()
        layer = self.layer(index)
        # targets equal to the layer's own shape leave every axis the identity, whatever the method
        unchanged = layer_mixing("mean", layer, layer.num_heads, layer.num_kv_heads, layer.head_dim, None, self.rng(index), None)
        return unchanged.heatmaps()

    def kept_by_select(self, index: int) -> np.ndarray | None:
        """Which query heads ``select`` would keep in this layer at these targets (a bool per head).

        None when ``select`` cannot build these head counts (it keeps whole kv heads, so each
        new kv head reaches only its own query heads), as for a mean-pooled MHA → GQA plan.
        """
        layer = self.layer(index)
        if self.num_heads // self.num_kv_heads > layer.num_heads // layer.num_kv_heads:
            return None
        q, _ = head_matrices("select", layer, self.num_heads, self.num_kv_heads, self.importance(index), self.rng(index))
        return q.any(axis=1)

    def preview(self, index: int, role: str) -> tuple[np.ndarray, np.ndarray]:
        """One stored weight tensor of a changed layer, before and after, in float32."""
        layer = self.layer(index)
        name = layer.names[role]
        before = self.checkpoint.read_float(name)
        return before, mix_tensor(layer, self.mixing(index), name, before, "F32")

    # ------------------------------------------------------------------ the whole model

    @property
    def identity(self) -> bool:
        return not self.layers

    def changed_tensors(self) -> set[str]:
        return {name for i in self.layers for name in self.layer(i).tensor_names()}

    @property
    def params_before(self) -> int:
        return self.checkpoint.num_parameters

    @property
    def params_after(self) -> int:
        return sum(math.prod(s) for s in self.shapes.values())

    @property
    def bytes_before(self) -> int:
        return sum(t.nbytes for t in self.checkpoint.tensors.values())

    def output_nbytes(self, name: str) -> int:
        """Bytes of one exported tensor (dtypes headmix cannot read keep their size: they pass through)."""
        info = self.checkpoint.tensors[name]
        size = itemsize(info.dtype)
        return info.nbytes if size is None else math.prod(self.shapes[name]) * size

    @property
    def bytes_after(self) -> int:
        return sum(self.output_nbytes(name) for name in self.shapes)

    @property
    def loadability(self) -> tuple[bool, str]:
        """Whether stock transformers will load the export, and why not when it won't."""
        family = self.arch.family
        if self.identity:
            return True, "loads in transformers (nothing changes)"
        if self.targets.layers is not None and len(self.layers) != self.arch.num_layers:
            return False, (
                f"will not load: transformers needs the same head counts in every layer, and this plan changes "
                f"layers {format_layers(self.layers)} only"
            )
        if family in LLAMA_STYLE:
            return True, f"loads in transformers ({family} reads num_key_value_heads and head_dim from config.json)"
        hidden = self.arch.hidden_size
        if self.num_heads * self.head_dim != hidden:
            name = "GPT-2" if family == "gpt2" else "BERT"
            return False, (
                f"will not load: {name} in transformers derives the head size from hidden_size / heads, so "
                f"heads × head size must equal the hidden size ({hidden}); this plan gives "
                f"{self.num_heads} × {self.head_dim} = {self.num_heads * self.head_dim}"
            )
        return True, "loads in transformers"

    def new_config(self) -> dict | None:
        """config.json for the export: head counts, head size and rope parameters."""
        config = copy.deepcopy(self.checkpoint.config)
        if config is None or self.identity or (self.targets.layers is not None and len(self.layers) != self.arch.num_layers):
            return config
        family = self.arch.family
        if family == "gpt2":
            config["n_head"] = self.num_heads
            return config
        config["num_attention_heads"] = self.num_heads
        if family == "bert":
            return config
        config["num_key_value_heads"] = self.num_kv_heads
        config["head_dim"] = self.head_dim
        pairs = self.kept_pairs
        rope = self.arch.rope
        if pairs is not None and rope is not None:
            params = rope_parameters_for(
                rope, self.arch.head_dim, pairs, self.head_dim, config.get("max_position_embeddings") or 4096
            )
            if params is not None:
                key = "rope_scaling" if "rope_scaling" in config and "rope_parameters" not in config else "rope_parameters"
                config[key] = params
        return config

    def describe(self) -> str:
        """The dry-run text."""
        from .inspection import human_bytes, human_count

        a = self.arch
        ok, reason = self.loadability
        saved = 1 - self.params_after / max(self.params_before, 1)
        lines = [
            f"plan for {self.checkpoint.path} ({a.family})",
            f"  method       {self.method} (seed {self.seed}): {METHODS[self.method]}",
            f"  query heads  {a.num_heads} -> {self.num_heads}",
            f"  kv heads     {a.num_kv_heads} -> {self.num_kv_heads}",
            f"  head size    {a.head_dim} -> {self.head_dim}",
            f"  layers       {format_layers(self.layers) if self.layers else 'none change'} of {a.num_layers}",
            f"  parameters   {human_count(self.params_before)} -> {human_count(self.params_after)} ({100 * saved:.1f}% saved)",
            f"  size         {human_bytes(self.bytes_before)} -> {human_bytes(self.bytes_after)}",
        ]
        if self.kept_pairs is not None:
            config = self.new_config() or {}
            rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
            kind = "longrope factors" if rope.get("rope_type") == "longrope" else "the default rope of the new size"
            lines.append(f"  rotary pairs keeps {len(self.kept_pairs)} of {a.head_dim // 2}, at their own frequencies ({kind})")
        lines.append(f"  verdict      {reason}")
        lines.extend(f"  warning      {w}" for w in self.warnings_all())
        return "\n".join(lines)

    def warnings_all(self) -> list[str]:
        """Static warnings plus those of every layer whose matrices are already built."""
        return self.warnings + [w for m in self._mixing.values() for w in m.warnings]

    def provenance(self) -> dict:
        """headmix.json: enough to inspect and reproduce the shrink."""
        ok, reason = self.loadability
        return {
            "headmix_version": __version__,
            "source": str(self.checkpoint.path.resolve()),
            "source_header_sha256": self.checkpoint.header_digest(),
            "architecture": self.arch.family,
            "method": self.method,
            "seed": self.seed,
            "targets": {
                "num_heads": self.num_heads,
                "num_kv_heads": self.num_kv_heads,
                "head_dim": self.head_dim,
                "layers": format_layers(self.targets.layers),
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
            "warnings": self.warnings_all(),
            "matrices": "headmix_matrices.npz",
        }
