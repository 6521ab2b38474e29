"""The chapter-4 workbook (backpropagation), designed in the book's style (../shared/book/README.md).

Sheets: `Data` (appendix A's, as in chapter 3), `误差反向传播` (the learning sheet) and `ＣT的变化`
(C_T per iteration and its line chart).

The learning sheet stacks one block per iteration down the sheet, ITERATION_ROWS rows apart. In
each block, at the left: the iteration number, the 47 parameters in chapter 3's shape (C:G) —
iteration 1 typed, every later one `=previous − η·Σ∂C/∂w` of the block above — the gradients summed
over the images beside them in the same shape (I:L), and C_T. To the right, one 4-column block per
image (P:S for image 1): x linked from Data, t, z2, a2, z3, a3, C, δ3, δ2 and each ∂C/∂w in its own
labelled row of the block's last column (∂C/∂b = δ, so the b sums add the δ rows). Every row holds
one quantity across the images, so a gradient's sum is SUM of its row, like the book's C_T.
"""

from sheetnet.i18n import N_
from sheetnet.layout.chapter3 import DATA, LABELS as CHAPTER3_LABELS, MISTAKES as CHAPTER3_MISTAKES
from sheetnet.layout.chapter3 import QUANTITIES as CHAPTER3_QUANTITIES, ROLES as CHAPTER3_ROLES, SHADINGS
from sheetnet.layout.model import TYPED, Chart, Label, Layout, Mistake, Place, Quantity, Roles, SheetLayout, shown_as
from sheetnet.xlsx.refs import cell_name, parse_cell

FIRST = 5  # the first iteration block's top row
ITERATION_ROWS = 66  # rows from one block's top to the next: 65 rows of cells and one empty row

LEARN = SheetLayout(
    role="learn",
    names=("误差反向传播",),
    image_step=(0, 4),
    block=("P", 4),
    signature=("w2", "b2", "w3", "b3"),
    column_widths=(("A", "B", 1.5), ("C", "C", 3.5), ("D", "G", 7.5), ("H", "H", 2.0), ("I", "L", 7.5),
                   ("M", "M", 2.0), ("N", "N", 6.5), ("O", "O", 6.0), ("P", "XFD", 6.5)),
    freeze=f"P{FIRST}",
    landscape=True,
    iteration_step=(ITERATION_ROWS, 0),
    graded=True,
    print_images=4,
    print_iterations=2,
    page_rows=(FIRST, FIRST + 23),  # a block on two pages: the forward pass and δ, then the ∂C/∂w rows
    repeat_columns=("N", "O"),
)

SUMMARY = SheetLayout(
    role="summary",
    names=("ＣT的变化",),
    signature=("s_iteration", "s_C_T"),
    required=False,
    column_widths=(("A", "A", 1.5), ("B", "B", 8.0), ("C", "C", 16.0), ("D", "D", 2.0)),
    freeze="B6",
    iteration_step=(1, 0),
    landscape=True,  # the table and the chart beside it
    print_iterations=50,  # the book's run; the chart shows every iteration
    long_table=True,
)


# The summary sheet, as every iterated workbook has it: C_T before each update (read off the learning
# sheet's blocks) and its line chart. It reads the quantities `iteration` and `C_T`.
SUMMARY_QUANTITIES = (
    Quantity("s_iteration", "summary", Place("B6"), formula="={iteration}", style="digit", description=N_("iteration"),
             per_iteration=True),
    Quantity("s_C_T", "summary", Place("C6"), formula="={C_T}", style="cost", description=N_("C_T before the update"),
             per_iteration=True),
)
SUMMARY_CHART = Chart("summary", "E5", "ＣT的变化", categories="s_iteration", values="s_C_T",
                      x_title="次数", y_title="ＣT", size=(560, 336), whole_page=True)


def summary_labels(title: str) -> tuple[Label, ...]:
    return (Label("summary", "B1", title, "title"),
            Label("summary", "B2", "每次更新前的ＣT（来自学习表各块）"),
            Label("summary", "B5", "次数", "header"),
            Label("summary", "C5", "ＣT（更新前）", "header"))


def _at(row: int, col: str) -> str:
    """A cell of iteration 1's block: `row` rows below its top."""
    return f"{col}{FIRST + row}"


_it = dict(per_iteration=True)
_img = dict(per_image=True, per_iteration=True)
_hidden = dict(shape=(4, 3), units=3, unit_step=(4, 0))
_output = dict(shape=(1, 3), units=2)

QUANTITIES = (
    *(q for q in CHAPTER3_QUANTITIES if q.sheet == "data"),
    Quantity("eta", "learn", Place("D3"), style="param", description=N_("learning rate η")),
    Quantity("iteration", "learn", Place(_at(0, "D")), first_iteration="1", formula="={iteration^}+1",
             style="image_no", description=N_("iteration"), graded=False, **_it),
    # -- the parameters of this iteration: typed in the first, updated from the block above after --
    Quantity("w2", "learn", Place(_at(1, "D"), **_hidden), first_iteration=TYPED,
             formula="={w2^.}-{$eta}*{gw2^.}", style="param", description=N_("hidden-unit weight"), **_it),
    Quantity("b2", "learn", Place(_at(1, "G"), units=3, unit_step=(4, 0)), first_iteration=TYPED,
             formula="={b2^}-{$eta}*{gb2^}", style="param", description=N_("hidden-unit bias"), **_it),
    Quantity("w3", "learn", Place(_at(13, "D"), **_output), first_iteration=TYPED,
             formula="={w3^.}-{$eta}*{gw3^.}", style="param", description=N_("output-unit weight"), **_it),
    Quantity("b3", "learn", Place(_at(13, "G"), units=2), first_iteration=TYPED,
             formula="={b3^}-{$eta}*{gb3^}", style="param", description=N_("output-unit bias"), **_it),
    Quantity("C_T", "learn", Place(_at(16, "G")), formula="=SUM({C:images})", style="total", description="C_T",
             **_it),
    # -- one block per image --------------------------------------------------------------------
    Quantity("image_no", "learn", Place(_at(0, "P")), formula="={data_image_no}", style="image_no",
             description=N_("image number"), graded=False, **_img),
    Quantity("x", "learn", Place(_at(1, "P"), shape=(4, 3)), formula="={pixels.}", style="pixel",
             description=N_("input x"), **_img),
    Quantity("t", "learn", Place(_at(5, "S"), units=2), formula="=IF({digit}={label},1,0)", style="teacher",
             description=N_("teacher t"), **_img),
    Quantity("z2", "learn", Place(_at(7, "S"), units=3), formula="=SUMPRODUCT({x},{$w2})+{$b2}",
             description="z2", **_img),
    Quantity("a2", "learn", Place(_at(10, "S"), units=3), formula="=1/(1+EXP(-{z2}))", description="a2", **_img),
    Quantity("z3", "learn", Place(_at(13, "S"), units=2), formula="=MMULT({$w3},{a2:units})+{$b3}",
             description="z3", **_img),
    Quantity("a3", "learn", Place(_at(15, "S"), units=2), formula="=1/(1+EXP(-{z3}))", description="a3", **_img),
    Quantity("C", "learn", Place(_at(17, "S")), formula="=SUMXMY2({a3:units},{t:units})/2", style="cost",
             description=N_("cost C"), **_img),
    Quantity("delta3", "learn", Place(_at(18, "S"), units=2), formula="=({a3}-{t})*{a3}*(1-{a3})",
             description="δ3", **_img),
    Quantity("delta2", "learn", Place(_at(20, "S"), units=3),
             formula="=SUMPRODUCT({delta3:units},{$w3:col})*{a2}*(1-{a2})", description="δ2", **_img),
    Quantity("dw2", "learn", Place(_at(23, "S"), shape=(12, 1), units=3, unit_step=(12, 0)),
             formula="={delta2}*{x~}", description="∂C/∂w2", **_img),
    Quantity("dw3", "learn", Place(_at(59, "S"), shape=(3, 1), units=2, unit_step=(3, 0)),
             formula="={delta3}*{a2~}", description="∂C/∂w3", **_img),
    # -- the gradients of C_T, summed over the images, in the parameters' shape ---------------------
    Quantity("gw2", "learn", Place(_at(1, "I"), **_hidden), formula="=SUM({dw2.:images})",
             description="∂C_T/∂w2", **_it),
    Quantity("gb2", "learn", Place(_at(1, "L"), units=3, unit_step=(4, 0)), formula="=SUM({delta2:images})",
             description="∂C_T/∂b2", **_it),
    Quantity("gw3", "learn", Place(_at(13, "I"), **_output), formula="=SUM({dw3.:images})",
             description="∂C_T/∂w3", **_it),
    Quantity("gb3", "learn", Place(_at(13, "L"), units=2), formula="=SUM({delta3:images})",
             description="∂C_T/∂b3", **_it),
    *SUMMARY_QUANTITIES,
)

QUANTITIES = shown_as(QUANTITIES, {
    "iteration": ("次", "iteration"), "C_T": ("ＣT", "C_T"), "delta3": ("δ3", "δ3"), "delta2": ("δ2", "δ2"),
    "dw2": ("∂C/∂w2", "∂C/∂w2"), "dw3": ("∂C/∂w3", "∂C/∂w3"), "gw2": ("∂ＣT/∂w2", "∂C_T/∂w2"),
    "gb2": ("∂ＣT/∂b2", "∂C_T/∂b2"), "gw3": ("∂ＣT/∂w3", "∂C_T/∂w3"), "gb3": ("∂ＣT/∂b3", "∂C_T/∂b3"),
    "s_iteration": ("次数", "iteration"), "s_C_T": ("ＣT（更新前）", "C_T before the update"),
})


def _row_labels() -> tuple[Label, ...]:
    """The name of each per-image row in N and its unit (or unit and pixel / hidden unit) in O."""
    out = []

    def name(row: int, text: str) -> None:
        out.append(Label("learn", _at(row, "N"), text, per_iteration=True))

    def index(row: int, text: str | int) -> None:
        out.append(Label("learn", _at(row, "O"), text, "unit", per_iteration=True))

    for row, text in ((0, "编号"), (1, "x"), (5, "t"), (7, "z2"), (10, "a2"), (13, "z3"), (15, "a3"), (17, "C"),
                      (18, "δ3"), (20, "δ2"), (23, "∂C/∂w2"), (59, "∂C/∂w3")):
        name(row, text)
    for first, units in ((5, 2), (7, 3), (10, 3), (13, 2), (15, 2), (18, 2), (20, 3)):
        for u in range(units):
            index(first + u, u + 1)
    for k in range(3):
        for i in range(12):
            index(23 + 12 * k + i, f"{k + 1}({i // 3 + 1},{i % 3 + 1})")
    for j in range(2):
        for i in range(3):
            index(59 + 3 * j + i, f"{j + 1}({i + 1})")
    return tuple(out)


def _parameter_labels() -> tuple[Label, ...]:
    row0 = parse_cell(_at(0, "C"))[0]
    per_block = [Label("learn", _at(0, "C"), "第", "header", per_iteration=True),
                 Label("learn", _at(0, "E"), "次", "header", per_iteration=True),
                 Label("learn", _at(15, "G"), "ＣT", "header", per_iteration=True)]
    for row, unit in ((1, 1), (5, 2), (9, 3), (13, 1), (14, 2)):
        per_block.append(Label("learn", cell_name(row0 + row, 3), unit, "unit", per_iteration=True))
    return tuple(per_block)


LABELS = (
    *(label for label in CHAPTER3_LABELS if label.sheet == "data"),
    Label("learn", "C1", "0和1的识别（误差反向传播法）", "title"),
    Label("learn", "C2", "每一块是一次更新：参数、梯度之和（64个图像）与ＣT；下一块的参数 = 参数 − η × 梯度之和"),
    Label("learn", "C3", "η", "header"),
    Label("learn", "C4", "U", "header"),
    Label("learn", "D4", "w", "header", merge_to="F4"),
    Label("learn", "G4", "b", "header"),
    Label("learn", "I4", "∂ＣT/∂w", "header", merge_to="K4"),
    Label("learn", "L4", "∂ＣT/∂b", "header"),
    *_parameter_labels(),
    *_row_labels(),
    *summary_labels("误差反向传播法：ＣT的变化（第4章）"),
)

# The network's parts as in chapter 3, and each gradient sum over every image's row of its ∂C.
ROLES = Roles(
    bias=CHAPTER3_ROLES.bias,
    weights=(*CHAPTER3_ROLES.weights, ("delta2", "w3")),
    activation=CHAPTER3_ROLES.activation,
    links=CHAPTER3_ROLES.links,
    totals=(("C_T", "C"), ("gw2", "dw2"), ("gb2", "delta2"), ("gw3", "dw3"), ("gb3", "delta3")),
)

_UPDATE = {"w2": ("={w2^.}", "{gw2^.}"), "b2": ("={b2^}", "{gb2^}"), "w3": ("={w3^.}", "{gw3^.}"), "b3": ("={b3^}", "{gb3^}")}
# by the parameter's letter: w or b
_UPHILL = {"w": N_("the update goes uphill: the new {here} = the previous one − η × ∂C_T/∂w (minus, not plus)"),
           "b": N_("the update goes uphill: the new {here} = the previous one − η × ∂C_T/∂b (minus, not plus)")}
_ETA_TWICE = {"w": N_("η is applied twice: the new {here} = the previous one − η × ∂C_T/∂w, one η"),
              "b": N_("η is applied twice: the new {here} = the previous one − η × ∂C_T/∂b, one η")}
_NOT_SUMMED = {"w": N_("only image 1's gradient: {here} sums ∂C/∂w over every image (SUM of its row)"),
               "b": N_("only image 1's gradient: {here} sums ∂C/∂b over every image (SUM of its row)")}

MISTAKES = (
    *(m for m in CHAPTER3_MISTAKES if m.quantity not in ("predicted",)),
    Mistake("delta3", "no_sigmoid_derivative", "=({a3}-{t})",
            N_("the sigmoid's derivative is missing: {here} = ({a3} − {t})·{a3}·(1 − {a3}), the error times "
               "σ′(z3) = a3(1 − a3)")),
    Mistake("delta3", "no_sigmoid_derivative", "=({t}-{a3})*{a3}*(1-{a3})",
            N_("the error is the wrong way round: {here} = ({a3} − {t})·{a3}·(1 − {a3}), output minus teacher")),
    Mistake("delta2", "no_sigmoid_derivative", "=SUMPRODUCT({delta3:units},{$w3:col})",
            N_("the sigmoid's derivative is missing: {here} = (Σ δ3·w3)·{a2}·(1 − {a2}), the sum times "
               "σ′(z2) = a2(1 − a2)")),
    *(Mistake(name, "update_sign", f"{prev}+{{$eta}}*{grad}", _UPHILL[name[0]])
      for name, (prev, grad) in _UPDATE.items()),
    *(Mistake(name, "eta_twice", f"{prev}-{twice}*{grad}", _ETA_TWICE[name[0]])
      for name, (prev, grad) in _UPDATE.items() for twice in ("{$eta}*{$eta}", "2*{$eta}")),
    *(Mistake(total, "gradient_not_summed", f"={{{per_image}.}}" if total[1] == "w" else f"={{{per_image}}}",
              _NOT_SUMMED[total[1]])
      for total, per_image in (("gw2", "dw2"), ("gb2", "delta2"), ("gw3", "dw3"), ("gb3", "delta3"))),
)

BACKPROP = Layout(
    kind="chapter4_backprop",
    sheets=(DATA, LEARN, SUMMARY),
    quantities=QUANTITIES,
    labels=LABELS,
    class_labels=(0, 1),
    shadings=tuple(s for s in SHADINGS if s.quantity == "pixels"),
    charts=(SUMMARY_CHART,),
    mistakes=MISTAKES,
    roles=ROLES,
    cell_names=(("η", "eta"),),  # the Name Box shows η at D3; the update formulas still read $D$3
)
