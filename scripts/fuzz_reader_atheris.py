"""Coverage-guided fuzzing of the safetensors reader with atheris (not run in CI).

The hypothesis tests (tests/test_fuzz.py) mutate valid files in ways we thought of; atheris
mutates bytes guided by which branches of the parser they reach. Any exception other than
headmix's own CheckpointError is a finding.

    pip install atheris
    python scripts/fuzz_reader_atheris.py -max_total_time=300 [CORPUS_DIR]
"""

from __future__ import annotations

import json
import os
import struct
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from headmix.core.io.checkpoint import open_checkpoint
    from headmix.core.errors import HeadmixError

PATH = os.path.join(tempfile.mkdtemp(prefix="headmix-atheris-"), "fuzz.safetensors")


def seed_file() -> bytes:
    header = json.dumps({"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                         "__metadata__": {"format": "pt"}}).encode()
    return struct.pack("<Q", len(header)) + header + bytes(16)


def test_one_input(data: bytes) -> None:
    with open(PATH, "wb") as f:
        f.write(data)
    try:
        checkpoint = open_checkpoint(PATH)
        for name, info in checkpoint.tensors.items():
            if info.dtype in ("F32", "F16", "BF16", "F64", "I8", "U8"):
                checkpoint.read(name).sum()
    except HeadmixError:
        pass


def main() -> None:
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    if not corpus:
        seeds = tempfile.mkdtemp(prefix="headmix-atheris-seeds-")
        with open(os.path.join(seeds, "seed"), "wb") as f:
            f.write(seed_file())
        sys.argv.append(seeds)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
