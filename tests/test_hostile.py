"""Hostile and broken workbooks: each one through `recompute` AND `check` — exit 2, one stderr line naming
the file and the problem, no traceback, the input byte for byte unchanged, nothing left in its folder.

Some hostile-looking inputs are legitimately usable (a macro-enabled .xlsm, a renamed or reordered
learning sheet, a claimed 1,048,576 × 16,384 dimension, external links or DDE in computed cells):
those load, and the tests say what they must produce instead (and that nothing is run or followed).
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from minixlsx import replace_cell, write_xlsx
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook

DATA, LEARN = 1, 2  # sheet part numbers in the workbooks we write: sheet1 = Data, sheet2 = 学习
DATA_PART, LEARN_PART = "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "answer.xlsx"
    write_book_workbook(path, chapter3_params("initial"))
    return path


# -- builders ------------------------------------------------------------------------------------
def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _edit(src: Path, dst: Path, edits: dict, add: dict | None = None, drop: tuple = ()) -> Path:
    """A copy of src with parts rewritten: edits[name] is a function text → text."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info.filename)
            if info.filename in edits:
                data = edits[info.filename](data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def _sub(pattern: str, repl: str, count: int = 1):
    def edit(text: str) -> str:
        out, n = re.subn(pattern, repl if callable(repl) else lambda m: repl, text, count=count)  # repl: literal text
        assert n, f"{pattern!r} not found"
        return out
    return edit


def _ole(path: Path, encrypted: bool) -> Path:
    # An OLE2 compound-document header (the magic and a plausible header sector), not a real CFB
    # file: legacy .xls and encrypted .xlsx are both OLE2; the encrypted one names an EncryptionInfo stream.
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHH", 0x3E, 3, 0xFFFE) + b"\0" * 482
    if encrypted:
        body += "EncryptionInfo".encode("utf-16-le") + b"\0" * 50 + "EncryptedPackage".encode("utf-16-le")
    return _write(path, body + b"\0" * 2048)


def _zip(path: Path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _declare_size(path: Path, part: str, size: int) -> Path:
    """Patch the central directory so `part` claims to inflate to `size` bytes (a zip bomb's header;
    the file itself stays small). The local header keeps its own sizes, as zipfile reads the central one."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    i = data.find(b"PK\x01\x02")
    while i >= 0:
        n = struct.unpack_from("<H", data, i + 28)[0]
        if bytes(data[i + 46:i + 46 + n]) == name:
            struct.pack_into("<I", data, i + 24, size)
            return _write(path, bytes(data))
        i = data.find(b"PK\x01\x02", i + 4)
    raise AssertionError(f"{part} not in {path}")


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
                  + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
                  + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                  '<row r="1"><c r="A1" t="inlineStr"><is><t>&j;</t></is></c></row></sheetData></worksheet>')
XXE = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
       '<row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row></sheetData></worksheet>')


def _ods(path: Path) -> Path:
    return _zip(path, {
        "mimetype": "application/vnd.oasis.opendocument.spreadsheet",
        "META-INF/manifest.xml": '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        "content.xml": '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
    })


def _zip_bomb(d: Path, g: Path) -> Path:
    # A real 1 MiB sheet, its central-directory entry claiming 4 GiB: refused from the header,
    # before a byte is inflated (building it takes milliseconds; the file stays ~70 kB).
    path = _edit(g, d / "bomb.xlsx", {LEARN_PART: lambda t: t.replace("<sheetData>", "<sheetData>" + " " * (1 << 20), 1)})
    return _declare_size(path, LEARN_PART, 0xFFFF_FF00)


def _many_cells_total(d: Path, g: Path) -> Path:
    # Many parts, each under the per-part limit, together claiming far more than the total limit.
    path = _edit(g, d / "total.xlsx", {}, add={f"xl/media/blob{i}.bin": b"\0" * 1000 for i in range(6)})
    for i in range(6):
        _declare_size(path, f"xl/media/blob{i}.bin", 0xF000_0000)
    return path


def _lying_size(d: Path, g: Path) -> Path:
    # The header says 100 bytes, the sheet inflates to far more: zipfile stops at the declared size,
    # so the XML ends early (and the CRC does not match).
    path = _edit(g, d / "liar.xlsx", {})
    return _declare_size(path, LEARN_PART, 100)


def _patched(d: Path, g: Path, name: str, patch) -> Path:
    """A copy of g with its raw bytes patched: patch(bytearray, local header offset of LEARN_PART, central entry offset)."""
    data = bytearray(g.read_bytes())
    with zipfile.ZipFile(g) as z:
        local = z.getinfo(LEARN_PART).header_offset
    central = data.find(b"PK\x01\x02")
    while struct.unpack_from("<H", data, central + 28)[0] != len(LEARN_PART) or \
            bytes(data[central + 46:central + 46 + len(LEARN_PART)]) != LEARN_PART.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    patch(data, local, central)
    return _write(d / name, bytes(data))


def _corrupt_deflate(data, local, central):
    start = local + 30 + struct.unpack_from("<H", data, local + 26)[0] + struct.unpack_from("<H", data, local + 28)[0]
    data[start] = 0b111  # the first deflate block: final, type 3 (reserved) → "invalid block type"


def _local_name_differs(data, local, central):
    data[local + 30 + 3] ^= 0x20  # 'xl/worksheets' → 'xl/Worksheets' in the local header only


def _unknown_method(data, local, central):
    struct.pack_into("<H", data, central + 10, 99)  # compression method 99 (AES), unsupported


def _encrypted_entry(data, local, central):
    data[central + 8] |= 1  # general-purpose flag bit 0: this entry is encrypted


def _million_strings(d: Path, g: Path) -> Path:
    # A shared-strings table of 1,000,000 entries (the book's own first, so every label still
    # resolves), and a weight that points at the last one: text where a number belongs.
    with zipfile.ZipFile(g) as z:
        sst = z.read("xl/sharedStrings.xml").decode()
    head, items = sst.split("<si>", 1)
    items = "<si>" + items.rsplit("</sst>", 1)[0]
    n_own = items.count("<si>")
    extra = "<si><t>x</t></si>" * (1_000_000 - n_own)
    return _edit(g, d / "sst.xlsx", {
        "xl/sharedStrings.xml": lambda t: head + items + extra + "</sst>",
        LEARN_PART: _sub(r'<c r="D5"[^>]*>.*?</c>', '<c r="D5" t="s"><v>999999</v></c>'),
    })


def _cell(g: Path, dst: Path, sheet: int, ref: str, xml: str | None) -> Path:
    return replace_cell(g, dst, sheet, ref, xml)


def _merged(d: Path, g: Path) -> Path:
    # The first image's 4×3 pixels merged into one cell, as Excel saves it: the anchor keeps its
    # value, the other cells of the merge are emptied.
    def edit(text: str) -> str:
        for ref in ("K5", "L5", "M5", "K6", "L6", "M6", "K7", "L7", "M7", "K8", "L8", "M8")[1:]:
            text, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', "", text, count=1)
            assert n == 1
        return text.replace("</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="K5:M8"/></mergeCells>', 1)
    return _edit(g, d / "merged.xlsx", {DATA_PART: edit})


def _missing_part(d: Path, g: Path) -> Path:
    return _edit(g, d / "nopart.xlsx", {}, drop=(LEARN_PART, DATA_PART))


def _circular(d: Path, g: Path) -> Path:
    # C_T's cell sums itself (and z2_1 of image 1 refers to C_T): Excel would refuse to calculate.
    return _edit(g, d / "circular.xlsx", {
        LEARN_PART: _sub(r'<f>SUM\(L21:JG21\)</f>', "<f>SUM(L21:JG21)+G21</f>"),
    })


# name → (builder(dir, good) → path, what the one line must say)
CORPUS = {
    "empty file": (lambda d, g: _write(d / "empty.xlsx", b""), "is empty"),
    "random bytes": (lambda d, g: _write(d / "random.xlsx", os.urandom(4096).replace(b"PK", b"pk").replace(b"\xd0\xcf", b"xx")),
                     "not a zip file"),
    "truncated xlsx": (lambda d, g: _write(d / "trunc.xlsx", g.read_bytes()[: len(g.read_bytes()) // 2]),
                       "not a zip file, or a truncated one"),
    "zip header only": (lambda d, g: _write(d / "pk.xlsx", b"PK\x03\x04" + b"\0" * 26), "not a zip file"),
    "zip, not an xlsx": (lambda d, g: _zip(d / "notes.xlsx", {"readme.txt": "hello", "word/document.xml": "<w/>"}),
                         "no xl/workbook.xml"),
    "xlsb renamed": (lambda d, g: _zip(d / "bin.xlsx", {"xl/workbook.bin": b"\0\1"}), "binary workbook (.xlsb)"),
    ".xls renamed .xlsx": (lambda d, g: _ole(d / "old.xlsx", False), "legacy .xls"),
    ".ods renamed .xlsx": (lambda d, g: _ods(d / "calc.xlsx"), "OpenDocument spreadsheet"),
    "password-protected (fake OLE2 header)": (lambda d, g: _ole(d / "locked.xlsx", True), "password-protected"),
    "entity-expansion bomb in a sheet": (lambda d, g: _edit(g, d / "laughs.xlsx", {LEARN_PART: lambda t: BILLION_LAUGHS}),
                                         "forbidden XML"),
    "external entity (XXE) in a sheet": (lambda d, g: _edit(g, d / "xxe.xlsx", {DATA_PART: lambda t: XXE}), "forbidden XML"),
    "zip bomb: a sheet declaring 4 GiB": (_zip_bomb, "would inflate to 4,096 MiB"),
    "zip bomb: parts declaring 22.5 GiB together": (_many_cells_total, "would inflate to 22.5 GiB"),
    "zip entry lying about its size": (_lying_size, "xl/worksheets/sheet2.xml"),
    "corrupt deflate data in a sheet": (lambda d, g: _patched(d, g, "deflate.xlsx", _corrupt_deflate),
                                        "xl/worksheets/sheet2.xml cannot be inflated"),
    "local header names another part": (lambda d, g: _patched(d, g, "header.xlsx", _local_name_differs),
                                         "xl/worksheets/sheet2.xml cannot be inflated"),
    "unsupported compression method": (lambda d, g: _patched(d, g, "method.xlsx", _unknown_method),
                                       "xl/worksheets/sheet2.xml cannot be inflated"),
    "one encrypted zip entry": (lambda d, g: _patched(d, g, "zipcrypto.xlsx", _encrypted_entry),
                                "xl/worksheets/sheet2.xml cannot be inflated"),
    "sheet XML not well-formed": (lambda d, g: _edit(g, d / "broken.xlsx", {LEARN_PART: lambda t: t[: len(t) // 2]}),
                                  "is not well-formed XML"),
    "workbook.xml missing its sheets' parts": (_missing_part, "sheet 'Data' has no worksheet part"),
    "no data sheet at all": (lambda d, g: write_xlsx(d / "nodata.xlsx", {"Sheet1": '<row r="1"><c r="A1"><v>1</v></c></row>'}),
                             "no sheet holds the Data sheet's data"),
    "cell beyond XFD1048576": (lambda d, g: _cell(g, d / "far.xlsx", LEARN, "D5", '<c r="XFE1048577"><v>1</v></c>'),
                               "cell address outside the sheet"),
    "cell without an address": (lambda d, g: _cell(g, d / "noaddr.xlsx", LEARN, "D5", "<c><v>1</v></c>"),
                                "has a cell without an address"),
    "shared string index out of range": (lambda d, g: _cell(g, d / "sst-oob.xlsx", LEARN, "D5", '<c r="D5" t="s"><v>99999999</v></c>'),
                                         "学习!D5 points at a shared string that does not exist"),
    "a million shared strings, one in a weight": (_million_strings, "学习!D5 holds the text 'x' where a hidden-unit weight"),
    "merged cells over an image": (_merged, "Data!L5 is empty where a pixel (a number) belongs"),
    "text in a weight (shared string)": (lambda d, g: _cell(g, d / "text.xlsx", LEARN, "E6", '<c r="E6" t="s"><v>0</v></c>'),
                                         "学习!E6 holds the text"),
    "boolean in a bias": (lambda d, g: _cell(g, d / "bool.xlsx", LEARN, "G13", '<c r="G13" t="b"><v>0</v></c>'),
                          "学习!G13 holds the boolean FALSE where a hidden-unit bias"),
    "#DIV/0! in a weight": (lambda d, g: _cell(g, d / "div0.xlsx", LEARN, "F16", '<c r="F16" t="e"><v>#DIV/0!</v></c>'),
                            "学习!F16 holds the error #DIV/0! where a hidden-unit weight"),
    "#REF! in an output bias": (lambda d, g: _cell(g, d / "ref.xlsx", LEARN, "G18", '<c r="G18" t="e"><v>#REF!</v></c>'),
                                "学习!G18 holds the error #REF! where an output-unit bias"),
    "#NAME? in a pixel": (lambda d, g: _cell(g, d / "name.xlsx", DATA, "M6", '<c r="M6" t="e"><f>PIXL(1)</f><v>#NAME?</v></c>'),
                          "Data!M6 holds the error #NAME? where a pixel"),
    "garbage in a number cell": (lambda d, g: _cell(g, d / "num.xlsx", LEARN, "D5", '<c r="D5"><v>12abc</v></c>'),
                                 "学习!D5 holds '12abc' where a number is stored"),
    "NaN in a weight": (lambda d, g: _cell(g, d / "nan.xlsx", LEARN, "E9", '<c r="E9"><v>NaN</v></c>'),
                        "学习!E9 holds 'NaN' where a number is stored"),
    "infinity in a pixel": (lambda d, g: _cell(g, d / "inf.xlsx", DATA, "K5", '<c r="K5"><v>1e999</v></c>'),
                            "Data!K5 holds '1e999' where a number is stored"),
    "formula without cached value in a weight": (lambda d, g: _cell(g, d / "nocache.xlsx", LEARN, "D5", '<c r="D5"><f>1+1</f></c>'),
                                                 "学习!D5 has a formula but no cached value"),
    "shared formula used before it is defined": (
        lambda d, g: _cell(g, d / "shared.xlsx", LEARN, "O11", '<c r="O11"><f t="shared" si="7"/><v>1</v></c>'),
        "学习!O11 uses shared formula 7 before it is defined"),
    # aimed at the scanner, which reads <sheetData> without expat: each as expat refuses it
    "'<' in a cell's attribute": (lambda d, g: _cell(g, d / "lt.xlsx", LEARN, "E6", '<c r="E6" cm="a<b"><v>1</v></c>'),
                                  "is not well-formed XML"),
    "undefined entity in a formula": (lambda d, g: _cell(g, d / "ent.xlsx", LEARN, "O11", '<c r="O11"><f>L5&bogus;</f><v>1</v></c>'),
                                      "is not well-formed XML (undefined entity"),
    "control character in a value": (lambda d, g: _cell(g, d / "ctl.xlsx", DATA, "K5", '<c r="K5"><v>1\x07</v></c>'),
                                     "is not well-formed XML"),
    "an unclosed row among the cells": (lambda d, g: _cell(g, d / "row.xlsx", LEARN, "E6", '<c r="E6"><v>1</v></c><row r="6">'),
                                        "is not well-formed XML (mismatched tag"),
    "mismatched tags in a cell": (lambda d, g: _cell(g, d / "tags.xlsx", LEARN, "E6", '<c r="E6"><v>1</c></v>'),
                                  "is not well-formed XML (mismatched tag"),
    "path that does not exist": (lambda d, g: d / "nowhere.xlsx", "no such file"),
    # check takes a folder as a class: an empty one is refused as such
    "a directory": (lambda d, g: _mkdir(d / "folder.xlsx"), {"recompute": "is a directory", "check": "the folder holds no workbooks"}),
}


def _mkdir(p: Path) -> Path:
    p.mkdir()
    return p


def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# Cost is asserted by memory, which load does not change; time only guards against a hang, with a
# bound no busy machine reaches (a test that depends on the machine's load blocks everyone's landing).
HANG = 120  # seconds
MEMORY_MB = 200  # peak Python and NumPy allocations of one command (the worst case here, a million shared strings: 65 MB)


def _run_measured(argv, capsys):
    """_run, and the peak memory (MB) it allocated."""
    import tracemalloc

    tracemalloc.start()
    try:
        code, out, err = _run(argv, capsys)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    return code, out, err, peak


@pytest.mark.parametrize("command", ["recompute", "check"])
@pytest.mark.parametrize("case", list(CORPUS))
def test_hostile_input_is_one_line_and_exit_2(case, command, good, tmp_path, capsys):
    make, message = CORPUS[case]
    message = message[command] if isinstance(message, dict) else message
    d = tmp_path / "in"
    d.mkdir()
    path = make(d, good)
    before = path.read_bytes() if path.is_file() else None
    listing = sorted(p.name for p in d.rglob("*"))
    start = time.perf_counter()
    code, out, err, peak = _run_measured([command, str(path)], capsys)
    seconds = time.perf_counter() - start
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"sheetnet: {path}: "), err
    assert message in err, err
    assert "Traceback" not in err and "internal error" not in err, err
    if before is not None:
        assert path.read_bytes() == before
    assert sorted(p.name for p in d.rglob("*")) == listing  # nothing left behind
    assert peak < MEMORY_MB, f"{case}: {peak:.0f} MB"
    assert seconds < HANG, f"{case}: {seconds:.1f} s"


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("case", ["random bytes", "entity-expansion bomb in a sheet", "zip bomb: a sheet declaring 4 GiB",
                                  "password-protected (fake OLE2 header)"])
@pytest.mark.parametrize("command", ["recompute", "check"])
def test_hostile_input_through_the_real_command(case, command, good, tmp_path):
    make, message = CORPUS[case]
    d = tmp_path / "in"
    d.mkdir()
    path = make(d, good)
    before = path.read_bytes()
    run = subprocess.run([sys.executable, "-m", "sheetnet", command, str(path)], capture_output=True, text=True, timeout=60,
                         cwd=d)
    assert run.returncode == 2, run
    assert run.stdout == "" and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith(f"sheetnet: {path}: ") and message in run.stderr, run.stderr
    assert path.read_bytes() == before
    assert [p.name for p in d.iterdir()] == [path.name]


def test_a_sheet_part_under_another_name_still_stops_inflating_at_the_limit(good, tmp_path, capsys, monkeypatch):
    # The declared-size check looks at .xml parts; a sheet stored as 'sheet2.dat' slips past it, and
    # the streaming limit must stop it while it inflates. The limit is lowered to 1 MiB here so the
    # test stays fast (the real one is 256 MiB); the sheet really inflates to ~4 MiB.
    from sheetnet.xlsx import reader

    monkeypatch.setattr(reader, "MAX_PART_BYTES", 1 << 20)
    path = _edit(good, tmp_path / "renamed-part.xlsx", {
        "xl/_rels/workbook.xml.rels": lambda t: t.replace("worksheets/sheet2.xml", "worksheets/sheet2.dat"),
    }, add={"xl/worksheets/sheet2.dat": zipfile.ZipFile(good).read(LEARN_PART).decode().replace("<sheetData>", "<sheetData>" + " " * (4 << 20), 1)},
        drop=(LEARN_PART,))
    before = path.read_bytes()
    for command in ("recompute", "check"):
        code, out, err = _run([command, str(path)], capsys)
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert f"{path}: " in err and "xl/worksheets/sheet2.dat inflates past 1 MiB" in err, err
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", ["recompute", "check"])
def test_extreme_but_finite_numbers_print_no_numpy_warnings(good, tmp_path, command):
    # 1e308 in a pixel overflows float64 in the forward pass: the results say so cell by cell (exit 1);
    # NumPy's RuntimeWarnings (two lines each, with our source line) must not reach stderr.
    path = replace_cell(good, tmp_path / "huge.xlsx", DATA, "K5", '<c r="K5"><v>1e308</v></c>')
    run = subprocess.run([sys.executable, "-m", "sheetnet", command, str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run
    assert run.stderr == "", run.stderr


# -- hostile-looking but usable ------------------------------------------------------------------
def _no_process(monkeypatch):
    """Fail the test if anything tries to start a program (DDE, a macro, an external link)."""
    def refuse(*a, **k):
        raise AssertionError(f"tried to run {a!r}")
    for mod, name in ((subprocess, "Popen"), (os, "system"), (os, "execv"), (os, "execvp"), (os, "posix_spawn")):
        monkeypatch.setattr(mod, name, refuse)


def _opened_parts(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = zipfile.ZipFile.open

    def spy(self, name, *a, **k):
        seen.append(name if isinstance(name, str) else name.filename)
        return real(self, name, *a, **k)
    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return seen


def test_a_macro_workbook_loads_and_its_macro_is_never_read(good, tmp_path, capsys, monkeypatch):
    # Decision: an .xlsm is a usable workbook (students save with macros enabled); sheetnet reads its
    # cells and never opens xl/vbaProject.bin, let alone runs it. Exit 0 like any right workbook.
    path = _edit(good, tmp_path / "macro.xlsm", {
        "[Content_Types].xml": lambda t: t.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'),
    }, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"Module1\"\nSub Auto_Open()\nShell \"calc\"\nEnd Sub\n"})
    before = path.read_bytes()
    _no_process(monkeypatch)
    seen = _opened_parts(monkeypatch)
    for command in ("recompute", "check"):
        code, out, err = _run([command, str(path)], capsys)
        assert code == 0, (out, err)
        assert err == ""
    assert seen and "xl/vbaProject.bin" not in seen
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["macro.xlsm"]


@pytest.mark.parametrize("formula", [
    "'C:\\Users\\evil\\[grades.xlsx]Sheet1'!$A$1",
    "[1]学习!G21",
    "cmd|'/C calc'!A0",
])
def test_external_links_and_dde_are_reported_never_followed(good, tmp_path, capsys, monkeypatch, formula):
    # C_T's formula replaced, its cached value kept: recompute compares the value (all agree, exit 0);
    # check names the outside reference as a finding (exit 1). Nothing is opened or started.
    escaped = formula.replace("&", "&amp;").replace("'", "&apos;")
    path = _edit(good, tmp_path / "link.xlsx", {LEARN_PART: _sub(r"<f>SUM\(L21:JG21\)</f>", f"<f>{escaped}</f>")})
    before = path.read_bytes()
    _no_process(monkeypatch)
    code, out, err = _run(["recompute", str(path)], capsys)
    assert code == 0 and err == "", (out, err)
    code, out, err = _run(["check", str(path)], capsys)
    assert code == 1 and err == "", (out, err)
    assert "G21" in out
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.xlsx"]


def test_a_circular_reference_is_not_followed(good, tmp_path, capsys):
    # C_T = SUM(L21:JG21)+G21 with the right cached value. Nothing is evaluated by following the
    # cell's own formula, so nothing loops: recompute works from the inputs (all agree) and check ends.
    path = _circular(tmp_path, good)
    before = path.read_bytes()
    start = time.perf_counter()
    code, out, err = _run(["recompute", str(path)], capsys)
    assert code == 0 and err == "" and "1922 of 1922 agree" in out
    code, out, err = _run(["check", str(path)], capsys)
    assert code in (0, 1) and err == "", (out, err)
    assert time.perf_counter() - start < HANG
    assert path.read_bytes() == before


def test_a_circular_reference_is_reported_by_check(good, tmp_path, capsys):
    path = _circular(tmp_path, good)
    code, out, err = _run(["check", str(path)], capsys)
    assert code == 1 and "G21" in out and "circular reference" in out, out


def test_renamed_and_reordered_learning_sheet_still_loads(good, tmp_path, capsys):
    renamed = _edit(good, tmp_path / "renamed.xlsx", {"xl/workbook.xml": lambda t: t.replace('name="学习"', 'name="Learning"')
                                                      .replace("学习!", "Learning!")})
    reordered = _edit(good, tmp_path / "reordered.xlsx", {"xl/workbook.xml": _sub(
        r'(<sheet name="Data"[^>]*/>)(<sheet name="学习"[^>]*/>)', lambda m: m[2] + m[1])})
    for path in (renamed, reordered):
        before = path.read_bytes()
        code, out, err = _run(["recompute", str(path)], capsys)
        assert code == 0 and err == "", err
        assert "C_T = 18.3470935205" in out and "1922 of 1922 agree" in out, out
        code, out, err = _run(["check", str(path)], capsys)
        assert code == 0 and err == "", err
        assert "every computed cell is right" in out
        assert path.read_bytes() == before
    assert "'Learning'" in _run(["recompute", str(renamed)], capsys)[1]


def test_a_claimed_full_sheet_dimension_costs_nothing(good, tmp_path, capsys):
    # <dimension ref="A1:XFD1048576"/>: 17 billion cells claimed, a handful present. The claim is
    # never believed (nothing is allocated from it): the workbook loads, quickly.
    path = _edit(good, tmp_path / "dim.xlsx", {LEARN_PART: _sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>'),
                                               DATA_PART: _sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>')})
    start = time.perf_counter()
    for command in ("recompute", "check"):
        code, out, err, peak = _run_measured([command, str(path)], capsys)
        assert code == 0 and err == "", err
        assert peak < 100, f"{command}: {peak:.0f} MB for a handful of cells"
    assert time.perf_counter() - start < HANG


# -- paths we cannot read or write ---------------------------------------------------------------
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads a chmod-000 file anyway")
@pytest.mark.parametrize("command", ["recompute", "check"])
def test_an_unreadable_file(good, tmp_path, capsys, command):
    path = tmp_path / "secret.xlsx"
    path.write_bytes(good.read_bytes())
    path.chmod(0)
    try:
        code, out, err = _run([command, str(path)], capsys)
    finally:
        path.chmod(0o644)
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"sheetnet: {path}: cannot be read"), err


@pytest.mark.parametrize("command", ["recompute", "check"])
def test_an_unreadable_file_even_as_root(good, tmp_path, capsys, monkeypatch, command):
    # Tests run as root here, where chmod 000 does not stop a read: the refusal the OS would give is
    # simulated at the reader's first open() instead.
    from sheetnet.xlsx import reader

    path = tmp_path / "secret.xlsx"
    path.write_bytes(good.read_bytes())

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(reader, "open", refuse, raising=False)
    code, out, err = _run([command, str(path)], capsys)
    assert code == 2 and out == "" and err == f"sheetnet: {path}: cannot be read (Permission denied)\n", err


def _outputs(good: Path):
    yield "answer", lambda out: ["answer", "-o", str(out)]
    yield "train", lambda out: ["train", str(good), "-o", str(out)]
    yield "check --annotate", lambda out: ["check", str(good), "--annotate", str(out)]


@pytest.mark.parametrize("which", ["answer", "train", "check --annotate"])
def test_an_output_in_a_missing_folder(good, tmp_path, capsys, which):
    argv = dict(_outputs(good))[which](tmp_path / "missing" / "out.xlsx")
    before = good.read_bytes()
    code, out, err = _run(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "does not exist" in err and "missing" in err, err
    assert not (tmp_path / "missing").exists()
    assert good.read_bytes() == before


@pytest.mark.parametrize("which", ["answer", "train", "check --annotate"])
def test_an_output_on_a_read_only_file(good, tmp_path, capsys, which):
    target = tmp_path / "ro.xlsx"
    target.write_bytes(b"keep me")
    target.chmod(0o444)
    argv = dict(_outputs(good))[which](target)
    code, out, err = _run(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "read-only" in err and str(target) in err, err
    assert target.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro.xlsx"]
