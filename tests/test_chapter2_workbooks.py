"""The chapter-2 workbooks (`sheetnet answer/exercise/train --kind regression|descent`): the book's data,
every formula with its cached value, the book's figures, and LibreOffice agreeing with every formula cell."""

import math

import numpy as np
import pytest

from sheetnet.check.checker import check
from sheetnet.check.formulas import BOOK_FUNCTIONS
from sheetnet.cli import main
from sheetnet.data.chapter2 import HEIGHTS, WEIGHTS
from sheetnet.engine import descent, regression
from sheetnet.mirror.recompute import recompute
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name
from written import formula_cells, functions_used

REG, DES = "回归分析", "梯度下降法"
STUDENTS = "CDEFGHI"


def cells(path) -> dict[str, dict]:
    with WorkbookCells(path) as wb:
        return {s: {cell_name(*pos): c for pos, c in wb.sheet(s).items()} for s in wb.sheet_names}


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    out = tmp_path_factory.mktemp("chapter2")
    made = {}
    for name, argv in (("regression", ["answer", "--kind", "regression"]),
                       ("regression-initial", ["answer", "--kind", "regression", "--params", "initial"]),
                       ("regression-exercise", ["exercise", "--kind", "regression"]),
                       ("descent", ["answer", "--kind", "descent"]),
                       ("descent-exercise", ["exercise", "--kind", "descent", "--iterations", "5"])):
        made[name] = out / f"{name}.xlsx"
        assert main([*argv, "-o", str(made[name])]) == 0
    return made


def _filled(at: dict, cell: str) -> bool:
    """A formula or a value in the cell (an exercise's empty cell holds only its style)."""
    c = at.get(cell)
    return c is not None and (c.formula is not None or c.kind != "")


def _libreoffice_agrees(path, recalc) -> int:
    ours, theirs = formula_cells(path), formula_cells(recalc(path))
    assert ours.keys() == theirs.keys()
    for key, cell in ours.items():
        assert cell.kind == "n" and theirs[key].kind == "n", key  # every formula with its cached number
        assert math.isclose(theirs[key].value, cell.value, rel_tol=1e-9, abs_tol=1e-12), (key, cell.formula)
    return len(ours)


# -- the regression ---------------------------------------------------------------------------------
def test_the_regression_sheet_holds_the_books_students_and_formulas(books):
    at = cells(books["regression"])[REG]
    assert [at[f"{c}10"].value for c in STUDENTS] == list(HEIGHTS) and [at[f"{c}11"].value for c in STUDENTS] == list(WEIGHTS)
    assert "J10" not in at and "J11" not in at  # seven students, no more
    assert at["C12"].formula == "=$C$5*C10+$C$6" and at["I12"].formula == "=$C$5*I10+$C$6"
    assert at["C13"].formula == "=(C11-C12)^2/2" and at["C7"].formula == "=SUM(C13:I13)"
    assert at["C9"].value == 1 and at["D9"].formula == "=C9+1"
    assert functions_used(books["regression"]) <= BOOK_FUNCTIONS


def test_the_answer_holds_the_least_squares_line_and_its_E(books):
    at = cells(books["regression"])[REG]
    p, q, E = at["C5"].value, at["C6"].value, at["C7"].value
    assert (f"{p:.6g}", f"{q:.6g}") == ("0.410007", "-12.0574")  # the book prints y = 0.41x − 12.06
    assert E == pytest.approx(27.858996709, rel=1e-10)
    assert E == pytest.approx(sum((y - (p * x + q)) ** 2 / 2 for x, y in zip(HEIGHTS, WEIGHTS)), rel=1e-13)
    initial = cells(books["regression-initial"])[REG]
    assert (initial["C5"].value, initial["C6"].value) == (0, 0)
    assert initial["C7"].value == pytest.approx(sum(y * y for y in WEIGHTS) / 2)  # 9936.025: every e is ½y²


def test_least_squares_is_the_minimum_of_E():
    best = regression.least_squares(HEIGHTS, WEIGHTS)
    E = regression.evaluate(best, HEIGHTS, WEIGHTS).E
    fit = regression.evaluate(best, HEIGHTS, WEIGHTS)
    assert np.allclose(regression.gradient(best, fit, WEIGHTS), 0, atol=1e-8)  # ∂E/∂p = ∂E/∂q = 0
    for dp, dq in ((1e-4, 0), (-1e-4, 0), (0, 1e-2), (0, -1e-2)):
        assert regression.evaluate(regression.Line(best.p + dp, best.q + dq), HEIGHTS, WEIGHTS).E > E


def test_solver_is_set_up_for_p_and_q(books):
    with WorkbookCells(books["regression"]) as wb:
        names = {name: value for name, sheet, value in wb.defined_names if sheet == "0"}
    assert names["solver_opt"] == f"{REG}!$C$7" and names["solver_adj"] == f"{REG}!$C$5:$C$6"
    assert names["solver_typ"] == "2" and names["solver_neg"] == "2"  # minimize, p and q free in sign


def test_libreoffice_agrees_with_every_formula_cell_of_the_regression(books, recalc):
    assert _libreoffice_agrees(books["regression"], recalc) == 7 + 7 + 6 + 1  # prediction, e, numbers 2–7, E
    assert _libreoffice_agrees(books["regression-initial"], recalc) == 21


def test_train_finds_the_least_squares_line_and_writes_p_q_and_E(books, tmp_path, recalc, capsys):
    out = tmp_path / "trained.xlsx"
    assert main(["train", str(books["regression-initial"]), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "E before: 9936.025\n" in printed and "E after:  27.858996709" in printed
    assert "right" not in printed  # a regression counts no answers right or wrong
    at = cells(out)[REG]
    assert (f"{at['C5'].value:.6g}", f"{at['C6'].value:.6g}") == ("0.410007", "-12.0574")
    assert at["C7"].value == pytest.approx(27.858996709, rel=1e-10)
    assert _libreoffice_agrees(out, recalc) == 21
    assert recompute(out).comparison.all_agree


def test_train_by_gradient_descent_fits_the_slope_but_not_the_intercept(books, tmp_path, capsys):
    out = tmp_path / "gd.xlsx"
    assert main(["train", str(books["regression-initial"]), "-o", str(out), "--method", "gd"]) == 0
    assert "gd, 1000 iterations" in capsys.readouterr().out  # the kind's defaults: η 1e-5 × 1000
    at = cells(out)[REG]
    p, q, E = at["C5"].value, at["C6"].value, at["C7"].value
    assert 28.4 < E < 28.5 and 0.33 < p < 0.34 and abs(q) < 0.01  # E 9936 → 28.48; the minimum 27.86 is far along
    assert main(["train", str(books["regression-initial"]), "-o", str(tmp_path / "gd2.xlsx"), "--method", "gd",
                 "--eta", "3e-5", "--iterations", "50"]) == 0  # above 2/Σx²: E grows, as the book warns
    assert float(capsys.readouterr().out.split("E after:")[1].split()[0]) > 9936.025


def test_the_regression_exercise_leaves_the_three_formula_rows_to_the_student(books):
    at = cells(books["regression-exercise"])[REG]
    assert not any(_filled(at, f"{c}{row}") for c in STUDENTS for row in (12, 13)) and not _filled(at, "C7")
    assert (at["C5"].value, at["C6"].value) == (0, 0)
    r = check(books["regression-exercise"])
    assert r.graded == 15 and r.right == 0 and {g.diagnosis.code for g in r.root_causes} == {"empty"}


# -- the descent ------------------------------------------------------------------------------------
def test_the_descent_rows_and_their_formulas(books):
    at = cells(books["descent"])[DES]
    assert (at["C5"].value, at["D5"].value, at["F5"].value) == (3, 2, 0.1)  # typed: the start and η
    assert at["C9"].formula == "=$C$5" and at["D9"].formula == "=$D$5" and at["C10"].formula == "=I9"
    assert at["E9"].formula == "=2*C9" and at["F9"].formula == "=2*D9"
    assert at["G9"].formula == "=-$F$5*E9" and at["H9"].formula == "=-$F$5*F9"
    assert at["I9"].formula == "=C9+G9" and at["J9"].formula == "=D9+H9" and at["K9"].formula == "=C9^2+D9^2"
    assert at["B9"].value == 1 and at["B38"].formula == "=B37+1" and at["B38"].value == 30 and "B39" not in at
    assert functions_used(books["descent"]) == set()  # products, sums and ^ only


def test_each_step_multiplies_the_point_by_0_8(books):
    at = cells(books["descent"])[DES]
    for k in range(1, 31):  # the row of step k: the point after k − 1 steps, and after k in 'the next position'
        row = 8 + k
        assert at[f"C{row}"].value == pytest.approx(3 * 0.8 ** (k - 1), rel=1e-13)
        assert (at[f"I{row}"].value, at[f"J{row}"].value) == pytest.approx((3 * 0.8 ** k, 2 * 0.8 ** k), rel=1e-13)
        assert at[f"K{row}"].value == pytest.approx(13 * 0.64 ** (k - 1), rel=1e-12)
    run = descent.descend(3, 2, 0.1, 30)
    assert run.end == pytest.approx((3 * 0.8 ** 30, 2 * 0.8 ** 30, 13 * 0.64 ** 30), rel=1e-12)


def test_libreoffice_agrees_with_every_formula_cell_of_the_descent(books, recalc):
    assert _libreoffice_agrees(books["descent"], recalc) == 30 * 9 + 29  # nine computed columns; steps 2–30


def test_the_descent_takes_iterations_and_refuses_other_parameters(tmp_path, capsys):
    path = tmp_path / "d.xlsx"
    assert main(["answer", "--kind", "descent", "--iterations", "3", "-o", str(path)]) == 0
    assert "3 steps from (3, 2)" in capsys.readouterr().out
    assert "B11" in cells(path)[DES] and "B12" not in cells(path)[DES]
    for argv in (["--iterations", "0"], ["--params", "book"], ["--iterations", "1001"]):
        assert main(["answer", "--kind", "descent", *argv, "-o", str(tmp_path / "x.xlsx")]) == 2
    assert main(["answer", "--kind", "regression", "--iterations", "3", "-o", str(tmp_path / "x.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "--params book: --kind descent starts from the book's point (3, 2)" in err
    assert "--iterations belongs to --kind backprop, cnn-backprop or descent" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_a_descent_workbook_is_not_trained(books, tmp_path, capsys):
    assert main(["train", str(books["descent"]), "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "is a descent workbook, which sheetnet train does not train" in capsys.readouterr().err


def test_the_descent_exercise_keeps_the_steps_and_empties_the_rest(books):
    at = cells(books["descent-exercise"])[DES]
    assert [at[f"B{9 + k}"].value for k in range(5)] == [1, 2, 3, 4, 5]
    assert not any(_filled(at, f"{c}{9 + k}") for c in "CDEFGHIJK" for k in range(5))
    r = check(books["descent-exercise"])
    assert r.loaded.n_iterations == 5 and r.graded == 45 and r.right == 0


def test_recompute_speaks_of_students_and_steps(books, capsys):
    assert main(["recompute", str(books["regression-exercise"])]) == 1
    out = capsys.readouterr().out
    assert "regression workbook; learn sheet '回归分析'; 7 students" in out and "E = 9936.025" in out
    assert "回归分析!C12 · student 1 · prediction: cached (nothing)" in out
    assert main(["recompute", str(books["descent"])]) == 0
    out = capsys.readouterr().out
    assert "descent workbook; learn sheet '梯度下降法'; 30 steps from (3, 2), η = 0.1" in out
    assert "z = 1.99224420313e-05 (after 30 steps, at (0.00371382, 0.00247588))" in out


def test_the_answers_are_deterministic(books, tmp_path, capsys):
    for name, argv in (("regression", ["--kind", "regression"]), ("descent", ["--kind", "descent"])):
        again = tmp_path / f"{name}.xlsx"
        assert main(["answer", *argv, "-o", str(again)]) == 0
        assert again.read_bytes() == books[name].read_bytes()
    capsys.readouterr()


def test_the_regression_chart_draws_the_fitted_line_over_the_data(books, recalc):
    """Two series on the scatter chart: the students as markers, the prediction p·x + q as a line without
    markers (so the line the sheet's p and q give); LibreOffice keeps both when it saves the workbook."""
    import re
    import zipfile

    for path in (books["regression"], recalc(books["regression"])):
        with zipfile.ZipFile(path) as z:
            chart = z.read("xl/charts/chart1.xml").decode()
        series = re.findall(r"<c:ser>.*?</c:ser>", chart, re.S)
        assert "<c:scatterChart>" in chart and len(series) == 2, path
        data, line = series
        assert "$C$10:$I$10" in data and "$C$11:$I$11" in data  # x against y
        assert "$C$10:$I$10" in line and "$C$12:$I$12" in line  # x against the prediction
        assert re.search(r'<c:symbol val="none"/>', line) and not re.search(r"<a:ln[^>]*>\s*<a:noFill/>", line)
