"""A slot's family has a key (its relative form: the checker skips the probes for a student's family of
that key) only when every reference sits the same way relative to every cell. Templates.slots finds it
from the plan's steps (layout.evaluate._families with the region and the steps); comparing every
corner's array with every cell's position says the same: for every kind's templates and its mistakes'
templates, with and without images, iterations and a first image or iteration of their own — and
the references it is parsed with, moved to its first cell, are those of the corners there."""

import numpy as np
import pytest

import sheetnet.layout.evaluate as evaluate
from sheetnet.layout.evaluate import Templates
from sheetnet.mirror.kinds import KINDS


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@pytest.mark.parametrize("n,k", [(1, 1), (5, 3), (2, 2)])
def test_a_slots_key_from_its_steps_is_the_key_from_its_corners(kind, n, k, monkeypatch):
    layout = kind.layout
    k = min(k, max(layout.max_iterations, 1))
    names = {s.role: s.names[0] for s in layout.sheets}
    seen = {"by steps": 0, "keyed": 0, "unkeyed": 0}
    original = evaluate._families

    def both(sheet, base, corners, first, rows, cols, region=None, fields=None):
        by_steps = original(sheet, base, corners, first, rows, cols, region, fields)
        by_arrays = original(sheet, base, corners, first, rows, cols)
        assert [f.key for f, _ in by_steps] == [f.key for f, _ in by_arrays], (first, region)
        assert [f.parsed.refs for f, _ in by_steps] == [f.parsed.refs for f, _ in by_arrays], first
        seen["by steps"] += region is not None and fields is not None and any(f[4] is None for f in fields)
        seen["keyed" if by_steps[0][0].key is not None else "unkeyed"] += 1
        return by_steps

    monkeypatch.setattr(evaluate, "_families", both)
    templates = Templates(layout, n, k, names)
    for q in layout.quantities:
        if q.sheet in names:
            templates.slots(q)
    for m in layout.mistakes:
        q = layout[m.quantity]
        if q.sheet in names:
            templates.slots(q, m.template, key=m.code)
    assert seen["by steps"] and seen["keyed"]
    if k > 1 and kind.name in ("backprop", "cnn-backprop"):  # blocks that read their own parameters
        assert seen["unkeyed"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_the_shapes_planned_for_an_evaluation_are_the_ones_its_cells_have(kind):
    # _together finds which merged families' references name one size at every cell and says so to the
    # family (and to the families it joins), so that evaluating it does not work it out again (_by_shape)
    from sheetnet.formula.family import _by_shape
    from sheetnet.layout.evaluate import together

    layout = kind.layout
    k = min(3, max(layout.max_iterations, 1))
    names = {s.role: s.names[0] for s in layout.sheets}
    templates = Templates(layout, 4, k, names)
    told = 0
    for name in layout.graded:
        q = layout[name]
        if q.sheet not in names:
            continue
        plan = templates.graded(q)
        for members in plan.evaluations:
            f = together(plan.families, members)
            if f._groups is not None:
                told += 1
                assert f._groups == _by_shape(f.cells()) == [None], (name, f.text)
    assert told


def test_a_family_whose_range_grows_is_left_to_be_grouped_by_shape():
    # (none of the layouts' families does: a range anchored at one end, $A$1:A1 filled down)
    from sheetnet.formula.family import Family, _by_shape
    from sheetnet.formula.syntax import parse
    from sheetnet.layout.evaluate import _together

    rows, cols = np.array([1, 2, 3]), np.array([2, 2, 2])
    one = np.broadcast_to(np.int64(1), (3,))
    growing = Family(None, parse("=SUM($A$1:A1)"), "s", (1, 2), rows, cols, corners=[(one, one, rows, one)])
    moving = Family(None, parse("=SUM(A1:A1)"), "s", (1, 2), rows, cols, corners=[(rows, one, rows, one)])
    _together([growing, moving])
    assert growing._groups is None and len(_by_shape(growing.cells())) == 3
    assert moving._groups == [None] == _by_shape(moving.cells())
