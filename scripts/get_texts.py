"""Write the three evaluation texts headmix measures real models on, as plain UTF-8.

    python scripts/get_texts.py [--out FOLDER] [--sdist PATH] [--force]

writes, by default to ~/.cache/headmix/texts:

heldout.txt    Natsume Soseki, "Botchan (Master Darling)", English translation by Yasotaro Morri,
               revised by J. R. Kennedy (1919): Project Gutenberg eBook #8868, public domain in
               the USA. About 50,000 words (~63,000 SmolLM2 tokens) of narrative prose.
               Source: `test/botchan.txt` in the source distribution of sentencepiece 0.2.3
               (Apache-2.0) on PyPI. The wheel does not carry it, so the sdist is fetched with
               pip, the ordinary client, if --sdist is not given and no copy is cached:

                   pip download --no-deps --no-binary :all: sentencepiece==0.2.3 -d ~/.cache/headmix/texts/src

               Nothing is built or installed from it; only that one member is read.
               Cleaning: the Project Gutenberg header, licence and footer are cut (only the text
               between the START marker and the story's "--(THE END)--" is kept, less the
               "Produced by" credit and the transcriber's note markers such as "[A]"), CRLF and
               the BOM dropped, and the hard-wrapped lines (the file has no blank lines left)
               re-flowed into paragraphs separated by a blank line.

technical.txt  The Python Language Reference / Library Reference topics CPython ships as plain
               text for `help()`: `pydoc_data.topics.topics` of the running interpreter's standard
               library (PSF License 2.0; on this project's machine CPython 3.11.7, ~460,000 chars,
               ~100,000 tokens). Nothing to install. Cleaning: topics in sorted-name order,
               heading underlines (****, ===, ---) removed, prose paragraphs re-flowed onto one
               line (double spaces after full stops made single), indented code, lists and
               grammar blocks kept as they are.

legal.txt      The GNU General Public License, version 3 (29 June 2007), from its title to "END OF
               TERMS AND CONDITIONS": the copy numpy's wheel ships in its dist-info
               `licenses/LICENSE.txt` (for the bundled GCC runtime). Everyone may copy and
               distribute verbatim copies of the licence document (its own terms); it is used
               for measurement only. Nothing to install: numpy is a dependency. ~35,000 chars,
               ~7,500 tokens. Cleaning: the surrounding package notices cut, paragraphs re-flowed
               onto one line, the indentation of the centred title removed.

It also writes SOURCES.json (sources, licences, sha256 of inputs and outputs, Python version)
and prints the folder. A second run with both files present does nothing but print it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import subprocess
import sys
import tarfile
from pathlib import Path

DEFAULT_OUT = Path.home() / ".cache" / "headmix" / "texts"
SP_VERSION = "0.2.3"
SP_SDIST = f"sentencepiece-{SP_VERSION}.tar.gz"
SP_MEMBER = f"sentencepiece-{SP_VERSION}/test/botchan.txt"
BOTCHAN_SHA256 = "464bd5300c24fce16fcc4555d4231a57632caae4d0090ad6aa92854a3b227ba7"
PIP_DOWNLOAD = f"pip download --no-deps --no-binary :all: sentencepiece=={SP_VERSION} -d DIR"

TRANSCRIBER_MARK = re.compile(r" ?\(\[[A-Z]\]\)| ?\[[A-Z]\]")
HEADING_RULE = re.compile(r"^\s*([*=\-~^#+\"'`])\1{2,}\s*$")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def locate_sdist(explicit: Path | None, cache: Path) -> Path:
    if explicit is not None:
        if not explicit.is_file():
            sys.exit(f"no such file: {explicit}")
        return explicit
    cached = cache / SP_SDIST
    if cached.is_file():
        return cached
    cache.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        f"sentencepiece=={SP_VERSION}", "-d", str(cache),
    ]
    print("fetching the sentencepiece sdist from PyPI: " + " ".join(command[2:]), file=sys.stderr)
    subprocess.run(command, check=True, stdout=sys.stderr)
    if not cached.is_file():
        sys.exit(f"pip did not leave {cached}; download it yourself with:\n    {PIP_DOWNLOAD}")
    return cached


def read_botchan(sdist: Path) -> bytes:
    with tarfile.open(sdist, "r:gz") as archive:
        member = archive.extractfile(SP_MEMBER)
        if member is None:
            sys.exit(f"{SP_MEMBER} is missing from {sdist}")
        data = member.read()
    if sha256_bytes(data) != BOTCHAN_SHA256:
        sys.exit(f"{SP_MEMBER} in {sdist} is not the expected file (sha256 differs)")
    return data


def reflow_wrapped(lines: list[str]) -> list[str]:
    """Paragraphs from hard-wrapped lines that lost their blank separators.

    A line ends its paragraph when the next line's first word would still have fitted on it
    (the wrapper would have put it there), or when it or the next line is a heading.
    """
    lengths = sorted(len(line) for line in lines)
    width = lengths[int(0.99 * (len(lengths) - 1))]  # the wrap width, robust to a stray long line
    paragraphs: list[str] = []
    current: list[str] = []
    for index, line in enumerate(lines):
        current.append(line.strip())
        following = lines[index + 1] if index + 1 < len(lines) else None
        if following is None:
            break
        first_word = following.split()[0] if following.split() else ""
        fits = len(line) + 1 + len(first_word) <= width
        heading = is_heading(line) or is_heading(following)
        if fits or heading:
            paragraphs.append(join_prose(current))
            current = []
    if current:
        paragraphs.append(join_prose(current))
    return paragraphs


def join_prose(lines: list[str]) -> str:
    """One paragraph on one line, with the typewriter double space after full stops made single."""
    return re.sub(r" {2,}", " ", " ".join(line.strip() for line in lines))


def is_heading(line: str) -> bool:
    """CHAPTER lines and other all-capital lines (titles)."""
    letters = [c for c in line if c.isalpha()]
    return line.strip().startswith("CHAPTER") or (len(letters) >= 3 and all(c.isupper() for c in letters))


def clean_botchan(data: bytes) -> str:
    text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("*** START OF TH"))
    end = next(i for i, line in enumerate(lines) if line.startswith("*** END OF TH"))
    body = [line.rstrip() for line in lines[start + 1 : end]]
    # the story ends at "--(THE END)--"; after it come the transcriber's spelling notes
    body = body[: next(i for i, line in enumerate(body) if line.strip().startswith("--(THE END)--"))]
    body = [line for line in body if line.strip() and not line.startswith("Produced by")]
    text = "\n\n".join(reflow_wrapped(body)) + "\n"
    # the transcriber's note markers, e.g. "insistent.[A]", "queer-shaped [B]", "shape ([D])"
    return TRANSCRIBER_MARK.sub("", text)


def clean_topics(topics: dict[str, str]) -> str:
    out: list[str] = []
    for name in sorted(topics):
        lines = [line.rstrip() for line in topics[name].replace("\r\n", "\n").split("\n")]
        lines = [line for line in lines if not HEADING_RULE.match(line)]
        blocks: list[list[str]] = [[]]
        for line in lines:
            if line.strip():
                blocks[-1].append(line)
            elif blocks[-1]:
                blocks.append([])
        for block in blocks:
            if not block:
                continue
            if any(line[:1].isspace() for line in block):
                out.append("\n".join(block))  # code, grammar, tables: keep the layout
            else:
                out.append(join_prose(block))
    return "\n\n".join(out) + "\n"


GPL_START = "GNU GENERAL PUBLIC LICENSE"
GPL_END = "END OF TERMS AND CONDITIONS"


def numpy_licence() -> tuple[Path, bytes]:
    """numpy's bundled LICENSE.txt (it carries the GPL-3.0 text for the GCC runtime it ships)."""
    from importlib.metadata import distribution

    dist = distribution("numpy")
    for file in dist.files or []:
        if file.name == "LICENSE.txt" and "licenses" in file.parts:
            path = Path(dist.locate_file(file))
            data = path.read_bytes()
            if GPL_START.encode() in data:
                return path, data
    sys.exit("numpy's dist-info has no LICENSE.txt with the GPL-3.0 text; legal.txt cannot be written")


def clean_gpl(data: bytes) -> str:
    """The GPL-3.0 from its title to the end of its terms, one paragraph per line."""
    lines = data.decode("utf-8").replace("\r\n", "\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == GPL_START)
    end = next(i for i, line in enumerate(lines) if i > start and line.strip() == GPL_END)
    blocks: list[list[str]] = [[]]
    for line in lines[start : end + 1]:
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return "\n\n".join(join_prose(block) for block in blocks if block) + "\n"


def complete(out: Path) -> bool:
    return all((out / name).is_file() for name in ("heldout.txt", "technical.txt", "legal.txt", "SOURCES.json"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"target folder (default {DEFAULT_OUT})")
    parser.add_argument("--sdist", type=Path, help=f"a local {SP_SDIST} (otherwise cached or fetched with pip)")
    parser.add_argument("--force", action="store_true", help="write the texts again")
    args = parser.parse_args(argv)
    out = args.out.expanduser()
    if args.force or not complete(out):
        import pydoc_data.topics

        out.mkdir(parents=True, exist_ok=True)
        sdist = locate_sdist(args.sdist, out / "src")
        botchan = read_botchan(sdist)
        heldout = clean_botchan(botchan)
        technical = clean_topics(pydoc_data.topics.topics)
        licence_path, licence_data = numpy_licence()
        legal = clean_gpl(licence_data)
        (out / "legal.txt").write_text(legal, encoding="utf-8")
        (out / "heldout.txt").write_text(heldout, encoding="utf-8")
        (out / "technical.txt").write_text(technical, encoding="utf-8")
        sources = {
            "heldout.txt": {
                "work": 'Natsume Soseki, "Botchan (Master Darling)", tr. Yasotaro Morri, rev. J. R. Kennedy, 1919',
                "origin": "Project Gutenberg eBook #8868",
                "licence": "public domain in the USA (Project Gutenberg header, licence and footer removed)",
                "package": f"sentencepiece=={SP_VERSION} source distribution (Apache-2.0), member {SP_MEMBER}",
                "fetch": PIP_DOWNLOAD,
                "input_sha256": BOTCHAN_SHA256,
                "sha256": sha256_bytes(heldout.encode("utf-8")),
                "characters": len(heldout),
                "words": len(heldout.split()),
            },
            "technical.txt": {
                "work": "Python documentation topics (pydoc_data.topics), as shipped with CPython",
                "licence": "PSF License Agreement for Python (version 2)",
                "package": f"CPython {platform.python_version()} standard library",
                "sha256": sha256_bytes(technical.encode("utf-8")),
                "characters": len(technical),
                "words": len(technical.split()),
            },
            "legal.txt": {
                "work": "GNU General Public License, version 3, 29 June 2007 (terms only)",
                "licence": "verbatim copying of the licence document is permitted by the FSF; used for measurement",
                "package": f"numpy's dist-info ({licence_path.parent.parent.name}), licenses/LICENSE.txt",
                "input_sha256": sha256_bytes(licence_data),
                "sha256": sha256_bytes(legal.encode("utf-8")),
                "characters": len(legal),
                "words": len(legal.split()),
            },
        }
        (out / "SOURCES.json").write_text(json.dumps(sources, indent=2) + "\n", encoding="utf-8")
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
