"""Writing healed tensors into an export without ever leaving it half-written.

Every safetensors file that holds a healed tensor is written again beside itself under a
hidden temporary name (same header, same tensor order and dtypes; unchanged tensors copied
byte for byte, healed ones rounded to the stored dtype) and synced, and so is the new
headmix.json. Cancelling or failing up to then deletes the temporary files: the export is
byte-identical to before. Only when every file is complete are they moved over the old ones
with ``os.replace`` (atomic per file; a few renames, not interruptible by the cancel callback).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..io.checkpoint import Checkpoint
from ..io.dtypes import to_source_dtype
from ..errors import Cancelled, ExportError
from ..io.safetensors_file import OutputTensor, copy_range, encode_header

PROVENANCE_NAME = "headmix.json"


def _temporary(path: Path) -> Path:
    return path.parent / f".{path.name}.headmix-heal-{os.getpid()}"


def _write_file(checkpoint: Checkpoint, header, healed: dict[str, np.ndarray], target: Path,
                cancelled: Callable[[], bool]) -> None:
    tensors = list(header.tensors.values())
    outputs = [OutputTensor(t.name, t.dtype, t.shape, t.nbytes) for t in tensors]
    with open(header.path, "rb") as src, open(target, "wb") as dst:
        dst.write(encode_header(outputs, header.metadata or None))
        for t in tensors:
            if cancelled():
                raise Cancelled("cancelled")
            if t.name in healed:
                data = to_source_dtype(healed[t.name], t.dtype)
                if data.shape != tuple(t.shape) or data.nbytes != t.nbytes:
                    raise ExportError(f"healed tensor '{t.name}' has shape {data.shape}, not {tuple(t.shape)}")
                dst.write(data.tobytes())
            else:
                copy_range(src, dst, t.start, t.nbytes)
        dst.flush()
        os.fsync(dst.fileno())


def write_back(checkpoint: Checkpoint, healed: dict[str, np.ndarray], provenance: dict,
               cancelled: Callable[[], bool] | None = None) -> None:
    """Replace ``healed`` tensors (float32 arrays by name) in the export and its headmix.json."""
    cancelled = cancelled or (lambda: False)
    folder = checkpoint.folder
    pending: list[tuple[Path, Path]] = []
    try:
        for header in checkpoint.headers:
            if not healed.keys() & header.tensors.keys():
                continue
            temporary = _temporary(header.path)
            pending.append((temporary, header.path))
            _write_file(checkpoint, header, healed, temporary, cancelled)
        record = folder / PROVENANCE_NAME
        temporary = _temporary(record)
        pending.append((temporary, record))
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(json.dumps(provenance, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if cancelled():
            raise Cancelled("cancelled")
    except BaseException as e:
        for temporary, _ in pending:
            temporary.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise ExportError(f"{folder}: writing the healed weights failed: {e.strerror or e}; the export is unchanged") from None
        raise
    for temporary, final in pending:  # the weights first, the record that describes them last
        os.replace(temporary, final)


def write_record(folder: Path, provenance: dict) -> None:
    """Replace headmix.json alone (a heal that was not kept is still recorded)."""
    record = Path(folder) / PROVENANCE_NAME
    temporary = _temporary(record)
    try:
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(json.dumps(provenance, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, record)
