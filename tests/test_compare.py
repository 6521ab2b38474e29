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


@pytest.mark.parametrize("with_none", [False, True])
def test_the_reader_columns_count_and_judge_as_the_cells(tmp_path, with_none):
    # Loaded.arrays: a quantity's cells from its sheet's columns as the reader kept them (numbers, texts,
    # booleans, errors, formulas without a saved value, no cell at all) — the counts, maxima and verdicts
    # of the cells' own fields
    from minixlsx import write_xlsx
    from sheetnet.mirror.load import Loaded
    from sheetnet.xlsx.reader import WorkbookCells
    from sheetnet.xlsx.sheetxml import cell_index, value_columns

    forms = ['<c r="{a}"><f>B1</f><v>{v}</v></c>', '<c r="{a}"><v>{v}</v></c>', '<c r="{a}"><f>B1</f></c>',
             '<c r="{a}" t="s"><v>0</v></c>', '<c r="{a}" t="b"><f>TRUE</f><v>1</v></c>',
             '<c r="{a}" t="e"><f>1/0</f><v>#DIV/0!</v></c>', '<c r="{a}"><f>B1</f><v>{w}</v></c>']
    rows = "".join(f'<row r="{r}">' + "".join(forms[(r * 3 + c + 4) % len(forms)].format(a=f"{'ABCDEF'[c]}{r}", v=r + c, w=-r)
                                              for c in range(6) if not (with_none and (r + c) % 5 == 0)) + "</row>"
                   for r in range(1, 31))
    with WorkbookCells(write_xlsx(tmp_path / "c.xlsx", {"S": rows}, ["t"])) as wb:
        sheet = wb.sheet("S")
    index = cell_index(sheet)
    keys = (np.arange(1, 31)[:, None] * (1 << 15) + np.arange(1, 7)[None, :])
    at = np.searchsorted(index[0], keys)
    at = np.where(index[0][np.minimum(at, len(index[0]) - 1)] == keys, at, -1)
    grid = np.array([[index[1][i] if i >= 0 else None for i in row] for row in at.tolist()], dtype=object)
    assert (grid == None).any() == with_none  # noqa: E711 (element-wise)
    loaded = Loaded(tmp_path, None, {}, 1, {}, {"q": grid}, sources={"q": (value_columns(sheet), at)})
    want = np.array([[-1e6 if c is None else c.value if c.kind == "n" and (i + j) % 2 else -1.0
                      for j, c in enumerate(row)] for i, row in enumerate(grid.tolist())])
    # (half the numbers as cached, the rest not; where no cell is, a value no cell is near: the maxima would say it)
    tol = Tolerance()
    fast, slow = _numeric(grid, want, tol, 0.5, 0.0, loaded.arrays("q")), _numeric(grid, want, tol, 0.5, 0.0)
    assert fast[0] == slow[0] and fast[1:3] == pytest.approx(slow[1:3], nan_ok=True) and fast[3] == slow[3]
    assert slow[0][2] > 0 and slow[0][3] > 0 and 0 < slow[0][1] < 180  # formulas, formulas without a value, both verdicts
    # … and each cell's formula (the checker's texts), None where there is none or no cell
    assert loaded.formula_texts("q").tolist() == [None if c is None else c.formula for c in grid.reshape(-1)]
