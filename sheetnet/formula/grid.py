"""What an evaluation reads: each sheet's cells as arrays, the defined names, and the program's dialect.

A sheet is a dense block of arrays over its used rows and columns (1-based, like the sheet); a cell a
student typed far away (XFD1048576) stays in a small dictionary beside it rather than growing the block.
"""

from __future__ import annotations

from itertools import chain, compress
from typing import Callable

import numpy as np

from sheetnet.formula.values import BLANK, BOOL, ERROR_CODE, NOVALUE, NUM, TEXT, VALUE, V, from_kinds
from sheetnet.record import record
from sheetnet.xlsx.sheetxml import ROW_KEY, cell_index, cell_kind, cell_value, kind_letters, value_columns

MAX_DENSE = 40_000_000  # cells of one sheet's block (about 360 MB of arrays at most)


def _kinds(letters: list) -> np.ndarray:
    """Each cell's kind (NUM, TEXT, BOOL, BLANK; VALUE for the rest) from its Cell.kind, by the kind's
    first letter. A big sheet's kinds are one letter or none: read as bytes (sheetxml.kind_letters), with no
    string array made (a 275,000-cell sheet: 35 → 15 ms); any other kind, as a fixed-width string array."""
    n = len(letters)
    if letters.count("n") == n:  # every cell a number
        return np.full(n, NUM, dtype=np.int8)
    codes = kind_letters(letters)
    if codes is not None:
        return _KIND_OF[codes]
    first = np.array(letters, dtype="U1") if n else np.zeros(0, dtype="U1")
    return np.select([first == "n", first == "s", first == "b", first == ""], [NUM, TEXT, BOOL, BLANK],
                     VALUE).astype(np.int8)


_KIND_OF = np.full(256, VALUE, dtype=np.int8)  # a kind's letter (its byte; 0: no letter) → its kind
_KIND_OF[[ord("n"), ord("s"), ord("b"), 0]] = [NUM, TEXT, BOOL, BLANK]


class SheetGrid:
    """One sheet's values: num (float), kind (int8), text (object or None), indexed [row, col] from 1.

    A sheet read from a workbook keeps its few texts (labels) apart, by their place in the block, until
    something asks for `text` whole: an object array over a 250,000-cell sheet is 6.5 MB of Nones, and
    gather() finds the texts it reads without it."""

    def __init__(self, name: str, num: np.ndarray, kind: np.ndarray, text: np.ndarray | None,
                 far: dict[tuple[int, int], tuple[float, int, object]] | None = None,
                 sparse: tuple[np.ndarray, np.ndarray] | None = None):
        self.name, self.num, self.kind, self.text = name, num, kind, text
        self.far = far or {}  # (row, col) → (num, kind, text) beyond the dense block
        # (row * columns + col, sorted; each one's text) of every TEXT cell of the block, while `text` is not made
        self._sparse = sparse if text is None else None

    @property
    def text(self) -> np.ndarray | None:
        if self._text is None and self._sparse is not None:
            at, texts = self._sparse
            self._text = np.full(self.num.shape, None, dtype=object)
            self._text.reshape(-1)[at] = texts
            self._sparse = None
        return self._text

    @text.setter
    def text(self, value: np.ndarray | None) -> None:
        self._text, self._sparse = value, None

    def _texts_at(self, flat: np.ndarray, kind: np.ndarray) -> np.ndarray | None:
        """The text grid's elements at flat indices into the block (`kind`: the kinds there)."""
        if self._sparse is None:
            return self.text.reshape(-1).take(flat) if self.text is not None else None
        at, texts = self._sparse
        out = np.full(flat.shape, None, dtype=object)
        where = kind == TEXT  # the block's TEXT cells are exactly the ones kept apart
        out[where] = texts[np.searchsorted(at, flat[where])]
        return out

    @classmethod
    def of_cells(cls, name: str, cells: dict, reach: tuple[int, int] = (0, 0)) -> "SheetGrid":
        """From the reader's {(row, col): Cell}. reach: rows and columns the block covers at least."""
        n = len(cells)
        index = cell_index(cells)  # the reader's arrays, most often already made by the loader
        columns = None
        if index is None:
            values = list(cells.values())
            rc = np.fromiter(chain.from_iterable(cells), dtype=np.int64, count=2 * n).reshape(n, 2)
        else:
            keys, found = index
            rc = np.stack(np.divmod(keys, ROW_KEY), axis=1)
            columns = value_columns(cells)  # (the Cells' values and kinds as read: no pass over the Cells)
            # the Cells themselves only for the few cells read one by one below (errors, texts, blanks …)
            values = found if columns else found.tolist()
        kinds = _kinds(columns[1] if columns else list(map(cell_kind, values)))
        errors = np.nonzero(kinds == VALUE)[0]
        for i in errors:  # error values: their own codes
            kinds[i] = ERROR_CODE.get(values[i].value, VALUE) if values[i].kind == "e" else VALUE
        blanks = np.nonzero(kinds == BLANK)[0]
        if len(blanks):  # a formula without its saved value: not known (≠ an empty cell)
            kinds[[i for i in blanks if values[i].formula is not None]] = NOVALUE
        rows, cols = _extent(rc, reach)
        near = (rc[:, 0] < rows) & (rc[:, 1] < cols)
        every = bool(near.all())  # (the common case: no cell beyond the block, no mask to apply)
        flat = rc[:, 0] * cols + rc[:, 1]  # each cell's place in the block (row by row)
        num = np.full(rows * cols, np.nan)
        kind = np.zeros(rows * cols, dtype=np.int8)
        sparse = None
        # the numbers straight from the Cells into floats (no object array of every value first), written at
        # their places in the block by one flat index each (cnn-backprop 10's 275,000-cell sheet: 50 → 40 ms)
        numeric = ((kinds == NUM) | (kinds == BOOL)) & near
        count = int(numeric.sum())
        numbers = columns[0] if columns else map(cell_value, values)
        if count == n:
            num[flat] = np.fromiter(numbers, dtype=float, count=n)
        elif count:
            num[flat[numeric]] = np.fromiter(compress(numbers, numeric.tolist()), dtype=float, count=count)
        kind[flat if every else flat[near]] = kinds if every else kinds[near]
        num, kind = num.reshape(rows, cols), kind.reshape(rows, cols)
        texts = np.nonzero((kinds == TEXT) & near)[0]
        if len(texts):
            at = flat[texts]
            order = np.argsort(at, kind="stable")
            raw = np.empty(len(texts), dtype=object)
            raw[:] = [values[i].value for i in texts.tolist()]
            sparse = (at[order], raw[order])
        far = {}
        for i in np.nonzero(~near)[0]:
            c = values[i]
            k = int(kinds[i])
            far[(int(rc[i, 0]), int(rc[i, 1]))] = (float(c.value) if k in (NUM, BOOL) else np.nan, k,
                                                   c.value if k == TEXT else None)
        return cls(name, num, kind, None, far, sparse)

    @classmethod
    def empty(cls, name: str, shape: tuple[int, int]) -> "SheetGrid":
        return cls(name, np.full(shape, np.nan), np.zeros(shape, dtype=np.int8), None)

    def copy(self) -> "SheetGrid":
        return SheetGrid(self.name, self.num.copy(), self.kind.copy(), None if self.text is None else self.text.copy(),
                         dict(self.far))

    @property
    def shape(self) -> tuple[int, int]:
        return self.num.shape

    def gather(self, rows: np.ndarray, cols: np.ndarray) -> V:
        """The values at rows × cols (broadcast together: (m, h, 1) and (m, 1, w) give (m, h, w))."""
        R, C = self.num.shape
        rows, cols = np.asarray(rows), np.asarray(cols)
        if rows.size and cols.size and rows.min() >= 0 and cols.min() >= 0 and rows.max() < R and cols.max() < C:
            return self.gather_flat(rows * C + cols)  # one index for every array: the common case, all inside the block
        rows, cols = np.broadcast_arrays(rows, cols)
        inside = (rows < R) & (cols < C) & (rows >= 0) & (cols >= 0)
        r, c = np.where(inside, rows, 0), np.where(inside, cols, 0)  # [0, 0]: never a cell: blank
        num, kind = self.num[r, c], self.kind[r, c]
        text = self._texts_at(r * C + c, kind) if self._sparse is not None else (
            self.text[r, c] if self.text is not None else None)
        if self.far:
            num, kind = num.copy(), kind.copy()
            if text is None:
                text = np.full(num.shape, None, dtype=object)
            for index in zip(*np.nonzero(~inside)):
                found = self.far.get((int(rows[index]), int(cols[index])))
                if found is not None:
                    num[index], kind[index], text[index] = found
        return from_kinds(num, kind, text)

    def gather_flat(self, flat: np.ndarray) -> V:
        """The values at flat indices into the block (row * columns + col), every one inside it."""
        kind = self.kind.ravel().take(flat)
        if not (kind - NUM).any():
            return V(self.num.ravel().take(flat))
        text = self._texts_at(flat, kind) if (kind == TEXT).any() else None
        return from_kinds(self.num.ravel().take(flat), kind, text)

    def put(self, rows: np.ndarray, cols: np.ndarray, v: V) -> None:
        """Write values (one per cell: v of shape (m, 1, 1)) at the cells rows[i], cols[i]."""
        R, C = self.num.shape
        need_r, need_c = int(rows.max(initial=0)) + 1, int(cols.max(initial=0)) + 1
        if need_r > R or need_c > C:
            self._grow(max(R, need_r), max(C, need_c))
        num = v.num.reshape(-1)
        kind = v.kinds.reshape(-1)
        self.num[rows, cols] = np.broadcast_to(num, rows.shape)
        self.kind[rows, cols] = np.broadcast_to(kind, rows.shape)
        if v.text is not None or self.text is not None:
            if self.text is None:
                self.text = np.full(self.num.shape, None, dtype=object)
            self.text[rows, cols] = np.broadcast_to(v.text.reshape(-1), rows.shape) if v.text is not None else None

    def _grow(self, R: int, C: int) -> None:
        num, kind = np.full((R, C), np.nan), np.zeros((R, C), dtype=np.int8)
        r, c = self.num.shape
        num[:r, :c], kind[:r, :c] = self.num, self.kind
        if self.text is not None:
            text = np.full((R, C), None, dtype=object)
            text[:r, :c] = self.text
            self.text = text
        self.num, self.kind = num, kind


def _extent(rc: np.ndarray, reach: tuple[int, int]) -> tuple[int, int]:
    """The dense block's rows and columns (+1: index 0 unused): every cell, unless a few far-away
    cells would make it huge; then the block covers the bulk of the cells and what the layout needs."""
    if not len(rc):
        return reach[0] + 1, reach[1] + 1
    rows, cols = int(rc[:, 0].max()) + 1, int(rc[:, 1].max()) + 1
    rows, cols = max(rows, reach[0] + 1), max(cols, reach[1] + 1)
    if rows * cols <= MAX_DENSE:
        return rows, cols
    r99, c99 = (int(np.percentile(rc[:, k], 99.9)) for k in (0, 1))
    rows, cols = max(2 * r99 + 64, reach[0] + 1), max(2 * c99 + 64, reach[1] + 1)
    while rows * cols > MAX_DENSE:
        rows, cols = max(rows // 2, reach[0] + 1), max(cols // 2, reach[1] + 1)
        if rows == reach[0] + 1 and cols == reach[1] + 1:
            break
    return rows, cols


@record
class Name:
    """A defined name: a reference (sheet, top, left, bottom, right) or a constant value."""

    sheet: str | None
    corners: tuple[int, int, int, int] | None
    value: object = None  # a number, text or boolean when the name is a constant


class Book:
    """The workbook an evaluation reads: its sheets (by name, any letter case), its defined names, and
    the dialect of the program that calculated it ('excel' or 'libreoffice': a boolean cell is a number
    in LibreOffice, and SUM over a range skips it in Excel)."""

    def __init__(self, sheet_names: list[str], load: Callable[[str], SheetGrid | None],
                 defined_names: list[tuple[str, str | None, str]] = (), dialect: str = "excel"):
        self.sheet_names = list(sheet_names)
        self._by_upper = {n.upper(): n for n in self.sheet_names}
        self._load = load
        self._grids: dict[str, SheetGrid | None] = {}
        self.dialect = dialect
        self._names = _read_names(defined_names, self.sheet_names)

    def sheet_name(self, name: str) -> str | None:
        return self._by_upper.get(name.upper())

    def grid(self, name: str) -> SheetGrid | None:
        actual = self.sheet_name(name)
        if actual is None:
            return None
        if actual not in self._grids:
            self._grids[actual] = self._load(actual)
        return self._grids[actual]

    def set_grid(self, name: str, grid: SheetGrid) -> None:
        self._grids[self.sheet_name(name) or name] = grid

    def name(self, name: str, sheet: str) -> Name | None:
        """A defined name as a formula on `sheet` sees it: the sheet's own name first, then the workbook's."""
        return self._names.get((name.upper(), (self.sheet_name(sheet) or sheet).upper())) or \
            self._names.get((name.upper(), None))

    def derived(self, grids: dict[str, SheetGrid]) -> "Book":
        """The same workbook with some sheets' values replaced (probes, a recalculation)."""
        other = Book.__new__(Book)
        other.__dict__.update(self.__dict__)
        other._grids = {**self._grids, **{self.sheet_name(k) or k: g for k, g in grids.items()}}
        return other


def _read_names(defined, sheet_names) -> dict[tuple[str, str | None], Name]:
    from sheetnet.formula.syntax import parse

    out = {}
    for name, local, text in defined:
        if not name or not text or name.startswith("_xlnm."):
            continue
        scope = None
        if local is not None:
            try:
                scope = sheet_names[int(local)].upper()
            except (ValueError, IndexError):
                continue
        p = parse("=" + text)
        tree = p.tree
        if tree is None:
            continue
        if tree[0] == "ref":
            r = p.references[0]
            out[(name.upper(), scope)] = Name(r.sheet, (r.top, r.left, r.bottom, r.right))
        elif tree[0] in ("num", "str", "bool"):
            out[(name.upper(), scope)] = Name(None, None, tree[1])
        elif tree[0] == "neg" and tree[1][0] == "num":
            out[(name.upper(), scope)] = Name(None, None, -tree[1][1])
    return out
