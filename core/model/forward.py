"""A numpy forward pass for every family headmix knows, streamed one layer at a time.

headmix must measure the model it makes without torch. This module runs a checkpoint the
way stock ``transformers`` does (the tests compare logits and hidden states with it on tiny
random models of every family and rope type), in float32 whatever the checkpoint's dtype.

It streams: all tokens (every evaluation window, as one ``(windows, length, hidden)``
batch) go through layer 0, then layer 1, ...; :class:`~pipeline.LayerPipeline` reads each
layer's weights while the previous one computes, so memory holds about two layers plus the
hidden states, whatever the model size. Inside a layer the windows are processed in pieces
of :data:`CHUNK_TOKENS` tokens and attention in blocks of query rows, so no temporary grows
with the text; the output head is read in row blocks and the loss is accumulated block by
block (an online log-sum-exp), so ``vocab × tokens`` logits never exist at once.

Everything a family does differently comes from its record in :mod:`families` and from
config.json, never from its name: norms (RMSNorm, Gemma's ``(1 + w)`` RMSNorm, LayerNorm)
and where they sit (pre, sandwich, post), the MLP kind, rotary or learned positions, qk-norm,
biases, the attention scale (``head_dim**-0.5`` or ``query_pre_attn_scalar**-0.5``),
soft-capping, Gemma's embedding scale and sliding windows.

The pieces (:func:`attention_input`, :func:`attention`, :func:`finish_layer`) are public so
that :mod:`quality` can walk an original and a shrunk model side by side in one pass.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .architecture import Architecture, Layer, Rope, detect
from ..io.checkpoint import Checkpoint
from ..errors import Cancelled, ConfigError, HeadmixError
from .families import Blocks, Family, Layout, Mlp, Norm
from .pipeline import LayerPipeline, Progress
from .rope import attention_factor, inverse_frequencies, longrope_original_max

#: tokens of one layer computed at once: bounds the MLP's temporaries (tokens × intermediate)
CHUNK_TOKENS = 2048
#: bytes of attention scores computed at once (query rows are taken in blocks to fit)
SCORE_BYTES = 64 << 20
#: bytes of output-head rows converted to float32 at once (and of one block of logits)
HEAD_BLOCK_BYTES = 64 << 20
#: threads that run independent windows (and output-head token rows) side by side
WORKERS = max(1, min(8, os.cpu_count() or 1))
#: causal query rows per block: keys past a block's last row are never computed
QUERY_BLOCK = 128
#: scores up to this go into exp directly (float32 exp overflows past 88.7)
EXP_SAFE = 80.0


class ForwardUnavailable(HeadmixError):
    """The model cannot be run by headmix's forward pass (unknown family, inconsistent config)."""


# --------------------------------------------------------------------------- activations


def _erf(x: np.ndarray) -> np.ndarray:
    """erf in float32, to within a few ulp: numpy has none, and scipy is not a dependency.

    The rational approximation Eigen and XLA use for float32 (clamped to [-4, 4], where erf
    is ±1 to float32 precision).
    """
    x = np.clip(x, -4.0, 4.0).astype(np.float32, copy=False)
    x2 = x * x
    p = np.float32(-2.72614225801306e-10)
    for c in (2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05, -7.34990630326855e-04,
              -2.95459980854025e-03, -1.60960333262415e-02):
        p = p * x2 + np.float32(c)
    q = np.float32(-1.45660718464996e-05)
    for c in (-2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03, -1.42647390514189e-02):
        q = q * x2 + np.float32(c)
    return x * p / q


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    inner = np.float32(math.sqrt(2.0 / math.pi)) * (x + np.float32(0.044715) * x * x * x)
    return np.float32(0.5) * x * (np.float32(1.0) + np.tanh(inner))


def _silu(x: np.ndarray) -> np.ndarray:
    t = np.negative(x)
    np.exp(t, out=t)
    t += np.float32(1.0)
    return np.divide(x, t, out=t)


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "silu": _silu,
    "swish": _silu,
    "gelu": lambda x: np.float32(0.5) * x * (np.float32(1.0) + _erf(x * np.float32(1 / math.sqrt(2.0)))),
    "gelu_python": lambda x: np.float32(0.5) * x * (np.float32(1.0) + _erf(x * np.float32(1 / math.sqrt(2.0)))),
    "gelu_new": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_python_tanh": _gelu_tanh,
    "gelu_fast": _gelu_tanh,
    "quick_gelu": lambda x: x / (np.float32(1.0) + np.exp(np.float32(-1.702) * x)),
    "relu": lambda x: np.maximum(x, np.float32(0.0)),
    "relu2": lambda x: np.square(np.maximum(x, np.float32(0.0))),
    "tanh": np.tanh,
    "sigmoid": lambda x: np.float32(1.0) / (np.float32(1.0) + np.exp(-x)),
    "linear": lambda x: x,
}


# --------------------------------------------------------------------------- what to run


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


def _window(arch: Architecture, layer_type: str) -> int | None:
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


def _rope_for(arch: Architecture, layer: Layer, kind: str) -> Rope | None:
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
    rope = _rope_for(arch, layer, kind)
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
        softcap=_softcap(config, family.attn_softcap_key), window=_window(arch, kind), causal=family.causal,
        norm_eps=float(config[eps_key]) if eps_key else family.default_norm_eps,
        qk_norm_offset=1.0 if family.norm is Norm.RMS_PLUS_ONE else 0.0,
    )  # fmt: skip


# --------------------------------------------------------------------------- the pieces


def norm(kind: Norm, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, eps: float) -> np.ndarray:
    """RMSNorm, Gemma's RMSNorm with ``(1 + w)``, or LayerNorm over the last axis, in float32."""
    if kind is Norm.LAYER:
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        var = np.mean(np.square(centred), axis=-1, keepdims=True)
        out = centred / np.sqrt(var + np.float32(eps))
        out *= weight
        if bias is not None:
            out += bias
        return out
    out = x / np.sqrt(np.mean(np.square(x), axis=-1, keepdims=True) + np.float32(eps))
    out *= (weight + np.float32(1.0)) if kind is Norm.RMS_PLUS_ONE else weight
    return out


def _linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, layout: Layout) -> np.ndarray:
    """``x @ Wᵀ + b`` for a Linear ``(out, in)`` weight, ``x @ W + b`` for a Conv1D ``(in, out)`` one."""
    out = x @ (weight if layout is Layout.CONV1D else weight.T)
    if bias is not None:
        out += bias
    return out


def _rotate(x: np.ndarray, cos: np.ndarray, sin: np.ndarray, rotary_dim: int) -> None:
    """Rotate the leading ``rotary_dim`` dims of ``x (..., T, d)`` in place, in HF's rotate_half layout."""
    half = rotary_dim // 2
    first, second = x[..., :half], x[..., half:rotary_dim]
    new_first = first * cos - second * sin
    second *= cos
    second += first * sin
    x[..., :half] = new_first


def project(spec: AttentionSpec, w: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Queries, keys and values of ``x (b, T, hidden)``, each ``(b, heads, T, d)``: after the projection,
    its bias and a qk-norm, before any rotation (what calibration measures)."""
    b, T, hidden = x.shape
    d = spec.head_dim
    flat = x.reshape(b * T, hidden)

    def one(role: str, heads: int) -> np.ndarray:
        weight = w[role].reshape(heads * d, hidden)
        out = flat @ weight.T
        if f"{role}_bias" in w:
            out += w[f"{role}_bias"].reshape(-1)
        return np.ascontiguousarray(out.reshape(b, T, heads, d).transpose(0, 2, 1, 3))  # (b, heads, T, d)

    q, k, v = one("q", spec.num_heads), one("k", spec.num_kv_heads), one("v", spec.num_kv_heads)
    if "q_norm" in w:
        q = norm(Norm.RMS_PLUS_ONE if spec.qk_norm_offset else Norm.RMS, q, w["q_norm"], None, spec.norm_eps)
        k = norm(Norm.RMS_PLUS_ONE if spec.qk_norm_offset else Norm.RMS, k, w["k_norm"], None, spec.norm_eps)
    return q, k, v


def attend(spec: AttentionSpec, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Every query head's output before the output projection, ``(b, T, heads·d)``.

    Rotates ``q`` and ``k`` in place (pass copies to keep them). Attention is batched over
    windows and kv heads, the query heads that share a kv head stacked as extra rows of one
    product (no loop per head or token). Query rows go in blocks that keep the scores under
    :data:`SCORE_BYTES`; a causal block reads only the keys up to its last row (and from its
    first row's window).
    """
    b, nq, T, d = q.shape
    nkv = spec.num_kv_heads
    g = nq // nkv
    if spec.rotary is not None:
        cos, sin = spec.rotary.cos_sin(T)
        _rotate(q, cos, sin, spec.rotary.rotary_dim)
        _rotate(k, cos, sin, spec.rotary.rotary_dim)
    if spec.softcap is None:
        q *= np.float32(spec.scale)  # folded into the queries: one multiply per query, not per score
    q = q.reshape(b, nkv, g, T, d)
    kt = np.ascontiguousarray(k.transpose(0, 1, 3, 2))  # (b, nkv, d, T): plain BLAS operands
    # |q·k| <= |q| max|k|: where that bound keeps every score under EXP_SAFE, exp needs no
    # max subtracted first (two passes saved, and no subnormal exp(s - max) either)
    bound = np.sqrt(np.einsum("bhgtd,bhgtd->bhgt", q, q)) * np.sqrt(np.einsum("bhdt,bhdt->bht", kt, kt).max(axis=-1))[..., None, None]
    if spec.softcap is not None:
        bound = np.minimum(bound * np.float32(spec.scale), np.float32(spec.softcap))
    out = np.empty((b, nkv, g, T, d), dtype=np.float32)
    rows = max(1, min(T, SCORE_BYTES // max(1, 4 * nq * T)))
    if spec.causal:
        rows = min(rows, QUERY_BLOCK)  # smaller blocks skip more of the masked upper triangle
    positions = np.arange(T)
    for window in range(b):  # one window at a time keeps its scores in cache through softmax and product
        for start in range(0, T, rows):
            stop = min(T, start + rows)
            k_lo, k_hi = 0, T
            if spec.causal:
                k_hi = stop
                if spec.window is not None:
                    k_lo = max(0, start - spec.window + 1)
            n, keys = stop - start, k_hi - k_lo
            qb = q[window, :, :, start:stop].reshape(nkv, g * n, d)
            scores = qb @ kt[window, :, :, k_lo:k_hi]  # (nkv, g·n, keys)
            if spec.softcap is not None:
                scores *= np.float32(spec.scale / spec.softcap)
                np.tanh(scores, out=scores)
                scores *= np.float32(spec.softcap)
            if spec.causal:
                blocked = positions[None, k_lo:k_hi] > positions[start:stop, None]
                if spec.window is not None:
                    blocked |= positions[None, k_lo:k_hi] <= positions[start:stop, None] - spec.window
                columns = np.flatnonzero(blocked.any(axis=0))
                if columns.size:  # add the mask only where it blocks something
                    lo, hi = int(columns[0]), int(columns[-1]) + 1
                    view = scores.reshape(nkv, g, n, keys)[..., lo:hi]
                    view += np.where(blocked[:, lo:hi], np.float32(-np.inf), np.float32(0.0))
            if float(bound[window, :, :, start:stop].max()) > EXP_SAFE:
                scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            total = scores.sum(axis=-1, keepdims=True)
            # normalise after the product: (rows, d) divisions instead of (rows, keys)
            values = scores @ v[window, :, k_lo:k_hi]
            values /= total
            out[window, :, :, start:stop] = values.reshape(nkv, g, n, d)
    return out.reshape(b, nq, T, d).transpose(0, 2, 1, 3).reshape(b, T, nq * d)


def output(w: dict[str, np.ndarray], heads: np.ndarray) -> np.ndarray:
    """The output projection (and its bias) of the heads' outputs ``(b, T, heads·d)``."""
    b, T, units = heads.shape
    result = heads.reshape(b * T, units) @ w["o"].reshape(units, -1)
    if "o_bias" in w:
        result += w["o_bias"]
    return result.reshape(b, T, -1)


def attention(spec: AttentionSpec, w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """One layer's attention output (after the output projection and its bias) for ``x (b, T, hidden)``.

    ``w`` holds the canonical arrays of :mod:`layout`.
    """
    return output(w, attend(spec, *project(spec, w, x)))


def _norm_of(family: Family, other: dict[str, np.ndarray], role: str, x: np.ndarray, eps: float) -> np.ndarray:
    return norm(family.norm, x, other[role], other.get(f"{role}_bias"), eps)


def attention_input(spec: ModelSpec, other: dict[str, np.ndarray], h: np.ndarray) -> np.ndarray:
    """What a layer's attention reads: the normed residual stream (pre/sandwich), or the stream itself (post)."""
    if spec.family.blocks is Blocks.POST:
        return h
    return _norm_of(spec.family, other, "attn_norm", h, spec.norm_eps)


def mlp_input(spec: ModelSpec, other: dict[str, np.ndarray], h: np.ndarray) -> np.ndarray:
    """What a pre-norm layer's MLP reads: the normed residual stream after attention."""
    return _norm_of(spec.family, other, "mlp_norm", h, spec.norm_eps)


def mlp(spec: ModelSpec, other: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-x) overflowing to inf gives silu/sigmoid their exact limit 0
        return _mlp(spec, other, x)


def _mlp(spec: ModelSpec, other: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    family, act = spec.family, ACTIVATIONS[spec.activation]
    layout = family.layout
    if family.mlp is Mlp.GATED:
        gate = act(_linear(x, other["gate"], other.get("gate_bias"), layout))
        gate *= _linear(x, other["up"], other.get("up_bias"), layout)
        return _linear(gate, other["down"], other.get("down_bias"), layout)
    if family.mlp is Mlp.GATED_FUSED:
        both = _linear(x, other["gate_up"], other.get("gate_up_bias"), layout)
        half = both.shape[-1] // 2
        gate = act(both[..., :half])
        gate *= both[..., half:]
        return _linear(gate, other["down"], other.get("down_bias"), layout)
    return _linear(act(_linear(x, other["up"], other.get("up_bias"), layout)), other["down"], other.get("down_bias"), layout)


def finish_layer(spec: ModelSpec, other: dict[str, np.ndarray], h: np.ndarray, attn: np.ndarray) -> np.ndarray:
    """The layer's output from its input ``h`` and its attention output ``attn`` (residuals, norms, MLP)."""
    family, eps = spec.family, spec.norm_eps
    if family.blocks is Blocks.POST:
        h = _norm_of(family, other, "attn_norm", h + attn, eps)
        return _norm_of(family, other, "mlp_norm", h + mlp(spec, other, h), eps)
    if family.blocks is Blocks.SANDWICH:
        h = h + _norm_of(family, other, "post_attn_norm", attn, eps)
        update = mlp(spec, other, _norm_of(family, other, "mlp_norm", h, eps))
        return h + _norm_of(family, other, "post_mlp_norm", update, eps)
    h = h + attn
    return h + mlp(spec, other, _norm_of(family, other, "mlp_norm", h, eps))


def finish_layer_in_place(spec: ModelSpec, other: dict[str, np.ndarray], h: np.ndarray, attn: np.ndarray) -> None:
    """:func:`finish_layer` into ``h``, a chunk of windows at a time: the MLP's intermediate activations
    (several times the hidden size) then exist for one chunk, not for every calibration token at once."""

    def one(part: slice) -> None:
        h[part] = finish_layer(spec, other, h[part], attn[part])

    each(parallel_chunks(h.shape[0], h.shape[1]), one)


def window_chunks(windows: int, length: int, chunk_tokens: int = CHUNK_TOKENS) -> Iterator[slice]:
    """Slices of whole windows holding about ``chunk_tokens`` tokens each (at least one window)."""
    step = max(1, chunk_tokens // max(1, length))
    for start in range(0, windows, step):
        yield slice(start, min(windows, start + step))


def parallel_chunks(windows: int, length: int) -> list[slice]:
    """Window slices for :func:`each`: about :data:`CHUNK_TOKENS` tokens in flight in all, in at
    least :data:`WORKERS` pieces when there are that many windows."""
    total = windows * length
    per_piece = min(CHUNK_TOKENS // WORKERS, -(-total // WORKERS)) if WORKERS > 1 else CHUNK_TOKENS
    return list(window_chunks(windows, length, max(1, per_piece)))


_pool: ThreadPoolExecutor | None = None
_blas = None
_each_lock = threading.Lock()


def each(parts: list, work: Callable) -> list:
    """``[work(part) for part in parts]``, the parts on :data:`WORKERS` threads when there are several.

    numpy's element-wise loops use one core, and OpenBLAS threads that wait for work spin; so
    rather than many small multi-threaded BLAS calls followed by single-threaded softmax,
    norms and activations, independent windows run on their own threads with BLAS held to one
    thread each, which keeps every core busy on everything (numpy releases the GIL in both).
    """
    global _pool, _blas
    if WORKERS < 2 or len(parts) < 2:
        return [work(part) for part in parts]
    # one caller at a time: the BLAS thread limit is process-wide, and two overlapping limits
    # could restore each other's setting in the wrong order
    with _each_lock:
        if _pool is None:
            from threadpoolctl import ThreadpoolController

            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="headmix-forward")
            _blas = ThreadpoolController()
        with _blas.limit(limits=1, user_api="blas"):
            return list(_pool.map(work, parts))


def run_layer(spec: ModelSpec, aspec: AttentionSpec, attention_weights: dict[str, np.ndarray],
              other: dict[str, np.ndarray], h: np.ndarray) -> None:
    """Replace ``h (windows, T, hidden)`` by the layer's output, a chunk of windows at a time."""

    def one(part: slice) -> None:
        x = h[part]
        h[part] = finish_layer(spec, other, x, attention(aspec, attention_weights, attention_input(spec, other, x)))

    each(parallel_chunks(h.shape[0], h.shape[1]), one)


# --------------------------------------------------------------------------- outside the layers


def _global(checkpoint: Checkpoint, arch: Architecture, role: str) -> np.ndarray | None:
    name = arch.global_names.get(role)
    return None if name is None else checkpoint.read_float(name)


def embed(checkpoint: Checkpoint, arch: Architecture, spec: ModelSpec, ids: np.ndarray) -> np.ndarray:
    """The first hidden states ``(windows, T, hidden)`` float32 of token ids ``(windows, T)``.

    Only the rows of the tokens used are read from the (memory-mapped) embedding. Learned
    positions count from 0 in every window; BERT adds token type 0 and its embedding norm.
    """
    ids = np.asarray(ids)
    table = checkpoint.read(arch.global_names["embed"])
    vocab = table.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= vocab):
        raise HeadmixError(f"token id {int(ids.max())} is outside the model's vocabulary of {vocab}: "
                           "the tokenizer does not belong to this model")
    unique, inverse = np.unique(ids, return_inverse=True)
    rows = np.asarray(table[unique], dtype=np.float32)
    h = rows[inverse.reshape(ids.shape)]
    if spec.embed_scale is not None:
        h *= np.float32(spec.embed_scale)
    T = ids.shape[1]
    if "pos_embed" in arch.global_names:
        positions = checkpoint.read(arch.global_names["pos_embed"])
        if T > positions.shape[0]:
            raise HeadmixError(f"windows of {T} tokens are longer than the model's {positions.shape[0]} learned positions")
        h += np.asarray(positions[:T], dtype=np.float32)
    if "type_embed" in arch.global_names:
        h += np.asarray(checkpoint.read(arch.global_names["type_embed"])[0], dtype=np.float32)
    if "embed_norm" in arch.global_names:
        h = norm(spec.family.norm, h, _global(checkpoint, arch, "embed_norm"), _global(checkpoint, arch, "embed_norm_bias"),
                 spec.norm_eps)
    return np.ascontiguousarray(h, dtype=np.float32)


def final_hidden(checkpoint: Checkpoint, arch: Architecture, spec: ModelSpec, h: np.ndarray) -> np.ndarray:
    """The hidden states the output head reads: the final norm applied (decoders), else ``h``."""
    if "final_norm" not in arch.global_names:
        return h
    weight, bias = _global(checkpoint, arch, "final_norm"), _global(checkpoint, arch, "final_norm_bias")
    out = np.empty_like(h)
    for part in window_chunks(h.shape[0], h.shape[1]):
        out[part] = norm(spec.family.norm, h[part], weight, bias, spec.norm_eps)
    return out


class OutputHead:
    """The language-model head (``lm_head``, or the tied embedding), read in blocks of rows.

    Each block is converted to float32 once and applied to every token (of every stream
    given), so the head is read once per evaluation and ``vocab × tokens`` logits never
    exist at once; Gemma's final soft-capping is applied per block.
    """

    def __init__(self, checkpoint: Checkpoint, arch: Architecture, spec: ModelSpec,
                 cancelled: Callable[[], bool] | None = None):
        self.weight = checkpoint.read(arch.global_names[spec.head_role])
        self.spec = spec
        self.cancelled = cancelled or (lambda: False)

    @property
    def vocab(self) -> int:
        return self.weight.shape[0]

    def blocks(self, tokens: int) -> Iterator[tuple[int, int, np.ndarray]]:
        """``(start, stop, rows float32)`` over the vocabulary, sized for ``tokens`` tokens at a time."""
        hidden = self.weight.shape[1]
        rows = max(256, HEAD_BLOCK_BYTES // (4 * max(hidden, tokens)))
        for start in range(0, self.vocab, rows):
            if self.cancelled():
                raise Cancelled("cancelled")
            stop = min(self.vocab, start + rows)
            yield start, stop, np.asarray(self.weight[start:stop], dtype=np.float32)

    def _logits(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        logits = x @ rows.T
        cap = self.spec.final_softcap
        if cap is not None:
            logits /= np.float32(cap)
            np.tanh(logits, out=logits)
            logits *= np.float32(cap)
        return logits

    def logits(self, h: np.ndarray) -> np.ndarray:
        """Every logit, ``(..., vocab)``: for small inputs and tests (it materialises them)."""
        flat = h.reshape(-1, h.shape[-1])
        out = np.empty((flat.shape[0], self.vocab), dtype=np.float32)
        for start, stop, rows in self.blocks(flat.shape[0]):
            out[:, start:stop] = self._logits(flat, rows)
        return out.reshape(*h.shape[:-1], self.vocab)

    def nll(self, streams: list[np.ndarray], targets: np.ndarray) -> list[np.ndarray]:
        """Negative log-likelihood of ``targets`` (int, shape ``(n,)``) under each stream's ``(n, hidden)``
        hidden states, float64 ``(n,)`` each, by an online log-sum-exp over the vocabulary blocks
        (each block converted once; its tokens split over :func:`each`'s threads)."""
        n = targets.shape[0]
        maxima = [np.full(n, -np.inf) for _ in streams]
        sums = [np.zeros(n) for _ in streams]
        picked = [np.zeros(n) for _ in streams]
        step = max(1, -(-n // WORKERS))
        pieces = [slice(a, min(n, a + step)) for a in range(0, n, step)]
        cap = self.spec.final_softcap
        for start, stop, rows in self.blocks(n):

            def update(piece: slice, start: int = start, stop: int = stop, rows: np.ndarray = rows) -> None:
                t = targets[piece]
                where = np.flatnonzero((t >= start) & (t < stop))
                for s, x in enumerate(streams):
                    xs = x[piece]
                    logits = self._logits(xs, rows)
                    new_max = np.maximum(maxima[s][piece], logits.max(axis=1))
                    logits -= new_max.astype(np.float32)[:, None]
                    np.exp(logits, out=logits)
                    sums[s][piece] = sums[s][piece] * np.exp(maxima[s][piece] - new_max) + logits.sum(axis=1, dtype=np.float64)
                    maxima[s][piece] = new_max
                    if where.size:
                        # the target's logit, recomputed (the block above was overwritten)
                        value = np.einsum("ij,ij->i", xs[where], rows[t[where] - start], dtype=np.float64)
                        picked[s][piece][where] = value if cap is None else cap * np.tanh(value / cap)

            each(pieces, update)
        return [maxima[s] + np.log(sums[s]) - picked[s] for s in range(len(streams))]


# --------------------------------------------------------------------------- whole model


@dataclass
class ForwardResult:
    """The final hidden states (after the final norm where the family has one) and, when
    asked, the residual stream after every layer (``layers[i]`` after layer i)."""

    hidden: np.ndarray
    layers: list[np.ndarray] | None = None


def prepare(checkpoint: Checkpoint, arch: Architecture | None = None) -> tuple[Architecture, ModelSpec]:
    arch = arch or detect(checkpoint)
    spec = model_spec(arch)
    return arch, spec


def run(checkpoint: Checkpoint, ids: np.ndarray, arch: Architecture | None = None, progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None, keep_layers: bool = False) -> ForwardResult:
    """Run token ids ``(windows, T)`` through the model, one layer's weights in memory at a time.

    ``progress(done, total)`` is called after each layer; ``cancelled()`` is polled before
    each layer and raises :class:`Cancelled`.
    """
    arch, spec = prepare(checkpoint, arch)
    ids = np.asarray(ids)
    if ids.ndim != 2 or ids.shape[1] < 1:
        raise ValueError("ids must be (windows, length)")
    check_length(spec, ids.shape[1])
    h = embed(checkpoint, arch, spec, ids)
    specs = {layer.index: attention_spec(arch, layer) for layer in arch.layers}
    kept = [] if keep_layers else None
    for _, weights in LayerPipeline(checkpoint, arch, progress=progress, cancelled=cancelled):
        run_layer(spec, specs[weights.index], weights.attention, weights.other, h)
        if kept is not None:
            kept.append(h.copy())
    return ForwardResult(final_hidden(checkpoint, arch, spec, h), kept)


def check_length(spec: ModelSpec, length: int) -> None:
    """Refuse windows longer than the model's positions (learned positions would index past their table)."""
    limit = spec.max_positions
    if limit is not None and length > limit and not spec.family.rotary:
        raise HeadmixError(f"windows of {length} tokens are longer than the model's {limit} positions "
                           f"(config.json '{spec.family.keys.max_positions[0]}'); use a smaller window")


def logits(checkpoint: Checkpoint, ids: np.ndarray, arch: Architecture | None = None, **kwargs) -> np.ndarray:
    """Every logit ``(windows, T, vocab)`` of a causal LM (tests and small inputs: it materialises them)."""
    arch, spec = prepare(checkpoint, arch)
    if not spec.decoder:
        raise ForwardUnavailable(f"{spec.family.title} is an encoder: it has no language-model head")
    result = run(checkpoint, ids, arch, **kwargs)
    return OutputHead(checkpoint, arch, spec).logits(result.hidden)
