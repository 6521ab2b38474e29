"""A cell that only links another (=Data!K5) reads that cell's probe value (check/probes.py). ProbeGrid.gather
follows the links of all the cells it reads at once, sheet by sheet; it must give what following them one
cell at a time gives — numbers, texts, booleans, blanks and error values linked, a link to a link, a link
to a sheet the workbook does not have, to a cell beyond the sheet's block — for any shape of gather."""

from __future__ import annotations

import numpy as np
import pytest

from sheetnet.check import probes
from sheetnet.check.probes import ProbeGrid, probe_book
from sheetnet.formula import values as fv
from sheetnet.formula.grid import Book, SheetGrid
from sheetnet.formula.values import BLANK, NULL
from sheetnet.xlsx.sheetxml import Cell

SHEETS = ("Data", "学习", "测试")


class _OneByOne(ProbeGrid):
    """The links followed one cell at a time (the way ProbeGrid.gather replaced)."""

    def gather(self, rows, cols):
        v = ProbeGrid(self.base, self.round, self.salt, self.vocabulary, {}, self.book).gather(rows, cols)
        rows, cols = np.broadcast_arrays(rows, cols)
        kind, num = v.kinds.copy(), v.num.copy()
        text = None if v.text is None else v.text.copy()
        for index in zip(*np.nonzero((kind != BLANK) & (kind < NULL))):
            target = self.links.get((int(rows[index]), int(cols[index])))
            if target is None:
                continue
            sheet, r, c = target
            grid = self.book.grid(sheet)
            if grid is None:
                continue
            t = grid.gather(np.array([[[r]]]), np.array([[[c]]]))
            kind[index], num[index] = t.kinds[0, 0, 0], t.num[0, 0, 0]
            if t.text is not None:
                if text is None:
                    text = np.full(kind.shape, None, dtype=object)
                text[index] = t.text[0, 0, 0]
        return fv.from_kinds(num, kind, text)


def _sheet(rng, name: str) -> dict:
    cells = {}
    for r in range(1, 30):
        for c in range(1, 14):
            roll = rng.random()
            if roll < 0.15:
                continue  # no cell: blank
            if roll < 0.7:
                cells[(r, c)] = Cell(float(rng.normal()), "n", "=A1" if roll < 0.4 else None)
            elif roll < 0.8:
                cells[(r, c)] = Cell(str(rng.choice(["○", "×", "x"])), "s", None)
            elif roll < 0.9:
                cells[(r, c)] = Cell(bool(rng.integers(0, 2)), "b", None)
            else:
                cells[(r, c)] = Cell(str(rng.choice(["#DIV/0!", "#VALUE!", "#N/A"])), "e", None)
    cells[(300, 40)] = Cell(2.5, "n", None)  # far beyond the block
    return cells


def _links(rng, cells: dict, sheet: str) -> dict:
    """Random links from this sheet's formula cells: to Data, to this sheet (links to links, never a
    cycle: only to a cell above), to a sheet the book does not have, beyond a block."""
    links = {}
    for (r, c), cell in cells.items():
        if cell.formula is None or rng.random() < 0.3:
            continue
        roll = rng.random()
        if roll < 0.5 and sheet != "Data":
            links[(r, c)] = ("Data", int(rng.integers(1, 32)), int(rng.integers(1, 15)))
        elif roll < 0.8 and r > 1:
            links[(r, c)] = (sheet, int(rng.integers(1, r)), int(rng.integers(1, 15)))
        elif roll < 0.9:
            links[(r, c)] = ("Elsewhere", 1, 1)
        else:
            links[(r, c)] = ("Data", 300, 40)
    for r, c in [(r, c) for r in range(1, 30) for c in range(1, 14) if (r, c) not in cells][:10]:
        links[(r, c)] = ("Data", 2, 2)  # a blank cell's entry (a formula saved without a value): it stays blank
    return links


@pytest.mark.parametrize("seed", range(6))
def test_links_followed_together_read_what_following_each_one_reads(seed):
    rng = np.random.default_rng(seed)
    sheets = {name: _sheet(rng, name) for name in SHEETS}
    links = {name: _links(rng, cells, name) for name, cells in sheets.items()}
    book = Book(list(SHEETS), lambda name: SheetGrid.of_cells(name, sheets[name]))
    words = ["○", "×", "yes"]
    for round_ in range(probes.ROUNDS):
        fast = probe_book(book, round_, words, links)
        slow = probe_book(book, round_, words, links)
        base_load = slow._load
        slow._load = lambda name, base_load=base_load: (lambda g: g and _OneByOne(g.base, g.round, g.salt, g.vocabulary,
                                                                                   g.links, slow))(base_load(name))
        for sheet in SHEETS:
            for shape in ((40, 1, 1), (6, 5, 1), (1, 4, 7), (3, 1, 9)):
                rows = rng.integers(0, 33, shape[:2] + (1,))
                cols = rng.integers(0, 16, (shape[0], 1, shape[2]))
                got, want = fast.grid(sheet).gather(rows, cols), slow.grid(sheet).gather(rows, cols)
                assert (got.kinds == want.kinds).all(), (seed, round_, sheet, shape)
                assert np.array_equal(got.num, want.num, equal_nan=True), (seed, round_, sheet, shape)
                assert (got.texts() == want.texts()).all(), (seed, round_, sheet, shape)
    assert sum(len(v) for v in links.values()) > 100  # (links were followed: the test reads many)


def test_a_circular_chain_of_links_ends_and_a_long_one_is_followed_to_its_end():
    # =B2 in B1 and =B1 in B2 (Excel saves them with a warning, and zeros): followed LINK_DEPTH links deep,
    # no deeper; a chain of 100 links (=C1 in C2, =C2 in C3 …) is followed to its first cell
    cells = {(r, c): Cell(0.0, "n", "=X") for r in range(1, 102) for c in (2, 3)}
    cells[(1, 3)] = Cell(7.0, "n", None)
    links = {"S": {(1, 2): ("S", 2, 2), (2, 2): ("S", 1, 2), **{(r, 3): ("S", r - 1, 3) for r in range(2, 102)},
                   (5, 2): ("T", 1, 1)},  # and a cycle through four sheets (the count is the book's, not a sheet's)
             "T": {(1, 1): ("U", 1, 1)}, "U": {(1, 1): ("W", 1, 1)}, "W": {(1, 1): ("S", 5, 2)}}
    book = Book(["S", "T", "U", "W"],
                lambda name: SheetGrid.of_cells(name, cells if name == "S" else {(1, 1): Cell(0.0, "n", "=X")}))
    probe = probe_book(book, 0, [], links)
    rows, cols = np.array([1, 2, 101, 5]).reshape(-1, 1, 1), np.array([2, 2, 3, 2]).reshape(-1, 1, 1)
    v = probe.grid("S").gather(rows, cols)
    first = probe.grid("S").gather(np.array([[[1]]]), np.array([[[3]]]))
    assert v.num[2, 0, 0] == first.num[0, 0, 0]  # the chain's last cell reads its first one's probe
    assert np.isfinite(v.num).all() and (v.kinds == fv.NUM).all()
    again = probe_book(book, 0, [], links).grid("S").gather(rows, cols)
    assert np.array_equal(again.num, v.num)  # the same every time


def _answer_with_circular_x(tmp_path, cached: bool):
    """sheetnet's answer with 学习!L5 = L6 and L6 = L5 (two pixels of image 1 linking each other), their
    cached values kept (as Excel saves a circular reference) or the workbook saved by openpyxl (no values)."""
    import re
    import zipfile

    from sheetnet.cli import main

    answer, out = tmp_path / "answer.xlsx", tmp_path / "circular.xlsx"
    assert main(["answer", "-o", str(answer)]) == 0
    if not cached:
        import openpyxl

        wb = openpyxl.load_workbook(answer)
        wb["学习"]["L5"], wb["学习"]["L6"] = "=L6", "=L5"
        wb.save(out)
        return out
    with zipfile.ZipFile(answer) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                xml = data.decode()
                xml, n5 = re.subn(r'(<c r="L5"[^>]*><f>)Data!K5(</f>)', r"\1L6\2", xml)
                xml, n6 = re.subn(r'(<c r="L6"[^>]*><f>)Data!K6(</f>)', r"\1L5\2", xml)
                assert n5 == n6 == 1
                data = xml.encode()
            zout.writestr(info, data)
    return out


@pytest.mark.parametrize("cached", [True, False])
def test_a_students_circular_links_are_findings_not_an_internal_error(tmp_path, cached):
    from sheetnet.check.checker import check

    result = check(_answer_with_circular_x(tmp_path, cached))
    places = {f.cell.split("!")[1] for f in result.findings if f.quantity == "x"}
    assert {"L5"} <= places <= {"L5", "L6"}
