"""The activation functions of every family's MLP, in float32, by config.json's name.

numpy has no erf and scipy is not a dependency, so the exact GELU needs :func:`erf` here;
the tanh approximations and SiLU are written so that they match transformers' float32 ones
(tests/test_forward.py compares logits).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def erf(x: np.ndarray) -> np.ndarray:
    """erf in float32, to within a few ulp: numpy has none, and scipy is not a dependency.

    The rational approximation Eigen and XLA use for float32 (clamped to [-4, 4], where erf
    is ±1 to float32 precision).
    """
    x = np.clip(x, -4.0, 4.0).astype(np.float32, copy=False)
    x2 = x * x
    p = np.float32(-2.72614225801306e-10)
    for c in (2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05, -7.34990630326855e-04,
              -2.95459980854025e-03, -1.60960333262415e-02):
        p = p * x2 + np.float32(c)
    q = np.float32(-1.45660718464996e-05)
    for c in (-2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03, -1.42647390514189e-02):
        q = q * x2 + np.float32(c)
    return x * p / q


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    inner = np.float32(math.sqrt(2.0 / math.pi)) * (x + np.float32(0.044715) * x * x * x)
    return np.float32(0.5) * x * (np.float32(1.0) + np.tanh(inner))


def _silu(x: np.ndarray) -> np.ndarray:
    t = np.negative(x)
    np.exp(t, out=t)
    t += np.float32(1.0)
    return np.divide(x, t, out=t)


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "silu": _silu,
    "swish": _silu,
    "gelu": lambda x: np.float32(0.5) * x * (np.float32(1.0) + erf(x * np.float32(1 / math.sqrt(2.0)))),
    "gelu_python": lambda x: np.float32(0.5) * x * (np.float32(1.0) + erf(x * np.float32(1 / math.sqrt(2.0)))),
    "gelu_new": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_python_tanh": _gelu_tanh,
    "gelu_fast": _gelu_tanh,
    "quick_gelu": lambda x: x / (np.float32(1.0) + np.exp(np.float32(-1.702) * x)),
    "relu": lambda x: np.maximum(x, np.float32(0.0)),
    "relu2": lambda x: np.square(np.maximum(x, np.float32(0.0))),
    "tanh": np.tanh,
    "sigmoid": lambda x: np.float32(1.0) / (np.float32(1.0) + np.exp(-x)),
    "linear": lambda x: x,
}
