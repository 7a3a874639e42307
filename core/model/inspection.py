"""The summary ``headmix inspect`` prints and the window's header shows."""

from __future__ import annotations

from .architecture import Architecture, detect
from ..io.checkpoint import Checkpoint, open_checkpoint
from .forward_spec import layer_rope, layer_types, sliding_window


def period_of(types: list[str]) -> int | None:
    """The period p with a full-attention layer exactly at every p-th layer, if the list has one with p ≤ its length.

    Here in model/ because inspect shows it and the plan's runtime facts and export config (plan/) read it."""
    n = len(types)
    for p in range(1, n + 1):
        if all((t == "full_attention") == ((i + 1) % p == 0) for i, t in enumerate(types)):
            return p
    return None


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


def ordinal(n: int) -> str:
    """``n`` as an English ordinal (1st, 2nd, 3rd, 4th, 11th–13th, 21st, …): the plan's and inspect's "every 2nd pair"."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


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
        "ropes": _ropes(arch),
        "layer_types": _layer_pattern(arch),
        "attention_scale": _attention_scale(arch),
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


def _ropes(arch: Architecture) -> list[dict]:
    """Each layer type's rope as the forward pass (and transformers) applies it: Gemma 3's sliding and global
    layers rotate with different bases, and a factor may sit on one of them only."""
    if not arch.family.rotary or not arch.layers:
        return []
    found: dict[str, dict] = {}
    for layer, kind in zip(arch.layers, layer_types(arch)):
        rope = layer_rope(arch, layer, kind)
        if rope is None or kind in found:
            continue
        found[kind] = {"layer_type": kind, "type": rope.type, "theta": rope.theta,
                       "factor": rope.params.get("factor") if rope.type != "default" else None,
                       "rotary_dim": rope.rotary_dim, "sliding_window": sliding_window(arch, kind)}
    return list(found.values())


def _layer_pattern(arch: Architecture) -> dict | None:
    """Which layers are sliding-window and which global, when the model has both kinds."""
    types = layer_types(arch) if arch.layers else []
    if "sliding_attention" not in types:
        return None
    return {"types": types, "period": period_of(types), "sliding": types.count("sliding_attention"),
            "full": types.count("full_attention")}


def _attention_scale(arch: Architecture) -> dict:
    """The keys that scale or cap attention instead of the usual head size^-0.5 (Gemma), as config.json has them."""
    family, config = arch.family, arch.config or {}
    keys = [family.attention_scale_key, family.attn_softcap_key, family.final_softcap_key]
    return {key: config.get(key) for key in keys if key and config.get(key) is not None}


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
        *[f"    {r['layer_type'].replace('_attention', ''):<8} {r['type']}, theta {r['theta']:g}"
          + (f", factor {r['factor']:g}" if r["factor"] is not None else "")
          + (f", window {r['sliding_window']}" if r["sliding_window"] else "") for r in info.get("ropes", [])
          if len(info.get("ropes", [])) > 1 or r["sliding_window"]],
        *([f"  layer types  {info['layer_types']['sliding']} sliding, {info['layer_types']['full']} full"
           + (f", every {ordinal(info['layer_types']['period'])} full" if info["layer_types"]["period"] else ", no fixed period")
           + f": {' '.join('S' if t == 'sliding_attention' else 'F' for t in info['layer_types']['types'])}"]
          if info.get("layer_types") else []),
        *([f"  attention    " + ", ".join(f"{k} {v:g}" for k, v in info["attention_scale"].items())]
          if info.get("attention_scale") else []),
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
