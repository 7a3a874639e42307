"""Where a config.json keeps its rotary settings, read the way transformers reads them and written for every runtime.

transformers 5 writes one key, ``rope_parameters`` (nested per layer type for Gemma 3), and
reads a legacy ``rope_scaling`` and a top-level ``rope_theta`` too: a truthy ``rope_scaling``
replaces ``rope_parameters`` outright (for Gemma 3 it is merged into the full-attention
layers' dict), a ``rope_theta`` inside the dict wins over the top-level one, and 10000 is
the default. Other runtimes read other keys: mlx-lm and Ollama only the legacy ``rope_scaling``
(keyed on ``type`` or ``rope_type``) and a top-level ``rope_theta``, silently falling back to
θ = 10000 without them; vLLM raises when ``type`` and ``rope_type`` differ. So an export
writes all of them, saying the same thing (issue 14).
"""

from __future__ import annotations

import copy

DEFAULT_THETA = 10000.0
GEMMA3_THETAS = {"full_attention": 1_000_000.0, "sliding_attention": 10_000.0}


def _nested(params: object) -> bool:
    return isinstance(params, dict) and bool(params) and all(isinstance(v, dict) for v in params.values())


def resolved_rope(config: dict) -> dict[str | None, dict]:
    """The rope parameter dict of each layer type (key None when there is one for all layers), as transformers resolves it."""
    params = copy.deepcopy(config.get("rope_parameters"))
    legacy = copy.deepcopy(config.get("rope_scaling"))
    top_theta = config.get("rope_theta")
    partial = config.get("partial_rotary_factor")
    if not _nested(params) and config.get("model_type") == "gemma3_text":
        # an older Gemma 3 config: top-level thetas, and a legacy block for the global layers only
        params = {"sliding_attention": {"rope_type": "default"}, "full_attention": dict(params or {"rope_type": "default"})}
    if _nested(params):  # Gemma 3: a legacy block goes into the full-attention layers only
        blocks = {key: dict(value) for key, value in params.items()}
        if isinstance(legacy, dict) and legacy and "full_attention" in blocks:
            blocks["full_attention"].update(legacy)
        for key, block in blocks.items():
            fallback = config.get("rope_local_base_freq") if key == "sliding_attention" else top_theta
            block.setdefault("rope_theta", fallback if fallback is not None else GEMMA3_THETAS.get(key, DEFAULT_THETA))
        return {key: _standard(block, partial) for key, block in blocks.items()}
    block = dict(legacy) if isinstance(legacy, dict) and legacy else dict(params) if isinstance(params, dict) else {}
    block.setdefault("rope_theta", top_theta if top_theta is not None else DEFAULT_THETA)
    return {None: _standard(block, partial)}


def _standard(block: dict, partial) -> dict:
    if "rope_type" not in block:
        block["rope_type"] = block.get("type", "default")
    if partial is not None:
        block.setdefault("partial_rotary_factor", partial)
    return block


def write_portable(config: dict, blocks: dict[str | None, dict]) -> dict:
    """``config`` with ``blocks`` written under every key a runtime reads, all saying the same.

    ``rope_parameters`` holds each block; a top-level ``rope_theta`` (and Gemma 3's
    ``rope_local_base_freq``) repeats the base; a non-default rope is repeated as a legacy
    ``rope_scaling`` identical to ``rope_parameters``, with ``type`` equal to ``rope_type``
    (transformers lets it replace ``rope_parameters``, so it must be identical); a default
    rope has no ``rope_scaling``, which every runtime reads as "no scaling".
    """
    config = dict(config)
    cleaned = {key: _portable_block(block) for key, block in blocks.items()}
    if None in cleaned:
        block = cleaned[None]
        config["rope_parameters"] = block
        config["rope_theta"] = block["rope_theta"]
        config["rope_scaling"] = dict(block) if block["rope_type"] != "default" else None
        if "partial_rotary_factor" in block:  # mlx-lm's Phi-3 reads only the top-level key
            config["partial_rotary_factor"] = block["partial_rotary_factor"]
        if block["rope_type"] in ("longrope", "llama3", "yarn") and "original_max_position_embeddings" in config:
            # Phi-3 keeps a top-level copy that transformers lets override the block's
            config["original_max_position_embeddings"] = block["original_max_position_embeddings"]
    else:
        config["rope_parameters"] = cleaned
        full, sliding = cleaned.get("full_attention"), cleaned.get("sliding_attention")
        if full is not None:
            config["rope_theta"] = full["rope_theta"]
            config["rope_scaling"] = dict(full) if full["rope_type"] != "default" else None
        if sliding is not None:
            config["rope_local_base_freq"] = sliding["rope_theta"]
    if config.get("rope_scaling") is None:
        config.pop("rope_scaling", None)
    return config


def _portable_block(block: dict) -> dict:
    block = dict(block)
    block["rope_theta"] = float(block["rope_theta"])
    if block["rope_type"] == "default":
        block.pop("type", None)
    else:
        block["type"] = block["rope_type"]
    return block
