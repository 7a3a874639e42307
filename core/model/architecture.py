"""Detection: which family a checkpoint is, where each layer's tensors are, and its head shape.

Detection reads ``config.json`` and the tensor names, guided by the family table
(:mod:`families`). It never fails: a model it does not know still opens, every tensor is
listed, and the attention is marked "not recognised". Disagreements between config.json and
the tensor shapes are collected as :class:`Problem` strings that name the tensor or config
field and the numbers; a plan refuses a model with problems, but the window still shows it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..io.checkpoint import Checkpoint
from ..io.dtypes import MIXABLE
from .families import FAMILIES, Family, by_architectures, by_model_type
from .layout import ATTENTION_WEIGHTS, stored_shape
from .rope_config import resolved_rope

_EMBEDDING_RE = re.compile(r"embed|(^|\.)wte\.|(^|\.)wpe\.|lm_head|token_type")
_MLP_RE = re.compile(r"mlp|feed_forward|ffn|intermediate|experts|(^|\.)layer\.\d+\.output\.dense")
_MLP_ROLES = ("gate", "up", "down", "gate_up", "gate_bias", "up_bias", "down_bias")
_EMBEDDING_ROLES = ("embed", "pos_embed", "type_embed", "lm_head")


class Problem(str):
    """A sentence for the user that also says which config.json field or tensor it is about.

    A ``str`` so that it prints, joins and serialises as the message itself; the fields
    let code ask "is head_dim already reported?" without parsing English.
    """

    field: str | None
    tensor: str | None

    def __new__(cls, message: str, field: str | None = None, tensor: str | None = None) -> Problem:
        self = super().__new__(cls, message)
        self.field, self.tensor = field, tensor
        return self


@dataclass(frozen=True)
class Rope:
    """Rotary settings as the exported config must reproduce them."""

    type: str
    theta: float
    rotary_dim: int  # leading dims that rotate; head_dim unless partial_rotary_factor < 1
    partial_factor: float
    params: dict  # the full rope parameter dict from config.json (one layer type's, for Gemma 3)
    layer_type: str | None = None  # the key of a per-layer-type rope_parameters dict


@dataclass
class Layer:
    """One layer: the tensor holding each role, and its attention's head shape.

    ``names`` maps roles (``q``, ``k``, ``v``, ``o`` or a fused ``qkv``, their biases,
    ``q_norm``/``k_norm``, and the layer's norms and MLP roles from the family record) to
    tensor names, for the roles this checkpoint has.
    """

    index: int
    family: Family
    names: dict[str, str]
    num_heads: int
    num_kv_heads: int
    head_dim: int
    hidden_size: int
    rope: Rope | None
    layer_type: str = "full_attention"
    #: logits are divided by sqrt(this): the head size, or a config constant (Gemma's query_pre_attn_scalar)
    scale_base: float = 0.0

    def __post_init__(self) -> None:
        if not self.scale_base:
            self.scale_base = float(self.head_dim)

    @property
    def fused(self) -> bool:
        return self.family.fused_qkv

    @property
    def attention_roles(self) -> list[str]:
        return [r for r in self.family.attention if r in self.names]

    def tensor_names(self) -> list[str]:
        """The attention tensors, each once (a fused tensor holds several roles)."""
        return list(dict.fromkeys(self.names[r] for r in self.attention_roles))

    def tensor_for(self, role: str) -> str:
        """The stored tensor that holds ``role`` (a fused ``qkv`` holds q, k and v)."""
        if role in self.names:
            return self.names[role]
        fused = {"q": "qkv", "k": "qkv", "v": "qkv", "q_bias": "qkv_bias", "k_bias": "qkv_bias", "v_bias": "qkv_bias"}
        return self.names[fused[role]]

    def roles_of(self, name: str) -> list[str]:
        return [r for r in self.attention_roles if self.names[r] == name]

    @property
    def rotary_pairs(self) -> bool:
        """True when q/k dims must be kept in whole rotary pairs (design note, rule 5)."""
        return self.rope is not None and self.rope.rotary_dim == self.head_dim


@dataclass
class Architecture:
    family: Family | None  # None: not recognised
    model_type: str | None
    architectures: list[str]
    config: dict | None = None
    base: str = ""  # the prefix before the layer container, e.g. "model."
    num_layers: int = 0
    hidden_size: int | None = None
    num_heads: int | None = None
    num_kv_heads: int | None = None
    head_dim: int | None = None
    rope: Rope | None = None
    layers: list[Layer] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)  # tensor name -> embeddings/attention/mlp/other
    #: tensors outside the layers by role (embed, final_norm, lm_head, ...), those present
    global_names: dict[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def recognised(self) -> bool:
        return self.family is not None

    @property
    def name(self) -> str:
        return self.family.name if self.family else "unknown"

    @property
    def usable(self) -> bool:
        """True when a shrink can be planned: attention recognised and consistent with config.json."""
        return self.recognised and bool(self.layers) and not self.problems

    @property
    def qk_norm(self) -> bool:
        return any("q_norm" in layer.names for layer in self.layers)

    @property
    def attention_bias(self) -> bool:
        return any("q_bias" in layer.names or "qkv_bias" in layer.names for layer in self.layers)

    def layer(self, index: int) -> Layer:
        return next(layer for layer in self.layers if layer.index == index)

    def global_tensor(self, role: str) -> str | None:
        """The name of a tensor outside the layers (embeddings, final norm, lm_head), if present."""
        return self.global_names.get(role)

    def parameters_by_part(self, checkpoint: Checkpoint) -> dict[str, int]:
        counts = {"embeddings": 0, "attention": 0, "mlp": 0, "other": 0}
        for name, info in checkpoint.tensors.items():
            counts[self.parts.get(name, "other")] += info.numel
        return counts


class ConfigReader:
    """Reads fields from config.json by the family's keys, recording a problem that names each bad one."""

    def __init__(self, config: dict | None, problems: list[Problem] | None = None):
        self.config = config or {}
        self.problems = problems if problems is not None else []

    def key(self, names: tuple[str, ...]) -> str | None:
        return next((n for n in names if self.config.get(n) is not None), None)

    def int(self, names: tuple[str, ...], default: int | None = None) -> int | None:
        name = self.key(names)
        if name is None:
            return default
        value = self.config[name]
        if type(value) is not int or not 1 <= value <= 1 << 24:
            self.problems.append(Problem(
                f"config.json field '{name}' is {value!r}; expected a positive integer (at most {1 << 24})", field=name
            ))  # fmt: skip
            return None
        return value

    def float(self, names: tuple[str, ...], default: float) -> float:
        name = self.key(names)
        value = self.config.get(name) if name else None
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default

    def reported(self, name: str) -> bool:
        return any(p.field == name for p in self.problems)


def detect(checkpoint: Checkpoint) -> Architecture:
    """Map every layer's tensors to their roles and check them against config.json."""
    config = checkpoint.config
    model_type = config.get("model_type") if config else None
    if not isinstance(model_type, str):
        model_type = None
    architectures = config.get("architectures") if config else None
    architectures = [a for a in architectures if isinstance(a, str)] if isinstance(architectures, list) else []
    names = list(checkpoint.tensors)

    family = _family(model_type, architectures, names)
    if family is None:
        return _unrecognised(checkpoint, model_type, architectures)
    base = _base(family, names)
    problems: list[Problem] = []
    cfg = ConfigReader(config, problems)
    keys = family.keys
    hidden = cfg.int(keys.hidden)
    heads = cfg.int(keys.heads)
    kv_heads = cfg.int(keys.kv_heads, default=heads) if family.grouped_query else heads
    n_layers_cfg = cfg.int(keys.layers)
    head_dim = cfg.int(keys.head_dim) if keys.head_dim else None
    if head_dim is None and not (keys.head_dim and cfg.reported(keys.head_dim[0])):
        head_dim = _derived_head_dim(hidden, heads, keys.hidden[0], keys.heads[0], problems)
    if config is None:
        problems.append(Problem(f"{checkpoint.folder}: config.json is missing, so the head count is unknown"))
    else:
        for names_, value in ((keys.hidden, hidden), (keys.heads, heads)):
            if value is None and not any(cfg.reported(n) for n in names_):
                problems.append(Problem(
                    f"config.json field '{names_[0]}' is missing; headmix needs it to know the head shape", field=names_[0]
                ))  # fmt: skip
    if heads and kv_heads and heads % kv_heads:
        problems.append(Problem(
            f"config.json field '{keys.kv_heads[0]}' is {kv_heads}, which does not divide {keys.heads[0]}={heads}",
            field=keys.kv_heads[0],
        ))  # fmt: skip

    layer_types = _layer_types(config, family)
    found = _layer_roles(family, base, names)
    layers = []
    for index in sorted(found):
        roles = found[index]
        required = ("qkv", "o") if family.fused_qkv else ("q", "k", "v", "o")
        missing = [r for r in required if r not in roles]
        if missing:
            problems.append(Problem(f"layer {index}: attention tensors for {', '.join(missing)} are missing"))
            continue
        layer_type = layer_types[index] if layer_types and index < len(layer_types) else "full_attention"
        rope = _rope(config or {}, head_dim, problems, layer_type) if family.rotary else None
        scale_base = cfg.float((family.attention_scale_key,), float(head_dim or 0)) if family.attention_scale_key else 0.0
        layer = Layer(index, family, roles, heads or 0, kv_heads or 0, head_dim or 0, hidden or 0, rope, layer_type,
                      scale_base)
        if heads and kv_heads and head_dim and hidden:
            problems.extend(_shape_problems(checkpoint, layer))
        layers.append(layer)
    if n_layers_cfg is not None and layers and n_layers_cfg != len(found):
        problems.append(Problem(
            f"config.json field '{keys.layers[0]}' is {n_layers_cfg}, but the tensors hold {len(found)} attention layers",
            field=keys.layers[0],
        ))  # fmt: skip

    arch = Architecture(
        family=family,
        model_type=model_type,
        architectures=architectures,
        config=config,
        base=base,
        num_layers=len(layers),
        hidden_size=hidden,
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        rope=layers[0].rope if layers else None,
        layers=layers,
        problems=_unique(problems),
        description=family.description,
    )
    arch.global_names = {
        role: family.global_name(base, role) for role in family.globals if family.global_name(base, role) in checkpoint.tensors
    }
    arch.parts = _parts(checkpoint, arch)
    return arch


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[str, Problem] = {}
    for p in problems:
        seen.setdefault(str(p), p)
    return list(seen.values())


def _family(model_type: str | None, architectures: list[str], names: list[str]) -> Family | None:
    """The family from config.json, checked against the tensor names; else from the names alone."""
    family = by_model_type(model_type) or by_architectures(architectures)
    if family is None and model_type is not None:
        return None  # config.json names a model we do not know: say so rather than guess
    if family is not None:
        return family if _layer_roles(family, _base(family, names), names) else None
    for candidate in FAMILIES.values():  # no config.json: the first family whose tensors match
        if _layer_roles(candidate, _base(candidate, names), names):
            return candidate
    return None


def _base(family: Family, names: list[str]) -> str:
    """The most common prefix before the family's layer container among its attention tensors."""
    pattern = family.layer_regex
    attention = set(family.attention.values())
    bases = Counter(m["base"] for n in names if (m := pattern.match(n)) and m["rest"] in attention)
    return bases.most_common(1)[0][0] if bases else ""


def _layer_roles(family: Family, base: str, names: list[str]) -> dict[int, dict[str, str]]:
    pattern = family.layer_regex
    by_relative = {**{v: k for k, v in family.layer_tensors.items()}, **{v: k for k, v in family.attention.items()}}
    layers: dict[int, dict[str, str]] = {}
    for name in names:
        m = pattern.match(name)
        if m and m["base"] == base and m["rest"] in by_relative:
            layers.setdefault(int(m["i"]), {})[by_relative[m["rest"]]] = name
    # a layer counts when it holds attention
    return {i: roles for i, roles in layers.items() if set(roles) & set(ATTENTION_WEIGHTS + ("qkv",))}


def _layer_types(config: dict | None, family: Family) -> list[str] | None:
    types = (config or {}).get("layer_types")
    if family.sliding_window == "layer_types" and isinstance(types, list) and all(isinstance(t, str) for t in types):
        return types
    return None


def _derived_head_dim(hidden, heads, hidden_field, heads_field, problems) -> int | None:
    if not hidden or not heads:
        return None
    if hidden % heads:
        problems.append(Problem(
            f"config.json field '{heads_field}' is {heads}, which does not divide {hidden_field}={hidden}, "
            "and there is no head_dim",
            field=heads_field,
        ))  # fmt: skip
        return None
    return hidden // heads


def rope_block(config: dict, layer_type: str | None = None) -> tuple[dict, str | None]:
    """The rope parameter dict that applies to a layer, resolved as transformers does, and its layer-type key."""
    blocks = resolved_rope(config)
    if None in blocks:
        return blocks[None], None
    key = layer_type if layer_type in blocks else next(iter(blocks))
    return blocks[key], key


def _rope(config: dict, head_dim: int | None, problems: list[Problem], layer_type: str | None = None) -> Rope:
    params, key = rope_block(config, layer_type)
    rope_type = params.get("rope_type", "default")
    theta = params.get("rope_theta", 10000.0)
    partial = params.get("partial_rotary_factor", 1.0)
    if not isinstance(theta, (int, float)) or isinstance(theta, bool) or theta <= 1:
        problems.append(Problem(f"config.json field 'rope_theta' is {theta!r}; expected a number above 1", field="rope_theta"))
        theta = 10000.0
    if not isinstance(partial, (int, float)) or isinstance(partial, bool) or not 0 < partial <= 1:
        problems.append(Problem(
            f"config.json field 'partial_rotary_factor' is {partial!r}; expected a number in (0, 1]", field="partial_rotary_factor"
        ))  # fmt: skip
        partial = 1.0
    rotary_dim = int((head_dim or 0) * partial)
    return Rope(str(rope_type), float(theta), rotary_dim, float(partial), params, key)


def expected_shapes(layer: Layer, num_heads: int, num_kv_heads: int, head_dim: int) -> dict[str, tuple[int, ...]]:
    """The shape every attention tensor of ``layer`` has for the given head shape.

    Used both to check a source against its config.json and to predict the exported shapes.
    """
    return {
        layer.names[role]: stored_shape(layer.family, role, layer.hidden_size, num_heads, num_kv_heads, head_dim)
        for role in layer.attention_roles
    }


def _shape_problems(checkpoint: Checkpoint, layer: Layer) -> list[Problem]:
    problems = []
    keys = layer.family.keys
    said = f"{keys.hidden[0]}={layer.hidden_size}, {keys.heads[0]}={layer.num_heads}"
    said += f", {keys.kv_heads[0]}={layer.num_kv_heads}" if keys.kv_heads else ""
    said += f", {keys.head_dim[0]}={layer.head_dim}" if keys.head_dim else f" (head size {layer.head_dim})"
    for name, shape in expected_shapes(layer, layer.num_heads, layer.num_kv_heads, layer.head_dim).items():
        actual = checkpoint.tensors[name].shape
        if actual != shape:
            problems.append(Problem(f"tensor '{name}' has shape {list(actual)}, but config.json ({said}) implies {list(shape)}",
                                    tensor=name))
    for role in ("q", "qkv", "o"):
        if role not in layer.names:
            continue
        info = checkpoint.tensors[layer.names[role]]
        if len(info.shape) == 2 and info.dtype not in MIXABLE:
            problems.append(Problem(
                f"tensor '{info.name}' is {info.dtype}; headmix mixes only {'/'.join(MIXABLE)} weights", tensor=info.name
            ))  # fmt: skip
    return problems


def _parts(checkpoint: Checkpoint, arch: Architecture) -> dict[str, str]:
    role_part = {}
    for layer in arch.layers:
        for role, name in layer.names.items():
            if role in layer.family.attention:
                role_part[name] = "attention"
            elif role in _MLP_ROLES:
                role_part[name] = "mlp"
    for role, name in arch.global_names.items():
        if role in _EMBEDDING_ROLES:
            role_part[name] = "embeddings"
    parts = {}
    for name in checkpoint.tensors:
        if name in role_part:
            parts[name] = role_part[name]
        elif _EMBEDDING_RE.search(name):
            parts[name] = "embeddings"
        elif _MLP_RE.search(name):
            parts[name] = "mlp"
        else:
            parts[name] = "other"
    return parts


def _unrecognised(checkpoint: Checkpoint, model_type: str | None, architectures: list[str]) -> Architecture:
    what = f"model_type '{model_type}'" if model_type else "this checkpoint's tensor names"
    arch = Architecture(
        family=None,
        model_type=model_type,
        architectures=architectures,
        config=checkpoint.config,
        description=(
            f"attention not recognised: headmix does not know {what} "
            f"(it knows {', '.join(FAMILIES)}). Every tensor is listed, but it cannot be shrunk."
        ),
    )
    arch.parts = _parts(checkpoint, arch)
    return arch
