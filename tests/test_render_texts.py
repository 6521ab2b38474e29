"""The writer's formula texts (layout.model._render, what formula_texts_at streams a few blocks at a time)
are made family by family: a large family's texts cut from one joined text, a moving corner's letters sliced
from the table of column letters. Whatever the family — a block of one iteration or of several, one image or
many, corners that move forward, stay or move back, rows that change from image to image, a literal '%' —
they must be each cell's template filled in with that cell's corners, as formatting each cell would."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sheetnet.layout.model import _MANY, _render
from sheetnet.xlsx.refs import column_letters


def _random_plan(rng, n_its: int, n_imgs: int, families: int) -> list:
    """Families of one cell each (unit 0, row r, col 0): a text with 1–4 references, each moving by its
    steps or given cell by cell (`every`), and literal text around them (a '%' among it)."""
    plan = []
    for r in range(families):
        fields, text = [], "="
        for _ in range(int(rng.integers(1, 5))):
            single = bool(rng.integers(0, 2))
            step_it = rng.choice([-2, 0, 0, 1, 3], 4) * np.array([1, 1, 1, 1])
            step_img = rng.choice([-1, 0, 0, 1, 2], 4)
            if single:
                step_it[2:], step_img[2:] = step_it[:2], step_img[:2]
            base = rng.integers(400, 600, 4)  # far enough from column A and row 1 to move back
            base[2:] = base[:2] + (0 if single else rng.integers(0, 5, 2))
            every = None
            if rng.integers(0, 4) == 0:  # a reference that does not simply move: every cell's corners
                every = rng.integers(1, 900, (n_its * n_imgs, 4))
                if single:
                    every[:, 2:] = every[:, :2]
            fields.append((single, base, step_it, step_img, every))
            text += rng.choice(["", "SUM(", "-", "100%*"]) + ("{}{}" if single else "{}{}:{}{}") + rng.choice(["", ")", "+1"])
        plan.append(((0, r, 0), text, fields))
    return plan


def _by_each_cell(plan: list, n_its: int, n_imgs: int, lo: int, hi: int) -> np.ndarray:
    """The slow way: each cell's corners worked out, its text formatted."""
    letters = column_letters()
    out = np.empty((hi - lo, n_imgs, 1, len(plan), 1), dtype=object)
    for (unit, r, c), text, fields in plan:
        for i in range(lo, hi):
            for j in range(n_imgs):
                values = []
                for single, base, step_it, step_img, every in fields:
                    corners = (base + i * step_it + j * step_img) if every is None else every[i * n_imgs + j]
                    corners = [int(x) for x in corners]
                    values += [letters[corners[k]] if k % 2 else corners[k] for k in ((1, 0) if single else (1, 0, 3, 2))]
                out[i - lo, j, unit, r, c] = text.format(*values)
    return out


@pytest.mark.parametrize("n_its,n_imgs", [(1, 64), (1, 70), (2, 64), (3, 40), (3, 1), (70, 1), (2, 3)])
def test_a_blocks_texts_are_each_cells_template_filled_in(n_its, n_imgs):
    rng = np.random.default_rng(n_its * 100 + n_imgs)
    plan = _random_plan(rng, n_its, n_imgs, families=12)
    q = SimpleNamespace(place=SimpleNamespace(units=1, shape=(len(plan), 1)))
    blocks = [(lo, lo + 1) for lo in range(n_its)] + [(0, n_its)]  # the writer's blocks, and a region whole
    large = 0
    for lo, hi in blocks:
        got, want = _render(plan, n_its, n_imgs, lo, hi, q), _by_each_cell(plan, n_its, n_imgs, lo, hi)
        assert got.shape == want.shape
        for at in zip(*np.nonzero(got != want)):
            pytest.fail(f"block {lo}–{hi}, cell {at}: {got[at]!r}, formatting it gives {want[at]!r}")
        large += (hi - lo) * n_imgs >= _MANY
    assert large or n_its * n_imgs < _MANY  # (the joined path is taken where a family is large)


def test_a_column_past_the_last_one_is_refused_as_before():
    # a moving corner's letters sliced from the table: a column beyond XFD is no shorter list, but an IndexError
    n_imgs = 64
    plan = [((0, 0, 0), "={}{}", [(True, np.array([1, 16384 - 10] * 2), np.zeros(4, int), np.array([0, 1, 0, 1]), None)])]
    q = SimpleNamespace(place=SimpleNamespace(units=1, shape=(1, 1)))
    with pytest.raises(IndexError):
        _render(plan, 1, n_imgs, 0, 1, q)
