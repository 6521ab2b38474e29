"""Recompute: the book's figures from workbooks, and LibreOffice as the independent judge."""

import json
import math
import re
import zipfile
from pathlib import Path

import pytest

from minixlsx import strip_cached_values
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.mirror.answer import write_book_workbook
from sheetnet.mirror.load import load
from sheetnet.mirror.recompute import recompute
from sheetnet.xlsx.reader import WorkbookCells


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    out = tmp_path_factory.mktemp("answers")
    paths = {}
    for params in ("book", "initial"):
        paths[params] = out / f"answer-{params}.xlsx"
        write_book_workbook(paths[params], chapter3_params(params))
    return paths


def test_the_answer_workbook_carries_the_books_figures(answers):
    r = recompute(answers["initial"])
    assert r.params_from == "workbook"
    assert r.loaded.n_images == 64
    assert r.kind.name == "chapter3"
    assert float(r.loaded.cells["C"][0, 0, 0, 0].value) == pytest.approx(0.046171, abs=5e-7)
    assert r.evaluation.C_T == pytest.approx(18.347, abs=5e-4)
    assert r.evaluation.right == 42
    assert r.comparison.cells == 1922 and r.comparison.all_agree

    r = recompute(answers["book"])
    assert f"{r.evaluation.C_T:.11e}" == f"{1.0452109503695352e-07:.11e}"  # 12 significant digits
    assert r.evaluation.right == 64 and r.comparison.all_agree


def test_parameters_round_trip_exactly(answers):
    loaded = load(answers["book"], CHAPTER3)
    from sheetnet.mirror.chapter3 import network_of

    assert (network_of(loaded.inputs).flat() == chapter3_params("book").flat()).all()


def test_cached_values_are_what_the_engine_computed(answers):
    with WorkbookCells(answers["initial"]) as wb:
        learn = wb.sheet("学习")
    assert learn[(21, 7)].formula == "=SUM(L21:JG21)"
    assert learn[(21, 7)].value == pytest.approx(18.347, abs=5e-4)
    assert learn[(30, 15)].value in ("○", "×")


def test_solver_settings_are_hidden_names_of_the_learning_sheet(answers):
    with zipfile.ZipFile(answers["book"]) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert '<definedName name="solver_opt" localSheetId="1" hidden="1">学习!$G$21</definedName>' in workbook
    assert 'name="solver_adj" localSheetId="1" hidden="1">学习!$D$5:$F$16,学习!$G$5' in workbook


def test_libreoffice_recalculates_the_answer_to_our_cached_values(answers, recalc, capsys):
    for params, path in answers.items():
        judged = recalc(path)
        ours, theirs = load(path, CHAPTER3), load(judged, CHAPTER3)
        assert ours.cells.keys() == theirs.cells.keys()
        checked = 0
        for name, grid in ours.cells.items():
            for index, cell in ((i, c) for i, c in __import__("numpy").ndenumerate(grid)):
                other = theirs.cells[name][index]
                assert other is not None and other.formula is not None or cell.formula is None, name
                if cell.is_number:
                    assert other.value == pytest.approx(cell.value, rel=1e-9, abs=1e-12), (params, name, index)
                else:
                    assert other.value == cell.value, (params, name, index)
                checked += 1
        assert checked == 1922
        assert main(["recompute", str(judged)]) == 0
    capsys.readouterr()


def test_appendix_a_is_read_as_data_with_the_default_parameters(book_dir, capsys):
    assert main(["recompute", str(book_dir / "appendix-a.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "data sheet 'Data'; 64 images (32 of digit 0, 32 of digit 1)" in out
    assert "the book's initial values" in out
    assert "C_T = 18.347" in out and "42/64 right" in out


def test_appendix_a_data_equals_the_embedded_data(book_dir):
    from sheetnet.data import chapter3_images

    loaded = load(book_dir / "appendix-a.xlsx", CHAPTER3)
    images, digits = chapter3_images()
    assert (loaded.inputs["pixels"].reshape(64, 4, 3) == images).all()
    assert (loaded.inputs["digit"].reshape(-1) == digits).all()


def test_the_book_values_file_agrees_with_the_embedded_parameters(book_dir):
    from sheetnet.data import network_from_book

    values = json.loads((book_dir / "book-values.json").read_text("utf-8"))
    for ours, theirs in (("initial", "nn_initial"), ("book", "nn_solver_result"), ("backprop_initial", "backprop_initial")):
        assert (chapter3_params(ours).flat() == network_from_book(values[theirs]).flat()).all()


def test_json_report(answers, capsys):
    assert main(["recompute", str(answers["initial"]), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and doc["cells"] == doc["agree"] == 1922 and doc["correct"] == 42
    assert doc["sheets"] == {"data": "Data", "learn": "学习"}


def test_a_stale_cell_is_reported_with_its_place(answers, tmp_path, capsys):
    from minixlsx import replace_cell

    src = answers["initial"]
    with WorkbookCells(src) as wb:
        s14 = wb.sheet("学习")[(14, 19)]
    stale = replace_cell(src, tmp_path / "stale.xlsx", 2, "S14", f'<c r="S14"><f>{s14.formula[1:]}</f><v>0.25</v></c>')
    assert main(["recompute", str(stale)]) == 1
    out = capsys.readouterr().out
    assert "1921 of 1922 agree" in out
    assert "学习!S14 · image 2 · a2_1: cached 0.25, recomputed" in out
    assert main(["recompute", str(stale), "--rel", "10"]) == 0  # a tolerance wide enough accepts it
    capsys.readouterr()


def test_a_workbook_without_cached_values_is_unusable_for_recompute(answers, tmp_path, capsys):
    bare = strip_cached_values(answers["initial"], tmp_path / "bare.xlsx")
    assert main(["recompute", str(bare)]) == 2
    assert "no cached values" in capsys.readouterr().err


@pytest.mark.parametrize("name, argv", [
    ("answer.xlsx", ["answer"]),
    ("answer-initial.xlsx", ["answer", "--params", "initial"]),
    ("exercise.xlsx", ["exercise"]),
])
def test_the_example_workbooks_are_what_the_commands_write(name, argv, tmp_path, capsys):
    from conftest import ROOT

    fresh = tmp_path / name
    assert main([*argv, "-o", str(fresh)]) == 0
    assert _same_but_last_bits(fresh, ROOT / "workbooks" / name), f"regenerate workbooks/{name}"
    capsys.readouterr()


_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _same_but_last_bits(a: Path, b: Path) -> bool:
    """The same parts in the same order, byte for byte, except that a number may differ in its last
    bits: another NumPy release or CPU rounds exp() differently (NumPy 1.24 here: 143 cached values
    of answer.xlsx differ in the 16th digit), and that must not fail a fresh install."""
    if a.read_bytes() == b.read_bytes():
        return True
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        if za.namelist() != zb.namelist():
            return False
        for name in za.namelist():
            x, y = za.read(name), zb.read(name)
            if x == y:
                continue
            if _NUMBER.split(x) != _NUMBER.split(y):
                return False
            nx, ny = _NUMBER.findall(x), _NUMBER.findall(y)
            if not all(math.isclose(float(p), float(q), rel_tol=1e-13, abs_tol=1e-300) for p, q in zip(nx, ny)):
                return False
    return True
