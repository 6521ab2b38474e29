"""Spreadsheet values for many cells at once: numbers, text, booleans, blanks and error values.

A value is three arrays of one shape (cells, rows, cols) — one formula's result at m cells, each an
h×w array (1×1 for a single value): `num` the number (a boolean's 0/1), `kind` what it is (BLANK,
NUM, BOOL, TEXT or an error code), `text` the text of text cells (None when there is none). `kind` is
None when every element is a number: the common case costs one NumPy operation per step.

Error values follow the spreadsheet: arithmetic on an error gives that error, on text #VALUE!, a
division by zero #DIV/0!, a result that is not a finite number #NUM!.
"""

from __future__ import annotations

import numpy as np

BLANK, NUM, BOOL, TEXT = 0, 1, 2, 3
NULL, DIV0, VALUE, REF, NAME, NUMERR, NA = 8, 9, 10, 11, 12, 13, 14  # error values: kind ≥ NULL
NOVALUE = 15  # a formula saved without its value: unknown, and so is everything computed from it
ERROR_TEXT = {NULL: "#NULL!", DIV0: "#DIV/0!", VALUE: "#VALUE!", REF: "#REF!", NAME: "#NAME?", NUMERR: "#NUM!",
              NA: "#N/A"}
ERROR_CODE = {text: code for code, text in ERROR_TEXT.items()}


class V:
    """A value at m cells (see the module): num, kind (None: all numbers), text (None: no text)."""

    __slots__ = ("num", "kind", "text")

    def __init__(self, num: np.ndarray, kind: np.ndarray | None = None, text: np.ndarray | None = None):
        self.num, self.kind, self.text = num, kind, text

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.num.shape

    @property
    def kinds(self) -> np.ndarray:
        """kind, as an array even when every element is a number."""
        return np.full(self.num.shape, NUM, dtype=np.int8) if self.kind is None else self.kind

    @property
    def all_numbers(self) -> bool:
        return self.kind is None

    def texts(self) -> np.ndarray:
        """The text of each element ('' where there is none)."""
        if self.text is None:
            return np.full(self.num.shape, "", dtype=object)
        return np.where(self.kinds == TEXT, self.text, "")

    def element(self, i: int, j: int) -> "V":
        """Each cell's element (i, j) as a 1×1 value (#N/A beyond the array, a row or column repeated)."""
        m, h, w = self.shape
        if (h > 1 and i >= h) or (w > 1 and j >= w):
            return error(m, NA)
        i, j = min(i, h - 1), min(j, w - 1)
        cut = (slice(None), slice(i, i + 1), slice(j, j + 1))
        return V(self.num[cut], None if self.kind is None else self.kind[cut],
                 None if self.text is None else self.text[cut])

    def take(self, index) -> "V":
        """The value at some of its cells (index into the first axis)."""
        return V(self.num[index], None if self.kind is None else self.kind[index],
                 None if self.text is None else self.text[index])


def number(x: float, m: int = 1) -> V:
    return V(np.full((m, 1, 1), float(x)))


def text_value(s: str, m: int = 1) -> V:
    return V(np.full((m, 1, 1), np.nan), np.full((m, 1, 1), TEXT, dtype=np.int8), np.full((m, 1, 1), s, dtype=object))


def boolean(b, m: int = 1) -> V:
    b = np.broadcast_to(np.asarray(b, dtype=bool), (m, 1, 1)) if np.ndim(b) == 0 else np.asarray(b, dtype=bool)
    return V(b.astype(float), np.full(b.shape, BOOL, dtype=np.int8))


def blank(m: int = 1) -> V:
    return V(np.full((m, 1, 1), np.nan), np.full((m, 1, 1), BLANK, dtype=np.int8))


def error(m: int, code: int, shape: tuple[int, int] = (1, 1)) -> V:
    return V(np.full((m, *shape), np.nan), np.full((m, *shape), code, dtype=np.int8))


def from_kinds(num: np.ndarray, kind: np.ndarray, text: np.ndarray | None = None) -> V:
    """A value whose kind array collapses to None when every element is a number."""
    if (kind == NUM).all():
        return V(num)
    return V(num, kind, text if text is not None and (kind == TEXT).any() else None)


def with_errors(num: np.ndarray, err: np.ndarray | None) -> V:
    """Numbers, with an error code where err is non-zero; a non-finite number is #NUM!."""
    bad = ~np.isfinite(num)
    if err is None and not bad.any():
        return V(num)
    kind = np.full(num.shape, NUM, dtype=np.int8)
    kind[bad] = NUMERR
    if err is not None:
        kind = np.where(err != 0, err, kind).astype(np.int8)
    return from_kinds(np.where(kind == NUM, num, np.nan), kind)


def numbers(v: V, dialect_bool: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """(numbers, error codes or None) for arithmetic: a blank is 0, a boolean 0/1, text that reads as a
    number is that number (other text: #VALUE!), an error stays that error."""
    if v.kind is None:
        return v.num, None
    kind = v.kind
    num = np.where(kind == BLANK, 0.0, v.num)
    err = np.where(kind >= NULL, kind, 0).astype(np.int8)
    texts = kind == TEXT
    if texts.any():
        for index in zip(*np.nonzero(texts)):
            parsed = _as_number(v.text[index])
            if parsed is None:
                err[index] = VALUE
            else:
                num[index] = parsed
    return num, (err if err.any() else None)


def first_error(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return np.where(a != 0, a, b).astype(np.int8)


def _as_number(s) -> float | None:
    try:
        x = float(str(s).strip())
    except ValueError:
        return None
    return x if np.isfinite(x) else None


def broadcast(*values: V) -> tuple[list[V], tuple[int, int, int]]:
    """Values brought to one shape, as a spreadsheet does in array arithmetic: a 1-row or 1-column
    array is repeated; where one array is smaller than the other, the extra elements are #N/A."""
    m = max(v.shape[0] for v in values)
    h = max(v.shape[1] for v in values)
    w = max(v.shape[2] for v in values)
    out = []
    for v in values:
        vm, vh, vw = v.shape
        if (vh, vw) != (h, w) and not ((vh in (1, h)) and (vw in (1, w))):
            v = _pad(v, h, w)
        out.append(v)
    return out, (m, h, w)


def _pad(v: V, h: int, w: int) -> V:
    m, vh, vw = v.shape
    rows = np.zeros(h, dtype=int) if vh == 1 else np.minimum(np.arange(h), vh - 1)
    cols = np.zeros(w, dtype=int) if vw == 1 else np.minimum(np.arange(w), vw - 1)
    beyond = ((np.arange(h)[:, None] >= vh) & (vh > 1)) | ((np.arange(w)[None, :] >= vw) & (vw > 1))
    at = (slice(None), rows[:, None], cols[None, :])
    kind = v.kinds[at].copy()
    kind[:, beyond] = NA
    num = np.where(kind == NA, np.nan, v.num[at])
    return from_kinds(num, kind, None if v.text is None else v.text[at])


def stack_cells(parts: list[tuple[np.ndarray, V]], m: int) -> V:
    """One value at m cells from values at subsets of them: (indexes, value at those cells) pairs, all of
    one element shape."""
    shape = parts[0][1].shape[1:]
    num = np.full((m, *shape), np.nan)
    if all(v.kind is None for _, v in parts):  # numbers only (the common case): blank only where no part is
        covered = np.zeros(m, dtype=bool)
        for index, v in parts:
            num[index] = np.broadcast_to(v.num, (len(index), *shape))
            covered[index] = True
        if covered.all():
            return V(num)
        kind = np.full((m, *shape), NUM, dtype=np.int8)
        kind[~covered] = BLANK
        return V(num, kind)
    kind = np.full((m, *shape), BLANK, dtype=np.int8)
    text = None
    for index, v in parts:
        num[index] = np.broadcast_to(v.num, (len(index), *shape))
        kind[index] = np.broadcast_to(v.kinds, (len(index), *shape))
        if v.text is not None:
            if text is None:
                text = np.full((m, *shape), None, dtype=object)
            text[index] = np.broadcast_to(v.text, (len(index), *shape))
    return from_kinds(num, kind, text)


def python_value(v: V, index) -> object:
    """One element as Python: float, str (text or '#DIV/0!'), bool, or None (blank)."""
    k = NUM if v.kind is None else int(v.kind[index])
    if k == NUM:
        return float(v.num[index])
    if k == BOOL:
        return bool(v.num[index])
    if k == TEXT:
        return v.text[index]
    if k in (BLANK, NOVALUE):
        return None
    return ERROR_TEXT.get(k, "#VALUE!")


def general(x: float) -> str:
    """A number as text, the way a spreadsheet joins it with & (15 significant digits)."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".15g").upper()
