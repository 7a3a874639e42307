"""Which tensors are attention, and what shape its heads have.

Detection reads ``config.json`` (``model_type``, ``architectures`` and the head counts) and
the tensor names. It never fails: a model it does not know still opens, every tensor is
listed, and the attention is marked "not recognised". Disagreements between config.json
and the tensor shapes are collected as ``problems`` that name the tensor and the number;
a plan refuses a model with problems, but the window can still show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .checkpoint import Checkpoint

#: families whose attention headmix can rewrite, and the sentence the UI shows for each.
FAMILIES = {
    "llama": "Llama-style, grouped-query attention, rotary embeddings",
    "mistral": "Mistral: Llama-style with grouped-query attention",
    "qwen2": "Qwen2: Llama-style with q/k/v biases",
    "qwen3": "Qwen3: Llama-style with q_norm/k_norm",
    "gpt2": "GPT-2: fused c_attn (Conv1D), learned positions",
    "bert": "BERT: encoder, learned positions",
}
LLAMA_STYLE = ("llama", "mistral", "qwen2", "qwen3")

ROLES = ("q", "k", "v", "o")

_LLAMA_RE = re.compile(r"^(?P<prefix>(?:.*\.)?layers)\.(?P<i>\d+)\.self_attn\.(?P<role>[qkvo])_proj\.(?P<kind>weight|bias)$")
_LLAMA_NORM_RE = re.compile(r"^(?P<prefix>(?:.*\.)?layers)\.(?P<i>\d+)\.self_attn\.(?P<role>[qk])_norm\.weight$")
_GPT2_RE = re.compile(r"^(?P<prefix>(?:.*\.)?h)\.(?P<i>\d+)\.attn\.(?P<role>c_attn|c_proj)\.(?P<kind>weight|bias)$")
_BERT_RE = re.compile(
    r"^(?P<prefix>(?:.*\.)?encoder\.layer)\.(?P<i>\d+)\.attention\."
    r"(?:self\.(?P<role>query|key|value)|output\.(?P<orole>dense))\.(?P<kind>weight|bias)$"
)
_BERT_ROLES = {"query": "q", "key": "k", "value": "v", "dense": "o"}

_EMBEDDING_RE = re.compile(r"embed|(^|\.)wte\.|(^|\.)wpe\.|lm_head|token_type")
_MLP_RE = re.compile(r"mlp|feed_forward|ffn|intermediate|experts|(^|\.)layer\.\d+\.output\.dense")


@dataclass(frozen=True)
class Rope:
    """Rotary settings as the exported config must reproduce them."""

    type: str
    theta: float
    rotary_dim: int  # leading dims that rotate; head_dim unless partial_rotary_factor < 1
    partial_factor: float
    params: dict  # the full rope parameter dict from config.json


@dataclass
class AttentionLayer:
    """One layer's attention: the tensor holding each role, and the head shape.

    ``names`` maps ``q``, ``k``, ``v``, ``o`` (weights), ``q_bias`` .. ``o_bias`` and
    ``q_norm``/``k_norm`` to tensor names. In the fused GPT-2 layout q, k and v name the same
    ``c_attn`` tensor. ``layout`` is ``linear`` (weights stored ``(out, in)``) or ``conv1d``
    (``(in, out)``).
    """

    index: int
    layout: str
    names: dict[str, str]
    num_heads: int
    num_kv_heads: int
    head_dim: int
    hidden_size: int
    rope: Rope | None

    @property
    def fused(self) -> bool:
        return self.layout == "conv1d"

    def tensor_names(self) -> list[str]:
        return list(dict.fromkeys(self.names.values()))


@dataclass
class Architecture:
    family: str  # lower-case family, or "unknown"
    model_type: str | None
    architectures: list[str]
    recognised: bool
    num_layers: int = 0
    hidden_size: int | None = None
    num_heads: int | None = None
    num_kv_heads: int | None = None
    head_dim: int | None = None
    rope: Rope | None = None
    layers: list[AttentionLayer] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)  # tensor name -> embeddings/attention/mlp/other
    description: str = ""

    @property
    def usable(self) -> bool:
        """True when a shrink can be planned: attention recognised and consistent with config.json."""
        return self.recognised and bool(self.layers) and not self.problems

    @property
    def qk_norm(self) -> bool:
        return any("q_norm" in layer.names for layer in self.layers)

    def parameters_by_part(self, checkpoint: Checkpoint) -> dict[str, int]:
        counts = {"embeddings": 0, "attention": 0, "mlp": 0, "other": 0}
        for name, info in checkpoint.tensors.items():
            counts[self.parts.get(name, "other")] += info.numel
        return counts


class _ConfigReader:
    """Reads integer fields from config.json, recording a problem that names each bad one."""

    def __init__(self, config: dict | None, problems: list[str]):
        self.config = config or {}
        self.problems = problems

    def int(self, *names: str, default: int | None = None) -> int | None:
        for name in names:
            if name in self.config and self.config[name] is not None:
                value = self.config[name]
                if type(value) is not int or not 1 <= value <= 1 << 24:
                    self.problems.append(
                        f"config.json field '{name}' is {value!r}; expected a positive integer (at most {1 << 24})"
                    )
                    return None
                return value
        return default


def detect(checkpoint: Checkpoint) -> Architecture:
    """Map every layer's attention to its roles and check it against config.json."""
    config = checkpoint.config
    problems: list[str] = []
    model_type = config.get("model_type") if config else None
    if not isinstance(model_type, str):
        model_type = None
    architectures = config.get("architectures") if config else None
    architectures = [a for a in architectures if isinstance(a, str)] if isinstance(architectures, list) else []

    names = list(checkpoint.tensors)
    found = {
        "llama": _group(names, _LLAMA_RE, lambda m: (m["role"], m["kind"])),
        "gpt2": _group(names, _GPT2_RE, lambda m: ("qkv" if m["role"] == "c_attn" else "o", m["kind"])),
        "bert": _group(names, _BERT_RE, lambda m: (_BERT_ROLES[m["role"] or m["orole"]], m["kind"])),
    }
    family = _family(model_type, architectures, found)
    if family is None:
        return _unrecognised(checkpoint, model_type, architectures, problems)

    cfg = _ConfigReader(config, problems)
    if family == "gpt2":
        hidden = cfg.int("n_embd", "hidden_size")
        heads = cfg.int("n_head", "num_attention_heads")
        kv_heads = heads
        n_layers_cfg = cfg.int("n_layer", "num_hidden_layers")
        head_dim = _derived_head_dim(hidden, heads, "n_embd", "n_head", problems)
    else:
        hidden = cfg.int("hidden_size")
        heads = cfg.int("num_attention_heads")
        kv_heads = cfg.int("num_key_value_heads", default=heads) if family != "bert" else heads
        n_layers_cfg = cfg.int("num_hidden_layers")
        head_dim = cfg.int("head_dim") if family != "bert" else None
        if head_dim is None and "head_dim" not in problems_fields(problems):
            head_dim = _derived_head_dim(hidden, heads, "hidden_size", "num_attention_heads", problems)
    if config is None:
        problems.append(f"{checkpoint.folder}: config.json is missing, so the head count is unknown")
    else:
        named = problems_fields(problems)
        required = (("n_embd", hidden), ("n_head", heads)) if family == "gpt2" else (("hidden_size", hidden), ("num_attention_heads", heads))
        for name, value in required:
            if value is None and name not in named and not (family == "gpt2" and {"hidden_size", "num_attention_heads"} & named):
                problems.append(f"config.json field '{name}' is missing; headmix needs it to know the head shape")
    if heads and kv_heads and heads % kv_heads:
        problems.append(
            f"config.json field 'num_key_value_heads' is {kv_heads}, which does not divide num_attention_heads={heads}"
        )

    rope = _rope(config, head_dim, problems) if family in LLAMA_STYLE and config else None
    layer_roles = found["llama" if family in LLAMA_STYLE else family]
    norms = _group(names, _LLAMA_NORM_RE, lambda m: (m["role"], "norm")) if family in LLAMA_STYLE else {}

    layers = []
    for index in sorted(layer_roles):
        roles = layer_roles[index]
        layer_names = _layer_names(family, roles, norms.get(index, {}))
        missing = [r for r in ROLES if r not in layer_names]
        if missing:
            problems.append(f"layer {index}: attention tensors for {', '.join(missing)} are missing")
            continue
        layer = AttentionLayer(
            index,
            "conv1d" if family == "gpt2" else "linear",
            layer_names,
            heads or 0,
            kv_heads or 0,
            head_dim or 0,
            hidden or 0,
            rope,
        )
        if heads and kv_heads and head_dim and hidden:
            problems.extend(_shape_problems(checkpoint, layer, family))
        layers.append(layer)
    if n_layers_cfg is not None and layers and n_layers_cfg != len(layer_roles):
        problems.append(
            f"config.json field '{'n_layer' if family == 'gpt2' else 'num_hidden_layers'}' is {n_layers_cfg}, "
            f"but the tensors hold {len(layer_roles)} attention layers"
        )

    parts = _parts(checkpoint, layers)
    return Architecture(
        family=family,
        model_type=model_type,
        architectures=architectures,
        recognised=True,
        num_layers=len(layers),
        hidden_size=hidden,
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        rope=rope,
        layers=layers,
        problems=problems,
        parts=parts,
        description=FAMILIES[family],
    )


def problems_fields(problems: list[str]) -> set[str]:
    return {m.group(1) for p in problems if (m := re.search(r"field '([^']+)'", p))}


def _group(names, pattern, key) -> dict[int, dict[tuple[str, str], str]]:
    layers: dict[int, dict[tuple[str, str], str]] = {}
    for name in names:
        m = pattern.match(name)
        if m:
            layers.setdefault(int(m["i"]), {})[key(m)] = name
    return layers


def _family(model_type, architectures, found) -> str | None:
    """The family from config.json, checked against the tensor names; else from the names alone."""
    if model_type in FAMILIES:
        family = model_type
    else:
        joined = " ".join(architectures).lower()
        family = next((f for f in FAMILIES if joined.startswith(f)), None)
        if family is None and model_type is not None:
            return None  # config.json names a model we do not know: say so rather than guess
        if family is None:
            family = next((f for f in ("llama", "gpt2", "bert") if found[f]), None)
    if family is None:
        return None
    tensors_family = "llama" if family in LLAMA_STYLE else family
    return family if found[tensors_family] else None


def _derived_head_dim(hidden, heads, hidden_field, heads_field, problems) -> int | None:
    if not hidden or not heads:
        return None
    if hidden % heads:
        problems.append(
            f"config.json field '{heads_field}' is {heads}, which does not divide {hidden_field}={hidden}, "
            "and there is no head_dim"
        )
        return None
    return hidden // heads


def _rope(config: dict, head_dim: int | None, problems: list[str]) -> Rope | None:
    params = config.get("rope_parameters")
    if params is None:
        params = config.get("rope_scaling")
    params = dict(params) if isinstance(params, dict) else {}
    if params and all(isinstance(v, dict) for v in params.values()):
        params = dict(next(iter(params.values())))  # per-layer-type rope: report the first
    rope_type = params.get("rope_type", params.get("type", "default"))
    theta = params.get("rope_theta", config.get("rope_theta", 10000.0))
    partial = params.get("partial_rotary_factor", config.get("partial_rotary_factor", 1.0))
    if not isinstance(theta, (int, float)) or isinstance(theta, bool) or theta <= 1:
        problems.append(f"config.json field 'rope_theta' is {theta!r}; expected a number above 1")
        theta = 10000.0
    if not isinstance(partial, (int, float)) or isinstance(partial, bool) or not 0 < partial <= 1:
        problems.append(f"config.json field 'partial_rotary_factor' is {partial!r}; expected a number in (0, 1]")
        partial = 1.0
    rotary_dim = int((head_dim or 0) * partial)
    return Rope(str(rope_type), float(theta), rotary_dim, float(partial), params)


def _layer_names(family: str, roles: dict, norms: dict) -> dict[str, str]:
    names: dict[str, str] = {}
    if family == "gpt2":
        for (role, kind), name in roles.items():
            targets = ("q", "k", "v") if role == "qkv" else ("o",)
            for r in targets:
                names[r if kind == "weight" else f"{r}_bias"] = name
    else:
        for (role, kind), name in roles.items():
            names[role if kind == "weight" else f"{role}_bias"] = name
        for (role, _), name in norms.items():
            names[f"{role}_norm"] = name
    return names


def expected_shapes(layer: AttentionLayer, num_heads: int, num_kv_heads: int, head_dim: int) -> dict[str, tuple[int, ...]]:
    """The shape every attention tensor of ``layer`` has for the given head shape.

    Used both to check a source against its config.json and to predict the exported shapes.
    """
    h = layer.hidden_size
    q, kv = num_heads * head_dim, num_kv_heads * head_dim
    if layer.fused:
        shapes = {"q": (h, 3 * q), "o": (q, h), "q_bias": (3 * q,), "o_bias": (h,)}
    else:
        shapes = {
            "q": (q, h), "k": (kv, h), "v": (kv, h), "o": (h, q),
            "q_bias": (q,), "k_bias": (kv,), "v_bias": (kv,), "o_bias": (h,),
            "q_norm": (head_dim,), "k_norm": (head_dim,),
        }  # fmt: skip
    return {layer.names[role]: shape for role, shape in shapes.items() if role in layer.names}


_FIELD_NAMES = {
    "gpt2": ("n_embd", "n_head", None, None),
    "bert": ("hidden_size", "num_attention_heads", None, None),
}


def _shape_problems(checkpoint: Checkpoint, layer: AttentionLayer, family: str) -> list[str]:
    problems = []
    expected = expected_shapes(layer, layer.num_heads, layer.num_kv_heads, layer.head_dim)
    hidden, heads, kv, dim = _FIELD_NAMES.get(family, ("hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim"))
    said = f"{hidden}={layer.hidden_size}, {heads}={layer.num_heads}"
    said += f", {kv}={layer.num_kv_heads}" if kv else ""
    said += f", {dim}={layer.head_dim}" if dim else f" (head size {layer.head_dim})"
    for name, shape in expected.items():
        actual = checkpoint.tensors[name].shape
        if actual != shape:
            problems.append(f"tensor '{name}' has shape {list(actual)}, but config.json ({said}) implies {list(shape)}")
    for role in ("q", "o"):
        info = checkpoint.tensors[layer.names[role]]
        if len(info.shape) == 2 and info.dtype not in ("F64", "F32", "F16", "BF16"):
            problems.append(f"tensor '{info.name}' is {info.dtype}; headmix mixes only F64/F32/F16/BF16 weights")
    return problems


def _parts(checkpoint: Checkpoint, layers: list[AttentionLayer]) -> dict[str, str]:
    attention = {name for layer in layers for name in layer.tensor_names()}
    parts = {}
    for name in checkpoint.tensors:
        if name in attention:
            parts[name] = "attention"
        elif _EMBEDDING_RE.search(name):
            parts[name] = "embeddings"
        elif _MLP_RE.search(name):
            parts[name] = "mlp"
        else:
            parts[name] = "other"
    return parts


def _unrecognised(checkpoint, model_type, architectures, problems) -> Architecture:
    what = f"model_type '{model_type}'" if model_type else "this checkpoint's tensor names"
    return Architecture(
        family="unknown",
        model_type=model_type,
        architectures=architectures,
        recognised=False,
        problems=problems,
        parts=_parts(checkpoint, []),
        description=(
            f"attention not recognised: headmix does not know {what} "
            f"(it knows {', '.join(FAMILIES)}). Every tensor is listed, but it cannot be shrunk."
        ),
    )
