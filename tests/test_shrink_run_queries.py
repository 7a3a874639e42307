"""ShrinkRun's read-only queries the window asks on every repaint: they answer from what is computed and never
start a calibration walk or read weights."""

from __future__ import annotations

import numpy as np

from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.plan.request import Request
from headmix.core.run.shrink_run import ShrinkRun

#: the tiny Llama's head size (tests/hf_models.py), halved
HALF = dict(head_dim="1/2", calib_tokens=256)


def test_calibrated_queries_answer_without_walking_and_follow_the_walk(tokenized_llama):
    checkpoint = open_checkpoint(tokenized_llama)
    run = ShrinkRun.build(checkpoint, Request(method="calibrated", **HALF))
    first = run.layers[0]
    assert not run.calibrated(first) and run.calibration_fit(first) is None and run.known_pair_scores() is None
    assert run._calibrator is None  # asking built nothing
    run.kept_pairs  # noqa: B018 - the first pass scores the pairs
    scores = run.known_pair_scores()
    assert scores is not None and scores.shape == (run.arch.head_dim // 2,)
    assert not run.calibrated(first)
    run.mixing(first)
    assert run.calibrated(first)
    fit = run.calibration_fit(first)
    assert fit is not None and fit.layer == first and fit.error <= fit.error_before_fit
    run.close()


def test_select_pair_scores_are_known_once_every_changed_layer_is_scored(tokenized_llama):
    checkpoint = open_checkpoint(tokenized_llama)
    run = ShrinkRun.build(checkpoint, Request(method="select", **HALF))
    assert run.known_pair_scores() is None
    for i in run.layers:
        run.importance(i)
    scores = run.known_pair_scores()
    expected = sum(run.importance(i).qk_units / run.importance(i).qk_units.sum() for i in run.layers)
    np.testing.assert_allclose(scores, expected)
    assert not run.calibrated(run.layers[0])  # select never calibrates

