"""The safetensors dtype names and their numpy equivalents.

numpy has no bfloat16 or float8; ``ml_dtypes`` provides them, and its casts from float32
round to nearest even, which is what the design note asks for.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

NUMPY_DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype(np.float64),
    "F32": np.dtype(np.float32),
    "F16": np.dtype(np.float16),
    "BF16": np.dtype(ml_dtypes.bfloat16),
    "F8_E4M3": np.dtype(ml_dtypes.float8_e4m3fn),
    "F8_E5M2": np.dtype(ml_dtypes.float8_e5m2),
    "I64": np.dtype(np.int64),
    "I32": np.dtype(np.int32),
    "I16": np.dtype(np.int16),
    "I8": np.dtype(np.int8),
    "U64": np.dtype(np.uint64),
    "U32": np.dtype(np.uint32),
    "U16": np.dtype(np.uint16),
    "U8": np.dtype(np.uint8),
    "BOOL": np.dtype(np.bool_),
}

#: dtypes headmix can mix. Every other dtype is listed and passed through byte for byte.
MIXABLE = ("F64", "F32", "F16", "BF16")


def itemsize(dtype: str) -> int | None:
    """Bytes per element, or None for a dtype name we do not know (it still passes through)."""
    np_dtype = NUMPY_DTYPES.get(dtype)
    return None if np_dtype is None else np_dtype.itemsize


def to_source_dtype(values: np.ndarray, dtype: str) -> np.ndarray:
    """Round float32/float64 results back to the checkpoint's dtype (nearest even for BF16)."""
    return np.ascontiguousarray(values.astype(NUMPY_DTYPES[dtype]))
