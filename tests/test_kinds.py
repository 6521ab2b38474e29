"""Workbook kinds: each written workbook is recognised as its kind, recomputes clean, and its layout's
templates — evaluated over the engine's values — give back those values (the templates and the engine
describe the same math: LibreOffice then judges the cell addresses)."""

from __future__ import annotations

import numpy as np
import pytest

from sheetnet.check.checker import check
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.layout.evaluate import Evaluator, grids
from sheetnet.mirror import kinds
from sheetnet.mirror.answer import write_book_workbook
from sheetnet.mirror.backprop import write_backprop_workbook
from sheetnet.mirror.cnn import write_cnn_workbook
from sheetnet.mirror.cnn_backprop import write_cnn_backprop_workbook
from sheetnet.mirror.load import load
from sheetnet.mirror.recompute import recompute


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from sheetnet.data.chapter5 import chapter5_params

    out = tmp_path_factory.mktemp("kinds")
    paths = {"chapter3": out / "c3.xlsx", "backprop": out / "bp.xlsx", "cnn": out / "cnn.xlsx",
             "backprop-exercise": out / "bpx.xlsx", "cnn-backprop": out / "cbp.xlsx",
             "cnn-backprop-exercise": out / "cbpx.xlsx"}
    write_book_workbook(paths["chapter3"], chapter3_params("initial"))
    write_backprop_workbook(paths["backprop"], iterations=4)
    write_backprop_workbook(paths["backprop-exercise"], iterations=4, exercise=True)
    write_cnn_workbook(paths["cnn"], chapter5_params("initial"))
    write_cnn_backprop_workbook(paths["cnn-backprop"], iterations=2)
    write_cnn_backprop_workbook(paths["cnn-backprop-exercise"], iterations=2, exercise=True)
    for name, argv in (("chapter3-answer", ["answer"]), ("regression", ["answer", "--kind", "regression"]),
                       ("regression-exercise", ["exercise", "--kind", "regression"]),
                       ("descent", ["answer", "--kind", "descent"]),
                       ("descent-exercise", ["exercise", "--kind", "descent"])):
        paths[name] = out / f"{name}.xlsx"
        assert main([*argv, "-o", str(paths[name])]) == 0
    return paths


ALL = ["chapter3", "backprop", "cnn", "cnn-backprop", "regression", "descent"]
CELLS = {"regression": 22, "descent": 300}  # computed cells of the chapter-2 answers; the others have > 1000


@pytest.mark.parametrize("name", ALL)
def test_each_kind_is_recognised_and_recomputes_clean(written, name):
    r = recompute(written[name])
    assert r.kind.name == name
    assert r.comparison.all_agree and r.comparison.cells >= CELLS.get(name, 1000)


@pytest.mark.parametrize("name, kind", [("backprop-exercise", "backprop"), ("cnn-backprop-exercise", "cnn-backprop"),
                                        ("chapter3-answer", "chapter3"), ("regression", "regression"),
                                        ("regression-exercise", "regression"), ("descent", "descent"),
                                        ("descent-exercise", "descent")])
def test_every_workbook_sheetnet_writes_is_recognised_as_its_kind(written, name, kind):
    # the chapter-3 answer holds the chapter-4 run's sheet 梯度下降 (not the descent's 梯度下降法); exercises
    # hold empty formula cells: their kind is found by their sheets' names and typed cells
    assert kinds.detect(written[name]).name == kind


def test_each_kind_knows_its_learning_sheets_names_as_its_layout_gives_them():
    # (detect() reads Kind.learn_names, so as not to build every layout before the workbook's own)
    for kind in kinds.KINDS:
        assert kind.learn_names == kind.layout.sheet("learn").names, kind.name


def test_the_books_data_workbooks_are_still_chapter3_and_cnn(book_dir):
    assert kinds.detect(book_dir / "appendix-a.xlsx").name == "chapter3"
    assert kinds.detect(book_dir / "appendix-b.xlsx").name == "cnn"


def test_renamed_sheets_are_found_by_content(written, tmp_path):
    # a Japanese edition's sheet names: the kind comes from what the cells hold
    import zipfile

    for name, sheet in (("regression", "回归分析"), ("descent", "梯度下降法")):
        renamed = tmp_path / f"{name}.xlsx"
        with zipfile.ZipFile(written[name]) as zin, zipfile.ZipFile(renamed, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename in ("xl/workbook.xml", "docProps/app.xml"):
                    data = data.decode().replace(sheet, "Sheet1").encode()
                zout.writestr(info, data)
        r = recompute(renamed)
        assert r.kind.name == name and r.loaded.sheet_names == {"learn": "Sheet1"} and r.comparison.all_agree


def test_the_backprop_workbook_counts_its_iteration_blocks(written):
    r = recompute(written["backprop"])
    assert r.loaded.n_iterations == 4
    assert r.evaluation.what == "iteration 4, before its update"
    expected = [20.3121, 14.4899]  # book-values.json backprop_expected, iterations 1 and 2
    C_T = [float(c.value) for c in r.loaded.cells["C_T"].reshape(-1)]
    assert C_T[:2] == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize("name", ["backprop-exercise", "cnn-backprop-exercise"])
def test_an_iterated_exercise_is_checked_block_by_block(written, name):
    # the student has filled nothing: one block (the typed one) counts, every formula cell is empty
    r = check(written[name])
    assert r.loaded.n_iterations == 1
    assert r.right == 0 and r.graded > 4000
    assert {root.diagnosis.code for root in r.root_causes} == {"empty"}


def test_the_answer_workbooks_check_clean(written):
    for name in ALL:
        r = check(written[name])
        assert r.exit_code == 0 and r.graded >= {"regression": 15, "descent": 270}.get(name, 1000), name


@pytest.mark.parametrize("name", ALL)
def test_templates_evaluated_over_the_engines_values_give_them_back(written, name):
    kind = kinds.by_name(name)
    loaded = load(written[name], kind.layout)
    _, values = kind.compute(loaded.inputs, loaded.n_images, loaded.n_iterations)
    layout, n, k = kind.layout, loaded.n_images, loaded.n_iterations
    arrays = {**loaded.inputs, **values}
    ev = Evaluator(layout, grids(layout, arrays, n, k), n, k)
    for q in layout.quantities:
        if not q.computed or q.name not in values:
            continue
        got, want = ev.quantity(q), values[q.name]
        if q.text:
            assert all(g == w for g, w in zip(got.reshape(-1), want.reshape(-1))), q.name
            continue
        got = got.astype(float)
        evaluated = ~np.isnan(got)  # typed cells and constants are not evaluated
        assert evaluated.sum() > 0, q.name
        np.testing.assert_allclose(got[evaluated], np.asarray(want, dtype=float)[evaluated], rtol=1e-12, atol=1e-15,
                                   err_msg=q.name)


def test_a_mistaken_template_gives_a_different_value(written):
    # the evaluator is not blind: the sigmoid with the wrong sign is 1 − σ(z), not σ(z)
    kind = kinds.by_name("chapter3")
    loaded = load(written["chapter3"], kind.layout)
    _, values = kind.compute(loaded.inputs, loaded.n_images, 1)
    ev = Evaluator(kind.layout, grids(kind.layout, {**loaded.inputs, **values}, 64), 64)
    wrong = ev.quantity(kind.layout["a2"], "=1/(1+EXP({z2}))")
    np.testing.assert_allclose(wrong, 1 - values["a2"], rtol=1e-9, atol=1e-15)  # 1 − σ loses digits near 1


def test_every_kind_is_written_by_answer_and_exercise_through_its_own_row():
    # the command line offers the kinds of the authoring table; recompute/check/train those of kinds.py
    from sheetnet.commands.common import KIND_CHOICES
    from sheetnet.mirror import authoring

    assert authoring.NAMES == kinds.NAMES and KIND_CHOICES == ("auto", *kinds.NAMES)
    for row in authoring.WORKBOOKS:
        assert callable(row.author()), row.kind
