"""The structure tree: model -> layers -> attention -> q/k/v/o tensors -> heads.

A plain ``QAbstractItemModel`` over a small node tree built from headers only, so it fills
instantly even for a 70B checkpoint. Every tensor is reachable: what is not attention is
grouped under its layer (mlp, other) or at the top (embeddings, other). Head nodes show
their importance score once a worker has computed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PySide6.QtCore import QT_TRANSLATE_NOOP, QAbstractItemModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication, QPalette

from headmix.core.model.architecture import Architecture
from headmix.core.io.checkpoint import Checkpoint
from headmix.core.model.importance import Importance
from headmix.core.model.inspection import human_bytes, human_count
from headmix.core.model.layout import FUSED

translate = QCoreApplication.translate
#: the columns' headers, translated where shown
COLUMNS = (QT_TRANSLATE_NOOP("TreeModel", "Name"), QT_TRANSLATE_NOOP("TreeModel", "Shape"),
           QT_TRANSLATE_NOOP("TreeModel", "DType"), QT_TRANSLATE_NOOP("TreeModel", "Size"),
           QT_TRANSLATE_NOOP("TreeModel", "Importance"))
#: the widest text each column shows (the Name column is the tree's: wide enough for "layer 29 → 23 (+ merged 24)")
_WIDEST = ("attention (q/k/v) layer 29", "888.88K params", "DType", "888.88 MB", "Importance")
_PADDING = 20  # a cell's margins, and the header's sort indicator


def column_widths(metrics) -> tuple[int, ...]:
    """Column widths that fit their widest text in this font (fixed pixel widths clipped "269.03 MB" to "269.03 …")."""
    return tuple(max(metrics.horizontalAdvance(text), metrics.horizontalAdvance(translate("TreeModel", header))) + _PADDING
                 for text, header in zip(_WIDEST, COLUMNS, strict=True))
_LAYER_RE = re.compile(r"(?:^|\.)(?:layers|h|layer)\.(\d+)\.")
_ROLE_LABELS = {"q": "query", "k": "key", "v": "value", "o": "output"}


@dataclass(eq=False)
class Node:
    label: str
    kind: str  # model, group, layer, attention, tensor, head
    parent: Node | None = None
    tensor: str | None = None
    layer: int | None = None
    head: int | None = None
    head_axis: str | None = None  # "q" or "kv" for head nodes
    shape: tuple[int, ...] | None = None
    dtype: str = ""
    nbytes: int | None = None
    params: int | None = None
    score: float | None = None
    summary: str = ""  # shown in the Shape column of nodes that are not tensors
    children: list[Node] = field(default_factory=list)

    def add(self, child: Node) -> Node:
        child.parent = self
        self.children.append(child)
        return child

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent else 0


class CheckpointTreeModel(QAbstractItemModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.root = Node("", "root")
        self._head_nodes: dict[tuple[int, str], list[Node]] = {}
        self.choice = None  # the core's LayerChoice when decoder layers go

    # ------------------------------------------------------------------ filling

    def set_checkpoint(self, checkpoint: Checkpoint, arch: Architecture) -> None:
        self.beginResetModel()
        self.root = Node("", "root")
        self._head_nodes = {}
        self.choice = None
        title = f"{checkpoint.display_name} ({arch.name})"
        model = self.root.add(Node(title, "model", params=checkpoint.num_parameters))
        layers: dict[int, Node] = {}
        groups: dict[tuple[int | None, str], Node] = {}
        attention_of = {name: layer for layer in arch.layers for name in layer.tensor_names()}
        by_index = {layer.index: layer for layer in arch.layers}

        def layer_node(i: int) -> Node:
            if i not in layers:
                layers[i] = Node(f"layer {i}", "layer", layer=i)
            return layers[i]

        def group(i: int | None, name: str) -> Node:
            key = (i, name)
            if key not in groups:
                groups[key] = Node(name, "attention" if name == "attention" else "group", layer=i)
            return groups[key]

        for name, info in checkpoint.tensors.items():
            part = arch.parts.get(name, "other")
            m = _LAYER_RE.search(name)
            index = attention_of[name].index if name in attention_of else (int(m[1]) if m else None)
            tensor = Node(
                name.rsplit(".", 2)[-2] + "." + name.rsplit(".", 1)[-1] if "." in name else name,
                "tensor", tensor=name, layer=index, shape=info.shape, dtype=info.dtype, nbytes=info.nbytes,
                params=info.numel,
            )
            if name in attention_of:
                layer = attention_of[name]
                roles = [r for stored in layer.roles_of(name) for r in FUSED.get(stored, (stored,)) if r in ("q", "k", "v", "o")]
                if roles:
                    tensor.label += f" ({'/'.join(_ROLE_LABELS[r] for r in roles)})"
                    axis = "q" if roles[0] in ("q", "o") else "kv"
                    count = layer.num_heads if axis == "q" else layer.num_kv_heads
                    heads = [
                        tensor.add(Node(f"{'head' if axis == 'q' else 'kv head'} {h}", "head", tensor=name, layer=layer.index,
                                        head=h, head_axis=axis))
                        for h in range(count)
                    ]  # fmt: skip
                    self._head_nodes.setdefault((layer.index, axis), []).extend(heads)
                group(layer.index, "attention").add(tensor)
            elif index is not None:
                group(index, "mlp" if part == "mlp" else "other").add(tensor)
            else:
                group(None, "embeddings" if part == "embeddings" else "other").add(tensor)

        if (None, "embeddings") in groups:
            model.add(groups[(None, "embeddings")])
        for i in sorted(layers.keys() | {k[0] for k in groups if k[0] is not None}):
            node = model.add(layer_node(i))
            if i in by_index:
                a = by_index[i]
                # heads × head size, as the Shape column says it for tensors; the tooltip spells it out
                node.summary = (translate("TreeModel", "{heads}×{dim} heads, kv {kv}") if a.num_kv_heads != a.num_heads
                                else translate("TreeModel", "{heads}×{dim} heads")).format(
                    heads=a.num_heads, dim=a.head_dim, kv=a.num_kv_heads)
            for name in ("attention", "mlp", "other"):
                if (i, name) in groups:
                    node.add(groups[(i, name)])
        if (None, "other") in groups:
            model.add(groups[(None, "other")])
        self._sum_sizes(model)
        self.endResetModel()

    def _sum_sizes(self, node: Node) -> None:
        for child in node.children:
            self._sum_sizes(child)
        if node.kind != "tensor" and node.kind != "head" and node.children:
            node.nbytes = sum(c.nbytes or 0 for c in node.children)
            node.params = sum(c.params or 0 for c in node.children)

    def set_importance(self, layer: int, importance: Importance) -> None:
        """Show one layer's head scores (called as the importance worker reports each layer)."""
        for axis, scores in (("q", importance.q_heads), ("kv", importance.kv_heads)):
            nodes = self._head_nodes.get((layer, axis), [])
            for node in nodes:
                node.score = float(scores[node.head])
            if nodes:
                # head nodes of several tensors share scores; refresh each parent's rows
                for parent in {id(n.parent): n.parent for n in nodes}.values():
                    top = self.createIndex(0, 4, parent.children[0])
                    bottom = self.createIndex(len(parent.children) - 1, 4, parent.children[-1])
                    self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole])

    def set_layer_choice(self, choice) -> None:
        """Mark the layers a plan with fewer decoder layers removes (greyed, "removed" in the Shape
        column), those that absorb merged ones, and each kept layer's new index (None: unmark)."""
        if choice is self.choice:
            return
        self.choice = choice
        self._changed_below(self.root)

    def _changed_below(self, node: Node) -> None:
        if not node.children:
            return
        top = self.createIndex(0, 0, node.children[0])
        bottom = self.createIndex(len(node.children) - 1, len(COLUMNS) - 1, node.children[-1])
        self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole,
                                            Qt.ItemDataRole.ToolTipRole])
        for child in node.children:
            self._changed_below(child)

    def removed(self, layer: int | None) -> bool:
        return self.choice is not None and layer is not None and layer not in self.choice.kept

    def merged_into(self, layer: int) -> int | None:
        if self.choice is None:
            return None
        return next((k for k, group in self.choice.merged.items() if layer in group), None)

    def fate(self, layer: int) -> str:
        """What the layer choice does to one source layer, in words (empty without a choice)."""
        choice = self.choice
        if choice is None:
            return ""
        if layer in choice.kept:
            new = choice.kept.index(layer)
            merged = choice.merged.get(layer, ())
            return (translate("TreeModel", "becomes layer {layer} of the smaller model").format(layer=new)
                    + (translate("TreeModel", "; layers {layers} are averaged into it").format(
                        layers=", ".join(map(str, merged))) if merged else ""))
        into = self.merged_into(layer)
        return (translate("TreeModel", "removed with the decoder layers")
                + (translate("TreeModel", ", averaged into layer {layer}").format(layer=into) if into is not None else ""))

    # ------------------------------------------------------------------ queries

    def node(self, index: QModelIndex) -> Node:
        return index.internalPointer() if index.isValid() else self.root

    def iter_nodes(self, node: Node | None = None):
        node = node or self.root
        for child in node.children:
            yield child
            yield from self.iter_nodes(child)

    # ------------------------------------------------------------------ Qt model API

    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, self.node(parent).children[row])

    def parent(self, index=QModelIndex()):  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        parent = index.internalPointer().parent
        if parent is None or parent is self.root:
            return QModelIndex()
        return self.createIndex(parent.row(), 0, parent)

    def rowCount(self, parent=QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        node: Node = index.internalPointer()
        col = index.column()
        layer_node = node.kind == "layer" and node.layer is not None and self.choice is not None
        if role == Qt.ItemDataRole.ForegroundRole and self.removed(node.layer):
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.DisplayRole and layer_node:
            # the Name column says where a kept layer goes and what it absorbs, Shape what happens to a removed one
            if col == 0 and node.layer in self.choice.kept:
                new = self.choice.kept.index(node.layer)
                merged = self.choice.merged.get(node.layer, ())
                return (node.label + (f" → {new}" if new != node.layer else "")
                        + (translate("TreeModel", " + merged {layers}").format(layers=", ".join(map(str, merged)))
                           if merged else ""))
            if col == 1 and self.removed(node.layer):
                into = self.merged_into(node.layer)
                return (translate("TreeModel", "removed") if into is None
                        else translate("TreeModel", "merged into {layer}").format(layer=into))
        if role == Qt.ItemDataRole.ToolTipRole and self.removed(node.layer) and node.kind != "layer":
            return translate("TreeModel", "Layer {layer} is removed with the decoder layers: this is not in the "
                                          "export").format(layer=node.layer)
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return node.label
            if col == 1:
                if node.shape is not None:
                    return " × ".join(map(str, node.shape))
                return node.summary or (translate("TreeModel", "{count} params").format(count=human_count(node.params))
                                        if node.params else "")
            if col == 2:
                return node.dtype
            if col == 3:
                return human_bytes(node.nbytes) if node.nbytes is not None else ""
            if col == 4:
                return f"{node.score:.3g}" if node.score is not None else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if node.kind == "tensor":
                return (f"{node.tensor}\n{list(node.shape)} {node.dtype}, {human_bytes(node.nbytes)}\n"
                        + translate("TreeModel", "Select to see its histogram"))
            if node.kind == "head":
                return (translate("TreeModel", "Importance: ‖W_v‖·‖W_o‖ of this head (data-free)") if node.score is not None
                        else translate("TreeModel", "Importance is being computed"))
            if node.kind == "layer":
                fate = self.fate(node.layer) if node.layer is not None else ""
                return (translate("TreeModel", "{shape}: query heads × head size, key/value heads").format(shape=node.summary)
                        + "\n" + (translate("TreeModel", "Fewer decoder layers: this layer {fate}").format(fate=fate) + "\n"
                                  if fate else "")
                        + translate("TreeModel", "Select to show this layer's mixing matrices"))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return node.tensor or node.label
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return translate("TreeModel", COLUMNS[section])
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
