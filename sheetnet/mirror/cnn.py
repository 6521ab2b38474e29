"""The chapter-5 layout's named arrays ↔ the CNN engine, and `sheetnet answer/exercise --kind cnn`.

Arrays follow the layout's shapes (image, unit, row, col); the engine wants the book's
(filter, row, col) and (output unit, filter, pooled row, pooled col). The engine computes, the
layout places: the one arrangement decided here — which output weight sits beside which pooled
value — is read off the layout's own positions, not assumed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from sheetnet.data.chapter5 import chapter5_images
from sheetnet.engine.cnn import CNN, CNNEvaluation, evaluate, teacher
from sheetnet.errors import BadOption, UnusableInput
from sheetnet.i18n import _
from sheetnet.layout.chapter5 import CNN5
from sheetnet.layout.model import RIGHT, WRONG, Layout
from sheetnet.layout.styles import CONDITIONAL, STYLES

PARAMETERS = ("filters", "filter_b", "output_w", "output_b")


def _shape(layout: Layout, name: str, n_images: int = 0) -> tuple[int, ...]:
    return layout.positions(layout[name], n_images).shape[:-1]


def _pooled_index(layout: Layout) -> np.ndarray:
    """For each cell of one output unit's weight grid, the pooled value (filter, row, col) it multiplies.

    SUMPRODUCT({pool:units}, {$output_w}) pairs the two rectangles cell by cell, so a weight goes
    with the pooled value at the same offset from the top-left of the pooled maps' rectangle.
    """
    pool = layout.positions(layout["pool"], 1)[0]  # (filters, rows, cols, 2)
    offsets = {tuple(int(v) for v in pool[idx] - pool[0, 0, 0]): idx for idx in np.ndindex(pool.shape[:-1])}
    w = layout.positions(layout["output_w"], 0)[0]  # one unit's grid (rows, cols, 2)
    index = np.empty(w.shape[:-1] + (3,), dtype=int)
    for r, c in np.ndindex(w.shape[:-1]):
        index[r, c] = offsets[tuple(int(v) for v in w[r, c] - w[0, 0])]
    return index


def cnn_of(inputs: dict[str, np.ndarray], layout: Layout = CNN5) -> CNN:
    """The 69 parameters as they sit in the learning sheet → a CNN (the inverse of cnn_parameter_arrays)."""
    filters, ow = np.asarray(inputs["filters"], dtype=float), np.asarray(inputs["output_w"], dtype=float)
    index = _pooled_index(layout)
    k, p, q = (index[..., i].max() + 1 for i in range(3))
    output_w = np.empty((len(ow), k, p, q))
    output_w[:, index[..., 0], index[..., 1], index[..., 2]] = ow.reshape(len(ow), *index.shape[:-1])
    return CNN(filters=filters.reshape(len(filters), *filters.shape[-2:]),
               filter_b=np.asarray(inputs["filter_b"], dtype=float).reshape(-1),
               output_w=output_w,
               output_b=np.asarray(inputs["output_b"], dtype=float).reshape(-1))


def cnn_parameter_arrays(net: CNN, layout: Layout = CNN5) -> dict[str, np.ndarray]:
    """A CNN → the parameter quantities in the layout's shapes."""
    index = _pooled_index(layout)
    output_w = net.output_w[:, index[..., 0], index[..., 1], index[..., 2]]  # (units, rows, cols)
    arrays = {"filters": net.filters, "filter_b": net.filter_b, "output_w": output_w, "output_b": net.output_b}
    out = {}
    for name, a in arrays.items():
        shape = _shape(layout, name)
        if a.size != int(np.prod(shape)):
            raise ValueError(f"{name} has {a.size} values; the {layout.kind} layout holds {int(np.prod(shape))}")
        out[name] = np.asarray(a, dtype=float).reshape(shape)
    return out


def cnn_book_inputs(net: CNN, layout: Layout = CNN5) -> dict[str, np.ndarray]:
    """Appendix B's 96 images and teacher values plus a parameter set, as the layout's input quantities."""
    images, digits = chapter5_images()
    n = len(images)
    return {
        "pixels": images.reshape(_shape(layout, "pixels", n)),
        "teacher": teacher(digits).reshape(_shape(layout, "teacher", n)),
        **cnn_parameter_arrays(net, layout),
    }


def cnn_problem(inputs: dict[str, np.ndarray], layout: Layout = CNN5) -> tuple[np.ndarray, np.ndarray]:
    """Pixels and teacher cells → x (images, 6, 6) and t (images, 3)."""
    pixels, t = inputs["pixels"], inputs["teacher"]
    n = len(pixels)
    t = np.asarray(t, dtype=float).reshape(n, -1)
    if t.shape[1] != len(layout.class_labels):
        raise UnusableInput(_("the teacher has {n} values per image; this workbook's digits are {digits}").format(
            n=t.shape[1], digits=", ".join(map(str, layout.class_labels))))
    return np.asarray(pixels, dtype=float).reshape(n, *pixels.shape[-2:]), t


def cnn_cell_values(layout: Layout, inputs: dict[str, np.ndarray], net: CNN) -> tuple[CNNEvaluation, dict[str, np.ndarray]]:
    """Every computed quantity's values, in the layout's shapes, from the data and parameters alone."""
    x, t = cnn_problem(inputs, layout)
    ev = evaluate(net, x, t)
    fw = ev.forward
    n = len(x)
    labels = np.array(layout.class_labels)
    numbers = np.arange(1, n + 1, dtype=float)
    computed = {
        "data_image_no": numbers, "drawn_no": numbers, "drawn": inputs["pixels"],
        "image_no": numbers, "x": inputs["pixels"], "t": t,
        "zF": fw.zF, "aF": fw.aF, "pool": fw.pooled, "z_out": fw.z_out, "a_out": fw.a_out, "C": ev.C,
        "answer": labels[np.argmax(t, axis=1)].astype(float),  # the first 1 of the teacher, as the sheet's IF/MAX
        "predicted": labels[ev.predicted].astype(float),
        "right": np.where(ev.right, RIGHT, WRONG).astype(object),
        "C_T": np.array(ev.C_T), "accuracy": np.array(ev.accuracy),
    }
    values = {name: np.asarray(a).reshape(_shape(layout, name, n)) for name, a in computed.items()
              if name in layout.by_name and layout[name].computed}
    return ev, values


def write_cnn_workbook(path: str | Path, net: CNN, *, exercise: bool = False, layout: Layout = CNN5) -> CNNEvaluation:
    """Data and the learning sheet with `net`'s parameters: every formula with the engine's value, or
    (exercise) the learning sheet's formula cells left empty for the student."""
    # the writer (XlsxWriter) only when writing: check, recompute and train use this module's values alone
    from sheetnet.mirror.build import build_sheets, exercise_blanks
    from sheetnet.xlsx.writer import write_xlsx

    inputs = cnn_book_inputs(net, layout)
    n = len(inputs["pixels"])
    ev, values = cnn_cell_values(layout, inputs, net)
    # An exercise leaves the learning sheet's math to the student; image numbers stay as labels.
    blank = exercise_blanks(layout) if exercise else frozenset()
    write_xlsx(path, build_sheets(layout, n, inputs, values, blank=blank), STYLES, CONDITIONAL)
    return ev


def author(path: Path, *, exercise: bool, params: str | None, iterations: int | None, test_image: int,
           ready: Callable[[Path], None]) -> str:
    """`sheetnet answer/exercise --kind cnn`: appendix B's data and the CNN with one of its parameter sets."""
    name, net = cnn_params(params)
    ready(path)
    ev = write_cnn_workbook(path, net, exercise=exercise)
    if exercise:
        return _("wrote {path} (exercise cnn, parameters: {name}): the learning sheet's formula cells are empty "
                 "(light blue) for the student to fill; with these parameters C_T = {C_T:.12g} · {right}/{n} "
                 "right").format(path=path, name=name, C_T=ev.C_T, right=int(ev.right.sum()), n=len(ev.C))
    return _("wrote {path} (cnn, parameters: {name}): C_T = {C_T:.12g} · {right}/{n} right ({accuracy:.1%})").format(
        path=path, name=name, C_T=ev.C_T, right=int(ev.right.sum()), n=len(ev.C), accuracy=ev.accuracy)


def cnn_params(name: str | None) -> tuple[str, CNN]:
    """--params for the CNN → (its name, the CNN): by default 'trained' when the data has it, else 'initial'."""
    from sheetnet.data import chapter5

    if name is None:
        name = "trained" if "trained" in chapter5.PARAM_SETS else "initial"
    if name not in chapter5.PARAM_SETS:
        raise BadOption(_("--params {name}: the CNN's parameter sets are {sets}").format(
            name=name, sets=", ".join(chapter5.PARAM_SETS)))
    return name, chapter5.chapter5_params(name)
