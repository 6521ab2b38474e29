"""A formula's tree evaluated at many cells at once: one family (one formula filled across and down).

`Cells` says where: the family's cells and, for each reference of the tree, the rectangle it names at
each cell (relative references move with the cell, absolute ones do not — the family worked that out).
The result is one value per cell (the top-left of an array result, as a spreadsheet shows a formula
that is not an array formula), or the whole array for an array formula.

Spreadsheet semantics where they matter: a range where one value belongs takes the implicit
intersection with the cell's row or column (#VALUE! without one, as LibreOffice and Excel do);
SUMPRODUCT, MMULT and SUMXMY2 evaluate their arguments as arrays; SUM and its kin read a range
directly (skipping text and blanks, not errors); an error value propagates through arithmetic.
Only the functions in sheetnet.formula.functions are evaluated: any other gives #NAME? and is recorded
in `Evaluation.unknown` — the caller reports it, nothing is ever run.
"""

from __future__ import annotations

import numpy as np

from sheetnet.formula import values as fv
from sheetnet.formula.grid import Book, SheetGrid
from sheetnet.formula.syntax import Parsed
from sheetnet.formula.values import BLANK, BOOL, NA, NAME, NULL, NUM, REF, TEXT, VALUE, V
from sheetnet.record import field, record

MAX_ELEMENTS = 20_000_000  # one reference's cells over all the family's cells; beyond: not evaluated


class NotEvaluated(Exception):
    """The formula (at these cells) is outside what sheetnet evaluates: too large, an odd shape."""


@record
class Cells:
    """The cells of one family on `sheet`, and the rectangle each reference names at each of them."""

    sheet: str
    rows: np.ndarray  # (m,)
    cols: np.ndarray  # (m,)
    corners: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # per reference: top, left, bottom, right
    ref_sheets: list[str | None] = field(default_factory=list)  # per reference: its sheet (None: the cells')
    # per (reference, how it is read, the sheet's shape): the addresses it reads (see Evaluation.addresses) —
    # they depend on the corners alone, so a family's Cells kept for a class check (Family.cells: from the
    # second workbook on) works them out once
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def m(self) -> int:
        return len(self.rows)

    def take(self, index) -> "Cells":
        """At some of the cells (an absolute corner is one number for all of them: kept as it is)."""
        return Cells(self.sheet, self.rows[index], self.cols[index],
                     [tuple(c[index] if np.ndim(c) else c for c in cs) for cs in self.corners], self.ref_sheets)


class Evaluation:
    """Evaluates one parsed formula at `cells` over `book` (see the module)."""

    def __init__(self, parsed: Parsed, book: Book, cells: Cells):
        self.parsed, self.book, self.cells = parsed, book, cells
        self.m = cells.m
        self.unknown: set[str] = set()  # functions and names it could not evaluate
        self.dialect = book.dialect

    def value(self, array: bool = False) -> V:
        """(m, 1, 1): each cell's value; array=True (an array formula): (m, h, w), the whole result."""
        tree = self.parsed.tree
        if tree is None:
            raise NotEvaluated("unparsable")
        v = self.node(tree, array)
        if v.shape[0] != self.m:
            v = V(np.broadcast_to(v.num, (self.m, *v.shape[1:])),
                  None if v.kind is None else np.broadcast_to(v.kind, (self.m, *v.shape[1:])),
                  None if v.text is None else np.broadcast_to(v.text, (self.m, *v.shape[1:])))
        v = v if array else v.element(0, 0)
        if v.kind is not None and (v.kind == BLANK).any():  # a formula that shows an empty cell shows 0
            v = fv.from_kinds(np.where(v.kind == BLANK, 0.0, v.num), np.where(v.kind == BLANK, NUM, v.kind).astype(np.int8),
                              v.text)
        return v

    # -- nodes ------------------------------------------------------------------------------------
    def node(self, n, array: bool) -> V:
        kind = n[0]
        if kind == "num":
            return fv.number(n[1])
        if kind == "ref":
            return self.reference(n[1], array)
        if kind == "bin":
            return binary(n[1], self.node(n[2], array), self.node(n[3], array), self.dialect)
        if kind == "fn":
            from sheetnet.formula.functions import FUNCTIONS

            f = FUNCTIONS.get(n[1])
            if f is None:
                self.unknown.add(n[1])
                return fv.error(1, NAME)
            return f(self, n[2], array)
        if kind == "neg":
            num, err = fv.numbers(self.node(n[1], array))
            return fv.with_errors(-num, err)
        if kind == "pct":
            num, err = fv.numbers(self.node(n[1], array))
            return fv.with_errors(num / 100.0, err)
        if kind == "str":
            return fv.text_value(n[1])
        if kind == "bool":
            return fv.boolean(n[1])
        if kind == "err":
            return fv.error(1, fv.ERROR_CODE.get(n[1], VALUE))
        if kind == "name":
            return self.named(n[1], array)
        if kind == "missing":
            return fv.number(0.0)
        if kind == "array":
            return _constant_array(n[1])
        self.unknown.add(n[1][:40] if kind == "outside" else kind)
        return fv.error(1, REF)

    def operand(self, n, array: bool, whole: bool) -> V:
        """An argument: a reference read whole (whole=True: SUM(A1:A9), COUNTIF's range), else evaluated."""
        if whole and n[0] == "ref":
            return self.reference(n[1], array=True, clip=True)
        if whole and n[0] == "name":
            return self.named(n[1], array=True, clip=True)
        return self.node(n, array)

    def is_range(self, n) -> bool:
        return n[0] in ("ref", "name")

    # -- references -------------------------------------------------------------------------------
    def reference(self, k: int, array: bool, clip: bool = False) -> V:
        top, left, bottom, right = self.cells.corners[k]
        sheet = self.cells.ref_sheets[k] if k < len(self.cells.ref_sheets) else None
        return self.rectangle(sheet, top, left, bottom, right, array, clip, key=(k, array, clip))

    def named(self, name: str, array: bool, clip: bool = False) -> V:
        found = self.book.name(name, self.cells.sheet)
        if found is None:
            self.unknown.add(name)
            return fv.error(1, NAME)
        if found.corners is None:
            value = found.value
            return fv.text_value(value) if isinstance(value, str) else (
                fv.boolean(value) if isinstance(value, bool) else fv.number(value))
        top, left, bottom, right = found.corners
        return self.rectangle(found.sheet, top, left, bottom, right, array, clip)

    def rectangle(self, sheet, top, left, bottom, right, array: bool, clip: bool, key=None) -> V:
        """The values a reference names at each cell. key: the reference's (index, array, clip), under which
        its addresses are kept in the Cells' memo for the next workbook (a small one's: they are a few
        arrays of the reference's size)."""
        grid = self.book.grid(sheet if sheet is not None else self.cells.sheet)
        if grid is None:
            return fv.error(1, REF)
        shape = grid.shape
        at = None if key is None else self.cells.memo.get((key, shape))
        if at is None:
            at = self.addresses(shape, top, left, bottom, right, array, clip)
            if key is not None and all(a is None or np.size(a) <= MEMO_ELEMENTS for a in at[:3]):
                self.cells.memo[(key, shape)] = at
        rows, cols, flat, ok = at
        if ok is _NONE:
            return fv.error(self.m, VALUE)
        v = grid.gather_flat(flat) if flat is not None and type(grid) is SheetGrid else grid.gather(rows, cols)
        if ok is None:
            return v
        kind = np.where(ok[:, None, None], v.kinds, VALUE).astype(np.int8)
        return fv.from_kinds(np.where(ok[:, None, None], v.num, np.nan), kind, v.text)

    def addresses(self, shape, top, left, bottom, right, array: bool, clip: bool):
        """What a rectangle reads on a sheet of `shape`, from its corners at each cell alone: (rows, cols,
        flat, ok) — the addresses, broadcast together ((m, h, 1) and (m, 1, w) for a range), their flat
        index into the sheet's block when all of them are inside it (else None), and for a range where one
        value belongs (its implicit intersection with the cell's row or column) which cells have one: None
        when all do, _NONE when none can (a range of several rows and columns)."""
        top, left, bottom, right = (np.asarray(x).reshape(-1) for x in (top, left, bottom, right))
        if clip:  # a whole column: what lies beyond the used cells is blank, which SUM & co. skip
            R, C = shape
            bottom, right = np.minimum(bottom, max(R - 1, 1)), np.minimum(right, max(C - 1, 1))
            bottom, right = np.maximum(bottom, top), np.maximum(right, left)
        heights, widths = bottom - top, right - left
        if heights.min() != heights.max() or widths.min() != widths.max():
            raise NotEvaluated("a reference that changes size from cell to cell")
        h, w = int(heights[0]) + 1, int(widths[0]) + 1
        ok = None
        if h * w > 1 and not array:
            rows, cols, ok = self.intersection(top, left, bottom, right, h, w)
            if ok is _NONE:
                return rows, cols, None, ok
        else:
            if max(len(top), 1) * h * w > MAX_ELEMENTS:
                raise NotEvaluated("a range too large to evaluate")
            rows = top[:, None, None] + np.arange(h)[None, :, None]
            cols = left[:, None, None] + np.arange(w)[None, None, :]
        R, C = shape
        inside = rows.size and cols.size and rows.min() >= 0 and cols.min() >= 0 and rows.max() < R and cols.max() < C
        flat = rows * C + cols if inside else None
        for a in (rows, cols, flat, ok):
            if isinstance(a, np.ndarray):
                a.flags.writeable = False  # (kept in the memo: shared by every workbook's evaluation)
        return rows, cols, flat, ok

    def intersection(self, top, left, bottom, right, h, w):
        """A range where one value belongs: the cell in the formula's own row (a 1-column range) or
        column (a 1-row range), #VALUE! when there is none: (rows, cols, ok) with ok as in addresses."""
        rows, cols = self.cells.rows, self.cells.cols
        if h > 1 and w > 1:
            return None, None, _NONE
        if w == 1:
            ok = (top <= rows) & (rows <= bottom)
            r, c = np.where(ok, rows, top), np.broadcast_to(left, rows.shape)
        else:
            ok = (left <= cols) & (cols <= right)
            r, c = np.broadcast_to(top, cols.shape), np.where(ok, cols, left)
        return r[:, None, None], c[:, None, None], None if ok.all() else ok


_NONE = "none"  # (addresses: a range of several rows and columns where one value belongs: #VALUE! at every cell)
MEMO_ELEMENTS = 8192  # addresses kept per reference at most (64 KB an array)


def _constant_array(rows) -> V:
    h, w = len(rows), len(rows[0])
    num = np.full((1, h, w), np.nan)
    kind = np.zeros((1, h, w), dtype=np.int8)
    text = np.full((1, h, w), None, dtype=object)
    for i, row in enumerate(rows):
        for j, (k, x) in enumerate(row):
            if k == "num":
                num[0, i, j], kind[0, i, j] = x, NUM
            elif k == "bool":
                num[0, i, j], kind[0, i, j] = float(x), BOOL
            elif k == "str":
                kind[0, i, j], text[0, i, j] = TEXT, x
            else:
                kind[0, i, j] = fv.ERROR_CODE.get(x, VALUE)
    return fv.from_kinds(num, kind, text)


# -- operators --------------------------------------------------------------------------------------
_ARITHMETIC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power}


def binary(op: str, a: V, b: V, dialect: str = "excel") -> V:
    if op in _ARITHMETIC:
        if a.kind is None and b.kind is None:  # the common case: numbers only
            with np.errstate(all="ignore"):
                num = _ARITHMETIC[op](a.num, b.num)
            if np.isfinite(num).all():
                return V(num)
            return fv.with_errors(num, _division_errors(op, a.num, b.num))
        (a, b), _ = fv.broadcast(a, b)
        x, ea = fv.numbers(a)
        y, eb = fv.numbers(b)
        with np.errstate(all="ignore"):
            num = _ARITHMETIC[op](x, y)
        return fv.with_errors(num, fv.first_error(fv.first_error(ea, eb), _division_errors(op, x, y)))
    if op == "&":
        return _join(a, b)
    return compare(op, a, b, dialect)


def _division_errors(op, x, y) -> np.ndarray | None:
    if op == "/":
        zero = np.broadcast_to(y == 0, np.broadcast_shapes(np.shape(x), np.shape(y)))
        return np.where(zero, fv.DIV0, 0).astype(np.int8) if zero.any() else None
    if op == "^":
        zero = (np.asarray(x) == 0) & (np.asarray(y) < 0)
        return np.where(zero, fv.DIV0, 0).astype(np.int8) if np.any(zero) else None
    return None


_ORDER = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater, "<=": np.less_equal,
          ">=": np.greater_equal}


def compare(op: str, a: V, b: V, dialect: str = "excel") -> V:
    """=, <>, <, >, <=, >=: numbers by value, text without regard to case, numbers before text before
    booleans (in LibreOffice a boolean is a number); a blank is 0 beside a number and "" beside text."""
    if a.kind is None and b.kind is None:
        with np.errstate(invalid="ignore"):
            return fv.boolean(_ORDER[op](a.num, b.num))
    (a, b), shape = fv.broadcast(a, b)
    ka, kb = np.broadcast_to(a.kinds, shape), np.broadcast_to(b.kinds, shape)
    na, nb = np.broadcast_to(a.num, shape), np.broadcast_to(b.num, shape)
    num_like = (NUM, BOOL) if dialect == "libreoffice" else (NUM,)
    ca, cb = _class(ka, kb, num_like), _class(kb, ka, num_like)
    out = np.zeros(shape, dtype=bool)
    same = ca == cb
    numeric = same & (ca != 1)
    with np.errstate(invalid="ignore"):
        out[numeric] = _ORDER[op](np.where(ka == BLANK, 0.0, na)[numeric], np.where(kb == BLANK, 0.0, nb)[numeric])
    texts = same & (ca == 1)
    if texts.any():
        ta = np.broadcast_to(a.texts(), shape)[texts]
        tb = np.broadcast_to(b.texts(), shape)[texts]
        out[texts] = [bool(_ORDER[op](x.lower(), y.lower())) for x, y in zip(ta, tb)]
    mixed = ~same
    out[mixed] = _ORDER[op](ca[mixed], cb[mixed])
    err = fv.first_error(np.where(ka >= NULL, ka, 0).astype(np.int8), np.where(kb >= NULL, kb, 0).astype(np.int8))
    result = fv.boolean(out)
    if err is not None and err.any():
        kind = np.where(err != 0, err, BOOL).astype(np.int8)
        return fv.from_kinds(np.where(err != 0, np.nan, result.num), kind)
    return result


def _class(k: np.ndarray, other: np.ndarray, num_like) -> np.ndarray:
    """0 number, 1 text, 2 boolean; a blank takes the other side's class (0 if that is blank too)."""
    out = np.where(np.isin(k, num_like), 0, np.where(k == TEXT, 1, np.where(k == BOOL, 2, -1)))
    other_class = np.where(np.isin(other, num_like), 0, np.where(other == TEXT, 1, np.where(other == BOOL, 2, 0)))
    return np.where(k == BLANK, other_class, out)


def _join(a: V, b: V) -> V:
    (a, b), shape = fv.broadcast(a, b)
    ka, kb = np.broadcast_to(a.kinds, shape), np.broadcast_to(b.kinds, shape)
    err = fv.first_error(np.where(ka >= NULL, ka, 0).astype(np.int8), np.where(kb >= NULL, kb, 0).astype(np.int8))
    ta, tb = _as_text(a, shape), _as_text(b, shape)
    text = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        text[index] = ta[index] + tb[index]
    kind = np.full(shape, TEXT, dtype=np.int8)
    if err is not None:
        kind = np.where(err != 0, err, kind).astype(np.int8)
    return fv.from_kinds(np.full(shape, np.nan), kind, text)


def _as_text(v: V, shape) -> np.ndarray:
    kind, num = np.broadcast_to(v.kinds, shape), np.broadcast_to(v.num, shape)
    texts = np.broadcast_to(v.texts(), shape)
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        k = kind[index]
        out[index] = (fv.general(float(num[index])) if k == NUM else ("TRUE" if num[index] else "FALSE") if k == BOOL
                      else texts[index] if k == TEXT else "")
    return out


__all__ = ["Cells", "Evaluation", "NotEvaluated", "binary", "compare", "NA"]
