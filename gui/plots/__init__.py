"""pyqtgraph views: a matrix heatmap with colour bar and hover readout, weights before/after on
one colour scale, importance bars with their kv groups, a histogram, the quality charts.

Every view follows the application palette (light or dark) through its ``apply_theme``. One module a
chart; ``style`` holds the colours, titles and axes they share (and pyqtgraph's options, set once).
"""

from .histogram import HistogramView
from .importance import ImportanceChart
from .layer_charts import LayerErrorChart, LayerScoreChart
from .matrices import MatrixView, WeightsPair
from .pair_chart import PairChart
from .style import (
    DIVERGING, DROPPED, KEPT, LAYER_KEPT, LAYER_REMOVED, ORIGINAL, SHRUNK, UnitAxis, ValueAxis, is_dark, power_of_ten,
    set_title, theme_colours,
)

__all__ = [
    "DIVERGING", "DROPPED", "KEPT", "LAYER_KEPT", "LAYER_REMOVED", "ORIGINAL", "SHRUNK", "HistogramView", "ImportanceChart",
    "LayerErrorChart", "LayerScoreChart", "MatrixView", "PairChart", "UnitAxis", "ValueAxis", "WeightsPair", "is_dark",
    "power_of_ten", "set_title", "theme_colours",
]
