"""The mistake suite of `sheetnet check` on the chapter-5 CNN workbook (卷积神经网络).

As checkcases.py for chapter 3: each case changes formulas of a clean workbook the way a student
would — in one image, or in image 1 and filled across all 96 (and over a whole feature map) — and
says which cells must come out as root causes with which diagnosis; nothing else may. LibreOffice
calculates each copy, as the student's spreadsheet would. Formulas are written as a student types
them: from a template of the layout's language rendered at each cell (what typing the same idea in
every cell gives), or one formula filled across (Excel's relative shift).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import checkmut
from checkmut import fill_across
from sheetnet.data.chapter5 import chapter5_params
from sheetnet.layout.chapter5 import CNN5
from sheetnet.record import replace

N = 96
SHEET = CNN5.sheet("learn").names[0]
NAMES = {"data": "Data", "learn": SHEET}


def cells_of(name: str) -> np.ndarray:
    return checkmut.cells_of(name, N, CNN5)


Q = {name: cells_of(name) for name in ("x", "t", "zF", "aF", "pool", "z_out", "a_out", "C", "predicted")}


def at(name: str, image: int, unit: int = 1, r: int = 1, c: int = 1) -> str:
    """A cell, numbered from 1 like the book: at('zF', 3, 2, 1, 4) is image 3's zF_2(1,4)."""
    return Q[name][image - 1, unit - 1, r - 1, c - 1]


def typed(name: str, template: str, images=range(1, N + 1), unit: int = 1,
          cells=None) -> dict[str, str]:
    """The formula a student's `template` (the layout's template language) gives at each cell: every
    cell of one unit's item (or only `cells`, (r, c) from 1) in each of `images`."""
    q = replace(CNN5[name], formula=template, first_formula=None)
    rows, cols = q.place.shape
    where = cells or [(r, c) for r in range(1, rows + 1) for c in range(1, cols + 1)]
    return {at(name, i, unit, r, c): CNN5.formula(q, N, NAMES, i - 1, unit - 1, r - 1, c - 1)
            for i in images for r, c in where}


def across(formula: str, name: str, unit: int = 1, r: int = 1, c: int = 1) -> dict[str, str]:
    """Image 1's formula at one cell, filled across every image."""
    cells = Q[name][:, unit - 1, r - 1, c - 1]
    return fill_across(formula, cells[0], cells)


def learn_part(path: Path) -> str:
    """The learning sheet's part name in a workbook (xl/worksheets/sheetN.xml)."""
    return checkmut.sheet_part(path, SHEET)


@dataclass(frozen=True)
class Case:
    name: str
    edits: dict  # learning-sheet cell → new formula
    code: str
    groups: int = 1  # root-cause groups the report shows
    xfail: str = ""  # a known wrong answer of the checker: why

    @property
    def roots(self) -> dict[str, str]:
        return {cell: self.code for cell in self.edits}


def _cases() -> list[Case]:
    img = 7
    return [
        # zP = MAX of the window of aF; MAX over zF's window is the typical slip
        Case("pooling z instead of a, one image", typed("pool", "=MAX({zF@2/2})", [img], 2, [(2, 1)]),
             "pooled_z"),
        Case("pooling z instead of a, all images", typed("pool", "=MAX({zF@2/2})", unit=1, cells=[(1, 1)]),
             "pooled_z"),
        # image 1's zF_1(1,1) reads O5:Q7 instead of N5:P7
        Case("a filter window shifted by one, one image",
             {at("zF", 1): "=SUMPRODUCT(O5:Q7,$D$5:$F$7)+$G$5"}, "shifted_window"),
        Case("a filter window shifted by one row, all images",
             across("=SUMPRODUCT(N7:P9,$D$8:$F$10)+$G$8", "zF", 2, 2, 1), "shifted_window"),
        # feature map 2 computed with filter 1 (its weights and its bias), typed in every cell
        Case("the wrong filter, one image",
             typed("zF", "=SUMPRODUCT({x@3},{$filters#1})+{$filter_b#1}", [img], 2), "wrong_filter"),
        Case("the wrong filter, all images",
             typed("zF", "=SUMPRODUCT({x@3},{$filters#1})+{$filter_b#1}", unit=2), "wrong_filter"),
        Case("exponent sign in aF, one image", typed("aF", "=1/(1+EXP({zF.}))", [img], 3, [(3, 2)]),
             "exponent_sign"),
        Case("exponent sign in aF, all images", typed("aF", "=1/(1+EXP({zF.}))", unit=3), "exponent_sign"),
        Case("missing bias in zO, one image",
             typed("z_out", "=SUMPRODUCT({pool:units},{$output_w})", [img], 2), "missing_bias"),
        Case("missing bias in zO, all images",
             typed("z_out", "=SUMPRODUCT({pool:units},{$output_w})", unit=3), "missing_bias"),
        Case("sigmoid missing in aO, one image", typed("a_out", "={z_out}", [img], 1), "no_sigmoid"),
        Case("cost without half, all images", typed("C", "=SUMXMY2({a_out:units},{t:units})"),
             "cost_without_half"),
    ]


CASES = _cases()

_built: dict[str, Path] = {}


def build(out: Path) -> dict[str, Path]:
    """Every workbook of the suite (name → path), LibreOffice-calculated; built once per session."""
    if _built:
        return _built
    from sheetnet.mirror.cnn import write_cnn_workbook

    clean = out / "clean.xlsx"
    write_cnn_workbook(clean, chapter5_params("initial"))
    _built.update(checkmut.build_suite(clean, CASES, learn_part(clean)))
    return _built
