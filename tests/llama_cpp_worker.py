"""llama.cpp in a process of its own: convert exports with the converter of the compiled llama.cpp, and run them.

    python tests/llama_cpp_worker.py convert LLAMA_CPP_DIR JOBS.json   # [{"folder", "out"}] -> JOBS.json.result
    python tests/llama_cpp_worker.py logits GGUF IDS.npy OUT.npy        # logits of each row of IDS, float32

``LLAMA_CPP_DIR`` holds ``convert_hf_to_gguf.py``, its ``conversion`` package and ``gguf-py``, all from the
llama-cpp-python sdist whose llama.cpp was compiled (.ci/llama_cpp.sh keeps them beside the wheel). The
converter runs unchanged but for the vocabulary: the tiny test models have no tokenizer llama.cpp knows, so
every model class's ``set_vocab`` writes a plain list of ``vocab_size`` tokens instead (the model's weights,
shapes, rope and attention keys go through the converter's own code). A process of its own, because
llama.cpp aborts the whole process on a tensor it cannot size, and the converter needs its own ``gguf``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path


def _tiny_vocab(self) -> None:
    import gguf

    n = int(self.hparams.get("vocab_size") or self.hparams.get("n_vocab"))
    writer = self.gguf_writer
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list([f"<t{i}>".encode() for i in range(n)])
    writer.add_token_scores([0.0] * n)
    writer.add_token_types([gguf.TokenType.NORMAL] * n)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(False)


def _folder_without_tokenizer(folder: Path, work: Path) -> Path:
    """The export's config and weights (linked), with a tokenizer.json of exactly vocab_size tokens: Gemma 3's
    converter cuts the embedding to the tokenizer's size."""
    work.mkdir(parents=True)
    for item in folder.iterdir():
        if item.name.startswith("tokenizer") or item.name == "special_tokens_map.json":
            continue
        (work / item.name).symlink_to(item.resolve())
    config = json.loads((folder / "config.json").read_text())
    n = int(config.get("vocab_size") or config.get("n_vocab"))
    (work / "tokenizer.json").write_text(json.dumps({"model": {"vocab": {f"<t{i}>": i for i in range(n)}}, "added_tokens": []}))
    return work


def convert(llama_cpp: Path, jobs_file: Path) -> None:
    sys.path[:0] = [str(llama_cpp / "gguf-py"), str(llama_cpp)]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import logging

    import convert_hf_to_gguf as cv

    logging.disable(logging.WARNING)
    real = cv.get_model_class

    def with_tiny_vocab(*args, **kwargs):
        cls = real(*args, **kwargs)
        cls.set_vocab = _tiny_vocab
        return cls

    cv.get_model_class = with_tiny_vocab
    jobs = json.loads(jobs_file.read_text())
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, job in enumerate(jobs):
            folder = _folder_without_tokenizer(Path(job["folder"]), Path(tmp) / str(n))
            argv = sys.argv
            sys.argv = ["convert_hf_to_gguf.py", str(folder), "--outfile", job["out"], "--outtype", "f32"]
            try:
                cv.main()
                results.append({"out": job["out"], "error": None})
            except BaseException as e:  # noqa: BLE001 - the converter exits or raises on what it refuses: record it
                last = traceback.format_exception_only(type(e), e)[-1].strip()
                results.append({"out": job["out"], "error": f"convert_hf_to_gguf.py refused it: {last}"})
            finally:
                sys.argv = argv
            shutil.rmtree(folder, ignore_errors=True)
    Path(str(jobs_file) + ".result").write_text(json.dumps(results))


def logits(gguf_file: Path, ids_file: Path, out_file: Path) -> None:
    import llama_cpp
    import numpy as np

    ids = np.load(ids_file)
    n = int(ids.shape[1])
    llm = llama_cpp.Llama(
        model_path=str(gguf_file), n_ctx=n, n_batch=n, n_ubatch=n, logits_all=True, n_gpu_layers=0,
        n_threads=2, n_threads_batch=2, verbose=False,
        # an F32 KV cache: the default F16 cache rounds keys and values
        type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32,
    )
    rows = []
    for row in ids:
        llm.reset()
        llm.eval([int(t) for t in row])
        rows.append(np.array(llm.scores[:n], dtype=np.float32))
    np.save(out_file, np.stack(rows))


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    if command == "convert":
        convert(Path(rest[0]), Path(rest[1]))
    elif command == "logits":
        logits(Path(rest[0]), Path(rest[1]), Path(rest[2]))
    else:
        raise SystemExit(f"unknown command {command!r}")
