"""Formula families: the cells that hold one formula filled across and down, evaluated together.

A family is every cell whose formula has the same relative (R1C1) form — its `key`. It is parsed once,
at one of its cells (the origin); at any other cell a relative reference has moved by the cell's offset
from the origin and an absolute one has not, so every reference's rectangle at every cell is a few
array operations (`Family.cells`). A cell of an array formula ({=MMULT(…)} over O17:O18) belongs to the
family of its formula's text with its place in the array: its value is that element of the result.

The checker builds families of the student's cells and of the layout's formulas (sheetnet.layout.
evaluate) the same way, so that the two can be compared, and both evaluated, family by family.
"""

from __future__ import annotations

import numpy as np

from sheetnet.formula import values as fv
from sheetnet.formula.evaluate import MEMO_ELEMENTS, Cells, Evaluation, NotEvaluated
from sheetnet.formula.grid import Book
from sheetnet.formula.syntax import Parsed, family_key, parse
from sheetnet.formula.values import V
from sheetnet.record import field, record


@record
class Family:
    key: str  # the formula in relative form ('=SUMPRODUCT(r-6c-3:r-3c-1,R5C4:R8C6)+R5C7'), with its array place
    parsed: Parsed  # parsed at the origin
    sheet: str  # the sheet its cells are on
    origin: tuple[int, int]  # the cell it was parsed at
    rows: np.ndarray  # (m,) where each cell's formula is written (for a cell of an array formula: the array's first cell)
    cols: np.ndarray
    element: tuple[int, int] | None = None  # a cell of an array formula: its place in the array (row, col)
    unknown: set = field(default_factory=set)  # what the last evaluation could not evaluate
    corners: list | None = None  # per reference, its (top, left, bottom, right) at each cell, when given
    # (the layout's formula for a slot: its references move by their own steps; key None unless they
    # all sit the same way relative to every cell)
    _groups: list | None = field(default=None, repr=False, compare=False)  # _by_shape at every cell, once
    _cells: Cells | None = field(default=None, repr=False, compare=False)  # cells() at every cell, kept
    _asked: bool = field(default=False, repr=False, compare=False)  # cells() asked once already

    @property
    def m(self) -> int:
        return len(self.rows)

    @property
    def text(self) -> str:
        return self.parsed.text

    def cells(self, index=None) -> Cells:
        """Where each reference points at each cell (index: only at some of the cells). At every cell, made
        once and kept: with it the addresses its evaluations work out (Cells.memo)."""
        if index is None:
            if self._cells is None:  # kept from the second call on (a class check: every workbook asks again)
                cells = self._cells_at(None)
                if self._asked:
                    self._cells = cells
                self._asked = True
                return cells
            return self._cells
        return self._cells_at(index)

    def of_one_shape(self) -> None:
        """Every reference has one size at every cell (what _by_shape would find, known to the caller): the
        family is evaluated as one group, without asking _by_shape."""
        self._groups = [None]

    def _cells_at(self, index) -> Cells:
        rows, cols = (self.rows, self.cols) if index is None else (self.rows[index], self.cols[index])
        if self.corners is not None:
            corners = self.corners if index is None else [tuple(x[index] for x in c) for c in self.corners]
            return Cells(self.sheet, rows, cols, corners, [r.sheet for r in self.parsed.references])
        dr, dc = rows - self.origin[0], cols - self.origin[1]
        corners = []
        for r in self.parsed.references:
            corners.append((r.top if r.row_abs[0] else r.top + dr, r.left if r.col_abs[0] else r.left + dc,
                            r.bottom if r.row_abs[1] else r.bottom + dr, r.right if r.col_abs[1] else r.right + dc))
        return Cells(self.sheet, rows, cols, corners, [r.sheet for r in self.parsed.references])

    def evaluate(self, book: Book, index=None) -> V | None:
        """Each cell's value (m, 1, 1) over `book`; None when the formula is outside what sheetnet evaluates
        (an unknown function or name — listed in `unknown` —, a link outside the workbook, an odd shape)."""
        self.unknown = set()
        if self.parsed.tree is None or self.parsed.outside:
            self.unknown.add(self.parsed.outside or "unparsable")
            return None
        cells = self.cells(index)
        if cells.m == 0:
            return fv.V(np.zeros((0, 1, 1)))
        if index is not None:
            groups = _by_shape(cells)
            pieces = [cells if group is None else cells.take(group) for group in groups]
        else:  # the same cells every time (the layout's families are evaluated once per workbook of a class)
            if self._groups is None:
                self._groups = _by_shape(cells)
            groups = self._groups
            kept = cells.memo.get("pieces")  # (each group's Cells kept too, with their own memos: a small family's)
            if kept is None or kept[0] is not groups:
                kept = (groups, [cells if group is None else cells.take(group) for group in groups])
                if cells.m <= MEMO_ELEMENTS:
                    cells.memo["pieces"] = kept
            pieces = kept[1]
        parts = []
        for group, part in zip(groups, pieces):
            ev = Evaluation(self.parsed, book, part)
            try:
                v = ev.value(array=self.element is not None)
            except (NotEvaluated, ValueError, IndexError, OverflowError, MemoryError):
                self.unknown.add("too large or an odd shape")
                return None
            self.unknown |= ev.unknown
            if self.element is not None:
                v = v.element(*self.element)
            parts.append((group, v))  # (None: every cell, the one group there is)
        if self.unknown:
            return None
        if len(parts) == 1:
            return parts[0][1]
        return fv.stack_cells(parts, cells.m)


def _by_shape(cells: Cells) -> list:
    """[None] when every reference has one size at every cell; else the cells grouped by their sizes
    (a range anchored at one end, $L$21:L21, grows as it is filled)."""
    if not cells.corners or cells.m < 2:
        return [None]
    sizes = []
    for top, left, bottom, right in cells.corners:
        sizes.append(np.broadcast_to(np.asarray(bottom) - np.asarray(top), (cells.m,)))
        sizes.append(np.broadcast_to(np.asarray(right) - np.asarray(left), (cells.m,)))
    sizes = np.stack(sizes, axis=1)
    if (sizes == sizes[0]).all():
        return [None]
    _, inverse = np.unique(sizes, axis=0, return_inverse=True)
    return [np.nonzero(inverse.reshape(-1) == g)[0] for g in range(inverse.max() + 1)]


def group(sheet: str, texts, rows: np.ndarray, cols: np.ndarray, elements=None) -> tuple[list[Family], np.ndarray]:
    """Cells → families: (families, which family each cell is in). texts[i] is the formula written at
    (rows[i], cols[i]); elements[i] (optional) the cell's place in that array formula, or None."""
    index_of: dict[str, int] = {}
    members: list[list[int]] = []
    which = np.empty(len(rows), dtype=np.int64)
    for i, (text, r, c) in enumerate(zip(texts, rows.tolist(), cols.tolist())):
        key = family_key(text, r, c)
        e = None if elements is None else elements[i]
        if e is not None:
            key = "{" + key + "}@" + f"{e[0]},{e[1]}"
        k = index_of.get(key)
        if k is None:
            k = index_of[key] = len(members)
            members.append([])
        members[k].append(i)
        which[i] = k
    families = []
    for key, k in index_of.items():
        idx = np.array(members[k])
        first = idx[0]
        origin = (int(rows[first]), int(cols[first]))
        families.append(Family(key, parse(texts[first]), sheet, origin, rows[idx], cols[idx],
                               None if elements is None else elements[first]))
    return families, which


def merged(families: list[Family]) -> tuple[list[Family], list[tuple[int, np.ndarray]]]:
    """Families with the same key and sheet as one (one evaluation; a family without a key stays alone):
    (merged families, for each input family (merged index, its cells' positions in the merged one))."""
    groups: list[list[Family]] = []
    sizes: list[int] = []
    where: dict[tuple[str, str, bool], int] = {}
    spans = []
    for f in families:
        token = (f.sheet, f.key, f.corners is not None)
        k = where.get(token) if f.key is not None else None
        if k is None:
            k = len(groups)
            if f.key is not None:
                where[token] = k
            groups.append([])
            sizes.append(0)
        groups[k].append(f)
        spans.append((k, np.arange(sizes[k], sizes[k] + f.m)))
        sizes[k] += f.m
    return [joined(members) for members in groups], spans


def joined(members: list[Family]) -> Family:
    """Families of one formula (one key, or one template's tree with every cell's corners given) as one
    family: their cells one after another."""
    f = members[0]
    if len(members) == 1:
        return Family(f.key, f.parsed, f.sheet, f.origin, f.rows, f.cols, f.element, corners=f.corners)
    rows, cols = np.concatenate([g.rows for g in members]), np.concatenate([g.cols for g in members])
    corners = None
    if f.corners is not None:
        corners = [tuple(np.concatenate([_each(g.corners[r][j], g.m) for g in members])
                         for j in range(len(f.corners[r]))) for r in range(len(f.corners))]
    return Family(f.key, f.parsed, f.sheet, f.origin, rows, cols, f.element, corners=corners)


def _each(a, m: int) -> np.ndarray:
    """A corner at each of m cells (one given for all of them, or already one per cell)."""
    return a if isinstance(a, np.ndarray) and a.shape == (m,) else np.broadcast_to(a, (m,))
