"""Every bad input gets a clear message naming the file and the problem, exit code 2, no traceback."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from headmix.core.cli import main
from headmix.core.io.safetensors_file import OutputTensor, encode_header


def good_file(path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.ones(4, dtype=np.float32)
    with open(path, "wb") as f:
        f.write(encode_header([OutputTensor("a", "F32", (3, 4), 48), OutputTensor("b", "F32", (4,), 16)]))
        f.write(a.tobytes() + b.tobytes())
    return path


def with_header(path, header: dict | bytes, data: bytes = b"\0" * 64, length: int | None = None):
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw) if length is None else length) + raw + data)
    return path


def put(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def config_folder(t):
    good_file(put(t / "c" / "model.safetensors", b""))
    (t / "c" / "config.json").write_text("{oops")
    return t / "c"


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.err


def truncated(tmp_path):
    path = good_file(tmp_path / "t.safetensors")
    path.write_bytes(path.read_bytes()[:-10])
    return path


CASES = {
    "missing path": (lambda t: t / "nope", "no such file or folder"),
    "folder without safetensors": (lambda t: (t / "empty").mkdir() or t / "empty", "holds no .safetensors files"),
    "truncated file": (truncated, "truncated"),
    "shorter than the length prefix": (lambda t: put(t / "s.safetensors", b"\1\2\3"), "too short for the 8-byte header length"),
    "header length larger than file": (lambda t: with_header(t / "h.safetensors", {}, length=10_000), "header length 10000 is larger than the file"),
    "invalid JSON header": (lambda t: with_header(t / "j.safetensors", b'{"a": [1, 2'), "invalid JSON header"),
    "offsets outside the file": (
        lambda t: with_header(t / "o.safetensors", {"a": {"dtype": "F32", "shape": [100], "data_offsets": [0, 400]}}),
        "tensor 'a': data offsets 0..400 lie outside the file",
    ),
    "overlapping offsets": (
        lambda t: with_header(t / "v.safetensors", {
            "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
            "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
        }),
        "tensors 'a' (bytes 0..16) and 'b' (bytes 8..24) overlap",
    ),
    "shape disagrees with offsets": (
        lambda t: with_header(t / "z.safetensors", {"a": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}}),
        "needs 20 bytes, but its data offsets span 16",
    ),
    "a text file named .safetensors": (
        lambda t: put(t / "notes.safetensors", b"These are my notes, not weights.\n" * 3),
        "not a safetensors file: it does not begin with an 8-byte header length followed by a JSON header "
        "(it begins with the text 'These ar')",
    ),
    "an HTML page saved as .safetensors": (
        lambda t: put(t / "model.safetensors", b"<!DOCTYPE html><html><body>404</body></html>"),
        "not a safetensors file",
    ),
    "pickle .bin": (lambda t: put(t / "pytorch_model.bin", b"\x80\x02}q\x00."), "headmix never unpickles"),
    "folder with only a .pt": (
        lambda t: put(t / "pt" / "model.pt", b"\x80\x02.").parent,
        "Convert it to safetensors",
    ),
    "invalid config.json": (
        config_folder,
        "config.json: not valid JSON",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_message_and_exit_code(tmp_path, capsys, case):
    make, expected = CASES[case]
    path = make(tmp_path)
    for argv in (["inspect", str(path)], ["shrink", str(path), "--dry-run"]):
        code, err = run(capsys, *argv)
        assert code == 2, err
        assert expected in err and str(path.name) in err, err
        assert "Traceback" not in err


def test_missing_shard(tmp_path, capsys, model_dir):
    src = model_dir("llama", sharded=True)
    shutil.copytree(src, tmp_path / "m")
    missing = sorted((tmp_path / "m").glob("model-*.safetensors"))[2]
    missing.unlink()
    code, err = run(capsys, "inspect", str(tmp_path / "m"))
    assert code == 2 and f"shard '{missing.name}' is listed in the index but missing" in err


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--heads", "6", "--kv-heads", "4"], "4 does not divide the 6 query heads"),
        (["--heads", "16"], "more than the model's 8"),
        (["--head-dim", "7"], "head size: 7 is odd"),
        (["--layers", "0-5"], "the model has layers 0-1"),
        (["--method", "article", "--kv-heads", "3"], "3 does not divide the 8 query heads"),
    ],
)
def test_invalid_targets_exit_2_with_reason(capsys, model_dir, argv, expected):
    code, err = run(capsys, "shrink", str(model_dir("llama")), "--dry-run", *argv)
    assert code == 2 and expected in err, err


def test_flags_out_of_range_are_usage_errors(capsys, model_dir):
    with pytest.raises(SystemExit) as exit_info:
        main(["shrink", str(model_dir("llama")), "--dry-run", "--heads", "0"])
    assert exit_info.value.code == 2 and "must be at least 1" in capsys.readouterr().err


def test_real_process_prints_no_traceback(tmp_path):
    path = with_header(tmp_path / "bad.safetensors", b"not json at all")
    result = subprocess.run([sys.executable, "-m", "headmix.core.cli", "inspect", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "invalid JSON header" in result.stderr and "Traceback" not in result.stderr
