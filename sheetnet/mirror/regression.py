"""The regression layout's named arrays ↔ the engine, and `sheetnet answer/exercise --kind regression`.

The sheet's p and q are the engine's Line; the students' heights and weights are (x, y); every
computed cell (prediction, e, E) comes from engine/regression.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from sheetnet.data.chapter2 import HEIGHTS, REGRESSION_START, WEIGHTS
from sheetnet.engine.regression import Fit, Line, evaluate, least_squares
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _
from sheetnet.layout.model import Layout
from sheetnet.layout.regression import REGRESSION
from sheetnet.layout.styles import CONDITIONAL, STYLES

PARAM_SETS = ("initial", "trained")  # p = q = 0; the least-squares line of the book's seven students


def _shape(layout: Layout, name: str, n: int = 0) -> tuple[int, ...]:
    return layout.positions(layout[name], n).shape[:-1]


def line_of(inputs: dict[str, np.ndarray]) -> Line:
    """The sheet's p and q → the engine's line."""
    return Line(float(np.asarray(inputs["p"]).reshape(-1)[0]), float(np.asarray(inputs["q"]).reshape(-1)[0]))


def parameter_arrays(line: Line, layout: Layout = REGRESSION) -> dict[str, np.ndarray]:
    """A line → the parameter quantities p and q in the layout's shapes."""
    return {"p": np.full(_shape(layout, "p"), line.p), "q": np.full(_shape(layout, "q"), line.q)}


def problem_of(inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The students' cells → heights x and weights y, one value per student."""
    return np.asarray(inputs["x"], dtype=float).reshape(-1), np.asarray(inputs["y"], dtype=float).reshape(-1)


def regression_params(name: str) -> Line:
    """A parameter set by name: 'initial' (p = q = 0) or 'trained' (least squares on the book's data)."""
    if name == "initial":
        return Line(*REGRESSION_START)
    if name == "trained":
        return least_squares(HEIGHTS, WEIGHTS)
    raise KeyError(f"unknown parameter set {name!r}; known: {', '.join(PARAM_SETS)}")


def book_inputs(line: Line, layout: Layout = REGRESSION) -> dict[str, np.ndarray]:
    """The book's seven students and a line, as the layout's input quantities."""
    n = len(HEIGHTS)
    return {"x": np.array(HEIGHTS).reshape(_shape(layout, "x", n)), "y": np.array(WEIGHTS).reshape(_shape(layout, "y", n)),
            **parameter_arrays(line, layout)}


def regression_values(layout: Layout, inputs: dict[str, np.ndarray]) -> tuple[Fit, dict[str, np.ndarray]]:
    """Every computed quantity's values, in the layout's shapes, from the data and p, q alone."""
    x, y = problem_of(inputs)
    fit = evaluate(line_of(inputs), x, y)
    n = len(x)
    computed = {"student_no": np.arange(1, n + 1, dtype=float), "prediction": fit.prediction, "e": fit.e,
                "E": np.array(fit.E)}
    return fit, {name: np.asarray(a, dtype=float).reshape(_shape(layout, name, n)) for name, a in computed.items()}


def write_regression_workbook(path: str | Path, line: Line, *, exercise: bool = False,
                              layout: Layout = REGRESSION) -> Fit:
    """The regression sheet with the book's data and the line (p, q): every formula with the engine's
    value, or (exercise) the prediction, e and E cells left empty for the student."""
    # the writer (XlsxWriter) only when writing: check, recompute and train use this module's values alone
    from sheetnet.mirror.build import build_sheets, exercise_blanks
    from sheetnet.xlsx.writer import write_xlsx

    inputs = book_inputs(line, layout)
    fit, values = regression_values(layout, inputs)
    blank = exercise_blanks(layout) if exercise else frozenset()
    write_xlsx(path, build_sheets(layout, len(HEIGHTS), inputs, values, blank=blank), STYLES, CONDITIONAL)
    return fit


def author(path: Path, *, exercise: bool, params: str | None, iterations: int | None, test_image: int,
           ready: Callable[[Path], None]) -> str:
    """`sheetnet answer/exercise --kind regression`: the book's seven students and the line (p, q)."""
    name = params or "trained"
    if name not in PARAM_SETS:
        raise UnusableInput(_("--params {name}: the regression's parameter sets are {sets}").format(
            name=name, sets=", ".join(PARAM_SETS)))
    line = regression_params(name)
    ready(path)
    fit = write_regression_workbook(path, line, exercise=exercise)
    if exercise:
        return _("wrote {path} (exercise regression, parameters: {name}): the prediction, e and E cells are empty "
                 "(light blue) for the student to fill; with p = {p:.6g}, q = {q:.6g}: E = {E:.12g}").format(
            path=path, name=name, p=line.p, q=line.q, E=fit.E)
    return _("wrote {path} (regression, parameters: {name}): p = {p:.6g}, q = {q:.6g}, E = {E:.12g} over {n} "
             "students").format(path=path, name=name, p=line.p, q=line.q, E=fit.E, n=len(fit.e))
