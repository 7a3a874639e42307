"""Measure healing on a real model: held-out perplexity before and after, for a few token budgets.

    python scripts/measure_heal.py [--model FOLDER] [--texts FOLDER] [--shapes kv,hd] [--budgets 8192,16384]
                                   [--eval-tokens 4096] [--lr 3e-4] [--train changed] [--norms | --no-norms]
                                   [--workdir DIR [--reuse] [--tag -NAME]] [--json FILE]

README "Healing"'s default rows: ``--shapes kv,hd,q,layers --budgets 65536`` (the norms train by default;
``--no-norms`` gives the rows of the previous default). With ``--reuse``, the shrunk exports already in
``--workdir`` are healed again and the perplexities of the original and of those exports are kept in
``--workdir``/perplexities.json (each measured once, keyed by the weights' file sizes and times); ``--tag``
names the healed copies, so that heals of different variants run side by side in one workdir.

Shapes kv, hd, q and layers are SmolLM2-135M's (the default --model); gq and ghd are Gemma 3 270M's:
``--model ~/.cache/headmix/real-model/gemma-3-270m-q4_k_m --shapes gq,ghd`` (scripts/get_real_gemma.py).

Each shape is shrunk with headmix's default (the calibrated method, on headmix's own English
text), then healed on that same calibration text at each budget (a fresh copy of the export
each time). Perplexity is measured by headmix's numpy forward pass on texts that calibration
and healing never see: scripts/get_texts.py's heldout.txt (a novel) and technical.txt (Python's
reference documentation), the first ``--eval-tokens`` tokens of each in windows of 512. It also
measures, on two held-out windows of the calibration text, the gap between the full KL of the
un-healed export to the original and its top-k stand-in the heal trains on (k = 64, 256, 1024, 4096).
Peak RSS of the process is printed at the end (the heal runs in this process).

Run it niced: the machine it was written on has 2 cores shared with others.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from headmix.core.model import forward
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.cli import main as headmix
from headmix.core.heal.record import HealOptions
from headmix.core.heal.run import heal_export
from headmix.core.heal.teacher import top_k_of_logits
from headmix.core.run.quality import evaluate_model
from headmix.core.io.text import Settings, cut_windows, load_tokenizer, prepare_text, read_text

REAL = Path.home() / ".cache" / "headmix" / "real-model" / "smollm2-135m-instruct-q4_1"
TEXTS = Path.home() / ".cache" / "headmix" / "texts"
CALIBRATION = Path(__file__).resolve().parent.parent / "resources" / "text" / "calibration.txt"
SHAPES = {
    "kv": ("kv heads 3 → 1", ["--kv-heads", "1"]),
    "hd": ("head size 64 → 32", ["--head-dim", "32"]),
    "q": ("query heads 9 → 3, kv 3 → 1", ["--heads", "3", "--kv-heads", "1"]),
    "layers": ("decoder layers 30 → 24", ["--num-layers", "24"]),
    "gq": ("query heads 4 → 2 (Gemma 3 270M; its one kv head stays)", ["--heads", "2"]),
    "ghd": ("head size 256 → 128", ["--head-dim", "128"]),
}


def shared_run(a: str, b: str, length: int = 80) -> str | None:
    """A run of ``length`` characters (whitespace collapsed) that both texts hold, or None: the texts a heal
    trains on must share nothing with the texts it is measured on."""
    a, b = " ".join(a.split()), " ".join(b.split())
    runs = {b[i:i + length] for i in range(len(b) - length + 1)}
    return next((a[i:i + length] for i in range(len(a) - length + 1) if a[i:i + length] in runs), None)


def perplexities(folder: Path, texts: dict[str, Path], tokens: int, cache: Path | None = None) -> dict[str, float]:
    """Perplexity of the model in ``folder`` on each text; with ``cache`` (a JSON file), a model whose weights'
    sizes and times are unchanged since a measurement with the same texts and tokens is not measured again."""
    key = json.dumps([str(Path(folder).resolve()), tokens, {n: str(p) for n, p in texts.items()},
                      sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in Path(folder).glob("*.safetensors"))])
    known = json.loads(cache.read_text()) if cache is not None and cache.exists() else {}
    if key in known:
        return known[key]
    checkpoint = open_checkpoint(folder)
    out = {}
    for name, path in texts.items():
        sample = prepare_text(checkpoint, read_text(path), Settings(512, tokens))
        out[name] = evaluate_model(checkpoint, sample).perplexity.perplexity
    if cache is not None:
        known[key] = out
        cache.write_text(json.dumps(known, indent=1))
    return out


def top_k_gap(source: Path, export: Path) -> dict[int, dict[str, float]]:
    """Full KL(original ‖ export) against its top-k + rest stand-in, on two held-out calibration windows."""
    tokenizer = load_tokenizer(source)
    text = read_text(None)
    ids = cut_windows(tokenizer.encode(text.content), 512, 1 << 62, tokenizer.bos_id).ids[-2:]
    vocab_p = forward.logits(open_checkpoint(source), ids)
    p_all = vocab_p.reshape(-1, vocab_p.shape[-1])
    q_all = forward.logits(open_checkpoint(export), ids).reshape(p_all.shape)
    sums = {k: 0.0 for k in (64, 256, 1024, 4096)}
    full = 0.0
    for start in range(0, p_all.shape[0], 128):  # float64 rows of logits, a block at a time
        p = p_all[start:start + 128].astype(np.float64)
        q = q_all[start:start + 128].astype(np.float64)
        logp = p - np.logaddexp.reduce(p, axis=1, keepdims=True)
        logq = q - np.logaddexp.reduce(q, axis=1, keepdims=True)
        full += float((np.exp(logp) * (logp - logq)).sum())
        for k in sums:
            index, lp, rest = top_k_of_logits(p, k)
            lq = np.take_along_axis(logq, index, axis=1)
            lq_rest = np.log1p(-np.minimum(np.exp(lq).sum(1), 1 - 1e-12))
            sums[k] += float(((np.exp(lp) * (lp - lq)).sum(1) + np.exp(rest) * (rest - lq_rest)).sum())
    n = p_all.shape[0]
    out = {}
    for k, total in sums.items():
        out[k] = {"full": full / n, "top_k": total / n, "gap": (full - total) / full}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REAL)
    parser.add_argument("--texts", type=Path, default=TEXTS)
    parser.add_argument("--shapes", default="kv,hd", help=f"comma-separated, of {', '.join(SHAPES)}")
    parser.add_argument("--budgets", default="8192,16384")
    parser.add_argument("--eval-tokens", type=int, default=4096)
    parser.add_argument("--lr", type=float, default=HealOptions().lr)
    parser.add_argument("--train", default="changed")
    parser.add_argument("--norms", action=argparse.BooleanOptionalAction, default=HealOptions().norms,
                        help="also train every norm weight")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--calib-text", type=Path, default=CALIBRATION,
                        help="the text the shrink is calibrated on and the heal trains on (default: headmix's mixed one)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--tag", default="", help="suffix of the healed copies' folders (runs side by side in one --workdir)")
    parser.add_argument("--reuse", action="store_true", help="reuse shrunk exports already in --workdir")
    parser.add_argument("--no-gap", action="store_true", help="skip the top-k gap measurement")
    args = parser.parse_args(argv)
    texts = {"novel": args.texts / "heldout.txt", "technical": args.texts / "technical.txt", "legal": args.texts / "legal.txt"}
    missing = [str(p) for p in texts.values() if not p.exists()]
    if missing:
        print(f"missing {', '.join(missing)}: run scripts/get_texts.py first", file=sys.stderr)
        return 2
    trained_on = args.calib_text.read_text(encoding="utf-8")
    for name, path in texts.items():
        common = shared_run(trained_on, path.read_text(encoding="utf-8"))
        if common is not None:
            print(f"{args.calib_text} and the held-out {name} text share {common!r}: not a held-out text", file=sys.stderr)
            return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="headmix-measure-heal-"))
    work.mkdir(parents=True, exist_ok=True)
    budgets = [int(b) for b in args.budgets.split(",") if b]
    rows, gaps = [], {}
    cache = work / "perplexities.json" if args.reuse else None  # the original's and the reused exports'
    base = perplexities(args.model, texts, args.eval_tokens, cache)
    rows.append({"shape": "original", "budget": None, **base, "seconds": 0.0})
    print(f"original: {base}", flush=True)
    for key in args.shapes.split(","):
        title, flags = SHAPES[key]
        shrunk = work / f"{key}-shrunk"
        started = time.perf_counter()
        if args.reuse and (shrunk / "headmix.json").exists():
            print(f"reusing {shrunk}", flush=True)
        else:
            if shrunk.exists():
                shutil.rmtree(shrunk)
            code = headmix(["shrink", str(args.model), "-o", str(shrunk), "--calib-text", str(args.calib_text), *flags])
            if code:
                return code
        shrink_seconds = time.perf_counter() - started
        before = perplexities(shrunk, texts, args.eval_tokens, cache)
        rows.append({"shape": title, "budget": 0, **before, "seconds": shrink_seconds})
        print(f"{title} un-healed: {before} ({shrink_seconds:.0f} s)", flush=True)
        if not args.no_gap:
            gaps[title] = top_k_gap(args.model, shrunk)
            print(f"  top-k gap: {gaps[title]}", flush=True)
        for budget in budgets:
            healed = work / f"{key}-{budget}{args.tag}"
            if healed.exists():
                shutil.rmtree(healed)
            shutil.copytree(shrunk, healed)
            started = time.perf_counter()
            record = heal_export(healed, str(args.model), HealOptions(tokens=budget, lr=args.lr, train=args.train,
                                                                    norms=args.norms))
            seconds = time.perf_counter() - started
            after = perplexities(healed, texts, args.eval_tokens)
            rows.append({"shape": title, "budget": budget, **after, "seconds": seconds, "kept": record.kept,
                         "heldout_kl": [record.heldout_before["kl"], record.heldout_after["kl"]],
                         "trained_parameters": record.trained_parameters, "teacher_seconds": record.seconds["teacher"],
                         "variant": {"lr": args.lr, "train": args.train, "norms": args.norms},
                         "train_loss_first_last": [record.loss_curve[0][1], record.loss_curve[-1][1]],
                         "load": [round(x, 2) for x in os.getloadavg()]})
            if args.json:  # after every heal, so an interrupted run keeps what it measured
                args.json.write_text(json.dumps({"rows": rows, "top_k_gap": gaps}, indent=2))
            print(f"  healed {budget}: {after} ({seconds:.0f} s; {record.summary()})", flush=True)
            shutil.rmtree(healed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n| shape | heal tokens | " + " | ".join(f"{t} ppl (× original)" for t in texts) + " | time |")
    print("|---|---|" + "---|" * len(texts) + "---|")
    for row in rows:
        cells = " | ".join(f"{row[t]:.2f} ({row[t] / base[t]:.2f}×)" for t in texts)
        budget = "–" if row["budget"] is None else ("un-healed" if row["budget"] == 0 else f"{row['budget']:,}")
        what = "shrink" if row["budget"] == 0 else "heal"
        print(f"| {row['shape']} | {budget} | {cells} | {row['seconds']:.0f} s {what if row['budget'] is not None else ''} |")
    print(f"\npeak RSS of this process: {peak:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "top_k_gap": gaps, "peak_rss_mb": peak}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
