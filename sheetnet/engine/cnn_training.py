"""Training the chapter-5 CNN the book's two ways, as training.py does for the 12-3-2 network.

* `gradient_descent` — full-batch backpropagation, θ ← θ − η Σ ∂C/∂θ (summed over the images).
* `solve` — what Solver does: minimize C_T = ½ Σ r², r = a_out − t, with
  scipy.optimize.least_squares and the exact Jacobian of the residuals (`output_jacobian`).

Results come in training.py's GDResult / SolveResult (their `net` holds a CNN here), so callers
treat both networks alike. No I/O; callback(iteration, C_T) reports progress.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from sheetnet.engine import training
from sheetnet.engine.cnn import CNN, backprop, backward, evaluate, forward


def residuals(net: CNN, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """r = a_out − t, image by image: r[n·3 + j] for image n, output unit j (C_T = ½ r·r)."""
    return (forward(net, x).a_out - np.asarray(t, dtype=float)).ravel()


def output_jacobian(net: CNN, x: np.ndarray) -> np.ndarray:
    """∂a_out/∂θ: (images·outputs, 69), rows as in `residuals`, columns as in `CNN.flat()`.

    Row (n, j) is the backpropagation of image n with the error e_j (1 for output j, 0 for the
    others) instead of a_out − t: the same chain rule as the gradient, one output at a time.
    Each image is repeated once per output so that one vectorized `backward` does them all.
    """
    m = net.output_b.size
    fw = forward(net, np.repeat(np.asarray(x, dtype=float), m, axis=0))
    unit_errors = np.tile(np.eye(m), (len(fw.x) // m, 1))
    return backward(net, fw, unit_errors).per_image_flat()


CNN_MODEL = training.Model(
    evaluate=evaluate,
    gradient=lambda net, fw, t: backprop(net, fw, t).flat(),
    residuals=residuals,
    output_jacobian=output_jacobian,
)

# The same two methods as for the 12-3-2 network. Max pooling makes C_T only piecewise smooth
# (the maximum's position can change between steps); the trust region copes, since it accepts
# only steps that lower C_T.
gradient_descent = partial(training.gradient_descent, model=CNN_MODEL)
solve = partial(training.solve, model=CNN_MODEL)
