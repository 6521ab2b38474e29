"""The mistake suite of `sheetnet check` on the chapter-4 backpropagation workbook (误差反向传播).

As checkcases.py for chapter 3: each case changes formulas of a clean workbook the way a student
would, and says which cells must come out as root causes with which diagnosis; nothing else may.
LibreOffice calculates each copy, as the student's spreadsheet would. Every mistake here is made
once and copied down: image 1's (a parameter's: iteration 2's) mistaken formula, filled across every
image and down every iteration block where the quantity has formulas (Excel's relative shift).

A formula that reads the parameters reads them absolutely ($D$18:$D$19), and each iteration block
has parameters of its own, so copying a block down would leave them pointing at iteration 1's: a
student fixes them in each block. Those mistakes are typed once per block (the layout's own
reference there) and filled across the images and down the units of that block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import checkmut
from checkmut import fill_across
from sheetnet.layout.backprop import BACKPROP
from sheetnet.record import replace
from sheetnet.xlsx.refs import cell_name, parse_cell

N = 64
ITERATIONS = 3
SHEET = BACKPROP.sheet("learn").names[0]
NAMES = {"data": "Data", "learn": SHEET, "summary": BACKPROP.sheet("summary").names[0]}


def cells_of(name: str) -> np.ndarray:
    return checkmut.cells_of(name, N, BACKPROP, ITERATIONS)


ETA = cell_name(*(int(v) for v in BACKPROP.positions(BACKPROP["eta"], N)[0, 0, 0]), True)  # $D$3: η
Q = {q.name: cells_of(q.name) for q in BACKPROP.quantities if q.sheet == "learn" and q.per_iteration}


def _items(name: str) -> np.ndarray:
    """A quantity's cells with an image axis even where it has none: (iteration, image, unit, row, col)."""
    return Q[name] if BACKPROP[name].per_image else Q[name][:, None]


def at(name: str, iteration: int, image: int = 1, unit: int = 1, r: int = 1, c: int = 1) -> str:
    """A cell, numbered from 1 like the book: at('delta2', 2, 5, 3) is iteration 2's δ2_3 of image 5."""
    return _items(name)[iteration - 1, image - 1, unit - 1, r - 1, c - 1]


def first_iteration(name: str) -> int:
    """The first iteration block (from 1) where the quantity is a formula: 2 for the parameters."""
    return 2 if BACKPROP[name].first_iteration is not None else 1


def copied_down(formula: str, name: str, units=None, cells=None) -> dict[str, str]:
    """`formula`, typed at the quantity's first formula cell (image 1, unit 1, cell (1,1), its first
    formula iteration), filled across every image and down every unit (or only `units`, from 1), every
    cell of the item (or only `cells`, (r, c) from 1) and every later iteration block."""
    grid = _items(name)[first_iteration(name) - 1:]
    _, _, n_units, rows, cols = grid.shape
    units = units or range(1, n_units + 1)
    cells = cells or [(r, c) for r in range(1, rows + 1) for c in range(1, cols + 1)]
    targets = [grid[i, j, u - 1, r - 1, c - 1] for i in range(grid.shape[0]) for j in range(grid.shape[1])
               for u in units for r, c in cells]
    return fill_across(formula, grid[0, 0, 0, 0, 0], targets)


def per_block(template: str, name: str, unit: int = 1) -> dict[str, str]:
    """A template of the layout's language, rendered at image 1 of one unit (from 1) in each iteration
    block (what the student types there, with that block's parameters), and filled across every image."""
    q = replace(BACKPROP[name], formula=template, first_formula=None, first_iteration=None)
    out = {}
    for it in range(first_iteration(name), ITERATIONS + 1):
        typed = BACKPROP.formula(q, N, NAMES, 0, unit - 1, 0, 0, it - 1, ITERATIONS)
        targets = _items(name)[it - 1, :, unit - 1, 0, 0]
        out.update(fill_across(typed, targets[0], targets))
    return out


def row_span(cell: str, first_image: int, last_image: int) -> str:
    """The cell's row from the first column of one image's block to the last of another's: 'P28:S28'."""
    row = parse_cell(cell)[0]
    start = BACKPROP.block_columns("learn", first_image)[1] - BACKPROP.sheet("learn").block[1] + 1
    return f"{cell_name(row, start)}:{cell_name(row, BACKPROP.block_columns('learn', last_image)[1])}"


def learn_part(path: Path) -> str:
    """The learning sheet's part name in a workbook (xl/worksheets/sheetN.xml)."""
    return checkmut.sheet_part(path, SHEET)


@dataclass(frozen=True)
class Case:
    name: str
    edits: dict  # learning-sheet cell → new formula
    code: str
    groups: int = 1  # root-cause groups the report shows: one mistake, copied, is one

    @property
    def roots(self) -> dict[str, str]:
        return {cell: self.code for cell in self.edits}


# checker._group keys a root cause on the formula shifted back by the cell's own offset: absolute
# references do not shift, and they differ per unit ($D/$E/$F) and per iteration block ($D$18, $D$84 …)

def _cases() -> list[Case]:
    a3, t = at("a3", 1), at("t", 1)
    # δ2 of units 2 and 3 read w3's first column (unit 1's $D$18:$D$19), the rest of each formula right
    right = "=SUMPRODUCT({delta3:units},{$w3:col})*{a2}*(1-{a2})"
    weight_row = {c: re.sub(r"\$[EF]\$", "$D$", f) for u in (2, 3) for c, f in per_block(right, "delta2", u).items()}
    return [
        Case("δ3 without the sigmoid's derivative", copied_down(f"=({a3}-{t})", "delta3"), "no_sigmoid_derivative"),
        Case("δ2 without the sigmoid's derivative",
             {k: v for u in (1, 2, 3) for k, v in per_block("=SUMPRODUCT({delta3:units},{$w3:col})", "delta2",
                                                             u).items()},
             "no_sigmoid_derivative"),
        Case("the update of w2 with a plus sign", copied_down(f"={at('w2', 1)}+{ETA}*{at('gw2', 1)}", "w2"),
             "update_sign"),
        Case("the update of b3 with a plus sign", copied_down(f"={at('b3', 1)}+{ETA}*{at('gb3', 1)}", "b3"),
             "update_sign"),
        Case("η applied twice in w3", copied_down(f"={at('w3', 1)}-{ETA}*{ETA}*{at('gw3', 1)}", "w3"), "eta_twice"),
        Case("gw2 sums only image 1's block",
             copied_down(f"=SUM({row_span(at('dw2', 1), 1, 1)})", "gw2", [1], [(1, 1)]),
             "gradient_not_summed"),
        Case("gb2 takes image 1's δ2 without a sum", copied_down(f"={at('delta2', 1)}", "gb2", [1]),
             "gradient_not_summed"),
        Case("gb3 sums images 1–32 only",
             copied_down(f"=SUM({row_span(at('delta3', 1), 1, N // 2)})", "gb3"), "range_too_short"),
        Case("δ2 of units 2 and 3 read w3's first column", weight_row, "wrong_weight_row"),
    ]


CASES = _cases()

_built: dict[str, Path] = {}


def build(out: Path) -> dict[str, Path]:
    """Every workbook of the suite (name → path), LibreOffice-calculated; built once per session."""
    if _built:
        return _built
    from sheetnet.mirror.backprop import write_backprop_workbook

    clean = out / "clean.xlsx"
    write_backprop_workbook(clean, iterations=ITERATIONS)
    _built.update(checkmut.build_suite(clean, CASES, learn_part(clean)))
    return _built
