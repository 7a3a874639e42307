"""The family table: everything headmix knows about each model family, as data.

One frozen :class:`Family` record per family says how it is detected, which config.json
keys hold its shape, where every tensor of a layer lives and how it is laid out (separate
or fused q/k/v, ``Linear`` or ``Conv1D``, biases, qk-norm), how its attention is scaled
and normalised, how its forward pass runs, and what stock ``transformers`` can load. The
rest of the core reads these records and never tests a family's name, so adding a family
means adding a record (as mergekit keeps its architectures as data).

Tensor names are templates relative to a *base* prefix found at detection time (``model.``
for ``LlamaForCausalLM``, nothing for a bare ``LlamaModel``, ``transformer.`` for GPT-2,
``bert.`` for BERT); ``{i}`` is the layer index. A role missing from a checkpoint (a bias,
a tied ``lm_head``) is simply absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum


class Layout(str, Enum):
    """How a projection stores its units."""

    LINEAR = "linear"  # torch Linear: weight (out, in), units are rows
    CONV1D = "conv1d"  # GPT-2 Conv1D: weight (in, out), units are columns


class Norm(str, Enum):
    RMS = "rms"  # x / rms(x) * w
    RMS_PLUS_ONE = "rms+1"  # Gemma: x / rms(x) * (1 + w)
    LAYER = "layer"  # LayerNorm with weight and bias


class Blocks(str, Enum):
    """Where a layer's norms sit around attention and MLP."""

    PRE = "pre"  # x + attn(norm(x)); x + mlp(norm(x))                      (Llama, GPT-2)
    SANDWICH = "sandwich"  # x + norm(attn(norm(x))); x + norm(mlp(norm(x)))  (Gemma 2/3)
    POST = "post"  # norm(x + attn(x)); norm(x + mlp(x))                      (BERT)


class Mlp(str, Enum):
    GATED = "gated"  # down(act(gate(x)) * up(x))
    GATED_FUSED = "gated_fused"  # Phi-3: gate_up is [gate; up] along the output rows
    PLAIN = "plain"  # down(act(up(x)))


class Loads(str, Enum):
    """What stock transformers needs to load a checkpoint with a changed head shape."""

    ANY_SHAPE = "any_shape"  # reads num_key_value_heads and head_dim from config.json
    HIDDEN_OVER_HEADS = "hidden_over_heads"  # derives the head size from hidden_size / heads


@dataclass(frozen=True)
class ConfigKeys:
    """config.json keys, in the order they are looked up; the first is the one written."""

    hidden: tuple[str, ...] = ("hidden_size",)
    heads: tuple[str, ...] = ("num_attention_heads",)
    kv_heads: tuple[str, ...] = ("num_key_value_heads",)  # empty: no grouped-query attention
    head_dim: tuple[str, ...] = ("head_dim",)  # empty: always hidden / heads
    layers: tuple[str, ...] = ("num_hidden_layers",)
    norm_eps: tuple[str, ...] = ("rms_norm_eps",)
    activation: tuple[str, ...] = ("hidden_act",)
    max_positions: tuple[str, ...] = ("max_position_embeddings",)


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    description: str
    model_types: tuple[str, ...]
    architectures: tuple[str, ...]  # class names in config.json that mean this family
    #: the layer container below the base prefix, e.g. "layers" in model.layers.3.self_attn...
    layers_path: str
    #: attention roles -> tensor name relative to the layer (q/k/v/o weights, biases, norms;
    #: a fused layout names ``qkv``/``qkv_bias`` instead of q, k, v)
    attention: dict[str, str]
    #: the other tensors of a layer, by role, relative to the layer
    layer_tensors: dict[str, str]
    #: tensors outside the layers, relative to the base prefix (``lm_head`` is absolute)
    globals: dict[str, str]
    keys: ConfigKeys = field(default_factory=ConfigKeys)
    layout: Layout = Layout.LINEAR
    norm: Norm = Norm.RMS
    blocks: Blocks = Blocks.PRE
    mlp: Mlp = Mlp.GATED
    #: rotary embeddings; False means learned absolute positions
    rotary: bool = True
    causal: bool = True
    #: config key whose value^-0.5 scales the attention logits instead of head_dim^-0.5
    attention_scale_key: str | None = None
    #: config keys of tanh soft-capping (Gemma 2): logits = cap * tanh(logits / cap)
    attn_softcap_key: str | None = None
    final_softcap_key: str | None = None
    #: the embedding output is multiplied by sqrt(hidden_size) (Gemma), rounded to the weight dtype
    embed_scale_sqrt_hidden: bool = False
    #: per-layer sliding windows come from ``layer_types`` (Gemma 2/3) or ``use_sliding_window``
    sliding_window: str = "none"  # none | all (Mistral) | layer_types | qwen
    loads: Loads = Loads.ANY_SHAPE
    #: transformers' config validator insists that the query heads divide hidden_size even
    #: when head_dim is given (Llama, Gemma 2/3); Mistral, Qwen and Phi-3 do not check
    heads_divide_hidden: bool = False
    #: the family a head-shape change is exported as, when that family computes exactly the
    #: same and more runtimes load it (vLLM, llama.cpp and mlx-lm size Qwen2's attention by
    #: hidden / heads; Llama with attention_bias and a zero output bias is Qwen2 exactly)
    portable_as: str | None = None
    #: rope types stock transformers accepts for this family once the head size changes
    #: (Phi-3's config validator sizes longrope factors by hidden / heads, so only default loads)
    rope_types: tuple[str, ...] = ("default", "linear", "llama3", "longrope")
    #: config keys other runtimes read that transformers 5 no longer writes: (key, the key whose value it repeats);
    #: llama.cpp's converter and mlx-lm read GPT-2's context length from n_ctx alone
    config_aliases: tuple[tuple[str, str], ...] = ()
    #: transformers' default activation when config.json names none
    default_activation: str = "silu"
    default_norm_eps: float = 1e-6

    # ------------------------------------------------------------------ derived

    @property
    def fused_qkv(self) -> bool:
        return "qkv" in self.attention

    @property
    def grouped_query(self) -> bool:
        return bool(self.keys.kv_heads)

    @property
    def has_qk_norm(self) -> bool:
        return "q_norm" in self.attention

    @property
    def is_decoder(self) -> bool:
        return self.causal

    @property
    def layer_regex(self) -> re.Pattern:
        """Matches any tensor of a layer: groups ``base``, ``i`` and ``rest``."""
        return re.compile(rf"^(?P<base>(?:.*\.)?){re.escape(self.layers_path)}\.(?P<i>\d+)\.(?P<rest>.+)$")

    def layer_name(self, base: str, index: int, relative: str) -> str:
        return f"{base}{self.layers_path}.{index}.{relative}"

    def global_name(self, base: str, role: str) -> str:
        relative = self.globals[role]
        return relative if role == "lm_head" else f"{base}{relative}"


def _llama_attention(bias: bool = True, qk_norm: bool = False) -> dict[str, str]:
    roles = {r: f"self_attn.{r}_proj.weight" for r in "qkvo"}
    if bias:  # optional: present only when the checkpoint has them (attention_bias)
        roles.update({f"{r}_bias": f"self_attn.{r}_proj.bias" for r in "qkvo"})
    if qk_norm:
        roles.update({"q_norm": "self_attn.q_norm.weight", "k_norm": "self_attn.k_norm.weight"})
    return roles


_LLAMA_LAYER = {
    "attn_norm": "input_layernorm.weight",
    "mlp_norm": "post_attention_layernorm.weight",
    "gate": "mlp.gate_proj.weight",
    "up": "mlp.up_proj.weight",
    "down": "mlp.down_proj.weight",
    "gate_bias": "mlp.gate_proj.bias",
    "up_bias": "mlp.up_proj.bias",
    "down_bias": "mlp.down_proj.bias",
}
_GEMMA_LAYER = {
    "attn_norm": "input_layernorm.weight",
    "post_attn_norm": "post_attention_layernorm.weight",
    "mlp_norm": "pre_feedforward_layernorm.weight",
    "post_mlp_norm": "post_feedforward_layernorm.weight",
    "gate": "mlp.gate_proj.weight",
    "up": "mlp.up_proj.weight",
    "down": "mlp.down_proj.weight",
}
_LLAMA_GLOBALS = {"embed": "embed_tokens.weight", "final_norm": "norm.weight", "lm_head": "lm_head.weight"}

LLAMA = Family(
    name="llama",
    title="Llama",
    description="Llama-style, grouped-query attention, rotary embeddings",
    model_types=("llama",),
    architectures=("LlamaForCausalLM", "LlamaModel"),
    layers_path="layers",
    attention=_llama_attention(),
    layer_tensors=_LLAMA_LAYER,
    globals=_LLAMA_GLOBALS,
    default_norm_eps=1e-6,
    heads_divide_hidden=True,
)
MISTRAL = Family(
    name="mistral",
    title="Mistral",
    description="Mistral: Llama-style with grouped-query attention",
    model_types=("mistral",),
    architectures=("MistralForCausalLM", "MistralModel"),
    layers_path="layers",
    attention=_llama_attention(),
    layer_tensors=_LLAMA_LAYER,
    globals=_LLAMA_GLOBALS,
    sliding_window="all",
)
QWEN2 = Family(
    name="qwen2",
    title="Qwen2",
    description="Qwen2: Llama-style with q/k/v biases",
    model_types=("qwen2",),
    architectures=("Qwen2ForCausalLM", "Qwen2Model"),
    layers_path="layers",
    attention=_llama_attention(),
    layer_tensors=_LLAMA_LAYER,
    globals=_LLAMA_GLOBALS,
    sliding_window="qwen",
    portable_as="llama",
)
QWEN3 = Family(
    name="qwen3",
    title="Qwen3",
    description="Qwen3: Llama-style with q_norm/k_norm",
    model_types=("qwen3",),
    architectures=("Qwen3ForCausalLM", "Qwen3Model"),
    layers_path="layers",
    attention=_llama_attention(qk_norm=True),
    layer_tensors=_LLAMA_LAYER,
    globals=_LLAMA_GLOBALS,
    sliding_window="qwen",
)
PHI3 = Family(
    name="phi3",
    title="Phi-3",
    description="Phi-3: Llama-style with fused qkv_proj and gate_up_proj",
    model_types=("phi3",),
    architectures=("Phi3ForCausalLM", "Phi3Model"),
    layers_path="layers",
    attention={"qkv": "self_attn.qkv_proj.weight", "o": "self_attn.o_proj.weight"},
    layer_tensors={
        "attn_norm": "input_layernorm.weight",
        "mlp_norm": "post_attention_layernorm.weight",
        "gate_up": "mlp.gate_up_proj.weight",
        "down": "mlp.down_proj.weight",
    },
    globals=_LLAMA_GLOBALS,
    mlp=Mlp.GATED_FUSED,
    sliding_window="all",
    rope_types=("default",),
    default_norm_eps=1e-5,
)
GEMMA2 = Family(
    name="gemma2",
    title="Gemma 2",
    description="Gemma 2: attention scaled by query_pre_attn_scalar, soft-capped logits, norms around each block",
    model_types=("gemma2",),
    architectures=("Gemma2ForCausalLM", "Gemma2Model"),
    layers_path="layers",
    attention=_llama_attention(),
    layer_tensors=_GEMMA_LAYER,
    globals=_LLAMA_GLOBALS,
    keys=ConfigKeys(activation=("hidden_activation", "hidden_act")),
    norm=Norm.RMS_PLUS_ONE,
    blocks=Blocks.SANDWICH,
    attention_scale_key="query_pre_attn_scalar",
    attn_softcap_key="attn_logit_softcapping",
    final_softcap_key="final_logit_softcapping",
    embed_scale_sqrt_hidden=True,
    sliding_window="layer_types",
    default_activation="gelu_pytorch_tanh",
    heads_divide_hidden=True,
)
GEMMA3 = Family(
    name="gemma3_text",
    title="Gemma 3",
    description="Gemma 3 (text): attention scaled by query_pre_attn_scalar, q_norm/k_norm, local and global layers",
    model_types=("gemma3_text",),
    architectures=("Gemma3ForCausalLM", "Gemma3TextModel"),
    layers_path="layers",
    attention=_llama_attention(qk_norm=True),
    layer_tensors=_GEMMA_LAYER,
    globals=_LLAMA_GLOBALS,
    keys=ConfigKeys(activation=("hidden_activation", "hidden_act")),
    norm=Norm.RMS_PLUS_ONE,
    blocks=Blocks.SANDWICH,
    attention_scale_key="query_pre_attn_scalar",
    # transformers' Gemma 3 attention never applies attn_logit_softcapping (its config keeps
    # the key, default null), so the forward pass must not either
    attn_softcap_key=None,
    final_softcap_key="final_logit_softcapping",
    embed_scale_sqrt_hidden=True,
    sliding_window="layer_types",
    default_activation="gelu_pytorch_tanh",
    heads_divide_hidden=True,
)
GPT2 = Family(
    name="gpt2",
    title="GPT-2",
    description="GPT-2: fused c_attn (Conv1D), learned positions",
    model_types=("gpt2",),
    architectures=("GPT2LMHeadModel", "GPT2Model"),
    layers_path="h",
    attention={"qkv": "attn.c_attn.weight", "qkv_bias": "attn.c_attn.bias", "o": "attn.c_proj.weight", "o_bias": "attn.c_proj.bias"},
    layer_tensors={
        "attn_norm": "ln_1.weight",
        "attn_norm_bias": "ln_1.bias",
        "mlp_norm": "ln_2.weight",
        "mlp_norm_bias": "ln_2.bias",
        "up": "mlp.c_fc.weight",
        "up_bias": "mlp.c_fc.bias",
        "down": "mlp.c_proj.weight",
        "down_bias": "mlp.c_proj.bias",
    },
    globals={
        "embed": "wte.weight",
        "pos_embed": "wpe.weight",
        "final_norm": "ln_f.weight",
        "final_norm_bias": "ln_f.bias",
        "lm_head": "lm_head.weight",
    },
    keys=ConfigKeys(
        hidden=("n_embd", "hidden_size"),
        heads=("n_head", "num_attention_heads"),
        kv_heads=(),
        head_dim=(),
        layers=("n_layer", "num_hidden_layers"),
        norm_eps=("layer_norm_epsilon",),
        activation=("activation_function",),
        max_positions=("n_positions", "max_position_embeddings"),
    ),
    layout=Layout.CONV1D,
    norm=Norm.LAYER,
    mlp=Mlp.PLAIN,
    rotary=False,
    loads=Loads.HIDDEN_OVER_HEADS,
    config_aliases=(("n_ctx", "n_positions"),),
    default_activation="gelu_new",
    default_norm_eps=1e-5,
)
BERT = Family(
    name="bert",
    title="BERT",
    description="BERT: encoder, learned positions",
    model_types=("bert",),
    architectures=("BertModel", "BertForMaskedLM", "BertForSequenceClassification", "BertForPreTraining"),
    layers_path="encoder.layer",
    attention={
        "q": "attention.self.query.weight",
        "q_bias": "attention.self.query.bias",
        "k": "attention.self.key.weight",
        "k_bias": "attention.self.key.bias",
        "v": "attention.self.value.weight",
        "v_bias": "attention.self.value.bias",
        "o": "attention.output.dense.weight",
        "o_bias": "attention.output.dense.bias",
    },
    layer_tensors={
        "attn_norm": "attention.output.LayerNorm.weight",
        "attn_norm_bias": "attention.output.LayerNorm.bias",
        "up": "intermediate.dense.weight",
        "up_bias": "intermediate.dense.bias",
        "down": "output.dense.weight",
        "down_bias": "output.dense.bias",
        "mlp_norm": "output.LayerNorm.weight",
        "mlp_norm_bias": "output.LayerNorm.bias",
    },
    globals={
        "embed": "embeddings.word_embeddings.weight",
        "pos_embed": "embeddings.position_embeddings.weight",
        "type_embed": "embeddings.token_type_embeddings.weight",
        "embed_norm": "embeddings.LayerNorm.weight",
        "embed_norm_bias": "embeddings.LayerNorm.bias",
    },
    keys=ConfigKeys(kv_heads=(), head_dim=(), norm_eps=("layer_norm_eps",)),
    norm=Norm.LAYER,
    blocks=Blocks.POST,
    mlp=Mlp.PLAIN,
    rotary=False,
    causal=False,
    loads=Loads.HIDDEN_OVER_HEADS,
    default_activation="gelu",
    default_norm_eps=1e-12,
)

#: every family headmix can shrink, by name, in the order detection tries them
FAMILIES: dict[str, Family] = {f.name: f for f in (LLAMA, MISTRAL, QWEN2, QWEN3, PHI3, GEMMA2, GEMMA3, GPT2, BERT)}


def by_model_type(model_type: str | None) -> Family | None:
    return next((f for f in FAMILIES.values() if model_type in f.model_types), None)


def by_architectures(architectures: list[str]) -> Family | None:
    for name in architectures:
        for family in FAMILIES.values():
            if name in family.architectures:
                return family
    return None
