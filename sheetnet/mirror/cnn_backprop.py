"""`sheetnet answer --kind cnn-backprop`: the chapter-5 CNN trained by backpropagation, every formula
with the engine's value.

The engine runs the CNN's gradient descent one iteration at a time — forward, backprop (CNNForward,
CNNGradients: δO, the pooled error, δF and every ∂C/∂θ per image), the update θ ← θ − η Σ∂C/∂θ as in
engine/cnn_training.gradient_descent — and every intermediate of every iteration becomes the cached
value of its cell. Where a value sits (which output weight multiplies which pooled value) is read
off the layout's positions, as in mirror/cnn.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from sheetnet import progress
from sheetnet.data.chapter5 import chapter5_eta, chapter5_params
from sheetnet.engine.cnn import CNN, backprop, evaluate
from sheetnet.errors import BadOption
from sheetnet.i18n import _
from sheetnet.layout.chapter5_backprop import CNN_BACKPROP
from sheetnet.layout.depends import dependents
from sheetnet.layout.model import Layout
from sheetnet.layout.styles import CONDITIONAL, STYLES
from sheetnet.mirror.authoring import by_name, iterated_exercise_line, iteration_count, refuse_params, run_line
from sheetnet.mirror.cnn import cnn_book_inputs, cnn_problem
from sheetnet.record import record

ITERATIONS = by_name("cnn-backprop").iterations  # 10: 96 images × 290 cells a block, ≈ 280,000 cells
MAX_ITERATIONS = 100  # 13,500 rows, 2.8 million cells, ≈ 1.7 GB while writing

PARAMETERS = ("filters", "filter_b", "output_w", "output_b")
GRADIENTS = ("g_filters", "g_filter_b", "g_output_w", "g_output_b")  # Σ over the images, the same shapes


@record(frozen=True)
class CNNBackpropRun:
    C_T: list[float]  # before each update, iteration 1 … n
    right: list[int]
    eta: float
    iterations: int
    cells: int  # cells with a formula or a value the layout describes


def _item(layout: Layout, name: str) -> np.ndarray:
    """The (units, rows, cols, 2) cells of a quantity's first image in iteration 1."""
    q = layout[name]
    pos = layout.positions(q, 1, 1)
    pos = pos[0] if q.per_iteration else pos
    return pos[0] if q.per_image else pos


def _pooled_index(layout: Layout, name: str) -> np.ndarray:
    """For each cell of one item of `name` (one output unit's weights, the pooled errors), the pooled
    value (filter, row, col) at the same offset from the top-left of the pooled maps' rectangle."""
    pool = _item(layout, "pool")
    corner = pool.reshape(-1, 2).min(axis=0)
    offsets = {tuple(int(v) for v in pool[idx] - corner): idx for idx in np.ndindex(pool.shape[:-1])}
    cells = _item(layout, name)[0]
    index = np.empty(cells.shape[:-1] + (3,), dtype=int)
    for r, c in np.ndindex(cells.shape[:-1]):
        index[r, c] = offsets[tuple(int(v) for v in cells[r, c] - cells[0, 0])]
    return index


def _as_grid(pooled: np.ndarray, index: np.ndarray) -> np.ndarray:
    """(…, filters, 2, 2) → (…, rows, cols) of the grid `index` describes."""
    return pooled[..., index[..., 0], index[..., 1], index[..., 2]]


def _parameters(net: CNN, w_index: np.ndarray) -> dict[str, np.ndarray]:
    return {"filters": net.filters, "filter_b": net.filter_b, "output_w": _as_grid(net.output_w, w_index),
            "output_b": net.output_b}


def cnn_of_layout(params: dict[str, np.ndarray], layout: Layout = CNN_BACKPROP) -> CNN:
    """One iteration's parameter cells (filters, filter_b, output_w, output_b) → a CNN."""
    index = _pooled_index(layout, "output_w")
    ow = np.asarray(params["output_w"], dtype=float).reshape(3, *index.shape[:-1])
    output_w = np.empty((len(ow), *(index[..., i].max() + 1 for i in range(3))))
    output_w[:, index[..., 0], index[..., 1], index[..., 2]] = ow
    filters = np.asarray(params["filters"], dtype=float)
    return CNN(filters=filters.reshape(-1, *filters.shape[-2:]),
               filter_b=np.asarray(params["filter_b"], dtype=float).reshape(-1), output_w=output_w,
               output_b=np.asarray(params["output_b"], dtype=float).reshape(-1))


def cnn_backprop_values(layout: Layout, inputs: dict[str, np.ndarray], net: CNN, eta: float,
                        iterations: int) -> tuple[CNNBackpropRun, dict[str, np.ndarray]]:
    """Every computed quantity's values (per-iteration ones with a leading iteration axis), from the
    engine's forward pass and gradients, and the typed parameters of iteration 1."""
    x, t = cnn_problem(inputs, layout)
    n = len(x)
    w_index, p_index = _pooled_index(layout, "output_w"), _pooled_index(layout, "delta_pool")
    rows: dict[str, list] = {}
    C_T, right = [], []
    for k in progress.each(range(iterations), _("computing the iterations"), _("iterations")):
        ev = evaluate(net, x, t)
        fw = ev.forward
        g = backprop(net, fw, t)
        C_T.append(ev.C_T)
        right.append(int(ev.right.sum()))
        per = g.per_image
        step = {
            "iteration": k + 1, "image_no": np.arange(1, n + 1), "x": inputs["pixels"], "t": t,
            "zF": fw.zF, "aF": fw.aF, "pool": fw.pooled, "z_out": fw.z_out, "a_out": fw.a_out, "C": ev.C,
            "C_T": ev.C_T, "delta_out": g.delta_out, "delta_pool": _as_grid(g.error_pooled, p_index),
            "delta_conv": g.delta_F, "d_filters": per.filters, "d_filter_b": per.filter_b,
            "d_output_w": _as_grid(per.output_w, w_index),
            **dict(zip(GRADIENTS, _parameters(g.total, w_index).values())),
            **_parameters(net, w_index),
            "s_iteration": k + 1, "s_C_T": ev.C_T,
        }
        for name, a in step.items():
            rows.setdefault(name, []).append(np.asarray(a, dtype=float))
        # the sheet's update, cell by cell: the next block's parameters from this block's sums
        net = CNN(**{f: getattr(net, f) - eta * getattr(g.total, f) for f in CNN.FIELDS})
    values = {name: np.stack(a).reshape(layout.positions(layout[name], n, iterations).shape[:-1])
              for name, a in rows.items()}
    numbers = np.arange(1, n + 1, dtype=float)
    for name, a in (("data_image_no", numbers), ("drawn_no", numbers), ("drawn", inputs["pixels"])):
        values[name] = np.asarray(a, dtype=float).reshape(layout.positions(layout[name], n).shape[:-1])
    cells = sum(layout.positions(q, n, iterations)[..., 0].size for q in layout.quantities)
    return CNNBackpropRun(C_T, right, eta, iterations, cells), values


def cnn_backprop_inputs(net: CNN, eta: float, layout: Layout = CNN_BACKPROP) -> dict[str, np.ndarray]:
    """Appendix B's images and teacher values, and η: the quantities typed outside the parameters."""
    from sheetnet.layout.chapter5 import CNN5

    data = cnn_book_inputs(net, CNN5)  # the Data sheet is chapter 5's
    n = len(data["pixels"])
    return {"pixels": data["pixels"], "teacher": data["teacher"],
            "eta": np.full(layout.positions(layout["eta"], n).shape[:-1], eta)}


def write_cnn_backprop_workbook(path: str | Path, *, iterations: int = ITERATIONS, eta: float | None = None,
                                net: CNN | None = None, exercise: bool = False,
                                layout: Layout = CNN_BACKPROP) -> CNNBackpropRun:
    """Data, the learning sheet with `iterations` blocks from chapter5_params('initial'), and the C_T
    summary. An exercise leaves the learning sheet's formula cells empty (iteration and image
    numbers stay: they are labels), and the summary's formulas that read them without a value."""
    # the writer (XlsxWriter) only when writing: check, recompute and train use this module's values alone
    from sheetnet.mirror.build import build_sheets, exercise_blanks
    from sheetnet.xlsx.writer import write_xlsx

    if iterations < 1:
        raise ValueError("iterations must be ≥ 1")
    net = net or chapter5_params("initial")
    eta = chapter5_eta() if eta is None else eta
    inputs = cnn_backprop_inputs(net, eta, layout)
    n = len(inputs["pixels"])
    run, values = cnn_backprop_values(layout, inputs, net, eta, iterations)
    blank = exercise_blanks(layout) if exercise else frozenset()
    uncached = frozenset(dependents(layout, set(blank)) - blank)
    sheets = build_sheets(layout, n, inputs, values, n_iterations=iterations, blank=blank, uncached=uncached)
    write_xlsx(path, sheets, STYLES, CONDITIONAL)
    return run


# -- for sheetnet/mirror/kinds.py: a Kind's compute (inputs, images, iterations) and default_parameters --
def cnn_backprop_compute(inputs: dict[str, np.ndarray], n: int, k: int, layout: Layout = CNN_BACKPROP):
    """A loaded workbook's inputs (data, η, iteration 1's parameters) → (Summary, every computed value)."""
    from sheetnet.mirror.kinds import Summary

    eta = float(np.asarray(inputs["eta"]).reshape(-1)[0])
    run, values = cnn_backprop_values(layout, inputs, cnn_of_layout(inputs, layout), eta, k)
    return Summary(run.C_T[-1], run.right[-1], n, _("iteration {k}, before its update").format(k=k),
                   history=tuple(run.C_T)), values


def cnn_backprop_defaults(name: str, n: int, layout: Layout = CNN_BACKPROP) -> dict[str, np.ndarray]:
    """A chapter-5 parameter set as iteration 1's parameter cells, and the book's η."""
    index = _pooled_index(layout, "output_w")
    arrays = {q: np.asarray(a, dtype=float).reshape(layout.positions(layout[q], 0, 1).shape[1:-1])
              for q, a in _parameters(chapter5_params(name), index).items()}
    return {**arrays, "eta": np.full(layout.positions(layout["eta"], n).shape[:-1], chapter5_eta())}


def author(path: Path, *, exercise: bool, params: str | None, iterations: int | None, test_image: int,
           ready: Callable[[Path], None]) -> str:
    """`sheetnet answer/exercise --kind cnn-backprop`: the run from the book's initial values."""
    if exercise:
        refuse_params(params, ("initial",), _("the cnn-backprop exercise starts from the book's initial values"))
    elif params is not None:
        raise BadOption(_("--params: --kind cnn-backprop starts from the book's initial values"))
    k = iteration_count(iterations, ITERATIONS, MAX_ITERATIONS)
    ready(path)
    run = write_cnn_backprop_workbook(path, iterations=k, exercise=exercise)
    return iterated_exercise_line(path, "cnn-backprop", run) if exercise else run_line(path, "cnn-backprop", run, 96)
