"""config.json for an export: the new head shape, and every key each runtime reads, saying the same thing.

The head counts and head size go under the family's own keys. The rotary settings are
resolved as transformers resolves them, the kept pairs' frequencies replace them where the
head size shrinks (:func:`rope.rope_parameters_for`), and :func:`rope_config.write_portable`
writes them under ``rope_parameters``, a top-level ``rope_theta`` and a legacy
``rope_scaling`` alike, so that mlx-lm, llama.cpp and Ollama read the frequencies
transformers uses (issue 14). An export that changes family (Qwen2 as Llama) gets that
family's identity.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..model.families import Family
from ..model.rope import rope_parameters_for
from ..model.inspection import period_of
from ..model.rope_config import resolved_rope, write_portable

if TYPE_CHECKING:
    import numpy as np

    from ..model.architecture import Architecture

#: config keys only the source family reads; dropped when the export changes family
_FAMILY_ONLY = {"qwen2": ("use_sliding_window", "sliding_window", "max_window_layers", "layer_types")}


def export_config(source: dict | None, arch: Architecture, shape: tuple[int, int, int] | None,
                  pairs: np.ndarray | None, new_scale_base: float | None, exported_family: Family | None) -> dict | None:
    """``source`` (the model's config.json) rewritten for the export. ``shape`` is the new
    (query heads, kv heads, head size) when every layer takes it (None: the head shape stays),
    ``pairs`` the rotary pairs kept, ``exported_family`` the family the export is written as.
    Plain facts, not the plan: the plan is described from this module's result, not the other way round."""
    if source is None:
        return None
    config = copy.deepcopy(source)
    family = arch.family
    blocks = resolved_rope(config) if family.rotary else None
    if shape is not None:
        num_heads, num_kv_heads, head_dim = shape
        keys = family.keys
        config[keys.heads[0]] = num_heads
        if keys.kv_heads:
            config[keys.kv_heads[0]] = num_kv_heads
        if keys.head_dim:
            config[keys.head_dim[0]] = head_dim
        if pairs is not None and blocks is not None:
            max_positions = next((config[k] for k in keys.max_positions if config.get(k)), 4096)
            ropes = {layer.rope.layer_type: layer.rope for layer in arch.layers if layer.rope is not None}
            for layer_type, rope in ropes.items():
                new = rope_parameters_for(rope, arch.head_dim, pairs, head_dim, max_positions)
                if new is not None:
                    blocks[layer_type] = new
        if new_scale_base is not None:
            config[family.attention_scale_key] = head_dim
        if exported_family is not None and exported_family is not family:
            config = as_family(config, family, exported_family)
    if blocks is not None:
        config = write_portable(config, blocks)
    for alias, key in family.config_aliases:
        if key in config:
            config[alias] = config[key]
    if family.sliding_window == "layer_types" and isinstance(config.get("layer_types"), list):
        # mlx-lm's Gemma 3 finds its global layers by this period (6 without it), never by layer_types
        period = period_of(config["layer_types"])
        if period is None:
            config.pop("sliding_window_pattern", None)
        else:
            config["sliding_window_pattern"] = period
    return config


def as_family(config: dict, source: Family, target: Family) -> dict:
    """The config of the same model written as ``target`` (only Qwen2 → Llama is in the table)."""
    config = {k: v for k, v in config.items() if k not in _FAMILY_ONLY.get(source.name, ())}
    config["model_type"] = target.model_types[0]
    heads_model = any(a.endswith("ForCausalLM") for a in config.get("architectures") or [])
    config["architectures"] = [target.architectures[0] if heads_model else target.architectures[-1]]
    config["attention_bias"] = True  # Qwen2's q/k/v biases, and a zero output bias beside them
    config["mlp_bias"] = False
    return config
