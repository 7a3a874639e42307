"""The window's session model without the window (issue 20, item 3): it opens a model, holds the targets and
their undo history, applies presets, runs and cancels jobs on a plain runner, and closes, without Qt."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from headmix.gui.session import Change, Event, Jobs, UndoStack
from headmix.gui.session.jobs import InlineRunner

TESTS = Path(__file__).parent


class HeldRunner:
    """Keeps each job until the test runs it: what a busy thread looks like, without threads."""

    def __init__(self):
        self.jobs = []

    def start(self, job) -> None:
        self.jobs.append(job)


SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path

    import tiny_text
    from headmix.core.errors import HeadmixError
    from headmix.core.plan import presets
    from headmix.gui.session import Session
    from test_session import HeldRunner

    folder = Path(sys.argv[1])
    runner = HeldRunner()
    session = Session(runner)
    seen = []
    session.opened.connect(lambda c, a: seen.append(("opened", a.num_heads)))
    session.values_changed.connect(lambda v: seen.append(("values", v["heads"], v["method"])))
    session.closed.connect(lambda: seen.append(("closed",)))

    try:
        session.open(folder / "missing")
    except HeadmixError:
        pass
    else:
        raise AssertionError("a missing folder opened")
    assert session.checkpoint is None

    checkpoint, arch = session.open(folder)
    assert session.has_tokenizer and arch.usable
    start = session.initial_values()
    assert start["method"] == "calibrated" and start["heads"] == arch.num_heads
    session.set_values(start)  # the first values are the starting point, not a change
    assert not session.undo.can_undo()

    half = dict(start, heads=arch.num_heads // 2)
    session.set_values(half)
    assert session.undo.undo_text() == f"query heads {arch.num_heads} → {arch.num_heads // 2}"
    session.set_values(dict(half, layers="0"))
    session.set_values(dict(half, layers="0-1"))  # typing in Layers is one step
    assert session.undo.count() == 2 and session.undo.undo_text() == "layers all → 0-1"
    session.undo.undo()
    assert session.values == half
    session.undo.undo()
    assert session.values == start and not session.undo.can_undo()
    session.undo.redo()
    assert session.values == half and session.undo.redo_text() == "layers all → 0-1"

    preset = presets.builtin()["halve-head-size"]
    values = session.apply_preset(preset)
    assert session.values == values and values["head_dim"] == arch.head_dim // 2
    assert values != half and session.undo.count() == 2  # replaces the undone Layers change; undone in one step
    session.undo.undo()
    assert session.values == half
    session.undo.redo()
    assert session.request_for(values) == session.current_preset("x").request
    try:
        session.save_preset("halve-head-size")  # a built-in preset's name
    except HeadmixError as e:
        assert "built-in" in str(e), e
    else:
        raise AssertionError("a built-in preset's name was saved over")
    saved = session.save_preset("mine", fractions=True)
    assert presets.load(saved).request == session.current_preset("x", fractions=True).request

    run = session.build_run(values)
    assert session.build_run(dict(values)) is run  # the same targets give back the same run
    session.set_run(run)

    # a calibration held by the runner, then cancelled before it reads a layer
    job = session.start_calibration(run, run.layers[0])
    assert session.jobs.running("calibration") == [job]
    session.jobs.cancel("calibration")
    job.run()
    assert job.was_cancelled and not session.jobs.running()
    assert not run._calibrator or not run._calibrator.ready(run.layers[0])

    # the same calibration, run to the end
    job = session.start_calibration(run, run.layers[0])
    progress = []
    job.progress.connect(lambda done, total: progress.append((done, total)))
    job.run()
    assert job.error is None and job.result == run.layers[0], job.error
    assert progress and run._calibrator.ready(run.layers[0])

    # a layer choice: starting a second cancels the first (its run is gone)
    fewer = session.build_run(dict(start, num_layers=arch.num_layers - 1))
    first = session.start_choice(fewer)
    second = session.start_choice(fewer)
    assert first.is_cancelled() and not second.is_cancelled()
    second.run()
    assert second.error is None, second.error
    assert len(second.result.arch.layers) == arch.num_layers - 1
    first.run()
    assert first.was_cancelled or first.result is second.result  # a choice already made answers at once

    held = session.start_calibration(run, run.layers[-1])
    assert session.close(wait=None) is False  # a job the runner never ran is still running
    assert held.is_cancelled()
    held.run()
    assert held.was_cancelled and not session.jobs.running()
    assert session.checkpoint is None and session.run is None and len(session.recent_runs) == 0
    assert seen[0] == ("opened", arch.num_heads) and seen[-1] == ("closed",)

    qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))
    assert not qt, qt
    print("ok")
""")


def test_session_without_qt(demo_folder, tmp_path):
    """The whole session, in a child process that never imports Qt: open, targets, undo/redo, a preset, a
    calibration cancelled and run, a layer choice replaced by another, close."""
    env = {**__import__("os").environ, "PYTHONPATH": str(TESTS), "HEADMIX_PRESETS_DIR": str(tmp_path / "presets")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(demo_folder)], cwd=TESTS, capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stdout + done.stderr


def test_undo_stack_apply_and_merge():
    applied = []
    stack = UndoStack(applied.append)
    changes = Event("changes")
    stack.changed.connect(lambda: changes.emit())
    a, b = {"heads": 9, "layers": "all"}, {"heads": 3, "layers": "all"}
    stack.push(Change(a, b))
    assert stack.undo_text() == "query heads 9 → 3" and applied == []  # pushed after the change happened
    stack.undo()
    assert applied == [a] and stack.redo_text() == "query heads 9 → 3"
    stack.push(Change(a, {"heads": 6, "layers": "all"}))  # a new change drops what was undone
    assert stack.count() == 1 and not stack.can_redo()
    stack.undo()
    stack.undo()  # nothing more to undo: nothing happens
    assert applied == [a, a]


def test_jobs_lifetimes():
    jobs = Jobs(InlineRunner())
    ended = []
    jobs.ended.connect(ended.append)
    job = jobs.start("x", lambda progress, cancelled: (progress(1, 1), 42)[1])
    assert job.result == 42 and ended == [job] and not jobs.running()

    def fails(progress, cancelled):
        from headmix.core.errors import HeadmixError

        raise HeadmixError("no text")

    assert jobs.start("x", fails).error == "no text"
    held = HeldRunner()
    jobs = Jobs(held)
    job = jobs.start("x", lambda progress, cancelled: cancelled())
    assert jobs.close(wait=0.01) is False and job.is_cancelled()
    job.run()
    assert job.result is True and not jobs.running()


@pytest.mark.parametrize("module", ["headmix.gui.session", "headmix.gui.session.work"])
def test_session_modules_import_no_qt(module):
    done = subprocess.run([sys.executable, "-c", f"import sys, {module}; "
                           "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'pyqtgraph'))))"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr
