"""Issue 12's two halves in one workbook: a student who moved the layout (a row for their name, a column
between images, a sheet before Data) AND wrote formulas their own way or made a mistake (tests/
movedstudents.py, every workbook edited and saved by LibreOffice through its UNO interface).

Their own σ and defined names check clean with the one note about the move; a mistake pasted into
every image is one root cause, named at the student's own cells; a name pointing into the moved sheet
is read where it points now; a workbook saved without values is graded by sheetnet's own calculation.
The HTML page and the annotated copy mark the student's cells; train writes into the shifted cells.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile

import pytest

import movedstudents
import studentcases
from sheetnet.check.checker import check
from sheetnet.cli import main
from test_moved import _agree_with_libreoffice, _changed

CASES = movedstudents.cases()
BY_NAME = {c.name: c for c in CASES}


@pytest.fixture(scope="module")
def made(lo_edit, tmp_path_factory):
    return studentcases.make(lo_edit, tmp_path_factory.mktemp("moved-students"), CASES, lambda c: c.all_ops)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_moved_students_own_formulas_are_graded_at_their_own_cells(made, case, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("check started a program")

    monkeypatch.setattr(subprocess, "Popen", refuse)  # uncached too: sheetnet's own calculation, no LibreOffice
    r = check(made[case.name])
    assert {f.cell.split("!")[1]: f.diagnosis.code for f in r.findings if f.is_root} == case.roots
    assert all(f.cell.startswith("学习!") for f in r.findings if f.is_root)
    assert r.exit_code == (1 if case.roots else 0)
    assert len(r.root_causes) == (1 if case.roots else 0)  # one mistake pasted everywhere: one root cause
    moved_notes = [n for n in r.notes if "shift" in n]
    assert moved_notes == ([case.says] if case.says else [])  # said once
    assert any("sheetnet calculated" in n for n in r.notes) == (case.after == "strip")
    for f in r.findings:
        if not f.is_root:
            assert f.caused_by, f"{f.title} inherits from nothing"


def test_the_student_s_name_is_read_where_it_points_after_the_move(made):
    for move in movedstudents.MOVES:
        (root,) = check(made[f"{move}: a defined name for w2_1 that points at w2_2"]).root_causes
        assert root.diagnosis.text == "reads w2_2 where the book reads w2_1"
        assert "w_one" in root.first.formula and len(root.places) == 64


def test_json_names_the_moved_cells_and_the_formula_as_the_student_wrote_it(made, capsys):
    path = made["row: the prediction thresholds a3_1 at 0.5"]
    assert main(["check", "--format", "json", str(path)]) == 1
    doc = json.loads(capsys.readouterr().out)
    (root,) = doc["root_causes"]
    assert root["places"][:2] == ["学习!O30", "学习!S30"] and len(root["places"]) == 64  # row 29 of the book
    first = next(f for f in doc["findings"] if f["root_cause"])
    assert first["formula"] == "=IF(O20>0.5,0,1)" and first["expected_formula"] == "=IF(O20>=O21,0,1)"


def test_the_html_page_draws_the_students_rows_and_columns(made, tmp_path, capsys):
    page = tmp_path / "row.html"
    assert main(["check", str(made["row: the prediction thresholds a3_1 at 0.5"]), "--format", "html", "-o", str(page)]) == 1
    html = page.read_text(encoding="utf-8")
    row = re.search(r'<tr><th>(\d+)</th>(?:(?!</tr>).)*id="at-R1"', html).group(1)
    assert row == "30"  # the row number the student's sheet shows, not the layout's 29
    page = tmp_path / "column.html"
    assert main(["check", str(made["column: image 11's z2_1 without its bias"]), "--format", "html", "-o", str(page)]) == 1
    capsys.readouterr()
    letters = re.findall(r"<th>([A-Z]+)</th>", page.read_text(encoding="utf-8"))
    assert letters[-4:] == ["BA", "BB", "BC", "BD"]  # image 11's block, one column right of the layout's AZ:BC
    assert 'title="学习!BD11 · image 11 · z2_1' in page.read_text(encoding="utf-8")


def test_annotate_marks_the_students_cells_after_the_move(made, tmp_path, capsys):
    for name, cells in [("row: the prediction thresholds a3_1 at 0.5", {"O30", "JG30"}),
                        ("column: image 11's z2_1 without its bias", {"BD11"})]:
        out = tmp_path / "marked.xlsx"
        assert main(["check", str(made[name]), "--annotate", str(out)]) == 1
        capsys.readouterr()
        with zipfile.ZipFile(out) as z:
            comments = "".join(z.read(n).decode() for n in z.namelist() if re.search(r"comments\d*\.xml$", n))
        marked = set(re.findall(r'<comment ref="([A-Z]+\d+)"', comments))
        assert cells <= marked and not {"O29", "BC11"} & marked


@pytest.mark.parametrize("name", ["row: σ the student's own way", "column: a defined name for w2_1",
                                  "sheet: uncached, σ the student's own way"])
def test_train_on_a_moved_sheet_of_the_students_own_formulas(made, tmp_path, recalc, capsys, name):
    src, out = made[name], tmp_path / "trained.xlsx"
    assert main(["train", str(src), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert ("read and written with that shift" in printed) == bool(BY_NAME[name].says)
    changed = _changed(src, out)
    learn = {(r, c) for sheet, r, c in changed if sheet == "学习"}
    w2_11 = (6, 4) if BY_NAME[name].move == "row" else (5, 4)  # w2_1(1,1): D5, D6 below the student's row
    assert w2_11 in learn and (w2_11[0] - 1, 4) not in learn
    # the student's own σ and names: their cells hold what their formulas give (sheetnet's evaluator), none
    # is left without a value, and every value is what LibreOffice computes there
    assert "have no saved value" not in printed
    with zipfile.ZipFile(out) as z:
        assert b"fullCalcOnLoad" not in z.read("xl/workbook.xml")
    agreed = _agree_with_libreoffice(out, recalc)
    assert agreed >= len(changed) - 47  # every dependent written (47 parameters)
    assert agreed >= 1920 or BY_NAME[name].after == "strip"  # saved with values: every formula cell of 学习
