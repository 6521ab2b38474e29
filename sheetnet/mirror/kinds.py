"""The kinds of workbook sheetnet knows: each a layout and the engine run that fills it.

A kind binds a layout (where every quantity lives, its formula) to the function that computes
every computed quantity from the workbook's inputs (data, parameters, η). recompute, check and
train go through a kind and never through a particular layout: a new workbook is a new kind here.
"""

from __future__ import annotations

import importlib
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np

from sheetnet.engine import defaults
from sheetnet.errors import UnusableInput
from sheetnet.i18n import N_, _
from sheetnet.layout.model import Layout
from sheetnet.record import record


@record(frozen=True)
class Summary:
    """The figures a reader looks at first: the cost the kind minimizes and, for a classifier, how many
    images it gets right."""

    C_T: float  # the cost: C_T, or the kind's own (E of the regression, z of the descent)
    right: int
    n_images: int
    what: str = ""  # which C_T: '' or 'iteration 50, before its update'
    cost: str = "C_T"  # the cost's name, as the book writes it
    classifies: bool = True  # right / n_images mean something (a network answering which digit)
    history: tuple[float, ...] = ()  # an iterated kind's cost before each update, iteration 1 … n

    @property
    def accuracy(self) -> float:
        return self.right / self.n_images if self.n_images else 0.0

    def figures(self, shown=str) -> str:
        """'C_T = 18.3470935205 · 42/64 right (65.6%)', 'E = 2.33011…', with which one in parentheses
        (shown: the cost's name as people read it, 'ＣT')."""
        which = f" ({self.what})" if self.what else ""  # in the language it was computed in
        text = f"{shown(self.cost)} = {self.C_T:.12g}{which}"
        if self.classifies:
            text += _(" · {right}/{n} right ({accuracy:.1%})").format(right=self.right, n=self.n_images,
                                                                      accuracy=self.accuracy)
        return text

    def brief(self) -> str:
        """'18.3470935205 (42/64 right)': the cost and, for a classifier, images right."""
        text = f"{self.C_T:.12g}"
        return text + _(" ({right}/{n} right)").format(right=self.right, n=self.n_images) if self.classifies else text


@record(frozen=True)
class Training:
    """What `sheetnet train` needs of a kind: its engine network ↔ the sheet's parameter cells, the
    problem it learns, and the book's two ways of learning it with their defaults."""

    net_of: Callable[[dict], object]  # the learning sheet's parameters → the engine's network
    parameter_arrays: Callable[[object], dict]  # the inverse: a network → the parameter quantities
    problem: Callable[[dict], tuple[np.ndarray, np.ndarray]]  # the inputs → (x, t)
    engine: str  # the engine module with its solve and gradient_descent (imported when training: SciPy …)
    eta: float  # gradient descent's default η …
    iterations: int  # … and number of updates

    def solve(self, net, x, t, **options):
        """(net, x, t, *, max_iterations, callback) → training.SolveResult"""
        return importlib.import_module(self.engine).solve(net, x, t, **options)

    def gradient_descent(self, net, x, t, **options):
        """(net, x, t, *, eta, iterations, callback) → training.GDResult"""
        return importlib.import_module(self.engine).gradient_descent(net, x, t, **options)


@record(frozen=True)
class Kind:
    """A kind of workbook: its layout, how every computed cell follows from its inputs, its parameter sets."""

    name: str  # as the command line says it: chapter3, backprop, cnn …
    layout_at: str  # 'module:NAME' of its layout, built when first asked for (a check needs only its own kind's)
    compute: Callable[[dict, int, int], tuple[Summary, dict]]  # (inputs, images, iterations) → every computed value
    default_parameters: Callable[[str, int], dict]  # (parameter set, images) → the learning sheet's typed inputs
    parameter_sets: tuple[str, ...]
    parameters: tuple[str, ...]  # the quantities training changes
    description: str = ""
    training: Training | None = None  # None: `sheetnet train` does not train this kind
    not_trainable: str = ""  # why not, in words, when training is None
    describe: Callable[[dict, int, int], str] | None = None  # (inputs, images, iterations) → contents(); None: images
    # the names its layout gives the learning sheet, known without building the layout: detect() then builds
    # only the layout of a kind whose learning sheet the workbook has by name (a test holds them equal)
    learn_names: tuple[str, ...] = ()

    @cached_property
    def layout(self) -> Layout:
        module, name = self.layout_at.split(":")
        return getattr(importlib.import_module(module), name)

    def contents(self, inputs: dict, n_images: int, n_iterations: int) -> str:
        """What the workbook holds, in a few words: '64 images (32 of digit 0, 32 of digit 1), 4 iterations'."""
        if self.describe is not None:
            return self.describe(inputs, n_images, n_iterations)
        counts = ", ".join(_("{count} of digit {digit}").format(count=c, digit=d)
                           for d, c in self.class_counts(inputs).items())
        iterations = _(", {k} iterations").format(k=n_iterations) if n_iterations > 1 else ""
        return _("{n} images ({counts})").format(n=n_images, counts=counts) + iterations

    def class_counts(self, inputs: dict) -> dict[int, int]:
        """How many images of each digit the data holds."""
        labels = self.layout.class_labels
        if "digit" in inputs:
            digits = inputs["digit"].reshape(-1)
        else:  # a one-hot teacher (appendix B): the digit is the label of its 1
            t = inputs["teacher"].reshape(len(inputs["teacher"]), -1)
            digits = np.array(labels)[t.argmax(axis=1)]
        return {d: int((digits == d).sum()) for d in labels}


# -- chapter 3: the 12-3-2 network and Solver ------------------------------------------------------
def _chapter3_compute(inputs, n, k):
    from sheetnet.mirror.chapter3 import cell_values, network_of

    ev, values = cell_values(CHAPTER3_KIND.layout, inputs, network_of(inputs))
    return Summary(ev.C_T, int(ev.right.sum()), n), values


def _chapter3_defaults(name, n):
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.chapter3 import parameter_arrays

    return parameter_arrays(chapter3_params(name), CHAPTER3_KIND.layout)


# -- chapter 4: the same network, trained by backpropagation in the sheet -----------------------------
def _backprop_compute(inputs, n, k):
    from sheetnet.mirror.backprop import backprop_values
    from sheetnet.mirror.chapter3 import network_of

    layout = BACKPROP_KIND.layout
    eta = float(inputs["eta"].reshape(-1)[0])
    run, values = backprop_values(layout, inputs, network_of(inputs), eta, k)
    return Summary(run.C_T[-1], run.right[-1], n, _("iteration {k}, before its update").format(k=k),
                   history=tuple(run.C_T)), values


def _backprop_defaults(name, n):
    from sheetnet.data import chapter3_eta, chapter3_params
    from sheetnet.mirror.chapter3 import parameter_arrays

    layout = BACKPROP_KIND.layout
    return {**parameter_arrays(chapter3_params(name), layout),
            "eta": np.full(layout.positions(layout["eta"], n).shape[:-1], chapter3_eta())}


# -- chapter 5: the convolutional network and Solver --------------------------------------------------
def _cnn_compute(inputs, n, k):
    from sheetnet.mirror.cnn import cnn_cell_values, cnn_of

    layout = CNN_KIND.layout
    ev, values = cnn_cell_values(layout, inputs, cnn_of(inputs, layout))
    return Summary(ev.C_T, int(ev.right.sum()), n), values


def _cnn_defaults(name, n):
    from sheetnet.data.chapter5 import chapter5_params
    from sheetnet.mirror.cnn import cnn_parameter_arrays

    return cnn_parameter_arrays(chapter5_params(name), CNN_KIND.layout)


# -- training: the engine behind each trainable kind (the mirror's converters imported when used) ---
def _chapter3_net_of(inputs):
    from sheetnet.mirror.chapter3 import network_of

    return network_of(inputs)


def _chapter3_arrays(net):
    from sheetnet.mirror.chapter3 import parameter_arrays

    return parameter_arrays(net, CHAPTER3_KIND.layout)


def _chapter3_problem(inputs):
    from sheetnet.mirror.chapter3 import problem_of

    return problem_of(inputs, CHAPTER3_KIND.layout)


def _cnn_net_of(inputs):
    from sheetnet.mirror.cnn import cnn_of

    return cnn_of(inputs, CNN_KIND.layout)


def _cnn_arrays(net):
    from sheetnet.mirror.cnn import cnn_parameter_arrays

    return cnn_parameter_arrays(net, CNN_KIND.layout)


def _cnn_problem(inputs):
    from sheetnet.mirror.cnn import cnn_problem

    return cnn_problem(inputs, CNN_KIND.layout)


# Chapter 3: η 0.2 × 50 is the book's chapter-4 run. The CNN: solve stops at C_T ≤ CNN_SOLVE_TARGET
# (its own default), gradient descent takes CNN_GD_ETA × CNN_GD_ITERATIONS (see engine/defaults.py).
CHAPTER3_TRAINING = Training(_chapter3_net_of, _chapter3_arrays, _chapter3_problem, "sheetnet.engine.training",
                             eta=defaults.GD_ETA, iterations=defaults.GD_ITERATIONS)
CNN_TRAINING = Training(_cnn_net_of, _cnn_arrays, _cnn_problem, "sheetnet.engine.cnn_training",
                        eta=defaults.CNN_GD_ETA, iterations=defaults.CNN_GD_ITERATIONS)


# -- chapter 5 by backpropagation: the CNN's run in iteration blocks -----------------------------------
def _cnn_backprop_compute(inputs, n, k):
    from sheetnet.mirror.cnn_backprop import cnn_backprop_compute

    return cnn_backprop_compute(inputs, n, k)


def _cnn_backprop_defaults(name, n):
    from sheetnet.mirror.cnn_backprop import cnn_backprop_defaults

    return cnn_backprop_defaults(name, n)


# -- chapter 2: the regression line (Solver, or least squares in Python) and gradient descent on z --------
def _regression_compute(inputs, n, k):
    from sheetnet.mirror.regression import regression_values

    fit, values = regression_values(REGRESSION_KIND.layout, inputs)
    return Summary(fit.E, 0, n, cost="E", classifies=False), values


def _regression_defaults(name, n):
    from sheetnet.mirror.regression import parameter_arrays, regression_params

    return parameter_arrays(regression_params(name), REGRESSION_KIND.layout)


def _regression_line_of(inputs):
    from sheetnet.mirror.regression import line_of

    return line_of(inputs)


def _regression_arrays(line):
    from sheetnet.mirror.regression import parameter_arrays

    return parameter_arrays(line, REGRESSION_KIND.layout)


def _regression_problem(inputs):
    from sheetnet.mirror.regression import problem_of

    return problem_of(inputs)


def _students(inputs, n, k):
    return _("{n} students").format(n=n)


# solve: the least-squares line in closed form; gradient descent: η 1e-5 × 1000 (engine/defaults.py says why
# it cannot get far with heights in centimetres)
REGRESSION_TRAINING = Training(_regression_line_of, _regression_arrays, _regression_problem, "sheetnet.engine.regression",
                               eta=defaults.REGRESSION_GD_ETA, iterations=defaults.REGRESSION_GD_ITERATIONS)


def _descent_compute(inputs, n, k):
    from sheetnet.mirror.descent import descent_values

    run, values = descent_values(DESCENT_KIND.layout, inputs, k)
    x, y, z = run.end
    return Summary(z, 0, n, _("after {k} steps, at ({x:.6g}, {y:.6g})").format(k=k, x=x, y=y), cost="z",
                   classifies=False, history=tuple(run.z)), values


def _descent_defaults(name, n):
    from sheetnet.mirror.descent import book_inputs

    return book_inputs(DESCENT_KIND.layout)


def _steps(inputs, n, k):
    from sheetnet.mirror.descent import start_of

    x0, y0, eta = start_of(inputs)
    return _("{k} steps from ({x0:g}, {y0:g}), η = {eta:g}").format(k=k, x0=x0, y0=y0, eta=eta)


def _kinds() -> tuple[Kind, ...]:
    # each kind's layout by name: built when the kind is first used (Kind.layout)
    CHAPTER3, BACKPROP = "sheetnet.layout.chapter3:CHAPTER3", "sheetnet.layout.backprop:BACKPROP"
    CNN5, CNN_BACKPROP = "sheetnet.layout.chapter5:CNN5", "sheetnet.layout.chapter5_backprop:CNN_BACKPROP"
    REGRESSION, DESCENT = "sheetnet.layout.regression:REGRESSION", "sheetnet.layout.descent:DESCENT"
    return (
        Kind("chapter3", CHAPTER3, _chapter3_compute, _chapter3_defaults, ("initial", "book", "trained"),
             ("w2", "b2", "w3", "b3"), "the chapter-3 workbook (Solver)", training=CHAPTER3_TRAINING,
             learn_names=("学习",)),
        Kind("backprop", BACKPROP, _backprop_compute, _backprop_defaults, ("backprop_initial",),
             ("w2", "b2", "w3", "b3"), "the chapter-4 workbook (backpropagation, iteration blocks)",
             not_trainable=N_("its parameters are a run, each iteration block's following from the first by the "
                              "sheet's own formulas"), learn_names=("误差反向传播",)),
        Kind("cnn", CNN5, _cnn_compute, _cnn_defaults, ("initial", "trained"),
             ("filters", "filter_b", "output_w", "output_b"), "the chapter-5 CNN workbook (Solver)",
             training=CNN_TRAINING, learn_names=("卷积神经网络",)),
        Kind("cnn-backprop", CNN_BACKPROP, _cnn_backprop_compute, _cnn_backprop_defaults, ("initial",),
             ("filters", "filter_b", "output_w", "output_b"),
             "the chapter-5 CNN workbook trained by backpropagation (iteration blocks)",
             not_trainable=N_("its parameters are a run, each iteration block's following from the first by the "
                              "sheet's own formulas"), learn_names=("卷积网络反向传播",)),
        Kind("regression", REGRESSION, _regression_compute, _regression_defaults, ("initial", "trained"), ("p", "q"),
             "chapter 2's regression line (least squares, Solver)", training=REGRESSION_TRAINING, describe=_students,
             learn_names=("回归分析",)),
        Kind("descent", DESCENT, _descent_compute, _descent_defaults, ("initial",), ("x0", "y0", "eta"),
             "chapter 2's gradient descent on z = x² + y² (one row per step)",
             not_trainable=N_("its rows are the descent itself, each step following from the one above by the sheet's "
                              "own formulas"), describe=_steps, learn_names=("梯度下降法",)),
    )


KINDS = _kinds()
CHAPTER3_KIND, BACKPROP_KIND, CNN_KIND, CNN_BACKPROP_KIND, REGRESSION_KIND, DESCENT_KIND = KINDS
NAMES = tuple(k.name for k in KINDS)


def by_name(name: str) -> Kind:
    return next(k for k in KINDS if k.name == name)


def open_as(path: str | Path, kind: Kind | None = None):
    """(kind, Loaded): the workbook read once, as `kind` or as the kind it is."""
    from sheetnet.mirror.load import load
    from sheetnet.xlsx.reader import WorkbookCells

    with WorkbookCells(path) as book:
        kind = kind or detect(path, book)
        return kind, load(path, kind.layout, book)


def detect(path: str | Path, book=None) -> Kind:
    """The kind a workbook is: the first whose learning sheet it has (by name, then by content);
    else, for a data-only workbook, the first whose data sheet it has. `book`: the workbook already open."""
    from sheetnet.mirror.load import sheet_fits, sheet_roles
    from sheetnet.xlsx.reader import WorkbookCells

    if book is None:
        with WorkbookCells(path) as book:
            return detect(path, book)
    tried: dict[str, dict[str, str] | UnusableInput] = {}  # kind → its sheets' roles, or why it has none

    def roles_of(kind: Kind) -> dict[str, str]:
        if kind.name not in tried:
            try:
                tried[kind.name] = sheet_roles(book, kind.layout)
            except UnusableInput as e:
                tried[kind.name] = e
        roles = tried[kind.name]
        return {} if isinstance(roles, UnusableInput) else roles

    # By the learning sheet's own name: only a kind whose name for it the workbook has can be found so,
    # and the others' sheets are not searched for (by content, a CNN workbook's the longest part of its check).
    for kind in KINDS:
        names = kind.learn_names or next((s.names for s in kind.layout.sheets if s.role == "learn"), ())
        if any(n in book.sheet_names for n in names) and roles_of(kind).get("learn") in names:
            return kind
    for kind in KINDS:  # by content
        if "learn" in roles_of(kind):
            return kind
    for kind in KINDS:  # data only: the kind whose data sheet holds numbers where its data belongs
        if not any(s.role == "data" for s in kind.layout.sheets):
            continue  # its data sit on the learning sheet (chapter 2): there is no data-only workbook of it
        data = kind.layout.sheet("data")
        roles = roles_of(kind)
        if roles and sheet_fits(book, kind.layout, data, roles.get("data")):
            return kind
    first_error = next((tried[k.name] for k in KINDS if isinstance(tried[k.name], UnusableInput)), None)
    if first_error is None:  # the first kind's sheets are there but hold other things: say which, cell by cell
        return KINDS[0]
    raise first_error  # chapter 3's answer: what the first kind's sheets lack (or what broke reading it)
