"""Read every cell of an .xlsx (formula text and cached value) straight from its XML, safely.

Student workbooks are untrusted: the zip's parts are size-bounded before and while they inflate,
XML is parsed by expat with every DTD refused (sheetnet.xlsx.safexml: no entities, no external
references), and nothing in the file is evaluated or followed. Sheets are read lazily, once each,
and only those asked for: a sheet nobody asks about is never inflated. Both dialects of the format
are read: Transitional (what Excel saves by default) and Strict.
"""

from __future__ import annotations

import codecs
import io
import posixpath
import re
import zipfile
import zlib
from pathlib import Path

from sheetnet import progress
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _
from sheetnet.xlsx import safexml
from sheetnet.xlsx.refs import cell_name
from sheetnet.xlsx.sheetxml import MAX_CELLS, Cell, SheetCells, first_rows, past_rows, read_sheet  # noqa: F401 (the reader's interface)

MAX_PART_BYTES = 256 * 1024 * 1024  # one inflated XML part
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # all parts together, as declared


class _Limited(io.RawIOBase):
    """A read-only stream that refuses to give more than `limit` bytes (a zip bomb stops here)."""

    def __init__(self, raw, limit: int, what: str, on_read=None):
        self._raw, self._left, self._what, self._on_read = raw, limit, what, on_read

    def readable(self) -> bool:
        return True

    def piece(self, size: int) -> bytes:
        """Up to `size` more bytes as the raw stream gives them (b'': the end), refused past the limit."""
        data = self._raw.read(min(size, self._left + 1))
        if len(data) > self._left:
            raise UnusableInput(_("{part} inflates past {limit} MiB").format(part=self._what, limit=MAX_PART_BYTES // 2**20))
        self._left -= len(data)
        if self._on_read is not None:
            self._on_read(len(data))
        return data

    def readinto(self, buffer) -> int:
        data = self.piece(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _inflate(raw, what: str, on_read=None) -> bytes:
    """All of a part's bytes, inflated _READ_AT_ONCE at a time and refused past MAX_PART_BYTES (a zip bomb
    stops here). (A stream's read() of everything asks 8 KiB at a time: 3,200 reads of cnn-backprop 10's
    sheet, 40 ms more than a MiB at a time.)"""
    limited = _Limited(raw, MAX_PART_BYTES, what, on_read)
    return b"".join(iter(lambda: limited.piece(_READ_AT_ONCE), b""))


def _tags(local: str) -> tuple[str, ...]:
    return tuple(f"{ns}{safexml.SEP}{local}" for ns in safexml.MAIN_NAMESPACES)


class WorkbookCells:
    """The cells of one workbook file. Use as a context manager or call close()."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._zip = _open_zip(self.path)
        self._sheets: dict[str, SheetCells] = {}
        self._peeked: dict[str, tuple[int, SheetCells]] = {}  # sheet → (last row, its first rows' cells)
        self.remembered: dict = {}  # what users of its cells worked out once (mirror/load.py: the sheets' roles)
        try:
            self.sheet_names, self._sheet_parts, self.defined_names = self._read_workbook()
            self._strings: list[str] | None = None
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> "WorkbookCells":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    # -- parts -------------------------------------------------------------------------------
    @property
    def zip_file(self) -> zipfile.ZipFile:
        """The open zip file, for a look at its other parts (read with a cap, as check/package.py does)."""
        return self._zip

    def part_names(self) -> list[str]:
        return self._zip.namelist()

    def part_of(self, sheet: str) -> str:
        """The zip part that holds a sheet's cells, e.g. 'xl/worksheets/sheet2.xml'."""
        if sheet not in self._sheet_parts:
            raise UnusableInput(_("there is no sheet named {sheet!r}").format(sheet=sheet))
        return self._sheet_parts[sheet]

    def _read(self, name: str, on_read=None) -> bytes:
        """A part's bytes, inflated within MAX_PART_BYTES (on_read(n): n more bytes read, for progress)."""
        try:
            raw = self._zip.open(name)
        except KeyError:
            raise UnusableInput(_("the part {name} is missing").format(name=name)) from None
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError, ValueError) as e:
            # a damaged local header, an unsupported compression method, an encrypted entry
            raise UnusableInput(_("{name} cannot be inflated ({error})").format(name=name, error=e)) from None
        try:
            once = min(_READ_AT_ONCE, MAX_PART_BYTES)
            if self._zip.NameToInfo[name].file_size <= once:  # small as declared: one read (zipfile stops at
                with raw:                                      # the declared size, then checks the CRC)
                    data = raw.read(once + 1)
                if on_read is not None:
                    on_read(len(data))
                return data
            with raw:
                return _inflate(raw, name, on_read)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as e:
            raise UnusableInput(_("{name} cannot be inflated ({error})").format(name=name, error=e)) from None

    def _read_workbook(self):
        rels = {}
        rels_part = "xl/_rels/workbook.xml.rels"
        if rels_part in self._zip.NameToInfo:
            wanted = {f"{safexml.PKG_REL_NS}{safexml.SEP}Relationship": "rel"}
            for _label, attrs, _text in safexml.collect(self._read(rels_part), rels_part, wanted):
                rels[attrs.get("Id")] = attrs.get("Target", "")
        data = self.workbook_xml = self._read("xl/workbook.xml")  # (check/package.py looks at it again)
        wanted = {**{t: "sheet" for t in _tags("sheet")}, **{t: "name" for t in _tags("definedName")}}
        names, parts, defined = [], {}, []
        rid = [f"{ns}{safexml.SEP}id" for ns in safexml.REL_NAMESPACES]
        for label, attrs, text in safexml.collect(data, "xl/workbook.xml", wanted, frozenset(("name",))):
            if label == "sheet":
                name = attrs.get("name") or ""
                target = rels.get(next((attrs[k] for k in rid if k in attrs), ""), "")
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
                names.append(name)
                parts[name] = part
            else:
                defined.append((attrs.get("name"), attrs.get("localSheetId"), text))
        return names, parts, defined

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            part = "xl/sharedStrings.xml"
            self._strings = _strings(self._read(part), part) if part in self._zip.NameToInfo else []
        return self._strings

    # -- cells -------------------------------------------------------------------------------
    def sheet(self, name: str) -> SheetCells:
        """Every non-empty cell of the named sheet: {(row, col): Cell}."""
        if name not in self._sheets:
            if name not in self._sheet_parts:
                raise UnusableInput(_("there is no sheet named {sheet!r}").format(sheet=name))
            part = self._sheet_parts[name]
            if part not in self._zip.NameToInfo:
                raise UnusableInput(_("sheet {sheet!r} has no worksheet part (a chart sheet?)").format(sheet=name))
            with progress.stage(_("reading sheet {name}").format(name=name), total=self._zip.NameToInfo[part].file_size,
                                unit="B") as step:
                self._sheets[name] = read_sheet(self._read(part, step.advance), part, name, self._shared_strings)
        return self._sheets[name]

    def array_formulas(self, name: str) -> dict[tuple[int, int], tuple[int, int]]:
        """The sheet's array formulas ({=…} over a range): (row, col) of the cell that holds the formula →
        (row, col) of the range's last cell. The range's other cells hold values only."""
        return dict(getattr(self.sheet(name), "arrays", {}))

    def first_rows(self, name: str, last_row: int) -> SheetCells:
        """The cells of rows 1…last_row of the named sheet (perhaps more), inflating only the start
        of its part when it is large: enough to see whether a sheet holds a role's signature cells
        without reading a whole unrelated sheet. A sheet already read gives all its cells."""
        if name in self._sheets or name not in self._sheet_parts or self._sheet_parts[name] not in self._zip.NameToInfo:
            return self.sheet(name)
        part = self._sheet_parts[name]
        if self._zip.getinfo(part).file_size <= _PEEK_BYTES:
            return self.sheet(name)
        if name in self._peeked and self._peeked[name][0] >= last_row:
            return self._peeked[name][1]
        decoder = codecs.getincrementaldecoder("utf-8")()
        head, size = [], 0
        try:
            with io.BufferedReader(_Limited(self._zip.open(part), MAX_PART_BYTES, part)) as stream:
                while size <= _PEEK_WHOLE and (piece := stream.read(_PEEK_BYTES)):
                    text = decoder.decode(piece)
                    head.append(text)
                    size += len(piece)
                    # scanned only once the text reaches a row past the last one wanted (a wide sheet's
                    # first rows may take megabytes: never parse a growing start again and again)
                    if past_rows(head[-2][-40:] + text if len(head) > 1 else text, last_row):
                        if size > _PEEK_WHOLE:  # wide rows: the start is much of the sheet, read it all (once)
                            break
                        cells = first_rows("".join(head), last_row, name, self._shared_strings)
                        if cells is None:
                            break
                        self._peeked[name] = (last_row, cells)
                        return cells
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
                RuntimeError, UnicodeDecodeError):
            pass  # the whole read says what is wrong with it
        return self.sheet(name)


_READ_AT_ONCE = 1 << 20  # a part declared no larger is inflated in one read, without the stream that counts

_PEEK_BYTES = 1 << 18  # a sheet's start is inflated this much at a time to look at its first rows …
_PEEK_WHOLE = 1 << 20  # first rows that take more than this (a wide sheet): the sheet is read whole, once

# The shared-string table in its plain form (the scanner; else expat): every item one <t>, or rich text
# as LibreOffice and Excel write it: runs of <r>, each its formatting (empty elements) and one <t>.
_PLAIN_ITEM = re.compile(r'<si>(?:<t(?: xml:space="preserve")?>([^<]*)</t>|<t/>|((?:<r>(?:<rPr>(?:<[A-Za-z]+'
                         r'(?: [A-Za-z]+="[^"<]*")*/>)*</rPr>)?<t(?: xml:space="preserve")?>[^<]*</t></r>)+))</si>')
_RUN_TEXT = re.compile(r'<t(?: xml:space="preserve")?>([^<]*)</t>')


def _strings(data: bytes, part: str) -> list[str]:
    """The shared-string table: each item's <t>, or its rich-text runs' <t>s, without phonetic (rPh) runs."""
    safexml.check(data, part)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and "<!" not in text and "\r" not in text and "xmlns:" not in text:
        items = _PLAIN_ITEM.findall(text)
        if len(items) == text.count("<si"):
            unescape = safexml.unescape
            return [unescape(plain) if not runs else "".join(map(unescape, _RUN_TEXT.findall(runs)))
                    for plain, runs in items]
    strings: list[str] = []
    si, t, r, rph = _tags("si"), _tags("t"), _tags("r"), _tags("rPh")
    state = {"item": None, "depth": 0, "rph": 0, "capture": False}

    def start(tag, attrs):
        if tag in si:
            state["item"], state["depth"] = [], 0
        elif state["item"] is not None:
            state["depth"] += 1
            if tag in rph:
                state["rph"] += 1
            # a <t> of the item itself (depth 1) or of one of its runs (depth 2, inside <r>)
            state["capture"] = tag in t and not state["rph"] and state["depth"] in (1, 2)

    def end(tag):
        state["capture"] = False
        if tag in si:
            strings.append("".join(state["item"]))
            state["item"] = None
        elif state["item"] is not None:
            state["depth"] -= 1
            if tag in rph:
                state["rph"] -= 1

    def chars(data):
        if state["capture"]:
            state["item"].append(data)

    p = safexml.parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.buffer_text = True
    safexml.run(p, data, part)
    return strings


def _open_zip(path: Path) -> zipfile.ZipFile:
    from sheetnet.inputs import require_file

    require_file(path)  # a FIFO or a device would never end; missing, a folder, a broken link: one line
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as e:
        raise UnusableInput(_("cannot be read ({error})").format(error=e.strerror or e)) from None
    if not head:
        raise UnusableInput(_("is empty"))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnusableInput(_ole_kind(path))
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnusableInput(_("is not an .xlsx workbook (not a zip file, or a truncated one)")) from None
    try:
        listed = zf.namelist()
        names = set(listed)
        if len(names) != len(listed):  # which copy counts differs between programs: refuse, do not guess
            twice = next(n for n in listed if listed.count(n) > 1)
            raise UnusableInput(_("is a damaged zip file: it holds two parts named {name}").format(name=twice))
        if "mimetype" in names and b"opendocument" in zf.read("mimetype")[:100]:
            raise UnusableInput(_("is an OpenDocument spreadsheet (.ods), not an .xlsx: save it as .xlsx"))
        if "xl/workbook.xml" not in names:
            if "xl/workbook.bin" in names:
                raise UnusableInput(_("is a binary workbook (.xlsb), not an .xlsx: save it as .xlsx"))
            raise UnusableInput(_("is a zip file but not an .xlsx workbook (no xl/workbook.xml)"))
        total = 0
        for info in zf.infolist():
            if info.file_size > MAX_PART_BYTES and info.filename.endswith(".xml"):
                raise UnusableInput(_("{part} would inflate to {size:,.0f} MiB (limit {limit} MiB)").format(
                    part=info.filename, size=info.file_size / 2**20, limit=MAX_PART_BYTES // 2**20))
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UnusableInput(_("would inflate to {size:,.1f} GiB (limit {limit} GiB)").format(
                size=total / 2**30, limit=MAX_TOTAL_BYTES // 2**30))
    except UnusableInput:
        zf.close()
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        zf.close()
        raise UnusableInput(_("is a damaged zip file")) from None
    return zf


def _ole_kind(path: Path) -> str:
    # Both legacy .xls files and password-protected .xlsx files are OLE2 compound documents;
    # an encrypted workbook carries an "EncryptionInfo" stream (its name is stored in UTF-16).
    with open(path, "rb") as fh:
        blob = fh.read(1 << 20)
    if "EncryptionInfo".encode("utf-16-le") in blob:
        return "is password-protected (encrypted): remove the password in Excel and save again"
    return "is a legacy .xls workbook (Excel 97-2003), not an .xlsx: save it as .xlsx"


def cell_label(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{cell_name(row, col)}"
