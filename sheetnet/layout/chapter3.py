"""The chapter-3 workbook (the Chinese edition's "3-5 NN（求解器）.xlsx"), as data.

Every address here is the book's (../shared/book/README.md): the Data sheet of appendix A with a
4-column block per image from column K, the learning sheet 学习 with the 47 parameters at the
top left and a 4-column block per image from column L, and the optional test sheet 测试: trained
parameters as constants in the same block, one input pattern through the same formulas, the
verdict, and the pattern drawn again below.
"""

from sheetnet.i18n import N_
from sheetnet.layout.model import (Label, Layout, Mistake, Place, Quantity, Roles, SheetLayout,
                                   shown_as, Shading, solver_names)

DATA = SheetLayout(
    role="data",
    names=("Data",),
    image_step=(0, 4),
    block=("K", 4),
    signature=("pixels", "digit"),
    column_widths=(("A", "I", 1.375), ("J", "J", 5.625), ("K", "XFD", 2.0)),
    merge_per_image=("image_no",),
    landscape=True,
    page_images=16,
    repeat_columns=("J", "J"),
)

LEARN = SheetLayout(
    role="learn",
    names=("学习",),
    image_step=(0, 4),
    block=("L", 4),
    signature=("w2", "b2", "w3", "b3"),
    required=False,  # a data-only workbook (appendix A) is read with the default parameters
    graded=True,
    column_widths=(("A", "B", 1.5), ("C", "C", 3.5), ("D", "G", 7.5), ("H", "H", 2.0), ("I", "K", 3.0), ("L", "XFD", 6.5)),
    freeze="L5",
    landscape=True,
    page_images=8,
    repeat_columns=("J", "K"),
)

# The test sheet has the learning sheet's parameter block, so its signature adds what only it has:
# the drawn pattern (rows 28–31). The loader never takes a sheet named for another role by content.
TEST = SheetLayout(
    role="test",
    names=("测试",),
    signature=("test_w2", "test_b2", "test_w3", "test_b3", "test_x", "test_draw"),
    required=False,
    column_widths=LEARN.column_widths,
    row_heights=((28, 31, 30.0),),  # with 6.5-character columns, the drawn pixels come out about square
    landscape=True,
    one_page=True,
)

_pixel_grid = dict(shape=(4, 3))

QUANTITIES = (
    # -- Data sheet: what the student is given -------------------------------------------------------
    Quantity("data_image_no", "data", Place("K4"), per_image=True, first_formula="1", formula="={data_image_no:prev}+1",
             style="image_no", description=N_("image number")),
    Quantity("pixels", "data", Place("K5", **_pixel_grid), per_image=True, style="pixel", description=N_("pixel")),
    Quantity("digit", "data", Place("N9"), per_image=True, style="digit", description=N_("digit (正解)")),
    # -- 学习: the 47 parameters --------------------------------------------------------------------
    Quantity("w2", "learn", Place("D5", shape=(4, 3), units=3, unit_step=(4, 0)), style="param",
             description=N_("hidden-unit weight")),
    Quantity("b2", "learn", Place("G5", units=3, unit_step=(4, 0)), style="param", description=N_("hidden-unit bias")),
    Quantity("w3", "learn", Place("D17", shape=(1, 3), units=2), style="param", description=N_("output-unit weight")),
    Quantity("b3", "learn", Place("G17", units=2), style="param", description=N_("output-unit bias")),
    # -- 学习: one block per image ------------------------------------------------------------------
    Quantity("image_no", "learn", Place("L4"), per_image=True, first_formula="1", formula="={image_no:prev}+1",
             style="image_no", description=N_("image number"), graded=False),
    Quantity("x", "learn", Place("L5", **_pixel_grid), per_image=True, formula="={pixels.}", style="pixel",
             description=N_("input x")),
    Quantity("t", "learn", Place("O9", units=2), per_image=True, formula="=IF({digit}={label},1,0)", style="teacher",
             description=N_("teacher t")),
    Quantity("z2", "learn", Place("O11", units=3), per_image=True, formula="=SUMPRODUCT({x},{$w2})+{$b2}",
             description="z2"),
    Quantity("a2", "learn", Place("O14", units=3), per_image=True, formula="=1/(1+EXP(-{z2}))", description="a2"),
    Quantity("z3", "learn", Place("O17", units=2), per_image=True, formula="=MMULT({$w3},{a2:units})+{$b3}",
             description="z3"),
    Quantity("a3", "learn", Place("O19", units=2), per_image=True, formula="=1/(1+EXP(-{z3}))", description="a3"),
    Quantity("C", "learn", Place("O21"), per_image=True, formula="=SUMXMY2({a3:units},{t:units})/2", style="cost",
             description=N_("cost C")),
    Quantity("answer", "learn", Place("O28"), per_image=True, formula="={digit}", style="digit",
             description=N_("digit (正解)")),
    Quantity("predicted", "learn", Place("O29"), per_image=True, formula="=IF({a3#1}>={a3#2},0,1)", style="digit",
             description=N_("prediction")),
    Quantity("right", "learn", Place("O30"), per_image=True, formula='=IF({answer}={predicted},"○","×")', text=True,
             style="verdict", description=N_("right or wrong")),
    # -- 学习: totals beside the parameters ----------------------------------------------------------
    Quantity("C_T", "learn", Place("G21"), formula="=SUM({C:images})", style="total", description="C_T"),
    Quantity("accuracy", "learn", Place("G30"), formula='=COUNTIF({right:images},"○")/COUNTA({right:images})',
             style="percent", description=N_("accuracy (正确率)")),
    # -- 测试: one pattern through the trained network (no teacher: a typed pattern has none) ---------
    Quantity("test_w2", "test", Place("D5", shape=(4, 3), units=3, unit_step=(4, 0)), style="param",
             description=N_("hidden-unit weight of the test sheet")),
    Quantity("test_b2", "test", Place("G5", units=3, unit_step=(4, 0)), style="param",
             description=N_("hidden-unit bias of the test sheet")),
    Quantity("test_w3", "test", Place("D17", shape=(1, 3), units=2), style="param",
             description=N_("output-unit weight of the test sheet")),
    Quantity("test_b3", "test", Place("G17", units=2), style="param", description=N_("output-unit bias of the test sheet")),
    Quantity("test_x", "test", Place("L5", **_pixel_grid), style="pixel", description=N_("pixel of the test pattern")),
    Quantity("test_z2", "test", Place("O11", units=3), formula="=SUMPRODUCT({test_x},{$test_w2})+{$test_b2}",
             description="z2"),
    Quantity("test_a2", "test", Place("O14", units=3), formula="=1/(1+EXP(-{test_z2}))", description="a2"),
    Quantity("test_z3", "test", Place("O17", units=2), formula="=MMULT({$test_w3},{test_a2:units})+{$test_b3}",
             description="z3"),
    Quantity("test_a3", "test", Place("O19", units=2), formula="=1/(1+EXP(-{test_z3}))", description="a3"),
    Quantity("test_verdict", "test", Place("O21"), formula="=IF({test_a3#1}>={test_a3#2},0,1)", style="verdict_digit",
             description=N_("verdict (判定)")),
    Quantity("test_draw", "test", Place("L28", **_pixel_grid), formula="={test_x.}", style="drawn",
             description=N_("the pattern, drawn")),
)

# How the sheet labels them (column J, and beside the totals), for every text people read.
QUANTITIES = shown_as(QUANTITIES, {
    "data_image_no": ("编号", "number"), "image_no": ("编号", "number"), "pixels": ("位模式", "pixels"),
    "digit": ("正解", "answer"), "answer": ("正解", "answer"), "predicted": ("预测", "prediction"),
    "right": ("判定", "verdict"), "C_T": ("ＣT", "C_T"), "accuracy": ("正确率", "accuracy"),
    "test_w2": ("w2", "w2"), "test_b2": ("b2", "b2"), "test_w3": ("w3", "w3"), "test_b3": ("b3", "b3"),
    "test_x": ("x", "x"), "test_z2": ("z2", "z2"), "test_a2": ("a2", "a2"), "test_z3": ("z3", "z3"),
    "test_a3": ("a3", "a3"), "test_verdict": ("判定", "verdict"), "test_draw": ("图案", "pattern"),
})

_U = "学习"

LABELS = (
    Label("data", "J1", "0和1的识别", "title"),
    Label("data", "J3", "训练用数据"),
    Label("data", "J4", "编号"),
    Label("data", "J5", "位模式"),
    Label("data", "J9", "正解"),
    Label("learn", "C2", "0和1的识别（求解器）", "title"),
    Label("learn", "C3", "参数"),
    Label("learn", "C4", "U", "header"),
    Label("learn", "D4", "w", "header", merge_to="F4"),
    Label("learn", "G4", "b", "header"),
    *(Label("learn", cell, unit, "unit") for cell, unit in (("C5", 1), ("C9", 2), ("C13", 3), ("C17", 1), ("C18", 2))),
    Label("learn", "G20", "ＣT", "header"),
    Label("learn", "F30", "正确率", "header"),
    Label("learn", "J4", "编号"),
    Label("learn", "J5", "x"),
    Label("learn", "J9", "t"),
    Label("learn", "J11", "z2"),
    Label("learn", "J14", "a2"),
    Label("learn", "J17", "z3"),
    Label("learn", "J19", "a3"),
    Label("learn", "J21", "C"),
    Label("learn", "J28", "正解"),
    Label("learn", "J29", "预测"),
    Label("learn", "J30", "判定"),
    *(Label("learn", f"K{row}", unit, "unit") for row, unit in
      ((9, 1), (10, 2), (11, 1), (12, 2), (13, 3), (14, 1), (15, 2), (16, 3), (17, 1), (18, 2), (19, 1), (20, 2))),
    Label("test", "C2", "0和1的识别（测试）", "title"),
    Label("test", "C3", "参数（学习的结果）"),
    Label("test", "C4", "U", "header"),
    Label("test", "D4", "w", "header", merge_to="F4"),
    Label("test", "G4", "b", "header"),
    *(Label("test", cell, unit, "unit") for cell, unit in (("C5", 1), ("C9", 2), ("C13", 3), ("C17", 1), ("C18", 2))),
    Label("test", "L3", "输入图案（1 = 黑，0 = 白）"),
    Label("test", "J5", "x"),
    Label("test", "J11", "z2"),
    Label("test", "J14", "a2"),
    Label("test", "J17", "z3"),
    Label("test", "J19", "a3"),
    Label("test", "J21", "判定"),
    Label("test", "J27", "图案"),
    *(Label("test", f"K{row}", unit, "unit") for row, unit in
      ((11, 1), (12, 2), (13, 3), (14, 1), (15, 2), (16, 3), (17, 1), (18, 2), (19, 1), (20, 2))),
)

# Solver's settings as the learning sheet's hidden names (layout.model.solver_names)
SOLVER_NAMES = solver_names(f"{_U}!$G$21", f"{_U}!$D$5:$F$16,{_U}!$G$5,{_U}!$G$9,{_U}!$G$13,{_U}!$D$17:$G$18")

# Pictures: each image's pixels and each hidden unit's weight grid shaded by value (the book's
# chapter-1 "feature detectors"), and the test pattern drawn in ink.
SHADINGS = (
    Shading("pixels", "pixel_scale"),
    Shading("w2", "weight_scale"),
    Shading("test_w2", "weight_scale"),
    Shading("test_draw", "ink"),
)

# The network's quantities play the same parts in the chapter-4 workbook: both layouts name them so.
ROLES = Roles(
    bias=(("z2", "b2"), ("z3", "b3")),
    weights=(("z2", "w2"), ("z3", "w3")),
    activation=(("a2", "z2"), ("a3", "z3")),
    links=(("x", "pixels"),),
    totals=(("C_T", "C"), ("accuracy", "right")),
)

_SIGMOID_SIGN = {
    "z2": N_("the sign of the exponent is wrong: this is 1/(1+EXP({z2})) = 1 − σ({z2}); σ(z) = 1/(1+EXP(−z))"),
    "z3": N_("the sign of the exponent is wrong: this is 1/(1+EXP({z3})) = 1 − σ({z3}); σ(z) = 1/(1+EXP(−z))"),
}
_NO_SQUARE = N_("the differences are not squared: C = ½[(t1 − a3_1)² + (t2 − a3_2)²]")
_MISSING_BIAS = N_("the bias is missing: {here} = Σ w·(input) + b")
_WEIGHT_ROW = N_("another unit's weights: {here} takes the weights in its own unit's row")

# What the typical mistakes compute, for naming a wrong value (the formula's references name the rest)
MISTAKES = (
    Mistake("t", "teacher_swapped", "=IF({digit}={label},1,0)",
            N_("t1 and t2 are swapped: digit 0 → (t1, t2) = (1, 0), digit 1 → (0, 1)"), other_units=True),
    Mistake("z2", "missing_bias", "=SUMPRODUCT({x},{$w2})", _MISSING_BIAS),
    Mistake("z2", "wrong_weight_row", "=SUMPRODUCT({x},{$w2})+{$b2}", _WEIGHT_ROW, other_units=True),
    Mistake("z3", "missing_bias", "=MMULT({$w3},{a2:units})", _MISSING_BIAS),
    Mistake("z3", "wrong_weight_row", "=MMULT({$w3},{a2:units})+{$b3}", _WEIGHT_ROW, other_units=True),
    Mistake("z3", "z_for_a", "=MMULT({$w3},{z2:units})+{$b3}",
            N_("z2 is used where a2 belongs: z3 = w3·a2 + b3, with a2 = σ(z2)")),
    Mistake("a2", "exponent_sign", "=1/(1+EXP({z2}))", _SIGMOID_SIGN["z2"]),
    Mistake("a2", "no_sigmoid", "={z2}", N_("the sigmoid is missing: this is {z2} itself; {here} = 1/(1+EXP(−{z2}))")),
    Mistake("a3", "exponent_sign", "=1/(1+EXP({z3}))", _SIGMOID_SIGN["z3"]),
    Mistake("a3", "no_sigmoid", "={z3}", N_("the sigmoid is missing: this is {z3} itself; {here} = 1/(1+EXP(−{z3}))")),
    Mistake("C", "cost_without_half", "=SUMXMY2({a3:units},{t:units})",
            N_("the ½ is missing: C = ½[(t1 − a3_1)² + (t2 − a3_2)²]")),
    *(Mistake("C", "cost_without_square", t, _NO_SQUARE) for t in (
        "=(SUM({a3:units})-SUM({t:units}))/2", "=(SUM({t:units})-SUM({a3:units}))/2",
        "=SUMPRODUCT(ABS({a3:units}-{t:units}))/2", "=SUM({a3:units})-SUM({t:units})",
        "=SUM({t:units})-SUM({a3:units})", "=SUMPRODUCT(ABS({a3:units}-{t:units}))")),
    Mistake("C", "teacher_swapped", "=(({a3#1}-{t#2})^2+({a3#2}-{t#1})^2)/2",
            N_("t1 and t2 are swapped in the cost: a3_1 belongs with t1 and a3_2 with t2")),
    Mistake("C", "z_for_a", "=SUMXMY2({z3:units},{t:units})/2",
            N_("z3 is used where a3 belongs: the cost compares the outputs a3 = σ(z3) with t")),
    Mistake("predicted", "prediction_reversed", "=IF({a3#1}>={a3#2},1,0)",
            N_("the prediction is the wrong way round: 0 when a3_1 ≥ a3_2, else 1")),
)

CHAPTER3 = Layout(
    kind="chapter3",
    sheets=(DATA, LEARN, TEST),
    quantities=QUANTITIES,
    labels=LABELS,
    class_labels=(0, 1),
    defined_names=SOLVER_NAMES,
    shadings=SHADINGS,
    mistakes=MISTAKES,
    roles=ROLES,
)
