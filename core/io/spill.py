"""Arrays kept on disk until asked for: the calibrated method's refitted projections.

A calibrated plan holds one refitted output projection per changed layer until it is written
(and, in the window, for as long as the plan is shown). In memory that is every layer's
``W_o``: 185 MB for a 1.1B model, 21 GB for a 70B one, which breaks the promise that memory
stays bounded by about one layer. So each array goes to a file as soon as it is computed and
is read back, whole, each time it is used; the caller drops it after use. A memory map would
not do: the pages a map has touched stay resident for as long as the map lives, which here is
the plan's life.

The files live in the user's cache folder (a ``/tmp`` on tmpfs would be memory again), in one
folder per owner named after the process, removed when the owner goes or the process exits;
folders of processes that no longer exist are removed by the next one.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import numpy as np
import platformdirs

from ..errors import ExportError
from .stale import remove_dead_owners

_FOLDER = re.compile(r"^spill-(\d+)-")


def spill_root() -> Path:
    """Where spilled arrays go (``HEADMIX_SPILL_DIR`` overrides, for tests and for a roomier disk)."""
    override = os.environ.get("HEADMIX_SPILL_DIR")
    return Path(override) if override else platformdirs.user_cache_path("headmix") / "spill"


def remove_stale(root: Path) -> None:
    """Remove spill folders left by processes that no longer exist (a killed export, a crash)."""
    remove_dead_owners(root, _FOLDER)


class SpillFolder:
    """One folder of spilled arrays (a calibration's), removed when no owner holds it any more, or at exit."""

    def __init__(self, root: Path | None = None) -> None:
        try:
            self.path = self._make(root or spill_root())
        except OSError as e:  # a read-only or missing cache folder: the system's temporary folder will do
            fallback = Path(tempfile.gettempdir()) / "headmix-spill"
            try:
                self.path = self._make(fallback)
            except OSError:
                raise ExportError(f"cannot keep the calibrated projections on disk: {e}; set HEADMIX_SPILL_DIR to "
                                   "a writable folder") from e
        self._written = itertools.count()
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    @staticmethod
    def _make(root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        remove_stale(root)
        return Path(tempfile.mkdtemp(prefix=f"spill-{os.getpid()}-", dir=root))

    def new_file(self) -> Path:
        return self.path / f"{next(self._written)}.npy"

    def close(self) -> None:
        """Remove the folder now."""
        self._finalizer()


class SpilledArrays(MutableMapping):
    """A ``dict[str, np.ndarray]`` whose values live in files: setting writes, getting reads a fresh copy."""

    def __init__(self, folder: SpillFolder) -> None:
        self.folder = folder  # held: the folder lives as long as any of its arrays
        self._keys: dict[str, Path] = {}

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        path = self.folder.new_file()
        try:
            np.save(path, np.asarray(value), allow_pickle=False)
        except OSError as e:  # a full disk, most likely: say where, and how to choose another place
            path.unlink(missing_ok=True)
            raise ExportError(f"cannot keep a calibrated projection in {self.folder.path.parent}: {e.strerror or e}; "
                               "free some room there or set HEADMIX_SPILL_DIR to a folder with more") from e
        old = self._keys.pop(key, None)
        if old is not None:
            old.unlink(missing_ok=True)
        self._keys[key] = path

    def __getitem__(self, key: str) -> np.ndarray:
        return np.load(self._keys[key], allow_pickle=False)

    def __delitem__(self, key: str) -> None:
        self._keys.pop(key).unlink(missing_ok=True)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._keys))

    def __len__(self) -> int:
        return len(self._keys)

    def clear(self) -> None:  # without reading every array back, as MutableMapping.clear would
        for key in list(self._keys):
            del self[key]
