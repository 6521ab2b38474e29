"""`sheetnet check`: a clean workbook checks clean, and each student mistake is named exactly where it is.

The mistake suite (checkcases.py) changes formulas in copies of a clean workbook the way a student
would, lets LibreOffice calculate them, and asserts that the report names exactly the changed cells
as root causes, with the right diagnosis — and no other cell.
"""

import hashlib

import pytest

from checkcases import CASES, at, build, stale_case
from checkmut import mutate
from minixlsx import strip_cached_values
from sheetnet.check.checker import check
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook


@pytest.fixture(scope="module")
def books(soffice, tmp_path_factory):
    return build(tmp_path_factory.mktemp("check-suite"))


def _roots(result) -> dict[str, str]:
    return {f.cell.split("!")[1]: f.diagnosis.code for f in result.findings if f.is_root}


# -- clean workbooks -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["clean", "clean (LibreOffice)", "book parameters (LibreOffice)", "equivalent formulas"])
def test_a_right_workbook_checks_clean(books, name, capsys):
    assert main(["check", str(books[name])]) == 0
    out = capsys.readouterr().out
    assert "1794 computed cells checked: 1794 right (100.0%)" in out and "every computed cell is right" in out


def test_sheetnet_answer_recalculated_by_libreoffice_checks_clean(tmp_path, recalc, capsys):
    path = tmp_path / "answer.xlsx"
    assert main(["answer", "-o", str(path)]) == 0
    judged = recalc(path)
    assert main(["check", str(judged)]) == 0
    assert "every computed cell is right" in capsys.readouterr().out


def test_the_answer_workbook_as_sheetnet_writes_it_checks_clean(tmp_path):
    path = tmp_path / "answer.xlsx"
    write_book_workbook(path, chapter3_params("book"))
    r = check(path)
    assert r.graded == 1794 and r.findings == [] and r.score == 1.0 and r.exit_code == 0


# -- the mistake suite ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES + [stale_case()], ids=lambda c: c.name)
def test_each_mistake_is_named_exactly_where_it_is(books, case):
    r = check(books[case.name])
    assert _roots(r) == case.roots  # exactly the changed cells, each with the right diagnosis
    assert len(r.root_causes) == case.groups
    # one finding per mistake however often it was copied, listing its places
    assert sum(len(g.places) for g in r.root_causes) == len(case.roots)
    for f in r.findings:
        if not f.is_root:
            assert f.caused_by, f"{f.title} inherits from nothing"
    assert r.exit_code == 1 and r.graded == 1794 and r.right == 1794 - len(r.findings)


def test_one_hidden_unit_formula_copied_across_is_one_finding_that_counts_what_it_spoils(books):
    r = check(books["missing bias, all images"])
    (root,) = r.root_causes
    assert root.diagnosis.code == "missing_bias" and len(root.places) == 64
    # a2_1, z3, a3 and C of every image, plus the totals and the images whose prediction flipped
    assert root.spoiled["a2_1"] == 64 and root.spoiled["z3_1"] == 64 and root.spoiled["C"] == 64
    assert root.spoiled["C_T"] == 1
    assert root.spoils == r.inherited == len(r.findings) - 64
    first = root.first
    assert (first.cell, first.image, first.label) == ("学习!O11", 1, "z2_1")
    assert first.formula == "=SUMPRODUCT(L5:N8,$D$5:$F$8)" and first.expected_formula.endswith("+$G$5")
    assert first.expected_locally == pytest.approx(-2.978659506689874) and first.found != pytest.approx(first.expected)


def test_a_relative_reference_is_a_root_cause_in_image_1_too_where_its_value_is_right(books):
    r = check(books["relative reference, all images"])
    image1 = next(f for f in r.findings if f.image == 1 and f.is_root)
    assert image1.kind == "formula" and image1.found == pytest.approx(image1.expected)
    assert all(f.kind == "value" for f in r.root_causes[0].places[1:])


def test_a_wrong_formula_in_one_image_spoils_only_that_image_and_the_totals(books):
    r = check(books["exponent sign, one image"])
    assert {f.image for f in r.findings if f.image} == {3}
    assert {f.label for f in r.findings if not f.image} <= {"C_T", "accuracy"}
    assert "1 − σ(z2_2)" in r.root_causes[0].diagnosis.text


def test_links_outside_the_workbook_are_reported_and_never_followed(books, monkeypatch):
    import subprocess

    def refuse(*a, **k):
        raise AssertionError("check started a program")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    path = books["links outside the workbook"]
    r = check(path, recalc=True)  # --recalc too: the copy is not handed to LibreOffice
    assert any("not recalculated" in n for n in r.notes)
    assert {f.diagnosis.code for f in r.findings if f.is_root} == {"external_link"}


def test_stale_values_are_noticed_and_manual_calculation_is_said(books):
    r = check(books["stale values (manual calculation)"])
    assert any("manual" in n for n in r.notes)
    assert r.root_causes[0].diagnosis.code == "stale"


# -- workbooks that are not (yet) calculated ---------------------------------------------------
def test_an_exercise_left_empty_is_one_finding_per_quantity(tmp_path, capsys):
    path = tmp_path / "exercise.xlsx"
    write_book_workbook(path, chapter3_params("initial"), exercise=True)
    r = check(path)
    assert r.score == 0 and r.right == 0
    assert [g.quantity for g in r.root_causes] == ["x", "t", "z2", "a2", "z3", "a3", "C", "answer", "predicted",
                                                   "right", "C_T", "accuracy"]
    assert {g.diagnosis.code for g in r.root_causes} == {"empty"}
    assert main(["check", str(path)]) == 1


def test_formulas_without_saved_values_are_calculated_by_sheetnet_and_recalc_asks_libreoffice(soffice, tmp_path,
                                                                                              capsys):
    # issue 12: a workbook written by a program that does not calculate is graded without LibreOffice
    # (it used to be refused with exit 2); --recalc still lets LibreOffice calculate a copy
    clean = tmp_path / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    bare = strip_cached_values(clean, tmp_path / "bare.xlsx")
    before = hashlib.sha256(bare.read_bytes()).hexdigest()
    assert main(["check", str(bare)]) == 0
    out = capsys.readouterr().out
    assert "saved without values" in out and "sheetnet calculated" in out and "every computed cell is right" in out
    assert main(["check", "--recalc", str(bare)]) == 0
    out = capsys.readouterr().out
    assert "recalculated by LibreOffice" in out and "every computed cell is right" in out
    assert hashlib.sha256(bare.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.xlsx", "clean.xlsx"]


def test_some_formulas_without_saved_values_are_findings(tmp_path):
    clean = tmp_path / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    cell = at("z3", 5, 1)
    path = mutate(clean, tmp_path / "partly.xlsx", {cell: "=MMULT($D$17:$F$17,AE14:AE16)+$G$17"})
    r = check(path)
    assert {f.cell: f.diagnosis.code for f in r.findings if f.is_root} == {f"学习!{cell}": "no_value"}


def test_a_workbook_with_only_the_data_has_nothing_to_check(book_dir, capsys):
    assert main(["check", str(book_dir / "appendix-a.xlsx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no learning sheet" in err


# -- odd formulas: never a traceback ----------------------------------------------------------
ODD = ["=A:A", "=SUM(1:1)", "=myname", "=测试!A1", "='学习'!O11", "=#REF!", "=Sheet1:Sheet3!A1", '=INDIRECT("A1")',
       "=((", "=SUM(", "=O11:O13", "=SUMPRODUCT(A1:XFD1048576,A1:XFD1048576)", "=$L$4+1", "=Data!A:A",
       "=cmd|'x'!A1", "=[2]a!b", '="text"', "=TRUE", "=1/0", "={1,2;3,4}", "=" + "+".join(["O11"] * 300)]


def test_odd_formulas_anywhere_give_findings_not_tracebacks(tmp_path):
    import random

    from checkcases import Q
    from checkmut import Saved, Typed
    from sheetnet.check import report
    from sheetnet.check.annotate import annotate

    clean = tmp_path / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    cells = [c for grid in Q.values() for c in grid.reshape(-1)] + ["G21", "G30"]
    rng = random.Random(4)
    for trial in range(12):
        edits = {}
        for cell in rng.sample(cells, 25):
            odd = rng.choice(ODD)
            edits[cell] = rng.choice([Saved(odd, rng.choice([0.0, -3.5, 1e300])), Typed(rng.random()), None, odd])
        path = mutate(clean, tmp_path / f"odd{trial}.xlsx", edits)
        r = check(path)
        assert r.findings and r.exit_code == 1
        report.text(r), report.json_text(r), report.junit([report.junit_suite(r)])
        annotate(r, tmp_path / "marked.xlsx")
