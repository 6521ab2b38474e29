"""Read every cell of an .xlsx (formula text and cached value) straight from its XML, safely.

Student workbooks are untrusted: the zip's parts are size-bounded before and while they inflate,
XML is parsed with defusedxml (no DTDs, no entities), and nothing in the file is evaluated or
followed. Sheets are parsed lazily, once each.
"""

from __future__ import annotations

import io
import math
import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from defusedxml.ElementTree import iterparse
from defusedxml.common import DefusedXmlException

from sheetnet import progress
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _
from sheetnet.xlsx.refs import cell_name, parse_cell

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

MAX_PART_BYTES = 256 * 1024 * 1024  # one inflated XML part
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # all parts together, as declared
MAX_CELLS = 2_000_000  # per sheet; the largest book-style sheet (4,000 images) has ~200,000


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: its cached value and, for a formula cell, the formula ('=…')."""

    value: float | str | bool | None
    kind: str  # 'n' number, 's' text, 'b' boolean, 'e' error value, '' no value
    formula: str | None = None

    @property
    def is_number(self) -> bool:
        return self.kind == "n"


SheetCells = dict[tuple[int, int], Cell]


class _Limited(io.RawIOBase):
    """A read-only stream that refuses to give more than `limit` bytes (a zip bomb stops here)."""

    def __init__(self, raw, limit: int, what: str, on_read=None):
        self._raw, self._left, self._what, self._on_read = raw, limit, what, on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(min(len(buffer), self._left + 1))
        if len(data) > self._left:
            raise UnusableInput(f"{self._what} inflates past {MAX_PART_BYTES // 2**20} MiB")
        self._left -= len(data)
        buffer[: len(data)] = data
        if self._on_read is not None:
            self._on_read(len(data))
        return len(data)


class WorkbookCells:
    """The cells of one workbook file. Use as a context manager or call close()."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._zip = _open_zip(self.path)
        self._sheets: dict[str, SheetCells] = {}
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
    def part_names(self) -> list[str]:
        return self._zip.namelist()

    def part_of(self, sheet: str) -> str:
        """The zip part that holds a sheet's cells, e.g. 'xl/worksheets/sheet2.xml'."""
        if sheet not in self._sheet_parts:
            raise UnusableInput(f"there is no sheet named {sheet!r}")
        return self._sheet_parts[sheet]

    def _stream(self, name: str, on_read=None):
        try:
            raw = self._zip.open(name)
        except KeyError:
            raise UnusableInput(f"the part {name} is missing") from None
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError, ValueError) as e:
            # a damaged local header, an unsupported compression method, an encrypted entry
            raise UnusableInput(f"{name} cannot be inflated ({e})") from None
        return io.BufferedReader(_Limited(raw, MAX_PART_BYTES, name, on_read))

    def _parse(self, name: str, events=("end",), on_read=None):
        stream = self._stream(name, on_read)
        try:
            yield from iterparse(stream, events=events)
        except (DefusedXmlException,) as e:
            raise UnusableInput(f"{name} holds forbidden XML ({type(e).__name__}: entities or a DTD)") from None
        except SyntaxError as e:  # xml.etree.ElementTree.ParseError
            raise UnusableInput(f"{name} is not well-formed XML ({e})") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as e:
            raise UnusableInput(f"{name} cannot be inflated ({e})") from None
        finally:
            stream.close()

    def _read_workbook(self):
        rels = {}
        rels_part = "xl/_rels/workbook.xml.rels"
        if rels_part in self._zip.NameToInfo:
            for _, el in self._parse(rels_part):
                if el.tag == PKG_REL_NS + "Relationship":
                    rels[el.get("Id")] = el.get("Target", "")
        names, parts, defined = [], {}, []
        for _, el in self._parse("xl/workbook.xml"):
            if el.tag == NS + "sheet":
                name = el.get("name") or ""
                target = rels.get(el.get(REL_NS + "id") or "", "")
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
                names.append(name)
                parts[name] = part
            elif el.tag == NS + "definedName":
                defined.append((el.get("name"), el.get("localSheetId"), el.text or ""))
        return names, parts, defined

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            if "xl/sharedStrings.xml" in self._zip.NameToInfo:
                for _, el in self._parse("xl/sharedStrings.xml"):
                    if el.tag == NS + "si":
                        self._strings.append(_text_of(el))
                        el.clear()
        return self._strings

    # -- cells -------------------------------------------------------------------------------
    def sheet(self, name: str) -> SheetCells:
        """Every non-empty cell of the named sheet: {(row, col): Cell}."""
        if name not in self._sheets:
            if name not in self._sheet_parts:
                raise UnusableInput(f"there is no sheet named {name!r}")
            part = self._sheet_parts[name]
            size = self._zip.NameToInfo[part].file_size if part in self._zip.NameToInfo else None
            with progress.stage(_("reading sheet {name}").format(name=name), total=size, unit="B") as step:
                self._sheets[name] = self._read_sheet(part, name, step.advance)
        return self._sheets[name]

    def _read_sheet(self, part: str, sheet: str, on_read=None) -> SheetCells:
        if part not in self._zip.NameToInfo:
            raise UnusableInput(f"sheet {sheet!r} has no worksheet part (a chart sheet?)")
        cells: SheetCells = {}
        shared: dict[str, tuple[str, str]] = {}  # si → (origin cell, formula of the origin)
        strings = None
        c_tag, v_tag, f_tag, is_tag = NS + "c", NS + "v", NS + "f", NS + "is"
        row_tag = NS + "row"
        for _, el in self._parse(part, on_read=on_read):
            if el.tag == row_tag:
                el.clear()  # its cells were read at their own end events
                continue
            if el.tag != c_tag:
                continue
            ref = el.get("r")
            if ref is None:
                raise UnusableInput(f"sheet {sheet!r} has a cell without an address")
            try:
                pos = parse_cell(ref)
            except ValueError as e:
                raise UnusableInput(f"sheet {sheet!r}: {e}") from None
            t = el.get("t", "n")
            v = el.find(v_tag)
            f = el.find(f_tag)
            formula = None
            if f is not None:
                formula = _formula(f, ref, shared, sheet)
            raw = v.text if v is not None else None
            if t == "inlineStr":
                is_ = el.find(is_tag)
                value, kind = (_text_of(is_), "s") if is_ is not None else (None, "")
            elif raw is None:
                value, kind = None, ""
            elif t == "n":
                try:
                    value, kind = float(raw), "n"
                except ValueError:
                    value = math.nan
                if not math.isfinite(value):  # Python reads 'nan', 'inf', '1e999'; Excel never stores them
                    raise UnusableInput(f"{sheet}!{ref} holds {raw[:20]!r} where a number is stored")
            elif t == "s":
                if strings is None:
                    strings = self._shared_strings()
                try:
                    value, kind = strings[int(raw)], "s"
                except (ValueError, IndexError):
                    raise UnusableInput(f"{sheet}!{ref} points at a shared string that does not exist") from None
            elif t == "str":
                value, kind = raw, "s"
            elif t == "b":
                value, kind = raw.strip() in ("1", "true"), "b"
            elif t == "e":
                value, kind = raw, "e"
            else:
                value, kind = raw, "s"
            if formula is not None or kind:
                cells[pos] = Cell(value, kind, formula)
                if len(cells) > MAX_CELLS:
                    raise UnusableInput(f"sheet {sheet!r} has more than {MAX_CELLS:,} cells")
            el.clear()
        return cells


def _text_of(el) -> str:
    """The text of a string item: its <t>, or its rich-text runs' <t>s, without phonetic (rPh) runs."""
    parts = []
    for child in el:
        if child.tag == NS + "t":
            parts.append(child.text or "")
        elif child.tag == NS + "r":
            t = child.find(NS + "t")
            if t is not None:
                parts.append(t.text or "")
    return "".join(parts)


def _formula(f, ref: str, shared: dict, sheet: str) -> str | None:
    text = f.text
    if f.get("t") == "shared":
        si = f.get("si")
        if text:  # the master of a shared formula
            shared[si] = (ref, text)
        elif si in shared:
            origin, master = shared[si]
            text = _shifted("=" + master, origin, ref)[1:]
        else:
            raise UnusableInput(f"{sheet}!{ref} uses shared formula {si} before it is defined")
    if text is None:
        return None
    return "=" + text


def _shifted(formula: str, origin: str, target: str) -> str:
    """Excel's fill: the origin's formula with every relative reference moved by target − origin."""
    from openpyxl.formula.translate import Translator  # only workbooks with shared formulas pay for it

    return Translator(formula, origin=origin).translate_formula(target)


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.exists():
        raise UnusableInput("no such file")
    if path.is_dir():
        raise UnusableInput("is a directory, not a workbook")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as e:
        raise UnusableInput(f"cannot be read ({e.strerror or e})") from None
    if not head:
        raise UnusableInput("is empty")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnusableInput(_ole_kind(path))
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnusableInput("is not an .xlsx workbook (not a zip file, or a truncated one)") from None
    try:
        names = set(zf.namelist())
        if "mimetype" in names and b"opendocument" in zf.read("mimetype")[:100]:
            raise UnusableInput("is an OpenDocument spreadsheet (.ods), not an .xlsx: save it as .xlsx")
        if "xl/workbook.xml" not in names:
            if "xl/workbook.bin" in names:
                raise UnusableInput("is a binary workbook (.xlsb), not an .xlsx: save it as .xlsx")
            raise UnusableInput("is a zip file but not an .xlsx workbook (no xl/workbook.xml)")
        total = 0
        for info in zf.infolist():
            if info.file_size > MAX_PART_BYTES and info.filename.endswith(".xml"):
                raise UnusableInput(f"{info.filename} would inflate to {info.file_size / 2**20:,.0f} MiB (limit {MAX_PART_BYTES // 2**20} MiB)")
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UnusableInput(f"would inflate to {total / 2**30:,.1f} GiB (limit {MAX_TOTAL_BYTES // 2**30} GiB)")
    except UnusableInput:
        zf.close()
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        zf.close()
        raise UnusableInput("is a damaged zip file") from None
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
