"""Healing: distil a shrunk export back towards its original (optional; needs PyTorch).

Closed-form calibration fixes each layer given its input, but cannot undo how errors compound
through depth. Healing trains the shrunk model (the student, in torch) to reproduce the
original's next-token distributions (the teacher's, computed once by headmix's own numpy
forward pass and streamed from a temporary file), on the calibration text only.

Only the modules that train (:mod:`torch_model`, :mod:`distil`, :mod:`run`) import torch,
and they are imported only when a heal runs; everything else here (the teacher's targets,
what to train, the record, writing back) is numpy. :func:`require_torch` turns a missing
torch into a message that says how to install it.
"""

from __future__ import annotations

from ..errors import HeadmixError

#: the command that installs what healing needs (torch is pinned: unpinned pulls a multi-GB CUDA build)
INSTALL_LINE = 'pip install "headmix[heal]"'


class HealUnavailable(HeadmixError):
    """Healing cannot run here: torch is missing, the model's family is not one heal knows, it has no tokenizer, or
    the device asked for is not there. ``kind`` says which ("torch", "family", "tokenizer", "device"; "" otherwise)."""

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


def torch_available() -> bool:
    """True when torch can be imported (without importing it when it is absent)."""
    import importlib.util

    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def require_torch(importing: bool = True) -> None:
    """Raise :class:`HealUnavailable` with the install line when torch is missing (``importing``: or fails to import;
    False only looks for it, as the window does before it offers a heal)."""
    if not torch_available():
        raise HealUnavailable(f"healing needs PyTorch, which is not installed; install it with: {INSTALL_LINE}",
                              kind="torch")
    if not importing:
        return
    try:
        import torch  # noqa: F401
    except ImportError as e:
        raise HealUnavailable(f"healing needs PyTorch, which failed to import ({e}); reinstall it with: {INSTALL_LINE}",
                              kind="torch") from None
