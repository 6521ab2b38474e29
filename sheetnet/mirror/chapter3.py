"""The chapter-3 layout's named arrays ↔ the engine: what each cell of the workbook must hold.

Arrays follow the layout's shapes (image, unit, row, col); the engine wants (image, feature).
"""

from __future__ import annotations

import numpy as np

from sheetnet.i18n import _
from sheetnet.engine.network import Evaluation, Network, evaluate, forward, predict
from sheetnet.errors import UnusableInput
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.model import RIGHT, WRONG, Layout


def network_of(inputs: dict[str, np.ndarray]) -> Network:
    """The 47 parameters as they sit in the learning sheet → a Network."""
    w2, w3 = inputs["w2"], inputs["w3"]
    return Network(
        W={2: w2.reshape(w2.shape[0], -1), 3: w3.reshape(w3.shape[0], -1)},
        b={2: inputs["b2"].reshape(-1), 3: inputs["b3"].reshape(-1)},
    )


def parameter_arrays(net: Network, layout: Layout = CHAPTER3) -> dict[str, np.ndarray]:
    """A Network → the parameter quantities in the layout's shapes (the inverse of network_of)."""
    shapes = {name: layout.positions(layout[name], 0).shape[:-1] for name in ("w2", "b2", "w3", "b3")}
    arrays = {"w2": net.W[2], "b2": net.b[2], "w3": net.W[3], "b3": net.b[3]}
    for name, a in arrays.items():
        if a.size != int(np.prod(shapes[name])):
            raise ValueError(f"{name} has {a.size} values; the {layout.kind} layout holds {int(np.prod(shapes[name]))}")
    return {name: a.reshape(shapes[name]) for name, a in arrays.items()}


def problem_of(inputs: dict[str, np.ndarray], layout: Layout = CHAPTER3) -> tuple[np.ndarray, np.ndarray]:
    """Pixels and digits → x (images, 12) and the teacher t (images, outputs)."""
    pixels, digits = inputs["pixels"], inputs["digit"].reshape(-1)
    labels = np.array(layout.class_labels)
    unknown = ~np.isin(digits, labels)
    if unknown.any():
        i = int(np.argmax(unknown))
        raise UnusableInput(_("image {i}'s digit is {digit:g}; this workbook's digits are {digits}").format(
            i=i + 1, digit=digits[i], digits=_(" and ").join(map(str, labels))))
    t = (digits[:, None] == labels[None, :]).astype(float)
    return pixels.reshape(len(pixels), -1), t


def cell_values(layout: Layout, inputs: dict[str, np.ndarray], net: Network) -> tuple[Evaluation, dict[str, np.ndarray]]:
    """Every computed quantity's values, in the layout's shapes, from the data and parameters alone."""
    x, t = problem_of(inputs, layout)
    ev = evaluate(net, x, t)
    n = len(x)
    fw = ev.forward
    digits = inputs["digit"]
    labels = np.array(layout.class_labels)
    predicted = labels[ev.predicted]
    per_image = {
        "data_image_no": np.arange(1, n + 1, dtype=float),
        "image_no": np.arange(1, n + 1, dtype=float),
        "x": inputs["pixels"],
        "t": t,
        "z2": fw.z[2],
        "a2": fw.a[2],
        "z3": fw.z[3],
        "a3": fw.a[3],
        "C": ev.C,
        "answer": digits,
        "predicted": predicted.astype(float),
        "right": np.where(ev.right, RIGHT, WRONG).astype(object),
    }
    totals = {"C_T": np.array(ev.C_T), "accuracy": np.array(ev.accuracy)}
    test = values_of_the_test_sheet(inputs, labels) if "test_x" in inputs else {}
    values = {}
    for name, a in {**per_image, **totals, **test}.items():
        q = layout[name]
        values[name] = np.asarray(a).reshape(layout.positions(q, n).shape[:-1])
    return ev, values


def values_of_the_test_sheet(inputs: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, np.ndarray]:
    """The test sheet: its one pattern through its own parameters (constants, not the learning sheet's)."""
    net = network_of({name: inputs["test_" + name] for name in ("w2", "b2", "w3", "b3")})
    x = inputs["test_x"].reshape(1, -1)
    fw = forward(net, x)
    return {"test_z2": fw.z[2], "test_a2": fw.a[2], "test_z3": fw.z[3], "test_a3": fw.a[3],
            "test_verdict": labels[predict(fw.output)].astype(float), "test_draw": inputs["test_x"]}
