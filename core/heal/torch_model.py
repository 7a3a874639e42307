"""The student: a shrunk export as a torch computation, built from headmix's own family table.

transformers is not a dependency of healing (it is test-only): the model is run from the same
records the numpy forward pass reads (:mod:`..families`, :func:`..forward_spec.model_spec`,
:func:`..forward_spec.attention_spec`), so what heals is exactly what headmix measures, and any
head shape a plan made (per-layer shapes, kept rotary pairs as plain ropes) runs as written.
Tensors stay in their stored layout and keep their stored names, so writing the trained ones
back is a byte-for-byte replacement of those tensors.

Families: the decoders whose attention is separate Linear q/k/v/o with rotary embeddings and a
gated MLP, pre-norm (Llama, Mistral, Qwen2, Qwen3) or sandwich-norm (Gemma 2, Gemma 3). Fused
layouts (Phi-3, GPT-2) and encoders are refused by :func:`.availability.check_family`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint as recompute_in_backward

from ..model.architecture import Architecture
from ..io.checkpoint import Checkpoint
from ..model.families import Blocks, Norm
from ..model.forward_spec import AttentionSpec, ModelSpec, attention_spec, model_spec
from . import HealUnavailable
from .availability import check_family

_ACTIVATIONS = {
    "silu": F.silu,
    "swish": F.silu,
    "gelu": F.gelu,
    "gelu_python": F.gelu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_python_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_fast": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
}


class Student:
    """Every tensor of a checkpoint in float32 torch tensors (by stored name), and the forward pass.

    ``trainable`` names the tensors that get gradients; the others are plain constants, so
    autograd keeps no state for them.
    """

    def __init__(self, checkpoint: Checkpoint, arch: Architecture, trainable: set[str], device: torch.device,
                 recompute: bool = False):
        check_family(arch)
        self.arch = arch
        self.spec: ModelSpec = model_spec(arch)
        self.specs: list[AttentionSpec] = [attention_spec(arch, layer) for layer in arch.layers]
        if self.spec.activation not in _ACTIVATIONS:
            raise HealUnavailable(f"healing does not know the activation '{self.spec.activation}'")
        self.device = device
        #: keep only each layer's input for the backward pass and recompute the layer there:
        #: one layer's activations in memory instead of every layer's, for about a third more compute
        self.recompute = recompute
        self.tensors: dict[str, torch.Tensor] = {}
        needed = set(arch.global_names.values())
        for layer in arch.layers:
            needed.update(layer.names.values())
        for name in needed:
            value = torch.from_numpy(np.array(checkpoint.read_float(name), dtype=np.float32)).to(device)
            self.tensors[name] = value.requires_grad_(name in trainable)
        self._rotary: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]] = {}

    def parameters(self) -> list[torch.Tensor]:
        return [t for t in self.tensors.values() if t.requires_grad]

    def named_parameters(self) -> dict[str, torch.Tensor]:
        return {n: t for n, t in self.tensors.items() if t.requires_grad}

    # ---------------------------------------------------------------- pieces

    def _norm(self, x: torch.Tensor, weight: torch.Tensor, kind: Norm, eps: float) -> torch.Tensor:
        out = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
        return out * ((weight + 1.0) if kind is Norm.RMS_PLUS_ONE else weight)

    def _layer_norm(self, names: dict[str, str], role: str, x: torch.Tensor) -> torch.Tensor:
        return self._norm(x, self.tensors[names[role]], self.spec.family.norm, self.spec.norm_eps)

    def _linear(self, x: torch.Tensor, names: dict[str, str], role: str, bias_role: str) -> torch.Tensor:
        bias = self.tensors.get(names.get(bias_role, ""))
        return F.linear(x, self.tensors[names[role]], bias)

    def _cos_sin(self, index: int, aspec: AttentionSpec, T: int) -> tuple[torch.Tensor, torch.Tensor]:
        key = (index, T)
        if key not in self._rotary:
            cos, sin = aspec.rotary.cos_sin(T)
            self._rotary[key] = (torch.from_numpy(cos).to(self.device), torch.from_numpy(sin).to(self.device))
        return self._rotary[key]

    @staticmethod
    def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, rotary_dim: int) -> torch.Tensor:
        half = rotary_dim // 2
        first, second, rest = x[..., :half], x[..., half:rotary_dim], x[..., rotary_dim:]
        return torch.cat([first * cos - second * sin, second * cos + first * sin, rest], dim=-1)

    def _attention(self, position: int, x: torch.Tensor) -> torch.Tensor:
        layer, aspec = self.arch.layers[position], self.specs[position]
        names = layer.names
        B, T, _ = x.shape
        nq, nkv, d = aspec.num_heads, aspec.num_kv_heads, aspec.head_dim
        q = self._linear(x, names, "q", "q_bias").view(B, T, nq, d).transpose(1, 2)
        k = self._linear(x, names, "k", "k_bias").view(B, T, nkv, d).transpose(1, 2)
        v = self._linear(x, names, "v", "v_bias").view(B, T, nkv, d).transpose(1, 2)
        if "q_norm" in names:
            kind = Norm.RMS_PLUS_ONE if aspec.qk_norm_offset else Norm.RMS
            q = self._norm(q, self.tensors[names["q_norm"]], kind, aspec.norm_eps)
            k = self._norm(k, self.tensors[names["k_norm"]], kind, aspec.norm_eps)
        if aspec.rotary is not None:
            cos, sin = self._cos_sin(position, aspec, T)
            q = self._rotate(q, cos, sin, aspec.rotary.rotary_dim)
            k = self._rotate(k, cos, sin, aspec.rotary.rotary_dim)
        if aspec.softcap is None:
            if aspec.window is None or aspec.window >= T:
                out = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=aspec.scale, enable_gqa=nq != nkv)
            else:
                out = F.scaled_dot_product_attention(q, k, v, attn_mask=self._allowed(T, aspec.window), scale=aspec.scale,
                                                     enable_gqa=nq != nkv)
        else:
            g = nq // nkv
            k, v = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)
            scores = (q @ k.transpose(-1, -2)) * (aspec.scale / aspec.softcap)
            scores = torch.tanh(scores) * aspec.softcap
            scores = scores.masked_fill(~self._allowed(T, aspec.window), float("-inf"))
            out = torch.softmax(scores, dim=-1) @ v
        out = out.transpose(1, 2).reshape(B, T, nq * d)
        return self._linear(out, names, "o", "o_bias")

    def _allowed(self, T: int, window: int | None) -> torch.Tensor:
        pos = torch.arange(T, device=self.device)
        allowed = pos[None, :] <= pos[:, None]
        if window is not None:
            allowed &= pos[None, :] > pos[:, None] - window
        return allowed

    def _mlp(self, names: dict[str, str], x: torch.Tensor) -> torch.Tensor:
        act = _ACTIVATIONS[self.spec.activation]
        gate = act(self._linear(x, names, "gate", "gate_bias")) * self._linear(x, names, "up", "up_bias")
        return self._linear(gate, names, "down", "down_bias")

    # ---------------------------------------------------------------- whole model

    def _layer(self, position: int, h: torch.Tensor) -> torch.Tensor:
        names = self.arch.layers[position].names
        attn = self._attention(position, self._layer_norm(names, "attn_norm", h))
        if self.spec.family.blocks is Blocks.SANDWICH:
            h = h + self._layer_norm(names, "post_attn_norm", attn)
            return h + self._layer_norm(names, "post_mlp_norm", self._mlp(names, self._layer_norm(names, "mlp_norm", h)))
        h = h + attn
        return h + self._mlp(names, self._layer_norm(names, "mlp_norm", h))

    def hidden(self, ids: torch.Tensor) -> torch.Tensor:
        """The final hidden states ``(B, T, hidden)`` (after the final norm) of token ids ``(B, T)``."""
        glob = self.arch.global_names
        h = F.embedding(ids, self.tensors[glob["embed"]])
        if self.spec.embed_scale is not None:
            h = h * self.spec.embed_scale
        for position in range(len(self.arch.layers)):
            if self.recompute and torch.is_grad_enabled():
                h = recompute_in_backward(self._layer, position, h, use_reentrant=False)
            else:
                h = self._layer(position, h)
        if "final_norm" in glob:
            h = self._norm(h, self.tensors[glob["final_norm"]], self.spec.family.norm, self.spec.norm_eps)
        return h

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Every logit of ``hidden (..., hidden)``, Gemma's final soft-cap applied."""
        logits = F.linear(hidden, self.tensors[self.arch.global_names[self.spec.head_role]])
        cap = self.spec.final_softcap
        if cap is not None:
            logits = torch.tanh(logits / cap) * cap
        return logits

    def __call__(self, ids: torch.Tensor) -> torch.Tensor:
        return self.logits(self.hidden(ids))


def parameter_bytes(student: Student) -> int:
    """Bytes of the student's float32 tensors (what dominates next to the optimiser state)."""
    return sum(t.numel() * 4 for t in student.tensors.values())


def trained_numel(student: Student) -> int:
    return sum(t.numel() for t in student.parameters())


__all__ = ["Student", "parameter_bytes", "trained_numel"]
