"""sheetnet's evaluator against LibreOffice on a real file: formulas typed into a workbook through UNO,
calculated and saved by LibreOffice, then evaluated by sheetnet over the same cells — the same value
(an error where LibreOffice has an error) for every one of them."""

from __future__ import annotations

import numpy as np
import pytest

from sheetnet.check.package import dialect
from sheetnet.data import chapter3_params
from sheetnet.formula import values as fv
from sheetnet.formula.family import group
from sheetnet.formula.grid import Book, SheetGrid
from sheetnet.mirror.answer import write_book_workbook
from sheetnet.xlsx.reader import WorkbookCells

# (cell, formula): typed where the implicit intersection has a row or a column to work with, or not
FORMULAS = {
    "A40": "=1/(1+EXP(-O11:O13))", "O40": "=O11:O13", "P19": "=O19:O20", "B90": "=O11:P11",
    "B41": "=SUM((O19:O20-O9:O10)^2)/2", "B42": "=SUMPRODUCT((O19:O20-O9:O10)^2)/2",
    "B43": "=MMULT($D$17:$F$18,O14:O16)", "B44": '="3"+1', "B45": "=C3+1", "B46": '=SUMPRODUCT((O30:S30="○"))',
    "B47": '=SUMPRODUCT(--(O30:S30="○"))', "B48": "=COUNTIF(O28:S28,0)", "B49": "=SUM(C3:C5)", "B50": "=MAX(C3)",
    "B51": "=C3>1", "B52": "=IF(C3,1,0)", "B53": "=-2^2", "B54": "=2^-1", "B56": "=0^-1", "B57": "=EXP(1000)",
    "B58": "=SQRT(-1)", "B59": "=1/0+A999", "B60": "=SUMXMY2(O19:O20,O9:O11)", "B61": "=SUMPRODUCT(O19:O20,O9:O11)",
    "B62": "=A999=0", "B63": '=A999=""', "B64": '=A999&"x"', "B65": '=0.1+0.2&""', "B66": "=TRUE+1",
    "B67": "=SUM(TRUE,1)", "B68": '=COUNTA(A999,1,"")', "B69": "=AVERAGE(C3)", "B70": "=50%", "B71": "=O19:O20*1",
    "B72": "=MAX(O19:O20*2)", "B73": '=COUNTIF(O30:S30,"○")', "B74": '=COUNTIF(O28:S28,">0")', "B75": "=TANH(0.5)",
    "B76": "=LN(0)", "B77": "=1E300*1E300", "B78": '="a"="A"', "B79": '="b">"a"', "B80": '=1<"a"',
    "B82": "=MIN(A999:A1000)", "B83": '=ABS(-2)&"x"', "B84": '=1/3&""', "B85": '=IF(1,"x")', "B86": '=IF(0,"x")',
    "B87": "=POWER(2,0.5)", "B88": '=COUNT(C3:C5,"1",TRUE)', "B89": '=SUM("1",2)', "B91": "=O28=O29",
    "B92": "=SUM(B91:B91)", "B93": "=COUNTIF(B91,TRUE)", "B94": "=SUMPRODUCT(B91:B91)", "B95": "=w_one",
    "B96": "=SUMPRODUCT(L5:N8,w_one)+$G$5", "B97": "=AVERAGE(O19:O20)", "B98": '=COUNTIF(O30:S30,"<>○")',
    "B99": '=IF("a",1,0)', "B100": "=IF(A999,1,0)", "B101": "=1+A999", "B102": "=SUM(1/0,1)", "B103": "=MAX(C3:C5)",
    "B104": "=AND(O19>0,O20<1)", "B105": "=OR(C3:C5)", "B106": "=NOT(O28)", "B107": "=Data!K5+'学习'!O11",
}
ARRAYS = {"C110:C111": "=MMULT($D$17:$F$18,O14:O16)+$G$17:$G$18", "C112": "=SUM((O19:O20-O9:O10)^2)/2",
          "C113:C115": "=O19:O20", "C116:D116": "=O19:O20"}


@pytest.fixture(scope="module")
def judged(lo_edit, tmp_path_factory):
    folder = tmp_path_factory.mktemp("formula-lo")
    src = folder / "book.xlsx"
    write_book_workbook(src, chapter3_params("initial"))
    ops = [{"op": "name", "name": "w_one", "refers_to": "$学习.$D$5:$F$8"}]
    ops += [{"op": "formula", "sheet": "学习", "cell": c, "formula": f} for c, f in FORMULAS.items()]
    ops += [{"op": "array", "sheet": "学习", "range": r, "formula": f} for r, f in ARRAYS.items()]
    return lo_edit(folder / "made", {"formulas": (src, ops)})["formulas"]


def test_sheetnet_evaluates_every_formula_as_libreoffice_did(judged):
    with WorkbookCells(judged) as wb:
        book = Book(wb.sheet_names, lambda n: SheetGrid.of_cells(n, wb.sheet(n)), wb.defined_names, dialect(judged))
        cells = wb.sheet("学习")
        arrays = wb.array_formulas("学习")
        items, elements = [], []
        for (r, c), cell in cells.items():
            if r >= 40 or (r, c) == (19, 16) or c == 2:
                origin = next(((r0, c0) for (r0, c0), (r1, c1) in arrays.items() if r0 <= r <= r1 and c0 <= c <= c1), None)
                if origin is not None:
                    items.append(((r, c), origin, cells[origin].formula))
                    elements.append((r - origin[0], c - origin[1]))
                elif cell.formula is not None:
                    items.append(((r, c), (r, c), cell.formula))
                    elements.append(None)
        assert len(items) == len(FORMULAS) + 8  # the array formulas cover 8 cells
        rows = np.array([o[0] for _, o, _ in items])
        cols = np.array([o[1] for _, o, _ in items])
        families, which = group("学习", [f for _, _, f in items], rows, cols, elements)
        wrong = []
        for k, f in enumerate(families):
            v = f.evaluate(book)
            assert v is not None and not f.unknown, f.text
            for j, i in enumerate(np.nonzero(which == k)[0]):
                (r, c), _, formula = items[i]
                got, want = fv.python_value(v, (j, 0, 0)), cells[(r, c)]
                same = (want.kind == "e" and isinstance(got, str) and got in fv.ERROR_CODE) or \
                       (want.kind == "n" and isinstance(got, float) and got == pytest.approx(want.value, rel=1e-12, abs=1e-300)) or \
                       (want.kind in ("s", "b") and got == want.value)
                if not same:
                    wrong.append(((r, c), formula, want.value, got))
        assert wrong == []
