"""A layout that moved: rows and columns a student inserted (or deleted), sheets inserted or renamed.

Every workbook here was edited in LibreOffice (tests/movedcases.py). A moved workbook is graded with the
shift, which is said once; a clean one shifted checks clean; a mistake typed after the move is found at
the student's own cell, with the formula as the student sees it; an insertion inside an item, or a
deleted layout row, is one line and exit 2. `train` writes into the shifted cells, judged by LibreOffice;
on wrong formulas it refuses, and with --force writes what those formulas give (LibreOffice agrees).
"""

from __future__ import annotations

import json
import re
import zipfile

import numpy as np
import pytest

from movedcases import CASES, SIGN_ACROSS, build
from sheetnet.check.checker import check
from sheetnet.cli import main
from sheetnet.mirror.kinds import open_as
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import parse_cell

BY_NAME = {c.name: c for c in CASES}


@pytest.fixture(scope="module")
def made(tmp_path_factory, lo_edit):
    return build(tmp_path_factory.mktemp("moved"), lo_edit)


def _roots(result) -> dict[str, str]:
    return {f.cell: f.diagnosis.code for f in result.findings if f.is_root}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_moved_layout_is_graded_with_its_shift_said_once(made, case, capsys):
    path = made[case.name]
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert code == case.exit, out + err
    if case.exit == 2:  # one line saying what moved and where, never a list of false root causes
        assert out == "" and err.count("\n") == 1 and err.startswith(f"sheetnet: {path}: "), err
        assert case.says in err, err
        return
    moved_notes = [line for line in out.splitlines() if "shift" in line]
    if case.says:
        assert len(moved_notes) == 1 and case.says in moved_notes[0], out  # said once
    else:
        assert moved_notes == [], out
    r = check(path)
    assert _roots(r) == case.roots  # exactly the mistakes typed after the move, at the student's cells
    assert r.loaded.sheet_names["learn"] == case.learn
    for f in r.findings:
        if not f.is_root:
            assert f.caused_by, f"{f.title} inherits from nothing"


def test_a_mistake_after_the_move_reads_in_the_students_addresses(made, capsys):
    path = made["moved, then the bias left out of image 3's z2_1"]
    assert main(["check", "--format", "json", str(path)]) == 1
    doc = json.loads(capsys.readouterr().out)
    (root,) = doc["root_causes"]
    assert root["places"] == ["学习!W12"] and root["diagnosis"] == "missing_bias"
    first = next(f for f in doc["findings"] if f["root_cause"])
    assert (first["sheet"], first["cell"]) == ("学习", "W12")
    assert first["formula"] == "=SUMPRODUCT(T6:V9,$D$6:$F$9)"  # as the student wrote it
    assert first["expected_formula"] == "=SUMPRODUCT(T6:V9,$D$6:$F$9)+$G$6"  # where the student's cells are
    assert "学习!G6" in first["explanation"]
    assert doc["notes"][0] == "a row was inserted at the top of 学习; graded with that shift"
    inherited = [f for f in doc["findings"] if not f["root_cause"]]
    assert inherited and all(re.fullmatch(r"[A-Z]+\d+", f["cell"]) for f in inherited)
    assert {f["cell"] for f in inherited} >= {"W15", "W18", "W20"}  # a2_1, z3_1, a3_1 of image 3, one row down


def test_a_mistake_filled_across_a_moved_sheet_is_one_root_cause_and_one_rubric_line(made):
    r = check(made["moved, then the exponent's sign in a2_1, filled across images 1–11"])
    (root,) = r.root_causes
    assert [p.cell for p in root.places] == [f"学习!{c}" for c in SIGN_ACROSS]
    assert root.first.formula == "=1/(1+EXP(O11))" and root.spoils > 40
    assert (r.rubric.earned, r.rubric.possible) == (11, 12)  # inherited cells cost nothing
    assert [line.name for line in r.rubric.lost] == ["a2"]


def test_a_sum_over_63_images_is_a_wrong_C_T_not_99_9_percent(made, capsys):
    path = made["moved, then C_T over 63 images"]
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "1793 right (99.9%)" in out  # the cells: all but one right …
    assert "score: 11/12 points (91.7%) · lost: C_T 1 (R1)" in out  # … the score: C_T is wrong


def test_recompute_reads_a_moved_workbook_and_says_so(made, capsys):
    assert main(["recompute", str(made["a blank column between images 10 and 11"])]) == 0
    out = capsys.readouterr().out
    assert "note: a column was inserted before image 11 (学习!AZ); recomputed with that shift" in out
    assert re.search(r"computed cells: (\d+) of \1 agree", out), out


def test_annotate_marks_the_students_own_cell(made, tmp_path, capsys):
    out = tmp_path / "marked.xlsx"
    assert main(["check", str(made["moved, then the bias left out of image 3's z2_1"]), "--annotate", str(out)]) == 1
    capsys.readouterr()
    with zipfile.ZipFile(out) as z:
        comments = "".join(z.read(n).decode() for n in z.namelist() if re.search(r"comments\d*\.xml$", n))
    assert 'ref="W12"' in comments and "missing bias" in comments and 'ref="W11"' not in comments


# -- train ---------------------------------------------------------------------------------------
def _changed(before, after) -> dict:
    """(sheet, row, col) → the new cell, for every cell whose value sheetnet changed."""
    with WorkbookCells(before) as a, WorkbookCells(after) as b:
        out = {}
        for name in a.sheet_names:
            old, new = a.sheet(name), b.sheet(name)
            assert old.keys() == new.keys(), name
            for rc, cell in new.items():
                if cell != old[rc]:
                    assert cell.formula == old[rc].formula  # formulas stay; only values change
                    out[(name, *rc)] = cell
        return out


def _agree_with_libreoffice(trained, recalc) -> int:
    """Every value sheetnet wrote into the trained workbook is what LibreOffice computes there."""
    judged = recalc(trained)
    with WorkbookCells(trained) as a, WorkbookCells(judged) as b:
        n = 0
        for name in a.sheet_names:
            ours, theirs = a.sheet(name), b.sheet(name)
            for rc, cell in ours.items():
                if cell.formula is None or cell.kind == "":
                    continue
                other = theirs[rc]
                if cell.is_number:
                    assert other.value == pytest.approx(cell.value, rel=1e-9, abs=1e-12), (name, rc)
                else:
                    assert other.value == cell.value, (name, rc)
                n += 1
        return n


@pytest.mark.parametrize("name, argv", [
    ("a blank column between images 10 and 11", []),
    ("Data's rows moved down and a column between its images", []),
    ("a row above row 3 of 学习", ["--method", "gd", "--iterations", "5"]),
    ("cnn: a row at the top and a column between images 1 and 2", ["--method", "gd", "--iterations", "3"]),
])
def test_train_writes_into_the_shifted_cells_as_libreoffice_computes_them(made, tmp_path, recalc, capsys, name, argv):
    src = made[name]
    out = tmp_path / "trained.xlsx"
    assert main(["train", str(src), "-o", str(out), *argv]) == 0
    printed = capsys.readouterr().out
    assert "read and written with that shift" in printed or "read and written with those shifts" in printed
    changed = _changed(src, out)
    kind, before = open_as(src)
    params = {(before.sheet_names["learn"], *before.address(p, index))
              for p in kind.parameters for index in np.ndindex(before.inputs[p].shape)}
    assert params <= changed.keys()  # every parameter where the student's sheet has it …
    assert len(changed) > len(params)  # … and the dependents' values
    with zipfile.ZipFile(out) as z:  # LibreOffice saved the source without it: every dependent got its value
        assert b"fullCalcOnLoad" not in z.read("xl/workbook.xml")
    assert _agree_with_libreoffice(out, recalc) >= len(changed) - len(params)


def test_train_refuses_wrong_formulas_and_force_writes_what_they_give(made, tmp_path, recalc, capsys):
    src = made["moved, then the exponent's sign in a2_1, filled across images 1–11"]
    out = tmp_path / "trained.xlsx"
    assert main(["train", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and not out.exists()
    assert "1 root cause in its formulas (sign of the exponent — a2_1, 11 places (images 1–11))" in err
    assert "run `sheetnet check" in err and "--force" in err

    assert main(["train", str(src), "-o", str(out), "--force"]) == 0
    printed = capsys.readouterr().out
    assert "note: --force: the wrong formulas stay as they are" in printed and "(a2)" in printed
    assert "have no saved value" not in printed  # sheetnet calculated every one of them
    with zipfile.ZipFile(out) as z:
        assert b"fullCalcOnLoad" not in z.read("xl/workbook.xml")
    with WorkbookCells(out) as wb:
        cells = wb.sheet("学习")
        for c in SIGN_ACROSS:  # the wrong formulas keep their text and hold the value they give, not the book's
            cell = cells[parse_cell(c)]
            assert cell.formula == f"=1/(1+EXP({c[:-2]}11))" and cell.is_number
        assert cells[(21, 7)].is_number  # C_T reads them: its value too
    # every value written — the book's formulas' and the student's wrong ones' — is what LibreOffice computes
    assert _agree_with_libreoffice(out, recalc) >= 1920  # 学习's 1920 formula cells, each with its value
