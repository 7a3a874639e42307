"""Speed and memory of the export, against `cp`, on a synthetic ~1B-parameter Llama in BF16.

Targets (issue: "Export: streaming, safe, loadable"):
  identity export wall time <= 1.3 x cp of the same files
  peak RSS <= 2 x the largest tensor + 300 MB

    python scripts/benchmark.py [--workdir DIR] [--keep]

Each run is a separate process running the real `headmix shrink` command, timed with its
own wall clock; best of --repeat runs. Peak RSS is the process's own VmHWM, read from
/proc/self/status as it exits: ru_maxrss from wait4 would include the memory of the Python
process that forked it (Linux keeps the high-water mark across exec).
"""

from __future__ import annotations

import argparse
import json
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


def shapes() -> dict[str, tuple[int, ...]]:
    c = CONFIG
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


def make_checkpoint(folder: Path) -> tuple[int, int]:
    """Write the checkpoint with real (random) BF16 bytes; returns (parameters, largest tensor bytes)."""
    from core.safetensors_file import OutputTensor, encode_header

    folder.mkdir(parents=True, exist_ok=True)
    tensors = [OutputTensor(n, "BF16", s, 2 * int(np.prod(s))) for n, s in shapes().items()]
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
    (folder / "config.json").write_text(json.dumps(CONFIG, indent=2))
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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
