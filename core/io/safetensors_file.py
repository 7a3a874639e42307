"""Reading and writing the safetensors format by hand.

The ``safetensors`` library is used by the tests to read every output back, but not here:
it cannot list a file without numpy/torch support for every dtype (numpy has no BF16), its
errors do not say which tensor is wrong, and it has no streaming writer. The format is small:
an 8-byte little-endian header length, a JSON header, then the raw bytes.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .dtypes import NUMPY_DTYPES, itemsize
from ..errors import CheckpointError

#: The safetensors library refuses headers larger than this; so do we, before reading one.
MAX_HEADER_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lives: enough to read it, copy it or describe it without loading it."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    path: Path
    start: int  # absolute offset of the first byte in the file
    end: int  # absolute offset one past the last byte

    @property
    def nbytes(self) -> int:
        return self.end - self.start

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class SafetensorsHeader:
    path: Path
    tensors: dict[str, TensorInfo]  # in file order (by offset)
    metadata: dict[str, str]
    header_bytes: bytes  # the raw JSON, for provenance hashes
    data_start: int


def _fail(path: Path, problem: str) -> CheckpointError:
    return CheckpointError(f"{path}: {problem}")


def _begins_with(head: bytes) -> str:
    """``" (it begins with the text 'Hello wo')"`` when the first bytes are text, else ``""``."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return f" (it begins with the text {text!r})" if text.isprintable() or text.strip().isprintable() else ""


def read_header(path: str | os.PathLike) -> SafetensorsHeader:
    """Parse and validate a header without touching the tensor data.

    Every way a stranger's file can be wrong becomes a :class:`CheckpointError` that names
    the file and, where there is one, the tensor. Nothing is allocated in proportion to what
    the header claims, only to what the file holds.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise _fail(path, f"truncated: the file is {size} bytes, too short for the 8-byte header length")
            (n,) = struct.unpack("<Q", head)
            if (n > size - 8 or n > MAX_HEADER_BYTES) and f.read(1) != b"{":
                # No plausible length and no JSON object where the header must begin: this is
                # some other file with the extension (a text file, an HTML error page...).
                raise _fail(path, "not a safetensors file: it does not begin with an 8-byte header length "
                                  f"followed by a JSON header{_begins_with(head)}")
            if n > size - 8:
                raise _fail(path, f"header length {n} is larger than the file ({size} bytes): the file is truncated or not safetensors")
            if n > MAX_HEADER_BYTES:
                raise _fail(path, f"header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit")
            raw = f.read(n)
    except OSError as e:
        raise _fail(path, f"cannot be read ({e.strerror or e})") from None
    if len(raw) < n:
        raise _fail(path, "truncated while reading the header")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise _fail(path, f"invalid JSON header ({e})") from None
    if not isinstance(header, dict):
        raise _fail(path, "invalid header: the JSON is not an object")

    data_start = 8 + n
    data_size = size - data_start
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise _fail(path, "invalid header: __metadata__ must map strings to strings")

    infos = []
    for name, entry in header.items():
        infos.append(_tensor_info(path, name, entry, data_start, data_size))
    infos.sort(key=lambda t: (t.start, t.end))
    previous = None
    for info in infos:
        if previous is not None and info.start < previous.end and info.nbytes and previous.nbytes:
            raise _fail(
                path,
                f"tensors '{previous.name}' (bytes {previous.start - data_start}..{previous.end - data_start}) and "
                f"'{info.name}' (bytes {info.start - data_start}..{info.end - data_start}) overlap",
            )
        if info.nbytes:
            previous = info
    return SafetensorsHeader(path, {t.name: t for t in infos}, dict(metadata), raw, data_start)


def _tensor_info(path: Path, name: str, entry: object, data_start: int, data_size: int) -> TensorInfo:
    if not isinstance(entry, dict):
        raise _fail(path, f"tensor '{name}': header entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str):
        raise _fail(path, f"tensor '{name}': dtype is missing or not a string")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise _fail(path, f"tensor '{name}': shape {shape!r} is not a list of non-negative integers")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(type(o) is int for o in offsets)
        or not 0 <= offsets[0] <= offsets[1]
    ):
        raise _fail(path, f"tensor '{name}': data_offsets {offsets!r} are not two increasing non-negative integers")
    begin, end = offsets
    if end > data_size:
        raise _fail(
            path,
            f"tensor '{name}': data offsets {begin}..{end} lie outside the file, whose data region holds "
            f"{data_size} bytes (the file is truncated or corrupt)",
        )
    size = itemsize(dtype)
    if size is not None and math.prod(shape) * size != end - begin:
        raise _fail(
            path,
            f"tensor '{name}': shape {shape} in {dtype} needs {math.prod(shape) * size} bytes, "
            f"but its data offsets span {end - begin}",
        )
    return TensorInfo(name, dtype, tuple(shape), path, data_start + begin, data_start + end)


def read_tensor(info: TensorInfo) -> np.ndarray:
    """The tensor as a read-only, memory-mapped array in its own dtype."""
    np_dtype = NUMPY_DTYPES.get(info.dtype)
    if np_dtype is None:
        raise CheckpointError(f"{info.path}: tensor '{info.name}' has dtype {info.dtype}, which headmix passes through but cannot read")
    if info.nbytes == 0:
        return np.zeros(info.shape, dtype=np_dtype)
    try:
        mapped = np.memmap(info.path, dtype=np_dtype, mode="r", offset=info.start, shape=(info.numel,))
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{info.path}: tensor '{info.name}' cannot be mapped ({e})") from None
    return mapped.reshape(info.shape)


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class OutputTensor:
    """A tensor the writer will emit: its header entry is known before its bytes are."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int


def encode_header(tensors: list[OutputTensor], metadata: dict[str, str] | None = None) -> bytes:
    """The length prefix and JSON header for tensors laid out in the given order.

    Padded with spaces to a multiple of 8 bytes, as the safetensors library does, so that
    memory-mapped readers see aligned data.
    """
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for t in tensors:
        header[t.name] = {"dtype": t.dtype, "shape": list(t.shape), "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-(len(raw) + 8) % 8)
    return struct.pack("<Q", len(raw)) + raw


def copy_range(src: BinaryIO, dst: BinaryIO, start: int, length: int, chunk: int = 1 << 30) -> None:
    """Copy bytes between files without passing them through Python objects where the OS can.

    ``os.copy_file_range`` lets the kernel move the bytes (and share extents on filesystems
    that can), which is what keeps an identity export near the cost of ``cp``.
    """
    dst.flush()
    copied = 0
    if hasattr(os, "copy_file_range"):
        try:
            dst_fd, src_fd = dst.fileno(), src.fileno()
            out_pos = dst.tell()
            try:
                while copied < length:
                    n = os.copy_file_range(src_fd, dst_fd, min(chunk, length - copied), start + copied, out_pos + copied)
                    if n == 0:
                        break
                    copied += n
            finally:
                dst.seek(out_pos + copied)
        except OSError as e:
            if e.errno not in (18, 22, 38, 95):  # EXDEV, EINVAL, ENOSYS, EOPNOTSUPP: fall back below
                raise
    src.seek(start + copied)
    while copied < length:
        block = src.read(min(chunk, length - copied))
        if not block:
            raise CheckpointError(f"{getattr(src, 'name', 'source')}: ended early while copying")
        dst.write(block)
        copied += len(block)
