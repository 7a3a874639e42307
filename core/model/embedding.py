"""The first hidden states of token ids: the embedding rows used, scaled, positions and norm added."""

from __future__ import annotations

import numpy as np

from ..errors import HeadmixError
from ..io.checkpoint import Checkpoint
from .architecture import Architecture
from .forward_spec import ModelSpec
from .norms import norm


def global_float(checkpoint: Checkpoint, arch: Architecture, role: str) -> np.ndarray | None:
    """A tensor outside the layers (a norm's weight or bias) in float32, or None when the model has none."""
    name = arch.global_names.get(role)
    return None if name is None else checkpoint.read_float(name)


def embed(checkpoint: Checkpoint, arch: Architecture, spec: ModelSpec, ids: np.ndarray) -> np.ndarray:
    """The first hidden states ``(windows, T, hidden)`` float32 of token ids ``(windows, T)``.

    Only the rows of the tokens used are read from the (memory-mapped) embedding. Learned
    positions count from 0 in every window; BERT adds token type 0 and its embedding norm.
    """
    ids = np.asarray(ids)
    table = checkpoint.read(arch.global_names["embed"])
    vocab = table.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= vocab):
        raise HeadmixError(f"token id {int(ids.max())} is outside the model's vocabulary of {vocab}: "
                           "the tokenizer does not belong to this model")
    unique, inverse = np.unique(ids, return_inverse=True)
    rows = np.asarray(table[unique], dtype=np.float32)
    h = rows[inverse.reshape(ids.shape)]
    if spec.embed_scale is not None:
        h *= np.float32(spec.embed_scale)
    T = ids.shape[1]
    if "pos_embed" in arch.global_names:
        positions = checkpoint.read(arch.global_names["pos_embed"])
        if T > positions.shape[0]:
            raise HeadmixError(f"windows of {T} tokens are longer than the model's {positions.shape[0]} learned positions")
        h += np.asarray(positions[:T], dtype=np.float32)
    if "type_embed" in arch.global_names:
        h += np.asarray(checkpoint.read(arch.global_names["type_embed"])[0], dtype=np.float32)
    if "embed_norm" in arch.global_names:
        h = norm(spec.family.norm, h, global_float(checkpoint, arch, "embed_norm"), global_float(checkpoint, arch, "embed_norm_bias"),
                 spec.norm_eps)
    return np.ascontiguousarray(h, dtype=np.float32)

