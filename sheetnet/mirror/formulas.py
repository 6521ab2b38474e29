"""The formula text the layout puts in each cell of a quantity, and a lenient comparison with a found one."""

from __future__ import annotations

import re

import numpy as np

from sheetnet.layout.model import Layout

_SPACES = re.compile(r"\s+")


def expected_formulas(layout: Layout, name: str, n_images: int, sheet_names: dict[str, str]) -> np.ndarray:
    """Object array shaped like the quantity: the formula each cell should hold (None for a constant)."""
    q = layout[name]
    shape = layout.positions(q, n_images).shape[:-1]
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        image, unit, r, c = index if q.per_image else (0, *index)
        template = q.formula_for(image)
        out[index] = layout.formula(q, n_images, sheet_names, image, unit, r, c) if template and template.startswith("=") else None
    return out


def same_formula(found: str | None, expected: str | None) -> bool:
    """Equal up to spacing and letter case (Excel upper-cases functions and references itself)."""
    if found is None or expected is None:
        return found is expected
    return _SPACES.sub("", found).upper() == _SPACES.sub("", expected).upper()
