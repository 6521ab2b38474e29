"""`sheetnet answer` / `exercise`: the book's chapter-3 workbook built from the embedded data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sheetnet.data import chapter3_images
from sheetnet.engine.network import Evaluation, Network
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.model import Layout
from sheetnet.layout.styles import STYLES
from sheetnet.mirror.build import build_sheets
from sheetnet.mirror.chapter3 import cell_values, parameter_arrays
from sheetnet.xlsx.writer import write_xlsx


def book_inputs(net: Network, layout: Layout = CHAPTER3) -> dict[str, np.ndarray]:
    """The embedded images and digits plus a parameter set, as the layout's input quantities."""
    images, digits = chapter3_images()
    n = len(images)
    return {
        "pixels": images.reshape(layout.positions(layout["pixels"], n).shape[:-1]),
        "digit": digits.astype(float).reshape(layout.positions(layout["digit"], n).shape[:-1]),
        **parameter_arrays(net, layout),
    }


def write_book_workbook(path: str | Path, net: Network, *, exercise: bool = False,
                        layout: Layout = CHAPTER3) -> Evaluation:
    inputs = book_inputs(net, layout)
    n = len(inputs["pixels"])
    ev, values = cell_values(layout, inputs, net)
    # An exercise leaves the learning sheet's math to the student; image numbers stay as labels.
    blank = frozenset(q.name for q in layout.quantities
                      if exercise and q.computed and q.sheet == "learn" and q.name != "image_no")
    write_xlsx(path, build_sheets(layout, n, inputs, values, blank=blank), STYLES)
    return ev
