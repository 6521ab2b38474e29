"""A check of a workbook whose sheets moved, told in the workbook's own addresses.

The checker works in the layout's coordinates (mirror/alignment.py maps a moved sheet's cells and
formulas back into them when loading); its findings' cells are already the workbook's (Loaded.where).
This last step moves the rest: each finding's formula as the student wrote it, the expected formula and
the explanation's cell references forward into the workbook's addresses, and says once what moved.
"""

from __future__ import annotations

from sheetnet.check.checker import CheckResult
from sheetnet.record import replace


def in_workbook_terms(result: CheckResult) -> None:
    loaded = result.loaded
    alignment = loaded.alignment
    note = alignment.note("graded")
    if note and note not in result.notes:
        result.notes.insert(0, note)
    if not alignment.moved:
        return
    layout = loaded.layout
    texts: dict[tuple[str, str], str] = {}

    def forward(text: str | None, role: str) -> str | None:
        if text is None:
            return None
        if (text, role) not in texts:
            texts[(text, role)] = alignment.forward_text(text, role)
        return texts[(text, role)]

    for f in result.findings:
        role = layout[f.quantity].sheet
        cell = loaded.cells[f.quantity][f.index]
        if cell is not None and cell.formula is not None:
            f.formula = loaded.written(f.quantity, f.index, f.formula)
        else:  # a typed value, or a cell of an array formula (f.formula: the array's, from its first cell)
            f.formula = forward(f.formula, role)
        f.expected_formula = forward(f.expected_formula, role)
        if f.diagnosis is not None:
            f.diagnosis = replace(f.diagnosis, text=forward(f.diagnosis.text, role),
                                              hint=forward(f.diagnosis.hint, role) or "")
    for r in result.root_causes:
        r.diagnosis = r.first.diagnosis
