"""Which root causes each inherited cell inherits from, for every finding at once.

A cell inherits the root causes of the wrong cells its formula reads (those before it in the order the
values flow), and a root cause's own cell adds that root cause. Cell by cell that is `local.reads` (the
layout's template resolved at the cell, each rectangle walked through Places.at) and a set union per
cell: on a workbook where one early quantity is wrong everywhere, tens of thousands of cells, most of a
check's time. Here the rectangles every finding reads come from the layout's family plans
(Layout.formula_plans: a reference's corners at a family's first cell and a step per image and per
iteration block) as arrays, the cells inside them from a grid of the graded cells, and the root causes
travel as bit sets, one array operation per quantity block.
"""

from __future__ import annotations

import numpy as np

from sheetnet.layout.model import references

_MAX_WORDS = 16  # root causes as bits: 64 a word; more than 1,024 root causes go cell by cell (bounded memory)
_GRID_PER_CELL, _GRID_ANYWAY = 8, 1 << 20  # a sheet's grid of cell numbers: up to 8 entries a cell, or 8 MB


class CellIds:
    """Every graded quantity's cells numbered one after another (quantity by quantity, flattened like
    its positions), and per sheet role the way back (row, col) → that number (−1: no graded cell there),
    as Places.at finds them (a later quantity of the layout at the same cell hides an earlier one): a
    grid over the cells' bounding box, or — a box much larger than its cells (many iteration blocks,
    far apart) — the cells' sorted keys, so that memory stays in proportion to the cells."""

    def __init__(self, loaded, graded_names):
        layout, n, k = loaded.layout, loaded.n_images, loaded.n_iterations
        self.start: dict[str, int] = {}
        total = 0
        for name in graded_names:
            self.start[name] = total
            total += int(np.prod(layout.positions(layout[name], n, k).shape[:-1]))
        self.total = total
        cells: dict[str, list] = {}  # role → [(rows, cols, ids)] in the layout's order
        for q in layout.quantities:
            if q.sheet in loaded.sheet_names:
                flat = layout.positions(q, n, k).reshape(-1, 2)
                ids = (self.start[q.name] + np.arange(len(flat))) if q.name in self.start else np.full(len(flat), -1)
                cells.setdefault(q.sheet, []).append((flat[:, 0], flat[:, 1], ids))
        self.grids: dict[str, np.ndarray] = {}
        self.keys: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
        for role, parts in cells.items():
            rows, cols, ids = (np.concatenate(a).astype(np.int64) for a in zip(*parts))
            if not len(rows):
                continue
            shape = (int(rows.max()) + 1, int(cols.max()) + 1)
            if shape[0] * shape[1] <= _GRID_PER_CELL * len(rows) + _GRID_ANYWAY:
                grid = self.grids[role] = np.full(shape, -1, dtype=np.int64)
                grid[rows, cols] = ids  # (the last write of a cell wins: a later quantity)
            else:
                key = rows * shape[1] + cols
                last = len(key) - 1 - np.unique(key[::-1], return_index=True)[1]  # each key's last write
                self.keys[role] = (shape[1], key[last], ids[last])  # (np.unique: sorted by key)

    def at(self, role: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        out = np.full(len(rows), -1, dtype=np.int64)
        grid = self.grids.get(role)
        if grid is not None:
            inside = (rows >= 0) & (cols >= 0) & (rows < grid.shape[0]) & (cols < grid.shape[1])
            out[inside] = grid[rows[inside], cols[inside]]
        elif role in self.keys:
            width, keys, ids = self.keys[role]
            inside = np.nonzero((rows >= 0) & (cols >= 0) & (cols < width))[0]
            key = rows[inside] * width + cols[inside]
            at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
            hit = keys[at] == key
            out[inside[hit]] = ids[at[hit]]
        return out


def read_rectangles(loaded, q, flat: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The rectangles the layout's formula at each cell `flat` (into q's positions, flattened) reads, as
    local.reads finds them one cell at a time: per reference of each region's template, (its sheet
    role, which of `flat` it is at, their corners (n, 4))."""
    layout, n, k = loaded.layout, loaded.n_images, loaded.n_iterations
    its = k if q.per_iteration else 1
    imgs = n if q.per_image else 1
    units, (rows, cols) = q.place.units, q.place.shape
    it, img, cell = np.unravel_index(flat, (its, imgs, units * rows * cols))
    out = []
    for it0, it1, im0, im1, plan in layout.formula_plans(q, n, loaded.sheet_names, k):
        inside = np.nonzero((it >= it0) & (it < it1) & (img >= im0) & (img < im1))[0]
        if not len(inside):
            continue
        di, dj, at = it[inside] - it0, img[inside] - im0, cell[inside]
        template = q.formula_for(im0, it0)
        tokens = references(template)
        for t, token in enumerate(tokens):
            fields = [fields[t] for _cell, _text, fields in plan]  # plan: the item's cells in reading order
            base = np.array([f[1] for f in fields], dtype=np.int64).reshape(-1, 4)
            step_it = np.array([f[2] for f in fields], dtype=np.int64).reshape(-1, 4)
            step_img = np.array([f[3] for f in fields], dtype=np.int64).reshape(-1, 4)
            corners = base[at] + di[:, None] * step_it[at] + dj[:, None] * step_img[at]
            for c, f in enumerate(fields):
                if f[4] is not None:  # a reference that does not simply move: every cell's corners
                    mine = np.nonzero(at == c)[0]
                    if len(mine):
                        corners[mine] = np.asarray(f[4], dtype=np.int64)[di[mine] * (im1 - im0) + dj[mine]]
            out.append((layout[token].sheet, inside, corners))
    return out


def read_edges(loaded, ids: CellIds, q, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(which of `flat`, the graded cell it reads) for every graded cell inside the rectangles the
    cells `flat` of q read."""
    readers, read = [], []
    for role, which, corners in read_rectangles(loaded, q, flat):
        top, left, bottom, right = corners.T
        h, w = bottom - top + 1, right - left + 1
        size = np.maximum(h, 0) * np.maximum(w, 0)
        total = int(size.sum())
        if not total:
            continue
        rect = np.repeat(np.arange(len(size)), size)
        offset = np.arange(total) - np.repeat(np.cumsum(size) - size, size)
        r = top[rect] + offset // w[rect]
        c = left[rect] + offset % w[rect]
        cell = ids.at(role, r, c)
        keep = cell >= 0
        readers.append(which[rect[keep]])
        read.append(cell[keep])
    if not readers:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(readers), np.concatenate(read)


def attribute(findings: list, names: list[str], quantity: np.ndarray, flat: np.ndarray, block: np.ndarray,
              roots: list, loaded) -> bool:
    """Give each inherited finding its root causes (caused_by) and count them in each root cause
    (spoiled, shown), as checker's cell-by-cell _attribute does. findings: in the order the values
    flow; names: the graded quantities; per finding, its quantity (into names), its flat index into the
    quantity, and its block (iteration and quantity: the blocks follow each other in findings). False
    (nothing done): too many root causes for bit sets — go cell by cell."""
    words = max(1, (len(roots) + 63) // 64)  # (no root cause at all: inherited cells that inherit from none)
    if words > _MAX_WORDS:
        return False
    size = len(findings)
    if not size:
        return True
    ids = CellIds(loaded, names)
    starts = np.array([ids.start[name] for name in names], dtype=np.int64)
    position = np.full(ids.total, -1, dtype=np.int64)
    position[starts[quantity] + flat] = np.arange(size)
    at_root = {id(f): k for k, r in enumerate(roots) for f in r.places}  # (a root cause's places: few)
    with_roots = np.zeros(len(names), dtype=bool)
    with_roots[[names.index(r.quantity) for r in roots]] = True
    root_positions = [p for p in np.nonzero(with_roots[quantity])[0].tolist() if id(findings[p]) in at_root]
    spoils = np.ones(size, dtype=bool)  # a right value spoils nothing
    bits = np.zeros((size, words), dtype=np.uint64)
    for p in root_positions:
        k = at_root[id(findings[p])]
        bits[p, k // 64] |= np.uint64(1) << np.uint64(k % 64)
        spoils[p] = findings[p].kind != "formula"
    # the edges (reader's position, read cell's position), quantity by quantity
    order = np.argsort(quantity, kind="stable")
    cut = np.searchsorted(quantity[order], np.arange(len(names) + 1))
    readers, sources = [], []
    for n, name in enumerate(names):
        where = order[cut[n]:cut[n + 1]]
        if not len(where):
            continue
        which, cell = read_edges(loaded, ids, loaded.layout[name], flat[where])
        src = position[cell]
        a = where[which]
        ok = src >= 0
        ok[ok] &= spoils[src[ok]] & (src[ok] < a[ok])  # a cell after it has no causes yet (as cell by cell)
        readers.append(a[ok])
        sources.append(src[ok])
    reader = np.concatenate(readers) if readers else np.zeros(0, dtype=np.int64)
    source = np.concatenate(sources) if sources else np.zeros(0, dtype=np.int64)
    order = np.argsort(reader)  # (any order of one reader's edges: OR is commutative)
    blocks = np.flatnonzero(np.r_[True, block[1:] != block[:-1]]).tolist() + [size]
    _propagate(bits, reader[order], source[order], blocks)
    inherited = np.ones(size, dtype=bool)
    inherited[root_positions] = False
    _inherit(findings, np.nonzero(inherited)[0], quantity, flat, bits, roots, names, loaded.layout)
    return True


def _propagate(bits: np.ndarray, reader: np.ndarray, source: np.ndarray, blocks: list[int]) -> None:
    """bits[a] |= bits[s] for every edge (a, s), s < a, in order: block by block, what comes from earlier
    blocks in one operation, then within the block (a cell reading an earlier one of its own quantity:
    a running number) until nothing changes."""
    cut = np.searchsorted(reader, blocks)
    for b in range(len(blocks) - 1):
        lo, hi = cut[b], cut[b + 1]
        if lo == hi:
            continue
        a, s = reader[lo:hi], source[lo:hi]
        outside = s < blocks[b]
        _or_into(bits, a[outside], s[outside])
        a, s = a[~outside], s[~outside]
        while len(a):
            before = bits[a].copy()
            _or_into(bits, a, s)
            if np.array_equal(bits[a], before):
                break


def _or_into(bits: np.ndarray, a: np.ndarray, s: np.ndarray) -> None:
    """bits[a[i]] |= bits[s[i]] (a sorted)."""
    if not len(a):
        return
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
    bits[a[starts]] |= np.bitwise_or.reduceat(bits[s], starts, axis=0)


def _inherit(findings: list, inherited: np.ndarray, quantity: np.ndarray, flat: np.ndarray, bits: np.ndarray,
             roots: list, names: list[str], layout) -> None:
    """caused_by of the inherited findings, from their bits; each root cause's spoiled and shown."""
    if not len(inherited):
        return
    if bits.shape[1] == 1:  # (one word: unique numbers, much faster than unique rows)
        rows, which = np.unique(bits[inherited, 0], return_inverse=True)
        rows = rows[:, None]
    else:
        rows, which = np.unique(bits[inherited], axis=0, return_inverse=True)
    which = which.reshape(-1)
    causes = []  # per distinct set: its root causes' ids, in their order (R1, R2 …)
    for row in rows.tolist():
        causes.append(tuple(roots[w * 64 + b].id for w, word in enumerate(row) for b in range(64) if word >> b & 1))
    for p, s in zip(inherited.tolist(), which.tolist()):
        findings[p].caused_by = causes[s]
    # each finding's unit label ('a2_1' of 'a2_1(2,1)'): one per quantity and unit, read from its first finding
    q = quantity[inherited]
    unit = np.zeros(len(inherited), dtype=np.int64)
    for n in np.flatnonzero(np.bincount(q)).tolist():  # (not a plain np.unique: it imports numpy.ma, 10 ms)
        mine = q == n
        shape = layout.positions(layout[names[n]], 1, 1).shape[-4:-1]  # (units, rows, cols)
        unit[mine] = flat[inherited[mine]] // (shape[1] * shape[2]) % shape[0]
    key = q * (int(unit.max()) + 1) + unit
    _keys, first, label_of = np.unique(key, return_index=True, return_inverse=True)
    labels: dict[str, int] = {}  # (by the label's text, as a Counter counts it)
    shown = []
    relabel = []
    for p in inherited[first].tolist():
        f = findings[p]
        text = f.label.split("(")[0]
        if text not in labels:
            labels[text] = len(labels)
            shown.append((f.shown or f.label).split("(")[0])
        relabel.append(labels[text])
    label_of = np.array(relabel, dtype=np.int64)[label_of.reshape(-1)]
    labels = list(labels)
    # per (set of causes, unit label): how many, and the first — each root cause counts the labels of its
    # sets in the order they first appear, as a Counter filled finding by finding would
    pairs, at, count = np.unique(which * len(labels) + label_of, return_index=True, return_counts=True)
    by_root: dict[str, dict[int, list[int]]] = {}
    for pair, first_at, n in zip(pairs.tolist(), at.tolist(), count.tolist()):
        s, label = divmod(pair, len(labels))
        for rid in causes[s]:
            entry = by_root.setdefault(rid, {}).setdefault(label, [first_at, 0])
            entry[0] = min(entry[0], first_at)
            entry[1] += n
    by_id = {r.id: r for r in roots}
    for rid, counts in by_root.items():
        r = by_id[rid]
        for label, (_first, n) in sorted(counts.items(), key=lambda kv: kv[1][0]):
            r.spoiled[labels[label]] += n
            r.shown[labels[label]] = shown[label]
