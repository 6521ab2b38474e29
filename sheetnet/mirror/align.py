"""Find how a student's sheet moved against its layout: rows and columns inserted (or deleted), per sheet.

The evidence is what the layout says each cell holds — a label's own text, a number (data, parameters),
a formula (every computed cell) — against what the sheet holds. Each axis is aligned by dynamic
programming over its lines (a line is a row or a column, compared cell by cell through the other axis'
current map), with lines inserted into the sheet or missing from it; the two axes are aligned in turn
until they settle — from no move, and again from where most labels moved to (an axis aligned through
a wrong map of the other goes astray: a column deleted at the left, seen through unmoved columns).
Insertions keep the order of lines, so each axis comes out as a monotone, piecewise shift
(mirror/alignment.py).

The alignment is taken only when it explains the sheet better than no move at all, and it is then
checked: a line inserted inside one item of the layout (inside an image's pixel grid, between the
rows of the parameter block) widens the ranges that span it, so no shift can grade that sheet; nor one
whose layout lines were deleted. Those are refused, in one line saying what moved where. A sheet that
fits the layout where it is (labels in place, no image missing in the middle of the others, its
signature holding numbers) is taken as it is, without the search.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import repeat
from operator import is_

import numpy as np

from sheetnet.errors import UnusableInput
from sheetnet.i18n import _, ngettext
from sheetnet.layout.model import Layout
from sheetnet.memo import Memo
from sheetnet.mirror.alignment import IDENTITY_AXIS, Alignment, Axis, SheetMap
from sheetnet.record import record
from sheetnet.xlsx.reader import SheetCells
from sheetnet.xlsx.sheetxml import ROW_KEY, ColumnCells, cell_index, cell_kind, cells_at, far_col, far_row, positions_array, text_values
from sheetnet.xlsx.refs import cell_name, col_letters

EMPTY, NUMBER, FORMULA, TEXT, OTHER = 0, 1, 2, 3, 4  # what a cell holds; a label's text is a code ≥ LABEL
LABEL = 5
# Lines inserted into one axis of one sheet that the search looks for. The dynamic programme costs
# (layout lines) × (offsets tried) × (cells per line), so the offsets tried are bounded: always up to
# MAX_INSERTED; beyond, as far as the sheet reaches past the layout (a student who inserted 60 rows has
# 60 more rows), up to MAX_INSERTED_SEARCHED. More than that is not a layout a student moved by hand:
# it is said as what is missing where the layout expects it (one line, exit 2).
MAX_INSERTED = 48
MAX_INSERTED_SEARCHED = 512
MAX_DELETED = 8
_EPS = 0.01  # a line inserted or deleted costs a little even when empty: no move is preferred on a tie
_DELETE = 0.5  # a deletion costs more than an insertion: students insert far more often
_ROUNDS = 3


@record(frozen=True)
class Found:
    """A sheet's map, what to tell the user, and why it cannot be graded (one line each)."""

    map: SheetMap
    moves: tuple[str, ...] = ()  # 'a row was inserted above row 3', in the layout's words
    problems: tuple[str, ...] = ()


UNMOVED = Found(SheetMap())


def _cost_table(n_codes: int, landmark: float) -> np.ndarray:
    """W[expected, found]: how badly a cell disagrees with what the layout puts there. A label out of
    place costs `landmark`, more than a whole line of cells: labels say which line is which (C, 正解 and
    预测 are each one formula per image, alike but for their labels)."""
    w = np.ones((n_codes, n_codes), dtype=np.float32)
    values = [NUMBER, FORMULA, OTHER]  # a typed number where a formula belongs, an error value: the right place
    for a in values:
        for b in values:
            w[a, b] = 0.25
    w[LABEL:, :] = w[:, LABEL:] = landmark
    w[LABEL:, TEXT] = w[TEXT, LABEL:] = landmark / 2  # a label the student rewrote
    np.fill_diagonal(w, 0.0)
    return w


# -- what the layout and the sheet hold, as codes ----------------------------------------------------
def label_texts(layout: Layout, role: str, last_row: int | None = None) -> list[str]:
    """The sheet's label texts (not the unit numbers): its landmarks; those down to last_row only, if given."""
    return sorted({str(lb.text) for lb in layout.labels if lb.sheet == role and isinstance(lb.text, str)
                   and (last_row is None or _parse(lb.cell)[0] <= last_row)})


def _extent(layout: Layout, role: str, n: int, k: int) -> tuple[int, int]:
    rows = cols = 1
    for q in layout.quantities:
        if q.sheet == role:
            r, c = _far_corner(layout, q, n, k)
            rows, cols = max(rows, r), max(cols, c)
    for lb in layout.labels:
        if lb.sheet == role:
            r, c = _parse(lb.cell)
            if lb.per_iteration:
                step = layout.sheet(role).iteration_step
                r, c = r + step[0] * (k - 1), c + step[1] * (k - 1)
            rows, cols = max(rows, r), max(cols, c)
    return rows, cols


def _far_corner(layout: Layout, q, n: int, k: int) -> tuple[int, int]:
    """The largest row and column of q's positions for n images and k iterations (n, k ≥ 1), from its
    first item's: every position is the first item's moved by whole image and iteration steps (laying out
    a 50-iteration sheet's 250,000 positions only to take their maximum cost more than the rest of the look)."""
    s = layout.sheet(q.sheet)
    first = layout.positions(q, 1, 1).reshape(-1, 2)
    far = [int(first[:, 0].max()), int(first[:, 1].max())]
    for repeats, count, step in ((q.per_image, n, s.image_step), (q.per_iteration, k, s.iteration_step)):
        if repeats:
            far = [f + max(0, (count - 1) * d) for f, d in zip(far, step)]
    return far[0], far[1]


@lru_cache(maxsize=4096)
def _parse(cell: str) -> tuple[int, int]:
    """A label's address (the same few hundred for every workbook a class check reads)."""
    from sheetnet.xlsx.refs import parse_cell

    return parse_cell(cell)


def expected_grid(layout: Layout, role: str, n: int, k: int, codes: dict[str, int], shape) -> np.ndarray:
    """What the layout puts in each cell of the sheet (rows × cols, 1-based; row and column 0 empty)."""
    grid = np.zeros(shape, dtype=np.int16)
    step = layout.sheet(role).iteration_step
    for lb in layout.labels:
        if lb.sheet != role:
            continue
        r, c = _parse(lb.cell)
        code = codes.get(lb.text, TEXT) if isinstance(lb.text, str) else NUMBER
        for j in range(k if lb.per_iteration else 1):
            rr, cc = r + step[0] * j, c + step[1] * j
            if rr < shape[0] and cc < shape[1]:
                grid[rr, cc] = code
    for q in layout.quantities:
        if q.sheet != role:
            continue
        pos = layout.positions(q, n, k)
        codes_here = np.full(pos.shape[:-1], FORMULA if q.computed else NUMBER, dtype=np.int16)
        if q.computed:
            if q.per_iteration and q.first_iteration is not None and not q.first_iteration.startswith("="):
                codes_here[0] = NUMBER  # iteration 1's parameters are typed
            if q.per_image and q.first_formula is not None and not q.first_formula.startswith("="):
                codes_here[(slice(None),) * int(q.per_iteration) + (0,)] = NUMBER  # the first image number is typed
        rows, cols = pos[..., 0].reshape(-1), pos[..., 1].reshape(-1)
        inside = (rows < shape[0]) & (cols < shape[1])
        grid[rows[inside], cols[inside]] = codes_here.reshape(-1)[inside]
    return grid


def sheet_grid(cells: SheetCells, codes: dict[str, int], shape) -> np.ndarray:
    grid = np.zeros(shape, dtype=np.int16)
    R, C = shape
    for (r, c), cell in cells.items():
        if r >= R or c >= C:
            continue
        if cell.formula is not None:
            grid[r, c] = FORMULA
        elif cell.kind == "n":
            grid[r, c] = NUMBER
        elif cell.kind == "s":
            grid[r, c] = codes.get(str(cell.value).strip(), TEXT) if str(cell.value).strip() else EMPTY
        elif cell.kind:
            grid[r, c] = OTHER
    return grid


# -- the quick look: does the sheet fit where it is? ---------------------------------------------
def fits_in_place(layout: Layout, role: str, cells: SheetCells) -> bool:
    """Labels in place (in every iteration block used), the signature holding numbers, and no cell where
    the layout puts nothing (within its extent): a shifted block always moves some cell off the layout."""
    k = _iterations_reach(layout, role, cells)
    if not _labels_in_place(layout, role, cells, k):
        return False
    if not signature_holds_numbers(layout, role, cells):
        return False
    n = _images_reach(layout, role, cells) or 1
    if _image_missing_between(layout, role, cells, n):
        return False
    return _only_where_used(cells, _used_by_layout(layout, role, n, k))


_SIGNATURE_CELLS = Memo(64)


def signature_cells(layout: Layout, role: str) -> tuple[tuple[int, int], ...]:
    """(row, col) of each of the role's signature cells (image 1, iteration 1), in order: the layout's alone,
    worked out once (every workbook of a class is asked, each sheet for each role)."""
    return _signature_places(layout, role)[0]


def _signature_places(layout: Layout, role: str) -> tuple[tuple[tuple[int, int], ...], list[int] | None]:
    """signature_cells(), and their keys (row * ROW_KEY + col; None: one is outside any sheet)."""
    def make():
        parts = [layout.positions(layout[name], 1).reshape(-1, 2) for name in layout.sheet(role).signature]
        places = tuple(map(tuple, np.concatenate(parts).tolist())) if parts else ()
        inside = all(r >= 1 and 1 <= c < ROW_KEY for r, c in places)
        return places, [r * ROW_KEY + c for r, c in places] if inside else None

    return _SIGNATURE_CELLS.get(layout, role, make)


def signature_holds_numbers(layout: Layout, role: str, cells: SheetCells) -> bool:
    """Does the sheet hold a number in every one of the role's signature cells, where the layout has them?"""
    places, keys = _signature_places(layout, role)
    held = cells.at_keys(keys) if keys is not None and isinstance(cells, ColumnCells) else list(map(cells.get, places))
    return not any(map(is_, held, repeat(None))) and list(map(cell_kind, held)).count("n") == len(held)


def _only_where_used(cells: SheetCells, used: np.ndarray) -> bool:
    """Does the sheet hold a cell, within used's extent (rows × cols, 1-based), only where used is true?"""
    R, C = used.shape[0] - 1, used.shape[1] - 1
    index = cell_index(cells)
    if index is None:  # positions no key tells apart (not the reader's)
        rows, cols = positions_array(cells).T
        inside = (rows <= R) & (cols <= C)
        return bool(used[rows[inside], cols[inside]].all())
    keys = index[0][:np.searchsorted(index[0], (R + 1) * ROW_KEY)]  # the rows down to R: a prefix of the keys
    # one flat index, worked out in place (picking 242,359 cells of a 2-D array by rows and columns, and
    # their temporaries' fresh pages of memory, took 10 ms)
    cols = keys & (ROW_KEY - 1)
    place = keys // ROW_KEY
    place *= C + 1
    place += cols
    if len(cols) and cols.max() > C:
        place = place[cols <= C]
    return bool(used.reshape(-1)[place].all())


def _labels_in_place(layout: Layout, role: str, cells: SheetCells, k: int) -> bool:
    """Is every label in its place, in the first of k iteration blocks and every later one that is used?
    A label counts only where the sheet holds its text somewhere (a pass over all its cells, asked only
    when a label is missing from a block that counts: an iterated sheet's last block reached is often
    empty, the search's upper bound)."""
    texts, blocks, rows, cols = _label_cells(layout, role, k)
    held = cells_at(cells, rows, cols).tolist()
    missing = [i for i, (cell, text) in enumerate(zip(held, texts))
               if cell is None or str(cell.value).strip() != text]
    if not missing:
        return True
    if any(blocks[i] for i in missing):
        used = _blocks_used(layout, role, cells, k)
        missing = [i for i in missing if not blocks[i] or used[blocks[i]]]
    if not missing:
        return True
    present = text_values(cells)
    return not any(texts[i] in present for i in missing)


_LABEL_CELLS = Memo(64)


def _label_cells(layout: Layout, role: str, k: int):
    """The sheet's text labels in every iteration block up to k (once where not repeated): each one's text,
    block (0-based) and (row, col); the texts and blocks as lists, the rows and columns as arrays."""
    def make():
        step = layout.sheet(role).iteration_step
        texts, blocks, rows, cols = [], [], [], []
        for lb in layout.labels:  # each label's blocks at once (backprop 50: 50 × 300 labels, one by one 40 ms)
            if lb.sheet == role and isinstance(lb.text, str):
                r, c = _parse(lb.cell)
                j = np.arange(k if lb.per_iteration else 1, dtype=np.int64)
                texts += [lb.text] * len(j)
                blocks += range(len(j))
                rows.append(r + step[0] * j)
                cols.append(c + step[1] * j)
        if not texts:
            return texts, blocks, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return texts, blocks, np.concatenate(rows), np.concatenate(cols)

    return _LABEL_CELLS.get(layout, (role, k), make)


_USED = Memo(64)  # a class check asks alike for every workbook


def _used_by_layout(layout: Layout, role: str, n: int, k: int) -> np.ndarray:
    """Where the layout puts anything on the sheet (within its extent, 1-based), for n images and k iterations."""
    def make() -> np.ndarray:
        R, C = _extent(layout, role, n, k)
        s = layout.sheet(role)
        if min(*s.image_step, *s.iteration_step) < 0:  # (no layout's blocks run backwards) cell by cell
            grid = expected_grid(layout, role, n, k, {}, (R + 1, C + 1)) != EMPTY
        else:
            grid = _tiled_layout(layout, role, n, k, (R + 1, C + 1))
        grid.flags.writeable = False
        return grid

    return _USED.get(layout, (role, n, k), make)


def _tiled_layout(layout: Layout, role: str, n: int, k: int, shape) -> np.ndarray:
    """expected_grid(…) != EMPTY, made from the cells of image 1 and iteration 1 stamped at every image and
    iteration step (the same cells: each position of the layout is one of those moved by whole steps)."""
    s = layout.sheet(role)
    first: dict[tuple[bool, bool], list[np.ndarray]] = {}  # (per image, per iteration) → (row, col) arrays
    for lb in layout.labels:
        if lb.sheet == role:
            first.setdefault((False, lb.per_iteration), []).append(np.array([_parse(lb.cell)]))
    for q in layout.quantities:
        if q.sheet == role:
            first.setdefault((q.per_image, q.per_iteration), []).append(layout.positions(q, 1, 1).reshape(-1, 2))
    grid = np.zeros(shape, dtype=bool)
    for (per_image, per_iteration), parts in first.items():
        repeats = [(n, s.image_step)] * per_image + [(k, s.iteration_step)] * per_iteration
        _stamp(grid, np.concatenate(parts), repeats)
    return grid


def _stamp(grid: np.ndarray, rc: np.ndarray, repeats: list[tuple[int, tuple[int, int]]]) -> None:
    """Mark the cells rc (n × 2, non-negative) on grid, repeated `count` times `step` apart for each
    (count, step) of repeats (steps non-negative)."""
    r0, c0 = (int(v) for v in rc.min(axis=0))
    box = np.zeros((int(rc[:, 0].max()) - r0 + 1, int(rc[:, 1].max()) - c0 + 1), dtype=bool)
    box[rc[:, 0] - r0, rc[:, 1] - c0] = True
    for count, (dr, dc) in repeats:
        if count <= 1 or not (dr or dc):
            continue
        h, w = box.shape
        wider = np.zeros((h + (count - 1) * dr, w + (count - 1) * dc), dtype=bool)
        wider[:h, :w] = box
        # doubling: the first m copies stamped again m steps on make 2m (4,000 images: 12 stamps, not 4,000);
        # the last stamp, of the first m copies count − m steps on, overlaps them to end at `count`
        m = 1
        while m < count:
            shift = min(m, count - m)
            first = wider[:h + (m - 1) * dr, :w + (m - 1) * dc].copy()
            wider[shift * dr:shift * dr + first.shape[0], shift * dc:shift * dc + first.shape[1]] |= first
            m += shift
        box = wider
    grid[r0:r0 + box.shape[0], c0:c0 + box.shape[1]] |= box


def _image_missing_between(layout: Layout, role: str, cells: SheetCells, n: int) -> bool:
    """Is an image block empty with a later one filled? Columns inserted in a multiple of the image
    width move every cell onto a cell of the same kind; only the empty blocks they leave show it."""
    filled = _images_filled(layout, role, cells, n)
    last = max((i for i, f in enumerate(filled) if f), default=-1)
    return not all(filled[: last + 1])


def _images_filled(layout: Layout, role: str, cells: SheetCells, n: int) -> list[bool]:
    """For each of n image blocks, does the sheet hold a cell where the layout puts its first quantity?"""
    first = next((q for q in layout.quantities if q.sheet == role and q.per_image), None)
    if first is None:
        return []
    pos = layout.positions(first, n)
    pos = (pos[0] if first.per_iteration else pos).reshape(n, -1, 2)
    return _held(cells, pos[..., 0], pos[..., 1]).any(axis=1).tolist()


def _held(cells: SheetCells, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """For each position (rows, cols: integer arrays of one shape), does the sheet hold a cell there?
    Looked up in its sorted keys all at once."""
    from sheetnet.xlsx.sheetxml import keys_of, located

    index = cell_index(cells)
    if index is None:  # positions no key tells apart (not the reader's)
        return np.array([(int(r), int(c)) in cells for r, c in zip(rows.reshape(-1), cols.reshape(-1))],
                        dtype=bool).reshape(rows.shape)
    return located(index[0], *keys_of(rows, cols))[1]


def _blocks_used(layout: Layout, role: str, cells: SheetCells, k: int) -> np.ndarray:
    """For each of k iteration blocks, does it hold anything where the layout puts its parameters (the
    signature)? All blocks looked up at once."""
    used = np.zeros(k, dtype=bool)
    for name in layout.sheet(role).signature:
        q = layout[name]
        if q.per_iteration:
            pos = layout.positions(q, 1, k).reshape(k, -1, 2)
            used |= _held(cells, pos[..., 0], pos[..., 1]).any(axis=1)
        else:  # the same cells for every block
            pos = layout.positions(q, 1).reshape(-1, 2)
            used |= bool(_held(cells, pos[:, 0], pos[:, 1]).any())
    return used


def _images_reach(layout: Layout, role: str, cells: SheetCells) -> int:
    """Image blocks up to the sheet's last used column (or row): an upper bound of its images (0: none)."""
    s = layout.sheet(role)
    return _reach(layout, cells, s.image_step, [q for q in layout.quantities if q.sheet == role and q.per_image],
                  layout.max_images, 0)


def _iterations_reach(layout: Layout, role: str, cells: SheetCells) -> int:
    """Iteration blocks up to the sheet's last used row: an upper bound of its iterations."""
    s = layout.sheet(role)
    return _reach(layout, cells, s.iteration_step,
                  [q for q in layout.quantities if q.sheet == role and q.per_iteration], layout.max_iterations, 1)


def _reach(layout: Layout, cells: SheetCells, step: tuple[int, int], repeated: list, most: int, none: int) -> int:
    """Blocks `step` apart, from the first repeated quantity's first cell to the sheet's farthest cell."""
    dr, dc = step
    if not (dr or dc) or not cells or not repeated:
        return none
    r0, c0 = (int(v) for v in layout.positions(repeated[0], 1, 1).reshape(-1, 2).min(axis=0))
    far = far_col(cells) if dc else far_row(cells)
    return int(min(most, max(1, (far - (c0 if dc else r0)) // (dc or dr) + 2)))


# -- the search --------------------------------------------------------------------------------
_FOUND = Memo(16)  # detection and loading ask alike


def found(layout: Layout, role: str, cells: SheetCells, name: str) -> Found:
    """find(), remembered for the last few sheets."""
    return _FOUND.get(cells, role_key(layout, role), lambda: find(layout, role, cells, name))


_ROLE_KEYS = Memo(64)


def role_key(layout: Layout, role: str):
    """What a search of one sheet depends on: its layout's quantities and labels on it (equal for kinds
    that share the sheet, like chapters 3 and 4's Data)."""
    return _ROLE_KEYS.get(layout, role, lambda: (
        layout.sheet(role), tuple(q for q in layout.quantities if q.sheet == role),
        tuple(lb for lb in layout.labels if lb.sheet == role), layout.max_images, layout.max_iterations))


def find(layout: Layout, role: str, cells: SheetCells, sheet_name: str) -> Found:
    """How the sheet playing `role` moved against the layout (UNMOVED when it fits where it is)."""
    if fits_in_place(layout, role, cells):
        return UNMOVED
    texts = label_texts(layout, role)
    codes = {t: LABEL + i for i, t in enumerate(texts)}
    n, k = _images_reach(layout, role, cells) or 1, _iterations_reach(layout, role, cells)
    R, C = _extent(layout, role, n, k)
    far_r, far_c = far_row(cells), far_col(cells)
    shape_e = (R + 1, C + 1)
    # the sheet's reach past the layout for the image blocks it fills is how much was inserted, at most
    R_held, C_held = _extent(layout, role, max(1, sum(_images_filled(layout, role, cells, n))), k)
    ins_r, ins_c = _insert_bound(far_r, R_held), _insert_bound(far_c, C_held)
    shape_s = (min(far_r, R + ins_r) + 1, min(far_c, C + ins_c) + 1)
    E = expected_grid(layout, role, n, k, codes, shape_e)
    G = sheet_grid(cells, codes, shape_s)
    landmark = 10.0 + max(int((E != EMPTY).sum(axis=0).max()), int((E != EMPTY).sum(axis=1).max()))
    W = _cost_table(LABEL + len(texts), landmark)
    # the axis aligned first is compared through the other's map as it stands: when that one is wrong (a
    # column deleted at the left, seen through unmoved columns), every line disagrees and the first axis
    # can come out wrong (dropping the layout's lines past the sheet's end is then cheapest), taking the
    # second with it. So where the labels say the sheet moved otherwise (more of them in place shifted as
    # most of them are), the search starts again from there, and the map that explains the sheet better
    # is taken (the one from no move on a tie)
    searches = [_search(E, G, W, ins_r, ins_c, SheetMap())]
    seed = _labels_moved(E, G)
    if seed.moved and _labels_matched(E, G, seed) > _labels_matched(E, G, searches[0][0]):
        searches.append(_search(E, G, W, ins_r, ins_c, seed))
    searches = [s for s in searches if s[0].moved]
    if not searches:
        return UNMOVED
    unmoved, labels = _explains(E, G, SheetMap(), W), _labels_matched(E, G, SheetMap())
    best = None
    for searched in searches:
        cost = _explains(E, G, searched[0], W)
        # a move is taken only when it explains the sheet better than no move, with no fewer labels in place
        if cost < unmoved - 0.5 and (best is None or cost < best[0]) and _labels_matched(E, G, searched[0]) >= labels:
            best = cost, searched
    if best is None:
        return UNMOVED
    m, row_match, col_match = best[1]
    return _judged(layout, role, sheet_name, m, E, row_match, col_match, n, k)


def _search(E: np.ndarray, G: np.ndarray, W: np.ndarray, ins_r: int, ins_c: int, start: SheetMap):
    """The two axes aligned in turn, from `start`, until they settle: (map, row match, column match)."""
    rows, cols = start.rows, start.cols
    row_match = col_match = None
    for _round in range(_ROUNDS):
        row_match, new_rows = _align_axis(E, G, cols, W, ins_r)
        col_match, new_cols = _align_axis(E.T, G.T, new_rows, W, ins_c)
        if new_rows == rows and new_cols == cols:
            break
        rows, cols = new_rows, new_cols
    return SheetMap(rows, cols), row_match, col_match


def _labels_moved(E: np.ndarray, G: np.ndarray) -> SheetMap:
    """The whole sheet shifted as most of its labels are (each label the layout and the sheet hold once):
    where the search starts besides no move."""
    at_e, at_g = _single_labels(E), _single_labels(G)
    offsets = Counter((at_g[code][0] - r, at_g[code][1] - c) for code, (r, c) in at_e.items() if code in at_g)
    if not offsets:
        return SheetMap()
    (dr, dc), _count = offsets.most_common(1)[0]  # (the first found on a tie)
    return SheetMap(Axis(((1, dr),)) if dr else IDENTITY_AXIS, Axis(((1, dc),)) if dc else IDENTITY_AXIS)


def _single_labels(grid: np.ndarray) -> dict[int, tuple[int, int]]:
    """Label code → its (row, col), for the labels the grid holds once."""
    rows, cols = np.nonzero(grid >= LABEL)
    codes = grid[rows, cols].tolist()
    counts = Counter(codes)  # (a few hundred labels)
    return {code: (r, c) for code, r, c in zip(codes, rows.tolist(), cols.tolist()) if counts[code] == 1}


def _insert_bound(far: int, extent: int) -> int:
    """Inserted lines searched on an axis whose layout reaches `extent` and the sheet `far`."""
    return int(min(max(MAX_INSERTED, far - extent), MAX_INSERTED_SEARCHED))


def _align_axis(E: np.ndarray, G: np.ndarray, other: Axis, W: np.ndarray,
                inserted: int = MAX_INSERTED) -> tuple[np.ndarray, Axis]:
    """Align E's lines (axis 0) with G's, comparing each line through `other` (the map of axis 1),
    looking for up to `inserted` lines inserted."""
    fwd = other.forward_table(E.shape[1]) if other.moved else np.arange(E.shape[1])
    keep = (fwd >= 1) & (fwd < G.shape[1])
    keep[0] = False
    Ev, Gv = E[:, keep], G[:, fwd[keep]]
    R, S = E.shape[0] - 1, G.shape[0] - 1
    ds = np.arange(-MAX_DELETED, inserted + 1)
    cost = np.full((R, len(ds)), np.inf, dtype=np.float64)
    lines = np.arange(1, R + 1)
    full = (Ev != EMPTY).any(axis=1)
    blank = ~(Gv != EMPTY).any(axis=1)
    for k, d in enumerate(ds):
        s = lines + d
        ok = (s >= 1) & (s <= S)
        if ok.any():
            # a full layout line on an empty one costs as much more as a deletion: a row deleted is told
            # as that row deleted, not as an emptied row and an empty row deleted further down
            cost[ok, k] = W[Ev[lines[ok]], Gv[s[ok]]].sum(axis=1) + _DELETE * (full[lines[ok]] & blank[s[ok]])
    ins = np.concatenate([[0.0], W[EMPTY][Gv[1:]].sum(axis=1) + _EPS])
    dele = W[Ev[1:], EMPTY].sum(axis=1) + _EPS + _DELETE
    match = _dp(cost, ins, dele, ds, S)
    content = (E[1:] != EMPTY).any(axis=1)
    return match, _axis_of(match, content)


def _dp(cost: np.ndarray, ins: np.ndarray, dele: np.ndarray, ds: np.ndarray, S: int) -> np.ndarray:
    """For each layout line 1…R, the sheet's line it is (0: deleted, −1: past the sheet's end).

    State (r, d): layout lines 1…r and sheet lines 1…r+d taken. Moves: match r with r+d; delete layout
    line r; insert sheet line r+d. Sheet lines after the last taken are inserted at their cost; layout
    lines after the last taken are free (the layout is laid out for more images than the sheet has)."""
    R, B = cost.shape
    cum = np.concatenate([[0.0], np.cumsum(ins[1:])])
    D = np.full((R + 1, B), np.inf)
    choice = np.zeros((R + 1, B), dtype=np.int8)  # 1 match, 2 delete, 3 insert
    s0 = ds
    ok = (s0 >= 0) & (s0 <= S)
    D[0, ok] = cum[s0[ok]]
    choice[0, ok & (s0 > 0)] = 3
    for r in range(1, R + 1):
        s = r + ds
        valid = (s >= 0) & (s <= S)
        match = D[r - 1] + cost[r - 1]
        delete = np.full(B, np.inf)
        delete[:-1] = D[r - 1, 1:] + dele[r - 1]
        base = np.minimum(match, delete)
        which = np.where(match <= delete, 1, 2)
        cs = cum[np.clip(s, 0, S)]
        best = cs + np.minimum.accumulate(np.where(valid, base - cs, np.inf))
        best[~valid] = np.inf
        D[r] = best
        choice[r] = np.where(best < base - 1e-9, 3, which)
    ends = np.arange(R + 1)[:, None] + ds[None, :]
    tail = np.where((ends >= 0) & (ends <= S), cum[S] - cum[np.clip(ends, 0, S)], np.inf)
    total = D + tail
    flat = np.flatnonzero(total.reshape(-1) <= total.min() + 1e-9)
    r, k = divmod(int(flat[-1]), B)  # on a tie, the end that took the most layout lines
    match = np.full(R + 1, -1, dtype=np.int64)
    while r > 0 or ds[k] > 0:
        ch = choice[r, k]
        if ch == 1:
            match[r] = r + ds[k]
            r -= 1
        elif ch == 2:
            match[r] = 0
            r, k = r - 1, k + 1
        else:
            k -= 1
    return match[1:]


def _axis_of(match: np.ndarray, content: np.ndarray) -> Axis:
    """The piecewise shift that the matched lines holding layout content follow. Empty layout lines go
    with the next content line (an insertion is placed just before it)."""
    pairs = [(i + 1, int(s)) for i, s in enumerate(match) if content[i] and s > 0]
    shifts, deleted, off = [], set(), 0
    for line, s in pairs:
        new = s - line
        if new != off:
            if new < off:  # empty layout lines before this one are gone
                deleted.update(range(line - (off - new), line))
            shifts.append((line, new))
            off = new
    return Axis(tuple(shifts), frozenset(deleted))


def _explains(E: np.ndarray, G: np.ndarray, m: SheetMap, W: np.ndarray) -> float:
    """How badly the sheet disagrees with the layout seen through the map (every cell of the sheet)."""
    rows = m.rows.back_table(G.shape[0])
    cols = m.cols.back_table(G.shape[1])
    rows[rows >= E.shape[0]] = 0
    cols[cols >= E.shape[1]] = 0
    return float(W[E[rows[:, None], cols[None, :]], G].sum())


def _labels_matched(E: np.ndarray, G: np.ndarray, m: SheetMap) -> int:
    rows = m.rows.back_table(G.shape[0])
    cols = m.cols.back_table(G.shape[1])
    rows[rows >= E.shape[0]] = 0
    cols[cols >= E.shape[1]] = 0
    seen = E[rows[:, None], cols[None, :]]
    return int(((seen >= LABEL) & (seen == G)).sum())


# -- what moved, in words; what cannot be graded ------------------------------------------------
def _judged(layout: Layout, role: str, sheet: str, m: SheetMap, E: np.ndarray, row_match, col_match,
            n: int, k: int) -> Found:
    moves, problems = [], []
    for axis_name, axis, match, content in (("row", m.rows, row_match, (E[1:] != EMPTY).any(axis=1)),
                                            ("column", m.cols, col_match, (E[:, 1:] != EMPTY).any(axis=0))):
        if not axis.moved:
            continue
        lines = [i + 1 for i, s in enumerate(match) if content[i] and s > 0]
        gone = [i + 1 for i, s in enumerate(match) if content[i] and s == 0]
        if gone:
            problems.append(_deleted(layout, role, sheet, axis_name, gone, n, k))
            continue
        boxes = _boxes(layout, role, axis_name, n, k)
        for p, q in zip([0] + lines, lines):
            grew = (axis.forward(q) - (axis.forward(p) if p else 0)) - (q - p)
            if grew == 0:
                continue
            inside = _inside(boxes, p, q) if p else None
            if grew > 0 and inside is not None:
                problems.append(_split(layout, sheet, axis_name, axis, p, q, inside))
            else:
                moves.append(_moved(layout, role, sheet, axis_name, axis, p, q, grew, n, k))
    return Found(m, tuple(moves), tuple(problems))


def _boxes(layout: Layout, role: str, axis_name: str, n: int, k: int) -> list[tuple[int, int, str, int | None]]:
    """(first line, last line, quantity, image) of every item of the sheet on one axis: an image's x, all
    units of its z2, the parameter grid w2 — the cells whose ranges an insertion inside would widen."""
    a = 0 if axis_name == "row" else 1
    out = []
    for q in layout.quantities:
        if q.sheet != role:
            continue
        pos = layout.positions(q, n, k)
        lead = int(q.per_iteration) + int(q.per_image)
        items = pos[..., a].reshape(*pos.shape[:lead], -1)
        lo, hi = items.min(axis=-1), items.max(axis=-1)
        for index in np.ndindex(lo.shape):
            if hi[index] > lo[index]:
                image = index[-1] if q.per_image else None
                out.append((int(lo[index]), int(hi[index]), q.name, image))
    return out


def _inside(boxes, p: int, q: int):
    """The first item that holds both p and q (the lines on either side of an insertion)."""
    return next((b for b in boxes if b[0] <= p and q <= b[1]), None)


def _line_name(axis_name: str, line: int) -> str:
    return str(line) if axis_name == "row" else col_letters(line)


def _new_lines(sheet: str, axis_name: str, axis: Axis, q: int, count: int) -> str:
    """The lines inserted just before layout line q, as the student sees them: 学习!AZ, 学习!3:4."""
    first, last = axis.forward(q) - count, axis.forward(q) - 1
    if axis_name == "row":
        return f"{sheet}!{first}:{last}"
    return f"{sheet}!{col_letters(first)}" + (f":{col_letters(last)}" if last > first else "")


def _moved(layout: Layout, role: str, sheet: str, axis_name: str, axis: Axis, p: int, q: int, grew: int,
           n: int, k: int) -> str:
    """What moved between layout lines p (0: the sheet's start) and q, in one sentence."""
    rows, count = axis_name == "row", abs(grew)
    new = _new_lines(sheet, axis_name, axis, q, grew) if grew > 0 else ""
    fill = dict(n=count, sheet=sheet, p=_line_name(axis_name, p) if p else "", q=_line_name(axis_name, q), new=new)
    if grew > 0:
        image = _image_starting(layout, role, axis_name, q, n)
        iteration = _iteration_starting(layout, role, axis_name, q, k)
        if image is not None and not rows:
            return ngettext("a column was inserted before image {i} ({new})",
                            "{n} columns were inserted before image {i} ({new})", count).format(i=image, **fill)
        if iteration is not None and rows:
            return ngettext("a row was inserted before iteration {i}'s block ({new})",
                            "{n} rows were inserted before iteration {i}'s block ({new})", count).format(i=iteration, **fill)
    if not p:
        # columns at the left: which ones are new is told only where the layout starts at column A (before
        # empty layout columns, any of them could be the one inserted)
        text = (ngettext("a row was inserted at the top of {sheet}", "{n} rows were inserted at the top of {sheet}", count)
                if rows else ngettext("a column was inserted at the left of {sheet} ({new})",
                                      "{n} columns were inserted at the left of {sheet} ({new})", count) if q == 1
                else ngettext("a column was inserted at the left of {sheet}",
                              "{n} columns were inserted at the left of {sheet}", count)) if grew > 0 else \
            (ngettext("a row was deleted at the top of {sheet}", "{n} rows were deleted at the top of {sheet}", count)
             if rows else ngettext("a column was deleted at the left of {sheet}",
                                   "{n} columns were deleted at the left of {sheet}", count))
        return text.format(**fill)
    between = q - p > 1  # empty layout lines in between: where exactly among them cannot be told
    if grew > 0 and rows:
        text = (ngettext("a row was inserted between rows {p} and {q} of {sheet}",
                         "{n} rows were inserted between rows {p} and {q} of {sheet}", count) if between else
                ngettext("a row was inserted above row {q} of {sheet}", "{n} rows were inserted above row {q} of {sheet}",
                         count))
    elif grew > 0:
        text = (ngettext("a column was inserted between columns {p} and {q} of {sheet} ({new})",
                         "{n} columns were inserted between columns {p} and {q} of {sheet} ({new})", count) if between
                else ngettext("a column was inserted before column {q} of {sheet} ({new})",
                              "{n} columns were inserted before column {q} of {sheet} ({new})", count))
    elif rows:
        text = (ngettext("a row was deleted between rows {p} and {q} of {sheet}",
                         "{n} rows were deleted between rows {p} and {q} of {sheet}", count) if between else
                ngettext("a row was deleted above row {q} of {sheet}", "{n} rows were deleted above row {q} of {sheet}",
                         count))
    else:
        text = (ngettext("a column was deleted between columns {p} and {q} of {sheet}",
                         "{n} columns were deleted between columns {p} and {q} of {sheet}", count) if between else
                ngettext("a column was deleted before column {q} of {sheet}",
                         "{n} columns were deleted before column {q} of {sheet}", count))
    return text.format(**fill) + _within(layout, role, axis_name, q, n, k)


def _within(layout: Layout, role: str, axis_name: str, line: int, n: int, k: int) -> str:
    """' (in image 7's block)', ' (in iteration 3's block)' or ''."""
    s = layout.sheet(role)
    if axis_name == "column" and s.image_step[1]:
        first = _parse(s.block[0] + "1")[1]
        i = (line - first) // s.image_step[1]
        if 0 <= i < n and line >= first:
            return _(" (in image {i}'s block)").format(i=i + 1)
    step = s.iteration_step[0] if axis_name == "row" else s.iteration_step[1]
    if step:
        i = (line - _iteration_top(layout, role, axis_name)) // step
        if 1 <= i < k:
            return _(" (in iteration {i}'s block)").format(i=i + 1)
    return ""


def _image_starting(layout: Layout, role: str, axis_name: str, line: int, n: int) -> int | None:
    """The image (1-based, from 2) whose block starts at this line of the image axis."""
    s = layout.sheet(role)
    step = s.image_step[1] if axis_name == "column" else s.image_step[0]
    if not step or (axis_name == "column") != bool(s.image_step[1]):
        return None
    first = _parse(s.block[0] + "1")[1] if axis_name == "column" else None
    if first is None:
        return None
    i, rem = divmod(line - first, step)
    return i + 1 if rem == 0 and 0 <= i < n else None


def _iteration_top(layout: Layout, role: str, axis_name: str) -> int:
    """The first line of iteration 1's block: its first quantity or label."""
    a = 0 if axis_name == "row" else 1
    return min([int(layout.positions(q, 1, 1)[..., a].min()) for q in layout.quantities
                if q.sheet == role and q.per_iteration]
               + [_parse(lb.cell)[a] for lb in layout.labels if lb.sheet == role and lb.per_iteration])


def _iteration_starting(layout: Layout, role: str, axis_name: str, line: int, k: int) -> int | None:
    s = layout.sheet(role)
    step = s.iteration_step[0] if axis_name == "row" else s.iteration_step[1]
    if not step:
        return None
    i, rem = divmod(line - _iteration_top(layout, role, axis_name), step)
    return i + 1 if rem == 0 and 1 <= i < k else None


def _item_name(layout: Layout, box) -> str:
    """'image 8's input x', 'hidden-unit weight (w2)'."""
    _lo, _hi, name, image = box
    q = layout[name]
    description = _(q.description) if q.description else name
    what = description if name in description else f"{description} ({name})"
    return _("image {i}'s {what}").format(i=image + 1, what=what) if image is not None else what


def _split(layout: Layout, sheet: str, axis_name: str, axis: Axis, p: int, q: int, box) -> str:
    count = axis.forward(q) - axis.forward(p) - (q - p)
    lo, hi = axis.forward(box[0]), axis.forward(box[1])
    span = (f"{sheet}!{lo}:{hi}" if axis_name == "row" else f"{sheet}!{col_letters(lo)}:{col_letters(hi)}")
    fill = dict(n=count, new=_new_lines(sheet, axis_name, axis, q, count), item=_item_name(layout, box), span=span)
    if axis_name == "row":
        return ngettext(
            "a row was inserted at {new}, inside {item} (now {span}): the ranges that span it no longer fit the "
            "layout, so sheetnet cannot grade this sheet; delete it, or insert it above or below that block",
            "{n} rows were inserted at {new}, inside {item} (now {span}): the ranges that span them no longer fit the "
            "layout, so sheetnet cannot grade this sheet; delete them, or insert them above or below that block",
            count).format(**fill)
    return ngettext(
        "a column was inserted at {new}, inside {item} (now {span}): the ranges that span it no longer fit the "
        "layout, so sheetnet cannot grade this sheet; delete it, or insert it between two images' blocks",
        "{n} columns were inserted at {new}, inside {item} (now {span}): the ranges that span them no longer fit the "
        "layout, so sheetnet cannot grade this sheet; delete them, or insert them between two images' blocks",
        count).format(**fill)


def _deleted(layout: Layout, role: str, sheet: str, axis_name: str, gone: list[int], n: int, k: int) -> str:
    a = 0 if axis_name == "row" else 1
    held = [q.name for q in layout.quantities
            if q.sheet == role and np.isin(layout.positions(q, n, k)[..., a], gone).any()]
    held += [str(lb.text) for lb in layout.labels if lb.sheet == role and _parse(lb.cell)[a] in gone
             and isinstance(lb.text, str) and not held]
    lines = ", ".join(_line_name(axis_name, g) for g in gone[:6]) + (" …" if len(gone) > 6 else "")
    fill = dict(lines=lines, sheet=sheet, held=", ".join(held))
    if axis_name == "row":
        text = ngettext("row {lines} of {sheet} was deleted", "rows {lines} of {sheet} were deleted", len(gone))
    else:
        text = ngettext("column {lines} of {sheet} was deleted", "columns {lines} of {sheet} were deleted", len(gone))
    if held:
        text += ngettext(" (it held {held})", " (they held {held})", len(gone))
    return (text + _(": the layout's cells there are missing, so sheetnet cannot grade this sheet; undo the "
                     "deletion")).format(**fill)


def cell_of(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{cell_name(row, col)}"


# -- the whole workbook --------------------------------------------------------------------------
def align_workbook(layout: Layout, names: dict[str, str], sheets: dict[str, SheetCells]) -> Alignment:
    """Every sheet of the layout found in the workbook (role → its name, its cells), aligned; UnusableInput
    (one line: what moved where) when a sheet cannot be. A sheet's move must not make the workbook's
    formulas agree less with the layout's than they do without it: what they reference decides."""
    searched = {role: found(layout, role, cells, names[role]) for role, cells in sheets.items()}
    moved = {role: f for role, f in searched.items() if f.map.moved}
    for role in list(moved):  # a move the formulas (on any sheet: 学习 links Data's pixels) contradict is none
        keep = Alignment({r: f.map for r, f in moved.items()}, dict(names))
        drop = Alignment({r: f.map for r, f in moved.items() if r != role}, dict(names))
        if _agreement(layout, sheets, drop) > _agreement(layout, sheets, keep):
            del moved[role]
    for f in moved.values():
        if f.problems:
            raise UnusableInput(f.problems[0])
    if not moved:
        return Alignment(names=dict(names))
    return Alignment({role: f.map for role, f in moved.items()}, dict(names),
                     tuple(m for f in moved.values() for m in f.moves))


def _agreement(layout: Layout, sheets: dict[str, SheetCells], alignment: Alignment) -> int:
    return sum(_formulas_agree(layout, role, cells, alignment) for role, cells in sheets.items())


def _formulas_agree(layout: Layout, role: str, cells: SheetCells, alignment: Alignment) -> int:
    """How many of a sample of the sheet's computed cells (iteration 1; images 1, 2 and the last) hold,
    through the alignment, the layout's formula."""
    from sheetnet.mirror.formulas import same_formula

    n, k = _images_reach(layout, role, cells) or 1, 1
    sheet = alignment.map(role)
    agree = 0
    for q in layout.quantities:
        if q.sheet != role or not q.computed:
            continue
        pos = layout.positions(q, n, k)
        images = sorted({0, 1, n - 1} & set(range(n))) if q.per_image else [0]
        for image in images:
            for unit in range(q.place.units):
                index = (0,) * q.per_iteration + ((image,) if q.per_image else ()) + (unit, 0, 0)
                template = q.formula_for(image, 0)
                if not template or not template.startswith("="):
                    continue
                at = sheet.forward(*(int(v) for v in pos[index]))
                cell = cells.get(at) if at is not None else None
                if cell is None or cell.formula is None:
                    continue
                want = layout.formula(q, n, alignment.names, image, unit, 0, 0, 0, k)
                agree += same_formula(alignment.back_formula(cell.formula, role), want)
    return agree


def label_share(layout: Layout, role: str, cells: SheetCells, m: SheetMap) -> float:
    """The share of the sheet's label texts found where the map puts the layout's labels."""
    texts, hit = set(), set()
    for lb in layout.labels:
        if lb.sheet != role or not isinstance(lb.text, str):
            continue
        texts.add(lb.text)
        at = m.forward(*_parse(lb.cell))
        c = cells.get(at) if at is not None else None
        if c is not None and str(c.value).strip() == lb.text:
            hit.add(lb.text)
    return len(hit) / len(texts) if texts else 0.0
