"""The checker on the CNN backpropagation workbook: the pooled error sent to every position of its
window (the chapter-5 mistake of the backward pass), made in every cell of every map, every image and
iteration block, and recalculated by LibreOffice — named where it changes a value, nowhere else."""

from __future__ import annotations

import pytest

from checkmut import mutate
from sheetnet.check.checker import check
from sheetnet.layout.chapter5_backprop import CNN_BACKPROP
from sheetnet.mirror.cnn_backprop import write_cnn_backprop_workbook
from sheetnet.record import replace
from sheetnet.xlsx.refs import cell_name

ITERATIONS = 2
N = 96
NAMES = {s.role: s.names[0] for s in CNN_BACKPROP.sheets}
LEARN_PART = "xl/worksheets/sheet2.xml"  # Data, the learning sheet, the summary: in that order


def _everywhere(name: str, template: str) -> dict[str, str]:
    """The template as the student would have typed it in every cell of the quantity."""
    q = replace(CNN_BACKPROP[name], formula=template, first_formula=None, first_iteration=None)
    pos = CNN_BACKPROP.positions(q, N, ITERATIONS)
    out = {}
    for it in range(ITERATIONS):
        for image in range(N):
            for unit in range(q.place.units):
                for r in range(q.place.shape[0]):
                    for c in range(q.place.shape[1]):
                        text = CNN_BACKPROP.formula(q, N, NAMES, image, unit, r, c, it, ITERATIONS)
                        out[cell_name(*(int(v) for v in pos[it, image, unit, r, c]))] = text
    return out


@pytest.fixture(scope="module")
def books(recalc, tmp_path_factory):
    out = tmp_path_factory.mktemp("check-cnn-backprop")
    clean = out / "clean.xlsx"
    write_cnn_backprop_workbook(clean, iterations=ITERATIONS)
    every = _everywhere("delta_conv", "={delta_pool%2}*{aF.}*(1-{aF.})")
    edited = mutate(clean, out / "every-position-edit.xlsx", every, part=LEARN_PART)
    return {"clean": recalc(clean), "every position": recalc(edited), "edits": every}


def test_the_clean_workbook_recalculated_by_libreoffice_checks_clean(books):
    r = check(books["clean"])
    assert r.loaded.layout is CNN_BACKPROP and r.loaded.n_iterations == ITERATIONS
    assert r.exit_code == 0 and r.graded > 50_000


def test_a_pooled_error_sent_to_every_position_is_named_where_it_changes_a_value(books):
    r = check(books["every position"])
    roots = [f for f in r.findings if f.is_root]
    assert roots, "the mistake must be found"
    assert {f.diagnosis.code for f in roots} == {"error_to_every_position"}
    cells = {f.cell.split("!")[1] for f in roots}
    assert cells <= set(books["edits"])  # nothing else is a root cause
    # three of the four cells of a window are not its maximum: most edited cells of iteration 1 are wrong
    first_block = [f for f in roots if f.iteration == 1]
    assert len(first_block) > 0.5 * 0.75 * N * 3 * 16
    # and everything downstream (gradients, the next block's parameters) is inherited, not a root cause
    assert any(f.quantity == "g_filters" and not f.is_root for f in r.findings)
    assert "only the window's (first) maximum" in roots[0].diagnosis.text
