"""The centre: mixing-matrix heatmaps, weights before/after, importance bars, tensor histogram."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QStackedWidget, QTabWidget, QVBoxLayout,
    QWidget,
)  # fmt: skip

from .plots import HistogramView, ImportanceChart, MatrixView, WeightsPair

HEATMAPS = (
    ("query heads", "Query heads", "head", "head"),
    ("kv heads", "Key/value heads", "kv head", "kv head"),
    ("q/k dims", "Query/key dims", "dim", "dim"),
    ("v dims", "Value dims", "dim", "dim"),
)


class PreviewPanel(QTabWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrices = {key: MatrixView(title, old, new) for key, title, old, new in HEATMAPS}
        grid = QGridLayout()
        for i, view in enumerate(self.matrices.values()):
            grid.addWidget(view, i // 2, i % 2)
        grid_widget = QWidget()
        grid_widget.setLayout(grid)

        self.weights = WeightsPair()

        self.stack = QStackedWidget()
        self.stack.addWidget(grid_widget)
        self.stack.addWidget(self.weights)
        self.toggle = QCheckBox("Show a weight matrix before → after")
        self.toggle.setToolTip("Swap the mixing matrices for one of this layer's weights, before and after the shrink")
        self.role = QComboBox()
        self.role.addItems(["q", "k", "v", "o"])
        self.role.setToolTip("Which projection to show before and after")
        self.role.setEnabled(False)
        self.layer_label = QLabel()
        self.layer_label.setStyleSheet("font-weight: bold;")
        # a longer note must never widen the panel (the splitter would move every pane)
        self.layer_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
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
        text = f"Layer {layer}" + (f" — {note}" if note else "")
        self.layer_label.setText(text)
        self.layer_label.setToolTip(text)
        for key, view in self.matrices.items():
            view.set_matrix(None if heatmaps is None else heatmaps[key])

    def show_message(self, note: str) -> None:
        """A line above the charts, for what the charts cannot show (e.g. a failed step)."""
        self.layer_label.setText(note)
        self.layer_label.setToolTip(note)

    def show_weights(self, name: str, before, after, sources, note: str = "") -> None:
        """``before``/``after``: the weight with its units as rows; ``sources``: the old row of each new one."""
        from .alignment import aligned_pair

        short = ".".join(name.split(".")[-2:])  # a long title would widen the plot past its column
        if before is None:
            self.weights.set_weights(None, None, (f"before: {short}", f"after: {short}"), note=note or "nothing to show")
            return
        shown_before, shown_after, row_step, col_step = aligned_pair(before, after, sources)
        shape = lambda m: " × ".join(map(str, m.shape))  # noqa: E731
        self.weights.set_weights(shown_before, shown_after, (f"before: {short} {shape(before)}", f"after: {shape(after)}"),
                                 row_step, col_step, note)
        self.weights.setToolTip(f"{name}: rows are its units (head · dim); each new row sits beside the old row it "
                                "comes from, on one colour scale")

    def apply_theme(self, palette=None) -> None:
        for view in (*self.matrices.values(), self.weights, self.importance, self.histogram):
            view.apply_theme(palette)
