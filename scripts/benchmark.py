"""Speed and memory of the export and of the quality check, on synthetic and real checkpoints.

Export (issue "Export: streaming, safe, loadable"), on a synthetic ~1.5B Llama in BF16:
  identity export <= 1.0 x cp of the same files, half the query heads <= 1.3 x, heads/2 and head
  size/2 (select) <= 1.5 x (issue 20: the reshape keeps the measured speed), until synced
  peak RSS <= 2 x the largest tensor + 300 MB

Quality check (issue 11):
  forward: headmix's numpy pass over 2,048 tokens (4 windows x 512) of a real 135M model, against
           transformers' float32 CPU forward over the same tokens, in the same run: <= 1.3 x
  memory:  evaluating a synthetic 1.1B BF16 checkpoint (TinyLlama shapes, 2.2 GB): peak RSS <= 1 GB

Heal (issue 21), needs torch and transformers:
  heal:    headmix's heal steps (its torch student, teacher targets read from disk, schedule, clipping)
           against a plain PyTorch loop (transformers' LlamaForCausalLM, the same tensors trained, the
           same targets already in memory, the same loss and optimiser) over the same tokens: <= 1.2 x;
           peak RSS of a whole heal with the default options on the CPU (scripts/measure_heal_memory.py,
           a child process): the real 135M model with kv heads 3 -> 1 <= 2 GB, and the synthetic 1.1B
           BF16 checkpoint with heads 32 -> 16 and kv heads 4 -> 2 (random weights) <= 8 GB

Describing a plan for a 70B-shaped checkpoint (headers only): < 1 s for every method.

    python scripts/benchmark.py [--only export|forward|memory|calibration|describe|heal] [--workdir DIR] [--keep]
                                [--real-model PATH] [--text FILE]

Each export and memory run is a separate process running the real `headmix` command, timed
with its own wall clock. Peak RSS is the process's own VmHWM, read from /proc/self/status as
it exits: ru_maxrss from wait4 would include the memory of the Python process that forked it
(Linux keeps the high-water mark across exec). The forward comparison runs both in this
process, interleaved, and reports min and median (this machine's timings are noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Llama-3.2-1B's shapes with an untied lm_head: 1.50B parameters, 3.0 GB in BF16.
CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256, "hidden_size": 2048,
    "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
    "head_dim": 64, "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "tie_word_embeddings": False,
    "rope_parameters": {"rope_type": "default", "rope_theta": 500000.0}, "dtype": "bfloat16",
}  # fmt: skip


def shapes(config: dict | None = None) -> dict[str, tuple[int, ...]]:
    c = config or CONFIG
    h, ff, nq, nkv, d = c["hidden_size"], c["intermediate_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    out = {"model.embed_tokens.weight": (c["vocab_size"], h)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out.update({
            p + "input_layernorm.weight": (h,), p + "self_attn.q_proj.weight": (nq * d, h),
            p + "self_attn.k_proj.weight": (nkv * d, h), p + "self_attn.v_proj.weight": (nkv * d, h),
            p + "self_attn.o_proj.weight": (h, nq * d), p + "post_attention_layernorm.weight": (h,),
            p + "mlp.gate_proj.weight": (ff, h), p + "mlp.up_proj.weight": (ff, h), p + "mlp.down_proj.weight": (h, ff),
        })  # fmt: skip
    out["model.norm.weight"] = (h,)
    out["lm_head.weight"] = (c["vocab_size"], h)
    return out


def make_checkpoint(folder: Path, config: dict | None = None) -> tuple[int, int]:
    """Write the checkpoint with real (random) BF16 bytes; returns (parameters, largest tensor bytes)."""
    from core.io.safetensors_file import OutputTensor, encode_header

    folder.mkdir(parents=True, exist_ok=True)
    config = config or CONFIG
    tensors = [OutputTensor(n, "BF16", s, 2 * int(np.prod(s))) for n, s in shapes(config).items()]
    rng = np.random.default_rng(0)
    # Random BF16 values around N(0, 0.02): a 32 MB block, varied per tensor by a rolling offset.
    block = (rng.normal(0, 0.02, 16 << 20).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes()
    with open(folder / "model.safetensors", "wb") as f:
        f.write(encode_header(tensors, {"format": "pt"}))
        for k, t in enumerate(tensors):
            left, offset = t.nbytes, (k * 4099 * 2) % len(block)
            while left:
                chunk = block[offset : offset + left] if offset else block[:left]
                f.write(chunk)
                left -= len(chunk)
                offset = 0
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return sum(int(np.prod(t.shape)) for t in tensors), max(t.nbytes for t in tensors)


#: time targets (x cp -r of the same files, until synced), from the architecture issue
TARGETS = {
    "headmix identity export": 1.0,
    "headmix halve query heads (mean)": 1.3,
    "headmix heads/2, head size/2 (select)": 1.5,
}

HWM_REPORTER = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('VmHWM', open('/proc/self/status').read().split('VmHWM:')[1].split()[0], file=sys.stderr))\n"
    "from headmix.core.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def run(argv: list[str]) -> tuple[float, int | None]:
    """Wall seconds and peak RSS in bytes (None where the process cannot report it) of one run."""
    start = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr}")
    hwm = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("VmHWM ")]
    return elapsed, int(hwm[-1]) * 1024 if hwm else None


def measure(contenders: dict[str, tuple[list[str], Path]], repeat: int) -> dict[str, tuple[float, float, int | None]]:
    """Median and best wall time, and peak RSS, of each contender.

    Runs are interleaved (cp, identity, ..., cp, identity, ...) and each starts after `sync`,
    so no contender inherits another's dirty pages: the kernel's writeback dominates copies of
    this size and otherwise swings single timings by 2-3x.
    """
    times: dict[str, list[float]] = {k: [] for k in contenders}
    synced: dict[str, list[float]] = {k: [] for k in contenders}
    rss: dict[str, list[int]] = {k: [] for k in contenders}
    for _ in range(repeat):
        for label, (argv, out) in contenders.items():
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run(["sync"], check=True)
            start = time.perf_counter()
            elapsed, peak = run(argv)
            subprocess.run(["sync"], check=True)  # until the bytes are on disk, as a user's next step needs
            synced[label].append(time.perf_counter() - start)
            times[label].append(elapsed)
            if peak is not None:
                rss[label].append(peak)
            shutil.rmtree(out, ignore_errors=True)
    return {k: (statistics.median(v), statistics.median(synced[k]), max(rss[k]) if rss[k] else None) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where to write the ~2.5 GB checkpoint and its copies")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the synthetic checkpoint")
    parser.add_argument("--only", choices=["export", "forward", "memory", "calibration", "describe", "heal"],
                        help="run one part (default: all)")
    parser.add_argument("--real-model", type=Path, default=REAL_MODEL,
                        help=f"a real small model folder for the forward comparison (default: {REAL_MODEL})")
    parser.add_argument("--text", type=Path, help="text for the forward comparison (default: headmix's default text)")
    args = parser.parse_args()
    if args.only in (None, "describe"):
        describe_speed(args.workdir)
    if args.only in (None, "calibration"):
        calibration_cost(args.real_model, args.repeat)
    if args.only in (None, "forward"):
        forward_speed(args.real_model, args.text, args.repeat)
    if args.only in (None, "memory"):
        evaluation_memory(args.workdir, args.keep, args.repeat)
    if args.only in (None, "heal"):
        heal_speed(args.real_model, args.repeat)
        heal_memory(args.real_model, args.workdir)
    if args.only not in (None, "export"):
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="headmix-bench-"))
    src = work / "llama-1b"
    if not (src / "model.safetensors").exists():
        print(f"writing a synthetic Llama-1B-shaped BF16 checkpoint to {src} ...", flush=True)
    params, largest = make_checkpoint(src) if not (src / "model.safetensors").exists() else (
        sum(int(np.prod(s)) for s in shapes().values()), 2 * max(int(np.prod(s)) for s in shapes().values()))
    size = (src / "model.safetensors").stat().st_size
    run(["cat", str(src / "model.safetensors")])  # warm the page cache for every contender alike
    headmix = [sys.executable, "-c", HWM_REPORTER, "shrink", str(src)]
    results = measure({
        "cp -r": (["cp", "-r", str(src), str(work / "cp")], work / "cp"),
        "headmix identity export": (headmix + ["-o", str(work / "identity")], work / "identity"),
        "headmix halve query heads (mean)": (headmix + ["-o", str(work / "half"), "--heads", "16", "--method", "mean"], work / "half"),
        "headmix heads/2, head size/2 (select)": (headmix + ["-o", str(work / "sel"), "--heads", "16", "--head-dim", "32"], work / "sel"),
    }, args.repeat)  # fmt: skip
    cp_median, cp_synced, _ = results["cp -r"]
    print()
    print(f"checkpoint   {params / 1e9:.2f}B parameters, {size / 1e9:.2f} GB BF16, largest tensor {largest / 1e6:.0f} MB")
    print(f"runs         {args.repeat} of each, interleaved, each after sync; medians")
    print(f"{'run':<40} {'exit s':>7} {'x cp':>6} {'synced s':>9} {'x cp':>6} {'peak RSS MB':>12} {'target':>7}")
    for label, (median, synced, rss) in results.items():
        rss_text = "-" if rss is None else f"{rss / 1e6:.0f}"
        limit = TARGETS.get(label)
        verdict = "" if limit is None else ("met" if synced / cp_synced <= limit else "NOT met")
        print(f"{label:<40} {median:>7.2f} {median / cp_median:>6.2f} {synced:>9.2f} {synced / cp_synced:>6.2f} "
              f"{rss_text:>12} {verdict:>7}")
    print("\ntargets (x cp, until synced): " + ", ".join(f"{k} <= {v}" for k, v in TARGETS.items()))
    print("'exit s' stops when the process exits, with the last writes still in the page cache; "
          "'synced s' includes the sync that puts them on disk.")
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)



# --------------------------------------------------------------------------- describing a 70B plan


def describe_speed(workdir: Path | None) -> None:
    """Plan.build + describe on Llama-70B's shapes (sparse files: headers only), per method.

    Target (architecture issue): well under a second whatever the method, since nothing is read.
    """
    sys.path.insert(0, str(ROOT / "tests"))
    import synthetic

    from core.io.checkpoint import open_checkpoint
    from core.plan.planner import Plan
    from core.plan.request import Request

    print("\n== describing a plan for a 70B-shaped checkpoint (headers only)")
    folder = Path(tempfile.mkdtemp(prefix="headmix-70b-", dir=workdir))
    try:
        synthetic.write_llama_70b(folder)
        start = time.perf_counter()
        checkpoint = open_checkpoint(folder)
        opened = time.perf_counter() - start
        print(f"open + detect  {opened:.3f} s")
        for method in ("select", "mean", "random", "article"):
            start = time.perf_counter()
            plan = Plan.build(checkpoint, Request(heads=32, kv_heads=4, head_dim=64, method=method))
            plan.describe()
            elapsed = time.perf_counter() - start
            print(f"{method:<8} plan + describe {elapsed:.3f} s -> {'met' if elapsed < 1 else 'NOT met'} (target < 1 s)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- calibration


def calibration_cost(folder: Path, repeat: int) -> None:
    """The calibrated method's walk over 4,096 tokens against one forward pass over the same tokens.

    Target (calibrated-shrinking issue): at most 3 x one forward pass, on a real 135M model.
    """
    print("\n== calibration cost: the calibrated walk vs one forward pass (4,096 tokens)")
    if not (folder / "config.json").is_file():
        print(f"skipped: no real model at {folder} (give --real-model PATH; scripts/get_real_model.py makes one)")
        return
    import resource

    from core.io.checkpoint import open_checkpoint
    from core.run.shrink_run import ShrinkRun
    from core.io.text import Settings, prepare_text
    from core.run.quality import evaluate_model
    from core.plan.request import Request

    checkpoint = open_checkpoint(folder)
    sample = prepare_text(checkpoint, None, Settings(512, 4096))
    evaluate_model(checkpoint, sample)  # warm the page cache and BLAS
    forward = []
    for _ in range(repeat):
        start = time.perf_counter()
        evaluate_model(checkpoint, sample)
        forward.append(time.perf_counter() - start)
    base = statistics.median(forward)
    print(f"one forward pass (layers and output head): median {base:.2f} s over {repeat} runs")
    for label, targets in (("query heads 9 -> 6", dict(heads=6)), ("kv heads 3 -> 1", dict(kv_heads=1)),
                           ("head size 64 -> 32", dict(head_dim=32))):  # fmt: skip
        times = []
        for _ in range(max(1, repeat // 2)):
            plan = ShrinkRun.build(checkpoint, Request(method="calibrated", **targets))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start = time.perf_counter()
            for i in plan.layers:
                plan.mixing(i)
            times.append(time.perf_counter() - start)
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        t = statistics.median(times)
        print(f"{label:<20} calibration {t:6.2f} s = {t / base:.2f} x one forward pass "
              f"-> {'met' if t / base <= 3 else 'NOT met'} (target <= 3x); peak RSS grew {grown:.0f} MB")


# --------------------------------------------------------------------------- the quality check

REAL_MODEL = Path.home() / ".cache" / "headmix" / "real-model" / "smollm2-135m-instruct-q4_1"
FORWARD_TOKENS = 2048
FORWARD_WINDOW = 512


def forward_speed(folder: Path, text_path: Path | None, repeat: int) -> None:
    """headmix's numpy perplexity pass against transformers' float32 forward + loss, same tokens, same run.

    Both score the same 4 windows of 512 tokens. headmix's time includes reading and converting
    every weight from the checkpoint (it streams); transformers' model is loaded beforehand, so
    the comparison is conservative for headmix.
    """
    print("\n== forward pass: numpy vs transformers (float32, CPU)")
    if not (folder / "config.json").is_file():
        print(f"skipped: no real model at {folder} (give --real-model PATH; scripts/get_real_model.py makes one)")
        return
    try:
        import torch
        from transformers import AutoModelForCausalLM
    except ImportError:
        print("skipped: needs torch and transformers (pip install -e '.[test]')")
        return
    from core.io.checkpoint import open_checkpoint
    from core.io.text import Settings, prepare_text
    from core.run.quality import evaluate_model
    from core.io.text import read_text

    checkpoint = open_checkpoint(folder)
    sample = prepare_text(checkpoint, read_text(text_path), Settings(FORWARD_WINDOW, FORWARD_TOKENS))
    ids = sample.windows.ids
    if ids.shape[0] * FORWARD_WINDOW < FORWARD_TOKENS:
        raise SystemExit(f"the text gives only {ids.shape[0]} windows of {FORWARD_WINDOW}; give a longer --text")
    torch.set_num_threads(os.cpu_count() or 1)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()

    @torch.no_grad()
    def reference() -> float:
        batch = torch.tensor(ids)
        logits = model(input_ids=batch).logits
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        return float(torch.exp(-logp.gather(-1, batch[:, 1:, None]).mean()))

    evaluate_model(checkpoint, sample)  # warm the page cache and BLAS for both alike
    reference()
    ours, theirs = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        mine = evaluate_model(checkpoint, sample).perplexity.perplexity
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        ref = reference()
        theirs.append(time.perf_counter() - start)
    print(f"model        {folder.name}: {checkpoint.num_parameters / 1e6:.0f}M parameters, {checkpoint.dtype}")
    print(f"tokens       {ids.shape[0]} windows x {ids.shape[1]} from {sample.info.source}; "
          f"{repeat} runs each, interleaved, torch threads {torch.get_num_threads()}")
    print(f"perplexity   headmix {mine:.4f}, transformers {ref:.4f} (relative difference {abs(mine - ref) / ref:.1e})")
    print(f"{'':12} {'min s':>7} {'median s':>9}")
    print(f"{'headmix':<12} {min(ours):>7.2f} {statistics.median(ours):>9.2f}")
    print(f"{'transformers':<12} {min(theirs):>7.2f} {statistics.median(theirs):>9.2f}")
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"target: <= 1.3 x transformers (medians) -> {'met' if ratio <= 1.3 else 'NOT met'} ({ratio:.2f}x; "
          f"best against best {min(ours) / min(theirs):.2f}x)")


# TinyLlama-1.1B's shapes: 1.10B parameters, 2.2 GB in BF16, untied lm_head.
SMALL_CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 32000, "hidden_size": 2048,
    "intermediate_size": 5632, "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4,
    "head_dim": 64, "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "tie_word_embeddings": False,
    "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}, "dtype": "bfloat16",
}  # fmt: skip
MEMORY_BUDGET = 1 << 30


def _synthetic_text(words: int = 6000) -> str:
    rng = np.random.default_rng(0)
    vocabulary = [f"w{i}" for i in range(2000)]
    return " ".join(vocabulary[int(i)] for i in rng.zipf(1.3, words) % len(vocabulary)) + "\n"


def make_small_model(folder: Path) -> Path:
    """The 1.1B checkpoint (random BF16 weights), a word-level tokenizer.json and a text it covers."""
    if not (folder / "model.safetensors").exists():
        print(f"writing a synthetic TinyLlama-shaped BF16 checkpoint to {folder} ...", flush=True)
        make_checkpoint(folder, SMALL_CONFIG)
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    text = _synthetic_text()
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator([text], trainers.WordLevelTrainer(vocab_size=32000, special_tokens=["<unk>", "<s>"]))
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps({"bos_token": "<s>", "add_bos_token": True}))
    (folder / "text.txt").write_text(text)
    return folder / "text.txt"


def evaluation_memory(workdir: Path | None, keep: bool, repeat: int) -> None:
    """Peak RSS of `headmix eval` and of `headmix shrink --eval --dry-run` (two models in one walk) on 1.1B BF16."""
    print("\n== quality check memory: a synthetic 1.1B BF16 checkpoint")
    work = workdir or Path(tempfile.mkdtemp(prefix="headmix-bench-"))
    try:
        _evaluation_memory(work / "llama-1.1b", repeat)
    finally:
        if not keep and not workdir:
            shutil.rmtree(work, ignore_errors=True)


def _evaluation_memory(folder: Path, repeat: int) -> None:
    text = make_small_model(folder)
    size = (folder / "model.safetensors").stat().st_size
    run(["cat", str(folder / "model.safetensors")])
    headmix = [sys.executable, "-c", HWM_REPORTER]
    runs = {
        "headmix eval (4,096 tokens)": headmix + ["eval", str(folder), "--text", str(text)],
        "headmix shrink --eval --dry-run, heads/2": headmix + ["shrink", str(folder), "--heads", "16", "--eval",
                                                              "--dry-run", "--text", str(text)],
    }  # fmt: skip
    print(f"checkpoint   {size / 1e9:.2f} GB BF16; runs: {max(1, repeat // 2)} of each")
    print(f"{'run':<44} {'median s':>9} {'peak RSS MB':>12}")
    peak = 0
    for label, argv in runs.items():
        results = [run(argv) for _ in range(max(1, repeat // 2))]
        rss = max(r[1] for r in results if r[1] is not None)
        peak = max(peak, rss)
        print(f"{label:<44} {statistics.median(r[0] for r in results):>9.1f} {rss / 1e6:>12.0f}")
    print(f"target: peak RSS <= 1 GB -> {'met' if peak <= MEMORY_BUDGET else 'NOT met'} (max {peak / 1e6:.0f} MB)")


# --------------------------------------------------------------------------- heal step speed

HEAL_TARGET = 1.2


def heal_speed(real_model: Path, repeat: int, windows: int = 2) -> None:
    """Seconds per heal step of headmix's loop against a plain PyTorch loop over the same tensors and tokens."""
    import torch
    import transformers

    from headmix.core.model.architecture import detect
    from headmix.core.io.checkpoint import open_checkpoint
    from headmix.core.cli import main as headmix
    from headmix.core.heal.distil import Schedule, distil, top_k_kl
    from headmix.core.heal.record import HealOptions
    from headmix.core.heal.teacher import compute
    from headmix.core.heal.torch_model import Student
    from headmix.core.heal.trainable import select
    from headmix.core.io.text import cut_windows, load_tokenizer, read_text

    print(f"\n== heal step: headmix against a plain PyTorch loop, {windows} windows of 512 tokens of {real_model.name}")
    work = Path(tempfile.mkdtemp(prefix="headmix-bench-heal-"))
    try:
        export = work / "kv1"
        headmix(["shrink", str(real_model), "-o", str(export), "--kv-heads", "1", "--method", "mean"])
        source, shrunk = open_checkpoint(real_model), open_checkpoint(export)
        arch = detect(shrunk)
        trained = select("changed", shrunk, arch, source, json.loads((export / "headmix.json").read_text()))
        tokenizer = load_tokenizer(real_model)
        ids = cut_windows(tokenizer.encode(read_text(None).content), 512, 1 << 62, tokenizer.bos_id).ids[:windows]
        targets = compute(source, ids)
        rows = np.arange(windows)
        index = torch.from_numpy(np.asarray(targets.index, dtype=np.int64))
        logp, rest = torch.from_numpy(np.array(targets.logp)), torch.from_numpy(np.array(targets.rest))
        model = transformers.AutoModelForCausalLM.from_pretrained(export, dtype=torch.float32)
        params = dict(model.named_parameters())
        for name, p in params.items():
            p.requires_grad_(name in trained)
        plain_params = [params[n] for n in trained]
        schedule = Schedule(1e-4, windows, 1)

        def plain() -> float:
            optimiser = torch.optim.AdamW(plain_params, lr=1e-4, weight_decay=0.0, betas=(0.9, 0.95))
            started = time.perf_counter()
            for step in range(windows):
                for group in optimiser.param_groups:
                    group["lr"] = 1e-4 * schedule.factor(step)
                x = torch.from_numpy(ids[step:step + 1])
                logits = model(x).logits
                loss = top_k_kl(logits.reshape(512, -1), index[step].reshape(512, -1), logp[step].reshape(512, -1), rest[step])
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(plain_params, 1.0)
                optimiser.step()
            return (time.perf_counter() - started) / windows

        # as a heal runs by default: layers recomputed in the backward pass, the loss a chunk of positions at a time
        student = Student(shrunk, arch, set(trained), torch.device("cpu"), HealOptions().recompute)

        def ours() -> float:
            result = distil(student, targets, ids, rows, windows * 512, 1e-4)
            return result.seconds / result.steps

        plain(), ours()  # warm up both
        times: dict[str, list[float]] = {"plain PyTorch loop (transformers model)": [], "headmix heal": []}
        for _ in range(max(1, repeat // 2)):
            times["plain PyTorch loop (transformers model)"].append(plain())
            times["headmix heal"].append(ours())
        targets.close()
        base = statistics.median(times["plain PyTorch loop (transformers model)"])
        print(f"trained: {len(trained)} tensors ({sum(int(np.prod(shrunk.tensors[n].shape)) for n in trained):,} parameters); "
              f"torch threads {torch.get_num_threads()}")
        print(f"{'loop':<42} {'median s/step':>14} {'x plain':>8}")
        for label, values in times.items():
            print(f"{label:<42} {statistics.median(values):>14.3f} {statistics.median(values) / base:>8.2f}")
        ratio = statistics.median(times["headmix heal"]) / base
        print(f"target: headmix heal step <= {HEAL_TARGET} x plain -> {'met' if ratio <= HEAL_TARGET else 'NOT met'} ({ratio:.2f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


HEAL_MEMORY_TARGETS = {"135M": 2 * 10**9, "1.1B": 8 * 10**9}


def heal_memory(real_model: Path, workdir: Path | None, which: tuple[str, ...] = ("135M", "1.1B")) -> None:
    """Peak RSS (VmHWM, per stage) of whole heals with the default options, each in its own process."""
    from headmix.core.cli import main as headmix

    print("\n== heal memory: a whole heal (teacher, student, scoring, training, writing) on the CPU, default options")
    work = workdir or Path(tempfile.mkdtemp(prefix="headmix-bench-heal-memory-"))
    probe = Path(__file__).resolve().parent / "measure_heal_memory.py"
    try:
        for label in which:
            if label == "135M":
                source, flags, extra = real_model, ["--kv-heads", "1"], ["--tokens", "1024"]
            else:
                source = work / "llama-1.1b"
                make_small_model(source)
                text = work / "heal-text.txt"  # three windows of 512 words: two to train on, one held out
                text.write_text(_synthetic_text(1600))
                flags, extra = ["--heads", "16", "--kv-heads", "2", "--method", "mean"], ["--tokens", "512", "--text", str(text)]
            export = work / f"heal-{label}"
            shutil.rmtree(export, ignore_errors=True)
            if headmix(["shrink", str(source), "-o", str(export), *flags]):
                print(f"{label}: the shrink failed")
                continue
            report = work / f"heal-{label}.json"
            started = time.perf_counter()
            subprocess.run([sys.executable, str(probe), str(export), "--source", str(source), "--in-place",
                            "--json", str(report), *extra], check=True)
            data = json.loads(report.read_text())
            peak = data["vmhwm"]
            print(f"{label}: {time.perf_counter() - started:.0f} s, trained {data['record']['trained_parameters']:,} "
                  f"parameters; target: peak RSS <= {HEAL_MEMORY_TARGETS[label] / 1e9:.0f} GB -> "
                  f"{'met' if peak <= HEAL_MEMORY_TARGETS[label] else 'NOT met'} ({peak / 1e9:.2f} GB)")
            shutil.rmtree(export, ignore_errors=True)
    finally:
        if not workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
