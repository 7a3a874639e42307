"""What the user asks for, in one shape: the window, the CLI, presets and headmix.json all use :class:`Request`.

A target is a whole number, a fraction of the model's own value (``"1/2"``), or ``None`` to
keep it, so one request (a built-in preset, say) adapts to any model. :meth:`Request.resolve`
turns it into concrete numbers for one model, snapping fractions to the nearest value that
can be built (the same :func:`targets.choices` the window's spin boxes offer), and is the
only place that does so.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import asdict, dataclass, replace
from fractions import Fraction

from ..model.architecture import Architecture
from ..errors import TargetError
from ..shrink.methods import DATA_FREE_DEFAULT, DEFAULT_METHOD, Method
from ..shrink.layer_removal import LAYER_METHODS
from ..shrink.targets import choices, format_layers, parse_layers

Target = int | str | None
TARGET_FIELDS = ("heads", "kv_heads", "head_dim", "num_layers")
ROTARY_PAIRS = ("progression", "any")
_LAYERS_RE = re.compile(r"all|\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*")


class RequestError(ValueError):
    """A request value that is malformed (not merely impossible for one model); says which key."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Request:
    heads: Target = None
    kv_heads: Target = None
    head_dim: Target = None
    #: None: the default for the model (calibrated where it has a tokenizer, else the best data-free method)
    method: Method | None = None
    seed: int = 0
    layers: str = "all"
    #: which rotary pairs a smaller head size may keep: an arithmetic progression, which every
    #: runtime reads as a plain rope, or any subset (longrope factors: transformers and vLLM only)
    rotary_pairs: str = "progression"
    #: the calibrated method's text (a UTF-8 file; None: headmix's default text) and how many tokens it uses
    calib_text: str | None = None
    calib_tokens: int = 4096
    #: fewer decoder layers (a number, a fraction, or None to keep them all), and how they go
    num_layers: Target = None
    layer_method: str | None = None  # drop | merge | fit; None: fit where it can run, else drop

    def __post_init__(self) -> None:
        if self.method is not None:
            object.__setattr__(self, "method", Method(self.method))

    # ------------------------------------------------------------------ JSON

    def to_json(self) -> dict:
        data = asdict(self)
        data["method"] = None if self.method is None else self.method.value
        return data

    @classmethod
    def from_json(cls, data: dict) -> Request:
        """Validate and build; :class:`RequestError` names the bad key. Missing keys take defaults."""
        for key in TARGET_FIELDS:
            check_target(key, data.get(key))
        method = data.get("method")
        if method is not None and method not in {m.value for m in Method}:
            raise RequestError("method", f"'method' is {method!r}; use one of {', '.join(m.value for m in Method)}")
        seed = data.get("seed", 0)
        if type(seed) is not int or not 0 <= seed < 2**63:
            raise RequestError("seed", f"'seed' is {seed!r}; use a non-negative whole number")
        layers = data.get("layers", "all")
        if not isinstance(layers, str) or not _LAYERS_RE.fullmatch(layers):
            raise RequestError("layers", f"'layers' is {layers!r}; use \"all\" or a list such as \"0-11,20\"")
        pairs = data.get("rotary_pairs", "progression")
        if pairs not in ROTARY_PAIRS:
            raise RequestError("rotary_pairs", f"'rotary_pairs' is {pairs!r}; use one of {', '.join(ROTARY_PAIRS)}")
        calib_text = data.get("calib_text")
        if calib_text is not None and (not isinstance(calib_text, str) or not calib_text.strip()):
            raise RequestError("calib_text", f"'calib_text' is {calib_text!r}; use a path to a UTF-8 text file, or null")
        calib_tokens = data.get("calib_tokens", 4096)
        if type(calib_tokens) is not int or not 64 <= calib_tokens <= 1 << 22:
            raise RequestError("calib_tokens", f"'calib_tokens' is {calib_tokens!r}; use a whole number from 64 to {1 << 22}")
        check_target("num_layers", data.get("num_layers"))
        layer_method = data.get("layer_method")
        if layer_method is not None and layer_method not in LAYER_METHODS:
            raise RequestError("layer_method", f"'layer_method' is {layer_method!r}; use one of {', '.join(LAYER_METHODS)}")
        return cls(data.get("heads"), data.get("kv_heads"), data.get("head_dim"), None if method is None else Method(method),
                   seed, layers.strip(), pairs, calib_text, calib_tokens, data.get("num_layers"), layer_method)

    def with_overrides(self, **values) -> Request:
        """The request with command-line flags on top (None means 'not given')."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    # ------------------------------------------------------------------ command line

    def cli_args(self) -> list[str]:
        """The ``headmix shrink`` flags that make this request (without source and output)."""
        args: list[str] = []
        for key, flag in (("heads", "--heads"), ("kv_heads", "--kv-heads"), ("head_dim", "--head-dim")):
            value = getattr(self, key)
            if value is not None:
                args += [flag, str(value)]
        if self.layers.strip().lower() != "all":
            args += ["--layers", self.layers.replace(" ", "")]
        if self.method is not None:
            args += ["--method", self.method.value]
        if self.seed:
            args += ["--seed", str(self.seed)]
        if self.rotary_pairs != "progression":
            args += ["--rotary-pairs", self.rotary_pairs]
        if self.calib_text is not None:
            args += ["--calib-text", self.calib_text]
        if self.calib_tokens != 4096:
            args += ["--calib-tokens", str(self.calib_tokens)]
        if self.num_layers is not None:
            args += ["--num-layers", str(self.num_layers)]
        if self.layer_method is not None:
            args += ["--layer-method", self.layer_method]
        return args

    def command_line(self, source: str | os.PathLike, output: str | os.PathLike | None = None) -> str:
        """The ``headmix shrink`` line for this request, quoted so a POSIX shell reads it back unchanged."""
        args = ["headmix", "shrink", str(source)] + (["-o", str(output)] if output is not None else []) + self.cli_args()
        return shlex.join(args)

    # ------------------------------------------------------------------ one model

    def method_for(self, has_tokenizer: bool) -> Method:
        """The concrete method: the one asked for, or the default for a model with (or without) a tokenizer."""
        if self.method is not None:
            return self.method
        return DEFAULT_METHOD if has_tokenizer else DATA_FREE_DEFAULT

    def resolve(self, arch: Architecture, has_tokenizer: bool = True) -> Resolved:
        """Concrete targets for this model; :class:`TargetError` names the control for impossible ones.

        Whole numbers are taken as given (and checked by the planner); fractions are applied
        to the model's own values and snapped to the nearest buildable value. Unset key/value
        heads stay as they are on a grouped-query model and follow the query heads on a
        multi-head model, so "halve the heads" keeps an MHA model MHA.
        """
        if not arch.layers:
            raise TargetError("the model has no layers headmix can shrink")
        layer = arch.layers[0]
        nq, nkv, hd = layer.num_heads, layer.num_kv_heads, layer.head_dim
        method = self.method_for(has_tokenizer)
        heads = _apply(self.heads, nq)
        mha = nkv == nq

        def kv_for(h: int) -> int:
            return (h if mha else nkv) if self.kv_heads is None else _apply(self.kv_heads, nkv)

        if isinstance(self.heads, str):
            heads = _snap(heads, choices(layer, method, heads, kv_for(heads), hd)["heads"])
        kv = kv_for(heads)
        if isinstance(self.kv_heads, str):
            kv = _snap(kv, choices(layer, method, heads, kv, hd)["kv_heads"], below=True)
        d = _apply(self.head_dim, hd)
        if isinstance(self.head_dim, str):
            d = _snap(d, choices(layer, method, heads, kv, d)["head_dim"], below=True)
        num_layers = _apply(self.num_layers, arch.num_layers)
        if not 1 <= num_layers <= arch.num_layers:
            raise TargetError(f"decoder layers: {num_layers} is not between 1 and the model's {arch.num_layers} decoder layers",
                              field="num_layers")
        if num_layers != arch.num_layers and self.layers.strip().lower() != "all":
            raise TargetError("decoder layers: choose either fewer layers or a list of layers to shrink (Layers), "
                              "not both (the layer numbers would change under the list)", field="num_layers")
        return Resolved(heads, kv, d, parse_layers(self.layers, arch.num_layers), method, self.seed, self, num_layers)

    def relative_to(self, arch: Architecture) -> Request:
        """The request with its whole-number targets as fractions of ``arch``'s own values (a value equal to the
        model's own becomes None, "keep"), so a preset saved from one model applies to another of any size:
        query heads 6 of 9 become "2/3", decoder layers 24 of 30 "4/5". Resolved on ``arch`` it gives the same numbers."""
        if not arch.layers:
            return self
        layer = arch.layers[0]
        own = {"heads": layer.num_heads, "kv_heads": layer.num_kv_heads, "head_dim": layer.head_dim,
               "num_layers": arch.num_layers}
        values = {}
        for key, source in own.items():
            value = getattr(self, key)
            if type(value) is int and 1 <= value <= source:
                fraction = Fraction(value, source)
                values[key] = None if fraction == 1 else f"{fraction.numerator}/{fraction.denominator}"
        return replace(self, **values)

    def describe_targets(self) -> str:
        """For menus and messages: "heads 1/2, kv kept, head size 16"."""
        parts = [f"{label} {'kept' if value is None else value}"
                 for label, value in (("heads", self.heads), ("kv", self.kv_heads), ("head size", self.head_dim))]
        return ", ".join(parts) + f", {self.method.value if self.method else 'default method'}"


@dataclass(frozen=True)
class Resolved:
    """A request made concrete for one model: the numbers a plan is built from."""

    num_heads: int
    num_kv_heads: int
    head_dim: int
    layers: tuple[int, ...] | None  # None: every layer
    method: Method
    seed: int
    request: Request
    num_layers: int = 0  # decoder layers after the shrink

    @property
    def layers_text(self) -> str:
        return format_layers(self.layers)


def check_target(key: str, value: object) -> None:
    if value is None or (type(value) is int and value >= 1):
        return
    if isinstance(value, str) and re.fullmatch(r"\d+/\d+", value) and not value.endswith("/0"):
        if 0 < Fraction(value) <= 1:
            return
    raise RequestError(key, f"'{key}' is {value!r}; use a positive whole number, a fraction such as \"1/2\", or null")


def _apply(value: Target, source: int) -> int:
    if value is None:
        return source
    if isinstance(value, int):
        return value
    return max(1, round(Fraction(value) * source))


def _snap(value: int, valid: list[int], below: bool = False) -> int:
    """The valid value nearest ``value``; with ``below`` prefer the largest one not above it."""
    if not valid or value in valid:
        return value
    if below and any(v <= value for v in valid):
        return max(v for v in valid if v <= value)
    return min(valid, key=lambda v: (abs(v - value), v))
