"""Many calibrations in the real window leave neither memory nor threads behind (issue 18).

Each calibration used to keep its plan alive (a Qt connection held the finished worker, which held the
plan) with a suspended walk: a ``headmix-read`` thread, a layer read ahead and the calibration tokens'
activations, some 65 MB and one thread per calibration on SmolLM2-135M. The window is driven in a child
process (tests/soak_calibration.py) so resident memory is its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parent / "soak_calibration.py"


def test_eight_calibrations_keep_memory_and_threads_flat(demo_folder):
    result = subprocess.run([sys.executable, str(SOAK), str(demo_folder), "8"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(result.stdout.strip().splitlines()[-1])["calibrations"]
    assert len(rows) == 8
    second, last = rows[1], rows[-1]
    assert last["rss_mb"] - second["rss_mb"] < 50, [r["rss_mb"] for r in rows]
    assert last["names"] == second["names"], (second["names"], last["names"])  # Python's threads
    assert last["threads"] == second["threads"], [r["threads"] for r in rows]  # and Qt's, as the kernel counts them
    assert not any(name.startswith("headmix-read") for name in last["names"])  # a suspended walk holds no thread
