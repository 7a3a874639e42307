"""Presets: small JSON files holding targets, method, seed and layers, never paths or weights.

A target is a whole number, a fraction of the model's own value (``"1/2"``), or null to
keep it, so a built-in preset such as "halve query heads" adapts to whatever model is open.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import platformdirs

from .architecture import Architecture
from .errors import PresetError
from .methods import DEFAULT_METHOD, METHODS
from .targets import Targets, parse_layers

SCHEMA_VERSION = 1
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "resources" / "presets"
_KEYS = {"schema", "name", "description", "heads", "kv_heads", "head_dim", "method", "seed", "layers"}
_TARGETS = ("heads", "kv_heads", "head_dim")

Target = int | str | None


@dataclass(frozen=True)
class Preset:
    name: str = "untitled"
    description: str = ""
    heads: Target = None
    kv_heads: Target = None
    head_dim: Target = None
    method: str = DEFAULT_METHOD
    seed: int = 0
    layers: str = "all"
    path: Path | None = field(default=None, compare=False)

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA_VERSION,
            "name": self.name,
            "description": self.description,
            "heads": self.heads,
            "kv_heads": self.kv_heads,
            "head_dim": self.head_dim,
            "method": self.method,
            "seed": self.seed,
            "layers": self.layers,
        }

    def with_overrides(self, **values) -> Preset:
        """The preset with command-line flags on top (None means 'not given')."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def resolve(self, arch: Architecture) -> tuple[Targets, str, int]:
        """Concrete targets for this model: fractions applied and snapped to valid values."""
        heads = _apply(self.heads, arch.num_heads)
        kv = _apply(self.kv_heads, arch.num_kv_heads)
        d = _apply(self.head_dim, arch.head_dim)
        if isinstance(self.head_dim, str) and d is not None and arch.rope is not None and d % 2:
            d = max(2, d - 1)
        if kv is not None and isinstance(self.kv_heads, str):
            h = heads if heads is not None else arch.num_heads
            kv = max(k for k in range(1, max(1, min(kv, h)) + 1) if h % k == 0)
        layers = parse_layers(self.layers, arch.num_layers)
        return Targets(heads, kv, d, layers), self.method, self.seed


def _apply(value: Target, source: int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return max(1, round(Fraction(value) * (source or 0)))


def validate(data: object, where: str) -> Preset:
    if not isinstance(data, dict):
        raise PresetError(f"{where}: a preset must be a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise PresetError(f"{where}: unknown key(s) {', '.join(unknown)}; a preset holds {', '.join(sorted(_KEYS))}")
    if data.get("schema") != SCHEMA_VERSION:
        raise PresetError(f"{where}: 'schema' is {data.get('schema')!r}; this headmix reads schema {SCHEMA_VERSION}")
    for key in _TARGETS:
        value = data.get(key)
        if value is None:
            continue
        if type(value) is int and value >= 1:
            continue
        if isinstance(value, str) and re.fullmatch(r"\d+/\d+", value):
            frac = Fraction(value) if not value.endswith("/0") else None
            if frac is not None and 0 < frac <= 1:
                continue
        raise PresetError(f"{where}: '{key}' is {value!r}; use a positive whole number, a fraction such as \"1/2\", or null")
    method = data.get("method", DEFAULT_METHOD)
    if method not in METHODS:
        raise PresetError(f"{where}: 'method' is {method!r}; use one of {', '.join(METHODS)}")
    seed = data.get("seed", 0)
    if type(seed) is not int or seed < 0:
        raise PresetError(f"{where}: 'seed' is {seed!r}; use a non-negative whole number")
    layers = data.get("layers", "all")
    if not isinstance(layers, str) or not re.fullmatch(r"all|\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*", layers):
        raise PresetError(f"{where}: 'layers' is {layers!r}; use \"all\" or a list such as \"0-11,20\"")
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise PresetError(f"{where}: '{key}' must be a string")
    return Preset(
        name=data.get("name", "untitled"),
        description=data.get("description", ""),
        heads=data.get("heads"),
        kv_heads=data.get("kv_heads"),
        head_dim=data.get("head_dim"),
        method=method,
        seed=seed,
        layers=layers,
    )


def load(path: str | os.PathLike) -> Preset:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PresetError(f"{path}: no such preset file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PresetError(f"{path}: not a readable JSON preset ({e})") from None
    return replace(validate(data, str(path)), path=path)


def save(preset: Preset, path: str | os.PathLike) -> Path:
    path = Path(path)
    validate(preset.to_json(), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(preset.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def builtin() -> dict[str, Preset]:
    """The presets shipped in resources/presets, by file stem."""
    return {p.stem: load(p) for p in sorted(BUILTIN_DIR.glob("*.json"))}


def user_dir() -> Path:
    """Where a user's own presets live: the platform's app-data folder (HEADMIX_PRESETS_DIR overrides)."""
    override = os.environ.get("HEADMIX_PRESETS_DIR")
    return Path(override) if override else platformdirs.user_data_path("headmix") / "presets"


def user_presets() -> dict[str, Preset]:
    """A user's saved presets, by file stem; unreadable files are skipped, not fatal."""
    found = {}
    folder = user_dir()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            found[path.stem] = load(path)
        except PresetError:
            continue
    return found


def user_file(name: str) -> Path:
    """The file a user preset of this name lives in: readable, safe on every file system, and
    distinct for distinct names. The name is kept (letters of any script) where the file
    system allows; whenever anything had to change, or case could clash on a case-insensitive
    disk, a short hash of the exact name follows, so "My test 1" and "My test ü/1" never share
    a file (both used to become My-test-1.json)."""
    exact = unicodedata.normalize("NFC", name.strip())
    stem = re.sub(r"[^\w.-]+", "-", exact).strip("-.")[:60] or "preset"
    if stem != exact or stem != stem.lower():
        stem += "-" + hashlib.sha256(exact.encode("utf-8")).hexdigest()[:8]
    return user_dir() / f"{stem}.json"


def save_user(preset: Preset) -> Path:
    """Save into the user folder under a file name made from the preset's name (see user_file)."""
    return save(preset, user_file(preset.name))


def delete_user(name: str) -> None:
    path = user_dir() / f"{name}.json"
    if not path.is_file():
        raise PresetError(f"{path}: no such user preset")
    path.unlink()


def find(name_or_path: str) -> Preset:
    """A preset file path, or the name of a user or built-in preset."""
    if os.path.exists(name_or_path) or name_or_path.endswith(".json"):
        return load(name_or_path)
    for presets in (user_presets(), builtin()):
        if name_or_path in presets:
            return presets[name_or_path]
    raise PresetError(f"{name_or_path}: no such preset file or preset (built-in: {', '.join(builtin())})")
