"""The window, offscreen, driven the way a user drives it; waits on signals, never on sleeps."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from conftest import DEMO, open_demo
from headmix.core.io.checkpoint import open_checkpoint
from headmix.gui.main_window import MainWindow
from headmix.gui.tree_model import CheckpointTreeModel


def nodes(window, kind):
    return [n for n in window.tree_model.iter_nodes() if n.kind == kind]


def test_tree_model_passes_the_model_tester(qtmodeltester):
    from headmix.core.model.architecture import detect

    model = CheckpointTreeModel()
    checkpoint = open_checkpoint(DEMO)
    model.set_checkpoint(checkpoint, detect(checkpoint))
    qtmodeltester.check(model)


def test_open_demo_fills_the_tree(qtbot, window):
    open_demo(qtbot, window)
    checkpoint = open_checkpoint(DEMO)
    assert len([n for n in nodes(window, "layer")]) == 4
    tensors = nodes(window, "tensor")
    assert sorted(n.tensor for n in tensors) == sorted(checkpoint.tensors)
    heads = nodes(window, "head")
    assert len(heads) == 4 * (8 + 2 + 2 + 8)  # q and o list query heads, k and v kv heads
    assert all(h.score is not None and h.score > 0 for h in heads)
    assert "llama" in window.model_label.text() and "4 layers" in window.model_label.text()
    assert window.panel.isEnabled() and window.panel.heads.value() == 8


def test_filter_narrows_the_tree(qtbot, window):
    open_demo(qtbot, window)

    def visible_tensors(parent=None):
        from PySide6.QtCore import QModelIndex

        parent = parent or QModelIndex()
        found = []
        for row in range(window.proxy.rowCount(parent)):
            index = window.proxy.index(row, 0, parent)
            node = window.tree_model.node(window.proxy.mapToSource(index))
            if node.kind == "tensor":
                found.append(node.tensor)
            found += visible_tensors(index)
        return found

    assert len(visible_tensors()) == len(open_checkpoint(DEMO).tensors)
    qtbot.keyClicks(window.filter, "o_proj")  # applied once typing pauses
    qtbot.waitUntil(lambda: sorted(visible_tensors()) == [f"model.layers.{i}.self_attn.o_proj.weight" for i in range(4)])


def test_targets_update_summary_and_heatmaps(qtbot, window):
    open_demo(qtbot, window)
    assert window.panel.verdicts.line("transformers").startswith("✔ transformers: loads in transformers")
    assert window.panel.method.currentText() == "mean"  # the default without a tokenizer: calibrated is greyed out
    calibrated = window.panel.method.model().item(window.panel.method.findText("calibrated"))
    assert not calibrated.isEnabled() and "tokenizer" in calibrated.toolTip()
    window.panel.set_values(8, 2, 32, "mean", 0, "all")
    with qtbot.waitSignal(window.plan_changed):
        window.panel.heads.setValue(4)
    assert "853.12K → " in window.panel.params_label.text() and "smaller" in window.panel.saved_label.text()
    assert window.preview.matrices["q_heads"].matrix.shape == (8, 4)
    with qtbot.waitSignal(window.plan_changed):
        window.panel.head_dim.setValue(16)
    assert window.preview.matrices["qk_dims"].matrix.shape == (32, 16)
    assert window.preview.matrices["v_dims"].value_at(1, 0) == pytest.approx(0.5)
    # the spin boxes only offer values that can be built
    assert window.panel.kv_heads.choices() == [1, 2]
    assert window.panel.head_dim.choices() == list(range(2, 33, 2))
    window.panel.heads.stepBy(-1)
    assert window.panel.heads.value() in window.panel.heads.choices()
    # the weight before/after toggle
    window.preview.toggle.setChecked(True)
    before, after = window.preview.weights.matrices
    assert before.shape == (256, 128) and after.shape == (256, 128)  # rows aligned: blank rows between kept ones
    assert 0 < np.isfinite(after[:, 0]).sum() < 256
    # selecting another layer in the tree selects it for the heatmaps
    layer2 = next(n for n in nodes(window, "layer") if n.layer == 2)
    window.select_layer(layer2.layer)
    assert window.preview.layer_label.text().startswith("Layer 2")
    assert window.preview.importance.scores.shape == (8,) and window.preview.importance.kept.sum() == window.plan.num_heads


def test_invalid_choice_is_explained_next_to_the_control(qtbot, window):
    open_demo(qtbot, window)
    with qtbot.waitSignal(window.plan_changed):
        window.panel.layers.setText("0-9")
        window.panel.layers.editingFinished.emit()
    assert window.plan is None and not window.panel.export_button.isEnabled()
    assert window.panel.errors["layers"].isVisibleTo(window.panel) and "layers 0-3" in window.panel.errors["layers"].text()
    assert window.last_message is None
    with qtbot.waitSignal(window.plan_changed):
        window.panel.layers.setText("1-2")
        window.panel.layers.editingFinished.emit()
    assert window.plan is not None and not window.panel.errors["layers"].isVisibleTo(window.panel)


def test_export_through_the_worker_loads(qtbot, window, tmp_path):
    import hf_models

    open_demo(qtbot, window)
    window.panel.set_values(4, 1, 16, "select", 0, "all")
    progress = []
    window.panel.progress.valueChanged.connect(progress.append)
    with qtbot.waitSignal(window.export_finished, timeout=30000) as blocker:
        window.start_export(tmp_path / "out")
        assert window.panel.progress_box.isVisibleTo(window.panel) and not window.panel.export_button.isEnabled()
    assert blocker.args == [str((tmp_path / "out").resolve())]
    assert progress and progress[-1] == 1000
    assert window.last_message[0] == "Export finished" and "Loads in transformers" in window.last_message[1]
    assert window.panel.export_button.isEnabled()
    model = hf_models.load("llama", tmp_path / "out")
    assert model.config.num_attention_heads == 4 and model.config.num_key_value_heads == 1
    assert np.isfinite(hf_models.outputs(model).numpy()).all()


def test_cancel_leaves_nothing(qtbot, window, tmp_path, monkeypatch):
    import threading

    import headmix.core.run.executor as executor_module

    open_demo(qtbot, window)
    window.panel.heads.setValue(4)
    gate = threading.Event()
    real = executor_module.copy_to

    def gated_copy(*args, **kwargs):
        gate.wait(10)  # hold the worker until the test has pressed Cancel
        return real(*args, **kwargs)

    monkeypatch.setattr(executor_module, "copy_to", gated_copy)
    with qtbot.waitSignal(window.export_cancelled, timeout=20000):
        window.start_export(tmp_path / "out")
        qtbot.mouseClick(window.panel.cancel_button, Qt.MouseButton.LeftButton)
        gate.set()
    assert list(tmp_path.glob("*out*")) == [] and list(tmp_path.glob(".*")) == []
    assert window.panel.export_button.isEnabled() and not window.panel.progress_box.isVisibleTo(window.panel)


def test_presets_round_trip(qtbot, window, tmp_path):
    open_demo(qtbot, window)
    window.panel.set_values(4, 1, 16, "random", 42, "0-2")
    path = window.save_preset("my shrink")
    assert path.parent == tmp_path / "presets" and path.exists()
    window.panel.set_values(8, 2, 32, "mean", 0, "all")
    window._fill_presets_menu()
    labels = [a.text() for a in window.presets_menu.actions()]
    assert "my shrink" in labels and "Halve query heads" in labels
    action = next(a for a in window.presets_menu.actions() if a.text() == "my shrink")
    with qtbot.waitSignal(window.plan_changed):
        action.trigger()
    assert window.panel.values() == {"heads": 4, "kv_heads": 1, "head_dim": 16, "method": "random", "seed": 42, "layers": "0-2",
                                     "num_layers": 4, "layer_method": "drop", "rotary_pairs": "progression",
                                     "calib_text": None, "calib_tokens": 4096}
    builtin = next(a for a in window.presets_menu.actions() if a.text() == "Halve query heads")
    builtin.trigger()
    assert window.panel.values()["heads"] == 4 and window.panel.values()["method"] == "mean"
    question = window.delete_preset(path.stem)
    qtbot.keyClick(question, Qt.Key.Key_Return)  # the default answer keeps it
    assert path.exists()
    question = window.delete_preset(path.stem)
    next(b for b in question.buttons() if b.text() == "Delete").click()
    assert not path.exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 1, "sparkle": true}')
    assert not window.load_preset_file(bad)
    assert window.last_message[0] == "Cannot load preset" and "sparkle" in window.last_message[1]


def test_invalid_file_shows_a_message_and_the_window_stays_usable(qtbot, window, tmp_path):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}......")
    assert not window.open_path(bad)
    title, text = window.last_message
    assert title == "Cannot open checkpoint" and "broken.safetensors" in text and "invalid JSON header" in text
    open_demo(qtbot, window)
    assert window.plan is not None


def test_drop_a_folder_and_settings_persist(qtbot, window, settings):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(DEMO))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.importance_ready, timeout=20000):
        window.dropEvent(event)
    assert window.checkpoint is not None and window.checkpoint.path == DEMO
    window.resize(window.width(), 555)  # the offscreen screen is small: change the height only
    window.close()
    again = MainWindow(settings)
    qtbot.addWidget(again)
    assert again.recent_files()[0] == str(DEMO.resolve())
    assert again.height() == 555  # restoreGeometry clamps the width to the small offscreen screen
    assert [a.text() for a in again.recent_menu.actions()][0] == str(DEMO.resolve())


def test_tensor_histogram_on_demand(qtbot, window):
    open_demo(qtbot, window)
    window.show_tensor("model.layers.1.mlp.up_proj.weight")
    text = window.preview.histogram.stats.text()
    assert "32,768 values" in text and "mean" in text and "std" in text


def test_every_control_has_a_tooltip(qtbot, window):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit

    controls = [w for cls in (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit) for w in window.findChildren(cls)]
    missing = [w for w in controls if not w.toolTip() and w.isVisibleTo(window) and w.parent().metaObject().className() not in ("QSpinBox", "QComboBox", "QScrollBar", "QTabBar")]
    missing = [w for w in missing if w.objectName() not in ("qt_spinbox_lineedit",) and type(w).__name__ != "QToolButton"]
    assert not missing, [f"{type(w).__name__} {w.text() if hasattr(w, 'text') else ''}" for w in missing]


@pytest.mark.parametrize("family", ["bert", "gpt2"])
def test_tied_kv_families_keep_a_valid_head_size(qtbot, window, model_dir, family):
    """Lowering the heads of a model without GQA moves kv heads along and keeps the head size."""
    with qtbot.waitSignal(window.importance_ready, timeout=20000):
        window.open_path(model_dir(family))
    with qtbot.waitSignal(window.plan_changed):
        window.panel.heads.setValue(3)
    assert window.panel.values()["heads"] == window.panel.values()["kv_heads"] == 3
    assert window.panel.values()["head_dim"] == 8 and window.plan is not None
    assert window.panel.verdicts.line("transformers").startswith("✘ transformers: will not load")


def test_an_impossible_combination_settles_without_touching_head_size(qtbot, window):
    open_demo(qtbot, window)
    window.panel.heads.stepBy(-10)
    assert window.panel.heads.value() == 2  # with 2 kv heads, 2 is the fewest query heads offered
    with qtbot.waitSignal(window.plan_changed):
        window.panel.set_values(3, 2, 32, "mean", 0, "all")  # e.g. from a preset: 2 does not divide 3
    values = window.panel.values()
    assert values["heads"] % values["kv_heads"] == 0 and values["head_dim"] == 32 and window.plan is not None


def test_select_waits_for_the_importance_worker_instead_of_freezing(qtbot, window):
    open_demo(qtbot, window)
    scores = dict(window.importance)
    window.importance.clear()  # as if the worker were still running on a large model
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    assert "waiting for importance scores (0/4 layers)" in window.preview.layer_label.text()
    assert window.importance == {}, "the window must not compute scores on the GUI thread"
    window.importance.update(scores)
    window._importance_finished(None)
    assert window.preview.layer_label.text() == "Layer 0 — select"
    assert window.preview.matrices["qk_dims"].matrix.shape == (32, 16)


def test_unknown_architecture_opens_read_only(qtbot, window, tmp_path):
    import json

    import synthetic

    folder = synthetic.write(tmp_path / "mystery", "llama", 1, 4, 2, 8)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "mamba"
    (folder / "config.json").write_text(json.dumps(config))
    with qtbot.waitSignal(window.checkpoint_opened):
        assert window.open_path(folder)
    assert not window.panel.isEnabled() and not window.export_action.isEnabled()
    assert "not recognised" in window.model_label.text() and "mamba" in window.model_label.text()
    assert len(nodes(window, "tensor")) == len(open_checkpoint(folder).tensors)
    window.show_tensor("model.layers.0.self_attn.q_proj.weight")
    assert "values" in window.preview.histogram.stats.text()
