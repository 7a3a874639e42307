"""Remake resources/text/calibration.txt, the default calibration text, bit for bit.

    python scripts/make_calibration_text.py [--check]

Why a mixed text: a calibrated shrink learns its calibration text's genre (issue 22: calibrated on
English prose, kv heads 3 → 1 cost 2.6× on a narrative held-out text but 9.8× on a legal one). So
the default mixes what users run: narrative and technical prose, formal/legal text, dialogue,
source code and Chinese, interleaved in short runs so that the first 4,096 tokens (the default
calibration length) already hold every genre. Every part is licence-clean; resources/text/SOURCES.md
lists each with its licence. None of it overlaps the held-out texts the harness measures on
(scripts/get_texts.py: Botchan, the Python documentation topics, the GPL-3.0).

Parts, in order of the first round:
- narrative: resources/text/default.txt (the team's own prose, MIT like headmix);
- technical: docstrings of numpy.linalg.lstsq, numpy.einsum, numpy.linalg.svd and numpy.fft
  (numpy, BSD-3-Clause) of the installed numpy;
- legal: the Apache License 2.0 text (terms 1–9) from transformers' dist-info LICENSE (verbatim
  copies of the licence are permitted);
- dialogue: scripts/calibration_parts/dialogue.txt (the team's own, MIT);
- code: headmix's own core/fitting.py (MIT), frozen as calibration_parts/code.txt so the text
  does not change when the code does;
- Chinese: scripts/calibration_parts/chinese.txt (the team's own, MIT).
The installed versions change the technical and legal parts only if numpy's docstrings or the
Apache text change; ``--check`` says whether the shipped file is still what this script makes.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "text" / "calibration.txt"
EVALUATION = ROOT / "resources" / "text" / "evaluation.txt"
PARTS = Path(__file__).resolve().parent / "calibration_parts"
#: characters per run of one genre (Chinese is about one token a character, the rest about four)
RUN = {"narrative": 2400, "technical": 2400, "legal": 2000, "dialogue": 2000, "code": 2000, "chinese": 700}
TOTAL = 36_000


def paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def technical() -> str:
    import textwrap

    import numpy

    docs = [numpy.linalg.lstsq.__doc__, numpy.einsum.__doc__, numpy.linalg.svd.__doc__, numpy.fft.__doc__]
    return "\n\n".join(textwrap.dedent(doc).strip() for doc in docs if doc)


def apache() -> str:
    dist = distribution("transformers")
    for file in dist.files or []:
        if file.name == "LICENSE" and "licenses" in file.parts:
            text = Path(dist.locate_file(file)).read_text(encoding="utf-8")
            start = text.index("Apache License")
            end = text.index("END OF TERMS AND CONDITIONS")
            blocks = paragraphs(text[start:end])
            return "\n\n".join(" ".join(line.strip() for line in block.split("\n")) for block in blocks)
    sys.exit("transformers' dist-info has no LICENSE with the Apache-2.0 text")


def sources() -> dict[str, list[str]]:
    return {
        "narrative": paragraphs((ROOT / "resources" / "text" / "default.txt").read_text(encoding="utf-8")),
        "technical": paragraphs(technical()),
        "legal": paragraphs(apache()),
        "dialogue": paragraphs((PARTS / "dialogue.txt").read_text(encoding="utf-8")),
        "code": ["\n".join(block.split("\n")) for block in (PARTS / "code.txt").read_text(encoding="utf-8").split("\n\n\n")],
        "chinese": paragraphs((PARTS / "chinese.txt").read_text(encoding="utf-8")),
    }


def make() -> str:
    """Round robin over the genres, a run of whole paragraphs of each, until TOTAL characters."""
    return made(sources())


def held_out(calibration: str) -> str:
    """default.txt's paragraphs the calibration text does not hold: the default *evaluation* text, so that the
    window's and ``headmix eval``'s figures on the shipped text are never measured on what calibration saw."""
    used = {" ".join(p.split()) for p in calibration.split("\n\n")}
    narrative = (ROOT / "resources" / "text" / "default.txt").read_text(encoding="utf-8")
    kept = [p for p in narrative.split("\n\n") if p.strip() and " ".join(p.split()) not in used]
    return "\n\n".join(p.strip("\n") for p in kept) + "\n"


def made(parts: dict[str, list[str]]) -> str:
    queues = {name: list(items) for name, items in parts.items()}
    out: list[str] = []
    size = 0
    while size < TOTAL and any(queues.values()):
        for name, queue in queues.items():
            run = 0
            while queue and run < RUN[name]:
                paragraph = queue.pop(0)
                out.append(paragraph)
                run += len(paragraph)
            size += run
    return "\n\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the shipped file is up to date")
    args = parser.parse_args(argv)
    text = make()
    files = {OUT: text, EVALUATION: held_out(text)}
    if args.check:
        stale = [f for f, content in files.items() if not f.is_file() or f.read_text(encoding="utf-8") != content]
        for f in files:
            print(f"{f}: {'differs from what this script makes' if f in stale else 'up to date'}")
        return 1 if stale else 0
    for f, content in files.items():
        f.write_text(content, encoding="utf-8")
        print(f"{f}: {len(content):,} characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
