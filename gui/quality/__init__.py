"""The Quality tab's parts, assembled over QWidget by ``gui/quality_view.py``: building the widgets, the text,
measuring (a session job), fewer heads against fewer layers, the methods table, rendering the state, and the
words and numbers that need no widget."""
