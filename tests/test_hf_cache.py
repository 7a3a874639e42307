"""Models in the user's Hugging Face cache: listed, opened by repo id offline, and from the window."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import DEMO

from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.cli import main
from headmix.core.errors import CheckpointError
from headmix.core.io.hf_cache import cached_models, repo_name, snapshot_folder

COMMIT_A = "a" * 40
COMMIT_B = "b" * 40


def add_to_cache(cache: Path, repo_id: str, commit: str, source: Path, ref: str | None = "main") -> Path:
    """Lay out ``source``'s files as huggingface_hub does: blobs named by content, snapshot symlinks to them."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True)
    for i, file in enumerate(sorted(p for p in source.iterdir() if p.is_file())):
        blob = repo / "blobs" / f"{commit[:8]}{i:04d}"
        shutil.copyfile(file, blob)
        os.symlink(os.path.relpath(blob, snapshot), snapshot / file.name)
    if ref is not None:
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / ref).write_text(commit)
    return snapshot


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    return cache


def test_lists_models_with_weights_newest_first_and_skips_others(hf_cache, tmp_path):
    add_to_cache(hf_cache, "org/demo", COMMIT_A, DEMO)
    words = tmp_path / "words"
    words.mkdir()
    (words / "tokenizer.json").write_text("{}")
    add_to_cache(hf_cache, "org/tokenizer-only", COMMIT_B, words)  # no weights: nothing to open
    models = cached_models()
    assert [(m.repo_id, m.revision) for m in models] == [("org/demo", "main")]
    model = models[0]
    assert model.folder == hf_cache / "models--org--demo" / "snapshots" / COMMIT_A
    assert model.size == sum(p.stat().st_size for p in DEMO.iterdir() if p.is_file())
    assert model.repo_arg == "org/demo"


def test_an_absent_cache_lists_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "nowhere"))
    assert cached_models() == []


def test_repo_id_opens_the_main_snapshot_and_a_revision_by_ref_or_hash(hf_cache):
    main_snapshot = add_to_cache(hf_cache, "org/demo", COMMIT_A, DEMO)
    old = add_to_cache(hf_cache, "org/demo", COMMIT_B, DEMO, ref="v1")
    assert snapshot_folder("org/demo") == main_snapshot
    assert snapshot_folder("org/demo@v1") == old
    assert snapshot_folder("org/demo@bbbbbbb") == old
    checkpoint = open_checkpoint("org/demo")
    assert checkpoint.folder == main_snapshot
    assert checkpoint.display_name == "org/demo@aaaaaaa"
    assert checkpoint.short_name == "demo"
    assert repo_name(main_snapshot) == "org/demo@aaaaaaa"


def test_a_repo_id_not_in_the_cache_says_so_and_never_downloads(hf_cache, monkeypatch):
    import huggingface_hub

    def no_network(*args, **kwargs):  # pragma: no cover - reached only on a regression
        raise AssertionError("headmix tried to download")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", no_network)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_network)
    add_to_cache(hf_cache, "org/demo", COMMIT_A, DEMO)
    with pytest.raises(CheckpointError, match="never downloads"):
        open_checkpoint("org/missing")
    with pytest.raises(CheckpointError, match="revision v9 of org/demo is not in the Hugging Face cache"):
        open_checkpoint("org/demo@v9")


def test_several_revisions_without_main_must_be_named(hf_cache):
    add_to_cache(hf_cache, "org/demo", COMMIT_A, DEMO, ref=None)
    add_to_cache(hf_cache, "org/demo", COMMIT_B, DEMO, ref=None)
    with pytest.raises(CheckpointError, match="none is main; name one: org/demo@"):
        snapshot_folder("org/demo")


def test_a_missing_path_that_is_not_a_repo_id_keeps_its_message(hf_cache):
    with pytest.raises(CheckpointError, match="no such file or folder"):
        open_checkpoint("./nowhere/at/all")


def test_cli_inspects_and_shrinks_a_cached_model_by_repo_id(hf_cache, tmp_path, capsys):
    snapshot = add_to_cache(hf_cache, "org/demo", COMMIT_A, DEMO)
    before = {p.name: p.read_bytes() for p in snapshot.iterdir()}
    assert main(["inspect", "org/demo", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["path"], info["name"], info["num_layers"]) == (str(snapshot), "org/demo@aaaaaaa", 4)
    out = tmp_path / "small"
    assert main(["shrink", "org/demo", "-o", str(out), "--heads", "4", "--method", "mean"]) == 0
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
    assert {p.name: p.read_bytes() for p in snapshot.iterdir()} == before  # the cache is never touched
    assert main(["inspect", "org/absent"]) == 2
    assert "never downloads" in capsys.readouterr().err


def test_window_lists_the_cache_in_the_file_menu_and_opens_a_model_in_two_clicks(hf_cache, qtbot, window):
    add_to_cache(hf_cache, "org/demo", COMMIT_A, DEMO)
    window.fill_cache_menu()
    actions = [a for a in window.cache_menu.actions() if a.text().startswith("org/demo")]
    assert len(actions) == 1 and "main" in actions[0].text()
    with qtbot.waitSignal(window.checkpoint_opened, timeout=10000):
        actions[0].trigger()
    assert window.checkpoint.folder == hf_cache / "models--org--demo" / "snapshots" / COMMIT_A
    assert "org/demo@aaaaaaa" in window.windowTitle()


def test_cache_dialog_filters_and_opens_with_enter(hf_cache, qtbot, window):
    from PySide6.QtCore import Qt

    add_to_cache(hf_cache, "org/demo", COMMIT_A, DEMO)
    add_to_cache(hf_cache, "other/model", COMMIT_B, DEMO)
    dialog = window.open_from_cache()
    assert dialog.table.rowCount() == 2
    qtbot.keyClicks(dialog.filter, "other")
    assert dialog.selected() == hf_cache / "models--other--model" / "snapshots" / COMMIT_B
    with qtbot.waitSignal(window.checkpoint_opened, timeout=10000):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert window.checkpoint.short_name == "model"


def test_empty_cache_says_where_it_looked(hf_cache, window):
    window.fill_cache_menu()
    texts = [a.text() for a in window.cache_menu.actions()]
    assert any(t.startswith("No models with safetensors weights in") and str(hf_cache) in t for t in texts)
    dialog = window.open_from_cache()
    assert not dialog.open_button.isEnabled()
    dialog.reject()


def test_window_proposes_no_export_folder_inside_the_cache_and_copies_the_repo_id(hf_cache, qtbot, window, tmp_path):
    snapshot = add_to_cache(hf_cache, "org/demo", COMMIT_A, DEMO)
    with qtbot.waitSignal(window.checkpoint_opened, timeout=10000):
        assert window.open_path(snapshot)
    window.panel.heads.setValue(4)
    line = window.command_line()
    assert line.startswith("headmix shrink org/demo@aaaaaaa -o ")
    (tmp_path / "exports").mkdir()
    window.settings.setValue("last_export_folder", str(tmp_path / "exports"))
    proposed = window.proposed_export_folder(window.current_plan())
    assert proposed.parent == tmp_path / "exports" and proposed.name.startswith("demo-4x")
    assert hf_cache not in proposed.parents
