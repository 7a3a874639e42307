"""The status bar's temporary message never runs into the summary on its right (the tryout: "…as it was before t"
touching "smollm2 · llama…" after a heal was cancelled)."""

from __future__ import annotations

from conftest import open_demo


def test_a_long_message_ends_before_the_summary_with_a_gap(qtbot, window):
    open_demo(qtbot, window)
    window.resize(1000, 600)
    window.show()
    qtbot.waitExposed(window)
    bar, summary = window.statusBar(), window.plan_status
    qtbot.waitUntil(lambda: summary.x() > 0 and summary.text() != "")
    long = "Heal cancelled; " + "/a/rather/long/folder/name" * 12 + " is as it was before the heal."
    bar.showMessage(long, 10000)
    shown = bar.currentMessage()
    assert shown != long and shown.endswith("…") and bar.toolTip() == long
    # Qt draws the message from 6 px on; it must end at least 10 px before the summary starts
    assert 6 + bar.fontMetrics().horizontalAdvance(shown) <= summary.x() - 10
    bar.showMessage("Copied: headmix shrink demo", 10000)  # a short one is shown whole, without a tooltip
    assert bar.currentMessage() == "Copied: headmix shrink demo" and bar.toolTip() == ""
