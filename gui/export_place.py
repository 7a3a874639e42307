"""Where the export dialog proposes to write: next to the source, unless the source's folder is not the user's.

The bundled demo lives among headmix's own files (``resources/``, which a normal install puts in
site-packages): an export proposed next to it would land inside the installed package, where it is lost on
the next upgrade (or is not writable at all). A model opened from the Hugging Face cache is a snapshot
folder inside the cache, which huggingface_hub manages and may prune. Such a source gets the folder of the
last export instead, or the user's documents folder.
"""

from __future__ import annotations

import os
import site
import sysconfig
from pathlib import Path

import platformdirs

from headmix.core.io.hf_cache import repo_name

#: headmix's own resources (the demo, the presets, the default text)
RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def application_folders() -> list[Path]:
    """Folders whose contents belong to an installed application: headmix's resources and the site-packages."""
    found = [RESOURCES]
    paths = sysconfig.get_paths()
    found += [Path(paths[key]) for key in ("purelib", "platlib") if key in paths]
    try:
        found += [Path(p) for p in site.getsitepackages()]
    except AttributeError:  # some embedded interpreters have no getsitepackages
        pass
    found.append(Path(site.getusersitepackages()))
    return [p.resolve() for p in found]


def inside_application(path: Path) -> bool:
    """Whether ``path`` lies inside headmix's own files or an interpreter's site-packages."""
    path = Path(path).resolve()
    return any(path == folder or folder in path.parents for folder in application_folders())


def not_the_users(folder: Path) -> bool:
    """Whether ``folder`` belongs to an application or to the Hugging Face cache rather than to the user."""
    return inside_application(folder) or repo_name(Path(folder)) is not None


def documents_folder() -> Path:
    """The user's documents folder (XDG's, or the platform's), or home when there is none."""
    documents = platformdirs.user_documents_path()
    return documents if documents.is_dir() else Path.home()


def export_parent(source_folder: Path, last_export_folder: str | None) -> Path | None:
    """The folder to propose for an export of the checkpoint in ``source_folder``; None means next to the source
    (as :func:`export_dialog.suggested_folder` does by itself). A source inside the application's own files gets
    the last export's folder, when it still exists and is writable, else the user's documents; so does a
    snapshot of the Hugging Face cache."""
    if not not_the_users(source_folder):
        return None
    if last_export_folder:
        last = Path(last_export_folder)
        if last.is_dir() and os.access(last, os.W_OK | os.X_OK) and not not_the_users(last):
            return last
    return documents_folder()
