"""Opening a checkpoint: a .safetensors file, a folder with one, or a sharded folder.

Opening reads headers and config.json only, so a 70B checkpoint opens in a blink and in
constant memory; tensors are memory-mapped when somebody asks for them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CheckpointError, ConfigError
from .hf_cache import looks_like_repo_id, repo_name, snapshot_folder
from .safetensors_file import SafetensorsHeader, TensorInfo, read_header, read_tensor

INDEX_NAME = "model.safetensors.index.json"
CONFIG_NAME = "config.json"
#: weights files whose name says nothing of the model: a model opened by one is named by its folder
STANDARD_NAMES = ("model.safetensors", INDEX_NAME)
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


def _pickle_refusal(path: Path) -> CheckpointError:
    return CheckpointError(
        f"{path}: this is a pickle checkpoint, and headmix never unpickles (loading a pickle can run arbitrary code). "
        "Convert it to safetensors first, for example: "
        "AutoModel.from_pretrained(folder).save_pretrained(new_folder, safe_serialization=True)"
    )


@dataclass
class Checkpoint:
    """What was opened: the tensors (by name, in file order), their files, and config.json."""

    path: Path  # what the user named
    folder: Path  # where config.json and the other files live
    files: list[Path]  # safetensors files, in shard order
    headers: list[SafetensorsHeader]
    tensors: dict[str, TensorInfo]
    config: dict | None
    index: dict | None = None  # parsed model.safetensors.index.json, when sharded
    notes: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        """What to call the model: ``org/name@commit`` for a Hugging Face cache snapshot (whose folder
        is named by a commit hash), else the file or folder the user named."""
        return self.cached_as or self.named.name

    @property
    def named(self) -> Path:
        """The file or folder that names the model: the folder when the user picked its standard weights file
        (``model.safetensors`` or the shard index), whose name says nothing of which model it is."""
        return self.folder if self.path.is_file() and self.path.name in STANDARD_NAMES else self.path

    @property
    def cached_as(self) -> str | None:
        """``org/name@commit`` when this is a snapshot folder of a Hugging Face cache, else None."""
        return repo_name(self.folder) if self.path == self.folder else None

    @property
    def argument(self) -> str:
        """How a command line names this model: its repo id for a cache snapshot (which opens it
        offline on any machine that has it cached), else its path."""
        return self.cached_as or str(self.path)

    @property
    def short_name(self) -> str:
        """A name fit for a new folder: the repository's name for a cache snapshot, else the
        folder's name or the file's stem."""
        if self.cached_as is not None:
            return self.cached_as.split("/")[-1].split("@")[0]
        return self.named.name if self.named.is_dir() else self.named.stem

    @property
    def sharded(self) -> bool:
        return self.index is not None

    @property
    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.files)

    @property
    def num_parameters(self) -> int:
        return sum(t.numel for t in self.tensors.values())

    @property
    def dtypes(self) -> dict[str, int]:
        """Parameter count per dtype, most common first."""
        counts: dict[str, int] = {}
        for t in self.tensors.values():
            counts[t.dtype] = counts.get(t.dtype, 0) + t.numel
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    @property
    def dtype(self) -> str:
        """The dominant dtype, the one a user would call 'the checkpoint's dtype'."""
        return next(iter(self.dtypes), "none")

    def read(self, name: str) -> np.ndarray:
        """The tensor in its own dtype, memory-mapped and read-only."""
        return read_tensor(self.tensors[name])

    def read_float(self, name: str, dtype=np.float32) -> np.ndarray:
        """The tensor converted for computing (float32 unless asked otherwise)."""
        return np.asarray(self.read(name), dtype=dtype)

    def header_digest(self) -> str:
        """A sha256 over every shard's header: identifies the source cheaply and exactly enough."""
        h = hashlib.sha256()
        for header in self.headers:
            h.update(header.path.name.encode())
            h.update(header.header_bytes)
        return h.hexdigest()


def open_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Open a checkpoint from a file or folder, reading headers only."""
    named = str(path)
    path = Path(path).expanduser()
    if not path.exists():
        if not looks_like_repo_id(named):
            raise CheckpointError(f"{path}: no such file or folder")
        path = snapshot_folder(named)  # a model the user already has, opened offline
    if path.is_file() and path.name == CONFIG_NAME:
        path = path.parent  # a file dialog shows config.json; the model is the folder that holds it
    if path.is_file():
        if path.suffix.lower() in PICKLE_SUFFIXES:
            raise _pickle_refusal(path)
        if path.name == INDEX_NAME:
            return _open_sharded(path.parent, path, path)
        if path.suffix != ".safetensors":
            raise CheckpointError(f"{path}: not a .safetensors file or a model folder")
        return _open_files(path, path.parent, [path])
    if not path.is_dir():
        raise CheckpointError(f"{path}: neither a file nor a folder")
    index = path / INDEX_NAME
    if index.is_file():
        return _open_sharded(path, index, path)
    files = sorted(path.glob("*.safetensors"))
    if not files:
        pickles = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
        if pickles:
            raise _pickle_refusal(path / pickles[0])
        raise CheckpointError(f"{path}: the folder holds no .safetensors files")
    if (path / "model.safetensors").is_file():
        files = [path / "model.safetensors"]
    elif len(files) > 1:
        # Mistral repositories ship consolidated.safetensors beside the Hugging Face files.
        files = [p for p in files if not p.name.startswith("consolidated")] or files
    return _open_files(path, path, files)


def _open_files(path: Path, folder: Path, files: list[Path], index: dict | None = None) -> Checkpoint:
    headers = [read_header(f) for f in files]
    tensors: dict[str, TensorInfo] = {}
    for header in headers:
        for name, info in header.tensors.items():
            if name in tensors:
                raise CheckpointError(f"{header.path}: tensor '{name}' also appears in {tensors[name].path.name}")
            tensors[name] = info
    return Checkpoint(path, folder, files, headers, tensors, _read_config(folder), index)


def _open_sharded(folder: Path, index_path: Path, path: Path) -> Checkpoint:
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{index_path}: cannot read the shard index ({e})") from None
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise CheckpointError(f"{index_path}: the shard index has no valid 'weight_map'")
    shard_names = list(dict.fromkeys(weight_map.values()))
    files = []
    for name in shard_names:
        shard = folder / name
        if Path(name).name != name:
            raise CheckpointError(f"{index_path}: shard name '{name}' points outside the folder")
        if not shard.is_file():
            raise CheckpointError(f"{index_path}: shard '{name}' is listed in the index but missing")
        files.append(shard)
    checkpoint = _open_files(path, folder, files, index)
    for tensor, shard in weight_map.items():
        info = checkpoint.tensors.get(tensor)
        if info is None:
            raise CheckpointError(f"{index_path}: tensor '{tensor}' is listed in the index but absent from {shard}")
        if info.path.name != shard:
            raise CheckpointError(f"{index_path}: tensor '{tensor}' is listed in {shard} but stored in {info.path.name}")
    unlisted = [n for n in checkpoint.tensors if n not in weight_map]
    if unlisted:
        checkpoint.notes.append(f"{len(unlisted)} tensors are in the shards but not in the index (first: {unlisted[0]})")
    return checkpoint


def _read_config(folder: Path) -> dict | None:
    config_path = folder / CONFIG_NAME
    if not config_path.is_file():
        return None
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{config_path}: not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{config_path}: must hold a JSON object")
    return config
