"""The calibrated method in the window: the default with a tokenizer, calibrated in the background, exported as previewed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import hf_models
import tiny_text
from conftest import open_demo

pytestmark = pytest.mark.interop


@pytest.fixture
def tokenized(tmp_path):
    folder = hf_models.save(hf_models.build("llama"), tmp_path / "tiny llama")
    tiny_text.save_tokenizer(folder)
    return folder


def test_calibrated_is_the_default_and_its_matrices_appear_after_the_walk(qtbot, window, tokenized, tmp_path):
    open_demo(qtbot, window, tokenized)
    assert window.panel.method.currentText() == "calibrated"
    with qtbot.waitSignal(window.calibration_ready, timeout=60000):
        window.panel.set_values(4, 2, 16, "calibrated", 0, "all")
        assert "calibrating" in window.preview.layer_label.text()  # nothing computed on the window's thread
    drawn = window.preview.matrices["q_heads"].matrix
    assert drawn is not None and drawn.shape == (8, 4)
    np.testing.assert_array_equal(drawn, window.plan.mixing(0).heatmaps()["q_heads"])
    # the export writes what the preview showed: the same plan, its calibration reused
    with qtbot.waitSignal(window.export_finished, timeout=60000):
        window.start_export(tmp_path / "out")
    record = json.loads((tmp_path / "out" / "headmix.json").read_text())
    assert record["method"] == "calibrated" and len(record["calibration"]["layers"]) == 2
    npz = np.load(tmp_path / "out" / "headmix_matrices.npz")
    np.testing.assert_array_equal(npz["layer0.q_heads"], drawn)


def test_changing_targets_during_a_calibration_abandons_it(qtbot, window, tokenized):
    open_demo(qtbot, window, tokenized)
    window.panel.set_values(4, 2, 16, "calibrated", 0, "all")
    first = window.calibration_worker
    assert first is not None
    with qtbot.waitSignal(window.plan_changed):
        window.panel.set_values(8, 4, 16, "mean", 0, "all")  # nothing to calibrate any more
    assert window.calibration_worker is None and first.is_cancelled()


def test_stacked_dim_matrices_say_their_rows_are_old_head_dims(qtbot, window, tokenized_llama):
    """The calibrated kv merge rotates each old head's dims its own way: one dim matrix per old head, stacked, so the
    heatmap's rows are old head · dim (the helper found 576 rows labelled 'old dim' on a head size of 64)."""
    open_demo(qtbot, window, tokenized_llama)
    with qtbot.waitSignal(window.calibration_ready, timeout=30000):
        window.panel.set_values(4, 1, 16, "calibrated", 0, "all")
    stacked = window.plan.stacked_heatmaps(0)
    assert stacked, "no stacked matrix in a calibrated kv merge"
    for key, view in window.preview.matrices.items():
        label = view.plot.getAxis("left").labelText
        assert label == ("old head · dim" if key in stacked else f"old {view.old_label}")
        if key in stacked:
            assert view.matrix.shape[0] == np.prod(window.plan.mixing(0).matrices()[key].shape[:2])
    window.panel.set_values(4, 1, 16, "mean", 0, "all")
    assert all(view.plot.getAxis("left").labelText != "old head · dim" for view in window.preview.matrices.values())
