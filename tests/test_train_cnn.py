"""`sheetnet train` on the chapter-5 CNN workbook: both methods through the kind, judged by LibreOffice."""

import math
import re

import numpy as np
import pytest

from sheetnet import blas
from sheetnet.cli import main
from sheetnet.data.chapter5 import chapter5_params
from sheetnet.engine import cnn_training
from sheetnet.layout.chapter5 import CNN5
from sheetnet.layout.depends import dependents
from sheetnet.mirror.cnn import cnn_of, cnn_problem, write_cnn_workbook
from sheetnet.mirror.kinds import CNN_KIND
from sheetnet.mirror.load import load
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name

BOOK_C_T = 12.5445  # the book's start, cnn_initial: 91/96 right
N = 96


@pytest.fixture(scope="module")
def initial(tmp_path_factory):
    path = tmp_path_factory.mktemp("cnn-train") / "initial.xlsx"
    write_cnn_workbook(path, chapter5_params("initial"))
    return path


def _all_cells(path):
    with WorkbookCells(path) as wb:
        return {(s, *pos): c for s in wb.sheet_names for pos, c in wb.sheet(s).items()}


def _cells_of(loaded, names):
    out = set()
    for name in names:
        q = loaded.layout[name]
        sheet = loaded.sheet_names[q.sheet]
        out |= {(sheet, int(r), int(c)) for r, c in loaded.layout.positions(q, loaded.n_images).reshape(-1, 2)}
    return out


def _printed_C_T(printed: str, when: str) -> tuple[float, str]:
    m = re.search(rf"C_T {when}:\s+(\S+) \((\d+/\d+) right\)", printed)
    assert m, printed
    return float(m.group(1)), m.group(2)


def _changed_only_parameters_and_dependents(src, out):
    """Every parameter moved; nothing but the parameters and their dependents' cached values changed."""
    loaded = load(src, CNN5)
    params = _cells_of(loaded, CNN_KIND.parameters)
    allowed = params | _cells_of(loaded, dependents(CNN5, set(CNN_KIND.parameters)))
    old, new = _all_cells(src), _all_cells(out)
    assert old.keys() == new.keys()
    changed = {key for key in old if old[key] != new[key]}
    assert params <= changed
    assert changed <= allowed, sorted(changed - allowed)[:5]
    assert all(old[key].formula == new[key].formula for key in changed)  # formulas stay; only values change


@pytest.mark.parametrize("method", ["solver", "gd"])
def test_both_methods_reach_96_of_96_and_a_hundredth_of_the_cost(initial, tmp_path, capsys, recalc, method):
    out = tmp_path / f"{method}.xlsx"
    assert main(["train", str(initial), "-o", str(out), "--method", method]) == 0  # the kind is found
    printed = capsys.readouterr().out
    before, right_before = _printed_C_T(printed, "before")
    after, right_after = _printed_C_T(printed, "after")
    assert round(before, 4) == BOOK_C_T and right_before == "91/96"
    assert after < BOOK_C_T / 100 and right_after == "96/96"
    # the kind's defaults: Solver stops at its target, gradient descent makes CNN_GD_ITERATIONS updates
    expected = {"solver": "target", "gd": f"{cnn_training.CNN_GD_ITERATIONS} iterations done"}[method]
    assert expected in printed.splitlines()[1]

    trained = load(out, CNN5)
    assert trained.cells["C_T"].reshape(-1)[0].value == pytest.approx(after, rel=1e-11)
    assert all(c.value == "○" for c in trained.cells["right"].reshape(-1))
    assert trained.cells["accuracy"].reshape(-1)[0].value == 1
    # the parameters in the cells are the engine's own result from the workbook's start
    x, t = cnn_problem(load(initial, CNN5).inputs)
    with blas.one_thread():  # as the command runs it: BLAS sums in another order on more threads
        run = {"solver": cnn_training.solve, "gd": cnn_training.gradient_descent}[method](chapter5_params("initial"), x, t)
    assert np.array_equal(cnn_of(trained.inputs).flat(), run.net.flat())
    _changed_only_parameters_and_dependents(initial, out)

    assert main(["recompute", str(out)]) == 0
    capsys.readouterr()

    # LibreOffice, recalculating every formula of the trained workbook, finds the values we cached
    ours = {k: c for k, c in _all_cells(out).items() if c.formula}
    theirs = _all_cells(recalc(out))
    assert len(ours) > 18_000
    worst = 0.0
    for key, cell in ours.items():
        other = theirs[key].value
        if isinstance(cell.value, str):
            assert other == cell.value, key
            continue
        assert math.isclose(other, cell.value, rel_tol=1e-9, abs_tol=1e-12), (key[0], cell_name(*key[1:]),
                                                                              cell.formula, cell.value, other)
        if cell.value:
            worst = max(worst, abs(other - cell.value) / abs(cell.value))
    assert worst < 1e-9


def test_a_libreoffice_saved_cnn_workbook_trains(initial, tmp_path, capsys, recalc):
    saved = recalc(initial)  # the bytes of a real spreadsheet program, not XlsxWriter's
    before_bytes = saved.read_bytes()
    out = tmp_path / "trained.xlsx"
    assert main(["train", str(saved), "-o", str(out), "--kind", "cnn", "--method", "gd"]) == 0
    printed = capsys.readouterr().out
    assert round(_printed_C_T(printed, "before")[0], 4) == BOOK_C_T
    after, right = _printed_C_T(printed, "after")
    assert after < BOOK_C_T / 100 and right == "96/96"
    assert "cells whose formulas differ" not in printed  # LibreOffice's formula text is the layout's
    assert saved.read_bytes() == before_bytes  # the input is never touched
    _changed_only_parameters_and_dependents(saved, out)
    assert main(["recompute", str(out)]) == 0
    capsys.readouterr()


def test_eta_and_iterations_override_the_kinds_defaults(initial, tmp_path, capsys):
    out = tmp_path / "gd3.xlsx"
    assert main(["train", str(initial), "-o", str(out), "--method", "gd", "--eta", "0.5", "--iterations", "3"]) == 0
    assert "3 iterations done" in capsys.readouterr().out
    x, t = cnn_problem(load(initial, CNN5).inputs)
    run = cnn_training.gradient_descent(chapter5_params("initial"), x, t, eta=0.5, iterations=3)
    assert np.array_equal(cnn_of(load(out, CNN5).inputs).flat(), run.net.flat())


def test_a_backprop_workbook_is_not_trained(initial, tmp_path, capsys):
    bp = tmp_path / "bp.xlsx"
    assert main(["answer", "--kind", "backprop", "--iterations", "2", "-o", str(bp)]) == 0
    capsys.readouterr()
    out = tmp_path / "x.xlsx"
    for argv in ([str(bp)], [str(initial), "--kind", "backprop"]):  # found, or said
        assert main(["train", *argv, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert "is a backprop workbook" in err and "trains chapter3, cnn and regression" in err and err.count("\n") == 1
        assert not out.exists()


def test_appendix_b_has_no_learning_sheet_to_train(book_dir, tmp_path, capsys):
    assert main(["train", str(book_dir / "appendix-b.xlsx"), "-o", str(tmp_path / "x.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "has no learning sheet (with the 69 parameters at D5:J22)" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
