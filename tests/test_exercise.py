"""The student's exercise workbook: data, labels, the book's initial parameters, and empty,
light-styled cells where the formulas go — loadable, and judged by LibreOffice."""

import math
import zipfile

import openpyxl
import pytest

from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.mirror.chapter3 import network_of
from sheetnet.mirror.load import load
from sheetnet.mirror.recompute import recompute
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name


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
