"""trust_region.minimize against the algorithm it follows: SciPy's least_squares(method='trf', tr_solver='exact').

SciPy is a test-only dependency (pyproject's `test` extra): sheetnet runs without it. Each case runs both from
the same start with the same tolerances and compares how many iterations and evaluations, why it stopped, the
cost after each iteration and the final parameters. With NumPy 2.4.6 and SciPy 1.17.1 (each with its own
OpenBLAS) every case agrees bit for bit. The tolerance, 1e-9 relative, is for a fresh install whose NumPy and
SciPy round the SVD differently: laying the factors out otherwise alone moved results by up to 1.8e-11 here,
while a changed rule of the algorithm (the boundary test, the radius update) changes the iterations or moves
the results by far more.
"""

import numpy as np
import pytest
from scipy.optimize import least_squares

from sheetnet.data import chapter3_images, chapter3_params
from sheetnet.data.chapter5 import chapter5_images, chapter5_params
from sheetnet.engine import cnn_training, training, trust_region
from sheetnet.engine.cnn import teacher

REL = 1e-9


def chapter3():
    images, digits = chapter3_images()
    return training.FULLY_CONNECTED, images.reshape(64, 12), (digits[:, None] == np.array([0, 1])).astype(float)


def chapter5():
    images, digits = chapter5_images()
    return cnn_training.CNN_MODEL, images, teacher(digits)


def random_start(seed):
    net = chapter3_params("initial")
    return net.with_flat(np.random.default_rng(seed).normal(size=net.flat().size))


def scipy_solve(model, net, x, t, *, target=None, max_iterations=100, gtol=1e-8):
    """What training.solve did with SciPy: (costs after each iteration, θ, why, iterations, nfev, njev)."""
    C0 = model.evaluate(net, x, t).C_T
    if target is not None and C0 <= target:
        return [], net.flat(), training.TARGET_MET_AT_START.format(target=f"{target:.6g}"), 0, 1, 0
    costs, stop = [], []

    def on_iteration(intermediate_result):
        k, cost = int(intermediate_result.nit), float(intermediate_result.cost)
        costs.append(cost)
        if target is not None and cost <= target:
            stop.append(training.TARGET_REACHED.format(target=f"{target:.6g}"))
        elif k >= max_iterations:
            stop.append(training.ITERATIONS_REACHED.format(n=max_iterations))
        if stop:
            raise StopIteration

    res = least_squares(lambda th: model.residuals(net.with_flat(th), x, t), net.flat(),
                        jac=lambda th: model.output_jacobian(net.with_flat(th), x), method="trf", tr_solver="exact",
                        ftol=1e-8, xtol=1e-8, gtol=gtol, max_nfev=10 * max_iterations + 10, callback=on_iteration)
    why = stop[0] if res.status == -2 else training._STATUS[res.status]
    return costs, res.x, why, len(costs), res.nfev, res.njev


def assert_close(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape
    assert np.linalg.norm(ours - theirs) <= REL * np.linalg.norm(theirs), (ours, theirs)


BOOK_PROBLEMS = {  # name: (problem, start, solve's options, how it stops)
    # fully connected, from the book's start: to the gradient test, to Solver's C_T, cut at 3 iterations
    "book start, gtol": (chapter3, lambda: chapter3_params("initial"), {}, "gradient"),
    "book start, Solver's C_T": (chapter3, lambda: chapter3_params("initial"), {"target": training.BOOK_SOLVER_C_T},
                                 "target"),
    "book start, 3 iterations": (chapter3, lambda: chapter3_params("initial"), {"max_iterations": 3}, "max_iterations"),
    "book start, gtol 1e-3": (chapter3, lambda: chapter3_params("initial"), {"gtol": 1e-3}, "gradient"),
    "Solver's parameters, gtol": (chapter3, lambda: chapter3_params("book"), {}, "gradient"),
    "Solver's parameters, meeting the target": (chapter3, lambda: chapter3_params("book"), {"target": 1.1e-7},
                                                "target"),
    **{f"random start {seed}": (chapter3, lambda seed=seed: random_start(seed), {}, "gradient") for seed in (1, 2, 3)},
    # the CNN from the book's start, to its default target
    "cnn start, C_T 0.01": (chapter5, lambda: chapter5_params("initial"), {"target": cnn_training.CNN_SOLVE_TARGET},
                            "target"),
    "cnn start, 2 iterations": (chapter5, lambda: chapter5_params("initial"), {"target": None, "max_iterations": 2},
                                "max_iterations"),
}


@pytest.mark.parametrize("case", list(BOOK_PROBLEMS))
def test_solve_takes_scipys_steps_on_the_books_problems(case):
    problem, start, options, how = BOOK_PROBLEMS[case]
    model, x, t = problem()
    net = start()
    ours = training.solve(net, x, t, model=model, **options)
    costs, theta, why, iterations, nfev, njev = scipy_solve(model, net, x, t, **options)
    assert (ours.iterations, ours.nfev, ours.njev, ours.stopped_because) == (iterations, nfev, njev, why)
    assert why.startswith(how)
    # C_T_history: the start, then each iteration's ½‖r‖², the last replaced by the engine's C_T of the result
    assert len(ours.C_T_history) == len(costs) + 1
    assert_close(ours.C_T_history[1:-1], costs[:-1])
    if costs:
        assert ours.C_T_history[-1] == pytest.approx(costs[-1], rel=1e-9)
    assert_close(ours.net.flat(), theta)


def test_the_book_cases_cover_every_way_solve_stops():
    assert {how for *_, how in BOOK_PROBLEMS.values()} == {"target", "max_iterations", "gradient"}
    # the other ways, ftol, xtol and running out of evaluations, do not happen on the book's problems: below


# Beyond the book's problems: the ways to stop and the branches they never take
def _bent(theta):
    a, b = theta
    return np.array([a * a + b - 11, a + b * b - 7, a - b, np.sin(a)])  # no zero residual: ends on ftol


def _bent_jacobian(theta):
    a, b = theta
    return np.array([[2 * a, 1], [1, 2 * b], [1, -1], [np.cos(a), 0]])


def _overflowing(theta):
    with np.errstate(over="ignore", invalid="ignore"):  # 0 · exp(θ₀) is NaN beyond θ₀ ≈ 709.8
        return np.array([theta[0] - 800, 0 * np.exp(theta[0]), theta[1] - 3])


def _overflowing_jacobian(theta):
    return np.array([[1.0, 0], [0, 0], [0, 1]])


def _chapter3_few_images():  # 20 residuals, 47 parameters: J has no full rank, no Gauss–Newton step
    model, x, t = chapter3()
    return (lambda th: model.residuals(chapter3_params("initial").with_flat(th), x[:10], t[:10]),
            lambda th: model.output_jacobian(chapter3_params("initial").with_flat(th), x[:10]))


MORE = {  # name: (residuals and Jacobian, start (None: the book's), options, how it stops)
    "ftol": (lambda: (_bent, _bent_jacobian), [1.0, 1.0], {"gtol": 1e-12}, trust_region.COST_STILL),
    "ftol, far start": (lambda: (_bent, _bent_jacobian), [10.0, -4.0], {"gtol": 1e-12}, trust_region.COST_STILL),
    "xtol after residuals that are not finite": (lambda: (_overflowing, _overflowing_jacobian), [700.0, 1.0], {},
                                                 trust_region.STEP_SMALL),
    "gtol, fewer residuals than parameters": (_chapter3_few_images, None, {}, trust_region.GRADIENT_SMALL),
    "evaluations used": (_chapter3_few_images, None, {"max_evaluations": 3}, trust_region.EVALUATIONS_USED),
}


@pytest.mark.parametrize("case", list(MORE))
def test_minimize_takes_scipys_steps_to_each_way_of_stopping(case):
    make, theta0, options, how = MORE[case]
    fun, jac = make()
    theta0 = np.array(chapter3_params("initial").flat() if theta0 is None else theta0)
    gtol, max_evaluations = options.get("gtol", 1e-8), options.get("max_evaluations", 1000)
    ours_costs, scipy_costs = [], []
    ours = trust_region.minimize(fun, jac, theta0, gtol=gtol, max_evaluations=max_evaluations,
                                 after_iteration=lambda k, cost: ours_costs.append((k, cost)))
    res = least_squares(fun, theta0, jac=jac, method="trf", tr_solver="exact", ftol=1e-8, xtol=1e-8, gtol=gtol,
                        max_nfev=max_evaluations,
                        callback=lambda intermediate_result: scipy_costs.append(
                            (int(intermediate_result.nit), float(intermediate_result.cost))))
    assert ours.status == how
    assert (ours.status, ours.iterations, ours.evaluations, ours.jacobians) == (res.status, len(scipy_costs),
                                                                                 res.nfev, res.njev)
    assert [k for k, _ in ours_costs] == [k for k, _ in scipy_costs] == list(range(1, ours.iterations + 1))
    assert_close([c for _, c in ours_costs], [c for _, c in scipy_costs])
    assert_close(ours.theta, res.x)
    assert ours.cost == pytest.approx(res.cost, rel=REL)


def test_the_extra_cases_cover_every_other_way_minimize_stops():
    assert {how for *_, how in MORE.values()} == {trust_region.COST_STILL, trust_region.STEP_SMALL,
                                                  trust_region.GRADIENT_SMALL, trust_region.EVALUATIONS_USED}


def test_a_caller_stops_it_after_any_iteration():
    fun, jac = _chapter3_few_images()
    seen = []
    stopped = trust_region.minimize(fun, jac, chapter3_params("initial").flat(), max_evaluations=1000,
                                    after_iteration=lambda k, cost: seen.append(cost) or k == 2)
    assert stopped.status == trust_region.STOPPED_BY_CALLER and stopped.iterations == 2 and len(seen) == 2
    assert stopped.cost == seen[-1] == 0.5 * np.dot(fun(stopped.theta), fun(stopped.theta))


def test_a_start_whose_residuals_are_not_finite_is_refused_as_scipy_refuses_it():
    with pytest.raises(ValueError, match="not finite"):
        least_squares(_overflowing, np.array([800.0, 1.0]), jac=_overflowing_jacobian, method="trf")
    with pytest.raises(ValueError, match="not finite"):
        trust_region.minimize(_overflowing, _overflowing_jacobian, np.array([800.0, 1.0]), max_evaluations=10)
