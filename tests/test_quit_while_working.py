"""Closing the window while work runs ends the process within 5 s (issue 18): the window hid, but ``app.exec()``
never returned, because Qt quits on the last *visible* window closing and the deferred close came after the hide.

Each case runs the real window and event loop in a child process (tests/quit_driver.py), every layer read
slowed to a second as on a large model, and times the process from the close to its end."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

DRIVER = Path(__file__).resolve().parent / "quit_driver.py"


@pytest.mark.parametrize("case", ["calibration", "measurement", "scoring", "export", "heal"])
def test_closing_during_work_ends_the_process_within_5_s(case, demo_folder):
    process = subprocess.Popen([sys.executable, str(DRIVER), case, str(demo_folder), "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    closed_at = None
    lines = []
    try:
        for line in process.stdout:  # the generous outer bound is the kill below, not a sleep
            lines.append(line.rstrip())
            if line.startswith("closing "):
                closed_at = time.monotonic()
                break
        assert closed_at is not None, "\n".join(lines[-20:])
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{case}: the process was still alive 60 s after the window closed")
        elapsed = time.monotonic() - closed_at
        rest = process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "exec returned" in rest, rest[-2000:]
    assert process.returncode == 0, rest[-2000:]
    assert elapsed < 5.0, f"{case}: the process ended {elapsed:.1f} s after the window closed"
