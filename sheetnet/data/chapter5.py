"""The book's chapter-5 data (appendix B's 96 images) and CNN parameters, shipped as numbers."""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

from sheetnet.engine.cnn import CNN

PARAM_SETS = ("initial", "trained")


@cache
def _chapter5() -> dict:
    import json  # (when read: check and recompute read no shipped data, and need not load json)

    return json.loads(resources.files(__package__).joinpath("chapter5.json").read_text("utf-8"))


def chapter5_images() -> tuple[np.ndarray, np.ndarray]:
    """The 96 training images, (96, 6, 6) of 0/1, and their digits (96,): 1, 2 or 3."""
    raw = _chapter5()
    images = np.array([[[int(p) for p in row] for row in img.split("/")] for img in raw["images"]], dtype=float)
    return images, np.array(raw["digits"], dtype=int)


def chapter5_params(name: str) -> CNN:
    """A parameter set by name: 'initial' (the book's start, cnn_initial), 'trained' (sheetnet's own
    Solver run from 'initial': see sheetnet/data/cnn_trained.py)."""
    if name not in PARAM_SETS:
        raise KeyError(f"unknown parameter set {name!r}; known: {', '.join(PARAM_SETS)}")
    return cnn_from_book(_chapter5()["params"][name])


def cnn_from_book(p: dict) -> CNN:
    """The book's shapes (filters[k][row][col], filter_b[k], output_w[j][k][row][col], output_b[j]) → a CNN."""
    return CNN(**{name: np.asarray(p[name], dtype=float) for name in CNN.FIELDS})


def chapter5_eta() -> float:
    """The book's learning rate η (engine.cnn_training.CNN_GD_ETA takes the same)."""
    return float(_chapter5()["eta"])
