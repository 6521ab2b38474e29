"""The convolutional network of chapter 5, vectorized over images.

For image x (6×6), filter k (3×3, bias b_k) and output unit j, as in the book:

    zF[k,i,j] = Σ_{r,c} filters[k,r,c] · x[i+r, j+c] + filter_b[k]     convolution, stride 1, no padding
    aF[k,i,j] = σ(zF[k,i,j])                                            three 4×4 feature maps
    pooled[k,p,q] = max of aF[k] over the 2×2 window (2p…2p+1, 2q…2q+1)  no activation after pooling
    z_out[j] = Σ_{k,p,q} output_w[j,k,p,q] · pooled[k,p,q] + output_b[j]
    a_out[j] = σ(z_out[j])

teacher one-hot over the digits 1, 2, 3, cost C = ½ Σ_j (t_j − a_out_j)², C_T = Σ C over the images.
Sizes come from the parameters and the images: only the pooling window (2×2) is fixed.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from sheetnet.engine.network import cost, predict, sigmoid
from sheetnet.record import field, record

DIGITS = (1, 2, 3)  # output unit j answers "digit DIGITS[j]"
POOL = 2  # 2×2 non-overlapping max pooling


@record(frozen=True)
class CNN:
    """The 69 parameters, shaped as in the book (and book-values.json)."""

    filters: np.ndarray  # [filter][row][col], (3, 3, 3)
    filter_b: np.ndarray  # [filter], (3,)
    output_w: np.ndarray  # [output unit][filter][pooled row][pooled col], (3, 3, 2, 2)
    output_b: np.ndarray  # [output unit], (3,)

    FIELDS = ("filters", "filter_b", "output_w", "output_b")  # the order of flat()

    @property
    def n_params(self) -> int:
        return sum(getattr(self, name).size for name in self.FIELDS)

    def flat(self) -> np.ndarray:
        """All parameters in one vector, each array row-major, in this order:
        filters (filter, row, col), filter_b, output_w (unit, filter, pooled row, pooled col), output_b
        — the weights then the biases of each layer, as Network.flat()."""
        return np.concatenate([getattr(self, name).ravel() for name in self.FIELDS])

    def with_flat(self, theta: np.ndarray) -> "CNN":
        """The same shapes, filled from a vector laid out as `flat()`."""
        theta = np.asarray(theta, dtype=float)
        if theta.size != self.n_params:
            raise ValueError(f"expected {self.n_params} parameters, got {theta.size}")
        arrays, i = {}, 0
        for name in self.FIELDS:
            shape = getattr(self, name).shape
            n = int(np.prod(shape))
            arrays[name] = theta[i : i + n].reshape(shape).copy()
            i += n
        return CNN(**arrays)


def teacher(digits: np.ndarray) -> np.ndarray:
    """One-hot teacher values (images, 3): t_j = 1 for the image's digit DIGITS[j], else 0."""
    return (np.asarray(digits)[:, None] == np.array(DIGITS)[None, :]).astype(float)


@record(frozen=True)
class CNNForward:
    """Every intermediate of one forward pass; the first axis is the image."""

    x: np.ndarray  # (images, 6, 6)
    windows: np.ndarray = field(repr=False)  # (images, 4, 4, 3, 3): the 3×3 window under zF[·, i, j]
    zF: np.ndarray  # (images, filters, 4, 4)
    aF: np.ndarray  # (images, filters, 4, 4)
    pooled: np.ndarray  # (images, filters, 2, 2)
    argmax: np.ndarray  # (images, filters, 2, 2): where in its 2×2 window the maximum is, 0…3 row-major
    z_out: np.ndarray  # (images, outputs)
    a_out: np.ndarray  # (images, outputs)

    @property
    def max_mask(self) -> np.ndarray:
        """(images, filters, 4, 4) bool: True at the one aF position each pooled value was taken from."""
        n, k, p, q = self.argmax.shape
        onehot = self.argmax[..., None] == np.arange(POOL * POOL)  # (n, k, p, q, window position)
        blocks = onehot.reshape(n, k, p, q, POOL, POOL).transpose(0, 1, 2, 4, 3, 5)
        return blocks.reshape(n, k, p * POOL, q * POOL)

    @property
    def output(self) -> np.ndarray:
        return self.a_out


def convolve(filters: np.ndarray, filter_b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """zF (images, filters, m, m) and the windows (images, m, m, 3, 3) it was computed from."""
    size = filters.shape[1:]
    windows = sliding_window_view(x, size, axis=(1, 2))
    # One term per filter cell, summed in row-major order like SUMPRODUCT: elementwise, so two
    # identical windows give bit-identical zF (a BLAS dot product need not), and pooling's
    # ties are then decided by position alone.
    terms = (filters[None, :, r, c, None, None] * windows[:, None, :, :, r, c]
             for r in range(size[0]) for c in range(size[1]))
    return sum(terms) + filter_b[None, :, None, None], windows


def max_pool(aF: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2×2 non-overlapping max pooling: pooled values and the argmax (0…3, row-major in the window).

    Ties go to the first position in row-major order (np.argmax). Ties are common here: the images
    are 0/1, so two positions of a window often see the same 3×3 pixels and hold the same aF. Such
    twins are the same function of the parameters, so sending the pooled error to the first one
    alone gives the exact gradient; a sheet that routes with IF(aF=MAX(window), …) would send it
    to every twin and double it (it needs "and no earlier position of the window equals the max").
    Excel's MAX itself only gives the value, so a checker compares pooled values, not positions.
    """
    n, k, h, w = aF.shape
    if h % POOL or w % POOL:
        raise ValueError(f"feature maps of {h}×{w} do not split into {POOL}×{POOL} windows")
    blocks = aF.reshape(n, k, h // POOL, POOL, w // POOL, POOL).transpose(0, 1, 2, 4, 3, 5)
    blocks = blocks.reshape(n, k, h // POOL, w // POOL, POOL * POOL)
    argmax = np.argmax(blocks, axis=-1)
    pooled = np.take_along_axis(blocks, argmax[..., None], axis=-1)[..., 0]
    return pooled, argmax


def forward(net: CNN, x: np.ndarray) -> CNNForward:
    """x: (images, 6, 6) → every intermediate of the network."""
    x = np.asarray(x, dtype=float)
    zF, windows = convolve(net.filters, net.filter_b, x)
    aF = sigmoid(zF)
    pooled, argmax = max_pool(aF)
    n_out = net.output_b.size
    if net.output_w.shape[1:] != pooled.shape[1:]:
        raise ValueError(f"output weights {net.output_w.shape} do not fit pooled maps {pooled.shape[1:]}")
    z_out = pooled.reshape(len(x), -1) @ net.output_w.reshape(n_out, -1).T + net.output_b
    return CNNForward(x, windows, zF, aF, pooled, argmax, z_out, sigmoid(z_out))


@record(frozen=True)
class CNNEvaluation:
    """The forward pass plus the per-image cost, C_T and the verdicts."""

    forward: CNNForward
    t: np.ndarray  # (images, 3) teacher values
    C: np.ndarray  # cost per image
    C_T: float
    predicted: np.ndarray  # index of the largest output (0, 1, 2; first on a tie)
    predicted_digit: np.ndarray  # DIGITS[predicted]
    right: np.ndarray  # bool per image
    accuracy: float


def evaluate(net: CNN, x: np.ndarray, t: np.ndarray) -> CNNEvaluation:
    fw = forward(net, x)
    C = cost(fw.a_out, t)
    predicted = predict(fw.a_out)
    right = predicted == np.argmax(t, axis=1)
    return CNNEvaluation(fw, t, C, float(np.sum(C)), predicted, np.array(DIGITS)[predicted], right,
                         float(np.mean(right)))


@record(frozen=True)
class CNNGradients:
    """The errors δ of every layer per image, and ∂C/∂θ per image and summed over the images."""

    delta_out: np.ndarray  # δO (images, outputs) = ∂C/∂z_out
    error_pooled: np.ndarray  # ∂C/∂pooled (images, filters, 2, 2)
    error_aF: np.ndarray  # ∂C/∂aF (images, filters, 4, 4): the pooled error at the maximum, 0 elsewhere
    delta_F: np.ndarray  # δF (images, filters, 4, 4) = ∂C/∂zF
    per_image: CNN = field(repr=False)  # ∂C/∂θ of each image: every array with a leading image axis
    total: CNN  # Σ over the images: ∂C_T/∂θ, shaped like the parameters

    def flat(self) -> np.ndarray:
        """∂C_T/∂θ in the order of CNN.flat()."""
        return self.total.flat()

    def per_image_flat(self) -> np.ndarray:
        """(images, 69): ∂C/∂θ of each image in the order of CNN.flat()."""
        n = len(self.delta_out)
        return np.concatenate([getattr(self.per_image, f).reshape(n, -1) for f in CNN.FIELDS], axis=1)


def backward(net: CNN, fw: CNNForward, error_out: np.ndarray) -> CNNGradients:
    """The chain rule from ∂C/∂a_out (images, outputs) down to every parameter.

    backprop() passes the cost's error a_out − t; other callers (the Jacobian for least squares)
    pass a unit vector per row to get ∂a_out_j/∂θ.
    """
    delta_out = error_out * fw.a_out * (1 - fw.a_out)
    error_pooled = np.einsum("nj,jkpq->nkpq", delta_out, net.output_w)
    # the pooled error goes only to the position that held the maximum
    spread = np.repeat(np.repeat(error_pooled, POOL, axis=2), POOL, axis=3)
    error_aF = np.where(fw.max_mask, spread, 0.0)
    delta_F = error_aF * fw.aF * (1 - fw.aF)
    per_image = CNN(
        filters=np.einsum("nkij,nijrc->nkrc", delta_F, fw.windows),  # Σ δF ⊙ window
        filter_b=delta_F.sum(axis=(2, 3)),  # Σ δF
        output_w=np.einsum("nj,nkpq->njkpq", delta_out, fw.pooled),  # δO · pooled
        output_b=delta_out,  # δO
    )
    total = CNN(**{f: getattr(per_image, f).sum(axis=0) for f in CNN.FIELDS})
    return CNNGradients(delta_out, error_pooled, error_aF, delta_F, per_image, total)


def backprop(net: CNN, fw: CNNForward, t: np.ndarray) -> CNNGradients:
    """Gradients of C (per image) and C_T: δO = (a_out − t)·a_out(1 − a_out), then `backward`."""
    return backward(net, fw, fw.a_out - t)
