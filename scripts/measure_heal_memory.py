"""Where a heal's memory goes: peak RSS (anonymous and file-backed) in each stage of one heal.

    python scripts/measure_heal_memory.py EXPORT --source ORIGINAL [--tokens 1024] [--recompute on|off] [--text FILE]
                                         [--in-place] [--json FILE]

Runs :func:`headmix.core.heal.run.heal_export` in this process on a copy of EXPORT (the export
itself is untouched unless ``--in-place``) while a thread samples /proc/self/status every 20 ms,
and prints, for each stage the heal reports (teacher, student, train, write), the peak VmRSS,
RssAnon (the process's own memory: arrays, tensors) and RssFile (pages of memory-mapped files:
the checkpoints and the teacher's top-k files, which the kernel can drop), and the whole run's
VmHWM. Linux only. Run it niced on a shared machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path


def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


class Sampler(threading.Thread):
    """Peak RSS figures per stage label, sampled every ``every`` seconds."""

    def __init__(self, every: float = 0.02):
        super().__init__(daemon=True)
        self.every, self.stage, self.stop = every, "start", threading.Event()
        self.peaks: dict[str, dict[str, int]] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            time.sleep(self.every)

    def sample(self) -> None:
        now = _status()
        peak = self.peaks.setdefault(self.stage, {"VmRSS": 0, "RssAnon": 0, "RssFile": 0})
        for key in peak:
            peak[key] = max(peak[key], now.get(key, 0))


def _label_stages(sampler: Sampler) -> None:
    """Finer stages than the heal reports: wrap the teacher, the student's build, scoring and training."""
    from headmix.core.heal import distil, teacher, torch_model

    def wrap(owner, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def labelled(*a, **k):
            sampler.sample()
            sampler.stage = label
            try:
                return inner(*a, **k)
            finally:
                sampler.sample()
                sampler.stage = f"after {label}"

        setattr(owner, name, labelled)

    wrap(teacher, "compute", "teacher")
    wrap(torch_model.Student, "__init__", "student")
    wrap(distil, "score", "score")
    wrap(distil, "distil", "train")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--source", required=True)
    parser.add_argument("--tokens", type=int, default=1024)
    parser.add_argument("--recompute", choices=["default", "on", "off"], default="default")
    parser.add_argument("--train", default="changed")
    parser.add_argument("--text")
    parser.add_argument("--in-place", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from headmix.core.heal.record import HealOptions
    from headmix.core.heal.run import heal_export

    work = None
    target = args.export
    if not args.in_place:
        work = Path(tempfile.mkdtemp(prefix="headmix-heal-memory-"))
        target = work / "export"
        shutil.copytree(args.export, target)
    sampler = Sampler()
    sampler.start()
    options = HealOptions(tokens=args.tokens, train=args.train, text=args.text, device="cpu")
    if args.recompute != "default":
        options = dataclasses.replace(options, recompute=args.recompute == "on")

    def progress(stage: str, done: int, total: int, loss: float | None) -> None:
        if stage == "write":
            sampler.sample()
            sampler.stage = stage

    _label_stages(sampler)
    started = time.perf_counter()
    try:
        record = heal_export(target, args.source, options, progress=progress)
    finally:
        sampler.sample()
        sampler.stop.set()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - started
    hwm = _status()["VmHWM"]
    print(f"{'stage':<10} {'VmRSS MB':>9} {'RssAnon MB':>11} {'RssFile MB':>11}")
    for stage, peak in sampler.peaks.items():
        print(f"{stage:<10} {peak['VmRSS'] / 1e6:>9.0f} {peak['RssAnon'] / 1e6:>11.0f} {peak['RssFile'] / 1e6:>11.0f}")
    print(f"VmHWM {hwm / 1e6:.0f} MB; {seconds:.0f} s; {record.summary()}")
    if args.json:
        args.json.write_text(json.dumps({"peaks": sampler.peaks, "vmhwm": hwm, "seconds": seconds,
                                         "record": record.to_json()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
