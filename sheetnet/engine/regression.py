"""Chapter 2 (section 2-12): the regression line y = p·x + q fitted by least squares, named like the book.

Per data point the prediction p·x + q and the squared error e = ½(y − (p·x + q))²; the objective
E = Σ e. Least squares has a closed form (∂E/∂p = ∂E/∂q = 0, the normal equations); gradient descent
p ← p − η ∂E/∂p, q ← q − η ∂E/∂q is the book's other way, through training.gradient_descent.
Pure functions of arrays, no I/O; results in training.py's SolveResult / GDResult.
"""

from __future__ import annotations

import time

import numpy as np

from sheetnet.engine import training
from sheetnet.engine.defaults import REGRESSION_GD_ETA, REGRESSION_GD_ITERATIONS
from sheetnet.record import record


@record(frozen=True)
class Line:
    """The model's parameters: y = p·x + q."""

    p: float
    q: float

    def flat(self) -> np.ndarray:
        return np.array([self.p, self.q], dtype=float)

    def with_flat(self, theta: np.ndarray) -> "Line":
        return Line(float(theta[0]), float(theta[1]))


def predict(line: Line, x: np.ndarray) -> np.ndarray:
    """p·x + q (the sheet's =$p*x+$q, in that order)."""
    return line.p * np.asarray(x, dtype=float) + line.q


def e(y: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """The squared error of each point: ½(y − (p·x + q))²."""
    return (np.asarray(y, dtype=float) - prediction) ** 2 / 2


@record(frozen=True)
class Fit:
    """A line on the data: each point's prediction and e, and E = Σ e (C_T: the name training reads)."""

    x: np.ndarray
    prediction: np.ndarray
    e: np.ndarray
    E: float

    @property
    def C_T(self) -> float:
        return self.E

    @property
    def right(self) -> np.ndarray:  # a regression answers no question right or wrong
        return np.zeros(0, dtype=bool)

    @property
    def forward(self) -> "Fit":
        return self


def evaluate(line: Line, x: np.ndarray, y: np.ndarray) -> Fit:
    prediction = predict(line, x)
    errors = e(y, prediction)
    return Fit(np.asarray(x, dtype=float), prediction, errors, float(errors.sum()))


def gradient(line: Line, fit: Fit, y: np.ndarray) -> np.ndarray:
    """(∂E/∂p, ∂E/∂q) = (−Σ (y − ŷ)·x, −Σ (y − ŷ))."""
    r = np.asarray(y, dtype=float) - fit.prediction
    return np.array([-(r * fit.x).sum(), -r.sum()])


def least_squares(x: np.ndarray, y: np.ndarray) -> Line:
    """The minimum of E: p = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², q = ȳ − p·x̄ (the normal equations, centred
    so that heights of 150 cm lose no digits)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0:
        raise ValueError("least squares needs two different x")
    dx = x - x.mean()
    p = float((dx * (y - y.mean())).sum() / (dx * dx).sum())
    return Line(p, float(y.mean() - p * x.mean()))


MODEL = training.Model(evaluate=evaluate, gradient=gradient, residuals=None, output_jacobian=None)

# gradient descent's defaults (defaults.py says why it cannot get far with heights in centimetres)
GD_ETA, GD_ITERATIONS = REGRESSION_GD_ETA, REGRESSION_GD_ITERATIONS


def gradient_descent(line: Line, x: np.ndarray, y: np.ndarray, *, eta: float = GD_ETA,
                     iterations: int = GD_ITERATIONS, target: float | None = None,
                     callback: training.Callback | None = None) -> training.GDResult:
    """`iterations` updates p ← p − η ∂E/∂p, q ← q − η ∂E/∂q from `line`."""
    return training.gradient_descent(line, x, y, eta=eta, iterations=iterations, target=target, callback=callback,
                                     model=MODEL)


def solve(line: Line, x: np.ndarray, y: np.ndarray, *, max_iterations: int = 1,
          callback: training.Callback | None = None) -> training.SolveResult:
    """What Solver finds: the least-squares line, in one step (max_iterations = 0 keeps `line`)."""
    start = time.perf_counter()
    before = evaluate(line, x, y).E
    result = least_squares(x, y) if max_iterations > 0 else line
    after = evaluate(result, x, y).E
    if after > before:  # a start already at the minimum, up to rounding: keep it
        result, after = line, before
    if callback is not None and max_iterations > 0:
        callback(1, after)
    return training.SolveResult(
        net=result, C_T_history=[before, after], final_C_T=after, final_correct=0,
        iterations=int(max_iterations > 0), nfev=2, njev=0, elapsed=time.perf_counter() - start,
        stopped_because="least squares: the normal equations solved exactly" if max_iterations > 0
        else "max_iterations = 0", method="least squares (normal equations)")
