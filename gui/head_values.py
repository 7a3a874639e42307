"""The values of one attention head, for the *Tensor values* tab when a head row of the tree is picked.

A head is a slice of one stored tensor (rows of a query/key/value projection, columns of the output
projection, or a part of a fused ``qkv`` tensor): it is read canonically, ``(heads, head size, hidden)``,
so the slice is the same whatever the family's layout.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication

from headmix.core.model.architecture import Layer
from headmix.core.io.checkpoint import Checkpoint
from headmix.core.model.layer_weights import read_attention
from headmix.core.model.layout import FUSED

#: the roles a head row of each axis stands for
_AXIS_ROLES = {"q": ("q", "o"), "kv": ("k", "v")}


def head_values(checkpoint: Checkpoint, layer: Layer, tensor: str, head: int, axis: str) -> tuple[str, np.ndarray]:
    """(a title, the head's weights flattened) of head ``head`` of ``tensor`` in ``layer``."""
    stored = [r for s in layer.roles_of(tensor) for r in FUSED.get(s, (s,))]
    roles = tuple(r for r in stored if r in _AXIS_ROLES[axis])
    arrays = read_attention(checkpoint, layer, roles)
    parts = [np.asarray(arrays[r][head]).reshape(-1) for r in roles if r in arrays]
    what = "/".join(roles)
    kind = (QCoreApplication.translate("HeadValues", "head {head}") if axis == "q"
            else QCoreApplication.translate("HeadValues", "kv head {head}")).format(head=head)
    return f"{tensor} · {kind} ({what})", np.concatenate(parts) if parts else np.zeros(0, np.float32)
