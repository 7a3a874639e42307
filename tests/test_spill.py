"""Refitted projections live on disk until used, so a calibrated plan's memory stays bounded by about one layer."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import numpy as np
import pytest

from headmix.core.io.spill import SpilledArrays, SpillFolder, remove_stale, spill_root


def test_arrays_round_trip_and_their_files_go_with_them(tmp_path):
    folder = SpillFolder(tmp_path)
    arrays = SpilledArrays(folder)
    a, b = np.arange(12, dtype=np.float32).reshape(3, 4), np.ones(5, dtype=np.float32)
    arrays["o"], arrays["o_bias"] = a, b
    assert "o" in arrays and len(arrays) == 2 and sorted(arrays) == ["o", "o_bias"]
    np.testing.assert_array_equal(arrays["o"], a)
    got = arrays["o"]
    got[0, 0] = 99  # a fresh copy each time: using it never changes what is kept
    assert arrays["o"][0, 0] == 0
    arrays["o"] = b  # replacing removes the old file
    assert len(list(folder.path.iterdir())) == 2
    arrays.clear()
    assert len(arrays) == 0 and not any(folder.path.iterdir())
    path = folder.path
    del arrays, folder
    gc.collect()
    assert not path.exists()  # the folder goes with its last owner


def test_a_folder_left_by_a_dead_process_is_removed_and_a_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f"spill-{int(dead.stdout)}-abc"
    left.mkdir()
    (left / "0.npy").write_bytes(b"x")
    mine = tmp_path / f"spill-{os.getpid()}-def"
    mine.mkdir()
    unrelated = tmp_path / "notes"
    unrelated.mkdir()
    remove_stale(tmp_path)
    assert not left.exists() and mine.exists() and unrelated.exists()


def test_the_tests_spill_into_their_own_folder():
    assert "headmix-test-data-" in str(spill_root())


@pytest.mark.interop
def test_a_calibrated_plan_keeps_its_refitted_projections_on_disk(tmp_path):
    import hf_models
    import tiny_text
    from headmix.core.io.checkpoint import open_checkpoint
    from headmix.core.run.shrink_run import ShrinkRun
    from headmix.core.plan.request import Request

    folder = hf_models.save(hf_models.build("llama"), tmp_path / "llama")
    tiny_text.save_tokenizer(folder)
    plan = ShrinkRun.build(open_checkpoint(folder), Request(method="calibrated", heads=2, kv_heads=1, calib_tokens=256))
    mixings = {i: plan.mixing(i) for i in plan.layers}  # runs the calibration
    spilled = [mixings[i].replace for i in plan.layers if plan.calibrator.fits[i].refitted]
    assert spilled, "no layer was refitted"
    for arrays in spilled:
        assert isinstance(arrays, SpilledArrays) and arrays["o"].shape == (2, plan.head_dim, plan.arch.hidden_size)
    path = spilled[0].folder.path
    assert any(path.iterdir())
    del plan, spilled, arrays, mixings
    gc.collect()
    assert not path.exists()


def test_an_unwritable_cache_falls_back_to_the_temporary_folder(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    folder = SpillFolder(blocked / "spill")  # cannot be made below a file
    arrays = SpilledArrays(folder)
    arrays["o"] = np.zeros(3)
    assert folder.path.parent.name == "headmix-spill" and arrays["o"].shape == (3,)
    folder.close()
    assert not folder.path.exists()


def test_a_full_disk_while_spilling_is_a_clear_message(tmp_path, monkeypatch):
    from headmix.core.errors import HeadmixError

    arrays = SpilledArrays(SpillFolder(tmp_path))

    def full(path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    with pytest.raises(HeadmixError, match="No space left on device.*HEADMIX_SPILL_DIR"):
        arrays["o"] = np.zeros(4)
    assert "o" not in arrays and not any(arrays.folder.path.iterdir())  # nothing half-written left
