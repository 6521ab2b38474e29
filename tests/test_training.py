"""Training: the book's gradient descent (chapter 4) and the Solver-like optimizer (chapter 3)."""

import numpy as np
import pytest

from sheetnet.data import chapter3_images, chapter3_params
from sheetnet.engine.network import evaluate
from sheetnet.engine.training import (
    BOOK_SOLVER_C_T,
    gradient_descent,
    output_jacobian,
    residuals,
    solve,
)


@pytest.fixture(scope="module")
def problem():
    images, digits = chapter3_images()
    t = (digits[:, None] == np.array([0, 1])[None, :]).astype(float)
    return images.reshape(64, 12), t


@pytest.fixture(scope="module")
def gd(problem):
    x, t = problem
    return gradient_descent(chapter3_params("backprop_initial"), x, t, eta=0.2, iterations=50)


# book-values.json, backprop_expected: C_T before the k-th update and the right answers then
@pytest.mark.parametrize("k, C_T, right", [(1, 20.3121, 33), (2, 14.4899, 46), (10, 2.5007, 62), (50, 0.2449, 64)])
def test_gradient_descent_reproduces_the_backprop_figures(gd, k, C_T, right):
    assert gd.C_T_history[k - 1] == pytest.approx(C_T, abs=5e-5)
    assert gd.correct_history[k - 1] == right


def test_gradient_descent_bookkeeping(problem, gd):
    x, t = problem
    assert gd.iterations == 50 and len(gd.C_T_history) == len(gd.correct_history) == 50
    assert gd.C_T_history[0] == evaluate(chapter3_params("backprop_initial"), x, t).C_T
    ev = evaluate(gd.net, x, t)
    assert gd.final_C_T == ev.C_T < gd.C_T_history[-1]
    assert gd.final_correct == int(ev.right.sum()) == 64
    assert gd.elapsed >= 0


def test_gradient_descent_is_deterministic_and_calls_back_once_per_iteration(problem, gd):
    x, t = problem
    seen = []
    again = gradient_descent(chapter3_params("backprop_initial"), x, t, eta=0.2, iterations=50,
                             callback=lambda k, c: seen.append((k, c)))
    np.testing.assert_array_equal(again.net.flat(), gd.net.flat())
    assert again.C_T_history == gd.C_T_history
    assert seen == list(zip(range(1, 51), gd.C_T_history))


@pytest.mark.parametrize("name", ["initial", "book"])
def test_jacobian_matches_finite_differences(problem, name):
    x, t = problem
    net = chapter3_params(name)
    J = output_jacobian(net, x)
    theta, h = net.flat(), 1e-6
    numeric = np.empty_like(J)
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric[:, i] = (residuals(net.with_flat(up), x, t) - residuals(net.with_flat(down), x, t)) / (2 * h)
    assert J.shape == (64 * 2, 47)
    np.testing.assert_allclose(J, numeric, rtol=1e-5, atol=1e-9)


def test_jacobian_gives_the_backprop_gradient(problem):
    # ∇C_T = Jᵀ r must equal the chapter-4 gradient summed over the images
    from sheetnet.engine.network import backprop, forward

    x, t = problem
    net = chapter3_params("initial")
    grad = output_jacobian(net, x).T @ residuals(net, x, t)
    np.testing.assert_allclose(grad, backprop(net, forward(net, x), t).flat(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("target", [None, BOOK_SOLVER_C_T])
def test_solve_reaches_excels_solver_result_from_the_book_start(problem, target):
    x, t = problem
    seen = []
    res = solve(chapter3_params("initial"), x, t, target=target, callback=lambda k, c: seen.append((k, c)))
    ev = evaluate(res.net, x, t)
    assert res.final_C_T == ev.C_T <= BOOK_SOLVER_C_T
    assert res.final_correct == 64 and ev.right.all()
    assert res.C_T_history[0] == pytest.approx(18.347, abs=5e-4)
    assert res.C_T_history[-1] == res.final_C_T
    assert len(res.C_T_history) == res.iterations + 1 == len(seen) + 1
    assert [k for k, _ in seen] == list(range(1, res.iterations + 1))
    assert res.iterations <= 30 and res.nfev <= 40
    assert np.abs(res.net.flat()).max() < 50  # stopped, not run away to huge weights
    expected = "target" if target is not None else "gtol"
    assert expected in res.stopped_because


def test_solve_is_deterministic(problem):
    x, t = problem
    a = solve(chapter3_params("initial"), x, t)
    b = solve(chapter3_params("initial"), x, t)
    np.testing.assert_array_equal(a.net.flat(), b.net.flat())
    assert a.C_T_history == b.C_T_history
    assert (a.iterations, a.nfev, a.njev, a.stopped_because) == (b.iterations, b.nfev, b.njev, b.stopped_because)


def test_solve_from_the_solved_parameters_does_not_make_things_worse(problem):
    x, t = problem
    book = chapter3_params("book")
    start = evaluate(book, x, t).C_T
    res = solve(book, x, t)
    assert res.final_C_T <= start and res.final_correct == 64
    assert all(b <= a for a, b in zip(res.C_T_history, res.C_T_history[1:]))
    # a start that already meets the target comes back unchanged
    same = solve(book, x, t, target=start)
    assert same.iterations == 0 and "already" in same.stopped_because
    np.testing.assert_array_equal(same.net.flat(), book.flat())
    assert same.final_C_T == start


def test_solve_respects_max_iterations(problem):
    x, t = problem
    res = solve(chapter3_params("initial"), x, t, max_iterations=3)
    assert res.iterations == 3 and "max_iterations" in res.stopped_because
    assert res.final_C_T < res.C_T_history[0]
