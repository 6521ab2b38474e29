"""The fully connected sigmoid network of chapters 3 and 4, vectorized over images.

Layers are numbered as in the book: layer 1 is the input, so the hidden layer of the 12-3-2
network is layer 2 and its output layer is layer 3. For every layer l ≥ 2

    z[l] = a[l-1] · W[l]ᵀ + b[l]          (one row per image)
    a[l] = σ(z[l]) = 1 / (1 + exp(-z[l]))

and the cost of one image is C = ½ Σ_j (t_j − a_j)², the total C_T = Σ C over the images.
Sizes come from the parameters: nothing here knows about 12, 3 or 2.
"""

from __future__ import annotations

import numpy as np

from sheetnet.record import field, record


@record(frozen=True)
class Network:
    """Weights W[l] (units of l × units of l-1) and biases b[l] for l = 2 … L."""

    W: dict[int, np.ndarray]
    b: dict[int, np.ndarray]

    @property
    def layers(self) -> list[int]:
        return sorted(self.W)

    @property
    def n_params(self) -> int:
        return sum(self.W[l].size + self.b[l].size for l in self.layers)

    def flat(self) -> np.ndarray:
        """All parameters in one vector: W2, b2, W3, b3, … (row-major)."""
        return np.concatenate([np.r_[self.W[l].ravel(), self.b[l]] for l in self.layers])

    def with_flat(self, theta: np.ndarray) -> "Network":
        """The same shapes, filled from a vector laid out as `flat()`."""
        W, b, i = {}, {}, 0
        for l in self.layers:
            n = self.W[l].size
            W[l] = np.asarray(theta[i : i + n], dtype=float).reshape(self.W[l].shape)
            i += n
            m = self.b[l].size
            b[l] = np.asarray(theta[i : i + m], dtype=float).copy()
            i += m
        return Network(W, b)


def sigmoid(z: np.ndarray) -> np.ndarray:
    # The book's formula, written the same way as in the cells (1/(1+EXP(-z))), so that the two
    # agree to the last bits; exp overflows to inf for z < -709 and σ is then exactly 0.
    with np.errstate(over="ignore", under="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


@record(frozen=True)
class Forward:
    """Every intermediate of one forward pass, one row per image: z[l], a[l] (a[1] = input)."""

    z: dict[int, np.ndarray]
    a: dict[int, np.ndarray]

    @property
    def output(self) -> np.ndarray:
        return self.a[max(self.a)]


def forward(net: Network, x: np.ndarray) -> Forward:
    """x: (images, inputs) → z[l], a[l] for every layer."""
    a = {1: np.asarray(x, dtype=float)}
    z: dict[int, np.ndarray] = {}
    for l in net.layers:
        z[l] = a[l - 1] @ net.W[l].T + net.b[l]
        a[l] = sigmoid(z[l])
    return Forward(z, a)


def cost(a_out: np.ndarray, t: np.ndarray) -> np.ndarray:
    """C per image: ½ Σ_j (t_j − a_j)²."""
    return 0.5 * np.sum((t - a_out) ** 2, axis=1)


def predict(a_out: np.ndarray) -> np.ndarray:
    """Index of the largest output; on a tie the first wins (the book's IF(a1>=a2,0,1))."""
    return np.argmax(a_out, axis=1)


@record(frozen=True)
class Evaluation:
    """The forward pass plus everything the learning sheet shows about it."""

    forward: Forward
    t: np.ndarray  # teacher values, (images, outputs)
    C: np.ndarray  # cost per image
    C_T: float
    predicted: np.ndarray  # index of the predicted class per image
    right: np.ndarray  # bool per image
    accuracy: float


def evaluate(net: Network, x: np.ndarray, t: np.ndarray) -> Evaluation:
    fw = forward(net, x)
    C = cost(fw.output, t)
    predicted = predict(fw.output)
    right = predicted == np.argmax(t, axis=1)
    return Evaluation(fw, t, C, float(np.sum(C)), predicted, right, float(np.mean(right)))


@record(frozen=True)
class Gradients:
    """δ[l] per image and the gradients of C_T (summed over images) for every parameter."""

    delta: dict[int, np.ndarray]
    dW: dict[int, np.ndarray]
    db: dict[int, np.ndarray]
    per_image_dW: dict[int, np.ndarray] = field(repr=False)  # (images, units, inputs): ∂C/∂w per image

    def flat(self) -> np.ndarray:
        """In the order of Network.flat()."""
        return np.concatenate([np.r_[self.dW[l].ravel(), self.db[l]] for l in sorted(self.dW)])


def backprop(net: Network, fw: Forward, t: np.ndarray) -> Gradients:
    """Chapter 4: δL = (a − t)·a(1−a); δl = (W[l+1]ᵀ δ[l+1])·a(1−a); ∂C/∂w = δ·(input of w)."""
    L = max(net.layers)
    delta = {L: (fw.a[L] - t) * fw.a[L] * (1 - fw.a[L])}
    for l in reversed(net.layers[:-1]):
        delta[l] = (delta[l + 1] @ net.W[l + 1]) * fw.a[l] * (1 - fw.a[l])
    per_image = {l: delta[l][:, :, None] * fw.a[l - 1][:, None, :] for l in net.layers}
    dW = {l: per_image[l].sum(axis=0) for l in net.layers}
    db = {l: delta[l].sum(axis=0) for l in net.layers}
    return Gradients(delta, dW, db, per_image)
