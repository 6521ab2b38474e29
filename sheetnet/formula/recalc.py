"""Calculate a workbook saved without values (written by a program that does not calculate), family by
family, in the order the values flow — as a spreadsheet would, without one.

Every formula cell of the sheets asked for is put in its family (sheetnet.formula.family). A family
that reads another's cells comes after it; on a sheet of iteration blocks (chapter 4: block k reads
block k − 1) a family is taken block by block, so the order has no cycle. A family that reads its own
cells (a running image number, =K4+1) is calculated one cell at a time, in reading order. What is left
in a cycle (a circular reference) is calculated once in the order found and reported.
"""

from __future__ import annotations

import numpy as np

from sheetnet.formula.family import Family, group
from sheetnet.formula.grid import Book
from sheetnet.record import record


@record
class _Unit:
    family: Family
    index: np.ndarray  # which of the family's cells
    rows: np.ndarray  # where the values go (a cell of an array formula: the cell itself)
    cols: np.ndarray


def calculate(book: Book, sheets: dict[str, dict], arrays: dict[str, dict], blocks: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """Fill every formula cell of `sheets` ({name: the reader's {(row, col): Cell}}) in `book` with its
    value. arrays: per sheet its array formulas ((row, col) → last cell); blocks: per sheet with iteration
    blocks (first row, rows per block). Returns (cells calculated, cells left in a cycle)."""
    units: list[_Unit] = []
    for name, cells in sheets.items():
        units += _units(name, cells, arrays.get(name, {}), blocks.get(name))
    if not units:
        return 0, 0
    ids = {name: np.full(book.grid(name).shape, -1, dtype=np.int64) for name in sheets if book.grid(name) is not None}
    for k, u in enumerate(units):
        grid_ids = ids.get(u.family.sheet)
        if grid_ids is None:
            continue
        _grow_to(ids, u.family.sheet, u.rows, u.cols)
        ids[u.family.sheet][u.rows, u.cols] = k
    needs = [_reads(book, ids, k, u) for k, u in enumerate(units)]
    order, cyclic = _order(needs)
    done = 0
    for k in order:
        u = units[k]
        if k in needs[k]:
            _one_by_one(book, u)
        else:
            _evaluate(book, u)
        done += len(u.rows)
    return done, sum(len(units[k].rows) for k in cyclic)


def _units(name: str, cells: dict, arrays: dict, block) -> list[_Unit]:
    formulas = [(pos, c.formula) for pos, c in cells.items() if c.formula is not None]
    member_of = {}
    for (r0, c0), (r1, c1) in arrays.items():
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                member_of[(r, c)] = (r0, c0, r - r0, c - c0)
    texts, rows, cols, elements, targets = [], [], [], [], []
    for (r, c), f in formulas:
        if (r, c) in member_of:
            continue
        texts.append(f)
        rows.append(r)
        cols.append(c)
        elements.append(None)
        targets.append((r, c))
    for (r, c), (r0, c0, i, j) in member_of.items():
        origin = cells.get((r0, c0))
        if origin is None or origin.formula is None:
            continue
        texts.append(origin.formula)
        rows.append(r0)
        cols.append(c0)
        elements.append((i, j))
        targets.append((r, c))
    if not texts:
        return []
    rows_a, cols_a = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    families, which = group(name, texts, rows_a, cols_a, elements if any(e is not None for e in elements) else None)
    target = np.array(targets, dtype=np.int64)
    out = []
    for k, f in enumerate(families):
        members = np.nonzero(which == k)[0]
        if block is not None:  # one unit per iteration block: block k reads block k − 1
            first, step = block
            b = np.maximum(target[members, 0] - first, -1) // step
            parts = [members[b == v] for v in np.unique(b)]
        else:
            parts = [members]
        for part in parts:
            index = np.searchsorted(np.nonzero(which == k)[0], part)
            out.append(_Unit(f, index, target[part, 0], target[part, 1]))
    return out


def _grow_to(ids: dict, sheet: str, rows, cols) -> None:
    a = ids[sheet]
    R, C = int(rows.max()) + 1, int(cols.max()) + 1
    if R > a.shape[0] or C > a.shape[1]:
        b = np.full((max(R, a.shape[0]), max(C, a.shape[1])), -1, dtype=np.int64)
        b[:a.shape[0], :a.shape[1]] = a
        ids[sheet] = b


def _reads(book: Book, ids: dict, k: int, u: _Unit) -> set[int]:
    """The units whose cells unit k's formula reads."""
    cells = u.family.cells(u.index)
    out: set[int] = set()
    for j, (top, left, bottom, right) in enumerate(cells.corners):
        sheet = book.sheet_name(cells.ref_sheets[j]) if cells.ref_sheets[j] else u.family.sheet
        a = ids.get(sheet)
        if a is None:
            continue
        top, left, bottom, right = (np.broadcast_to(np.asarray(x), (cells.m,)) for x in (top, left, bottom, right))
        R, C = a.shape
        for t, l, b, r in set(zip(top.tolist(), left.tolist(), bottom.tolist(), right.tolist())):
            if b < 1 or r < 1 or t >= R or l >= C:
                continue
            block = a[max(t, 0):min(b, R - 1) + 1, max(l, 0):min(r, C - 1) + 1]
            found = np.unique(block)
            out |= set(found[found >= 0].tolist())
    return out


def _order(needs: list[set[int]]) -> tuple[list[int], list[int]]:
    """Units in an order where each comes after those it reads (itself aside); then those in a cycle."""
    waiting = [len(n - {k}) for k, n in enumerate(needs)]
    readers: list[list[int]] = [[] for _ in needs]
    for k, n in enumerate(needs):
        for j in n - {k}:
            readers[j].append(k)
    ready = [k for k, w in enumerate(waiting) if w == 0]
    order = []
    while ready:
        k = ready.pop()
        order.append(k)
        for r in readers[k]:
            waiting[r] -= 1
            if waiting[r] == 0:
                ready.append(r)
    placed = set(order)
    cyclic = [k for k in range(len(needs)) if k not in placed]
    return order + cyclic, cyclic


def _evaluate(book: Book, u: _Unit) -> None:
    v = u.family.evaluate(book, u.index)
    if v is None:
        return  # outside what sheetnet evaluates: left without a value (reported by the checker)
    book.grid(u.family.sheet).put(u.rows, u.cols, v)


def _one_by_one(book: Book, u: _Unit) -> None:
    for j in np.lexsort((u.cols, u.rows)):  # reading order
        v = u.family.evaluate(book, u.index[j:j + 1])
        if v is not None:
            book.grid(u.family.sheet).put(u.rows[j:j + 1], u.cols[j:j + 1], v)
