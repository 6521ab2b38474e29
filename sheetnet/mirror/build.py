"""Named arrays → cells: every cell a layout describes, with its formula and (our) cached value,
and the layout's conditional formats and charts placed on the ranges its quantities occupy; columns
as wide as their values need and the page set-up (mirror/display.py)."""

from __future__ import annotations

import numpy as np

from sheetnet import progress
from sheetnet.i18n import _
from sheetnet.layout.model import Layout
from sheetnet.layout.styles import blank_style
from sheetnet.mirror.display import column_widths, page_setup
from sheetnet.xlsx.refs import cell_name, parse_cell
from sheetnet.xlsx.writer import CellBlock, CellOut, ChartOut, ConditionalOut, SheetOut, book_dialect


def build_sheets(layout: Layout, n_images: int, inputs: dict[str, np.ndarray], computed: dict[str, np.ndarray],
                 *, blank: frozenset[str] = frozenset(), roles: tuple[str, ...] | None = None,
                 n_iterations: int = 1, uncached: frozenset[str] = frozenset()) -> list[SheetOut]:
    """Sheets for `write_xlsx`. `inputs` holds the typed quantities, `computed` the others' values.

    Only the sheets of `roles` are built (default: all of the layout's); quantities of the others
    need no values. Computed quantities named in `blank` are left as empty styled cells: a
    student's exercise. Per-iteration quantities and labels repeat `n_iterations` times (chapter 4).
    Quantities named in `uncached` keep their formulas without a cached value: the spreadsheet
    computes them on opening (an exercise's summary of cells the student has yet to fill).
    """
    chosen = [s for s in layout.sheets if roles is None or s.role in roles]
    names = {s.role: s.names[0] for s in layout.sheets}
    sheets = {s.role: SheetOut(names[s.role]) for s in chosen}
    values_of = {q.name: computed[q.name] if q.computed else inputs[q.name] for q in layout.quantities
                 if q.sheet in sheets}
    for s in chosen:
        out = sheets[s.role]
        out.column_widths = column_widths(layout, s.role, n_images, n_iterations, values_of)
        out.row_heights = list(s.row_heights)
        out.landscape, out.one_page = s.landscape, s.one_page
        if s.freeze:
            out.freeze = parse_cell(s.freeze)
    for label in layout.labels:
        if label.sheet not in sheets:
            continue
        step = layout.sheet(label.sheet).iteration_step
        for k in range(n_iterations if label.per_iteration else 1):
            row, col = _shifted(parse_cell(label.cell), step, k)
            merge = _shifted(parse_cell(label.merge_to), step, k) if label.merge_to else None
            sheets[label.sheet].cells.append(CellOut(row, col, label.text, style=label.style, merge_to=merge))
    charted = {name for c in layout.charts for name in (c.categories, c.values)}
    for q in progress.each(layout.quantities, _("building the cells"), _("quantities")):
        if q.sheet not in sheets:
            continue
        arrays = inputs if not q.computed else computed
        if q.computed and q.per_iteration and n_iterations > 1 and q.name not in charted \
                and q.name not in layout.sheet(q.sheet).merge_per_image \
                and all(book_dialect(t) for t in (q.formula, q.first_formula, q.first_iteration) if t):
            # a long run's quantity: streamed one iteration block at a time (same bytes)
            sheets[q.sheet].blocks.append(_quantity_block(layout, q, n_images, n_iterations, names, arrays,
                                                          q.name in blank, q.name in uncached))
        else:
            _quantity_cells(layout, q, n_images, n_iterations, names, arrays,
                            sheets[q.sheet].cells, q.name in blank, q.name in uncached)
    for shading in layout.shadings:
        q = layout[shading.quantity]
        if q.sheet in sheets:
            sheets[q.sheet].conditional.extend(ConditionalOut(span, shading.style)
                                               for span in item_spans(layout, q.name, n_images, n_iterations))
    for chart in layout.charts:
        if chart.sheet in sheets:
            sheets[chart.sheet].charts.append(ChartOut(
                *parse_cell(chart.anchor), chart.kind, chart.title, layout[chart.values].description,
                whole_span(layout, chart.categories, n_images, n_iterations),
                whole_span(layout, chart.values, n_images, n_iterations),
                chart.x_title, chart.y_title, chart.size,
                whole_span(layout, chart.line, n_images, n_iterations) if chart.line else None,
                layout[chart.line].description if chart.line else ""))
    for role, name, value in layout.defined_names:
        if role in sheets:
            sheets[role].hidden_names.append((name, value))
    for name, quantity in layout.cell_names:  # a name for one cell: 'η' → $D$3 on its sheet
        q = layout[quantity]
        if q.sheet in sheets:
            sheets[q.sheet].names.append((name, cell_name(*(int(v) for v in q.place.origin), absolute=True)))
    for s in chosen:
        page_setup(sheets[s.role], layout, s.role, n_images, n_iterations)
    return [sheets[s.role] for s in chosen]


def _quantity_cells(layout: Layout, q, n_images: int, n_iterations: int, names: dict[str, str], arrays: dict,
                    cells: list[CellOut], blank: bool, uncached: bool) -> None:
    """Append the cells of one quantity: its values, or its formulas (with their cached values)."""
    pos = layout.positions(q, n_images, n_iterations)
    merge_cols = layout.sheet(q.sheet).block[1] - 1 if q.name in layout.sheet(q.sheet).merge_per_image else 0
    values = np.asarray(arrays[q.name]).reshape(-1).tolist()
    values = [v if isinstance(v, str) else float(v) for v in values]
    rows, cols = pos[..., 0].reshape(-1).tolist(), pos[..., 1].reshape(-1).tolist()
    merges = [(row, col + merge_cols) for row, col in zip(rows, cols)] if merge_cols else [None] * len(rows)
    style = q.style
    if not q.computed:
        cells.extend(CellOut(row, col, value, style=style, merge_to=merge)
                     for row, col, value, merge in zip(rows, cols, values, merges))
        return
    texts = layout.formula_texts(q, n_images, names, n_iterations).reshape(-1).tolist()
    templates = (q.formula, q.first_formula, q.first_iteration)
    dialect = all(book_dialect(t) for t in templates if t and t.startswith("="))
    for index, row, col, value, merge, formula in zip(np.ndindex(pos.shape[:-1]), rows, cols, values, merges, texts):
        if formula is None:  # no formula here: the template is TYPED ("") or a constant (image 1's number)
            iteration, image = layout.index_parts(q, index)[:2]
            template = q.formula_for(image, iteration)
            if template == "":  # TYPED: the value itself (chapter 4's parameters in iteration 1)
                cells.append(CellOut(row, col, value, style=style, merge_to=merge))
            elif template is not None:
                cells.append(CellOut(row, col, float(template), style=style, merge_to=merge))
        elif blank:  # the answer's number format, the look of a cell to fill
            cells.append(CellOut(row, col, None, style=blank_style(style), merge_to=merge))
        else:
            cells.append(CellOut(row, col, None if uncached else value, formula=formula, style=style,
                                 merge_to=merge, book_dialect=dialect))


def _quantity_block(layout: Layout, q, n_images: int, n_iterations: int, names: dict[str, str], arrays: dict,
                    blank: bool, uncached: bool) -> CellBlock:
    """A per-iteration quantity as a block streamed by the writer, a few iterations a chunk (about
    _CHUNK_CELLS cells: the formulas of many cells rendered at once, few held at a time): the same
    cells _quantity_cells would give, made only when the writer reaches them."""
    pos = layout.positions(q, n_images, n_iterations)
    values = arrays[q.name]
    images = n_images if q.per_image else 1
    per_iteration = int(np.prod(pos.shape[1:-1]))
    per_cell = per_iteration // images
    step = max(1, _CHUNK_CELLS // max(per_iteration, 1))
    firsts = range(0, n_iterations, step)

    def content(k: int):
        first = firsts[k]
        stop = min(first + step, n_iterations)
        texts = layout.formula_texts_at(q, n_images, names, n_iterations, first, stop).reshape(-1).tolist()
        vals = np.asarray(values[first:stop]).reshape(-1)
        vals = vals.tolist() if vals.dtype.kind == "f" else [v if isinstance(v, str) else float(v) for v in vals.tolist()]
        n = len(texts)
        if None not in texts:  # a formula in every cell (the common chunk)
            if blank:
                return [None] * n, [None] * n, [True] * n
            return [None] * n if uncached else vals, texts, [False] * n
        formulas, blanks, out = [], [], []
        for i, (text, value) in enumerate(zip(texts, vals)):
            if text is None:  # the template is TYPED ("") or a constant (image 1's number)
                iteration, at = divmod(i, per_iteration)
                template = q.formula_for(at // per_cell, first + iteration)
                out.append(value if template == "" else float(template))
                formulas.append(None)
                blanks.append(False)
            elif blank:
                out.append(None)
                formulas.append(None)
                blanks.append(True)
            else:
                out.append(None if uncached else value)
                formulas.append(text)
                blanks.append(False)
        return out, formulas, blanks

    rows, cols = pos[..., 0].reshape(n_iterations, -1), pos[..., 1].reshape(n_iterations, -1)
    return CellBlock(q.style, [rows[a:a + step].reshape(-1) for a in firsts],
                     [cols[a:a + step].reshape(-1) for a in firsts], content, blank_style=blank_style(q.style))


_CHUNK_CELLS = 4096  # cells of a streamed chunk, at least one iteration's


def exercise_blanks(layout: Layout) -> frozenset[str]:
    """What a student's exercise leaves empty: the quantities the checker grades (image and
    iteration numbers stay: they are labels)."""
    return frozenset(layout.graded)


def item_spans(layout: Layout, name: str, n_images: int, n_iterations: int = 1) -> list[tuple[int, int, int, int]]:
    """The range of each item of a quantity (one per iteration, image and unit): 'K5:M8', 'O5:Q8', …"""
    pos = layout.positions(layout[name], n_images, n_iterations)
    items = pos.reshape(-1, *pos.shape[-3:])  # (items, rows, cols, 2)
    return [(int(i[0, 0, 0]), int(i[0, 0, 1]), int(i[-1, -1, 0]), int(i[-1, -1, 1])) for i in items]


def whole_span(layout: Layout, name: str, n_images: int, n_iterations: int = 1) -> tuple[int, int, int, int]:
    """From a quantity's first cell to its last: a column or row of values across the items."""
    flat = layout.positions(layout[name], n_images, n_iterations).reshape(-1, 2)
    return int(flat[0, 0]), int(flat[0, 1]), int(flat[-1, 0]), int(flat[-1, 1])


def _shifted(cell: tuple[int, int], step: tuple[int, int], k: int) -> tuple[int, int]:
    return cell[0] + k * step[0], cell[1] + k * step[1]
