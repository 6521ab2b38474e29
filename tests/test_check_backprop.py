"""`sheetnet check` on the chapter-4 backpropagation workbook: a clean one checks clean, and each
mistake, made once and copied to every image and every iteration block, is named exactly where it is.

The suite (checkcases_backprop.py) changes formulas in copies of a clean 3-iteration workbook, lets
LibreOffice calculate them, and asserts that the report names exactly the changed cells as root
causes, with the right diagnosis, and no other cell; and that one mistake copied is one root cause.
"""

import pytest

from checkcases_backprop import CASES, ITERATIONS, N, Q, at, build
from sheetnet.check.checker import check
from sheetnet.check.report import TITLES
from sheetnet.cli import main
from sheetnet.mirror.kinds import detect

# every computed cell of the learning sheet and the summary, less the iteration and image numbers
# (labels) and iteration 1's parameters (typed): what check grades in a 3-iteration workbook
GRADED = sum(Q[name].size // ITERATIONS * (ITERATIONS - (name in ("w2", "b2", "w3", "b3")))
             for name in Q if name not in ("iteration", "image_no"))


@pytest.fixture(scope="module")
def books(soffice, tmp_path_factory):
    return build(tmp_path_factory.mktemp("check-backprop"))


@pytest.fixture(scope="module")
def checked(books):
    """check() of one of the suite's workbooks, once each (a check of 14,000 cells takes a second)."""
    done = {}

    def run(name: str):
        if name not in done:
            done[name] = check(books[name])
        return done[name]

    return run


def _roots(result) -> dict[str, str]:
    return {f.cell.split("!")[1]: f.diagnosis.code for f in result.findings if f.is_root}


# -- clean workbooks -----------------------------------------------------------------------------
def test_the_answer_workbook_as_sheetnet_writes_it_is_a_backprop_workbook_that_checks_clean(books):
    assert detect(books["clean"]).name == "backprop"
    r = check(books["clean"])
    assert r.graded == GRADED and r.findings == [] and r.score == 1.0 and r.exit_code == 0


def test_the_clean_workbook_recalculated_by_libreoffice_checks_clean(books, capsys):
    assert main(["check", str(books["clean (LibreOffice)"])]) == 0
    out = capsys.readouterr().out
    assert f"{GRADED} computed cells checked: {GRADED} right (100.0%)" in out and "every computed cell is right" in out


def test_sheetnet_answer_kind_backprop_checks_clean(tmp_path, capsys):
    path = tmp_path / "answer.xlsx"
    assert main(["answer", "--kind", "backprop", "--iterations", "2", "-o", str(path)]) == 0
    assert main(["check", str(path)]) == 0
    assert "every computed cell is right" in capsys.readouterr().out


# -- the mistake suite ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_mistake_is_named_exactly_where_it_is(checked, case):
    r = checked(case.name)
    assert _roots(r) == case.roots  # exactly the changed cells, each with the right diagnosis
    assert sum(len(g.places) for g in r.root_causes) == len(case.roots)
    for f in r.findings:
        if not f.is_root:
            assert f.caused_by, f"{f.title} inherits from nothing"
    assert r.exit_code == 1 and r.graded == GRADED and r.right == GRADED - len(r.findings)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_mistake_copied_to_every_image_and_iteration_is_one_root_cause(checked, case):
    assert len(checked(case.name).root_causes) == case.groups


def test_a_wrong_delta3_spoils_what_follows_in_its_block_and_every_later_one(checked):
    r = checked("δ3 without the sigmoid's derivative")
    (root,) = r.root_causes
    assert {(f.iteration, f.image) for f in root.places} == {(i, j) for i in range(1, ITERATIONS + 1)
                                                              for j in range(1, N + 1)}
    first = root.first
    assert (first.cell, first.iteration, first.image, first.label) == (f"误差反向传播!{at('delta3', 1)}", 1, 1,
                                                                       "delta3_1")
    assert first.found != pytest.approx(first.expected_locally)
    # iteration 2's parameters are updated right from wrong gradients: inherited, not root causes
    w2 = [f for f in r.findings if f.quantity == "w2"]
    assert w2 and all(f.kind == "inherited" and f.caused_by == (root.id,) for f in w2)
    assert {f.iteration for f in w2} == {2, 3}
    assert root.spoiled["delta2_1"] == ITERATIONS * N and root.spoiled["C_T"] == ITERATIONS - 1
    assert root.spoils == r.inherited == len(r.findings) - len(root.places)


def test_a_plus_in_the_update_is_named_in_each_later_block_only(checked):
    r = checked("the update of w2 with a plus sign")
    (root,) = r.root_causes
    assert {f.iteration for f in root.places} == set(range(2, ITERATIONS + 1))
    assert "minus, not plus" in root.diagnosis.text
    # iteration 1 computes from the typed parameters: nothing of it is wrong
    assert all(f.iteration != 1 for f in r.findings)


def test_a_short_gradient_sum_says_which_images_it_misses(checked):
    (root,) = checked("gb3 sums images 1–32 only").root_causes
    assert f"images {N // 2 + 1}–{N}" in root.diagnosis.text


def test_another_units_weights_name_the_w3_column_read_and_the_one_that_belongs(checked):
    r = checked("δ2 of units 2 and 3 read w3's first column")
    first = r.root_causes[0].first
    assert first.label == "delta2_2" and first.iteration == 1
    assert "D18:D19" in first.diagnosis.text and "E18:E19" in first.diagnosis.text


def test_the_command_line_names_the_mistake_and_its_iteration(books, capsys):
    assert main(["check", str(books["η applied twice in w3"])]) == 1
    out = capsys.readouterr().out
    assert TITLES["eta_twice"] in out and "η is applied twice" in out
    assert "iteration 2" in out and f"{GRADED} computed cells checked" in out
