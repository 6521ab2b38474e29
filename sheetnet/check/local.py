"""Chapter 3, cell by cell: what each computed cell should hold, locally and end to end.

*Locally* means from the student's own cached values of the cells its formula should read (z2 from
their x and the parameters, a2 from their z2, …); *end to end* means from the inputs alone (data and
parameters, sheetnet.mirror.chapter3). A cell wrong locally is a root cause; a cell right locally but
wrong end to end only inherits an earlier mistake.

Also here: the values the common mistakes would give (the sigmoid with the wrong sign, the cost
without ½, …), so that a wrong value can be named, and which cells each cell reads.
Arrays follow the layout's shapes (image, unit, row, col); NaN marks a value that cannot be computed
because a cell it reads holds no number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sheetnet.mirror.chapter3 import RIGHT, WRONG, cell_values, network_of
from sheetnet.mirror.compare import Tolerance
from sheetnet.mirror.load import Loaded

# The quantities a student computes, in the order their values flow. The image numbers are labels,
# not part of the network's math, and are not graded.
GRADED = ("x", "t", "z2", "a2", "z3", "a3", "C", "answer", "predicted", "right", "C_T", "accuracy")
TEXT = frozenset(("right",))

# What the book's formulas read, by role: for naming reference mistakes.
PIXEL_LINK = {"x": "pixels"}  # x links the data sheet's pixels one by one
BIAS = {"z2": "b2", "z3": "b3"}
WEIGHTS = {"z2": "w2", "z3": "w3"}
Z_OF = {"a2": "z2", "a3": "z3"}  # the weighted input z behind each activation a
TOTAL_OF = {"C_T": "C", "accuracy": "right"}  # totals over every image's row


@dataclass(frozen=True)
class Values:
    found: dict[str, np.ndarray]  # the student's cached values: floats (NaN: no number) or text (None: nothing)
    local: dict[str, np.ndarray]  # from the student's own cells
    end_to_end: dict[str, np.ndarray]  # from the inputs alone


def found_values(loaded: Loaded) -> dict[str, np.ndarray]:
    found = {}
    for name in GRADED:
        if name not in loaded.cells:
            continue
        grid = loaded.cells[name]
        if name in TEXT:
            out = np.empty(grid.shape, dtype=object)
            for index, cell in np.ndenumerate(grid):
                out[index] = None if cell is None or cell.kind == "" else cell.value
        else:
            out = np.full(grid.shape, np.nan)
            for index, cell in np.ndenumerate(grid):
                if cell is not None and cell.kind == "n":
                    out[index] = cell.value
        found[name] = out
    return found


def sigmoid(z):
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def values(loaded: Loaded) -> Values:
    found = found_values(loaded)
    inputs = loaded.inputs
    _, e2e = cell_values(loaded.layout, inputs, network_of(inputs))
    return Values(found, local_values(loaded, found), {k: v for k, v in e2e.items() if k in found})


def local_values(loaded: Loaded, F: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    I, n = loaded.inputs, loaded.n_images
    labels = np.array(loaded.layout.class_labels, dtype=float)
    out: dict[str, np.ndarray] = {}
    out["x"] = I["pixels"].astype(float)
    out["t"] = (I["digit"] == labels.reshape(1, -1, 1, 1)).astype(float)
    out["answer"] = I["digit"].astype(float)
    out["z2"] = _z2(F["x"], I["w2"], I["b2"].reshape(-1)).reshape(n, -1, 1, 1)
    out["a2"] = sigmoid(F["z2"])
    out["z3"] = _z3(F["a2"], I["w3"], I["b3"].reshape(-1)).reshape(n, -1, 1, 1)
    out["a3"] = sigmoid(F["z3"])
    out["C"] = _cost(F["a3"], F["t"]).reshape(n, 1, 1, 1)
    out["predicted"] = _predicted(F["a3"], labels).reshape(n, 1, 1, 1)
    out["right"] = _verdicts(F["answer"], F["predicted"])
    out["C_T"] = np.full(F["C_T"].shape, _sum(loaded, "C"))
    out["accuracy"] = np.full(F["accuracy"].shape, _accuracy(F["right"]))
    return out


def _z2(x: np.ndarray, w2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    # SUMPRODUCT(x, w2_k) + b2_k for every image and hidden unit k: (images, units)
    xs = x.reshape(len(x), -1)
    with np.errstate(invalid="ignore"):
        return xs @ w2.reshape(len(w2), -1).T + b2


def _z3(a2: np.ndarray, w3: np.ndarray, b3: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return a2.reshape(len(a2), -1) @ w3.reshape(len(w3), -1).T + b3


def _cost(a3: np.ndarray, t: np.ndarray) -> np.ndarray:
    n = len(a3)
    return 0.5 * np.sum((a3.reshape(n, -1) - t.reshape(n, -1)) ** 2, axis=1)


def _predicted(a3: np.ndarray, labels: np.ndarray) -> np.ndarray:
    a = a3.reshape(len(a3), -1)
    p = np.where(a[:, 0] >= a[:, 1], labels[0], labels[1])
    return np.where(np.isnan(a).any(axis=1), np.nan, p)


def _verdicts(answer: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    out = np.empty(answer.shape, dtype=object)
    for index, a in np.ndenumerate(answer):
        p = predicted[index]
        out[index] = None if np.isnan(a) or np.isnan(p) else (RIGHT if a == p else WRONG)
    return out


def _sum(loaded: Loaded, name: str) -> float:
    # SUM skips text and empty cells but an error value makes the sum an error
    total = 0.0
    for cell in loaded.cells[name].reshape(-1):
        if cell is None:
            continue
        if cell.kind == "e":
            return np.nan
        if cell.kind == "n":
            total += cell.value
    return total


def _accuracy(right: np.ndarray) -> float:
    # COUNTIF(…,"○")/COUNTA(…): COUNTA counts every cell that holds anything
    filled = [v for v in right.reshape(-1) if v is not None]
    if not filled:
        return np.nan
    return sum(v == RIGHT for v in filled) / len(filled)


# -- agreement ---------------------------------------------------------------------------------
def agree(found: np.ndarray, expected: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Elementwise: does the found value agree with the expected one? (Nothing agrees with NaN/None.)"""
    if found.dtype == object or expected.dtype == object:
        out = np.zeros(found.shape, dtype=bool)
        for index, f in np.ndenumerate(found):
            e = expected[index]
            out[index] = f is not None and e is not None and f == e
        return out
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(found), np.abs(expected))
        return np.asarray(np.abs(found - expected) <= np.maximum(tol.rel * scale, tol.abs))


def known(expected: np.ndarray) -> np.ndarray:
    if expected.dtype == object:
        return np.asarray(np.frompyfunc(lambda v: v is not None, 1, 1)(expected), dtype=bool)
    return np.asarray(~np.isnan(expected))


# -- what the common mistakes give ---------------------------------------------------------------
def mistakes(name: str, loaded: Loaded, F: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """(diagnosis, the values that mistake gives) for a quantity, from the student's own cells."""
    I, n = loaded.inputs, loaded.n_images
    labels = np.array(loaded.layout.class_labels, dtype=float)
    out: list[tuple[str, np.ndarray]] = []
    if name == "t":
        out.append(("teacher_swapped", (I["digit"] == labels[::-1].reshape(1, -1, 1, 1)).astype(float)))
    elif name in ("z2", "z3"):
        reads = F["x"] if name == "z2" else F["a2"]
        w, b = I[WEIGHTS[name]], I[BIAS[name]].reshape(-1)
        z = _z2 if name == "z2" else _z3
        out.append(("missing_bias", z(reads, w, 0 * b).reshape(n, -1, 1, 1)))
        units = len(b)
        for s in range(1, units):  # another unit's weights, with this unit's bias or with that unit's
            other = np.roll(np.arange(units), -s)
            out.append(("wrong_weight_row", z(reads, w[other], b).reshape(n, -1, 1, 1)))
            out.append(("wrong_weight_row", z(reads, w[other], b[other]).reshape(n, -1, 1, 1)))
        if name == "z3":
            out.append(("z_for_a", _z3(F["z2"], w, b).reshape(n, -1, 1, 1)))
    elif name in ("a2", "a3"):
        z = F[Z_OF[name]]
        out.append(("exponent_sign", sigmoid(-z)))
        out.append(("no_sigmoid", z))
    elif name == "C":
        a, t = F["a3"].reshape(n, -1), F["t"].reshape(n, -1)
        d = a - t
        shape = (n, 1, 1, 1)
        out.append(("cost_without_half", np.sum(d ** 2, axis=1).reshape(shape)))
        for v in (0.5 * d.sum(1), -0.5 * d.sum(1), 0.5 * np.abs(d).sum(1), d.sum(1), -d.sum(1), np.abs(d).sum(1)):
            out.append(("cost_without_square", v.reshape(shape)))
        out.append(("teacher_swapped", _cost(F["a3"], F["t"][:, ::-1]).reshape(shape)))
        out.append(("z_for_a", _cost(F["z3"], F["t"]).reshape(shape)))
    elif name == "predicted":
        out.append(("prediction_reversed", np.where(np.isnan(F["predicted"]), np.nan,
                                                    labels[0] + labels[1] - _predicted(F["a3"], labels).reshape(n, 1, 1, 1))))
    elif name == "C_T":
        c = np.nan_to_num(F["C"].reshape(-1))
        for k in range(1, n):  # the sum of images 1…k, or of k+1…n
            out.append(("range_too_short", np.full(F["C_T"].shape, c[:k].sum())))
            out.append(("range_too_short", np.full(F["C_T"].shape, c[k:].sum())))
    return out


# -- which cells each cell reads -----------------------------------------------------------------
def reads(name: str, index: tuple[int, ...], shapes: dict[str, tuple[int, ...]]) -> list[tuple[str, tuple[int, ...]]]:
    """The graded cells a cell's formula should read (inputs are left out: they are given, never wrong).

    shapes: each graded quantity's layout shape (images, units, rows, cols), or () for a total.
    """
    if name in ("x", "t", "answer"):
        return []
    if name in TOTAL_OF:
        src = TOTAL_OF[name]
        return [(src, (i, *rest)) for i in range(shapes[src][0]) for rest in np.ndindex(shapes[src][1:])]
    i = index[0]
    whole = {"z2": "x", "z3": "a2", "C": ("a3", "t"), "predicted": "a3", "right": ("answer", "predicted")}
    if name in Z_OF:
        return [(Z_OF[name], index)]
    sources = whole[name]
    return [(q, (i, *rest)) for q in ((sources,) if isinstance(sources, str) else sources)
            for rest in np.ndindex(shapes[q][1:])]
