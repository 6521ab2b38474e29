r"""The chapter-5 CNN trained by backpropagation, as chapter 4's workbook is for the 12-3-2 network
(designed here in the book's style: ../shared/book/README.md).

Sheets: `Data` (appendix B's, as in chapter5.py), `卷积网络反向传播` (the learning sheet) and
`ＣT的变化` (C_T per iteration and its line chart).

The learning sheet stacks one block per iteration down the sheet, ITERATION_ROWS rows apart. In each
block, at the left: the iteration number, the 69 parameters — the three 3×3 filters with their
biases (D:G) and the three output units' weights (D:I), iteration 1 typed, every later one
`=previous − η·Σ∂C/∂θ` of the block above — the gradients summed over the images beside them in the
same shape (L:R), and C_T. To the right, one 6-column block per image (V:AA for image 1): x, t, zF, aF,
the pooled maps, zO, aO, C, then the errors δO, δP (the pooled values') and δF (the feature maps'),
and each ∂C/∂θ one per row in the block's first column, so that a gradient's sum over the images is
SUM of its row (∂C/∂b of an output unit is δO: its sum adds the δO row).

The pooled maps sit one under another here (a 6×2 rectangle), and each output unit's weights are a
6×2 grid in the same arrangement, so SUMPRODUCT pairs every weight with its pooled value and the
pooled values' reading order is the weights' (∂C/∂w row by row ← the pooled value it multiplies).

Max pooling in the backward pass: a pooled value's error goes to the position of its window that
held the maximum. Excel has no argmax, so δF asks `aF = the pooled value` — and, because the
images are 0/1, two positions of a window often see the same 3×3 pixels and hold the same aF
(163 of the 1,152 windows with the book's initial parameters): the error goes to the FIRST of them
in reading order, as the engine's argmax, by counting the window's earlier cells that equal the
maximum (the window's rows down to this one, less this row from this cell on). Twins are the same
function of the parameters, so the gradient is exact; IF(aF=MAX(window), …) alone would double it.
"""

from sheetnet.i18n import N_
from sheetnet.layout.chapter5 import DATA5, LABELS as CHAPTER5_LABELS, QUANTITIES as CHAPTER5_QUANTITIES
from sheetnet.layout.chapter5 import MISTAKES as CHAPTER5_MISTAKES, ROLES as CHAPTER5_ROLES
from sheetnet.layout.chapter5 import SHADINGS as CHAPTER5_SHADINGS
from sheetnet.layout.backprop import SUMMARY, SUMMARY_CHART, SUMMARY_QUANTITIES, summary_labels
from sheetnet.layout.model import TYPED, Label, Layout, Mistake, Place, Quantity, Roles, SheetLayout, shown_as
from sheetnet.xlsx.refs import cell_name, parse_cell

FIRST = 5  # the first iteration block's top row
IMAGE_ROWS = 134  # rows of one image's block
ITERATION_ROWS = IMAGE_ROWS + 1  # from one block's top to the next: its rows and one empty row

# rows of an image's block (below its top): one quantity per row band, each ∂C/∂θ one per row
R_X, R_T, R_ZF, R_AF, R_POOL, R_ZO, R_AO, R_C = 1, 7, 10, 22, 34, 40, 43, 46
R_DO, R_DP, R_DF, R_GF, R_GFB, R_GOW = 47, 50, 56, 68, 95, 98  # δO, δP, δF, ∂C/∂w_F, ∂C/∂b_F, ∂C/∂w_O
assert R_GOW + 36 == IMAGE_ROWS

LEARN = SheetLayout(
    role="learn",
    names=("卷积网络反向传播",),
    image_step=(0, 6),
    block=("V", 6),
    signature=("filters", "filter_b", "output_w", "output_b"),
    column_widths=(("A", "B", 1.5), ("C", "C", 3.5), ("D", "J", 7.5), ("K", "K", 2.0), ("L", "R", 7.5),
                   ("S", "S", 2.0), ("T", "T", 7.0), ("U", "U", 6.0), ("V", "XFD", 7.0)),
    freeze=f"V{FIRST}",
    landscape=True,
    iteration_step=(ITERATION_ROWS, 0),
    graded=True,
    print_images=2,
    print_iterations=1,
    # a block on four pages: the forward pass, the errors, ∂C/∂w of the filters, then the rest
    page_rows=(FIRST, FIRST + R_DO, FIRST + R_GF, FIRST + R_GFB),
    repeat_columns=("T", "U"),
)

def _at(row: int, col: str) -> str:
    """A cell of iteration 1's block: `row` rows below its top."""
    return f"{col}{FIRST + row}"


_it = dict(per_iteration=True)
_img = dict(per_image=True, per_iteration=True)
_filters = dict(shape=(3, 3), units=3, unit_step=(3, 0))  # three 3×3 filters, one under another
_filter_b = dict(units=3, unit_step=(3, 0))  # each beside its filter's first row
_output = dict(shape=(6, 2), units=3, unit_step=(0, 2))  # three 6×2 grids side by side
_output_b = dict(units=3, unit_step=(0, 2))  # each under its unit's grid
_maps = dict(shape=(4, 4), units=3, unit_step=(4, 0))  # three 4×4 feature maps, one under another
_units = dict(units=3)

# δF: the pooled error where this cell is its window's first maximum, times σ′(zF) = aF(1 − aF)
_FIRST_MAX = ("IF({aF.}={pool%2},IF(SUMPRODUCT(({aF@2\\2<}={pool%2})*1)=SUMPRODUCT(({aF@2\\2>}={pool%2})*1),"
              "{delta_pool%2},0),0)")

QUANTITIES = (
    *(q for q in CHAPTER5_QUANTITIES if q.sheet == "data"),
    Quantity("eta", "learn", Place("D3"), style="param", description=N_("learning rate η")),
    Quantity("iteration", "learn", Place(_at(0, "D")), first_iteration="1", formula="={iteration^}+1",
             style="image_no", description=N_("iteration"), graded=False, **_it),
    # -- the parameters of this iteration: typed in the first, updated from the block above after --
    Quantity("filters", "learn", Place(_at(2, "D"), **_filters), first_iteration=TYPED,
             formula="={filters^.}-{$eta}*{g_filters^.}", style="param", description=N_("filter weight"), **_it),
    Quantity("filter_b", "learn", Place(_at(2, "G"), **_filter_b), first_iteration=TYPED,
             formula="={filter_b^}-{$eta}*{g_filter_b^}", style="param", description=N_("filter bias"), **_it),
    Quantity("output_w", "learn", Place(_at(14, "D"), **_output), first_iteration=TYPED,
             formula="={output_w^.}-{$eta}*{g_output_w^.}", style="param", description=N_("output-unit weight"), **_it),
    Quantity("output_b", "learn", Place(_at(20, "D"), **_output_b), first_iteration=TYPED,
             formula="={output_b^}-{$eta}*{g_output_b^}", style="param", description=N_("output-unit bias"), **_it),
    Quantity("C_T", "learn", Place(_at(22, "E")), formula="=SUM({C:images})", style="total", description="C_T",
             **_it),
    # -- one block per image: the forward pass as in chapter 5 --------------------------------------
    Quantity("image_no", "learn", Place(_at(0, "V")), formula="={data_image_no}", style="image_no",
             description=N_("image number"), graded=False, **_img),
    Quantity("x", "learn", Place(_at(R_X, "V"), shape=(6, 6)), formula="={pixels.}", style="pixel",
             description=N_("input x"), **_img),
    Quantity("t", "learn", Place(_at(R_T, "V"), **_units), formula="={teacher}", style="teacher",
             description=N_("teacher t"), **_img),
    Quantity("zF", "learn", Place(_at(R_ZF, "V"), **_maps), formula="=SUMPRODUCT({x@3},{$filters})+{$filter_b}",
             description=N_("zF (convolution)"), **_img),
    Quantity("aF", "learn", Place(_at(R_AF, "V"), **_maps), formula="=1/(1+EXP(-{zF.}))",
             description=N_("aF (feature map)"), **_img),
    Quantity("pool", "learn", Place(_at(R_POOL, "V"), shape=(2, 2), units=3, unit_step=(2, 0)),
             formula="=MAX({aF@2/2})", description=N_("zP (max pooling)"), **_img),
    Quantity("z_out", "learn", Place(_at(R_ZO, "V"), **_units),
             formula="=SUMPRODUCT({pool:units},{$output_w})+{$output_b}", description="zO", **_img),
    Quantity("a_out", "learn", Place(_at(R_AO, "V"), **_units), formula="=1/(1+EXP(-{z_out}))", description="aO",
             **_img),
    Quantity("C", "learn", Place(_at(R_C, "V")), formula="=SUMXMY2({a_out:units},{t:units})/2", style="cost",
             description=N_("cost C"), **_img),
    # -- the backward pass -----------------------------------------------------------------------------
    Quantity("delta_out", "learn", Place(_at(R_DO, "V"), **_units), formula="=({a_out}-{t})*{a_out}*(1-{a_out})",
             description="δO", **_img),
    # the pooled values' errors, one 6×2 grid like the pooled maps and each unit's weights: Σ_j δO_j·w_j
    Quantity("delta_pool", "learn", Place(_at(R_DP, "V"), shape=(6, 2)),
             formula="={delta_out#1}*{$output_w.#1}+{delta_out#2}*{$output_w.#2}+{delta_out#3}*{$output_w.#3}",
             description=N_("δP (pooled error)"), **_img),
    Quantity("delta_conv", "learn", Place(_at(R_DF, "V"), **_maps), formula=f"={_FIRST_MAX}*{{aF.}}*(1-{{aF.}})",
             description=N_("δF (feature-map error)"), **_img),
    Quantity("d_filters", "learn", Place(_at(R_GF, "V"), shape=(9, 1), units=3, unit_step=(9, 0)),
             formula="=SUMPRODUCT({delta_conv},{x@4|3})", description=N_("∂C/∂w (filter)"), **_img),
    Quantity("d_filter_b", "learn", Place(_at(R_GFB, "V"), **_units), formula="=SUM({delta_conv})",
             description=N_("∂C/∂b (filter)"), **_img),
    Quantity("d_output_w", "learn", Place(_at(R_GOW, "V"), shape=(12, 1), units=3, unit_step=(12, 0)),
             formula="={delta_out}*{pool~}", description=N_("∂C/∂w (output)"), **_img),
    # -- the gradients of C_T, summed over the images, in the parameters' shape ---------------------
    Quantity("g_filters", "learn", Place(_at(2, "L"), **_filters), formula="=SUM({d_filters.:images})",
             description=N_("∂C_T/∂w (filter)"), **_it),
    Quantity("g_filter_b", "learn", Place(_at(2, "O"), **_filter_b), formula="=SUM({d_filter_b:images})",
             description=N_("∂C_T/∂b (filter)"), **_it),
    Quantity("g_output_w", "learn", Place(_at(14, "L"), **_output), formula="=SUM({d_output_w.:images})",
             description=N_("∂C_T/∂w (output)"), **_it),
    Quantity("g_output_b", "learn", Place(_at(20, "L"), **_output_b), formula="=SUM({delta_out:images})",
             description=N_("∂C_T/∂b (output)"), **_it),
    *SUMMARY_QUANTITIES,
)

QUANTITIES = shown_as(QUANTITIES, {
    "iteration": ("次", "iteration"), "C_T": ("ＣT", "C_T"), "filters": ("wF", "wF"), "filter_b": ("bF", "bF"), "output_w": ("wO", "wO"),
    "output_b": ("bO", "bO"), "delta_out": ("δO", "δO"), "delta_pool": ("δP", "δP"), "delta_conv": ("δF", "δF"),
    "d_filters": ("∂C/∂wF", "∂C/∂wF"), "d_filter_b": ("∂C/∂bF", "∂C/∂bF"), "d_output_w": ("∂C/∂wO", "∂C/∂wO"),
    "g_filters": ("∂ＣT/∂wF", "∂C_T/∂wF"), "g_filter_b": ("∂ＣT/∂bF", "∂C_T/∂bF"),
    "g_output_w": ("∂ＣT/∂wO", "∂C_T/∂wO"), "g_output_b": ("∂ＣT/∂bO", "∂C_T/∂bO"),
    "s_iteration": ("次数", "iteration"), "s_C_T": ("ＣT（更新前）", "C_T before the update"),
})


def _row_labels() -> tuple[Label, ...]:
    """The name of each per-image row in T and its unit (or unit and position) in U."""
    out = []

    def name(row: int, text: str) -> None:
        out.append(Label("learn", _at(row, "T"), text, per_iteration=True))

    def index(row: int, text: str | int) -> None:
        out.append(Label("learn", _at(row, "U"), text, "unit", per_iteration=True))

    for row, text in ((0, "编号"), (R_X, "x"), (R_T, "t"), (R_ZF, "zF"), (R_AF, "aF"), (R_POOL, "zP"),
                      (R_ZO, "zO"), (R_AO, "aO"), (R_C, "C"), (R_DO, "δO"), (R_DP, "δP"), (R_DF, "δF"),
                      (R_GF, "∂C/∂w"), (R_GFB, "∂C/∂b"), (R_GOW, "∂C/∂w")):
        name(row, text)
    for first, step in ((R_T, 1), (R_ZF, 4), (R_AF, 4), (R_POOL, 2), (R_ZO, 1), (R_AO, 1), (R_DO, 1), (R_DF, 4),
                        (R_GFB, 1)):
        for k in range(3):
            index(first + k * step, k + 1)
    index(R_DP, "1·2·3")
    for k in range(3):
        for i in range(9):
            index(R_GF + 9 * k + i, f"F{k + 1}({i // 3 + 1},{i % 3 + 1})")
        for i in range(12):
            index(R_GOW + 12 * k + i, f"O{k + 1}({i // 2 + 1},{i % 2 + 1})")
    return tuple(out)


def _parameter_labels() -> tuple[Label, ...]:
    row0 = parse_cell(_at(0, "C"))[0]
    per_block = [Label("learn", _at(0, "C"), "第", "header", per_iteration=True),
                 Label("learn", _at(0, "E"), "次", "header", per_iteration=True),
                 Label("learn", _at(22, "C"), "ＣT", "header", merge_to=_at(22, "D"), per_iteration=True)]
    for left, w, b in (("D", ("D", "F"), "G"), ("L", ("L", "N"), "O")):  # the filters and their gradients
        per_block += [Label("learn", _at(1, w[0]), "w（过滤器）" if left == "D" else "∂ＣT/∂w", "header",
                            merge_to=_at(1, w[1]), per_iteration=True),
                      Label("learn", _at(1, b), "b" if left == "D" else "∂ＣT/∂b", "header", per_iteration=True)]
    for first, last in (("D", "I"), ("L", "Q")):  # the output units: O1, O2, O3 over their 6×2 grids
        per_block.append(Label("learn", _at(12, first), "w（池化层→输出层）" if first == "D" else "∂ＣT/∂w", "header",
                               merge_to=_at(12, last), per_iteration=True))
        c0 = parse_cell(f"{first}1")[1]
        for j in range(3):
            per_block.append(Label("learn", cell_name(row0 + 13, c0 + 2 * j), f"O{j + 1}", "header",
                                   merge_to=cell_name(row0 + 13, c0 + 2 * j + 1), per_iteration=True))
    per_block.append(Label("learn", _at(20, "C"), "b", "header", per_iteration=True))
    per_block.append(Label("learn", _at(1, "C"), "F", "header", per_iteration=True))
    per_block.append(Label("learn", _at(13, "C"), "O", "header", per_iteration=True))
    for k in range(3):
        per_block.append(Label("learn", cell_name(row0 + 2 + 3 * k, 3), k + 1, "unit", per_iteration=True))
    return tuple(per_block)


LABELS = (
    *(label for label in CHAPTER5_LABELS if label.sheet == "data"),
    Label("learn", "C1", "文字1、2、3的识别（卷积神经网络，误差反向传播法）", "title"),
    Label("learn", "C2", "每一块是一次更新：参数、梯度之和（96个图像）与ＣT；下一块的参数 = 参数 − η × 梯度之和"),
    Label("learn", "C3", "η", "header"),
    *_parameter_labels(),
    *_row_labels(),
    *summary_labels("卷积神经网络的误差反向传播法：ＣT的变化（第5章）"),
)

# Shadings of per-iteration quantities would need one conditional format per block: the pictures
# stay on the Data sheet.
# the pictures of chapter 5 in every block: the filters as they learn, each image's feature maps
SHADINGS = tuple(s for s in CHAPTER5_SHADINGS if s.quantity in ("pixels", "drawn", "x", "filters", "aF"))

# The forward pass plays the parts it plays in chapter 5; each gradient sum adds its ∂C row over the images.
ROLES = Roles(
    bias=CHAPTER5_ROLES.bias, weights=CHAPTER5_ROLES.weights, activation=CHAPTER5_ROLES.activation,
    links=CHAPTER5_ROLES.links,
    totals=(("C_T", "C"), ("g_filters", "d_filters"), ("g_filter_b", "d_filter_b"), ("g_output_w", "d_output_w"),
            ("g_output_b", "delta_out")),
)

_UPDATE = {"filters": ("={filters^.}", "{g_filters^.}"), "filter_b": ("={filter_b^}", "{g_filter_b^}"),
           "output_w": ("={output_w^.}", "{g_output_w^.}"), "output_b": ("={output_b^}", "{g_output_b^}")}

MISTAKES = (
    *(m for m in CHAPTER5_MISTAKES if m.quantity in {q.name for q in QUANTITIES}),
    Mistake("delta_out", "no_sigmoid_derivative", "=({a_out}-{t})",
            N_("the sigmoid's derivative is missing: {here} = ({a_out} − {t})·{a_out}·(1 − {a_out})")),
    Mistake("delta_conv", "error_to_every_position", "={delta_pool%2}*{aF.}*(1-{aF.})",
            N_("the pooled error reaches every cell of its 2×2 window: only the window's (first) maximum passed "
               "its value on, so only that cell gets δP; the others get 0")),
    Mistake("delta_conv", "no_sigmoid_derivative", f"={_FIRST_MAX}",
            N_("the sigmoid's derivative is missing: δF = (the pooled error, at the window's maximum) × aF(1 − aF)")),
    *(Mistake(name, "update_sign", f"{prev}+{{$eta}}*{grad}",
              N_("the update goes uphill: the new {here} = the previous one − η × its gradient sum (minus, not plus)"))
      for name, (prev, grad) in _UPDATE.items()),
    *(Mistake(name, "eta_twice", f"{prev}-{twice}*{grad}",
              N_("η is applied twice: the new {here} = the previous one − η × its gradient sum, one η"))
      for name, (prev, grad) in _UPDATE.items() for twice in ("{$eta}*{$eta}", "2*{$eta}")),
)

CNN_BACKPROP = Layout(
    kind="chapter5_cnn_backprop",
    sheets=(DATA5, LEARN, SUMMARY),
    quantities=QUANTITIES,
    labels=LABELS,
    class_labels=(1, 2, 3),
    shadings=SHADINGS,
    charts=(SUMMARY_CHART,),
    cell_names=(("η", "eta"),),
    mistakes=MISTAKES,
    roles=ROLES,
)
