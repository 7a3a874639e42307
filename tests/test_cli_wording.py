"""The command line's sentences read as English: ordinals, and a plan that changes no layer's heads."""

from __future__ import annotations

import pytest

from conftest import DEMO
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.model.inspection import ordinal
from headmix.core.plan.request import Request
from headmix.core.plan.runtime_table import Reads
from headmix.core.plan.runtimes import _pattern
from headmix.core.run.shrink_run import ShrinkRun


@pytest.mark.parametrize("n, word", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (6, "6th"), (11, "11th"),
                                     (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd"),
                                     (101, "101st"), (111, "111th"), (112, "112th"), (113, "113th")])
def test_ordinals_take_their_english_suffix(n, word):
    assert ordinal(n) == word


def test_every_second_rotary_pair_reads_as_english():
    text = ShrinkRun.build(open_checkpoint(DEMO), Request(head_dim=16)).describe()
    assert "every 2nd pair: the default rope of the new size" in text
    assert "2th" not in text


def test_a_fixed_period_of_global_layers_reads_as_english():
    assert _pattern(Reads("x", pattern="fixed:2")) == "every 2nd layer is global, whatever config.json says"
    assert _pattern(Reads("x", pattern="fixed:6")) == "every 6th layer is global, whatever config.json says"


def test_a_plan_that_only_removes_layers_says_no_layers_heads_change():
    text = ShrinkRun.build(open_checkpoint(DEMO), Request(num_layers=3)).describe()
    line = next(line for line in text.splitlines() if line.startswith("  layers "))
    assert line == "  layers       none of the 3 change their heads", line
    assert "none change of" not in text


def test_inspect_says_every_2nd_layer_is_full(model_dir):
    """The tiny Gemma 3 alternates sliding and full layers: "every 2nd full", not "every 2th full"."""
    from headmix.core.model.inspection import format_summary, summary

    text = format_summary(summary(open_checkpoint(model_dir("gemma3_text"))))
    assert "layer types  1 sliding, 1 full, every 2nd full: S F" in text, text
