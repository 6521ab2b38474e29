"""The reader gives every cell's formula and cached value, in every form real files store them."""

import pytest

from minixlsx import write_xlsx
from sheetnet.errors import UnusableInput
from sheetnet.xlsx.reader import WorkbookCells


def cells(tmp_path, body, strings=None):
    path = write_xlsx(tmp_path / "t.xlsx", {"S": body}, strings)
    with WorkbookCells(path) as wb:
        return wb.sheet("S")


def test_values_of_every_type(tmp_path):
    got = cells(tmp_path, (
        '<row r="1"><c r="A1"><v>1.5</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="b"><v>1</v></c>'
        '<c r="D1" t="e"><v>#DIV/0!</v></c><c r="E1" t="inlineStr"><is><t>inline</t></is></c>'
        '<c r="F1" t="str"><f>IF(1,"○","×")</f><v>○</v></c><c r="G1" s="3"/></row>'
    ), ["zero", "one"])
    assert got[(1, 1)].value == 1.5 and got[(1, 1)].is_number
    assert (got[(1, 2)].value, got[(1, 2)].kind) == ("one", "s")
    assert (got[(1, 3)].value, got[(1, 3)].kind) == (True, "b")
    assert (got[(1, 4)].value, got[(1, 4)].kind) == ("#DIV/0!", "e")
    assert got[(1, 5)].value == "inline"
    assert (got[(1, 6)].value, got[(1, 6)].formula) == ("○", '=IF(1,"○","×")')
    assert (1, 7) not in got  # a styled empty cell is no cell


def test_shared_formulas_are_the_first_one_shifted(tmp_path):
    got = cells(tmp_path, (
        '<row r="11"><c r="O11"><f t="shared" ref="O11:S11" si="0">SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5</f><v>1</v></c>'
        '<c r="S11"><f t="shared" si="0"/><v>2</v></c></row>'
        '<row r="12"><c r="O12"><f t="shared" ref="O12:O13" si="1">1/(1+EXP(-O11))</f><v>0.7</v></c></row>'
        '<row r="13"><c r="O13"><f t="shared" si="1"/><v>0.8</v></c></row>'
    ))
    assert got[(11, 19)].formula == "=SUMPRODUCT(P5:R8,$D$5:$F$8)+$G$5"
    assert got[(13, 15)].formula == "=1/(1+EXP(-O12))"
    assert got[(13, 15)].value == 0.8


def test_a_formula_without_a_cached_value(tmp_path):
    got = cells(tmp_path, '<row r="1"><c r="A1"><f>1+1</f></c></row>')
    assert (got[(1, 1)].formula, got[(1, 1)].value, got[(1, 1)].kind) == ("=1+1", None, "")


def test_phonetic_runs_are_not_part_of_the_text(tmp_path):
    got = cells(tmp_path, '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
                ['<r><t>学</t></r><r><t>习</t></r><rPh sb="0" eb="2"><t>がくしゅう</t></rPh>'])
    assert got[(1, 1)].value == "学习"


@pytest.mark.parametrize("body, message", [
    ('<row r="1"><c r="A1"><v>abc</v></c></row>', "where a number is stored"),
    ('<row r="1"><c r="A1" t="s"><v>7</v></c></row>', "shared string that does not exist"),
    ('<row r="1"><c r="A1"><f t="shared" si="4"/></c></row>', "before it is defined"),
    ('<row r="1"><c r="ZZZZ1"><v>1</v></c></row>', "not a cell address"),
    ('<row r="1"><c r="A1"><v>1</v></row>', "not well-formed XML"),
])
def test_broken_sheets_are_one_clear_error(tmp_path, body, message):
    with pytest.raises(UnusableInput, match=message):
        cells(tmp_path, body, [])


def test_entities_are_refused(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    path = write_xlsx(tmp_path / "bomb.xlsx", {"S": bomb})
    with WorkbookCells(path) as wb, pytest.raises(UnusableInput, match="forbidden XML"):
        wb.sheet("S")


def test_a_part_that_inflates_past_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    import sheetnet.xlsx.reader as reader

    monkeypatch.setattr(reader, "MAX_PART_BYTES", 10_000)
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 2000))
    path = write_xlsx(tmp_path / "big.xlsx", {"S": body})
    with pytest.raises(UnusableInput, match="would inflate"):
        WorkbookCells(path)


def test_a_part_lying_about_its_size_is_stopped_while_inflating(tmp_path, monkeypatch):
    import sheetnet.xlsx.reader as reader

    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 2000))
    path = write_xlsx(tmp_path / "big.xlsx", {"S": body})
    with WorkbookCells(path) as wb:
        monkeypatch.setattr(reader, "MAX_PART_BYTES", 10_000)
        with pytest.raises(UnusableInput, match="inflates past"):
            wb.sheet("S")
