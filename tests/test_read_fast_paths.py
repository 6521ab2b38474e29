"""The reader's and the loader's shortcuts for a class of one template give what the long way gives."""

import random
import pytest

from minixlsx import write_xlsx
from sheetnet.errors import UnusableInput
from sheetnet.xlsx.reader import Cell, WorkbookCells

# Cells of every form the scanner reads (and a few it leaves to the general reader): {a} their address,
# {v} a value's text
_FORMS = ['<c r="{a}"><v>{v}</v></c>', '<c r="{a}" s="3"><f>A1+1</f><v>{v}</v></c>', '<c r="{a}" s="1"/>',
          '<c r="{a}"><f>B1</f><v></v></c>', '<c r="{a}"><f>B1</f></c>', '<c r="{a}" t="s"><v>{v}</v></c>',
          '<c r="{a}" t="str"><f>A1&amp;"x"</f><v>{v}</v></c>', '<c r="{a}" t="b"><v>{v}</v></c>',
          '<c r="{a}" t="e"><f>1/0</f><v>{v}</v></c>', '<c r="{a}" t="inlineStr"><is><t>x&amp;y</t></is></c>',
          '<c r="{a}"><f t="shared" si="0"/><v>{v}</v></c>', '<c r="{a}" t="n"><v>{v}</v></c>']
_OTHER_FORM = '<c r="{a}" cm="1"><v>{v}</v></c>'  # a value in a cell the bulk does not take
_VALUES = ["1", "2.5", "-3e-7", "0", "1", "x", "&amp;", "&#49;2", "1e999", "nan", " 4 ", "]]>", "&bogus;", "#N/A",
           "true", "\u25cb", "7"]
_SAFE = ["0", "1", "&#49;"]


def _body(rng, other):
    rows = ['<row r="1"><c r="A1"><f t="shared" ref="A1:H99" si="0">B1+1</f><v>{}</v></c></row>']
    for r in range(2, 25):
        forms = [rng.choice(_FORMS) for _ in range(rng.randrange(7))]
        if other and r == 12:
            forms.append(_OTHER_FORM)
        row = "".join(f.format(a=f"{'ABCDEFGH'[k]}{r}", v="{}") for k, f in enumerate(forms))
        rows.append(rng.choice(['<row r="{r}">{c}</row>', '\n <row r="{r}" spans="1:8">\n  {c}\n </row>']).format(
            r=r, c=row))
    template = "".join(rows)
    return template, template.count("{}")


def _outcome(tmp_path, name, body):
    path = write_xlsx(tmp_path / name, {"S": body}, ["zero", "one"])
    try:
        with WorkbookCells(path) as wb:
            got = wb.sheet("S")
            return [(k, c.value, c.kind, c.formula) for k, c in got.items()], getattr(got, "arrays", {})
    except UnusableInput as e:
        return str(e)


class _Counting:
    """_CELL, counting its findall calls."""

    def __init__(self, pattern):
        self.pattern, self.calls = pattern, 0

    def findall(self, *args):
        self.calls += 1
        return self.pattern.findall(*args)


@pytest.mark.parametrize("seed", range(6))
def test_a_chunk_of_a_shape_read_before_reads_as_the_scanner_reads_it(tmp_path, monkeypatch, seed):
    # The matches of a chunk whose text without its values is one read before are the remembered ones
    # with this chunk's values: the same cells, values, kinds, formulas and refusals as the expression's
    # own matches, whatever the values (numbers, texts, entities, what no number is, what XML refuses)
    from sheetnet.xlsx import sheetxml

    rng = random.Random(seed)
    template, n = _body(rng, other=seed % 3 == 2)
    counting = _Counting(sheetxml._CELL)
    monkeypatch.setattr(sheetxml, "_CELL", counting)
    monkeypatch.setattr(sheetxml, "_SAME_SHAPES", {})
    monkeypatch.setattr(sheetxml, "_SHEETS_READ", {"S": 0})  # (a sheet of its name read before)
    planned = []
    real = sheetxml._take_planned
    monkeypatch.setattr(sheetxml, "_take_planned", lambda *a: planned.append(1) or real(*a))
    hits = 0
    for trial in range(4 * len(_VALUES)):
        # values every cell takes (a shared string's number too), and now and then another
        values = [rng.choice(_SAFE) for _ in range(n)]
        if trial % 4 == 2:  # another value empty: another shape
            values[rng.randrange(n)] = ""
        if trial % 4 == 3:  # one value of each kind in turn, perhaps another
            values[rng.randrange(n)] = _VALUES[trial // 4 % len(_VALUES)]
            if rng.random() < 0.3:
                values[rng.randrange(n)] = rng.choice(_VALUES)
        body = template.format(*values)
        monkeypatch.setattr(sheetxml, "_SAME_SHAPE_CHARS", -1)  # the long way: the expression's matches
        slow = _outcome(tmp_path, f"slow{trial}.xlsx", body)
        monkeypatch.setattr(sheetxml, "_SAME_SHAPE_CHARS", 1 << 19)
        before = counting.calls
        fast = _outcome(tmp_path, f"fast{trial}.xlsx", body)
        hits += counting.calls == before
        assert fast == slow, trial
    if seed % 3 == 2:  # a value in a cell the bulk does not take: never remembered
        assert hits == 0 and not sheetxml._SAME_SHAPES and not planned
    else:  # (each hit after the first well read one read by its plan)
        assert hits >= 6 and len(planned) >= hits - 2


def test_a_remembered_shape_gives_each_value_to_its_own_cell(tmp_path, monkeypatch):
    from sheetnet.xlsx import sheetxml

    monkeypatch.setattr(sheetxml, "_SAME_SHAPES", {})
    monkeypatch.setattr(sheetxml, "_SHEETS_READ", {"S": 0})  # (a sheet of its name read before)
    body = ('<row r="1"><c r="A1"><v>{}</v></c><c r="B1" s="1"/><c r="C1"><f>A1</f><v></v></c><c r="D1"><v>{}</v></c>'
            '</row><row r="2"><c r="A2" t="s"><v>{}</v></c><c r="B2"><f>A1+1</f><v>{}</v></c></row>')
    first = _outcome(tmp_path, "a.xlsx", body.format(1, 2, 0, 3))
    assert len(sheetxml._SAME_SHAPES) == 1
    second = _outcome(tmp_path, "b.xlsx", body.format(7, 8, 1, 9))
    assert len(sheetxml._SAME_SHAPES) == 1  # (read by the shape remembered: nothing new kept)
    assert [v for _k, v, _t, _f in first[0]] == [1, None, 2, "zero", 3]
    assert second[0] == [((1, 1), 7, "n", None), ((1, 3), None, "", "=A1"), ((1, 4), 8, "n", None),
                         ((2, 1), "one", "s", None), ((2, 2), 9, "n", "=A1+1")]
    assert "S!D1 holds 'x'" in _outcome(tmp_path, "c.xlsx", body.format(1, "x", 0, 3))  # a refusal, said as ever


def test_a_large_chunk_is_not_split_by_its_values(tmp_path, monkeypatch):
    from sheetnet.xlsx import sheetxml

    monkeypatch.setattr(sheetxml, "_SAME_SHAPES", {})
    monkeypatch.setattr(sheetxml, "_SHEETS_READ", {"S": 0})  # (a sheet of its name read before)
    monkeypatch.setattr(sheetxml, "_SAME_SHAPE_CHARS", 100)
    monkeypatch.setattr(sheetxml, "_VALUE_TEXT", None)  # (never used)
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 30))
    assert [v for _k, v, _t, _f in _outcome(tmp_path, "a.xlsx", body)[0]] == list(range(1, 30))
    assert not sheetxml._SAME_SHAPES


# -- the signature's cells, looked up by positions worked out once per layout ---------------------
def _signature_the_long_way(layout, role, cells):
    for name in layout.sheet(role).signature:
        for r, c in layout.positions(layout[name], 1).reshape(-1, 2):
            cell = cells.get((int(r), int(c)))
            if cell is None or not cell.is_number:
                return False
    return True


@pytest.mark.parametrize("seed", range(3))
def test_the_signature_holds_numbers_as_each_cell_says(seed):
    from sheetnet.mirror import align
    from sheetnet.mirror.kinds import KINDS
    from sheetnet.xlsx.sheetxml import ROW_KEY, ColumnCells

    rng = random.Random(seed)
    others = [None, Cell("x", "s"), Cell(None, "", "=A1"), Cell(True, "b"), Cell("#N/A", "e")]
    seen = set()
    for kind in KINDS:
        layout = kind.layout
        for s in layout.sheets:
            places = align.signature_cells(layout, s.role)
            if not places:
                continue
            for _trial in range(8):
                cells = {p: Cell(rng.random(), "n", rng.choice([None, "=1+1"])) for p in places}
                for p in rng.sample(places, rng.choice([0, 0, 1, 2])):
                    cells[p] = rng.choice(others)
                cells = {p: c for p, c in cells.items() if c is not None}
                keys = [r * ROW_KEY + c for r, c in cells]
                for sheet in (cells, ColumnCells(keys, list(cells.values()))):
                    want = _signature_the_long_way(layout, s.role, sheet)
                    assert align.signature_holds_numbers(layout, s.role, sheet) == want
                    seen.add(want)
    assert seen == {True, False}


# -- the document around the cells, its views apart ----------------------------------------------
_VIEWS = ['<sheetViews><sheetView workbookViewId="0"><selection activeCell="B{n}" sqref="B{n}"/></sheetView></sheetViews>',
          '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane xSplit="{n}" state="frozen"/></sheetView>'
          '</sheetViews>',
          '<sheetViews>\r\n<sheetView a="&amp;{n}"/>x</sheetViews>', '<sheetViews><r:x r:id="{n}"/></sheetViews>',
          '<sheetViews/>',
          '<sheetViews><sheetView workbookViewId="{n}"></sheetViews>', '<sheetViews><sheetView a="1" a="{n}"/></sheetViews>',
          '<sheetViews><q:sheetView n="{n}"/></sheetViews>', '<sheetViews><r:x r:id="{n}" r:id="2"/></sheetViews>',
          '<sheetViews><sheetView a="&bogus;{n}"/></sheetViews>', '<sheetViews><sheetView a="\x01{n}"/></sheetViews>',
          '<sheetViews>]]>{n}</sheetViews>', '<sheetViews><sheetViews n="{n}"></sheetViews></sheetViews>',
          '<sheetViews></sheetViews><sheetViews n="{n}"></sheetViews>', '<sheetViews><sheetView n="{n}"/></sheetViews>>',
          '<sheetViews><sheetView n="{n}"/></sheetViews></worksheet><x>', '<sheetViews n="{n}"></sheetViews>',
          '<sheetViews><sheetView n="{n}"/></sheetViews></sheetViews>']


def _with_views(tmp_path, name, views, tail=False):
    import zipfile

    path = write_xlsx(tmp_path / name, {"S": '<row r="1"><c r="A1"><v>1</v></c></row>'})
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    part = next(n for n in parts if n.startswith("xl/worksheets/"))
    doc = parts[part].replace(b"<worksheet ", b'<worksheet xmlns:r="urn:r" ', 1)
    at = b"</sheetData>" if tail else b"<sheetData>"
    parts[part] = doc.replace(at, (at + views.encode()) if tail else (views.encode() + at), 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    try:
        with WorkbookCells(path) as wb:
            return wb.sheet("S")[(1, 1)].value
    except UnusableInput as e:
        return str(e)


@pytest.mark.parametrize("tail", [False, True])
def test_a_document_read_before_with_other_views_is_judged_as_expat_judges_it(tmp_path, monkeypatch, tail):
    # The document around a sheet's cells, once well-formed, is taken again with other views when those
    # are well-formed under the root's start tag: whatever they are, the outcome is the whole parse's
    from sheetnet.xlsx import safexml, sheetxml

    checked = []
    real = safexml.check
    monkeypatch.setattr(safexml, "check", lambda data, part: checked.append(len(data)) or real(data, part))
    outcomes = set()
    for k, views in enumerate(_VIEWS):
        for n in (1, 2):
            monkeypatch.setattr(sheetxml, "_WELL_FORMED", {})
            alone = _with_views(tmp_path, f"a{k}{n}.xlsx", views.format(n=n), tail)
            _with_views(tmp_path, "first.xlsx", _VIEWS[0].format(n=7), tail)  # a template read before
            del checked[:]
            again = _with_views(tmp_path, f"b{k}{n}.xlsx", views.format(n=n), tail)
            assert again == alone, views
            outcomes.add(again if again == 1 else "refused")
            if k < 4:  # well-formed views alone: the rest of the document is not parsed again
                assert len(checked) == 1 and checked[0] < 400
    assert outcomes == {1, "refused"}


def test_views_read_after_any_template_are_judged_as_expat_judges_them(tmp_path, monkeypatch):
    # (a template whose views hold views: what follows its first </sheetViews> is no document's end)
    from sheetnet.xlsx import sheetxml

    rng = random.Random(5)
    for k, views in enumerate(_VIEWS):
        for template in rng.sample(_VIEWS, 5) + ['<sheetViews><sheetViews n="{n}"></sheetViews></sheetViews>']:
            monkeypatch.setattr(sheetxml, "_WELL_FORMED", {})
            alone = _with_views(tmp_path, f"a{k}.xlsx", views.format(n=1))
            _with_views(tmp_path, "first.xlsx", template.format(n=7))
            assert _with_views(tmp_path, f"b{k}.xlsx", views.format(n=1)) == alone, (template, views)


@pytest.mark.parametrize("seed", range(4))
def test_cells_at_keys_are_what_get_finds(seed):
    from sheetnet.xlsx.sheetxml import ROW_KEY, ColumnCells

    rng = random.Random(seed)
    places = [(rng.randrange(1, 40), rng.randrange(1, 30)) for _ in range(rng.randrange(0, 300))]
    if seed % 2:
        places.sort()  # (in order: no second index)
    cells = ColumnCells([r * ROW_KEY + c for r, c in places], [Cell(float(i), "n") for i in range(len(places))])
    asked = [(rng.randrange(1, 45), rng.randrange(1, 35)) for _ in range(200)] + places[:20]
    got = cells.at_keys([r * ROW_KEY + c for r, c in asked])
    assert got == [cells.get(p) for p in asked] and (not places or any(c is not None for c in got))


def test_row_tags_are_judged_alike_remembered_or_not(monkeypatch):
    from sheetnet.xlsx import sheetxml

    rng = random.Random(3)
    pieces = ['<row r="{r}">', '</row>', '<row r="{r}"/>', '<row r="{r}" spans="1:3">', '<row r="{r}" x:a="1">',
              '<row r="{r}" r="2">', '<row r="{r}" a="&amp;">', '<row r="{r}" a="&bogus;">', '\n ', '<row r="{r}" y:a="1">']
    declared = [{"xml": sheetxml._XML_NS}, {"xml": sheetxml._XML_NS, "x": "urn:x"},
                {"xml": sheetxml._XML_NS, "x": "urn:x", "y": "urn:x"}]
    cases = [([p.format(r=r) for r, p in enumerate(rng.choices(pieces, k=rng.randrange(1, 6)), 1)], rng.choice(declared))
             for _ in range(300)]
    cases += [(['<row r="1" x:a="1" y:a="2">', "</row>"], d) for d in declared]
    monkeypatch.setattr(sheetxml, "_ROWS_OK", {})
    first = [sheetxml._rows_closed(tags, prefixes) for tags, prefixes in cases]
    fresh = []
    for tags, prefixes in cases:
        monkeypatch.setattr(sheetxml, "_ROWS_OK", {})
        fresh.append(sheetxml._rows_closed(tags, prefixes))
    assert first == fresh and set(first) == {True, False}
    assert [sheetxml._rows_closed(['<row r="1" x:a="1">', "</row>"], d) for d in declared] == [False, True, True]
    assert [sheetxml._rows_closed(['<row r="1" x:a="1" y:a="2">', "</row>"], d) for d in declared] == [False, False, False]



def _read_doc(tmp_path, name, body, root_attrs=""):
    import zipfile

    path = write_xlsx(tmp_path / name, {"S": body}, ["zero", "one"])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    part = next(n for n in parts if n.startswith("xl/worksheets/"))
    parts[part] = parts[part].replace(b"<worksheet ", b"<worksheet " + root_attrs.encode() + b" ", 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    try:
        with WorkbookCells(path) as wb:
            got = wb.sheet("S")
            return [(k, c.value, c.kind, c.formula) for k, c in got.items()], dict(getattr(got, "arrays", {}))
    except UnusableInput as e:
        return str(e)


@pytest.mark.parametrize("case", ["rows", "elements", "prefixes", "chunks", "arrays"])
def test_a_plan_stands_only_for_what_the_matches_determine(tmp_path, monkeypatch, case):
    # A chunk read by its plan reads as the scanner reads it, whatever else differs: its row tags (judged
    # after the chunk), the count of cells so far, the root's prefixes, the chunks before it
    from sheetnet.xlsx import sheetxml

    monkeypatch.setattr(sheetxml, "_SAME_SHAPES", {})
    monkeypatch.setattr(sheetxml, "_SHEETS_READ", {"S": 0})  # (a sheet of its name read before)
    body = ('<row r="1"><c r="A1"><f t="shared" ref="A1:A9" si="0">B1+1</f><v>{}</v></c><c r="B1" x:a="1"/>'
            '<c r="C1"><f t="array" ref="C1:C2">A1:A2</f><v>{}</v></c></row>'
            + "".join(f'<row r="{r}"><c r="A{r}"><f t="shared" si="0"/><v>{{}}</v></c></row>' for r in range(2, 9)))
    first = [str(k) for k in range(10)]
    again = [str(k * 7) for k in range(10)]
    root = 'xmlns:x="urn:x"'
    if case == "rows":  # rows that are not closed: refused after the chunk, every time
        body = body.replace("</row><row r=\"5\">", '<row r="5">', 1)
    if case == "chunks":
        monkeypatch.setattr(sheetxml, "_CHUNK", 200)
    outcomes = [_read_doc(tmp_path, "a.xlsx", body.format(*first), root)]
    if case == "elements":
        monkeypatch.setattr(sheetxml, "MAX_ELEMENTS", 5)
    if case == "prefixes":
        root = ""
    outcomes.append(_read_doc(tmp_path, "b.xlsx", body.format(*again), root))
    monkeypatch.setattr(sheetxml, "_SAME_SHAPES", {})
    monkeypatch.setattr(sheetxml, "_SHEETS_READ", {"S": 0})  # (a sheet of its name read before)
    assert outcomes[1] == _read_doc(tmp_path, "c.xlsx", body.format(*again), root)
    if case in ("rows", "elements", "prefixes"):
        assert isinstance(outcomes[1], str)
    else:
        assert outcomes[1][0][-1] == ((8, 1), 56.0, "n", "=B8+1") and outcomes[1][1] == {(1, 3): (2, 3)}


def test_a_sheet_of_a_name_read_first_is_not_split_for_its_shape(tmp_path, monkeypatch):
    # one workbook read in a process: no chunk is split for a shape it cannot meet again; the next sheet of
    # that name is, and the one after it is read by its shape
    from sheetnet.xlsx import sheetxml

    monkeypatch.setattr(sheetxml, "_SAME_SHAPES", {})
    monkeypatch.setattr(sheetxml, "_SHEETS_READ", {})
    split = []
    monkeypatch.setattr(sheetxml, "_VALUE_TEXT", _Splitting(sheetxml._VALUE_TEXT, split))
    counting = _Counting(sheetxml._CELL)
    monkeypatch.setattr(sheetxml, "_CELL", counting)
    body = '<row r="1"><c r="A1"><v>{}</v></c><c r="B1"><f>A1*2</f><v>{}</v></c></row>'
    got = [_outcome(tmp_path, f"{k}.xlsx", body.format(k, 2 * k))[0] for k in (1, 2, 3)]
    assert (len(split), counting.calls, list(sheetxml._SHEETS_READ)) == (2, 2, ["S"])
    assert got[2] == [((1, 1), 3.0, "n", None), ((1, 2), 6.0, "n", "=A1*2")]


class _Splitting:
    def __init__(self, pattern, calls):
        self.pattern, self.calls = pattern, calls

    def split(self, *args):
        self.calls.append(1)
        return self.pattern.split(*args)


def test_a_sheet_whose_shapes_are_not_met_again_is_split_for_them_only_now_and_then(tmp_path, monkeypatch):
    # a class whose students typed their own formulas: three chunks of a name in a row met no shape, so the
    # next ones are split only every eighth time, until a shape is met again; what is read never changes
    from sheetnet.xlsx import sheetxml

    monkeypatch.setattr(sheetxml, "_SAME_SHAPES", {})
    monkeypatch.setattr(sheetxml, "_SHEETS_READ", {"S": 0})
    split = []
    monkeypatch.setattr(sheetxml, "_VALUE_TEXT", _Splitting(sheetxml._VALUE_TEXT, split))
    own = '<row r="1"><c r="A1"><v>{}</v></c><c r="B1"><f>A1*{}</f><v>{}</v></c></row>'  # each its own formula
    looked = []
    for k in range(1, 21):
        before = len(split)
        got = _outcome(tmp_path, f"{k}.xlsx", own.format(k, k, k * k))[0]
        looked.append(len(split) - before)
        assert got == [((1, 1), float(k), "n", None), ((1, 2), float(k * k), "n", f"=A1*{k}")]
    assert looked == [1, 1, 1] + [0] * 7 + [1] + [0] * 7 + [1, 0]
    # the 19th's shape (remembered when it was looked for) comes again: paused six more times, then looked
    # for and met, read by it, and the pause is over
    counting = _Counting(sheetxml._CELL)
    monkeypatch.setattr(sheetxml, "_CELL", counting)
    seen = []
    for k in range(8):
        before = len(split), counting.calls
        got = _outcome(tmp_path, f"again{k}.xlsx", own.format(k, 19, 7))[0]
        seen.append((len(split) - before[0], counting.calls - before[1]))
        assert got == [((1, 1), float(k), "n", None), ((1, 2), 7.0, "n", "=A1*19")]
    assert seen == [(0, 1)] * 6 + [(1, 0)] * 2
    assert sheetxml._SHEETS_READ["S"] == 0


def test_kind_letters_reads_one_letter_kinds_and_refuses_the_others():
    # the reader's kinds ('n', 's', 'b', 'e' or ''), each as its letter's byte (0: ''); any other list of
    # kinds is left to a comparison per kind (None)
    from sheetnet.xlsx.sheetxml import kind_letters

    assert kind_letters(["n", "", "s", "b", "e", ""]).tolist() == [ord("n"), 0, ord("s"), ord("b"), ord("e"), 0]
    assert kind_letters([]).tolist() == []
    for odd in (["n", "str"], ["n", "ñ"], ["n", None], ["n", "\0"], ["n\0s"]):
        assert kind_letters(odd) is None, odd
