"""sheetnet.formula: families, the layout's formulas at every cell, and spreadsheet semantics — without
LibreOffice (tests/test_formula_libreoffice.py holds the evaluator against LibreOffice's own results)."""

from __future__ import annotations

import numpy as np
import pytest

from sheetnet.formula import values as fv
from sheetnet.formula.family import group
from sheetnet.formula.grid import Book, SheetGrid
from sheetnet.formula.syntax import family_key, parse
from sheetnet.layout.backprop import BACKPROP
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.chapter5 import CNN5
from sheetnet.layout.evaluate import Templates
from sheetnet.xlsx.reader import Cell
from sheetnet.xlsx.refs import parse_cell


# -- families ---------------------------------------------------------------------------------------
def test_a_formula_filled_across_and_down_is_one_family():
    assert family_key("=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5", 11, 15) == family_key("=SUMPRODUCT(P5:R8,$D$5:$F$8)+$G$5", 11, 19)
    assert family_key("=1/(1+EXP(-O11))", 14, 15) == family_key("=1/(1+EXP(-O12))", 15, 15)
    assert family_key("=sumproduct( l5:n8 ,$d$5:$f$8)+$g$5", 11, 15) == family_key("=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5", 11, 15)
    # … and what differs is not: another absolute cell, another relative offset, a string's letter case
    assert family_key("=SUMPRODUCT(P5:R8,$D$9:$F$12)+$G$5", 11, 19) != family_key("=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5", 11, 15)
    assert family_key("=O11", 14, 15) != family_key("=O11", 14, 16)
    assert family_key('=IF(A1="a",1,0)', 1, 2) != family_key('=IF(A1="A",1,0)', 1, 2)
    # names, functions that look like cells, other sheets
    assert family_key("=LOG10(A1)+w_one", 1, 2) == "=LOG10(r0c-1)+W_ONE"
    assert family_key("='学习 x'!$D5+Data!K5", 5, 2) == "=学习 X!r0C4+DATA!r0c9"


def test_the_tree_follows_excels_precedence_and_never_takes_the_stack_down():
    assert parse("=-2^2").tree == ("bin", "^", ("neg", ("num", 2.0)), ("num", 2.0))  # (−2)², as Excel
    assert parse("=1-2-3").tree == ("bin", "-", ("bin", "-", ("num", 1.0), ("num", 2.0)), ("num", 3.0))
    assert parse("=A1&B1=C1").tree[1] == "="
    assert parse("=A1 B1").tree is None  # the intersection operator: not evaluated
    assert parse("=" + "(" * 5000 + "1" + ")" * 5000).unparsable


@pytest.mark.parametrize("layout, n, k", [(CHAPTER3, 64, 1), (BACKPROP, 5, 3), (CNN5, 4, 1)])
def test_the_layouts_text_at_every_cell_is_the_text_it_writes(layout, n, k):
    names = {s.role: s.names[0] for s in layout.sheets}
    t = Templates(layout, n, k, names)
    for q in layout.quantities:
        if not q.computed or q.sheet not in names:
            continue
        texts = t.expected_texts(q)
        for index in np.ndindex(texts.shape):
            it, image, unit, r, c = layout.index_parts(q, index)
            template = q.formula_for(image, it)
            want = layout.formula(q, n, names, image, unit, r, c, it, k) if template and template.startswith("=") else None
            assert texts[index] == want, (q.name, index)


# -- evaluation ---------------------------------------------------------------------------------------
def _book(cells: dict[str, dict[str, object]], names=(), dialect="excel") -> Book:
    """A workbook from {sheet: {'A1': value or '=formula'}} (formulas without values)."""
    sheets = {}
    for sheet, values in cells.items():
        grid = {}
        for ref, v in values.items():
            if isinstance(v, str) and v.startswith("="):
                grid[parse_cell(ref)] = Cell(None, "", v)
            elif isinstance(v, str) and v.startswith("#"):
                grid[parse_cell(ref)] = Cell(v, "e")
            elif isinstance(v, bool):
                grid[parse_cell(ref)] = Cell(v, "b")
            elif isinstance(v, str):
                grid[parse_cell(ref)] = Cell(v, "s")
            else:
                grid[parse_cell(ref)] = Cell(float(v), "n")
        sheets[sheet] = grid
    return Book(list(sheets), lambda n: SheetGrid.of_cells(n, sheets[n], (30, 30)), list(names), dialect)


def _at(book: Book, sheet: str, cell: str, formula: str):
    r, c = parse_cell(cell)
    (f,), _ = group(sheet, [formula], np.array([r]), np.array([c]))
    v = f.evaluate(book)
    return None if v is None else fv.python_value(v, (0, 0, 0)), f.unknown


SHEET = {"A1": 1.0, "A2": 2.0, "A3": "text", "A4": "#DIV/0!", "B1": 3.0, "B2": 4.0, "C1": True, "D5": 0.5}


@pytest.mark.parametrize("formula, cell, want", [
    ("=A1+A2*2^2", "E1", 9.0),
    ("=A1:A2", "E2", 2.0),  # the implicit intersection: row 2
    ("=A1:A2", "E9", "#VALUE!"),  # no row of the range is row 9
    ("=SUM(A1:A3)", "E1", 3.0),  # text is skipped in a range …
    ("=A1+A3", "E1", "#VALUE!"),  # … not in arithmetic
    ("=SUM(A1:A4)", "E1", "#DIV/0!"),  # an error is never skipped
    ("=IF(A1>0,1,A4)", "E1", 1.0),  # the branch not taken does not spoil it
    ("=SUMPRODUCT(A1:A2,B1:B2)", "E1", 11.0),
    ("=SUMPRODUCT((A1:A2-B1:B2)^2)", "E1", 8.0),
    ("=SUMPRODUCT(A1:A2,B1:B3)", "E1", "#VALUE!"),  # sizes differ
    ("=MMULT(A1:B1,A1:A2)", "E1", 7.0),
    ("=SUMXMY2(A1:A2,B1:B2)", "E1", 8.0),
    ("=COUNTIF(A1:A3,\">1\")+COUNTIF(A1:A3,\"te*\")", "E1", 2.0),
    ("=COUNTA(A1:A4)+COUNT(A1:A4)", "E1", 6.0),
    ('=IF(A3="TEXT","same","other")', "E1", "same"),  # text compares without regard to case
    ("=A1&\"-\"&B1", "E1", "1-3"),
    ("=MAX(A1:B2)+MIN(A1:B2)", "E1", 5.0),
    ("=AVERAGE(A3)", "E1", "#DIV/0!"),
    ("=EXP(1000)", "E1", "#NUM!"),
    ("=1/(1+EXP(-D5))-(1+TANH(D5/2))/2", "E1", 0.0),
    ("=C1+1", "E1", 2.0),
    ("=SUM(TRUE,1)", "E1", 2.0),  # a boolean given directly counts …
    ("=SUM(C1,1)", "E1", 1.0),  # … one in a cell Excel skips
    ("=50%", "E1", 0.5),
    ("=Other!A1*2", "E1", 14.0),
    ("='Other'!A1:A1+w_one+local_one", "E1", 7.0 + 1.0 + 3.0),
])
def test_spreadsheet_semantics(formula, cell, want):
    book = _book({"S": SHEET, "Other": {"A1": 7.0}}, names=[("w_one", None, "S!$A$1"), ("local_one", "0", "S!$B$1")])
    got, unknown = _at(book, "S", cell, formula)
    assert not unknown
    assert got == pytest.approx(want) if isinstance(want, float) else got == want


def test_a_boolean_cell_is_a_number_in_libreoffice():
    book = _book({"S": SHEET}, dialect="libreoffice")
    assert _at(book, "S", "E1", "=SUM(C1:C1)")[0] == 1.0
    assert _at(book, "S", "E1", "=SUMPRODUCT((A1:A2>0)*1)")[0] == 2.0


def test_what_sheetnet_does_not_evaluate_is_never_run():
    book = _book({"S": SHEET})
    for formula in ("=INDEX(A1:A2,1)", "=__import__('os')", "=cmd|'/c calc'!A0", "=[1]Sheet!A1", "=nosuchname+1",
                    "=A1 B1"):
        got, unknown = _at(book, "S", "E1", formula)
        assert got is None and unknown, formula


def test_array_formulas_give_each_cell_its_element():
    book = _book({"S": SHEET})
    (f,), _ = group("S", ["=MMULT(A1:B2,A1:A2)", "=MMULT(A1:B2,A1:A2)"], np.array([7, 7]), np.array([5, 5]),
                    [(1, 0), (1, 0)])
    v = f.evaluate(book)
    assert fv.python_value(v, (0, 0, 0)) == 2.0 * 1 + 4.0 * 2  # row 2 of [[1,3],[2,4]]·[1,2]


def test_a_family_is_evaluated_for_all_its_cells_at_once():
    values = {f"A{r}": float(r) for r in range(1, 21)}
    book = _book({"S": values})
    rows = np.arange(1, 21)
    fams, which = group("S", [f"=A{r}*2" for r in rows], rows, np.full(20, 2))
    assert len(fams) == 1 and (which == 0).all()
    v = fams[0].evaluate(book)
    assert v.num.reshape(-1).tolist() == [2.0 * r for r in rows]


@pytest.mark.parametrize("dialect", ["excel", "libreoffice"])
def test_an_array_argument_of_numbers_only_reads_as_the_same_numbers_through_its_shortcut(dialect):
    # functions._array_numbers takes a value without kinds (numbers only) as it is: what the kinds'
    # masks give for the same numbers with every kind written out
    from sheetnet.formula.functions import _array_numbers

    num = np.arange(24, dtype=float).reshape(4, 2, 3) - 5.5
    for strict in (False, True):
        fast = _array_numbers(fv.V(num), dialect, strict)
        full = _array_numbers(fv.V(num, np.full(num.shape, fv.NUM, dtype=np.int8)), dialect, strict)
        assert np.array_equal(fast[0], full[0]) and fast[0].shape == full[0].shape == (4, 6)
        assert fast[1] is None and full[1] is None
        assert np.array_equal(fast[2], full[2]) and fast[2].all()
