"""Only the sheets a workbook's kind needs are read: an unused scratch sheet, however large, is never
parsed whole (issue 15 item 7) — its first rows at most, when a role's sheet is looked for by content."""

import zipfile

import pytest

from sheetnet.mirror.kinds import detect
from sheetnet.mirror.load import load
from sheetnet.xlsx.reader import WorkbookCells

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _with_scratch(src, dst, rows: int, name: str = "Scratch", first: bool = False, view: str = ""):
    """A copy of src with one more sheet of `rows` × 20 numbers in columns AA:AT, where no role's
    signature lies (before the others when `first`)."""
    row = '<row r="{r}">' + "".join(f'<c r="A{c}{{r}}"><v>{{r}}</v></c>' for c in "ABCDEFGHIJKLMNOPQRST") + "</row>"
    body = "".join(row.format(r=r) for r in range(1, rows + 1))
    sheet = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{view}<sheetData>{body}</sheetData></worksheet>'
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


@pytest.mark.parametrize("command", ["train", "check --annotate"])
def test_a_copy_streams_the_parts_it_does_not_change(command, tmp_path, capsys):
    # train's copy and check's annotated copy carry every other part over; an 18 MB scratch sheet was
    # held whole (Python peak 50 MB for train, 73 MB for --annotate, which also read every sheet whole
    # to unselect its tab), now it is streamed through: the peak stays far below the sheet's size
    import tracemalloc

    from sheetnet.cli import main
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    def argv(src, out):
        return ["train", str(src), "-o", str(out)] if command == "train" else ["check", str(src), "--annotate", str(out)]

    src = tmp_path / "book.xlsx"
    write_book_workbook(src, chapter3_params("initial"))
    path = _with_scratch(src, tmp_path / "scratch.xlsx", 30000)
    with zipfile.ZipFile(path) as z:
        scratch = z.read("xl/worksheets/scratch.xml")
    assert main(argv(src, tmp_path / "warm.xlsx")) == 0  # imports and caches: not counted
    tracemalloc.start()
    try:
        assert main(argv(path, tmp_path / "copy.xlsx")) == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "wrote" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "copy.xlsx") as z:
        assert z.read("xl/worksheets/scratch.xml") == scratch  # carried over byte for byte
    assert peak < len(scratch) / 2, f"{peak / 2**20:.1f} MB for a {len(scratch) / 2**20:.1f} MB sheet"


def test_a_large_selected_sheet_is_still_unselected_in_the_annotated_copy(tmp_path, capsys):
    # the legend sheet becomes the selected first tab: a large sheet that was selected is read whole
    # to unselect it (two selected tabs would be grouped, and edits go to both)
    from sheetnet.cli import main
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    src = tmp_path / "book.xlsx"
    write_book_workbook(src, chapter3_params("initial"))
    view = '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
    path = _with_scratch(src, tmp_path / "scratch.xlsx", 5000, view=view)
    assert main(["check", str(path), "--annotate", str(tmp_path / "copy.xlsx")]) == 0, capsys.readouterr().err
    with zipfile.ZipFile(tmp_path / "copy.xlsx") as z:
        scratch = z.read("xl/worksheets/scratch.xml")
    assert len(scratch) > 2**16 and b"tabSelected" not in scratch and b"<sheetView workbookViewId" in scratch
