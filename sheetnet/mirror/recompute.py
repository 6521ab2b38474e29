"""`sheetnet recompute`: a workbook's own inputs → every computed cell, against what it has cached."""

from __future__ import annotations

from pathlib import Path

from sheetnet.i18n import _
from sheetnet.errors import UnusableInput
from sheetnet.mirror.compare import Comparison, Tolerance, compare
from sheetnet.mirror.kinds import Kind, Summary, open_as
from sheetnet.mirror.load import Loaded
from sheetnet.record import record


@record(frozen=True)
class Recomputed:
    loaded: Loaded
    kind: Kind
    params_from: str  # 'workbook' or the embedded set used for a data-only workbook
    evaluation: Summary
    comparison: Comparison


def recompute(path: str | Path, *, tol: Tolerance = Tolerance(), default_params: str | None = None,
              kind: Kind | None = None) -> Recomputed:
    kind, loaded = open_as(path, kind)
    inputs = dict(loaded.inputs)
    if loaded.has("learn"):
        params_from = "workbook"
    else:
        params_from = default_params or kind.parameter_sets[0]
        if params_from not in kind.parameter_sets:
            raise UnusableInput(_("--params {params}: a {kind} workbook takes {sets}").format(
                params=params_from, kind=kind.name, sets=", ".join(kind.parameter_sets)))
        inputs.update(kind.default_parameters(params_from, loaded.n_images))
    summary, expected = kind.compute(inputs, loaded.n_images, loaded.n_iterations)
    comparison = compare(loaded.cells, expected, tol, loaded.arrays)
    if comparison.formulas and comparison.no_cache == comparison.formulas:
        raise UnusableInput(
            "its formulas have no cached values (written by a program that does not calculate): "
            "open and save it in a spreadsheet program first"
        )
    return Recomputed(loaded, kind, params_from, summary, comparison)
