"""The tryout's cosmetic defects (item 9): an empty Tensor values tab drew axes around nothing, and a read-only
model showed 0/0/0 and one decoder layer in its greyed spin boxes."""

from __future__ import annotations

import json

import synthetic


def test_tensor_values_draws_no_axes_until_a_tensor_is_picked(qtbot, window, demo_folder):
    histogram = window.preview.histogram
    assert not histogram.plot.isVisibleTo(histogram) and "Pick a tensor" in histogram.stats.text()
    with qtbot.waitSignal(window.checkpoint_opened):
        window.open_path(demo_folder)
    window.show_tensor("model.layers.0.self_attn.q_proj.weight")
    assert histogram.plot.isVisibleTo(histogram) and "values" in histogram.stats.text()


def test_a_read_only_model_shows_its_own_numbers(qtbot, window, tmp_path):
    folder = synthetic.write(tmp_path / "mismatch", "llama", 3, 4, 2, 8)
    config = json.loads((folder / "config.json").read_text())
    config["num_attention_heads"] = 8  # the tensors say 4: a problem, so the model opens read-only
    (folder / "config.json").write_text(json.dumps(config))
    with qtbot.waitSignal(window.checkpoint_opened):
        assert window.open_path(folder)
    panel, arch = window.panel, window.arch
    assert not arch.usable and not panel.isEnabled()
    shown = [spin.text() for spin in (panel.heads, panel.kv_heads, panel.head_dim, panel.num_layers)]
    assert shown == [str(arch.num_heads), str(arch.num_kv_heads), str(arch.head_dim), "3"]
    # a model with no attention recognised at all: "?" rather than 0
    config["model_type"] = "mamba"
    (folder / "config.json").write_text(json.dumps(config))
    with qtbot.waitSignal(window.checkpoint_opened):
        assert window.open_path(folder)
    assert window.arch.num_heads is None and panel.heads.text() == "?"
    assert "0" not in [spin.text() for spin in (panel.heads, panel.kv_heads, panel.head_dim)]
    # and a usable model afterwards shows plain numbers again
    with qtbot.waitSignal(window.importance_ready, timeout=20000):
        window.open_path(synthetic.write(tmp_path / "fine", "llama", 2, 4, 2, 8))
    assert [panel.heads.text(), panel.num_layers.text()] == ["4", "2"]
