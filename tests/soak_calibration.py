"""Drive the real main window through many calibrations and report memory and threads after each.

Run as a separate process by ``tests/test_soak_calibration.py`` (resident memory is the process's own,
not a test run's), and by hand on a real model (issue 18: each calibration leaked a ``headmix-read``
thread and the walk's activations):

    python tests/soak_calibration.py MODEL_FOLDER [CALIBRATIONS]

Each calibration toggles the key/value heads between the model's count and one (with one query head per
group fewer, so both plans change every layer) and takes 64 calibration tokens more than the last (the
window reuses a plan it has just shown, so the same targets again would not calibrate), with the
calibrated method and the first layer selected (where the window opens: the walk stops at the layer on
screen and stays suspended), and waits until the window has drawn the layer. SOAK_CALIB_TOKENS sets
the first count (default 1,024). The last line printed is a JSON object: resident MB and the thread names
(Python's and the count the kernel sees) after each calibration, once the window is idle.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def status() -> tuple[float, int]:
    """(resident MB, threads) as the kernel counts them for this process."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


def main(folder: Path, calibrations: int) -> dict:
    from window_process import isolated_window
    from headmix.gui import workers

    app, window, home = isolated_window("headmix-soak-calibration-")

    def wait(condition, what: str, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            app.processEvents()
            time.sleep(0.005)
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")

    if not window.open_path(folder):
        raise SystemExit(f"could not open {folder}")
    wait(lambda: window.importance_worker is None or len(window.importance) >= len(window.arch.layers), "importance")
    layer = window.arch.layers[0]
    window.select_layer(window.arch.layers[0].index)  # where the window opens: the walk stops there
    values = window.panel.values()
    heads = layer.num_heads - layer.num_heads // layer.num_kv_heads
    tokens = int(os.environ.get("SOAK_CALIB_TOKENS", "1024"))
    rows = []
    for n in range(calibrations):
        kv = layer.num_kv_heads if n % 2 else 1
        started = time.monotonic()
        done = []
        window.calibration_ready.connect(lambda: done.append(1))
        window.panel.set_values(heads, kv, values["head_dim"], "calibrated", values["seed"], "all",
                                calib_tokens=tokens + 64 * n)  # a new plan each time: the window reuses one it has shown
        app.processEvents()
        wait(lambda: done or (window.calibration_worker is None and not window.session.jobs.running("calibration")), "a calibration")
        window.calibration_ready.disconnect()
        wait(lambda: not window.session.jobs.running("calibration") and not workers.running(), "the calibration's thread")
        for _ in range(3):
            app.processEvents()
        if os.environ.get("SOAK_GC"):
            __import__("gc").collect()
        rss, threads = status()  # no gc.collect(): what a user's process holds, not what a collection would free
        rows.append({"kv": kv, "seconds": round(time.monotonic() - started, 2), "rss_mb": round(rss, 1), "threads": threads,
                     "names": sorted(t.name for t in threading.enumerate())})
    window.close()
    app.processEvents()
    return {"calibrations": rows}


if __name__ == "__main__":
    result = main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 8)
    print(json.dumps(result), flush=True)
    sys.exit(0)
