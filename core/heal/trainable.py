"""Which tensors a heal trains: what the shrink changed (default), all attention, or everything.

"Changed" is read from the files, not assumed: a tensor of the export is changed when the
original has no tensor of that name and shape (a mixed projection), or its bytes differ (a
refitted output projection, a query multiplied by a merge's complex factor, an MLP refitted for
a removed layer). With fewer layers, the export's layer *i* is compared with the source layer
headmix.json says it came from. Training only these keeps the optimiser state small and leaves
the embeddings and norms (what the shrink did not touch) as the original had them.
"""

from __future__ import annotations

import numpy as np

from ..model.architecture import Architecture
from ..io.checkpoint import Checkpoint

CHOICES = ("changed", "attention", "all")


def norm_names(arch: Architecture) -> set[str]:
    """Every norm weight and bias (attn_norm, mlp_norm, the post-norms, q_norm/k_norm, final_norm): few parameters,
    each scaling what a changed projection reads or what its layer adds to the residual stream."""
    names = {n for layer in arch.layers for role, n in layer.names.items() if "norm" in role}
    return names | {n for role, n in arch.global_names.items() if "norm" in role}


def source_name(arch: Architecture, name: str, layer_map: dict[int, int] | None) -> str:
    """The source tensor an export tensor came from (layers renumbered when some were removed)."""
    if not layer_map or arch.family is None:
        return name
    match = arch.family.layer_regex.match(name)
    if match is None:
        return name
    new = int(match["i"])
    return arch.family.layer_name(match["base"], layer_map.get(new, new), match["rest"])


def layer_map_of(provenance: dict) -> dict[int, int] | None:
    """Export layer → source layer, from headmix.json's ``layer_reduction`` (None: same numbering)."""
    reduction = provenance.get("layer_reduction")
    if not reduction or "layers" not in reduction:
        return None
    return {int(new): int(sources[0]) for new, sources in reduction["layers"].items()}


def _differs(export: Checkpoint, source: Checkpoint, name: str, other: str) -> bool:
    info = export.tensors[name]
    theirs = source.tensors.get(other)
    if theirs is None or tuple(theirs.shape) != tuple(info.shape) or theirs.dtype != info.dtype:
        return True
    a, b = export.read(name), source.read(other)
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    step = 1 << 22
    return any(not np.array_equal(flat_a[i:i + step], flat_b[i:i + step]) for i in range(0, flat_a.size, step))


def select(which: str, export: Checkpoint, arch: Architecture, source: Checkpoint, provenance: dict,
           norms: bool = False) -> list[str]:
    """The names of the export tensors to train, in file order (``norms``: every norm weight too, changed or not)."""
    if which not in CHOICES:
        raise ValueError(f"--heal-train must be one of {', '.join(CHOICES)}")
    layer_names = {n for layer in arch.layers for n in layer.names.values()}
    names = [n for n in export.tensors if n in layer_names or n in arch.global_names.values()]
    if which == "all":
        chosen = set(names)
    elif which == "attention":
        chosen = {layer.names[r] for layer in arch.layers for r in layer.attention_roles}
    else:
        mapping = layer_map_of(provenance)
        chosen = {n for n in names if _differs(export, source, n, source_name(arch, n, mapping))}
    chosen = [n for n in names if n in chosen]
    return with_norms(chosen, export, arch) if norms else chosen


def with_norms(names: list[str], export: Checkpoint, arch: Architecture) -> list[str]:
    """``names`` and every norm weight of the export, in file order."""
    chosen = set(names) | norm_names(arch)
    return [n for n in export.tensors if n in chosen]
