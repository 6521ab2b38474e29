"""Cell by cell: what each graded cell should hold, locally and end to end — for any kind of workbook.

*Locally* means from the student's own cached values of the cells its formula should read: the
layout's formula for that cell, evaluated over the workbook's values (sheetnet.layout.evaluate);
*end to end* means from the inputs alone (data and parameters), by the engine (the kind's compute).
A cell wrong locally is a root cause; a cell right locally but wrong end to end only inherits an
earlier mistake.

Also here: the values the layout's typical mistakes give (its Mistake templates, evaluated the same
way), so that a wrong value can be named, and which graded cells each cell reads.
Arrays follow the layout's shapes ([iteration,] image, unit, row, col); NaN marks a value that
cannot be computed because a cell it reads holds no number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sheetnet import progress
from sheetnet.i18n import _
from sheetnet.layout.evaluate import ERROR, Evaluator, grids
from sheetnet.mirror.compare import Tolerance
from sheetnet.mirror.kinds import Kind
from sheetnet.mirror.load import Loaded


@dataclass(frozen=True)
class Values:
    found: dict[str, np.ndarray]  # the student's cached values: floats (NaN: no number) or text (None: nothing)
    local: dict[str, np.ndarray]  # from the student's own cells
    end_to_end: dict[str, np.ndarray]  # from the inputs alone
    evaluator: Evaluator  # the layout's templates over the student's cells


def found_values(loaded: Loaded, names) -> dict[str, np.ndarray]:
    """Each computed quantity's cached values; an error value is +inf (SUM does not skip it)."""
    found = {}
    for name in names:
        grid = loaded.cells[name]
        if loaded.layout[name].text:
            out = np.empty(grid.shape, dtype=object)
            for index, cell in np.ndenumerate(grid):
                out[index] = None if cell is None or cell.kind == "" else cell.value
        else:
            out = np.full(grid.shape, np.nan)
            for index, cell in np.ndenumerate(grid):
                if cell is not None and cell.kind == "n":
                    out[index] = cell.value
                elif cell is not None and cell.kind == "e":
                    out[index] = ERROR
        found[name] = out
    return found


def values(loaded: Loaded, kind: Kind) -> Values:
    layout, n, k = loaded.layout, loaded.n_images, loaded.n_iterations
    computed = [name for name in loaded.cells]
    found = found_values(loaded, computed)
    typed = {name: a for name, a in loaded.inputs.items() if name not in found}
    evaluator = Evaluator(layout, grids(layout, {**typed, **found}, n, k), n, k)
    graded = [name for name in layout.graded if name in loaded.cells]
    local = {}
    with np.errstate(all="ignore"):
        for name in progress.each(graded, _("evaluating the workbook's own formulas"), _("quantities")):
            local[name] = evaluator.quantity(layout[name])
    e2e = kind.compute(loaded.inputs, n, k)[1]  # (the summary is not needed: `_` is the translator here)
    return Values({name: found[name] for name in graded}, local, {name: e2e[name] for name in graded}, evaluator)


def mistakes(name: str, loaded: Loaded, v: Values) -> list[tuple[str, str, np.ndarray]]:
    """(code, explanation, the values that mistake gives) for a quantity, from the student's own cells."""
    q = loaded.layout[name]
    out = []
    with np.errstate(all="ignore"):
        for m in loaded.layout.mistakes:
            if m.quantity != name:
                continue
            if not m.other_units:
                out.append((m.code, m.text, v.evaluator.quantity(q, m.template)))
                continue
            units = q.place.units
            for s in range(1, units):
                out.append((m.code, m.text, v.evaluator.quantity(q, m.template, lambda u, s=s: (u + s) % units)))
    return out


def reads(loaded: Loaded, v: Values, places, name: str, index: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    """The graded cells a cell's formula should read (inputs are left out: they are given, never wrong)."""
    q = loaded.layout[name]
    out = []
    for span in v.evaluator.spans(q, index):
        top, left, bottom, right = span.corners
        for row in range(top, bottom + 1):
            for col in range(left, right + 1):
                p = places.at(span.role, row, col)
                if p is not None and p[0] in v.found:
                    out.append(p)
    return out


# -- agreement ---------------------------------------------------------------------------------
def agree(found: np.ndarray, expected: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Elementwise: does the found value agree with the expected one? (Nothing agrees with NaN/None/inf.)"""
    if found.dtype == object or expected.dtype == object:
        out = np.zeros(found.shape, dtype=bool)
        for index, f in np.ndenumerate(found):
            e = expected[index]
            out[index] = f is not None and e is not None and f == e
        return out
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(found), np.abs(expected))
        ok = np.abs(found - expected) <= np.maximum(tol.rel * scale, tol.abs)
        return np.asarray(ok & np.isfinite(found) & np.isfinite(expected))


def known(expected: np.ndarray) -> np.ndarray:
    if expected.dtype == object:
        return np.asarray(np.frompyfunc(lambda v: v is not None, 1, 1)(expected), dtype=bool)
    return np.asarray(np.isfinite(expected))
