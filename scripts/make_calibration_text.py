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
#: characters of the second part, which only a heal (and a calibration asked for more than ~10,000 tokens) reads
TOTAL_MORE = 110_000
#: numpy docstrings of the second part's technical runs: the public callables of these modules, by name
MORE_MODULES = ("numpy", "numpy.linalg", "numpy.fft", "numpy.random")
#: numpy source files of the second part's code runs (BSD-3-Clause like the docstrings)
MORE_CODE = ("_core/_methods.py", "lib/_arraypad_impl.py", "lib/_stride_tricks_impl.py")


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


def more_technical() -> str:
    """Docstrings of numpy's public callables (those of the first part left out), module by module, by name."""
    import importlib
    import textwrap

    import numpy

    used = {id(f) for f in (numpy.linalg.lstsq, numpy.einsum, numpy.linalg.svd)}
    docs, seen = [], set(used)
    for module_name in MORE_MODULES:
        module = importlib.import_module(module_name)
        for name in sorted(dir(module)):
            obj = getattr(module, name, None)
            if name.startswith("_") or not callable(obj) or id(obj) in seen or not getattr(obj, "__doc__", None):
                continue
            seen.add(id(obj))
            docs.append(textwrap.dedent(obj.__doc__).strip())
    return "\n\n".join(docs)


def more_legal() -> list[str]:
    """The licence texts numpy's wheel ships for the code it bundles, but neither an Apache nor a GNU licence
    (the first part holds the Apache text; the held-out legal text is the GPL-3.0), each once."""
    dist = distribution("numpy")
    texts, seen = [], set()
    for file in sorted(dist.files or [], key=str):
        if "licenses" not in file.parts or file.name == "LICENSE.txt" and len(file.parts) == 2:
            continue
        text = Path(dist.locate_file(file)).read_text(encoding="utf-8", errors="replace")
        flat = " ".join(text.split())
        if "Apache License" in flat or "GNU" in flat or flat in seen:
            continue
        seen.add(flat)
        for block in paragraphs(text):
            block = " ".join(line.strip() for line in block.split("\n"))
            letters = [c for c in block if c.isalpha()]
            # the capitalised warranty disclaimers share their wording with the GPL-3.0's (a held-out text)
            if sum(c.isupper() for c in letters) < 0.5 * len(letters):
                texts.append(block)
    return texts


def more_code() -> list[str]:
    import numpy

    base = Path(numpy.__file__).parent
    return [block.strip("\n") for f in MORE_CODE for block in (base / f).read_text(encoding="utf-8").split("\n\n\n")
            if block.strip()]


def more_sources() -> dict[str, list[str]]:
    """The second part: new texts of every genre, none of them in the first part or in a held-out text."""
    return {
        "narrative": paragraphs((PARTS / "narrative_more.txt").read_text(encoding="utf-8")),
        "technical": paragraphs(more_technical()),
        "legal": more_legal(),
        "dialogue": paragraphs((PARTS / "dialogue_more.txt").read_text(encoding="utf-8")),
        "code": more_code(),
        "chinese": paragraphs((PARTS / "chinese_more.txt").read_text(encoding="utf-8")),
    }


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
    """Round robin over the genres, a run of whole paragraphs of each, until TOTAL characters; then the same
    over the second part's texts until TOTAL_MORE more. A calibration reads the first 4,096 tokens (all of
    them in the first part, so the second changes no calibrated shrink); a heal trains on up to the whole."""
    return made(sources()) + "\n" + made(more_sources(), TOTAL_MORE)


def held_out(calibration: str) -> str:
    """default.txt's paragraphs the calibration text does not hold: the default *evaluation* text, so that the
    window's and ``headmix eval``'s figures on the shipped text are never measured on what calibration saw."""
    used = {" ".join(p.split()) for p in calibration.split("\n\n")}
    narrative = (ROOT / "resources" / "text" / "default.txt").read_text(encoding="utf-8")
    kept = [p for p in narrative.split("\n\n") if p.strip() and " ".join(p.split()) not in used]
    return "\n\n".join(p.strip("\n") for p in kept) + "\n"


def made(parts: dict[str, list[str]], total: int = TOTAL) -> str:
    queues = {name: list(items) for name, items in parts.items()}
    out: list[str] = []
    size = 0
    while size < total and any(queues.values()):
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
