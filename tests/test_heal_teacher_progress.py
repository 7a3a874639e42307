"""The teacher's output head reports its progress chunk by chunk (the tryout: about 70 s on SmolLM2 with the
window's bar standing at "teacher 31 of 31 · 0:00 left", the head being one step for all of it)."""

from __future__ import annotations

import numpy as np
import pytest

import hf_models
from headmix.core.heal import teacher
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.model.architecture import detect

pytestmark = pytest.mark.interop


def test_the_output_head_counts_its_chunks_of_windows(tmp_path):
    folder = hf_models.save(hf_models.build("llama"), tmp_path / "llama")
    checkpoint = open_checkpoint(folder)
    windows, length = 10, 256  # 1,024 positions of logits at a time: 4 windows a chunk, 3 chunks
    ids = np.random.default_rng(0).integers(3, 96, size=(windows, length))
    calls: list[tuple[int, int]] = []
    targets = teacher.compute(checkpoint, ids, k=8, folder=tmp_path, progress=lambda d, t: calls.append((d, t)))
    targets.close()
    layers = len(detect(checkpoint).layers)
    totals = {t for _, t in calls}
    assert totals == {layers + 3}  # the layers, then the head's three chunks
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-3:] == [layers + 1, layers + 2, layers + 3]
