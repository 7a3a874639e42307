"""Plain events: a list of callbacks, so the session can say what changed without knowing who draws it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """A named event; ``connect`` a callback, ``emit`` calls every connected one in order with the same arguments."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Call ``callback`` on every emit from now on; returns it, so this also works as a decorator."""
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any] | None = None) -> None:
        """Stop calling ``callback`` (every callback when None)."""
        if callback is None:
            self._callbacks.clear()
        elif callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._callbacks):  # a callback may disconnect itself
            callback(*args)

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        return f"Event({self.name!r}, {len(self._callbacks)} connected)"
