"""The chapter-5 CNN workbook (`sheetnet answer/exercise --kind cnn`): appendix B's Data sheet, the
learning sheet with the 69 parameters and one block of formulas per image, judged by LibreOffice."""

import math
import re

import numpy as np
import openpyxl
import pytest

from sheetnet.check.formulas import BOOK_FUNCTIONS
from sheetnet.cli import main
from sheetnet.data.chapter5 import PARAM_SETS, chapter5_images, chapter5_params
from sheetnet.engine.cnn import CNN, forward, teacher
from sheetnet.layout.chapter5 import CNN5
from sheetnet.mirror.cnn import cnn_book_inputs, cnn_cell_values, cnn_of, cnn_parameter_arrays
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name, parse_cell
from written import formula_cells, functions_used

LEARN = "卷积神经网络"
N = 96


def sheets_of(path):
    with WorkbookCells(path) as wb:
        return {s: {cell_name(*pos): c for pos, c in wb.sheet(s).items()} for s in wb.sheet_names}



def cells_of(name: str, n: int = N) -> list[str]:
    """Every cell of a quantity in reading order (image, unit, row, col)."""
    return [cell_name(*map(int, rc)) for rc in CNN5.positions(CNN5[name], n).reshape(-1, 2)]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("cnn") / "cnn.xlsx"
    assert main(["answer", "--kind", "cnn", "--params", "initial", "-o", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def cells(workbook):
    with WorkbookCells(workbook) as wb:
        assert wb.sheet_names == ["Data", LEARN]
    return sheets_of(workbook)


# -- the Data sheet is appendix B's ----------------------------------------------------------------
def test_the_data_layout_holds_appendix_b(book_dir):
    book = sheets_of(book_dir / "appendix-b.xlsx")["Data"]
    images, digits = chapter5_images()
    assert len(images) == N
    for name, expected in (("pixels", images), ("teacher", teacher(digits)), ("drawn", images),
                           ("data_image_no", np.arange(1, N + 1)), ("drawn_no", np.arange(1, N + 1))):
        found = [book[c].value for c in cells_of(name)]
        assert found == list(np.asarray(expected, dtype=float).ravel()), name
    assert cells_of("pixels")[-1] == "VO8" and cells_of("teacher")[-1] == "VJ11"  # image 96 = VJ:VO
    assert not any(cell_name(r, parse_cell("VP1")[1]) in book for r in range(1, 30))  # nothing after image 96
    # every number of the sheet is one our layout places (or a label of ours)
    placed = {c for q in CNN5.quantities if q.sheet == "data" for c in cells_of(q.name)}
    labels = {label.cell: label.text for label in CNN5.labels if label.sheet == "data"}
    for where, cell in book.items():
        assert where in placed or (where in labels and labels[where] == cell.value), (where, cell.value)
    assert set(labels) <= set(book)


def test_our_data_formulas_are_the_books(book_dir, cells):
    book = sheets_of(book_dir / "appendix-b.xlsx")["Data"]
    ours = cells["Data"]
    for cell in ("R2", "VJ2", "L18", "VO23", "R17", "VJ17"):
        assert ours[cell].formula == book[cell].formula, cell
    assert ours["L2"].value == 1 and ours["L17"].value == 1  # the book's =1, as a number


# -- the learning sheet: where each quantity lives --------------------------------------------------
def test_the_learning_sheets_formulas(cells):
    at = cells[LEARN]
    assert at["D5"].formula is None and at["G11"].formula is None and at["J21"].formula is None  # parameters
    assert at["N4"].formula == "=Data!L2" and at["N5"].formula == "=Data!L3" and at["S10"].formula == "=Data!Q8"
    assert at["N11"].formula == "=Data!L9" and at["N13"].formula == "=Data!L11"
    assert at["N14"].formula == "=SUMPRODUCT(N5:P7,$D$5:$F$7)+$G$5"  # zF_1(1,1): the window at x(1,1)
    assert at["Q25"].formula == "=SUMPRODUCT(Q8:S10,$D$11:$F$13)+$G$11"  # zF_3(4,4)
    assert at["Q37"].formula == "=1/(1+EXP(-Q25))"  # aF_3(4,4)
    assert at["N38"].formula == "=MAX(N26:O27)" and at["S39"].formula == "=MAX(P36:Q37)"  # pooled maps side by side
    assert at["N40"].formula == "=SUMPRODUCT(N38:S39,$D$17:$I$18)+$J$17"
    assert at["N42"].formula == "=SUMPRODUCT(N38:S39,$D$21:$I$22)+$J$21"
    assert at["N45"].formula == "=1/(1+EXP(-N42))"
    assert at["N46"].formula == "=SUMXMY2(N43:N45,N11:N13)/2"
    assert at["N47"].formula == "=IF(N11=MAX(N11:N13),1,IF(N12=MAX(N11:N13),2,3))"
    assert at["N48"].formula == "=IF(N43=MAX(N43:N45),1,IF(N44=MAX(N43:N45),2,3))"
    assert at["N49"].formula == '=IF(N47=N48,"○","×")'
    assert at["I5"].formula == "=SUM(N46:VQ46)"
    assert at["I8"].formula == '=COUNTIF(N49:VQ49,"○")/COUNTA(N49:VQ49)'
    assert at["VL14"].formula == "=SUMPRODUCT(VL5:VN7,$D$5:$F$7)+$G$5" and "VR14" not in at  # image 96 = VL:VQ


def test_each_summed_row_holds_one_quantity(cells):
    """SUM(N46:VQ46) must add the 96 costs and nothing else that shares the row; COUNTA the verdicts."""
    first = parse_cell("N1")[1]
    for row, name in ((46, "C"), (49, "right")):
        used = sorted(parse_cell(c)[1] for c in cells[LEARN] if parse_cell(c)[0] == row and parse_cell(c)[1] >= first)
        assert used == [first + 6 * i for i in range(N)], name
        assert [f"{cell_name(row, c)}" for c in used] == cells_of(name)


def test_solver_is_set_up_for_the_69_parameters(workbook):
    with WorkbookCells(workbook) as wb:
        names = {name: value for name, sheet, value in wb.defined_names if sheet == "1"}
    assert names["solver_opt"] == f"{LEARN}!$I$5" and names["solver_typ"] == "2"
    adjusted = set()
    for part in names["solver_adj"].split(","):
        sheet, ref = part.split("!")
        assert sheet == LEARN
        a, _, b = ref.replace("$", "").partition(":")
        (r0, c0), (r1, c1) = parse_cell(a), parse_cell(b or a)
        adjusted |= {cell_name(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    parameters = {c for name in ("filters", "filter_b", "output_w", "output_b") for c in cells_of(name)}
    assert len(parameters) == 69 and adjusted == parameters


# -- the values: the book's figures, the engine's numbers -----------------------------------------
def test_cached_values_are_the_books_figures(cells):
    at = cells[LEARN]
    outputs = [at[c].value for c in cells_of("a_out")[:3]]
    assert outputs == pytest.approx([0.786, 0.109, 0.137], abs=5e-4)
    assert round(at["I5"].value, 4) == 12.5445
    verdicts = [at[c].value for c in cells_of("right")]
    assert verdicts.count("○") == 91 and verdicts.count("×") == 5
    assert at["I8"].value == pytest.approx(91 / 96)
    assert [at[c].value for c in cells_of("predicted")[:1]] == [1] and at["N47"].value == 1


def test_pooled_values_and_feature_maps_are_the_engines(cells):
    net = chapter5_params("initial")
    images, _ = chapter5_images()
    fw = forward(net, images)
    at = cells[LEARN]
    for name, expected in (("zF", fw.zF), ("aF", fw.aF), ("pool", fw.pooled), ("z_out", fw.z_out)):
        assert [at[c].value for c in cells_of(name)] == list(expected.ravel()), name


def test_each_output_weight_sits_beside_its_pooled_value():
    """SUMPRODUCT(pooled maps side by side, one unit's 2×6 weights) must be the engine's z_out."""
    rng = np.random.default_rng(5)
    net = CNN(rng.normal(size=(3, 3, 3)), rng.normal(size=3), rng.normal(size=(3, 3, 2, 2)), rng.normal(size=3))
    params = cnn_parameter_arrays(net)
    back = cnn_of(params)
    for f in CNN.FIELDS:
        assert np.array_equal(getattr(back, f), getattr(net, f)), f
    inputs = cnn_book_inputs(net)
    ev, values = cnn_cell_values(CNN5, inputs, net)
    pool_pos = CNN5.positions(CNN5["pool"], N)[7].reshape(-1, 2)  # image 8
    w_pos = CNN5.positions(CNN5["output_w"], 0)
    for j in range(3):
        rect = {tuple(p - pool_pos.min(axis=0)): v for p, v in zip(pool_pos, values["pool"][7].ravel())}
        w = {tuple(p - w_pos[j].reshape(-1, 2).min(axis=0)): v
             for p, v in zip(w_pos[j].reshape(-1, 2), params["output_w"][j].ravel())}
        assert rect.keys() == w.keys()
        z = sum(rect[k] * w[k] for k in rect) + net.output_b[j]
        assert z == pytest.approx(ev.forward.z_out[7, j], rel=1e-13)


def test_the_templates_evaluated_cell_by_cell_give_the_engines_values():
    """Each formula of the layout, evaluated over the cells it reads (sheetnet's own evaluator, no
    LibreOffice), gives the value the engine put there: the layout and the engine say the same thing."""
    from sheetnet.layout.evaluate import Evaluator, grids

    net = chapter5_params("initial")
    inputs = cnn_book_inputs(net)
    _, values = cnn_cell_values(CNN5, inputs, net)
    evaluator = Evaluator(CNN5, grids(CNN5, {**inputs, **values}, N), N)
    for q in CNN5.quantities:
        if not q.computed:
            continue
        got, want = evaluator.quantity(q), values[q.name]
        if q.text:
            assert np.array_equal(got, want), q.name
            continue
        formula = ~np.isnan(got)  # the first image number is a constant, not a formula
        assert formula.sum() >= want.size - 1, q.name
        np.testing.assert_allclose(got[formula], want[formula], rtol=1e-12, atol=1e-15, err_msg=q.name)


def test_libreoffice_agrees_with_every_formula_cell(workbook, recalc):
    ours, theirs = formula_cells(workbook), formula_cells(recalc(workbook))
    assert ours.keys() == theirs.keys()
    assert len(ours) > 18_000
    worst = 0.0
    for key, cell in ours.items():
        other = theirs[key].value
        if isinstance(cell.value, str):
            assert other == cell.value, (key, cell.formula)
            continue
        assert math.isclose(other, cell.value, rel_tol=1e-9, abs_tol=1e-12), (key[0], cell_name(*key[1:]), cell.formula, cell.value, other)
        if cell.value:
            worst = max(worst, abs(other - cell.value) / abs(cell.value))
    assert worst < 1e-9


def test_every_formula_is_in_the_books_dialect(workbook):
    used = functions_used(workbook)
    assert used <= BOOK_FUNCTIONS, used - BOOK_FUNCTIONS
    assert {"SUMPRODUCT", "MAX", "EXP", "SUMXMY2"} <= used


def test_the_written_workbook_and_appendix_b_load_back(workbook, book_dir):
    from sheetnet.mirror.load import load

    loaded = load(workbook, CNN5)
    assert loaded.sheet_names == {"data": "Data", "learn": LEARN}
    assert np.array_equal(cnn_of(loaded.inputs).flat(), chapter5_params("initial").flat())
    book = load(book_dir / "appendix-b.xlsx", CNN5)  # data only: appendix B has no learning sheet
    assert book.sheet_names == {"data": "Data"}
    for name in ("pixels", "teacher"):
        assert np.array_equal(book.inputs[name], loaded.inputs[name]), name


# -- the exercise and the command line ----------------------------------------------------------------
def test_the_exercise_leaves_the_learning_sheets_formulas_empty(tmp_path, cells, capsys):
    path = tmp_path / "exercise.xlsx"
    assert main(["exercise", "--kind", "cnn", "-o", str(path)]) == 0
    assert "parameters: initial" in capsys.readouterr().out
    mine = sheets_of(path)
    assert mine["Data"] == cells["Data"]  # the data, its numbers and the drawn copy, untouched
    at, answer = mine[LEARN], cells[LEARN]
    learn = openpyxl.load_workbook(path)[LEARN]
    blank = []
    for q in CNN5.quantities:
        if q.sheet != "learn":
            continue
        for c in cells_of(q.name) if q.per_image else cells_of(q.name, 0):
            if not q.computed or q.name == "image_no":  # the parameters and the image numbers are given
                assert at[c] == answer[c], (q.name, c)
            else:
                assert c not in at or (at[c].formula is None and at[c].value is None), (q.name, c)
                blank.append(c)
    assert len(blank) == N * (36 + 3 + 48 + 48 + 12 + 3 + 3 + 1 + 3) + 2
    assert {c for c, cell in at.items() if cell.formula} == set(cells_of("image_no"))  # the only formulas left
    assert {learn[c].fill.fgColor.rgb for c in blank} == {"FFEAF1FB"}  # the student's cells: one light fill
    assert at["D5"].value == answer["D5"].value == chapter5_params("initial").filters[0, 0, 0]


def test_the_command_lines_parameter_sets(tmp_path, capsys):
    default = "trained" if "trained" in PARAM_SETS else "initial"
    path = tmp_path / "default.xlsx"
    assert main(["answer", "--kind", "cnn", "-o", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"parameters: {default}" in out and re.search(r"\d+/96 right", out)
    assert main(["answer", "--kind", "cnn", "--params", "book", "-o", str(tmp_path / "b.xlsx")]) == 2
    assert main(["answer", "--kind", "cnn", "--iterations", "3", "-o", str(tmp_path / "c.xlsx")]) == 2
    assert main(["exercise", "--kind", "cnn", "--params", "book", "-o", str(tmp_path / "d.xlsx")]) == 2
    capsys.readouterr()
    assert not any((tmp_path / n).exists() for n in ("b.xlsx", "c.xlsx", "d.xlsx"))
