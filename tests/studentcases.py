"""Real-student cases for `sheetnet check`: workbooks edited in LibreOffice the way a person edits them.

Each case starts from a workbook sheetnet wrote, types formulas into image 1's cells (or the first
block's) and pastes them across the images and down the blocks through LibreOffice's UNO interface
(tests/lo_edit.py), so references move exactly as they move for a student; LibreOffice calculates and
saves. Every case says which cells must be root causes with which diagnosis (none: the workbook checks
clean, exit 0). All cases are made in one soffice run (student.edit_many).

Categories (issue 12): correct formulas written otherwise (σ's reciprocal forms, explicit sums,
swapped SUMPRODUCT arguments, an array MMULT, the student's defined names, row-absolute references, a
renamed sheet, the exercise filled in) check clean; formula mistakes are found in every place they
were filled, also where the value coincides; stale (manual calculation), uncached, error-value and
text-cell cases; the backprop, cnn and cnn-backprop kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import checkcases
import checkcases_backprop as bp
import checkcases_cnn as cnn
from sheetnet.layout.chapter5_backprop import CNN_BACKPROP
from sheetnet.xlsx.refs import cell_name

LEARN = "学习"
Q = checkcases.Q


@dataclass(frozen=True)
class Student:
    name: str
    source: str  # which workbook it starts from (SOURCES)
    ops: list  # lo_edit ops
    roots: dict = field(default_factory=dict)  # cell → diagnosis code of every root cause; {}: clean
    style: bool = False  # a style note is expected (the student's own verdict symbols)
    sheet: str = LEARN  # the sheet `roots` names cells of (as the checker reports it)
    after: str = ""  # what the test does to the saved file first: 'strip' (cached values removed)


def make(lo_edit, folder: Path, cases, ops=lambda case: case.ops) -> dict:
    """Every case's workbook, edited and saved by LibreOffice (one soffice for all); a case whose `after` is
    'strip' loses its cached values afterwards, as a program that does not calculate would have written it."""
    from minixlsx import strip_cached_values

    src = sources(folder / "sources")
    out = lo_edit(folder / "made", {c.name: (src[c.source], ops(c)) for c in cases}, timeout=1800)
    for c in cases:
        if c.after == "strip":
            out[c.name] = strip_cached_values(out[c.name], out[c.name].with_name(out[c.name].stem + "-bare.xlsx"))
    return out


def _type(cell: str, formula: str, sheet: str = LEARN) -> dict:
    return {"op": "formula", "sheet": sheet, "cell": cell, "formula": formula}


def _paste(source: str, targets, sheet: str = LEARN) -> dict:
    return {"op": "copy", "sheet": sheet, "from": source, "to": list(targets)}


def across(name: str, formula: str, unit: int = 1, r: int = 1, c: int = 1) -> list:
    """Type image 1's formula in one cell, then copy it and paste it into every other image's cell."""
    cells = Q[name][:, unit - 1, r - 1, c - 1]
    return [_type(cells[0], formula), _paste(cells[0], cells[1:])]


def down_and_across(name: str, formula: str) -> list:
    """Type unit 1's formula of image 1, paste it down the other units, then the column across the images."""
    first = Q[name][0, 0, 0, 0]
    units = Q[name][0, :, 0, 0]
    column = f"{units[0]}:{units[-1]}"
    return [_type(first, formula), _paste(first, units[1:]), _paste(column, Q[name][1:, 0, 0, 0])]


def cells(name: str, unit: int = 1, r: int = 1, c: int = 1, images=range(1, 65)) -> list[str]:
    return [Q[name][i - 1, unit - 1, r - 1, c - 1] for i in images]


def _array_mmult() -> list:
    ops = []
    for i in range(64):
        z3 = Q["z3"][i, :, 0, 0]
        a2 = Q["a2"][i, :, 0, 0]
        ops.append({"op": "array", "sheet": LEARN, "range": f"{z3[0]}:{z3[-1]}",
                    "formula": f"=MMULT($D$17:$F$18,{a2[0]}:{a2[-1]})+$G$17:$G$18"})
    return ops


def _fill_exercise() -> list:
    """Every formula of image 1 typed (x, t, z2 … verdict), pasted down the units and across the images."""
    ops = []
    ops += [_type(Q["x"][0, 0, 0, 0], "=Data!K5"), _paste(Q["x"][0, 0, 0, 0], Q["x"][0, 0].reshape(-1)[1:])]
    ops.append(_paste(f"{Q['x'][0, 0, 0, 0]}:{Q['x'][0, 0, -1, -1]}", Q["x"][1:, 0, 0, 0]))
    ops += [_type("O9", "=IF(Data!N9=0,1,0)"), _type("O10", "=IF(Data!N9=1,1,0)")]
    ops += [_type("O11", "=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5"), _type("O12", "=SUMPRODUCT(L5:N8,$D$9:$F$12)+$G$9"),
            _type("O13", "=SUMPRODUCT(L5:N8,$D$13:$F$16)+$G$13")]
    ops += [_type("O14", "=1/(1+EXP(-O11))"), _paste("O14", ["O15", "O16"])]
    ops += [_type("O17", "=MMULT($D$17:$F$17,O14:O16)+$G$17"), _type("O18", "=MMULT($D$18:$F$18,O14:O16)+$G$18")]
    ops += [_type("O19", "=1/(1+EXP(-O17))"), _paste("O19", ["O20"])]
    ops += [_type("O21", "=SUMXMY2(O19:O20,O9:O10)/2"), _type("O28", "=Data!N9"), _type("O29", "=IF(O19>=O20,0,1)"),
            _type("O30", '=IF(O28=O29,"○","×")')]
    ops.append(_paste("O9:O30", Q["t"][1:, 0, 0, 0]))
    ops += [_type("G21", "=SUM(L21:JG21)"), _type("G30", '=COUNTIF(L30:JG30,"○")/COUNTA(L30:JG30)')]
    return ops


def _chapter3_cases() -> list[Student]:
    p3 = cells("predicted")
    z2_1 = cells("z2")
    return [
        # -- correct formulas written otherwise: clean ------------------------------------------------
        Student("σ as 1/(1+1/EXP(z)), a2", "initial", down_and_across("a2", "=1/(1+1/EXP(O11))")),
        Student("σ as EXP(z)/(1+EXP(z)), a3", "initial", down_and_across("a3", "=EXP(O17)/(1+EXP(O17))")),
        Student("σ as (1+TANH(z/2))/2, a2", "initial", down_and_across("a2", "=(1+TANH(O11/2))/2")),
        Student("z2 as an explicit sum", "initial", across("z2", "=" + "+".join(
            f"{x}*{w}" for x, w in zip(["L5", "M5", "N5", "L6", "M6", "N6", "L7", "M7", "N7", "L8", "M8", "N8"],
                                       ["$D$5", "$E$5", "$F$5", "$D$6", "$E$6", "$F$6", "$D$7", "$E$7", "$F$7",
                                        "$D$8", "$E$8", "$F$8"])) + "+$G$5")),
        Student("SUMPRODUCT with its arguments swapped", "initial",
                across("z2", "=SUMPRODUCT($D$9:$F$12,L5:N8)+$G$9", unit=2)),
        Student("z3 as one array MMULT per image", "initial", _array_mmult()),
        Student("the student's defined name for w2_1", "initial",
                [{"op": "name", "name": "w_one", "refers_to": "$学习.$D$5:$F$8"}]
                + across("z2", "=SUMPRODUCT(L5:N8,w_one)+$G$5")),
        Student("row-absolute references", "initial", across("z2", "=SUMPRODUCT(L$5:N$8,$D$5:$F$8)+$G$5")),
        Student("renamed and inserted sheets", "initial",
                [{"op": "insert_sheet", "name": "名前", "position": 0}, {"op": "rename_sheet", "sheet": LEARN, "to": "learn"},
                 {"op": "rename_sheet", "sheet": "Data", "to": "数据"}], sheet="learn"),
        Student("the cost as a sum of squares", "initial", across("C", "=((O9-O19)^2+(O10-O20)^2)/2")),
        Student("the cost with SUMPRODUCT", "initial", across("C", "=SUMPRODUCT((O19:O20-O9:O10)^2)/2")),
        Student("C_T from the C cells only, accuracy over 64", "initial",
                [_type("G21", "=SUM(O21:JG21)"), _type("G30", '=COUNTIF(L30:JG30,"○")/64')]),
        Student("prediction written the other way round", "initial", across("predicted", "=IF(O19<O20,1,0)")),
        Student("verdicts ✓/✗ counted by the accuracy", "initial",
                across("right", '=IF(O28=O29,"✓","✗")') + [_type("G30", '=COUNTIF(L30:JG30,"✓")/COUNTA(L30:JG30)')],
                style=True),
        Student("verdicts 1/0 summed by the accuracy", "initial",
                across("right", "=IF(O28=O29,1,0)") + [_type("G30", "=SUM(L30:JG30)/COUNT(L30:JG30)")], style=True),
        Student("verdicts TRUE/FALSE counted by the accuracy", "initial",
                across("right", "=O28=O29") + [_type("G30", "=COUNTIF(L30:JG30,TRUE)/COUNTA(L30:JG30)")], style=True),
        Student("the exercise filled in", "exercise", _fill_exercise()),
        # -- mistakes, found in every place they were filled -------------------------------------------
        Student("the prediction thresholds a3_1 at 0.5", "trained", across("predicted", "=IF(O19>0.5,0,1)"),
                {c: "different_function" for c in p3}),
        Student("verdicts ✓/✗ but the accuracy still counts ○", "initial", across("right", '=IF(O28=O29,"✓","✗")'),
                {"G30": "different_function"}, style=True),
        Student("missing bias, pasted across", "initial", across("z2", "=SUMPRODUCT(L5:N8,$D$5:$F$8)"),
                {c: "missing_bias" for c in z2_1}),
        Student("the bias read from a text cell", "initial",
                [{"op": "value", "sheet": LEARN, "cell": "B3", "value": "名前"}]
                + across("z2", "=SUMPRODUCT(L5:N8,$D$5:$F$8)+$B$3"), {c: "reads_text" for c in z2_1}),
        Student("a division by zero", "initial", [_type(Q["a2"][4, 1, 0, 0], f"=1/(1+EXP(-{Q['z2'][4, 1, 0, 0]}))/0")],
                {Q["a2"][4, 1, 0, 0]: "error_value"}),
        Student("stale values of a formula of the student's own", "initial",
                across("z2", "=" + "+".join(f"{x}*{w}" for x, w in zip(
                    ["L5", "M5", "N5", "L6", "M6", "N6", "L7", "M7", "N7", "L8", "M8", "N8"],
                    ["$D$5", "$E$5", "$F$5", "$D$6", "$E$6", "$F$6", "$D$7", "$E$7", "$F$7", "$D$8", "$E$8",
                     "$F$8"])) + "+$G$5") + [{"op": "manual"}, {"op": "value", "sheet": LEARN, "cell": "D5", "value": 0.9}],
                {c: "stale" for i, c in enumerate(z2_1) if STALE_IMAGES[i]}),
        # -- saved without values: calculated by sheetnet -----------------------------------------------
        Student("uncached: σ written otherwise", "initial", down_and_across("a2", "=EXP(O11)/(1+EXP(O11))"),
                after="strip"),
        Student("uncached: the prediction thresholds a3_1 at 0.5", "trained", across("predicted", "=IF(O19>0.5,0,1)"),
                {c: "different_function" for c in p3}, after="strip"),
        Student("uncached: verdicts ✓/✗", "initial",
                across("right", '=IF(O28=O29,"✓","✗")') + [_type("G30", '=COUNTIF(L30:JG30,"✓")/COUNTA(L30:JG30)')],
                style=True, after="strip"),
    ]


def _stale_images() -> list[bool]:
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import book_inputs

    pixels = book_inputs(chapter3_params("initial"))["pixels"]
    return [bool(pixels[i, 0, 0, 0]) for i in range(64)]


STALE_IMAGES = _stale_images()


# -- the other kinds -------------------------------------------------------------------------------------
BP = bp.SHEET
CNN = cnn.SHEET
CNNBP = CNN_BACKPROP.sheet("learn").names[0]


def _bp_everywhere(name: str, formula: str) -> tuple[list, list[str]]:
    """Image 1's formula of the first formula block, pasted into every image and unit of every block."""
    first = bp.at(name, bp.first_iteration(name))
    targets = []
    for it in range(bp.first_iteration(name), bp.ITERATIONS + 1):
        for image in range(1, bp.N + 1 if bp.BACKPROP[name].per_image else 2):
            for unit in range(1, bp.BACKPROP[name].place.units + 1):
                targets.append(bp.at(name, it, image, unit))
    return [_type(first, formula, BP), _paste(first, [t for t in targets if t != first], BP)], targets


def _cnn_everywhere(name: str, formula: str, unit: int = 1, r: int = 1, c: int = 1) -> tuple[list, list[str]]:
    first = cnn.at(name, 1, unit, r, c)
    targets = [cnn.at(name, i, unit, r, c) for i in range(1, cnn.N + 1)]
    return [_type(first, formula, CNN), _paste(first, targets[1:], CNN)], targets


def _cnnbp_cell(name: str, iteration: int, image: int, unit: int = 1, r: int = 0, c: int = 0) -> str:
    pos = CNN_BACKPROP.positions(CNN_BACKPROP[name], cnn.N, CNNBP_ITERATIONS)
    return cell_name(*(int(v) for v in pos[iteration - 1, image - 1, unit - 1, r, c]))


CNNBP_ITERATIONS = 2


def _other_kinds() -> list[Student]:
    a3, t = bp.at("a3", 1), bp.at("t", 1)
    d3_ops, d3_cells = _bp_everywhere("delta3", f"={a3}*(1-{a3})*({a3}-{t})")
    d3_wrong_ops, _ = _bp_everywhere("delta3", f"=({t}-{a3})*{a3}*(1-{a3})")
    pool_ops, pool_cells = _cnn_everywhere("pool", "=MAX(N26:P28)")
    af_first = cnn.at("aF", 1)
    af_ops = [_type(af_first, "=EXP(N14)/(1+EXP(N14))", CNN)]
    af_targets = [cnn.at("aF", i, u, r, c) for i in range(1, cnn.N + 1) for u in (1, 2, 3) for r in range(1, 5)
                  for c in range(1, 5)]
    af_ops.append(_paste(af_first, [x for x in af_targets if x != af_first], CNN))
    do_first = _cnnbp_cell("delta_out", 1, 1)
    a_out, t_c = _cnnbp_cell("a_out", 1, 1), _cnnbp_cell("t", 1, 1)
    do_targets = [_cnnbp_cell("delta_out", it, i, u) for it in (1, 2) for i in range(1, cnn.N + 1) for u in (1, 2, 3)]
    do_ops = [_type(do_first, f"={a_out}*(1-{a_out})*({a_out}-{t_c})", CNNBP),
              _paste(do_first, [x for x in do_targets if x != do_first], CNNBP)]
    do_wrong = [_type(do_first, f"={a_out}*(1-{a_out})*({t_c}-{a_out})", CNNBP),
                _paste(do_first, [x for x in do_targets if x != do_first], CNNBP)]
    return [
        Student("backprop: δ3 with its factors in another order", "backprop", d3_ops, sheet=BP),
        Student("backprop: δ3 from t − a3, pasted everywhere", "backprop", d3_wrong_ops,
                {c: "no_sigmoid_derivative" for c in d3_cells}, sheet=BP),
        Student("cnn: σ as EXP(z)/(1+EXP(z)) in every feature map", "cnn", af_ops, sheet=CNN),
        Student("cnn: pooling over a 3×3 window", "cnn", pool_ops, {c: "different_function" for c in pool_cells},
                sheet=CNN),
        Student("cnn-backprop: δO with its factors in another order", "cnn-backprop", do_ops, sheet=CNNBP),
        Student("cnn-backprop: δO with t − a", "cnn-backprop", do_wrong,
                {c: "different_function" for c in do_targets}, sheet=CNNBP),
    ]


def cases() -> list[Student]:
    return _chapter3_cases() + _other_kinds()


def sources(folder: Path) -> dict[str, Path]:
    """The workbooks the cases start from, written by sheetnet."""
    from sheetnet.data import chapter3_params
    from sheetnet.data.chapter5 import chapter5_params
    from sheetnet.mirror.answer import write_book_workbook
    from sheetnet.mirror.backprop import write_backprop_workbook
    from sheetnet.mirror.cnn import write_cnn_workbook
    from sheetnet.mirror.cnn_backprop import write_cnn_backprop_workbook

    folder.mkdir(parents=True, exist_ok=True)
    out = {name: folder / f"{name}.xlsx" for name in ("initial", "trained", "exercise", "backprop", "cnn", "cnn-backprop")}
    write_book_workbook(out["initial"], chapter3_params("initial"))
    write_book_workbook(out["trained"], chapter3_params("trained"))
    write_book_workbook(out["exercise"], chapter3_params("initial"), exercise=True)
    write_backprop_workbook(out["backprop"], iterations=bp.ITERATIONS)
    write_cnn_workbook(out["cnn"], chapter5_params("initial"))
    write_cnn_backprop_workbook(out["cnn-backprop"], iterations=CNNBP_ITERATIONS)
    return out
