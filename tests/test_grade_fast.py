"""The grading's shortcuts held to the longer way each replaces: the same values, kinds and texts.

A class check grades many workbooks of one layout, so what depends only on where things are (the
addresses a reference reads, a family's cells, which result goes to which cell) is worked out once and
kept; and values that are numbers only (kind None) skip the kind masks. Each test here compares a
shortcut with the way it replaces, on random inputs where that fits.
"""

from __future__ import annotations

import numpy as np
import pytest

from sheetnet.check import probes
from sheetnet.check.local import agree_e2e
from sheetnet.formula import values as fv
from sheetnet.formula.evaluate import Cells, Evaluation, NotEvaluated
from sheetnet.formula.family import group
from sheetnet.formula.functions import _if
from sheetnet.formula.grid import Book, SheetGrid
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.evaluate import Templates
from sheetnet.mirror.compare import Tolerance
from sheetnet.xlsx.reader import Cell

TOL = Tolerance()


def _same_value(a: fv.V, b: fv.V) -> None:
    assert a.num.shape == b.num.shape
    assert np.array_equal(a.num, b.num, equal_nan=True)
    assert np.array_equal(a.kinds, b.kinds)
    assert (a.kind is None) == (b.kind is None)
    assert a.texts().tolist() == b.texts().tolist()


def _random_cells(rng, rows: int, cols: int, numbers_only: bool = False) -> dict:
    cells = {}
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            x = rng.random()
            if numbers_only or x < 0.7:
                cells[(r, c)] = Cell(float(rng.integers(-3, 4)) / 2, "n")
            elif x < 0.8:
                cells[(r, c)] = Cell(rng.choice(["a", "b", "○"]), "s")
            elif x < 0.85:
                cells[(r, c)] = Cell(bool(rng.integers(2)), "b")
            elif x < 0.9:
                cells[(r, c)] = Cell("#DIV/0!", "e")
            # else: blank
    return cells


def _book(rng, rows=12, cols=12, numbers_only=False, far=False) -> Book:
    cells = _random_cells(rng, rows, cols, numbers_only)
    if far:
        cells[(5000, 3)] = Cell(7.0, "n")  # beyond the dense block: in the grid's `far` cells
    return Book(["S"], lambda n: SheetGrid.of_cells(n, cells, (rows, cols)))


class _Wrapped:
    """A grid that is not a SheetGrid (as probes' grids are): read through its gather."""

    def __init__(self, base):
        self.base, self.name = base, base.name

    @property
    def shape(self):
        return self.base.shape

    def gather(self, rows, cols):
        return self.base.gather(rows, cols)


# -- a reference's addresses, kept ----------------------------------------------------------------
def _old_rectangle(ev: Evaluation, grid, top, left, bottom, right, array, clip) -> fv.V:
    """Evaluation.rectangle as it was before it kept the addresses (936edfb)."""
    top, left, bottom, right = (np.asarray(x).reshape(-1) for x in (top, left, bottom, right))
    if clip:
        R, C = grid.shape
        bottom, right = np.minimum(bottom, max(R - 1, 1)), np.minimum(right, max(C - 1, 1))
        bottom, right = np.maximum(bottom, top), np.maximum(right, left)
    heights, widths = bottom - top, right - left
    if heights.min() != heights.max() or widths.min() != widths.max():
        raise NotEvaluated("size")
    h, w = int(heights[0]) + 1, int(widths[0]) + 1
    if h * w > 1 and not array:
        rows, cols = ev.cells.rows, ev.cells.cols
        if h > 1 and w > 1:
            return fv.error(ev.m, fv.VALUE)
        if w == 1:
            ok = (top <= rows) & (rows <= bottom)
            r, c = np.where(ok, rows, top), np.broadcast_to(left, rows.shape)
        else:
            ok = (left <= cols) & (cols <= right)
            r, c = np.broadcast_to(top, cols.shape), np.where(ok, cols, left)
        v = grid.gather(r[:, None, None], c[:, None, None])
        if ok.all():
            return v
        kind = np.where(ok[:, None, None], v.kinds, fv.VALUE).astype(np.int8)
        return fv.from_kinds(np.where(ok[:, None, None], v.num, np.nan), kind, v.text)
    rows = top[:, None, None] + np.arange(h)[None, :, None]
    cols = left[:, None, None] + np.arange(w)[None, None, :]
    return grid.gather(rows, cols)


@pytest.mark.parametrize("seed", range(6))
def test_a_references_kept_addresses_read_what_working_them_out_again_reads(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 9))
    rows, cols = rng.integers(1, 15, m), rng.integers(1, 15, m)
    corners = []
    for _ in range(8):
        h, w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        if rng.random() < 0.3:  # one cell wide or high: an intersection where one value belongs
            h, w = (h, 1) if rng.random() < 0.5 else (1, w)
        if rng.random() < 0.5:  # absolute: one rectangle for every cell
            top, left = np.array([rng.integers(1, 12)]), np.array([rng.integers(1, 12)])
        else:  # relative: moves with the cell, sometimes off the block's end
            top, left = rows + int(rng.integers(-3, 4)), cols + int(rng.integers(-3, 4))
        top, left = np.maximum(top, 1), np.maximum(left, 1)
        corners.append((top, left, top + h - 1, left + w - 1))
    cells = Cells("S", rows, cols, corners, [None] * len(corners))
    checked = 0
    shapes = [(20, 20, False), (17, 19, True), (20, 20, False), (9, 8, False)]  # other values, other shapes
    for book_seed, (R, C, far) in enumerate(shapes):
        book = _book(np.random.default_rng(seed * 10 + book_seed), rows=R, cols=C, far=far)
        for wrap in (False, True):
            if wrap:
                book.set_grid("S", _Wrapped(book.grid("S")))
            ev = Evaluation(None, book, cells)
            for k, (top, left, bottom, right) in enumerate(corners):
                for array in (False, True):
                    for clip in (False, True):
                        want = _outcome(lambda: _old_rectangle(ev, book.grid("S"), top, left, bottom, right,
                                                               array, clip))
                        for _ in range(2):  # worked out, then kept
                            got = _outcome(lambda: ev.reference(k, array, clip))
                            assert (got is None) == (want is None)
                            if got is not None:
                                _same_value(got, want)
                                checked += 1
    assert len(cells.memo) > 1 and checked > 100  # (kept: the test would not test the kept addresses otherwise)


def _outcome(read):
    """A reference's value, or None when it is not evaluated (NotEvaluated: a size that changes)."""
    try:
        return read()
    except NotEvaluated:
        return None


@pytest.mark.parametrize("template", [
    "=A{r}*2+B{s}", "=SUM($A$1:A{r})", "=A1:A9", "=B{r}:D{r}", "=SUMPRODUCT(A{r}:B{s},$C$1:$D$2)",
    '=IF(A{r}>0,B{r},"x")', "=A{r}&B{r}", "=MMULT($A$1:$B$1,A{r}:A{s})", '=COUNTIF(A1:C{r},">0")+MAX(A{r}:B{r})',
    "=Other!A{r}+1"])
def test_a_family_evaluated_again_over_other_values_gives_what_a_new_family_gives(template):
    rows, cols = np.arange(2, 9), np.full(7, 6)  # (filled down: relative rows move; $A$1:A{r} grows, one group per size)
    texts = [template.format(r=r, s=r + 1) for r in rows]
    kept, _ = group("S", texts, rows, cols)
    for book_seed in range(4):
        rng = np.random.default_rng(book_seed)
        cells = _random_cells(rng, 10 + book_seed, 10, numbers_only=book_seed == 3)
        other = _random_cells(rng, 12, 3)
        sheets = {"S": cells, "Other": other}
        book = Book(["S", "Other"], lambda n: SheetGrid.of_cells(n, sheets[n]))
        fresh, _ = group("S", texts, rows, cols)
        for a, b in zip([f.evaluate(book) for f in kept], [f.evaluate(book) for f in fresh]):
            assert (a is None) == (b is None), template
            if a is not None:
                _same_value(a, b)
    assert fresh[0]._cells is None  # (evaluated once, as a workbook checked alone: nothing kept)
    memo = kept[0]._cells.memo
    assert any(isinstance(k, tuple) for piece in memo["pieces"][1] for k in piece.memo)


# -- numbers only: no kind masks ------------------------------------------------------------------
def _spelt_out(v: fv.V) -> fv.V:
    """The same value with every kind written out (the longer way's input)."""
    return fv.V(v.num, v.kinds.copy(), v.text)


@pytest.mark.parametrize("shape", [(40, 1, 1), (30, 2, 3)])
def test_comparing_numbers_only_is_what_comparing_them_kind_by_kind_gives(shape):
    rng = np.random.default_rng(1)
    for _ in range(20):
        a = rng.choice([0.0, 1.0, -1.0, 1e-12, 1e9, np.nan, np.inf, -np.inf, 0.5], size=shape)
        b = np.where(rng.random(shape) < 0.5, a, a * (1 + rng.choice([0, 1e-10, 1e-6, 1e-3], size=shape)))
        b = np.where(rng.random(shape) < 0.1, rng.choice([np.nan, 2.0, np.inf], size=shape), b)
        x, y = fv.V(a), fv.V(b)
        for dialect in ("excel", "libreoffice"):
            fast = probes.same(x, y, TOL, dialect)
            assert np.array_equal(fast, probes.same(_spelt_out(x), _spelt_out(y), TOL, dialect))
            assert np.array_equal(fast, probes.same(_spelt_out(x), y, TOL, dialect))
        assert np.array_equal(probes.known(x), probes.known(_spelt_out(x)))
        if shape[1:] == (1, 1):
            e = np.where(rng.random(shape[0]) < 0.2, np.nan, b.reshape(-1))
            assert np.array_equal(agree_e2e(x, e, TOL), agree_e2e(_spelt_out(x), e, TOL))


class _Args:
    """An evaluation stub whose arguments are given values."""

    def __init__(self, values):
        self.values = values

    def node(self, n, array):
        return self.values[n]


def test_if_over_numbers_only_is_what_if_over_any_values_gives():
    rng = np.random.default_rng(2)
    for m, shape in ((1, (1, 1)), (9, (1, 1)), (9, (2, 3))):
        for _ in range(10):
            cond_num = rng.choice([0.0, 1.0, 2.5, np.nan], size=(m, *shape))
            conds = [fv.V(cond_num), fv.boolean(cond_num > 1)]
            yes, no = fv.V(rng.normal(size=(m, *shape))), fv.V(rng.choice([1.0, np.inf, np.nan], size=(1, *shape)))
            for cond in conds:
                got = _if(_Args([cond, yes, no]), [0, 1, 2], False)
                assert got.kind is None
                _same_value(got, _if(_Args([cond, _spelt_out(yes), no]), [0, 1, 2], False))


# -- the layout's results at each cell, by one index -----------------------------------------------
def _plan(q="x", n=5):
    t = Templates(CHAPTER3, n, 1, {s.role: s.names[0] for s in CHAPTER3.sheets})
    return t.graded(CHAPTER3[q])


def _results(rng, plan, text_at=None):
    out = []
    for k, f in enumerate(plan.families):
        v = fv.V(rng.normal(size=(f.m, 1, 1)))
        if k == text_at:
            v = fv.text_value("○", f.m)
        out.append(v)
    return out


@pytest.mark.parametrize("q", ["x", "t", "z2", "z3", "C", "right"])
def test_the_layouts_values_stacked_by_one_index_are_the_slots_parts_stacked(q):
    from sheetnet.layout.evaluate import Graded

    rng = np.random.default_rng(3)
    plan = _plan(q)
    for trial in range(4):
        results = _results(rng, plan, text_at=0 if trial == 3 else None)
        want = fv.stack_cells([(cells, results[k].take(where)) for cells, k, where in plan.parts], len(plan.rows))
        _same_value(plan.local(results), want)
    # a cell no slot covers is blank; where parts overlap, the last one's value (as stack_cells writes them)
    m = len(plan.rows)
    fams = plan.families
    k0 = 0
    cells_a = np.arange(0, m - 1)
    cells_b = np.arange(0, min(3, m - 1))
    parts = [(cells_a, k0, np.arange(len(cells_a)) % fams[k0].m), (cells_b, k0, np.arange(len(cells_b))[::-1])]
    odd = Graded(plan.shape, plan.rows, plan.cols, plan.expected, plan.graded, fams, parts, plan.family,
                 plan.evaluations)
    results = _results(rng, plan)
    _same_value(odd.local(results), fv.stack_cells([(c, results[k].take(w)) for c, k, w in parts], m))


def test_the_quantitys_cells_read_by_flat_index_are_what_gather_reads():
    rng = np.random.default_rng(4)
    plan = _plan("z2", 64)
    for rows, cols, far in ((40, 300, False), (12, 80, True), (40, 300, True)):  # (the cells off a small block)
        cells = _random_cells(rng, rows, cols)
        if far:
            cells[(5000, 20)] = Cell(1.0, "n")
        grid = SheetGrid.of_cells("学习", cells)
        for g in (grid, _Wrapped(grid)):
            for _ in range(2):
                _same_value(plan.read(g), grid.gather(plan.rows[:, None, None], plan.cols[:, None, None]))


# -- judging a quantity whose formulas are all the book's text, or whose values are numbers only -------
def _spelt_out_grade(grade):
    """local.grade, with every value's kinds written out and a student family more: the judging's longer way."""
    def run(*args, **kwargs):
        v = grade(*args, **kwargs)
        for g in v.graded.values():
            own_is_local = g.own is g.local
            g.found, g.local = _spelt_out(g.found), _spelt_out(g.local)
            g.own = g.local if own_is_local else _spelt_out(g.own)
            if not g.families:
                g.families = [None]  # (never read: a family no cell is in)
        return v
    return run


def _findings(result) -> list:
    return [(f.cell, f.kind, f.diagnosis and f.diagnosis.code, f.found, f.expected, f.expected_locally, f.formula,
             f.root_cause, f.caused_by) for f in result.findings]


def test_judging_by_the_shortcuts_finds_what_the_longer_way_finds(tmp_path, monkeypatch):
    from checkcases import CASES, at
    from checkmut import Saved, Typed, mutate
    from sheetnet.check import checker
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    clean = tmp_path / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    edits = {}
    for case in CASES[:12]:  # the suite's mistakes, saved with a value the formula does not give
        edits.update({cell: Saved(e, 0.25) if isinstance(e, str) else e for cell, e in case.edits.items()
                      if isinstance(e, (str, Typed))})
    edits.update({at("a2", 30, 1): None, at("z2", 31, 2): Typed(0.5), at("a3", 32, 1): "=1/(1+EXP(-O17))",
                  at("C", 33): Saved("=NOSUCH(1)", 1.0), at("t", 34, 1): Saved("=IF(Data!N9=0,1,0)", 7.0)})
    paths = [clean, mutate(clean, tmp_path / "mistakes.xlsx", edits)]
    for path in paths:
        want = checker.check(path)
        with monkeypatch.context() as m:
            m.setattr(checker, "grade", _spelt_out_grade(checker.grade))
            got = checker.check(path)
        assert _findings(got) == _findings(want)
        assert got.graded == want.graded and len(got.root_causes) == len(want.root_causes)
    assert len(_findings(want)) > 50


# -- COUNTIF: each distinct text matched once --------------------------------------------------------
def _old_count_texts(k, texts, op, rest):
    """functions._count_matching's text loop as it was (936edfb): every cell's text matched."""
    from sheetnet.formula.functions import _wildcard

    pattern = _wildcard(rest)
    m = k.shape[0]
    out = np.zeros(m)
    for i in range(m):
        for j in np.nonzero(k[i] == fv.TEXT)[0]:
            hit = pattern.fullmatch(texts[i, j]) is not None
            out[i] += hit if op != "<>" else 0
        if op == "<>":
            out[i] = k.shape[1] - sum(pattern.fullmatch(texts[i, j]) is not None for j in np.nonzero(k[i] == fv.TEXT)[0])
    return out


def test_countif_matching_each_distinct_text_once_counts_what_matching_every_cell_counts():
    from sheetnet.formula.functions import _count_matching

    rng = np.random.default_rng(5)
    words = np.array(["○", "×", "a", "A", "ab", "b*", "", "Straße", "STRASSE", "K", "\u212a"], dtype=object)
    for criterion in ["○", "×", "a", "A*", "?b", "*", "~*", "b~*", "<>○", "<>a*", "=a", "k", "straße"]:
        for m, w in ((1, 64), (5, 7)):
            k = rng.choice([fv.TEXT, fv.NUM, fv.BLANK, fv.TEXT], size=(m, 1, w)).astype(np.int8)
            text = np.where(k == fv.TEXT, rng.choice(words, size=(m, 1, w)), None)
            cells = fv.V(np.where(k == fv.NUM, 1.0, np.nan), k, text)
            op, rest = ("<>", criterion[2:]) if criterion.startswith("<>") else (
                ("=", criterion[1:]) if criterion.startswith("=") else ("=", criterion))
            got = _count_matching(cells, (fv.TEXT, None, criterion), "excel")
            want = _old_count_texts(k.reshape(m, -1), cells.texts().reshape(m, -1), op, rest)
            assert got.dtype == want.dtype and np.array_equal(got, want), criterion


def test_a_range_anchored_at_one_end_and_filled_across_gives_findings_not_an_internal_error(tmp_path):
    # its family has one group of cells per size of the range (Cells.take of an absolute corner: one number)
    from checkcases import Q
    from checkmut import Saved, mutate
    from sheetnet.check.checker import check
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    clean = tmp_path / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    cells = Q["C"][:5, 0, 0, 0]
    path = mutate(clean, tmp_path / "anchored.xlsx", {c: Saved(f"=SUM($O$21:{c})", 1.0) for c in cells})
    r = check(path)
    assert set(cells) <= {f.cell.split("!")[1] for f in r.findings if f.is_root}  # (and C_T: its saved value is stale)
