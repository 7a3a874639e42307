"""A verdict per runtime in the Preview, and the rotary pairs choice whose difference they show (issue 14)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from conftest import open_demo
from headmix.core.plan.runtimes import RUNTIMES
from headmix.gui.labels import STATUS_COLOURS

LLAMA_CPP = "llama.cpp / Ollama (GGUF)"


def shown(window) -> dict[str, str]:
    """Each runtime's line as the Preview shows it."""
    return {runtime: window.panel.verdicts.line(runtime) for runtime in RUNTIMES}


def assert_lists_the_plan(window) -> None:
    expected = window.plan.verdicts()
    assert [v.runtime for v in expected] == list(RUNTIMES)
    assert window.panel.verdicts.verdicts == expected
    assert shown(window) == {v.runtime: f"{v.status.mark} {v.runtime}: {v.reason}" for v in expected}
    for row, v in enumerate(expected):  # the whole reason on hover, the mark in its status colour
        assert v.reason in window.panel.verdicts.reasons[row].toolTip()
        assert STATUS_COLOURS[v.status.value][0] in window.panel.verdicts.marks[row].styleSheet()


def test_the_preview_lists_every_runtime_with_the_cores_verdict(qtbot, window):
    open_demo(qtbot, window)
    heights = set()
    for values, marks in (
        ((8, 2, 32, "mean", 0, "all"), None),  # identity
        ((4, 2, 16, "select", 0, "all"), None),
        ((4, 2, 16, "mean", 0, "0-1"), {"transformers": "✘"}),  # only some layers: nothing loads it
        ((8, 2, 8, "article", 0, "all"), {"transformers": "⚠"}),
    ):
        window.panel.set_values(*values)
        assert window.plan is not None
        assert_lists_the_plan(window)
        for runtime, mark in (marks or {}).items():
            assert shown(window)[runtime].startswith(mark)
        heights.add(window.panel.verdicts.height())
    assert len(heights) == 1  # one line per runtime whatever the plan: nothing below moves


def test_invalid_targets_keep_the_lines_and_say_why(qtbot, window):
    open_demo(qtbot, window)
    window.panel.layers.setText("0-11")
    window.panel._layers_done()
    assert window.plan is None
    assert window.panel.verdicts.verdicts is None
    assert all(line.startswith("– ") and line.endswith("no plan for these targets") for line in shown(window).values())


def test_rotary_pairs_any_subset_shows_what_llama_cpp_does_with_the_pairs_kept(qtbot, window):
    open_demo(qtbot, window)
    panel = window.panel
    assert not panel.rotary_pairs.isEnabled() and "head size does not shrink" in panel.rotary_pairs.toolTip()
    with qtbot.waitSignal(window.plan_changed):
        panel.set_values(4, 2, 16, "select", 0, "all")
    assert panel.rotary_pairs.isEnabled() and panel.values()["rotary_pairs"] == "progression"
    assert shown(window)[LLAMA_CPP].startswith("✔")
    with qtbot.waitSignal(window.plan_changed):
        panel.rotary_pairs.setCurrentIndex(panel.rotary_pairs.findData("any"))
    assert panel.rotary_pairs.currentText() == "any subset"
    assert window.plan.request.rotary_pairs == "any" and "--rotary-pairs any" in window.command_line()
    assert_lists_the_plan(window)
    # select has chosen its pairs (the demo's scores are in): the verdict is for those pairs, not the worst case
    from headmix.core.model.rope import progression

    subset = progression(window.plan.kept_pairs) is None
    assert shown(window)[LLAMA_CPP].startswith("✘" if subset else "✔")
    assert not subset or "longrope" in shown(window)[LLAMA_CPP]
    assert shown(window)["ollama create"].startswith("✘") and shown(window)["vLLM"].startswith("✔")
    # mean keeps every other pair, a progression anyway: any subset changes nothing, and the verdicts say so
    with qtbot.waitSignal(window.plan_changed):
        panel.method.setCurrentText("mean")
    assert shown(window)[LLAMA_CPP].startswith("✔")
    # undo goes back through the choice; the head size back to the model's turns it off and out of the command
    window.undo_action.trigger()
    assert panel.values()["method"] == "select" and shown(window)[LLAMA_CPP].startswith("✘" if subset else "✔")
    window.undo_action.trigger()
    assert panel.values()["rotary_pairs"] == "progression" and shown(window)[LLAMA_CPP].startswith("✔")
    window.redo_action.trigger()
    assert panel.values()["rotary_pairs"] == "any"
    with qtbot.waitSignal(window.plan_changed):
        panel.head_dim.setValue(32)
    assert not panel.rotary_pairs.isEnabled() and panel.values()["rotary_pairs"] == "any"  # kept for when it applies
    assert window.plan.request.rotary_pairs == "progression" and "--rotary-pairs" not in window.command_line()
    with qtbot.waitSignal(window.plan_changed):
        panel.set_values(4, 2, 16, "select", 0, "all")  # the choice is kept across other changes
    assert window.plan.request.rotary_pairs == "any"
    with qtbot.waitSignal(window.plan_changed):
        panel.method.setCurrentText("article")
    assert not panel.rotary_pairs.isEnabled() and "article" in panel.rotary_pairs.toolTip()


def test_rotary_pairs_travel_with_presets(qtbot, window):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "select", 0, "all", rotary_pairs="any")
    path = window.save_preset("any pairs")
    assert '"rotary_pairs": "any"' in path.read_text()
    window.panel.set_values(8, 2, 32, "mean", 0, "all", rotary_pairs="progression")
    assert window.load_preset_file(path)
    assert window.panel.values()["rotary_pairs"] == "any" and window.plan.request.rotary_pairs == "any"


@pytest.mark.parametrize("family", ["gpt2", "phi3"])
def test_rotary_pairs_are_greyed_where_they_cannot_apply(qtbot, window, model_dir, family):
    with qtbot.waitSignal(window.importance_ready, timeout=20000):
        window.open_path(model_dir(family))
    panel = window.panel
    choices = panel.head_dim.choices()
    smaller = [d for d in choices if d < window.arch.head_dim]
    if smaller:
        with qtbot.waitSignal(window.plan_changed):
            panel.head_dim.setValue(smaller[-1])
    assert not panel.rotary_pairs.isEnabled()
    why = {"gpt2": "no rotary embeddings", "phi3": "plain rope"}[family]
    assert why in panel.rotary_pairs.toolTip()
    if window.plan is not None:
        assert_lists_the_plan(window)


def test_verdict_colours_follow_a_dark_palette(qtbot, window):
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "mean", 0, "0-1")
    app = QApplication.instance()
    light = app.palette()
    dark = QPalette(light)
    for role, colour in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.WindowText, "#e8e8e8")):
        dark.setColor(role, QColor(colour))
    try:
        app.setPalette(dark)
        QApplication.processEvents()
        row = list(RUNTIMES).index("transformers")
        assert STATUS_COLOURS["no"][1] in window.panel.verdicts.marks[row].styleSheet()
    finally:
        app.setPalette(light)
        QApplication.processEvents()
    assert STATUS_COLOURS["no"][0] in window.panel.verdicts.marks[row].styleSheet()


def test_the_verdicts_fit_a_small_window(qtbot, window):
    window.resize(1024, 640)
    open_demo(qtbot, window)
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    QApplication.processEvents()
    panel = window.panel
    box = panel.summary_box  # the Preview, fixed above Export
    assert box.mapTo(window, box.rect().topRight()).x() < window.width()  # nothing clipped at the right
    for row in range(len(RUNTIMES)):
        reason = panel.verdicts.reasons[row]
        assert reason.width() > 40 and reason.shown_text()  # some of every reason is readable
        right = reason.mapTo(box, reason.rect().topRight()).x()
        assert right <= box.width()
        assert reason.visibleRegion().boundingRect().size() == reason.size()  # not scrolled or squeezed out of view


def test_the_window_shows_what_any_subset_changes(qtbot, window, tmp_path):
    """On a model whose best pairs form no progression: progression keeps the best progression and says how much
    score any subset would add; any subset keeps the best pairs through longrope, and llama.cpp says no."""
    import synthetic
    from headmix.gui.plan_text import pair_span

    model = synthetic.write(tmp_path / "m", "llama", 2, 4, 2, 32)
    open_demo(qtbot, window, model)
    status = window.preview.status
    window.panel.set_values(4, 2, 16, "select", 0, "all")
    pairs = window.plan.kept_pairs
    assert status.info.text() == (f"Keeps rotary pairs {pair_span(pairs)} of 16 (progression: plain rope) · any subset "
                                  "would score 2.1% more (longrope: not llama.cpp or ollama create)")
    assert shown(window)[LLAMA_CPP].startswith("✔")
    with qtbot.waitSignal(window.plan_changed):
        window.panel.rotary_pairs.setCurrentIndex(window.panel.rotary_pairs.findData("any"))
    subset = window.plan.kept_pairs
    assert status.info.text() == (f"Keeps rotary pairs {pair_span(subset)} of 16 (any subset: longrope, not llama.cpp or "
                                  f"ollama create) · the best progression, {pair_span(pairs)}, scores 98% of these")
    assert shown(window)[LLAMA_CPP].startswith("✘")
    assert_lists_the_plan(window)


@pytest.mark.interop
def test_the_verdicts_follow_the_calibrated_choice_of_pairs(qtbot, window, tokenized_llama):
    """Any subset with the calibrated method: llama.cpp is refused while the pairs are being chosen, and once the
    calibration has chosen them the list says what the export will write."""
    from headmix.core.model.rope import progression

    open_demo(qtbot, window, tokenized_llama)
    window.panel.set_values(4, 2, 8, "calibrated", 0, "all", rotary_pairs="any")
    assert window.plan._kept_pairs is None and shown(window)[LLAMA_CPP].startswith("✘")
    qtbot.waitUntil(lambda: window.calibration_worker is None, timeout=30000)
    pairs = window.plan.kept_pairs
    assert shown(window)[LLAMA_CPP].startswith("✘" if progression(pairs) is None else "✔")
    assert_lists_the_plan(window)


@pytest.mark.interop
def test_the_rotary_pairs_line_says_what_an_offset_would_cost_on_gemma3(qtbot, window, tmp_path):
    """Gemma 3's sliding layers take no rope factor in llama.cpp or mlx-lm: select keeps pairs from pair 0, and the
    line names the best offset progression, its score and the runtimes that would lose it."""
    import hf_models
    from headmix.core.model.rope import best_progression
    from headmix.gui.plan_text import pair_span

    folder = hf_models.save_model(
        "gemma3_text", tmp_path / "gemma3", seed=3, num_hidden_layers=6, query_pre_attn_scalar=16,
        layer_types=["sliding_attention"] * 5 + ["full_attention"])
    open_demo(qtbot, window, folder)
    window.panel.set_values(8, 4, 8, "select", 0, "all")
    pairs = window.plan.kept_pairs
    assert pairs[0] == 0 and shown(window)[LLAMA_CPP].startswith("✔") and shown(window)["mlx-lm"].startswith("✔")
    scores = window.plan.known_pair_scores()
    offset = best_progression(scores, 4)
    assert offset[0] > 0  # this model's best progression is an offset one: the choice costs something
    more = 100 * (scores[offset].sum() / scores[pairs].sum() - 1)
    text = window.preview.status.info.text()
    assert text.startswith(f"Keeps rotary pairs {pair_span(pairs)} of 8 (progression: plain rope)")
    assert (f"· from pair {offset[0]}, {pair_span(offset)} would score {more:.1f}% more (a linear factor: not llama.cpp "
            "or mlx-lm or ollama create)") in text
