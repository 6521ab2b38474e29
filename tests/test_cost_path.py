"""The cost's path over an iterated workbook's iterations: every C_T in JSON, a line with its
first, lowest and last values and every rise in text (issue 13: the cnn-backprop run rises from
10.84 to 13.45 over iterations 2–5, and the summary of its ends hid it)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sheetnet.cli import main
from sheetnet.data.chapter5 import chapter5_eta, chapter5_params
from sheetnet.layout.backprop import BACKPROP
from sheetnet.mirror.backprop import write_backprop_workbook
from sheetnet.mirror.cnn_backprop import cnn_backprop_defaults, cnn_backprop_inputs
from sheetnet.mirror.kinds import CNN_BACKPROP_KIND
from sheetnet.mirror.load import load
from sheetnet.report import Rise, cost_path_text, rises


@pytest.mark.parametrize("history, found", [
    ([3, 2, 1], []),
    ([1, 1, 1], []),  # flat is not a rise
    ([1, 1 + 1e-14, 1], []),  # nor rounding noise
    ([1, 2, 3], [Rise(1, 3, 1, 3)]),
    ([5, 1, 2, 4, 0, 1], [Rise(2, 4, 1, 4), Rise(5, 6, 0, 1)]),
])
def test_rises_are_the_stretches_where_the_cost_goes_up(history, found):
    assert rises(history) == found


def test_the_text_line_names_first_lowest_last_and_each_rise():
    assert cost_path_text([4.0, 3.0, 2.0]) == \
        "C_T over 3 iterations: first 4, lowest 2 (iteration 3), last 2; it never rises"
    assert cost_path_text([5, 1, 2, 4, 0, 1]) == ("C_T over 6 iterations: first 5, lowest 0 (iteration 5), last 1; "
                                                  "it RISES 1 → 4 over iterations 2–4, 0 → 1 over iterations 5–6")
    many = [1, 2] * 5
    assert cost_path_text(many).endswith("1 → 2 over iterations 5–6 and 2 more")
    assert cost_path_text([7.5]) == "C_T = 7.5 (one iteration)"


def test_the_cnn_backprop_run_rises_over_iterations_2_to_5():
    net = chapter5_params("initial")
    inputs = {**cnn_backprop_inputs(net, chapter5_eta()), **cnn_backprop_defaults("initial", 96)}
    summary, values = CNN_BACKPROP_KIND.compute(inputs, 96, 6)
    # the C_T the compute already gives, one per iteration (the summary sheet's column)
    assert summary.history == tuple(values["s_C_T"].reshape(-1))
    assert summary.history[-1] == summary.C_T
    [rise] = rises(summary.history)
    assert (rise.start, rise.end) == (2, 5)
    assert rise.before == pytest.approx(10.84398, abs=1e-5) and rise.after == pytest.approx(13.44939, abs=1e-5)
    assert "it RISES 10.844 → 13.4494 over iterations 2–5" in cost_path_text(summary.history)


@pytest.fixture(scope="module")
def rising(tmp_path_factory):
    """A chapter-4 workbook whose η (2, ten times the book's) makes C_T jump up and down."""
    path = tmp_path_factory.mktemp("cost") / "η=2.xlsx"
    run = write_backprop_workbook(path, iterations=6, eta=2.0)
    assert len(rises(run.C_T)) >= 2
    return path, run


def test_recompute_reports_every_iteration_in_json_and_the_path_in_text(rising, capsys):
    path, run = rising
    assert main(["recompute", str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    cached = [c.value for c in load(path, BACKPROP).cells["C_T"].reshape(-1)]  # what the sheet's C_T cells hold
    assert doc["C_T_by_iteration"] == run.C_T == pytest.approx(cached, rel=1e-15)
    assert doc["C_T"] == doc["C_T_by_iteration"][-1]
    assert doc["C_T_rises"] == [{"from_iteration": r.start, "to_iteration": r.end, "from": r.before, "to": r.after}
                                for r in rises(run.C_T)]
    assert main(["recompute", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == cost_path_text(run.C_T) and "it RISES" in lines[2]
    lowest = int(np.argmin(run.C_T))
    assert f"lowest {run.C_T[lowest]:.6g} (iteration {lowest + 1})" in lines[2]


def test_answer_prints_the_cost_path(tmp_path, capsys):
    assert main(["answer", "--kind", "backprop", "--iterations", "3", "-o", str(tmp_path / "bp.xlsx")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"wrote {tmp_path / 'bp.xlsx'} (backprop, η = 0.2, 3 iterations")
    assert out[1] == "C_T over 3 iterations: first 20.3121, lowest 12.2973 (iteration 3), last 12.2973; it never rises"


def test_a_workbook_that_is_not_iterated_has_no_path(tmp_path, capsys):
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    write_book_workbook(tmp_path / "a.xlsx", chapter3_params("initial"))
    assert main(["recompute", str(tmp_path / "a.xlsx"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["C_T_by_iteration"] == [] and doc["C_T_rises"] == []
