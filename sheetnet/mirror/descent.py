"""The descent layout's named arrays ↔ the engine, and `sheetnet answer/exercise --kind descent`.

The typed start (x0, y0) and η → engine/descent.descend → one row of values per step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from sheetnet.data.chapter2 import DESCENT_ETA, DESCENT_START
from sheetnet.engine.descent import Descent, descend
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _
from sheetnet.layout.descent import DESCENT
from sheetnet.layout.model import Layout
from sheetnet.layout.styles import CONDITIONAL, STYLES
from sheetnet.mirror.authoring import by_name, iteration_count

STEPS = by_name("descent").iterations  # 30: (3, 2)·0.8³⁰ ≈ (0.004, 0.002)
MAX_STEPS = DESCENT.max_iterations  # the rows a workbook is read with, at most


def start_of(inputs: dict[str, np.ndarray]) -> tuple[float, float, float]:
    """The typed start and learning rate: (x0, y0, η)."""
    return tuple(float(np.asarray(inputs[name]).reshape(-1)[0]) for name in ("x0", "y0", "eta"))


def book_inputs(layout: Layout = DESCENT) -> dict[str, np.ndarray]:
    """The book's start (3, 2) and η = 0.1, as the layout's typed quantities."""
    x0, y0 = DESCENT_START
    return {name: np.full(layout.positions(layout[name], 1).shape[:-1], v)
            for name, v in (("x0", x0), ("y0", y0), ("eta", DESCENT_ETA))}


def descent_values(layout: Layout, inputs: dict[str, np.ndarray], steps: int) -> tuple[Descent, dict[str, np.ndarray]]:
    """Every row's values (leading axis: the step) from the start and η alone."""
    x0, y0, eta = start_of(inputs)
    run = descend(x0, y0, eta, steps)
    rows = {"step": np.arange(1, steps + 1, dtype=float), "x": run.x, "y": run.y, "dz_dx": run.dz_dx,
            "dz_dy": run.dz_dy, "dx": run.dx, "dy": run.dy, "x_next": run.x_next, "y_next": run.y_next, "z": run.z}
    return run, {name: a.reshape(layout.positions(layout[name], 1, steps).shape[:-1]) for name, a in rows.items()}


def write_descent_workbook(path: str | Path, *, steps: int = STEPS, exercise: bool = False,
                           layout: Layout = DESCENT) -> Descent:
    """The descent sheet from the book's start: every formula with the engine's value, or (exercise)
    every computed cell empty for the student (step numbers stay: they are labels)."""
    # the writer (XlsxWriter) only when writing: check, recompute and train use this module's values alone
    from sheetnet.mirror.build import build_sheets, exercise_blanks
    from sheetnet.xlsx.writer import write_xlsx

    inputs = book_inputs(layout)
    run, values = descent_values(layout, inputs, steps)
    blank = exercise_blanks(layout) if exercise else frozenset()
    write_xlsx(path, build_sheets(layout, 1, inputs, values, blank=blank, n_iterations=steps), STYLES, CONDITIONAL)
    return run


def author(path: Path, *, exercise: bool, params: str | None, iterations: int | None, test_image: int,
           ready: Callable[[Path], None]) -> str:
    """`sheetnet answer/exercise --kind descent`: from the book's start, one row per step."""
    if params not in (None, "initial"):  # exercise's --params is 'initial' unless the user says otherwise
        raise UnusableInput(_("--params {name}: --kind descent starts from the book's point (3, 2) with η = 0.1 "
                              "(type another start or η into the workbook)").format(name=params))
    steps = iteration_count(iterations, STEPS, MAX_STEPS)
    ready(path)
    run = write_descent_workbook(path, steps=steps, exercise=exercise)
    x0, y0 = DESCENT_START
    if exercise:
        return _("wrote {path} (exercise descent, η = {eta:g}, {k} steps from ({x0:g}, {y0:g})): every formula cell "
                 "is empty (light blue): fill step 1's row and copy it down").format(
            path=path, eta=run.eta, k=run.steps, x0=x0, y0=y0)
    x, y, z = run.end
    return _("wrote {path} (descent, η = {eta:g}, {k} steps from ({x0:g}, {y0:g})): z {z0:.6g} → {z:.6g}, "
             "at ({x:.6g}, {y:.6g}) after the last step").format(
        path=path, eta=run.eta, k=run.steps, x0=x0, y0=y0, z0=run.z[0], z=z, x=x, y=y)
