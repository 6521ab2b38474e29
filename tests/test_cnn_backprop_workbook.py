"""The chapter-5 CNN backpropagation workbook (`sheetnet answer --kind cnn-backprop`): one block of
formulas per gradient-descent iteration, cached values from the engine, judged by LibreOffice."""

import math

import numpy as np
import pytest

from sheetnet.check.formulas import BOOK_FUNCTIONS
from sheetnet.cli import main
from sheetnet.data.chapter5 import chapter5_eta, chapter5_images, chapter5_params
from sheetnet.engine.cnn import backprop, forward, teacher
from sheetnet.engine.cnn_training import gradient_descent
from sheetnet.layout.chapter5_backprop import CNN_BACKPROP, FIRST, ITERATION_ROWS
from sheetnet.layout.evaluate import Evaluator, grids
from sheetnet.mirror.cnn_backprop import cnn_backprop_inputs, cnn_backprop_values, cnn_of_layout
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name, parse_cell
from written import formula_cells, functions_used

LEARN, SUMMARY = "卷积网络反向传播", "ＣT的变化"
N = 96
ITERATIONS = 3  # small enough for LibreOffice (≈ 90,000 cells), enough for two updates



@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("cnn_backprop") / "cnn_backprop.xlsx"
    assert main(["answer", "--kind", "cnn-backprop", "--iterations", str(ITERATIONS), "-o", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def cells(workbook):
    with WorkbookCells(workbook) as wb:
        assert wb.sheet_names == ["Data", LEARN, SUMMARY]
        return {s: {cell_name(*pos): c for pos, c in wb.sheet(s).items()} for s in wb.sheet_names}


@pytest.fixture(scope="module")
def run_values():
    net, eta = chapter5_params("initial"), chapter5_eta()
    inputs = cnn_backprop_inputs(net, eta)
    run, values = cnn_backprop_values(CNN_BACKPROP, inputs, net, eta, ITERATIONS)
    return inputs, run, values


def cell_of(name: str, index: tuple[int, ...]) -> str:
    return cell_name(*map(int, CNN_BACKPROP.positions(CNN_BACKPROP[name], N, ITERATIONS)[index]))


# -- the templates and the engine say the same thing ------------------------------------------------
def test_the_templates_evaluated_cell_by_cell_give_the_engines_values(run_values):
    """Each formula of the layout, evaluated over the cells it reads by sheetnet's own evaluator, gives
    the value the engine put there: the forward pass, δO, the pooled error, δF (the first maximum of
    each window only), every ∂C/∂θ, their sums and the updated parameters of the next block."""
    inputs, _, values = run_values
    evaluator = Evaluator(CNN_BACKPROP, grids(CNN_BACKPROP, {**inputs, **values}, N, ITERATIONS), N, ITERATIONS)
    checked = set()
    for q in CNN_BACKPROP.quantities:
        if not q.computed:
            continue
        got, want = evaluator.quantity(q), values[q.name]
        formula = ~np.isnan(got)  # image 1's number and iteration 1's parameters are typed, not formulas
        assert formula.sum() >= want.size - (want.size // ITERATIONS if q.first_iteration is not None else 1), q.name
        np.testing.assert_allclose(got[formula], want[formula], rtol=1e-12, atol=1e-15, err_msg=q.name)
        checked.add(q.name)
    assert {"delta_pool", "delta_conv", "d_filters", "d_filter_b", "d_output_w", "g_output_w", "filters"} <= checked


def test_ties_in_the_pooling_windows_go_to_the_first_maximum(run_values):
    """The book's 0/1 images make twins: a window's positions that see the same pixels hold the same
    aF. The engine sends the pooled error to the first of them; the sheet must too (IF(aF=MAX(…))
    alone would send it to every twin and double the filters' gradients)."""
    _, _, values = run_values
    aF, dF = values["aF"], values["delta_conv"]  # (iterations, images, filters, 4, 4)
    windows = aF.reshape(*aF.shape[:3], 2, 2, 2, 2).swapaxes(4, 5).reshape(*aF.shape[:3], 2, 2, 4)
    tied = (windows == windows.max(axis=-1, keepdims=True)).sum(axis=-1) > 1
    assert tied[0].sum() > 100  # 163 of the 1,152 windows of iteration 1
    routed = (dF.reshape(*dF.shape[:3], 2, 2, 2, 2).swapaxes(4, 5).reshape(*dF.shape[:3], 2, 2, 4) != 0).sum(axis=-1)
    assert routed.max() == 1  # the engine: one position per window, twin or not
    # the layout's δF reproduces that (test above); routing by IF(aF=MAX(window)) alone would not
    inputs, _, _ = run_values
    evaluator = Evaluator(CNN_BACKPROP, grids(CNN_BACKPROP, {**inputs, **values}, N, ITERATIONS), N, ITERATIONS)
    naive = evaluator.quantity(CNN_BACKPROP["delta_conv"],
                               template="=IF({aF.}=MAX({aF@2\\2}),{delta_pool%2},0)*{aF.}*(1-{aF.})")
    twins = np.repeat(np.repeat(tied, 2, axis=-2), 2, axis=-1) & (aF == np.repeat(np.repeat(
        windows.max(axis=-1), 2, axis=-2), 2, axis=-1))
    differ = naive != dF  # the later twins: the naive sheet routes there too, the engine does not
    assert not (differ & ~twins).any() and (dF[differ] == 0).all() and differ.sum() > 100


def test_C_T_per_iteration_is_the_engines_gradient_descent(run_values, cells):
    images, digits = chapter5_images()
    gd = gradient_descent(chapter5_params("initial"), images, teacher(digits), eta=chapter5_eta(), iterations=ITERATIONS)
    _, run, values = run_values
    assert run.C_T == pytest.approx(gd.C_T_history, rel=1e-12)
    assert run.C_T[0] == pytest.approx(12.5445, abs=5e-5)  # the book's figure for cnn_initial
    ours = [cells[LEARN][cell_of("C_T", (k, 0, 0, 0))].value for k in range(ITERATIONS)]
    assert ours == pytest.approx(gd.C_T_history, rel=1e-12)
    assert [cells[SUMMARY][f"C{6 + k}"].value for k in range(ITERATIONS)] == ours
    # the last block's parameters are the engine's after ITERATIONS − 1 updates
    last = {name: values[name][-1] for name in ("filters", "filter_b", "output_w", "output_b")}
    after = gradient_descent(chapter5_params("initial"), images, teacher(digits), eta=chapter5_eta(),
                             iterations=ITERATIONS - 1).net
    np.testing.assert_allclose(cnn_of_layout(last).flat(), after.flat(), rtol=1e-12)


def test_the_per_image_gradients_are_the_engines(run_values):
    """The values written are backprop's own, placed by the layout: image 7's ∂C/∂θ of iteration 1."""
    inputs, _, values = run_values
    net = chapter5_params("initial")
    images, digits = chapter5_images()
    fw = forward(net, images)
    g = backprop(net, fw, teacher(digits))
    per = {name: values[name][0, 6] for name in ("d_filters", "d_filter_b", "d_output_w", "delta_out")}
    flat = np.concatenate([per["d_filters"].ravel(), per["d_filter_b"].ravel()])
    assert np.array_equal(flat, np.concatenate([g.per_image.filters[6].ravel(), g.per_image.filter_b[6]]))
    params = cnn_of_layout({"filters": per["d_filters"], "filter_b": per["d_filter_b"],
                            "output_w": per["d_output_w"], "output_b": per["delta_out"]})
    assert np.array_equal(params.flat(), g.per_image_flat()[6])


# -- where each quantity lives ------------------------------------------------------------------------
def test_the_blocks_formulas(cells):
    at = cells[LEARN]
    second = FIRST + ITERATION_ROWS
    assert at["D3"].formula is None and at["D3"].value == chapter5_eta()
    assert at["D7"].formula is None and at["H25"].formula is None  # iteration 1: typed parameters
    assert at[f"D{second + 2}"].formula == "=D7-$D$3*L7"  # iteration 2: updated from the block above
    assert at[f"H{second + 20}"].formula == "=H25-$D$3*P25"
    assert at["L7"].formula == "=SUM(V73:VY73)"  # Σ∂C/∂w_F(1,1,1): the row of one gradient
    assert at["L25"].formula == "=SUM(V52:VY52)"  # Σ∂C/∂b_O1 = Σ δO1
    assert at["V73"].formula == "=SUMPRODUCT(V61:Y64,V6:Y9)"  # δF_1 ⊙ the 4×4 x window at (1,1)
    assert at["V81"].formula == "=SUMPRODUCT(V61:Y64,X8:AA11)"  # … at (3,3)
    assert at["V100"].formula == "=SUM(V61:Y64)"  # ∂C/∂b_F1 = Σ δF_1
    assert at["V103"].formula == "=V52*V39" and at["V106"].formula == "=V52*W40"  # ∂C/∂w_O = δO · zP
    assert at["V55"].formula == "=V52*$D$19+V53*$F$19+V54*$H$19"  # δP: Σ_j δO_j · w_j
    assert at["W32"].formula == "=1/(1+EXP(-W20))"
    # δF_1(2,2): the pooled value V39 and its error V55, routed here only if no earlier cell of the
    # window (V27:W28) equals the maximum: the window's rows down to this one, less this row from here
    assert at["W62"].formula == ("=IF(W28=V39,IF(SUMPRODUCT((V27:W28=V39)*1)=SUMPRODUCT((W28=V39)*1),V55,0),0)"
                                 "*W28*(1-W28)")
    assert at["VT138"].formula == "=VT54*VU44" and "VU138" not in at  # image 96's block starts at VT
    assert at["E27"].formula == "=SUM(V51:VY51)"


def test_each_summed_row_holds_one_quantity(cells):
    """A gradient's sum is SUM of its whole row: nothing else may share a summed row."""
    by_row: dict[int, set[int]] = {}
    first = parse_cell("V1")[1]
    for where in cells[LEARN]:
        r, c = parse_cell(where)
        if c >= first:
            by_row.setdefault(r, set()).add(c)
    for name in ("d_filters", "d_filter_b", "d_output_w", "delta_out", "C"):
        pos = CNN_BACKPROP.positions(CNN_BACKPROP[name], N, ITERATIONS).reshape(-1, 2)
        for row in np.unique(pos[:, 0]):
            assert by_row[row] == {int(c) for r, c in pos if r == row}, (name, row)


# -- the spreadsheet's own judgement ---------------------------------------------------------------
def test_libreoffice_agrees_with_every_formula_cell(workbook, recalc):
    ours, theirs = formula_cells(workbook), formula_cells(recalc(workbook))
    assert ours.keys() == theirs.keys()
    assert len(ours) > 80_000
    for key, cell in ours.items():
        other = theirs[key].value
        assert math.isclose(other, cell.value, rel_tol=1e-9, abs_tol=1e-12), (
            key[0], cell_name(*key[1:]), cell.formula, cell.value, other)


def test_every_formula_is_in_the_books_dialect(workbook):
    used = functions_used(workbook)
    assert used <= BOOK_FUNCTIONS, used - BOOK_FUNCTIONS
    assert {"SUMPRODUCT", "MAX", "EXP", "SUMXMY2", "SUM", "IF"} <= used


def test_the_command_line(tmp_path, capsys):
    assert main(["answer", "--kind", "cnn-backprop", "--iterations", "0", "-o", str(tmp_path / "a.xlsx")]) == 2
    assert main(["answer", "--kind", "cnn-backprop", "--params", "initial", "-o", str(tmp_path / "b.xlsx")]) == 2
    assert not (tmp_path / "a.xlsx").exists() and not (tmp_path / "b.xlsx").exists()
    assert main(["answer", "--kind", "cnn-backprop", "--iterations", "1", "-o", str(tmp_path / "c.xlsx")]) == 0
    assert "cnn-backprop" in capsys.readouterr().out


def test_a_written_workbook_loads_back_and_recomputes(workbook):
    """What `recompute`/`check` would do once the kind is registered: load the workbook's inputs (data,
    η, iteration 1's typed parameters), recompute every computed cell, find the cached values."""
    from sheetnet.mirror.cnn_backprop import cnn_backprop_compute, cnn_backprop_defaults
    from sheetnet.mirror.load import load

    loaded = load(workbook, CNN_BACKPROP)
    assert (loaded.n_images, loaded.n_iterations) == (N, ITERATIONS)
    defaults = cnn_backprop_defaults("initial", N)
    for name, a in defaults.items():
        assert np.array_equal(np.asarray(loaded.inputs[name], dtype=float).reshape(a.shape), a), name
    summary, values = cnn_backprop_compute(loaded.inputs, N, ITERATIONS)
    assert summary.right == 88 and summary.C_T == pytest.approx(11.359, abs=5e-4)
    for name, cached in loaded.cells.items():
        q = CNN_BACKPROP[name]
        if q.text:
            continue
        cached = np.vectorize(lambda c: float(c.value) if c is not None and c.value is not None else np.nan,
                              otypes=[float])(cached)
        assert not np.isnan(cached).any(), name  # every cell holds its value
        np.testing.assert_allclose(cached, values[name], rtol=1e-12, atol=1e-300, err_msg=name)
