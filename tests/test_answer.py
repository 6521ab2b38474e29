"""The teacher's answer workbook: 学习 with trained parameters, the test sheet 测试, the chapter-4
gradient-descent run with its chart, and colour-scale pictures — judged by LibreOffice."""

import json
import math
import re
import zipfile

import numpy as np
import pytest

from sheetnet.cli import main
from sheetnet.data import chapter3_images, chapter3_params
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.gd_run import GD_RUN
from sheetnet.mirror.build import build_sheets
from sheetnet.mirror.load import load
from sheetnet.mirror.recompute import recompute
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name
from written import formula_cells

SHEETS = ["Data", "学习", "测试", "梯度下降"]


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """`sheetnet answer` for every parameter set, written by the command itself."""
    out = tmp_path_factory.mktemp("answers")
    paths = {}
    for params in ("trained", "book", "initial"):
        paths[params] = out / f"answer-{params}.xlsx"
        assert main(["answer", "--params", params, "-o", str(paths[params])]) == 0
    return paths


def sheet_xml(path, sheet_name):
    with zipfile.ZipFile(path) as z:  # XlsxWriter numbers the parts in sheet order
        return z.read(f"xl/worksheets/sheet{SHEETS.index(sheet_name) + 1}.xml").decode()



# -- the workbook as a whole ------------------------------------------------------------------------
def test_the_answer_holds_the_books_three_sheets_and_the_chapter_4_run(answers):
    with WorkbookCells(answers["trained"]) as wb:
        assert wb.sheet_names == SHEETS


def test_libreoffice_recalculates_every_formula_cell_to_our_cached_value(answers, recalc, capsys):
    for params, path in answers.items():
        ours, theirs = formula_cells(path), formula_cells(recalc(path))
        assert ours.keys() == theirs.keys(), params
        for key, cell in ours.items():
            other = theirs[key]
            if cell.is_number:
                # abs 1e-12: with trained parameters a few C are ~1e-31, the rounding noise of (1 − a3)²
                assert other.is_number and math.isclose(other.value, cell.value, rel_tol=1e-9, abs_tol=1e-12), \
                    (params, key[0], cell_name(*key[1:]), cell.formula, cell.value, other.value)
            else:
                assert other.value == cell.value, (params, key)
        # every computed cell of the layout (1922 + 测试's 23) but the two image numbers of image 1 (constants)
        assert len(ours) == 1922 + 23 - 2
        on_test = [k for k in ours if k[0] == "测试"]
        assert len(on_test) == 3 + 3 + 2 + 2 + 1 + 12
        assert main(["recompute", str(recalc(path))]) == 0
    capsys.readouterr()


def test_the_answer_is_deterministic(tmp_path, capsys):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert main(["answer", "-o", str(a)]) == 0
    assert main(["answer", "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    capsys.readouterr()


def test_recompute_of_the_answer_is_clean(answers, capsys):
    for path in answers.values():
        r = recompute(path)
        assert r.comparison.all_agree and r.comparison.cells == 1922 + 23
    assert main(["recompute", str(answers["trained"])]) == 0
    assert "test sheet '测试'" in capsys.readouterr().out


# -- parameters ---------------------------------------------------------------------------------------
def test_trained_is_the_default_and_beats_the_books_solver(answers, capsys):
    r = recompute(answers["trained"])
    assert r.evaluation.C_T <= 1.0452e-07 and r.evaluation.right == 64
    from sheetnet.mirror.chapter3 import network_of

    assert (network_of(r.loaded.inputs).flat() == chapter3_params("trained").flat()).all()
    assert recompute(answers["book"]).evaluation.C_T == pytest.approx(1.0452109503695352e-07, rel=1e-9)
    assert recompute(answers["initial"]).evaluation.C_T == pytest.approx(18.347, abs=5e-4)


def test_the_embedded_trained_set_is_what_the_solver_reaches():
    from sheetnet.data.trained import solve_from_initial

    again = solve_from_initial().flat()
    assert np.allclose(again, chapter3_params("trained").flat(), rtol=1e-6, atol=1e-6)


# -- the test sheet 测试 ----------------------------------------------------------------------------------
def test_the_answer_loads_with_each_sheet_in_its_role(answers):
    loaded = load(answers["trained"], CHAPTER3)
    assert loaded.sheet_names == {"data": "Data", "learn": "学习", "test": "测试"}
    for name in ("w2", "b2", "w3", "b3"):
        assert (loaded.inputs["test_" + name] == loaded.inputs[name]).all()  # the same parameters, as constants
    images, _ = chapter3_images()
    assert (loaded.inputs["test_x"].reshape(4, 3) == images[0]).all()


def test_the_test_sheet_has_the_books_formulas(answers):
    with WorkbookCells(answers["trained"]) as wb:
        test = wb.sheet("测试")
    at = {cell_name(*pos): c for pos, c in test.items()}
    assert at["O11"].formula == "=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5"
    assert at["O13"].formula == "=SUMPRODUCT(L5:N8,$D$13:$F$16)+$G$13"
    assert at["O14"].formula == "=1/(1+EXP(-O11))"
    assert at["O18"].formula == "=MMULT($D$18:$F$18,O14:O16)+$G$18"
    assert at["O20"].formula == "=1/(1+EXP(-O18))"
    assert at["O21"].formula == "=IF(O19>=O20,0,1)" and at["O21"].value == 0  # image 1 is a zero
    assert at["L28"].formula == "=L5" and at["N31"].formula == "=N8"
    assert at["D5"].formula is None and at["L5"].formula is None  # constants, typed
    assert "O9" not in at and "O10" not in at  # no teacher for a typed pattern


def test_another_test_image_can_be_chosen(tmp_path, capsys):
    path = tmp_path / "a.xlsx"
    assert main(["answer", "--test-image", "40", "-o", str(path)]) == 0
    assert "测试: image 40 → 1" in capsys.readouterr().out
    loaded = load(path, CHAPTER3)
    assert (loaded.inputs["test_x"].reshape(4, 3) == chapter3_images()[0][39]).all()
    assert loaded.cells["test_verdict"].reshape(-1)[0].value == 1
    assert main(["answer", "--test-image", "65", "-o", str(tmp_path / "b.xlsx")]) == 2
    assert "numbered 1…64" in capsys.readouterr().err
    assert not (tmp_path / "b.xlsx").exists()


def _rewrite(answer_sheets, path, names, order):
    from sheetnet.layout.styles import CONDITIONAL, STYLES
    from sheetnet.xlsx.writer import write_xlsx

    for s in answer_sheets:
        s.name = names.get(s.name, s.name)
    write_xlsx(path, sorted(answer_sheets, key=lambda s: order.index(s.name)), STYLES, CONDITIONAL)
    return path


@pytest.fixture()
def answer_sheets():
    """The answer's sheets, before writing: to be renamed and reordered."""
    from sheetnet.mirror.answer import book_inputs
    from sheetnet.mirror.chapter3 import cell_values, parameter_arrays

    net = chapter3_params("trained")
    inputs = book_inputs(net)
    inputs.update({f"test_{k}": v for k, v in parameter_arrays(net).items()})
    inputs["test_x"] = inputs["pixels"][0].reshape(1, 4, 3)
    _, values = cell_values(CHAPTER3, inputs, net)
    return build_sheets(CHAPTER3, 64, inputs, values)


def test_the_test_sheet_is_not_taken_for_the_learning_sheet(answer_sheets, tmp_path):
    # another edition's names, and the test sheet before the learning sheet: content decides
    path = _rewrite(answer_sheets, tmp_path / "ja.xlsx", {"学习": "学習", "测试": "テスト"}, ["Data", "テスト", "学習"])
    assert load(path, CHAPTER3).sheet_names == {"data": "Data", "learn": "学習", "test": "テスト"}


def test_a_workbook_with_a_test_sheet_and_no_learning_sheet(answer_sheets, tmp_path, capsys):
    path = _rewrite([s for s in answer_sheets if s.name != "学习"], tmp_path / "t.xlsx", {}, ["测试", "Data"])
    r = recompute(path)
    assert r.loaded.sheet_names == {"data": "Data", "test": "测试"}
    assert r.params_from == "initial" and r.comparison.all_agree  # 测试's cells, from its own parameters


# -- the chapter-4 run ------------------------------------------------------------------------------------
def gd_table(path):
    with WorkbookCells(path) as wb:
        sheet = wb.sheet("梯度下降")
    cols = {name: GD_RUN.positions(GD_RUN[name], 50).reshape(50, 2) for name in ("gd_iteration", "gd_C_T", "gd_right")}
    return {name: [sheet[(int(r), int(c))].value for r, c in pos] for name, pos in cols.items()}


def test_the_gradient_descent_table_is_the_books_run(answers, book_dir):
    expected = json.loads((book_dir / "book-values.json").read_text("utf-8"))["backprop_expected"]
    table = gd_table(answers["trained"])
    assert table["gd_iteration"] == list(range(1, 51))
    for k, c_t in expected["C_T_before_update"].items():
        assert round(table["gd_C_T"][int(k) - 1], 4) == c_t, k
    for k, right in expected["correct"].items():
        assert table["gd_right"][int(k) - 1] == right, k
    assert table["gd_C_T"] == sorted(table["gd_C_T"], reverse=True)  # the cost falls at every step


def test_the_cost_curve_is_a_native_line_chart_of_the_table(answers):
    with zipfile.ZipFile(answers["trained"]) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
        names = z.namelist()
    assert "<c:lineChart>" in chart
    assert "<c:f>梯度下降!$C$6:$C$55</c:f>" in chart and "<c:f>梯度下降!$B$6:$B$55</c:f>" in chart
    assert "<c:ptCount val=\"50\"/>" in chart  # cached points, so it draws before any recalculation
    assert "xl/drawings/drawing1.xml" in names
    assert "<drawing " in sheet_xml(answers["trained"], "梯度下降")


# -- pictures -------------------------------------------------------------------------------------------
def conditional_ranges(xml):
    return re.findall(r'<conditionalFormatting sqref="([^"]+)">(.*?)</conditionalFormatting>', xml)


def test_each_images_pixels_and_each_hidden_units_weights_are_shaded(answers):
    data = conditional_ranges(sheet_xml(answers["trained"], "Data"))
    assert len(data) == 64 and all("<colorScale>" in rule for _, rule in data)
    assert data[0][0] == "K5:M8" and data[-1][0] == "JC5:JE8"
    learn = conditional_ranges(sheet_xml(answers["trained"], "学习"))
    assert [r for r, _ in learn] == ["D5:F8", "D9:F12", "D13:F16"]
    assert all("<colorScale>" in rule and '<cfvo type="num" val="0"/>' in rule for _, rule in learn)  # white at 0


def test_the_test_pattern_is_drawn_in_ink(answers):
    test = dict(conditional_ranges(sheet_xml(answers["trained"], "测试")))
    assert 'type="cellIs"' in test["L28:N31"] and 'operator="equal"' in test["L28:N31"]
    assert "<formula>1</formula>" in test["L28:N31"]


def test_a_bad_cell_on_the_test_sheet_is_one_clear_line(answers, tmp_path, capsys):
    from minixlsx import replace_cell

    bad = replace_cell(answers["trained"], tmp_path / "bad.xlsx", SHEETS.index("测试") + 1, "E9",
                       '<c r="E9" t="inlineStr"><is><t>abc</t></is></c>')
    assert main(["recompute", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"sheetnet: {bad}: 测试!E9 holds the text 'abc' where a hidden-unit weight of the test sheet (a number) belongs\n"


def test_the_written_file_has_the_usual_permissions(tmp_path, capsys):
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = tmp_path / "a.xlsx"
        assert main(["answer", "--params", "book", "-o", str(path)]) == 0
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not the 0600 of a temporary file
        path.chmod(0o640)
        assert main(["answer", "--params", "book", "-o", str(path)]) == 0
        assert stat.S_IMODE(path.stat().st_mode) == 0o640  # a replaced file keeps its own
        assert [p.name for p in tmp_path.iterdir()] == ["a.xlsx"]  # no temporary file left
    finally:
        os.umask(old)
    capsys.readouterr()
