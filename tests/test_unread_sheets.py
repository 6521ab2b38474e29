"""Only the sheets a workbook's kind needs are read: an unused scratch sheet, however large, is never
parsed whole (issue 15 item 7) — its first rows at most, when a role's sheet is looked for by content."""

import zipfile

import pytest

from sheetnet.mirror.kinds import detect
from sheetnet.mirror.load import load
from sheetnet.xlsx.reader import WorkbookCells

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _with_scratch(src, dst, rows: int, name: str = "Scratch", first: bool = False):
    """A copy of src with one more sheet of `rows` × 20 numbers in columns AA:AT, where no role's
    signature lies (before the others when `first`)."""
    row = '<row r="{r}">' + "".join(f'<c r="A{c}{{r}}"><v>{{r}}</v></c>' for c in "ABCDEFGHIJKLMNOPQRST") + "</row>"
    body = "".join(row.format(r=r) for r in range(1, rows + 1))
    sheet = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{body}</sheetData></worksheet>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename).decode("utf-8") if info.filename.endswith((".xml", ".rels")) else zin.read(info.filename)
            if info.filename == "xl/workbook.xml":
                entry = f'<sheet name="{name}" sheetId="99" r:id="rId99"/>'
                data = data.replace("<sheets>", "<sheets>" + entry) if first else data.replace("</sheets>", entry + "</sheets>")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace("</Relationships>", f'<Relationship Id="rId99" Type="{REL}/worksheet" '
                                                        f'Target="worksheets/scratch.xml"/></Relationships>')
            zout.writestr(info, data)
        zout.writestr("xl/worksheets/scratch.xml", sheet)
    return dst


@pytest.mark.parametrize("kind_name, first", [("chapter3", False), ("chapter3", True), ("backprop", True)])
def test_an_unused_scratch_sheet_is_never_read_whole(tmp_path, monkeypatch, kind_name, first):
    import sheetnet.xlsx.reader as reader
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook
    from sheetnet.mirror.backprop import write_backprop_workbook

    src = tmp_path / "book.xlsx"
    if kind_name == "chapter3":
        write_book_workbook(src, chapter3_params("initial"))
    else:
        write_backprop_workbook(src, iterations=2)
    path = _with_scratch(src, tmp_path / "scratch.xlsx", 3000, first=first)
    monkeypatch.setattr(reader, "_PEEK_BYTES", 4096)  # the scratch sheet (~1 MB) counts as large
    read = []
    original = reader.read_sheet
    monkeypatch.setattr(reader, "read_sheet", lambda data, part, sheet, strings: read.append(sheet) or original(data, part, sheet, strings))
    with WorkbookCells(path) as book:
        kind = detect(path, book)
        loaded = load(path, kind.layout, book)
    assert kind.name == kind_name and loaded.n_images == 64
    assert "Scratch" not in read and read  # the kind's own sheets were read, the scratch sheet never whole


def test_train_streams_the_parts_it_does_not_change(tmp_path, capsys):
    # train's copy carries every other part over; an 18 MB scratch sheet was held whole (peak 51 MB
    # of Python memory), now it is streamed through: the peak stays far below the sheet's size
    import tracemalloc

    from sheetnet.cli import main
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    src = tmp_path / "book.xlsx"
    write_book_workbook(src, chapter3_params("initial"))
    path = _with_scratch(src, tmp_path / "scratch.xlsx", 30000)
    with zipfile.ZipFile(path) as z:
        scratch = z.read("xl/worksheets/scratch.xml")
    assert main(["train", str(src), "-o", str(tmp_path / "warm.xlsx")]) == 0  # imports and caches: not counted
    tracemalloc.start()
    try:
        assert main(["train", str(path), "-o", str(tmp_path / "trained.xlsx")]) == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "wrote" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "trained.xlsx") as z:
        assert z.read("xl/worksheets/scratch.xml") == scratch  # carried over byte for byte
    assert peak < len(scratch) / 2, f"{peak / 2**20:.1f} MB for a {len(scratch) / 2**20:.1f} MB sheet"
