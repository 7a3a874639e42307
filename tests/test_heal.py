"""Healing (core/heal): the torch student computes what headmix and transformers compute, the
distillation lowers the loss, and the export is never left half-written or made worse."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import hf_models
from healable import healable
from headmix.core.model import forward
from headmix.core.model.architecture import detect
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.cli import main
from headmix.core.errors import Cancelled
from headmix.core.heal import HealUnavailable
from headmix.core.heal.distil import top_k_kl
from headmix.core.heal.record import HealOptions
from headmix.core.heal.run import heal_export
from headmix.core.heal.teacher import top_k_of_logits
from headmix.core.heal.torch_model import Student

pytestmark = pytest.mark.interop

HEALABLE = ("llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3_text")
#: a few steps on short windows: enough to move the loss, fast enough for every test run
QUICK = HealOptions(tokens=2048, window=64, lr=1e-3, device="cpu")


def _ids(shape=(2, 24), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(3, 96, size=shape)


def _student_logits(folder: Path, ids: np.ndarray) -> np.ndarray:
    checkpoint = open_checkpoint(folder)
    student = Student(checkpoint, detect(checkpoint), set(), torch.device("cpu"))
    with torch.no_grad():
        return student(torch.from_numpy(ids)).numpy()


@pytest.mark.parametrize("family", HEALABLE)
def test_student_logits_match_headmix_and_transformers(family, tmp_path):
    model = hf_models.build(family)
    folder = hf_models.save(model, tmp_path / family)
    ids = _ids()
    ours = _student_logits(folder, ids)
    numpy_logits = forward.logits(open_checkpoint(folder), ids)
    with torch.no_grad():
        theirs = model(torch.from_numpy(ids)).logits.numpy()
    assert np.abs(ours - numpy_logits).max() < 1e-4
    assert np.abs(ours - theirs).max() < 1e-4


@pytest.mark.parametrize("family", ["llama", "gemma3_text"])
def test_student_of_a_shrunk_export_matches_transformers(family, model_dir, tmp_path):
    """Fewer kv heads and a smaller head size (kept rotary pairs as the export's rope) run as transformers runs them."""
    out = tmp_path / "out"
    assert main(["shrink", str(model_dir(family)), "-o", str(out), "--kv-heads", "2", "--head-dim", "8",
                 "--method", "mean"]) == 0
    ids = _ids(seed=1)
    ours = _student_logits(out, ids)
    with torch.no_grad():
        theirs = hf_models.load(family, out)(torch.from_numpy(ids)).logits.numpy()
    assert np.abs(ours - forward.logits(open_checkpoint(out), ids)).max() < 1e-4
    assert np.abs(ours - theirs).max() < 1e-4


@pytest.mark.parametrize("family", ["gpt2", "phi3"])
def test_other_families_are_refused_with_the_reason(family, model_dir):
    checkpoint = open_checkpoint(model_dir(family))
    with pytest.raises(HealUnavailable, match="cannot be healed: its attention is fused"):
        Student(checkpoint, detect(checkpoint), set(), torch.device("cpu"))


def test_top_k_loss_is_the_full_kl_when_k_covers_the_vocabulary():
    rng = np.random.default_rng(0)
    p, q = rng.normal(size=(5, 40)) * 3, rng.normal(size=(5, 40)) * 3
    logp = p - np.logaddexp.reduce(p, axis=1, keepdims=True)
    logq = q - np.logaddexp.reduce(q, axis=1, keepdims=True)
    full = (np.exp(logp) * (logp - logq)).sum(1).mean()
    for k, close in ((39, True), (8, False)):
        index, lp, rest = top_k_of_logits(p, k)
        loss = float(top_k_kl(torch.from_numpy(q), torch.from_numpy(index.astype(np.int64)), torch.from_numpy(lp),
                              torch.from_numpy(rest)))
        assert bool(abs(loss - full) < 1e-5) == close
        assert loss <= full + 1e-6  # grouping the tail can only lose information


# --------------------------------------------------------------------------- a heal end to end


@pytest.fixture(scope="module")
def shrunk(tmp_path_factory):
    """A tiny llama with a tokenizer, a calibration text, and its calibrated export with fewer kv heads."""
    return healable(tmp_path_factory.mktemp("heal"))


def _copy(shrunk, tmp_path) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(shrunk["export"], folder)
    return folder


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file in the folder (hidden ones too) and the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_heal_lowers_the_loss_and_records_what_it_did(shrunk, tmp_path):
    folder = _copy(shrunk, tmp_path)
    before = open_checkpoint(folder)
    old = {n: np.array(before.read(n)) for n in before.tensors}
    record = heal_export(folder, options=QUICK)
    assert record.kept
    assert record.heldout_after["kl"] < record.heldout_before["kl"]
    curve = [loss for _, loss in record.loss_curve]
    assert np.mean(curve[-3:]) < np.mean(curve[:3])
    data = json.loads((folder / "headmix.json").read_text())["heal"]
    assert data["kept"] is True and data["train"] == "changed"
    assert data["text_sha256"] == hashlib.sha256(shrunk["text"].read_bytes()).hexdigest()
    assert data["tokens"] >= QUICK.tokens and data["lr"] == QUICK.lr and len(data["loss_curve"]) == data["steps"]
    assert set(data["heldout_before"]) == {"kl", "nll", "perplexity"}
    # the shrink changed k, v, o (and q's complex factor) of both layers: those and the norm weights, and only those, moved
    trained = set(data["trained"])
    norms = {n for n in trained if "norm" in n}
    assert data["norms"] is True and len(norms) == 5  # two per layer and the final one
    assert trained - norms and all(".self_attn." in n for n in trained - norms)
    after = open_checkpoint(folder)
    for name, value in old.items():
        assert np.array_equal(np.array(after.read(name)), value) == (name not in trained), name


def test_train_choices_select_attention_and_everything(shrunk, tmp_path):
    from headmix.core.heal.trainable import select

    export, source = open_checkpoint(shrunk["export"]), open_checkpoint(shrunk["source"])
    arch = detect(export)
    provenance = json.loads((shrunk["export"] / "headmix.json").read_text())
    changed = select("changed", export, arch, source, provenance)
    attention = select("attention", export, arch, source, provenance)
    everything = select("all", export, arch, source, provenance)
    assert set(changed) <= set(attention) < set(everything) == set(export.tensors)
    assert len(attention) == 8


def test_cancelling_leaves_the_export_byte_identical(shrunk, tmp_path):
    folder = _copy(shrunk, tmp_path)
    snapshot = _snapshot(folder)
    steps = []

    def progress(stage, done, total, loss):
        steps.append(stage)

    with pytest.raises(Cancelled):
        heal_export(folder, options=QUICK, progress=progress, cancelled=lambda: steps.count("train") >= 2)
    assert _snapshot(folder) == snapshot

    def interrupt(stage, done, total, loss):
        if stage == "train" and done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        heal_export(folder, options=QUICK, progress=interrupt)
    assert _snapshot(folder) == snapshot


def test_cancelling_while_writing_leaves_nothing_half_written(shrunk, tmp_path):
    folder = _copy(shrunk, tmp_path)
    snapshot = _snapshot(folder)
    stage = []
    with pytest.raises(Cancelled):
        heal_export(folder, options=QUICK, progress=lambda s, d, t, loss: stage.append(s), cancelled=lambda: "write" in stage)
    assert _snapshot(folder) == snapshot


def test_a_heal_that_makes_the_held_out_loss_worse_is_not_kept(shrunk, tmp_path):
    folder = _copy(shrunk, tmp_path)
    snapshot = _snapshot(folder)
    record = heal_export(folder, options=HealOptions(tokens=256, window=64, lr=0.9, device="cpu"))
    assert not record.kept
    assert record.heldout_after["kl"] >= record.heldout_before["kl"]
    assert "un-healed weights are kept" in record.reason and "NOT kept" in record.summary()
    now = _snapshot(folder)
    assert {k: v for k, v in now.items() if k != "headmix.json"} == {k: v for k, v in snapshot.items() if k != "headmix.json"}
    assert json.loads((folder / "headmix.json").read_text())["heal"]["kept"] is False


def test_heal_command_reads_headmix_json_and_shrink_heal_runs(shrunk, tmp_path, capsys):
    folder = _copy(shrunk, tmp_path)
    assert main(["heal", str(folder), "--heal-tokens", "256", "--heal-lr", "3e-3", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "heal kept" in out or "NOT kept" in out
    assert json.loads((folder / "headmix.json").read_text())["heal"]["tokens"] >= 256
    second = tmp_path / "second"
    code = main(["shrink", str(shrunk["source"]), "-o", str(second), "--kv-heads", "2", "--calib-text", str(shrunk["text"]),
                 "--calib-tokens", "512", "--heal", "--heal-tokens", "600", "--heal-train", "attention", "--device", "cpu",
                 "--heal-recompute", "--no-heal-norms"])
    assert code == 0
    data = json.loads((second / "headmix.json").read_text())["heal"]
    assert data["train"] == "attention" and data["norms"] is False and len(data["trained"]) == 8


def test_heal_refuses_a_source_that_is_not_the_original(shrunk, tmp_path, capsys):
    folder = _copy(shrunk, tmp_path)
    other = hf_models.save_model("llama", tmp_path / "other", seed=3, num_hidden_layers=1)
    assert main(["heal", str(folder), "--source", str(other), "--device", "cpu"]) == 2
    assert "is not the original this export was made from" in capsys.readouterr().err


# --------------------------------------------------------------------------- without torch

HIDE_TORCH = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError("No module named 'torch'")
sys.meta_path.insert(0, Hide())
"""


def _without_torch(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", HIDE_TORCH + code], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)


def test_the_core_and_the_command_line_work_without_torch(tmp_path):
    code = """
import importlib, pkgutil
import headmix.core as core
for info in pkgutil.walk_packages(core.__path__, "headmix.core."):
    if info.name in ("headmix.core.heal.torch_model", "headmix.core.heal.distil"):
        continue
    importlib.import_module(info.name)
from headmix.core.cli import main
assert "torch" not in sys.modules
sys.exit(main(["presets"]))
"""
    result = _without_torch(code, tmp_path)
    assert result.returncode == 0, result.stderr


def test_heal_without_torch_says_how_to_install_it(shrunk, tmp_path):
    folder = _copy(shrunk, tmp_path)
    snapshot = _snapshot(folder)
    result = _without_torch(f"from headmix.core.cli import main; sys.exit(main(['heal', {str(folder)!r}]))", tmp_path)
    assert result.returncode == 2
    assert 'pip install "headmix[heal]"' in result.stderr and "Traceback" not in result.stderr
    assert _snapshot(folder) == snapshot
    out = tmp_path / "never"
    result = _without_torch(f"from headmix.core.cli import main; sys.exit(main(['shrink', {str(shrunk['source'])!r}, '-o', "
                            f"{str(out)!r}, '--kv-heads', '2', '--heal']))", tmp_path)
    assert result.returncode == 2 and 'pip install "headmix[heal]"' in result.stderr
    assert not out.exists()


def test_recomputing_layers_gives_the_same_gradients(model_dir):
    checkpoint = open_checkpoint(model_dir("gemma3_text"))
    arch = detect(checkpoint)
    names = {arch.layers[0].names["q"], arch.layers[1].names["down"]}
    ids = torch.from_numpy(_ids())
    grads = []
    for recompute in (False, True):
        student = Student(checkpoint, arch, names, torch.device("cpu"), recompute=recompute)
        student(ids).square().mean().backward()
        grads.append({n: t.grad.clone() for n, t in student.named_parameters().items()})
    for name in names:
        assert torch.allclose(grads[0][name], grads[1][name], atol=1e-6)
        assert grads[0][name].abs().max() > 0


def test_progress_reports_every_step_with_its_loss_for_a_live_chart(shrunk, tmp_path):
    """What the window's Heal stage draws: the teacher's layers, then every training step with its loss."""
    folder = _copy(shrunk, tmp_path)
    calls = []
    record = heal_export(folder, options=QUICK, progress=lambda *call: calls.append(call))
    teacher = [c for c in calls if c[0] == "teacher"]
    train = [c for c in calls if c[0] == "train"]
    assert teacher and teacher[-1][1] == teacher[-1][2] and all(c[3] is None for c in teacher)
    assert [c[1] for c in train] == list(range(1, record.steps + 1)) and {c[2] for c in train} == {record.steps}
    assert [round(c[3], 5) for c in train] == [loss for _, loss in record.loss_curve]
    assert [c[0] for c in calls][-2:] == ["write", "write"]


SLOW_TEACHER = """
import sys, time
import headmix.core.heal.teacher as teacher
real = teacher.run
def slow(*args, **kwargs):
    print("TEACHER", flush=True)
    time.sleep(60)
    return real(*args, **kwargs)
teacher.run = slow
from headmix.core.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_terminated_heal_leaves_the_export_and_no_teacher_folder(shrunk, tmp_path):
    """``kill`` (SIGTERM) during a heal cancels it as Ctrl+C does: the export stays byte for byte, and the
    teacher's temporary folder is removed (before, the process died with it left in the temporary folder)."""
    import os
    import signal

    folder = _copy(shrunk, tmp_path)
    before = _snapshot(folder)
    temp = tmp_path / "temp"
    temp.mkdir()
    child = subprocess.Popen([sys.executable, "-c", SLOW_TEACHER, "heal", str(folder), "--source", str(shrunk["source"]),
                              "--heal-tokens", "64"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "TMPDIR": str(temp)})
    try:
        assert child.stdout.readline().strip() == "TEACHER"
        assert [p.name for p in temp.iterdir()][0].startswith("headmix-heal-teacher-")
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 1, err
    assert "cancelled" in err
    assert list(temp.iterdir()) == []
    assert _snapshot(folder) == before


def test_a_long_text_trains_on_as_many_windows_as_the_budget_spread_over_it():
    from headmix.core.heal.record import MAX_HELDOUT_WINDOWS
    from headmix.core.heal.run import heal_rows

    train, held = heal_rows(21, 8192, 512)  # the default text: 2 held out, 16 of the 19 others, spread
    assert list(held) == [19, 20] and len(train) == 16 and train[0] == 0 and train[-1] == 18
    train, held = heal_rows(21, 1 << 20, 512)  # a budget beyond the text: every window, cycled
    assert list(train) == list(range(19))
    train, held = heal_rows(2000, 8192, 512)  # a long text: the teacher runs 16 + 8 windows, not 2,000
    assert len(held) == MAX_HELDOUT_WINDOWS and list(held) == list(range(1992, 2000))
    assert len(train) == 16 and train[0] == 0 and train[-1] == 1991 and np.all(np.diff(train) > 100)


def test_the_teacher_runs_only_the_windows_the_heal_uses(shrunk, tmp_path, monkeypatch):
    import headmix.core.heal.teacher as teacher

    folder = _copy(shrunk, tmp_path)
    seen = []
    compute = teacher.compute
    monkeypatch.setattr(teacher, "compute", lambda checkpoint, ids, *a, **k: seen.append(ids.shape) or compute(checkpoint, ids, *a, **k))
    record = heal_export(folder, options=HealOptions(**{**QUICK.__dict__, "tokens": QUICK.window}))
    assert seen == [(1 + record.heldout_windows, QUICK.window)]
