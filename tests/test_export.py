"""Export and `headmix shrink`: round trips, sharding, safety, presets."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

import hf_models
from headmix.core.plan import presets
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.cli import main
from headmix.core.errors import Cancelled, ExportError, OutputRefused, PresetError
from headmix.core.run.export import export
from headmix.core.plan.planner import Plan
from headmix.core.plan.request import Request


def digest(folder):
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(p.name.encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.interop
@pytest.mark.parametrize("family", hf_models.FAMILIES)
def test_cli_round_trip_loads_and_runs(tmp_path, capsys, model_dir, family):
    src = model_dir(family, "bfloat16")
    if family in ("gpt2", "bert"):
        # their shape is fixed by hidden_size in transformers: only an unchanged export loads
        args = ["--heads", "6"]
    else:
        args = ["--heads", "4", "--kv-heads", "2", "--head-dim", "8"]
    code, out, err = cli(capsys, "shrink", src, "-o", tmp_path / "out", *args)
    assert code == 0, err
    assert "wrote" in out and "loads in transformers" in out
    model = hf_models.load(family, tmp_path / "out")
    assert torch.isfinite(hf_models.outputs(model)).all()
    provenance = json.loads((tmp_path / "out" / "headmix.json").read_text())
    assert provenance["method"] == "mean" and provenance["source_header_sha256"] == open_checkpoint(src).header_digest()
    assert (tmp_path / "out" / "generation_config.json").exists() == (src / "generation_config.json").exists()


@pytest.mark.interop
def test_sharded_source_gives_sharded_output_with_valid_index(tmp_path, model_dir):
    src = model_dir("llama", "bfloat16", sharded=True)
    plan = Plan.build(open_checkpoint(src), Request(heads=4, kv_heads=2))
    out = export(plan, tmp_path / "out")
    index = json.loads((out / "model.safetensors.index.json").read_text())
    source_index = json.loads((src / "model.safetensors.index.json").read_text())
    assert index["weight_map"] == source_index["weight_map"]
    total = 0
    for name, shard in index["weight_map"].items():
        with safe_open(out / shard, "pt") as f:
            t = f.get_tensor(name)
            assert tuple(t.shape) == plan.shapes[name]
            total += t.numel() * t.element_size()
    assert index["metadata"]["total_size"] == total == plan.bytes_after
    assert sum(1 for _ in out.glob("*.safetensors")) == sum(1 for _ in src.glob("*.safetensors"))
    hf_models.outputs(hf_models.load("llama", out))


def test_cancel_in_the_middle_leaves_nothing(tmp_path):
    from conftest import DEMO

    plan = Plan.build(open_checkpoint(DEMO), Request(heads=4))
    seen = []
    with pytest.raises(Cancelled):
        export(plan, tmp_path / "out", progress=lambda d, t: seen.append(d), cancelled=lambda: len(seen) > 10)
    assert len(seen) > 10
    assert list(tmp_path.iterdir()) == []


def test_full_disk_fails_early_with_the_numbers(tmp_path, monkeypatch):
    from conftest import DEMO

    import headmix.core.run.export as export_module

    plan = Plan.build(open_checkpoint(DEMO), Request(heads=4))
    monkeypatch.setattr(export_module.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**12, 10**12 - 1000, 1000))
    with pytest.raises(ExportError, match=r"not enough free disk space: the export needs [0-9.]+ MB, and 1.00 KB is free"):
        export(plan, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_cli_exit_code_1_when_the_export_fails(tmp_path, capsys, monkeypatch):
    from conftest import DEMO

    import headmix.core.run.export as export_module

    monkeypatch.setattr(export_module.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**12, 10**12 - 10, 10))
    code, _, err = cli(capsys, "shrink", DEMO, "-o", tmp_path / "out", "--heads", "4")
    assert code == 1 and "not enough free disk space" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_disk_filling_up_during_the_write_cleans_up(tmp_path, monkeypatch):
    from conftest import DEMO

    import headmix.core.run.executor as executor_module

    plan = Plan.build(open_checkpoint(DEMO), Request(heads=4))
    calls = {"n": 0}
    real = executor_module.copy_to

    def failing_copy(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(executor_module, "copy_to", failing_copy)
    with pytest.raises(ExportError, match="the disk filled up"):
        export(plan, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_and_to_write_into_the_source(tmp_path, capsys):
    from conftest import DEMO

    src = tmp_path / "src dir ü"
    shutil.copytree(DEMO, src)
    before = digest(src)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = cli(capsys, "shrink", src, "-o", out, "--heads", "4")
    assert code == 2 and "not empty" in err and "keep.txt" in err
    assert (out / "keep.txt").read_text() == "mine"
    for bad in (src, src / "inside", tmp_path):
        code, _, err = cli(capsys, "shrink", src, "-o", bad, "--heads", "4", "--force")
        assert code == 2 and ("inside the source" in err or "contains the source" in err), err
    assert digest(src) == before
    code, _, err = cli(capsys, "shrink", src, "-o", out, "--heads", "4", "--force")
    assert code == 2 and "keep.txt" in err  # --force never replaces what headmix did not write
    assert (out / "keep.txt").read_text() == "mine"
    assert digest(src) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_force_replaces_only_an_earlier_export_and_it_goes_to_the_trash(tmp_path, capsys):
    from conftest import DEMO

    out = tmp_path / "small"
    code, _, err = cli(capsys, "shrink", DEMO, "-o", out, "--heads", "4")
    assert code == 0, err
    (out / "my notes.txt").write_text("written after the export")
    code, _, err = cli(capsys, "shrink", DEMO, "-o", out, "--heads", "2")
    assert code == 2 and "earlier headmix export" in err and "--force" in err
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    earlier = set(trash.iterdir()) if trash.is_dir() else set()  # other tests' trashed "small" folders
    code, _, err = cli(capsys, "shrink", DEMO, "-o", out, "--heads", "2", "--force")
    assert code == 0, err
    assert json.loads((out / "headmix.json").read_text())["targets"]["num_heads"] == 2
    assert not (out / "my notes.txt").exists()
    trashed = [p for p in set(trash.iterdir()) - earlier if p.name.startswith("small")]
    assert trashed
    assert any((p / "my notes.txt").read_text() == "written after the export" for p in trashed)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_folder_that_is_not_an_export_is_refused_with_what_it_holds(tmp_path, capsys):
    """The reported loss: Enter, Enter replaced a folder holding other-model/ and notes.txt."""
    from conftest import DEMO

    from headmix.core.run.export import inspect_output

    out = tmp_path / "models"
    (out / "other-model").mkdir(parents=True)
    (out / "other-model" / "model.safetensors").write_bytes(b"precious")
    (out / "notes.txt").write_text("precious")
    plan = Plan.build(open_checkpoint(DEMO), Request(heads=4))
    for force in (False, True):
        with pytest.raises(OutputRefused, match=r"not an earlier headmix export \(it holds notes.txt, other-model/\)"):
            export(plan, out, force=force)
    with pytest.raises(OutputRefused, match="other-model/"):
        inspect_output(plan, out)
    assert (out / "notes.txt").read_text() == "precious"
    assert (out / "other-model" / "model.safetensors").read_bytes() == b"precious"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert inspect_output(plan, empty) == (empty.resolve(), [])
    assert export(plan, empty) == empty.resolve() and (empty / "headmix.json").exists()
    assert inspect_output(plan, empty)[1] == sorted(p.name for p in empty.iterdir())


def test_a_stale_partial_folder_of_a_dead_export_is_removed_by_the_next_export(tmp_path):
    import subprocess
    import sys

    from conftest import DEMO

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".small.headmix-partial-{dead.pid}"
    (stale / "sub").mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"\0" * 1000)
    alive = tmp_path / ".other.headmix-partial-1"  # pid 1 exists: its export may still be running
    alive.mkdir()
    lookalike = tmp_path / ".notes.headmix-partial-x"
    lookalike.mkdir()
    export(Plan.build(open_checkpoint(DEMO), Request(heads=4)), tmp_path / "another")
    assert not stale.exists()
    assert alive.exists() and lookalike.exists()


def test_loader_files_are_copied_and_weights_are_not(tmp_path):
    from conftest import DEMO

    src = tmp_path / "src"
    shutil.copytree(DEMO, src)
    (src / "tokenizer.json").write_text("{}")
    (src / "1_Pooling").mkdir()
    (src / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    (src / "original").mkdir()
    (src / "original" / "consolidated.00.pth").write_bytes(b"pickle")
    (src / ".cache").mkdir()
    (src / ".cache" / "junk").write_text("x")
    (src / "pytorch_model.bin").write_bytes(b"pickle")
    out = export(Plan.build(open_checkpoint(src), Request(heads=4)), tmp_path / "out")
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == sorted([
        "1_Pooling/config.json", "config.json", "generation_config.json", "headmix.json", "headmix_matrices.npz",
        "model.safetensors", "tokenizer.json",
    ])  # fmt: skip
    assert (out / "1_Pooling" / "config.json").read_text() == '{"pooling_mode_mean_tokens": true}'


def test_a_lone_file_without_config_is_explained_not_exported(tmp_path):
    from conftest import DEMO

    from headmix.core.errors import ConfigError

    downloads = tmp_path / "Downloads"
    (downloads / "holiday photos").mkdir(parents=True)
    (downloads / "holiday photos" / "beach.jpg").write_bytes(b"jpeg")
    shutil.copyfile(DEMO / "model.safetensors", downloads / "model.safetensors")
    checkpoint = open_checkpoint(downloads / "model.safetensors")
    assert checkpoint.config is None
    with pytest.raises(ConfigError, match="config.json is missing, so the head count is unknown"):
        Plan.build(checkpoint, Request(heads=4))


def test_force_never_replaces_home_root_or_current_folder(tmp_path, monkeypatch):
    from conftest import DEMO

    plan = Plan.build(open_checkpoint(DEMO), Request(heads=4))
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    monkeypatch.chdir(work / "sub")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("precious")
    for out in (work / "sub", work, tmp_path / "home"):
        with pytest.raises(OutputRefused, match="refusing to write into"):
            export(plan, out, force=True)
    assert (tmp_path / "home" / "notes.txt").read_text() == "precious"


def test_group_means_compensate_with_exact_group_sums():
    from headmix.core.shrink.methods import mean_matrix, output_side, select_matrix

    groups = [np.array([0, 1, 2]), np.array([3, 4])]
    assert np.array_equal(output_side(mean_matrix(5, groups)), np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1]], float))
    selection = select_matrix(5, np.array([1, 4]))
    assert np.array_equal(output_side(selection), selection)
    dense = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(output_side(dense), np.linalg.pinv(dense).T)


def test_unwritable_output_is_refused(tmp_path):
    from conftest import DEMO

    plan = Plan.build(open_checkpoint(DEMO), Request(heads=4))
    with pytest.raises(OutputRefused, match="does not exist"):
        export(plan, tmp_path / "no" / "such" / "out")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputRefused, match="not a folder"):
        export(plan, blocker)


def test_dry_run_writes_nothing(tmp_path, capsys):
    from conftest import DEMO

    code, out, err = cli(capsys, "shrink", DEMO, "-o", tmp_path / "out", "--heads", "4", "--head-dim", "16", "--method", "select", "--dry-run")
    assert code == 0, err
    assert "query heads  8 -> 4" in out and "head size    32 -> 16" in out and "verdict      loads in transformers" in out
    assert "rotary pairs keeps 8 of 16" in out
    assert not (tmp_path / "out").exists()


def test_two_runs_give_identical_bytes(tmp_path, capsys):
    from conftest import DEMO

    for name in ("a", "b"):
        code, _, err = cli(capsys, "shrink", DEMO, "-o", tmp_path / name, "--heads", "4", "--head-dim", "16", "--method", "random", "--seed", "3")
        assert code == 0, err
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_presets_round_trip_and_flags_override(tmp_path, capsys):
    from conftest import DEMO

    saved = tmp_path / "p.json"
    code, out, err = cli(capsys, "shrink", DEMO, "--heads", "4", "--kv-heads", "1", "--method", "select", "--seed", "9", "--layers", "0-1,3", "--dry-run", "--save-preset", saved)
    assert code == 0, err
    preset = presets.load(saved)
    r = preset.request
    assert (r.heads, r.kv_heads, r.head_dim, r.method, r.seed, r.layers) == (4, 1, None, "select", 9, "0-1,3")
    assert presets.load(presets.save(preset, tmp_path / "again.json")) == preset
    data = json.loads(saved.read_text())
    assert data["schema"] == 1 and "path" not in data and not any("/" in str(v) for k, v in data.items() if k != "heads")
    code, out, err = cli(capsys, "shrink", DEMO, "--preset", saved, "--heads", "2", "--dry-run")
    assert code == 0, err
    assert "query heads  8 -> 2" in out and "kv heads     2 -> 1" in out and "select (seed 9)" in out and "layers       0-1,3 of 4" in out


def test_builtin_presets_adapt_to_the_model(capsys, model_dir):
    from conftest import DEMO

    builtins = presets.builtin()
    assert {"halve-query-heads", "mha-to-gqa", "article-quarter-head-size"} <= set(builtins)
    code, out, _ = cli(capsys, "presets")
    assert code == 0 and "halve-query-heads" in out
    code, out, err = cli(capsys, "shrink", DEMO, "--preset", "halve-query-heads", "--dry-run")
    assert code == 0 and "query heads  8 -> 4" in out, err
    code, out, err = cli(capsys, "shrink", DEMO, "--preset", "article-quarter-head-size", "--dry-run")
    assert code == 0 and "head size    32 -> 8" in out and "article" in out, err


@pytest.mark.parametrize(
    "data, message",
    [
        ({"schema": 1, "heads": 4, "colour": "red"}, "unknown key(s) colour"),
        ({"schema": 2}, "this headmix reads schema 1"),
        ({"schema": 1, "heads": -1}, "'heads' is -1"),
        ({"schema": 1, "head_dim": "3/2"}, "'head_dim' is '3/2'"),
        ({"schema": 1, "method": "magic"}, "'method' is 'magic'"),
        ({"schema": 1, "layers": "0-x"}, "'layers' is '0-x'"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_bad_presets_are_explained(tmp_path, data, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(PresetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        presets.load(path)


def test_matrices_npz_is_loadable(tmp_path):
    from conftest import DEMO

    plan = Plan.build(open_checkpoint(DEMO), Request(heads=4, head_dim=16, method="random", seed=1))
    export(plan, tmp_path / "out")
    npz = np.load(tmp_path / "out" / "headmix_matrices.npz")
    assert npz["layer0.q_heads"].shape == (8, 4) and npz["layer3.v_dims"].shape == (32, 16)
    assert np.allclose(npz["layer2.q_heads"].sum(0), 1)


def test_a_refused_output_is_said_first_even_in_a_dry_run(tmp_path, capsys):
    """The refusal comes before the plan is printed (it was buried under it), and a dry run with -o says the
    export it previews would be refused (it exited 0 in silence)."""
    from conftest import DEMO

    source = tmp_path / "demo"
    shutil.copytree(DEMO, source)
    code, out, err = cli(capsys, "shrink", source, "-o", source / "sub", "--heads", "4", "--dry-run")
    assert code == 2 and "inside the source folder" in err and out == ""
    code, out, err = cli(capsys, "shrink", source, "-o", source, "--heads", "4")
    assert code == 2 and "inside the source folder" in err
    assert "heads" not in err.split("inside the source folder")[0].lower()  # no plan printed before the refusal
    assert not (source / "sub").exists()
