"""The loader's quick paths against the slow ways they replace, cell by cell (no LibreOffice):
the layout's cells stamped block by block (align._used_by_layout), the labels looked up all at once
(align._labels_in_place), a sheet's positions looked up in a table of its cells (load._gather_sheet)."""

from __future__ import annotations

import numpy as np
import pytest

from sheetnet.mirror import align, load
from sheetnet.mirror.backprop import write_backprop_workbook
from sheetnet.mirror.kinds import BACKPROP_KIND, KINDS
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx import sheetxml
from sheetnet.xlsx.sheetxml import ROW_KEY, Cell, ColumnCells

LAYOUT = BACKPROP_KIND.layout


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    """The sheets of a 3-iteration backprop answer: role → {(row, col): Cell}."""
    path = tmp_path_factory.mktemp("paths") / "bp3.xlsx"
    write_backprop_workbook(path, iterations=3)
    with WorkbookCells(path) as book:
        return {s.role: dict(book.sheet(s.names[0]).items()) for s in LAYOUT.sheets}


@pytest.fixture(scope="module")
def learn(sheets):
    return sheets["learn"]


def _sheet(cells: dict) -> ColumnCells:
    """The cells as the reader holds them (sorted keys, cell_index)."""
    ordered = sorted(cells.items())
    return ColumnCells([r * ROW_KEY + c for (r, c), _ in ordered], [cell for _, cell in ordered])


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_the_layouts_cells_stamped_by_blocks_are_its_cells_one_by_one(kind):
    layout = kind.layout
    for s in layout.sheets:
        for n, k in ((1, 1), (2, 1), (1, 3), (3, 2), (4, 4), (5, 8), (7, 5), (65, 51), (4001, 1), (4096, 1)):
            n, k = min(n, layout.max_images), min(k, layout.max_iterations)
            rows = cols = 1
            for q in layout.quantities:
                if q.sheet == s.role:
                    pos = layout.positions(q, n, k)
                    rows, cols = max(rows, int(pos[..., 0].max())), max(cols, int(pos[..., 1].max()))
            extent = align._extent(layout, s.role, n, k)
            assert extent[0] >= rows and extent[1] >= cols
            if not any(lb.sheet == s.role for lb in layout.labels):
                assert extent == (rows, cols)
            shape = (extent[0] + 1, extent[1] + 1)
            stamped = align._tiled_layout(layout, s.role, n, k, shape)
            one_by_one = align.expected_grid(layout, s.role, n, k, {}, shape) != align.EMPTY
            assert stamped.shape == one_by_one.shape and (stamped == one_by_one).all(), (kind.name, s.role, n, k)


def _labels_one_by_one(layout, role, cells, k) -> bool:
    """The label test as fits_in_place made it before: cell by cell, the sheet's texts asked at the first miss."""
    s = layout.sheet(role)
    present = used = None
    for lb in layout.labels:
        if lb.sheet == role and isinstance(lb.text, str):
            r, c = align._parse(lb.cell)
            for j in range(k if lb.per_iteration else 1):
                cell = cells.get((r + s.iteration_step[0] * j, c + s.iteration_step[1] * j))
                if cell is None or str(cell.value).strip() != lb.text:
                    present = align.text_values(cells) if present is None else present
                    if lb.text not in present:
                        break
                    if j and used is None:
                        used = align._blocks_used(layout, role, cells, k)
                    if j == 0 or used[j]:
                        return False
    return True


def _label_cell(role: str, text: str, block: int) -> tuple[int, int]:
    s = LAYOUT.sheet(role)
    lb = next(lb for lb in LAYOUT.labels if lb.sheet == role and lb.text == text)
    r, c = align._parse(lb.cell)
    return r + s.iteration_step[0] * block, c + s.iteration_step[1] * block


def test_labels_looked_up_at_once_judge_as_one_by_one(learn):
    z2 = _label_cell("learn", "z2", 0)
    cases = {
        "as written": dict(learn),
        "a label gone from block 1": {p: c for p, c in learn.items() if p != z2},
        "a label gone from block 3 (used)": {p: c for p, c in learn.items() if p != _label_cell("learn", "z2", 2)},
        "a label rewritten everywhere": {p: (Cell("zz", "s") if c.kind == "s" and str(c.value).strip() == "z2" else c)
                                         for p, c in learn.items()},
        "a label moved off its place": {**{p: c for p, c in learn.items() if p != z2}, (z2[0], z2[1] + 400): learn[z2]},
    }
    verdicts = {}
    for name, cells in cases.items():
        sheet = _sheet(cells)
        for k in (3, 4, 6):  # the blocks used, and empty blocks past them (the reach is an upper bound)
            verdicts[name, k] = align._labels_in_place(LAYOUT, "learn", sheet, k)
            assert verdicts[name, k] == _labels_one_by_one(LAYOUT, "learn", sheet, k), (name, k)
            assert verdicts[name, k] == _labels_one_by_one(LAYOUT, "learn", dict(cells), k), (name, k)
    assert verdicts["as written", 6] and verdicts["a label rewritten everywhere", 3]
    assert not verdicts["a label gone from block 1", 3] and not verdicts["a label gone from block 3 (used)", 4]
    assert not verdicts["a label moved off its place", 3]


def test_a_sheets_positions_looked_up_in_a_table_are_its_cells(learn, monkeypatch):
    gone = list(learn)[::7]  # cells missing where the layout has them, and cells outside its positions
    cells = {p: c for p, c in learn.items() if p not in set(gone)}
    plan = load._sheet_keys(LAYOUT, "learn", 64, 3)
    assert plan.box is not None  # the table's path is the one taken
    r0, c0, height, width = plan.box  # cells just outside the positions' rectangle, on every side …
    for r in (r0 - 1, r0 + 10, r0 + height):
        for c in (c0 - 1, c0, c0 + 3, c0 + width, 16_000):
            if not r0 <= r < r0 + height:
                cells[r, c] = Cell(float(r * c), "n")
    wanted = {(int(r), int(c)) for q in LAYOUT.quantities if q.sheet == "learn"
              for r, c in LAYOUT.positions(q, 64, 3).reshape(-1, 2)}
    for r, c in sorted(wanted):  # … and beside a position at the rectangle's edge without a cell, one row on
        if c == c0 and (r - 1, c0 + width) not in cells and r - 1 >= r0:
            cells.pop((r, c), None)
            cells[r - 1, c0 + width] = Cell("right of the rectangle", "s")
        if c == c0 + width - 1 and c0 > 1 and (r + 1, c0 - 1) not in cells and r + 1 < r0 + height:
            cells.pop((r, c), None)
            cells[r + 1, c0 - 1] = Cell("left of the rectangle", "s")
        if r == r0 + height - 1:  # above the rectangle, in a column where its last row lacks a cell
            cells.pop((r, c), None)
            cells[r0 - 1, c] = Cell("above the rectangle", "s")
    inside = {(r, c): cell for (r, c), cell in cells.items() if c0 <= c < c0 + width}  # (every column in it)
    for case in (cells, inside):
        _gathered_as_one_by_one(case, monkeypatch)


def _gathered_as_one_by_one(cells: dict, monkeypatch) -> None:
    sheet = _sheet(cells)
    load._KEYS._kept.clear()
    by_table = load._gather_sheet(LAYOUT, "learn", 64, sheet, 3)
    load._KEYS._kept.clear()
    with monkeypatch.context() as m:
        m.setattr(load, "_BOX_MOST", 0)  # the sorted search, which a box too large for a table takes
        assert load._sheet_keys(LAYOUT, "learn", 64, 3).box is None
        try:
            by_search = load._gather_sheet(LAYOUT, "learn", 64, sheet, 3)
        finally:
            load._KEYS._kept.clear()
    held = 0
    for q in LAYOUT.quantities:
        if q.sheet != "learn":
            continue
        pos = LAYOUT.positions(q, 64, 3)
        want = np.array([cells.get((int(r), int(c))) for r, c in pos.reshape(-1, 2)], dtype=object)
        found = sheetxml.cell_index(sheet)[1]
        for got, at in (by_table[q.name], by_search[q.name]):
            assert got.shape == at.shape == pos.shape[:-1]
            assert all(a is b for a, b in zip(got.reshape(-1), want)), q.name
            # each cell's place among the sheet's (Loaded.arrays reads the reader's columns there)
            assert [found[i] if i >= 0 else None for i in at.reshape(-1).tolist()] == list(want), q.name
        held += sum(c is not None for c in want)
    assert 0 < held < len(cells)


def test_a_cell_where_the_layout_puts_nothing_is_seen_from_the_sorted_keys_as_cell_by_cell(learn):
    used = align._used_by_layout(LAYOUT, "learn", 64, 3)
    R, C = used.shape[0] - 1, used.shape[1] - 1
    free = [(int(r), int(c)) for r, c in np.argwhere(~used) if r >= 1 and c >= 1]
    cases = {"as written": (dict(learn), True),
             "a cell where the layout puts nothing": ({**learn, free[len(free) // 2]: Cell(1.0, "n")}, False),
             "in its last row": ({**learn, next(p for p in free if p[0] == R): Cell(1.0, "n")}, False),
             "in its last column": ({**learn, next(p for p in free if p[1] == C): Cell(1.0, "n")}, False),
             "past its last row": ({**learn, (R + 1, 2): Cell(1.0, "n")}, True),
             "past its last column": ({**learn, (2, C + 1): Cell(1.0, "n")}, True)}
    for name, (cells, fits) in cases.items():
        assert align._only_where_used(_sheet(cells), used) is fits, name
        assert align._only_where_used(cells, used) is fits, name  # a plain dictionary: row and column pairs


def test_images_and_iterations_are_counted_block_by_block(sheets):
    def counted(data, learn):
        both = {"data": _sheet(data), "learn": _sheet(learn), "summary": _sheet(sheets["summary"])}
        return load._count_images(LAYOUT, both), load._count_iterations(LAYOUT, both)

    def without(cells, role, quantity, block, n=64, k=3):
        pos = LAYOUT.positions(LAYOUT[quantity], n, k)
        gone = {(int(r), int(c)) for r, c in pos[block].reshape(-1, 2)}
        return {p: c for p, c in cells.items() if p not in gone}

    data, learn = sheets["data"], sheets["learn"]
    assert counted(data, learn) == (64, 3)
    last = [q.name for q in LAYOUT.quantities if q.sheet == "data" and q.per_image and not q.computed]
    gone = data
    for name in last:  # image 64's data gone: 63 images; image 10's too: 9 (the count stops at the gap)
        gone = without(gone, "data", name, 63)
    assert counted(gone, learn) == (63, 3)
    for name in last:
        gone = without(gone, "data", name, 9)
    assert counted(gone, learn) == (9, 3)
    per_iteration = [name for name in LAYOUT.sheet("learn").signature if LAYOUT[name].per_iteration]
    emptied = learn
    for name in per_iteration:  # iteration 3's parameters gone: 2 blocks
        emptied = without(emptied, "learn", name, 2)
    assert counted(data, emptied) == (64, 2)
