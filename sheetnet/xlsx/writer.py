"""Cells → an .xlsx file, through XlsxWriter (which stores a formula together with its cached value).

Generic: sheets of cells with a value, an optional formula and a style name, plus conditional
formats on ranges and charts of ranges. The file is written next to its destination under a
temporary name and renamed into place, so a reader never sees a half-written workbook and a failed
write leaves the old file as it was.
"""

from __future__ import annotations

import datetime
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
import xlsxwriter.worksheet

from sheetnet import progress
from sheetnet.i18n import _
from sheetnet.xlsx.refs import column_letters, quote_sheet


@dataclass(frozen=True)
class CellOut:
    row: int  # 1-based, as in the sheet
    col: int
    value: float | int | str | bool | None  # with a formula: its cached value; None: none (computed on opening)
    formula: str | None = None
    style: str = "number"
    merge_to: tuple[int, int] | None = None  # the last cell of a merged range starting here
    # The formula calls only functions as old as the format (the book's dialect, no _xlfn. prefix to
    # add): stored as it is, without XlsxWriter's per-formula rewriting. Same bytes either way.
    book_dialect: bool = False


Span = tuple[int, int, int, int]  # first row, first col, last row, last col (1-based, inclusive)


@dataclass(frozen=True)
class ConditionalOut:
    span: Span
    style: str  # a name in the `conditional` table given to write_xlsx


@dataclass(frozen=True)
class ChartOut:
    row: int  # its top-left cell
    col: int
    kind: str  # XlsxWriter's chart type: 'line', 'column', …
    title: str
    series_name: str
    categories: Span  # on the chart's own sheet
    values: Span
    x_title: str = ""
    y_title: str = ""
    size: tuple[int, int] = (480, 288)  # pixels


@dataclass
class SheetOut:
    name: str
    cells: list[CellOut] = field(default_factory=list)
    column_widths: list[tuple[int, int, float]] = field(default_factory=list)  # first col, last col, width
    row_heights: list[tuple[int, int, float]] = field(default_factory=list)  # first row, last row, points
    freeze: tuple[int, int] | None = None  # the first unfrozen cell (row, col)
    hidden_names: list[tuple[str, str]] = field(default_factory=list)  # sheet-local, hidden defined names
    names: list[tuple[str, str]] = field(default_factory=list)  # (name, cell of this sheet): visible, workbook-wide
    conditional: list[ConditionalOut] = field(default_factory=list)
    charts: list[ChartOut] = field(default_factory=list)
    landscape: bool = False  # page orientation when printed
    one_page: bool = False  # printed shrunk to fit one page


def write_xlsx(path: str | Path, sheets: list[SheetOut], styles: dict[str, dict],
               conditional: dict[str, dict] | None = None) -> Path:
    """Write `sheets`; cells name a style of `styles`, conditional formats one of `conditional`
    (XlsxWriter options whose "format", if any, names a style of `styles`)."""
    path = Path(path)
    tmp = str(path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp")
    # 0o666 less the umask: the usual permissions (mkstemp's would be 0600)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666))
    try:
        _write(tmp, sheets, styles, conditional or {})
        if path.exists():  # a replaced file keeps its permissions
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class _ExactWorksheet(xlsxwriter.worksheet.Worksheet):
    """XlsxWriter stores numbers with 16 significant digits, which can change a float's last bit;
    parameters must survive the round trip exactly, so numbers are written as repr() (≤ 17 digits).
    And formulas skip XlsxWriter's function-name rewriting when they cannot need it (speed only)."""

    def _xml_number_element(self, number, attributes=()):
        attr = "".join(f' {key}="{self._escape_attributes(value)}"' for key, value in attributes)
        self.fh.write(f"<c{attr}><v>{float(number)!r}</v></c>")

    def _prepare_formula(self, formula, expand_future_functions=False):
        # XlsxWriter runs ~30 regex substitutions on every formula to prefix newer functions
        # (_xlfn.…): most of the time spent writing a big workbook. A formula that calls only
        # functions as old as the format needs none of them, so the text is the same without.
        if self.use_future_functions or expand_future_functions or formula.startswith("{"):
            return super()._prepare_formula(formula, expand_future_functions)
        stripped = formula[1:] if formula.startswith("=") else formula
        if stripped.endswith("}") or not _CLASSIC.issuperset(_CALLS.findall(stripped)):
            return super()._prepare_formula(formula, expand_future_functions)
        return stripped


    def _write_cell(self, row, col, cell):
        # XlsxWriter's own, for the two kinds of cell a book-style sheet is made of (same bytes),
        # without its attribute lists and escaping passes: most of the time spent writing a big sheet.
        kind = cell.__class__
        if cell.format is None or (kind is not _FORMULA and kind is not _NUMBER):
            return super()._write_cell(row, col, cell)
        head = f'<c r="{column_letters()[col + 1]}{row + 1}" s="{cell.format._get_xf_index()}"'
        if kind is _NUMBER:
            self.fh.write(f"{head}><v>{float(cell.number)!r}</v></c>")
            return
        value = cell.value
        if isinstance(value, bool):
            return super()._write_cell(row, col, cell)
        if isinstance(value, str):
            if value in _ERROR_CODES:
                head += ' t="e"'
            elif value:
                head += ' t="str"'
            value = _escape(value)
        self.fh.write(f"{head}><f>{_escape(cell.formula)}</f><v>{value}</v></c>")

    def store_formula(self, row: int, col: int, formula: str, fmt, value) -> None:
        """write_formula for a formula in the book's dialect ('=…'): the same cell stored directly."""
        if self._check_dimensions(row, col):
            raise ValueError(f"cell ({row}, {col}) is outside the sheet")
        self.table[row][col] = _FORMULA(formula[1:] if formula.startswith("=") else formula, fmt, value)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # as XlsxWriter's _escape_data


_FORMULA = xlsxwriter.worksheet.CellFormulaTuple
_NUMBER = xlsxwriter.worksheet.CellNumberTuple
_ERROR_CODES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))

# The functions the layouts call: Excel 2007's own, never prefixed by XlsxWriter ("" is a bracket).
_CLASSIC = frozenset({"", "ABS", "COUNTA", "COUNTIF", "EXP", "IF", "MAX", "MMULT", "SUM", "SUMPRODUCT", "SUMXMY2"})
_CALLS = re.compile(r"([A-Za-z0-9_.]*)\(")  # the whole ASCII name before each bracket


def book_dialect(formula: str) -> bool:
    """Does the formula (or a layout's template) call only functions as old as the format (no _xlfn. prefix)?"""
    return _CLASSIC.issuperset(_CALLS.findall(formula))


def _write(filename: str, sheets: list[SheetOut], styles: dict[str, dict], conditional: dict[str, dict]) -> None:
    book = xlsxwriter.Workbook(filename, {"strings_to_numbers": False, "strings_to_formulas": False})
    # A fixed creation date: the same cells give the same bytes, so outputs can be compared and cached.
    book.set_properties({"created": _EPOCH, "author": "sheetnet"})
    formats = {name: book.add_format(props) for name, props in styles.items()}
    for spec in progress.each(sheets, _("writing the sheets"), _("sheets")):
        ws = book.add_worksheet(spec.name, worksheet_class=_ExactWorksheet)
        for first, last, width in spec.column_widths:
            ws.set_column(first - 1, last - 1, width)
        for first, last, height in spec.row_heights:
            for r in range(first - 1, last):
                ws.set_row(r, height)
        for c in spec.cells:
            fmt = formats.get(c.style)
            r, k = c.row - 1, c.col - 1
            if c.merge_to is not None:
                ws.merge_range(r, k, c.merge_to[0] - 1, c.merge_to[1] - 1, None, fmt)
            if c.formula is not None:
                if c.book_dialect and not c.formula.startswith("{"):
                    ws.store_formula(r, k, c.formula, fmt, _cached(c.value))
                else:
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
        if spec.landscape:
            ws.set_landscape()
        if spec.one_page:
            ws.fit_to_pages(1, 1)
        for cf in spec.conditional:
            options = dict(conditional[cf.style])
            if "format" in options:
                options["format"] = formats[options["format"]]
            ws.conditional_format(*_zero_based(cf.span), options)
        for ch in spec.charts:
            ws.insert_chart(ch.row - 1, ch.col - 1, _chart(book, spec.name, ch),
                            {"x_scale": ch.size[0] / 480, "y_scale": ch.size[1] / 288})
        for name, value in spec.hidden_names:
            book.define_name(f"'{spec.name}'!{name}", "=" + value)
            book.defined_names[-1][3] = True  # XlsxWriter has no public switch for hidden names
        for name, cell in spec.names:
            book.define_name(name, f"={quote_sheet(spec.name)}!{cell}")
    with progress.stage(_("saving the workbook")):
        book.close()


def _zero_based(span: Span) -> tuple[int, int, int, int]:
    return tuple(v - 1 for v in span)


def _chart(book: xlsxwriter.Workbook, sheet: str, ch: ChartOut):
    chart = book.add_chart({"type": ch.kind})
    # XlsxWriter fills the series' cached values from the cells already written to the sheet
    chart.add_series({"name": ch.series_name, "categories": [sheet, *_zero_based(ch.categories)],
                      "values": [sheet, *_zero_based(ch.values)], "marker": {"type": "circle", "size": 4}})
    chart.set_title({"name": ch.title})
    chart.set_x_axis({"name": ch.x_title})
    chart.set_y_axis({"name": ch.y_title, "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    return chart


_EPOCH = datetime.datetime(2017, 1, 1, tzinfo=datetime.timezone.utc)  # the book's year


def _cached(value):
    # XlsxWriter writes a str cached value as a text result (t="str") and a number as <v>;
    # "" is an empty <v>: no result yet, the spreadsheet computes it.
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return float(value)
