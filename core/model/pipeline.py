"""The layer pipeline: walk a model's layers in order, one layer's weights in memory at a time.

Running the model (perplexity), calibrating a shrink (each layer fitted on the activations
that leave the already-shrunk layers before it) and removing layers all need the same walk:
layer 0, 1, 2, ... with some state (the hidden states of every token) carried from one layer
to the next. :class:`LayerPipeline` yields each layer's weights, decoded to float32 (the
attention in the canonical ``(heads, head_dim, hidden)`` form, the rest by role), while a
background thread reads the next layer from disk; so memory holds about two layers'
weights plus the caller's state, whatever the model size, and reading overlaps computing.

A walk may be left suspended (the calibration stops at the layer on screen and goes on later).
So each read runs on a thread of its own that ends with the read: a suspended walk holds its
read-ahead layer but no thread, and :meth:`LayerPipeline.close` lets even that go at once
(issue 18: an executor per walk left one idle thread per calibration alive until collected).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
import threading
import weakref
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


class _ReadAhead:
    """One layer read on a thread that ends when the read does (a daemon: a read-only disk read never
    holds the process at exit); :meth:`result` waits for it and hands the weights over once."""

    def __init__(self, reader: Callable[[Checkpoint, Layer], LayerWeights], checkpoint: Checkpoint, layer: Layer):
        self._value: LayerWeights | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(reader, checkpoint, layer), name="headmix-read",
                                         daemon=True)
        self._thread.start()

    def _run(self, reader, checkpoint: Checkpoint, layer: Layer) -> None:
        try:
            self._value = reader(checkpoint, layer)
        except BaseException as e:  # handed to the walk, which raises it where the caller sees it
            self._error = e

    def result(self) -> LayerWeights:
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        value, self._value = self._value, None
        return value


class LayerPipeline:
    """Iterate ``(position, LayerWeights)`` over ``layers`` (default: all), prefetching the next one.

    ``progress(done, total)`` is called after each layer the caller has finished with;
    ``cancelled()`` is polled before each layer and raises :class:`Cancelled`. A caller that may
    stop part-way and keep the walk (the calibration) calls :meth:`close` when it lets it go.
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
        self._walks: weakref.WeakSet[Generator] = weakref.WeakSet()  # weak: a walk is its caller's to keep

    def __iter__(self) -> Iterator[tuple[int, LayerWeights]]:
        walk = self._walk()
        self._walks.add(walk)
        return walk

    def close(self) -> None:
        """End every walk over this pipeline now: the read-ahead layer and the weights in hand go."""
        walks, self._walks = list(self._walks), weakref.WeakSet()
        for walk in walks:
            walk.close()

    def _walk(self) -> Generator[tuple[int, LayerWeights], None, None]:
        total = len(self.layers)
        upcoming = _ReadAhead(self.reader, self.checkpoint, self.layers[0]) if total else None
        try:
            for position in range(total):
                if self.cancelled():
                    raise Cancelled("cancelled; nothing was left behind")
                weights = upcoming.result()
                upcoming = _ReadAhead(self.reader, self.checkpoint, self.layers[position + 1]) if position + 1 < total else None
                yield position, weights
                del weights
                self.progress(position + 1, total)
        finally:
            upcoming = None  # a read under way ends on its own thread and its result goes with it
