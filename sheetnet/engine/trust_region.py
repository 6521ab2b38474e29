"""Nonlinear least squares by a trust region: minimize C(θ) = ½‖r(θ)‖² given r(θ) and its Jacobian J(θ).

The algorithm, step for step, is SciPy's Trust Region Reflective without bounds, with an exact
trust-region solver (scipy.optimize.least_squares(method='trf', tr_solver='exact', x_scale=1, linear loss):
scipy/optimize/_lsq/trf.py `trf_no_bounds` and common.py, BSD-3-Clause, © the SciPy developers). It is
written out here so that training does not import scipy.optimize (≈ 0.5 s of CPU at start-up for a
solve of ~15 ms); tests/test_trust_region.py runs both on the book's problems and compares every iterate.

One iteration, from θ with residuals r, Jacobian J, gradient g = Jᵀr and radius Δ:
  * the step p minimizes the model m(p) = ½‖J p + r‖² within ‖p‖ ≤ Δ: the Gauss–Newton step −J⁺r if it
    fits, else p(α) = −(JᵀJ + αI)⁻¹ g with α > 0 found so that ‖p(α)‖ ≈ Δ (Moré's Levenberg–Marquardt
    root finding, through one SVD J = U S Vᵀ per iteration);
  * the trial θ + p is accepted only if it lowers C; the ratio ρ of the actual to the predicted
    reduction shrinks the radius (ρ < ¼: Δ = ¼‖p‖) or doubles it (ρ > ¾ with the step on the boundary);
    a rejected trial is retried from θ with the smaller radius (a trial whose residuals are not finite
    too, with Δ = ¼‖p‖).
No I/O: `after_iteration(k, C)` is called after iteration k with the cost then, and returns True to stop.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.linalg import norm, svd

from sheetnet.record import record

# Why it stopped: SciPy's status numbers, so that a test can hold one against the other
STOPPED_BY_CALLER = -2  # after_iteration returned True
EVALUATIONS_USED = 0  # max_evaluations evaluations of r
GRADIENT_SMALL = 1  # ‖g‖∞ < gtol
COST_STILL = 2  # the accepted reduction of C below ftol · C
STEP_SMALL = 3  # ‖p‖ < xtol · (xtol + ‖θ‖)
COST_AND_STEP_STILL = 4  # both

EPS = np.finfo(float).eps


@record(frozen=True)
class Minimum:
    """Where `minimize` stopped: θ, its cost C = ½‖r‖², and why (one of the status constants above)."""

    theta: np.ndarray
    cost: float
    status: int
    iterations: int
    evaluations: int  # of r, rejected trial points included
    jacobians: int  # evaluations of J


def minimize(
    residuals: Callable[[np.ndarray], np.ndarray],
    jacobian: Callable[[np.ndarray], np.ndarray],
    theta0: np.ndarray,
    *,
    ftol: float = 1e-8,
    xtol: float = 1e-8,
    gtol: float = 1e-8,
    max_evaluations: int,
    after_iteration: Callable[[int, float], bool] | None = None,
) -> Minimum:
    """Minimize ½‖residuals(θ)‖² from theta0; see the module's docstring."""
    theta = np.array(theta0, dtype=float)
    r = residuals(theta)
    if not np.all(np.isfinite(r)):
        raise ValueError("the residuals are not finite at the start")  # (SciPy refuses such a start too)
    J = jacobian(theta)
    evaluations = jacobians = 1
    cost = 0.5 * np.dot(r, r)
    g = J.T.dot(r)
    radius = norm(theta) or 1.0
    alpha = 0.0  # the Levenberg–Marquardt parameter of the last step, where the next search starts
    status = None
    k = 0
    while True:
        if norm(g, ord=np.inf) < gtol:
            status = GRADIENT_SMALL  # (also over a ftol / xtol status of the step that got here)
        if status is not None or evaluations == max_evaluations:
            break
        U, s, Vt = svd(J, full_matrices=False)
        # NumPy gives the factors in C order, SciPy in Fortran order, and a product's rounding depends on
        # the layout: laid out as SciPy's, Uᵀ and V give its steps bit for bit
        V = np.ascontiguousarray(Vt.T)
        Ur = np.ascontiguousarray(U.T).dot(r)
        reduction = -1.0
        while reduction <= 0 and evaluations < max_evaluations:
            p, alpha = _step(Ur, s, V, radius, alpha, *J.shape)
            predicted = -_model_change(J, g, p)
            theta_new = theta + p
            r_new = residuals(theta_new)
            evaluations += 1
            p_norm = norm(p)
            if not np.all(np.isfinite(r_new)):
                radius = 0.25 * p_norm
                continue
            cost_new = 0.5 * np.dot(r_new, r_new)
            reduction = cost - cost_new
            radius_new, ratio = _new_radius(radius, reduction, predicted, p_norm, p_norm > 0.95 * radius)
            status = _converged(reduction, cost, p_norm, norm(theta), ratio, ftol, xtol)
            if status is not None:
                break
            alpha *= radius / radius_new
            radius = radius_new
        if reduction > 0:
            theta, r, cost = theta_new, r_new, cost_new
            J = jacobian(theta)
            jacobians += 1
            g = J.T.dot(r)
        k += 1
        if after_iteration is not None and after_iteration(k, float(cost)):
            status = STOPPED_BY_CALLER
            break
    return Minimum(theta=theta, cost=float(cost), status=EVALUATIONS_USED if status is None else status,
                   iterations=k, evaluations=evaluations, jacobians=jacobians)


def _step(Ur, s, V, radius, alpha, m, n):
    """(p, α): the minimizer of ½‖J p + r‖² within ‖p‖ ≤ radius, from J = U S Vᵀ and Ur = Uᵀr.

    p(α) = −V (s·Ur / (s² + α)); α = 0 (Gauss–Newton) when J has full rank and that step fits, else
    α > 0 with |‖p(α)‖ − radius| < radius/100 by Newton's method on φ(α) = ‖p(α)‖ − radius, safeguarded
    by the bracket [α_low, α_high] (at most 10 steps), and p scaled onto the boundary.
    """
    sUr = s * Ur
    full_rank = m >= n and s[-1] > EPS * m * s[0]
    if full_rank:
        p = -V.dot(Ur / s)
        if norm(p) <= radius:
            return p, 0.0
    alpha_high = norm(sUr) / radius
    if full_rank:
        phi, dphi = _phi(0.0, sUr, s, radius)
        alpha_low = -phi / dphi
    else:
        alpha_low = 0.0
    if not full_rank and alpha == 0:
        alpha = max(0.001 * alpha_high, (alpha_low * alpha_high) ** 0.5)
    for _ in range(10):
        if alpha < alpha_low or alpha > alpha_high:
            alpha = max(0.001 * alpha_high, (alpha_low * alpha_high) ** 0.5)
        phi, dphi = _phi(alpha, sUr, s, radius)
        if phi < 0:
            alpha_high = alpha
        newton = phi / dphi
        alpha_low = max(alpha_low, alpha - newton)
        alpha -= (phi + radius) * newton / radius
        if np.abs(phi) < 0.01 * radius:
            break
    p = -V.dot(sUr / (s**2 + alpha))
    p *= radius / norm(p)  # exactly onto the boundary (it was within 1 %)
    return p, alpha


def _phi(alpha, sUr, s, radius):
    """φ(α) = ‖p(α)‖ − radius and its derivative φ'(α)."""
    denominator = s**2 + alpha
    p_norm = norm(sUr / denominator)
    return p_norm - radius, -np.sum(sUr**2 / denominator**3) / p_norm


def _model_change(J, g, p):
    """m(p) − m(0) = ½‖J p‖² + g·p: the change of C the linear model predicts for the step p."""
    Jp = J.dot(p)
    return 0.5 * np.dot(Jp, Jp) + np.dot(p, g)


def _new_radius(radius, reduction, predicted, p_norm, on_boundary):
    """(new radius, ρ = actual / predicted reduction)."""
    if predicted > 0:
        ratio = reduction / predicted
    elif predicted == reduction == 0:
        ratio = 1
    else:
        ratio = 0
    if ratio < 0.25:
        radius = 0.25 * p_norm
    elif ratio > 0.75 and on_boundary:
        radius *= 2.0
    return radius, ratio


def _converged(reduction, cost, p_norm, theta_norm, ratio, ftol, xtol):
    """The status when the step changed C or θ too little to go on, else None."""
    cost_still = reduction < ftol * cost and ratio > 0.25
    step_small = p_norm < xtol * (xtol + theta_norm)
    if cost_still and step_small:
        return COST_AND_STEP_STILL
    if cost_still:
        return COST_STILL
    if step_small:
        return STEP_SMALL
    return None
