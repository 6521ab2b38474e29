"""`sheetnet answer` / `exercise`: the book's chapter-3 workbook built from the embedded data.

The teacher's answer key holds the book's three sheets — Data, 学习 (every formula with its
value), 测试 (the parameters as constants, one pattern, the verdict, the pattern drawn) — and
a fourth with the chapter-4 gradient-descent run and its cost curve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from sheetnet.data import chapter3_eta, chapter3_images, chapter3_params
from sheetnet.engine.network import Evaluation, Network
from sheetnet.engine.training import GDResult, gradient_descent
from sheetnet.errors import BadOption
from sheetnet.i18n import _
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.gd_run import GD_RUN
from sheetnet.layout.model import Layout
from sheetnet.layout.styles import CONDITIONAL, STYLES
from sheetnet.mirror.build import build_sheets, exercise_blanks
from sheetnet.mirror.chapter3 import cell_values, parameter_arrays, problem_of
from sheetnet.record import record
from sheetnet.xlsx.writer import write_xlsx

BOOK_ROLES = ("data", "learn")  # what a student's workbook and the book's learning file hold
GD_ITERATIONS = 50  # the book's chapter-4 experiment: 50 updates with η = 0.2 from backprop_initial


@record(frozen=True)
class Answer:
    evaluation: Evaluation  # the learning sheet's parameters on the 64 images
    test_image: int  # 1-based: the image shown on the test sheet
    test_verdict: int  # the digit the test sheet decides for it
    gd: GDResult


def book_inputs(net: Network, layout: Layout = CHAPTER3) -> dict[str, np.ndarray]:
    """The embedded images and digits plus a parameter set, as the layout's input quantities."""
    images, digits = chapter3_images()
    n = len(images)
    return {
        "pixels": images.reshape(layout.positions(layout["pixels"], n).shape[:-1]),
        "digit": digits.astype(float).reshape(layout.positions(layout["digit"], n).shape[:-1]),
        **parameter_arrays(net, layout),
    }


def author(path: Path, *, exercise: bool, params: str | None, iterations: int | None, test_image: int,
           ready: Callable[[Path], None]) -> str:
    """`sheetnet answer` / `exercise` (the default kind): the answer key, or the student's workbook."""
    if exercise:
        ready(path)
        write_book_workbook(path, chapter3_params(params), exercise=True)
        return _("wrote {path} (exercise, parameters: {params}): the learning sheet's formula cells are empty "
                 "(light blue) for the student to fill").format(path=path, params=params)
    params = params or "trained"
    if not 1 <= test_image <= 64:
        raise BadOption(_("--test-image {n}: the images are numbered 1…64").format(n=test_image))
    ready(path)
    answer = write_answer_workbook(path, chapter3_params(params), test_image=test_image)
    ev, gd = answer.evaluation, answer.gd
    return _("wrote {path} (answer, parameters: {params}): C_T = {C_T:.12g} · {right}/{n} right ({accuracy:.1%}); "
             "测试: image {image} → {verdict}; chapter-4 run: C_T {first:.6g} → {last:.6g} in {k} iterations").format(
        path=path, params=params, C_T=ev.C_T, right=int(ev.right.sum()), n=len(ev.C), accuracy=ev.accuracy,
        image=answer.test_image, verdict=answer.test_verdict, first=gd.C_T_history[0], last=gd.C_T_history[-1],
        k=gd.iterations)


def write_book_workbook(path: str | Path, net: Network, *, exercise: bool = False,
                        layout: Layout = CHAPTER3) -> Evaluation:
    """The Data and learning sheets only: the book's learning file, or (exercise) the student's."""
    inputs = book_inputs(net, layout)
    n = len(inputs["pixels"])
    ev, values = cell_values(layout, inputs, net)
    # An exercise leaves the learning sheet's math to the student; image numbers stay as labels.
    blank = exercise_blanks(layout) if exercise else frozenset()
    write_xlsx(path, build_sheets(layout, n, inputs, values, blank=blank, roles=BOOK_ROLES), STYLES, CONDITIONAL)
    return ev


def write_answer_workbook(path: str | Path, net: Network, *, test_image: int = 1,
                          layout: Layout = CHAPTER3) -> Answer:
    """The teacher's answer key: Data, 学习 and 测试 with `net`'s parameters, and the chapter-4 run."""
    inputs = book_inputs(net, layout)
    n = len(inputs["pixels"])
    if not 1 <= test_image <= n:
        raise ValueError(f"test_image must be 1…{n}")
    # 测试 holds its own copy of the parameters (constants) and one image's pixels, typed in
    inputs.update({f"test_{name}": a for name, a in parameter_arrays(net, layout).items()})
    inputs["test_x"] = inputs["pixels"][test_image - 1].reshape(layout.positions(layout["test_x"], n).shape[:-1])
    ev, values = cell_values(layout, inputs, net)
    gd = chapter4_run(inputs, layout)
    sheets = build_sheets(layout, n, inputs, values) + build_sheets(GD_RUN, gd.iterations, gd_inputs(gd), {})
    write_xlsx(path, sheets, STYLES, CONDITIONAL)
    return Answer(ev, test_image, int(values["test_verdict"].reshape(-1)[0]), gd)


def chapter4_run(inputs: dict[str, np.ndarray], layout: Layout = CHAPTER3) -> GDResult:
    """The book's chapter-4 experiment on these images: η = 0.2, 50 updates from backprop_initial."""
    x, t = problem_of(inputs, layout)
    return gradient_descent(chapter3_params("backprop_initial"), x, t, eta=chapter3_eta(), iterations=GD_ITERATIONS)


def gd_inputs(gd: GDResult, layout: Layout = GD_RUN) -> dict[str, np.ndarray]:
    """A gradient-descent record → the run sheet's quantities (one row per iteration)."""
    k = gd.iterations
    shape = layout.positions(layout["gd_iteration"], k).shape[:-1]
    return {
        "gd_eta": np.full(layout.positions(layout["gd_eta"], k).shape[:-1], gd.eta),
        "gd_iteration": np.arange(1, k + 1, dtype=float).reshape(shape),
        "gd_C_T": np.asarray(gd.C_T_history, dtype=float).reshape(shape),
        "gd_right": np.asarray(gd.correct_history, dtype=float).reshape(shape),
    }
