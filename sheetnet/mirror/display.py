"""How a built sheet shows on screen and on paper, from its layout: columns wide enough for what
their cells show (no ###), and the page set-up (print area, page breaks between image and iteration
blocks, repeated label columns, a scale at which every page's blocks fit the page)."""

from __future__ import annotations

import math

import numpy as np

from sheetnet.layout import measure
from sheetnet.layout.model import Layout
from sheetnet.xlsx.refs import parse_cell
from sheetnet.xlsx.writer import SheetOut

DEFAULT_WIDTH = 8.43  # a column the layout leaves alone


def column_widths(layout: Layout, role: str, n_images: int, n_iterations: int,
                  values: dict[str, np.ndarray]) -> list[tuple[int, int, float]]:
    """The sheet's (first col, last col, width) ranges: the layout's widths, each column widened
    to what its cells show (the values written and their styles' WIDEST)."""
    declared = [(_col(a), _col(b), w) for a, b, w in layout.sheet(role).column_widths]
    need = _needed(layout, role, n_images, n_iterations, values)
    out: list[tuple[int, int, float]] = []

    def add(col: int, width: float) -> None:
        if out and out[-1][1] == col - 1 and out[-1][2] == width:
            out[-1] = (out[-1][0], col, width)
        else:
            out.append((col, col, width))

    covered = set()
    for first, last, width in declared:
        col = first
        for c in sorted(c for c in need if first <= c <= last and need[c] > width):
            if c > col:  # the declared run up to a wider column, then the column itself
                out.append((col, c - 1, width))
            add(c, need[c])
            col = c + 1
        if col <= last:
            out.append((col, last, width))
        covered.update(c for c in need if first <= c <= last)
    for c in sorted(set(need) - covered):  # columns the layout leaves at the default width
        if need[c] > DEFAULT_WIDTH:
            out.append((c, c, need[c]))
    return sorted(out)


def _distinct(a: np.ndarray) -> np.ndarray:
    """np.unique(a), sorted: without np.unique, whose first call imports numpy.ma (~20 ms a process)."""
    flat = np.sort(a, axis=None)
    return flat[np.r_[True, flat[1:] != flat[:-1]]] if flat.size else flat


def _needed(layout: Layout, role: str, n_images: int, n_iterations: int,
            values: dict[str, np.ndarray]) -> dict[int, float]:
    """Column → the width its widest value needs. A column of an image's block gets the width of
    that column in every image's block, so the blocks stay alike."""
    sheet = layout.sheet(role)
    need: dict[int, float] = {}

    def widen(cols, width: float) -> None:
        for c in cols:
            need[int(c)] = max(need.get(int(c), 0.0), width)

    for q in layout.quantities:
        if q.sheet != role or q.text or q.name in sheet.merge_per_image or q.name not in values:
            continue
        pos = layout.positions(q, n_images, n_iterations)
        cols = pos[..., 1]
        v = np.asarray(values[q.name], dtype=float).reshape(cols.shape)
        step = sheet.image_step[1] if q.per_image else 0
        if step:  # each cell's column in image 1's block
            images = np.arange(n_images).reshape((1,) * q.per_iteration + (-1,) + (1,) * (cols.ndim - 1 - q.per_iteration))
            cols = cols - images * step
        for c in _distinct(cols):
            here = v[cols == c]
            here = here[~np.isnan(here)]
            extremes = [here.max(), here.min()] if here.size else []
            width = measure.fitted_width(measure.widest_shown(q.style, extremes))
            widen([c + k * step for k in range(n_images)] if step else [c], width)
    for label in layout.labels:
        if label.sheet == role and not isinstance(label.text, str) and label.merge_to is None:
            widen([_col(label.cell)], measure.fitted_width(measure.widest_shown(label.style, [label.text])))
    return need


def page_setup(out: SheetOut, layout: Layout, role: str, n_images: int, n_iterations: int) -> None:
    """Set `out`'s paper, print area, page breaks, repeated columns and scale from its layout."""
    s = layout.sheet(role)
    out.paper, out.margins = measure.PAPER, measure.MARGINS
    whole = [c for c in layout.charts if c.sheet == role and c.whole_page]
    if s.one_page or not (s.page_images or s.page_rows or s.print_images or s.print_iterations or whole):
        return
    images = min(s.print_images or n_images, n_images)
    iterations = min(s.print_iterations or n_iterations, n_iterations)
    last_row, last_col = _extent(layout, role, images, iterations, out.column_widths)
    out.print_area = (1, 1, last_row, last_col)
    if s.repeat_columns:
        out.repeat_columns = (_col(s.repeat_columns[0]), _col(s.repeat_columns[1]))
    if s.page_images:  # a page holds page_images blocks (the first page also the columns before them)
        out.page_break_cols = [layout.block_columns(role, k)[1] + 1 for k in range(s.page_images, images, s.page_images)]
    step = s.iteration_step[0]
    top = min(s.page_rows, default=0)  # the first block's first page also holds the rows above it
    rows = {r + k * step for k in range(iterations) for r in s.page_rows if k or r != top}
    rows |= {bottom + 1 for bottom in (_chart_corner(c, out.column_widths)[0] for c in whole) if bottom < last_row}
    out.page_break_rows = sorted(rows)
    if s.long_table:  # its rows run on: a page as long as fits at the scale its width allows
        out.page_break_rows = _run_on(out, last_row, _scale(out, last_row, last_col, rows=False))
    out.print_scale = _scale(out, last_row, last_col)


def _points(out: SheetOut, first: int, stop: int) -> float:
    """The printed width of columns first … stop − 1 at 100 %."""
    return sum(measure.column_points(_width(out.column_widths, c)) for c in range(first, stop))


def _extent(layout: Layout, role: str, n_images: int, n_iterations: int,
            widths: list[tuple[int, int, float]]) -> tuple[int, int]:
    """The last row and column of what the sheet holds with so many images and iterations."""
    rows, cols = [1], [1]
    for q in layout.quantities:
        if q.sheet == role:
            pos = layout.positions(q, n_images, n_iterations)
            rows.append(int(pos[..., 0].max()))
            cols.append(int(pos[..., 1].max()))
    s = layout.sheet(role)
    for label in layout.labels:
        if label.sheet == role:
            row, col = parse_cell(label.merge_to or label.cell)
            k = n_iterations - 1 if label.per_iteration else 0
            rows.append(row + k * s.iteration_step[0])
            cols.append(col + k * s.iteration_step[1])
    for chart in layout.charts:
        if chart.sheet == role:
            row, col = _chart_corner(chart, widths)
            rows.append(row)
            cols.append(col)
    return max(rows), max(cols)


def _chart_corner(chart, widths: list[tuple[int, int, float]]) -> tuple[int, int]:
    """The last row and column a chart covers (rows of the default 20 px, XlsxWriter's rule)."""
    row, col = parse_cell(chart.anchor)
    px = 0
    while px < chart.size[0]:
        px += measure.column_px(_width(widths, col))
        col += 1
    return row + math.ceil(chart.size[1] / 20) - 1, col - 1


def _scale(out: SheetOut, last_row: int, last_col: int, *, rows: bool = True) -> int:
    """The largest print scale (percent, at most 100) at which every page's columns (and rows) fit
    the printable part of the page."""
    usable_w, usable_h = (measure.USABLE * v for v in measure.printable(out.landscape))
    repeat = out.repeat_columns
    scale = 1.0
    edges = [1, *out.page_break_cols, last_col + 1]
    for first, stop in zip(edges, edges[1:]):
        width = _points(out, first, stop)
        if repeat and first > repeat[1]:
            width += _points(out, repeat[0], repeat[1] + 1)
        scale = min(scale, usable_w / width)
    if rows:
        edges = [1, *out.page_break_rows, last_row + 1]
        for first, stop in zip(edges, edges[1:]):
            scale = min(scale, usable_h / sum(_row_points(out, r) for r in range(first, stop)))
    return max(10, math.floor(scale * 100))


def _run_on(out: SheetOut, last_row: int, scale: int) -> list[int]:
    """The page breaks, and more wherever the rows since the last one would not fit a page at `scale`."""
    usable_h = measure.USABLE * measure.printable(out.landscape)[1] * 100 / scale
    breaks, height = [], 0.0
    for r in range(1, last_row + 1):
        h = _row_points(out, r)
        if r in out.page_break_rows or (height + h > usable_h and r > 1):
            breaks.append(r)
            height = 0.0
        height += h
    return breaks


def _row_points(out: SheetOut, row: int) -> float:
    return next((h for first, last, h in out.row_heights if first <= row <= last),
                measure.ROW_POINTS * measure.ROW_GROWTH)


def _width(widths: list[tuple[int, int, float]], col: int) -> float:
    return next((w for first, last, w in widths if first <= col <= last), DEFAULT_WIDTH)


def _col(letters: str) -> int:
    return parse_cell(letters + "1")[1]
