"""The iterated workbooks' long runs are streamed into the sheet XML (CellBlock, one iteration block
at a time): the bytes are exactly those of the same cells given one by one as CellOut."""

import pytest

from sheetnet.xlsx import writer
from sheetnet.xlsx.writer import CellOut


def _as_cells(sheets):
    """The same sheets with every streamed block given as CellOut cells instead."""
    for sheet in sheets:
        for block in sheet.blocks:
            for k in range(len(block.rows)):
                values, formulas, blanks = block.content(k)
                for row, col, value, formula, empty in zip(block.rows[k].tolist(), block.cols[k].tolist(),
                                                           values, formulas, blanks):
                    if empty:
                        sheet.cells.append(CellOut(row, col, None, style=block.blank_style))
                    else:
                        sheet.cells.append(CellOut(row, col, value, formula=formula, style=block.style))
        sheet.blocks = []
    return sheets


@pytest.mark.parametrize("kind, exercise", [("backprop", False), ("cnn-backprop", False), ("cnn-backprop", True)])
def test_streamed_blocks_write_the_bytes_of_the_same_cells(tmp_path, monkeypatch, kind, exercise):
    import sheetnet.mirror.backprop as backprop
    import sheetnet.mirror.cnn_backprop as cnn_backprop

    write = backprop.write_backprop_workbook if kind == "backprop" else cnn_backprop.write_cnn_backprop_workbook
    seen, write_xlsx = [], writer.write_xlsx
    monkeypatch.setattr(writer, "write_xlsx", lambda path, sheets, *a: seen.append((sheets, a)) or write_xlsx(path, sheets, *a))
    streamed = tmp_path / "streamed.xlsx"
    write(streamed, iterations=3, exercise=exercise)
    (sheets, rest), = seen
    assert any(s.blocks for s in sheets)  # the long run was streamed
    one_by_one = write_xlsx(tmp_path / "cells.xlsx", _as_cells(sheets), *rest)
    assert streamed.read_bytes() == one_by_one.read_bytes()
