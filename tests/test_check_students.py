"""`sheetnet check` on real students' workbooks: made in LibreOffice through its UNO interface (tests/
studentcases.py, one soffice run for all), each case naming exactly which cells are root causes and why.

Correct formulas written otherwise check clean; a wrong formula is a root cause in every place it was
pasted, also where its value happens to be right; stale, uncached, error-value and text-cell cases; the
chapter-4 and chapter-5 kinds; the student's own verdict symbols are a style note; --hints never gives
the expected formula away.
"""

from __future__ import annotations

import json
import subprocess

import pytest

import studentcases
from sheetnet.check.checker import check
from sheetnet.cli import main

CASES = studentcases.cases()
BY_NAME = {c.name: c for c in CASES}


@pytest.fixture(scope="module")
def made(lo_edit, tmp_path_factory):
    """Every case's workbook, edited and saved by LibreOffice (one soffice for all); 'strip' cases lose
    their cached values afterwards, as a program that does not calculate would have written them."""
    return studentcases.make(lo_edit, tmp_path_factory.mktemp("students"), CASES)


@pytest.fixture(scope="module")
def checked(made):
    done = {}

    def run(name: str):
        if name not in done:
            done[name] = check(made[name])
        return done[name]

    return run


def _roots(result) -> dict[str, str]:
    return {f.cell.split("!")[1]: f.diagnosis.code for f in result.findings if f.is_root}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_student_workbook_is_graded_exactly(checked, case):
    r = checked(case.name)
    assert _roots(r) == case.roots  # exactly these cells, each with this diagnosis; {}: the workbook is right
    assert r.exit_code == (1 if case.roots else 0)
    assert bool(r.style) == case.style
    assert all(f.cell.split("!")[0] == case.sheet for f in r.findings if f.is_root)
    for f in r.findings:
        if not f.is_root:
            assert f.caused_by, f"{f.title} inherits from nothing"
    if case.roots:  # one mistake pasted everywhere is one root cause
        assert len(r.root_causes) == 1


def test_a_wrong_formula_is_found_in_every_place_also_where_its_value_is_right(checked):
    r = checked("the prediction thresholds a3_1 at 0.5")
    (root,) = r.root_causes
    assert len(root.places) == 64
    # trained parameters: a3_1 > 0.5 exactly when a3_1 ≥ a3_2, so every value is right — and still wrong
    assert {p.kind for p in root.places} == {"formula"} and r.totals["accuracy"] == (1.0, 1.0)
    assert root.diagnosis.text == "this thresholds a3_1 at 0.5; the book compares a3_1 with a3_2"


def test_a_pooling_window_of_the_wrong_size_says_both_windows(checked):
    (root,) = checked("cnn: pooling over a 3×3 window").root_causes
    assert len(root.places) == 96
    assert "aF_1(1,1)–(3,3) (3×3)" in root.diagnosis.text and "aF_1(1,1)–(2,2) (2×2)" in root.diagnosis.text
    assert {p.kind for p in root.places} == {"formula", "value"}  # right where the maximum is in the 2×2 too


def test_an_error_value_is_reported_as_that_error_never_as_inf(made, checked, capsys):
    r = checked("the bias read from a text cell")
    first = r.root_causes[0].first
    assert first.found == "#VALUE!"
    assert first.diagnosis.text.startswith("reads the text '名前' in 学习!B3 where b2_1 (学习!G5) belongs")
    assert r.totals["C_T"][0] == "#VALUE!"
    assert main(["check", "--format", "json", str(made["the bias read from a text cell"])]) == 1
    doc = json.loads(capsys.readouterr().out)
    values = [v for f in doc["findings"] for v in (f["found"], f["expected_locally"], f["expected"])]
    assert "#VALUE!" in values and not any(isinstance(v, str) and "inf" in v for v in values)
    assert doc["totals"]["C_T"]["found"] == "#VALUE!"
    assert main(["check", str(made["a division by zero"])]) == 1
    out = capsys.readouterr().out
    assert "found #DIV/0!" in out and "inf" not in out


def test_the_students_own_verdicts_are_a_style_note_not_a_mistake(made, checked, capsys):
    r = checked("verdicts ✓/✗ counted by the accuracy")
    assert r.findings == [] and r.score == 1.0
    assert "✓ / ✗" in r.style[0] and "○ / ×" in r.style[0]
    assert main(["check", "--format", "json", str(made["verdicts ✓/✗ counted by the accuracy"])]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and doc["style"] == r.style
    wrong = checked("verdicts ✓/✗ but the accuracy still counts ○")
    assert "as if they held the book's ○ / ×, but yours hold ✓ / ✗" in wrong.root_causes[0].diagnosis.text


def test_stale_values_are_found_for_a_formula_that_is_not_the_books_text(checked):
    r = checked("stale values of a formula of the student's own")  # (LibreOffice does not save calcMode)
    root = r.root_causes[0]
    assert root.diagnosis.code == "stale" and "computes the right thing" in root.diagnosis.text
    assert root.first.formula.startswith("=L5*$D$5+")


def test_a_workbook_saved_without_values_is_calculated_without_libreoffice(made, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("check started a program")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    for name in ("uncached: σ written otherwise", "uncached: the prediction thresholds a3_1 at 0.5"):
        r = check(made[name])
        assert any("saved without values" in n and "sheetnet calculated" in n for n in r.notes)
        assert _roots(r) == BY_NAME[name].roots


def test_hints_say_what_and_where_but_never_the_expected_formula(made, capsys):
    for name in ("the prediction thresholds a3_1 at 0.5", "missing bias, pasted across", "cnn: pooling over a 3×3 window"):
        path = str(made[name])
        assert main(["check", path]) == 1
        full = capsys.readouterr().out
        assert main(["check", "--hints", path]) == 1
        hints = capsys.readouterr().out
        expected = [line.split("expected", 1)[1].strip() for line in full.splitlines() if line.strip().startswith("expected  =")]
        assert expected and not any(e in hints for e in expected)
        assert "the book" not in hints and "$G$5" not in hints and "(2×2)" not in hints
        assert main(["check", "--hints", "--format", "json", path]) == 1
        doc = json.loads(capsys.readouterr().out)
        assert doc["hints"] is True and all(f["expected_formula"] is None for f in doc["findings"])
        assert all("the book" not in r["explanation"] for r in doc["root_causes"])
        assert main(["check", "--hints", "--format", "junit", path]) == 1
        junit = capsys.readouterr().out
        assert not any(e in junit for e in expected)
