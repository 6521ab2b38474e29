"""`sheetnet train`: trained parameters go back into the user's own workbook, and nothing else changes."""

import math
import re
import struct
import zipfile
import zlib

import numpy as np
import pytest
import xlsxwriter

from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.engine.training import BOOK_SOLVER_C_T
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.depends import dependents
from sheetnet.mirror.answer import write_book_workbook
from sheetnet.mirror.load import load
from sheetnet.xlsx.reader import Cell, WorkbookCells

PARAMS = {"w2", "b2", "w3", "b3"}


def _png() -> bytes:
    """A 2×2 PNG, made here so the test needs no image file."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _with_extras(src, dst, tmp_path):
    """src (one of our workbooks) rewritten with an extra sheet holding a chart and a picture."""
    png = tmp_path / "dot.png"
    png.write_bytes(_png())
    book = xlsxwriter.Workbook(dst)
    with WorkbookCells(src) as wb:
        for name in wb.sheet_names:
            ws = book.add_worksheet(name)
            for (r, c), cell in wb.sheet(name).items():
                if cell.formula:
                    ws.write_formula(r - 1, c - 1, cell.formula, None, cell.value)
                elif cell.kind == "s":
                    ws.write_string(r - 1, c - 1, cell.value)
                else:
                    ws.write_number(r - 1, c - 1, cell.value)
    notes = book.add_worksheet("notes")
    notes.write_string(0, 0, "my own notes: keep them")
    chart = book.add_chart({"type": "line"})
    chart.add_series({"values": "='学习'!$O$21:$JG$21", "name": "C per image"})
    notes.insert_chart("B3", chart)
    notes.insert_image("K3", str(png))
    book.close()
    return dst


@pytest.fixture(scope="module")
def lo_workbook(tmp_path_factory, recalc):
    d = tmp_path_factory.mktemp("train")
    ours = d / "ours.xlsx"
    write_book_workbook(ours, chapter3_params("initial"))
    return recalc(_with_extras(ours, d / "extras.xlsx", d))


def _all_cells(path):
    with WorkbookCells(path) as wb:
        return {name: dict(wb.sheet(name)) for name in wb.sheet_names}


def _cells_of(loaded, names):
    out = set()
    for name in names:
        q = loaded.layout[name]
        sheet = loaded.sheet_names[q.sheet]
        out |= {(sheet, int(r), int(c)) for r, c in loaded.layout.positions(q, loaded.n_images).reshape(-1, 2)}
    return out


def test_training_a_libreoffice_workbook_changes_only_parameters_and_their_dependents(lo_workbook, tmp_path,
                                                                                       recalc, capsys):
    before_bytes = lo_workbook.read_bytes()
    out = tmp_path / "trained.xlsx"
    assert main(["train", str(lo_workbook), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "C_T before: 18.347" in printed and "(64/64 right)" in printed
    assert lo_workbook.read_bytes() == before_bytes  # the input is never touched

    loaded = load(lo_workbook, CHAPTER3)
    params = _cells_of(loaded, PARAMS)
    allowed = params | _cells_of(loaded, dependents(CHAPTER3, PARAMS))
    old, new = _all_cells(lo_workbook), _all_cells(out)
    assert old.keys() == new.keys() and "notes" in new
    changed = {(s, r, c) for s in old for (r, c) in old[s].keys() | new[s].keys() if old[s].get((r, c)) != new[s].get((r, c))}
    assert params <= changed  # all 47 parameters moved
    assert changed <= allowed, sorted(changed - allowed)[:5]
    for s, r, c in changed:  # formulas stay; only values change
        assert old[s][(r, c)].formula == new[s][(r, c)].formula

    with zipfile.ZipFile(lo_workbook) as a, zipfile.ZipFile(out) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        assert any("chart" in n for n in a.namelist()) and any(n.startswith("xl/media/") for n in a.namelist())
        sheet_parts = {n for n in a.namelist() if n.startswith("xl/worksheets/sheet")}
        for name in a.namelist():
            if name not in sheet_parts:
                assert a.read(name) == b.read(name), name

    trained = load(out, CHAPTER3)
    judged = load(recalc(out), CHAPTER3)
    for name, grid in trained.cells.items():
        for index, cell in np.ndenumerate(grid):
            theirs = judged.cells[name][index]
            if cell.is_number:
                assert theirs.value == pytest.approx(cell.value, rel=1e-9, abs=1e-12), (name, index)
            else:
                assert theirs.value == cell.value, (name, index)
    C_T = trained.cells["C_T"].reshape(-1)[0].value
    assert C_T <= BOOK_SOLVER_C_T
    assert all(c.value == "○" for c in trained.cells["right"].reshape(-1))


@pytest.fixture()
def initial(tmp_path):
    path = tmp_path / "initial.xlsx"
    write_book_workbook(path, chapter3_params("initial"))
    return path


def test_solver_reaches_the_books_cost(initial, tmp_path, capsys):
    out = tmp_path / "solved.xlsx"
    assert main(["train", str(initial), "-o", str(out), "--method", "solver"]) == 0
    capsys.readouterr()
    assert main(["recompute", str(out), "--format", "json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["C_T"] <= BOOK_SOLVER_C_T and doc["correct"] == 64 and doc["ok"]


@pytest.mark.parametrize("iterations, expected", [(0, 20.3121), (1, 14.4899), (9, 2.5007), (49, 0.2449)])
def test_gradient_descent_gives_the_books_chapter_4_costs(tmp_path, capsys, iterations, expected):
    start = tmp_path / "bp.xlsx"
    write_book_workbook(start, chapter3_params("backprop_initial"))
    out = tmp_path / "gd.xlsx"
    assert main(["train", str(start), "-o", str(out), "--method", "gd", "--eta", "0.2",
                 "--iterations", str(iterations)]) == 0
    capsys.readouterr()
    C_T = load(out, CHAPTER3).cells["C_T"].reshape(-1)[0].value
    assert C_T == pytest.approx(expected, abs=5e-5)  # the cost before update iterations + 1


def test_the_input_is_overwritten_only_in_place(initial, capsys):
    before = initial.read_bytes()
    assert main(["train", str(initial), "-o", str(initial)]) == 2
    assert "--in-place" in capsys.readouterr().err
    assert initial.read_bytes() == before
    assert main(["train", str(initial)]) == 2
    capsys.readouterr()
    assert main(["train", str(initial), "--in-place", "--method", "gd", "--iterations", "3"]) == 0
    capsys.readouterr()
    assert initial.read_bytes() != before
    assert main(["recompute", str(initial)]) == 0
    capsys.readouterr()


def test_a_data_only_workbook_has_nothing_to_train(book_dir, tmp_path, capsys):
    assert main(["train", str(book_dir / "appendix-a.xlsx"), "-o", str(tmp_path / "x.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "has no learning sheet" in err and err.count("\n") == 1
    assert not (tmp_path / "x.xlsx").exists() and list(tmp_path.iterdir()) == []


def test_a_wrong_formula_refuses_training_and_force_writes_what_it_gives(initial, tmp_path, capsys):
    from minixlsx import replace_cell

    odd = replace_cell(initial, tmp_path / "odd.xlsx", 2, "O14", '<c r="O14"><f>1/(1+EXP(O11))</f><v>0.5</v></c>')
    out = tmp_path / "t.xlsx"
    assert main(["train", str(odd), "-o", str(out)]) == 2  # the check's headline, one line, nothing written
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1 root cause in its formulas (" in err and "— a2_1, 1 place (image 1))" in err
    assert f"run `sheetnet check {odd}` first, or train anyway with --force" in err and not out.exists()

    assert main(["train", str(odd), "-o", str(out), "--force"]) == 0
    printed = capsys.readouterr().out
    assert "note: --force: the wrong formulas stay as they are" in printed and "have no saved value" not in printed
    with WorkbookCells(out) as wb:
        cells = wb.sheet("学习")
        z = cells[(11, 15)].value  # image 1's z2_1 with the trained parameters
        assert cells[(14, 15)].formula == "=1/(1+EXP(O11))"  # the student's formula, kept …
        assert cells[(14, 15)].value == pytest.approx(1 / (1 + math.exp(z)), rel=1e-12)  # … with the value it gives
        assert cells[(21, 7)].kind == "n" and cells[(17, 15)].kind == "n"  # C_T, z3_1 of image 1: downstream, calculated


def test_force_leaves_a_cell_whose_formula_gives_an_error_to_the_spreadsheet(initial, tmp_path, capsys):
    from minixlsx import replace_cell

    odd = replace_cell(initial, tmp_path / "odd.xlsx", 2, "O14", '<c r="O14"><f>1/(1+EXP(-O11))/0</f><v>0</v></c>')
    out = tmp_path / "t.xlsx"
    assert main(["train", str(odd), "-o", str(out), "--force"]) == 0
    printed = capsys.readouterr().out
    assert "formula cells have no saved value now" in printed  # #DIV/0! and what reads it: no value sheetnet can store
    with WorkbookCells(out) as wb:
        cells = wb.sheet("学习")
        assert cells[(14, 15)] == Cell(None, "", "=1/(1+EXP(-O11))/0") and cells[(21, 7)].kind == ""
        assert cells[(11, 19)].kind == "n"  # z2_1 of image 2: upstream, written
    with zipfile.ZipFile(out) as z:
        assert re.search(rb'<calcPr\b[^>]*fullCalcOnLoad="1"', z.read("xl/workbook.xml"))

