"""Formula text → the cells it reads, the functions it calls, and anything it reaches outside the workbook.

Nothing here evaluates a formula or follows a link. The tokenizer is openpyxl's, loaded on its own:
importing it through the openpyxl package would pull in all of openpyxl (~0.1 s) for one small module.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sheetnet.xlsx.refs import MAX_COLS, MAX_ROWS, col_letters, col_number

# The book's dialect: what its workbooks use, so that every spreadsheet program recomputes them.
BOOK_FUNCTIONS = frozenset(("SUMPRODUCT", "EXP", "MMULT", "SUMXMY2", "MAX", "SUM", "IF", "COUNTIF", "COUNTA"))

_CELLS = re.compile(r"^(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7})(?::(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7}))?$")
_COLUMNS = re.compile(r"^(\$?)([A-Z]{1,3}):(\$?)([A-Z]{1,3})$")
_ROWS = re.compile(r"^(\$?)([0-9]{1,7}):(\$?)([0-9]{1,7})$")
_STRINGS = re.compile(r'"(?:[^"]|"")*"')
_FUNCTION_PREFIX = re.compile(r"^(?:_XLFN\.|_XLWS\.)+")


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Parsed:
    text: str  # the formula as written, with its '='
    tokens: tuple[tuple[str, str, str], ...]  # (value, type, subtype), openpyxl's token kinds
    refs: tuple[Ref | None, ...]  # one per token: the reference a RANGE token names, else None
    functions: tuple[str, ...]  # called functions, upper case, without Excel's _xlfn. prefixes
    names: tuple[str, ...]  # operands that are neither cells nor constants: defined names
    outside: str | None  # a reference outside this workbook (external link, DDE) as written
    unparsable: bool = False

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
                out.append(_FUNCTION_PREFIX.sub("", value.upper()))
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
        mod_spec = importlib.util.spec_from_file_location("sheetnet.check._openpyxl_tokenizer", path)
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
            functions.append(_FUNCTION_PREFIX.sub("", t.value[:-1].upper()))
        elif t.type == "OPERAND" and t.subtype == "RANGE":
            found = _operand(t.value)
            if isinstance(found, Ref):
                ref = found
            elif found == "outside":
                outside = outside or t.value
            else:
                names.append(t.value)
        refs.append(ref)
    return Parsed(text, tuple(tokens), tuple(refs), tuple(functions), tuple(names), outside)


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
    if m := _COLUMNS.match(a):
        c1, c2 = col_number(m.group(2)), col_number(m.group(4))
        if max(c1, c2) > MAX_COLS:
            return "name"
        return Ref(sheet, 1, min(c1, c2), MAX_ROWS, max(c1, c2), (m.group(1) == "$", m.group(3) == "$"), (True, True))
    if m := _ROWS.match(a):
        r1, r2 = int(m.group(2)), int(m.group(4))
        if not 1 <= min(r1, r2) <= max(r1, r2) <= MAX_ROWS:
            return "name"
        return Ref(sheet, min(r1, r2), 1, max(r1, r2), MAX_COLS, (True, True), (m.group(1) == "$", m.group(3) == "$"))
    return "name"


def same_formula(found: str | None, expected: str | None) -> bool:
    """The same formula up to spacing, letter case, sheet-name quoting and Excel's _xlfn. prefixes."""
    if found is None or expected is None:
        return found is expected
    if _squeeze(found) == _squeeze(expected):
        return True
    return parse(found).canonical() == parse(expected).canonical()


def _squeeze(formula: str) -> str:
    return formula.replace(" ", "").upper()
