"""The student's exercise workbook: data, labels, the book's initial parameters, and empty,
light-styled cells where the formulas go — loadable, and judged by LibreOffice."""

import math
import zipfile

import openpyxl
import pytest

from sheetnet.cli import main
from sheetnet.data import chapter3_eta, chapter3_params
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.mirror.chapter3 import network_of
from sheetnet.mirror.load import load
from sheetnet.mirror.recompute import recompute
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name, parse_cell


@pytest.fixture(scope="module")
def exercise(tmp_path_factory):
    path = tmp_path_factory.mktemp("exercise") / "exercise.xlsx"
    assert main(["exercise", "-o", str(path)]) == 0
    return path


def computed_cells(name, n=64):
    return [cell_name(int(r), int(c)) for r, c in CHAPTER3.positions(CHAPTER3[name], n).reshape(-1, 2)]


def test_the_exercise_is_data_and_the_learning_sheet_with_the_initial_parameters(exercise):
    loaded = load(exercise, CHAPTER3)
    assert loaded.sheet_names == {"data": "Data", "learn": "学习"}
    assert (network_of(loaded.inputs).flat() == chapter3_params("initial").flat()).all()
    with WorkbookCells(exercise) as wb:
        learn = wb.sheet("学习")
    labels = {cell_name(*pos): c.value for pos, c in learn.items() if c.kind == "s"}
    assert labels["J11"] == "z2" and labels["J21"] == "C" and labels["G20"] == "ＣT" and labels["F30"] == "正确率"


def test_the_students_cells_are_empty_and_look_different(exercise):
    learn = openpyxl.load_workbook(exercise)["学习"]
    fills = {}
    for name in ("x", "t", "z2", "a2", "z3", "a3", "C", "answer", "predicted", "right", "C_T", "accuracy"):
        for ref in computed_cells(name):
            cell = learn[ref]
            assert cell.value is None, (name, ref)
            fills.setdefault(cell.fill.fgColor.rgb, []).append(ref)
    assert list(fills) == ["FFEAF1FB"]  # one light fill for every cell the student fills in
    given = {learn[ref].fill.fgColor.rgb for ref in computed_cells("w2") + ["L4", "J11"]}
    assert "FFEAF1FB" not in given  # parameters, image numbers and labels look otherwise


def test_recompute_reports_the_empty_cells(exercise, capsys):
    r = recompute(exercise)
    assert r.params_from == "workbook"
    assert r.comparison.cells == 1922 and r.comparison.agree == 2 * 64  # only the image numbers are there
    assert main(["recompute", str(exercise)]) == 1
    assert "学习!L5 · image 1 · x(1,1): cached (nothing), recomputed 1" in capsys.readouterr().out


def test_libreoffice_recalculates_the_exercise_to_our_cached_values(exercise, recalc):
    with WorkbookCells(exercise) as ours, WorkbookCells(recalc(exercise)) as theirs:
        checked = 0
        for sheet in ours.sheet_names:
            for pos, cell in ours.sheet(sheet).items():
                if cell.formula is None:
                    continue
                other = theirs.sheet(sheet)[pos]
                assert math.isclose(other.value, cell.value, rel_tol=1e-9, abs_tol=1e-12), (sheet, pos)
                checked += 1
    assert checked == 2 * 63  # the image numbers after image 1, on Data and on 学习


def test_the_exercise_keeps_the_pictures_of_the_data(exercise):
    with zipfile.ZipFile(exercise) as z:
        data = z.read("xl/worksheets/sheet1.xml").decode()
        learn = z.read("xl/worksheets/sheet2.xml").decode()
        names = z.namelist()
    assert data.count("<colorScale>") == 64 and learn.count("<colorScale>") == 3
    assert not any(n.startswith("xl/charts/") for n in names)


def test_the_exercise_is_deterministic(exercise, tmp_path, capsys):
    again = tmp_path / "again.xlsx"
    assert main(["exercise", "-o", str(again)]) == 0
    assert again.read_bytes() == exercise.read_bytes()
    capsys.readouterr()


# -- chapter 4: `exercise --kind backprop` ----------------------------------------------------------

BP_LEARN, BP_SUMMARY = "误差反向传播", "ＣT的变化"


@pytest.fixture(scope="module")
def bp_exercise(tmp_path_factory):
    path = tmp_path_factory.mktemp("bp_exercise") / "backprop_exercise.xlsx"
    assert main(["exercise", "--kind", "backprop", "-o", str(path)]) == 0  # default: 50 iteration blocks
    return path


def bp_cells(name, iterations=50):
    from sheetnet.layout.backprop import BACKPROP

    return {cell_name(int(r), int(c)) for r, c in BACKPROP.positions(BACKPROP[name], 64, iterations).reshape(-1, 2)}


def test_the_backprop_exercise_leaves_every_formula_of_every_block_to_the_student(bp_exercise):
    from sheetnet.layout.backprop import BACKPROP
    from sheetnet.mirror.build import exercise_blanks

    with WorkbookCells(bp_exercise) as wb:
        assert wb.sheet_names == ["Data", BP_LEARN, BP_SUMMARY]
        learn = {cell_name(*pos): c for pos, c in wb.sheet(BP_LEARN).items()}
    blanks = exercise_blanks(BACKPROP)
    assert blanks >= {"x", "t", "z2", "delta2", "dw2", "dw3", "gw2", "gb3", "C_T", "w2", "b3"}
    first_block = {cell_name(int(r), int(c)) for name in ("w2", "b2", "w3", "b3")
                   for r, c in BACKPROP.positions(BACKPROP[name], 64, 1).reshape(-1, 2)}
    empty = set().union(*(bp_cells(name) for name in blanks)) - first_block
    assert len(empty) > 230_000 and "D72" in empty and "JK3303" in empty  # iteration 50's last ∂C/∂w3
    assert not empty & learn.keys()  # no value, no formula: nothing at all
    # iteration 1's parameters typed (backprop_initial), η typed in its one cell
    params = chapter3_params("backprop_initial")
    assert [learn[ref].value for ref in ("D6", "E6", "G6", "D18", "G19")] == [
        params.W[2][0, 0], params.W[2][0, 1], params.b[2][0], params.W[3][0, 0], params.b[3][1]]
    assert all(learn[ref].formula is None for ref in first_block) and len(first_block) == 47
    assert learn["D3"].value == chapter3_eta() and learn["D3"].formula is None
    # the numbering stays: iteration numbers and image numbers are labels, and so are the row names
    assert learn["D5"].value == 1 and learn["D3239"].formula == "=D3173+1" and learn["D3239"].value == 50
    assert learn["JH3239"].value == 64 and learn["JH3239"].formula == "=Data!JC4"
    for k in (1, 50):
        top = 5 + 66 * (k - 1)
        assert learn[f"C{top}"].value == "第" and learn[f"N{top + 18}"].value == "δ3"
        assert learn[f"O{top + 63}"].value == "2(2)" and learn[f"G{top + 15}"].value == "ＣT"


def test_the_backprop_exercise_summary_keeps_its_formulas_without_values(bp_exercise):
    with WorkbookCells(bp_exercise) as wb:
        summary = {cell_name(*pos): c for pos, c in wb.sheet(BP_SUMMARY).items()}
    assert summary["C6"].formula == f"={BP_LEARN}!G21" and summary["C55"].formula == f"={BP_LEARN}!G3255"
    assert all(summary[f"C{r}"].kind == "" and summary[f"C{r}"].value is None for r in range(6, 56))
    assert [summary[f"B{r}"].value for r in range(6, 56)] == list(range(1, 51))  # read from the numbering
    with zipfile.ZipFile(bp_exercise) as z:
        assert "xl/charts/chart1.xml" in z.namelist()
        assert '<definedName name="η">误差反向传播!$D$3</definedName>' in z.read("xl/workbook.xml").decode()


def test_the_backprop_exercise_blanks_look_like_the_chapter3_ones(tmp_path, capsys):
    path = tmp_path / "two.xlsx"
    assert main(["exercise", "--kind", "backprop", "--iterations", "2", "-o", str(path)]) == 0
    assert "2 iteration blocks" in capsys.readouterr().out
    learn = openpyxl.load_workbook(path)[BP_LEARN]
    blank = {learn[ref].fill.fgColor.rgb for ref in ("S12", "JK69", "D72", "G84", "I6", "G87", "S135")}
    assert blank == {"FFEAF1FB"} and all(learn[ref].value is None for ref in ("S12", "D72", "I6", "G87"))
    assert learn["D6"].fill.fgColor.rgb != "FFEAF1FB" and learn["D136"].value is None  # no third block
    assert openpyxl.load_workbook(path).defined_names["η"].attr_text == f"{BP_LEARN}!$D$3"


def test_libreoffice_opens_the_backprop_exercise(bp_exercise, recalc):
    with WorkbookCells(recalc(bp_exercise)) as wb:
        assert wb.sheet_names == ["Data", BP_LEARN, BP_SUMMARY] and ("η", None, f"{BP_LEARN}!$D$3") in wb.defined_names
        learn, summary = wb.sheet(BP_LEARN), wb.sheet(BP_SUMMARY)
    errors = [(pos, c.value) for sheet in (learn, summary) for pos, c in sheet.items() if c.kind == "e"]
    assert errors == []
    # C_T of blocks nobody has filled in yet: 0, the iteration numbers as written
    assert [(summary[(r, 2)].value, summary[(r, 3)].value) for r in (6, 55)] == [(1, 0), (50, 0)]
    assert learn[parse_cell("D3239")].value == 50 and learn[parse_cell("JH3239")].value == 64


def test_backprop_exercise_options(bp_exercise, tmp_path, capsys):
    again = tmp_path / "again.xlsx"
    assert main(["exercise", "--kind", "backprop", "-o", str(again)]) == 0
    assert again.read_bytes() == bp_exercise.read_bytes()
    assert main(["exercise", "--kind", "backprop", "--iterations", "0", "-o", str(tmp_path / "a.xlsx")]) == 2
    assert main(["exercise", "--kind", "backprop", "--params", "book", "-o", str(tmp_path / "b.xlsx")]) == 2
    assert main(["exercise", "--iterations", "3", "-o", str(tmp_path / "c.xlsx")]) == 2  # chapter 3: no blocks
    assert not any((tmp_path / n).exists() for n in ("a.xlsx", "b.xlsx", "c.xlsx"))
    capsys.readouterr()
