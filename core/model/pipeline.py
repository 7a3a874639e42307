"""The layer pipeline: walk a model's layers in order, one layer's weights in memory at a time.

Running the model (perplexity), calibrating a shrink (each layer fitted on the activations
that leave the already-shrunk layers before it) and removing layers all need the same walk:
layer 0, 1, 2, ... with some state (the hidden states of every token) carried from one layer
to the next. :class:`LayerPipeline` yields each layer's weights, decoded to float32 (the
attention in the canonical ``(heads, head_dim, hidden)`` form, the rest by role), while a
background thread reads the next layer from disk; so memory holds about two layers'
weights plus the caller's state, whatever the model size, and reading overlaps computing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .architecture import Architecture, Layer
from ..io.checkpoint import Checkpoint
from ..errors import Cancelled
from .layer_weights import read_attention, read_other

Progress = Callable[[int, int], None]


@dataclass
class LayerWeights:
    """One layer's weights in float32: attention canonical arrays and the other roles as stored."""

    layer: Layer
    attention: dict[str, np.ndarray]
    other: dict[str, np.ndarray]

    @property
    def index(self) -> int:
        return self.layer.index

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.attention.values()) + sum(a.nbytes for a in self.other.values())


def read_layer(checkpoint: Checkpoint, layer: Layer) -> LayerWeights:
    return LayerWeights(layer, read_attention(checkpoint, layer), read_other(checkpoint, layer))


class LayerPipeline:
    """Iterate ``(position, LayerWeights)`` over ``layers`` (default: all), prefetching the next one.

    ``progress(done, total)`` is called after each layer the caller has finished with;
    ``cancelled()`` is polled before each layer and raises :class:`Cancelled`.
    """

    def __init__(self, checkpoint: Checkpoint, arch: Architecture, layers: list[Layer] | None = None,
                 progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
                 reader: Callable[[Checkpoint, Layer], LayerWeights] = read_layer):
        self.checkpoint = checkpoint
        self.arch = arch
        self.layers = list(arch.layers if layers is None else layers)
        self.progress = progress or (lambda done, total: None)
        self.cancelled = cancelled or (lambda: False)
        self.reader = reader

    def __iter__(self) -> Iterator[tuple[int, LayerWeights]]:
        total = len(self.layers)
        if not total:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="headmix-read") as pool:
            upcoming = pool.submit(self.reader, self.checkpoint, self.layers[0])
            for position in range(total):
                if self.cancelled():
                    upcoming.cancel()
                    raise Cancelled("cancelled; nothing was left behind")
                weights = upcoming.result()
                if position + 1 < total:
                    upcoming = pool.submit(self.reader, self.checkpoint, self.layers[position + 1])
                yield position, weights
                del weights
                self.progress(position + 1, total)
