"""Training the fully connected network: the book's two ways, as pure functions of arrays.

* `gradient_descent` — chapter 4: full-batch gradient descent on the backpropagation gradients,
  w ← w − η Σ ∂C/∂w (gradients summed over the images), the way the book's sheets iterate.
* `solve` — what Excel's Solver does in chapter 3: minimize C_T over all parameters at once.
  C_T = ½ Σ r² with one residual r = a_out − t per image and output unit, so this is a nonlinear
  least-squares problem; it is handed to a trust-region method (`trust_region.minimize`, SciPy's
  'trf' written out) with the exact Jacobian of the residuals (`output_jacobian`), derived below
  with the chain rule.

No I/O, no printing: a `callback(iteration, C_T)` lets a caller show progress.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from sheetnet.engine import trust_region
from sheetnet.engine.defaults import GD_ETA, GD_ITERATIONS
from sheetnet.engine.network import Network, backprop, evaluate, forward
from sheetnet.record import record

Callback = Callable[[int, float], None]


@record(frozen=True)
class Model:
    """What training needs of a network kind; its parameters offer flat() and with_flat().

    evaluate(net, x, t) → an evaluation with .C_T, .right and .forward;
    gradient(net, forward, t) → ∂C_T/∂θ in flat() order; residuals(net, x, t) → a_out − t;
    output_jacobian(net, x) → ∂a_out/∂θ, rows as in residuals, columns in flat() order.
    """

    evaluate: Callable
    gradient: Callable
    residuals: Callable
    output_jacobian: Callable

# Excel's Solver result in the book's chapter-3 workbook ("3-5 NN（求解器）.xlsx", 学习!G21).
BOOK_SOLVER_C_T = 1.0452109503695352e-07


@record(frozen=True)
class GDResult:
    """Result of `gradient_descent`.

    C_T_history[k-1] and correct_history[k-1] belong to the parameters *before* the k-th update
    (k = 1 … iterations), as in the book's iteration table; final_* belong to `net`, the
    parameters after the last update. `iterations` counts the updates made: fewer than asked
    when a target stopped the descent early.
    """

    net: Network
    C_T_history: list[float]
    correct_history: list[int]
    final_C_T: float
    final_correct: int
    iterations: int
    eta: float
    elapsed: float  # seconds, time.perf_counter


def gradient_descent(
    net: Network,
    x: np.ndarray,
    t: np.ndarray,
    *,
    eta: float = GD_ETA,
    iterations: int = GD_ITERATIONS,
    target: float | None = None,
    callback: Callback | None = None,
    model: Model | None = None,
) -> GDResult:
    """Chapter 4: `iterations` full-batch updates w ← w − η Σ ∂C/∂w from `net`.

    With a target, the descent stops early, before the first update whose starting cost is
    already C_T ≤ target (so a start that meets it comes back unchanged, with 0 iterations).

    callback(k, C_T) is called once per update k = 1, 2, … with the cost before the k-th update.
    """
    model = model or FULLY_CONNECTED
    if iterations < 0:
        raise ValueError("iterations must be ≥ 0")
    start = time.perf_counter()
    costs: list[float] = []
    correct: list[int] = []
    for k in range(1, iterations + 1):
        ev = model.evaluate(net, x, t)
        if target is not None and ev.C_T <= target:
            break
        costs.append(ev.C_T)
        correct.append(int(ev.right.sum()))
        if callback is not None:
            callback(k, ev.C_T)
        net = net.with_flat(net.flat() - eta * model.gradient(net, ev.forward, t))
    ev = model.evaluate(net, x, t)
    return GDResult(
        net=net,
        C_T_history=costs,
        correct_history=correct,
        final_C_T=ev.C_T,
        final_correct=int(ev.right.sum()),
        iterations=len(costs),
        eta=float(eta),
        elapsed=time.perf_counter() - start,
    )


def residuals(net: Network, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """r = a_out − t, flattened image by image: r[n·m + j] for image n, output unit j (C_T = ½ r·r)."""
    return (forward(net, x).output - np.asarray(t, dtype=float)).ravel()


def output_jacobian(net: Network, x: np.ndarray) -> np.ndarray:
    """∂a_out/∂θ: (images·outputs, parameters), rows as in `residuals`, columns as in `Network.flat()`.

    With D[l][n, j, u] = ∂a_L[n, j]/∂z_l[n, u] (the δ of chapter 4, but one per output unit j
    instead of one per image):

        D[L][n, j, u] = σ'(z_L[n, j]) · [u = j],            σ'(z) = a(1 − a)
        D[l][n, j, :] = (D[l+1][n, j, :] · W[l+1]) ⊙ a_l[n](1 − a_l[n])
        ∂a_L[n, j]/∂W_l[u, v] = D[l][n, j, u] · a_{l-1}[n, v],   ∂a_L[n, j]/∂b_l[u] = D[l][n, j, u]

    Since r = a_out − t, this is also the Jacobian of the residuals.
    """
    fw = forward(net, x)
    L = max(net.layers)
    a_out = fw.a[L]
    n, m = a_out.shape
    D = np.zeros((n, m, m))
    D[:, np.arange(m), np.arange(m)] = a_out * (1 - a_out)
    blocks: dict[int, np.ndarray] = {}
    for l in reversed(net.layers):
        if l < L:
            D = (D @ net.W[l + 1]) * (fw.a[l] * (1 - fw.a[l]))[:, None, :]
        dW = D[:, :, :, None] * fw.a[l - 1][:, None, None, :]  # (n, m, units of l, units of l-1)
        blocks[l] = np.concatenate([dW.reshape(n, m, -1), D], axis=2)
    return np.concatenate([blocks[l] for l in net.layers], axis=2).reshape(n * m, -1)


@record(frozen=True)
class SolveResult:
    """Result of `solve`.

    C_T_history[0] is the cost of the starting parameters, C_T_history[k] the cost after the
    k-th iteration of the optimizer (an iteration whose trial steps were all rejected repeats
    the previous value); final_C_T = C_T_history[-1] is the cost of `net`.
    """

    net: Network
    C_T_history: list[float]
    final_C_T: float
    final_correct: int
    iterations: int  # optimizer iterations (trust-region steps)
    nfev: int  # evaluations of the residuals (incl. rejected trial points)
    njev: int  # evaluations of the Jacobian
    elapsed: float  # seconds, time.perf_counter, optimization only (see `solve`)
    stopped_because: str
    method: str
    # stopped_because as (template, values) where it carries figures (TARGET_REACHED …), so that the
    # command line can say it in the reader's language; None where the text is fixed (_STATUS)
    why: tuple[str, dict] | None = None


# What `solve` uses (SolveResult.method)
METHOD = "trust_region.minimize (SciPy's 'trf' algorithm with exact steps, in NumPy)"

# Why `solve` stopped, where the reason carries a figure: English templates (the engine has no
# language), translated and filled in by the command line (sheetnet/commands/train.py)
TARGET_MET_AT_START = "target C_T ≤ {target} already met at the start"
TARGET_REACHED = "target C_T ≤ {target} reached"
ITERATIONS_REACHED = "max_iterations = {n} reached"

_STATUS = {
    0: "iteration limit (max_nfev) reached",
    1: "gradient small enough (gtol)",
    2: "cost no longer decreasing (ftol)",
    3: "parameters no longer changing (xtol)",
    4: "cost and parameters no longer changing (ftol and xtol)",
}


def solve(
    net: Network,
    x: np.ndarray,
    t: np.ndarray,
    *,
    target: float | None = None,
    max_iterations: int = 100,
    gtol: float = 1e-8,
    callback: Callback | None = None,
    model: Model | None = None,
) -> SolveResult:
    """Minimize C_T over all parameters from `net`, like Excel's Solver (unconstrained).

    Stops at the first of:
    * C_T ≤ target (when a target is given; e.g. BOOK_SOLVER_C_T, the value Solver stored);
    * the gradient's largest component below `gtol` (or ftol / xtol = 1e-8: trust_region.minimize);
    * `max_iterations` optimizer iterations.
    The result is never worse than the start: the method accepts only steps that lower C_T,
    and a start already at or below `target` is returned unchanged with 0 iterations.

    callback(k, C_T) is called after each iteration k = 1, 2, … with the cost then.
    """
    # Why 'trf' with an exact trust-region solver and these stopping rules: the infimum of
    # C_T is 0 at infinite weights (every sigmoid saturated), so an optimizer that is not
    # stopped "succeeds" by growing the weights without end. MINPACK's 'lm' does exactly that
    # here (from the book's start it ends at C_T ≈ 1e-32 with weights ≈ 75). 'trf' with the
    # gradient test gtol = 1e-8 stops once ‖∇C_T‖∞ < 1e-8, which on this problem happens at
    # C_T of a few 1e-9 with weights ≈ 25, in ~15 iterations and ~10 ms; a target, if given,
    # ends it earlier, at the first iterate that matches the target.
    model = model or FULLY_CONNECTED
    if max_iterations < 0:
        raise ValueError("max_iterations must be ≥ 0")
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    start = time.perf_counter()
    theta0 = net.flat()
    ev0 = model.evaluate(net, x, t)
    history = [ev0.C_T]

    def done(reason: str, result_net, iterations: int, nfev: int, njev: int, **values) -> SolveResult:
        # reason: a text of its own, or a template filled in with `values` (TARGET_REACHED …)
        why = (reason, values) if values else None
        reason = reason.format(**values) if values else reason
        ev = model.evaluate(result_net, x, t)
        if ev.C_T > ev0.C_T:  # cannot happen with a descent method; kept as a guarantee
            result_net, ev, reason, why = net, ev0, reason + "; start kept (it was better)", None
        # the last entry belongs to the returned parameters: store the engine's C_T for it
        # (the method's ½ r·r can differ from it in the last bits)
        history[-1] = ev.C_T
        return SolveResult(
            net=result_net,
            C_T_history=history,
            final_C_T=ev.C_T,
            final_correct=int(ev.right.sum()),
            iterations=iterations,
            nfev=nfev,
            njev=njev,
            elapsed=time.perf_counter() - start,
            stopped_because=reason,
            method=METHOD,
            why=why,
        )

    if target is not None and ev0.C_T <= target:
        return done(TARGET_MET_AT_START, net, 0, 1, 0, target=f"{target:.6g}")
    if max_iterations == 0:
        return done("max_iterations = 0", net, 0, 1, 0)

    def fun(theta: np.ndarray) -> np.ndarray:
        return model.residuals(net.with_flat(theta), x, t)

    def jac(theta: np.ndarray) -> np.ndarray:
        return model.output_jacobian(net.with_flat(theta), x)

    own_stop: list[tuple[str, dict]] = []  # why after_iteration stopped it: (template, values)

    def after_iteration(k: int, cost: float) -> bool:
        history.append(cost)
        if callback is not None:
            callback(k, cost)
        if target is not None and cost <= target:
            own_stop.append((TARGET_REACHED, {"target": f"{target:.6g}"}))
        elif k >= max_iterations:
            own_stop.append((ITERATIONS_REACHED, {"n": max_iterations}))
        return bool(own_stop)

    # a bound on evaluations in case trial steps keep being rejected within one iteration
    res = trust_region.minimize(fun, jac, theta0, ftol=1e-8, xtol=1e-8, gtol=gtol,
                                max_evaluations=10 * max_iterations + 10, after_iteration=after_iteration)
    reason, values = own_stop[0] if res.status == trust_region.STOPPED_BY_CALLER else (_STATUS[res.status], {})
    iterations = len(history) - 1
    return done(reason, net.with_flat(res.theta), iterations, res.evaluations, res.jacobians, **values)


FULLY_CONNECTED = Model(
    evaluate=evaluate,
    gradient=lambda net, fw, t: backprop(net, fw, t).flat(),
    residuals=residuals,
    output_jacobian=output_jacobian,
)
