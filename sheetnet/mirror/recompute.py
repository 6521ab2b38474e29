"""`sheetnet recompute`: a workbook's own inputs → every computed cell, against what it has cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sheetnet.data import chapter3_params
from sheetnet.engine.network import Evaluation
from sheetnet.errors import UnusableInput
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.model import Layout
from sheetnet.mirror.chapter3 import cell_values, network_of
from sheetnet.mirror.compare import Comparison, Tolerance, compare
from sheetnet.mirror.load import Loaded, load


@dataclass(frozen=True)
class Recomputed:
    loaded: Loaded
    params_from: str  # 'workbook' or the embedded set used for a data-only workbook
    evaluation: Evaluation
    comparison: Comparison


def recompute(path: str | Path, *, tol: Tolerance = Tolerance(), default_params: str = "initial",
              layout: Layout = CHAPTER3) -> Recomputed:
    loaded = load(path, layout)
    if loaded.has("learn"):
        net, params_from = network_of(loaded.inputs), "workbook"
    else:
        net, params_from = chapter3_params(default_params), default_params
    ev, expected = cell_values(layout, loaded.inputs, net)
    comparison = compare(loaded.cells, expected, tol)
    if comparison.formulas and comparison.no_cache == comparison.formulas:
        raise UnusableInput(
            "its formulas have no cached values (written by a program that does not calculate): "
            "open and save it in a spreadsheet program first"
        )
    return Recomputed(loaded, params_from, ev, comparison)
