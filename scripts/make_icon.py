"""Draw resources/icons/headmix.png: a 4x4 mixing matrix feeding 2 columns, in the app's colours."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "resources" / "icons" / "headmix.png"


def main() -> None:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - needed for painting
    size = 256
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor("#263238"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 40, 40)
    weights = [[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.05, 0.95]]
    cell = 38
    for r, row in enumerate(weights):
        for c, w in enumerate(row):
            colour = QColor.fromHsvF(0.35 - 0.35 * w, 0.75, 0.55 + 0.4 * w)
            p.setBrush(colour)
            p.drawRoundedRect(QRectF(40 + c * (cell + 8), 44 + r * (cell + 6), cell, cell), 8, 8)
    p.setBrush(QColor("#ffb300"))
    for r in range(2):
        p.drawRoundedRect(QRectF(160, 70 + r * 70, 56, 52), 10, 10)
    p.end()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    image.save(str(OUT))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
