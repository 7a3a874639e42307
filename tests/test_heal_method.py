"""Healing's method options: the hidden-state term (the teacher keeps chosen layers' residual streams on disk, the
student's match them position for position, and the term adds to the KL through the same backward) and training
the norm weights too; each recorded in headmix.json."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from healable import healable
from headmix.core.heal import teacher
from headmix.core.heal.distil import hidden_loss, top_k_kl, train_loss
from headmix.core.heal.record import HealOptions
from headmix.core.heal.run import heal_export, state_pairs
from headmix.core.heal.torch_model import Student
from headmix.core.heal.trainable import select
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.model import forward
from headmix.core.model.architecture import detect

pytestmark = pytest.mark.interop


def _ids(shape=(2, 20), seed=1) -> np.ndarray:
    return np.random.default_rng(seed).integers(3, 96, size=shape)


def test_the_teacher_keeps_the_chosen_layers_streams_and_their_scales(model_dir, tmp_path):
    checkpoint = open_checkpoint(model_dir("llama"))
    ids = _ids()
    last = len(detect(checkpoint).layers) - 1
    expected = forward.run(checkpoint, ids, keep_layers=True).layers
    targets = teacher.compute(checkpoint, ids, k=8, folder=tmp_path, states=(0, last))
    try:
        assert set(targets.states) == {0, last}
        for position in (0, last):
            stored = np.asarray(targets.states[position], dtype=np.float32)
            assert np.allclose(stored, expected[position], rtol=2e-3, atol=2e-3)  # float16 on disk
            rms = np.sqrt(np.square(expected[position].astype(np.float64)).mean(axis=(0, 1)))
            assert np.allclose(targets.scales[position], rms, rtol=2e-3)
        assert targets.nbytes > targets.index.nbytes + targets.logp.nbytes + targets.rest.nbytes
    finally:
        targets.close()
    assert not any(tmp_path.iterdir())


def test_the_students_streams_are_the_numpy_passes(model_dir):
    checkpoint = open_checkpoint(model_dir("gemma3_text"))
    arch = detect(checkpoint)
    ids = _ids()
    expected = forward.run(checkpoint, ids, keep_layers=True).layers
    student = Student(checkpoint, arch, set(), torch.device("cpu"))
    states = dict.fromkeys(range(len(arch.layers)))
    with torch.no_grad():
        student.hidden(torch.from_numpy(ids), states)
    for position, value in states.items():
        assert np.allclose(value.numpy(), expected[position], rtol=1e-4, atol=1e-4), position


def test_the_hidden_term_is_scaled_per_dimension():
    rng = np.random.default_rng(0)
    teacher_h = torch.from_numpy(rng.normal(size=(2, 5, 4)).astype(np.float32))
    scales = {3: torch.tensor([1.0, 1.0, 1.0, 1000.0])}
    assert float(hidden_loss({3: teacher_h}, {3: teacher_h}, scales)) == 0.0
    off = teacher_h.clone()
    off[..., 3] += 10.0  # off by 10 in the dimension whose scale is 1,000 ...
    small = float(hidden_loss({3: off}, {3: teacher_h}, scales))
    off = teacher_h.clone()
    off[..., 0] += 10.0  # ... counts a millionth of the same error in a dimension of scale 1
    assert small == pytest.approx(1e-4 / 4) and float(hidden_loss({3: off}, {3: teacher_h}, scales)) == pytest.approx(100 / 4)


def test_the_hidden_term_adds_to_the_kl_with_its_gradients(model_dir, tmp_path):
    checkpoint = open_checkpoint(model_dir("llama"))
    arch = detect(checkpoint)
    names = {arch.layers[0].names["q"], arch.layers[-1].names["down"]}
    ids = _ids()
    targets = teacher.compute(checkpoint, ids, k=16, folder=tmp_path, states=(0, len(arch.layers) - 1))
    try:
        student = Student(checkpoint, arch, names, torch.device("cpu"))
        with torch.no_grad():  # a student off the teacher: every term has something to say
            for name in names:
                student.tensors[name].mul_(0.5)
        x = torch.from_numpy(ids)
        index = torch.from_numpy(targets.index.astype(np.int64))
        logp, rest = torch.from_numpy(np.asarray(targets.logp)), torch.from_numpy(np.asarray(targets.rest))
        wanted = {p: torch.from_numpy(np.asarray(targets.states[p], dtype=np.float32)) for p in targets.states}
        scales = {p: torch.from_numpy(targets.scales[p]) for p in targets.states}
        states = dict.fromkeys(wanted)
        h = student.hidden(x, states)
        n = ids.size
        whole = top_k_kl(student.logits(h).reshape(n, -1), index.reshape(n, -1), logp.reshape(n, -1), rest.reshape(n))
        term = hidden_loss(states, wanted, scales)
        (whole + 0.5 * term).backward()
        expected = {name: t.grad.clone() for name, t in student.named_parameters().items()}
        for t in student.parameters():
            t.grad = None
        value = train_loss(student, x, index, logp, rest, chunk=7, wanted=wanted, scales=scales, hidden_weight=0.5)
        assert float(term.detach()) > 0 and value == pytest.approx(float((whole + 0.5 * term).detach()), rel=1e-5)
        for name, grad in expected.items():
            assert torch.allclose(student.tensors[name].grad, grad, atol=1e-6, rtol=1e-4), name
    finally:
        targets.close()


def test_which_layers_the_term_matches():
    assert state_pairs(30, 30, 1) == {29: 29}
    assert state_pairs(30, 30, 5) == {p: p for p in (5, 11, 17, 23, 29)}
    assert state_pairs(4, 4, 10) == {p: p for p in range(4)}
    assert state_pairs(24, 30, 5) == {23: 29}  # fewer layers: only the last has a counterpart
    assert state_pairs(30, 30, 0) == {}


def test_a_heal_with_the_hidden_term_records_it(tmp_path):
    made = healable(tmp_path / "made")
    runs = {}
    for weight in (0.0, 1.0):
        folder = tmp_path / f"export-{weight}"
        shutil.copytree(made["export"], folder)
        options = HealOptions(tokens=512, window=64, lr=1e-3, device="cpu", hidden_weight=weight, hidden_layers=2)
        record = heal_export(folder, options=options)
        runs[weight] = (record, json.loads((folder / "headmix.json").read_text())["heal"])
    plain, with_term = runs[0.0][1], runs[1.0][1]
    assert plain["hidden_weight"] == 0.0 and plain["hidden_pairs"] == {}
    assert with_term["hidden_weight"] == 1.0 and with_term["hidden_pairs"] == {"0": 0, "1": 1}
    # the first step's loss is the same KL plus a positive hidden term
    assert with_term["loss_curve"][0][1] > plain["loss_curve"][0][1]


def test_norms_train_every_norm_weight_besides_the_choice(tmp_path):
    made = healable(tmp_path / "made")
    export, source = open_checkpoint(made["export"]), open_checkpoint(made["source"])
    arch = detect(export)
    provenance = json.loads((made["export"] / "headmix.json").read_text())
    norm_names = {n for layer in arch.layers for r, n in layer.names.items() if r in ("attn_norm", "mlp_norm")}
    norm_names.add(arch.global_names["final_norm"])
    changed = select("changed", export, arch, source, provenance)
    with_norms = select("changed", export, arch, source, provenance, norms=True)
    assert not norm_names & set(changed) and set(with_norms) == set(changed) | norm_names
    folder = tmp_path / "export"
    shutil.copytree(made["export"], folder)
    before = {n: np.array(export.read(n)) for n in norm_names}
    record = heal_export(folder, options=HealOptions(tokens=512, window=64, lr=1e-3, device="cpu", norms=True))
    assert record.kept and set(record.trained) == set(with_norms)
    assert json.loads((folder / "headmix.json").read_text())["heal"]["norms"] is True
    after = open_checkpoint(folder)
    assert any(not np.array_equal(np.array(after.read(n)), value) for n, value in before.items())
