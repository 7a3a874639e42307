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


def test_an_unchanged_layers_title_fits_beside_its_controls(qtbot, window):
    """The tryout: "Layer 0 — unchanged by these targets (identi" at 1480×900."""
    from conftest import open_demo

    window.resize(1480, 880)
    open_demo(qtbot, window)
    window.show()
    qtbot.waitExposed(window)
    label = window.preview.layer_label
    assert "unchanged" in label.text()
    font = label.font()
    font.setBold(True)
    from PySide6.QtGui import QFontMetrics

    assert QFontMetrics(font).horizontalAdvance(label.text()) <= label.width()


def test_a_two_line_path_label_keeps_its_sentence_whole_and_the_paths_end(qtbot):
    """The tryout: "Healed on 2,048 tokens, measured on th...ows: /tmp/tryout/me/smollm2-kv1-healed"."""
    from headmix.gui.labels import LineLabel

    label = LineLabel(middle=True, lines=2)
    qtbot.addWidget(label)
    sentence = "Healed on 2,048 tokens, measured on the same text and windows"
    label.setText(f"{sentence} · /tmp/a/rather/long/folder/of/exports/and/more/smollm2-135m-kv1-calibrated-healed")
    label.resize(label.fontMetrics().horizontalAdvance(sentence) + 10, label.sizeHint().height())
    first, second = label.shown_lines()
    assert first == sentence
    assert "…" in second and second.endswith("healed") and second.startswith("/tmp")
