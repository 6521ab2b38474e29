"""Cells → an .xlsx file, through XlsxWriter (which stores a formula together with its cached value).

Generic: sheets of cells with a value, an optional formula and a style name, plus conditional
formats on ranges and charts of ranges. The file is written through sheetnet.outputs (a temporary
file renamed into place), so a reader never sees a half-written workbook and a failed write leaves
the old file as it was.
"""

from __future__ import annotations

import datetime
import io
import math
import operator
import re
from itertools import groupby, repeat
from pathlib import Path
from typing import Callable

import numpy as np

import xlsxwriter
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_range

from sheetnet import outputs, progress
from sheetnet.i18n import _
from sheetnet.record import field, record
from sheetnet.xlsx.package import StreamingWorkbook
from sheetnet.xlsx.refs import column_letters, quote_sheet


@record(frozen=True)
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


@record(frozen=True)
class ConditionalOut:
    span: Span
    style: str  # a name in the `conditional` table given to write_xlsx


@record(frozen=True)
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
    line: Span | None = None  # a second series, against the same categories, drawn as a line without markers
    line_name: str = ""


@record
class CellBlock:
    """Many cells streamed into the sheet's XML chunk by chunk, never one object per cell (a long
    run's quantity: a chunk per few iteration blocks, made only when the writer reaches its rows).
    The same bytes as the same cells given as CellOut (formulas in the book's dialect)."""

    style: str  # the cells' style
    rows: list[np.ndarray]  # per chunk, each cell's row (1-based); a chunk's cells lie in a band of rows
    cols: list[np.ndarray]
    # chunk → (cached values, formulas, blanks): per cell its value (a formula's cached value; None:
    # none), its formula (None: a value cell) and whether it is an empty styled cell instead
    content: Callable[[int], tuple[list, list, list]]
    blank_style: str = "blank"  # the style of its empty cells


@record
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
    blocks: list[CellBlock] = field(default_factory=list)  # streamed cells, besides `cells`
    paper: int = 0  # XlsxWriter's paper code (9: A4); 0: the printer's default
    margins: tuple[float, float, float, float] | None = None  # left, right, top, bottom (inches)
    print_area: Span | None = None  # None: everything on the sheet
    print_scale: int = 0  # percent; 0: 100
    repeat_columns: tuple[int, int] | None = None  # first and last column printed at the left of every page
    page_break_rows: list[int] = field(default_factory=list)  # rows that begin a printed page
    page_break_cols: list[int] = field(default_factory=list)  # columns that begin a printed page


def write_xlsx(path: str | Path, sheets: list[SheetOut], styles: dict[str, dict],
               conditional: dict[str, dict] | None = None) -> Path:
    """Write `sheets`; cells name a style of `styles`, conditional formats one of `conditional`
    (XlsxWriter options whose "format", if any, names a style of `styles`)."""
    path = Path(path)
    outputs.write(path, lambda fh: _write(fh, sheets, styles, conditional or {}))
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

    # -- many columns and many conditional formats, each set up once -----------------------------------
    def set_widths(self, first: int, last: int, width: float) -> None:
        """set_column for columns first…last (0-based), one ColumnInfo shared by them all: XlsxWriter
        makes one per column, and a range to the sheet's last column is 16,384 of them."""
        first, last = min(first, last), max(first, last)
        if last > first and self._check_dimensions(0, last, True, True):
            return  # out of the sheet: XlsxWriter sets none of the columns
        if self.set_column(first, first, width) == 0 and last > first:
            self.col_info.update(dict.fromkeys(range(first + 1, last + 1), self.col_info[first]))

    def _write_cols(self):
        # XlsxWriter's (a run of contiguous columns with equal properties is one <col>), a shared
        # ColumnInfo recognised without comparing its fields
        if not self.col_info:
            return
        self._xml_start_tag("cols")
        cols = sorted(self.col_info)
        first = last = cols[0]
        options = self.col_info[first]
        for col in cols[1:]:
            here = self.col_info[col]
            if col == last + 1 and (here is options or here == options):
                last = col
            else:
                self._write_col_info(first, last, options)
                first = last = col
                options = here
        self._write_col_info(first, last, options)
        self._xml_end_tag("cols")

    def conditional_formats(self, spans: list, options: dict) -> None:
        """conditional_format for each (0-based) span with the same options: XlsxWriter checks and
        converts them for the first span, the others take a copy (a sheet has thousands of them).
        Only for formats whose rule does not name the range's first cell."""
        stored = None
        if "copied" not in self.__dict__:  # this sheet's own tables
            self.copied, self.rules_xml = {}, {}
        for first_row, first_col, last_row, last_col in spans:
            if (stored is None or first_row > last_row or first_col > last_col
                    or self._check_dimensions(first_row, first_col, True, True)
                    or self._check_dimensions(last_row, last_col, True, True)):
                if (self.conditional_format(first_row, first_col, last_row, last_col, options) == 0
                        and options.get("type") in _RANGE_FREE and "multi_range" not in options and stored is None):
                    top, bottom = sorted((first_row, last_row))
                    left, right = sorted((first_col, last_col))
                    stored = self.cond_formats[xl_range(top, left, bottom, right)][-1]
                continue
            cell_range = xl_range(first_row, first_col, last_row, last_col)
            rule = dict(stored, priority=self.dxf_priority)
            self.dxf_priority += 1
            if "range" in rule:
                rule["range"] = cell_range
            self.cond_formats.setdefault(cell_range, []).append(rule)
            self.copied[id(rule)] = stored

    copied: dict = {}  # id(a rule conditional_formats copied) → the rule it copies (the sheet's own, once set)
    rules_xml: dict = {}  # id(a copied rule) → its XML before and after its priority

    def _write_conditional_formatting(self, cond_range, params) -> None:
        # XlsxWriter's, a copied rule written as the XML of the rule it copies with its own priority
        if not self.copied or any(ch in cond_range for ch in '&<>"'):
            return super()._write_conditional_formatting(cond_range, params)
        self.fh.write(f'<conditionalFormatting sqref="{cond_range}">')
        for rule in params:
            source = self.copied.get(id(rule))
            if source is None:
                self._write_cf_rule(rule)
            else:
                head, tail = self._rule_xml(source)
                self.fh.write(f"{head}{rule['priority']}{tail}")
        self.fh.write("</conditionalFormatting>")

    def _rule_xml(self, rule: dict) -> tuple[str, str]:
        """A rule's <cfRule> as XlsxWriter writes it, cut where its priority goes (made once)."""
        made = self.rules_xml.get(id(rule))
        if made is None:
            fh, self.fh = self.fh, io.StringIO()
            try:
                super()._write_cf_rule(rule)
                xml = self.fh.getvalue()
            finally:
                self.fh = fh
            head, mark, tail = xml.partition(f' priority="{rule["priority"]}"')
            if not mark:
                raise ValueError("a conditional format's rule without its priority")
            made = self.rules_xml[id(rule)] = (head + ' priority="', '"' + tail)
        return made

    # -- streamed blocks: rows written from the table and the blocks' chunks merged by column -------
    blocks: list = []  # (CellBlock, its format, the blank format), set by _write

    def add_blocks(self, blocks: list) -> None:
        self.blocks = blocks
        for block, _fmt, _blank in blocks:
            rows, cols = _all(block.rows), _all(block.cols)
            if rows.size:  # the sheet's extent, as _check_dimensions keeps it (0-based)
                self._check_dimensions(int(rows.min()) - 1, int(cols.min()) - 1)
                self._check_dimensions(int(rows.max()) - 1, int(cols.max()) - 1)

    def _calculate_spans(self):
        # XlsxWriter's spans (per band of 16 rows: the first and last column holding a cell), blocks
        # included; its own walks every column of every row, ours only the cells there are
        bands: dict[int, list[int]] = {}

        def widen(band: int, lo: int, hi: int) -> None:
            b = bands.get(band)
            if b is None:
                bands[band] = [lo, hi]
            else:
                b[0], b[1] = min(b[0], lo), max(b[1], hi)

        for by_row in (self.table, self.comments):
            for row_num, cells in by_row.items():
                if cells:
                    widen(row_num // 16, min(cells), max(cells))
        for block, _fmt, _blank in self.blocks:
            rows, cols = _all(block.rows) - 1, _all(block.cols) - 1
            if not rows.size:
                continue
            band_of = rows // 16
            order = np.argsort(band_of, kind="stable")
            band_sorted, cols_sorted = band_of[order], cols[order]
            starts = np.flatnonzero(np.r_[True, band_sorted[1:] != band_sorted[:-1]])
            los, his = np.minimum.reduceat(cols_sorted, starts).tolist(), np.maximum.reduceat(cols_sorted, starts).tolist()
            for band, lo, hi in zip(band_sorted[starts].tolist(), los, his):
                widen(band, lo, hi)
        self.row_spans = {band: f"{lo + 1}:{hi + 1}" for band, (lo, hi) in bands.items()}

    def _write_rows(self):
        # XlsxWriter's, with the blocks' rows merged in: a row is written as runs of cells in column
        # order, a streamed chunk's part of the row one run (already rendered), a table cell one cell
        if self.dim_rowmin is None:
            return super()._write_rows()
        self._calculate_spans()
        chunks = _Chunks(self.blocks)
        write = self.fh.write
        spill = getattr(self.fh, "spill", None)  # a streamed part's: hands the rows so far to the deflating thread
        plain_rows = self.default_row_height == self.original_row_height and self.excel_version != 2010
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            table_row = self.table.get(row_num)
            streamed = chunks.row(row_num) if chunks.pending or chunks.active else ()
            if not (table_row or streamed):
                if row_num in self.row_info or row_num in self.comments:
                    self._write_empty_row(row_num, self.row_spans.get(row_num // 16), self.row_info.get(row_num))
                continue
            span, info = self.row_spans.get(row_num // 16), self.row_info.get(row_num)
            if info is None and plain_rows:  # XlsxWriter's <row> without height or format
                write(f'<row r="{row_num + 1}" spans="{span}">' if span else f'<row r="{row_num + 1}">')
            else:
                self._write_row(row_num, span, info)
            if not table_row and len(streamed) == 1:  # the common row: one chunk's cells, already in order
                part = streamed[0]
                write(_indexed(part.xml(), part.fmt, part.blank))
            else:
                runs = [(col, col, cell) for col, cell in table_row.items()] if table_row else []
                runs += [(part.cols[0], part.cols[-1], part) for part in streamed]
                runs.sort(key=lambda run: run[0])
                if all(a[1] < b[0] for a, b in zip(runs, runs[1:])):
                    self._write_runs(row_num, runs)
                else:  # chunks interleaved with each other or the table: cell by cell
                    self._write_merged(row_num, table_row or {}, streamed)
            write("</row>")
            if spill is not None:
                spill()

    def _write_runs(self, row_num: int, runs: list) -> None:
        """Runs of a row that do not interleave, in column order; consecutive streamed runs of one
        style pair take their style indices at once, as the cells of one run."""
        pending: list[str] = []
        style = None
        for _first, _last, item in runs:
            if item.__class__ is _Part:
                if pending and (item.fmt, item.blank) != style:
                    self.fh.write(_indexed("".join(pending), *style))
                    pending = []
                pending.append(item.xml())
                style = (item.fmt, item.blank)
            else:
                if pending:
                    self.fh.write(_indexed("".join(pending), *style))
                    pending = []
                self._write_cell(row_num, _first, item)
        if pending:
            self.fh.write(_indexed("".join(pending), *style))

    def _write_merged(self, row_num: int, table_row: dict, streamed: list) -> None:
        items = [(col, 0, cell) for col, cell in table_row.items()]
        for part in streamed:
            items += [(col, 1, (xml, part.fmt, part.blank)) for col, xml in zip(part.cols, part.xmls())]
        items.sort(key=lambda item: item[0])
        run: list[str] = []  # consecutive streamed cells of one style pair: written at once
        style = None
        for col, kind, payload in items:
            if run and (kind == 0 or payload[1:] != style):
                self.fh.write(_indexed("".join(run), *style))
                run = []
            if kind == 0:
                self._write_cell(row_num, col, payload)
            else:
                run.append(payload[0])
                style = payload[1:]
        if run:
            self.fh.write(_indexed("".join(run), *style))

    def store_number(self, row: int, col: int, number: float, fmt) -> None:
        """write_number for a float: a finite one stored directly (the same cell), without XlsxWriter's
        argument handling; NaN and ±inf left to XlsxWriter (which refuses them)."""
        if not math.isfinite(number):
            self.write_number(row, col, number, fmt)
        elif not self._check_dimensions(row, col):
            self.table[row][col] = _NUMBER(number, fmt)

    def store_formula(self, row: int, col: int, formula: str, fmt, value) -> None:
        """write_formula for a formula in the book's dialect ('=…'): the same cell stored directly."""
        if self._check_dimensions(row, col):
            raise ValueError(f"cell ({row}, {col}) is outside the sheet")
        self.table[row][col] = _FORMULA(formula[1:] if formula.startswith("=") else formula, fmt, value)


def _all(chunks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.reshape(c, -1) for c in chunks]) if len(chunks) else np.zeros(0, dtype=int)


_NEVER = 1 << 62


class _Part:
    """One chunk's cells in one row, in column order: their columns (0-based) and XML, the style
    indices left as placeholders (\x00 the cells' style, \x01 the blank one). A cell's XML is
    `width` consecutive pieces of the chunk's list."""

    __slots__ = ("cols", "_pieces", "_start", "_stop", "_width", "fmt", "blank")

    def __init__(self, cols, pieces, start, stop, width, fmt, blank):
        self.cols, self._pieces, self._start, self._stop = cols, pieces, start * width, stop * width
        self._width, self.fmt, self.blank = width, fmt, blank

    def xml(self) -> str:
        return "".join(self._pieces[self._start:self._stop])

    def xmls(self) -> list[str]:
        """Each cell's XML."""
        w, pieces = self._width, self._pieces
        return ["".join(pieces[i:i + w]) for i in range(self._start, self._stop, w)]


class _Chunks:
    """The blocks' chunks, made when the rows reach them and dropped after: row → its streamed cells."""

    def __init__(self, blocks: list):
        self.pending = sorted((int(b.rows[k].min()) - 1, i, k) for i, (b, _, _) in enumerate(blocks)
                              for k in range(len(b.rows)) if b.rows[k].size)
        self.pending.reverse()  # taken from the end
        self.blocks = blocks
        self.active: list[tuple[int, dict]] = []  # (last row, row → _Part)
        self.ends = _NEVER  # the active chunks' first last row

    def row(self, row_num: int) -> list:
        """[_Part], one per chunk with cells in this row."""
        while self.pending and self.pending[-1][0] <= row_num:
            _, i, k = self.pending.pop()
            self.active.append(self._make(i, k))
            self.ends = min(self.ends, self.active[-1][0])
        if self.ends < row_num:  # a chunk has ended: dropped (chunks of many rows and of few are active at once)
            self.active = [a for a in self.active if a[0] >= row_num]
            self.ends = min((a[0] for a in self.active), default=_NEVER)
        return [rows[row_num] for _, rows in self.active if row_num in rows]

    def _make(self, i: int, k: int) -> tuple[int, dict]:
        block, fmt, blank = self.blocks[i]
        rows, cols = block.rows[k].reshape(-1), block.cols[k].reshape(-1)  # 1-based
        values, formulas, blanks = block.content(k)
        order = np.lexsort((cols, rows))
        if len(order) > 1 and (order[1:] < order[:-1]).any():  # into reading order
            pick = operator.itemgetter(*order.tolist())
            values, formulas, blanks = list(pick(values)), list(pick(formulas)), list(pick(blanks))
            rows, cols = rows[order], cols[order]
        pieces, width = _cells_xml(rows.tolist(), cols.tolist(), values, formulas, blanks)
        cuts = (np.flatnonzero(rows[1:] != rows[:-1]) + 1).tolist()
        cols_list = (cols - 1).tolist()
        by_row = {}
        for start, stop, row in zip([0, *cuts], [*cuts, len(cols_list)], rows[[0, *cuts]].tolist()):
            by_row[row - 1] = _Part(cols_list[start:stop], pieces, start, stop, width, fmt, blank)
        return int(rows[-1]) - 1, by_row


def _cells_xml(rows: list[int], cols: list[int], values: list, formulas: list, blanks: list) -> tuple[list[str], int]:
    """The cells' XML as XlsxWriter writes it, their style indices placeholders: (pieces, pieces a
    cell). A chunk of formulas with float values (or none), or of blank cells, is put together from
    pieces made once per column, row and value, without formatting each cell."""
    n = len(rows)
    if any(blanks):
        if all(blanks):
            return _interleave(_column_heads(cols), _pieces(rows, '%d" s="\x01"/>')), 2
    elif None not in formulas and all(map(str.startswith, formulas, repeat("=", n))):
        texts = list(map(_AFTER_EQUALS, formulas))
        joined = "".join(texts)
        if "&" in joined or "<" in joined or ">" in joined:
            texts = list(map(_escape, texts))
        kinds = set(map(type, values))
        if kinds == {float} or kinds == {type(None)}:
            tails = _value_tails(values) if kinds == {float} else ["</f><v></v></c>"] * n
            return _interleave(_column_heads(cols), _pieces(rows, '%d" s="\x00"><f>'), texts, tails), 4
    letters = column_letters()
    heads = [f'<c r="{letters[col]}{row}" s=' for col, row in zip(cols, rows)]
    texts = [f[1:] if f and f.startswith("=") else f for f in formulas]
    if any(ch in "".join(filter(None, texts)) for ch in "&<>"):
        texts = [_escape(t) if t else t for t in texts]
    return [f'{h}"\x01"/>' if empty
            else f'{h}"\x00"><v>{float(v)!r}</v></c>' if t is None
            else f'{h}"\x00"><f>{t}</f><v>{v!r}</v></c>' if v.__class__ is float
            else _formula_xml(h, t, _cached(v))
            for h, t, v, empty in zip(heads, texts, values, blanks)], 1


def _interleave(*columns: list) -> list:
    """[a0, b0, …, a1, b1, …]: the cells' pieces one cell after the other."""
    out = [None] * (len(columns) * len(columns[0]))
    for k, column in enumerate(columns):
        out[k::len(columns)] = column
    return out


def _pieces(keys: list, template: str) -> list[str]:
    """template % key for each key, each distinct key's made once."""
    made = {key: template % key for key in set(keys)}
    return list(map(made.__getitem__, keys))


def _column_heads(cols: list[int]) -> list[str]:
    letters = column_letters()
    made = {col: '<c r="' + letters[col] for col in set(cols)}
    return list(map(made.__getitem__, cols))


def _value_tails(values: list[float]) -> list[str]:
    """A formula cell's cached value and the cell's end, each distinct value's made once (a third
    of a chunk's values are distinct in the iterated workbooks), unless a -0.0 would be taken for 0.0."""
    distinct = dict.fromkeys(values)
    if 0.0 in distinct:
        array = np.array(values)
        if np.signbit(array[array == 0.0]).any():
            return [f"</f><v>{v!r}</v></c>" for v in values]
    made = {v: f"</f><v>{v!r}</v></c>" for v in distinct}
    return list(map(made.__getitem__, values))


_AFTER_EQUALS = operator.itemgetter(slice(1, None))


def _formula_xml(head: str, formula: str, value) -> str:
    """A formula cell as XlsxWriter writes it (head: '<c r="A1" s=', the style index a placeholder;
    the formula already without its '=' and escaped)."""
    if isinstance(value, str):
        t = ' t="e"' if value in _ERROR_CODES else (' t="str"' if value else "")
        return f'{head}"\x00"{t}><f>{formula}</f><v>{_escape(value)}</v></c>'
    return f'{head}"\x00"><f>{formula}</f><v>{value}</v></c>'


def _indexed(xml: str, fmt, blank) -> str:
    """Streamed cells' XML with their style indices, taken in the order the cells use them (as
    XlsxWriter takes them: an index is given to a style the first time a cell of it is written)."""
    marks = sorted((p, mark) for p, mark in ((xml.find("\x00"), "\x00"), (xml.find("\x01"), "\x01")) if p >= 0)
    for _pos, mark in marks:
        xml = xml.replace(mark, str((fmt if mark == "\x00" else blank)._get_xf_index()))
    return xml


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # as XlsxWriter's _escape_data


# conditional format types whose stored rule is the same whatever its range (XlsxWriter writes the
# range's first cell into the rules of the others: text, blanks, errors, time periods)
_RANGE_FREE = frozenset(("cell", "2_color_scale", "3_color_scale"))
_FORMULA = xlsxwriter.worksheet.CellFormulaTuple
_NUMBER = xlsxwriter.worksheet.CellNumberTuple
_ERROR_CODES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))

# The functions the layouts call: Excel 2007's own, never prefixed by XlsxWriter ("" is a bracket).
_CLASSIC = frozenset({"", "ABS", "COUNTA", "COUNTIF", "EXP", "IF", "MAX", "MMULT", "SUM", "SUMPRODUCT", "SUMXMY2"})
_CALLS = re.compile(r"([A-Za-z0-9_.]*)\(")  # the whole ASCII name before each bracket


def book_dialect(formula: str) -> bool:
    """Does the formula (or a layout's template) call only functions as old as the format (no _xlfn. prefix)?"""
    return _CLASSIC.issuperset(_CALLS.findall(formula))


def _write(fh, sheets: list[SheetOut], styles: dict[str, dict], conditional: dict[str, dict]) -> None:
    # The parts are zipped into fh as they are written, deflated by a second thread (sheetnet.xlsx.package)
    book = StreamingWorkbook(fh, {"strings_to_numbers": False, "strings_to_formulas": False})
    # A fixed creation date: the same cells give the same bytes, so outputs can be compared and cached.
    book.set_properties({"created": _EPOCH, "author": "sheetnet"})
    formats = {name: book.add_format(props) for name, props in styles.items()}
    for spec in progress.each(sheets, _("writing the sheets"), _("sheets")):
        ws = book.add_worksheet(spec.name, worksheet_class=_ExactWorksheet)
        for first, last, width in spec.column_widths:
            ws.set_widths(first - 1, last - 1, width)
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
                ws.store_number(r, k, float(c.value), fmt)
        if spec.blocks:
            ws.add_blocks([(b, formats[b.style], formats.get(b.blank_style)) for b in spec.blocks])
        if spec.freeze:
            ws.freeze_panes(spec.freeze[0] - 1, spec.freeze[1] - 1)
        if spec.landscape:
            ws.set_landscape()
        if spec.one_page:
            ws.fit_to_pages(1, 1)
        _page_setup(ws, spec)
        for style, run in groupby(spec.conditional, key=lambda cf: cf.style):
            options = dict(conditional[style])
            if "format" in options:
                options["format"] = formats[options["format"]]
            ws.conditional_formats([_zero_based(cf.span) for cf in run], options)
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


def _page_setup(ws, spec: SheetOut) -> None:
    if spec.paper:
        ws.set_paper(spec.paper)
    if spec.margins:
        left, right, top, bottom = spec.margins
        ws.set_margins(left=left, right=right, top=top, bottom=bottom)
    if spec.print_area:
        ws.print_area(*_zero_based(spec.print_area))
    if spec.print_scale:
        ws.set_print_scale(spec.print_scale)
    if spec.repeat_columns:
        ws.repeat_columns(spec.repeat_columns[0] - 1, spec.repeat_columns[1] - 1)
    # XlsxWriter puts a break before the zero-based row (column) it is given: our 1-based row r begins a page
    if spec.page_break_rows:
        ws.set_h_pagebreaks([r - 1 for r in spec.page_break_rows])
    if spec.page_break_cols:
        ws.set_v_pagebreaks([c - 1 for c in spec.page_break_cols])


def _zero_based(span: Span) -> tuple[int, int, int, int]:
    return tuple(v - 1 for v in span)


def _chart(book: xlsxwriter.Workbook, sheet: str, ch: ChartOut):
    chart = book.add_chart({"type": ch.kind})
    # XlsxWriter fills the series' cached values from the cells already written to the sheet
    chart.add_series({"name": ch.series_name, "categories": [sheet, *_zero_based(ch.categories)],
                      "values": [sheet, *_zero_based(ch.values)], "marker": {"type": "circle", "size": 4}})
    if ch.line:
        chart.add_series({"name": ch.line_name, "categories": [sheet, *_zero_based(ch.categories)],
                          "values": [sheet, *_zero_based(ch.line)], "marker": {"type": "none"},
                          "line": {"width": 1.5}})
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
