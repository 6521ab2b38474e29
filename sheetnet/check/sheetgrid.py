"""The graded sheet as a report draws it: which rows, columns and cells of it, read from the layout.

A report cannot show a 64-image sheet (or 50 iteration blocks of it) on a phone, and need not: it
shows each iteration block it picks (the first, and those where root causes start) as the sheet
lays it out — the parameters and totals at the left, the row labels, then the image blocks it picks
(the first image, and those where findings are) — with a gap column standing for the images left
out. Every address comes from the layout (positions, labels, the image and iteration steps); the
cells' values from the workbook as loaded; their marks from the check's findings.
"""

from __future__ import annotations

import numpy as np

from sheetnet.check.checker import CheckResult, Finding
from sheetnet.layout.model import Label, Layout
from sheetnet.mirror.alignment import UNMOVED, SheetMap
from sheetnet.record import field, record
from sheetnet.xlsx.refs import col_letters, parse_cell

IMAGES_SHOWN = 6  # image blocks drawn per iteration block, at most
IMAGES_SHOWN_ITERATED = 3  # an iterated kind's blocks are long (65–134 rows): fewer images each
ITERATIONS_SHOWN = 3  # iteration blocks drawn, at most


@record(frozen=True)
class GridCell:
    kind: str  # 'label', 'input' (typed by the student: data, parameters), 'cell' (graded), 'plain' (computed, not graded)
    text: object  # a label's text, or the value the workbook holds
    quantity: str | None = None
    index: tuple[int, ...] | None = None
    finding: Finding | None = None
    span: int = 1  # sheet columns it covers (a merged label, an image number across its block)
    header: bool = False  # a label the sheet styles as a header or a unit number


@record(frozen=True)
class Gap:
    """A column standing for image blocks left out: images first..last (0-based), how many hold findings."""

    first: int
    last: int
    with_findings: int


@record(frozen=True)
class Column:
    col: int | None  # the sheet's column number; None for a gap
    image: int | None = None  # 0-based: the image whose block it belongs to
    sticky: int | None = None  # the row-label columns keep their place when the grid scrolls: their rank
    gap: Gap | None = None


@record
class Block:
    iteration: int | None  # 0-based; None in a workbook without iteration blocks
    rows: list[int]
    columns: list[Column]
    cells: dict[tuple[int, int], GridCell]  # (row, col) → what is there
    images: list[int]  # the image blocks drawn (0-based)
    first_image_col: int  # where image 1's block starts on the sheet


@record
class Grid:
    sheet: str  # the sheet's name in this workbook
    blocks: list[Block]
    iterations_left_out: list[int] = field(default_factory=list)  # 0-based, blocks holding findings not drawn
    lines: SheetMap = UNMOVED  # the grid is in the layout's rows and columns; this names them as the sheet does

    def row_name(self, row: int) -> str:
        """The row number the student's sheet shows for a layout row (a moved sheet's own)."""
        return str(self.lines.rows.forward(row) or row)

    def col_name(self, col: int) -> str:
        return col_letters(self.lines.cols.forward(col) or col)


def graded_role(layout: Layout) -> str:
    return next(s.role for s in layout.sheets if s.graded)


def build(result: CheckResult, *, images_shown: int | None = None, iterations_shown: int = ITERATIONS_SHOWN) -> Grid:
    ld = result.loaded
    layout = ld.layout
    role = graded_role(layout)
    iterated = ld.n_iterations > 1 or any(q.per_iteration for q in layout.quantities if q.sheet == role)
    if images_shown is None:
        images_shown = IMAGES_SHOWN_ITERATED if iterated else IMAGES_SHOWN
    by_cell = {(f.quantity, f.index): f for f in result.findings}
    its, left_out = pick_iterations(result, iterations_shown) if iterated else ([None], [])
    blocks = [_block(result, role, it, pick_images(result, it, images_shown), by_cell) for it in its]
    return Grid(ld.sheet_names[role], blocks, left_out, ld.alignment.map(role))


# -- what to draw ------------------------------------------------------------------------------------
def _first_places(result: CheckResult) -> list[Finding]:
    return [r.first for r in result.root_causes]


def pick_iterations(result: CheckResult, most: int) -> tuple[list[int], list[int]]:
    """The first iteration block, then those where a root cause starts, then any other holding findings;
    `most` of them, in sheet order. Also the blocks holding findings that were left out."""
    holding = sorted({f.iteration - 1 for f in result.findings if f.iteration})
    wanted = [0] + [f.iteration - 1 for f in _first_places(result) if f.iteration] + holding
    chosen: list[int] = []
    for it in wanted:
        if it not in chosen and len(chosen) < most:
            chosen.append(it)
    return sorted(chosen), [it for it in holding if it not in chosen]


def pick_images(result: CheckResult, iteration: int | None, most: int) -> list[int]:
    """Image 1, then the images where root causes start, then the others holding findings (0-based)."""
    here = [f for f in result.findings if f.image and (iteration is None or f.iteration in (None, iteration + 1))]
    firsts = [f.image - 1 for f in _first_places(result)
              if f.image and (iteration is None or f.iteration in (None, iteration + 1))]
    chosen: list[int] = []
    for image in [0] + firsts + sorted({f.image - 1 for f in here}):
        if image not in chosen and len(chosen) < most and image < result.loaded.n_images:
            chosen.append(image)
    return sorted(chosen)


# -- one block -----------------------------------------------------------------------------------------
def _block(result: CheckResult, role: str, it: int | None, images: list[int], by_cell) -> Block:
    ld = result.loaded
    layout = ld.layout
    n, k = ld.n_images, ld.n_iterations
    sheet = layout.sheet(role)
    first_col = parse_cell(sheet.block[0] + "1")[1]
    width = sheet.image_step[1]
    cells: dict[tuple[int, int], GridCell] = {}
    left_area = 0  # the rightmost column of what is not per image (parameters, totals)
    for q in layout.quantities:
        if q.sheet != role or (not q.per_iteration and it not in (None, 0)):
            continue
        pos = layout.positions(q, n, k)
        lead: tuple[int, ...] = ()
        if q.per_iteration:
            pos, lead = pos[it or 0], (it or 0,)
        items = [(pos[i], lead + (i,)) for i in images] if q.per_image else [(pos, lead)]
        span = sheet.block[1] if q.name in sheet.merge_per_image else 1
        for grid, prefix in items:
            for index in np.ndindex(grid.shape[:-1]):
                row, col = (int(v) for v in grid[index])
                full = prefix + index
                cells[(row, col)] = _cell(result, q, full, by_cell, span)
                if not q.per_image:
                    left_area = max(left_area, col)
    rows_used = [r for r, _ in cells]
    top, bottom = min(rows_used), max(rows_used)
    shown_cols = {first_col + width * i + d for i in images for d in range(sheet.block[1])} if width else set()
    for label in layout.labels:
        if label.sheet != role or (not label.per_iteration and it not in (None, 0)):
            continue
        row, col, span = _label_place(label, sheet.iteration_step, (it or 0) if label.per_iteration else 0)
        if not top <= row <= bottom or (width and col >= first_col and col not in shown_cols):
            continue
        cells.setdefault((row, col), GridCell("label", label.text, span=span,
                                              header=label.style in ("header", "unit")))
    columns = _columns(cells, images, first_col, width, left_area, result, it)
    drawn = {c.col for c in columns if c.col is not None}
    rows = sorted({r for r, c in cells if c in drawn})
    return Block(it, rows, columns, cells, images, first_col)


def _cell(result: CheckResult, q, index: tuple[int, ...], by_cell, span: int) -> GridCell:
    ld = result.loaded
    layout = ld.layout
    it, image, *_ = layout.index_parts(q, index)
    graded = q.name in layout.graded and bool((q.formula_for(image, it) or "").startswith("="))
    if q.name in ld.cells:
        cell = ld.cells[q.name][index]
        value = None if cell is None else cell.value
    elif q.name in ld.inputs:
        value = float(ld.inputs[q.name][index])
    else:
        value = None
    if q.computed and not graded and q.name in layout.graded:  # typed where the layout types (iteration 1)
        kind = "input"
    else:
        kind = "cell" if graded else ("input" if not q.computed else "plain")
    return GridCell(kind, value, q.name, index, by_cell.get((q.name, index)), span)


def _label_place(label: Label, step: tuple[int, int], it: int) -> tuple[int, int, int]:
    row, col = parse_cell(label.cell)
    span = parse_cell(label.merge_to)[1] - col + 1 if label.merge_to else 1
    return row + step[0] * it, col + step[1] * it, span


def _columns(cells, images: list[int], first_col: int, width: int, left_area: int, result: CheckResult,
             it: int | None) -> list[Column]:
    used = sorted({c for _, c in cells})
    left = [c for c in used if c < first_col or not width]
    label_cols = [c for c in left if c > left_area]
    out = [Column(c, sticky=label_cols.index(c) if c in label_cols else None) for c in left]
    if not width:
        return out
    with_findings = _images_with_findings(result, it)
    n = result.loaded.n_images
    previous = -1
    for image in images + [n]:
        if image - previous > 1:  # the images between the previous one drawn and this one
            first, last = previous + 1, image - 1
            out.append(Column(None, gap=Gap(first, last, sum(first <= i <= last for i in with_findings))))
        if image < n:
            out += [Column(c, image=image) for c in used if first_col + width * image <= c < first_col + width * (image + 1)]
        previous = image
    return out


def _images_with_findings(result: CheckResult, it: int | None) -> set[int]:
    return {f.image - 1 for f in result.findings if f.image and (it is None or f.iteration in (None, it + 1))}


def sheet_label(layout: Layout, name: str) -> str | None:
    """The label the sheet puts beside a one-cell quantity (above it, or left of it): 'ＣT', '正确率'."""
    q = layout[name]
    row, col = q.place.origin
    for label in layout.labels:
        if label.sheet != q.sheet:
            continue
        r, c, span = _label_place(label, (0, 0), 0)
        if (r == row - 1 and c <= col < c + span) or (r == row and c + span == col):
            return str(label.text)
    return None


def unit_label(layout: Layout, name: str, unit: int) -> str:
    """The number the sheet writes left of a parameter unit's first cell ('1', '2', …), else unit + 1."""
    q = layout[name]
    pos = layout.positions(q, 1, 1)
    if q.per_iteration:
        pos = pos[0]
    row, col = (int(v) for v in pos[unit, 0, 0])
    for label in layout.labels:
        if label.sheet == q.sheet and parse_cell(label.cell) == (row, col - 1):
            return str(label.text)
    return str(unit + 1)
