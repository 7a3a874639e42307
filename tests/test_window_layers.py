"""Fewer decoder layers in the window: the control, the background choice, the tree and chart that
show it, previews of the smaller model, undo, command line, refusals, export, closing."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

import hf_models
import tiny_text
from conftest import gate, open_demo
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.shrink_run import ShrinkRun

pytestmark = pytest.mark.interop


def four_layers(folder, family="llama", quiet=2):
    """A tiny 4-layer model with a tokenizer; layer ``quiet`` writes nothing, so block influence removes it first."""
    extra = {"num_hidden_layers": 4}
    if family.startswith("gemma"):
        extra["layer_types"] = ["sliding_attention", "full_attention"] * 2
    model = hf_models.build(family, **extra)
    if quiet is not None:
        with torch.no_grad():
            for name, p in model.model.layers[quiet].named_parameters():
                if "o_proj" in name or "down_proj" in name:
                    p.zero_()
    hf_models.save(model, folder)
    tiny_text.save_tokenizer(folder)
    return folder


@pytest.fixture
def llama4(tmp_path):
    return four_layers(tmp_path / "llama4")


def layer_nodes(window):
    return [n for n in window.tree_model.iter_nodes() if n.kind == "layer"]


def shape_text(window, node):
    return window.tree_model.data(window.tree_model.createIndex(node.row(), 1, node))


def name_text(window, node):
    return window.tree_model.data(window.tree_model.createIndex(node.row(), 0, node))


def choose(qtbot, window, **values):
    """Set the panel (num_layers, layer_method, and any head targets) and wait for the layer choice."""
    v = {**window.panel.values(), **values}
    with qtbot.waitSignal(window.layers_chosen, timeout=60000):
        window.panel.set_values(v["heads"], v["kv_heads"], v["head_dim"], v["method"], v["seed"], v["layers"],
                                v["num_layers"], v["layer_method"])


def test_the_decoder_layers_control_changes_the_plan_the_summary_and_the_command(qtbot, window, llama4):
    open_demo(qtbot, window, llama4)
    panel = window.panel
    assert (panel.num_layers.minimum(), panel.num_layers.maximum(), panel.num_layers.value()) == (1, 4, 4)
    assert window.plan.reduction is None and "--num-layers" not in window.command_line()
    for name in ("drop", "merge", "fit"):  # each method says what it does, on hover and below the combo
        index = panel.layer_method.findText(name)
        assert panel.layer_method.itemData(index, Qt.ItemDataRole.ToolTipRole).startswith(("Remove", "Remove them"))
    before = window.plan.params_after
    with qtbot.waitSignal(window.plan_changed):
        panel.num_layers.setValue(3)
    plan = window.plan
    assert plan.reduction is not None and plan.reduction.num_layers == 3
    assert plan.params_after < before and plan.params_before == before
    # the layer method opens at the measured default: fit, on a pre-norm model with a tokenizer
    assert panel.layer_method.currentText() == "fit"
    assert panel.decoder_label.text() == "Decoder layers: 4 → 3 (fit)"
    assert panel.params_label.text().endswith(plan.params_after and panel.params_label.text().split("→ ")[1])
    assert "decoder layers 4 → 3" in window.plan_status.text()
    with qtbot.waitSignal(window.plan_changed):
        panel.layer_method.setCurrentText("merge")
    assert panel.layer_method_help.text().startswith("Remove the same layers, each averaged")
    line = window.command_line()
    assert "--num-layers 3 --layer-method merge" in line and "3layers-merge" in line
    window.copy_command()
    assert QApplication.clipboard().text() == line


def test_the_choice_runs_in_the_background_and_the_tree_and_chart_show_it(qtbot, window, llama4):
    open_demo(qtbot, window, llama4)
    window.select_layer(3)
    with qtbot.waitSignal(window.layers_chosen, timeout=60000):
        window.panel.num_layers.setValue(3)
        # nothing is chosen on the window's thread: the previews wait for the worker
        assert window.choice_worker is not None and "choosing layers" in window.preview.layer_label.text()
        assert window.layers_view.state == "choosing"
    expected = ShrinkRun.build(open_checkpoint(llama4), window.current_request()).final().reduction.choice()
    assert expected.removed == (2,)
    removed = [n.layer for n in layer_nodes(window) if shape_text(window, n).startswith("removed")]
    assert removed == list(expected.removed)
    assert [name_text(window, n) for n in layer_nodes(window)] == ["layer 0", "layer 1", "layer 2", "layer 3 → 2"]
    node = layer_nodes(window)[2]
    assert window.tree_model.data(window.tree_model.createIndex(node.row(), 0, node),
                                  Qt.ItemDataRole.ForegroundRole) is not None  # greyed
    # the chart: every layer's score, the removed one in its own colour, and which score it is
    chart = window.layers_view.chart
    np.testing.assert_allclose(chart.scores, expected.scores)
    assert list(chart.removed_bars.opts["x"]) == [2.0] and list(chart.kept_bars.opts["x"]) == [0.0, 1.0, 3.0]
    assert "block influence" in window.layers_view.message.text()
    assert chart.plot.getAxis("left").labelText.startswith("block influence")
    assert chart.describe(3) == f"layer 3: score {expected.scores[3]:.4g} · stays, as layer 2"
    assert "removed" in chart.describe(2)
    # the previews draw the smaller model: source layer 3 is its layer 2
    assert window.preview.layer_label.text().startswith("Layer 3 → 2 — ")
    np.testing.assert_array_equal(window.preview.matrices["q_heads"].matrix, window.final_plan.heatmaps(2)["q_heads"])
    window.select_layer(2)
    assert "removed: no matrices" in window.preview.layer_label.text()
    assert window.preview.matrices["q_heads"].matrix is None


def test_merge_marks_the_layer_that_absorbs_and_a_new_count_reuses_the_scores(qtbot, window, llama4, monkeypatch):
    import headmix.core.shrink.layer_removal as layer_removal

    open_demo(qtbot, window, llama4)
    choose(qtbot, window, num_layers=3, layer_method="merge")
    nodes = layer_nodes(window)
    assert name_text(window, nodes[1]) == "layer 1 + merged 2" and name_text(window, nodes[3]) == "layer 3 → 2"
    assert shape_text(window, nodes[2]) == "merged into 1"
    assert "averaged into layer 1" in window.tree_model.data(window.tree_model.createIndex(nodes[2].row(), 0, nodes[2]),
                                                             Qt.ItemDataRole.ToolTipRole)
    # the scores depend on the text only: another layer count is chosen at once, without running it again
    monkeypatch.setattr(layer_removal, "block_influence", lambda *a, **k: pytest.fail("the text ran again"))
    with qtbot.waitSignal(window.plan_changed):
        window.panel.num_layers.setValue(2)
    assert window.layer_choice is not None and len(window.layer_choice.kept) == 2  # before any worker reported
    assert [n.layer for n in layer_nodes(window) if window.tree_model.removed(n.layer)] == list(window.layer_choice.removed)
    assert all(shape_text(window, n) in ("removed", "merged into 0", "merged into 1", "merged into 3")
               for n in layer_nodes(window) if window.tree_model.removed(n.layer))
    qtbot.waitUntil(lambda: window.choice_worker is None, timeout=20000)


def test_undo_redo_and_presets_carry_the_layer_targets(qtbot, window, llama4):
    open_demo(qtbot, window, llama4)
    panel = window.panel
    with qtbot.waitSignal(window.plan_changed):
        panel.num_layers.setValue(3)
    with qtbot.waitSignal(window.plan_changed):
        panel.layer_method.setCurrentText("merge")
    assert window.undo_stack.undo_text() == "layer method fit → merge"
    window.undo_stack.undo()
    assert panel.values()["layer_method"] == "fit" and window.plan.reduction.method.value == "fit"
    window.undo_stack.undo()
    assert panel.values()["num_layers"] == 4 and window.plan.reduction is None
    window.undo_stack.redo()
    window.undo_stack.redo()
    assert (panel.values()["num_layers"], panel.values()["layer_method"]) == (3, "merge")
    assert "--num-layers 3 --layer-method merge" in window.command_line()
    path = window.save_preset("three layers")
    assert json.loads(path.read_text())["num_layers"] == 3
    window.reset_targets()
    assert panel.values()["num_layers"] == 4 and window.plan.reduction is None
    assert window.load_preset_file(path)
    assert (panel.values()["num_layers"], panel.values()["layer_method"]) == (3, "merge")


def test_a_refused_combination_is_explained_next_to_the_control(qtbot, window, tmp_path):
    open_demo(qtbot, window, four_layers(tmp_path / "bert", "bert", quiet=None))  # post-norm: the whole stream normalised
    panel = window.panel
    fit = panel.layer_method.findText("fit")
    assert not panel.layer_method.model().item(fit).isEnabled()
    assert "normalise" in panel.layer_method.itemData(fit, Qt.ItemDataRole.ToolTipRole)
    v = panel.values()
    panel.set_values(v["heads"], v["kv_heads"], v["head_dim"], v["method"], 0, "all", 3, "fit")  # as a preset might
    assert window.plan is None
    assert panel.errors["num_layers"].isVisible() and "normalise" in panel.errors["num_layers"].text()
    assert window.layers_view.state == "invalid"
    panel.set_values(4, 2, v["head_dim"], v["method"], 0, "0-1", 3, "drop")
    assert window.plan is None and "either fewer layers" in panel.errors["num_layers"].text()
    panel.set_values(4, 2, v["head_dim"], v["method"], 0, "all", 3, "drop")
    assert window.plan is not None and not panel.errors["num_layers"].isVisible()
    qtbot.waitUntil(lambda: window.choice_worker is None, timeout=30000)


def test_a_model_without_a_tokenizer_chooses_by_weights(qtbot, window):
    open_demo(qtbot, window)  # the demo has no tokenizer
    # fit needs a calibration text: greyed with the reason, and drop is the default instead
    panel = window.panel
    fit = panel.layer_method.model().item(panel.layer_method.findText("fit"))
    assert not fit.isEnabled() and "no tokenizer.json" in panel.layer_method.itemData(
        panel.layer_method.findText("fit"), Qt.ItemDataRole.ToolTipRole)
    assert panel.layer_method.currentText() == "drop"
    choose(qtbot, window, num_layers=3)
    assert "data-free" in window.layer_choice.score_kind and "data-free" in window.layers_view.message.text()
    assert window.layers_view.chart.plot.getAxis("left").labelText == "weight score (data-free)"


def gate_choice(monkeypatch, per_layer: float = 5.0):
    """Each layer of the choice's walk waits until the gate opens (or ``per_layer`` seconds), as on a large model."""
    import headmix.core.model.layer_step as layer_step

    return gate(monkeypatch, layer_step, "finish_layer", per_layer)


def test_cancel_then_choose_again(qtbot, window, llama4, monkeypatch):
    open_demo(qtbot, window, llama4)
    window.preview.setCurrentWidget(window.layers_view)
    gate = gate_choice(monkeypatch, per_layer=0.2)
    window.panel.num_layers.setValue(3)
    assert gate.entered.wait(10)
    assert window.layers_view.progress.isVisible() and window.layers_view.cancel_button.isVisible()
    qtbot.mouseClick(window.layers_view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.choice_worker is None, timeout=10000)  # its signals come from its own thread
    assert window.layers_view.state == "cancelled" and window.layers_view.choose_button.isVisible()
    assert "cancelled" in window.preview.layer_label.text()
    gate.set()
    with qtbot.waitSignal(window.layers_chosen, timeout=30000):
        qtbot.mouseClick(window.layers_view.choose_button, Qt.MouseButton.LeftButton)
    assert window.layer_choice.removed == (2,)


def test_a_new_request_abandons_an_obsolete_choice(qtbot, window, llama4, monkeypatch):
    open_demo(qtbot, window, llama4)
    gate = gate_choice(monkeypatch, per_layer=0.2)
    window.panel.num_layers.setValue(3)
    first = window.choice_worker
    assert gate.entered.wait(10)
    with qtbot.waitSignal(window.plan_changed):
        window.panel.num_layers.setValue(4)
    assert first.is_cancelled() and window.choice_worker is None
    gate.set()
    qtbot.waitUntil(lambda: not window.session.jobs.running("choice"), timeout=10000)
    assert window.layer_choice is None and window.layers_view.state == "idle"


def test_closing_during_a_choice_is_quick(qtbot, window, llama4, monkeypatch):
    open_demo(qtbot, window, llama4)
    gate = gate_choice(monkeypatch, per_layer=30.0)
    window.panel.num_layers.setValue(3)
    assert gate.entered.wait(10)
    started = time.monotonic()
    with qtbot.waitSignal(window.closed, timeout=10000):
        window.close()
        assert not window.isVisible()  # gone at once; the process ends when the layer being scored is done
        gate.set()
    assert time.monotonic() - started < 5
    assert not window.session.jobs.running("choice")


def test_export_chooses_the_layers_first_and_writes_what_the_window_showed(qtbot, window, llama4, tmp_path, monkeypatch):
    open_demo(qtbot, window, llama4)
    gate = gate_choice(monkeypatch, per_layer=0.2)
    window.panel.num_layers.setValue(3)
    stages = []
    with qtbot.waitSignal(window.export_finished, timeout=60000):
        window.start_export(tmp_path / "out")
        for worker in (window.export_worker, window.choice_worker):  # the export waits for the window's choice
            (worker.choosing if worker is window.export_worker else worker.stage).connect(
                lambda *a: stages.append(window.panel.progress_label.text()))
        assert window.panel.progress_label.text() == "choosing layers first…"
    gate.set()
    assert any(s.startswith("choosing layers first: ") for s in stages)
    record = json.loads((tmp_path / "out" / "headmix.json").read_text())["layer_reduction"]
    qtbot.waitUntil(lambda: window.layer_choice is not None, timeout=30000)
    assert record["removed"] == list(window.layer_choice.removed) == [2]
    shrunk = hf_models.load("llama", tmp_path / "out")
    assert len(shrunk.model.layers) == 3


def test_quality_compares_fewer_heads_with_fewer_layers_at_the_same_size(qtbot, window, llama4):
    from test_window_quality import open_model

    quality = open_model(qtbot, window, llama4)
    window.preview.setCurrentWidget(quality)
    assert not quality.compare_button.isEnabled()  # nothing shrinks yet: nothing to compare
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    assert quality.compare_button.isEnabled() and quality.compare_button.text() == "Compare with fewer layers at this size"
    with qtbot.waitSignal(quality.comparison_finished, timeout=120000):
        qtbot.mouseClick(quality.compare_button, Qt.MouseButton.LeftButton)
    (heads_label, heads, heads_key), (layers_label, layers, layers_key) = quality.comparison["rows"]
    assert heads is window.plan and layers.reduction is not None
    # of every layer count, the one nearest in parameters
    candidates = {n: ShrinkRun.build(open_checkpoint(llama4), window.current_request().with_overrides(num_layers=n)).params_after
                  for n in range(1, 4)}
    assert layers.reduction.num_layers == min(candidates, key=lambda n: abs(candidates[n] - heads.params_after))
    per_layer = heads.params_before - candidates[3]
    assert abs(layers.params_after - heads.params_after) <= per_layer / 2
    results = [quality.cache[heads_key], quality.cache[layers_key]]
    assert all(r.after is not None for r in results) and len(results[1].layers) == layers.reduction.num_layers
    best = ("fewer heads", "fewer layers")[int(results[1].after.mean_nll < results[0].after.mean_nll)]
    assert quality.compare_verdict.text().startswith(best.capitalize() + " costs less here")
    assert quality.compare_box.isVisible() and "same number of parameters" in quality.compare_text.text()
    assert "fewer heads (current)" in quality.compare_table.text()
    # the current plan was measured too: its numbers are on the tab
    assert quality.state == "measured" and quality.shown is results[0]

    # from the other side: fewer layers, compared with the nearest buildable head counts
    with qtbot.waitSignal(window.layers_chosen, timeout=60000):
        window.panel.set_values(8, 4, 16, "select", 0, "all", 3, "drop")
    assert quality.compare_button.text() == "Compare with fewer heads at this size"
    with qtbot.waitSignal(quality.comparison_finished, timeout=120000):
        assert window.compare_quality()
    (_, heads, _), (_, layers, key) = quality.comparison["rows"]
    assert layers is window.plan and heads.reduction is None and heads.num_heads < 8
    assert abs(heads.params_after - layers.params_after) <= per_layer / 2
    assert quality.cache[key].before is not None and format_ppl(quality.cache[key]) in quality.compare_verdict.text()


def format_ppl(result):
    from headmix.gui.formatting import format_perplexity

    return format_perplexity(result.after.perplexity, result.after.mean_nll)


def test_measuring_fewer_layers_maps_the_chart_back_to_the_source_layers(qtbot, window, llama4):
    from test_window_quality import measure, open_model

    quality = open_model(qtbot, window, llama4)
    window.preview.setCurrentWidget(quality)
    choose(qtbot, window, heads=4, kv_heads=2, method="select", num_layers=3)
    result = measure(qtbot, window)
    assert len(result.layers) == 3 and all(e.changed for e in result.layers)
    assert "of the smaller model" in quality.worst.text() and "3-layer model" in quality.output_error.text()
    quality.layer_clicked.emit(2)  # the smaller model's layer 2 is the source's layer 3
    assert window.selected_layer == 3 and quality.layers_chart.selected_layer == 2
    window.select_layer(2)  # removed: nothing to outline in the measured model
    assert quality.layers_chart.selected_layer is None


@pytest.mark.parametrize("size", [(1480, 880), (1024, 640)])
def test_fewer_layers_moves_nothing(qtbot, window, size):
    from test_window_layout import geometry, moved, settle

    window.resize(*size)
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    settle()
    reference = geometry(window)
    for layers, method in ((3, "drop"), (2, "merge"), (4, "drop")):
        with qtbot.waitSignal(window.plan_changed):
            window.panel.set_values(4, 2, 16, "select", 0, "all", layers, method)
        qtbot.waitUntil(lambda: window.choice_worker is None, timeout=20000)
        for layer in (0, 2, 3):
            window.select_layer(layer)
            settle()
            assert not moved(reference, geometry(window)), f"{layers} {method} layer {layer}: {moved(reference, geometry(window))}"


def test_measuring_while_the_window_chooses_says_it_waits_for_that_choice(qtbot, window, llama4, monkeypatch):
    from test_window_quality import open_model

    quality = open_model(qtbot, window, llama4)
    window.preview.setCurrentWidget(quality)
    gate = gate_choice(monkeypatch, per_layer=30.0)
    window.panel.num_layers.setValue(3)
    assert gate.entered.wait(10)  # the window's own choice is under way
    quality.measure_button.click()
    qtbot.waitUntil(lambda: "waiting for the choice under way" in quality.progress.format(), timeout=5000)
    with qtbot.waitSignal(quality.measurement_finished, timeout=60000):
        gate.set()
    assert quality.state == "measured"
