"""Cached values against recomputed ones, cell by cell."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import compress, repeat
from operator import is_, is_not

import numpy as np

from sheetnet import progress
from sheetnet.i18n import _
from sheetnet.record import record
from sheetnet.xlsx.reader import Cell
from sheetnet.xlsx.sheetxml import cell_formula, cell_kind, cell_value


@record(frozen=True)
class Tolerance:
    rel: float = 1e-9
    abs: float = 1e-12


@record(frozen=True)
class Difference:
    quantity: str
    index: tuple[int, ...]  # into the layout's shape: (image, unit, row, col) or (unit, row, col)
    found: object  # the cached value (None when there is none)
    expected: object
    formula: str | None


@record(frozen=True)
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


def compare(cells: dict[str, np.ndarray], expected: dict[str, np.ndarray], tol: Tolerance,
            arrays: Callable[[str], tuple | None] | None = None) -> Comparison:
    """Every cell of `cells` against its expected value. arrays(name): the quantity's cells as NumPy arrays
    (Loaded.arrays: what each holds, from the reader's columns), None where only its Cells tell."""
    math.isclose(0.0, 0.0, rel_tol=tol.rel, abs_tol=tol.abs)  # a negative tolerance: ValueError, as per cell
    total = agree = formulas = no_cache = 0
    max_abs = max_rel = 0.0
    diffs: list[Difference] = []
    for name, grid in progress.each(cells.items(), _("comparing the cells"), _("quantities")):
        want = expected[name]
        if isinstance(want, np.ndarray) and want.shape == grid.shape and want.dtype.kind in "fiu":
            held = arrays(name) if arrays is not None else None
            counts, max_abs, max_rel, wrong = _numeric(grid, want, tol, max_abs, max_rel, held)
        else:
            counts, max_abs, max_rel, wrong = _each(grid, want, tol, max_abs, max_rel)
        total, agree, formulas, no_cache = (a + b for a, b in zip((total, agree, formulas, no_cache), counts))
        for index in wrong:
            cell = grid[index]
            diffs.append(Difference(name, index, None if cell is None else cell.value, want[index],
                                    None if cell is None else cell.formula))
    return Comparison(total, agree, formulas, no_cache, max_abs, max_rel, diffs)


def _each(grid: np.ndarray, want, tol: Tolerance, max_abs: float, max_rel: float):
    """compare() of one quantity, cell by cell (expected values that are not one numeric array)."""
    agree = formulas = no_cache = 0
    wrong = []
    for index, cell in np.ndenumerate(grid):
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
            wrong.append(index)
    return (grid.size, agree, formulas, no_cache), max_abs, max_rel, wrong


_NO_CELL = Cell(None, "")


def _numeric(grid: np.ndarray, want: np.ndarray, tol: Tolerance, max_abs: float, max_rel: float,
             held: tuple | None = None):
    """_each() with C-level loops, for a numeric array of expected values of the grid's shape: the same
    counts, maxima (NaN differences skipped, as max() skips them) and math.isclose's verdict per cell.
    held: the cells as arrays (Loaded.arrays), in place of a look at each Cell's fields."""
    if held is not None:
        number, numbers, blank, has_formula = (x.reshape(-1) for x in held)
        formulas, no_cache = int(has_formula.sum()), int((blank & has_formula).sum())
        a = numbers[number]
    else:
        cs = grid.reshape(-1).tolist()
        if any(map(is_, cs, repeat(None))):  # (a C-level look first: a grid read whole has no None to replace)
            cs = [_NO_CELL if c is None else c for c in cs]
        kinds = list(map(cell_kind, cs))
        has_formula = list(map(is_not, map(cell_formula, cs), repeat(None)))
        formulas = sum(has_formula)
        # list.count and `in` compare the interned kinds by identity first, ~50x a map of "n".__eq__
        no_cache = sum(compress(map("".__eq__, kinds), has_formula)) if "" in kinds else 0
        if kinds.count("n") == len(kinds):  # the usual grid: every cell a number
            number = np.ones(len(kinds), dtype=bool)
        else:
            number = np.fromiter([k == "n" for k in kinds], dtype=bool, count=len(kinds))
        a = np.fromiter(compress(map(cell_value, cs), number), dtype=float, count=int(number.sum()))
    b = want.reshape(-1).astype(float)[number]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        d = np.abs(a - b)
        max_abs = float(np.fmax.reduce(d, initial=max_abs))
        nonzero = b != 0
        max_rel = float(np.fmax.reduce(d[nonzero] / np.abs(b[nonzero]), initial=max_rel))
        # math.isclose: equal, or both finite and within either tolerance
        close = (a == b) | (np.isfinite(a) & np.isfinite(b) & (
            (d <= np.abs(tol.rel * b)) | (d <= np.abs(tol.rel * a)) | (d <= tol.abs)))
    ok = np.zeros(grid.size, dtype=bool)
    ok[number] = close
    wrong = [tuple(map(int, i)) for i in zip(*np.unravel_index(np.flatnonzero(~ok), grid.shape))]
    return (grid.size, int(ok.sum()), formulas, no_cache), max_abs, max_rel, wrong
