"""Training the chapter-5 CNN the book's two ways, as training.py does for the 12-3-2 network.

* `gradient_descent` — full-batch backpropagation, θ ← θ − η Σ ∂C/∂θ (summed over the images).
* `solve` — what Solver does: minimize C_T = ½ Σ r², r = a_out − t, with
  training.solve's trust-region method and the exact Jacobian of the residuals (`output_jacobian`).

Results come in training.py's GDResult / SolveResult (their `net` holds a CNN here), so callers
treat both networks alike. No I/O; callback(iteration, C_T) reports progress.

The defaults (CNN_GD_ETA, CNN_GD_ITERATIONS, CNN_SOLVE_TARGET) take the book's start, cnn_initial
(C_T = 12.5445, 91/96), to 96/96 and a C_T below a hundredth of it with moderate weights.
"""

from __future__ import annotations

import numpy as np

from sheetnet.engine import training
from sheetnet.engine.cnn import CNN, backprop, backward, evaluate, forward
from sheetnet.engine.defaults import CNN_GD_ETA, CNN_GD_ITERATIONS  # gradient descent's (defaults.py says why)

# Solver's way: stop at the first iterate with C_T ≤ 0.01. Unstopped, least squares "succeeds"
# by saturating the sigmoids: C_T → 1e-10 with weights ≈ 110 after 17 iterations. From
# cnn_initial the target is met after 6 iterations, at C_T ≈ 0.0044 with weights ≤ ≈ 9.1; the
# very next iteration doubles the largest weight (≈ 19) for a factor 2 in C_T.
CNN_SOLVE_TARGET = 0.01


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



def gradient_descent(
    net: CNN,
    x: np.ndarray,
    t: np.ndarray,
    *,
    eta: float = CNN_GD_ETA,
    iterations: int = CNN_GD_ITERATIONS,
    target: float | None = None,
    callback: training.Callback | None = None,
) -> training.GDResult:
    """training.gradient_descent for the CNN: `iterations` updates θ ← θ − η Σ ∂C/∂θ
    (fewer if a target is given and met first)."""
    return training.gradient_descent(net, x, t, eta=eta, iterations=iterations, target=target,
                                     callback=callback, model=CNN_MODEL)


def solve(
    net: CNN,
    x: np.ndarray,
    t: np.ndarray,
    *,
    target: float | None = CNN_SOLVE_TARGET,
    max_iterations: int = 100,
    gtol: float = 1e-8,
    callback: training.Callback | None = None,
) -> training.SolveResult:
    """training.solve for the CNN, stopped by default at C_T ≤ CNN_SOLVE_TARGET
    (target=None lets it run to its gradient test, with weights ≈ 110 from cnn_initial).

    Max pooling makes C_T only piecewise smooth (a maximum's position can change between
    steps); the trust region copes, since it accepts only steps that lower C_T.
    """
    return training.solve(net, x, t, target=target, max_iterations=max_iterations, gtol=gtol,
                          callback=callback, model=CNN_MODEL)
