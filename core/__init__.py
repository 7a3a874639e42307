"""headmix core: reading checkpoints, planning a shrink and exporting it.

Numpy only. Nothing under this package may import Qt, so that the command line and
scripts run on servers without a display; ``tests/test_layout.py`` enforces it.
"""

__version__ = "0.1.0"
