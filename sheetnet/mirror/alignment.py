"""Where a student's sheet has moved: layout cells ↔ the workbook's cells, and the translations both ways.

Students insert a row for their name, a blank column between two images, rows at the top of `Data`. Each
such edit shifts one axis of one sheet from some line on: an axis of a sheet is a monotone, piecewise
shift (mirror/align.py finds it from the layout's labels and cells). Loading maps every cell of a moved
sheet — and every reference in every formula that points into one — back into the layout's coordinates,
so recompute, check and train run as if nothing had moved; wherever a cell is named to the user, or
written (train), its address is mapped forward again with the same maps.

A reference to a cell the student inserted (a line the layout does not have) cannot be mapped back; it
is left as written. A range whose end lies on an inserted line is narrowed to the layout's lines inside it.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

import numpy as np

from sheetnet.i18n import ngettext
from sheetnet.record import field, record
from sheetnet.xlsx.reader import Cell, SheetCells
from sheetnet.xlsx.sheetxml import ArrayCells
from sheetnet.xlsx.refs import MAX_COLS, MAX_ROWS, col_letters, col_number


@record(frozen=True)
class Axis:
    """Rows (or columns) of one sheet: the layout's line → the sheet's line.

    shifts: (first layout line, offset) in increasing order of line: from that line on, until the next
    one, the sheet's line is the layout's plus offset (before the first: unmoved). deleted: layout lines
    the sheet no longer has (only lines the layout leaves empty; mirror/align.py refuses the others).
    """

    shifts: tuple[tuple[int, int], ...] = ()
    deleted: frozenset[int] = frozenset()

    @property
    def moved(self) -> bool:
        return bool(self.shifts or self.deleted)

    def offset(self, line: int) -> int:
        off = 0
        for start, o in self.shifts:
            if line < start:
                break
            off = o
        return off

    def forward(self, line: int) -> int | None:
        """The sheet's line for a layout line (None: deleted)."""
        if line in self.deleted:
            return None
        return line + self.offset(line)

    def back(self, line: int) -> int | None:
        """The layout line that the sheet's `line` is (None: a line the student inserted)."""
        table = self._lines
        if line >= len(table):
            table = self._grow(line)
        return table[line] or None if line < len(table) else self._back(line)

    @cached_property
    def _lines(self) -> list[int]:
        """back() of the sheet's lines 0… as a list (0: inserted): formulas ask it once per reference."""
        return [0] + [self._back(j) or 0 for j in range(1, 1024)]

    def _grow(self, line: int) -> list[int]:
        size = min(_TABLE_LINES, 2 * line + 2)
        table = self._lines
        table.extend(self._back(j) or 0 for j in range(len(table), size))
        return table

    def _back(self, line: int) -> int | None:
        bounds = ((1, 0), *self.shifts)
        for k in range(len(bounds) - 1, -1, -1):  # later segments first: after a deletion they overlap
            start, off = bounds[k]
            i = line - off
            if i >= start and (k + 1 == len(bounds) or i < bounds[k + 1][0]):
                return None if i in self.deleted else i
        return None

    def back_within(self, first: int, last: int) -> tuple[int, int] | None:
        """The layout lines of the sheet's lines first…last (a range's rows or columns): its ends moved
        inward off inserted lines; None when no layout line is inside."""
        lo, hi = first, last
        while lo <= hi and self.back(lo) is None:
            lo += 1
        while hi >= lo and self.back(hi) is None:
            hi -= 1
        return None if lo > hi else (self.back(lo), self.back(hi))

    def back_table(self, size: int) -> np.ndarray:
        """back() for the sheet's lines 0…size−1 as an array (0: inserted, or line 0)."""
        out = np.zeros(size, dtype=np.int64)
        for j in range(1, size):
            out[j] = self.back(j) or 0
        return out

    def forward_table(self, size: int) -> np.ndarray:
        """forward() for the layout's lines 0…size−1 (0: deleted, or line 0)."""
        out = np.zeros(size, dtype=np.int64)
        for i in range(1, size):
            out[i] = self.forward(i) or 0
        return out


IDENTITY_AXIS = Axis()
_TABLE_LINES = 1 << 16  # lines kept in an axis' lookup list; beyond, back() computes


@record(frozen=True)
class SheetMap:
    """One sheet's rows and columns."""

    rows: Axis = IDENTITY_AXIS
    cols: Axis = IDENTITY_AXIS

    @property
    def moved(self) -> bool:
        return self.rows.moved or self.cols.moved

    def forward(self, row: int, col: int) -> tuple[int, int] | None:
        r, c = self.rows.forward(row), self.cols.forward(col)
        return None if r is None or c is None else (r, c)

    def back(self, row: int, col: int) -> tuple[int, int] | None:
        r, c = self.rows.back(row), self.cols.back(col)
        return None if r is None or c is None else (r, c)


UNMOVED = SheetMap()

# A reference as formulas and our own messages write it: an optional sheet ('My data'!, Data!, 学习!) and
# a cell, a range, whole columns (A:C) or whole rows (3:5) — never part of a name, a number or a function.
# Upper case only: spreadsheets store references so, and our messages name quantities in lower case (z2).
# Kept as text: compiled on first use (re's own cache), by a workbook whose sheets moved.
_STRING = r'"(?:[^"]|"")*"'
_REF = r"""(?x)
    (?<![\w.$\]'!])
    (?:(?P<sheet>'(?:[^']|'')+'|[^\W\d][\w.]*)!)?
    (?:(?P<ca>\$?)(?P<c1>[A-Z]{1,3})(?P<ra>\$?)(?P<r1>[0-9]{1,7})
       (?::(?P<cb>\$?)(?P<c2>[A-Z]{1,3})(?P<rb>\$?)(?P<r2>[0-9]{1,7}))?
      |(?P<k1>\$?[A-Z]{1,3}):(?P<k2>\$?[A-Z]{1,3})
      |(?P<w1>\$?[0-9]{1,7}):(?P<w2>\$?[0-9]{1,7}))
    (?![\w(.!])
"""


@record(frozen=True)
class Alignment:
    """Every sheet's map, by role; the workbook's sheet names; what to tell the user (once)."""

    maps: dict[str, SheetMap] = field(default_factory=dict)  # role → its map (moved sheets only)
    names: dict[str, str] = field(default_factory=dict)  # role → the sheet's name in the workbook
    moves: tuple[str, ...] = ()  # what moved, in the layout's words: 'a row was inserted above row 3 of 学习'
    written: dict = field(default_factory=dict)  # (role, layout row, col) → the formula as the student wrote it

    @property
    def moved(self) -> bool:
        return any(m.moved for m in self.maps.values())

    def note(self, done: str = "graded") -> str | None:
        """What moved, said once: '…; graded with that shift' (done: graded, recomputed or trained)."""
        if not self.moves:
            return None
        moves, n = "; ".join(self.moves), len(self.moves)
        if done == "recomputed":
            text = ngettext("{moves}; recomputed with that shift", "{moves}; recomputed with those shifts", n)
        elif done == "trained":
            text = ngettext("{moves}; read and written with that shift", "{moves}; read and written with those shifts", n)
        else:
            text = ngettext("{moves}; graded with that shift", "{moves}; graded with those shifts", n)
        return text.format(moves=moves)

    def map(self, role: str) -> SheetMap:
        return self.maps.get(role, UNMOVED)

    @cached_property
    def _role_of(self) -> dict[str, str]:
        return {name.upper(): role for role, name in self.names.items()}

    # -- cells ---------------------------------------------------------------------------------
    def forward(self, role: str, row: int, col: int) -> tuple[int, int]:
        """Where a layout cell is in the workbook."""
        m = self.maps.get(role)
        if m is None:
            return row, col
        at = m.forward(row, col)
        if at is None:
            raise ValueError(f"layout cell ({row}, {col}) of {role} was deleted")
        return at

    def cells_of(self, role: str, cells: SheetCells) -> SheetCells:
        """A sheet's cells at the layout's addresses, their formulas' references mapped back (cells on
        inserted lines are left out: the layout has no place for them), and its array formulas' ranges."""
        if not self.moved:
            return cells
        m = self.map(role)
        rows = m.rows.back_table(max((r for r, _c in cells), default=0) + 1) if m.rows.moved else None
        cols = m.cols.back_table(max((c for _r, c in cells), default=0) + 1) if m.cols.moved else None
        out = ArrayCells()
        for (r, c), cell in cells.items():
            lr = int(rows[r]) if rows is not None else r
            lc = int(cols[c]) if cols is not None else c
            if lr == 0 or lc == 0:
                continue
            if cell.formula is not None:
                mapped = self.back_formula(cell.formula, role)
                if mapped != cell.formula:
                    self.written[(role, lr, lc)] = cell.formula
                    cell = Cell(cell.value, cell.kind, mapped)
            out[(lr, lc)] = cell
        arrays = getattr(cells, "arrays", None)
        if arrays:
            out.arrays = {}
            for (r0, c0), (r1, c1) in arrays.items():
                first, rows_in, cols_in = m.back(r0, c0), m.rows.back_within(r0, r1), m.cols.back_within(c0, c1)
                if first is not None and rows_in is not None and cols_in is not None:
                    out.arrays[first] = (rows_in[1], cols_in[1])
        return out

    def as_written(self, role: str, row: int, col: int, formula: str | None) -> str | None:
        """The formula a layout cell holds, as the student wrote it (in the workbook's addresses)."""
        return self.written.get((role, row, col), formula) if formula is not None else None

    # -- text: formulas and messages -----------------------------------------------------------
    def back_formula(self, text: str, own_role: str) -> str:
        """A formula of the workbook, its references moved to the layout's addresses."""
        return self._translate(text, own_role, back=True) if self.moved else text

    def forward_formula(self, text: str | None, own_role: str) -> str | None:
        """A formula (or a message) in the layout's addresses, moved to the workbook's."""
        return self._translate(text, own_role, back=False) if text and self.moved else text

    forward_text = forward_formula

    def _translate(self, text: str, own_role: str, back: bool) -> str:
        out, pos = [], 0
        for s in re.finditer(_STRING, text):
            out.append(re.sub(_REF, lambda m: self._ref(m, own_role, back), text[pos:s.start()]))
            out.append(s.group(0))
            pos = s.end()
        out.append(re.sub(_REF, lambda m: self._ref(m, own_role, back), text[pos:]))
        return "".join(out)

    def _ref(self, m: re.Match, own_role: str, back: bool) -> str:
        sheet = m.group("sheet")
        if sheet is None:
            role = own_role
        else:
            bare = sheet[1:-1].replace("''", "'") if sheet.startswith("'") else sheet
            role = self._role_of.get(bare.upper())
        sm = self.maps.get(role) if role is not None else None
        if sm is None or not sm.moved:
            return m.group(0)
        prefix = f"{sheet}!" if sheet is not None else ""
        if m.group("c1"):
            c1, r1 = _col(m.group("c1")), int(m.group("r1"))
            c2, r2 = (_col(m.group("c2")), int(m.group("r2"))) if m.group("c2") else (c1, r1)
            rows = _move(sm.rows, min(r1, r2), max(r1, r2), back, MAX_ROWS)
            cols = _move(sm.cols, min(c1, c2), max(c1, c2), back, MAX_COLS)
            if rows is None or cols is None:
                return m.group(0)
            first = f"{m.group('ca')}{col_letters(cols[0])}{m.group('ra')}{rows[0]}"
            if m.group("c2") is None:
                return prefix + first
            return prefix + first + f":{m.group('cb')}{col_letters(cols[1])}{m.group('rb')}{rows[1]}"
        if m.group("k1"):
            a, b = m.group("k1"), m.group("k2")
            cols = _move(sm.cols, _col(a.lstrip("$")), _col(b.lstrip("$")), back, MAX_COLS)
            if cols is None:
                return m.group(0)
            return prefix + f"{'$' * a.startswith('$')}{col_letters(cols[0])}:{'$' * b.startswith('$')}{col_letters(cols[1])}"
        a, b = m.group("w1"), m.group("w2")
        rows = _move(sm.rows, int(a.lstrip("$")), int(b.lstrip("$")), back, MAX_ROWS)
        if rows is None:
            return m.group(0)
        return prefix + f"{'$' * a.startswith('$')}{rows[0]}:{'$' * b.startswith('$')}{rows[1]}"


IDENTITY = Alignment()


class AlignedCells:
    """A workbook's cells as its layout sees them — what formulas are evaluated over (sheetnet.check).

    Reads like the reader's WorkbookCells (sheet_names, defined_names, sheet, array_formulas): the
    sheets that play a role, when any sheet moved, hold their cells at the layout's addresses with
    every formula's references mapped back (Alignment.cells_of, done once per sheet: the loader and
    the evaluator share it), and the defined names point where the layout has those cells. Other
    sheets (one the student added) are read as they are: their values are read, never their formulas.
    """

    def __init__(self, book, alignment: Alignment):
        self.book, self.alignment = book, alignment
        self.sheet_names = book.sheet_names
        self._role = {name: role for role, name in alignment.names.items()}
        self._sheets: dict[str, SheetCells] = {}

    @cached_property
    def defined_names(self) -> list[tuple[str, str | None, str]]:
        """(name, its sheet's index when local, what it refers to) — references into a moved sheet mapped back."""
        if not self.alignment.moved:
            return self.book.defined_names
        out = []
        for name, local, text in self.book.defined_names:
            role = None
            if local is not None and str(local).isdigit() and int(local) < len(self.sheet_names):
                role = self._role.get(self.sheet_names[int(local)])
            out.append((name, local, self.alignment.back_formula(text, role) if text else text))
        return out

    def sheet(self, name: str) -> SheetCells:
        role = self._role.get(name)
        if role is None or not self.alignment.moved:
            return self.book.sheet(name)
        if name not in self._sheets:
            self._sheets[name] = self.alignment.cells_of(role, self.book.sheet(name))
        return self._sheets[name]

    def array_formulas(self, name: str) -> dict[tuple[int, int], tuple[int, int]]:
        return dict(getattr(self.sheet(name), "arrays", {}))


@lru_cache(maxsize=None)
def _col(letters: str) -> int:
    return col_number(letters)


def _move(axis: Axis, first: int, last: int, back: bool, most: int) -> tuple[int, int] | None:
    if not axis.moved:
        return first, last
    if back:
        return axis.back_within(first, last) if first != last else (
            None if axis.back(first) is None else (axis.back(first),) * 2)
    a, b = axis.forward(first), axis.forward(last)
    if a is None or b is None or not (1 <= a <= most and 1 <= b <= most):
        return None
    return a, b
