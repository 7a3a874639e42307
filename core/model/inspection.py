"""The summary ``headmix inspect`` prints and the window's header shows."""

from __future__ import annotations

from .architecture import Architecture, detect
from ..io.checkpoint import Checkpoint, open_checkpoint


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    raise AssertionError  # unreachable


def human_count(n: float) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}"
    return str(int(n))


def summary(checkpoint: Checkpoint, arch: Architecture | None = None) -> dict:
    """Everything ``inspect --json`` promises, as plain JSON-able values."""
    arch = arch or detect(checkpoint)
    rope = arch.rope
    return {
        "path": str(checkpoint.path),
        "name": checkpoint.display_name,
        "architecture": arch.name,
        "model_type": arch.model_type,
        "architectures": arch.architectures,
        "recognised": arch.recognised,
        "description": arch.description,
        "num_layers": arch.num_layers,
        "hidden_size": arch.hidden_size,
        "num_heads": arch.num_heads,
        "num_kv_heads": arch.num_kv_heads,
        "head_dim": arch.head_dim,
        "qk_norm": arch.qk_norm,
        "attention_bias": arch.attention_bias,
        "rope": None
        if rope is None
        else {
            "type": rope.type,
            "theta": rope.theta,
            "rotary_dim": rope.rotary_dim,
            "partial_rotary_factor": rope.partial_factor,
        },
        "parameters": checkpoint.num_parameters,
        "parameters_by_part": arch.parameters_by_part(checkpoint),
        "dtype": checkpoint.dtype,
        "dtypes": checkpoint.dtypes,
        "num_tensors": len(checkpoint.tensors),
        "files": [p.name for p in checkpoint.files],
        "sharded": checkpoint.sharded,
        "size_on_disk": checkpoint.size_on_disk,
        "problems": arch.problems + checkpoint.notes,
    }


def format_summary(info: dict) -> str:
    rope = info["rope"]
    rope_text = "none"
    if rope:
        rope_text = f"{rope['type']}, theta {rope['theta']:g}, {rope['rotary_dim']} rotary dims"
        if rope["partial_rotary_factor"] != 1:
            rope_text += f" (partial factor {rope['partial_rotary_factor']:g})"
    total = info["parameters"] or 1
    parts = "\n".join(
        f"  {part:<11} {human_count(n):>9}  {100 * n / total:5.1f}%" for part, n in info["parameters_by_part"].items()
    )
    heads = info["num_heads"]
    kv = info["num_kv_heads"]
    lines = [
        f"{info['path']}",
        f"  architecture {info['architecture']}"
        + (f" ({info['model_type']})" if info["model_type"] and info["model_type"] != info["architecture"] else "")
        + f": {info['description']}",
        f"  layers       {info['num_layers']}",
        f"  hidden size  {info['hidden_size']}",
        f"  heads        {heads}" + (f" query, {kv} key/value (grouped-query)" if kv and heads and kv != heads else ""),
        f"  head size    {info['head_dim']}",
        f"  rope         {rope_text}",
        f"  qk-norm      {'yes' if info['qk_norm'] else 'no'}",
        f"  parameters   {human_count(info['parameters'])} ({info['parameters']:,})",
        parts,
        f"  dtype        {info['dtype']}"
        + (f" (also {', '.join(d for d in info['dtypes'] if d != info['dtype'])})" if len(info["dtypes"]) > 1 else ""),
        f"  on disk      {human_bytes(info['size_on_disk'])} in {len(info['files'])} file(s)"
        + (", sharded" if info["sharded"] else ""),
    ]
    if info["problems"]:
        lines.append("  problems:")
        lines.extend(f"    - {p}" for p in info["problems"])
    return "\n".join(lines)


def inspect_path(path) -> dict:
    checkpoint = open_checkpoint(path)
    return summary(checkpoint)
