"""Cached values against recomputed ones, cell by cell."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sheetnet import progress
from sheetnet.i18n import _
from sheetnet.xlsx.reader import Cell


@dataclass(frozen=True)
class Tolerance:
    rel: float = 1e-9
    abs: float = 1e-12


@dataclass(frozen=True)
class Difference:
    quantity: str
    index: tuple[int, ...]  # into the layout's shape: (image, unit, row, col) or (unit, row, col)
    found: object  # the cached value (None when there is none)
    expected: object
    formula: str | None


@dataclass(frozen=True)
class Comparison:
    cells: int
    agree: int
    formulas: int  # cells holding a formula
    no_cache: int  # formula cells without a cached value
    max_abs_diff: float
    max_rel_diff: float
    differences: list[Difference]

    @property
    def all_agree(self) -> bool:
        return self.agree == self.cells


def agrees(cell: Cell | None, expected, tol: Tolerance) -> bool:
    if cell is None or cell.kind == "":
        return False
    if isinstance(expected, str):
        return cell.kind == "s" and cell.value == expected
    if not cell.is_number:
        return False
    return math.isclose(cell.value, float(expected), rel_tol=tol.rel, abs_tol=tol.abs)


def compare(cells: dict[str, np.ndarray], expected: dict[str, np.ndarray], tol: Tolerance) -> Comparison:
    total = agree = formulas = no_cache = 0
    max_abs = max_rel = 0.0
    diffs: list[Difference] = []
    for name, grid in progress.each(cells.items(), _("comparing the cells"), _("quantities")):
        want = expected[name]
        for index, cell in np.ndenumerate(grid):
            total += 1
            e = want[index]
            if cell is not None and cell.formula is not None:
                formulas += 1
                no_cache += cell.kind == ""
            if cell is not None and cell.is_number and not isinstance(e, str):
                d = abs(cell.value - float(e))
                max_abs = max(max_abs, d)
                if e != 0:
                    max_rel = max(max_rel, d / abs(float(e)))
            if agrees(cell, e, tol):
                agree += 1
            else:
                diffs.append(Difference(name, index, None if cell is None else cell.value, e,
                                        None if cell is None else cell.formula))
    return Comparison(total, agree, formulas, no_cache, max_abs, max_rel, diffs)
