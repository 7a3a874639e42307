"""Drive the real main window through many repaints and report what happened to ``None``.

Run as a separate process by ``tests/test_soak.py`` (a leaking PySide6 build aborts the
interpreter with ``Fatal Python error: none_dealloc``; in a child process that is a failed
test instead of a dead test run):

    python tests/soak_window.py CYCLES

Each cycle toggles the before/after view, switches layers, changes the targets or the
method, applies a built-in preset every few cycles, resizes the window, and lets Qt paint.
The last line printed is a JSON object with the counts of ``sys.getrefcount(None)``.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "resources" / "demo"

# every combination the demo (8 heads, 2 kv heads, head size 32) can build with every method
TARGETS = [(8, 2, 32), (4, 2, 16), (4, 1, 32), (2, 2, 8), (8, 2, 16), (6, 2, 24), (4, 2, 32), (2, 1, 16)]
METHODS = ["select", "mean", "random", "article"]


def main(cycles: int) -> dict:
    from headmix.core.plan import presets
    from window_process import isolated_window

    app, window, folder = isolated_window("headmix-soak-")
    if not window.open_path(DEMO):
        raise SystemExit("could not open the demo")
    deadline = time.monotonic() + 60
    while window.importance_worker is not None and len(window.importance) < len(window.arch.layers):
        app.processEvents()
        if time.monotonic() > deadline:
            raise SystemExit("importance scores never arrived")
    builtin = list(presets.builtin().values())

    def cycle(n: int) -> None:
        window.preview.toggle.setChecked(n % 2 == 0)  # before → after, then back
        window.preview.role.setCurrentIndex(n % 4)
        window.select_layer(n % len(window.arch.layers))
        heads, kv, d = TARGETS[n % len(TARGETS)]
        method = METHODS[(n // len(TARGETS)) % len(METHODS)]
        window.panel.set_values(heads, kv, d, method, n % 3, "all" if n % 5 else "0-1")
        if n % 7 == 0:
            window.apply_preset(builtin[(n // 7) % len(builtin)])
        window.resize(1280 - n % 2 * 40, 800 - n % 3 * 20)
        window.repaint()
        app.processEvents()

    for n in range(10):  # warm caches, fonts and lazily built widgets before counting
        cycle(n)
    gc.collect()
    before = sys.getrefcount(None)
    started = time.monotonic()
    for n in range(cycles):
        cycle(n)
    gc.collect()
    after = sys.getrefcount(None)
    window.close()
    app.processEvents()
    import PySide6

    return {
        "cycles": cycles,
        "none_before": before,
        "none_after": after,
        "delta": after - before,
        "seconds": round(time.monotonic() - started, 2),
        "pyside6": PySide6.__version__,
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    print(json.dumps(result), flush=True)
    # A normal quit on a leaking build ended in "Fatal Python error: bool_dealloc"; exit
    # through the interpreter's own shutdown so that is checked too.
    sys.exit(0)
