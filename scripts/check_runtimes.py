"""Measured, not assumed: do the runtimes people deploy with compute what transformers computes?

Exports a set of shrinks of a small real model with ``headmix shrink``, runs each export through
every runtime that is installed (transformers, mlx-lm, llama.cpp through its own
``convert_hf_to_gguf.py`` and llama-cpp-python), computes each runtime's perplexity from its own
logits on the same tokens, and prints a Markdown table: perplexity, the relative difference from
transformers, ✔ when it is within the tolerance, and whether headmix's own verdict for that
runtime (the ``runtimes`` block of headmix.json) was right. vLLM and ``ollama create`` are shown
with headmix's verdict only when they are not installed.

The model defaults to SmolLM2-135M-Instruct as ``scripts/get_real_model.py`` writes it and the
text to the held-out Botchan of ``scripts/get_texts.py``. Nothing is fetched at run time except,
when no llama.cpp source is given, the llama-cpp-python sdist (from the package registry, with
pip) that holds the converter of the very llama.cpp commit that was compiled.

Each runtime runs in a subprocess of its own interpreter, so each may live in its own venv:

    python -m venv /work/venv-rt
    /work/venv-rt/bin/pip install "mlx[cpu]" mlx-lm        # ~20-35 s
    /work/venv-rt/bin/pip install llama-cpp-python         # compiles llama.cpp, ~8 min on 2 cores
    /work/venv-rt/bin/pip install torch==2.13.0            # the converter imports torch (pin it!)
    python scripts/check_runtimes.py --mlx-python /work/venv-rt/bin/python \\
        --llama-python /work/venv-rt/bin/python

Interpreters (flags, or the environment variables in brackets; a runtime whose interpreter
cannot import it is skipped with a message):
    --torch-python   transformers + torch, the reference (HEADMIX_TORCH_PYTHON; default: this one)
    --headmix-python headmix, for the exports (HEADMIX_PYTHON; default: this one)
    --mlx-python     mlx-lm (HEADMIX_MLX_PYTHON)
    --llama-python   llama-cpp-python (HEADMIX_LLAMA_PYTHON)
    --convert-python runs convert_hf_to_gguf.py: torch, transformers, sentencepiece, numpy
                     (HEADMIX_CONVERT_PYTHON; default: the llama one if it has torch, else torch's)

mlx's CPU wheel for Linux bundles the reference (netlib) BLAS, and mlx runs float32 matrix
products through it: about 2 GFLOP/s here, a minute per 512-token window of a 135M model.
``--mlx-blas`` preloads an optimised libblas.so.3 into the mlx-lm worker (LD_PRELOAD; about
60× faster, the same products summed in another order). By default the script uses Debian's
OpenBLAS when it is installed (``apt-get install libopenblas0-pthread``) and says so.

Protocol: the text is tokenized once with the ``tokenizers`` library from the model folder's
tokenizer.json (no BOS, as the tokenizer itself does), the first ``--max-tokens`` tokens are cut
into non-overlapping windows of ``--window`` tokens, each window is scored on its own, and the
perplexity is exp(mean negative log-likelihood) over every predicted token, computed in float64
from each runtime's float32 logits by the same function. Weights run in float32 everywhere:
transformers loads with dtype=float32, mlx-lm's parameters are cast to float32 after loading,
and the GGUF is written with ``--outtype f32`` (f16 on request) with an F32 KV cache.

Exports and GGUF files are cached in ``--workdir`` and rebuilt when headmix's core, the flags,
the source or the converter change; ``--fresh`` rebuilds everything.

To add a shrink, add a ``Shrink`` to ``SHRINKS`` (a key, the source it starts from, and the
flags of ``headmix shrink``); ``--only KEY ...`` runs a subset.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from runtime_report import MEASURED, render
from runtime_workers import worker_main

HOME_CACHE = Path.home() / ".cache" / "headmix"
DEFAULT_MODEL = HOME_CACHE / "real-model" / "smollm2-135m-instruct-q4_1"
DEFAULT_TEXT = HOME_CACHE / "texts" / "heldout.txt"
DEFAULT_WORKDIR = HOME_CACHE / "check-runtimes"


@dataclass(frozen=True)
class Shrink:
    """One model to check: ``args`` are the flags of ``headmix shrink`` (None: the source folder
    itself, as saved, without headmix); ``source`` names a source in ``SOURCES``."""

    key: str
    source: str
    args: tuple[str, ...] | None
    note: str = ""


#: sources: the model as given, and its exact Qwen2 equivalent (a Llama without biases is a
#: Qwen2 whose q/k/v biases are zero), to exercise Qwen2 → Llama exports
SOURCES = ("llama", "qwen2")

SHRINKS: tuple[Shrink, ...] = (
    Shrink("source", "llama", None, "transformers 5 writes rope_parameters only, no top-level rope_theta or "
           "rope_scaling, and mlx-lm reads only those two: it rotates at its default θ = 10000"),
    Shrink("identity", "llama", ()),
    Shrink("heads-1/3", "llama", ("--heads", "1/3", "--method", "select")),
    Shrink("kv-1/3-mean", "llama", ("--kv-heads", "1/3", "--method", "mean")),
    Shrink("dim-1/2-select", "llama", ("--head-dim", "1/2", "--method", "select")),
    Shrink("dim-1/2-mean", "llama", ("--head-dim", "1/2", "--method", "mean")),
    Shrink("dim-1/2-select-any", "llama", ("--head-dim", "1/2", "--method", "select", "--rotary-pairs", "any"),
           "select may keep any pairs, but the ones it scores best may well be a progression, which goes out as a plain rope"),
    Shrink("dim-3/4-mean-any", "llama", ("--head-dim", "3/4", "--method", "mean", "--rotary-pairs", "any"),
           "mean keeps evenly spread pairs, here no arithmetic progression: the export needs longrope factors"),
    Shrink("qwen2-identity", "qwen2", (),
           "the Qwen2 equivalent keeps SmolLM's tokenizer.json; transformers 5 loads a qwen2 folder's tokenizer as "
           "Qwen2Tokenizer, with Qwen2's pre-tokenizer, whose fingerprint convert_hf_to_gguf.py does not know, so it "
           "refuses the folder shrunk or not (a real Qwen2 tokenizer is known); runtimes are fed token ids, so nothing "
           "else depends on the tokenizer"),
    Shrink("qwen2-dim-1/2-mean", "qwen2", ("--head-dim", "1/2", "--method", "mean")),
    Shrink("dim-1/2-calibrated", "llama", ("--head-dim", "1/2", "--method", "calibrated", "--calib-tokens", "1024"),
           "issue 19's case on a Gemma 3: the pairs a runtime can read on every layer type"),
)

#: an optimised BLAS with the reference BLAS's symbols, for mlx's float32 products (see above)
DEBIAN_OPENBLAS = Path("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# the parent: exports, conversions, subprocesses (the workers are runtime_workers.py's, run
# through this script so that ``check_runtimes.py _worker ...`` stays the one entry point;
# the table is runtime_report.py's)
# --------------------------------------------------------------------------------------------


@dataclass
class Interpreters:
    torch: str
    headmix: str
    mlx: str | None
    llama: str | None
    convert: str | None
    mlx_env: dict | None = None  # the environment of the mlx-lm worker (LD_PRELOAD of a BLAS)
    missing: dict[str, str] = field(default_factory=dict)


def run_json(python: str, args: list[str], what: str, timeout: float = 3600, env: dict | None = None) -> dict:
    """Run a worker of this script under ``python``; its JSON result, or {"error": ...}."""
    cmd = [python, str(Path(__file__).resolve()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode == 0 and lines:
        try:
            result = json.loads(lines[-1])
        except json.JSONDecodeError:
            result = {"error": f"{what}: no result printed"}
    else:
        # a crash in native code (llama.cpp aborts on a tensor it cannot size) ends the process
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        result = {"error": f"{what} ended with exit code {proc.returncode}: {tail}"}
    if "error" in result:
        (WORK_LOGS / f"{re.sub(r'[^A-Za-z0-9.-]+', '_', what)}.log").write_text(proc.stdout + "\n" + proc.stderr)
    return result


def can_import(python: str | None, modules: list[str]) -> str | None:
    """None when ``python`` imports every module, else why not."""
    if not python:
        return "no interpreter given"
    if not Path(python).exists() and not shutil.which(python):
        return f"{python} does not exist"
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
    proc = subprocess.run([python, "-c", code, *modules], capture_output=True, text=True)
    if proc.returncode:
        return f"{python} cannot import {', '.join(modules)} ({(proc.stderr.strip().splitlines() or ['?'])[-1]})"
    return None


def pick_interpreters(args) -> Interpreters:
    env = os.environ.get
    here = sys.executable
    found = Interpreters(
        torch=args.torch_python or env("HEADMIX_TORCH_PYTHON") or here,
        headmix=args.headmix_python or env("HEADMIX_PYTHON") or here,
        mlx=args.mlx_python or env("HEADMIX_MLX_PYTHON") or here,
        llama=args.llama_python or env("HEADMIX_LLAMA_PYTHON") or here,
        convert=args.convert_python or env("HEADMIX_CONVERT_PYTHON"),
    )
    for what, python, modules in (("transformers", found.torch, ["torch", "transformers", "safetensors"]),
                                  ("headmix", found.headmix, ["headmix.core.cli"])):
        why = can_import(python, modules)
        if why:
            raise SystemExit(f"check_runtimes: {what} is required: {why}")
    if why := can_import(found.mlx, ["mlx_lm"]):
        found.missing["mlx-lm"] = f"{why}; install it with pip install \"mlx[cpu]\" mlx-lm and pass --mlx-python"
        found.mlx = None
    blas = args.mlx_blas or env("HEADMIX_MLX_BLAS") or (str(DEBIAN_OPENBLAS) if DEBIAN_OPENBLAS.exists() else "")
    if found.mlx and blas and blas != "none":
        if not Path(blas).exists():
            raise SystemExit(f"check_runtimes: --mlx-blas {blas} does not exist")
        found.mlx_env = dict(os.environ, LD_PRELOAD=blas)
    elif found.mlx and sys.platform.startswith("linux"):
        log("mlx-lm: float32 products run through the reference BLAS of mlx's CPU wheel, about a minute per "
            "window; apt-get install libopenblas0-pthread (or --mlx-blas PATH) makes them ~60x faster")
    if why := can_import(found.llama, ["llama_cpp"]):
        found.missing["llama.cpp"] = f"{why}; install it with pip install llama-cpp-python and pass --llama-python"
        found.llama = None
    if found.llama and not found.convert:
        has_torch = can_import(found.llama, ["torch", "transformers", "sentencepiece"]) is None
        found.convert = found.llama if has_torch else found.torch
    if found.llama and (why := can_import(found.convert, ["torch", "transformers", "sentencepiece", "numpy"])):
        found.missing["llama.cpp"] = (f"convert_hf_to_gguf.py needs torch, transformers and sentencepiece: {why}; "
                                      "pass --convert-python")
        found.llama = None
    return found


def llama_cpp_source(args, llama_python: str, version: str) -> tuple[Path, str]:
    """The llama.cpp folder holding convert_hf_to_gguf.py, and its commit; downloads the sdist of
    the installed llama-cpp-python (the same llama.cpp that was compiled) when none is given."""
    given = args.llama_cpp_src or os.environ.get("HEADMIX_LLAMA_CPP_SRC")
    if given:
        path = Path(given).expanduser()
        if path.is_file():  # an sdist
            path = unpack_sdist(path, WORKDIR / "src")
    else:
        path = WORKDIR / "src" / f"llama_cpp_python-{version}"
        if not path.exists():
            sdist_dir = WORKDIR / "src"
            sdist_dir.mkdir(parents=True, exist_ok=True)
            log(f"fetching the llama-cpp-python {version} sdist for its convert_hf_to_gguf.py (pip download)")
            subprocess.run([llama_python, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
                            f"llama-cpp-python=={version}", "-d", str(sdist_dir)], check=True)
            path = unpack_sdist(sdist_dir / f"llama_cpp_python-{version}.tar.gz", sdist_dir)
    for candidate in (path, path / "vendor" / "llama.cpp"):
        if (candidate / "convert_hf_to_gguf.py").exists():
            root = candidate
            break
    else:
        raise SystemExit(f"check_runtimes: no convert_hf_to_gguf.py in {path} or its vendor/llama.cpp")
    commit = "unknown"
    changelog = root.parent.parent / "CHANGELOG.md"
    if changelog.exists():  # llama-cpp-python names the vendored commit under each release
        text = changelog.read_text()
        section = text.split(f"## [{version}]", 1)[-1]
        if m := re.search(r"llama\.cpp@([0-9a-f]{7,40})", section):
            commit = m.group(1)
    return root, commit


def unpack_sdist(tarball: Path, into: Path) -> Path:
    with tarfile.open(tarball) as tar:
        top = tar.getnames()[0].split("/")[0]
        tar.extractall(into, filter="data")
    return into / top


def fingerprint(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode())
    return h.hexdigest()[:16]


def folder_stamp(folder: Path) -> list:
    return sorted((f.name, f.stat().st_size, int(f.stat().st_mtime)) for f in folder.iterdir() if f.is_file())


def headmix_core_hash(python: str) -> str:
    code = "import headmix.core, pathlib; print(pathlib.Path(headmix.core.__file__).parent)"
    core = Path(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip())
    return fingerprint(*[(str(f.relative_to(core)), f.read_bytes()) for f in sorted(core.rglob("*.py"))])


def tokenize(model: Path, text: Path, max_tokens: int, window: int) -> np.ndarray:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model / "tokenizer.json"))
    ids = tokenizer.encode(text.read_text(encoding="utf-8"), add_special_tokens=False).ids
    n = min(max_tokens, len(ids)) // window
    if n == 0:
        raise SystemExit(f"check_runtimes: the text has {len(ids)} tokens, fewer than one window of {window}")
    return np.asarray(ids[: n * window], dtype=np.int32).reshape(n, window)


def is_fresh(stamp_file: Path, stamp: str, target: Path) -> bool:
    return not FRESH and target.exists() and stamp_file.exists() and stamp_file.read_text() == stamp


def prepare_source(name: str, model: Path, interp: Interpreters) -> Path:
    if name == "llama":
        return model
    out = WORKDIR / "sources" / f"{model.name}-qwen2"
    stamp_file = out.with_name(out.name + ".stamp")
    stamp = fingerprint("qwen2", str(model), folder_stamp(model), (Path(__file__).parent / "runtime_workers.py").read_bytes())
    if is_fresh(stamp_file, stamp, out):
        return out
    log(f"writing the Qwen2 equivalent of {model.name} and checking it in transformers")
    out.parent.mkdir(parents=True, exist_ok=True)
    result = run_json(interp.torch, ["_qwen2", str(model), str(out), str(WORKDIR / "tokens.npy")], "qwen2-equivalent")
    if "error" in result:
        raise SystemExit(f"check_runtimes: the Qwen2 equivalent failed: {result['error']}")
    log(f"  Qwen2 equivalent: transformers logits match the Llama's (max relative difference "
        f"{result['relative_logit_difference']:.2g})")
    stamp_file.write_text(stamp)
    return out


def export(shrink: Shrink, source: Path, interp: Interpreters, core_hash: str) -> tuple[Path, float | None]:
    """The folder to measure, and how long the export took (None: cached or no export)."""
    if shrink.args is None:
        return source, None
    out = WORKDIR / "exports" / shrink.key.replace("/", "_")
    stamp_file = out.with_name(out.name + ".stamp")
    stamp = fingerprint(shrink.args, str(source), folder_stamp(source), core_hash)
    if is_fresh(stamp_file, stamp, out):
        return out, None
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    cmd = [interp.headmix, "-m", "headmix.core.cli", "shrink", str(source), "-o", str(out), "--force", *shrink.args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"check_runtimes: headmix shrink failed for {shrink.key}: {proc.stderr.strip() or proc.stdout.strip()}")
    stamp_file.write_text(stamp)
    return out, time.perf_counter() - started


def convert(folder: Path, key: str, interp: Interpreters, src: Path, commit: str, outtype: str) -> tuple[Path | None, str | None, float | None]:
    """The GGUF of ``folder`` from llama.cpp's own converter: (path, error, seconds)."""
    out = WORKDIR / "gguf" / f"{key.replace('/', '_')}.{outtype}.gguf"
    stamp_file = out.with_name(out.name + ".stamp")
    stamp = fingerprint(str(folder), folder_stamp(folder), commit, outtype)
    if is_fresh(stamp_file, stamp, out):
        return out, None, None
    out.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src / "gguf-py"), str(src)]),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    started = time.perf_counter()
    partial = out.with_name(out.name + ".partial")
    proc = subprocess.run([interp.convert, str(src / "convert_hf_to_gguf.py"), str(folder), "--outfile", str(partial),
                           "--outtype", outtype], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    (WORK_LOGS / f"convert-{key.replace('/', '_')}.log").write_text(proc.stdout + "\n" + proc.stderr)
    if proc.returncode or not partial.exists():
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return None, f"convert_hf_to_gguf.py failed: {lines[-1] if lines else proc.returncode}", seconds
    partial.rename(out)
    stamp_file.write_text(stamp)
    return out, None, seconds


def describe(shrink: Shrink, folder: Path, source_config: dict) -> str:
    """A short label: what changed, the method, the rope the export wrote, the family it went out as."""
    prefix = "Qwen2 " if shrink.source == "qwen2" else ""
    if shrink.args is None:
        return f"{prefix}source folder as transformers 5 saved it, no headmix"
    meta = json.loads((folder / "headmix.json").read_text())
    config = json.loads((folder / "config.json").read_text())
    before, after = meta["source_shape"], meta["targets"]
    changes = [f"{what} {before[k]}→{after[k]}" for k, what in
               (("num_heads", "query heads"), ("num_kv_heads", "kv heads"), ("head_dim", "head size")) if before[k] != after[k]]
    if not changes:
        return f"{prefix}identity export"
    label = f"{prefix}{', '.join(changes)}, {meta['method']}"
    if before["head_dim"] != after["head_dim"]:
        rope = (config.get("rope_parameters") or {}).get("rope_type", "?")
        label += f", pairs {meta['request'].get('rotary_pairs', 'progression')}: {pair_list(meta.get('kept_rotary_pairs') or [])} → {rope}"
    if config.get("model_type") != source_config.get("model_type"):
        label += f"; written as {config.get('model_type')}"
    return label


def pair_list(pairs: list[int]) -> str:
    """Kept rotary pairs in a few characters: a progression as its range, anything else by count."""
    if len(pairs) > 1 and all(b - a == pairs[1] - pairs[0] for a, b in itertools.pairwise(pairs)):
        step = pairs[1] - pairs[0]
        return f"{pairs[0]}–{pairs[-1]}" + (f" step {step}" if step != 1 else "")
    return f"{len(pairs)} pairs, no progression"


def verdicts_of(folder: Path, shrink: Shrink) -> dict[str, dict]:
    if shrink.args is None:
        return {}
    return {v["runtime"]: v for v in json.loads((folder / "headmix.json").read_text())["runtimes"]}



def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("_"):
        return worker_main(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="The module docstring has the protocol and the install commands.")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="a Llama model folder (default: %(default)s)")
    parser.add_argument("--text", type=Path, default=DEFAULT_TEXT, help="held-out text (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="exports, GGUF files, logs (default: %(default)s)")
    parser.add_argument("--max-tokens", type=int, default=4096, help="tokens scored (default: %(default)s)")
    parser.add_argument("--window", type=int, default=512, help="tokens per window (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads per runtime (default: %(default)s)")
    parser.add_argument("--outtype", choices=["f32", "f16"], default="f32", help="GGUF weight type (default: %(default)s)")
    parser.add_argument("--only", nargs="+", metavar="KEY", help="only these shrinks: " + ", ".join(s.key for s in SHRINKS))
    parser.add_argument("--runtimes", nargs="+", choices=list(MEASURED), default=list(MEASURED),
                        help="runtimes to measure (default: all that are installed)")
    parser.add_argument("--torch-python", help="interpreter with torch + transformers, the reference "
                        "($HEADMIX_TORCH_PYTHON; default: this one)")
    parser.add_argument("--headmix-python", help="interpreter with headmix, for the exports ($HEADMIX_PYTHON; default: this one)")
    parser.add_argument("--mlx-python", help="interpreter with mlx-lm ($HEADMIX_MLX_PYTHON; default: this one)")
    parser.add_argument("--llama-python", help="interpreter with llama-cpp-python ($HEADMIX_LLAMA_PYTHON; default: this one)")
    parser.add_argument("--convert-python", help="interpreter for convert_hf_to_gguf.py: torch, transformers, sentencepiece "
                        "($HEADMIX_CONVERT_PYTHON; default: the llama one if it has them, else the torch one)")
    parser.add_argument("--mlx-blas", help="a libblas.so.3 to preload for mlx-lm's float32 products, or none "
                        f"(default: {DEBIAN_OPENBLAS} when installed)")
    parser.add_argument("--llama-cpp-src", help="llama.cpp source folder (or a llama-cpp-python sdist) with convert_hf_to_gguf.py")
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument("--fresh", action="store_true", help="rebuild cached exports and GGUF files")
    args = parser.parse_args(argv)

    global WORKDIR, WORK_LOGS, FRESH
    WORKDIR, FRESH = args.workdir.expanduser(), args.fresh
    WORK_LOGS = WORKDIR / "logs"
    WORK_LOGS.mkdir(parents=True, exist_ok=True)
    model, text = args.model.expanduser(), args.text.expanduser()
    for path, how in ((model / "config.json", "python scripts/get_real_model.py"), (text, "python scripts/get_texts.py")):
        if not path.exists():
            raise SystemExit(f"check_runtimes: {path} is missing: make it with {how} (nothing is fetched at run time)")
    shrinks = [s for s in SHRINKS if not args.only or s.key in args.only]
    if args.only and (unknown := set(args.only) - {s.key for s in SHRINKS}):
        raise SystemExit(f"check_runtimes: unknown shrink {', '.join(sorted(unknown))}")
    started_all = time.perf_counter()

    interp = pick_interpreters(args)
    runtimes = [r for r in args.runtimes if r == "transformers" or (r == "mlx-lm" and interp.mlx) or (r == "llama.cpp" and interp.llama)]
    for runtime, why in interp.missing.items():
        if runtime in args.runtimes:
            log(f"skipping {runtime}: {why}")
    versions = {"transformers": run_json(interp.torch, ["_versions", "transformers"], "versions-transformers")}
    if interp.mlx:
        versions["mlx-lm"] = run_json(interp.mlx, ["_versions", "mlx-lm"], "versions-mlx")
        versions["mlx-lm"]["BLAS"] = (f"{interp.mlx_env['LD_PRELOAD']} (preloaded)" if interp.mlx_env
                                      else "the wheel's reference BLAS")
    src, commit = None, None
    if interp.llama:
        versions["llama.cpp"] = run_json(interp.llama, ["_versions", "llama.cpp"], "versions-llama")
        versions["convert"] = run_json(interp.convert, ["_versions", "convert"], "versions-convert")
        src, commit = llama_cpp_source(args, interp.llama, versions["llama.cpp"]["llama-cpp-python"])
        gguf_version = re.search(r'^version = "([^"]+)"', (src / "gguf-py" / "pyproject.toml").read_text(), re.MULTILINE)
        versions["llama.cpp"].update({"llama.cpp commit": commit, "gguf (gguf-py, vendored)": gguf_version.group(1) if gguf_version else "?"})

    windows = tokenize(model, text, args.max_tokens, args.window)
    tokens_file = WORKDIR / "tokens.npy"
    np.save(tokens_file, windows)
    log(f"{windows.size:,} tokens of {text.name} in {len(windows)} windows of {args.window} (no BOS), from {model.name}")

    core_hash = headmix_core_hash(interp.headmix)
    sources = {name: prepare_source(name, model, interp) for name in SOURCES if any(s.source == name for s in shrinks)}
    source_configs = {name: json.loads((path / "config.json").read_text()) for name, path in sources.items()}
    keep_dir = WORKDIR / "logits"
    keep_dir.mkdir(exist_ok=True)
    timings: dict[str, float] = {"export": 0.0, "convert": 0.0, **{r: 0.0 for r in runtimes}}

    rows = []
    for shrink in shrinks:
        folder, seconds = export(shrink, sources[shrink.source], interp, core_hash)
        timings["export"] += seconds or 0.0
        label = describe(shrink, folder, source_configs[shrink.source])
        log(f"\n{shrink.key}: {label}" + (f" [exported in {seconds:.1f} s]" if seconds else ""))
        row = {"shrink": shrink, "label": label, "verdicts": verdicts_of(folder, shrink), "results": {}}
        for runtime in runtimes:
            safe = shrink.key.replace("/", "_")
            keep = keep_dir / f"{safe}.{runtime}.npy"
            keep.unlink(missing_ok=True)
            started = time.perf_counter()
            if runtime == "llama.cpp":
                gguf, error, seconds = convert(folder, shrink.key, interp, src, commit, args.outtype)
                timings["convert"] += seconds or 0.0
                if error and shrink.args is not None:
                    # the converter may refuse something the export did not change (a tokenizer it
                    # does not know): then the source fails the same way and it says nothing of headmix
                    _, source_error, _ = convert(sources[shrink.source], f"source-{shrink.source}", interp, src, commit, args.outtype)
                    result = {"error": error, "source_fails_too": source_error == error}
                elif error:
                    result = {"error": error}
                else:
                    result = run_json(interp.llama, ["_worker", runtime, str(gguf), str(tokens_file), str(keep), str(args.threads)],
                                      f"{runtime}-{safe}")
                result["convert_seconds"] = seconds
            else:
                python, env = (interp.torch, None) if runtime == "transformers" else (interp.mlx, interp.mlx_env)
                result = run_json(python, ["_worker", runtime, str(folder), str(tokens_file), str(keep), str(args.threads)],
                                  f"{runtime}-{safe}", env=env)
            timings[runtime] += time.perf_counter() - started - (result.get("convert_seconds") or 0.0)
            if keep.exists() and runtime != "transformers" and (ref := keep_dir / f"{safe}.transformers.npy").exists():
                a, b = np.load(ref), np.load(keep)
                result["logit_difference"] = float(np.abs(a - b).max() / np.abs(a).max())
            row["results"][runtime] = result
            log(f"  {runtime:12s} " + (f"perplexity {result['perplexity']:.4f}" if "perplexity" in result else f"FAILED: {result['error']}"))
        rows.append(row)

    report = render(rows, runtimes, interp, versions, windows, args, timings, time.perf_counter() - started_all, text)
    print(report)
    if args.markdown:
        args.markdown.write_text(report)
    return 0


WORKDIR = DEFAULT_WORKDIR
WORK_LOGS = DEFAULT_WORKDIR / "logs"
FRESH = False

if __name__ == "__main__":
    sys.exit(main())
