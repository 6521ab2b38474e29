"""Formula analysis for `check`: what a formula reads, calls and reaches — parsed, never evaluated."""

import sys

import pytest

from sheetnet.check.formulas import parse, same_formula


def test_references_with_their_dollar_signs():
    p = parse("=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5")
    x, w, b = p.references
    assert (x.top, x.left, x.bottom, x.right, x.columns_absolute) == (5, 12, 8, 14, False)
    assert (w.top, w.left, w.bottom, w.right, w.columns_absolute) == (5, 4, 8, 6, True)
    assert (b.top, b.left, b.area, b.columns_absolute) == (5, 7, 1, True)
    assert p.functions == ("SUMPRODUCT",) and not p.names and p.outside is None


def test_sheets_quoted_or_not_and_functions_without_excels_prefixes():
    p = parse("='学习'!O11+Data!K5+_xlfn.TANH(O1)")
    assert [r.sheet for r in p.references] == ["学习", "Data", None]
    assert p.functions == ("TANH",)


def test_links_outside_the_workbook_are_named_not_followed():
    assert parse("=[1]Sheet1!A1+1").outside == "[1]Sheet1!A1"
    assert parse("='C:\\x\\[b.xlsx]S'!A1").outside
    dde = parse("=cmd|'/c calc'!A0")
    assert dde.outside and dde.unparsable
    assert parse('=IF(A1="a|b",1,0)').outside is None  # a bar inside a string is only text


def test_names_whole_columns_and_rubbish():
    assert parse("=myname*2").names == ("myname",)
    col = parse("=SUM(A:A)").references[0]
    assert col.area == 1_048_576
    assert parse("=SUM(").unparsable or parse("=SUM(").functions == ("SUM",)
    assert parse("=((").unparsable is not None  # never raises


def test_fill_across_shift_and_canonical_form():
    image1 = parse("=SUMPRODUCT(L5:N8,D13:F16)+G13")
    image2 = parse("=SUMPRODUCT(P5:R8,H13:J16)+K13")
    assert image1.canonical() != image2.canonical()
    assert image2.canonical(-4) == image1.canonical()
    absolute = parse("=SUMPRODUCT($L$5:$N$8,$D$5:$F$8)+$G$5")
    assert absolute.canonical(-4) == absolute.canonical()
    assert parse("=A1").references[0].shifted(-5) is None  # off the sheet


@pytest.mark.parametrize("found, expected, same", [
    ("=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5", "=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5", True),
    ("=sumproduct( l5:n8 , $d$5:$f$8 ) + $g$5", "=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5", True),
    ("='Data'!N9", "=Data!N9", True),
    ('=IF(O28=O29,"○","×")', '=IF(O28=O29,"○","×")', True),
    ('=IF(O28=O29,"x","×")', '=IF(O28=O29,"○","×")', False),
    ("=SUMPRODUCT(L5:N8,D5:F8)+G5", "=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5", False),
    (None, "=A1", False),
])
def test_same_formula(found, expected, same):
    assert same_formula(found, expected) is same


def test_the_tokenizer_comes_without_the_rest_of_openpyxl():
    import subprocess

    code = ("import sys; from sheetnet.check.formulas import parse; parse('=A1+1'); "
            "print(any(m == 'openpyxl' or m.startswith('openpyxl.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
