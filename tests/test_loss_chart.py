"""The heal's loss chart has readable axes from its first step, and a new heal starts on an empty chart (the
tryout: after one step the loss axis read "655.913516879083 (x0.001)" and the tokens axis 511.6–512.4; a new heal
kept the cancelled one's axes until its first step)."""

from __future__ import annotations

from headmix.gui.plots.loss_chart import LossChart


def test_one_step_gives_axes_from_zero_tokens_and_a_readable_loss(qtbot):
    chart = LossChart()
    qtbot.addWidget(chart)
    chart.add(512, 0.6559)
    (x0, x1), (y0, y1) = chart.plot.viewRange()
    assert x0 == 0 and x1 >= 512
    assert y0 < 0.6559 < y1 and y1 - y0 >= 0.05  # a span the ticks can label with a few digits
    assert chart.plot.getAxis("left").autoSIPrefixScale == 1.0  # no "(x0.001)"
    chart.add(1024, 0.9)
    chart.add(1536, 0.7)
    (x0, x1), (y0, y1) = chart.plot.viewRange()
    assert x0 == 0 and x1 >= 1536 and y0 < 0.6559 and y1 > 0.9


def test_clearing_forgets_the_last_heal_at_once(qtbot):
    chart = LossChart()
    qtbot.addWidget(chart)
    for step in range(1, 4):
        chart.add(512 * step, 1.0 / step)
    assert chart.plot.viewRange()[0][1] >= 1536
    chart.set_title("heal cancelled")
    chart.clear()
    assert chart.points == [] and chart.means == []
    assert chart.plot.viewRange() == [[0.0, 1.0], [0.0, 1.0]]
    assert "cancelled" not in chart.plot.titleLabel.text
