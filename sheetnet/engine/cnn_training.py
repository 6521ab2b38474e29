"""Training the chapter-5 CNN the book's two ways, as training.py does for the 12-3-2 network.

* `gradient_descent` — full-batch backpropagation, θ ← θ − η Σ ∂C/∂θ (summed over the images).
* `solve` — what Solver does: minimize C_T = ½ Σ r², r = a_out − t, with
  scipy.optimize.least_squares and the exact Jacobian of the residuals (`output_jacobian`).

Results come in training.py's GDResult / SolveResult (their `net` holds a CNN here), so callers
treat both networks alike. No I/O; callback(iteration, C_T) reports progress.
"""

from __future__ import annotations

import time

import numpy as np

from sheetnet.engine.cnn import CNN, backprop, backward, evaluate, forward
from sheetnet.engine.training import _STATUS, Callback, GDResult, SolveResult


def gradient_descent(
    net: CNN,
    x: np.ndarray,
    t: np.ndarray,
    *,
    eta: float = 0.2,
    iterations: int = 50,
    callback: Callback | None = None,
) -> GDResult:
    """`iterations` full-batch updates θ ← θ − η ∂C_T/∂θ from `net`.

    C_T_history[k-1], correct_history[k-1] and callback(k, C_T) belong to the parameters before
    the k-th update (k = 1 … iterations); final_* to the returned parameters.
    """
    if iterations < 0:
        raise ValueError("iterations must be ≥ 0")
    start = time.perf_counter()
    costs: list[float] = []
    correct: list[int] = []
    for k in range(1, iterations + 1):
        ev = evaluate(net, x, t)
        costs.append(ev.C_T)
        correct.append(int(ev.right.sum()))
        if callback is not None:
            callback(k, ev.C_T)
        g = backprop(net, ev.forward, t).total
        net = CNN(**{f: getattr(net, f) - eta * getattr(g, f) for f in CNN.FIELDS})
    ev = evaluate(net, x, t)
    return GDResult(
        net=net,
        C_T_history=costs,
        correct_history=correct,
        final_C_T=ev.C_T,
        final_correct=int(ev.right.sum()),
        iterations=iterations,
        eta=float(eta),
        elapsed=time.perf_counter() - start,
    )


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


def solve(
    net: CNN,
    x: np.ndarray,
    t: np.ndarray,
    *,
    target: float | None = None,
    max_iterations: int = 100,
    gtol: float = 1e-8,
    callback: Callback | None = None,
) -> SolveResult:
    """Minimize C_T over the 69 parameters from `net`, like Excel's Solver (unconstrained).

    Stops at the first of: C_T ≤ target (if given); the gradient's largest component below
    `gtol` (or scipy's ftol/xtol = 1e-8); `max_iterations` optimizer iterations. Never returns
    parameters worse than the start. callback(k, C_T) after each iteration k = 1, 2, ….

    Max pooling makes C_T only piecewise smooth (the maximum's position can change between
    steps); the trust region copes, since it accepts only steps that lower C_T.
    """
    from scipy.optimize import least_squares

    if max_iterations < 0:
        raise ValueError("max_iterations must be ≥ 0")
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    start = time.perf_counter()
    ev0 = evaluate(net, x, t)
    history = [ev0.C_T]

    def done(reason: str, result: CNN, iterations: int, nfev: int, njev: int) -> SolveResult:
        ev = evaluate(result, x, t)
        if ev.C_T > ev0.C_T:  # cannot happen with a descent method; kept as a guarantee
            result, ev, reason = net, ev0, reason + "; start kept (it was better)"
        history[-1] = ev.C_T  # the engine's C_T for the returned parameters (scipy's may differ in the last bits)
        return SolveResult(
            net=result,
            C_T_history=history,
            final_C_T=ev.C_T,
            final_correct=int(ev.right.sum()),
            iterations=iterations,
            nfev=nfev,
            njev=njev,
            elapsed=time.perf_counter() - start,
            stopped_because=reason,
            method="scipy.optimize.least_squares(method='trf', tr_solver='exact')",
        )

    if target is not None and ev0.C_T <= target:
        return done(f"target C_T ≤ {target:.6g} already met at the start", net, 0, 1, 0)
    if max_iterations == 0:
        return done("max_iterations = 0", net, 0, 1, 0)

    own_stop: list[str] = []

    def on_iteration(intermediate_result) -> None:
        k, cost = int(intermediate_result.nit), float(intermediate_result.cost)
        history.append(cost)
        if callback is not None:
            callback(k, cost)
        if target is not None and cost <= target:
            own_stop.append(f"target C_T ≤ {target:.6g} reached")
            raise StopIteration
        if k >= max_iterations:
            own_stop.append(f"max_iterations = {max_iterations} reached")
            raise StopIteration

    res = least_squares(
        lambda theta: residuals(net.with_flat(theta), x, t),
        net.flat(),
        jac=lambda theta: output_jacobian(net.with_flat(theta), x),
        method="trf",
        tr_solver="exact",
        ftol=1e-8,
        xtol=1e-8,
        gtol=gtol,
        max_nfev=10 * max_iterations + 10,  # in case trial steps keep being rejected
        callback=on_iteration,
    )
    reason = own_stop[0] if res.status == -2 and own_stop else _STATUS.get(res.status, res.message)
    return done(reason, net.with_flat(res.x), len(history) - 1, int(res.nfev), int(res.njev))
