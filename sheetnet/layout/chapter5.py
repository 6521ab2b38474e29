"""The chapter-5 workbook (the convolutional network and Solver), as data.

`Data` is appendix B's sheet exactly (../shared/book/README.md): image i owns the 6-column block
from column L + 6(i−1); row 2 its number, rows 3–8 its 6×6 pixels, rows 9–11 of the block's first
column the one-hot teacher t1, t2, t3 (their digits 1, 2, 3 in K9:K11), and rows 17–23 the number
and the pixels again, drawn by conditional formatting.

The learning sheet `卷积神经网络` is designed here in the style of chapter 3's 学习: the 69 parameters
at the top left — the three 3×3 filters as 3×3 grids with their biases (D5:G13), the output weights
below them (D17:J22), one unit per two rows: the 2×2 weights for filter 1, 2 and 3 side by side,
exactly as the three pooled maps sit side by side in each image's block, so that one SUMPRODUCT
pairs every weight with its pooled value — and C_T and the accuracy beside the filters (I5, I8).
Each image owns a 6-column block from column N: x, t, the feature maps zF and aF (4×4 each, one
under another), the pooled maps zP (2×2 each, side by side), zO, aO, C, the digit, the prediction
and the verdict, every quantity in its own labelled rows (names in L, unit numbers in M).
"""

from sheetnet.i18n import N_
from sheetnet.layout.model import (Label, Layout, Mistake, Place, Quantity, Roles, SheetLayout,
                                   shown_as, Shading, solver_names)
from sheetnet.xlsx.refs import cell_name

DATA5 = SheetLayout(
    role="data",
    names=("Data",),
    image_step=(0, 6),
    block=("L", 6),
    signature=("pixels", "teacher"),
    column_widths=(("A", "I", 1.375), ("J", "J", 10.25), ("K", "K", 5.625), ("L", "XFD", 2.0)),
    merge_per_image=("data_image_no", "drawn_no"),
    landscape=True,
    page_images=12,
    repeat_columns=("J", "K"),
)

CNN_LEARN = SheetLayout(
    role="learn",
    names=("卷积神经网络",),
    image_step=(0, 6),
    block=("N", 6),
    signature=("filters", "filter_b", "output_w", "output_b"),
    required=False,  # a data-only workbook (appendix B) is read with the default parameters
    # I:J wider: C_T (0.000000) sits there; N…: one 6-column block per image
    column_widths=(("A", "B", 1.5), ("C", "C", 3.5), ("D", "H", 8.0), ("I", "J", 10.5), ("K", "K", 2.0), ("L", "M", 4.5),
                   ("N", "XFD", 7.0)),
    merge_per_image=("image_no",),
    freeze="N5",
    landscape=True,
    graded=True,
    page_images=4,
    print_images=16,  # four pages of four images: the first beside the parameters
    repeat_columns=("L", "M"),
)

_learn = dict(per_image=True)
_maps = dict(shape=(4, 4), units=3, unit_step=(4, 0))  # three 4×4 feature maps, one under another
_units = dict(units=3)  # three values, one under another

QUANTITIES = (
    # -- Data: appendix B ----------------------------------------------------------------------------
    Quantity("data_image_no", "data", Place("L2"), per_image=True, first_formula="1",
             formula="={data_image_no:prev}+1", style="image_no", description=N_("image number")),
    Quantity("pixels", "data", Place("L3", shape=(6, 6)), per_image=True, style="pixel", description=N_("pixel")),
    Quantity("teacher", "data", Place("L9", **_units), per_image=True, style="teacher",
             description=N_("teacher (正解)")),
    Quantity("drawn_no", "data", Place("L17"), per_image=True, first_formula="1", formula="={drawn_no:prev}+1",
             style="image_no", description=N_("image number (drawn)")),
    Quantity("drawn", "data", Place("L18", shape=(6, 6)), per_image=True, formula="={pixels.}", style="drawn",
             description=N_("the image, drawn")),
    # -- the 69 parameters ---------------------------------------------------------------------------
    Quantity("filters", "learn", Place("D5", shape=(3, 3), units=3, unit_step=(3, 0)), style="param",
             description=N_("filter weight")),
    Quantity("filter_b", "learn", Place("G5", units=3, unit_step=(3, 0)), style="param", description=N_("filter bias")),
    Quantity("output_w", "learn", Place("D17", shape=(2, 6), units=3, unit_step=(2, 0)), style="param",
             description=N_("output-unit weight")),
    Quantity("output_b", "learn", Place("J17", units=3, unit_step=(2, 0)), style="param",
             description=N_("output-unit bias")),
    # -- one block per image ------------------------------------------------------------------------
    Quantity("image_no", "learn", Place("N4"), formula="={data_image_no}", style="image_no",
             description=N_("image number"), graded=False, **_learn),
    Quantity("x", "learn", Place("N5", shape=(6, 6)), formula="={pixels.}", style="pixel", description=N_("input x"),
             **_learn),
    Quantity("t", "learn", Place("N11", **_units), formula="={teacher}", style="teacher", description=N_("teacher t"),
             **_learn),
    Quantity("zF", "learn", Place("N14", **_maps), formula="=SUMPRODUCT({x@3},{$filters})+{$filter_b}",
             description=N_("zF (convolution)"), **_learn),
    Quantity("aF", "learn", Place("N26", **_maps), formula="=1/(1+EXP(-{zF.}))", description=N_("aF (feature map)"),
             **_learn),
    # the pooled maps side by side (2×6), in the same arrangement as each output unit's weights
    Quantity("pool", "learn", Place("N38", shape=(2, 2), units=3, unit_step=(0, 2)), formula="=MAX({aF@2/2})",
             description=N_("zP (max pooling)"), **_learn),
    Quantity("z_out", "learn", Place("N40", **_units), formula="=SUMPRODUCT({pool:units},{$output_w})+{$output_b}",
             description="zO", **_learn),
    Quantity("a_out", "learn", Place("N43", **_units), formula="=1/(1+EXP(-{z_out}))", description="aO", **_learn),
    Quantity("C", "learn", Place("N46"), formula="=SUMXMY2({a_out:units},{t:units})/2", style="cost",
             description=N_("cost C"), **_learn),
    # the digit and the prediction: the first unit holding the maximum, as the engine's argmax
    Quantity("answer", "learn", Place("N47"), formula="=IF({t#1}=MAX({t:units}),1,IF({t#2}=MAX({t:units}),2,3))",
             style="digit", description=N_("digit (正解)"), **_learn),
    Quantity("predicted", "learn", Place("N48"),
             formula="=IF({a_out#1}=MAX({a_out:units}),1,IF({a_out#2}=MAX({a_out:units}),2,3))", style="digit",
             description=N_("prediction"), **_learn),
    Quantity("right", "learn", Place("N49"), formula='=IF({answer}={predicted},"○","×")', text=True,
             style="verdict", description=N_("right or wrong"), **_learn),
    # -- totals beside the filters ------------------------------------------------------------------
    Quantity("C_T", "learn", Place("I5"), formula="=SUM({C:images})", style="total", description="C_T"),
    Quantity("accuracy", "learn", Place("I8"), formula='=COUNTIF({right:images},"○")/COUNTA({right:images})',
             style="percent", description=N_("accuracy (正确率)")),
)

# How the sheet labels them (column J, and beside the totals), for every text people read.
QUANTITIES = shown_as(QUANTITIES, {
    "data_image_no": ("编号", "number"), "image_no": ("编号", "number"), "pixels": ("位模式", "pixels"),
    "teacher": ("正解", "answer"), "answer": ("正解", "answer"), "pool": ("zP", "zP"), "z_out": ("zO", "zO"),
    "a_out": ("aO", "aO"), "predicted": ("预测", "prediction"), "right": ("判定", "verdict"),
    "C_T": ("ＣT", "C_T"), "accuracy": ("正确率", "accuracy"),
})


def _unit(sheet: str, cell: str, text: str | int) -> Label:
    return Label(sheet, cell, text, "unit")


LABELS = (
    # Data: appendix B's own labels
    Label("data", "J1", "文字1、2、3的识别（最大池化）", "title"),
    Label("data", "K2", "编号"),
    Label("data", "J3", "训练数据"),
    Label("data", "K3", "位模式"),
    Label("data", "J9", "正解"),
    *(_unit("data", f"K{9 + k}", k + 1) for k in range(3)),
    Label("data", "K13", "（注）含有缺墨、飞白文字。"),
    Label("data", "K17", "编号"),
    Label("data", "J18", "训练数据"),
    Label("data", "K18", "图像"),
    # the parameters
    Label("learn", "C2", "文字1、2、3的识别（卷积神经网络，求解器）", "title"),
    Label("learn", "C3", "参数"),
    Label("learn", "C4", "F", "header"),
    Label("learn", "D4", "w（过滤器）", "header", merge_to="F4"),
    Label("learn", "G4", "b", "header"),
    *(_unit("learn", f"C{5 + 3 * k}", k + 1) for k in range(3)),
    Label("learn", "C15", "O", "header"),
    Label("learn", "D15", "w（池化层→输出层）", "header", merge_to="I15"),
    Label("learn", "J15", "b", "header"),
    *(Label("learn", f"{a}16", f"F{k + 1}", "header", merge_to=f"{b}16") for k, (a, b) in
      enumerate((("D", "E"), ("F", "G"), ("H", "I")))),
    *(_unit("learn", f"C{17 + 2 * j}", j + 1) for j in range(3)),
    Label("learn", "I4", "ＣT", "header", merge_to="J4"),
    Label("learn", "I7", "正确率", "header", merge_to="J7"),
    # the rows of each image's block: the name in L, the unit in M
    *(Label("learn", f"L{row}", text) for row, text in
      ((4, "编号"), (5, "x"), (11, "t"), (14, "zF"), (26, "aF"), (38, "zP"), (40, "zO"), (43, "aO"), (46, "C"),
       (47, "正解"), (48, "预测"), (49, "判定"))),
    *(_unit("learn", f"M{first + k * step}", k + 1) for first, step in
      ((11, 1), (14, 4), (26, 4), (40, 1), (43, 1)) for k in range(3)),
    _unit("learn", "M38", "1·2·3"),  # the three pooled maps sit side by side
)


def _solver_adj(sheet: str) -> str:
    """The 69 parameter cells as Solver lists them: a grid quantity as one range, a bias per cell."""
    by_name = {q.name: q for q in QUANTITIES}
    parts = []
    for name in CNN_LEARN.signature:
        p = by_name[name].place
        r0, c0 = p.origin
        last_r = r0 + (p.units - 1) * p.unit_step[0] + p.shape[0] - 1
        last_c = c0 + (p.units - 1) * p.unit_step[1] + p.shape[1] - 1
        if p.shape != (1, 1):  # the grids of a quantity touch each other: one rectangle
            parts.append(f"{cell_name(r0, c0, True)}:{cell_name(last_r, last_c, True)}")
        else:
            parts += [cell_name(r0 + u * p.unit_step[0], c0 + u * p.unit_step[1], True) for u in range(p.units)]
    return ",".join(f"{sheet}!{part}" for part in parts)


_L = CNN_LEARN.names[0]

# Excel's Solver settings, as in chapter 3: minimize C_T over the 69 parameters (GRG Nonlinear).
SOLVER_NAMES = solver_names(f"{_L}!$I$5", _solver_adj(_L))

# Pictures: the images in grey, each filter's and each output unit's weights blue/white/red, and each
# image's feature maps by how strongly a filter answers (aF: a fixed 0…1 scale of its own, in colour).
SHADINGS = (
    Shading("pixels", "pixel_scale"),
    Shading("drawn", "ink"),
    Shading("x", "pixel_scale"),
    Shading("filters", "weight_scale"),
    Shading("output_w", "weight_scale"),
    Shading("aF", "activation_scale"),
)

# What plays which part in the formulas, as in chapter 3 (the checker names reference mistakes by it).
# t → teacher is no link here: the checker calls a wrong link "wrong_pixels", which t's is not.
ROLES = Roles(
    bias=(("zF", "filter_b"), ("z_out", "output_b")),
    weights=(("zF", "filters"), ("z_out", "output_w")),
    activation=(("aF", "zF"), ("a_out", "z_out")),
    links=(("x", "pixels"),),
    totals=(("C_T", "C"), ("accuracy", "right")),
)

_NO_SQUARE = N_("the differences are not squared: C = ½[(t1 − aO_1)² + (t2 − aO_2)² + (t3 − aO_3)²]")

# What the typical mistakes compute, for naming a wrong value (the formula's references name the rest).
# A Mistake whose template reads what a wrong formula reads also names that formula's reference
# mistake for this layout (pooled_z, wrong_filter): see Diagnoser._as_declared.
MISTAKES = (
    Mistake("zF", "missing_bias", "=SUMPRODUCT({x@3},{$filters})",
            N_("the bias is missing: {here} = Σ w·(the 3×3 window of x) + b, with its filter's bias")),
    Mistake("zF", "wrong_filter", "=SUMPRODUCT({x@3},{$filters})+{$filter_b}",
            N_("another filter: feature map k is the convolution of x with filter k (its weights and its bias)"),
            other_units=True),
    # a map's cell reads the zF at its own place: the texts say so (a {zF} label would name zF(1,1))
    Mistake("aF", "exponent_sign", "=1/(1+EXP({zF.}))",
            N_("the sign of the exponent is wrong: this is 1/(1+EXP(zF)) = 1 − σ(zF); σ(z) = 1/(1+EXP(−z))")),
    Mistake("aF", "no_sigmoid", "={zF.}",
            N_("the sigmoid is missing: this is zF itself; {here} = 1/(1+EXP(−zF)), zF at the same place")),
    Mistake("pool", "pooled_z", "=MAX({zF@2/2})",
            N_("the pooling takes the maximum of zF where aF belongs: zP = MAX of the 2×2 window of aF = σ(zF)")),
    Mistake("z_out", "missing_bias", "=SUMPRODUCT({pool:units},{$output_w})",
            N_("the bias is missing: {here} = Σ w·zP + b")),
    Mistake("z_out", "wrong_weight_row", "=SUMPRODUCT({pool:units},{$output_w})+{$output_b}",
            N_("another unit's weights: {here} takes the weights in its own unit's rows"), other_units=True),
    Mistake("a_out", "exponent_sign", "=1/(1+EXP({z_out}))",
            N_("the sign of the exponent is wrong: this is 1/(1+EXP({z_out})) = 1 − σ({z_out}); σ(z) = 1/(1+EXP(−z))")),
    Mistake("a_out", "no_sigmoid", "={z_out}",
            N_("the sigmoid is missing: this is {z_out} itself; {here} = 1/(1+EXP(−{z_out}))")),
    Mistake("C", "cost_without_half", "=SUMXMY2({a_out:units},{t:units})",
            N_("the ½ is missing: C = ½[(t1 − aO_1)² + (t2 − aO_2)² + (t3 − aO_3)²]")),
    *(Mistake("C", "cost_without_square", t, _NO_SQUARE) for t in (
        "=(SUM({a_out:units})-SUM({t:units}))/2", "=(SUM({t:units})-SUM({a_out:units}))/2",
        "=SUMPRODUCT(ABS({a_out:units}-{t:units}))/2", "=SUM({a_out:units})-SUM({t:units})",
        "=SUM({t:units})-SUM({a_out:units})", "=SUMPRODUCT(ABS({a_out:units}-{t:units}))")),
    Mistake("C", "z_for_a", "=SUMXMY2({z_out:units},{t:units})/2",
            N_("zO is used where aO belongs: the cost compares the outputs aO = σ(zO) with t")),
)

CNN5 = Layout(
    kind="chapter5_cnn",
    sheets=(DATA5, CNN_LEARN),
    quantities=QUANTITIES,
    labels=LABELS,
    class_labels=(1, 2, 3),
    defined_names=SOLVER_NAMES,
    shadings=SHADINGS,
    mistakes=MISTAKES,
    roles=ROLES,
)
