"""Scores a teacher can use: one rubric line per graded quantity, lost wholly to a root cause, never to
inherited cells; a rubric file sets points, groups and drops quantities; a bad file is one line, exit 2."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import pytest

from checkmut import Saved, mutate
from sheetnet.check.checker import check
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook
from sheetnet.mirror.load import load
from sheetnet.layout.chapter3 import CHAPTER3

GRADED = ["x", "t", "z2", "a2", "z3", "a3", "C", "answer", "predicted", "right", "C_T", "accuracy"]


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    d = tmp_path_factory.mktemp("rubric")
    clean = d / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    C = load(clean, CHAPTER3).cells["C"].reshape(-1)
    short = mutate(clean, d / "short.xlsx", {"G21": Saved("=SUM(L21:JC21)", sum(c.value for c in C[:63]))})
    return {"clean": clean, "C_T over 63 images": short, "dir": d}


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_every_graded_quantity_is_a_line_of_one_point(books, capsys):
    r = check(books["clean"])
    assert [line.name for line in r.rubric.lines] == GRADED and r.rubric.score == 1.0
    assert main(["check", str(books["clean"])]) == 0
    assert "score: 12/12 points (100.0%)" in capsys.readouterr().out


def test_a_sum_that_misses_one_image_is_a_wrong_C_T(books, capsys):
    r = check(books["C_T over 63 images"])
    (root,) = r.root_causes
    assert root.diagnosis.code == "range_too_short" and r.right == 1793  # one cell of 1,794 …
    assert (r.rubric.earned, r.rubric.possible) == (11, 12)  # … one mistake of 12
    (lost,) = r.rubric.lost
    assert (lost.name, lost.points, lost.earned, lost.root_causes) == ("C_T", 1, 0, ["R1"])
    assert main(["check", str(books["C_T over 63 images"])]) == 1
    assert "score: 11/12 points (91.7%) · lost: C_T 1 (R1)" in capsys.readouterr().out


def test_a_rubric_file_sets_points_groups_and_drops_quantities(books, capsys):
    rubric = _write(books["dir"] / "ch3.toml", """
title = "第3章 作业"
kind = "chapter3"
default = 2          # every quantity no line names

[[line]]
name = "cost"
quantities = ["C", "C_T"]
points = 5

[[line]]
quantities = ["answer"]
points = 0           # not graded
""")
    assert main(["check", "--format", "json", "--rubric", str(rubric), str(books["C_T over 63 images"])]) == 1
    doc = json.loads(capsys.readouterr().out)
    lines = {line["name"]: line for line in doc["rubric"]["lines"]}
    assert list(lines) == ["x", "t", "z2", "a2", "z3", "a3", "cost", "predicted", "right", "accuracy"]
    assert lines["cost"] == {"name": "cost", "quantities": ["C", "C_T"], "points": 5, "earned": 0,
                             "root_causes": ["R1"]}
    assert (doc["points"], doc["points_possible"]) == (18, 23) and doc["score"] == pytest.approx(18 / 23)
    assert doc["rubric"]["title"] == "第3章 作业" and doc["rubric"]["file"] == str(rubric)
    assert doc["cell_score"] == pytest.approx(1793 / 1794) and doc["schema"] == "sheetnet-check/2"


def test_junit_and_the_class_csv_carry_the_score(books, tmp_path, capsys):
    files = [str(books["clean"]), str(books["C_T over 63 images"])]
    assert main(["check", "--format", "junit", *files]) == 1
    suites = ET.fromstring(capsys.readouterr().out)
    props = [{p.get("name"): p.get("value") for p in s.find("properties")} for s in suites]
    assert [(p["points"], p["points_possible"]) for p in props] == [("12", "12"), ("11", "12")]
    assert float(props[1]["score"]) == pytest.approx(11 / 12, rel=1e-5)
    grades = tmp_path / "grades.csv"
    assert main(["check", "--jobs", "1", "--csv", str(grades), *files]) == 1
    capsys.readouterr()
    with open(grades, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["score"], r["points"], r["points_possible"]) for r in rows] == [("100.00", "12", "12"),
                                                                                ("91.67", "11", "12")]
    assert rows[1]["cell_score"] == f"{100 * 1793 / 1794:.2f}"


@pytest.mark.parametrize("text, words", [
    ('[[line]]\nquantities = ["z_2"]\n', "line 1: 'z_2' is not a graded quantity"),
    ('[[line]]\nquantities = ["z2"]\n[[line]]\nquantities = ["a2", "z2"]\n', "line 2: 'z2' is already in line 1"),
    ('[[line]]\nquantities = ["C"]\npoints = -1\n', "line 1: points must be a number of points, 0 or more"),
    ('default = "lots"\n', "default must be a number of points"),
    ('defualt = 2\n', "unknown key defualt"),
    ('[[line]]\nquantities = ["C"]\nweight = 2\n', "line 1: unknown key weight"),
    ('kind = "chapter9"\n', "kind 'chapter9' is not one of"),
    ('kind = "cnn"\n[[line]]\nquantities = ["z2"]\n', "'z2' is not a graded quantity of cnn workbooks"),
    ('default = 0\n', "it gives no points to anything"),
    ('[[line]\n', "not valid TOML"),
])
def test_a_bad_rubric_is_one_line_and_exit_2(books, tmp_path, capsys, text, words):
    rubric = _write(tmp_path / "bad.toml", text)
    assert main(["check", "--rubric", str(rubric), str(books["clean"])]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"sheetnet: {rubric}: --rubric: "), err
    assert words in err, err


def test_a_missing_rubric_and_one_for_another_kind(books, tmp_path, capsys):
    assert main(["check", "--rubric", str(tmp_path / "none.toml"), str(books["clean"])]) == 2
    assert "none.toml: --rubric: no such file" in capsys.readouterr().err
    cnn = tmp_path / "cnn.xlsx"
    assert main(["answer", "--kind", "cnn", "-o", str(cnn)]) == 0
    rubric = _write(tmp_path / "ch3.toml", 'kind = "chapter3"\n')
    capsys.readouterr()
    assert main(["check", "--rubric", str(rubric), str(cnn)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is for chapter3 workbooks, and this is a cnn workbook" in err
