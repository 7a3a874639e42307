"""A heal that cannot run is refused before anything is written, with the reason about healing: no tokenizer,
a family the student cannot run, a device that is not there (``shrink --heal`` and ``heal`` alike)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import tiny_text
from conftest import DEMO
from headmix.core.cli import main
from headmix.core.heal import HealUnavailable
from headmix.core.heal.availability import heal_unavailable, require_healable
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.model.architecture import detect

NO_TOKENIZER = "healing needs the model's tokenizer (it trains on the calibration text)"


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_shrink_heal_without_a_tokenizer_refuses_before_writing(tmp_path, capsys):
    """The tryout's command: the demo has no tokenizer.json, so the export must not be written and then left un-healed."""
    out = tmp_path / "x" / "small"
    code = main(["shrink", str(DEMO), "-o", str(out), "--heads", "4", "--kv-heads", "1", "--head-dim", "16", "--heal"])
    captured = capsys.readouterr()
    assert code == 2
    assert NO_TOKENIZER in captured.err and "quality check" not in captured.err
    assert "wrote" not in captured.out and not out.exists() and not out.parent.exists()


def test_heal_of_an_export_without_a_tokenizer_says_healing_needs_it(tmp_path, capsys):
    out = tmp_path / "small"
    assert main(["shrink", str(DEMO), "-o", str(out), "--heads", "4", "--kv-heads", "1", "--head-dim", "16"]) == 0
    before = _snapshot(out)
    capsys.readouterr()
    assert main(["heal", str(out), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert NO_TOKENIZER in err and str(out) in err and "quality check" not in err
    assert _snapshot(out) == before


def test_shrink_heal_on_a_family_heal_cannot_run_refuses_before_writing(model_dir, tmp_path, capsys):
    source = tmp_path / "gpt2"
    shutil.copytree(model_dir("gpt2"), source)
    tiny_text.save_tokenizer(source)
    out = tmp_path / "out"
    assert main(["shrink", str(source), "-o", str(out), "--heads", "3", "--method", "mean", "--heal"]) == 2
    captured = capsys.readouterr()
    assert "cannot be healed: its attention is fused" in captured.err
    assert "wrote" not in captured.out and not out.exists()


@pytest.mark.interop
def test_shrink_heal_on_a_device_that_is_not_there_refuses_before_writing(tmp_path, capsys):
    import torch

    if torch.backends.mps.is_available():
        pytest.skip("this machine has Apple's MPS")
    source = tmp_path / "demo"
    shutil.copytree(DEMO, source)
    tiny_text.save_tokenizer(source, add_bos=True)
    out = tmp_path / "out"
    assert main(["shrink", str(source), "-o", str(out), "--heads", "4", "--heal", "--device", "mps"]) == 2
    captured = capsys.readouterr()
    assert "--device mps: Apple's MPS is not available here" in captured.err
    assert "wrote" not in captured.out and not out.exists()


def test_the_check_the_window_can_share_names_each_reason(demo_folder, model_dir):
    """One core check for the command line and the window: None where a heal can run, else why, by kind."""
    assert heal_unavailable(demo_folder, detect(open_checkpoint(demo_folder))) is None
    missing = heal_unavailable(DEMO, detect(open_checkpoint(DEMO)))
    assert missing is not None and missing.kind == "tokenizer" and NO_TOKENIZER in str(missing)
    fused = heal_unavailable(model_dir("gpt2"), detect(open_checkpoint(model_dir("gpt2"))))
    assert fused is not None and fused.kind == "family"
    with pytest.raises(HealUnavailable, match="healing needs the model's tokenizer"):
        require_healable(DEMO)


def test_heal_export_called_directly_says_healing_needs_the_tokenizer(tmp_path):
    """heal_export (what the window's heal stage runs) gives the same reason as the command, not the quality check's."""
    from headmix.core.heal.run import heal_export

    out = tmp_path / "small"
    assert main(["shrink", str(DEMO), "-o", str(out), "--heads", "4", "--kv-heads", "1", "--head-dim", "16"]) == 0
    with pytest.raises(HealUnavailable, match="healing needs the model's tokenizer"):
        heal_export(out, str(DEMO))
