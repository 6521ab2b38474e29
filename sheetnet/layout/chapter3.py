"""The chapter-3 workbook (the Chinese edition's "3-5 NN（求解器）.xlsx"), as data.

Every address here is the book's (../shared/book/README.md): the Data sheet of appendix A with a
4-column block per image from column K, and the learning sheet 学习 with the 47 parameters at the
top left and a 4-column block per image from column L.
"""

from sheetnet.layout.model import Label, Layout, Place, Quantity, SheetLayout

DATA = SheetLayout(
    role="data",
    names=("Data",),
    image_step=(0, 4),
    block=("K", 4),
    signature=("pixels", "digit"),
    column_widths=(("A", "I", 1.375), ("J", "J", 5.625), ("K", "XFD", 2.0)),
    merge_per_image=("image_no",),
)

LEARN = SheetLayout(
    role="learn",
    names=("学习",),
    image_step=(0, 4),
    block=("L", 4),
    signature=("w2", "b2", "w3", "b3"),
    required=False,  # a data-only workbook (appendix A) is read with the default parameters
    column_widths=(("A", "B", 1.5), ("C", "C", 3.5), ("D", "G", 7.5), ("H", "H", 2.0), ("I", "K", 3.0), ("L", "XFD", 6.5)),
    freeze="L5",
)

_pixel_grid = dict(shape=(4, 3))

QUANTITIES = (
    # -- Data sheet: what the student is given -------------------------------------------------------
    Quantity("data_image_no", "data", Place("K4"), per_image=True, first_formula="1", formula="={data_image_no:prev}+1",
             style="image_no", description="image number"),
    Quantity("pixels", "data", Place("K5", **_pixel_grid), per_image=True, style="pixel", description="pixel"),
    Quantity("digit", "data", Place("N9"), per_image=True, style="digit", description="digit (正解)"),
    # -- 学习: the 47 parameters --------------------------------------------------------------------
    Quantity("w2", "learn", Place("D5", shape=(4, 3), units=3, unit_step=(4, 0)), style="param",
             description="hidden-unit weight"),
    Quantity("b2", "learn", Place("G5", units=3, unit_step=(4, 0)), style="param", description="hidden-unit bias"),
    Quantity("w3", "learn", Place("D17", shape=(1, 3), units=2), style="param", description="output-unit weight"),
    Quantity("b3", "learn", Place("G17", units=2), style="param", description="output-unit bias"),
    # -- 学习: one block per image ------------------------------------------------------------------
    Quantity("image_no", "learn", Place("L4"), per_image=True, first_formula="1", formula="={image_no:prev}+1",
             style="image_no", description="image number"),
    Quantity("x", "learn", Place("L5", **_pixel_grid), per_image=True, formula="={pixels.}", style="pixel",
             description="input x"),
    Quantity("t", "learn", Place("O9", units=2), per_image=True, formula="=IF({digit}={label},1,0)", style="teacher",
             description="teacher t"),
    Quantity("z2", "learn", Place("O11", units=3), per_image=True, formula="=SUMPRODUCT({x},{$w2})+{$b2}",
             description="z2"),
    Quantity("a2", "learn", Place("O14", units=3), per_image=True, formula="=1/(1+EXP(-{z2}))", description="a2"),
    Quantity("z3", "learn", Place("O17", units=2), per_image=True, formula="=MMULT({$w3},{a2:units})+{$b3}",
             description="z3"),
    Quantity("a3", "learn", Place("O19", units=2), per_image=True, formula="=1/(1+EXP(-{z3}))", description="a3"),
    Quantity("C", "learn", Place("O21"), per_image=True, formula="=SUMXMY2({a3:units},{t:units})/2", style="cost",
             description="cost C"),
    Quantity("answer", "learn", Place("O28"), per_image=True, formula="={digit}", style="digit",
             description="digit (正解)"),
    Quantity("predicted", "learn", Place("O29"), per_image=True, formula="=IF({a3#1}>={a3#2},0,1)", style="digit",
             description="prediction"),
    Quantity("right", "learn", Place("O30"), per_image=True, formula='=IF({answer}={predicted},"○","×")', text=True,
             style="verdict", description="right or wrong"),
    # -- 学习: totals beside the parameters ----------------------------------------------------------
    Quantity("C_T", "learn", Place("G21"), formula="=SUM({C:images})", style="total", description="C_T"),
    Quantity("accuracy", "learn", Place("G30"), formula='=COUNTIF({right:images},"○")/COUNTA({right:images})',
             style="percent", description="accuracy (正确率)"),
)

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
)

# Excel's Solver keeps its settings as hidden names local to the learning sheet; a workbook that
# carries them opens with Solver ready to minimize C_T over the 47 parameters.
SOLVER_NAMES = (
    ("learn", "solver_opt", f"{_U}!$G$21"),
    ("learn", "solver_typ", "2"),
    ("learn", "solver_adj", f"{_U}!$D$5:$F$16,{_U}!$G$5,{_U}!$G$9,{_U}!$G$13,{_U}!$D$17:$G$18"),
    ("learn", "solver_eng", "1"),
    ("learn", "solver_neg", "2"),
    ("learn", "solver_num", "0"),
    ("learn", "solver_ver", "3"),
    ("learn", "solver_cvg", "0.0001"),
    ("learn", "solver_pre", "0.000001"),
    ("learn", "solver_tol", "0.01"),
)

CHAPTER3 = Layout(
    kind="chapter3",
    sheets=(DATA, LEARN),
    quantities=QUANTITIES,
    labels=LABELS,
    class_labels=(0, 1),
    defined_names=SOLVER_NAMES,
)
