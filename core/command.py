"""The ``headmix shrink`` command line that does what the window's controls say.

A small pure function for "Copy as command": the window's values in, an argument list out.
Every target is written out explicitly, so the command gives the same plan whatever the
defaults of a later headmix are.
"""

from __future__ import annotations

import os
import shlex


def shrink_args(source: str | os.PathLike, heads: int, kv_heads: int, head_dim: int, method: str, seed: int,
                layers: str = "all", output: str | os.PathLike | None = None) -> list[str]:
    """``["headmix", "shrink", SOURCE, "-o", OUTPUT, "--heads", ...]`` for these settings."""
    args = ["headmix", "shrink", str(source)]
    if output is not None:
        args += ["-o", str(output)]
    args += ["--heads", str(heads), "--kv-heads", str(kv_heads), "--head-dim", str(head_dim),
             "--method", method, "--seed", str(seed)]
    layers = (layers or "all").strip()
    if layers.lower() != "all":
        args += ["--layers", layers.replace(" ", "")]
    return args


def shrink_command(*args, **kwargs) -> str:
    """:func:`shrink_args` as one line a POSIX shell reads back unchanged."""
    return shlex.join(shrink_args(*args, **kwargs))
