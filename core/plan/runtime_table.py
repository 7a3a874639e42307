"""What each runtime reads of each family's config.json, key by key and per layer type: the table the verdicts come from.

One :class:`Reads` row per (runtime, family) says what that runtime's implementation of the
family reads: whether it sizes heads by ``head_dim`` or by hidden / heads, which rope types it
carries on the full-attention (or every) layer and which on sliding-window layers, whether it
reads the attention scale (``query_pre_attn_scalar``), how it finds which layers are sliding
(the ``layer_types`` list, or a period it derives), and whether it applies the sliding window
at all. :mod:`runtimes` compares an export's config with these rows and says ✔, ⚠ or ✘ with
the row's reason; it never tests a runtime's or a family's name.

Each row was read from the runtime's source, named in its ``source`` (the versions of
:mod:`runtimes`' docstring), and the rows of mlx-lm and llama.cpp are proven by
tests/test_runtime_matrix.py, which runs every family's shrinks through both.
"""

from __future__ import annotations

from dataclasses import dataclass

#: rope types the usual rope code of a runtime carries (plain, linear factor, llama3's bands)
_PLAIN = frozenset({"default", "linear", "llama3"})
_DEFAULT = frozenset({"default"})


@dataclass(frozen=True)
class Reads:
    """What one runtime reads of one family's config.json."""

    source: str  # the runtime's file this row was read from
    #: the head size comes from head_dim (False: hidden / heads, so heads × head size must fill the hidden size)
    head_dim: bool = True
    #: rope types carried on full-attention layers (on every layer for a family with one rope)
    rope_types: frozenset[str] = _PLAIN
    #: rope types carried on sliding-window layers, when they differ (None: the same)
    sliding_rope_types: frozenset[str] | None = None
    #: why a rope type outside these sets is lost (what the runtime does instead)
    rope_note: str = ""
    #: the rope base it rotates at whatever config.json says (None: it reads the base of each layer type)
    fixed_theta: float | None = None
    #: the attention scale key (query_pre_attn_scalar) is read; False: it scales by head size^-0.5
    attention_scale: bool = True
    #: how sliding layers are found: "layer_types" (the list), "key:NAME:DEFAULT" (every DEFAULT-th layer is
    #: global unless config.json's NAME says another period), "fixed:N" (every N-th, whatever config.json says)
    pattern: str = "layer_types"
    #: a derived period longer than the model (no global layer at all) fails to load (mlx-lm indexes the cache by it)
    period_within_layers: bool = False
    #: the sliding window is applied (False: full attention on every layer)
    sliding_window: bool = True
    #: the runtime refuses the family for this conversion path (the reason), though it has an implementation
    refuses: str = ""
    #: tensor name prefixes it loads (None: any the family is saved with)
    prefixes: frozenset[str] | None = None

    def reads_rope(self, rope_type: str, sliding: bool) -> bool:
        """Whether a rope of ``rope_type`` on a (sliding or full-attention) layer reaches this runtime's rope."""
        types = self.sliding_rope_types if sliding and self.sliding_rope_types is not None else self.rope_types
        return rope_type in types


# ---------------------------------------------------------------- vLLM (vllm/model_executor/models/*.py, 0.33)
_VLLM_ROPE = frozenset({"default", "linear", "llama3", "longrope", "yarn", "dynamic"})
VLLM = {
    # llama.py: head_dim = getattr(config, "head_dim", hidden // heads); get_rope(rope_parameters) reads every type
    "llama": Reads("vllm/model_executor/models/llama.py", rope_types=_VLLM_ROPE),
    "mistral": Reads("vllm/model_executor/models/llama.py (MistralForCausalLM)", rope_types=_VLLM_ROPE),
    # qwen2.py: self.head_dim = hidden_size // self.total_num_heads
    "qwen2": Reads("vllm/model_executor/models/qwen2.py", head_dim=False, rope_types=_VLLM_ROPE),
    "qwen3": Reads("vllm/model_executor/models/qwen3.py", rope_types=_VLLM_ROPE),
    "phi3": Reads("vllm/model_executor/models/llama.py (Phi3ForCausalLM)", rope_types=_VLLM_ROPE),
    # gemma2.py: scaling = query_pre_attn_scalar**-0.5, one rope, sliding window per layer_types
    "gemma2": Reads("vllm/model_executor/models/gemma2.py", rope_types=_VLLM_ROPE),
    # gemma3.py: rope_parameters = config.rope_parameters[layer_type] (transformers 5), layer_types
    "gemma3_text": Reads("vllm/model_executor/models/gemma3.py", rope_types=_VLLM_ROPE),
    "gpt2": Reads("vllm/model_executor/models/gpt2.py: head_dim = hidden_size // total_num_heads", head_dim=False),
    "bert": Reads("vllm/model_executor/models/bert.py: head_dim = hidden_size // total_num_heads", head_dim=False),
}

# ---------------------------------------------------------------- llama.cpp, after its own convert_hf_to_gguf.py
# (llama-cpp-python 0.3.36's vendor/llama.cpp: conversion/*.py and src/models/*.cpp). The converter writes the
# full-attention rope only (conversion/base.py TextModel.set_gguf_parameters: "TODO: Handle sliding_attention
# similarly"): linear as a freq scale, llama3 as a rope_freqs tensor, longrope as a type without its factors
# except for Phi-3 (conversion/phi.py writes rope_factors_long/short).
_GGUF_LOST = "convert_hf_to_gguf.py writes no per-pair factors for it, so the GGUF rotates at the default frequencies"
LLAMA_CPP = {
    # conversion/llama.py LlamaModel; base.py writes key_length from head_dim
    "llama": Reads("conversion/llama.py + src/models/llama.cpp", rope_note=_GGUF_LOST),
    "mistral": Reads("conversion/llama.py (MistralForCausalLM) + src/models/llama.cpp", rope_note=_GGUF_LOST),
    # src/models/qwen2.cpp builds q/k/v of n_embd_head = n_embd / n_head
    "qwen2": Reads("conversion/qwen.py Qwen2Model + src/models/qwen2.cpp", head_dim=False, rope_note=_GGUF_LOST),
    "qwen3": Reads("conversion/qwen.py Qwen3Model + src/models/qwen3.cpp", rope_note=_GGUF_LOST),
    # conversion/phi.py Phi3MiniModel: rope_dims = hidden / heads, longrope factors as tensors
    "phi3": Reads("conversion/phi.py Phi3MiniModel + src/models/phi3.cpp", head_dim=False,
                  rope_types=frozenset({"default", "longrope"})),
    # conversion/gemma.py Gemma2Model.set_gguf_parameters writes no rope at all (it does not call the base class's):
    # llama.cpp rotates at its default θ 10,000 with no factor; src/models/gemma2.cpp: swa pattern 2 unless the GGUF
    # says (the converter does not), f_attention_scale = 1/sqrt(n_embd_head_k) (query_pre_attn_scalar unread)
    "gemma2": Reads("conversion/gemma.py Gemma2Model + src/models/gemma2.cpp", attention_scale=False,
                    pattern="fixed:2", rope_types=_DEFAULT, fixed_theta=10_000.0,
                    rope_note="its Gemma 2 converter writes no rope parameters"),
    # src/models/gemma3.cpp: load_swa_pattern(ml, 6) (the converter writes no pattern), rope_freq_base_swa read
    # from the GGUF but rope_freq_scale_train_swa stays 1.0 (llama-hparams.h): no factor on sliding layers
    "gemma3_text": Reads("conversion/gemma.py Gemma3Model + src/models/gemma3.cpp", attention_scale=False,
                         pattern="fixed:6", sliding_rope_types=_DEFAULT,
                         rope_note="the GGUF keeps only the sliding layers' base: llama.cpp's rope_freq_scale_train_swa "
                                   "stays 1.0"),
    "gpt2": Reads("conversion/gpt2.py + src/models/gpt2.cpp", head_dim=False),
    "bert": Reads("conversion/bert.py + src/models/bert.cpp", head_dim=False),
}
# ---------------------------------------------------------------- mlx-lm 0.32 (mlx_lm/models/*.py)
# rope_utils.initialize_rope reads the legacy rope_scaling ("type" or "rope_type": default, linear, llama3, yarn,
# longrope, dynamic) and a top-level rope_theta
_MLX_ROPE = frozenset({"default", "linear", "llama3", "longrope", "yarn", "dynamic"})
MLX = {
    "llama": Reads("mlx_lm/models/llama.py: head_dim = args.head_dim or hidden // heads", rope_types=_MLX_ROPE),
    "mistral": Reads("mlx_lm/models/llama.py (utils.MODEL_REMAPPING mistral -> llama)", rope_types=_MLX_ROPE),
    "qwen2": Reads("mlx_lm/models/qwen2.py: head_dim = args.hidden_size // n_heads", head_dim=False,
                   rope_types=_MLX_ROPE),
    "qwen3": Reads("mlx_lm/models/qwen3.py: head_dim = args.head_dim", rope_types=_MLX_ROPE),
    "phi3": Reads("mlx_lm/models/phi3.py: head_dim = args.hidden_size // n_heads", head_dim=False,
                  rope_types=frozenset({"default", "linear", "longrope"})),
    # gemma2.py: nn.RoPE(head_dim, base=rope_theta), no rope_scaling; no sliding window mask
    "gemma2": Reads("mlx_lm/models/gemma2.py", rope_types=_DEFAULT, sliding_window=False, pattern="none",
                    rope_note="its Gemma 2 builds nn.RoPE from rope_theta alone and reads no rope_scaling"),
    # gemma3_text.py: sliding layers nn.RoPE(rope_local_base_freq) without scaling, global layers
    # initialize_rope(rope_theta, rope_scaling); is_sliding = (i + 1) % sliding_window_pattern != 0 (default 6)
    "gemma3_text": Reads("mlx_lm/models/gemma3_text.py", rope_types=_MLX_ROPE, sliding_rope_types=_DEFAULT,
                         pattern="key:sliding_window_pattern:6", period_within_layers=True,
                         rope_note="its Gemma 3 builds the sliding layers' rope from rope_local_base_freq alone"),
    # gpt2.py: head_dim = n_embd // n_head; sanitize() maps the bare GPT2Model names (h.N.…, wte) and puts
    # "model." before them, so GPT2LMHeadModel's transformer.h.N.… are parameters it does not have
    "gpt2": Reads("mlx_lm/models/gpt2.py", head_dim=False, prefixes=frozenset({""})),
}

# ---------------------------------------------------------------- ollama create (ollama/convert/convert_*.go)
# the converters size the rope by hidden / heads (convert_llama.go: rope.dimension_count = hidden / heads)
# and read rope_scaling's type and factor
_OLLAMA_ROPE = frozenset({"default", "linear", "llama3"})
_OLLAMA_LOST = "its converter drops longrope per-pair factors"
OLLAMA = {
    "llama": Reads("convert/convert_llama.go", head_dim=False, rope_types=_OLLAMA_ROPE, rope_note=_OLLAMA_LOST),
    "mistral": Reads("convert/convert_mistral.go", refuses="its converter does not support Mistral"),
    "qwen2": Reads("convert/convert_qwen2.go", head_dim=False, rope_types=_OLLAMA_ROPE, rope_note=_OLLAMA_LOST),
    "qwen3": Reads("convert/convert_qwen3.go", refuses="its converter does not support Qwen3"),
    "phi3": Reads("convert/convert_phi3.go", head_dim=False, rope_types=frozenset({"default", "longrope"})),
    "gemma2": Reads("convert/convert_gemma2.go", head_dim=False, rope_types=_DEFAULT, attention_scale=True,
                    rope_note="its Gemma converters read no linear rope_scaling"),
    # convert_gemma3.go: key_length = head_dim, rope.local.freq_base = rope_local_base_freq, rope.freq_base =
    # rope_theta, rope_scaling read for yarn only, sliding_window_pattern from layer_types; no query_pre_attn_scalar
    "gemma3_text": Reads("convert/convert_gemma3.go", rope_types=frozenset({"default", "yarn"}),
                         sliding_rope_types=_DEFAULT, attention_scale=False,
                         rope_note="its Gemma 3 converter reads rope_scaling for yarn only"),
    "bert": Reads("convert/convert_bert.go", head_dim=False),
}
#: runtime -> family -> what it reads; a family missing from a runtime's row has no implementation there
TABLE: dict[str, dict[str, Reads]] = {
    "vLLM": VLLM,
    "llama.cpp / Ollama (GGUF)": LLAMA_CPP,
    "mlx-lm": MLX,
    "ollama create": OLLAMA,
}


def derived_period(pattern: str, config: dict) -> int | None:
    """The period a runtime derives its global layers from under ``pattern`` (None: it reads ``layer_types``)."""
    kind, _, rest = pattern.partition(":")
    if kind == "fixed":
        period = int(rest)
    elif kind == "key":
        name, _, default = rest.partition(":")
        value = config.get(name)
        period = value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else int(default)
    else:
        return None
    return period


def unread_by(family: str, rope_type: str, has_sliding: bool) -> list[str]:
    """The runtimes that implement ``family`` yet would not read a ``rope_type`` rope on every layer type of it."""
    kinds = (False, True) if has_sliding else (False,)
    return [runtime for runtime, rows in TABLE.items()
            if (row := rows.get(family)) is not None and not row.refuses
            and not all(row.reads_rope(rope_type, sliding) for sliding in kinds)]
