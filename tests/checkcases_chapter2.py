"""The mistake suites of `sheetnet check` on the chapter-2 workbooks (回归分析, 梯度下降法).

As checkcases_backprop.py: each case types one mistaken formula where the student starts — student 1's
column of the regression, step 1's row of the descent — and fills it the way the student does (across
the seven students, down every step: Excel's relative shift), and says which cells must come out as
root causes with which diagnosis; nothing else may, and the copies are one root cause. LibreOffice
calculates each copy, as the student's spreadsheet would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import checkmut
from checkmut import fill_across
from sheetnet.layout.descent import DESCENT
from sheetnet.layout.regression import REGRESSION
from sheetnet.xlsx.refs import cell_name, parse_cell

STUDENTS = 7
STEPS = 8  # rows of the descent: enough for a mistake to spoil many rows after it


def regression_cell(name: str, student: int = 1) -> str:
    cells = checkmut.cells_of(name, STUDENTS, REGRESSION).reshape(-1)
    return cells[student - 1] if REGRESSION[name].per_image else cells[0]


def descent_cell(name: str, step: int = 1) -> str:
    cells = checkmut.cells_of(name, 1, DESCENT, STEPS).reshape(-1)
    return cells[step - 1] if DESCENT[name].per_iteration else cells[0]


def absolute(cell: str) -> str:
    """'C5' → '$C$5'."""
    return cell_name(*parse_cell(cell), True)


def across(formula: str, name: str) -> dict[str, str]:
    """Student 1's formula filled across the seven students."""
    return fill_across(formula, regression_cell(name), [regression_cell(name, s) for s in range(1, STUDENTS + 1)])


def down(formula: str, name: str) -> dict[str, str]:
    """Step 1's formula filled down every step."""
    return fill_across(formula, descent_cell(name), [descent_cell(name, k) for k in range(1, STEPS + 1)])


@dataclass(frozen=True)
class Case:
    name: str
    edits: dict  # cell → new formula
    code: str

    @property
    def roots(self) -> dict[str, str]:
        return {cell: self.code for cell in self.edits}


def _regression_cases() -> list[Case]:
    p, q = regression_cell("p"), regression_cell("q")  # C5, C6: typed as the student types them, no $
    x, y, pred, e = (regression_cell(n) for n in ("x", "y", "prediction", "e"))
    abs_p, abs_q = absolute(p), absolute(q)
    first, sixth = regression_cell("e"), regression_cell("e", STUDENTS - 1)
    return [
        Case("e without ½", across(f"=({y}-{pred})^2", "e"), "cost_without_half"),
        Case("e without the square", across(f"=({y}-{pred})/2", "e"), "cost_without_square"),
        Case("e as the absolute difference", across(f"=ABS({pred}-{y})/2", "e"), "cost_without_square"),
        Case("the prediction with a relative p", across(f"={p}*{x}+{abs_q}", "prediction"), "relative_reference"),
        Case("the prediction with a relative q", across(f"={abs_p}*{x}+{q}", "prediction"), "relative_reference"),
        Case("the prediction with p and q relative", across(f"={p}*{x}+{q}", "prediction"), "relative_reference"),
        Case("E over six students", {regression_cell("E"): f"=SUM({first}:{sixth})"}, "range_too_short"),
    ]


def _descent_cases() -> list[Case]:
    x, y, gx, gy, dx = (descent_cell(n) for n in ("x", "y", "dz_dx", "dz_dy", "dx"))
    eta = absolute(descent_cell("eta"))  # $F$5
    return [
        Case("∂z/∂x without its factor 2", down(f"={x}", "dz_dx"), "missing_factor"),
        Case("∂z/∂y without its factor 2", down(f"={y}", "dz_dy"), "missing_factor"),
        Case("Δx uphill: +η·∂z/∂x", down(f"={eta}*{gx}", "dx"), "update_sign"),
        Case("Δy with η twice", down(f"=-{eta}*{eta}*{gy}", "dy"), "eta_twice"),
        Case("Δx with 2η", down(f"=-2*{eta}*{gx}", "dx"), "eta_twice"),
        Case("the next x subtracts Δx", down(f"={x}-{dx}", "x_next"), "update_sign"),
        Case("Δx with a relative η", down(f"=-{descent_cell('eta')}*{gx}", "dx"), "relative_reference"),
    ]


REGRESSION_CASES = _regression_cases()
DESCENT_CASES = _descent_cases()

_built: dict[str, dict[str, Path]] = {}


def build(out: Path) -> dict[str, dict[str, Path]]:
    """Both suites' workbooks ('regression' / 'descent' → name → path), LibreOffice-calculated; once per session."""
    if _built:
        return _built
    from sheetnet.mirror.descent import write_descent_workbook
    from sheetnet.mirror.regression import regression_params, write_regression_workbook

    for kind, write, cases, sheet in (
            ("regression", lambda p: write_regression_workbook(p, regression_params("trained")), REGRESSION_CASES,
             REGRESSION.sheet("learn").names[0]),
            ("descent", lambda p: write_descent_workbook(p, steps=STEPS), DESCENT_CASES, DESCENT.sheet("learn").names[0])):
        folder = out / kind
        folder.mkdir()
        clean = folder / "clean.xlsx"
        write(clean)
        _built[kind] = checkmut.build_suite(clean, cases, checkmut.sheet_part(clean, sheet))
    return _built
