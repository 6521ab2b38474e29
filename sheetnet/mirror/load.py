"""Cells → named arrays: find each sheet of a layout in a workbook and gather its quantities.

The result holds the inputs (data and parameters) as numbers and, for every computed cell, the
Cell the workbook stores there (formula and cached value). Nothing here computes.
"""

from __future__ import annotations

from itertools import chain, repeat
from operator import is_
from pathlib import Path

import numpy as np

from sheetnet.i18n import _, language
from sheetnet.errors import UnusableInput
from sheetnet.layout.model import TYPED, Layout, Quantity, SheetLayout
from sheetnet.memo import Memo
from sheetnet.mirror import align
from sheetnet.mirror.align import align_workbook
from sheetnet.mirror.alignment import IDENTITY, AlignedCells, Alignment, SheetMap
from sheetnet.record import field, record
from sheetnet.xlsx.reader import Cell, SheetCells, WorkbookCells
from sheetnet.xlsx.sheetxml import (ROW_KEY, cell_arrays, cell_index, cell_kind, cell_value, cells_at, keys_of,
                                    located, text_values, value_columns)
from sheetnet.xlsx.refs import cell_name, column_letters


@record(frozen=True)
class Loaded:
    path: Path
    layout: Layout
    sheet_names: dict[str, str]  # role → the sheet's name in this workbook
    n_images: int
    inputs: dict[str, np.ndarray]  # quantity → numbers, shaped like the layout's positions
    cells: dict[str, np.ndarray]  # computed quantity → object array of Cell | None
    n_iterations: int = 1  # iteration blocks (chapter 4): a per-iteration quantity's arrays lead with them
    alignment: Alignment = IDENTITY  # how the workbook's sheets moved against the layout (mirror/alignment.py)
    # computed quantity → (its sheet's value_columns(), each cell's place among them, -1: none), where the
    # reader's columns can stand for the Cells' fields (cell_arrays): comparing 270,000 cells field by field
    # took 75 ms. (Not the sheet's cells: their keys, 10 MB of a big sheet, are not kept for this.)
    sources: dict = field(default_factory=dict, repr=False, compare=False)
    _arrays: dict = field(default_factory=dict, repr=False, compare=False)  # what is made of the columns, by id

    def arrays(self, name: str):
        """The computed quantity's cells as cell_arrays() of its sheet, each of its grid's shape (None: only
        the Cells tell): (holds a number, the number or NaN, holds no value, holds a formula)."""
        source = self.sources.get(name)
        if source is None:
            return None
        columns = source[0]
        arrays = self._arrays.get(id(columns))
        if arrays is None:  # (once per sheet: the columns live as long as self.sources)
            arrays = self._arrays[id(columns)] = cell_arrays(columns)
        at = source[1].reshape(-1)
        some, cell = at >= 0, np.maximum(at, 0)
        number, numbers, blank, formula = (a[cell] for a in arrays)
        blank = np.where(some, blank, True)  # no cell: as a Cell without a value, nor a formula
        number &= some
        formula &= some
        shape = self.cells[name].shape
        return number.reshape(shape), np.where(number, numbers, np.nan).reshape(shape), blank.reshape(shape), \
            formula.reshape(shape)

    def formula_texts(self, name: str) -> np.ndarray | None:
        """Each cell's formula (None: none, or no cell) of the computed quantity, flat in its grid's order,
        from its sheet's columns (None: only the Cells tell)."""
        source = self.sources.get(name)
        if source is None:
            return None
        columns, at = source
        texts = self._arrays.get(("formulas", id(columns)))
        if texts is None:  # once per sheet; its last element None, for the places without a cell (-1)
            texts = self._arrays[("formulas", id(columns))] = np.fromiter(chain(columns[2], (None,)), dtype=object,
                                                                         count=len(columns[2]) + 1)
        return texts[at.reshape(-1)]

    def has(self, role: str) -> bool:
        return role in self.sheet_names

    def address(self, name: str, index: tuple[int, ...]) -> tuple[int, int]:
        """(row, col) of one cell of a quantity in the workbook (where the student's sheet has it)."""
        q = self.layout[name]
        row, col = self.layout.positions(q, self.n_images, self.n_iterations)[index]
        return self.alignment.forward(q.sheet, int(row), int(col))

    def where(self, name: str, index: tuple[int, ...]) -> str:
        """'学习!P14' for one cell of a quantity, as the workbook has it."""
        return f"{self.sheet_names[self.layout[name].sheet]}!{cell_name(*self.address(name, index))}"

    def wheres(self, name: str, rows: list[int], cols: list[int]) -> list[str]:
        """where() of many cells of a quantity, given by the layout's (rows, cols): a check's thousands of
        findings."""
        q = self.layout[name]
        sheet = self.sheet_names[q.sheet]
        if self.alignment.maps.get(q.sheet) is not None:  # a sheet that moved: cell by cell
            moved = [self.alignment.forward(q.sheet, r, c) for r, c in zip(rows, cols)]
            rows, cols = [r for r, _c in moved], [c for _r, c in moved]
        letters = column_letters()
        return [f"{sheet}!{letters[c]}{r}" for r, c in zip(rows, cols)]

    def written(self, name: str, index: tuple[int, ...], formula: str | None) -> str | None:
        """A cell's formula as the student wrote it (the loaded one has its references in the layout's places)."""
        q = self.layout[name]
        row, col = self.layout.positions(q, self.n_images, self.n_iterations)[index]
        return self.alignment.as_written(q.sheet, int(row), int(col), formula)


def load(path: str | Path, layout: Layout, book: WorkbookCells | None = None) -> Loaded:
    """The workbook's quantities in `layout`; `book`: the workbook already open (its sheets parsed once)."""
    if book is None:
        with WorkbookCells(path) as book:
            return load(path, layout, book)
    return load_aligned(path, layout, book)[0]


def load_aligned(path: str | Path, layout: Layout, book: WorkbookCells) -> tuple[Loaded, AlignedCells]:
    """load(), and the workbook's cells as the layout sees them (a moved sheet's at the layout's addresses,
    its formulas' and the defined names' references mapped back): what the checker evaluates formulas
    over, so that the evaluation and the loaded quantities agree on every address."""
    roles = _find_sheets(book, layout)
    raw = {role: book.sheet(name) for role, name in roles.items()}
    alignment = align_workbook(layout, roles, raw)  # a sheet that moved: its cells at the layout's places
    aligned = AlignedCells(book, alignment)
    sheets = {role: aligned.sheet(name) for role, name in roles.items()}
    n = _count_images(layout, sheets)
    k = _count_iterations(layout, sheets)
    inputs, cells, sources = {}, {}, {}
    gathered = {role: _gather_sheet(layout, role, n, sheets[role], k) for role in sheets}
    columns = {role: value_columns(sheets[role]) for role in sheets}
    for q in layout.quantities:
        if q.sheet not in sheets:
            continue
        grid, at = gathered[q.sheet].get(q.name, (None, None))
        if grid is None:
            grid = _gather(layout, q, n, sheets[q.sheet], k)
        if q.computed:
            cells[q.name] = grid
            if at is not None and columns[q.sheet] is not None:
                sources[q.name] = (columns[q.sheet], at)
        if not q.computed:
            inputs[q.name] = _numbers(layout, q, grid, n, roles, alignment)
        elif q.per_iteration and q.first_iteration == TYPED:  # iteration 1's parameters are typed: inputs
            inputs[q.name] = _numbers(layout, q, grid[:1], n, roles, alignment)[0]
    return Loaded(Path(path), layout, roles, n, inputs, cells, k, alignment, sources), aligned


def sheet_roles(book: WorkbookCells, layout: Layout) -> dict[str, str]:
    """Role → the name of the sheet that plays it in this workbook (UnusableInput: a required one is missing)."""
    return _find_sheets(book, layout)


def sheet_fits(book: WorkbookCells, layout: Layout, s: SheetLayout, name: str | None) -> bool:
    """Does the named sheet hold numbers in all of s's signature cells (where it has them, if it moved)?"""
    return name is not None and _sheet_fits(layout, s, book, name)


def _find_sheets(book: WorkbookCells, layout: Layout) -> dict[str, str]:
    """Role → sheet name, worked out once per open workbook and layout (detection and loading both ask)."""
    kept = book.remembered.get(("roles", id(layout)))
    if kept is None or kept[0] is not layout:
        kept = book.remembered[("roles", id(layout))] = (layout, _search_sheets(book, layout))
    return dict(kept[1])


def _search_sheets(book: WorkbookCells, layout: Layout) -> dict[str, str]:
    # By name first (the edition's own name), then by content: the first sheet, in the workbook's
    # order, whose signature cells hold numbers. Other editions name their sheets differently.
    # A sheet named for another role is never taken by content, and one that also fits another
    # role's signature comes last (测试 has 学习's parameter block, and more).
    roles: dict[str, str] = {}
    named_for = {n: s.role for s in layout.sheets for n in s.names}
    for s in layout.sheets:
        named = next((n for n in s.names if n in book.sheet_names), None)
        if named is None or not _sheet_fits(layout, s, book, named):
            taken = set(roles.values())
            fitting = [n for n in book.sheet_names if n not in taken and named_for.get(n, s.role) == s.role
                       and _sheet_fits(layout, s, book, n, by_content=True)]
            others = [o for o in layout.sheets if o is not s]
            fitting.sort(key=lambda n: any(_sheet_fits(layout, o, book, n, by_content=True) for o in others))
            found = fitting[0] if fitting else None
            named = found or named  # a named sheet that does not fit is reported cell by cell later
        if named is not None:
            roles[s.role] = named
        elif s.required:
            where = ", ".join(f"{layout[q].description} at {layout[q].place.anchor}" for q in s.signature)
            raise UnusableInput(_("no sheet holds the {sheet} sheet's data ({where}); sheets: {sheets}").format(
                sheet=s.names[0], where=where, sheets=", ".join(book.sheet_names)))
    return roles


def _sheet_fits(layout: Layout, s: SheetLayout, book: WorkbookCells, name: str, by_content: bool = False) -> bool:
    """Does the sheet hold numbers in all of s's signature cells — where the layout has them, or where the
    student's inserted rows and columns moved them? (A sheet named for the role is taken even when it does
    not fit, if no other does: loading then says what is wrong with it, or what moved where.)"""
    # only the rows down to the signature's last are looked at: a large unrelated sheet is not read whole;
    # the sheet named for the role is read whole at once (it is nearly always the one loaded next, and
    # a peek at its start would inflate and scan half of it twice: 37 ms of a cnn check's 71 ms of reading)
    last_row = max((int(layout.positions(layout[q], 1)[..., 0].max()) for q in s.signature), default=1)
    try:
        cells = book.first_rows(name, last_row) if by_content else book.sheet(name)
        if _signature_at(layout, s, cells, None):
            return True
        # moved? Searched only when the first rows (with room for inserted ones) show the role's labels
        head = book.first_rows(name, last_row + align.MAX_INSERTED_SEARCHED)
    except UnusableInput:  # a sheet that holds no cells we can read (a chart sheet) holds no role's data
        return False
    texts = set(align.label_texts(layout, s.role, last_row))
    present = text_values(head)
    share = _LABELS_OF_A_MOVED_SHEET if by_content else _LABELS_OF_A_MOVED_NAMED_SHEET
    if not texts or len(present & texts) < share * len(texts):
        return False
    cells = book.sheet(name)
    found = align.found(layout, s.role, cells, name)
    if found.problems:  # it cannot be graded; if it is the sheet named for the role, loading says why
        return False
    if not found.map.moved or not _signature_at(layout, s, cells, found.map):
        return False
    return not by_content or align.label_share(layout, s.role, cells, found.map) >= _LABELS_OF_A_MOVED_SHEET


# A sheet found by its content (not its name) may have moved only if nearly all its labels say it is
# that sheet: chapter 3's learning sheet and chapter 4's share many labels and cells. One named for the
# role is searched when most of them are there (not chapter 5's Data labels on chapter 3's Data sheet).
_LABELS_OF_A_MOVED_SHEET = 0.9
_LABELS_OF_A_MOVED_NAMED_SHEET = 0.75


def _signature_at(layout: Layout, s: SheetLayout, cells: SheetCells, moved: SheetMap | None) -> bool:
    if moved is None:
        return align.signature_holds_numbers(layout, s.role, cells)
    for name in s.signature:
        q = layout[name]
        pos = layout.positions(q, 1)
        for row, col in pos.reshape(-1, 2):
            at = (int(row), int(col)) if moved is None else moved.forward(int(row), int(col))
            c = cells.get(at) if at is not None else None
            if c is None or not c.is_number:
                return False
    return True




def _count_images(layout: Layout, sheets: dict[str, SheetCells]) -> int:
    """Images are the consecutive blocks of the data sheet that hold any of their cells."""
    inputs = [q for q in layout.quantities if q.per_image and not q.computed and q.sheet in sheets]
    if not any(q.per_image for q in layout.quantities):
        return 1  # a workbook without images (chapter 2's gradient descent): one item
    first = [(sheets[q.sheet], _first_block(layout, q), layout.sheet(q.sheet).image_step) for q in inputs]
    n = 0
    while n < layout.max_images and any(
        (r + n * dr, c + n * dc) in cells for cells, block, (dr, dc) in first for r, c in block
    ):
        n += 1
    if n == 0:
        q = inputs[0]
        raise UnusableInput(_("sheet {sheet!r} holds no images (no {what} at {cell})").format(
            sheet=layout.sheet(q.sheet).names[0], what=_(q.description), cell=q.place.anchor))
    return n


def _count_iterations(layout: Layout, sheets: dict[str, SheetCells]) -> int:
    """Iteration blocks are the consecutive blocks of the first iterated sheet whose signature
    cells (the parameters, the step number) hold anything: the student fills the first block and
    copies it down. Signature cells outside the blocks (typed once above them) do not count."""
    s = next((s for s in layout.sheets if s.iteration_step != (0, 0) and s.role in sheets), None)
    if s is None:
        return 1
    cells = sheets[s.role]
    signature = [_first_block(layout, layout[name]) for name in s.signature if layout[name].per_iteration]
    dr, dc = s.iteration_step
    k = 1  # the first block is always there: its absence is reported cell by cell
    while k < layout.max_iterations and any(
        (c := cells.get((r + k * dr, col + k * dc))) is not None and (c.kind != "" or c.formula is not None)
        for block in signature for r, col in block
    ):
        k += 1
    return k


def _first_block(layout: Layout, q: Quantity) -> list[tuple[int, int]]:
    """q's cells in image 1 and iteration 1: every other block's are these moved by whole steps (so the
    blocks are counted without laying out 4,096 images' or 1,000 iterations' positions)."""
    return list(map(tuple, layout.positions(q, 1, 1).reshape(-1, 2).tolist()))


_KEYS = Memo(32)  # a class check gathers the same positions from every workbook


def _gather_sheet(layout: Layout, role: str, n: int, cells: SheetCells,
                  n_iterations: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """_gather() for every quantity on the sheet, all at once, each with its cells' places in cell_index's
    order (-1: no cell there); {} when the sheet's cells have no such keys (each quantity is then gathered on
    its own)."""
    index = cell_index(cells)
    if index is None or not len(index[0]):
        return {}
    plan = _KEYS.get(layout, (role, n, n_iterations), lambda: _sheet_keys(layout, role, n, n_iterations))
    keys, found = index
    at = _places(keys, plan)
    out = found[at]  # (a position without a cell took the last one: made None below)
    out[at < 0] = None
    return {name: (out[a:b].reshape(shape), at[a:b].reshape(shape)) for name, a, b, shape in plan.spans}


@record(frozen=True)
class _Plan:
    """Every position of a sheet's quantities, one after another, and each quantity's (name, start, stop,
    shape) among them. The positions: box, (first row, first col, rows, cols) of the rectangle they lie in,
    and each one's place in it row by row, when that rectangle is not much larger than them; else as
    keys (cell_index's) and which of them can be a cell's."""

    want: np.ndarray | None
    valid: np.ndarray | None
    spans: tuple
    box: tuple[int, int, int, int] | None = None
    in_box: np.ndarray | None = None


# A rectangle of at most this many cells per position (and at most _BOX_MOST in all) is looked up in a
# table of the sheet's cells in it: an iterated sheet's 250,000 positions searched among its 250,000
# sorted keys took 15 ms, the table 2.
_BOX_PER_POSITION, _BOX_LEAST, _BOX_MOST = 16, 1 << 16, 1 << 22


def _sheet_keys(layout: Layout, role: str, n: int, n_iterations: int) -> _Plan:
    parts, spans, start = [], [], 0
    for q in layout.quantities:
        if q.sheet == role:
            pos = layout.positions(q, n, n_iterations)
            parts.append(pos.reshape(-1, 2))
            spans.append((q.name, start, start + len(parts[-1]), pos.shape[:-1]))
            start += len(parts[-1])
    pos = np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)
    rows, cols = pos[:, 0], pos[:, 1]
    if len(pos):  # (a column's own min and max: along axis 0 of the n × 2 array NumPy took 24 ms for 238,401)
        r0, r1, c0, c1 = int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())
        height, width = r1 - r0 + 1, c1 - c0 + 1
        if r0 >= 1 and c0 >= 1 and c1 < ROW_KEY and height * width <= min(
                _BOX_MOST, max(_BOX_LEAST, _BOX_PER_POSITION * len(pos))):
            in_box = ((rows - r0) * width + (cols - c0)).astype(np.int32)
            in_box.flags.writeable = False
            return _Plan(None, None, tuple(spans), (r0, c0, height, width), in_box)
    want, valid = keys_of(rows, cols)
    want.flags.writeable = valid.flags.writeable = False
    return _Plan(want, valid, tuple(spans))


def _places(keys: np.ndarray, plan: _Plan) -> np.ndarray:
    """Where the cell at each of the plan's positions is among the sheet's sorted keys; −1: no cell there."""
    if plan.box is None:
        at, hit = located(keys, plan.want, plan.valid)
        return np.where(hit, at, -1)
    r0, c0, height, width = plan.box
    lo, hi = np.searchsorted(keys, [r0 * ROW_KEY, (r0 + height) * ROW_KEY]).tolist()  # the box's rows
    # each cell's place in the box, worked out in place: a fresh page of memory costs this VM a few µs
    # (a cold check's temporaries of 250,000 cells were 2,500 of them)
    cols = keys[lo:hi] & (ROW_KEY - 1)
    place = keys[lo:hi] // ROW_KEY
    place -= r0
    place *= width
    place += cols
    place -= c0
    table = np.full(height * width, -1, dtype=np.int32)
    if len(cols) and c0 <= cols.min() and cols.max() < c0 + width:
        table[place] = np.arange(lo, hi, dtype=np.int32)
    else:
        inside = np.flatnonzero((cols >= c0) & (cols < c0 + width))
        table[place[inside]] = inside + lo
    return table[plan.in_box]


def _gather(layout: Layout, q: Quantity, n: int, cells: SheetCells, n_iterations: int = 1) -> np.ndarray:
    """The Cell (or None) at each of q's positions: looked up in the sheet's sorted keys all at once (a
    sheet of the iterated kinds has 250,000 cells, its quantities as many positions)."""
    pos = layout.positions(q, n, n_iterations)
    return cells_at(cells, pos[..., 0], pos[..., 1])


def _numbers(layout: Layout, q: Quantity, grid: np.ndarray, n: int, roles: dict[str, str],
             alignment: Alignment = IDENTITY) -> np.ndarray:
    flat = grid.reshape(-1).tolist()
    # (list.count compares the interned kinds by identity first: ~3x a map of "n".__eq__)
    if not any(map(is_, flat, repeat(None))) and list(map(cell_kind, flat)).count("n") == len(flat):  # all numbers: at once
        return np.array(list(map(cell_value, flat)), dtype=float).reshape(grid.shape)
    out = np.empty(grid.shape, dtype=float)
    for index, cell in np.ndenumerate(grid):  # the first cell that is not a number says what is there
        if cell is not None and cell.is_number:
            out[index] = cell.value
            continue
        row, col = layout.positions(q, n, grid.shape[0] if q.per_iteration else 1)[index]
        where = f"{roles[q.sheet]}!{cell_name(*alignment.forward(q.sheet, int(row), int(col)))}"
        if language() == "en":
            what = ("an " if q.description[:1] in "aeiou" else "a ") + q.description
        else:
            what = _(q.description)
        raise UnusableInput(_("{cell} {there} where {what} (a number) belongs").format(
            cell=where, there=_what_is_there(cell), what=what))
    return out


def _what_is_there(cell: Cell | None) -> str:
    if cell is None or cell.kind == "":
        return _("has a formula but no cached value") if cell is not None and cell.formula else _("is empty")
    if cell.kind == "e":
        return _("holds the error {value}").format(value=cell.value)
    if cell.kind == "b":
        return _("holds the boolean {value}").format(value=str(cell.value).upper())
    return _("holds the text {text!r}").format(text=str(cell.value)[:30])
