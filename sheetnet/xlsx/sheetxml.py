"""A worksheet part's XML → its cells {(row, col): Cell}, at a cost per cell close to the parse itself.

The cells are read one of two ways, with one meaning:

- the *scanner*: one regular expression over the text of <sheetData>, one match per cell (the row
  tags between cells one match each), no object per XML element. It reads only documents in the plain form every
  spreadsheet program writes: UTF-8, the main namespace as the one default namespace, no comments,
  CDATA or processing instructions, `r` as a cell's first attribute. Its grammar is a strict subset
  of well-formed XML (no '<' or undeclared entity in a text or an attribute, no character XML
  forbids, each row closed before the next, no attribute twice, every prefix declared), and the
  matches must tile <sheetData>'s content, or it gives up. So expat (C speed, every DTD refused:
  see safexml) parses only the document around that content, which is small;
- the *general* reader (anything else: namespace prefixes, CDATA, rich inline text, attributes in
  another order …): expat over the whole part, first without handlers (well-formedness: a part
  that is not well-formed is refused as expat says, whatever else is wrong), then with element
  callbacks.

Both hand each cell's raw parts to one function (_Cells.add), so a cell means the same whichever
way it was read. Shared formulas (Excel's fill of one formula over a block) are tokenized once per
group (sheetnet.xlsx.shift), each member is the master moved by its offset.
"""

from __future__ import annotations

import gc
import math
import re
from array import array
from bisect import bisect_left
from collections.abc import Mapping
from itertools import chain, compress, islice, repeat
from operator import add, attrgetter, index, is_, is_not, itemgetter, lt

from sheetnet import collector, forked
from sheetnet.i18n import _
from sheetnet.errors import UnusableInput
from sheetnet.xlsx import safexml
from sheetnet.xlsx.refs import MAX_COLS, MAX_ROWS, col_number, parse_cell
from sheetnet.xlsx.shift import shape

MAX_CELLS = 2_000_000  # cells with a value or formula, per sheet; the largest book-style sheet has ~400,000
MAX_ELEMENTS = 4_000_000  # cell elements, empty ones included (styled blanks): past it, refused unread


class Cell:
    """One cell: its cached value and, for a formula cell, the formula ('=…'). Immutable by
    convention (a plain class with slots: the reader makes hundreds of thousands of them, and it is
    not a sequence, so NumPy keeps it whole in an object array)."""

    __slots__ = ("value", "kind", "formula")

    def __init__(self, value: float | str | bool | None, kind: str, formula: str | None = None):
        self.value = value
        self.kind = kind  # 'n' number, 's' text, 'b' boolean, 'e' error value, '' no value
        self.formula = formula

    @property
    def is_number(self) -> bool:
        return self.kind == "n"

    def __eq__(self, other) -> bool:
        if other.__class__ is not Cell:
            return NotImplemented
        return (self.value, self.kind, self.formula) == (other.value, other.kind, other.formula)

    def __hash__(self) -> int:
        return hash((self.value, self.kind, self.formula))

    def __repr__(self) -> str:
        return f"Cell(value={self.value!r}, kind={self.kind!r}, formula={self.formula!r})"


# a Cell's fields as functions, for map() over many cells at C speed
cell_value, cell_kind, cell_formula = attrgetter("value"), attrgetter("kind"), attrgetter("formula")


SheetCells = dict[tuple[int, int], Cell]


class ArrayCells(dict):
    """A sheet's {(row, col): Cell}, and its array formulas ({=…} over a range) in `arrays`: (row, col)
    of the cell that holds the formula → (row, col) of the range's last cell (its other cells hold values
    only)."""

    arrays: dict[tuple[int, int], tuple[int, int]] = {}  # (a class default: a sheet without array formulas)


ROW_KEY = 1 << 15  # a cell's key: row * ROW_KEY + col (columns end at 16,384)


class ColumnCells(Mapping):
    """A sheet's cells as the reader read them, {(row, col): Cell} held as two columns: each cell's key
    (row * ROW_KEY + col) and its Cell, in the order a dictionary filled as the cells were read would
    hold them. No dictionary of 250,000 tuples is built: a lookup is a bisection of the sorted keys,
    and whole-sheet looks (far_row, cell_index, positions_array …) read the keys. Read-only. Its array
    formulas ({=…} over a range) are in `arrays`, as on ArrayCells."""

    arrays: dict[tuple[int, int], tuple[int, int]] = {}  # (a class default: a sheet without array formulas)

    def __init__(self, keys: list[int], cells: list[Cell], columns: tuple[list, list, list] | None = None):
        self._sorted, self._at = keys, None  # the keys sorted, and each one's place in _keys (None: the same)
        if not all(map(lt, keys, islice(keys, 1, None))):
            # out of order, or a cell twice (the later one counts, in the first one's place: a dictionary's way)
            kept = dict(zip(keys, cells))
            keys, cells = list(kept), list(kept.values())
            self._at = sorted(range(len(keys)), key=keys.__getitem__)
            self._sorted = [keys[i] for i in self._at]
            columns = None
        self._keys, self._cells = keys, cells
        # each Cell's value, kind and formula, in its order, as the reader had them (value_columns())
        self._columns = columns
        self._pairs = None

    def _find(self, key) -> int:
        """Where the cell at key (row, col) is in the columns, -1: no cell there."""
        try:
            row, col = key
            row, col = index(row), index(col)
        except (TypeError, ValueError):
            return -1
        if row < 1 or not 1 <= col < ROW_KEY:
            return -1
        k = row * ROW_KEY + col
        i = bisect_left(self._sorted, k)
        if i == len(self._sorted) or self._sorted[i] != k:
            return -1
        return i if self._at is None else self._at[i]

    def at_keys(self, keys: list[int]) -> list[Cell | None]:
        """The Cell (None: no cell) at each key (row * ROW_KEY + col of a position inside the sheet: a row from
        1, a column from 1 below ROW_KEY), as get() finds it: the bisections at C speed."""
        ordered, cells, n = self._sorted, self._cells, len(self._sorted)
        places = list(map(bisect_left, repeat(ordered), keys))
        if self._at is not None:
            return [cells[self._at[i]] if i < n and ordered[i] == k else None for i, k in zip(places, keys)]
        return [cells[i] if i < n and ordered[i] == k else None for i, k in zip(places, keys)]

    def __getitem__(self, key) -> Cell:
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        return self._cells[i]

    def get(self, key, default=None):
        i = self._find(key)
        return default if i < 0 else self._cells[i]

    def __contains__(self, key) -> bool:
        return self._find(key) >= 0

    def __len__(self) -> int:
        return len(self._keys)

    def pairs(self) -> list[tuple[int, int]]:
        """The cells' (row, col), in order (made once)."""
        if self._pairs is None:
            self._pairs = list(map(divmod, self._keys, repeat(ROW_KEY)))
        return self._pairs

    def __iter__(self):
        return iter(self.pairs())

    def values(self) -> list[Cell]:
        return list(self._cells)

    def items(self) -> list[tuple[tuple[int, int], Cell]]:
        return list(zip(self.pairs(), self._cells))

    def copy(self) -> dict:
        return dict(self.items())

    def __repr__(self) -> str:
        return f"ColumnCells({dict(self.items())!r})"


_INF = math.inf


# Whole-sheet looks with C-level loops (map, compress, max): a sheet of the iterated kinds has
# 250,000 cells, and a Python loop over them costs a tenth of a second each time.
_COL = itemgetter(1)


def text_values(cells: SheetCells) -> frozenset[str]:
    """The stripped texts of the sheet's text cells (kept with a sheet the reader made: finding which
    sheet plays which role asks again for each role and kind)."""
    kept = getattr(cells, "_texts", None)
    if kept is not None and kept[0] == len(cells):
        return kept[1]
    values = cells._cells if isinstance(cells, ColumnCells) else cells.values()
    texts = frozenset([str(c.value).strip() for c in values if c.kind == "s"])  # (3x a mask of "s".__eq__)
    if isinstance(cells, (ArrayCells, ColumnCells)):
        cells._texts = (len(cells), texts)
    return texts


def formulas_of(found) -> list[str | None]:
    """Each Cell's formula (None: a cell without one, or no cell) of a sequence of Cells and Nones."""
    found = list(found)
    if not any(map(is_, found, repeat(None))):
        return list(map(cell_formula, found))
    return [None if c is None else c.formula for c in found]


def far_row(cells: SheetCells, default: int = 1) -> int:
    """The sheet's last used row."""
    if isinstance(cells, ColumnCells):
        return cells._sorted[-1] // ROW_KEY if cells else default
    return max(cells)[0] if cells else default


def far_col(cells: SheetCells, default: int = 1) -> int:
    """The sheet's last used column."""
    if isinstance(cells, ColumnCells):  # from the sorted keys the loader looks cells up in (a Python pass
        # over a 250,000-cell sheet's keys took 20 ms, and the search asks more than once)
        return int((cell_index(cells)[0] & (ROW_KEY - 1)).max()) if cells else default
    return max(map(_COL, cells)) if cells else default


def positions(cells: SheetCells):
    """The cells' (row, col) as the flat sequence row, col, row, col … (for numpy.fromiter)."""
    return chain.from_iterable(cells)


def positions_array(cells: SheetCells):
    """The cells' (row, col) as an (n, 2) int64 NumPy array (in no promised order)."""
    import numpy as np  # only where arrays are wanted: the reader itself starts without NumPy

    if isinstance(cells, ColumnCells):  # in key order, from the sorted keys kept for lookups (no copy of _keys)
        return np.stack(np.divmod(cell_index(cells)[0], ROW_KEY), axis=1)
    return np.fromiter(positions(cells), dtype=np.int64, count=2 * len(cells)).reshape(-1, 2)


def value_columns(cells: SheetCells) -> tuple[list, list[str], list[str | None]] | None:
    """Every cell's value, kind and formula as three lists, in cell_index's order, when the reader kept them
    so (a sheet read in key order, as spreadsheet programs write it); None: map a Cell field over its cells.
    (A 250,000-cell sheet: reading each Cell's field took 15 ms a field.)"""
    columns = getattr(cells, "_columns", None)
    return columns if columns is not None and cells._at is None else None


def kind_letters(kinds: list[str]):
    """Each kind's letter as a NumPy byte (0 for the kind '': no value), when every kind is one ASCII letter
    or none (the reader's are); else None. Joined by NUL, each kind's letter is the byte before its NUL, or
    that NUL: a 270,000-cell sheet's kinds in 6 ms, a comparison per kind 25 ms a kind."""
    import numpy as np

    if not kinds:
        return np.zeros(0, dtype=np.uint8)
    try:
        joined = "\0".join(kinds) + "\0"
    except TypeError:  # (a kind that is not text)
        return None
    if not joined.isascii():
        return None
    codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    ends = np.flatnonzero(codes == 0)  # one per kind, when no kind holds a NUL
    if len(ends) != len(kinds):
        return None
    gaps = np.diff(ends, prepend=-1)  # 1: no letter, 2: one
    if gaps.max() > 2:
        return None
    return np.where(gaps == 2, codes[ends - 1], 0).astype(np.uint8)


def cell_arrays(columns: tuple[list, list[str], list[str | None]]):
    """A sheet's value_columns() as NumPy arrays: which cells hold a number (kind 'n'), their numbers (NaN in
    the others), which hold no value ('') and which a formula."""
    import numpy as np

    values, kinds, formulas = columns
    n = len(kinds)
    if kinds.count("n") == n:  # (list.count compares the interned kinds by identity first)
        number, blank = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
        numbers = np.fromiter(values, dtype=float, count=n)
    else:
        letters = kind_letters(kinds)
        if letters is not None:
            number, blank = letters == ord("n"), letters == 0
        else:
            number = np.fromiter(map("n".__eq__, kinds), dtype=bool, count=n)
            blank = np.fromiter(map("".__eq__, kinds), dtype=bool, count=n)
        numbers = np.full(n, np.nan)
        numbers[number] = np.fromiter(compress(values, number.tolist()), dtype=float, count=int(number.sum()))
    has_formula = np.fromiter(map(is_not, formulas, repeat(None)), dtype=bool, count=n)
    return number, numbers, blank, has_formula


def cell_index(cells: SheetCells):
    """The sheet's cells as NumPy arrays: their keys (row * ROW_KEY + col, sorted int64) and the Cells
    in that order (object array), for looking up many positions at once; None when a position is
    outside the sheet. Kept with a sheet the reader made (its cells do not change once read)."""
    import numpy as np  # only where arrays are wanted: the reader itself starts without NumPy

    kept = getattr(cells, "_index", None)
    if kept is not None and kept[0] == len(cells):
        return kept[1]
    n = len(cells)
    if isinstance(cells, ColumnCells):  # in range by construction, sorted once already
        # (fromiter: an object array filled by `found[:] = cells` looks into every element for a sequence,
        # 26 ms for 243,000 Cells; this 3)
        found = np.fromiter(cells._cells if cells._at is None else map(cells._cells.__getitem__, cells._at),
                            dtype=object, count=n)
        cells._index = (n, (np.fromiter(cells._sorted, dtype=np.int64, count=n), found))
        return cells._index[1]
    rc = np.fromiter(positions(cells), dtype=np.int64, count=2 * n).reshape(n, 2)
    if n and (rc.min() < 1 or rc[:, 1].max() >= ROW_KEY or rc[:, 0].max() >= 1 << 40):
        return None
    keys = rc[:, 0] * ROW_KEY + rc[:, 1]
    found = np.empty(n, dtype=object)
    found[:] = list(cells.values())
    if n and not np.all(keys[1:] > keys[:-1]):
        order = np.argsort(keys, kind="stable")
        keys, found = keys[order], found[order]
    if isinstance(cells, ArrayCells):
        cells._index = (n, (keys, found))
    return keys, found



def keys_of(rows, cols):
    """Positions (rows, cols: integer arrays of one shape) as cell_index's keys, and which of them can be a
    cell's (a column inside the sheet)."""
    return rows.astype("int64") * ROW_KEY + cols, (cols >= 1) & (cols < ROW_KEY)


def located(keys, want, valid):
    """Where each key of `want` is among a sheet's sorted keys (cell_index's first array), and whether a
    cell is there (`valid`: from keys_of): (places, found) — a place counts only where found."""
    import numpy as np

    if not len(keys):
        return np.zeros(want.shape, dtype=np.intp), np.zeros(want.shape, dtype=bool)
    at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
    return at, (keys[at] == want) & valid


def cells_at(cells: SheetCells, rows, cols):
    """The Cell (or None) at each position (rows, cols: integer arrays of one shape), as an object array of
    that shape: looked up in the sheet's sorted keys all at once (an iterated sheet has 250,000 cells)."""
    import numpy as np

    out = np.full(np.shape(rows), None, dtype=object)
    index = cell_index(cells)
    if index is None:  # positions no key tells apart (not the reader's)
        out.reshape(-1)[:] = list(map(cells.get, zip(np.ravel(rows).tolist(), np.ravel(cols).tolist())))
        return out
    keys, found = index
    at, hit = located(keys, *keys_of(rows, cols))
    out[hit] = found[at[hit]]
    return out

# The scanner's grammar is a strict subset of well-formed XML, so that expat needs to see only the
# document around <sheetData>'s content. Texts and attribute values: no '<' (in the grammar); no
# character XML forbids, nor a carriage return (expat would change it): _plain_chars; '&' only in a
# predefined entity or a reference to a character XML allows: _refs_ok; no ']]>' (_take). Kept out of
# the grammar because a text matched as "anything but '<'" is what the regular expression engine
# matches fastest. Names: ASCII, at most one prefix.
_TEXT = r'[^<]*+'
_VALUE = r'[^<"]*+'
_NAME = r'[A-Za-z_][A-Za-z0-9_.-]*+(?::[A-Za-z_][A-Za-z0-9_.-]*+)?+'
_ATTRS = rf'(?: {_NAME}="{_VALUE}")*+'
_ROW_TAG = rf'[ \t\n]*+(?:</row>|<row{_ATTRS}/?>)'
# A cell in the plain form, its parts as groups: col, row, t, other attributes, <f> attributes, <f> text,
# <v> text, '>' and the text of an inline string. Every quantifier is possessive (never gives back what
# it took): no part can end where the next one begins, so giving back never makes a match, and the
# engine does not try it.
_ANY_CELL = (rf'[ \t\n]*+<c r="([A-Z]{{1,3}}+)([0-9]{{1,7}}+)"(?: s="[0-9]++")?+(?: t="([A-Za-z]++)")?+({_ATTRS})'
             rf'(?:/>|>(?:<f({_ATTRS})(?:/>|>({_TEXT})</f>))?+'
             rf'(?:<v>({_TEXT})</v>|<is><t(?: xml:space="preserve")?+(>{_TEXT})</t></is>)?+</c>)')
# The bulk of a sheet: a cell with its style and type, perhaps a formula (Excel's shared ones too), a
# value (a strict subset of _ANY_CELL, with fewer groups: col, row, t, <f> attributes, <f> text, <v> text).
_BULK_CELL = (rf'[ \t\n]*+<c r="([A-Z]{{1,3}}+)([0-9]{{1,7}}+)"(?: s="[0-9]++")?+(?: t="([A-Za-z]++)")?+'
              rf'(?:/>|>(?:<f({_ATTRS})(?:/>|>({_TEXT})</f>))?+<v>({_TEXT})</v></c>)')
# One token of <sheetData>'s content: a cell of the bulk (its six groups), or (the seventh group) the row
# tags before a cell or at the end with the white space after them, another cell in the plain form (its
# parts read again with _CELL_PARTS), or (anything else) one character, which sends the whole part to the
# general reader. The matches must tile the content. (Row tags, other cells and the one other character
# in one group: a match gives a tuple of seven, most of them empty, and the bulk's six columns are all
# that is transposed.)
_CELL = re.compile(rf'{_BULK_CELL}|((?:{_ROW_TAG})++[ \t\n]*+|{re.sub(r"[(](?![?])", "(?:", _ANY_CELL)}|[\s\S])')
_CELL_PARTS = re.compile(_ANY_CELL)
# The row tags of a part, in order: each one closed right after it opens (or empty): no row in a row
_ROWS_CLOSED = re.compile(r'(?:[ \t\n]*+<row[^<>]*+>(?:(?<=/>)|[ \t\n]*+</row>))*+[ \t\n]*+')
_ROW_NAMES = re.compile(r'<row((?: [^ ="]++="[^"]*+")*+)/?>')
_ATTR_VALUE = re.compile(r'="[^"]*"')
_CHAR_REF = re.compile(r'&#(x?)([0-9a-fA-F]+);')
_BAD_AMP = re.compile(r'&(?!(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)')
_PRINTABLE = bytes(range(0x20, 0x100)) + b"\t\n"  # bytes of UTF-8 text XML allows (U+FFFE/FFFF apart)
_ATTR = re.compile(r'([\w:.-]+)="([^"]*)"')
_ROOT = re.compile(r'(?:\ufeff)?(?:<\?xml[^<>]*\?>)?\s*<([\w.-]+)((?:\s+[\w.:-]+\s*=\s*(?:"[^"<]*"|\'[^\'<]*\'))*)\s*>')
_ROOT_ATTR = re.compile(r'([\w.:-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_DECL_ENCODING = re.compile(rb'^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["\']([A-Za-z0-9._-]+)')
_CHUNK = 1 << 22  # characters of <sheetData> scanned at once: the matches of one chunk at a time in memory


def read_sheet(data: bytes, part: str, sheet: str, strings) -> SheetCells:
    """The cells of one worksheet part. `strings()`: the shared-string table (read when first needed).
    Its array formulas are in the result's `arrays` (ArrayCells)."""
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of new tuples, none in a cycle: the collector would only rescan them
    try:
        cells = _Cells(sheet, strings)
        try:
            scanned = _scan(data, part, cells)
        except UnusableInput:
            safexml.check(data, part)  # a document that is not well-formed is refused as such, whatever else is wrong
            raise
        if not scanned:
            safexml.check(data, part)  # the part as expat says, before anything its cells say
            cells = _Cells(sheet, strings)
            _general(data, part, cells)
        read = cells.result()
    finally:
        if collecting:
            gc.enable()
    if len(read) >= _FROZEN_FROM:  # a large sheet's Cells: no cycle, alive with the workbook (sheetnet.collector)
        collector.freeze_what_is_alive()
    return read


_FROZEN_FROM = 20_000  # cells of a sheet from which what is alive after reading it is frozen (in a process we own)


def _attrs(text: str) -> dict[str, str]:
    return {k: safexml.unescape(v.replace("\t", " ").replace("\n", " ")) for k, v in _ATTR.findall(text)}


class _Cells:
    """The cells of one sheet as they are read: every cell's raw parts → a Cell."""

    in_child = False  # (_HalfCells: a sheet's second half, read in a child for its parent)

    def __init__(self, sheet: str, strings):
        self.sheet, self._strings_of, self._strings = sheet, strings, None
        self.keys: list[int] = []  # each cell's row * ROW_KEY + col, as read (ColumnCells)
        self.list: list[Cell] = []  # … and its Cell
        self.values: list = []  # … and the Cell's value, kind and formula (ColumnCells.columns)
        self.kinds: list[str] = []
        self.formulas: list[str | None] = []
        self._limit = MAX_CELLS  # entries past which over() looks
        self.shared: dict[str, tuple[int, int, object]] = {}  # si → (row, col, Shape of the master)
        self.arrays: dict[tuple[int, int], tuple[int, int]] = {}  # an array formula's cell → its range's last cell
        self.elements = 0
        self.prefixes: dict[str, str] = {}  # the root's namespace prefixes (the scanner)

    def result(self) -> ColumnCells:
        """The cells read, one per position (a later one with the same position replaces the first)."""
        cells = ColumnCells(self.keys, self.list, (self.values, self.kinds, self.formulas))
        if self.arrays:
            cells.arrays = self.arrays
        return cells

    def over(self) -> bool:
        """Were more than MAX_CELLS cells read? (a cell given twice takes one place: past the limit, the
        entries are made one per position, the next look a while later: never a quadratic cost)"""
        if len(self.keys) <= self._limit:
            return False
        kept = dict(zip(self.keys, range(len(self.keys))))  # (the later entry, in the first one's place)
        self.keys[:] = kept
        for column in self._columns():
            column[:] = map(column.__getitem__, kept.values())
        self._limit = len(self.keys) + MAX_CELLS // 8
        return len(self.keys) > MAX_CELLS

    def _columns(self) -> tuple[list, ...]:
        """What is kept of each cell beside its key, one list each, in the keys' order."""
        return self.list, self.values, self.kinds, self.formulas

    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = self._strings_of()
        return self._strings

    def too_many(self, count: int, limit: int) -> UnusableInput:
        return UnusableInput(_("sheet {sheet!r} has more than {limit:,} cells").format(sheet=self.sheet, limit=limit))

    def position(self, ref: str) -> tuple[int, int]:
        try:
            return parse_cell(ref)
        except ValueError as e:
            raise UnusableInput(f"sheet {self.sheet!r}: {e}") from None

    def formula(self, row: int, col: int, ref: str, f: dict | None, text: str | None) -> str | None:
        """A cell's formula ('=…', None: none) from its <f>'s attributes (None: no <f>) and text."""
        if f is None:
            return None
        if f.get("t") == "array" and text:
            try:
                self.arrays[(row, col)] = parse_cell((f.get("ref") or ref).split(":")[-1])
            except ValueError:
                pass
        if f.get("t") == "shared":
            si = f.get("si")
            if text:  # the master of a shared formula
                self.shared[si] = (row, col, shape(text))
            elif si in self.shared:
                r0, c0, master = self.shared[si]
                text = master.moved(row - r0, col - c0)
            else:
                raise UnusableInput(_("{cell} uses shared formula {si} before it is defined").format(
                    cell=f"{self.sheet}!{ref}", si=si))
        return "=" + text if text else None

    def orphan(self, row: int, col: int, ref: str, f: dict) -> str:
        """A shared formula's member whose group has no master yet: refused (a child reading a sheet's
        second half keeps it for its parent instead: _HalfCells)."""
        self.formula(row, col, ref, f, None)  # raises: the group is not defined
        raise AssertionError("a member without its master")  # (formula() raised)

    def extend(self, keys, values, kinds, formulas) -> None:
        """Cells in the document's order: their keys and, column by column, what each one holds."""
        self.keys += keys
        self.list += map(Cell, values, kinds, formulas)
        self.values += values
        self.kinds += kinds
        self.formulas += formulas

    def add(self, row: int, col: int, ref: str, t: str, formula: str | None, v: str | None,
            inline: str | None) -> None:
        """One cell (see cell()), at (row, col)."""
        cell = self.cell(ref, t, formula, v, inline)
        if cell is not None:
            self.extend((row * ROW_KEY + col,), (cell.value,), (cell.kind,), (cell.formula,))
            if len(self.keys) > self._limit and self.over():
                raise self.too_many(len(self.keys), MAX_CELLS)

    def cell(self, ref: str, t: str, formula: str | None, v: str | None, inline: str | None) -> Cell | None:
        """One cell (None: none there): t its type attribute ('' none), its formula, v the <v> text
        (None: none or empty), inline the <is> text (None: no <is>)."""
        if t == "inlineStr":
            value, kind = (inline, "s") if inline is not None else (None, "")
        elif v is None:
            value, kind = None, ""
        elif t in ("n", ""):
            try:
                value, kind = float(v), "n"
            except ValueError:
                value = math.nan
            if not math.isfinite(value):  # Python reads 'nan', 'inf', '1e999'; Excel never stores them
                raise UnusableInput(f"{self.sheet}!{ref} holds {v[:20]!r} where a number is stored")
        elif t == "s":
            strings = self.strings()
            try:
                value, kind = strings[int(v)], "s"
            except (ValueError, IndexError):
                raise UnusableInput(f"{self.sheet}!{ref} points at a shared string that does not exist") from None
        elif t == "b":
            value, kind = v.strip() in ("1", "true"), "b"
        elif t == "e":
            value, kind = v, "e"
        else:  # 'str' (a formula's text result), 'd' (an ISO date) and anything unknown: text
            value, kind = v, "s"
        return Cell(value, kind, formula) if formula is not None or kind else None


def _decoded(data: bytes) -> str | None:
    """The document as text when it is UTF-8 (the scanner reads no other encoding), else None."""
    m = _DECL_ENCODING.match(data)
    if (m and m.group(1).lower() not in (b"utf-8", b"utf8")) or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


_XML_NS = "http://www.w3.org/XML/1998/namespace"


def _plain_start(text: str, stop: int) -> dict[str, str] | None:
    """The prefixes the root declares (prefix → namespace), when the scanner may read the document (see
    the module's docstring) as far as text[:stop] tells, else None."""
    root = _ROOT.match(text, 0, stop)
    if root is None or text.find("<!", 0, stop) >= 0 or text.find("<?", root.end(), stop) >= 0 \
            or text.find("xmlns", root.end(), stop) >= 0:
        return None
    default, prefixes = None, {"xml": _XML_NS}
    for name, v1, v2 in _ROOT_ATTR.findall(root.group(2)):
        value = v1 or v2
        if "&" in value:
            return None
        if name == "xmlns":
            default = value
        elif name.startswith("xmlns:"):
            if value in safexml.MAIN_NAMESPACES:
                return None  # a prefix for the main namespace: its elements would be cells the scanner skips
            prefixes[name[6:]] = value
    return prefixes if default in safexml.MAIN_NAMESPACES else None


def _remember(cache: dict, key, value, entries: int) -> None:
    """cache[key] = value, the oldest entry dropped past `entries` (a class's few templates, never more)."""
    if len(cache) >= entries:
        cache.pop(next(iter(cache)), None)
    cache[key] = value


# The documents around <sheetData>'s content that expat found well-formed, byte for byte but for the
# sheet's views (_views_apart): a class's workbooks are one template, and the same sheet's columns,
# conditional formats and page setup would otherwise be parsed again for each.
_WELL_FORMED: dict[bytes | tuple[bytes, bytes], None] = {}
_WELL_FORMED_BYTES = 1 << 20
_WELL_FORMED_ENTRIES = 16


def _views_apart(outside: bytes, root_end: int) -> tuple[tuple[bytes, bytes], bytes] | None:
    """The document around <sheetData>'s content without its <sheetViews> element — (what is before it, what
    is after it) — and the element; None: not one such element after the root's start tag (root_end).
    The views hold the selection and scroll a student leaves, different in nearly every workbook of a
    class. With the only <sheetViews and the only </sheetViews>, a document well-formed with one views
    element is well-formed with another exactly when that one is, under the root's start tag (the only
    element that declares a namespace: the scanner reads no other)."""
    start = outside.find(b"<sheetViews>", root_end)
    end = outside.find(b"</sheetViews>", start)
    if start < 0 or end < 0 or outside.count(b"<sheetViews") != 1 or outside.count(b"sheetViews>") != 2:
        return None
    end += len(b"</sheetViews>")
    return (outside[:start], outside[end:]), outside[start:end]


def _well_formed(outside: bytes, part: str, root_end: int, root_name: str) -> bool:
    """Is the document around <sheetData>'s content well-formed (as expat says, every DTD refused)?
    root_end: where the root's start tag ends, root_name: its name."""
    apart = _views_apart(outside, root_end)
    key = outside if apart is None else apart[0]
    checked = outside
    if key in _WELL_FORMED:
        if apart is None:
            return True
        checked = outside[:root_end] + apart[1] + f"</{root_name}>".encode()  # the views alone
    try:
        safexml.check(checked, part)
    except UnusableInput:
        return False  # the whole part, parsed again, says where
    if checked is outside and len(outside) <= _WELL_FORMED_BYTES:
        _remember(_WELL_FORMED, key, None, _WELL_FORMED_ENTRIES)
    return True


def _scan(data: bytes, part: str, cells: _Cells) -> bool:
    """Read the cells with the scanner; False when the document is not in the plain form (what was read
    is to be thrown away). Expat parses the document without <sheetData>'s content (head and tail:
    DTDs refused, well-formedness); the scanner's grammar makes sure the content is well-formed."""
    text = _decoded(data)
    first = -1 if text is None else text.find("<sheetData")
    if first >= 0 and text.startswith("<sheetData/>", first):
        begin = end = first + len("<sheetData/>")  # no cells
    elif first >= 0 and text.startswith("<sheetData>", first):
        begin = first + len("<sheetData>")
        end = text.find("</sheetData>", begin)
    else:
        return False  # no <sheetData>, or attributes on it: the general reader
    prefixes = _plain_start(text, begin) if end >= 0 else None
    if prefixes is None or any(text.find(s, end) >= 0 for s in ("<sheetData", "<!", "<?", "xmlns")):
        return False
    b_begin, b_end = len(text[:begin].encode()), len(data) - len(text[end:].encode())  # in bytes
    if not _plain_chars(data[b_begin:b_end], text, begin, end):
        return False
    root = _ROOT.match(text, 0, begin)  # (matched: _plain_start)
    if not _well_formed(data[:b_begin] + data[b_end:], part, len(text[:root.end()].encode()), root.group(1)):
        return False
    cells.prefixes = prefixes
    return _scan_cells(text, begin, end, cells)


def _scan_cells(text: str, begin: int, end: int, cells: _Cells) -> bool:
    """The cells of text[begin:end] (the content of <sheetData>: row tags and <c> elements); False: it is
    not all in the plain form. A huge content's second half is read by a forked child meanwhile, where
    one may work (sheetnet.forked): the same cells, in the same order."""
    tags: list[str] = []  # the row tags, in order
    middle, child = _middle(text, begin, end, cells), None
    if middle is not None:
        strings = cells._strings
        child = forked.start(lambda: _second_half(text, middle, end, cells.sheet, strings, cells.prefixes))
    if child is None:
        return _scan_range(text, begin, end, cells, tags) and _rows_closed(tags, cells.prefixes)
    with child:
        if not _scan_range(text, begin, middle, cells, tags):
            return False
        second = child.result()
    if second is None:  # the child could not, or its half is not all in the plain form: read it here
        ok = _scan_range(text, middle, end, cells, tags)
    else:
        _take_half(second, cells, tags)
        ok = True
    return ok and _rows_closed(tags, cells.prefixes)


SPLIT_FROM = 1 << 22  # characters of <sheetData>'s content from which its second half may go to a child
# (about 120,000 cells: their half costs the parent ~0.1 s, the fork and the hand-back a third of that;
# 4,000 images' learning sheet has 7.9 M, backprop 50's 16 M, cnn-backprop 10's 26 M)


def _middle(text: str, begin: int, end: int, cells: _Cells) -> int | None:
    """Where a child may start reading text[begin:end], None: not worth it, or no child may work now. The
    shared strings are read before (the child may not read the workbook's file: its offset is shared)."""
    if end - begin < SPLIT_FROM or not forked.available():
        return None
    middle = _chunk_end(text, begin + (end - begin) // 2 - _CHUNK, end)
    if not begin < middle < end:
        return None
    if cells._strings is None and text.find('t="s"', middle, end) >= 0:
        try:
            cells.strings()
        except UnusableInput:
            return None  # said in the document's order by the reading itself
    return middle


def _second_half(text: str, begin: int, end: int, sheet: str, strings: list[str] | None,
                 prefixes: dict[str, str]) -> tuple | None:
    """In the child: the cells of text[begin:end] (their keys, and each one's (value, kind, formula)), the
    members of shared groups left to the parent, its array formulas, row tags and element count; None:
    not all in the plain form. Raises where its half does
    (the parent then reads it again): an error of the document, a member of a shared formula whose
    master is in the first half, a text cell when the shared strings were not read."""
    def no_strings():
        raise LookupError("the shared strings were not read before the fork")

    cells = _HalfCells(sheet, (lambda: strings) if strings is not None else no_strings)
    cells.prefixes = prefixes
    tags: list[str] = []
    if not _scan_range(text, begin, end, cells, tags):
        return None
    values, kinds, formulas = cells.values, cells.kinds, cells.formulas
    # the members whose masters are not in this half: their places, for the parent to move them
    left = [i for i, f in enumerate(formulas) if f is not None and f[:1] == "\0"] if cells.orphans else []
    orphans = [(i, cells.orphans[int(formulas[i][1:])]) for i in left]
    for i in left:
        formulas[i] = ""  # (the parent's moved text comes here)
    # columns as bytes and one text, not a pickled object per cell (cnn-backprop 10's half: pickling its
    # tuples took 90 ms, the parent's unpickling 50 ms, while the other process waited)
    other = [i for i, k in enumerate(kinds) if k != "n"] if kinds.count("n") < len(kinds) else []
    floats = values if not other else [0.0 if k != "n" else v for v, k in zip(values, kinds)]
    return (array("q", cells.keys).tobytes(), array("d", floats).tobytes(),
            [(i, values[i], kinds[i]) for i in other],
            "\0".join(formulas if None not in formulas else [f or "" for f in formulas]), orphans,
            cells.arrays, tags, cells.elements)


class _HalfCells(_Cells):
    """The cells of a sheet's second half, read in a child: kept as columns (values, kinds, formulas: what
    goes to the parent as bytes and one text), the Cells made by the parent (no Cell made twice); a shared
    formula's member whose master is not in this half gets a stand-in formula ('\0' and its number: no XML
    text holds a NUL), its parent moves the master it read in the first half (_take_half)."""

    in_child = True

    def __init__(self, sheet: str, strings):
        super().__init__(sheet, strings)
        self.orphans: list[tuple[int, int, str, dict]] = []  # (row, col, ref, <f> attributes)

    def extend(self, keys, values, kinds, formulas) -> None:
        self.keys += keys
        self.values += values
        self.kinds += kinds
        self.formulas += formulas

    def _columns(self) -> tuple[list, ...]:
        return self.values, self.kinds, self.formulas

    def orphan(self, row: int, col: int, ref: str, f: dict) -> str:
        self.orphans.append((row, col, ref, f))
        return f"\0{len(self.orphans) - 1}"


def _take_half(second: tuple, cells: _Cells, tags: list[str]) -> None:
    """The child's half (_second_half's answer) after the cells read here, as if read here: its members of
    shared groups whose masters are in the first half moved now."""
    key_bytes, float_bytes, others, formula_text, orphans, arrays, its_tags, elements = second
    cells.elements += elements
    if cells.elements > MAX_ELEMENTS:
        raise cells.too_many(cells.elements, MAX_ELEMENTS)
    for _i, (row, col, ref, f) in orphans:
        if f.get("si") not in cells.shared:  # not in the first half either: refused, as read in one process
            cells.orphan(row, col, ref, f)
    keys, values = array("q"), array("d")
    keys.frombytes(key_bytes)
    values.frombytes(float_bytes)
    n = len(keys)
    values, kinds = values.tolist(), ["n"] * n
    for i, value, kind in others:
        values[i], kinds[i] = value, kind
    formulas = [f or None for f in formula_text.split("\0")] if n else []  # (no formula is empty: '=' at least)
    by_group: dict = {}  # the child's members whose masters are in the first half, by group, in order
    for i, (row, col, _ref, f) in orphans:
        by_group.setdefault(f.get("si"), []).append((i, row, col))
    for si, members in by_group.items():
        r0, c0, master = cells.shared[si]
        texts = master.moved_many([m[1] - r0 for m in members], [m[2] - c0 for m in members], "=")
        for (i, *_rest), text in zip(members, texts):
            formulas[i] = text
    cells.extend(keys.tolist(), values, kinds, formulas)
    cells.arrays.update(arrays)
    tags += its_tags
    if len(cells.keys) > cells._limit and cells.over():
        raise cells.too_many(len(cells.keys), MAX_CELLS)


def _scan_range(text: str, pos: int, end: int, cells: _Cells, tags: list[str]) -> bool:
    """_scan_cells' reading of text[pos:end], chunk by chunk (row tags gathered in `tags`)."""
    col_numbers = _COLUMNS
    while pos < end:
        stop = _chunk_end(text, pos, end)
        found, shape, key = _matches(text, pos, stop, cells.sheet)
        # what no text of the chunk holds need not be looked for in its texts one by one
        # (one character is looked for at memchr's speed, three at a lesser one)
        amp = text.find("&", pos, stop) >= 0
        cdata_end = text.find("]", pos, stop) >= 0 and text.find("]]>", pos, stop) >= 0
        if found and not _take(found, cells, col_numbers, tags, amp, cdata_end, shape):
            return False
        if key is not None:  # read as the scanner reads: its matches are the chunk's shape's
            _remember(_SAME_SHAPES, key, shape, _SAME_SHAPES_ENTRIES)
        if len(cells.keys) > cells._limit and cells.over():
            raise cells.too_many(len(cells.keys), MAX_CELLS)
        pos = stop
    return True


# The matches of a chunk by its *shape*: its text without the texts of its non-empty <v> elements. A class's
# workbooks are one template whose cells differ in their values (a student's numbers): their chunks'
# shapes are the same, and the scanner's expression (the chunk's largest cost) would match them alike, a
# value's text being taken whole by [^<]*+ whatever it is. Remembered only for a chunk read as the scanner
# reads (by _take) whose values are all in the bulk's cells, each the value of its match in order.
_VALUE_TEXT = re.compile(r'<v>([^<]++)</v>')
_SAME_SHAPES: dict[str, "_Shape"] = {}
_SAME_SHAPE_CHARS = 1 << 19  # characters of a chunk, at most (a large sheet is not split twice for nothing)
_SAME_SHAPES_ENTRIES = 8
# The names of the sheets read so far: a chunk's shape is looked for from a sheet's second reading on (a
# process that reads one workbook never splits a chunk for a shape it cannot meet again). Each with its
# chunks in a row whose shape was not met (looked for or not): a name whose shapes were not met again
# _MISSES_BEFORE_PAUSE times in a row (a class whose students typed their own formulas: each one's computed
# sheet is its own) is split for its shape only every _PAUSE-th chunk after that, until one is met again;
# splitting and keying a chunk no shape matches costs ~6 % of reading it, for nothing.
_SHEETS_READ: dict[str, int] = {}
_SHEETS_READ_ENTRIES = 64
_MISSES_BEFORE_PAUSE = 3
_PAUSE = 8


class _Shape:
    """A chunk's matches without their values (vs all empty), where its values go (slots: the matches that
    have one, in order), and what _take worked out from them alone (_Plan), by the root's prefixes."""

    __slots__ = ("columns", "slots", "plans")

    def __init__(self, columns: tuple, slots: list[int]):
        self.columns, self.slots, self.plans = columns, slots, {}


class _Plan:
    """What a chunk's matches determine whatever their values, as _take worked it out for a sheet's first
    chunk (no shared master, no array formula before it): the columns with the cells in other forms read
    again, the row tags, the cells' count, keys and formulas, the shared masters and array formulas it
    defines, the cells read one by one for their form (odd), those without a value and those of them
    dropped (no formula either)."""

    __slots__ = ("columns", "tags", "cells_found", "all_keys", "formulas", "shared", "arrays", "odd", "unvalued",
                 "dropped")

    def __init__(self, *fields):
        for name, value in zip(self.__slots__, fields):
            setattr(self, name, value)


def _matches(text: str, pos: int, stop: int, sheet: str) -> tuple[list[tuple], _Shape | None, str | None]:
    """The scanner's matches of text[pos:stop] (a chunk of the sheet named `sheet`) as seven columns (cols,
    rows, ts, fattrs, ftexts, vs, others: _CELL's groups; [] when none), from _CELL.findall or, for a chunk
    of a shape matched before, from the matches remembered with it and the chunk's values; the chunk's
    _Shape (None: none), and its text without values when the shape is new (to be remembered once _take
    has read the chunk)."""
    misses = _SHEETS_READ.get(sheet)
    if misses is None:
        _remember(_SHEETS_READ, sheet, 0, _SHEETS_READ_ENTRIES)
    if misses is None or stop - pos > _SAME_SHAPE_CHARS:
        return list(zip(*_CELL.findall(text, pos, stop))), None, None
    if misses >= _MISSES_BEFORE_PAUSE and (misses - _MISSES_BEFORE_PAUSE) % _PAUSE != _PAUSE - 1:
        _SHEETS_READ[sheet] = misses + 1  # (paused: not looked for)
        return list(zip(*_CELL.findall(text, pos, stop))), None, None
    pieces = _VALUE_TEXT.split(text[pos:stop])
    values = pieces[1::2]
    key = "\0".join(pieces[0::2])  # ('\0': in no text, _plain_chars)
    known = _SAME_SHAPES.get(key)
    _SHEETS_READ[sheet] = 0 if known is not None else misses + 1
    if known is not None:
        columns = known.columns
        vs = list(columns[5])
        for i, v in zip(known.slots, values):
            vs[i] = v
        return (*columns[:5], tuple(vs), columns[6]), known, None
    columns = list(zip(*_CELL.findall(text, pos, stop)))
    if not columns:
        return columns, None, None
    vs = columns[5]
    slots = [i for i, v in enumerate(vs) if v]
    if [vs[i] for i in slots] != values or "<v>" in "".join(columns[6]):
        return columns, None, None  # a value read otherwise (a cell in another form): never remembered
    return columns, _Shape((*columns[:5], ("",) * len(vs), columns[6]), slots), key


def _chunk_end(text: str, pos: int, end: int) -> int:
    """Where the chunk of <sheetData>'s content that starts at pos ends: before a cell and the white
    space before it (its row tags end this chunk), past pos + _CHUNK, or at the end."""
    stop = text.find("<c ", pos + _CHUNK, end)
    while stop >= 0:
        back = stop
        while back > pos and text[back - 1] in " \t\n":
            back -= 1
        if back > pos:
            return back
        stop = text.find("<c ", stop + 1, end)
    return end


def _plain_chars(data: bytes, text: str, begin: int, end: int) -> bool:
    """Does text[begin:end] (its UTF-8 bytes: data) hold only characters XML allows, and no carriage return?"""
    return not data.translate(None, _PRINTABLE) and text.find("\ufffe", begin, end) < 0 and text.find("\uffff", begin, end) < 0


def _refs_ok(text: str) -> bool:
    """Is every '&' of the text a predefined entity or a reference to a character XML allows?"""
    if _BAD_AMP.search(text):
        return False
    for hex_, digits in _CHAR_REF.findall(text):
        c = int(digits, 16 if hex_ else 10)
        if not (c in (9, 10, 13) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or 0x10000 <= c <= 0x10FFFF):
            return False
    return True


def _rows_closed(tags: list[str], prefixes: dict[str, str]) -> bool:
    """Are the row tags well-formed XML: each row closed before the next opens, each one's attributes
    unique and their prefixes declared? (Remembered for the few last sheets' row tags and prefixes: a class's
    workbooks are one template, their rows the same.)"""
    tags = "".join(tags)
    key = (tags, *prefixes.items()) if len(tags) <= _ROWS_OK_CHARS else None  # (a large sheet's: not hashed)
    known = _ROWS_OK.get(key) if key is not None else None
    if known is None:
        known = bool(_ROWS_CLOSED.fullmatch(tags)) and ("&" not in tags or _refs_ok(tags)) and all(
            _names_ok(names, prefixes) for names in set(_ROW_NAMES.findall(_ATTR_VALUE.sub('=""', tags))))
        if key is not None:
            _remember(_ROWS_OK, key, known, _ROWS_OK_ENTRIES)
    return known


_ROWS_OK: dict[tuple, bool] = {}
_ROWS_OK_CHARS, _ROWS_OK_ENTRIES = 1 << 18, 16


_ATTR_NAME = re.compile(r' ([^ ="]+)="')


def _names_ok(attrs: str, prefixes: dict[str, str], taken: tuple[str, ...] = ()) -> bool:
    """Are the attributes (' name="value"'…, values already checked) well-formed as expat reads them with
    namespaces: no name twice (nor two prefixes of one namespace with one local name), every prefix
    declared on the root, no namespace declared? `taken`: names the element has before them."""
    seen = set()
    for name in _ATTR_NAME.findall(_ATTR_VALUE.sub('=""', attrs)):
        prefix, _sep, local = name.rpartition(":")
        if name in taken or name.startswith("xmlns") or (prefix and prefix not in prefixes):
            return False
        key = (prefixes[prefix] if prefix else "", local)
        if key in seen:
            return False
        seen.add(key)
    return True


_ROW = r'<row r="([0-9]+)"'  # (compiled when first used, by re's cache: a check does not look)


def past_rows(text: str, last_row: int) -> bool:
    """Does the text hold the start of a row numbered past last_row?"""
    return any(int(m.group(1)) > last_row for m in re.finditer(_ROW, text))


def first_rows(head: str, last_row: int, sheet: str, strings) -> SheetCells | None:
    """The cells of rows 1…last_row from the start of a worksheet's text (`head`, cut anywhere), when
    it reaches past them and the scanner can read them; else None (read the whole part instead).

    For looking at a few cells of a sheet that may be large and unrelated (which sheet plays which
    role): only the start of the part is inflated. Rows must come in order, as the format says."""
    if "<!" in head or not _plain_chars(head.encode(), head, 0, len(head)):  # only the whole document is judged
        return None
    first = head.find("<sheetData>")
    prefixes = None if first < 0 else _plain_start(head, first)
    if prefixes is None:
        return None
    begin = first + len("<sheetData>")
    for m in re.compile(_ROW).finditer(head, begin):
        if int(m.group(1)) > last_row:
            cells = _Cells(sheet, strings)
            cells.prefixes = prefixes
            return cells.result() if _scan_cells(head, begin, m.start(), cells) else None
    return None


_PLAIN_TYPES = frozenset(("", "n"))  # a number cell's t attribute: none, or 'n'
_COLUMNS: dict[str, int] = {}  # column letters → number (at most 18,278: the scanner reads one to three letters)
_F_ATTRS: dict[str, tuple] = {}  # a short <f> attribute text without prefixed names → _formula_attrs's answer
_F_ATTRS_MAX = 4096
# A chunk's keys and formulas by its cells' places and <f> parts: a class's workbooks are one template,
# and each would otherwise check the same places and move Excel's shared groups to the same texts.
# Small chunks only.
_SAME_CHUNKS: dict[tuple, tuple] = {}
_SAME_CELLS = 20_000  # cells of a chunk, at most
_SAME_CHARS = 1 << 21  # characters of a key, at most
_SAME_ENTRIES = 8


def _formula_attrs(fa: str, prefixes: dict[str, str]) -> tuple | bool:
    """An <f>'s attribute text → (its attributes, its shared group or None); False: not well-formed.
    Remembered when it does not depend on the root's prefixes (Excel repeats `t="shared" si="3"`
    in every member of a group, and every class workbook has the same groups)."""
    if not _names_ok(fa, prefixes):
        return False
    f = _attrs(fa)
    known = (f, f.get("si") if f.get("t") == "shared" else None)
    if len(fa) <= 64 and ":" not in _ATTR_VALUE.sub('=""', fa):
        if len(_F_ATTRS) >= _F_ATTRS_MAX:
            _F_ATTRS.clear()
        _F_ATTRS[fa] = known
    return known


def _where(seq: tuple, value) -> list[int]:
    """The indices of `value` in seq, in order (a C-level scan per hit: for the few text cells among
    many number cells)."""
    found, i = [], -1
    at = seq.index
    try:
        while True:
            i = at(value, i + 1)
            found.append(i)
    except ValueError:
        return found


def _formulas(cells: _Cells, cols: tuple, rows: tuple, fattrs: tuple, ftexts: tuple, parsed: dict | None,
              f_amp: bool, row_of: dict[str, int], c_of) -> list[str | None]:
    """Each matched cell's formula ('=…', None: none), from its <f>'s attribute text (parsed: each one's
    _formula_attrs) and text; the masters of shared groups and the array formulas go to `cells`."""
    unescape = safexml.unescape
    n = len(cols)
    formulas = ["=" + f if f else None for f in ftexts]  # a cell without <f> text: None (no hash of each text)
    if f_amp:  # only the texts with an entity (IF(O19&gt;=O20 …)) are unescaped
        for i in compress(range(n), map(str.__contains__, ftexts, repeat("&"))):
            formulas[i] = "=" + unescape(ftexts[i])
    if any(fattrs):  # shared formulas (Excel), aca="false" (LibreOffice), array formulas: in order
        groups: list[tuple] = []  # (a shared formula's master as defined then, its members' indices)
        current: dict[str, list[int]] = {}  # a group → the member list of its current master
        for i in compress(range(n), fattrs):
            f, si = parsed[fattrs[i]]
            if si is not None and not ftexts[i]:  # a member: moved below, all of its group at once
                which = current.get(si)
                if which is None and (master := cells.shared.get(si)) is not None:
                    which = current[si] = []
                    groups.append((master, which))
                if which is not None:
                    which.append(i)
                    continue
                if master is None:  # no master yet: refused (a child reading a sheet's second half keeps
                    # it for its parent, whose first half may hold the master: _HalfCells)
                    formulas[i] = cells.orphan(row_of[rows[i]], c_of(cols[i]), cols[i] + rows[i], f)
                    continue
            formulas[i] = cells.formula(row_of[rows[i]], c_of(cols[i]), cols[i] + rows[i], f,
                                        unescape(ftexts[i]) if ftexts[i] else None)
            if si is not None:  # a new master of the group (or a member refused above): later members its own
                current.pop(si, None)
        for (r0, c0, shape_), which in groups:  # a master's text is never empty, nor is a member's then
            texts = shape_.moved_many(list(map((-r0).__add__, map(row_of.__getitem__, map(rows.__getitem__, which)))),
                                      list(map((-c0).__add__, map(c_of, map(cols.__getitem__, which)))), "=")
            for i, text in zip(which, texts):
                formulas[i] = text
    return formulas


def _take(columns: list[tuple], cells: _Cells, col_numbers: dict[str, int], tags: list[str], amp: bool = True,
          cdata_end: bool = True, shape: _Shape | None = None) -> bool:
    """The scanner's matches (seven columns: _matches) → cells; False: one of them is not a cell in the
    plain form. The plain number cells (the bulk of any book-style sheet: a number, with or without a
    formula) are converted column by column with C-level loops; the others (text, booleans, errors,
    inline strings, entities in a value …) one by one through add() (_convert). `tags` gathers the row
    tags. `amp`, `cdata_end`: may a text hold '&', ']]>'? (False: the chunk holds none). `shape`: the
    chunk's _Shape (None: none), whose _Plan stands for what the matches alone determine once worked out."""
    # a plan holds for a sheet's first chunk (no shared master, no array formula before it) under the root
    # prefixes it was made with; not for a child's half (its members may wait for masters in the first half)
    planned = shape is not None and not cells.shared and not cells.arrays and not cells.in_child
    prefix_key = tuple(cells.prefixes.items()) if planned else None
    plan = shape.plans.get(prefix_key) if planned else None
    if plan is not None:
        return _take_planned(plan, columns[5], cells, tags, amp, cdata_end)
    tags_before = len(tags)
    cols, rows, ts, fattrs, ftexts, vs, others = columns
    n = len(cols)
    rests = inlines = ("",) * n
    cells_found = n
    if any(others):  # the row tags, cells with other parts, another character: in the document's order
        # a cell with other parts takes its place in the columns (its parts read again); row tags stay
        # there as a place without a cell (every part empty: as an empty element, dropped below)
        parts_of = [cols, rows, ts, rests, fattrs, ftexts, vs, inlines]
        copied = [False] * 8
        for i in compress(range(n), others):
            m = _CELL_PARTS.fullmatch(others[i])
            if m is not None:
                for k, part in enumerate(m.groups("")):
                    if part:
                        if not copied[k]:
                            parts_of[k], copied[k] = list(parts_of[k]), True
                        parts_of[k][i] = part
            elif len(others[i]) == 1:  # a character that is no part of a cell or row tag
                return False
            else:
                tags.append(others[i])
                cells_found -= 1
        cols, rows, ts, rests, fattrs, ftexts, vs, inlines = parts_of
    cells.elements += cells_found
    if cells.elements > MAX_ELEMENTS:
        raise cells.too_many(cells.elements, MAX_ELEMENTS)
    if not cells_found:
        return True
    f_all, v_all = ("".join(ftexts), "".join(vs)) if amp or cdata_end else ("", "")
    if cdata_end and ("]]>" in f_all or "]]>" in v_all or (any(inlines) and "]]>" in "".join(inlines))):
        return False  # not allowed in a text (perhaps two texts meeting: then read by the general reader)
    f_amp, v_amp = amp and "&" in f_all, amp and "&" in v_all
    amps = [texts for texts, has in ((ftexts, f_amp), (vs, v_amp)) if has]
    if amp:
        amps += [texts for texts in (inlines, rests, fattrs) if any(texts) and "&" in "".join(texts)]
    if amps and not _refs_ok("\0".join(chain.from_iterable(amps))):  # '\0': in no text (_plain_chars)
        return False
    prefixes = cells.prefixes
    if any(rests) and not all(_names_ok(a, prefixes, ("r", "s", "t")) for a in set(rests)):
        return False
    same = known = parsed = None
    if not cells.shared and not cells.arrays and len(cols) <= _SAME_CELLS:
        # the cells' places and <f> parts ('\0': in no text) and the root's prefixes: nothing else makes
        # their keys and formulas (no shared master from an earlier chunk)
        same = (*map("\0".join, (cols, rows, fattrs, ftexts)), tuple(prefixes.items()))
        known = _SAME_CHUNKS.get(same)
    if known is None and any(fattrs):  # each distinct <f> attribute text → (its attributes, its shared group or None)
        parsed = {}
        for fa in set(fattrs):
            f_attrs = _F_ATTRS.get(fa) or _formula_attrs(fa, prefixes)
            if f_attrs is False:
                return False
            parsed[fa] = f_attrs
    n = len(cols)
    if known is not None:  # the same template as a chunk read before (a class's workbooks): checked then
        all_keys, formulas, shared, arrays = known
        cells.shared.update(shared)
        cells.arrays.update(arrays)
    else:
        col_set = set(cols)
        for col in col_set.difference(col_numbers):
            col_numbers[col] = col_number(col)  # ('' → 0: the place of row tags)
        c_of = col_numbers.__getitem__
        # a row's number and its part of a key, once per row (a row's cells all repeat its number)
        row_of = {row: int(row) for row in set(rows) if row}
        if not 1 <= min(row_of.values()) <= max(row_of.values()) <= MAX_ROWS or max(map(c_of, col_set)) > MAX_COLS:
            for col, row in zip(cols, rows):
                if row and not (1 <= int(row) <= MAX_ROWS and c_of(col) <= MAX_COLS):
                    cells.position(col + row)  # raises: the address is outside the sheet
        if cells_found < n:
            row_of[""] = 0  # the places of row tags: a key no cell has, dropped with the empty elements
        formulas = _formulas(cells, cols, rows, fattrs, ftexts, parsed, f_amp, row_of, c_of)
        row_key = {row: number * ROW_KEY for row, number in row_of.items()}
        all_keys = list(map(add, map(row_key.__getitem__, rows), map(c_of, cols)))
        if same is not None and sum(map(len, same[:4])) <= _SAME_CHARS:
            _remember(_SAME_CHUNKS, same, (tuple(all_keys), tuple(formulas), dict(cells.shared), dict(cells.arrays)),
                      _SAME_ENTRIES)
    # the others, read one by one: a type other than a number, other attributes, an inline string,
    # an entity in the value
    odd = [i for t in set(ts).difference(_PLAIN_TYPES) for i in _where(ts, t)]  # (most cells have no t)
    if any(rests):
        odd += compress(range(n), rests)
    if any(inlines):
        odd += compress(range(n), inlines)
    unvalued = _where(vs, "")
    dropped = [i for i in unvalued if formulas[i] is None]  # an empty styled cell is no cell
    if planned:
        plan = _Plan((cols, rows, ts, rests, fattrs, ftexts, inlines), tags[tags_before:], cells_found, all_keys,
                     formulas, dict(cells.shared), dict(cells.arrays), odd, unvalued, dropped)
    if v_amp:
        odd = odd + [i for i, v in enumerate(vs) if "&" in v]
    _convert(cells, vs, cols, rows, ts, inlines, all_keys, formulas, odd, unvalued, dropped)
    if plan is not None:  # (made for a chunk read whole)
        shape.plans[prefix_key] = plan
    return True


def _take_planned(plan: _Plan, vs: tuple, cells: _Cells, tags: list[str], amp: bool, cdata_end: bool) -> bool:
    """_take() of a chunk whose matches' plan was worked out before: only the values are looked at (what
    the rest of the matches determine passed every check then)."""
    cols, rows, ts, _rests, _fattrs, _ftexts, inlines = plan.columns
    tags += plan.tags
    cells.elements += plan.cells_found
    if cells.elements > MAX_ELEMENTS:
        raise cells.too_many(cells.elements, MAX_ELEMENTS)
    v_all = "".join(vs) if amp or cdata_end else ""
    if cdata_end and "]]>" in v_all:
        return False  # not allowed in a text (as _take says)
    v_amp = amp and "&" in v_all
    if v_amp and not _refs_ok("\0".join(vs)):
        return False
    cells.shared.update(plan.shared)
    cells.arrays.update(plan.arrays)
    odd = plan.odd + [i for i, v in enumerate(vs) if "&" in v] if v_amp else plan.odd
    _convert(cells, vs, cols, rows, ts, inlines, plan.all_keys, plan.formulas, odd, plan.unvalued, plan.dropped)
    return True


def _convert(cells: _Cells, vs, cols, rows, ts, inlines, all_keys, formulas, odd: list[int], unvalued: list[int],
             dropped: list[int]) -> None:
    """The chunk's cells (in its columns, each one's key and formula worked out) → `cells` (extend()),
    in the document's order: the bulk's values converted column by column, the odd ones one by one."""
    unescape = safexml.unescape
    n = len(cols)
    keep = None
    if odd or dropped:
        keep = [True] * n
        for i in chain(odd, dropped):
            keep[i] = False
    kept_vs = vs if keep is None else list(compress(vs, keep))
    try:
        if len(dropped) < len(unvalued):  # formulas without a cached value
            values = [float(v) if v else None for v in kept_vs]
            kinds = ["n" if v else "" for v in kept_vs]
        else:
            values = list(map(float, kept_vs))
            kinds = ["n"] * len(values)
    except ValueError:  # not a number where one is stored: add() says where
        values = None
    if values is not None and not math.isfinite(sum(filter(None, values))):
        values = None  # nan, inf, 1e999 (or a sum too large): add() says where
    if values is None:
        odd, keep, values, kinds = range(n), (), (), ()
    forms = formulas if keep is None else list(compress(formulas, keep))
    if not odd:
        cells.extend(all_keys if keep is None else list(compress(all_keys, keep)), values, kinds, forms)
        return
    bulk_keys = list(compress(all_keys, keep))
    odd = sorted(set(odd))
    one_by_one = [cells.cell(cols[i] + rows[i], ts[i], formulas[i], unescape(vs[i]) if vs[i] else None,
                             unescape(inlines[i][1:]) if inlines[i] else None) for i in odd]
    # each cell read one by one goes in its place among the others: the document's order
    left_out = sorted(set(odd).union(dropped))
    done = 0
    for i, cell in zip(odd, one_by_one):
        upto = i - bisect_left(left_out, i)  # the cells of the bulk before it
        cells.extend(bulk_keys[done:upto], values[done:upto], kinds[done:upto], forms[done:upto])
        done = upto
        if cell is not None:
            cells.extend((all_keys[i],), (cell.value,), (cell.kind,), (cell.formula,))
    cells.extend(bulk_keys[done:], values[done:], kinds[done:], forms[done:])


def _general(data: bytes, part: str, cells: _Cells) -> None:
    """Read the cells with expat callbacks: any form the XML allows."""
    ns_of = {f"{ns}{safexml.SEP}{local}": local for ns in safexml.MAIN_NAMESPACES
             for local in ("sheetData", "c", "f", "v", "is", "t", "r", "rPh")}
    p = safexml.parser()
    state = {"in_data": 0, "cell": None, "capture": None, "rph": 0}

    def start(tag, attrs):
        local = ns_of.get(tag)
        if local is None:
            state["capture"] = None
            return
        if local == "sheetData":
            state["in_data"] += 1
        elif not state["in_data"]:
            return
        elif local == "c":
            cells.elements += 1
            if cells.elements > MAX_ELEMENTS:
                raise cells.too_many(cells.elements, MAX_ELEMENTS)
            state["cell"] = {"attrs": attrs, "f": None, "ftext": None, "v": None, "is": None}
        elif state["cell"] is not None:
            cell = state["cell"]
            if local == "f":
                cell["f"], cell["ftext"] = attrs, []
                state["capture"] = cell["ftext"]
            elif local == "v":
                cell["v"] = []
                state["capture"] = cell["v"]
            elif local == "is":
                cell["is"] = []
            elif local == "rPh":
                state["rph"] += 1
            elif local == "t" and cell["is"] is not None and not state["rph"]:
                state["capture"] = cell["is"]

    def end(tag):
        local = ns_of.get(tag)
        state["capture"] = None
        if local == "sheetData":
            state["in_data"] -= 1
        elif local == "rPh":
            state["rph"] -= 1
        elif local == "c" and state["cell"] is not None and state["in_data"]:
            cell, state["cell"] = state["cell"], None
            ref = cell["attrs"].get("r")
            if ref is None:
                raise UnusableInput(f"sheet {cells.sheet!r} has a cell without an address")
            row, col = cells.position(ref)
            ftext = "".join(cell["ftext"]) if cell["f"] is not None else None
            v = "".join(cell["v"]) if cell["v"] is not None else None
            formula = cells.formula(row, col, ref, cell["f"], ftext or None)
            cells.add(row, col, ref, cell["attrs"].get("t", ""), formula, v or None,
                      "".join(cell["is"]) if cell["is"] is not None else None)

    def chars(text):
        if state["capture"] is not None:
            state["capture"].append(text)

    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.buffer_text = True
    safexml.run(p, data, part)
