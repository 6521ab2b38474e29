"""`sheetnet answer --kind backprop`: the chapter-4 workbook, every formula with the engine's value.

The engine runs the book's gradient descent one iteration at a time (forward, backprop, the update
w ← w − η Σ∂C/∂w as in engine/training.gradient_descent), and every intermediate of every
iteration becomes the cached value of its cell.

`sheetnet exercise --kind backprop`: the same workbook with the learning sheet's formula cells
empty for the student, who fills iteration 1's block and copies it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from sheetnet import progress
from sheetnet.data import chapter3_eta, chapter3_params
from sheetnet.engine.network import Network, backprop, evaluate
from sheetnet.i18n import _
from sheetnet.layout.backprop import BACKPROP
from sheetnet.layout.depends import dependents
from sheetnet.layout.model import Layout
from sheetnet.layout.styles import CONDITIONAL, STYLES
from sheetnet.mirror.authoring import by_name, iterated_exercise_line, iteration_count, refuse_params, run_line
from sheetnet.mirror.chapter3 import parameter_arrays, problem_of
from sheetnet.record import record

ITERATIONS = by_name("backprop").iterations  # the book's chapter-4 experiment: 50
MAX_ITERATIONS = 1000  # 66,000 rows and about 4.8 million cells


@record(frozen=True)
class BackpropRun:
    C_T: list[float]  # before each update, iteration 1 … n
    right: list[int]
    eta: float
    iterations: int
    cells: int  # cells with a formula or a value the layout describes


def backprop_values(layout: Layout, inputs: dict[str, np.ndarray], net: Network, eta: float,
                    iterations: int) -> tuple[BackpropRun, dict[str, np.ndarray]]:
    """Every per-iteration quantity's values (leading axis: iteration) from the engine."""
    x, t = problem_of(inputs, layout)
    n = len(x)
    rows: dict[str, list] = {}
    C_T, right = [], []
    for k in progress.each(range(iterations), _("computing the iterations"), _("iterations")):
        ev = evaluate(net, x, t)
        g = backprop(net, ev.forward, t)
        fw = ev.forward
        C_T.append(ev.C_T)
        right.append(int(ev.right.sum()))
        step = {
            "iteration": k + 1, "image_no": np.arange(1, n + 1), "x": inputs["pixels"], "t": t,
            "z2": fw.z[2], "a2": fw.a[2], "z3": fw.z[3], "a3": fw.a[3], "C": ev.C, "C_T": ev.C_T,
            "delta3": g.delta[3], "delta2": g.delta[2], "dw2": g.per_image_dW[2], "dw3": g.per_image_dW[3],
            "gw2": g.dW[2], "gb2": g.db[2], "gw3": g.dW[3], "gb3": g.db[3],
            "s_iteration": k + 1, "s_C_T": ev.C_T,
            **parameter_arrays(net, layout),
        }
        for name, a in step.items():
            rows.setdefault(name, []).append(np.asarray(a, dtype=float))
        # the sheet's update, cell by cell: the next block's parameters from this block's sums
        net = Network({l: net.W[l] - eta * g.dW[l] for l in net.layers},
                      {l: net.b[l] - eta * g.db[l] for l in net.layers})
    values = {name: np.stack(a).reshape(layout.positions(layout[name], n, iterations).shape[:-1])
              for name, a in rows.items()}
    values["data_image_no"] = np.arange(1, n + 1, dtype=float).reshape(layout.positions(layout["data_image_no"], n).shape[:-1])
    cells = sum(layout.positions(q, n, iterations)[..., 0].size for q in layout.quantities)
    return BackpropRun(C_T, right, eta, iterations, cells), values


def write_backprop_workbook(path: str | Path, *, iterations: int = ITERATIONS, eta: float | None = None,
                            net: Network | None = None, layout: Layout = BACKPROP,
                            exercise: bool = False) -> BackpropRun:
    """Data, the learning sheet with `iterations` blocks from backprop_initial, and the C_T summary.

    An exercise leaves every formula cell of the learning sheet empty (iteration and image numbers
    stay: they are labels), and the summary's formulas that read those cells without a cached value.
    """
    # the writer (XlsxWriter) only when writing: check, recompute and train use this module's values alone
    from sheetnet.mirror.answer import book_inputs
    from sheetnet.mirror.build import build_sheets, exercise_blanks
    from sheetnet.xlsx.writer import write_xlsx

    if iterations < 1:
        raise ValueError("iterations must be ≥ 1")
    net = net or chapter3_params("backprop_initial")
    eta = chapter3_eta() if eta is None else eta
    images = book_inputs(net)  # the chapter-3 Data quantities: pixels, digit
    n = len(images["pixels"])
    inputs = {"pixels": images["pixels"], "digit": images["digit"],
              "eta": np.full(layout.positions(layout["eta"], n).shape[:-1], eta)}
    run, values = backprop_values(layout, inputs, net, eta, iterations)
    blank = exercise_blanks(layout) if exercise else frozenset()
    uncached = frozenset(dependents(layout, set(blank)) - blank)  # the summary's C_T: nothing to show yet
    sheets = build_sheets(layout, n, inputs, values, n_iterations=iterations, blank=blank, uncached=uncached)
    write_xlsx(path, sheets, STYLES, CONDITIONAL)
    return run




def author(path: Path, *, exercise: bool, params: str | None, iterations: int | None, test_image: int,
           ready: Callable[[Path], None]) -> str:
    """`sheetnet answer/exercise --kind backprop`: the run from the book's chapter-4 starting values."""
    if exercise:  # "initial" is the default: the chapter's own start
        refuse_params(params, ("initial", "backprop_initial"), _("the backprop exercise starts from backprop_initial"))
    k = iteration_count(iterations, ITERATIONS, MAX_ITERATIONS)
    ready(path)
    run = write_backprop_workbook(path, iterations=k, exercise=exercise)
    return iterated_exercise_line(path, "backprop", run) if exercise else run_line(path, "backprop", run, 64)
