"""The window's parts, one concern each, assembled over QMainWindow by ``gui/main_window.py``.

Each part reads and sets the views (``tree_model``, ``targets_panel``, ``preview_panel``, ``quality_view``,
``layers_view``, the export box) and forwards what the user does to the session (``gui/session/``, no Qt):
opening, targets (with undo), preview, layer choice, calibration, quality, export (its stages in one place),
presets, menus, messages, layout.
"""
