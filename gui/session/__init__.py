"""The window's state without the window: what is open, the targets, undo, presets and the running jobs.

Follows napari's ``ViewerModel`` under its ``_qt`` views: nothing here imports Qt (an import-linter contract
says so), so the session is tested without a QApplication (``tests/test_session.py``), and the widgets in
``gui/`` only draw what its events say and forward the user's input to it.
"""

from .events import Event
from .jobs import Job, Jobs, ThreadRunner
from .session import Session
from .undo import Change, UndoStack

__all__ = ["Change", "Event", "Job", "Jobs", "Session", "ThreadRunner", "UndoStack"]
