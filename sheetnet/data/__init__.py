"""The book's chapter-3 data and parameter sets, shipped as numbers (no workbook needed)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

from sheetnet.engine.network import Network

PARAM_SETS = ("initial", "book", "backprop_initial", "trained")


@cache
def _chapter3() -> dict:
    import json  # (when read: check and recompute read no shipped data, and need not load json)

    return json.loads(resources.files(__package__).joinpath("chapter3.json").read_text("utf-8"))


def chapter3_images() -> tuple[np.ndarray, np.ndarray]:
    """The 64 training images, (64, 4, 3) of 0/1, and their digits (64,)."""
    raw = _chapter3()
    images = np.array([[[int(p) for p in row] for row in img.split("/")] for img in raw["images"]], dtype=float)
    return images, np.array(raw["digits"], dtype=int)


def chapter3_params(name: str) -> Network:
    """A parameter set by name: 'initial' (the book's start), 'book' (Solver's result), 'backprop_initial'
    (chapter 4's start), 'trained' (sheetnet's own Solver run from 'initial': see sheetnet/data/trained.py)."""
    if name not in PARAM_SETS:
        raise KeyError(f"unknown parameter set {name!r}; known: {', '.join(PARAM_SETS)}")
    return network_from_book(_chapter3()["params"][name])


def network_from_book(p: dict) -> Network:
    """The book's shapes (hidden_w[unit][row][col], output_w[unit][hidden]) → a Network."""
    hidden_w = np.asarray(p["hidden_w"], dtype=float)
    return Network(
        W={2: hidden_w.reshape(hidden_w.shape[0], -1), 3: np.asarray(p["output_w"], dtype=float)},
        b={2: np.asarray(p["hidden_b"], dtype=float), 3: np.asarray(p["output_b"], dtype=float)},
    )


def chapter3_eta() -> float:
    return float(_chapter3()["eta"])
