"""Perplexity of every method on every shape, on a real trained decoder LM and text calibration never saw.

    python scripts/get_real_model.py && python scripts/get_texts.py      # once: model and texts
    python scripts/measure_quality.py [--only kv,d] [--methods calibrated,mean] [--json out.json]

The model is SmolLM2-135M (Llama: 30 layers, 9 query heads over 3 kv heads of 64, rope θ 1e5),
the held-out text *Botchan* (scripts/get_texts.py), the calibration text headmix's own default
text unless ``--calib-text`` says otherwise. Each row is one plan evaluated in memory exactly
as the export would write it (core/run/quality.py). Besides headmix's methods it runs the
"reference recipes" the calibrated-shrinking issue quotes, so they can be compared on this
text, and ablations of the calibrated method that show why its defaults are what they are.
The table printed at the end goes into the README.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from headmix.core.run.calibration import CalibrationOptions  # noqa: E402
from headmix.core.io.checkpoint import open_checkpoint  # noqa: E402
from headmix.core.errors import TargetError  # noqa: E402
from headmix.core.run.shrink_run import ShrinkRun  # noqa: E402
from headmix.core.io.text import Settings, prepare_text  # noqa: E402
from headmix.core.run.quality import evaluate_plan  # noqa: E402
from headmix.core.plan.request import Request  # noqa: E402
from headmix.core.io.text import read_text  # noqa: E402

CACHE = Path(os.path.expanduser("~/.cache/headmix"))
MODEL = CACHE / "real-model" / "smollm2-135m-instruct-q4_1"
HELDOUT = CACHE / "texts" / "heldout.txt"
TECHNICAL = CACHE / "texts" / "technical.txt"

SHAPES = {
    "q": ("query heads 9 → 6", dict(heads=6)),
    "kv": ("kv heads 3 → 1, query heads kept", dict(kv_heads=1)),
    "kvq": ("kv heads 3 → 1, query heads 9 → 3", dict(heads=3, kv_heads=1)),
    "d": ("head size 64 → 32", dict(head_dim=32)),
    # fewer layers, and head shrinks that remove about as many parameters as 20% of the layers
    "layers": ("decoder layers 30 → 24", dict(num_layers=24)),
    "d16": ("head size 64 → 16", dict(head_dim=16)),
    "kvq-d32": ("kv heads 3 → 1, query heads 9 → 3, head size 64 → 32", dict(heads=3, kv_heads=1, head_dim=32)),
}
# name: (request fields, calibration options or None, shapes it applies to, what it is)
METHODS = {
    "calibrated": (dict(method="calibrated"), CalibrationOptions(), None, "headmix's default"),
    "select": (dict(method="select"), None, None, "weight-norm selection"),
    "mean": (dict(method="mean"), None, None, "group means"),
    "random": (dict(method="random"), None, None, "random weighted means"),
    "article": (dict(method="article"), None, None, "the article's method"),
    "reference": (dict(method="calibrated", calib_text=str(TECHNICAL)),
                  CalibrationOptions(sequential=False, compensate=False, pair_scores="weights"), ("kv", "d"),
                  "the issue's quick reference recipe: one pass over the original, technical calibration text, no refit"),
    "reference-any": (dict(method="calibrated", calib_text=str(TECHNICAL), rotary_pairs="any"),
                      CalibrationOptions(sequential=False, compensate=False, pair_scores="weights"), ("d",),
                      "the reference recipe with any subset of rotary pairs (longrope), as the issue measured it"),
    "no-refit": (dict(method="calibrated"), CalibrationOptions(compensate=False), None, "calibrated without the least-squares refit"),
    "one-pass": (dict(method="calibrated"), CalibrationOptions(sequential=False), None, "fitted on the original model's activations"),
    "target-model": (dict(method="calibrated"), CalibrationOptions(target="model"), None,
                     "refit towards the original model's own attention output"),
    "damping-0.1": (dict(method="calibrated"), CalibrationOptions(damping=0.1), None, "damping 10%"),
    "damping-0.03": (dict(method="calibrated"), CalibrationOptions(damping=0.03), None, "damping 3%"),
    "damping-0.3": (dict(method="calibrated"), CalibrationOptions(damping=0.3), None, "damping 30%"),
    "damping-0.001": (dict(method="calibrated"), CalibrationOptions(damping=0.001), None, "damping 0.1%"),
    "ridge-to-zero": (dict(method="calibrated"), CalibrationOptions(damp_towards="zero"), None,
                      "damping towards zero (plain ridge) instead of towards the uncompensated projection"),
    "weight-pairs": (dict(method="calibrated"), CalibrationOptions(pair_scores="weights"), ("d",), "rotary pairs by weight norms"),
    "any-pairs": (dict(method="calibrated", rotary_pairs="any"), CalibrationOptions(), ("d",), "any subset of rotary pairs (longrope)"),
    "fit-temperature": (dict(method="calibrated"), CalibrationOptions(temperature="fit"), ("d", "kv", "kvq", "d16"),
                        "each query head's temperature fitted to the original logits"),
    "drop": (dict(layer_method="drop"), None, ("layers",), "drop the layers with the lowest block influence"),
    "merge": (dict(layer_method="merge"), None, ("layers",), "average each into the kept layer before it"),
    "fit": (dict(layer_method="fit"), None, ("layers",), "drop, refit the MLP output before each removed run"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--text", type=Path, default=HELDOUT, help="held-out text (never used for calibration)")
    parser.add_argument("--tokens", type=int, default=8192, help="held-out tokens evaluated (windows of 512)")
    parser.add_argument("--calib-text", help="calibration text (default: headmix's own)")
    parser.add_argument("--calib-tokens", type=int, default=4096)
    parser.add_argument("--only", default=",".join(SHAPES), help="shapes: " + ",".join(SHAPES))
    parser.add_argument("--methods", default="calibrated,select,mean,random,article,reference,reference-any",
                        help="methods and variants: " + ",".join(METHODS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--presets", action="store_true", help="measure the built-in presets instead")
    args = parser.parse_args()
    if not args.model.exists() or not args.text.exists():
        raise SystemExit("run scripts/get_real_model.py and scripts/get_texts.py first")
    checkpoint = open_checkpoint(args.model)
    sample = prepare_text(checkpoint, read_text(str(args.text)), Settings(512, args.tokens))
    if args.presets:
        return measure_presets(checkpoint, sample)
    results = []
    original = None
    for shape in args.only.split(","):
        label, targets = SHAPES[shape]
        for name in args.methods.split(","):
            fields, options, only, what = METHODS[name]
            if only is not None and shape not in only:
                continue
            fields = dict(fields)
            if args.calib_text and "calib_text" not in fields:
                fields["calib_text"] = args.calib_text
            request = Request(**targets, **fields, calib_tokens=args.calib_tokens)
            try:
                plan = ShrinkRun.build(checkpoint, request)
            except TargetError as e:  # e.g. select cannot reach 9 query heads over 1 kv head
                results.append({"shape": label, "method": name, "what": what, "perplexity": None, "refused": str(e)})
                print(f"{label:<36} {name:<14} {'refused':>12}  ({e})", flush=True)
                continue
            plan.calibration_options = options
            started = time.perf_counter()
            quality = evaluate_plan(plan, sample)
            elapsed = time.perf_counter() - started
            original = quality.before.perplexity
            row = {"shape": label, "method": name, "what": what, "perplexity": quality.after.perplexity,
                   "hidden_error": quality.hidden_error, "seconds": round(elapsed, 1), "parameters": plan.params_after}
            if plan._calibrator is not None:
                fits = plan.calibrator.report().fits
                row["mean_fit_error"] = sum(f.error for f in fits) / max(1, len(fits))
            results.append(row)
            print(f"{label:<36} {name:<14} {quality.after.perplexity:>12,.2f}  ({elapsed:.0f} s)", flush=True)
    print(f"\noriginal perplexity {original:.2f} on {sample.info.scored_tokens:,} held-out tokens of {args.text.name}\n")
    print("| shape | method | parameters | perplexity ↓ | final hidden-state error |")
    print("|---|---|---|---|---|")
    print(f"| original | | {checkpoint.num_parameters / 1e6:.1f}M | {original:.2f} | 0 |")
    for row in results:
        if row["perplexity"] is None:
            print(f"| {row['shape']} | {row['method']} | | refused | |")
        else:
            print(f"| {row['shape']} | {row['method']} | {row['parameters'] / 1e6:.1f}M | {row['perplexity']:,.2f} | "
                  f"{row['hidden_error']:.3f} |")
    if args.json:
        args.json.write_text(json.dumps({"original": original, "rows": results}, indent=2) + "\n")


def measure_presets(checkpoint, sample) -> None:
    """Every built-in preset as a user applies it (the model's default method), on the held-out text."""
    from headmix.core.plan import presets

    print("| preset | shape after | parameters | perplexity ↓ | worst layers (attention error) |")
    print("|---|---|---|---|---|")
    for preset in presets.builtin().values():
        plan = ShrinkRun.build(checkpoint, preset.request)
        started = time.perf_counter()
        quality = evaluate_plan(plan, sample)
        worst = sorted((e for e in quality.layers if e.changed), key=lambda e: -e.attention_error)[:3]
        shape = f"{plan.num_heads} × {plan.head_dim}, kv {plan.num_kv_heads}"
        if plan.reduction is not None:
            shape += f", {plan.reduction.num_layers} layers"
        worst_text = ", ".join(f"{e.layer} ({e.attention_error:.2f})" for e in worst) or "–"
        print(f"| {preset.name} ({plan.method.value}) | {shape} | {plan.params_after / 1e6:.1f}M | "
              f"{quality.before.perplexity:.2f} → {quality.after.perplexity:,.2f} | {worst_text} |  "
              f"<!-- {time.perf_counter() - started:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
