"""A layout's formula templates at a workbook's cells: the expected text of every cell, grouped into
formula families (sheetnet.formula.family), and evaluated by the same evaluator as a student's formulas.

A *slot* is one cell of a quantity's item (unit, row, col) with one template, across the images and
iteration blocks it is filled to. The layout plans it once (Layout.formula_plans: each reference
resolved at the slot's first cell and moved by a step per image and per block, as filling a formula
across and down does; the texts every cell gets come from the same plan, Layout.formula_texts); here
the template is parsed once and each slot becomes one family whose references' rectangles are known
at every cell — one evaluation for all of them, without rendering or parsing a formula per cell.

`Evaluator` keeps the older interface (a quantity's values from named arrays) for the tests that check
the templates against the engine.
"""

from __future__ import annotations

import numpy as np

from sheetnet.formula import values as fv
from sheetnet.formula.evaluate import MEMO_ELEMENTS
from sheetnet.formula.family import Family, joined, merged
from sheetnet.formula.grid import Book, SheetGrid
from sheetnet.formula.syntax import Parsed, Ref, family_key, parse
from sheetnet.layout.model import _TOKEN, TYPED, Layout, Quantity, Span
from sheetnet.record import field, record, replace

__all__ = ["Evaluator", "Graded", "Slot", "Templates", "grids", "spans", "TYPED"]


@record
class Slot:
    """One template at some cells of a quantity: `flat` indexes into the quantity's positions (reshaped
    to one axis), and the families they form (each with the positions of its cells within `flat`)."""

    quantity: str
    template: str
    flat: np.ndarray
    families: list[tuple[Family, np.ndarray]]


@record
class Graded:
    """A quantity's cells as the checker grades them, flattened, and its formulas as families merged
    across its slots (one evaluation each) — nothing here depends on a workbook's cells, so a class
    check works it out once per worker."""

    shape: tuple[int, ...]  # the layout's shape of the quantity
    rows: np.ndarray  # (m,) int64, read-only
    cols: np.ndarray
    expected: ExpectedTexts  # [i]: the layout's formula text, None where none belongs (made when first read)
    graded: np.ndarray  # (m,) bool: a formula belongs here (read-only)
    families: list[Family]  # the slots' families merged by key
    parts: list[tuple[np.ndarray, int, np.ndarray]]  # per slot family: its cells, its merged family, where in it
    family: np.ndarray  # (m,) int: each cell's merged family (−1: none), read-only
    evaluations: list[list[tuple[int, np.ndarray | None]]]  # what is evaluated together: per merged family in
    # it, its index and its cells' positions there (None: evaluated alone) — see _together. The joined family
    # itself is made when evaluated, and kept only when small (`together`): it copies its members' corners
    _joined: dict = field(default_factory=dict, repr=False, compare=False)
    _flat: dict = field(default_factory=dict, repr=False, compare=False)  # sheet's shape → the cells' flat index
    _shapes: set = field(default_factory=set, repr=False, compare=False)  # the shapes read once
    _source: tuple | None = field(default=None, repr=False, compare=False)  # (see _sources)

    def local(self, results: list) -> fv.V:
        """The layout's value at each cell (m, 1, 1) from each merged family's result at its cells: the
        slots' parts stacked (fv.stack_cells), or — every result numbers, each at its family's cells —
        one index into the results one after another, worked out once."""
        if not self.parts:
            return fv.blank(len(self.rows))
        if all(r is not None and r.kind is None and r.num.shape == (f.m, 1, 1) for r, f in zip(results, self.families)):
            if self._source is None or self._source is _ONCE:  # (kept from the second workbook on)
                made = self._sources()
                self._source = made if self._source is _ONCE else _ONCE
            else:
                made = self._source
            source, covered = made
            num = (results[0].num if len(results) == 1 else np.concatenate([r.num for r in results]))[source]
            if covered is None:
                return fv.V(num)
            num[~covered] = np.nan
            kind = np.full(num.shape, fv.NUM, dtype=np.int8)
            kind[~covered] = fv.BLANK
            return fv.V(num, kind)
        return fv.stack_cells([(cells, results[k].take(where)) for cells, k, where in self.parts], len(self.rows))

    def _sources(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Each cell's place among the merged families' cells one after another (the last part that
        covers it, as stack_cells writes them), and which cells a part covers (None: every one)."""
        starts = np.cumsum([0] + [f.m for f in self.families])
        source = np.zeros(len(self.rows), dtype=np.int64)
        covered = np.zeros(len(self.rows), dtype=bool)
        for cells, k, where in self.parts:
            source[cells] = starts[k] + where
            covered[cells] = True
        for a in (source, covered):
            a.flags.writeable = False
        return source, (None if covered.all() else covered)

    def read(self, grid: SheetGrid):
        """The values at the quantity's cells on `grid` (m, 1, 1); where every cell lies inside a sheet's
        block of that shape, by their flat index into it, worked out once per shape."""
        shape = grid.shape
        flat = self._flat.get(shape, _ONCE)
        if flat is _ONCE:  # (kept from the second workbook of a shape on: one checked alone keeps no copy)
            R, C = shape
            inside = len(self.rows) and self.rows.min() >= 0 and self.cols.min() >= 0 and \
                self.rows.max() < R and self.cols.max() < C
            flat = (self.rows * C + self.cols)[:, None, None] if inside else None
            if shape in self._shapes and len(self._flat) < 8:
                self._flat[shape] = flat
            elif len(self._shapes) < 64:
                self._shapes.add(shape)
        if flat is None or type(grid) is not SheetGrid:
            return grid.gather(self.rows[:, None, None], self.cols[:, None, None])
        return grid.gather_flat(flat)

    def together(self, e: int) -> Family:
        """The family evaluations[e] evaluates: kept when small, so that its Cells (and the addresses its
        references read, Cells.memo) are worked out once for a class check."""
        f = self._joined.get(e)
        if f is None or f is _ONCE:
            again = f is _ONCE  # (kept from the second workbook on: one checked alone keeps no copies)
            f = together(self.families, self.evaluations[e])
            if f.m <= MEMO_ELEMENTS:
                self._joined[e] = f if again else _ONCE
        return f


class Templates:
    """The layout's formulas at the cells of one workbook: n images, k iteration blocks, its sheet names."""

    def __init__(self, layout: Layout, n_images: int, n_iterations: int, sheet_names: dict[str, str]):
        self.layout, self.n, self.k, self.sheet_names = layout, n_images, n_iterations, sheet_names
        self._slots: dict[tuple, list[Slot]] = {}
        self._parsed: dict[tuple, Parsed] = {}
        self._graded: dict[str, Graded] = {}
        self._reach: dict[str, tuple[int, int]] | None = None
        self._compared: set[str] = set()  # the quantities whose texts same_texts compared once

    def reach(self) -> dict[str, tuple[int, int]]:
        """Per sheet (by its name in the workbook), the last row and column any quantity of the layout
        takes there."""
        if self._reach is None:
            self._reach = {}
            for q in self.layout.quantities:
                if q.sheet in self.sheet_names:
                    pos = self.layout.positions(q, self.n, self.k)
                    name = self.sheet_names[q.sheet]
                    r, c = self._reach.get(name, (0, 0))
                    self._reach[name] = (max(r, int(pos[..., 0].max())), max(c, int(pos[..., 1].max())))
        return self._reach

    def graded(self, q: Quantity) -> Graded:
        """q's cells, expected texts and merged formula families, worked out once (see Graded)."""
        hit = self._graded.get(q.name)
        if hit is not None:
            return hit
        pos = self.layout.positions(q, self.n, self.k)
        flat = pos.reshape(-1, 2)
        rows, cols = flat[:, 0], flat[:, 1]  # views of the layout's positions (int64, read-only, kept): no copy
        slots = self.slots(q, keep=False)  # (its families are merged below; the slots are not kept twice)
        graded = np.zeros(len(rows), dtype=bool)  # the slots' cells: every cell of a formula's region
        for slot in slots:
            graded[slot.flat] = True
        slot_families = [(f, slot.flat[within]) for slot in slots for f, within in slot.families]
        families, spans_ = merged([f for f, _ in slot_families])
        family = np.full(len(rows), -1)
        parts = []
        for (_, cells), (k, where) in zip(slot_families, spans_):
            family[cells] = k
            parts.append((cells, k, where))
        for a in (rows, cols, graded, family):
            a.flags.writeable = False
        hit = self._graded[q.name] = Graded(pos.shape[:-1], rows, cols, ExpectedTexts(self, q), graded, families,
                                            parts, family, _together(families))
        return hit

    def slots(self, q: Quantity, template: str | None = None, unit_of=None, key=None, keep: bool = True) -> list[Slot]:
        """The quantity's formula cells, slot by slot: its own templates, or `template` everywhere (with
        unit_of(unit): the unit whose cells the template names — a mistake that reads another unit).
        Each slot's references at every cell come from the layout's plan of the family (Layout.
        formula_plans: resolved at its first cell and moved by a step per image and per iteration).
        Kept for the next call (the checker asks for a mistake's template at every workbook of a class);
        with unit_of, only when `key` names it; not with keep=False."""
        kept = (q.name, template, key) if unit_of is None or key is not None else None
        if kept in self._slots:
            return self._slots[kept]
        qt = q if template is None else replace(q, formula=template, first_formula=None, first_iteration=None)
        pos = self.layout.positions(q, self.n, self.k)
        shape = pos.shape[:-1]
        flat_pos = pos.reshape(-1, 2)
        flat_rows, flat_cols = flat_pos[:, 0].astype(np.int64, copy=False), flat_pos[:, 1].astype(np.int64, copy=False)
        firsts = self.layout.first_formula_texts(qt, self.n, self.sheet_names, self.k) if unit_of is None else None
        out = []
        for region, (it0, it1, im0, im1, plan) in enumerate(self.layout.formula_plans(qt, self.n, self.sheet_names,
                                                                                        self.k)):
            at = np.stack(np.meshgrid(np.arange(it0, it1), np.arange(im0, im1), indexing="ij"), axis=-1).reshape(-1, 2)
            lead = ([at[:, 0]] if q.per_iteration else []) + ([at[:, 1]] if q.per_image else [])
            fields_of = {cell: fields for cell, _, fields in plan}
            template_text = qt.formula_for(im0, it0)
            di, dj, made = at[:, 0] - it0, at[:, 1] - im0, {}
            # each cell's place among q's positions at the item's first cell; a slot's is that plus its own
            # cell's offset in the item (unit, row, col: the positions' last axes)
            zero = np.zeros(len(at), dtype=np.int64)
            lead_index = np.ravel_multi_index((*lead, zero, zero, zero), shape)
            for (unit, r, c), _, _ in plan:
                unit_read = unit if unit_of is None else unit_of(unit)
                index = lead_index + ((unit * shape[-2] + r) * shape[-1] + c)
                corners = [_corners(f, di, dj, im1 - im0, made) for f in fields_of[(unit_read, r, c)]]
                if firsts is not None:
                    first = firsts[region][(unit, r, c)]
                else:
                    first = self.layout.formula(qt, self.n, self.sheet_names, im0, unit_read, r, c, it0, self.k)
                base = self._structure(qt, template_text, unit_read, first)
                if base.tree is None or len(base.references) != len(corners):  # not one tree: cell by cell
                    cell_texts = [self.layout.formula(qt, self.n, self.sheet_names, int(j), unit_read, r, c, int(i),
                                                      self.k) for i, j in at]
                    families = _families_cell_by_cell(self.sheet_names[q.sheet], cell_texts, flat_pos[index])
                else:
                    families = _families(self.sheet_names[q.sheet], base, corners, first, flat_rows[index],
                                         flat_cols[index], (it1 - it0, im1 - im0), fields_of[(unit_read, r, c)])
                out.append(Slot(q.name, template_text, index, families))
        if kept is not None and keep:
            self._slots[kept] = out
        return out

    def expected_texts(self, q: Quantity) -> np.ndarray:
        """Every cell's formula text (None: a typed value or a constant there), shaped like q's positions."""
        return self.layout.formula_texts(q, self.n, self.sheet_names, self.k)

    def same_texts(self, q: Quantity, texts: np.ndarray) -> np.ndarray:
        """Per cell of q (flattened): is texts[i] the layout's formula text there? The first time, family
        by family without making each cell's text (Layout.same_formula_texts); asked again (a class check's
        worker keeps one Templates for many workbooks), against the expected texts, made once and then
        compared cell by cell at C speed, which costs less than going through the families each time."""
        graded = self.graded(q)
        if graded.expected.made or q.name in self._compared:
            return (texts == graded.expected.array()).astype(bool) & graded.graded
        self._compared.add(q.name)
        return self.layout.same_formula_texts(q, self.n, self.sheet_names, texts, self.k)

    def _structure(self, q, template: str, unit_read: int, first: str) -> Parsed:
        """The template's tree and tokens, parsed once (per unit when it writes the unit's label) from the
        text at the first cell of the first slot that asks."""
        key = (q.name, template, unit_read if "{label}" in template else None)
        if key not in self._parsed:
            self._parsed[key] = parse(first)
        return self._parsed[key]


class ExpectedTexts:
    """A quantity's expected formula texts, flattened ([i]: the text, None where none belongs), made when
    first read: the checker reads them only at cells with a finding (Templates.same_texts compares the
    student's texts without them)."""

    def __init__(self, templates: Templates, q: Quantity):
        self._templates, self._q, self._texts = templates, q, None

    @property
    def made(self) -> bool:
        return self._texts is not None

    def array(self) -> np.ndarray:
        if self._texts is None:
            self._texts = self._templates.expected_texts(self._q).reshape(-1)
        return self._texts

    def __getitem__(self, i):
        return self.array()[i]

    def __len__(self) -> int:
        return len(self.array())


_ONCE = object()  # (Graded.together: made once, not kept yet)


def together(families: list[Family], members: list[tuple[int, np.ndarray | None]]) -> Family:
    """The family one evaluation of Graded.evaluations evaluates."""
    if len(members) == 1:
        return families[members[0][0]]
    f = joined([families[k] for k, _ in members])
    f.of_one_shape()  # (_together joins families whose references have one size)
    return f


def _together(families: list[Family]) -> list[list[tuple[int, np.ndarray | None]]]:
    """Families of one template's tree whose references' corners are given at every cell (a slot filled
    down iteration blocks that each read their own parameters has no key, so is not merged) and name
    rectangles of one size evaluated as one: a formula's value at a cell depends only on what its
    references name there. Up to a bound on the cells their references read together."""
    groups: dict[tuple, list[int]] = {}
    reads: list[int] = []
    for k, f in enumerate(families):
        sizes = _sizes(f) if f.corners is not None and f.parsed.tree is not None and not f.parsed.outside else None
        if sizes is not None:
            f.of_one_shape()  # (found here already: one size at every cell)
        groups.setdefault(("alone", k) if sizes is None else (id(f.parsed.tree), f.sheet, f.element, sizes),
                          []).append(k)
        reads.append(f.m * max([h * w for h, w in sizes] or [1]) if sizes is not None else 0)
    out = []
    for members in groups.values():
        batch, size = [], 0
        for k in members + [None]:
            if batch and (k is None or size + reads[k] > _READS_TOGETHER):
                if len(batch) == 1:
                    out.append([(batch[0], None)])
                else:
                    starts = np.cumsum([0] + [families[j].m for j in batch])
                    out.append([(j, np.arange(starts[n], starts[n + 1])) for n, j in enumerate(batch)])
                batch, size = [], 0
            if k is not None:
                batch.append(k)
                size += reads[k]
    return out


def _sizes(f: Family) -> tuple[tuple[int, int], ...] | None:
    """The (height, width) each reference names, when it is one at every cell of the family."""
    out = []
    for top, left, bottom, right in f.corners:
        size = []
        for low, high in ((top, bottom), (left, right)):
            if low is high:  # (a single cell's: one array, _corners made it once)
                size.append(1)
                continue
            d = np.subtract(high, low)
            first = d.flat[0] if d.size else 0
            if not (d == first).all():
                return None
            size.append(int(first) + 1)
        out.append(tuple(size))
    return tuple(out)


_READS_TOGETHER = 4_000_000  # cells the references of one joined evaluation read (MAX_ELEMENTS is per reference)


def _corners(field, di: np.ndarray, dj: np.ndarray, n_images: int, made: dict) -> tuple:
    """A reference's (top, left, bottom, right) at cells (iteration, image) of a plan's region, from the
    plan's field: its corners at the region's first cell and a step per iteration and per image (or, when
    it does not simply move, every cell's corners). Read-only arrays; one that moves alike in the region
    is made once (`made`: the region's, by first value and steps) — a single cell's bottom is its top, a
    parameter is read by many slots — and one that does not move is one value seen m times (no copy):
    the slots of a 250,000-cell sheet held 28 MB of corners, mostly repeated."""
    _, base, step_it, step_img, every = field
    if every is not None:
        c = np.asarray(every)[di * n_images + dj]
        return tuple(c[:, k].astype(np.int64) for k in range(4))
    out = []
    for key in zip(np.asarray(base).tolist(), np.asarray(step_it).tolist(), np.asarray(step_img).tolist()):
        a = made.get(key)
        if a is None:
            first, down, across = key
            if down or across:
                a = first + di * down + dj * across
                a.flags.writeable = False
            else:
                a = np.broadcast_to(np.int64(first), di.shape)
            made[key] = a
        out.append(a)
    return tuple(out)


def _families(sheet: str, base: Parsed, corners, first: str, rows: np.ndarray, cols: np.ndarray,
              region: tuple[int, int] | None = None, fields: list | None = None) -> list[tuple[Family, np.ndarray]]:
    """The slot as one family with its references' corners at every cell. It has a key (its relative
    form) when every reference sits the same way relative to every cell — a $ reference stays, one
    without moves with the cell —; a slot filled down iteration blocks that each read their own
    parameters ($D$6, then $D$72 …) has none, and is still one evaluation.

    region: (iterations, images) of the slot's cells (iteration by iteration, image by image); fields: the
    plan's, per reference (single cell?, corners at the first cell, step per iteration, step per image,
    every cell's corners or None: it does not simply move). A corner that moves by steps sits the same
    way at every cell when it moves as the cell does — the cells' positions move by steps too (Layout.
    positions) —: found from the steps, without an array per corner (cnn-backprop 10's slots: 4,000
    array comparisons less)."""
    m = len(rows)
    moves = steps = None
    if region is not None and fields is not None and m:
        moves = _moves(rows, cols, *region)
        steps = [None if every is not None else tuple(zip(np.asarray(down).tolist(), np.asarray(across).tolist()))
                 for _single, _base, down, across, every in fields]
    uniform, seen = True, set()
    for n, (ref, four) in enumerate(zip(base.references, corners)):
        absolute = (ref.row_abs[0], ref.col_abs[0], ref.row_abs[1], ref.col_abs[1])
        for k, (value, fixed) in enumerate(zip(four, absolute)):  # where the corner sits relative to the cell:
            if moves is not None and steps[n] is not None:  # the same at each?
                if steps[n][k] != ((0, 0) if fixed else moves[k % 2]):
                    uniform = False
                    break
                continue
            anchor = None if fixed else (cols if k % 2 else rows)
            if (id(value), id(anchor)) in seen or (anchor is None and value.strides == (0,)):
                continue  # (corners are shared between references, and one that stays sits the same)
            seen.add((id(value), id(anchor)))
            sit = value if anchor is None else value - anchor
            if m and not (sit == sit[0]).all():
                uniform = False
                break
        if not uniform:
            break
    origin = (int(rows[0]), int(cols[0]))
    at_first = ([tuple(np.asarray(f[1]).tolist()) for f in fields] if fields is not None else  # (the same)
                [tuple(int(x[0]) for x in cs) for cs in corners])
    p = _relocated(base, at_first, first)
    key = family_key(first, *origin) if uniform else None
    return [(Family(key, p, sheet, origin, rows, cols, corners=corners), np.arange(m))]


def _moves(rows: np.ndarray, cols: np.ndarray, n_its: int, n_imgs: int) -> tuple:
    """How the cells move: their row's (step per iteration, step per image) and their column's; 0 along
    an axis the region does not span (as a plan's steps are there)."""
    out = []
    for a in (rows, cols):
        head = a[:n_imgs + 1].tolist()  # the first cell, the next image's, the next iteration's
        out.append((head[n_imgs] - head[0] if n_its > 1 else 0, head[1] - head[0] if n_imgs > 1 else 0))
    return tuple(out)


def _families_cell_by_cell(sheet: str, texts, rows_cols) -> list[tuple[Family, np.ndarray]]:
    from sheetnet.formula.family import group

    rows, cols = rows_cols[:, 0].astype(np.int64), rows_cols[:, 1].astype(np.int64)
    families, which = group(sheet, texts, rows, cols)
    return [(f, np.nonzero(which == k)[0]) for k, f in enumerate(families)]


def _relocated(p: Parsed, corners: list[tuple[int, int, int, int]], text: str) -> Parsed:
    """p with its references moved to `corners` (the same formula, written at another cell)."""
    refs, it = [], iter(corners)
    for r in p.refs:
        if r is None:
            refs.append(None)
            continue
        top, left, bottom, right = next(it)
        refs.append(Ref(r.sheet, top, left, bottom, right, r.col_abs, r.row_abs))  # (replace(), made directly)
    return replace(p, text=text, refs=tuple(refs))


# -- the older interface: a quantity's values from named arrays ----------------------------------------
def grids(layout: Layout, arrays: dict[str, np.ndarray], n_images: int, n_iterations: int = 1) -> dict[str, SheetGrid]:
    """Per sheet role, a SheetGrid holding each named array at its quantity's positions: float arrays
    hold numbers (NaN: nothing there, inf: an error value), object arrays text (None: nothing)."""
    extent: dict[str, tuple[int, int]] = {}
    for name in arrays:
        q = layout[name]
        pos = layout.positions(q, n_images, n_iterations)
        er, ec = extent.get(q.sheet, (0, 0))
        extent[q.sheet] = (max(er, int(pos[..., 0].max())), max(ec, int(pos[..., 1].max())))
    out = {role: SheetGrid.empty(role, (r + 2, c + 2)) for role, (r, c) in extent.items()}
    for name, a in arrays.items():
        q = layout[name]
        pos = layout.positions(q, n_images, n_iterations)
        rows, cols = pos[..., 0], pos[..., 1]
        g = out[q.sheet]
        if a.dtype == object:
            has = np.vectorize(lambda x: x is not None, otypes=[bool])(a) if a.size else np.zeros(a.shape, bool)
            if g.text is None:
                g.text = np.full(g.num.shape, None, dtype=object)
            g.text[rows[has], cols[has]] = a[has]
            g.kind[rows[has], cols[has]] = fv.TEXT
        else:
            a = np.asarray(a, dtype=float)
            g.num[rows, cols] = np.where(np.isfinite(a), a, np.nan)
            g.kind[rows, cols] = np.where(np.isnan(a), fv.BLANK, np.where(np.isinf(a), fv.VALUE, fv.NUM))
    return out


class Evaluator:
    """Evaluates templates at the cells of a layout, over the values in `grids` (per sheet role)."""

    def __init__(self, layout: Layout, grids: dict[str, SheetGrid], n_images: int, n_iterations: int = 1):
        self.layout, self.grids, self.n, self.n_iterations = layout, grids, n_images, n_iterations
        roles = [s.role for s in layout.sheets]
        self.templates = Templates(layout, n_images, n_iterations, {role: role for role in roles})
        self.book = Book(roles, grids.get)

    def quantity(self, q: Quantity, template: str | None = None, unit_of=None, key=None) -> np.ndarray:
        """Every cell of q: its own template (or `template`) evaluated there, shaped like q's positions;
        NaN (None for text) where the template is a typed value or a constant, or the result no number.
        key: names unit_of, for the slots to be kept (Templates.slots)."""
        shape = self.layout.positions(q, self.n, self.n_iterations).shape[:-1]
        out = np.full(int(np.prod(shape)), None if q.text else np.nan, dtype=object if q.text else float)
        for slot in self.templates.slots(q, template, unit_of, key):
            for family, within in slot.families:
                v = family.evaluate(self.book)
                if v is None:
                    continue
                cells = slot.flat[within]
                if q.text:
                    out[cells] = [fv.python_value(v, (i, 0, 0)) for i in range(family.m)]
                else:
                    out[cells] = np.where(v.kinds.reshape(-1) == fv.NUM, v.num.reshape(-1), np.nan)
        return out.reshape(shape)

    def spans(self, q: Quantity, index: tuple[int, ...], template: str | None = None) -> list[Span]:
        return spans(self.layout, q, index, self.n, self.n_iterations, template)


def spans(layout: Layout, q: Quantity, index: tuple[int, ...], n: int, n_iterations: int,
          template: str | None = None) -> list[Span]:
    """The cells each token of the cell's template names (what the cell reads)."""
    it, image, unit, r, c = layout.index_parts(q, index)
    t = template if template is not None else q.formula_for(image, it)
    if not t or not t.startswith("="):
        return []
    at = (image, unit, r, c, it, n_iterations)
    return [layout.token_span(m, q, n, at) for m in _TOKEN.finditer(t) if m.group(2) != "label"]
