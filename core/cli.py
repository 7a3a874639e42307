"""The ``headmix`` command: everything the window does, for scripts and servers.

Exit codes: 0 done, 1 failed (disk full, cancelled, an internal error), 2 bad input or
invalid targets. A user never sees a traceback; ``HEADMIX_DEBUG=1`` shows one for bug reports.

The core knows nothing of the window: ``headmix gui`` runs whatever ``main`` is handed as
``gui`` (the ``headmix`` command in ``gui/launch.py`` hands it the window), so this module
and everything it imports stay Qt-free.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable

from . import __version__
from .errors import Cancelled, ExportError, HeadmixError, OutputRefused
from .heal.command import add_heal_arguments, options_from, run_heal
from .shrink.methods import DATA_FREE_DEFAULT, DEFAULT_METHOD, Method


def _whole_number(minimum: int):
    """An argparse type: a whole number of at least ``minimum``, with a plain message otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"'{text}' must be at least {minimum}")
        return value

    return parse


_positive = _whole_number(1)
_seed = _whole_number(0)


def _target(text: str) -> int | str:
    """A target flag: a whole number, or a fraction of the model's own value such as 1/2."""
    from .plan.request import RequestError, check_target

    value: int | str = int(text) if text.strip().isdigit() else text.strip()
    if isinstance(value, int) and value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be at least 1")
    try:
        check_target("target", value)
    except RequestError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number or a fraction such as 1/2") from None
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="headmix",
        description="Shrink a transformer checkpoint by mixing its attention heads. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"headmix {__version__}")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("inspect", help="summarise a checkpoint (reads headers only)")
    p.add_argument("path", help="a .safetensors file or a model folder")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    p = sub.add_parser("shrink", help="export a checkpoint with fewer or smaller attention heads")
    p.add_argument("source", help="a .safetensors file or a model folder")
    p.add_argument("-o", "--output", help="the folder to create (required unless --dry-run)")
    p.add_argument("--heads", type=_target, help="query heads per layer, or a fraction of the model's such as 1/2")
    p.add_argument("--kv-heads", type=_target, help="key/value heads per layer (must divide --heads), or a fraction")
    p.add_argument("--head-dim", type=_target, help="head size, or a fraction")
    p.add_argument("--layers", help="layers to shrink, e.g. 0-11,20 (default: all)")
    p.add_argument("--method", choices=[m.value for m in Method],
                   help=f"how new heads are made from old ones (default: {DEFAULT_METHOD.value} where the model has a "
                        f"tokenizer.json, else {DATA_FREE_DEFAULT.value})")
    p.add_argument("--seed", type=_seed, help="seed for the random and article methods")
    p.add_argument("--rotary-pairs", choices=["progression", "any"],
                   help="rotary pairs a smaller head size keeps: an arithmetic progression, which every runtime reads "
                        "as a plain rope (default), or any subset, through longrope factors (transformers and vLLM only)")
    p.add_argument("--num-layers", type=_target, metavar="N",
                   help="decoder layers to keep, or a fraction such as 4/5 (default: all)")
    p.add_argument("--layer-method", choices=["drop", "merge", "fit"],
                   help="how layers go: drop the least influential, merge each into the kept layer before it, or "
                        "drop and refit the MLP output before each removed run (default: fit with a tokenizer on pre-norm "
                        "families, else drop)")
    p.add_argument("--calib-text", metavar="FILE",
                   help="calibration text for the calibrated method (UTF-8; default: headmix's mixed-genre "
                        "calibration text, resources/text/calibration.txt)")
    p.add_argument("--calib-tokens", type=_whole_number(64), metavar="N",
                   help="calibration tokens the calibrated method reads (default 4096)")
    p.add_argument("--preset", help="a preset file or built-in preset name; flags override its values")
    p.add_argument("--save-preset", metavar="FILE", help="also save these settings as a preset file")
    p.add_argument("--force", action="store_true",
                   help="replace an earlier headmix export (a folder holding headmix.json); it goes to the trash. "
                        "Any other non-empty folder is always refused")
    p.add_argument("--dry-run", action="store_true", help="print the plan and the loadability verdict, write nothing")
    p.add_argument("--eval", action="store_true",
                   help="measure perplexity before and after (and the output error) on a text, without exporting first; "
                        "the result goes into headmix.json")
    _text_arguments(p)
    add_heal_arguments(p, with_switch=True)

    p = sub.add_parser("heal", help="distil an earlier export towards its original (needs headmix[heal])")
    p.add_argument("export", help="a folder headmix exported (it reads its headmix.json)")
    p.add_argument("--source", help="the original model (default: the one headmix.json names)")
    p.add_argument("--text", metavar="FILE", help="text to heal on (default: the file the shrink was calibrated on, else headmix's mixed-genre calibration text)")
    add_heal_arguments(p, with_switch=False)

    p = sub.add_parser("eval", help="measure a model's perplexity on a text (default: the text that ships with headmix)")
    p.add_argument("model", help="a model folder with tokenizer.json")
    _text_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    sub.add_parser("presets", help="list the built-in presets")

    p = sub.add_parser("gui", help="open the window")
    p.add_argument("path", nargs="?", help="a checkpoint to open")
    return parser


def _text_arguments(p: argparse.ArgumentParser) -> None:
    from .io.text import BOS_PLACES, DEFAULT_MAX_TOKENS, DEFAULT_WINDOW

    p.add_argument("--text", metavar="FILE", help="a UTF-8 text file (default: the English prose that ships with headmix)")
    p.add_argument("--max-tokens", type=_positive, default=DEFAULT_MAX_TOKENS, metavar="N",
                   help=f"score at most the first N tokens of the text (default: {DEFAULT_MAX_TOKENS})")
    p.add_argument("--window", type=_whole_number(2), default=DEFAULT_WINDOW, metavar="W",
                   help=f"tokens per window; windows do not overlap and each starts afresh (default: {DEFAULT_WINDOW})")
    p.add_argument("--bos", choices=BOS_PLACES, default="every",
                   help="where the beginning-of-sequence token goes, for a tokenizer that adds one: 'every' window "
                        "starts with it, all its tokens scored from a document's start (default); 'first': only the "
                        "first window does, the text running on as one stream cut into windows, whose first token "
                        "is not scored, as most other harnesses (llama.cpp's perplexity, lm-eval's rolling "
                        "windows) count; 'alternate': every other window does (how calibration cuts its text); compare "
                        "figures only between runs with the same choice")


def main(argv: list[str] | None = None, gui: Callable[[str | None], int] | None = None) -> int:
    """Run one command; ``gui`` opens the window on a path (absent where only the core is installed)."""
    args = build_parser().parse_args(argv)
    with _terminate_as_cancel(args.command not in (None, "gui")):
        return _run(args, gui)


class _terminate_as_cancel:
    """While a command runs, SIGTERM (``kill``, a job scheduler's time limit, a closing terminal session) cancels it
    like Ctrl+C, so what it was writing is removed by the same code that Cancel runs, instead of the process dying
    with a half-written export or a temporary teacher folder left behind. The window handles its own quitting."""

    def __init__(self, active: bool) -> None:
        self.active = active and threading.current_thread() is threading.main_thread()
        self.before = None

    def __enter__(self) -> None:
        if self.active:
            self.before = signal.signal(signal.SIGTERM, self._interrupt)

    def __exit__(self, *exc) -> None:
        if self.active:  # None: the handler before was not set from Python; the default is the honest guess
            signal.signal(signal.SIGTERM, signal.SIG_DFL if self.before is None else self.before)

    @staticmethod
    def _interrupt(signum, frame) -> None:
        raise KeyboardInterrupt


def _run(args: argparse.Namespace, gui: Callable[[str | None], int] | None) -> int:
    try:
        if args.command == "inspect":
            return _inspect(args)
        if args.command == "shrink":
            return _shrink(args)
        if args.command == "eval":
            return _eval(args)
        if args.command == "heal":
            return run_heal(args.export, args.source, options_from(args, args.text))
        if args.command == "presets":
            return _presets()
        if gui is None:
            print("headmix: the window is not part of this entry point; run the `headmix` command", file=sys.stderr)
            return 2
        return gui(getattr(args, "path", None))
    except (Cancelled, KeyboardInterrupt):
        print("headmix: cancelled; nothing was left behind", file=sys.stderr)
        return 1
    except OutputRefused as e:
        print(f"headmix: {e}", file=sys.stderr)
        return 2
    except ExportError as e:
        print(f"headmix: {e}", file=sys.stderr)
        return 1
    except HeadmixError as e:
        print(f"headmix: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug: say so plainly, keep the traceback for those who ask
        if os.environ.get("HEADMIX_DEBUG"):
            raise
        print(f"headmix: internal error: {type(e).__name__}: {e} (run with HEADMIX_DEBUG=1 for details)", file=sys.stderr)
        return 1


def _inspect(args) -> int:
    from .model.inspection import format_summary, inspect_path

    info = inspect_path(args.path)
    print(json.dumps(info, indent=2) if args.json else format_summary(info))
    return 0


def _shrink(args) -> int:
    from .plan import presets
    from .model.architecture import detect
    from .io.checkpoint import open_checkpoint
    from .run.export import export
    from .run.shrink_run import ShrinkRun

    checkpoint = open_checkpoint(args.source)
    arch = detect(checkpoint)
    preset = presets.find(args.preset) if args.preset else presets.Preset()
    preset = preset.with_overrides(
        heads=args.heads, kv_heads=args.kv_heads, head_dim=args.head_dim, method=args.method, seed=args.seed,
        layers=args.layers, rotary_pairs=args.rotary_pairs, calib_text=args.calib_text, calib_tokens=args.calib_tokens,
        num_layers=args.num_layers, layer_method=args.layer_method,
    )
    plan = ShrinkRun.build(checkpoint, preset.request, arch=arch)
    if args.save_preset:
        saved = presets.save(preset, args.save_preset)
        print(f"saved preset {saved}", file=sys.stderr)
    if not args.dry_run and not args.output:
        print("headmix: shrink needs -o OUTPUT (or --dry-run)", file=sys.stderr)
        return 2
    if args.heal:
        if args.dry_run:
            print("headmix: --heal trains the export; it cannot run with --dry-run", file=sys.stderr)
            return 2
        from .heal.availability import require_healable

        # before the export: no torch, a family the heal cannot run, no tokenizer (the export copies the original's)
        # or a missing device is said at once, and nothing is written to be left un-healed
        require_healable(checkpoint.folder, arch, device=args.device)
    if args.text and not args.eval:
        print("headmix: --text is the text for --eval; add --eval to measure the shrink", file=sys.stderr)
        return 2
    if args.output:  # a refused output is said before the plan is printed or anything is measured, dry run or not
        from .run.export import inspect_output

        inspect_output(plan, args.output)
    evaluation = None
    if args.eval:
        from .run.quality import evaluate_plan
        from .io.text import Settings, prepare_text, read_text

        # tokenise first: a missing tokenizer or a bad text fails before anything runs or is written
        sample = prepare_text(checkpoint, read_text(args.text) if args.text else None, Settings(args.window, args.max_tokens, args.bos))
        if not args.dry_run:
            print(plan.describe(), file=sys.stderr)
        evaluation = evaluate_plan(plan, sample, progress=_steps_bar("evaluate"))
    if args.dry_run:
        print(plan.describe())
        if evaluation is not None:
            print(_format_plan_quality(evaluation, plan))
        return 0
    if evaluation is None:
        print(plan.describe(), file=sys.stderr)
    out = export(plan, args.output, force=args.force, progress=_progress_bar(),
                 evaluation=None if evaluation is None else evaluation.to_json())
    ok, reason = plan.loadability
    print(f"wrote {out} ({'loads in transformers' if ok else reason})")
    if evaluation is not None:
        print(_format_plan_quality(evaluation, plan))
    if args.heal:
        return run_heal(str(out), args.source, options_from(args), after_shrink=True)
    return 0


def _eval(args) -> int:
    from .io.checkpoint import open_checkpoint
    from .run.quality import evaluate_model
    from .io.text import Settings, prepare_text, read_text

    checkpoint = open_checkpoint(args.model)
    sample = prepare_text(checkpoint, read_text(args.text) if args.text else None, Settings(args.window, args.max_tokens, args.bos))
    result = evaluate_model(checkpoint, sample, progress=_steps_bar("evaluate"))
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    print(f"perplexity {result.perplexity.perplexity:.4g} ({_describe_sample(result.text)}; {result.seconds:.1f} s)")
    return 0


def _describe_sample(text) -> str:
    start = (f"the first after {text.bos}, the others running on" if text.bos_first_only
             else f"every other after {text.bos}, the others running on" if text.bos_places == "alternate"
             else f"each after {text.bos}" if text.bos else "no token before each")
    return (f"{text.scored_tokens:,} tokens scored in {text.windows} windows of {text.window} from {text.source} "
            f"({text.text_tokens:,} tokens); {start}")


def _format_plan_quality(q, plan) -> str:
    lines = [f"evaluation on {_describe_sample(q.text)}"]
    if q.before is not None:
        lines.append(f"  perplexity      {q.before.perplexity:.4g} -> {q.after.perplexity:.4g}")
    if q.embedding_cosine is not None:
        lines.append(f"  embedding cos   {q.embedding_cosine:.4f} (mean-pooled, against the original)")
    if plan.reduction is not None:  # the smaller model against itself unshrunk: what the removed layers cost is above
        lines.append(f"  output error    {q.hidden_error:.4g} (relative error of the final hidden states from the head "
                     f"targets, within the {len(q.layers)}-layer model; perplexity includes the removed layers)")
    else:
        lines.append(f"  output error    {q.hidden_error:.4g} (relative error of the final hidden states)")
    worst = sorted((e for e in q.layers if e.changed), key=lambda e: -e.attention_error)[:3]
    if worst:
        lines.append("  worst layers    " + ", ".join(f"{e.layer} ({e.attention_error:.3g})" for e in worst)
                     + " (relative error of the attention output)")
    return "\n".join(lines)


def _progress_bar():
    """A tqdm bar on a terminal; silence in scripts and logs."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="export", file=sys.stderr)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _steps_bar(what: str):
    """A tqdm bar over layers on a terminal; silence in scripts and logs."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="layer", desc=what, file=sys.stderr)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _presets() -> int:
    from .plan.presets import builtin

    for name, preset in builtin().items():
        print(f"{name:<28} {preset.name}: {preset.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
