"""A formula's references, found once: the formula moved by (rows, cols) as Excel fills it, and its
relative (R1C1-like) form — the same text for every cell of one formula family.

Excel stores a block of cells filled from one formula as a *shared formula*: the master's text once,
and for every other cell only the group's number. Each member is the master with its relative
references moved by the member's offset. The master is tokenized once here (the offsets of its
references in the text), so each member costs one string join, not a tokenizer pass.

Nothing is evaluated: strings, quoted sheet names and bracketed parts are skipped as text;
function names and defined names are not references.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import groupby, repeat

from sheetnet.xlsx.refs import MAX_COLS, MAX_ROWS, col_letters, col_number, column_letters

# One alternative per kind of text; only the three reference kinds have groups. Compiled when first needed
# (_part), not at every start: reading a workbook without shared formulas (sheetnet writes none) never needs it.
_PART = r"""
    "(?:[^"]|"")*"                                              # a string constant
  | '(?:[^']|'')*'                                              # a quoted sheet name
  | \[[^\]]*\]                                                  # an external book, a table's column
  | (?<![\w.$])(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})(?![\w.(!])  # a cell: A1, $B$2
  | (?<![\w.$])(\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3})(?![\w.(!])  # whole columns: A:C
  | (?<![\w.$:])(\$?)([0-9]{1,7}):(\$?)([0-9]{1,7})(?![\w.(!:])   # whole rows: 1:3
  | [A-Za-z_\\][\w.\\]*                                         # a name, a function, a sheet: text
"""


@lru_cache(maxsize=None)
def _part() -> re.Pattern:
    return re.compile(_PART, re.X)


class Shape:
    """A formula split into literal text and references: (col, col $, row, row $) per cell reference,
    a column range or a row range keeping its own form."""

    __slots__ = ("pieces", "refs")

    def __init__(self, formula: str):
        pieces, refs, last = [], [], 0
        for m in _part().finditer(formula):
            g = m.groups()
            if g[1] is not None:  # a cell
                col, row = col_number(g[1].upper()), int(g[3])
                if not (1 <= col <= MAX_COLS and 1 <= row <= MAX_ROWS):
                    continue  # not a cell of any sheet (XFZ1): a name, left as it is
                ref = ("cell", col, g[0] == "$", row, g[2] == "$")
            elif g[5] is not None:  # whole columns
                ref = ("cols", col_number(g[5].upper()), g[4] == "$", col_number(g[7].upper()), g[6] == "$")
            elif g[9] is not None:  # whole rows
                ref = ("rows", int(g[9]), g[8] == "$", int(g[11]), g[10] == "$")
            else:
                continue
            pieces.append(formula[last:m.start()])
            refs.append(ref)
            last = m.end()
        pieces.append(formula[last:])
        self.pieces, self.refs = tuple(pieces), tuple(refs)

    def moved(self, rows: int, cols: int) -> str:
        """The formula filled `rows` down and `cols` across (a reference moved off the sheet: #REF!)."""
        pieces = self.pieces
        if not self.refs:
            return pieces[0]
        out = [pieces[0]]
        letters = column_letters()
        for k, (kind, a, a_abs, b, b_abs) in enumerate(self.refs):
            if kind == "cell":  # the common case, inline
                col, row = a if a_abs else a + cols, b if b_abs else b + rows
                if 1 <= col <= MAX_COLS and 1 <= row <= MAX_ROWS:
                    out.append(f"{'$' if a_abs else ''}{letters[col]}{'$' if b_abs else ''}{row}")
                else:
                    out.append("#REF!")
            else:
                out.append(_moved((kind, a, a_abs, b, b_abs), rows, cols))
            out.append(pieces[k + 1])
        return "".join(out)

    def moved_many(self, rows: list[int], cols: list[int], prefix: str = "") -> list[str]:
        """[prefix + self.moved(r, c) for r, c in zip(rows, cols)], for the members of one shared
        formula. Excel fills a group along a row: per run of one row, every part that does not change
        along it is written once (the literal text, absolute references, the run's row number), each
        moving reference is one slice of the column letters, and each member's text one join. A group
        filled down a column: per reference a list of letters and one of row numbers."""
        n = len(rows)
        if not self.refs:
            return [prefix + self.pieces[0]] * n
        if not n or any(ref[0] != "cell" for ref in self.refs):
            return [prefix + self.moved(r, c) for r, c in zip(rows, cols)]
        out: list[str] = []
        if min(rows) == max(rows):
            runs = [(0, n)]  # one row (the usual group: Excel fills a row)
        else:
            runs, start = [], 0  # the stretches of one row, in order
            for _row, stretch in groupby(rows):
                length = len(list(stretch))
                runs.append((start, start + length))
                start += length
            if len(runs) * 2 > n:  # mostly one cell per row (a column filled down): one format for all
                return self._anywhere(rows, cols, prefix)
        for a, b in runs:
            out += self._along(rows[a], cols[a:b], prefix)
        return out

    def _along(self, row: int, cols: list[int], prefix: str) -> list[str]:
        """The members at row offset `row` and column offsets `cols`."""
        n = len(cols)
        step = cols[1] - cols[0] if n > 1 else 1
        even = step > 0 and cols[-1] == cols[0] + step * (n - 1) and (n < 3 or cols == list(range(cols[0], cols[-1] + 1, step)))
        letters = column_letters()
        parts: list = [prefix + self.pieces[0]]  # texts the same for every member, and lists of their own
        for (_kind, a, a_abs, b, b_abs), piece in zip(self.refs, self.pieces[1:]):
            r = b if b_abs else b + row
            if not 1 <= r <= MAX_ROWS:
                parts.append("#REF!")
            elif a_abs:
                parts.append(f"${letters[a]}{'$' if b_abs else ''}{r}")
            else:
                if not (1 <= a + min(cols) and a + max(cols) <= MAX_COLS):
                    return [prefix + self.moved(row, c) for c in cols]  # some move off the sheet: #REF!
                parts.append(letters[a + cols[0]:a + cols[-1] + 1:step] if even else [letters[a + c] for c in cols])
                parts.append(f"{'$' if b_abs else ''}{r}")
            parts.append(piece)
        return _joined(parts, n)

    def _anywhere(self, rows: list[int], cols: list[int], prefix: str) -> list[str]:
        """Members in any places: per reference a list of column letters and one of row numbers."""
        n = len(rows)
        letters = column_letters()
        parts: list = [prefix + self.pieces[0]]
        for (_kind, a, a_abs, b, b_abs), piece in zip(self.refs, self.pieces[1:]):
            col = [a] * n if a_abs else [a + d for d in cols]
            row = [b] * n if b_abs else [b + d for d in rows]
            if not (1 <= min(col) and max(col) <= MAX_COLS and 1 <= min(row) and max(row) <= MAX_ROWS):
                return [prefix + self.moved(r, c) for r, c in zip(rows, cols)]  # some move off the sheet: #REF!
            parts += ["$" if a_abs else "", letters[a] if a_abs else list(map(letters.__getitem__, col)),
                      "$" if b_abs else "", str(b) if b_abs else list(map(str, row)), piece]
        return _joined(parts, n)

    def relative(self, row: int, col: int) -> str:
        """The formula as written at (row, col), each relative coordinate as an offset from there:
        'SUMPRODUCT(R[-6]C[-3]:R[-3]C[-1],R5C4:R8C6)+R5C7'. Cells filled from one formula share it."""
        if not self.refs:
            return self.pieces[0]
        out = [self.pieces[0]]
        for ref, piece in zip(self.refs, self.pieces[1:]):
            out.append(_relative(ref, row, col))
            out.append(piece)
        return "".join(out)


def _joined(parts: list, n: int) -> list[str]:
    """n texts, each the concatenation of `parts`: a text is the same in each, a list holds each one's own."""
    merged: list = []  # neighbouring texts joined: fewer pieces per member
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if len(merged) == 1:
        return [merged[0]] * n
    return list(map("".join, zip(*(repeat(p, n) if isinstance(p, str) else p for p in merged))))


def _moved(ref, rows: int, cols: int) -> str:
    kind, a, a_abs, b, b_abs = ref
    if kind == "cell":
        col, row = a if a_abs else a + cols, b if b_abs else b + rows
        if not (1 <= col <= MAX_COLS and 1 <= row <= MAX_ROWS):
            return "#REF!"
        return f"{'$' if a_abs else ''}{col_letters(col)}{'$' if b_abs else ''}{row}"
    step, limit = (cols, MAX_COLS) if kind == "cols" else (rows, MAX_ROWS)
    first, last = a if a_abs else a + step, b if b_abs else b + step
    if not (1 <= first <= limit and 1 <= last <= limit):
        return "#REF!"
    if kind == "cols":
        return f"{'$' if a_abs else ''}{col_letters(first)}:{'$' if b_abs else ''}{col_letters(last)}"
    return f"{'$' if a_abs else ''}{first}:{'$' if b_abs else ''}{last}"


def _relative(ref, row: int, col: int) -> str:
    kind, a, a_abs, b, b_abs = ref
    if kind == "cell":
        return f"R{b if b_abs else f'[{b - row}]'}C{a if a_abs else f'[{a - col}]'}"
    if kind == "cols":
        return f"C{a if a_abs else f'[{a - col}]'}:C{b if b_abs else f'[{b - col}]'}"
    return f"R{a if a_abs else f'[{a - row}]'}:R{b if b_abs else f'[{b - row}]'}"


@lru_cache(maxsize=8192)
def shape(formula: str) -> Shape:
    """The formula's Shape (cached: a family's cells share their texts' shapes)."""
    return Shape(formula)


def moved(formula: str, rows: int, cols: int) -> str:
    """`formula` ('=…' or without '=') filled `rows` down and `cols` across, as Excel fills it."""
    return shape(formula).moved(rows, cols)


def relative_form(formula: str, row: int, col: int) -> str:
    """The formula written at (row, col) in relative form: equal for the cells of one formula family
    (the same formula filled across or down), whatever their places."""
    return shape(formula).relative(row, col)
