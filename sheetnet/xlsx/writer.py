"""Cells → an .xlsx file, through XlsxWriter (which stores a formula together with its cached value).

Generic: sheets of cells with a value, an optional formula and a style name. The file is written
next to its destination under a temporary name and renamed into place, so a reader never sees a
half-written workbook and a failed write leaves the old file as it was.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
import xlsxwriter.worksheet


@dataclass(frozen=True)
class CellOut:
    row: int  # 1-based, as in the sheet
    col: int
    value: float | int | str | bool | None
    formula: str | None = None
    style: str = "number"
    merge_to: tuple[int, int] | None = None  # the last cell of a merged range starting here


@dataclass
class SheetOut:
    name: str
    cells: list[CellOut] = field(default_factory=list)
    column_widths: list[tuple[int, int, float]] = field(default_factory=list)  # first col, last col, width
    freeze: tuple[int, int] | None = None  # the first unfrozen cell (row, col)
    hidden_names: list[tuple[str, str]] = field(default_factory=list)  # sheet-local, hidden defined names


def write_xlsx(path: str | Path, sheets: list[SheetOut], styles: dict[str, dict]) -> Path:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        _write(tmp, sheets, styles)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class _ExactWorksheet(xlsxwriter.worksheet.Worksheet):
    """XlsxWriter stores numbers with 16 significant digits, which can change a float's last bit;
    parameters must survive the round trip exactly, so numbers are written as repr() (≤ 17 digits)."""

    def _xml_number_element(self, number, attributes=()):
        attr = "".join(f' {key}="{self._escape_attributes(value)}"' for key, value in attributes)
        self.fh.write(f"<c{attr}><v>{float(number)!r}</v></c>")


def _write(filename: str, sheets: list[SheetOut], styles: dict[str, dict]) -> None:
    book = xlsxwriter.Workbook(filename, {"strings_to_numbers": False, "strings_to_formulas": False})
    # A fixed creation date: the same cells give the same bytes, so outputs can be compared and cached.
    book.set_properties({"created": _EPOCH, "author": "sheetnet"})
    formats = {name: book.add_format(props) for name, props in styles.items()}
    for spec in sheets:
        ws = book.add_worksheet(spec.name, worksheet_class=_ExactWorksheet)
        for first, last, width in spec.column_widths:
            ws.set_column(first - 1, last - 1, width)
        for c in spec.cells:
            fmt = formats.get(c.style)
            r, k = c.row - 1, c.col - 1
            if c.merge_to is not None:
                ws.merge_range(r, k, c.merge_to[0] - 1, c.merge_to[1] - 1, None, fmt)
            if c.formula is not None:
                ws.write_formula(r, k, c.formula, fmt, _cached(c.value))
            elif isinstance(c.value, str):
                ws.write_string(r, k, c.value, fmt)
            elif isinstance(c.value, bool):
                ws.write_boolean(r, k, c.value, fmt)
            elif c.value is None:
                ws.write_blank(r, k, None, fmt)
            else:
                ws.write_number(r, k, float(c.value), fmt)
        if spec.freeze:
            ws.freeze_panes(spec.freeze[0] - 1, spec.freeze[1] - 1)
        for name, value in spec.hidden_names:
            book.define_name(f"'{spec.name}'!{name}", "=" + value)
            book.defined_names[-1][3] = True  # XlsxWriter has no public switch for hidden names
    book.close()


_EPOCH = datetime.datetime(2017, 1, 1, tzinfo=datetime.timezone.utc)  # the book's year


def _cached(value):
    # XlsxWriter writes a str cached value as a text result (t="str") and a number as <v>.
    if value is None:
        return 0
    if isinstance(value, str):
        return value
    return float(value)
