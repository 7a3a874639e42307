"""One decoder (or encoder) layer's step around its attention: norms, residuals and the MLP.

Pre-norm, sandwich (Gemma's post-norms) and post-norm (BERT) blocks, plain and gated MLPs,
Linear and Conv1D weights, all from the family record. :func:`run_layer` replaces the hidden
states by the layer's output a chunk of windows at a time (:mod:`parallel`).
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS
from .attention import attention
from .families import Blocks, Family, Layout, Mlp
from .forward_spec import AttentionSpec, ModelSpec
from .norms import norm
from .parallel import each, parallel_chunks


def _linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, layout: Layout) -> np.ndarray:
    """``x @ Wᵀ + b`` for a Linear ``(out, in)`` weight, ``x @ W + b`` for a Conv1D ``(in, out)`` one."""
    out = x @ (weight if layout is Layout.CONV1D else weight.T)
    if bias is not None:
        out += bias
    return out


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


def run_layer(spec: ModelSpec, aspec: AttentionSpec, attention_weights: dict[str, np.ndarray],
              other: dict[str, np.ndarray], h: np.ndarray) -> None:
    """Replace ``h (windows, T, hidden)`` by the layer's output, a chunk of windows at a time."""

    def one(part: slice) -> None:
        x = h[part]
        h[part] = finish_layer(spec, other, x, attention(aspec, attention_weights, attention_input(spec, other, x)))

    each(parallel_chunks(h.shape[0], h.shape[1]), one)

