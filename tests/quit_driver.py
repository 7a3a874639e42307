"""Close the real window while work runs and let ``app.exec()`` and the interpreter end as ``headmix gui`` does.

Run as a separate process by ``tests/test_quit_while_working.py`` (a process that does not end is a failed
test there, not a hung test run), and by hand:

    python tests/quit_driver.py CASE MODEL_FOLDER [SECONDS_PER_LAYER]

CASE is what runs when the window closes: ``calibration`` (the walk up to the last layer), ``measurement``
(Measure, calibrated), ``scoring`` (the layer scores after lowering Decoder layers) or ``export`` (answered
"Cancel export and quit") or ``heal`` (Heal after export, closed while it trains; answered "Cancel heal and quit"). Every layer read takes SECONDS_PER_LAYER (default 1), as on a large model, so
the work is surely running (and the calibration reads 512 tokens, so the reads, not the
arithmetic, set the pace on a busy machine). Prints ``closing <monotonic>`` when the window is asked to close and ``exec
returned`` after the event loop; the test times the process from the first line to its end.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def slow_reads(seconds: float) -> threading.Event:
    """Every layer read takes ``seconds`` (the pipeline's and the export's); the event is set once one has started."""
    import headmix.core.run.executor as executor
    import headmix.core.model.pipeline as pipeline

    started = threading.Event()
    read_attention, copy_to = pipeline.read_attention, executor.copy_to

    def slow_read(*args, **kwargs):
        started.set()
        time.sleep(seconds)
        return read_attention(*args, **kwargs)

    def slow_copy(*args, **kwargs):
        started.set()
        time.sleep(seconds / 10)
        return copy_to(*args, **kwargs)

    pipeline.read_attention = slow_read
    executor.copy_to = slow_copy
    return started


def main(case: str, folder: Path, seconds: float) -> int:
    from PySide6.QtCore import QTimer

    from window_process import isolated_window

    app, window, home = isolated_window("headmix-quit-", size=None)
    if not window.open_path(folder):
        raise SystemExit(f"could not open {folder}")
    layer = window.arch.layers[0]
    heads, kv = layer.num_heads - layer.num_heads // layer.num_kv_heads, 1

    def when(condition, then, deadline=time.monotonic() + 120) -> None:
        if time.monotonic() > deadline:
            print(f"timed out before closing ({case})", flush=True)
            app.exit(3)
        elif condition():
            then()
        else:
            QTimer.singleShot(10, lambda: when(condition, then, deadline))

    def close() -> None:
        print(f"closing {time.monotonic()}", flush=True)
        window.close()
        if case in ("export", "heal"):  # the question: "Cancel export and quit", "Cancel heal and quit"
            question = window.quit_question
            next(b for b in question.buttons() if "quit" in b.text()).click()

    started = None

    def start() -> None:
        nonlocal started
        started = slow_reads(seconds)
        if case == "calibration":
            window.select_layer(window.arch.layers[-1].index)
            window.panel.set_values(heads, kv, layer.head_dim, "calibrated", 0, "all", calib_tokens=512)
        elif case == "measurement":
            window.panel.set_values(heads, kv, layer.head_dim, "select", 0, "all")
            window.quality.measure(window.plan)
        elif case == "scoring":
            window.panel.set_values(layer.num_heads, layer.num_kv_heads, layer.head_dim, "select", 0, "all",
                                    num_layers=max(1, len(window.arch.layers) - 1), layer_method="drop")
        elif case == "export":
            window.panel.set_values(heads, kv, layer.head_dim, "calibrated", 0, "all", calib_tokens=512)
            window.start_export(Path(home) / "export")
        elif case == "heal":  # Heal after export, closed while it trains: "Cancel heal and quit"
            from headmix.core.heal.record import HealOptions

            window.panel.set_values(heads, kv, layer.head_dim, "mean", 0, "all")
            window.set_heal_after_export(HealOptions(tokens=10_000_000, window=64, device="cpu"))
            window.start_export(Path(home) / "export")
            trained = threading.Event()
            window.heal_finished.connect(lambda _: print("heal finished before the close", flush=True))
            window.export_finished.connect(lambda _: window.heal_worker.step.connect(
                lambda stage, *_: stage == "train" and trained.set()))
            when(trained.is_set, lambda: QTimer.singleShot(int(seconds * 500), close))
            return
        else:
            raise SystemExit(f"unknown case {case}")
        when(started.is_set, lambda: QTimer.singleShot(int(seconds * 500), close))

    when(lambda: window.importance_worker is None or len(window.importance) >= len(window.arch.layers), start)
    code = app.exec()
    print("exec returned", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 1.0))
