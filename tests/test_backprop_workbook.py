"""The chapter-4 backpropagation workbook (`sheetnet answer --kind backprop`): one block of formulas
per gradient-descent iteration, cached values from the engine, judged by LibreOffice."""

import json
import math
import re

import numpy as np
import pytest

from sheetnet.cli import main
from sheetnet.data import chapter3_eta, chapter3_images, chapter3_params
from sheetnet.engine.training import gradient_descent
from sheetnet.layout.backprop import ITERATION_ROWS
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name, parse_cell
from written import formula_cells

LEARN, SUMMARY = "误差反向传播", "ＣT的变化"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("backprop") / "backprop.xlsx"
    assert main(["answer", "--kind", "backprop", "-o", str(path)]) == 0  # default: 50 iterations
    return path


@pytest.fixture(scope="module")
def cells(workbook):
    with WorkbookCells(workbook) as wb:
        assert wb.sheet_names == ["Data", LEARN, SUMMARY]
        return {s: {cell_name(*pos): c for pos, c in wb.sheet(s).items()} for s in wb.sheet_names}



def c_t_cell(iteration: int) -> str:
    return f"G{5 + 16 + ITERATION_ROWS * (iteration - 1)}"


def test_cached_C_T_before_updates_1_2_10_50_is_the_books(cells, book_dir):
    expected = json.loads((book_dir / "book-values.json").read_text("utf-8"))["backprop_expected"]["C_T_before_update"]
    assert set(expected) == {"1", "2", "10", "50"}
    for k, value in expected.items():
        learn = cells[LEARN][c_t_cell(int(k))]
        assert learn.formula.startswith("=SUM(") and learn.value == pytest.approx(value, abs=5e-5), k
        summary = cells[SUMMARY][f"C{5 + int(k)}"]
        assert summary.formula == f"={LEARN}!{c_t_cell(int(k))}" and summary.value == learn.value


def test_every_C_T_is_the_engines_gradient_descent(cells):
    images, digits = chapter3_images()
    t = np.stack([digits == 0, digits == 1], axis=1).astype(float)
    gd = gradient_descent(chapter3_params("backprop_initial"), images.reshape(64, -1), t, eta=chapter3_eta(),
                          iterations=50)
    ours = [cells[LEARN][c_t_cell(k)].value for k in range(1, 51)]
    assert ours == pytest.approx(gd.C_T_history, rel=1e-12)
    assert cells[SUMMARY]["C55"].value == ours[-1] and "C56" not in cells[SUMMARY]


def test_the_blocks_formulas(cells):
    at = cells[LEARN]
    assert at["D3"].formula is None and at["D3"].value == chapter3_eta()  # η: one cell, typed
    assert at["D6"].formula is None and at["G18"].formula is None  # iteration 1: typed parameters
    assert at["D72"].formula == "=D6-$D$3*I6" and at["G84"].formula == "=G18-$D$3*L18"  # iteration 2: updated
    assert at["D71"].formula == "=D5+1" and at["D71"].value == 2
    assert at["I6"].formula == "=SUM(P28:JK28)" and at["K18"].formula == "=SUM(P66:JK66)"  # Σ∂C/∂w, like the w
    assert at["L6"].formula == "=SUM(P25:JK25)"  # Σ∂C/∂b = Σδ
    assert at["S12"].formula == "=SUMPRODUCT(P6:R9,$D$6:$F$9)+$G$6"
    assert at["S23"].formula == "=(S20-S10)*S20*(1-S20)"
    assert at["S26"].formula == "=SUMPRODUCT(S23:S24,$E$18:$E$19)*S16*(1-S16)"  # δ2 of unit 2: w3's 2nd column
    assert at["S39"].formula == "=S25*R9" and at["S40"].formula == "=S26*P6"  # ∂C/∂w2 = δ2 · x
    assert at["S69"].formula == "=S24*S17"  # ∂C/∂w3 = δ3 · a2
    assert at["JK69"].formula == "=JK24*JK17" and "JL69" not in at  # image 64's block ends at JK
    last = 5 + ITERATION_ROWS * 49
    assert at[f"S{last + 7}"].formula == f"=SUMPRODUCT(P{last + 1}:R{last + 4},$D${last + 1}:$F${last + 4})+$G${last + 1}"


def test_each_summed_row_holds_one_quantity(cells, workbook):
    """SUM(P28:JK28) must add one gradient over the images, nothing else that shares the row."""
    at = cells[LEARN]
    sums = [c.formula for name, c in at.items() if c.formula and c.formula.startswith("=SUM(P")]
    assert len(sums) == 48 * 50  # 47 gradients and C_T per iteration
    block_first = parse_cell("P1")[1]
    by_row = {}
    for name in at:
        row, col = parse_cell(name)
        if col >= block_first:
            by_row.setdefault(row, []).append(col)
    for formula in sums:
        row = int(re.match(r"=SUM\(P(\d+):JK\1\)$", formula).group(1))
        used = by_row[row]
        assert len(used) == 64 and all((col - block_first) % 4 == 3 for col in used), formula

def test_libreoffice_agrees_with_every_formula_cell(workbook, recalc):
    ours, theirs = formula_cells(workbook), formula_cells(recalc(workbook))
    assert ours.keys() == theirs.keys()
    assert len(ours) > 230_000
    worst = 0.0
    for key, cell in ours.items():
        other = theirs[key].value
        assert math.isclose(other, cell.value, rel_tol=1e-9, abs_tol=1e-12), (key[0], cell_name(*key[1:]), cell.formula, cell.value, other)
        if cell.value:
            worst = max(worst, abs(other - cell.value) / abs(cell.value))
    assert worst < 1e-9


def test_iterations_and_kind_options(tmp_path, capsys):
    path = tmp_path / "b.xlsx"
    assert main(["answer", "--kind", "backprop", "--iterations", "2", "-o", str(path)]) == 0
    assert "2 iterations" in capsys.readouterr().out
    with WorkbookCells(path) as wb:
        summary = {cell_name(*pos): c for pos, c in wb.sheet(SUMMARY).items()}
    assert "C7" in summary and "C8" not in summary
    assert main(["answer", "--kind", "backprop", "--iterations", "0", "-o", str(tmp_path / "c.xlsx")]) == 2
    assert main(["answer", "--iterations", "5", "-o", str(tmp_path / "d.xlsx")]) == 2  # chapter 3 has no iterations
    capsys.readouterr()
    assert not (tmp_path / "c.xlsx").exists() and not (tmp_path / "d.xlsx").exists()



def test_the_iteration_axis_and_its_tokens():
    from sheetnet.layout.backprop import BACKPROP as L

    names = {"data": "Data", "learn": LEARN, "summary": SUMMARY}
    pos = L.positions(L["dw2"], 64, 3)
    assert pos.shape == (3, 64, 3, 12, 1, 2)
    assert cell_name(*pos[2, 63, 2, 11, 0]) == f"JK{5 + 58 + 2 * ITERATION_ROWS}"
    assert L.positions(L["pixels"], 64, 3).shape == (64, 1, 4, 3, 2)  # not per iteration: unchanged
    # {w2^.} and {gw2^.}: the same cell of the block above; {$eta} stays put
    assert L.formula(L["w2"], 64, names, 0, 1, 2, 1, 2, 3) == f"=E{5 + 66 + 7}-$D$3*J{5 + 66 + 7}"
    assert L.formula(L["dw3"], 64, names, 5, 1, 2, 0) == "=AM24*AM17"  # {a2~}: a2 unit 3 for row 3
    assert L.formula(L["gw2"], 64, names, 0, 2, 3, 2) == "=SUM(P63:JK63)"  # unit 3, pixel (4,3): dw2's last row (5 + 23 + 2·12 + 11)


def test_eta_has_a_visible_name_and_the_updates_still_read_its_cell(workbook, cells):
    import zipfile

    import openpyxl

    with zipfile.ZipFile(workbook) as z:
        names = re.findall(r"<definedName [^>]*>[^<]*</definedName>", z.read("xl/workbook.xml").decode())
    names = [n for n in names if 'name="_xlnm.' not in n]  # Excel's own: print areas and titles
    assert names == [f'<definedName name="η">{LEARN}!$D$3</definedName>']  # workbook-wide, not hidden
    book = openpyxl.load_workbook(workbook, read_only=True)
    eta = book.defined_names["η"]
    assert eta.localSheetId is None and not eta.hidden and list(eta.destinations) == [(LEARN, "$D$3")]
    book.close()
    assert cells[LEARN]["D3"].value == chapter3_eta()
    assert cells[LEARN]["D72"].formula == "=D6-$D$3*I6"  # the checker compares references: $D$3, as before


def test_the_answer_is_deterministic(workbook, tmp_path, capsys):
    again = tmp_path / "again.xlsx"
    assert main(["answer", "--kind", "backprop", "-o", str(again)]) == 0
    assert again.read_bytes() == workbook.read_bytes()
    capsys.readouterr()


def test_our_quick_formula_preparation_is_xlsxwriters(cells):
    """The writer skips XlsxWriter's function-name rewriting for formulas that cannot need it:
    the text it stores must be what XlsxWriter itself would store, for every formula we write."""
    from xlsxwriter.worksheet import Worksheet

    from sheetnet.xlsx.writer import _ExactWorksheet

    ours, theirs = _ExactWorksheet(), Worksheet()
    formulas = {c.formula for sheet in cells.values() for c in sheet.values() if c.formula}
    tricky = {"=SINGLE(A1)", "=XLOOKUP(A1,B:B,C:C)", "=SUM(SORT(A1:A3))", "=_xlfn.STDEV.S(A1:A3)", "=A.SORT(1)",
              "=EXP(1)}", "{=MMULT(A1:B2,C1:D2)}", "=ACOT(1)", "=SUMPRODUCT(FILTER(A1:A3,B1:B3))", "=(1+EXP(-S12))"}
    assert len(formulas) > 100_000
    for formula in formulas | tricky:
        assert ours._prepare_formula(formula) == theirs._prepare_formula(formula), formula
    theirs.use_future_functions = ours.use_future_functions = True
    assert ours._prepare_formula("=ACOT(1)") == theirs._prepare_formula("=ACOT(1)") == "_xlfn.ACOT(1)"
