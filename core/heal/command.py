"""The command-line side of healing: the ``--heal…`` flags and running a heal with a progress bar.

Free of torch: ``headmix --help`` and every other command work without the heal extra, and a
heal asked for without it stops with the install line before anything runs.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import Cancelled
from .record import DEFAULT_LR, DEFAULT_TOKENS, HealOptions
from .trainable import CHOICES


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be at least 1")
    return value


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be between 0 and 1, such as 3e-4")
    return value


def add_heal_arguments(p: argparse.ArgumentParser, with_switch: bool) -> None:
    """The heal flags (``with_switch``: also ``--heal``, for ``shrink``)."""
    if with_switch:
        p.add_argument("--heal", action="store_true",
                       help="after the export, distil it towards the original on the calibration text (needs "
                            'pip install "headmix[heal]")')
    p.add_argument("--heal-tokens", type=_positive_int, default=DEFAULT_TOKENS, metavar="N",
                   help=f"tokens to heal on (default {DEFAULT_TOKENS})")
    p.add_argument("--heal-lr", type=_learning_rate, default=DEFAULT_LR, metavar="LR",
                   help=f"peak learning rate of the heal (default {DEFAULT_LR:g})")
    p.add_argument("--heal-train", choices=CHOICES, default="changed",
                   help="what the heal trains: the tensors the shrink changed (default), all attention, or everything")
    p.add_argument("--heal-norms", action=argparse.BooleanOptionalAction, default=HealOptions().norms,
                   help="also train every norm weight (a few parameters a layer), whatever --heal-train chose "
                        f"(default {'on; --no-heal-norms trains only what --heal-train chose' if HealOptions().norms else 'off'})")
    p.add_argument("--heal-recompute", action=argparse.BooleanOptionalAction, default=True,
                   help="recompute each layer in the backward pass instead of keeping every layer's activations (the "
                        "default: a fraction of the memory for about a third more compute); --no-heal-recompute keeps them")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto",
                   help="where the heal trains (default: a GPU when there is one)")


def options_from(args: argparse.Namespace, text: str | None = None) -> HealOptions:
    return HealOptions(tokens=args.heal_tokens, lr=args.heal_lr, train=args.heal_train, device=args.device, text=text,
                       recompute=args.heal_recompute, norms=args.heal_norms)


def _bar():
    """A tqdm bar over the heal's stages on a terminal; silence in scripts and logs."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int, loss: float | None) -> None:
        if stage == "write":
            return
        if stage not in bars:
            unit = "layer" if stage == "teacher" else "step"
            bars[stage] = tqdm(total=total, unit=unit, desc="teacher" if stage == "teacher" else "heal", file=sys.stderr)
        bar = bars[stage]
        bar.update(done - bar.n)
        if loss is not None:
            bar.set_postfix(loss=f"{loss:.4f}")
        if done >= total:
            bar.close()

    return update


def run_heal(export: str, source: str | None, options: HealOptions, after_shrink: bool = False) -> int:
    """Heal an export and print what happened; 0 when healed or honestly not kept, 1 when cancelled."""
    from .run import heal_export  # it refuses (torch, family, device, tokenizer) before the teacher runs

    try:
        record = heal_export(export, source, options, progress=_bar())
    except (Cancelled, KeyboardInterrupt):
        what = "the export was written and is un-healed" if after_shrink else "the export is unchanged"
        print(f"headmix: heal cancelled; {what} ({export})", file=sys.stderr)
        return 1
    print(record.summary())
    return 0
