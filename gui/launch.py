"""The ``headmix`` command: the core's command line with the window plugged in for ``headmix gui``.

It lives here, above the core, so that the core never imports the window (not even lazily);
the window itself is imported only when ``headmix gui`` (or plain ``headmix``) runs.
"""

from __future__ import annotations

import sys

from headmix.core.cli import main as core_main


def open_window(path: str | None) -> int:
    from .app import run

    return run(path)


def main(argv: list[str] | None = None) -> int:
    return core_main(argv, gui=open_window)


if __name__ == "__main__":
    sys.exit(main())
