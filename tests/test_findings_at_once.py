"""The checker's findings made for all cells of a quantity at once (checker._findings) and the inherited
cells' root causes found for all findings at once (check/attribute.py) against the cell-by-cell code
they replace: the rectangles each cell reads against local.reads' spans, each Finding against one made
from the layout cell by cell, and every caused_by, spoiled count and its order against checker's
_attribute — on student workbooks of chapter 3, backprop, the CNN and the CNN's backprop with a
mistake in many cells (calculated by sheetnet itself: their values stripped)."""

from __future__ import annotations

import re
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest

import checkcases
import checkcases_backprop
import checkcases_cnn
from checkmut import mutate
from sheetnet.check import attribute as fast
from sheetnet.check import checker
from sheetnet.check.places import Places
from sheetnet.formula import values as fv
from sheetnet.layout.backprop import BACKPROP
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.chapter5 import CNN5
from sheetnet.layout.chapter5_backprop import CNN_BACKPROP
from sheetnet.layout.evaluate import spans
from sheetnet.record import replace
from sheetnet.xlsx.refs import cell_name

# -- the rectangles a cell reads -----------------------------------------------------------------------


def _loaded(layout, n, k):
    return types.SimpleNamespace(layout=layout, n_images=n, n_iterations=k,
                                 sheet_names={s.role: s.names[0] for s in layout.sheets})


@pytest.mark.parametrize("layout, n, k", [(CHAPTER3, 64, 1), (CHAPTER3, 5, 1), (BACKPROP, 64, 3), (BACKPROP, 7, 2),
                                          (CNN5, 96, 1), (CNN5, 3, 1), (CNN_BACKPROP, 96, 2), (CNN_BACKPROP, 4, 3)])
def test_the_rectangles_every_cell_reads_are_those_of_the_cell_by_cell_spans(layout, n, k):
    loaded = _loaded(layout, n, k)
    rng = np.random.default_rng(12)
    checked = 0
    for q in layout.quantities:
        if not q.computed:
            continue
        shape = layout.positions(q, n, k).shape[:-1]
        size = int(np.prod(shape))
        flat = np.unique(np.r_[0, size - 1, rng.integers(0, size, 300)])  # the first and last cells, and any
        got: dict[int, list] = {int(i): [] for i in flat}
        for role, which, corners in fast.read_rectangles(loaded, q, flat):
            for w, c in zip(which.tolist(), corners.tolist()):
                got[int(flat[w])].append((role, tuple(c)))
        for i in flat.tolist():
            index = tuple(int(v) for v in np.unravel_index(i, shape))
            want = [(s.role, s.corners) for s in spans(layout, q, index, n, k)]
            assert sorted(got[i]) == sorted(want), f"{q.name}{index}"
            checked += len(want)
    assert checked > 200


# -- whole checks ---------------------------------------------------------------------------------------


def _without_values(src: Path, dst: Path) -> Path:
    """A copy whose formulas keep no saved value: the checker calculates every one itself."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                text = data.decode("utf-8")
                text = re.sub(r"(<f>[^<]*</f>|<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)<v>[^<]*</v>", r"\1", text)
                data = text.encode("utf-8")
            zout.writestr(info, data)
    return dst


def _cnn_backprop_everywhere(name: str, template: str, n: int, iterations: int) -> dict[str, str]:
    layout, names = CNN_BACKPROP, {s.role: s.names[0] for s in CNN_BACKPROP.sheets}
    q = replace(layout[name], formula=template, first_formula=None, first_iteration=None)
    pos = layout.positions(q, n, iterations)
    out = {}
    for index in np.ndindex(*pos.shape[:-1]):
        it, image, unit, r, c = index
        out[cell_name(*(int(v) for v in pos[index]))] = layout.formula(q, n, names, image, unit, r, c, it, iterations)
    return out


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    from sheetnet.data import chapter3_params
    from sheetnet.data.chapter5 import chapter5_params
    from sheetnet.mirror.answer import write_book_workbook
    from sheetnet.mirror.backprop import write_backprop_workbook
    from sheetnet.mirror.cnn import write_cnn_workbook
    from sheetnet.mirror.cnn_backprop import write_cnn_backprop_workbook

    out = tmp_path_factory.mktemp("findings-at-once")
    cleans = {"chapter3": out / "c3.xlsx", "backprop": out / "bp.xlsx", "cnn": out / "cnn.xlsx",
              "cnn-backprop": out / "cnnbp.xlsx"}
    write_book_workbook(cleans["chapter3"], chapter3_params("initial"))
    write_backprop_workbook(cleans["backprop"], iterations=checkcases_backprop.ITERATIONS)
    write_cnn_workbook(cleans["cnn"], chapter5_params("initial"))
    write_cnn_backprop_workbook(cleans["cnn-backprop"], iterations=2)
    cases = [("chapter3", case.name, case.edits, None) for case in checkcases.CASES[:4]]
    cases += [("backprop", case.name, case.edits, checkcases_backprop.learn_part(cleans["backprop"]))
              for case in checkcases_backprop.CASES[:3]]
    cases += [("cnn", case.name, case.edits, checkcases_cnn.learn_part(cleans["cnn"])) for case in checkcases_cnn.CASES
              if case.name.endswith("all images")][:2]
    delta_o = _cnn_backprop_everywhere("delta_out", "={a_out}*(1-{a_out})*({t}-{a_out})", 96, 2)
    cases += [("cnn-backprop", "δO with t−a", delta_o, "xl/worksheets/sheet2.xml")]
    books = {}
    for k, (kind, name, edits, part) in enumerate(cases):
        edited = mutate(cleans[kind], out / f"case{k:02d}-edit.xlsx", edits, **({"part": part} if part else {}))
        books[f"{kind}: {name}"] = _without_values(edited, out / f"case{k:02d}.xlsx")
    return books


def _cell_by_cell_findings(loaded, places, g, flat, kinds, diagnoses):
    """checker's loop before _findings: every Finding made from the layout at its own cell."""
    name = g.name
    q = loaded.layout[name]
    out = []
    for j, i in enumerate(flat.tolist()):
        index = g.index(i)
        iteration, image, _unit, _r, _c = loaded.layout.index_parts(q, index)
        cell = loaded.cells[name][index]
        text = g.texts[i]
        out.append(checker.Finding(
            quantity=name, index=index, cell=loaded.where(name, index),
            image=image + 1 if q.per_image else None, iteration=iteration + 1 if q.per_iteration else None,
            label=places.label(name, index), shown=places.layout.shown_label(name, index), kind=kinds[j],
            diagnosis=diagnoses[j],
            found=None if cell is None and g.found.kinds[i, 0, 0] == fv.BLANK else checker._plain(
                fv.python_value(g.found, (i, 0, 0))),
            expected=checker._plain(g.e2e[i]), expected_locally=checker._plain(fv.python_value(g.local, (i, 0, 0))),
            formula=text if cell is None or cell.formula is None else cell.formula, expected_formula=g.expected[i],
            family=(name, int(g.family[i]), int(g.layout_family[i])) if g.family[i] >= 0 else None,
            nouns=loaded.layout.nouns))
    return out


def _counted(r) -> tuple:
    return r.id, list(r.spoiled.items()), list(r.shown.items()), len(r.places)


def _same(a, b) -> bool:
    return a == b and a.family == b.family and a.nouns == b.nouns and a.shown == b.shown


def test_every_finding_and_root_cause_is_the_cell_by_cell_ones(workbooks, monkeypatch):
    made = checker._findings
    compared = []

    def both(loaded, places, g, flat, kinds, diagnoses):
        out = made(loaded, places, g, flat, kinds, diagnoses)
        want = _cell_by_cell_findings(loaded, places, g, flat, kinds, diagnoses)
        assert len(out) == len(want)
        for f, w in zip(out, want):
            assert _same(f, w), f"{f} != {w}"
        compared.append(len(out))
        return out

    inherited_somewhere = 0
    at_once = []  # the workbooks attributed at once (a few findings: cell by cell, both times)
    attribute = fast.attribute

    def counted(*args):
        at_once.append(args[0])
        return attribute(*args)

    for name, path in workbooks.items():
        monkeypatch.setattr(checker, "_findings", both)
        monkeypatch.setattr(fast, "attribute", counted)
        fast_result = checker.check(path)
        monkeypatch.undo()
        monkeypatch.setattr(fast, "attribute", lambda *a: False)  # the cell-by-cell _attribute
        slow_result = checker.check(path)
        monkeypatch.undo()
        assert fast_result.findings, name
        assert [(f.quantity, f.index, f.kind, f.root_cause, f.caused_by) for f in fast_result.findings] == \
            [(f.quantity, f.index, f.kind, f.root_cause, f.caused_by) for f in slow_result.findings], name
        assert [_counted(r) for r in fast_result.root_causes] == [_counted(r) for r in slow_result.root_causes], name
        inherited_somewhere += fast_result.inherited > 0
    assert sum(compared) > 10_000 and inherited_somewhere >= 6 and len(at_once) >= 6


def test_a_cell_reading_an_earlier_cell_of_its_own_quantity_inherits_in_order():
    """_propagate: within a block, a chain (each cell reads the one before it) carries the root cause to
    its end; a cell reading a later one gets nothing from it (as cell by cell: no causes yet)."""
    bits = np.zeros((5, 1), dtype=np.uint64)
    bits[0, 0] = 1  # R1 at the first cell; 1 → 0, 2 → 1, 3 → 2 read each other; 4 reads nothing earlier
    reader, source = np.array([1, 2, 3]), np.array([0, 1, 2])
    fast._propagate(bits, reader, source, [0, 5])
    assert bits[:, 0].tolist() == [1, 1, 1, 1, 0]
    bits = np.zeros((4, 2), dtype=np.uint64)
    bits[0, 1] = 4  # root 67 in the first block, root 1 in the second
    bits[2, 0] = 2
    fast._propagate(bits, np.array([2, 3, 3]), np.array([0, 0, 2]), [0, 2, 4])
    assert bits.tolist() == [[0, 4], [0, 0], [2, 4], [2, 4]]


@pytest.mark.parametrize("grid", [True, False])
def test_places_at_and_the_cells_numbers_agree(grid, monkeypatch):
    """CellIds.at (a grid, or sorted keys for a box much larger than its cells) is Places.at kept to the
    graded quantities, inside the sheet's box and outside it."""
    if not grid:
        monkeypatch.setattr(fast, "_GRID_PER_CELL", 0)
        monkeypatch.setattr(fast, "_GRID_ANYWAY", 0)
    loaded = _loaded(BACKPROP, 6, 2)
    loaded.cells = {}
    places = Places(loaded)
    names = [n for n in BACKPROP.graded][::2]  # (some graded, some not: those must not be found)
    ids = fast.CellIds(loaded, names)
    assert bool(ids.grids) == grid and bool(ids.keys) != grid
    starts = sorted((s, n) for n, s in ids.start.items())
    for role in {q.sheet for q in BACKPROP.quantities}:
        R = max(int(BACKPROP.positions(q, 6, 2)[..., 0].max()) for q in BACKPROP.quantities if q.sheet == role) + 3
        C = max(int(BACKPROP.positions(q, 6, 2)[..., 1].max()) for q in BACKPROP.quantities if q.sheet == role) + 3
        grid = np.meshgrid(np.arange(R), np.arange(2 * C), indexing="ij")  # (and beyond the last column)
        rows, cols = (a.reshape(-1) - 1 for a in grid)
        found = ids.at(role, rows, cols).tolist()
        hits = 0
        for r, c, gid in zip(rows.tolist(), cols.tolist(), found):
            p = places.at(role, r, c)
            want = p if p is not None and p[0] in names else None
            if gid < 0:
                assert want is None, (role, r, c)
                continue
            name = next(n for s, n in reversed(starts) if s <= gid)
            shape = BACKPROP.positions(BACKPROP[name], 6, 2).shape[:-1]
            assert want == (name, tuple(int(v) for v in np.unravel_index(gid - ids.start[name], shape)))
            hits += 1
        assert hits or role not in {BACKPROP[n].sheet for n in names}
