"""Chapter 2's regression example (section 2-12), designed here in the book's style.

One sheet, `回归分析`: the line's parameters p and q at the top left with the objective E = Σe below
them (Solver's names written, like chapter 3: minimize E by changing p and q); then one column per
student from column C, each quantity in its own labelled row — number, height x, weight y (the data,
typed), the prediction p·x + q and the squared error e = ½(y − (p·x + q))². E = SUM of the e row, like
the book's C_T. Students run across, as chapter 3's images do, so that a formula typed for student 1
is filled to the right (a relative p or q is a mistake the checker names).
"""

from sheetnet.i18n import N_
from sheetnet.layout.model import (Chart, Label, Layout, Mistake, Place, Quantity, Roles, SheetLayout, shown_as,
                                   solver_names)

SHEET = "回归分析"

LEARN = SheetLayout(
    role="learn",
    names=(SHEET,),
    image_step=(0, 1),
    block=("C", 1),
    signature=("p", "q", "x", "y"),
    column_widths=(("A", "A", 1.5), ("B", "B", 16.0), ("C", "XFD", 11.0)),
    landscape=True,
    graded=True,
)

QUANTITIES = (
    Quantity("p", "learn", Place("C5"), style="coefficient", description=N_("slope p")),
    Quantity("q", "learn", Place("C6"), style="coefficient", description=N_("intercept q")),
    Quantity("E", "learn", Place("C7"), formula="=SUM({e:images})", style="objective",
             description=N_("E (the sum of the squared errors)")),
    Quantity("student_no", "learn", Place("C9"), per_image=True, first_formula="1", formula="={student_no:prev}+1",
             style="image_no", description=N_("student number"), graded=False),
    Quantity("x", "learn", Place("C10"), per_image=True, style="measure", description=N_("height x")),
    Quantity("y", "learn", Place("C11"), per_image=True, style="measure", description=N_("weight y")),
    Quantity("prediction", "learn", Place("C12"), per_image=True, formula="={$p}*{x}+{$q}", style="fitted",
             description=N_("prediction p·x + q")),
    Quantity("e", "learn", Place("C13"), per_image=True, formula="=({y}-{prediction})^2/2", style="coordinate",
             description=N_("squared error e")),
)

QUANTITIES = shown_as(QUANTITIES, {"student_no": ("编号", "number"), "prediction": ("预测值", "prediction")})

LABELS = (
    Label("learn", "B2", "身高与体重的回归分析（最小二乘法）", "title"),
    Label("learn", "B3", "模型：体重 y = p × 身高 x + q；平方误差 e = ½(y − (px + q))²；"
                         "求解器改变 p、q，使平方误差之和 E 最小"),
    Label("learn", "B4", "参数"),
    Label("learn", "B5", "p"),
    Label("learn", "B6", "q"),
    Label("learn", "B7", "E（e 的总和）"),
    Label("learn", "B9", "编号"),
    Label("learn", "B10", "身高 x（cm）"),
    Label("learn", "B11", "体重 y（kg）"),
    Label("learn", "B12", "预测值 px + q"),
    Label("learn", "B13", "平方误差 e"),
)

_NO_SQUARE = N_("the difference is not squared: e = ½(y − (px + q))², the square of y minus the prediction, halved")

# What the typical mistakes compute, for naming a wrong value (a relative p or q, and a total that
# misses students, the checker names from the formula's references).
MISTAKES = (
    Mistake("e", "cost_without_half", "=({y}-{prediction})^2",
            N_("the ½ is missing: e = ½(y − (px + q))²")),
    *(Mistake("e", "cost_without_square", t, _NO_SQUARE) for t in (
        "=({y}-{prediction})/2", "=({prediction}-{y})/2", "=ABS({y}-{prediction})/2",
        "={y}-{prediction}", "={prediction}-{y}", "=ABS({y}-{prediction})")),
)

REGRESSION = Layout(
    kind="chapter2_regression",
    sheets=(LEARN,),
    quantities=QUANTITIES,
    labels=LABELS,
    defined_names=solver_names(f"{SHEET}!$C$7", f"{SHEET}!$C$5:$C$6"),
    charts=(Chart("learn", "B15", "身高与体重", categories="x", values="y", kind="scatter",
                  x_title="身高 x（cm）", y_title="体重 y（kg）", line="prediction"),),
    mistakes=MISTAKES,
    item_noun=N_("student"),
    item_plural=N_("students"),
    roles=Roles(totals=(("E", "e"),)),
)
