"""Perplexity of every method on every shape, on a real trained decoder LM and text calibration never saw.

    python scripts/get_real_model.py && python scripts/get_texts.py      # once: model and texts
    python scripts/measure_quality.py [--only kv,d] [--methods calibrated,mean] [--json out.json]
    python scripts/get_real_gemma.py                                    # once: the second family
    python scripts/measure_quality.py --worst [--variants default] [--tokens 2048]

``--worst`` is the harness that chooses defaults: both real families (SmolLM2-135M, Llama; Gemma 3
270M: qk-norm, post-norms) × three held-out genres calibration never sees (narrative, technical,
legal: scripts/get_texts.py) × both window conventions (BOS before every window, BOS before the
first only), each cell as the ratio of the shrunk model's perplexity to the original's on the
same windows, and per shape the WORST ratio over the cells. Every cell is cached as one JSON file
under ~/.cache/headmix/quality/cells, keyed by model, shape, variant, calibration text and options,
held-out text, convention and token count, so a rerun only computes what is new (and runs in
parallel do not overwrite each other).

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
from headmix.core.io.text import DEFAULT_TEXT, read_text  # noqa: E402

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


GEMMA = CACHE / "real-model" / "gemma-3-270m-q4_k_m"
LEGAL = CACHE / "texts" / "legal.txt"
CELLS = CACHE / "quality" / "cells"
#: the harness: family -> (model folder, {shape: (label, targets)}); the issue's shapes first
FAMILIES = {
    "llama": (MODEL, {
        "kv": ("kv heads 3 → 1", dict(kv_heads=1)),
        "d": ("head size 64 → 32", dict(head_dim=32)),
        "q": ("query heads 9 → 6", dict(heads=6)),
        "kvq": ("kv heads 3 → 1, query heads 9 → 3", dict(heads=3, kv_heads=1)),
        "layers": ("decoder layers 30 → 24", dict(num_layers=24)),
    }),
    "gemma": (GEMMA, {
        "q": ("query heads 4 → 2", dict(heads=2)),
        "d": ("head size 256 → 128", dict(head_dim=128)),
        "layers": ("decoder layers 18 → 14", dict(num_layers=14)),
        "qd": ("query heads 4 → 2, head size 256 → 128", dict(heads=2, head_dim=128)),
    }),
}
ISSUE_SHAPES = {"llama": ("kv", "d", "kvq"), "gemma": ("q", "d", "layers", "qd")}
HELD_OUT = {"narrative": HELDOUT, "technical": TECHNICAL, "legal": LEGAL}
CONVENTIONS = ("every", "first")
#: variant -> (request fields, calibration options or None): "default" is what a user gets; "before" is the
#: default before issue 22 (English prose, BOS on every calibration window, rule 2's qk-norm scale, drop on
#: post-norm families); "previous" the default before query heads by the refit, per-pair query factors and
#: output value directions; the others each change one or two things (named) of the default at the time
VARIANTS: dict[str, tuple[dict, object]] = {
    "default": ({}, None),
    "before": (dict(calib_text=str(DEFAULT_TEXT), layer_method="drop"),
               CalibrationOptions(bos="every", qk_norm="rule", query_heads="energy", temperature="rule", value_basis="pca")),
    "refit": ({}, CalibrationOptions(qk_norm="refit")),
    "drop": (dict(layer_method="drop"), None),
    "merge": (dict(layer_method="merge"), None),
    "mean": (dict(method="mean"), None),
    "damp10": ({}, CalibrationOptions(damping=0.10)),
    "damp30": ({}, CalibrationOptions(damping=0.30)),
    "damp1": ({}, CalibrationOptions(damping=0.01)),
    "tempfit": ({}, CalibrationOptions(temperature="fit")),
    "previous": ({}, CalibrationOptions(query_heads="energy", temperature="rule", value_basis="pca")),
    "qfit": ({}, CalibrationOptions(query_heads="fit")),
    "qenergy": ({}, CalibrationOptions(query_heads="energy")),
    "vout": ({}, CalibrationOptions(value_basis="output")),
    "qfit-vout": ({}, CalibrationOptions(query_heads="fit", value_basis="output")),
    "vpca": ({}, CalibrationOptions(value_basis="pca")),
    "pairs": ({}, CalibrationOptions(temperature="pairs")),
    "pairs-vout": ({}, CalibrationOptions(temperature="pairs", value_basis="output")),
    "qfit-pairs": ({}, CalibrationOptions(query_heads="fit", temperature="pairs")),
}


def cell_file(key: str) -> Path:
    """One JSON file per cell, so runs in parallel never overwrite each other's results."""
    import hashlib

    return CELLS / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".json")


def worst_case(args) -> None:
    """Every (family × shape × variant) on every held-out text and window convention; the worst ratio."""
    from headmix.core.io.text import read_calibration_text

    families = args.families.split(",")
    variants = args.variants.split(",")
    table = []
    for family in families:
        folder, shapes = FAMILIES[family]
        if not folder.exists():
            raise SystemExit(f"{folder} is missing: run scripts/get_real_model.py / scripts/get_real_gemma.py")
        checkpoint = open_checkpoint(folder)
        samples = {}
        for genre, path in HELD_OUT.items():
            text = read_text(str(path))
            for convention in CONVENTIONS:
                sample = prepare_text(checkpoint, text, Settings(512, args.tokens, convention))
                if convention != "every" and sample.info.bos is None:
                    continue  # the tokenizer adds no BOS: both conventions are the same windows
                samples[genre, convention] = sample
        only = args.only.split(",") if args.only else ISSUE_SHAPES[family]
        for shape in only:
            if shape not in shapes:
                continue
            label, targets = shapes[shape]
            for variant in variants:
                fields, options = VARIANTS[variant]
                fields = dict(fields)
                if "layer_method" in fields and "num_layers" not in targets:
                    fields.pop("layer_method")
                if "calib_text" not in fields and args.calib_text:
                    fields["calib_text"] = args.calib_text
                calib = read_calibration_text(fields.get("calib_text"))
                # the calibration text, which of its windows start with the BOS, how a qk-norm is refitted
                chosen = options or CalibrationOptions()
                how = f"{calib.sha256[:12]}/{chosen.bos}/{chosen.qk_norm}"
                # a fitted temperature acts only without a qk-norm (Gemma 3 has one): "fit" where keys change, "pairs"
                # where the head size does; the rule and 3% damping were the defaults when cells were first keyed, so
                # they add nothing to a key
                acts = "head_dim" in targets or (chosen.temperature == "fit" and "kv_heads" in targets)
                fitted = "rule" if family == "gemma" or not acts else chosen.temperature
                if (chosen.damping, fitted) != (0.03, "rule"):
                    how += f"/{chosen.damping}/{fitted}"
                if chosen.query_heads != "energy" and "heads" in targets:  # energy: the keys of cells measured before
                    how += f"/q-{chosen.query_heads}"
                if chosen.value_basis != "pca" and "head_dim" in targets:  # likewise
                    how += f"/v-{chosen.value_basis}"
                keys = {cell: "|".join([family, shape, variant, how, cell[0], cell[1], str(args.tokens)]) for cell in samples}
                cached = {cell: json.loads(cell_file(keys[cell]).read_text()) for cell in samples if cell_file(keys[cell]).is_file()}
                todo = [cell for cell in samples if cell not in cached]
                if todo and not args.cached_only:
                    plan = ShrinkRun.build(checkpoint, Request(**targets, **fields, calib_tokens=args.calib_tokens))
                    plan.calibration_options = options
                    for cell in todo:
                        started = time.perf_counter()
                        quality = evaluate_plan(plan, samples[cell])
                        cached[cell] = {"key": keys[cell], "before": quality.before.perplexity,
                                        "after": quality.after.perplexity, "method": plan.method.value,
                                        "layer_method": str(getattr(plan.reduction, "method", None) or "") or None,
                                        "seconds": round(time.perf_counter() - started, 1)}
                        CELLS.mkdir(parents=True, exist_ok=True)
                        cell_file(keys[cell]).write_text(json.dumps(cached[cell], indent=1) + "\n")
                        print(f"{family} {label} {variant} {cell[0]}/{cell[1]}: {cached[cell]['before']:.2f} → "
                              f"{cached[cell]['after']:,.2f} ({cached[cell]['seconds']:.0f} s)", flush=True)
                if cached:
                    table.append((family, label, variant, cached))
    print_table(table)


def print_table(table) -> None:
    """The README's table: each cell as perplexity (ratio to the original on the same windows), the worst ratio."""
    columns = [(g, c) for g in HELD_OUT for c in CONVENTIONS]
    print()
    print("| family | shape | variant | " + " | ".join(f"{g} (BOS {c})" for g, c in columns) + " | worst ratio |")
    print("|---|---|---|" + "---|" * len(columns) + "---|")
    for family, label, variant, cells in table:
        row = []
        for genre, convention in columns:
            cell = cells.get((genre, convention))
            if cell is None and (genre, "every") in cells and convention == "first" and family == "llama":
                row.append("same")  # SmolLM2's tokenizer adds no BOS
                continue
            row.append("–" if cell is None else f"{cell['after']:,.1f} ({cell['after'] / cell['before']:.2f}×)")
        worst = max(cell["after"] / cell["before"] for cell in cells.values())
        print(f"| {family} | {label} | {variant} | " + " | ".join(row) + f" | **{worst:.2f}×** |")
    originals = {}
    for family, _, _, cells in table:
        for cell, values in cells.items():
            originals.setdefault(family, {})[cell] = values["before"]
    print("\noriginal perplexities: " + "; ".join(f"{family} {g}/{c} {v:.2f}" for family, cells in originals.items()
                                                for (g, c), v in cells.items()))


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
    parser.add_argument("--worst", action="store_true", help="the harness: both families × texts × conventions")
    parser.add_argument("--families", default="llama,gemma")
    parser.add_argument("--variants", default="default", help="with --worst: " + ",".join(VARIANTS))
    parser.add_argument("--cached-only", action="store_true", help="with --worst: print the table of cached cells only")
    args = parser.parse_args()
    if args.worst:
        if args.only == ",".join(SHAPES):
            args.only = None
        if args.tokens == 8192:
            args.tokens = 2048
        return worst_case(args)
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
