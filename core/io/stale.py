"""Folders left behind by a headmix process that no longer exists (a crash, a kill), and their removal.

Both the export's hidden partial folder and the calibration's spill folder carry the pid of the
process that made them in their names; a later run removes those whose process is gone.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it exists, and belongs to someone else
        return True
    return True


def remove_dead_owners(parent: Path, pattern: re.Pattern) -> list[Path]:
    """Remove the folders in ``parent`` whose name matches ``pattern`` (its first group the pid of the
    process that made it) when that process no longer exists; returns what was removed."""
    removed = []
    try:
        candidates = list(parent.iterdir())
    except OSError:
        return removed
    for path in candidates:
        m = pattern.match(path.name)
        if m and path.is_dir() and not path.is_symlink() and not pid_alive(int(m[1])):
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    return removed
