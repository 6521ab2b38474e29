"""`sheetnet check` on the chapter-2 workbooks: a clean one checks clean, and each typical mistake, made
once and filled across the students (or down the steps), is named exactly where it is, as one root cause.

The suites (checkcases_chapter2.py) change formulas in copies of clean workbooks, let LibreOffice calculate
them, and assert that the report names exactly the changed cells as root causes with the right diagnosis."""

import pytest

from checkcases_chapter2 import DESCENT_CASES, REGRESSION_CASES, STEPS, STUDENTS, build
from sheetnet.check.checker import check
from sheetnet.cli import main
from sheetnet.mirror.kinds import detect

GRADED = {"regression": 2 * STUDENTS + 1, "descent": 9 * STEPS}  # prediction, e, E; nine computed columns a step
CASES = [("regression", c) for c in REGRESSION_CASES] + [("descent", c) for c in DESCENT_CASES]


@pytest.fixture(scope="module")
def books(soffice, tmp_path_factory):
    return build(tmp_path_factory.mktemp("check-chapter2"))


@pytest.fixture(scope="module")
def checked(books):
    done = {}

    def run(kind: str, name: str):
        if (kind, name) not in done:
            done[kind, name] = check(books[kind][name])
        return done[kind, name]

    return run


def _roots(result) -> dict[str, str]:
    return {f.cell.split("!")[1]: f.diagnosis.code for f in result.findings if f.is_root}


@pytest.mark.parametrize("kind", ["regression", "descent"])
def test_the_clean_workbooks_check_clean(books, kind):
    for name in ("clean", "clean (LibreOffice)"):
        assert detect(books[kind][name]).name == kind
        r = check(books[kind][name])
        assert r.graded == GRADED[kind] and r.findings == [] and r.exit_code == 0, name


@pytest.mark.parametrize("kind, case", CASES, ids=lambda c: c if isinstance(c, str) else c.name)
def test_each_mistake_is_named_exactly_where_it_is_as_one_root_cause(checked, kind, case):
    r = checked(kind, case.name)
    assert _roots(r) == case.roots  # exactly the changed cells, each with the right diagnosis
    assert len(r.root_causes) == 1 and len(r.root_causes[0].places) == len(case.roots)
    for f in r.findings:
        if not f.is_root:
            assert f.caused_by == ("R1",), f"{f.title} inherits from nothing"
    assert r.exit_code == 1 and r.graded == GRADED[kind]


def test_a_relative_p_is_right_for_student_1_and_moves_off_p_for_the_others(checked):
    r = checked("regression", "the prediction with a relative p")
    (root,) = r.root_causes
    first, second = root.places[:2]
    assert (first.image, first.kind) == (1, "formula")  # right value, wrong formula: found before it spreads
    assert second.image == 2 and second.kind == "value" and "D5" in second.diagnosis.text
    assert {f.quantity for f in r.findings if not f.is_root} == {"e", "E"}


def test_a_short_total_says_which_student_it_misses(checked):
    (root,) = checked("regression", "E over six students").root_causes
    assert f"student {STUDENTS}" in root.diagnosis.text and root.spoils == 0


def test_a_missing_factor_spoils_every_later_step_without_being_made_there_again(checked):
    r = checked("descent", "∂z/∂x without its factor 2")
    (root,) = r.root_causes
    assert [f.iteration for f in root.places] == list(range(1, STEPS + 1))
    assert "the factor 2 is missing" in root.diagnosis.text
    later_x = [f for f in r.findings if f.quantity == "x"]
    assert [f.iteration for f in later_x] == list(range(2, STEPS + 1)) and all(f.kind == "inherited" for f in later_x)
    assert not any(f.quantity in ("y", "dz_dy", "dy", "y_next") for f in r.findings)  # the y column is untouched


def test_the_command_line_names_the_mistake(books, capsys):
    assert main(["check", str(books["descent"]["Δy with η twice"])]) == 1
    out = capsys.readouterr().out
    assert "η is applied twice" in out and f"{GRADED['descent']} computed cells checked" in out


def test_every_kinds_mistakes_have_a_title_and_a_hint():
    """A kind's own diagnosis codes (descent's missing_factor) are named by its layout, not left as codes."""
    from sheetnet.check.diagnose import Diagnosis
    from sheetnet.check.report import title_of
    from sheetnet.mirror.kinds import KINDS

    for kind in KINDS:
        for m in kind.layout.mistakes:
            assert title_of(m.code) != m.code, (kind.name, m.code)
            assert Diagnosis(m.code, "").hint_text != m.code, (kind.name, m.code)
    assert title_of("missing_factor") == "derivative without its factor"


def test_the_report_calls_the_items_what_the_layout_calls_them(books, checked, capsys):
    """Students in the regression, steps in the descent (Layout.item_noun/iteration_noun), never 'images'."""
    assert main(["check", str(books["regression"]["E over six students"])]) == 1
    out = capsys.readouterr().out
    assert ": 7 students · " in out and "image" not in out
    assert "the range misses student 7 (1 of 7 cells): it should cover every student" in out
    assert main(["check", str(books["descent"]["Δx with a relative η"])]) == 1
    out = capsys.readouterr().out
    assert f": {STEPS} steps · " in out and f"dx, {STEPS} places (steps 1–{STEPS})" in out and "image" not in out
    assert "梯度下降法!G9 · step 1 · dx" in out and "iteration" not in out
