r"""The vocabulary of a layout: places, quantities, sheets, and how a formula template becomes text.

A quantity's cells form an array indexed (image, unit, row, col): `anchor` is the top-left cell of
image 1, unit 1; one unit is `shape` cells; units follow each other by `unit_step`; images follow
each other by their sheet's `image_step`. Quantities that are not per image drop the image axis.

Formula templates name other quantities in braces, resolved at the cell being written:
    {q}        q's item at this cell's image and unit (a cell, or a range when the item is a grid)
    {$q}       the same, absolute ($D$5:$F$8)
    {q.}       q's cell at this cell's own row and column within the item (cell-by-cell links)
    {q:units}  all units of q for this image (O14:O16)
    {q:images} q's row across every image's whole column block (L21:JG21)
    {q:prev}   q's item for the previous image
    {q#2}      unit 2 of q for this image
    {label}    this unit's class label (the digit its teacher value stands for)
    {q^…}      any of the above, in the previous iteration (chapter 4: =w − η·Σ∂C/∂w of the block above)
    {q.:images} q's cell at this cell's own position, across every image's block (SUM of one gradient)
    {q~}       q's cells of this image (all units, in reading order), the one at this cell's position
               within its own item (a gradient row ← the input it multiplies)
    {q:col}    column number (this cell's unit) of q's units stacked one under another (a w3 column)
    {q@3}      the 3×3 window of q's item (this unit's) whose top-left is this cell's (row, col):
               a convolution's input patch
    {q@2/2}    the 2×2 window at twice this cell's (row, col): a max-pooling window
    {q@2\2}    the 2×2 window of q's item (this unit's) that holds this cell when the item is tiled
               by 2: top-left (2·(r//2), 2·(c//2)) — the pooling window a feature-map cell belongs to;
    {q@2\2<}   its rows from its top down to this cell's row, and
    {q@2\2>}   this cell's row of it, from this cell to its right edge: the window's cells before
               this one in reading order are the first less the second (a tie goes to the first maximum)
    {q@4|3}    the 4×4 window of q's item whose top-left is (i//3, i%3), i = this cell's position in
               reading order within its own item: a filter's gradient laid out one cell per row
    {q%2}      the cell of q that pools this cell: this cell's place (R, C) in its image's units taken
               together as one rectangle (its item and the others as they sit on the sheet) → q's cell at
               (R//2, C//2) of q's units taken together (a feature-map cell → its pooled value or error)

`.` matches positions in reading order, so an item may link to one of another shape with as many
cells (a 4×3 grid ← a 12-row column).

Iterations (chapter 4): a quantity marked per_iteration repeats down its sheet by the sheet's
`iteration_step`, one block per iteration; its arrays gain a leading iteration axis.

Presentation is data too: a Shading names a quantity and a conditional format (a name the writer
maps to XlsxWriter options), applied to each of its items on its own; a Chart plots one quantity
against another across all items. So is paper: a sheet says how many image blocks a printed page
holds, which rows begin a page, which columns repeat on every page and how much of it is printed
(page_images, page_rows, repeat_columns, print_images, print_iterations); columns are widened to
what their cells show (layout/measure.py).
"""

from __future__ import annotations

import re
from _string import formatter_parser  # string.Formatter().parse, without `string` (its Template compiles a pattern)
from functools import cached_property, lru_cache
from itertools import chain, repeat
from operator import sub

import numpy as np

from sheetnet.i18n import N_, language
from sheetnet.record import record, replace
from sheetnet.xlsx.refs import cell_name, column_letters, parse_cell, quote_sheet, range_name


@record(frozen=True)
class Place:
    anchor: str
    shape: tuple[int, int] = (1, 1)
    units: int = 1
    unit_step: tuple[int, int] = (1, 0)

    @cached_property
    def origin(self) -> tuple[int, int]:
        return parse_cell(self.anchor)


@record(frozen=True)
class Quantity:
    name: str  # the book's name: pixels, w2, z2, a3, C, C_T …
    sheet: str  # the role of its sheet: 'data', 'learn'
    place: Place
    per_image: bool = False
    formula: str | None = None  # None: a value typed by the user (data, parameters)
    first_formula: str | None = None  # image 1's formula where it differs from the others'
    text: bool = False  # its values are text (○ / ×), not numbers
    style: str = "number"  # a name the writer maps to a cell format
    description: str = ""
    per_iteration: bool = False  # repeated in every iteration block of its sheet
    first_iteration: str | None = None  # iteration 1's template where it differs; TYPED: the value itself
    graded: bool = True  # on a graded sheet, the checker grades it (image numbers are labels: not graded)
    # How people read its name (reports, HTML, comments, JUnit): the label the sheet writes beside it
    # ('预测' for predicted, 'ＣT' for C_T), and that label in English output ('prediction'). Empty: the
    # name is what the sheet shows (z2, a3, C).
    shown: str = ""
    shown_en: str = ""

    @property
    def computed(self) -> bool:
        return self.formula is not None

    def formula_for(self, image: int, iteration: int = 0) -> str | None:
        if iteration == 0 and self.first_iteration is not None:
            return self.first_iteration
        return self.first_formula if image == 0 and self.first_formula is not None else self.formula


def shown_as(quantities: tuple[Quantity, ...], table: dict[str, tuple[str, str]]) -> tuple[Quantity, ...]:
    """The quantities with the names people read: {name: (the sheet's label, its English)}."""
    unknown = set(table) - {q.name for q in quantities}
    if unknown:
        raise ValueError(f"labels for quantities not described: {sorted(unknown)}")
    return tuple(replace(q, shown=table[q.name][0], shown_en=table[q.name][1]) if q.name in table else q
                 for q in quantities)


# Excel's Solver keeps its settings as hidden names local to the learning sheet; a workbook that carries
# them opens with Solver ready to minimize the objective over the parameters (GRG Nonlinear, unconstrained,
# the book's tolerances). Here, not in one kind's layout: chapter 5's and chapter 2's then do not import
# (and build) chapter 3's.
def solver_names(objective: str, adjustable: str) -> tuple[tuple[str, str, str], ...]:
    """Solver's hidden names: minimize the cell `objective` by changing the cells `adjustable`."""
    return (
        ("learn", "solver_opt", objective),
        ("learn", "solver_typ", "2"),
        ("learn", "solver_adj", adjustable),
        ("learn", "solver_eng", "1"),
        ("learn", "solver_neg", "2"),
        ("learn", "solver_num", "0"),
        ("learn", "solver_ver", "3"),
        ("learn", "solver_cvg", "0.0001"),
        ("learn", "solver_pre", "0.000001"),
        ("learn", "solver_tol", "0.01"),
    )


# The verdict a classifier's sheet writes beside each image (its "right" formula: =IF(…,"○","×")), for the
# mirrors of every such kind
RIGHT, WRONG = "○", "×"


TYPED = ""  # a computed quantity's template that writes its value as a constant (iteration 1's parameters)


@record(frozen=True)
class Label:
    sheet: str
    cell: str
    text: str | int
    style: str = "label"
    merge_to: str | None = None  # last cell of a merged range starting at `cell`
    per_iteration: bool = False  # repeated in every iteration block of its sheet


@record(frozen=True)
class SheetLayout:
    role: str
    names: tuple[str, ...]  # the names editions give it; the first is the one we write
    image_step: tuple[int, int] = (0, 0)
    block: tuple[str, int] = ("A", 1)  # image 1's block: its first column and its width
    signature: tuple[str, ...] = ()  # quantities whose cells (image 1) must hold numbers
    required: bool = True
    column_widths: tuple[tuple[str, str, float], ...] = ()  # (first col, last col, width)
    merge_per_image: tuple[str, ...] = ()  # quantities whose cell spans the image's block
    freeze: str | None = None
    row_heights: tuple[tuple[int, int, float], ...] = ()  # (first row, last row, height in points)
    landscape: bool = False  # printed (and pictured) across the page: the blocks run to the right
    one_page: bool = False  # printed (and pictured) shrunk to fit one page
    iteration_step: tuple[int, int] = (0, 0)  # chapter 4: one block per iteration, this far apart
    graded: bool = False  # the student's formulas live here: `sheetnet check` grades its computed cells
    # -- on paper (mirror/display.py turns these into the page set-up; none set: the spreadsheet's default) --
    page_images: int = 0  # image blocks on one printed page across: a page never splits an image's block
    page_rows: tuple[int, ...] = ()  # rows of iteration 1's block that begin a printed page, in every block
    repeat_columns: tuple[str, str] | None = None  # printed at the left of every page: the rows' labels
    print_images: int = 0  # the print area holds the first N images (0: every one) …
    print_iterations: int = 0  # … and the first N iteration blocks (0: every one)
    long_table: bool = False  # its rows run on over as many pages as they need: the scale fits the width only


@record(frozen=True)
class Shading:
    """A conditional format on every item of a quantity (each image's grid, each unit's grid),
    each item on its own scale: the colours compare a unit's weights with each other, not with
    another unit's."""

    quantity: str
    style: str  # a name the writer maps to conditional-format options


@record(frozen=True)
class Chart:
    """A chart of `values` against `categories`: both quantities' cells across every item."""

    sheet: str  # the role of the sheet it sits on
    anchor: str  # its top-left cell
    title: str
    categories: str
    values: str
    kind: str = "line"
    x_title: str = ""
    y_title: str = ""
    size: tuple[int, int] = (480, 288)  # pixels
    whole_page: bool = False  # printed whole on one page, which ends below it (what sits beside it shares it)
    line: str = ""  # a quantity drawn as a line against the same categories (the fitted line over the data)


@record(frozen=True)
class Mistake:
    """A typical mistake in one quantity, as the formula it amounts to.

    The checker evaluates `template` over the student's own cells; a wrong value that equals it is
    named by `code` and explained by `text`, where {q} stands for quantity q's label at the cell's
    image and unit ('z2_1') and {here} for the cell's own.
    other_units: the template as written for each other unit (another unit's weights, another filter).
    title, hint: the diagnosis' title and its `check --hints` line (N_ texts), for a code of the kind's
    own that the checker does not already name (check/report.py TITLES, check/diagnose.py HINTS).
    """

    quantity: str
    code: str
    template: str
    text: str
    other_units: bool = False
    title: str = ""
    hint: str = ""


@record(frozen=True)
class Roles:
    """What plays which part in the formulas, for naming a student's reference mistakes:
    (quantity, the quantity it reads in that part) pairs."""

    bias: tuple[tuple[str, str], ...] = ()  # z2 adds b2
    weights: tuple[tuple[str, str], ...] = ()  # z2 weighs with w2
    activation: tuple[tuple[str, str], ...] = ()  # a2 = σ(z2): where a belongs, z is a mistake
    links: tuple[tuple[str, str], ...] = ()  # x links the data sheet's pixels one by one
    totals: tuple[tuple[str, str], ...] = ()  # C_T sums C over every image


@record(frozen=True)
class Layout:
    kind: str
    sheets: tuple[SheetLayout, ...]
    quantities: tuple[Quantity, ...]
    labels: tuple[Label, ...] = ()
    class_labels: tuple[int, ...] = ()
    defined_names: tuple[tuple[str, str, str], ...] = ()  # (sheet role, name, value) — Solver's settings
    cell_names: tuple[tuple[str, str], ...] = ()  # (name, one-cell quantity): visible workbook-wide names (η)
    max_images: int = 4096
    max_iterations: int = 1000  # iteration blocks read from a workbook, at most
    shadings: tuple[Shading, ...] = ()
    charts: tuple[Chart, ...] = ()
    mistakes: tuple[Mistake, ...] = ()
    roles: Roles = Roles()
    item_noun: str = N_("image")  # what one item is, in words: 'image 3', 'student 3'
    iteration_noun: str = N_("iteration")  # what one iteration block is: 'iteration 3', 'step 3'
    item_plural: str = N_("images")  # 'images 1–64', 'students 1–7'
    iteration_plural: str = N_("iterations")  # 'iterations 1–3', 'steps 1–8'

    @property
    def nouns(self) -> tuple[str, str, str, str]:
        """(item, items, iteration, iterations), untranslated: what the checker calls them."""
        return self.item_noun, self.item_plural, self.iteration_noun, self.iteration_plural

    @property
    def has_items(self) -> bool:
        """Does any quantity repeat per item (image, student)? The descent's steps are its only axis."""
        return any(q.per_image for q in self.quantities)

    def __post_init__(self):
        object.__setattr__(self, "_positions", {})  # (name, images) → positions; layouts are immutable
        object.__setattr__(self, "_texts", {})  # (name, images, iterations, sheet names) → formula_texts
        object.__setattr__(self, "_spans", {})  # what token_span's pooling tokens look up, per item
        names = [q.name for q in self.quantities]
        if len(names) != len(set(names)):
            raise ValueError(f"layout {self.kind}: a quantity is described twice")
        for used in ([s.quantity for s in self.shadings] + [n for c in self.charts for n in (c.categories, c.values)]
                     + [m.quantity for m in self.mistakes]):
            if used not in names:
                raise ValueError(f"layout {self.kind}: {used!r} is shaded or charted but not described")

    @cached_property
    def by_name(self) -> dict[str, Quantity]:
        return {q.name: q for q in self.quantities}

    @cached_property
    def graded(self) -> tuple[str, ...]:
        """The quantities `sheetnet check` grades, in the order their values flow (a cell's inputs first)."""
        sheets = {s.role for s in self.sheets if s.graded}
        return tuple(name for name in self.flow_order if self[name].computed and self[name].graded
                     and self[name].sheet in sheets)

    @cached_property
    def flow_order(self) -> tuple[str, ...]:
        """Every quantity, each after the ones its formulas read within its own block (previous
        iterations' blocks come first anyway): a topological order of the templates."""
        reads = {q.name: {m.group(2) for t in (q.formula, q.first_formula, q.first_iteration) if t
                          for m in _TOKEN.finditer(t) if m.group(2) != "label" and not m.group(3)} - {q.name}
                 for q in self.quantities}  # reading itself: the previous image's cell (a running number)
        order, done = [], set()

        def visit(name, path=()):
            if name in done:
                return
            if name in path:
                raise ValueError(f"layout {self.kind}: {name} reads itself through {' → '.join(path)}")
            for other in sorted(reads[name], key=[q.name for q in self.quantities].index):
                visit(other, (*path, name))
            done.add(name)
            order.append(name)

        for q in self.quantities:
            visit(q.name)
        return tuple(order)

    def sheet(self, role: str) -> SheetLayout:
        return next(s for s in self.sheets if s.role == role)

    def __getitem__(self, name: str) -> Quantity:
        return self.by_name[name]

    # -- cells ---------------------------------------------------------------------------------
    def positions(self, q: Quantity, n_images: int, n_iterations: int = 1) -> np.ndarray:
        """(row, col) of every cell of q: shape (images, units, rows, cols, 2), or without images;
        a per_iteration quantity has a leading axis of iterations."""
        key = (q.name, n_images if q.per_image else 0, n_iterations if q.per_iteration else 0)
        if key not in self._positions:
            cells = self._place_cells(q, n_images)
            if q.per_iteration:
                step = np.array(self.sheet(q.sheet).iteration_step)
                its = np.arange(n_iterations).reshape(-1, *([1] * cells.ndim))
                cells = cells[None] + its * step
            self._positions[key] = cells
            self._positions[key].flags.writeable = False
        return self._positions[key]

    def _place_cells(self, q: Quantity, n_images: int) -> np.ndarray:
        p = q.place
        r0, c0 = p.origin
        rows, cols = p.shape
        units = np.arange(p.units)
        rr = r0 + units[:, None, None] * p.unit_step[0] + np.arange(rows)[None, :, None] + 0 * np.arange(cols)[None, None, :]
        cc = c0 + units[:, None, None] * p.unit_step[1] + np.arange(cols)[None, None, :] + 0 * np.arange(rows)[None, :, None]
        grid = np.stack([rr, cc], axis=-1)
        if not q.per_image:
            return grid
        dr, dc = self.sheet(q.sheet).image_step
        steps = np.arange(n_images)[:, None, None, None]
        return np.stack([grid[..., 0][None] + steps * dr, grid[..., 1][None] + steps * dc], axis=-1)

    def block_columns(self, role: str, n_images: int) -> tuple[int, int]:
        s = self.sheet(role)
        first = parse_cell(s.block[0] + "1")[1]
        return first, first + s.image_step[1] * (n_images - 1) + s.block[1] - 1

    def label(self, name: str, index: tuple[int, ...]) -> str:
        """'a2_1', 'x(2,3)', 'C_T' — the quantity at one index, numbered from 1 like the book."""
        q = self[name]
        _, _, unit, r, c = self.index_parts(q, index)
        rows, cols = q.place.shape
        text = name
        if q.place.units > 1:
            text += f"_{unit + 1}"
        if rows * cols > 1:
            text += f"({r + 1},{c + 1})"
        return text

    def shown(self, name: str) -> str:
        """A quantity's name as the sheet labels it, for people: '预测' (English output: 'prediction'),
        'z2'; a unit's label as well: 'a2_1' stays, 'predicted' → '预测'. JSON keeps the internal names."""
        q = self.by_name.get(name)
        suffix = ""
        if q is None:
            base, sep, rest = name.partition("(")  # 'x(2,3)', 'w2_1(1,2)'
            head, _u, unit = base.rpartition("_")
            if head in self.by_name and unit.isdigit():
                q, suffix = self.by_name[head], "_" + unit + sep + rest
            elif base in self.by_name and sep:
                q, suffix = self.by_name[base], sep + rest
            else:
                return name
        english = language() == "en"
        text = (q.shown_en or q.name) if english else (q.shown or q.name)
        return text + suffix

    def shown_label(self, name: str, index: tuple[int, ...]) -> str:
        """label(), with the quantity named as the sheet labels it ('预测', 'a2_1')."""
        return self.shown(self.label(name, index))

    def index_parts(self, q: Quantity, index: tuple[int, ...]) -> tuple[int, int, int, int, int]:
        """An index into q's positions → (iteration, image, unit, row, col); 0 where q has no such axis."""
        iteration, index = (index[0], index[1:]) if q.per_iteration else (0, tuple(index))
        image, unit, r, c = index if q.per_image else (0, *index)
        return iteration, image, unit, r, c

    # -- formulas ------------------------------------------------------------------------------
    def formula(self, q: Quantity, n_images: int, sheet_names: dict[str, str], image: int, unit: int, r: int, c: int,
                iteration: int = 0, n_iterations: int = 1) -> str:
        """The formula text that belongs in one cell of q (at image, unit, row r, col c of the item)."""
        texts = self.formula_texts(q, n_images, sheet_names, n_iterations)
        index = (image, unit, r, c) if q.per_image else (unit, r, c)
        text = texts[(iteration, *index) if q.per_iteration else index]
        assert text is not None, f"{q.name} holds no formula there"
        return text

    def formula_texts(self, q: Quantity, n_images: int, sheet_names: dict[str, str], n_iterations: int = 1) -> np.ndarray:
        """Every cell's formula text, shaped like q's positions (None where the template is a typed
        value or a constant). Made per family — the cells of one (template, unit, row, col), across
        images and iterations: each token is resolved at the family's first cell and at one step
        along each axis, and moved from there (every position in a layout is affine in the image and
        iteration numbers); one format string then writes all of them. Kept for the next call."""
        last = self._texts.get("names")  # the sheet names of the last call (one workbook's, many calls)
        if last is not None and last[0] is sheet_names:
            names = last[1]
        else:
            names = tuple(sorted(sheet_names.items()))
            self._texts["names"] = (sheet_names, names)
        # keyed by the Quantity object itself (a variant made with record.replace is another
        # quantity), which the entry keeps alive; a total over images depends on their number too
        key = (id(q), n_images, n_iterations, names)
        entry = self._texts.get(key)
        if entry is None or entry[0] is not q:
            if len(self._texts) > 64:  # a long-running worker sees many image counts: keep the memory bounded
                self._texts.clear()
            texts = self._formula_texts(q, n_images, sheet_names, n_iterations)
            texts.flags.writeable = False
            entry = self._texts[key] = (q, texts)
        return entry[1]

    def same_formula_texts(self, q: Quantity, n_images: int, sheet_names: dict[str, str], texts: np.ndarray,
                           n_iterations: int = 1) -> np.ndarray:
        """For every cell of q (flattened like its positions): is texts[i] (flattened alike; None: no
        formula) the formula text that belongs there (formula_texts)? Compared family by family without
        making each cell's text (_same_texts); the cells of a family that is not the same throughout are
        compared with the texts formula_texts makes."""
        its = n_iterations if q.per_iteration else 1
        imgs = n_images if q.per_image else 1
        index = np.arange(len(texts)).reshape(its, imgs, q.place.units, *q.place.shape)
        same = np.zeros(len(texts), dtype=bool)
        unsure = np.zeros(len(texts), dtype=bool)
        for it0, it1, im0, im1, plan in self._plans(q, n_images, sheet_names, n_iterations):
            cells = index[it0:it1, im0:im1]
            ok, unknown = _same_texts(plan, it1 - it0, im1 - im0, texts, cells)
            same[cells[ok]] = True
            unsure[cells[unknown]] = True
        if unsure.any():
            where = np.nonzero(unsure)[0]
            expected = self.formula_texts(q, n_images, sheet_names, n_iterations).reshape(-1)
            same[where] = (texts[where] == expected[where]).astype(bool)
        return same

    def first_formula_texts(self, q: Quantity, n_images: int, sheet_names: dict[str, str],
                            n_iterations: int = 1) -> list[dict]:
        """Per region of formula_plans: each family's (unit, r, c) → its text at the region's first cell,
        made without the others' (formula_texts makes them all)."""
        return [{cell: _first_text(text, fields) for cell, text, fields in plan}
                for _it0, _it1, _im0, _im1, plan in self._plans(q, n_images, sheet_names, n_iterations)]

    def formula_texts_at(self, q: Quantity, n_images: int, sheet_names: dict[str, str], n_iterations: int,
                         iteration: int, stop: int | None = None) -> np.ndarray:
        """The formula texts of one iteration block of a per-iteration quantity (or of the blocks
        iteration…stop-1), shaped like its positions there, made without keeping them: a writer
        streams a long run a few blocks at a time."""
        one = stop is None
        stop = iteration + 1 if one else stop
        shape = self.positions(q, n_images, n_iterations).shape[1:-1]
        out = np.full((stop - iteration, *shape), None, dtype=object)
        grid = out.reshape(stop - iteration, n_images if q.per_image else 1, q.place.units, *q.place.shape)
        for it0, it1, im0, im1, plan in self._plans(q, n_images, sheet_names, n_iterations):
            lo, hi = max(it0, iteration), min(it1, stop)
            if lo < hi:
                grid[lo - iteration:hi - iteration, im0:im1] = _render(plan, it1 - it0, im1 - im0, lo - it0, hi - it0, q)
        return out[0] if one else out

    def _formula_texts(self, q: Quantity, n_images: int, sheet_names: dict[str, str], n_iterations: int) -> np.ndarray:
        shape = self.positions(q, n_images, n_iterations).shape[:-1]
        out = np.full(shape, None, dtype=object)
        its = n_iterations if q.per_iteration else 1
        imgs = n_images if q.per_image else 1
        grid = out.reshape(its, imgs, q.place.units, *q.place.shape)
        for it0, it1, im0, im1, plan in self._plans(q, n_images, sheet_names, n_iterations):
            grid[it0:it1, im0:im1] = _render(plan, it1 - it0, im1 - im0, 0, it1 - it0, q)
        return out

    def formula_plans(self, q: Quantity, n_images: int, sheet_names: dict[str, str], n_iterations: int = 1) -> list:
        """The families of q's formulas: (first iteration, end, first image, end, plan) per region of one
        template, the plan holding per cell of the item ((unit, r, c), its format string, per reference
        (single cell?, corners at the region's first cell, step per iteration, step per image, every
        cell's corners or None)). What the checker evaluates q's formulas from (sheetnet.layout.evaluate)."""
        return self._plans(q, n_images, sheet_names, n_iterations)

    def _plans(self, q: Quantity, n_images: int, sheet_names: dict[str, str], n_iterations: int) -> list:
        """(first iteration, end, first image, end, the region's family plans) for each region of one
        template — iteration 1 (first_iteration), image 1 (first_formula), the rest. Kept (small)."""
        key = ("plans", id(q), n_images, n_iterations, tuple(sorted(sheet_names.items())))
        entry = self._texts.get(key)
        if entry is not None and entry[0] is q:
            return entry[1]
        its = n_iterations if q.per_iteration else 1
        imgs = n_images if q.per_image else 1
        regions = []
        later = 0
        if q.first_iteration is not None:
            regions.append((q.first_iteration, 0, 1, 0, imgs))
            later = 1
        if q.first_formula is not None:
            regions += [(q.first_formula, later, its, 0, 1), (q.formula, later, its, 1, imgs)]
        else:
            regions.append((q.formula, later, its, 0, imgs))
        plans = [(it0, it1, im0, im1, self._region_plan(q, template, n_images, sheet_names, n_iterations,
                                                         range(it0, it1), range(im0, im1)))
                 for template, it0, it1, im0, im1 in regions
                 if it1 > it0 and im1 > im0 and template and template.startswith("=")]
        self._texts[key] = (q, plans)
        return plans

    def _region_plan(self, q: Quantity, template: str, n_images: int, sheet_names: dict[str, str],
                     n_iterations: int, its: range, imgs: range) -> list:
        """Per family (this cell of the item, across iterations `its` and images `imgs`): its format
        string and, per reference in it, (single cell?, corners at the first cell, step per iteration,
        step per image, every cell's corners when the reference does not simply move, else None)."""
        units, (rows, cols) = q.place.units, q.place.shape
        tokens = list(_TOKEN.finditer(template))
        literal = [_braced(template[(tokens[k - 1].end() if k else 0):(tokens[k].start() if k < len(tokens) else None)])
                   for k in range(len(tokens) + 1)]
        cells = [(unit, r, c) for unit in range(units) for r in range(rows) for c in range(cols)]
        steps = [None if m.group(2) == "label" else self._token_steps(m, q, n_images, n_iterations, its, imgs, cells)
                 for m in tokens]
        plan = []
        for i, (unit, r, c) in enumerate(cells):
            fmt, fields = [literal[0]], []
            for k, m in enumerate(tokens):
                if m.group(2) == "label":
                    fmt.append(_braced(str(self.class_labels[unit])))
                else:
                    role, absolute, at = steps[k]
                    single, step_field = at[i]
                    d = "$" if absolute else ""
                    fmt.append("" if role == q.sheet else _braced(quote_sheet(sheet_names[role]) + "!"))
                    fmt.append(f"{d}{{}}{d}{{}}" if single else f"{d}{{}}{d}{{}}:{d}{{}}{d}{{}}")
                    fields.append((single, *step_field))
                fmt.append(literal[k + 1])
            plan.append(((unit, r, c), "".join(fmt), fields))
        return plan

    def _token_steps(self, m, q: Quantity, n_images: int, n_iterations: int, its: range, imgs: range,
                     cells: list) -> tuple[str, bool, list]:
        """_family_steps of one token at every cell (unit, r, c) of the item: (the sheet role it names, $?,
        per cell (single cell?, (corners at the first cell, step per iteration, step per image, every cell's
        corners or None))). The corners at a region's first cell, one step along and its last cell are read
        for all the item's cells at once (_token_corners); a cell whose token does not simply move goes
        through _family_steps (cnn-backprop 10's plans: 52 → 21 ms)."""
        dollar, name = m.group(1), m.group(2)
        role, absolute = self.by_name[name].sheet, dollar == "$"
        unit, r, c = (np.array(v, dtype=np.int64) for v in zip(*cells))

        def at(it, image):
            return self._token_corners(m, q, n_images, n_iterations, it, image, unit, r, c)

        base = at(its[0], imgs[0])
        single = ((base[:, 0] == base[:, 2]) & (base[:, 1] == base[:, 3])).tolist()
        if len(its) == 1 and len(imgs) == 1:
            zero = 0 * base
            return role, absolute, [(single[i], (base[i], zero[i], zero[i], None)) for i in range(len(cells))]
        step_img = at(its[0], imgs[1]) - base if len(imgs) > 1 else 0 * base
        step_it = at(its[1], imgs[0]) - base if len(its) > 1 else 0 * base
        last = at(its[-1], imgs[-1])
        predicted = base + (len(its) - 1) * step_it + (len(imgs) - 1) * step_img
        moves = ((predicted == last).all(axis=1) & ((last[:, 0] == last[:, 2]) & (last[:, 1] == last[:, 3])
                                                     == np.array(single, dtype=bool))).tolist()
        out = []
        for i, cell in enumerate(cells):
            if moves[i]:
                out.append((single[i], (base[i], step_it[i], step_img[i], None)))
            else:  # not a plain move: every cell's corners, as _family_steps finds them
                span, step_field = self._family_steps(m, q, n_images, n_iterations, its, imgs, cell)
                out.append((span.single, step_field))
        return role, absolute, out

    def _token_corners(self, m, here: Quantity, n_images: int, n_iterations: int, iteration: int, image: int,
                       unit: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """token_span's corners at many cells of one item at once: (n, 4) int64, row i at the cell
        (unit[i], r[i], c[i]) of `here` at (image, iteration) — the same rectangles, read by index arrays."""
        (dollar, name, previous, link, mod, number, w_size, w_stride, s_size, s_stride, part, g_size, g_width,
         pool) = m.groups()
        q = self.by_name[name]
        pos = self.positions(q, n_images, n_iterations)
        read_at = (iteration - 1 if previous else iteration) if q.per_iteration else None
        if q.per_iteration:
            pos = pos[read_at]
        img = image - 1 if mod == "prev" else image
        item = pos[img] if q.per_image else pos
        k = unit if q.place.units > 1 else np.zeros_like(unit)
        if number:
            k = np.full_like(unit, int(number) - 1)
        at_cell = r * here.place.shape[1] + c
        window = _window(r, c, at_cell, w_size, w_stride, s_size, s_stride, part, g_size, g_width)
        if window is not None:
            top, left, bottom, right = window
            ends = item[k, top, left], item[k, bottom, right]
        elif pool:
            stride = int(pool)
            mine, low_here = self._pooled(here, n_images, n_iterations, iteration, image)
            low, cells = self._pool_cells(q, n_images, n_iterations, read_at, img if q.per_image else None, item)
            target = np.asarray(low, dtype=np.int64) + (mine[unit, r, c] - low_here) // stride
            if not all(t in cells for t in map(tuple, target.tolist())):
                raise ValueError(f"{{{name}%{stride}}} at {here.name}: no cell of {name} pools it")
            ends = target, target
        elif mod == "images":
            row = item.reshape(item.shape[0], -1, 2)[k, at_cell, 0] if link == "." else item[k, 0, 0, 0]
            first, last = self.block_columns(q.sheet, n_images)
            return np.stack([row, np.full_like(row, first), row, np.full_like(row, last)], axis=1).astype(np.int64)
        elif mod == "units":
            ends = (np.broadcast_to(item[0, 0, 0], (len(unit), 2)), np.broadcast_to(item[-1, -1, -1], (len(unit), 2)))
        elif mod == "col":
            ends = item[0, 0, unit], item[-1, -1, unit]
        elif link == ".":
            ends = (item.reshape(item.shape[0], -1, 2)[k, at_cell],) * 2
        elif link == "~":
            ends = (item.reshape(-1, 2)[at_cell],) * 2
        else:
            ends = item[k, 0, 0], item[k, -1, -1]
        return np.concatenate(ends, axis=1).astype(np.int64)

    def _family_steps(self, m, q: Quantity, n_images: int, n_iterations: int, its: range, imgs: range, cell):
        """(the token's Span at the family's first cell, (its corners there, the step per iteration,
        the step per image, every cell's corners when the token does not simply move, else None))."""
        unit, r, c = cell
        seen = {}  # (a family of two cells asks for its last cell twice)

        def at(it, image):
            span = seen.get((it, image))
            if span is None:
                span = seen[it, image] = self.token_span(m, q, n_images, (image, unit, r, c, it, n_iterations))
            return span

        # (the steps worked out on the corners' Python ints, made arrays once: four numbers each)
        first = at(its[0], imgs[0])
        corners = first.corners
        base = np.array(corners)
        if len(its) == 1 and len(imgs) == 1:
            return first, (base, 0 * base, 0 * base, None)
        still = (0, 0, 0, 0)
        by_image = tuple(map(sub, at(its[0], imgs[1]).corners, corners)) if len(imgs) > 1 else still
        by_iteration = tuple(map(sub, at(its[1], imgs[0]).corners, corners)) if len(its) > 1 else still
        last = at(its[-1], imgs[-1])
        predicted = tuple(b + (len(its) - 1) * i + (len(imgs) - 1) * j for b, i, j in zip(corners, by_iteration, by_image))
        step_it, step_img = np.array(by_iteration), np.array(by_image)
        if predicted != last.corners or last.single != first.single:
            spans = [at(it, image) for it in its for image in imgs]  # not a plain move
            if len({s.single for s in spans}) > 1:
                raise ValueError(f"{q.name}: a token names a cell at some images and a range at others")
            return first, (base, step_it, step_img, np.array([s.corners for s in spans]))
        return first, (base, step_it, step_img, None)

    def _resolve(self, m, here: Quantity, n_images, sheet_names, at) -> str:
        if m.group(2) == "label":
            return str(self.class_labels[at[1]])
        span = self.token_span(m, here, n_images, at)
        text = cell_name(*span.corners[:2], span.absolute) if span.single else range_name(*span.corners, span.absolute)
        if span.role != here.sheet:
            text = quote_sheet(sheet_names[span.role]) + "!" + text
        return text

    def token_span(self, m, here: Quantity, n_images: int, at) -> "Span":
        """The rectangle of cells one template token names at one cell (image, unit, r, c, iteration, n_iterations)."""
        image, unit, r, c, iteration, n_iterations = at
        (dollar, name, previous, link, mod, number, w_size, w_stride, s_size, s_stride, part, g_size, g_width,
         pool) = m.groups()
        q = self.by_name[name]
        pos = self.positions(q, n_images, n_iterations)
        if q.per_iteration:
            iteration = iteration - 1 if previous else iteration
            pos = pos[iteration]
        img = image - 1 if mod == "prev" else image
        item = pos[img] if q.per_image else pos
        k = unit if q.place.units > 1 else 0
        if number:
            k = int(number) - 1
        at_cell = r * here.place.shape[1] + c  # this cell's position within its item, in reading order
        # (corners as Python ints: .tolist() of the cells' (row, col), not a NumPy scalar each)
        window = _window(r, c, at_cell, w_size, w_stride, s_size, s_stride, part, g_size, g_width)
        if window is not None:
            top, left, bottom, right = window
            corners = (*item[k, top, left].tolist(), *item[k, bottom, right].tolist())
        elif pool:  # the cell that pools this one, both quantities' units taken as one rectangle
            stride = int(pool)
            R, C = self._pooled_cell(here, n_images, n_iterations, at[4], image, unit, r, c)
            low, cells = self._pool_cells(q, n_images, n_iterations, iteration if q.per_iteration else None,
                                          img if q.per_image else None, item)
            target = (low[0] + R // stride, low[1] + C // stride)
            if target not in cells:
                raise ValueError(f"{{{name}%{stride}}} at {here.name}: no cell of {name} pools it")
            corners = (*target, *target)
        elif link == "." and mod == "images":
            row = int(item[k].reshape(-1, 2)[at_cell][0])
            first, last = self.block_columns(q.sheet, n_images)
            corners = (row, first, row, last)
        elif mod == "images":
            row = int(item[k, 0, 0, 0])
            first, last = self.block_columns(q.sheet, n_images)
            corners = (row, first, row, last)
        elif mod == "units":
            corners = (*item[0, 0, 0].tolist(), *item[-1, -1, -1].tolist())
        elif mod == "col":
            corners = (*item[0, 0, unit].tolist(), *item[-1, -1, unit].tolist())
        elif link == ".":
            corners = (*item[k].reshape(-1, 2)[at_cell].tolist(),) * 2
        elif link == "~":
            corners = (*item.reshape(-1, 2)[at_cell].tolist(),) * 2
        else:
            corners = (*item[k, 0, 0].tolist(), *item[k, -1, -1].tolist())
        return Span(q.sheet, tuple(map(int, corners)), dollar == "$", name)

    def _pooled_cell(self, here: Quantity, n_images: int, n_iterations: int, iteration: int, image: int,
                     unit: int, r: int, c: int) -> tuple[int, int]:
        """(row, col) of here's cell (unit, r, c) counted from the top left of its units taken as one
        rectangle (the lowest row and column of any of its cells), at one iteration and image."""
        mine, low = self._pooled(here, n_images, n_iterations, iteration, image)
        R, C = (mine[unit, r, c] - low).tolist()
        return R, C

    def _pooled(self, here: Quantity, n_images: int, n_iterations: int, iteration: int, image: int) -> tuple:
        """here's cells (units, rows, cols, 2) at one iteration and image, and their lowest (row, col)."""
        key = ("pooled", here.name, n_images, n_iterations, iteration if here.per_iteration else None,
               image if here.per_image else None)
        hit = self._spans.get(key)
        if hit is None:
            mine = self.positions(here, n_images, n_iterations)
            mine = mine[iteration] if here.per_iteration else mine
            mine = mine[image] if here.per_image else mine
            hit = self._spans[key] = (mine, mine.reshape(-1, 2).min(axis=0))
        return hit

    def _pool_cells(self, q: Quantity, n_images: int, n_iterations: int, iteration, image, item) -> tuple:
        """The lowest (row, col) of an item's cells and the set of its cells, worked out once per item."""
        key = ("pool", q.name, n_images, n_iterations, iteration, image)
        hit = self._spans.get(key)
        if hit is None:
            flat = item.reshape(-1, 2)
            hit = self._spans[key] = (tuple(flat.min(axis=0).tolist()), set(map(tuple, flat.tolist())))
        return hit


def _window(r, c, at_cell, w_size, w_stride, s_size, s_stride, part, g_size, g_width):
    """The item's cells (top, left, bottom, right) a window token names at the cell (r, c), `at_cell` its
    place in reading order — of one cell (ints) or of many at once (arrays: token_span and _token_corners
    read the same rectangles); None: the token names no window."""
    if s_size:  # the size×size window holding this cell, or its part before/after it
        size, stride = int(s_size), int(s_stride)
        top, left = stride * (r // stride), stride * (c // stride)
        bottom, right = top + size - 1, left + size - 1
        if part == "<":
            bottom = r
        elif part == ">":
            top, left, bottom = r, c, r
        return top, left, bottom, right
    if g_size:  # a window at this cell's reading-order position, read in a grid `width` wide
        size, width = int(g_size), int(g_width)
        top, left = divmod(at_cell, width)
    elif w_size:  # a window of the item: size×size cells at this cell's (r, c) times the stride
        size, stride = int(w_size), int(w_stride or 1)
        top, left = r * stride, c * stride
    else:
        return None
    return top, left, top + size - 1, left + size - 1


def _render(plan: list, n_its: int, n_imgs: int, lo: int, hi: int, q: Quantity) -> np.ndarray:
    """The texts of iterations lo…hi-1 (of the region's n_its) × its n_imgs images, from its family plans.
    In a large family, a field that is the same at every cell (a $ reference, a parameter block's own
    cell) is written into the template once, and the rest filled in by printf-style formatting.
    The corners of every reference that simply moves are worked out at once, for all the families."""
    out = np.empty((hi - lo, n_imgs, q.place.units, *q.place.shape), dtype=object)
    size = (hi - lo) * n_imgs
    for (unit, r, c), text, values, many in _family_fields(plan, n_its, n_imgs, lo, hi, per_image=True):
        if not many:
            family = list(map(text.format, *values)) if values else [text.format()] * size
        else:
            template, varying = _percent_template(text, values)
            family, varying = _joined_family(template, varying, hi - lo, n_imgs)
            if family is None:
                family = _formatted(template, varying, hi - lo, n_imgs)
        out[:, :, unit, r, c] = np.array(family, dtype=object).reshape(hi - lo, n_imgs)
    return out


def _formatted(template: str, varying: list, n_its: int, n_imgs: int) -> list[str]:
    """A large family's texts, each formatted from the %-template (its fields: _PerIteration, or each cell's)."""
    if any(isinstance(v, _PerIteration) for v in varying):
        return _per_iteration(template, varying, n_its, n_imgs)
    if not varying:
        return [template % ()] * (n_its * n_imgs)
    if len(varying) == 1:
        return list(map(template.__mod__, varying[0]))
    return list(map(template.__mod__, zip(*varying)))


def _joined_family(template: str, varying: list, n_its: int, n_imgs: int) -> tuple[list[str] | None, list]:
    """A large family's texts (iteration by iteration, image by image) cut from _joined_by_axes' one text
    where each field changes with one axis only — in a block of one iteration (the writer's usual chunk)
    every field changes with the image only — and the fields, each a list now: (None, fields) where the
    texts must be formatted cell by cell (a field changes with both, or a text would hold a NUL). With
    the corners' slices below, the writer's cnn-backprop 10 took 8,479 M instructions rather than 9,347 M."""
    if n_its == 1 or n_imgs == 1:  # a field's texts, cell by cell, are then one axis's
        along = _PerImage if n_its == 1 else _PerIteration
        varying = [v if isinstance(v, (_PerIteration, _PerImage)) else along(_as_texts(v)) for v in varying]
    texts = ()
    if varying and "\0" not in template and all(isinstance(v, (_PerIteration, _PerImage)) for v in varying):
        joined = _joined_by_axes(template, varying, n_its, n_imgs)
        texts = joined.split("\0") if joined is not None else ()
    if len(texts) != n_its * n_imgs:  # (not cut: a field holding a NUL, a template the pieces cannot be cut from)
        return None, [v * n_its if isinstance(v, _PerImage) else v for v in varying]  # (_PerImage: each cell's)
    return texts, varying


def _as_texts(field) -> list[str]:
    """A field's values, cell by cell, as texts (a row number is an int until then)."""
    field = field if isinstance(field, list) else list(field)
    return field if not field or field[0].__class__ is str else list(map(str, field))


def _family_fields(plan: list, n_its: int, n_imgs: int, lo: int, hi: int, per_image: bool = False):
    """Per family of the plan: ((unit, r, c), its str.format template, per field of it one text for every
    cell (str: in a large family only) or each cell's (a list or an iterator, iteration by iteration
    and image by image; _PerIteration: one per iteration; with per_image, _PerImage: one per image),
    whether the family is large (_MANY))."""
    letters = column_letters()
    size = (hi - lo) * n_imgs
    many = size >= _MANY  # (a few cells: rewriting the template costs more than it saves)
    by_iteration = hi - lo > 1 and n_imgs > 1
    moved = [field for _cell, _text, fields in plan for field in fields if field[4] is None]
    if moved:  # (fields, corner): each moving reference's corners at the first cell and its steps. A corner
        # base + i·step_it + j·step_img is the same at every image of an iteration when it does not move
        # with the image, and so on: read from the steps, without making and comparing every cell's corners
        # (a check of backprop 50 or cnn-backprop 10 compares its texts 10 ms sooner)
        base, step_it, step_img = (np.array([field[n] for field in moved]).reshape(-1, 4) for n in (1, 2, 3))
        first_corners = base + lo * step_it
        moves_it, moves_img = (step_it != 0) & (hi - lo > 1), (step_img != 0) & (n_imgs > 1)
        firsts, steps_it, steps_img = first_corners.tolist(), step_it.tolist(), step_img.tolist()
        same = (~moves_it & ~moves_img).tolist() if many else None
        if many and by_iteration:  # per corner: the same at every image of an iteration? at every iteration?
            per_it = (~moves_img).tolist()
            per_img = (~moves_it).tolist() if per_image else None
    f = 0  # the next of `moved`
    made = {}  # a moving corner's texts along one axis, by (axis, letters?, first, step): made once for all
    # the fields that read them (an image's column letters are in most of a family's fields, and in most
    # families); read-only
    for cell, text, fields in plan:
        values = []  # per field of `text`, in order: one text for every cell, or each cell's
        for single, _base, _step_it, _step_img, every in fields:
            along = None  # (known for a moving reference: worked out above for all of them at once)
            if every is None:
                first, constant = firsts[f], same[f] if many else None
                at = _Moving(first, steps_it[f], steps_img[f], hi - lo, n_imgs)
                if many and by_iteration:
                    along = (per_it[f], per_img[f] if per_image else None)
                f += 1
            else:
                at = every.reshape(n_its, n_imgs, 4)[lo:hi].reshape(-1, 4).T
                first = at[:, 0].tolist()
                constant = [(v == v[0]).all() for v in at] if many else None
            for k in ((1, 0) if single else (1, 0, 3, 2)):  # left's letters, top; right's letters, bottom
                if many and constant[k]:
                    values.append(letters[first[k]] if k % 2 else str(first[k]))
                elif many and by_iteration and (along[0][k] if along else
                                                (at[k].reshape(hi - lo, n_imgs) == at[k][::n_imgs, None]).all()):
                    # the same at every image of an iteration
                    key = (_PerIteration, k % 2, first[k], at.step_it[k]) if along else None
                    texts = made.get(key)
                    if texts is None:
                        v = at.by_iteration(k) if along else at[k][::n_imgs].tolist()
                        texts = _PerIteration(map(letters.__getitem__, v) if k % 2 else map(str, v))
                        if key is not None:
                            made[key] = texts
                    values.append(texts)
                elif per_image and many and by_iteration and (along[1][k] if along else
                                                              (at[k].reshape(hi - lo, n_imgs) == at[k][:n_imgs]).all()):
                    # the same at every iteration of an image: a column, most often
                    key = (_PerImage, k % 2, first[k], at.step_img[k]) if along else None
                    texts = made.get(key)
                    if texts is None:
                        v = at.by_image(k) if along else at[k][:n_imgs].tolist()
                        texts = _PerImage(map(letters.__getitem__, v) if k % 2 else map(str, v))
                        if key is not None:
                            made[key] = texts
                    values.append(texts)
                else:
                    if every is None:
                        values.append(at.cells(k, letters if k % 2 else None))
                    else:
                        each = at[k].tolist()
                        values.append(map(letters.__getitem__, each) if k % 2 else each)
        yield cell, text, values, many


def _steps(first: int, step: int, n: int) -> list[int]:
    """first, first + step, … (n of them), made at C speed."""
    return list(range(first, first + n * step, step)) if step else [first] * n


class _Moving:
    """A moving reference's corners at the cells of a region (iteration by iteration, image by image),
    made one corner at a time and only when asked: first + i·step per iteration + j·step per image."""

    __slots__ = ("first", "step_it", "step_img", "n_its", "n_imgs")

    def __init__(self, first: list, step_it: list, step_img: list, n_its: int, n_imgs: int):
        self.first, self.step_it, self.step_img, self.n_its, self.n_imgs = first, step_it, step_img, n_its, n_imgs

    def by_iteration(self, k: int) -> list[int]:
        """Corner k at the first image of each iteration."""
        return _steps(self.first[k], self.step_it[k], self.n_its)

    def by_image(self, k: int) -> list[int]:
        """Corner k at each image of the first iteration."""
        return _steps(self.first[k], self.step_img[k], self.n_imgs)

    def cells(self, k: int, table: list[str] | None = None) -> list:
        """Corner k at every cell, iteration by iteration and image by image; with `table`, each one's text
        there (a column's letters). Made from ranges and slices: a block the writer renders is one
        iteration most often, its corners one step apart from image to image."""
        first, step_it, step_img, n = self.first[k], self.step_it[k], self.step_img[k], self.n_imgs
        if self.n_its == 1 or not step_it:
            return _line(first, step_img, n, table) * self.n_its
        out: list = []
        for a in range(self.n_its):
            out += _line(first + a * step_it, step_img, n, table)
        return out


def _line(first: int, step: int, n: int, table: list[str] | None) -> list:
    """first, first + step, … (n of them), or table's texts there."""
    if table is None:
        return _steps(first, step, n)
    if step == 0:
        return [table[first]] * n
    if step > 0:
        texts = table[first:first + n * step:step]
        if len(texts) == n:
            return texts
    return [table[i] for i in _steps(first, step, n)]  # (a step back, or past the table: IndexError as before)


def _first_text(text: str, fields: list) -> str:
    """A family's text at its first cell (the region's first iteration and image), from its plan."""
    letters = column_letters()
    values = []
    for single, base, _step_it, _step_img, every in fields:
        corners = [int(v) for v in (base if every is None else every[0])]
        values += [letters[corners[k]] if k % 2 else corners[k] for k in ((1, 0) if single else (1, 0, 3, 2))]
    return text.format(*values)


def _same_texts(plan: list, n_its: int, n_imgs: int, texts: np.ndarray,
                cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each family of a region's plan and each of its cells (`cells`: the cells' indices into
    `texts`, shaped (n_its, n_imgs, units, rows, cols)): is its text the family's? One comparison per
    family: its texts joined by NUL against the family's texts filled in all at once (none of XML's
    texts holds a NUL; the layout's are checked), without a text object per cell. Returns (same,
    unsure): unsure where a family was not found the same throughout (a cell that differs, or holds no
    formula): those are compared cell by cell."""
    out = np.zeros(cells.shape, dtype=bool)
    unknown = np.zeros(cells.shape, dtype=bool)
    size = n_its * n_imgs
    for (unit, r, c), text, values, _many in _family_fields(plan, n_its, n_imgs, 0, n_its, per_image=True):
        at = cells[:, :, unit, r, c]
        template, varying = _percent_template(text, values)
        try:
            theirs = "\0".join(texts[at.reshape(-1)].tolist())  # (TypeError: a cell without a formula)
        except TypeError:
            unknown[:, :, unit, r, c] = True
            continue
        if "\0" in template:  # (a joined text tells its parts apart only without NUL)
            unknown[:, :, unit, r, c] = True
            continue
        ours = None
        if varying and all(isinstance(v, (_PerIteration, _PerImage)) for v in varying):
            ours = _joined_by_axes(template, varying, n_its, n_imgs)
        if ours is None:
            every = [chain.from_iterable(map(repeat, v, repeat(n_imgs))) if isinstance(v, _PerIteration)
                     else chain.from_iterable(repeat(list(v), n_its)) if isinstance(v, _PerImage) else v
                     for v in varying]  # each field's text at each cell, in the cells' order
            ours = "\0".join([template] * size) % tuple(chain.from_iterable(zip(*every)) if every else ())
        if ours == theirs:
            out[:, :, unit, r, c] = True
        else:
            unknown[:, :, unit, r, c] = True
    return out, unknown


class _PerIteration(list):
    """A field's texts, one per iteration (the same at each of its images): a row, most often."""


class _PerImage(list):
    """A field's texts, one per image (the same at each iteration): a column, most often."""


def _joined_by_axes(template: str, varying: list[list], n_its: int, n_imgs: int) -> str | None:
    """A family's texts joined by NUL (iteration by iteration, image by image) when each of its fields
    changes with the iteration only or with the image only — made by joining pieces, nothing formatted
    per cell (a %s costs ~0.2 µs, a joined piece ~0.01: cnn-backprop 10's families 72 → 37 ms). The
    fields of the axis with more of them are joined into the texts first: into one row (every image's
    texts, the iteration fields left open) or, per iteration, into its one text (the image fields left
    open); cut where the fields are left open, the pieces are joined again with each cell's fields
    between them. A field left open is a control character; None when the template or a field holds it
    (cut into more pieces than there are fields; the caller formats the texts then)."""
    literals = (template % ((_OPEN,) * len(varying))).split(_OPEN)  # the pieces around the fields
    if len(literals) != len(varying) + 1:
        return None
    by_iteration = [v for v in varying if isinstance(v, _PerIteration)]
    by_image = [v for v in varying if isinstance(v, _PerImage)]
    rows = []
    if len(by_iteration) <= len(by_image):
        # one row, the iteration fields open; then each iteration's row, its fields in every image's text
        open_ = [_OPEN] * n_imgs
        parts = _cells(literals, [v if isinstance(v, _PerImage) else open_ for v in varying], n_imgs)
        parts[-1] = literals[-1]
        if not by_iteration:
            return "\0".join(["".join(parts)] * n_its)
        pieces = "".join(parts).split(_OPEN)
        if len(pieces) != n_imgs * len(by_iteration) + 1:
            return None
        parts = [None] * (2 * len(pieces) - 1)
        parts[::2] = pieces
        for fields in zip(*by_iteration):  # each iteration's fields, in the order they come in a row
            parts[1::2] = fields * n_imgs
            rows.append("".join(parts))
        return "\0".join(rows)
    # per iteration, its text with the image fields open; then every image's fields in it
    cell = [None] * (2 * len(varying) + 1)
    cell[::2] = literals
    parts = _cells([None] * (len(by_image) + 1), by_image, n_imgs)
    stride = 2 * len(by_image) + 1
    for fields in zip(*(v if isinstance(v, _PerIteration) else repeat(_OPEN, n_its) for v in varying)):
        cell[1::2] = fields
        head = "".join(cell).split(_OPEN)
        if len(head) != len(by_image) + 1:
            return None
        for k, literal in enumerate(head[:-1]):
            parts[2 * k::stride] = [literal] * n_imgs
        parts[-1::-stride] = [head[-1]] + [head[-1] + "\0"] * (n_imgs - 1)
        rows.append("".join(parts))
    return "\0".join(rows)


_OPEN = "\x01"  # a field left open (XML holds no such character in a formula)


def _cells(literals: list, fields: list[list], n: int) -> list:
    """The pieces of n texts joined by NUL, each the literals with the fields' k-th texts between them:
    literal, field, literal, … (the last literal, when given, is followed by a NUL in every text)."""
    cell = [None] * (2 * len(fields) + 1)
    cell[::2] = literals
    if cell[-1] is not None:
        cell[-1] += "\0"
    parts = cell * n
    for k, v in enumerate(fields):
        parts[2 * k + 1::len(cell)] = v
    return parts


def _per_iteration(template: str, varying: list[list], n_its: int, n_imgs: int) -> list[str]:
    """The family's texts, iteration by iteration: the fields that change only with the iteration are
    written into the template once per iteration, the others then filled in at each image (half the
    fields formatted per cell, in the iterated kinds' long families)."""
    once = template.replace("%%", "%%%%")  # a literal '%' stays escaped through the first formatting
    each = [v if isinstance(v, list) else list(v) for v in varying if not isinstance(v, _PerIteration)]
    family: list[str] = []
    for a in range(n_its):
        here = once % tuple(v[a] if isinstance(v, _PerIteration) else "%s" for v in varying)
        rest = [v[a * n_imgs:(a + 1) * n_imgs] for v in each]
        if not rest:
            family += [here % ()] * n_imgs
        elif len(rest) == 1:
            family += map(here.__mod__, rest[0])
        else:
            family += map(here.__mod__, zip(*rest))
    return family


def _percent_template(text: str, values: list) -> tuple[str, list[list]]:
    """The str.format template `text` with its constant fields (str) written in, as a %-template for the
    fields that vary (lists, returned in order): printf-style formatting is the faster of the two."""
    out, varying = [], []
    literals = _literals(text)
    for literal, v in zip(literals, values):
        out.append(literal)
        if isinstance(v, str):
            out.append(v.replace("%", "%%"))
        else:
            out.append("%s")
            varying.append(v)
    out.append(literals[-1])
    return "".join(out), varying


@lru_cache(maxsize=4096)
def _literals(text: str) -> tuple[str, ...]:
    """The literal texts around a str.format template's fields (one more than the fields), % doubled."""
    parsed = list(formatter_parser(text))  # (literal, field or None: only the last one's may be None)
    literals = [literal.replace("%", "%%") for literal, _name, _spec, _conversion in parsed]
    if not parsed or parsed[-1][1] is not None:
        literals.append("")  # the template ends with a field
    return tuple(literals)


_MANY = 64  # cells of a family from which its template is rewritten first


def _braced(text: str) -> str:
    """Literal text inside a str.format template."""
    return text.replace("{", "{{").replace("}", "}}")


@record(frozen=True)
class Span:
    """The cells a template token names: a rectangle on the sheet of one role."""

    role: str
    corners: tuple[int, int, int, int]  # top, left, bottom, right
    absolute: bool
    quantity: str

    @property
    def single(self) -> bool:
        return self.corners[:2] == self.corners[2:]

    @property
    def shape(self) -> tuple[int, int]:
        top, left, bottom, right = self.corners
        return bottom - top + 1, right - left + 1


_TOKEN = re.compile(r"\{(\$?)(\w+)(\^?)([.~]?)(?::(units|images|prev|col)|#(\d+)|@(\d+)(?:/(\d+))?"
                    r"|@(\d+)\\(\d+)([<>]?)|@(\d+)\|(\d+)|%(\d+))?\}")  # groups 9–14: added after 1–8


def references(template: str) -> list[str]:
    """The quantities a formula template reads, in order, each as often as it is read ({label} is none)."""
    return [m.group(2) for m in _TOKEN.finditer(template) if m.group(2) != "label"]
