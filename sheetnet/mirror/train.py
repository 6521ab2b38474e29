"""`sheetnet train`: a workbook's own data and parameters → trained parameters, written back into it.

Only the parameter cells and the cached values of the cells that depend on them change; a
dependent cell whose formula is not the layout's own keeps its cached value (we would otherwise
show a number its formula does not compute), and is counted so the user can be told.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from sheetnet.engine.network import Network, evaluate
from sheetnet.errors import UnusableInput
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.depends import dependents
from sheetnet.layout.model import Layout
from sheetnet.mirror.chapter3 import cell_values, network_of, parameter_arrays, problem_of
from sheetnet.mirror.formulas import expected_formulas, same_formula
from sheetnet.mirror.load import Loaded, load
from sheetnet.xlsx.patch import patch_workbook

PARAMETERS = ("w2", "b2", "w3", "b3")


@dataclass(frozen=True)
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
    cells_left: int  # dependent cells whose formula differs from the layout's: cached value kept
    net: Network


def train_workbook(src: str | Path, dst: str | Path, *, method: str = "solver", eta: float = 0.2,
                   iterations: int | None = None, callback: Callable[[int, float], None] | None = None,
                   layout: Layout = CHAPTER3) -> Trained:
    from sheetnet.engine import training

    loaded = load(src, layout)
    if not loaded.has("learn"):
        raise UnusableInput("has no learning sheet (with the 47 parameters at D5:G18) to train")
    start = network_of(loaded.inputs)
    x, t = problem_of(loaded.inputs, layout)
    before = evaluate(start, x, t)
    if method == "gd":
        run = training.gradient_descent(start, x, t, eta=eta, iterations=50 if iterations is None else iterations,
                                        callback=callback)
        stopped = f"{run.iterations} iterations done"
    elif method == "solver":
        run = training.solve(start, x, t, callback=callback,
                             **({} if iterations is None else {"max_iterations": iterations}))
        stopped = run.stopped_because
    else:
        raise ValueError(f"unknown method {method!r}")
    net = run.net
    inputs = {**loaded.inputs, **parameter_arrays(net, layout)}
    after, values = cell_values(layout, inputs, net)
    edits, left = _edits(loaded, inputs, values, layout)
    written = patch_workbook(src, dst, edits)
    return Trained(loaded, method, before.C_T, after.C_T, int(before.right.sum()), int(after.right.sum()),
                   run.iterations, run.elapsed, stopped, written, left, net)


def _edits(loaded: Loaded, inputs: dict, values: dict, layout: Layout):
    edits: dict[str, dict[tuple[int, int], float | str]] = {}
    n, names = loaded.n_images, loaded.sheet_names
    for name in PARAMETERS:
        _put(edits, loaded, name, inputs[name], np.ones(inputs[name].shape, dtype=bool))
    left = 0
    for name in sorted(dependents(layout, set(PARAMETERS))):
        cells = loaded.cells[name]
        want = expected_formulas(layout, name, n, names)
        ours = np.vectorize(lambda c, f: c is not None and same_formula(c.formula, f), otypes=[bool])(cells, want)
        present = np.vectorize(lambda c: c is not None, otypes=[bool])(cells)
        left += int((present & ~ours).sum())
        _put(edits, loaded, name, values[name], ours)
    return edits, left


def _put(edits, loaded: Loaded, name: str, values: np.ndarray, mask: np.ndarray) -> None:
    q = loaded.layout[name]
    sheet = edits.setdefault(loaded.sheet_names[q.sheet], {})
    pos = loaded.layout.positions(q, loaded.n_images)
    for index in zip(*np.nonzero(mask)):
        v = values[index]
        sheet[tuple(int(p) for p in pos[index])] = v if isinstance(v, str) else float(v)
