"""The workers of ``scripts/check_runtimes.py``: what runs inside each runtime's own interpreter.

``check_runtimes.py _worker RUNTIME MODEL TOKENS KEEP THREADS`` (and ``_versions``, ``_qwen2``)
runs :func:`worker_main` in the interpreter that has that runtime (transformers, mlx-lm or
llama-cpp-python), so each runtime may live in its own venv; the result goes back to the
parent as one JSON object on the last line of stdout. Only numpy and the runtime itself are
imported here, so any of those interpreters can run it.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import numpy as np

#: positions of the first window whose logits are kept to compare runtimes directly
LOGIT_POSITIONS = 64


def negative_log_likelihood(logits: np.ndarray, targets: np.ndarray) -> float:
    """Sum of -log p(target) over the positions, from (positions, vocab) float32 logits: the
    shifted exponentials in float32 (each within 1e-7 of exact), their sums and logs in float64."""
    x = np.asarray(logits, dtype=np.float32)
    top = x.max(axis=1, keepdims=True)
    lse = top[:, 0].astype(np.float64) + np.log(np.exp(x - top).sum(axis=1, dtype=np.float64))
    return float((lse - x[np.arange(len(targets)), targets].astype(np.float64)).sum())


def _score(windows: np.ndarray, logits_of, keep: Path) -> dict:
    """Run ``logits_of(window) -> (len, vocab) float32`` on each window; sum the NLL."""
    total, count, started = 0.0, 0, time.perf_counter()
    for i, window in enumerate(windows):
        logits = np.asarray(logits_of(window), dtype=np.float32)
        if logits.shape[0] != len(window):
            raise RuntimeError(f"the runtime returned logits for {logits.shape[0]} positions, not {len(window)}")
        total += negative_log_likelihood(logits[:-1], window[1:])
        count += len(window) - 1
        if i == 0:
            np.save(keep, logits[:LOGIT_POSITIONS])
    return {"nll": total, "predicted": count, "perplexity": math.exp(total / count),
            "eval_seconds": time.perf_counter() - started}


def _worker_transformers(model: Path, windows: np.ndarray, keep: Path, threads: int) -> dict:
    import torch
    import transformers

    torch.set_num_threads(threads)
    started = time.perf_counter()
    net = transformers.AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32).eval()
    loaded = time.perf_counter() - started

    def logits_of(window):
        with torch.no_grad():
            return net(input_ids=torch.from_numpy(window.astype(np.int64))[None]).logits[0].float().numpy()

    result = _score(windows, logits_of, keep)
    result.update(load_seconds=loaded, architecture=type(net).__name__)
    return result


def _worker_mlx(model: Path, windows: np.ndarray, keep: Path, threads: int) -> dict:
    import mlx.core as mx
    from mlx_lm.utils import load_model

    mx.set_default_device(mx.cpu)
    started = time.perf_counter()
    net, _ = load_model(model)
    net.set_dtype(mx.float32)  # the export's bf16 weights, exactly, computed in float32 as elsewhere
    mx.eval(net.parameters())
    loaded = time.perf_counter() - started

    def logits_of(window):
        out = net(mx.array(window.astype(np.int32))[None])
        return np.array(out[0].astype(mx.float32))

    result = _score(windows, logits_of, keep)
    result.update(load_seconds=loaded, architecture=f"mlx_lm.models.{type(net).__module__.rsplit('.', 1)[-1]}")
    return result


def _worker_llama(model: Path, windows: np.ndarray, keep: Path, threads: int) -> dict:
    import llama_cpp

    started = time.perf_counter()
    n = int(windows.shape[1])
    llm = llama_cpp.Llama(
        model_path=str(model), n_ctx=n, n_batch=n, n_ubatch=n, logits_all=True, n_gpu_layers=0,
        n_threads=threads, n_threads_batch=threads, verbose=False,
        # an F32 KV cache: the default F16 cache rounds keys and values
        type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32,
    )
    loaded = time.perf_counter() - started
    metadata = dict(llm.metadata)

    def logits_of(window):
        llm.reset()
        llm.eval([int(t) for t in window])
        return np.array(llm.scores[: len(window)], dtype=np.float32)

    result = _score(windows, logits_of, keep)
    wanted = ("general.architecture", "rope", "attention.head_count", "attention.key_length", "context_length")
    result.update(load_seconds=loaded, architecture=metadata.get("general.architecture", "?"),
                  gguf={k: v for k, v in metadata.items() if any(w in k for w in wanted)})
    return result


WORKERS = {"transformers": _worker_transformers, "mlx-lm": _worker_mlx, "llama.cpp": _worker_llama}


def _versions_worker(which: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    names = {"transformers": ["transformers", "torch", "tokenizers"], "mlx-lm": ["mlx", "mlx-lm"],
             "llama.cpp": ["llama-cpp-python"], "convert": ["transformers", "torch", "sentencepiece", "numpy"]}[which]
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def _make_qwen2_worker(source: Path, out: Path, tokens: Path) -> dict:
    """Write the Qwen2 model that computes exactly what the Llama ``source`` computes (zero q/k/v
    biases, same rope), and check that transformers gives the same logits for both."""
    import torch
    import transformers
    from safetensors.torch import load_file, save_file

    config = json.loads((source / "config.json").read_text())
    if config.get("model_type") != "llama" or config.get("attention_bias") or config.get("mlp_bias"):
        raise ValueError("the Qwen2 equivalent needs a Llama without attention or MLP biases")
    hidden, heads, kv = config["hidden_size"], config["num_attention_heads"], config["num_key_value_heads"]
    head_dim = config.get("head_dim") or hidden // heads
    if head_dim * heads != hidden:
        raise ValueError("Qwen2 in most runtimes sizes attention by hidden / heads: the source must fill it")
    qwen = {k: v for k, v in config.items() if k not in ("attention_bias", "mlp_bias", "pretraining_tp", "head_dim",
                                                           "architectures", "model_type", "transformers_version")}
    qwen.update(architectures=["Qwen2ForCausalLM"], model_type="qwen2", use_sliding_window=False,
                sliding_window=None, max_window_layers=config["num_hidden_layers"])
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tensors: dict[str, torch.Tensor] = {}
    for f in sorted(source.glob("*.safetensors")):
        tensors.update(load_file(f))
    dtype = tensors["model.embed_tokens.weight"].dtype
    for i in range(config["num_hidden_layers"]):
        for proj, rows in (("q_proj", heads * head_dim), ("k_proj", kv * head_dim), ("v_proj", kv * head_dim)):
            tensors[f"model.layers.{i}.self_attn.{proj}.bias"] = torch.zeros(rows, dtype=dtype)
    save_file(tensors, tmp / "model.safetensors", metadata={"format": "pt"})
    (tmp / "config.json").write_text(json.dumps(qwen, indent=2) + "\n")
    for f in source.iterdir():
        if f.is_file() and f.suffix != ".safetensors" and f.name not in ("config.json", "model.safetensors.index.json"):
            shutil.copy2(f, tmp / f.name)
    (tmp / "SOURCE.json").write_text(json.dumps({"made_by": "scripts/check_runtimes.py", "from": str(source),
                                                 "how": "Llama → Qwen2 with zero q/k/v biases"}, indent=2) + "\n")

    ids = torch.from_numpy(np.load(tokens)[0, :256].astype(np.int64))[None]
    with torch.no_grad():
        a = transformers.AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32).eval()(input_ids=ids).logits
        net = transformers.AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.float32).eval()
        b = net(input_ids=ids).logits
    diff = (a - b).abs().max().item() / a.abs().max().item()
    if type(net).__name__ != "Qwen2ForCausalLM" or diff > 1e-5:
        raise RuntimeError(f"the Qwen2 equivalent is not exact: {type(net).__name__}, max relative logit difference {diff:.3g}")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return {"relative_logit_difference": diff, "architecture": type(net).__name__}


def worker_main(argv: list[str]) -> int:
    """``_worker RUNTIME MODEL TOKENS KEEP THREADS``, ``_versions WHICH`` or ``_qwen2 SRC OUT TOKENS``;
    prints one JSON object on its last line of stdout."""
    try:
        if argv[0] == "_worker":
            runtime, model, tokens, keep, threads = argv[1:6]
            windows = np.load(tokens)
            result = WORKERS[runtime](Path(model), windows, Path(keep), int(threads))
        elif argv[0] == "_versions":
            result = _versions_worker(argv[1])
        elif argv[0] == "_qwen2":
            result = _make_qwen2_worker(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        else:
            raise ValueError(f"unknown worker command {argv[0]}")
    except Exception as e:  # reported to the parent, which shows it in the table
        import traceback

        traceback.print_exc()
        result = {"error": f"{type(e).__name__}: {e}"}
    print("\n" + json.dumps(result))
    return 0
