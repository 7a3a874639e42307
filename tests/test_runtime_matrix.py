"""Every verdict proven by running the runtime: each family × each shape × mlx-lm and llama.cpp.

For every causal family of the family table, a tiny random model built by transformers is shrunk to each
shape (the identity, fewer query heads, fewer kv heads, a smaller head size with each choice of rotary
pairs, fewer layers), and each export runs in transformers (the reference), in mlx-lm (its CPU build) and in
llama.cpp (llama-cpp-python compiled from its sdist, the GGUF written by the converter of that same sdist).
A ✔ in the export's headmix.json must agree with transformers within 1%; a runtime that refuses the export
or computes something else must have been told ✘ or ⚠.

llama.cpp comes from .ci/llama_cpp.sh (the wheel it builds and the converter beside it, in
~/.cache/headmix/ci/llama-cpp-python-<version>); skipped without it (and CI then fails, see conftest).
BERT is left out: neither runtime computes its masked-LM logits (mlx-lm has no BERT, llama.cpp's is an
embedding model).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import hf_models
import tiny_text
from headmix.core.io.checkpoint import open_checkpoint
from headmix.core.run.export import export
from headmix.core.run.shrink_run import ShrinkRun
from headmix.core.plan.request import Request

pytestmark = [pytest.mark.runtimes, pytest.mark.interop]

TOLERANCE = 0.01  # "computes the same": logits within 1% of the largest logit
LENGTH = 48  # positions up to 47 of 64, across Gemma's sliding window of 8: the rope and the window matter
THETA = 50_000.0  # not any runtime's default θ, so a runtime that misses the rope keys shows it
LLAMA_CPP_VERSION = "0.3.36"

#: per family: a source whose shape every runtime can hold before any change (heads fill the hidden size where
#: a runtime sizes heads by it), and, for Gemma, the scale every runtime reads (query_pre_attn_scalar = head size)
SOURCES = {
    "llama": dict(rope_theta=THETA),
    "mistral": dict(rope_theta=THETA),
    "qwen2": dict(rope_theta=THETA, num_attention_heads=4, num_key_value_heads=2, head_dim=12),
    "qwen3": dict(rope_theta=THETA),
    "phi3": dict(rope_theta=THETA, num_attention_heads=4, num_key_value_heads=2, head_dim=12),
    # Gemma 2 as it ships: θ 10,000, the only base llama.cpp's Gemma 2 rotates at (its converter writes none)
    "gemma2": dict(rope_theta=10_000.0, query_pre_attn_scalar=16),
    # Gemma 3 as it ships: five sliding layers (θ 10,000) then a global one (θ 1,000,000), the pattern llama.cpp
    # and mlx-lm assume; the global rope scaled linearly as the real checkpoints' is
    "gemma3_text": dict(num_hidden_layers=6, query_pre_attn_scalar=16,
                        layer_types=["sliding_attention"] * 5 + ["full_attention"],
                        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
                                         "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1_000_000.0}}),
    "gpt2": dict(),
}
FAMILIES = tuple(SOURCES)


def _shapes(family: str) -> dict[str, dict]:
    cfg = hf_models.config(family, **SOURCES[family])
    heads = getattr(cfg, "num_attention_heads", None) or cfg.n_head
    kv = getattr(cfg, "num_key_value_heads", None) or heads
    d = getattr(cfg, "head_dim", None) or (cfg.hidden_size // heads)
    layers = getattr(cfg, "num_hidden_layers", None) or cfg.n_layer
    shapes = {"identity": {}, "heads": dict(heads=heads // 2, method="select")}
    if family not in ("gpt2",):  # GPT-2 has neither grouped-query attention nor rotary pairs
        shapes.update({
            "kv-heads": dict(kv_heads=max(1, kv // 2), method="mean"),
            # the best progression by weight scores: offset (a linear factor) only where every runtime reads one
            "head-size-select": dict(head_dim=d // 2, method="select"),
            "head-size-calibrated": dict(head_dim=d // 2, method="calibrated", calib_tokens=256),
            "head-size-every-2nd": dict(head_dim=d // 2, method="mean"),  # pairs 0, 2, 4, …: the default rope of the new size
            "head-size-any": dict(head_dim=d // 2 + 2, method="mean", rotary_pairs="any"),  # no progression: longrope
        })
    else:
        shapes["head-size"] = dict(head_dim=d // 2, method="mean")
    shapes["layers"] = dict(num_layers=layers - 1, layer_method="drop")
    return shapes


CASES = [(family, shape) for family in FAMILIES for shape in _shapes(family)]
RUNTIMES = ("mlx-lm", "llama.cpp")
VERDICT_OF = {"mlx-lm": "mlx-lm", "llama.cpp": "llama.cpp / Ollama (GGUF)"}


def llama_cpp_dir() -> Path | None:
    """The converter of the compiled llama.cpp (.ci/llama_cpp.sh), if it is there and llama_cpp imports."""
    try:
        import llama_cpp
    except ImportError:
        return None
    cache = Path(os.environ.get("HEADMIX_LLAMA_CPP_CACHE")
                 or Path.home() / ".cache" / "headmix" / "ci" / f"llama-cpp-python-{llama_cpp.__version__}")
    folder = cache / "llama.cpp"
    return folder if (folder / "convert_hf_to_gguf.py").exists() else None


@dataclass
class Case:
    folder: Path | None  # the export (None: headmix refused the request)
    error: str | None
    verdicts: dict[str, str]  # runtime -> "ok" | "warn" | "no", from headmix.json
    reasons: dict[str, str]
    reference: np.ndarray | None  # transformers' logits of the export (None: transformers does not load it)


class Matrix:
    def __init__(self, root: Path):
        self.root = root
        self.ids = hf_models.tokens(length=LENGTH).numpy()
        self.cases: dict[tuple[str, str], Case] = {}
        self.gguf: dict[tuple[str, str], tuple[Path | None, str | None]] = {}

    def source(self, family: str) -> Path:
        folder = self.root / family / "source"
        if not folder.exists():
            hf_models.save(hf_models.build(family, **SOURCES[family]), folder)
            tiny_text.save_tokenizer(folder)  # the calibrated method and layer removal read text
        return folder

    def case(self, family: str, shape: str) -> Case:
        key = (family, shape)
        if key not in self.cases:
            self.cases[key] = self._export(family, shape)
        return self.cases[key]

    def _export(self, family: str, shape: str) -> Case:
        from headmix.core.errors import TargetError

        source = self.source(family)
        try:
            plan = ShrinkRun.build(open_checkpoint(source), Request(**_shapes(family)[shape]))
            out = export(plan, self.root / family / shape)
        except TargetError as e:
            return Case(None, str(e), {}, {}, None)
        recorded = json.loads((out / "headmix.json").read_text())["runtimes"]
        verdicts = {r["runtime"]: r["status"] for r in recorded}
        reasons = {r["runtime"]: r["reason"] for r in recorded}
        reference = None
        if verdicts["transformers"] == "ok":
            model_type = json.loads((out / "config.json").read_text())["model_type"]
            reference = hf_models.outputs(hf_models.load(model_type, out), hf_models.tokens(length=LENGTH)).numpy()
        return Case(out, None, verdicts, reasons, reference)

    def mlx(self, case: Case) -> tuple[np.ndarray | None, str | None]:
        import mlx.core as mx
        from mlx_lm.utils import load_model

        mx.set_default_device(mx.cpu)
        try:
            model, _ = load_model(case.folder)
            model.set_dtype(mx.float32)
            return np.array(model(mx.array(self.ids.astype(np.int32))).astype(mx.float32)), None
        except Exception as e:  # noqa: BLE001 - a runtime that refuses the export: what it said
            return None, f"mlx-lm refused it: {type(e).__name__}: {e}"

    def llama(self, family: str, shape: str, case: Case, converter: Path) -> tuple[np.ndarray | None, str | None]:
        if (family, shape) not in self.gguf:
            self._convert_family(family, converter)
        gguf, error = self.gguf[(family, shape)]
        if gguf is None:
            return None, error
        ids, out = gguf.with_suffix(".ids.npy"), gguf.with_suffix(".logits.npy")
        np.save(ids, self.ids)
        proc = subprocess.run([sys.executable, str(Path(__file__).with_name("llama_cpp_worker.py")), "logits",
                               str(gguf), str(ids), str(out)], capture_output=True, text=True, timeout=300)
        if proc.returncode or not out.exists():
            lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
            return None, f"llama.cpp refused it ({proc.returncode}): {lines[-1] if lines else ''}"
        return np.load(out), None

    def _convert_family(self, family: str, converter: Path) -> None:
        """Every export of the family through the converter in one process (it imports torch once)."""
        jobs, keys = [], []
        for shape in _shapes(family):
            case = self.case(family, shape)
            if case.folder is None:
                self.gguf[(family, shape)] = (None, case.error)
                continue
            keys.append(shape)
            jobs.append({"folder": str(case.folder), "out": str(self.root / family / f"{shape}.gguf")})
        jobs_file = self.root / family / "jobs.json"
        jobs_file.write_text(json.dumps(jobs))
        proc = subprocess.run([sys.executable, str(Path(__file__).with_name("llama_cpp_worker.py")), "convert",
                               str(converter), str(jobs_file)], capture_output=True, text=True, timeout=900)
        result_file = Path(str(jobs_file) + ".result")
        if proc.returncode or not result_file.exists():
            raise AssertionError(f"the converter worker failed: {proc.stderr[-2000:]}")
        for shape, result in zip(keys, json.loads(result_file.read_text())):
            self.gguf[(family, shape)] = (Path(result["out"]), None) if result["error"] is None else (None, result["error"])


@pytest.fixture(scope="session")
def matrix(tmp_path_factory):
    return Matrix(tmp_path_factory.mktemp("runtime-matrix"))


def relative_difference(expected: np.ndarray, got: np.ndarray) -> float:
    scale = float(np.abs(expected).max())
    assert scale > 1e-2, "logits too small for the comparison to mean anything"
    if got.shape != expected.shape:
        return float("inf")
    return float(np.abs(expected - got).max()) / scale


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(("family", "shape"), CASES, ids=[f"{family}-{shape}" for family, shape in CASES])
def test_a_verdict_of_computes_the_same_is_what_the_runtime_computes(matrix, family, shape, runtime):
    if runtime == "mlx-lm":
        pytest.importorskip("mlx_lm.utils", reason='mlx-lm is not installed (pip install -e ".[test,runtimes]")')
    converter = llama_cpp_dir() if runtime == "llama.cpp" else None
    if runtime == "llama.cpp" and converter is None:
        pytest.skip("llama.cpp is not built: bash .ci/llama_cpp.sh builds llama-cpp-python from its sdist and keeps its converter")
    case = matrix.case(family, shape)
    assert case.folder is not None, f"headmix refused the shrink: {case.error}"
    verdict, reason = case.verdicts[VERDICT_OF[runtime]], case.reasons[VERDICT_OF[runtime]]
    logits, error = matrix.mlx(case) if runtime == "mlx-lm" else matrix.llama(family, shape, case, converter)
    if case.reference is None:
        assert verdict != "ok", f"transformers does not load the export, yet {runtime} got ✔: {reason}"
        return
    difference = None if logits is None else relative_difference(case.reference, logits)
    agrees = difference is not None and difference <= TOLERANCE
    if report := os.environ.get("HEADMIX_MATRIX_REPORT"):  # the whole matrix, for reading
        with open(report, "a") as f:
            f.write(json.dumps({"family": family, "shape": shape, "runtime": runtime, "verdict": verdict, "reason": reason,
                                "difference": difference, "error": error}) + "\n")
    if verdict == "ok":
        assert agrees, f"{runtime} got ✔ ({reason}) but " + (error or f"its logits differ by {100 * difference:.2f}%")
