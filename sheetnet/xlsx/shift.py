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

from sheetnet.xlsx.refs import MAX_COLS, MAX_ROWS, col_letters, col_number, column_letters

# One alternative per kind of text; only the three reference kinds have groups.
_PART = re.compile(r"""
    "(?:[^"]|"")*"                                              # a string constant
  | '(?:[^']|'')*'                                              # a quoted sheet name
  | \[[^\]]*\]                                                  # an external book, a table's column
  | (?<![\w.$])(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})(?![\w.(!])  # a cell: A1, $B$2
  | (?<![\w.$])(\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3})(?![\w.(!])  # whole columns: A:C
  | (?<![\w.$:])(\$?)([0-9]{1,7}):(\$?)([0-9]{1,7})(?![\w.(!:])   # whole rows: 1:3
  | [A-Za-z_\\][\w.\\]*                                         # a name, a function, a sheet: text
""", re.X)


class Shape:
    """A formula split into literal text and references: (col, col $, row, row $) per cell reference,
    a column range or a row range keeping its own form."""

    __slots__ = ("pieces", "refs")

    def __init__(self, formula: str):
        pieces, refs, last = [], [], 0
        for m in _PART.finditer(formula):
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

    def moved_many(self, rows: list[int], cols: list[int]) -> list[str]:
        """[self.moved(r, c) for r, c in zip(rows, cols)], one format string for all of them (the
        members of one shared formula): per reference a column of letters and one of row numbers."""
        n = len(rows)
        if not self.refs:
            return [self.pieces[0]] * n
        letters = column_letters()
        fmt, columns = [_braced(self.pieces[0])], []
        for (kind, a, a_abs, b, b_abs), piece in zip(self.refs, self.pieces[1:]):
            if kind != "cell":
                return [self.moved(r, c) for r, c in zip(rows, cols)]
            col = [a] * n if a_abs else [a + d for d in cols]
            row = [b] * n if b_abs else [b + d for d in rows]
            if not (1 <= min(col) and max(col) <= MAX_COLS and 1 <= min(row) and max(row) <= MAX_ROWS):
                return [self.moved(r, c) for r, c in zip(rows, cols)]  # some move off the sheet: #REF!
            fmt += ["$" if a_abs else "", "{}", "$" if b_abs else "", "{}", _braced(piece)]
            columns += [map(letters.__getitem__, col), row]
        return list(map("".join(fmt).format, *columns))

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


def _braced(text: str) -> str:
    """Literal text inside a str.format template."""
    return text.replace("{", "{{").replace("}", "}}")


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
