"""compare()'s C-level path for a numeric quantity against its cell-by-cell path (mirror/compare.py)."""

import numpy as np
import pytest

from sheetnet.mirror.compare import Tolerance, _each, _numeric
from sheetnet.xlsx.sheetxml import Cell


def _grid(cells) -> np.ndarray:
    out = np.empty(len(cells), dtype=object)
    out[:] = cells
    return out.reshape(2, -1)


@pytest.mark.parametrize("with_none", [False, True])
def test_the_numeric_path_counts_and_judges_as_cell_by_cell(with_none):
    want = np.array([1.0, 2.0, 3.0, 0.0, 5.0, 6.0, 7.0, 8.0])
    cells = [Cell(1.0, "n", "=A1"), Cell(2.5, "n", "=A2"), Cell(3.0 + 1e-12, "n"), Cell(0.0, "n", "=A4"),
             Cell("x", "s", "=A5"), Cell(None, "", "=A6"), Cell(float("nan"), "n"), Cell(8.0, "n", "=A8")]
    if with_none:
        cells[6] = None
    grid = _grid(cells)
    tol = Tolerance()
    fast, slow = _numeric(grid, want.reshape(2, -1), tol, 0.0, 0.0), _each(grid, want.reshape(2, -1), tol, 0.0, 0.0)
    assert fast[0] == slow[0] and fast[1:3] == pytest.approx(slow[1:3]) and fast[3] == slow[3]
    assert fast[0] == (8, 4, 6, 1) and fast[3] == [(0, 1), (1, 0), (1, 1), (1, 2)]
