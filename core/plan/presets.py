"""Presets: small JSON files holding a request (targets, method, seed, layers), never paths or weights.

A preset is a :class:`request.Request` with a name and a description. A target is a whole
number, a fraction of the model's own value (``"1/2"``), or null to keep it, so a built-in
preset such as "halve query heads" adapts to whatever model is open.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from ..errors import PresetError
from .request import Request, RequestError

SCHEMA_VERSION = 1
BUILTIN_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "presets"
_KEYS = {"schema", "name", "description"} | set(Request().to_json())


@dataclass(frozen=True)
class Preset:
    name: str = "untitled"
    description: str = ""
    request: Request = field(default_factory=Request)
    path: Path | None = field(default=None, compare=False)

    def to_json(self) -> dict:
        return {"schema": SCHEMA_VERSION, "name": self.name, "description": self.description, **self.request.to_json()}

    def with_overrides(self, **values) -> Preset:
        """The preset with command-line flags on top (None means 'not given')."""
        return replace(self, request=self.request.with_overrides(**values))


def validate(data: object, where: str) -> Preset:
    if not isinstance(data, dict):
        raise PresetError(f"{where}: a preset must be a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise PresetError(f"{where}: unknown key(s) {', '.join(unknown)}; a preset holds {', '.join(sorted(_KEYS))}")
    if data.get("schema") != SCHEMA_VERSION:
        raise PresetError(f"{where}: 'schema' is {data.get('schema')!r}; this headmix reads schema {SCHEMA_VERSION}")
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise PresetError(f"{where}: '{key}' must be a string")
    try:
        request = Request.from_json(data)
    except RequestError as e:
        raise PresetError(f"{where}: {e}") from None
    return Preset(name=data.get("name", "untitled"), description=data.get("description", ""), request=request)


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


def builtin_clash(name: str) -> Preset | None:
    """The built-in preset that ``name`` would be confused with (same name or file stem, ignoring case), if any:
    the Presets menu would list two entries of one name, and ``find`` would return only one of them."""
    wanted = unicodedata.normalize("NFC", name.strip()).casefold()
    for stem, preset in builtin().items():
        if wanted in (stem.casefold(), unicodedata.normalize("NFC", preset.name).casefold()):
            return preset
    return None


def save_user(preset: Preset) -> Path:
    """Save into the user folder under a file name made from the preset's name (see user_file); a built-in
    preset's name is refused."""
    clash = builtin_clash(preset.name)
    if clash is not None:
        raise PresetError(f"“{preset.name.strip()}” is the name of a built-in preset ({clash.name}); choose another name")
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
