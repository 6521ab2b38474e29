"""What the tests read back from a workbook sheetnet wrote: its formula cells, and the functions they call."""

from __future__ import annotations

from sheetnet.check.formulas import parse
from sheetnet.xlsx.reader import WorkbookCells


def formula_cells(path):
    """{(sheet, row, col): Cell} of every cell holding a formula."""
    with WorkbookCells(path) as wb:
        return {(s, *pos): c for s in wb.sheet_names for pos, c in wb.sheet(s).items() if c.formula is not None}


def functions_used(path) -> set[str]:
    """Every function the workbook's formulas call; each formula must parse, name no defined name and
    reach nothing outside the workbook."""
    used = set()
    for cell in formula_cells(path).values():
        parsed = parse(cell.formula)
        assert not parsed.unparsable and not parsed.names and parsed.outside is None, cell.formula
        used |= set(parsed.functions)
    return used
