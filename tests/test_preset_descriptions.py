"""A built-in preset's description says what its plan does: the layer method it names is the one each family gets."""

from __future__ import annotations

import pytest

import hf_models
import tiny_text
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.plan import presets
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.shrink.layer_removal import LayerMethod

PRESET = "remove-a-fifth-of-the-layers"


def _five_layers(family: str, folder, tokenizer: bool = True):
    overrides = dict(n_layer=5) if family == "gpt2" else dict(num_hidden_layers=5)
    if family.startswith("gemma"):  # post-norm layers (Gemma's sandwich norms), sliding and global
        overrides["layer_types"] = ["sliding_attention"] * 4 + ["full_attention"]
    hf_models.save_model(family, folder, **overrides)
    if tokenizer:
        tiny_text.save_tokenizer(folder)
    return open_checkpoint(folder)


def _drop_clause() -> str:
    """What the description says happens where fit cannot run (after its "(fit);")."""
    description = presets.builtin()[PRESET].description
    assert description.count("(fit);") == 1, description
    return description.split("(fit);")[1]


@pytest.mark.parametrize("family", hf_models.FAMILIES)
def test_the_families_the_description_says_drop_are_the_ones_that_do(family, tmp_path):
    """Gemma 2/3 fit in the normalised space since issue 22; a description naming them among the dropped is stale."""
    plan = ShrinkRun.build(_five_layers(family, tmp_path / family), presets.builtin()[PRESET].request)
    assert plan.reduction is not None and plan.arch.num_layers == 4
    title = plan.arch.family.title
    named = title.split()[0] in _drop_clause()  # "Gemma" as well as "Gemma 3"
    assert named == (plan.reduction.method is LayerMethod.DROP), (title, plan.reduction.method, _drop_clause())


def test_without_a_tokenizer_the_description_says_drop_and_the_plan_drops(tmp_path):
    plan = ShrinkRun.build(_five_layers("llama", tmp_path / "llama", tokenizer=False), presets.builtin()[PRESET].request)
    assert plan.reduction.method is LayerMethod.DROP
    assert "without a tokenizer" in _drop_clause() and "weight norms" in _drop_clause()
