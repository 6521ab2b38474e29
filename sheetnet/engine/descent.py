"""Chapter 2 (section 2-11): gradient descent on z = x² + y², step by step, named like the book.

At each point (x, y): the gradient (∂z/∂x, ∂z/∂y) = (2x, 2y), the displacement (Δx, Δy) = −η·(∂z/∂x, ∂z/∂y),
the next point (x + Δx, y + Δy), and z there. Each step multiplies the point by 1 − 2η (0.8 for η = 0.1).
Pure functions of arrays, no I/O.
"""

from __future__ import annotations

import numpy as np

from sheetnet.record import record


def z(x, y):
    return x ** 2 + y ** 2


def dz_dx(x):
    return 2 * x


def dz_dy(y):
    return 2 * y


@record(frozen=True)
class Descent:
    """One row per step k = 1 … n: the point before the step and everything computed from it."""

    x: np.ndarray
    y: np.ndarray
    dz_dx: np.ndarray
    dz_dy: np.ndarray
    dx: np.ndarray  # Δx = −η ∂z/∂x
    dy: np.ndarray
    x_next: np.ndarray  # x + Δx: the next step's x
    y_next: np.ndarray
    z: np.ndarray  # at (x, y)
    eta: float

    @property
    def steps(self) -> int:
        return len(self.x)

    @property
    def end(self) -> tuple[float, float, float]:
        """(x, y, z) after the last step."""
        x, y = float(self.x_next[-1]), float(self.y_next[-1])
        return x, y, float(z(x, y))


def descend(x0: float, y0: float, eta: float, steps: int) -> Descent:
    """`steps` steps of gradient descent from (x0, y0), each computed as the sheet's row computes it."""
    if steps < 1:
        raise ValueError("steps must be ≥ 1")
    rows = {name: np.empty(steps) for name in ("x", "y", "dz_dx", "dz_dy", "dx", "dy", "x_next", "y_next", "z")}
    x, y = float(x0), float(y0)
    for k in range(steps):
        gx, gy = dz_dx(x), dz_dy(y)
        dx, dy = -eta * gx, -eta * gy
        for name, v in (("x", x), ("y", y), ("dz_dx", gx), ("dz_dy", gy), ("dx", dx), ("dy", dy),
                        ("x_next", x + dx), ("y_next", y + dy), ("z", z(x, y))):
            rows[name][k] = v
        x, y = x + dx, y + dy
    return Descent(**rows, eta=float(eta))
