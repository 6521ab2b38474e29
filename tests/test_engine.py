"""The engine against the book's figures and against finite differences."""

import numpy as np
import pytest

from sheetnet.data import chapter3_images, chapter3_params
from sheetnet.engine.network import Network, backprop, evaluate, forward, sigmoid


def teacher(digits, labels=(0, 1)):
    return (digits[:, None] == np.array(labels)[None, :]).astype(float)


@pytest.fixture(scope="module")
def problem():
    images, digits = chapter3_images()
    return images.reshape(len(images), -1), teacher(digits)


def test_book_initial_values_give_the_books_figures(problem):
    x, t = problem
    ev = evaluate(chapter3_params("initial"), x, t)
    assert ev.C[0] == pytest.approx(0.046171, abs=5e-7)
    assert ev.forward.a[3][0] == pytest.approx([0.747, 0.1684], abs=5e-4)
    assert ev.C_T == pytest.approx(18.347, abs=5e-4)
    assert int(ev.right.sum()) == 42


def test_solver_result_gives_the_books_cost(problem):
    x, t = problem
    ev = evaluate(chapter3_params("book"), x, t)
    assert ev.C_T == pytest.approx(1.0452109503695352e-07, rel=1e-11)
    assert ev.right.all()


def test_sigmoid_saturates_without_warnings():
    with np.errstate(all="raise"):
        assert sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]


def test_layer_sizes_come_from_the_parameters():
    rng = np.random.default_rng(0)
    net = Network(W={2: rng.normal(size=(5, 7)), 3: rng.normal(size=(4, 5)), 4: rng.normal(size=(3, 4))},
                  b={2: rng.normal(size=5), 3: rng.normal(size=4), 4: rng.normal(size=3)})
    fw = forward(net, rng.normal(size=(11, 7)))
    assert [fw.a[l].shape for l in (1, 2, 3, 4)] == [(11, 7), (11, 5), (11, 4), (11, 3)]


@pytest.mark.parametrize("name", ["initial", "backprop_initial"])
def test_backprop_gradients_match_finite_differences(problem, name):
    x, t = problem
    net = chapter3_params(name)
    grads = backprop(net, forward(net, x), t).flat()
    theta, h = net.flat(), 1e-6
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (evaluate(net.with_flat(up), x, t).C_T - evaluate(net.with_flat(down), x, t).C_T) / (2 * h)
    assert theta.size == 47
    np.testing.assert_allclose(grads, numeric, rtol=1e-5, atol=1e-8)


def test_per_image_gradients_sum_to_the_total(problem):
    x, t = problem
    net = chapter3_params("initial")
    g = backprop(net, forward(net, x), t)
    for l in (2, 3):
        np.testing.assert_allclose(g.per_image_dW[l].sum(axis=0), g.dW[l])
        assert g.delta[l].shape == (64, net.b[l].size)
