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


@pytest.mark.parametrize("kind", ["backprop", "cnn-backprop"])
def test_the_writers_shortcuts_write_xlsxwriters_own_bytes(tmp_path, monkeypatch, kind):
    """Rows merged from the table and the chunks, spans from the cells there are, a range of columns
    sharing one ColumnInfo, a style's conditional formats copied from its first: the bytes of
    XlsxWriter's own methods, each cell given one by one."""
    import xlsxwriter.worksheet

    import sheetnet.mirror.backprop as backprop
    import sheetnet.mirror.cnn_backprop as cnn_backprop

    write = backprop.write_backprop_workbook if kind == "backprop" else cnn_backprop.write_cnn_backprop_workbook
    seen, write_xlsx = [], writer.write_xlsx
    monkeypatch.setattr(writer, "write_xlsx", lambda path, sheets, *a: seen.append((sheets, a)) or write_xlsx(path, sheets, *a))
    ours = tmp_path / "ours.xlsx"
    write(ours, iterations=2)
    (sheets, rest), = seen
    assert any(s.conditional for s in sheets) and any(w[1] - w[0] > 1000 for s in sheets for w in s.column_widths)
    plain = xlsxwriter.worksheet.Worksheet
    for name in ("_write_rows", "_calculate_spans", "_write_cols", "_write_conditional_formatting"):
        monkeypatch.setattr(writer._ExactWorksheet, name, getattr(plain, name))
    monkeypatch.setattr(writer._ExactWorksheet, "set_widths", lambda ws, first, last, width: ws.set_column(first, last, width))
    monkeypatch.setattr(writer._ExactWorksheet, "conditional_formats",
                        lambda ws, spans, options: [ws.conditional_format(*span, options) for span in spans])
    theirs = write_xlsx(tmp_path / "theirs.xlsx", _as_cells(sheets), *rest)
    assert ours.read_bytes() == theirs.read_bytes()
