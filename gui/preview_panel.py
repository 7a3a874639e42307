"""The centre: mixing-matrix heatmaps, weights before/after, importance bars, tensor histogram."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QStackedWidget, QTabWidget, QVBoxLayout, QWidget,
)  # fmt: skip

from headmix.core.methods import HEATMAPS, MATRIX_TITLES
from headmix.core.stats import display_matrix

from .plots import HistogramView, ImportanceChart, MatrixView

#: the core's heatmap keys, with the axis labels each one's rows and columns get
AXES = {"q_heads": "head", "kv_heads": "kv head", "qk_dims": "dim", "v_dims": "dim"}


class PreviewPanel(QTabWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrices = {key: MatrixView(MATRIX_TITLES[key], AXES[key], AXES[key]) for key in HEATMAPS}
        grid = QGridLayout()
        for i, view in enumerate(self.matrices.values()):
            grid.addWidget(view, i // 2, i % 2)
        grid_widget = QWidget()
        grid_widget.setLayout(grid)

        self.before = MatrixView("before", "row", "column", prefixes=False)
        self.after = MatrixView("after", "row", "column", prefixes=False)
        pair = QVBoxLayout()  # side by side, two colour bars and titles do not fit a column
        pair.addWidget(self.before)
        pair.addWidget(self.after)
        pair_widget = QWidget()
        pair_widget.setLayout(pair)

        self.stack = QStackedWidget()
        self.stack.addWidget(grid_widget)
        self.stack.addWidget(pair_widget)
        self.toggle = QCheckBox("Show a weight matrix before → after")
        self.toggle.setToolTip("Swap the mixing matrices for one of this layer's weights, before and after the shrink")
        self.role = QComboBox()
        self.role.addItems(["q", "k", "v", "o"])
        self.role.setToolTip("Which projection to show before and after")
        self.role.setEnabled(False)
        self.layer_label = QLabel()
        self.layer_label.setStyleSheet("font-weight: bold;")
        top = QHBoxLayout()
        top.addWidget(self.layer_label, 1)
        top.addWidget(self.toggle)
        top.addWidget(self.role)
        mixing_tab = QWidget()
        layout = QVBoxLayout(mixing_tab)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self.addTab(mixing_tab, "Mixing matrices")
        self.setTabToolTip(0, "Each column is a new unit, each row an old one: the weight with which the old one enters")

        self.importance = ImportanceChart()
        self.addTab(self.importance, "Head importance")
        self.setTabToolTip(1, "Data-free importance of the selected layer's query heads")
        self.histogram = HistogramView()
        self.addTab(self.histogram, "Tensor values")
        self.setTabToolTip(2, "Histogram and statistics of the tensor picked in the tree")

        self.toggle.toggled.connect(self._toggled)

    def _toggled(self, on: bool) -> None:
        self.stack.setCurrentIndex(1 if on else 0)
        self.role.setEnabled(on)

    def show_mixing(self, layer: int, heatmaps: dict | None, note: str = "") -> None:
        """The selected layer's matrices (None: the layer is not changed by the plan)."""
        self.layer_label.setText(f"Layer {layer}" + (f" — {note}" if note else ""))
        for key, view in self.matrices.items():
            view.set_matrix(None if heatmaps is None else heatmaps[key])

    def show_weights(self, name: str, before, after) -> None:
        for view, values, label in ((self.before, before, "before"), (self.after, after, "after")):
            if values is None:
                view.set_matrix(None, title=f"{label}: {name}")
                continue
            shown = display_matrix(values)
            rows = max(1, -(-values.shape[0] // shown.shape[0])) if values.ndim > 1 else 1
            cols = max(1, -(-values.shape[-1] // shown.shape[1]))
            short = ".".join(name.split(".")[-2:])  # a long title would widen the plot past its column
            view.set_matrix(shown, rows, cols, title=f"{label}: {short} {' × '.join(map(str, values.shape))}")
            view.setToolTip(f"{name}, {label} the shrink")
