"""Mutations of a valid workbook for the fuzz tests (tests/test_fuzz.py, tests/fuzz_long.py).

Three kinds: bytes of the zip file itself; the XML text of a part (a sheet, the workbook, the
shared strings), re-zipped so the damage reaches the parser; and cell values (numbers including
NaN and infinities, text, booleans, error values, formulas, dangling shared strings) put into
parameter, pixel, digit and computed cells. Each case runs load, recompute and check (and renders
their reports); the only exception allowed out is UnusableInput, with a one-line message.
"""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import strategies as st

from sheetnet.errors import UnusableInput

PARTS = ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/workbook.xml", "xl/sharedStrings.xml",
         "xl/_rels/workbook.xml.rels")
SHEETS = {1: "xl/worksheets/sheet1.xml", 2: "xl/worksheets/sheet2.xml"}
TOKENS = ("<", ">", "&", "&amp;", "&#0;", "]]>", '"', "'", "</c>", "<c>", '<c r="A1">', '<c r="XFD1048576"><v>1</v></c>',
          "<v>", "</v>", "<v>NaN</v>", "<f>", "</f>", '<f t="shared" si="0"/>', '<f t="shared" si="9" ref="A1:XFD1"/>',
          ' t="s"', ' t="e"', ' t="b"', ' t="inlineStr"', ' r="ZZZZ0"', "</sheetData>", "</row>", '<row r="0">',
          "<!DOCTYPE x>", "<!ENTITY a 'b'>", "<?pi?>", "\x00", "\ufffe", "学习", "Data", "0", "-1", "1e308", "99999999")


class Base:
    """The valid workbook, its parts in memory, and the cells of its two sheets."""

    def __init__(self, path: Path):
        self.path = path
        self.blob = path.read_bytes()
        with zipfile.ZipFile(path) as z:
            self.infos = z.infolist()
            self.parts = {i.filename: z.read(i.filename) for i in self.infos}
        self.refs = {n: re.findall(r'<c r="([A-Z]+[0-9]+)"', self.parts[p].decode()) for n, p in SHEETS.items()}

    def write(self, dst: Path, parts: dict[str, bytes]) -> Path:
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for info in self.infos:
                z.writestr(info.filename, parts.get(info.filename, self.parts[info.filename]))
        return dst


# -- strategies ----------------------------------------------------------------------------------
def byte_mutations():
    """[(where 0…1, byte)] overwrites, and maybe a truncation (where 0…1)."""
    where = st.floats(0, 1, exclude_max=True)
    return st.tuples(st.lists(st.tuples(where, st.integers(0, 255)), min_size=1, max_size=12), st.one_of(st.none(), where))


def xml_mutations():
    edit = st.one_of(
        st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 400)),
        st.tuples(st.just("insert"), st.floats(0, 1), st.one_of(st.sampled_from(TOKENS), st.text(max_size=20))),
        st.tuples(st.just("duplicate"), st.floats(0, 1), st.integers(1, 2000)),
    )
    return st.tuples(st.sampled_from(PARTS), st.lists(edit, min_size=1, max_size=5))


def _number():
    return st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                     st.sampled_from(["NaN", "inf", "-inf", "1e999", "1E+308", "0x10", "1_000", " 1 ", "", "-0", "١"]),
                     st.integers(-10**30, 10**30).map(str))


def cell_xml(ref: str):
    """Any value Excel (or a hand-edited file) might put in a cell."""
    text = st.text(max_size=30).map(escape)
    formula = st.one_of(st.text(max_size=40),
                        st.sampled_from(["cmd|'/C calc'!A0", "[1]Sheet1!A1", "'C:\\x\\[e.xlsx]S'!A1", "A1:XFD1048576",
                                         "SUM(1,", "1/0", "#REF!", "INDIRECT(\"A1\")", ref, "SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5"])).map(escape)
    return st.one_of(
        _number().map(lambda v: f'<c r="{ref}"><v>{escape(v)}</v></c>'),
        text.map(lambda v: f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'),
        text.map(lambda v: f'<c r="{ref}" t="str"><v>{v}</v></c>'),
        st.integers(-5, 2**40).map(lambda i: f'<c r="{ref}" t="s"><v>{i}</v></c>'),
        st.sampled_from(["0", "1", "true", "yes", ""]).map(lambda v: f'<c r="{ref}" t="b"><v>{v}</v></c>'),
        st.sampled_from(["#DIV/0!", "#REF!", "#NAME?", "#VALUE!", "#N/A", "#NUM!", "#NULL!"]).map(
            lambda v: f'<c r="{ref}" t="e"><v>{v}</v></c>'),
        st.tuples(formula, _number()).map(lambda fv: f'<c r="{ref}"><f>{fv[0]}</f><v>{escape(fv[1])}</v></c>'),
        formula.map(lambda f: f'<c r="{ref}"><f>{f}</f></c>'),
        st.just(f'<c r="{ref}"/>'),
        st.just(""),
    )


def cell_mutations(base: Base):
    one = st.sampled_from(sorted(SHEETS)).flatmap(
        lambda n: st.sampled_from(base.refs[n]).flatmap(lambda ref: cell_xml(ref).map(lambda xml: (n, ref, xml))))
    return st.lists(one, min_size=1, max_size=6)


# -- applying them -------------------------------------------------------------------------------
def apply_bytes(base: Base, dst: Path, mutation) -> Path:
    edits, cut = mutation
    data = bytearray(base.blob)
    for where, byte in edits:
        data[int(where * len(data))] = byte
    dst.write_bytes(bytes(data[: int(cut * len(data))] if cut is not None else data))
    return dst


def apply_xml(base: Base, dst: Path, mutation) -> Path:
    part, edits = mutation
    text = base.parts[part].decode("utf-8")
    for kind, where, arg in edits:
        i = int(where * len(text))
        if kind == "delete":
            text = text[:i] + text[i + arg:]
        elif kind == "insert":
            text = text[:i] + arg + text[i:]
        else:
            text = text[:i] + text[i:i + arg] + text[i:]
    return base.write(dst, {part: text.encode("utf-8", "surrogatepass")})


def apply_cells(base: Base, dst: Path, mutation) -> Path:
    texts = {n: base.parts[p].decode("utf-8") for n, p in SHEETS.items()}
    for n, ref, xml in mutation:
        texts[n] = re.sub(rf'<c r="{ref}"(?: [^>]*)?(?:/>|>.*?</c>)', lambda m: xml, texts[n], count=1)
    return base.write(dst, {SHEETS[n]: t.encode("utf-8") for n, t in texts.items()})


# -- running one case ----------------------------------------------------------------------------
def run_case(path: Path) -> str:
    """load, recompute and check one file (and render every report): 'usable' or 'unusable'.
    Anything but UnusableInput propagates (a bug); the input must come out unchanged."""
    from sheetnet.check import report as check_report
    from sheetnet.check.checker import check
    from sheetnet.layout.chapter3 import CHAPTER3
    from sheetnet.mirror.load import load
    from sheetnet.mirror.recompute import recompute
    from sheetnet.report import recompute_json, recompute_text

    before = path.read_bytes()
    listing = sorted(p.name for p in path.parent.iterdir())
    try:
        load(path, CHAPTER3)
        r = recompute(path)
        recompute_text(r), recompute_json(r)
        c = check(path)
        check_report.text(c), check_report.json_text(c)
        outcome = "usable"
    except UnusableInput as e:
        message = str(e)
        assert message and "\n" not in message, repr(message)
        outcome = "unusable"
    assert path.read_bytes() == before, "the input was modified"
    assert sorted(p.name for p in path.parent.iterdir()) == listing, "something was left behind"
    return outcome


class Timer:
    """The slowest case seen, and how many ran."""

    def __init__(self):
        self.cases, self.slowest, self.slowest_case, self.outcomes = 0, 0.0, None, {}

    def run(self, path: Path, label) -> str:
        start = time.perf_counter()
        outcome = run_case(path)
        seconds = time.perf_counter() - start
        self.cases += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if seconds > self.slowest:
            self.slowest, self.slowest_case = seconds, label
        return outcome
