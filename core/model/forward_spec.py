"""What the forward pass runs, read once from config.json: the model's and each layer's attention spec.

Everything a family does differently comes from its record in :mod:`families` and from
config.json, never from its name: norms and where they sit, the activation, rotary or learned
positions, the attention scale (``head_dim**-0.5`` or ``query_pre_attn_scalar**-0.5``),
soft-capping, Gemma's embedding scale and sliding windows. The numpy forward pass
(:mod:`forward`), the calibration walk and the heal step's torch model all read these records,
so that what is measured, refitted and healed is the same model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, HeadmixError
from .activations import ACTIVATIONS
from .architecture import Architecture, Layer, Rope
from .families import Family, Norm
from .rope import attention_factor, inverse_frequencies, longrope_original_max


class ForwardUnavailable(HeadmixError):
    """The model cannot be run by headmix's forward pass (unknown family, inconsistent config)."""


@dataclass(frozen=True)
class Rotary:
    """A layer's rotary embedding: the inverse frequency of each pair and the cos/sin scale.

    ``long`` is longrope's second set, used for sequences longer than ``original_max`` (as
    transformers chooses: by the longest position in the batch, so one set per forward).
    """

    rotary_dim: int
    short: np.ndarray  # float32, (rotary_dim / 2,)
    long: np.ndarray | None = None
    original_max: int | None = None
    scaling: float = 1.0

    def frequencies(self, length: int) -> np.ndarray:
        if self.long is not None and self.original_max is not None and length > self.original_max:
            return self.long
        return self.short

    def cos_sin(self, length: int) -> tuple[np.ndarray, np.ndarray]:
        """cos and sin of every position's angle, ``(length, rotary_dim / 2)`` float32, scaled.

        The angle is computed in float64 from the float32 frequency (transformers multiplies
        in float32; float64 is closer to the exact angle and within float32 noise of theirs).
        """
        angles = np.arange(length, dtype=np.float64)[:, None] * self.frequencies(length).astype(np.float64)[None, :]
        return (np.cos(angles) * self.scaling).astype(np.float32), (np.sin(angles) * self.scaling).astype(np.float32)


@dataclass(frozen=True)
class AttentionSpec:
    """Everything one layer's attention needs besides its weights."""

    num_heads: int
    num_kv_heads: int
    head_dim: int
    rotary: Rotary | None
    scale: float
    softcap: float | None
    window: int | None  # sliding window: a query sees keys at distance < window; None: all
    causal: bool
    norm_eps: float
    qk_norm_offset: float  # 1.0 for Gemma's (1 + w) qk-norm


@dataclass(frozen=True)
class ModelSpec:
    """Everything outside the layers' weights that the forward pass reads from config.json."""

    family: Family
    hidden: int
    norm_eps: float
    activation: str
    #: Gemma: sqrt(hidden). transformers rounds it to the dtype the weights are computed in, so
    #: float32 here, as in its float32 forward of any checkpoint (a BF16 forward would use
    #: bfloat16(sqrt(hidden)), e.g. 6.9375 for 6.928; tests/test_forward.py checks the float32 one)
    embed_scale: float | None
    final_softcap: float | None
    head_role: str  # "lm_head" or "embed" (tied)
    max_positions: int | None
    causal: bool

    @property
    def decoder(self) -> bool:
        return self.causal


def _number(config: dict, key: str | None, default=None):
    if key is None:
        return default
    value = config.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"config.json field '{key}' is {value!r}; expected a positive number")
    return value


def _config_key(config: dict, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if config.get(n) is not None), None)


def model_spec(arch: Architecture) -> ModelSpec:
    """Read what the forward pass needs; :class:`ForwardUnavailable` says why a model cannot run."""
    if not arch.recognised:
        raise ForwardUnavailable(f"the quality check cannot run this model: {arch.description}")
    if arch.problems:
        raise ForwardUnavailable("the quality check cannot run this model: " + "; ".join(arch.problems))
    family, config = arch.family, arch.config or {}
    if config.get("use_bidirectional_attention"):
        raise ForwardUnavailable(
            "config.json field 'use_bidirectional_attention' is true: headmix's forward pass runs causal "
            f"{family.title} models only"
        )
    if "embed" not in arch.global_names:
        raise ForwardUnavailable(f"the checkpoint has no token embedding ({family.globals['embed']}), so it cannot be run")
    eps_key = _config_key(config, family.keys.norm_eps)
    eps = float(_number(config, eps_key, family.default_norm_eps)) if eps_key else family.default_norm_eps
    act_key = _config_key(config, family.keys.activation)
    activation = config[act_key] if act_key else family.default_activation
    if activation not in ACTIVATIONS:
        raise ForwardUnavailable(
            f"config.json field '{act_key}' is {activation!r}; headmix's forward pass knows {', '.join(ACTIVATIONS)}"
        )
    tied = config.get("tie_word_embeddings") is True or "lm_head" not in arch.global_names
    head_role = "embed" if tied or not family.causal else "lm_head"
    pos_key = _config_key(config, family.keys.max_positions)
    return ModelSpec(
        family=family,
        hidden=arch.hidden_size,
        norm_eps=eps,
        activation=activation,
        embed_scale=float(np.float32(math.sqrt(arch.hidden_size))) if family.embed_scale_sqrt_hidden else None,
        final_softcap=_softcap(config, family.final_softcap_key),
        head_role=head_role,
        max_positions=int(config[pos_key]) if pos_key and isinstance(config[pos_key], int) else None,
        causal=family.causal,
    )


def _softcap(config: dict, key: str | None) -> float | None:
    value = _number(config, key) if key else None
    return None if value is None else float(value)


def layer_types(arch: Architecture) -> list[str]:
    """Each layer's attention type, ``full_attention`` or ``sliding_attention``, as transformers derives it."""
    family, config = arch.family, arch.config or {}
    n = len(arch.layers)
    types = config.get("layer_types")
    valid = isinstance(types, list) and len(types) >= n and all(isinstance(t, str) for t in types)
    if family.sliding_window == "all":
        return ["sliding_attention"] * n
    if family.sliding_window == "qwen":
        if valid:
            return list(types[:n])
        first = config.get("max_window_layers", 28)
        first = first if isinstance(first, int) and not isinstance(first, bool) else 28
        return ["sliding_attention" if config.get("use_sliding_window") and i >= first else "full_attention" for i in range(n)]
    if family.sliding_window == "layer_types":
        if valid:
            return list(types[:n])
        pattern = config.get("sliding_window_pattern", 6 if family.has_qk_norm else 2)
        pattern = pattern if isinstance(pattern, int) and pattern > 0 else 2
        return ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(n)]
    return ["full_attention"] * n


def sliding_window(arch: Architecture, layer_type: str) -> int | None:
    config = arch.config or {}
    if layer_type != "sliding_attention":
        return None
    if arch.family.sliding_window == "qwen" and not config.get("use_sliding_window"):
        return None  # transformers sets sliding_window to None unless use_sliding_window
    value = config.get("sliding_window")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"config.json field 'sliding_window' is {value!r}; expected a positive whole number or null")
    return value


def layer_rope(arch: Architecture, layer: Layer, kind: str) -> Rope | None:
    """The layer's rope; Gemma 3 configs from before per-layer-type rope parameters give local
    (sliding) layers ``rope_local_base_freq`` and the default rope, as transformers converts them."""
    rope = layer.rope
    config = arch.config or {}
    if rope is not None and rope.layer_type is None and kind == "sliding_attention" and "rope_local_base_freq" in config:
        theta = _number(config, "rope_local_base_freq")
        return Rope("default", float(theta), rope.rotary_dim, rope.partial_factor, {"rope_type": "default"}, None)
    return rope


def rotary(arch: Architecture, rope: Rope, head_dim: int, kept_pairs: np.ndarray | None = None) -> Rotary:
    """The rotary embedding of a head of ``head_dim`` dims under ``rope``.

    ``kept_pairs`` (a shrunk layer whose head size a plan reduced by keeping whole pairs)
    makes the new pairs rotate at the kept pairs' original frequencies, which is what the
    exported config expresses (a plain rope, a progression or longrope factors).
    """
    config = arch.config or {}
    try:
        if kept_pairs is not None:
            source_dim = rope.rotary_dim
            short = inverse_frequencies(rope, source_dim, None, config)[kept_pairs]
            return Rotary(2 * len(kept_pairs), short.astype(np.float32))
        dim = int(head_dim * rope.partial_factor)
        short = inverse_frequencies(rope, dim, None, config)
        if rope.type == "longrope":
            original = longrope_original_max(rope, config)
            long = inverse_frequencies(rope, dim, original + 1, config)
            return Rotary(dim, short.astype(np.float32), long.astype(np.float32), original, attention_factor(rope, config))
        return Rotary(dim, short.astype(np.float32))
    except (KeyError, TypeError) as e:
        raise ConfigError(f"config.json rope parameters of type '{rope.type}' lack or misstate {e}") from None
    except ValueError as e:
        if "not one headmix can recompute" in str(e):
            raise ForwardUnavailable(f"config.json rope type '{rope.type}' is not one headmix's forward pass can run "
                                     "(it runs default, linear, llama3 and longrope)") from None
        raise ConfigError(f"config.json rope parameters: {e}") from None


def attention_spec(arch: Architecture, layer: Layer, num_heads: int | None = None, num_kv_heads: int | None = None,
                   head_dim: int | None = None, kept_pairs: np.ndarray | None = None,
                   config: dict | None = None) -> AttentionSpec:
    """How one layer attends; the optional shape describes the layer after a shrink, and
    ``config`` (the config.json the export writes) the scalars it is run with (attention
    scale, soft-caps, windows) when they differ from the source's."""
    family = arch.family
    config = config if config is not None else (arch.config or {})
    nq = num_heads or layer.num_heads
    nkv = num_kv_heads or layer.num_kv_heads
    d = head_dim or layer.head_dim
    kind = layer_types(arch)[arch.layers.index(layer)]
    rope = layer_rope(arch, layer, kind)
    rot = rotary(arch, rope, d, kept_pairs) if (family.rotary and rope is not None) else None
    if family.attention_scale_key is not None:
        scale = float(_number(config, family.attention_scale_key, d)) ** -0.5
    elif config.get("scale_attn_weights", True) is False:
        scale = 1.0
    else:
        scale = d**-0.5
    if config.get("scale_attn_by_inverse_layer_idx"):
        scale /= float(layer.index + 1)
    eps_key = _config_key(config, family.keys.norm_eps)
    return AttentionSpec(
        num_heads=nq, num_kv_heads=nkv, head_dim=d, rotary=rot, scale=scale,
        softcap=_softcap(config, family.attn_softcap_key), window=sliding_window(arch, kind), causal=family.causal,
        norm_eps=float(config[eps_key]) if eps_key else family.default_norm_eps,
        qk_norm_offset=1.0 if family.norm is Norm.RMS_PLUS_ONE else 0.0,
    )  # fmt: skip
