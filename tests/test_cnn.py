"""The chapter-5 CNN: the book's figures, gradients against finite differences, training, data."""

import numpy as np
import pytest

from sheetnet.data.chapter5 import PARAM_SETS, chapter5_eta, chapter5_images, chapter5_params, cnn_from_book
from sheetnet.engine.cnn import CNN, backprop, evaluate, forward, max_pool, teacher
from sheetnet.engine.cnn_training import (
    CNN_GD_ETA,
    CNN_GD_ITERATIONS,
    CNN_SOLVE_TARGET,
    gradient_descent,
    output_jacobian,
    residuals,
    solve,
)


@pytest.fixture(scope="module")
def problem():
    images, digits = chapter5_images()
    return images, teacher(digits)


@pytest.fixture(scope="module")
def initial():
    return chapter5_params("initial")


def numeric_gradient(f, theta, h=1e-6):
    """Central differences of f (scalar or vector valued) at theta, one column per parameter."""
    cols = []
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        cols.append((np.asarray(f(up)) - np.asarray(f(down))) / (2 * h))
    return np.stack(cols, axis=-1)


# book-values.json, cnn_initial_expected
def test_book_initial_values_give_the_books_figures(problem, initial):
    x, t = problem
    ev = evaluate(initial, x, t)
    fw = ev.forward
    assert fw.zF.shape == fw.aF.shape == (96, 3, 4, 4) and fw.pooled.shape == (96, 3, 2, 2)
    np.testing.assert_allclose(fw.pooled[0], [[[0.033, 0.013], [0.033, 0.013]],
                                              [[0.04, 0.085], [0.04, 0.085]],
                                              [[0.149, 0.043], [0.149, 0.043]]], atol=5e-4)
    np.testing.assert_allclose(fw.a_out[0], [0.786, 0.109, 0.137], atol=5e-4)
    assert ev.C[0] == pytest.approx(0.03818, abs=5e-6)
    assert ev.C_T == pytest.approx(12.5445, abs=5e-5)
    assert int(ev.right.sum()) == 91 and ev.accuracy == pytest.approx(91 / 96)
    assert ev.predicted_digit[0] == 1


def test_convolution_and_pooling_follow_the_definitions(problem, initial):
    # image 5, filter 2, map position (1, 2) and pooled position (0, 1), written out by hand
    x, _ = problem
    fw = forward(initial, x)
    zF = np.sum(initial.filters[2] * x[5, 1:4, 2:5]) + initial.filter_b[2]
    assert fw.zF[5, 2, 1, 2] == pytest.approx(zF, rel=1e-14)
    assert fw.aF[5, 2, 1, 2] == pytest.approx(1 / (1 + np.exp(-zF)), rel=1e-14)
    assert fw.pooled[5, 2, 0, 1] == fw.aF[5, 2, 0:2, 2:4].max()
    pooled = fw.pooled[5].ravel()
    assert fw.z_out[5, 1] == pytest.approx(initial.output_w[1].ravel() @ pooled + initial.output_b[1], rel=1e-14)


def test_pooling_remembers_the_first_maximum_in_row_major_order():
    aF = np.array([[[[0.1, 0.7, 0.3, 0.3],
                     [0.7, 0.2, 0.3, 0.3],
                     [0.0, 0.0, 0.5, 0.1],
                     [0.0, 0.4, 0.2, 0.9]]]])
    pooled, argmax = max_pool(aF)
    assert pooled.tolist() == [[[[0.7, 0.3], [0.4, 0.9]]]]
    assert argmax.tolist() == [[[[1, 0], [3, 3]]]]


def test_the_max_mask_marks_one_position_per_window(problem, initial):
    x, _ = problem
    fw = forward(initial, x)
    mask = fw.max_mask
    def per_window(a):  # (96, 3, 4, 4) → summed over each 2×2 pooling window → (96, 3, 2, 2)
        return a.reshape(96, 3, 2, 2, 2, 2).sum(axis=(3, 5))

    assert (per_window(mask) == 1).all()
    np.testing.assert_array_equal(per_window(np.where(mask, fw.aF, 0.0)), fw.pooled)


def test_images_are_independent_of_each_other(problem, initial):
    x, t = problem
    whole = evaluate(initial, x, t)
    for n in (0, 40, 95):
        one = evaluate(initial, x[n : n + 1], t[n : n + 1])
        assert one.C[0] == pytest.approx(whole.C[n], rel=1e-13)  # BLAS may round by batch size
        np.testing.assert_array_equal(one.forward.pooled[0], whole.forward.pooled[n])


def test_flat_has_69_parameters_in_the_documented_order(initial):
    theta = initial.flat()
    assert theta.size == initial.n_params == 69
    np.testing.assert_array_equal(theta[:27], initial.filters.ravel())
    np.testing.assert_array_equal(theta[27:30], initial.filter_b)
    np.testing.assert_array_equal(theta[30:66], initial.output_w.ravel())
    np.testing.assert_array_equal(theta[66:], initial.output_b)
    np.testing.assert_array_equal(initial.with_flat(theta).flat(), theta)
    with pytest.raises(ValueError):
        initial.with_flat(theta[:-1])


def test_backprop_gradients_match_finite_differences(problem, initial):
    # the data has 163 pooling windows whose maximum is tied (identical 3×3 pixels): sending the
    # error to every tied position instead of the first would be off by up to 0.25 here
    x, t = problem
    g = backprop(initial, forward(initial, x), t)
    numeric = numeric_gradient(lambda th: evaluate(initial.with_flat(th), x, t).C_T, initial.flat())
    assert g.flat().size == 69
    np.testing.assert_allclose(g.flat(), numeric, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(g.per_image_flat().sum(axis=0), g.flat(), rtol=1e-12, atol=1e-15)


def test_jacobian_matches_finite_differences(problem, initial):
    x, t = problem
    J = output_jacobian(initial, x)
    numeric = numeric_gradient(lambda th: residuals(initial.with_flat(th), x, t), initial.flat())
    assert J.shape == (96 * 3, 69)
    np.testing.assert_allclose(J, numeric, rtol=1e-5, atol=1e-9)
    # ∇C_T = Jᵀ r is the backpropagation gradient
    grad = backprop(initial, forward(initial, x), t).flat()
    np.testing.assert_allclose(J.T @ residuals(initial, x, t), grad, rtol=1e-12, atol=1e-14)


# issue 6: either method takes cnn_initial (C_T = 12.5445) to 96/96 and below a hundredth of its C_T
@pytest.fixture(scope="module")
def C0(problem, initial):
    x, t = problem
    return evaluate(initial, x, t).C_T


@pytest.fixture(scope="module")
def gd(problem, initial):
    x, t = problem
    return gradient_descent(initial, x, t)  # the defaults: the book's η, CNN_GD_ITERATIONS updates


@pytest.fixture(scope="module")
def solved(problem, initial):
    x, t = problem
    return solve(initial, x, t)  # the default: stop at C_T ≤ CNN_SOLVE_TARGET


def test_gradient_descent_with_its_defaults_reaches_the_target(problem, initial, C0, gd):
    x, t = problem
    assert gd.eta == CNN_GD_ETA == chapter5_eta() and gd.iterations == CNN_GD_ITERATIONS
    assert gd.C_T_history[0] == C0
    # η = 0.2 overshoots for the first few updates, then C_T falls steadily
    assert all(a > b for a, b in zip(gd.C_T_history[4:], gd.C_T_history[5:]))
    ev = evaluate(gd.net, x, t)
    assert gd.final_C_T == ev.C_T < C0 / 100 and gd.final_correct == int(ev.right.sum()) == 96
    assert np.abs(gd.net.flat()).max() < 10


def test_gradient_descent_is_deterministic_and_calls_back_once_per_update(problem, initial, gd):
    x, t = problem
    seen = []
    again = gradient_descent(initial, x, t, callback=lambda k, c: seen.append((k, c)))
    np.testing.assert_array_equal(again.net.flat(), gd.net.flat())
    assert again.C_T_history == gd.C_T_history and again.correct_history == gd.correct_history
    assert seen == list(zip(range(1, CNN_GD_ITERATIONS + 1), gd.C_T_history))


def test_gradient_descent_stops_before_the_first_update_that_starts_at_the_target(problem, initial, C0, gd):
    x, t = problem
    seen = []
    run = gradient_descent(initial, x, t, iterations=1000, target=C0 / 100, callback=lambda k, c: seen.append(k))
    assert run.iterations == len(run.C_T_history) == len(seen) < CNN_GD_ITERATIONS
    assert min(run.C_T_history) > C0 / 100 >= run.final_C_T and run.final_correct == 96
    # the same updates as without a target, just fewer of them
    assert run.C_T_history == gd.C_T_history[: run.iterations]
    np.testing.assert_array_equal(run.net.flat(), gradient_descent(initial, x, t, iterations=run.iterations).net.flat())
    # a start that already meets the target comes back unchanged
    same = gradient_descent(run.net, x, t, target=C0 / 100)
    assert same.iterations == 0 and same.C_T_history == [] and same.final_C_T == run.final_C_T
    np.testing.assert_array_equal(same.net.flat(), run.net.flat())


def test_solve_with_its_defaults_stops_at_the_target_with_moderate_weights(problem, C0, solved):
    x, t = problem
    assert "target" in solved.stopped_because and CNN_SOLVE_TARGET < C0 / 100
    assert solved.C_T_history[0] == C0 and solved.C_T_history[-2] > CNN_SOLVE_TARGET
    ev = evaluate(solved.net, x, t)
    assert solved.final_C_T == ev.C_T <= CNN_SOLVE_TARGET and solved.final_correct == int(ev.right.sum()) == 96
    assert isinstance(solved.net, CNN) and solved.iterations <= 10
    assert np.abs(solved.net.flat()).max() < 10


def test_solve_without_a_target_saturates_the_sigmoids(problem, initial, solved):
    # why the default stops at a target: left alone, C_T → 0 by ever larger weights
    x, t = problem
    run = solve(initial, x, t, target=None)
    assert run.final_C_T < solved.final_C_T / 1000 and run.final_correct == 96
    assert np.abs(run.net.flat()).max() > 50


def test_solve_is_deterministic(problem, initial, solved):
    x, t = problem
    again = solve(initial, x, t)
    np.testing.assert_array_equal(again.net.flat(), solved.net.flat())
    assert again.C_T_history == solved.C_T_history
    assert (again.iterations, again.nfev, again.njev) == (solved.iterations, solved.nfev, solved.njev)


def test_the_trained_set_is_all_right_with_a_hundredth_of_the_initial_C_T(problem, C0):
    x, t = problem
    assert PARAM_SETS == ("initial", "trained")
    trained = chapter5_params("trained")
    ev = evaluate(trained, x, t)
    assert ev.right.all() and ev.C_T <= CNN_SOLVE_TARGET < C0 / 100
    assert np.abs(trained.flat()).max() < 10


def test_the_embedded_trained_set_is_what_the_solver_reaches(solved):
    from sheetnet.data.cnn_trained import book_form, solve_from_initial

    stored = chapter5_params("trained").flat()
    np.testing.assert_allclose(solve_from_initial().flat(), stored, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(solved.net.flat(), stored, rtol=1e-6, atol=1e-6)
    # book_form is the inverse of chapter5.json's reading
    np.testing.assert_array_equal(cnn_from_book(book_form(solved.net)).flat(), solved.net.flat())


def test_unknown_parameter_set_is_refused():
    with pytest.raises(KeyError):
        chapter5_params("solver")


def test_embedded_data_equals_appendix_b(book_dir):
    import openpyxl

    images, digits = chapter5_images()
    assert images.shape == (96, 6, 6) and digits.tolist() == [1] * 32 + [2] * 32 + [3] * 32
    ws = openpyxl.load_workbook(book_dir / "appendix-b.xlsx", read_only=True)["Data"]
    rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=11, min_col=1, max_col=12 + 6 * 96, values_only=True)]
    for n in range(96):
        c = 11 + 6 * n  # column L is index 11; image n+1 owns 6 columns from there
        pixels = [row[c : c + 6] for row in rows[2:8]]  # rows 3–8
        assert pixels == images[n].astype(int).tolist(), f"image {n + 1}"
        assert [rows[r][c] for r in (8, 9, 10)] == teacher(digits[n : n + 1])[0].astype(int).tolist()
    assert all(v is None for row in rows for v in row[11 + 6 * 96 :])  # nothing after image 96
