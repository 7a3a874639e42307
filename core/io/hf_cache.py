"""The models already in the user's Hugging Face cache: listed, and opened by repo id, never downloaded.

People's models sit in ``~/.cache/huggingface/hub`` (or wherever ``HF_HUB_CACHE`` /
``HF_HOME`` point), laid out as ``models--org--name/snapshots/<commit>/``. ``huggingface_hub``'s
own cache scan reads that layout (refs, snapshots, sizes, access times) without touching the
network, so headmix uses it rather than walking the folders itself; a snapshot folder is an
ordinary model folder whose files are symlinks into ``blobs/``, which every reader follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CheckpointError

#: ``org/name`` or ``org/name@revision`` (a branch, tag or commit hash prefix), as the Hub spells them
REPO_ID = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)(?:@(?P<revision>[\w./-]+))?$")


@dataclass(frozen=True)
class CachedModel:
    """One cached revision of a model repository that holds safetensors weights."""

    repo_id: str
    commit: str
    refs: tuple[str, ...]  # the branches and tags that point at it ("main", …), newest first by name
    folder: Path  # the snapshot folder: open this
    size: int  # bytes on disk of this revision's files
    last_used: float  # when any file of the repository was last read (seconds since the epoch)

    @property
    def revision(self) -> str:
        """What a person calls this revision: its refs, else the commit's first 7 characters."""
        return ", ".join(self.refs) if self.refs else self.commit[:7]

    @property
    def repo_arg(self) -> str:
        """The argument that opens exactly this revision from the command line."""
        return self.repo_id if "main" in self.refs else f"{self.repo_id}@{self.commit[:7]}"


def cache_folder(cache_dir: str | Path | None = None) -> Path:
    """The cache folder huggingface_hub reads (``HF_HUB_CACHE``, ``HF_HOME``/hub, or the default)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def cached_models(cache_dir: str | Path | None = None) -> list[CachedModel]:
    """Every cached model revision with safetensors weights, most recently used first.

    An absent cache is an empty list; broken entries the scan reports are skipped (they are
    the cache's business, and a half-downloaded repository has nothing headmix could open).
    """
    from huggingface_hub import CacheNotFound, scan_cache_dir

    try:
        info = scan_cache_dir(cache_folder(cache_dir))
    except CacheNotFound:
        return []
    models = []
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        for revision in repo.revisions:
            if not any(f.file_name.endswith(".safetensors") for f in revision.files):
                continue
            models.append(CachedModel(
                repo_id=repo.repo_id, commit=revision.commit_hash, refs=tuple(sorted(revision.refs)),
                folder=Path(revision.snapshot_path), size=revision.size_on_disk,
                last_used=float(repo.last_accessed),
            ))  # fmt: skip
    return sorted(models, key=lambda m: (-m.last_used, m.repo_id, m.refs != ("main",)))


def looks_like_repo_id(text: str) -> bool:
    return REPO_ID.match(text.strip()) is not None


def snapshot_folder(text: str, cache_dir: str | Path | None = None) -> Path:
    """The snapshot folder of ``org/name`` (its ``main``, or its only revision) or ``org/name@revision``.

    Raises :class:`CheckpointError` saying what the cache holds when it holds no such model:
    headmix never downloads, so the message says how the user can.
    """
    match = REPO_ID.match(text.strip())
    if match is None:
        raise CheckpointError(f"{text}: not a file, a folder or a Hugging Face repo id (org/name)")
    repo, wanted = match["repo"], match["revision"]
    where = cache_folder(cache_dir)
    found = [m for m in cached_models(cache_dir) if m.repo_id.lower() == repo.lower()]
    if not found:
        raise CheckpointError(
            f"{text}: no such file or folder, and no model {repo} with safetensors weights in the Hugging Face "
            f"cache ({where}); headmix never downloads: fetch it first, e.g. `hf download {repo}`")
    if wanted is None:
        chosen = [m for m in found if "main" in m.refs] or (found if len(found) == 1 else [])
        if not chosen:
            options = ", ".join(f"{repo}@{m.commit[:7]}" for m in found)
            raise CheckpointError(f"{text}: the cache holds several revisions and none is main; name one: {options}")
    else:
        chosen = [m for m in found if wanted in m.refs or m.commit.startswith(wanted)]
        if not chosen:
            held = ", ".join(m.revision for m in found)
            raise CheckpointError(f"{text}: revision {wanted} of {repo} is not in the Hugging Face cache ({where}); "
                                  f"it holds {held}")
    return chosen[0].folder


def repo_name(folder: Path) -> str | None:
    """``org/name@commit7`` for a snapshot folder of the cache (whatever cache it is in), else None."""
    folder = Path(folder)
    if folder.parent.name != "snapshots" or not folder.parent.parent.name.startswith("models--"):
        return None
    parts = folder.parent.parent.name[len("models--"):].split("--")
    return "/".join(parts) + f"@{folder.name[:7]}"
