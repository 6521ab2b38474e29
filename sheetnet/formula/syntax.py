"""Formula text → tokens, the cells it reads, a syntax tree, and the key of its family.

The tokenizer is openpyxl's, loaded on its own: importing it through the openpyxl package would pull in
all of openpyxl (~0.1 s) for one small module. Nothing here evaluates a formula or follows a link.

A *family* is every cell that holds the same formula once each reference is written relative to the
cell (Excel's R1C1 form): what filling one formula across or down gives. `family_key` computes that
form with one regular expression (no tokenizer: it runs for many cells), `parse` the tree (once per
family).
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

from sheetnet.record import record
from sheetnet.xlsx.refs import MAX_COLS, MAX_ROWS, col_letters, col_number

_CELLS = re.compile(r"^(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7})(?::(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7}))?$")
# whole columns and whole rows (A:C, 2:5): rare, so compiled when first used (by re's cache), not at every start
_COLUMNS = r"^(\$?)([A-Z]{1,3}):(\$?)([A-Z]{1,3})$"
_ROWS = r"^(\$?)([0-9]{1,7}):(\$?)([0-9]{1,7})$"
_STRINGS = re.compile(r'"(?:[^"]|"")*"')
FUNCTION_PREFIX = re.compile(r"^(?:_XLFN\.|_XLWS\.)+")


@record(frozen=True)
class Ref:
    """One rectangle a formula reads: rows top…bottom, columns left…right (1-based, inclusive)."""

    sheet: str | None  # the sheet written before '!', unquoted; None: the formula's own sheet
    top: int
    left: int
    bottom: int
    right: int
    col_abs: tuple[bool, bool]  # each end's column written with $
    row_abs: tuple[bool, bool]

    @property
    def area(self) -> int:
        return (self.bottom - self.top + 1) * (self.right - self.left + 1)

    @property
    def columns_absolute(self) -> bool:
        return all(self.col_abs)

    def cells(self):
        for r in range(self.top, self.bottom + 1):
            for c in range(self.left, self.right + 1):
                yield r, c

    def shifted(self, dc: int, dr: int = 0) -> "Ref | None":
        """Where this reference lands when the formula is filled dc columns across and dr rows down
        (None: off the sheet)."""
        left = self.left + (0 if self.col_abs[0] else dc)
        right = self.right + (0 if self.col_abs[1] else dc)
        top = self.top + (0 if self.row_abs[0] else dr)
        bottom = self.bottom + (0 if self.row_abs[1] else dr)
        if not (1 <= left <= MAX_COLS and 1 <= right <= MAX_COLS and 1 <= top <= MAX_ROWS and 1 <= bottom <= MAX_ROWS):
            return None
        return Ref(self.sheet, top, left, bottom, right, self.col_abs, self.row_abs)

    def same_cells(self, other: "Ref") -> bool:
        return (self.top, self.left, self.bottom, self.right) == (other.top, other.left, other.bottom, other.right)

    def text(self) -> str:
        def end(i, row, col):
            return f"{'$' if self.col_abs[i] else ''}{col_letters(col)}{'$' if self.row_abs[i] else ''}{row}"

        first = end(0, self.top, self.left)
        if (self.top, self.left) == (self.bottom, self.right):
            return first
        return f"{first}:{end(1, self.bottom, self.right)}"


@record(frozen=True)
class Parsed:
    text: str  # the formula as written, with its '='
    tokens: tuple[tuple[str, str, str], ...]  # (value, type, subtype), openpyxl's token kinds
    refs: tuple[Ref | None, ...]  # one per token: the reference a RANGE token names, else None
    functions: tuple[str, ...]  # called functions, upper case, without Excel's _xlfn. prefixes
    names: tuple[str, ...]  # operands that are neither cells nor constants: defined names
    outside: str | None  # a reference outside this workbook (external link, DDE) as written
    unparsable: bool = False
    tree: tuple | None = None  # the syntax tree (see `Tree`); None when unparsable

    @property
    def references(self) -> list[Ref]:
        return [r for r in self.refs if r is not None]

    def canonical(self, shift: int = 0, row_shift: int = 0) -> str:
        """The formula in a form that compares equal when only spacing, case or sheet quoting differ.

        With shift (and row_shift), relative columns (rows) are first moved by it: formulas filled
        across (or down) from one cell have the same canonical form once each is shifted back by
        its own offset.
        """
        if self.unparsable:
            return re.sub(r"\s+", "", self.text).upper()
        out = []
        for (value, kind, sub), ref in zip(self.tokens, self.refs):
            if kind == "WHITE-SPACE":
                continue
            if ref is not None:
                moved = ref.shifted(shift, row_shift) if shift or row_shift else ref
                where = "" if ref.sheet is None else ref.sheet.upper() + "!"
                out.append(where + (moved.text() if moved is not None else "#REF!"))
            elif kind == "FUNC" and sub == "OPEN":
                out.append(FUNCTION_PREFIX.sub("", value.upper()))
            elif kind == "OPERAND" and sub == "TEXT":
                out.append(value)
            else:
                out.append(value.upper())
        return "".join(out)


def _tokenizer():
    """openpyxl's Tokenizer class, without importing the rest of openpyxl."""
    try:
        spec = importlib.util.find_spec("openpyxl")
        path = Path(spec.origin).parent / "formula" / "tokenizer.py"
        mod_spec = importlib.util.spec_from_file_location("sheetnet.formula._openpyxl_tokenizer", path)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        return module.Tokenizer
    except Exception:  # an unusual install: the ordinary, slower import
        from openpyxl.formula.tokenizer import Tokenizer

        return Tokenizer


_TOKENIZER = None


@lru_cache(maxsize=4096)
def parse(formula: str) -> Parsed:
    """Parse one formula ('=…'). Never raises: what cannot be parsed is marked unparsable."""
    global _TOKENIZER
    text = formula if formula.startswith("=") else "=" + formula
    if "|" in _STRINGS.sub("", text):  # DDE: =cmd|'/c calc'!A0 — names a program to run
        return Parsed(text, (), (), (), (), outside=text[1:], unparsable=True)
    if _TOKENIZER is None:
        _TOKENIZER = _tokenizer()
    try:
        items = _TOKENIZER(text).items
    except Exception:
        return Parsed(text, (), (), (), (), outside=None, unparsable=True)
    tokens, refs, functions, names = [], [], [], []
    outside = None
    for t in items:
        tokens.append((t.value, t.type, t.subtype))
        ref = None
        if t.type == "FUNC" and t.subtype == "OPEN":
            functions.append(FUNCTION_PREFIX.sub("", t.value[:-1].upper()))
        elif t.type == "OPERAND" and t.subtype == "RANGE":
            found = _operand(t.value)
            if isinstance(found, Ref):
                ref = found
            elif found == "outside":
                outside = outside or t.value
            else:
                names.append(t.value)
        refs.append(ref)
    tree = None
    try:
        tree = _Trees(tokens, refs).formula()
    except (_NotAFormula, RecursionError):  # nested past Python's stack: not a formula we evaluate
        pass
    return Parsed(text, tuple(tokens), tuple(refs), tuple(functions), tuple(names), outside, tree is None, tree)


def _operand(text: str) -> Ref | str:
    """A RANGE operand → its Ref, 'outside' (another workbook), or 'name' (a defined name)."""
    sheet, bang, address = text.rpartition("!")
    if "[" in text:  # [1]Sheet1!A1, 'C:\path\[book.xlsx]Sheet'!A1, [1]!name
        return "outside"
    if bang:
        if sheet.startswith("'") and sheet.endswith("'") and len(sheet) >= 2:
            sheet = sheet[1:-1].replace("''", "'")
    else:
        sheet, address = None, text
    a = address.upper()
    if m := _CELLS.match(a):
        c1, r1 = col_number(m.group(2)), int(m.group(4))
        if m.group(6):
            c2, r2 = col_number(m.group(6)), int(m.group(8))
            abs2 = (m.group(5) == "$", m.group(7) == "$")
        else:
            c2, r2, abs2 = c1, r1, (m.group(1) == "$", m.group(3) == "$")
        if not (1 <= min(r1, r2) and max(r1, r2) <= MAX_ROWS and 1 <= min(c1, c2) and max(c1, c2) <= MAX_COLS):
            return "name"
        return Ref(sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2),
                   (m.group(1) == "$", abs2[0]), (m.group(3) == "$", abs2[1]))
    if m := re.match(_COLUMNS, a):
        c1, c2 = col_number(m.group(2)), col_number(m.group(4))
        if max(c1, c2) > MAX_COLS:
            return "name"
        return Ref(sheet, 1, min(c1, c2), MAX_ROWS, max(c1, c2), (m.group(1) == "$", m.group(3) == "$"), (True, True))
    if m := re.match(_ROWS, a):
        r1, r2 = int(m.group(2)), int(m.group(4))
        if not 1 <= min(r1, r2) <= max(r1, r2) <= MAX_ROWS:
            return "name"
        return Ref(sheet, min(r1, r2), 1, max(r1, r2), MAX_COLS, (True, True), (m.group(1) == "$", m.group(3) == "$"))
    return "name"




# -- the syntax tree ---------------------------------------------------------------------------------
# Nodes are tuples: ("num", float), ("str", text), ("bool", b), ("err", "#DIV/0!"), ("ref", k) — the
# k-th reference of Parsed.references —, ("name", NAME), ("missing",) an empty argument, ("neg", x),
# ("pct", x), ("bin", op, a, b), ("fn", NAME, (args…)), ("array", ((row…), …)) a constant array, and
# ("outside", text) a reference to another workbook (never evaluated).
Tree = tuple

# Excel's precedence: negation, %, ^, * /, + -, &, comparisons (all left-associative)
_INFIX = {"^": 5, "*": 4, "/": 4, "+": 3, "-": 3, "&": 2, "=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1}


class _NotAFormula(Exception):
    pass


class _Trees:
    """A precedence parser over openpyxl's tokens (whitespace dropped)."""

    def __init__(self, tokens, refs):
        self.items, self.refs, k = [], [], 0
        for (value, kind, sub), ref in zip(tokens, refs):
            if kind == "WHITE-SPACE":
                continue
            if ref is not None:
                self.items.append((value, "REF", k))
                k += 1
            else:
                self.items.append((value, kind, sub))
        self.at = 0

    def formula(self) -> Tree:
        if not self.items:
            raise _NotAFormula
        tree = self.expression(0)
        if self.at != len(self.items):
            raise _NotAFormula  # e.g. two operands side by side (the intersection operator)
        return tree

    def peek(self):
        return self.items[self.at] if self.at < len(self.items) else (None, None, None)

    def expression(self, level: int) -> Tree:
        left = self.unary()
        while True:
            value, kind, _ = self.peek()
            if kind != "OPERATOR-INFIX" or value not in _INFIX or _INFIX[value] < level:
                return left
            self.at += 1
            left = ("bin", value, left, self.expression(_INFIX[value] + 1))

    def unary(self) -> Tree:
        value, kind, _ = self.peek()
        if kind == "OPERATOR-PREFIX":
            self.at += 1
            operand = self.unary()
            return ("neg", operand) if value == "-" else operand
        node = self.primary()
        while self.peek()[1] == "OPERATOR-POSTFIX":
            self.at += 1
            node = ("pct", node)
        return node

    def primary(self) -> Tree:
        value, kind, sub = self.peek()
        self.at += 1
        if kind == "REF":
            return ("ref", sub)
        if kind == "OPERAND":
            if sub == "NUMBER":
                try:
                    return ("num", float(value))
                except ValueError:
                    raise _NotAFormula from None
            if sub == "TEXT":
                return ("str", value[1:-1].replace('""', '"'))
            if sub == "LOGICAL":
                return ("bool", value.upper() == "TRUE")
            if sub == "ERROR":
                return ("err", value.upper())
            if "[" in value or "|" in value:
                return ("outside", value)
            return ("name", value.upper())
        if kind == "FUNC" and sub == "OPEN":
            return ("fn", FUNCTION_PREFIX.sub("", value[:-1].upper()), self.arguments(("FUNC", "CLOSE")))
        if kind == "PAREN" and sub == "OPEN":
            inner = self.expression(0)
            if self.peek()[1:] != ("PAREN", "CLOSE"):
                raise _NotAFormula
            self.at += 1
            return inner
        if kind == "ARRAY" and sub == "OPEN":
            return self.array()
        raise _NotAFormula

    def arguments(self, close) -> tuple:
        args = []
        if self.peek()[1:] == close:
            self.at += 1
            return ()
        while True:
            if self.peek()[1:] in (("SEP", "ARG"), close):
                args.append(("missing",))
            else:
                args.append(self.expression(0))
            value, kind, sub = self.peek()
            self.at += 1
            if (kind, sub) == ("SEP", "ARG"):
                continue
            if (kind, sub) == close:
                return tuple(args)
            raise _NotAFormula

    def array(self) -> Tree:
        rows, row = [], []
        while True:
            node = self.unary()
            if node[0] not in ("num", "str", "bool", "err") and not (node[0] == "neg" and node[1][0] == "num"):
                raise _NotAFormula
            row.append(("num", -node[1][1]) if node[0] == "neg" else node)
            value, kind, sub = self.peek()
            self.at += 1
            if (kind, sub) == ("SEP", "ARG"):
                continue
            rows.append(tuple(row))
            row = []
            if (kind, sub) == ("SEP", "ROW"):
                continue
            if (kind, sub) == ("ARRAY", "CLOSE") and len({len(r) for r in rows}) == 1:
                return ("array", tuple(rows))
            raise _NotAFormula


# -- the family key: the formula in relative form, without a tokenizer --------------------------------
_KEY = re.compile(r"""("(?:[^"]|"")*")"""  # a string constant, kept as written
                  r"|(?<![\w.$'])(?:('(?:[^']|'')+'|[^\W\d][\w.]*)!)?"  # an optional sheet …
                  r"(?:(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7})(?::(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7}))?"  # … cells
                  r"|(\$?)([A-Z]{1,3}):(\$?)([A-Z]{1,3})|(\$?)([0-9]{1,7}):(\$?)([0-9]{1,7}))(?![\w.(!:])"  # columns, rows
                  r"|\s+")
_COLUMN_OF: dict[str, int] = {}


def _column(letters: str) -> int:
    n = _COLUMN_OF.get(letters)
    if n is None:
        n = _COLUMN_OF[letters] = col_number(letters)
    return n


def family_key(formula: str, row: int, col: int) -> str:
    """The formula with each reference relative to (row, col) — equal for every cell one formula was
    filled to — in upper case without spaces (string constants as written). Not a parser: two texts
    of one formula can differ here (a sheet named with its quotes), never two different formulas."""
    text = formula.upper() if '"' not in formula else "".join(
        part if k % 2 else part.upper() for k, part in enumerate(re.split(r'("(?:[^"]|"")*")', formula)))
    if "_XL" in text:
        text = text.replace("_XLFN.", "").replace("_XLWS.", "")

    def relative(m) -> str:
        g = m.groups()
        if g[0] is not None:
            return g[0]
        if g[2] is None and g[10] is None and g[14] is None:
            return ""  # whitespace
        sheet = g[1]
        out = "" if sheet is None else (sheet[1:-1].replace("''", "'") if sheet[0] == "'" else sheet) + "!"
        if g[3] is not None:
            c, r = _column(g[3]), int(g[5])
            out += (f"R{r}" if g[4] else f"r{r - row}") + (f"C{c}" if g[2] else f"c{c - col}")
            if g[7] is not None:
                c, r = _column(g[7]), int(g[9])
                out += ":" + (f"R{r}" if g[8] else f"r{r - row}") + (f"C{c}" if g[6] else f"c{c - col}")
            return out
        if g[11] is not None:
            a, b = _column(g[11]), _column(g[13])
            return out + (f"C{a}" if g[10] else f"c{a - col}") + ":" + (f"C{b}" if g[12] else f"c{b - col}")
        a, b = int(g[15]), int(g[17])
        return out + (f"R{a}" if g[14] else f"r{a - row}") + ":" + (f"R{b}" if g[16] else f"r{b - row}")

    return _KEY.sub(relative, text)
