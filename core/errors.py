"""Errors headmix reports to a user.

Every failure a user can cause (a bad path, a broken file, an impossible target) is raised
as a subclass of :class:`HeadmixError` whose message is complete on its own: the CLI prints
it and exits with code 2, the window shows it next to the control or in a message box.
Anything else escaping the core is a bug.
"""


class HeadmixError(Exception):
    """Base class: the message names the file or setting and the problem."""


class CheckpointError(HeadmixError):
    """The checkpoint cannot be read: missing, truncated, corrupt, or a format we refuse."""


class ConfigError(HeadmixError):
    """config.json is unreadable or disagrees with the tensors."""


class TargetError(HeadmixError):
    """The requested heads / kv heads / head size cannot be built for this model.

    ``field`` names the control the reason belongs next to (heads, kv_heads, head_dim,
    layers, method), so the window can show it there instead of in a dialog.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class PresetError(HeadmixError):
    """A preset file is unreadable or holds unknown keys or bad values."""


class ExportError(HeadmixError):
    """The export could not be written (output exists, disk full, unwritable...)."""


class Cancelled(HeadmixError):
    """The user cancelled a long operation; nothing was left behind."""


class OutputRefused(ExportError):
    """The output path is not acceptable (inside the source, not empty, unwritable): bad input."""
