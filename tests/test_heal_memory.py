"""Healing's memory: the loss and scoring a chunk of positions at a time give the same numbers as a
whole window at once, layers are recomputed by default, freed pages go back to the system, and a
shrink on headmix's own text heals on the mixed-genre calibration text."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from headmix.core.heal.distil import score, top_k_kl, train_loss
from headmix.core.heal.memory import release_freed_memory
from headmix.core.heal.record import HealOptions
from headmix.core.heal.run import HEAL_TEXT, heal_text
from headmix.core.heal.teacher import TeacherTargets, top_k_of_logits
from headmix.core.heal.torch_model import Student
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.model.architecture import detect

pytestmark = pytest.mark.interop


def _student_and_targets(model_dir, tmp_path, trainable_roles=("q", "down")):
    checkpoint = open_checkpoint(model_dir("llama"))
    arch = detect(checkpoint)
    names = {arch.layers[0].names[trainable_roles[0]], arch.layers[-1].names[trainable_roles[1]],
             arch.global_names["embed"]}
    student = Student(checkpoint, arch, names, torch.device("cpu"))
    rng = np.random.default_rng(1)
    ids = rng.integers(3, 96, size=(2, 20))
    vocab = student.logits(torch.zeros(1, student.tensors[arch.global_names["embed"]].shape[1])).shape[-1]
    index, logp, rest = top_k_of_logits(rng.normal(size=(40, vocab)) * 3, 16)
    targets = TeacherTargets(tmp_path, index.reshape(2, 20, 16), logp.reshape(2, 20, 16), rest.reshape(2, 20))
    return student, targets, ids


def test_the_loss_a_chunk_at_a_time_gives_the_whole_windows_gradients(model_dir, tmp_path):
    student, targets, ids = _student_and_targets(model_dir, tmp_path)
    x = torch.from_numpy(ids)
    index = torch.from_numpy(targets.index.astype(np.int64))
    logp, rest = torch.from_numpy(targets.logp), torch.from_numpy(targets.rest)
    whole = top_k_kl(student(x).reshape(40, -1), index.reshape(40, -1), logp.reshape(40, -1), rest.reshape(40))
    whole.backward()
    expected = {n: t.grad.clone() for n, t in student.named_parameters().items()}
    for t in student.parameters():
        t.grad = None
    value = train_loss(student, x, index, logp, rest, chunk=7)  # 40 positions: chunks of 7 and a last of 5
    assert value == pytest.approx(float(whole.detach()), rel=1e-5)
    for name, grad in expected.items():
        assert grad.abs().max() > 0, name
        assert torch.allclose(student.tensors[name].grad, grad, atol=1e-6, rtol=1e-4), name


def test_scoring_a_chunk_at_a_time_gives_the_whole_windows_scores(model_dir, tmp_path):
    student, targets, ids = _student_and_targets(model_dir, tmp_path)
    x = torch.from_numpy(ids)
    with torch.no_grad():
        logits = student(x)
    kl = float(top_k_kl(logits.reshape(40, -1), torch.from_numpy(targets.index.astype(np.int64)).reshape(40, -1),
                        torch.from_numpy(targets.logp).reshape(40, -1), torch.from_numpy(targets.rest).reshape(40)))
    nll = float(torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1)))
    for chunk, batch in ((7, 1), (3, 2), (1000, 2)):
        scores = score(student, targets, ids, np.arange(2), batch=batch, chunk=chunk)
        assert scores.kl == pytest.approx(kl, rel=1e-5) and scores.nll == pytest.approx(nll, rel=1e-5)


def test_a_shrink_on_headmixs_own_text_heals_on_the_mixed_calibration_text(tmp_path):
    assert HEAL_TEXT.name == "calibration.txt" and HEAL_TEXT.is_file()
    for recorded in ({"calibration": {"text": "default text"}}, {"calibration": {"text": "default calibration text"}}, {}):
        text = heal_text(recorded, None)
        assert text.source == str(HEAL_TEXT) and text.content == HEAL_TEXT.read_text(encoding="utf-8").removeprefix("\ufeff")
    own = tmp_path / "mine.txt"
    own.write_text("a text of my own " * 50, encoding="utf-8")
    assert heal_text({"calibration": {"text": str(own)}}, None).source == str(own)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_heap_pages_go_back_to_the_system():
    """Many small blocks freed under a block still in use stay resident until they are trimmed."""
    code = textwrap.dedent("""
        import sys
        from headmix.core.heal.memory import release_freed_memory

        def rss():
            for line in open("/proc/self/status"):
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024

        blocks = [bytearray(64 * 1024) for _ in range(3000)]  # 190 MB of heap, under the mmap threshold
        for b in blocks:
            b[::4096] = b"x" * len(b[::4096])
        keep = bytearray(64 * 1024)  # pins the top of the heap: the free pages below it are not returned by free()
        full = rss()
        del blocks
        freed = rss()
        assert release_freed_memory()
        trimmed = rss()
        print(full, freed, trimmed)
        sys.exit(0 if freed > full - 100e6 and trimmed < full - 150e6 else 1)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr

