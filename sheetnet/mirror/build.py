"""Named arrays → cells: every cell a layout describes, with its formula and (our) cached value."""

from __future__ import annotations

import numpy as np

from sheetnet.layout.model import Layout
from sheetnet.xlsx.refs import parse_cell
from sheetnet.xlsx.writer import CellOut, SheetOut


def build_sheets(layout: Layout, n_images: int, inputs: dict[str, np.ndarray], computed: dict[str, np.ndarray],
                 *, blank: frozenset[str] = frozenset()) -> list[SheetOut]:
    """Sheets for `write_xlsx`. `inputs` holds the typed quantities, `computed` the others' values.

    Computed quantities named in `blank` are left as empty styled cells: a student's exercise.
    """
    names = {s.role: s.names[0] for s in layout.sheets}
    sheets = {s.role: SheetOut(names[s.role]) for s in layout.sheets}
    for s in layout.sheets:
        out = sheets[s.role]
        out.column_widths = [(parse_cell(a + "1")[1], parse_cell(b + "1")[1], w) for a, b, w in s.column_widths]
        if s.freeze:
            out.freeze = parse_cell(s.freeze)
    for label in layout.labels:
        row, col = parse_cell(label.cell)
        merge = parse_cell(label.merge_to) if label.merge_to else None
        sheets[label.sheet].cells.append(CellOut(row, col, label.text, style=label.style, merge_to=merge))
    for q in layout.quantities:
        pos = layout.positions(q, n_images)
        merge_cols = layout.sheet(q.sheet).block[1] - 1 if q.name in layout.sheet(q.sheet).merge_per_image else 0
        values = inputs[q.name] if not q.computed else computed[q.name]
        cells = sheets[q.sheet].cells
        for index in np.ndindex(pos.shape[:-1]):
            row, col = (int(v) for v in pos[index])
            merge = (row, col + merge_cols) if merge_cols else None
            value = values[index]
            value = value if isinstance(value, str) else float(value)
            if not q.computed:
                cells.append(CellOut(row, col, value, style=q.style, merge_to=merge))
                continue
            image, unit, r, c = index if q.per_image else (0, *index)
            template = q.formula_for(image)
            if template is not None and not template.startswith("="):  # a constant (image 1's number)
                cells.append(CellOut(row, col, float(template), style=q.style, merge_to=merge))
            elif q.name in blank:
                cells.append(CellOut(row, col, None, style="blank", merge_to=merge))
            else:
                formula = layout.formula(q, n_images, names, image, unit, r, c)
                cells.append(CellOut(row, col, value, formula=formula, style=q.style, merge_to=merge))
    for role, name, value in layout.defined_names:
        sheets[role].hidden_names.append((name, value))
    return [sheets[s.role] for s in layout.sheets]
