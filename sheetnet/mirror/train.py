"""`sheetnet train`: a workbook's own data and parameters → trained parameters, written back into it.

Everything particular to a workbook comes from its Kind (kinds.Training: the engine's network and
problem from the cells, the two methods and their defaults); nothing here knows a layout.

Only the parameter cells and the cached values of the cells that depend on them change. A dependent
cell whose formula is the layout's own gets the engine's value. One whose formula is the student's own
— σ written otherwise, or a formula `sheetnet check` found wrong (`leave`, when the user trains anyway
with --force), or anything downstream of one — gets the value that formula gives with the trained
parameters, calculated by sheetnet's evaluator of the student's formulas (sheetnet.formula.recalc, the
same that grades a workbook saved without values), cell by cell. Only a cell that evaluation cannot
give a value to (an error value, a circular reference) is left without one: the workbook is then
marked for a full recalculation on open (fullCalcOnLoad, which Excel follows), and LibreOffice
calculates a formula without a cached value when it opens the file. Such cells are counted so the
user can be told.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np

from sheetnet.errors import UnusableInput
from sheetnet.i18n import _, ngettext
from sheetnet.layout.depends import dependents
from sheetnet.mirror.authoring import listed
from sheetnet.mirror.formulas import expected_formulas, same_formula
from sheetnet.mirror.kinds import CHAPTER3_KIND, KINDS, Kind, Summary
from sheetnet.mirror.load import Loaded, load
from sheetnet.record import record
from sheetnet.xlsx.patch import patch_workbook
from sheetnet.xlsx.refs import cell_name


@record(frozen=True)
class Trained:
    loaded: Loaded
    method: str
    C_T_before: float
    C_T_after: float
    right_before: int
    right_after: int
    iterations: int
    seconds: float
    stopped_because: str
    cells_written: int
    cells_left: int  # dependent cells whose value sheetnet does not vouch for: cached value removed
    net: object  # the engine's network of the kind (Network, CNN)
    kind: Kind = CHAPTER3_KIND
    before: Summary | None = None  # the figures before and after, worded the kind's way
    after: Summary | None = None
    recalculate_on_open: bool = False  # the workbook was marked for a full recalculation when opened
    why: tuple[str, dict] | None = None  # stopped_because as the engine's (template, values), where it has figures


def train_workbook(src: str | Path, dst: str | Path, *, method: str = "solver", eta: float | None = None,
                   iterations: int | None = None, callback: Callable[[int, float], None] | None = None,
                   kind: Kind = CHAPTER3_KIND, leave: frozenset[str] = frozenset(), loaded: Loaded | None = None) -> Trained:
    """Train from src's own parameters by `method` ('solver' or 'gd'; η and the number of gd updates
    default to the kind's) and write dst: src with the trained parameters and their dependents' values.

    leave: quantities whose formulas are wrong: they and everything downstream get no cached value.
    loaded: src already loaded as `kind` (by the check that came first)."""
    how = kind.training
    if how is None:
        trainable = listed([other.name for other in KINDS if other.training], "and")
        raise UnusableInput(_("is a {kind} workbook, which sheetnet train does not train ({why}); it trains {kinds} "
                              "workbooks").format(kind=kind.name, why=_(kind.not_trainable), kinds=trainable))
    if method not in ("solver", "gd"):
        raise ValueError(f"unknown method {method!r}")
    loaded = loaded or load(src, kind.layout)
    if not loaded.has("learn"):
        raise UnusableInput(_("has no learning sheet (with the {where}) to train").format(where=_where_parameters(kind)))
    n, k = loaded.n_images, loaded.n_iterations
    before, _after = kind.compute(loaded.inputs, n, k)
    start = how.net_of(loaded.inputs)
    x, t = how.problem(loaded.inputs)
    if method == "gd":
        run = how.gradient_descent(start, x, t, eta=how.eta if eta is None else eta,
                                   iterations=how.iterations if iterations is None else iterations, callback=callback)
        stopped = ngettext("{n} iteration done", "{n} iterations done", run.iterations).format(n=run.iterations)
        why = None
    else:
        run = how.solve(start, x, t, callback=callback, **({} if iterations is None else {"max_iterations": iterations}))
        stopped, why = run.stopped_because, run.why
    inputs = {**loaded.inputs, **how.parameter_arrays(run.net)}
    after, values = kind.compute(inputs, n, k)
    own = _lazily(lambda: _students_values(src, kind, loaded, inputs))  # only where a formula is the student's own
    edits, left = _edits(loaded, inputs, values, kind.parameters, leave, own)
    _refuse_what_no_cell_holds(edits)
    written = patch_workbook(src, dst, edits, recalculate_on_open=bool(left))
    return Trained(loaded, method, before.C_T, after.C_T, before.right, after.right,
                   run.iterations, run.elapsed, stopped, written - left, left, run.net, kind, before, after, bool(left),
                   why)


def _refuse_what_no_cell_holds(edits) -> None:
    """inf and NaN cannot be stored in a cell (Excel would show #NUM!): training that overflowed —
    a pixel of 1e308, η far too large — is said in one line, and nothing is written."""
    for sheet, cells in edits.items():
        for (row, col), value in cells.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise UnusableInput(_("training gives {value} for {cell}, which cannot be stored in a cell; nothing was "
                                      "written (is a pixel or a parameter huge, or η too large?)").format(
                    value=value, cell=f"{sheet}!{cell_name(row, col)}"))


def _where_parameters(kind: Kind) -> str:
    """'47 parameters at D5:G18': the rectangle the layout puts the parameters in."""
    layout = kind.layout
    cells = np.concatenate([layout.positions(layout[name], 0).reshape(-1, 2) for name in kind.parameters])
    first, last = cells.min(axis=0), cells.max(axis=0)
    return _("{n} parameters at {cells}").format(n=len(cells), cells=f"{cell_name(*map(int, first))}:{cell_name(*map(int, last))}")


def _lazily(make: Callable[[], Callable[[str], np.ndarray]]) -> Callable[[str], np.ndarray]:
    """make() on the first call only: loading and calculating the workbook again costs a second or two
    (the CNN's), which a workbook of the book's own formulas need not pay."""
    made: list = []
    return lambda name: (made or made.append(make()) or made)[0](name)


def _students_values(src, kind: Kind, loaded: Loaded, inputs: dict) -> Callable[[str], np.ndarray]:
    """name → every cell of the quantity as the student's own formulas compute it with the trained
    parameters (float or text; None where they give no value we can store: an error, a cycle)."""
    from sheetnet.check import package  # the checker's evaluator of the student's formulas, asked late
    from sheetnet.check.local import Workbook, calculate
    from sheetnet.formula import values as fv
    from sheetnet.mirror.load import load_aligned
    from sheetnet.xlsx.reader import WorkbookCells

    layout, n, k = kind.layout, loaded.n_images, loaded.n_iterations
    with WorkbookCells(src) as book:
        aligned, cells = load_aligned(src, layout, book)
        wb = Workbook(aligned, cells, package.dialect(Path(src)))
        for name in kind.parameters:  # the trained parameters where the formulas read them (layout addresses)
            pos = layout.positions(layout[name], n, k).reshape(-1, 2)
            grid = wb.book.grid(wb.sheet_name(layout[name].sheet))
            grid.put(pos[:, 0].astype(np.int64), pos[:, 1].astype(np.int64),
                     fv.V(np.asarray(inputs[name], dtype=float).reshape(-1, 1, 1)))
        calculate(wb)

        def values_of(name: str) -> np.ndarray:
            pos = layout.positions(layout[name], n, k)
            flat = pos.reshape(-1, 2).astype(np.int64)
            got = wb.book.grid(wb.sheet_name(layout[name].sheet)).gather(flat[:, 0, None, None], flat[:, 1, None, None])
            out = np.empty(len(flat), dtype=object)
            for i in range(len(flat)):
                v = fv.python_value(got, (i, 0, 0))
                keep = isinstance(v, str) and v not in fv.ERROR_CODE or (isinstance(v, float) and math.isfinite(v))
                out[i] = v if keep else None
            return out.reshape(pos.shape[:-1])

        cache: dict[str, np.ndarray] = {}
        return lambda name: cache[name] if name in cache else cache.setdefault(name, values_of(name))


def _edits(loaded: Loaded, inputs: dict, values: dict, parameters: tuple[str, ...], leave: frozenset[str] = frozenset(),
           own: Callable[[str], np.ndarray] | None = None):
    edits: dict[str, dict[tuple[int, int], float | str | None]] = {}
    layout, n, names = loaded.layout, loaded.n_images, loaded.sheet_names
    for name in parameters:
        _put(edits, loaded, name, inputs[name], np.ones(inputs[name].shape, dtype=bool))
    wrong = set(leave) | dependents(layout, set(leave))
    left = 0
    for name in sorted(dependents(layout, set(parameters))):
        cells = loaded.cells[name]
        want = expected_formulas(layout, name, n, names)
        ours = np.vectorize(lambda c, f: c is not None and same_formula(c.formula, f), otypes=[bool])(cells, want)
        if name in wrong:
            ours[...] = False
        formula = np.vectorize(lambda c: c is not None and c.formula is not None, otypes=[bool])(cells)
        others = formula & ~ours  # the student's own formulas: the value they give, where sheetnet can tell
        theirs = own(name) if own is not None and others.any() else np.full(cells.shape, None, dtype=object)
        unknown = others & np.equal(theirs, None)  # no value we could vouch for: none, the spreadsheet calculates it
        left += int(unknown.sum())
        _put(edits, loaded, name, values[name], ours)
        _put(edits, loaded, name, theirs, others)
    return edits, left


def _put(edits, loaded: Loaded, name: str, values: np.ndarray, mask: np.ndarray) -> None:
    q = loaded.layout[name]
    sheet = edits.setdefault(loaded.sheet_names[q.sheet], {})
    for index in zip(*np.nonzero(mask)):
        v = values[index]
        sheet[loaded.address(name, index)] = v if v is None or isinstance(v, str) else float(v)  # where the sheet has it
