"""The reader gives every cell's formula and cached value, in every form real files store them."""

import pytest

from minixlsx import write_xlsx
from sheetnet.errors import UnusableInput
from sheetnet.xlsx.reader import Cell, WorkbookCells


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


def test_rich_shared_strings_read_alike_by_the_scanner_and_by_expat():
    # runs with their formatting, as LibreOffice and Excel write them, read by the table's scanner; the
    # same items each made unplain (a phonetic run, white space between runs) go through expat: one answer
    from sheetnet.xlsx.reader import _strings

    runs = ('<r><rPr><b val="true"/><sz val="12"/><rFont val="Microsoft YaHei"/><family val="2"/></rPr>'
            '<t xml:space="preserve">0 </t></r><r><t>和&amp;</t></r><r><rPr><i/></rPr><t xml:space="preserve">1</t></r>')
    items = [runs, '<t>plain &lt;</t>', '<t/>', '<r><t></t></r>', '<t xml:space="preserve"> x </t>']
    expected = ["0 和&1", "plain <", "", "", " x "]
    sst = '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>'
    assert _strings(sst.format("".join(f"<si>{i}</si>" for i in items)).encode(), "s") == expected
    general = items + ['<r><t>学</t></r><rPh sb="0" eb="1"><t>がく</t></rPh>']
    assert _strings(sst.format("".join(f"<si>{i}</si>" for i in general)).encode(), "s") == expected + ["学"]
    assert _strings(sst.format("\n".join(f"<si>{i}</si>" for i in items)).encode(), "s") == expected


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


# -- the two ways of reading a sheet, shared formulas, Strict files, bounds -------------------------
TRICKY = (  # forms only the general reader takes: comments, CDATA, prefixes, attributes in another order
    '<row r="1"><!-- a comment --><c r="A1"><v>1.5</v></c><c s="0" r="B1"><v>2</v></c>'
    '<c r="C1" t="str"><f><![CDATA[IF(A1>1,"a","b")]]></f><v>a</v></c>'
    '<c r="D1"><f>A1&amp;B1&lt;2</f><v>0</v></c><c r="E1" t="inlineStr"><is><r><t>x</t></r><r><t>y</t></r></is></c></row>'
)


def _both_ways(tmp_path, monkeypatch, body, strings=None):
    import sheetnet.xlsx.sheetxml as sheetxml

    scanned = cells(tmp_path, body, strings)
    monkeypatch.setattr(sheetxml, "_scan", lambda *args: False)
    general = cells(tmp_path, body, strings)
    monkeypatch.undo()
    return scanned, general


@pytest.mark.parametrize("body", [
    TRICKY,
    '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" s="3"/><c r="C1" t="s"><v>0</v></c>'
    '<c r="D1" t="b"><v>0</v></c><c r="E1" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="F1"><f>IF(A1&gt;1,1,0)</f><v>1</v></c>'
    '<c r="G1" t="n"><f aca="false">A1*2</f><v>4</v></c><c r="H1" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c></row>'
    '<row r="2"><c r="A2"><f t="shared" ref="A2:C2" si="0">A1+$B$1</f><v>3</v></c><c r="B2"><f t="shared" si="0"/><v>3</v></c>'
    '<c r="C2" t="str"><f t="shared" si="0"/><v>x</v></c><c r="D2"><v>&#49;2</v></c></row>',
])
def test_the_scanner_and_the_general_reader_read_alike(tmp_path, monkeypatch, body):
    scanned, general = _both_ways(tmp_path, monkeypatch, body, ["zero"])
    assert scanned == general and len(scanned) >= 5
    if body is TRICKY:
        assert scanned[(1, 3)].formula == '=IF(A1>1,"a","b")' and scanned[(1, 4)].formula == "=A1&B1<2"
        assert scanned[(1, 5)].value == "xy" and scanned[(1, 2)].value == 2
    else:
        assert scanned[(2, 3)].formula == "=C1+$B$1" and scanned[(2, 4)].value == 12
        assert scanned[(1, 6)].formula == "=IF(A1>1,1,0)" and scanned[(1, 8)].value == " a "


# The scanner reads <sheetData>'s content without expat (expat parses only the rest of the part), so
# its grammar must be a strict subset of well-formed XML: whatever it is shown, it reads the cells
# exactly as the general reader (expat over the whole part) does, or the part is refused as expat
# refuses it.
def _outcome(tmp_path, name, body):
    path = write_xlsx(tmp_path / name, {"S": body}, ["zero"])
    try:
        with WorkbookCells(path) as wb:
            got = wb.sheet("S")
            return dict(got), getattr(got, "arrays", {})
    except UnusableInput as e:
        return str(e)


_DOC = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:a="urn:x" xmlns:b="urn:x" xmlns:x14ac="urn:ac"><sheetData>{}</sheetData></worksheet>')
REFUSED = {  # name → the content of <sheetData> (or a whole part): not well-formed XML
    "'<' in an attribute": '<row r="1"><c r="A1" s="0" cm="a<b"><v>1</v></c></row>',
    "'<' in a row's attribute": '<row r="1" spans="1<2"><c r="A1"><v>1</v></c></row>',
    "undefined entity in a value": '<row r="1"><c r="A1"><v>&bogus;</v></c></row>',
    "undefined entity in a formula": '<row r="1"><c r="A1"><f>A2&bogus;</f><v>1</v></c></row>',
    "undefined entity in an inline string": '<row r="1"><c r="A1" t="inlineStr"><is><t>&bogus;</t></is></c></row>',
    "undefined entity in a row's attribute": '<row r="1" spans="&bogus;"><c r="A1"><v>1</v></c></row>',
    "a bare '&'": '<row r="1"><c r="A1" t="str"><f>"a"&"b"</f><v>ab</v></c></row>',
    "control character in a value": '<row r="1"><c r="A1"><v>1\x01</v></c></row>',
    "control character in a formula": '<row r="1"><c r="A1"><f>A2\x1b</f><v>1</v></c></row>',
    "U+FFFE in a text": '<row r="1"><c r="A1" t="inlineStr"><is><t>a\ufffe</t></is></c></row>',
    "reference to character 0": '<row r="1"><c r="A1" t="inlineStr"><is><t>a&#0;</t></is></c></row>',
    "reference to a surrogate": '<row r="1"><c r="A1"><f>A2&#xD800;</f><v>1</v></c></row>',
    "']]>' in a value": '<row r="1"><c r="A1" t="str"><v>a]]>b</v></c></row>',
    "an unclosed row": '<row r="1"><c r="A1"><v>1</v></c><row r="2"><c r="A2"><v>2</v></c></row>',
    "a row closed twice": '<row r="1"><c r="A1"><v>1</v></c></row></row>',
    "mismatched tags in a cell": '<row r="1"><c r="A1"><v>1</c></v></row>',
    "an unclosed cell": '<row r="1"><c r="A1"><v>1</v></row>',
    "an attribute twice": '<row r="1"><c r="A1" s="1" s="2"><v>1</v></c></row>',
    "the address twice": '<row r="1"><c r="A1" cm="1" r="B1"><v>1</v></c></row>',
    "a row's attribute twice": '<row r="1" r="2"><c r="A1"><v>1</v></c></row>',
    "a formula's attribute twice": '<row r="1"><c r="A1"><f t="shared" t="array">1</f><v>1</v></c></row>',
    "an undeclared prefix": '<row r="1"><c r="A1" zz:x="1"><v>1</v></c></row>',
    "an undeclared prefix on a row": '<row r="1" zz:x="1"><c r="A1"><v>1</v></c></row>',
    "one attribute under two prefixes": _DOC.format('<row r="1" a:x="1" b:x="2"><c r="A1"><v>1</v></c></row>'),
    "a truncated part": '<row r="1"><c r="A1"><v>1</v></c></row></sheetData></works',
    "a DOCTYPE after the cells": '<row r="1"><c r="A1"><v>1</v></c></row></sheetData><!DOCTYPE x [<!ENTITY e "1">]></worksheet>',
}
READ_ALIKE = {  # well-formed, though no spreadsheet program writes them so
    "nested rows": '<row r="1"><row r="2"><c r="A2"><v>2</v></c></row></row>',
    "text after the last row": '<row r="1"><c r="A1"><v>1</v></c></row>x',
    "text between cells": '<row r="1"><c r="A1"><v>1</v></c>text<c r="B1"><v>2</v></c></row>',
    "a cell outside any row": '<c r="A1"><v>1</v></c><row r="2"><c r="A2"><v>2</v></c></row><c r="A3"><v>3</v></c>',
    "carriage returns": '<row r="1"><c r="A1" t="inlineStr"><is><t>a\r\nb\rc</t></is></c><c r="B1" cm="x\r\ny"><f>1\r\n+1</f><v>2</v></c></row>',
    "tabs and newlines in attributes": '<row r="1"><c r="A1"><f t="array" ref="A1:\tA2">1+\n1</f><v>2</v></c></row>',
    "character references": '<row r="1"><c r="A1" t="inlineStr"><is><t>&#10;&#x4E2D;&#65;&lt;&amp;&quot;&apos;&gt;</t></is></c></row>',
    "']' and '>' in texts": '<row r="1"><c r="A1" t="str"><f>"]]"&amp;"&gt;"</f><v>]]&gt;]></v></c></row>',
    "two <sheetData>": '<row r="1"><c r="A1"><v>1</v></c></row></sheetData><sheetData><row r="2"><c r="A2"><v>2</v></c></row>',
    "pretty-printed": '\n  <row r="1">\n    <c r="A1"><v>1</v></c>\n    <c r="B1" t="s"><v>0</v></c>\n  </row>\n  <row r="2"/>\n',
    "declared prefixes, empty rows": _DOC.format('<row r="1" x14ac:dyDescent="0.25" a:y="1"><c r="A1"><v>1</v></c></row>'
                                                 '<row r="2" x14ac:dyDescent="0.3"/><row r="3"><c r="C3" a:x="1"><v>3</v></c></row>'),
    "attributes in another order": '<row r="1"><c r="A1" t="s" s="1"><v>0</v></c><c s="0" r="B1"><v>2</v></c></row>',
    "a comment between cells": '<row r="1"><c r="A1"><v>1</v></c><!-- x --><c r="B1"><v>2</v></c></row>',
    "a name that is not ASCII": '<row r="1"><c r="A1" é="1"><v>1</v></c></row>',
}


@pytest.mark.parametrize("name", list(REFUSED) + list(READ_ALIKE))
def test_the_scanner_refuses_what_expat_refuses_and_reads_the_rest_alike(tmp_path, monkeypatch, name):
    import sheetnet.xlsx.sheetxml as sheetxml

    body = REFUSED.get(name) or READ_ALIKE[name]
    scanned = _outcome(tmp_path, "a.xlsx", body)
    monkeypatch.setattr(sheetxml, "_scan", lambda *args: False)
    general = _outcome(tmp_path, "b.xlsx", body)
    assert scanned == general
    if name in REFUSED:
        assert isinstance(scanned, str) and ("not well-formed" in scanned or "forbidden XML" in scanned), scanned
    else:
        assert isinstance(scanned, tuple) and scanned[0], scanned


def test_the_scanner_reads_the_plain_forms_itself(tmp_path, monkeypatch):
    import sheetnet.xlsx.sheetxml as sheetxml

    def refuse(*args):
        raise AssertionError("the general reader was used")

    monkeypatch.setattr(sheetxml, "_general", refuse)
    for name in ("character references", "']' and '>' in texts", "pretty-printed",
                 "declared prefixes, empty rows", "a cell outside any row", "tabs and newlines in attributes"):
        assert isinstance(_outcome(tmp_path, "c.xlsx", READ_ALIKE[name]), tuple), name
    excel = _DOC.format('<row r="1"><c r="A1"><v>1</v></c></row>').replace("?>", "?>\r\n", 1)  # as Excel writes it
    assert _outcome(tmp_path, "f.xlsx", excel)[0][(1, 1)].value == 1
    assert _outcome(tmp_path, "d.xlsx", '<row r="1"/>') == ({}, {})
    assert _outcome(tmp_path, "e.xlsx", "") == ({}, {})


@pytest.mark.parametrize("chunk", [1, 7, 40, 1 << 22])
def test_a_sheet_scanned_in_chunks_reads_as_in_one(tmp_path, monkeypatch, chunk):
    # <sheetData> is scanned a few megabytes at a time; wherever a chunk ends (before a cell, after
    # row tags and white space), the cells and the check of the row tags are the same
    import sheetnet.xlsx.sheetxml as sheetxml

    body = "".join(f'\n <row r="{r}">\n  <c r="A{r}" t="s"><v>0</v></c>\n  <c r="B{r}"><f>A{r}&amp;1</f><v>{r}</v></c>'
                   f'<c r="C{r}" s="1"/>\n </row><row r="{r + 100}"/>' for r in range(1, 30)) + "\n"
    whole = _outcome(tmp_path, "a.xlsx", body)
    monkeypatch.setattr(sheetxml, "_CHUNK", chunk)
    monkeypatch.setattr(sheetxml, "_general", lambda *args: pytest.fail("the general reader was used"))
    assert _outcome(tmp_path, "b.xlsx", body) == whole and len(whole[0]) == 58
    assert isinstance(_outcome(tmp_path, "c.xlsx", body.replace('<row r="9">', '<row r="9"><row r="9">')), str)


_BULK = ['<c r="{a}"><v>1.5</v></c>', '<c r="{a}" s="3"><f>A1+1</f><v>2.5</v></c>', '<c r="{a}" s="1"/>',
         '<c r="{a}"><f>B1</f><v></v></c>', '<c r="{a}"><v></v></c>', '<c r="{a}"><f></f><v>7</v></c>']
_OTHER = ['<c r="{a}" t="s"><v>0</v></c>', '<c r="{a}" s="2" t="b"><v>1</v></c>', '<c r="{a}" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
          '<c r="{a}" t="inlineStr"><is><t>x&amp;y</t></is></c>', '<c r="{a}" cm="1"><v>3</v></c>',
          '<c r="{a}"><f aca="false">A1*2</f><v>4</v></c>', '<c r="{a}"><f/><v>5</v></c>', '<c r="{a}"></c>',
          '<c r="{a}"><f>1+1</f></c>', '<c r="{a}"><v>&#49;2</v></c>', '<c r="{a}" t="n"><v>6</v></c>',
          '<c r="{a}"><f t="shared" ref="{a}:F99" si="0">A1+1</f><v>8</v></c>', '<c r="{a}"><f t="shared" si="0"/><v>9</v></c>']


@pytest.mark.parametrize("seed", range(4))
def test_the_bulk_and_the_other_cells_read_in_their_places(tmp_path, monkeypatch, seed):
    # The scanner reads the bulk of a sheet (a number cell, perhaps with an <f> without attributes) with
    # four groups, and every other token (row tags, any other cell, one other character) as one text
    # read again: whatever their order and wherever a chunk ends, the cells are the general reader's
    import random

    import sheetnet.xlsx.sheetxml as sheetxml

    rng = random.Random(seed)
    rows = ['<row r="1"><c r="A1"><f t="shared" ref="A1:F99" si="0">1+1</f><v>2</v></c></row>']
    for r in range(2, 60):
        forms = [rng.choice(_BULK if rng.random() < 0.6 else _OTHER) for _ in range(rng.randrange(6))]
        row_cells = "".join(form.format(a=f"{'ABCDEF'[k]}{r}") for k, form in enumerate(forms))
        rows.append(rng.choice(['<row r="{r}">{c}</row>', '\n <row r="{r}" spans="1:6">\n  {c}\n </row>',
                                '<row r="{r}"/>{c}']).format(r=r, c=row_cells))
    body = "".join(rows)
    monkeypatch.setattr(sheetxml, "_scan", lambda *args: False)
    general = _outcome(tmp_path, "g.xlsx", body)
    monkeypatch.undo()
    assert isinstance(general, tuple) and len(general[0]) > 60
    monkeypatch.setattr(sheetxml, "_general", lambda *args: pytest.fail("the general reader was used"))
    for chunk in (1, 97, 1 << 22):
        monkeypatch.setattr(sheetxml, "_CHUNK", chunk)
        scanned = _outcome(tmp_path, f"s{chunk}.xlsx", body)
        assert scanned == general and list(scanned[0]) == list(general[0])
    monkeypatch.undo()
    for stray in ("x", " x", "</c>"):  # another character after a cell: the general reader's cells, or its refusal
        at = body.index("</c>", len(body) // 2) + 4
        odd = body[:at] + stray + body[at:]
        scanned = _outcome(tmp_path, "o.xlsx", odd)
        monkeypatch.setattr(sheetxml, "_scan", lambda *args: False)
        assert scanned == _outcome(tmp_path, "p.xlsx", odd) and (stray == "</c>") == isinstance(scanned, str)
        monkeypatch.undo()


def test_row_tags_are_not_counted_as_cells(tmp_path, monkeypatch):
    import sheetnet.xlsx.sheetxml as sheetxml

    monkeypatch.setattr(sheetxml, "MAX_ELEMENTS", 1000)
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 1001))
    assert len(cells(tmp_path, body)) == 1000
    with pytest.raises(UnusableInput, match="has more than 1,000 cells"):
        cells(tmp_path, body + '<row r="1001"><c r="A1001" t="s"><v>0</v></c></row>', ["x"])


def test_an_excel_style_workbook_reads_cell_for_cell_like_the_plain_one(tmp_path):
    # The chapter-3 answer rewritten with Excel's shared-formula groups (tests/excelstyle.py): every
    # member's formula is rebuilt from its group's master, moved to the member's place.
    from excelstyle import excel_style

    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_answer_workbook

    plain, shared = tmp_path / "plain.xlsx", tmp_path / "excel.xlsx"
    write_answer_workbook(plain, chapter3_params("trained"))
    assert excel_style(plain, shared) > 1500
    with WorkbookCells(plain) as a, WorkbookCells(shared) as b:
        assert a.sheet_names == b.sheet_names
        for name in a.sheet_names:
            assert a.sheet(name) == b.sheet(name), name
        assert b.sheet("学习")[(11, 19)].formula == "=SUMPRODUCT(P5:R8,$D$5:$F$8)+$G$5"


def test_a_template_read_again_takes_its_formulas_from_the_first_read(tmp_path, monkeypatch):
    # A class's workbooks are one template: a sheet whose cells' places and <f> parts are those of a
    # sheet read before takes its formulas (and shared masters, array ranges) from that read, whatever
    # its values; one whose formulas differ anywhere is read on its own.
    from sheetnet.xlsx import sheetxml

    worked_out = []
    real = sheetxml._formulas
    monkeypatch.setattr(sheetxml, "_formulas", lambda *a: worked_out.append(1) or real(*a))
    monkeypatch.setattr(sheetxml, "_SAME_CHUNKS", {})

    def read(value, formula):
        body = (f'<row r="2"><c r="A2"><f t="shared" ref="A2:C2" si="0">{formula}</f><v>{value}</v></c>'
                f'<c r="B2"><f t="shared" si="0"/><v>{value + 1}</v></c><c r="C2"><f t="shared" si="0"/><v>3</v></c>'
                f'<c r="D2"><f t="array" ref="D2:D3">A2:A3</f><v>{value}</v></c></row>')
        path = write_xlsx(tmp_path / f"{value}-{len(formula)}.xlsx", {"S": body})
        with WorkbookCells(path) as wb:
            return wb.sheet("S"), wb.array_formulas("S")

    first, arrays = read(1, "A1*2")
    second, arrays_again = read(5, "A1*2")
    assert len(worked_out) == 1
    assert [second[(2, c)].formula for c in (1, 2, 3, 4)] == ["=A1*2", "=B1*2", "=C1*2", "=A2:A3"]
    assert [second[(2, c)].value for c in (1, 2)] == [5, 6] and arrays_again == arrays == {(2, 4): (3, 4)}
    third, _ = read(5, "A1*20")
    assert len(worked_out) == 2
    assert [third[(2, c)].formula for c in (1, 2, 3)] == ["=A1*20", "=B1*20", "=C1*20"]
    monkeypatch.setattr(sheetxml, "_SAME_ENTRIES", 2)  # a few templates kept, the oldest dropped
    for k in range(3, 6):
        read(1, f"A1*{k}")
    assert len(sheetxml._SAME_CHUNKS) == 2 and len(worked_out) == 5


def test_the_document_around_a_sheets_cells_is_parsed_once_per_template(tmp_path, monkeypatch):
    # expat checks the part around <sheetData>'s content once for a class's workbooks of one template
    # (byte for byte the same); another document around the cells is checked again, and refused when it
    # is not well-formed, whatever was read before.
    from sheetnet.xlsx import safexml, sheetxml

    checked = []
    real = safexml.check
    monkeypatch.setattr(safexml, "check", lambda data, part: checked.append(part) or real(data, part))
    monkeypatch.setattr(sheetxml, "_WELL_FORMED", {})

    def read(value, tail=""):
        path = write_xlsx(tmp_path / f"{value}.xlsx", {"S": f'<row r="1"><c r="A1"><v>{value}</v></c></row>'})
        if tail:  # the same file with something after </sheetData>
            import zipfile
            with zipfile.ZipFile(path) as z:
                parts = {n: z.read(n) for n in z.namelist()}
            part = next(n for n in parts if n.startswith("xl/worksheets/"))
            parts[part] = parts[part].replace(b"</sheetData>", b"</sheetData>" + tail.encode())
            with zipfile.ZipFile(path, "w") as z:
                for n, data in parts.items():
                    z.writestr(n, data)
        with WorkbookCells(path) as wb:
            return wb.sheet("S")[(1, 1)].value

    assert (read(1), read(2), read(3)) == (1, 2, 3)
    sheet_checks = [p for p in checked if p.startswith("xl/worksheets/")]
    assert len(sheet_checks) == 1
    assert read(4, '<pageMargins left="0.7"/>') == 4
    with pytest.raises(UnusableInput, match="not well-formed"):
        read(5, '<pageMargins left="0.7">')


def test_shared_formulas_move_as_excel_fills_them():
    from openpyxl.formula.translate import Translator

    from sheetnet.xlsx.refs import cell_name
    from sheetnet.xlsx.shift import moved, relative_form

    formulas = ["=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5", "=1/(1+EXP(-O11))", "='My data'!K5+'it''s'!$A1",
                "=SUM(A:A)+SUM($B:C)+SUM(3:4)+SUM($5:6)", '="A1"&B2&"x""C3"', "=LOG10(A1)+ATAN2(B1,C1)",
                "=Sheet1!A1+Data!$B$2", "=A1*1E5+B2*2.5E-3", '=COUNTIF(L19:JG19,"○")', "=-A1%"]
    for f in formulas:
        for dr, dc in ((0, 0), (0, 4), (7, 0), (3, 251)):
            assert moved(f, dr, dc) == Translator(f, origin="A1").translate_formula(cell_name(1 + dr, 1 + dc))
    assert moved("=A1+B$2", -1, 0) == "=#REF!+B$2"  # moved off the sheet: as Excel says it
    assert relative_form("=SUMPRODUCT(L5:N8,$D$5:$F$8)", 11, 15) == "=SUMPRODUCT(R[-6]C[-3]:R[-3]C[-1],R5C4:R8C6)"
    assert relative_form("=O11*2", 11, 16) == relative_form("=P11*2", 11, 17) != relative_form("=O11*2", 11, 17)


def test_a_shared_group_redefined_and_moved_off_the_sheet(tmp_path, monkeypatch):
    # A group's members are moved all at once from the master defined before them: a group number
    # used again by a later master (as Excel does after edits) moves the later members from that one;
    # a member whose reference would leave the sheet reads #REF!, as in Excel.
    body = ('<row r="2"><c r="A2"><f t="shared" ref="A2:C2" si="0">A1*{2}</f><v>1</v></c>'
            '<c r="B2"><f t="shared" si="0"/><v>1</v></c><c r="C2"><f t="shared" si="0"/><v>1</v></c></row>'
            '<row r="3"><c r="A3"><f t="shared" ref="A3:B3" si="0">$A$1+B2</f><v>1</v></c>'
            '<c r="B3"><f t="shared" si="0"/><v>1</v></c>'
            '<c r="C3"><f t="shared" ref="C3:D4" si="1">C1-XFD1</f><v>1</v></c>'
            '<c r="D3"><f t="shared" si="1"/><v>1</v></c></row>'
            '<row r="4"><c r="C4"><f t="shared" si="1"/><v>1</v></c></row>')
    scanned, general = _both_ways(tmp_path, monkeypatch, body)
    assert scanned == general
    assert [scanned[(2, c)].formula for c in (1, 2, 3)] == ["=A1*{2}", "=B1*{2}", "=C1*{2}"]
    assert scanned[(3, 2)].formula == "=$A$1+C2"
    assert scanned[(4, 3)].formula == "=C2-XFD2" and scanned[(3, 4)].formula == "=D1-#REF!"


def test_a_groups_members_moved_at_once_are_each_moved_alone():
    from sheetnet.xlsx.shift import shape

    offsets = [(0, 0), (0, 1), (5, 0), (3, 251), (-1, 0), (0, -1), (2, 16383)]
    rows, cols = [r for r, _ in offsets], [c for _, c in offsets]
    # and as groups come: runs along a row at even steps (one or several rows), down a column, a run
    # reaching the sheet's edge (#REF!), uneven steps
    runs = [([0] * 63, list(range(4, 256, 4))), ([0] * 5 + [1] * 6 + [2] * 6, list(range(1, 6)) + list(range(0, 6)) * 2),
            (list(range(1, 40)), [0] * 39), ([-2] * 4, [0, 1, 2, 3]), ([3] * 4, [16380, 16381, 16382, 16383]),
            ([1] * 4, [0, 2, 3, 7]), ([0, 0, 1, 5], [3, 2, 1, 0]), ([0], [0])]
    for f in ("SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5", "A1*{1}+\"{x}\"", "SUM(A:A)+B2", "$A$1", "PI()", "B$2+$C3"):
        assert shape(f).moved_many(rows, cols) == [shape(f).moved(r, c) for r, c in offsets], f
        for rs, cs in runs:
            assert shape(f).moved_many(rs, cs, "=") == ["=" + shape(f).moved(r, c) for r, c in zip(rs, cs)], (f, rs, cs)


def test_a_strict_open_xml_workbook_is_read(tmp_path):
    # Excel's "Strict Open XML Spreadsheet": the same cells under the ISO namespaces
    import zipfile

    path = write_xlsx(tmp_path / "t.xlsx", {"S": '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="s"><v>0</v></c></row>'},
                      ["text"])
    strict = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(strict, "w") as zout:
        for info in zin.infolist():
            text = zin.read(info.filename).decode()
            text = text.replace("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                "http://purl.oclc.org/ooxml/spreadsheetml/main")
            text = text.replace("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                                "http://purl.oclc.org/ooxml/officeDocument/relationships")
            zout.writestr(info, text)
    with WorkbookCells(strict) as wb:
        assert wb.sheet_names == ["S"]
        assert wb.sheet("S")[(1, 1)] == Cell(2.0, "n", "=1+1") and wb.sheet("S")[(1, 2)].value == "text"


def test_duplicate_zip_entries_are_one_clear_refusal_without_a_warning(tmp_path):
    import warnings
    import zipfile

    path = write_xlsx(tmp_path / "t.xlsx", {"S": '<row r="1"><c r="A1"><v>1</v></c></row>'})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "a") as z:
            z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # zipfile's UserWarning would fail here
        with pytest.raises(UnusableInput, match="two parts named xl/worksheets/sheet1.xml"):
            WorkbookCells(path)


def test_a_sheet_of_too_many_cells_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import sheetnet.xlsx.sheetxml as sheetxml

    monkeypatch.setattr(sheetxml, "MAX_ELEMENTS", 1000)
    row = "".join(f'<c r="A1" s="{k}"/>' for k in range(1001))  # empty cells count too
    with pytest.raises(UnusableInput, match="has more than 1,000 cells"):
        cells(tmp_path, f'<row r="1">{row}</row>')


def test_a_sheets_cells_in_the_documents_order_lookups_and_keys(tmp_path, monkeypatch):
    # The reader keeps a sheet as columns (sheetxml.ColumnCells): its cells in the document's order,
    # texts (read one by one) in their place among numbers, and a cell given twice counting once, with
    # the later value in the first one's place (as a dictionary filled while reading) — the scanner
    # and the general reader alike; lookups and the whole-sheet looks agree with the cells
    import sheetnet.xlsx.sheetxml as sheetxml

    body = ('<row r="3"><c r="B3"><v>1</v></c><c r="C3" t="s"><v>0</v></c><c r="D3"><v>2</v></c></row>'
            '<row r="1"><c r="E1"><f>B3</f><v>1</v></c><c r="A1" t="s"><v>1</v></c></row>'
            '<row r="3"><c r="B3"><v>5</v></c></row>')
    scanned = cells(tmp_path, body, ["x", "y"])
    monkeypatch.setattr(sheetxml, "_scan", lambda *args: False)
    general = cells(tmp_path, body, ["x", "y"])
    for got in (scanned, general):
        assert list(got) == [(3, 2), (3, 3), (3, 4), (1, 5), (1, 1)]
        assert [c.value for c in got.values()] == [5.0, "x", 2.0, 1.0, "y"]
        assert got[(3, 2)] == Cell(5.0, "n") and got.get((1, 5)).formula == "=B3"
        assert (2, 2) not in got and got.get((3, 2.5)) is None and ("A", 1) not in got
        assert sheetxml.far_row(got) == 3 and sheetxml.far_col(got) == 5
        assert sheetxml.text_values(got) == {"x", "y"}
        keys, found = sheetxml.cell_index(got)
        assert keys.tolist() == sorted(r * sheetxml.ROW_KEY + c for r, c in got)
        assert list(found) == [got[divmod(int(k), sheetxml.ROW_KEY)] for k in keys]
        assert sorted(map(tuple, sheetxml.positions_array(got).tolist())) == sorted(got)
        assert got == dict(got.items())
    assert scanned.items() == general.items()


def test_a_large_sheet_freezes_the_collector_only_in_a_process_sheetnet_owns(monkeypatch):
    # gc.freeze() after a large sheet's read spares the collector 0.1 s of rescanning in a check, but it is
    # an act for the whole process: a program using sheetnet as a library keeps its collector as it was
    import gc

    from sheetnet import collector
    from sheetnet.xlsx.sheetxml import _FROZEN_FROM, read_sheet

    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in "ABCDEFGHIJ") + "</row>"
                   for r in range(1, _FROZEN_FROM // 10 + 2))
    data = _DOC.format(rows).encode()
    monkeypatch.setattr(collector, "_OWNED", False)
    before = gc.get_freeze_count()
    assert len(read_sheet(data, "xl/worksheets/sheet1.xml", "S", lambda: [])) > _FROZEN_FROM
    assert gc.get_freeze_count() == before
    monkeypatch.setattr(collector, "_OWNED", True)
    read_sheet(data, "xl/worksheets/sheet1.xml", "S", lambda: [])
    assert gc.get_freeze_count() > before
