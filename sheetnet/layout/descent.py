"""Chapter 2's gradient-descent example (section 2-11), designed here in the book's style.

One sheet, `梯度下降法`: the starting point (x, y) and the learning rate η typed at the top left; then one
row per step, down the sheet: the step number, the position (x, y), the gradient (∂z/∂x, ∂z/∂y) = (2x, 2y),
the displacement (Δx, Δy) = −η·gradient, the next position (x + Δx, y + Δy) and z = x² + y² at the
position. Step 1's position links the start, each later one the row above's next position. Each step is
an iteration block one row tall (iteration_step (1, 0)): the checker reads the steps in order, so a wrong
row's consequences below it are inherited, not new mistakes. Charts: the path (y against x) and z.
"""

from sheetnet.i18n import N_
from sheetnet.layout.model import Chart, Label, Layout, Mistake, Place, Quantity, SheetLayout, shown_as

SHEET = "梯度下降法"
FIRST = 9  # step 1's row

LEARN = SheetLayout(
    role="learn",
    names=(SHEET,),
    signature=("x0", "y0", "eta", "step"),
    column_widths=(("A", "A", 1.5), ("B", "B", 8.0), ("C", "K", 9.5), ("L", "L", 2.0)),
    freeze=f"C{FIRST}",
    landscape=True,
    iteration_step=(1, 0),
    graded=True,
)

_step = dict(per_iteration=True, style="coordinate")

QUANTITIES = (
    Quantity("x0", "learn", Place("C5"), style="start", description=N_("x of the starting point")),
    Quantity("y0", "learn", Place("D5"), style="start", description=N_("y of the starting point")),
    Quantity("eta", "learn", Place("F5"), style="start", description=N_("learning rate η")),
    Quantity("step", "learn", Place(f"B{FIRST}"), first_iteration="1", formula="={step^}+1", per_iteration=True,
             style="digit", description=N_("step"), graded=False),
    Quantity("x", "learn", Place(f"C{FIRST}"), first_iteration="={$x0}", formula="={x_next^}", description="x",
             **_step),
    Quantity("y", "learn", Place(f"D{FIRST}"), first_iteration="={$y0}", formula="={y_next^}", description="y",
             **_step),
    Quantity("dz_dx", "learn", Place(f"E{FIRST}"), formula="=2*{x}", description="∂z/∂x", **_step),
    Quantity("dz_dy", "learn", Place(f"F{FIRST}"), formula="=2*{y}", description="∂z/∂y", **_step),
    Quantity("dx", "learn", Place(f"G{FIRST}"), formula="=-{$eta}*{dz_dx}", description="Δx", **_step),
    Quantity("dy", "learn", Place(f"H{FIRST}"), formula="=-{$eta}*{dz_dy}", description="Δy", **_step),
    Quantity("x_next", "learn", Place(f"I{FIRST}"), formula="={x}+{dx}", description=N_("the next x"), **_step),
    Quantity("y_next", "learn", Place(f"J{FIRST}"), formula="={y}+{dy}", description=N_("the next y"), **_step),
    Quantity("z", "learn", Place(f"K{FIRST}"), formula="={x}^2+{y}^2", per_iteration=True, style="cost",
             description="z = x² + y²"),
)

QUANTITIES = shown_as(QUANTITIES, {
    "step": ("次数", "step"), "x_next": ("下一个位置 x", "next x"), "y_next": ("下一个位置 y", "next y"),
    "dz_dx": ("∂z/∂x", "∂z/∂x"), "dz_dy": ("∂z/∂y", "∂z/∂y"),
})

LABELS = (
    Label("learn", "B2", "梯度下降法：求 z = x² + y² 的最小值", "title"),
    Label("learn", "B3", "每一步：梯度 (∂z/∂x, ∂z/∂y) = (2x, 2y)；位移向量 (Δx, Δy) = −η × 梯度；"
                         "下一个位置 = 位置 + 位移向量"),
    Label("learn", "C4", "x", "header"),
    Label("learn", "D4", "y", "header"),
    Label("learn", "F4", "η", "header"),
    Label("learn", "B5", "初始位置"),
    Label("learn", "E5", "学习率", "header"),
    Label("learn", "C7", "位置", "header", merge_to="D7"),
    Label("learn", "E7", "梯度", "header", merge_to="F7"),
    Label("learn", "G7", "位移向量", "header", merge_to="H7"),
    Label("learn", "I7", "下一个位置", "header", merge_to="J7"),
    Label("learn", "K7", "函数值", "header"),
    *(Label("learn", f"{col}8", text, "header") for col, text in (
        ("B", "次数"), ("C", "x"), ("D", "y"), ("E", "∂z/∂x"), ("F", "∂z/∂y"), ("G", "Δx"), ("H", "Δy"),
        ("I", "x"), ("J", "y"), ("K", "z"))),
)


_NO_FACTOR = N_("derivative without its factor")
_NO_FACTOR_HINT = N_("the derivative misses a constant factor: differentiate the power again")
_ETA_TWICE = N_("η is applied twice: {here} = −η × the gradient, one η")

# What the typical mistakes compute, in the x column and the y column ({here}: the cell's own label)
MISTAKES = (
    *(Mistake(name, "missing_factor", f"={{{var}}}", text, title=_NO_FACTOR, hint=_NO_FACTOR_HINT) for name, var, text in (
        ("dz_dx", "x", N_("the factor 2 is missing: ∂z/∂x = 2x (the derivative of x² is 2x)")),
        ("dz_dy", "y", N_("the factor 2 is missing: ∂z/∂y = 2y (the derivative of y² is 2y)")))),
    Mistake("dx", "update_sign", "={$eta}*{dz_dx}", N_("the step goes uphill: Δx = −η·∂z/∂x (minus: against the gradient)")),
    Mistake("dy", "update_sign", "={$eta}*{dz_dy}", N_("the step goes uphill: Δy = −η·∂z/∂y (minus: against the gradient)")),
    *(Mistake(name, "eta_twice", template, _ETA_TWICE) for name, template in (
        ("dx", "=-{$eta}*{$eta}*{dz_dx}"), ("dy", "=-{$eta}*{$eta}*{dz_dy}"),
        ("dx", "=-2*{$eta}*{dz_dx}"), ("dy", "=-2*{$eta}*{dz_dy}"))),
    Mistake("x_next", "update_sign", "={x}-{dx}", N_("the displacement is subtracted: the next x = x + Δx "
                                                     "(Δx = −η·∂z/∂x already carries the minus)")),
    Mistake("y_next", "update_sign", "={y}-{dy}", N_("the displacement is subtracted: the next y = y + Δy "
                                                     "(Δy = −η·∂z/∂y already carries the minus)")),
)

DESCENT = Layout(
    kind="chapter2_descent",
    sheets=(LEARN,),
    quantities=QUANTITIES,
    labels=LABELS,
    cell_names=(("η", "eta"),),
    charts=(Chart("learn", "M4", "位置的移动", categories="x", values="y", kind="scatter", x_title="x", y_title="y"),
            Chart("learn", "M20", "函数值 z 的变化", categories="step", values="z", x_title="次数", y_title="z")),
    mistakes=MISTAKES,
    iteration_noun=N_("step"),
    iteration_plural=N_("steps"),
)
