"""The window's Heal stage (issue 21): after an export (the dialog's *Heal after export*) and for an earlier export
(*File → Heal an export…*): the record in headmix.json, the progress words and the loss chart, Cancel leaving the
export byte-identical, the choice greyed with the install line without torch, the refusal of a folder that is not an
export, and the Quality tab's original → shrunk → healed column."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMessageBox

from healable import healable as healable_export
from conftest import open_demo
from headmix.core import heal as core_heal
from headmix.core.heal.record import HealOptions

pytestmark = pytest.mark.interop

#: a few steps on short windows: enough to move the loss, fast enough for every test run
QUICK = HealOptions(tokens=2048, window=64, lr=1e-3, device="cpu")


@pytest.fixture(scope="module")
def healable(tmp_path_factory):
    """A tiny llama with a tokenizer, a calibration text, and (for File → Heal) its calibrated export, kv 4 → 2."""
    return healable_export(tmp_path_factory.mktemp("window heal"))


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _set_targets(qtbot, window, healable) -> None:
    open_demo(qtbot, window, healable["source"])
    layer = window.arch.layers[0]
    with qtbot.waitSignal(window.plan_changed):
        window.panel.set_values(layer.num_heads, 2, layer.head_dim, "calibrated", 0, "all",
                                calib_text=str(healable["text"]), calib_tokens=512)


def _shown(window, monkeypatch) -> list[str]:
    """Every text the export's progress bar shows, in order."""
    bars = []
    show = window._show_export_stage

    def record(shown):
        bars.append(shown.label)
        show(shown)

    monkeypatch.setattr(window, "_show_export_stage", record)
    return bars


def test_heal_after_export_runs_the_stage_and_records_the_heal(qtbot, window, healable, tmp_path, monkeypatch):
    _set_targets(qtbot, window, healable)
    window.choose_export_folder()
    dialog = window.export_dialog
    choice = dialog.heal.options
    assert dialog.heal.isEnabled() and dialog.heal.check.isEnabled() and not dialog.heal.check.isChecked()
    assert dialog.heal.tokens.value() == HealOptions().tokens and dialog.heal.train.currentData() == "changed"
    assert choice() is None  # off unless asked for
    dialog.heal.check.setChecked(True)
    dialog.heal.tokens.setValue(1024)
    dialog.heal.train.setCurrentIndex(dialog.heal.train.findData("attention"))
    assert (choice().tokens, choice().train) == (1024, "attention")
    # the dialog's choice, with the short windows of a tiny model's text
    monkeypatch.setattr(dialog.heal, "options", lambda: replace(choice(), window=QUICK.window, device="cpu"))
    dialog.parent_edit.setText(str(tmp_path))
    dialog.name_edit.setText("healed")
    bars = _shown(window, monkeypatch)
    with qtbot.waitSignal(window.heal_finished, timeout=180_000) as finished:
        with qtbot.waitSignal(window.export_finished, timeout=60_000):
            dialog.export_button.click()
        assert window.heal_worker is not None and not window.export_action.isEnabled()
    record = finished.args[0]
    out = tmp_path / "healed"
    data = json.loads((out / "headmix.json").read_text())["heal"]
    assert data["kept"] == record.kept and data["train"] == "attention" and data["tokens"] >= 1024
    assert data["text_sha256"] == hashlib.sha256(healable["text"].read_bytes()).hexdigest()
    assert any(b.startswith("healing: teacher 1 of ") for b in bars)
    assert any(b.startswith(f"training step {record.steps} of {record.steps} — loss ") for b in bars)
    assert len(window.loss_chart.points) == record.steps and window.loss_chart.isVisible()
    assert window.last_message[0] == ("Heal finished" if record.kept else "The heal did not help")
    # like the export's box, the heal's offers the export itself in this window (the tryout missed it)
    box = next(b for b in window.findChildren(QMessageBox) if b.windowTitle() == window.last_message[0] and b.isVisible())
    opening = next(b for b in box.buttons() if b.text() == "Open the exported model")
    with qtbot.waitSignal(window.checkpoint_opened, timeout=20_000) as opened:
        opening.click()
    assert Path(opened.args[0]).resolve() == out.resolve()
    if not record.kept:
        assert "keeps its un-healed weights" in window.last_message[1]
    assert window.export_action.isEnabled() and window.heal_worker is None


def test_a_heal_that_did_not_help_is_said_plainly(qtbot, window, healable, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(healable["export"], folder)
    weights = {k: v for k, v in _snapshot(folder).items() if k != "headmix.json"}
    with qtbot.waitSignal(window.heal_finished, timeout=120_000) as finished:
        assert window.start_heal(folder, None, HealOptions(tokens=256, window=64, lr=0.9, device="cpu"))
    assert not finished.args[0].kept
    title, text = window.last_message
    assert title == "The heal did not help" and "keeps its un-healed weights" in text
    assert {k: v for k, v in _snapshot(folder).items() if k != "headmix.json"} == weights


def test_cancel_leaves_the_export_byte_identical(qtbot, window, healable, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(healable["export"], folder)
    before = _snapshot(folder)
    assert window.start_heal(folder, None, replace(QUICK, tokens=10_000_000))
    steps = []

    def step(stage, done, total, loss):
        steps.append(stage)
        if stage == "train":
            window.panel.cancel_button.click()  # the export box's Cancel, as during an export

    window.heal_worker.step.connect(step)
    with qtbot.waitSignal(window.heal_cancelled, timeout=120_000):
        pass
    assert "train" in steps and window.heal_worker is None
    assert _snapshot(folder) == before
    assert "is as it was before the heal" in window.statusBar().currentMessage()
    assert window.heal_action.isEnabled()


def test_without_torch_the_choice_is_greyed_with_the_install_line(qtbot, window, healable, tmp_path, monkeypatch):
    monkeypatch.setattr(core_heal, "torch_available", lambda: False)
    _set_targets(qtbot, window, healable)
    window.choose_export_folder()
    heal = window.export_dialog.heal
    assert not heal.check.isEnabled() and not heal.tokens.isEnabled() and not heal.train.isEnabled()
    assert core_heal.INSTALL_LINE in heal.toolTip() and core_heal.INSTALL_LINE in heal.note.text()
    heal.check.setChecked(True)
    assert heal.options() is None
    dialog = window.heal_folder_chosen(str(healable["export"]))
    assert not dialog.heal_button.isEnabled() and core_heal.INSTALL_LINE in dialog.choice.note.text()


def test_file_heal_refuses_a_folder_that_is_not_an_export(qtbot, window, tmp_path):
    plain = tmp_path / "my model"
    plain.mkdir()
    (plain / "notes.txt").write_text("not a model")
    window.heal_action.trigger()
    dialog = window.file_dialog
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    dialog.findChild(QLineEdit).setText(str(plain))
    dialog.accept()
    title, text = window.last_message
    assert title == "Cannot heal this folder"
    assert "not a headmix export (no headmix.json)" in text and "Choose a folder that headmix exported" in text
    assert window.heal_worker is None


def test_file_heal_then_the_quality_tab_shows_original_shrunk_healed(qtbot, window, healable, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(healable["export"], folder)
    _set_targets(qtbot, window, healable)  # the plan the export carried out
    dialog = window.heal_folder_chosen(str(folder))
    assert dialog.choice.check.isHidden() and dialog.heal_button.isEnabled()
    dialog.choice.tokens.setValue(QUICK.tokens)
    dialog.choice.options = lambda: QUICK
    with qtbot.waitSignal(window.heal_finished, timeout=120_000) as finished:
        dialog.accept()
    assert finished.args[0].kept  # as the core's own test of this heal finds
    quality = window.quality
    qtbot.waitUntil(lambda: quality.sample is not None, timeout=20_000)
    assert quality.sample.info.sha256 != hashlib.sha256(healable["text"].read_bytes()).hexdigest()  # the default text
    with qtbot.waitSignal(quality.healed_measured, timeout=120_000) as measured:
        with qtbot.waitSignal(quality.measurement_finished, timeout=120_000):
            assert window.measure_quality()
    healed = measured.args[0]
    assert healed.text.sha256 == quality.sample.info.sha256
    assert len(quality.pair.values) == 3 and quality.pair.bars[2].isVisible()
    assert "healed" in quality.summary.text() and str(folder) in quality.healed_line.text()
    assert not quality.healed_line.isHidden()
    # measured on the text it was healed on, the tab says so rather than flatter it
    with qtbot.waitSignal(quality.text_ready, timeout=20_000):
        quality.use_text_file(str(healable["text"]))
    with qtbot.waitSignal(quality.measurement_finished, timeout=120_000):
        assert window.measure_quality()
    assert "healed on this text" in quality.healed_line.text() and len(quality.pair.values) == 2


def test_a_family_the_heal_cannot_run_greys_the_choice_with_the_reason(qtbot, window, model_dir, tmp_path):
    """GPT-2 has a tokenizer and torch is there, but its fused attention cannot be healed: the export dialog
    must not offer a heal that ``shrink --heal`` refuses and that would fail after the export."""
    import tiny_text

    source = tmp_path / "gpt2"
    shutil.copytree(model_dir("gpt2"), source)
    tiny_text.save_tokenizer(source)
    open_demo(qtbot, window, source)
    layer = window.arch.layers[0]
    with qtbot.waitSignal(window.plan_changed):
        window.panel.set_values(layer.num_heads - 1, layer.num_kv_heads - 1, layer.head_dim, "mean", 0, "all")
    window.choose_export_folder()
    heal = window.export_dialog.heal
    assert not heal.check.isEnabled() and heal.options() is None
    assert "Healing cannot run on this model" in heal.note.text() and "its attention is fused" in heal.note.text()
