"""The chapter-4 gradient-descent run, as a sheet of the answer workbook: one row per iteration.

The book's chapter-4 sheets iterate w ← w − η Σ ∂C/∂w and watch C_T fall; this sheet holds that
run's record as values (iteration, C_T before the update, images right) and a line chart of C_T.
The layout's "image" axis counts iterations here: item k sits k rows below item 1.
"""

from sheetnet.i18n import N_
from sheetnet.layout.model import Chart, Label, Layout, Place, Quantity, SheetLayout, shown_as

GD = SheetLayout(
    role="gd",
    names=("梯度下降",),
    image_step=(1, 0),
    block=("B", 3),
    signature=("gd_iteration", "gd_C_T", "gd_right"),
    required=False,
    column_widths=(("A", "A", 1.5), ("B", "B", 8.0), ("C", "C", 16.0), ("D", "D", 8.0), ("E", "E", 2.0)),
    freeze="B6",
    one_page=True,  # the 50 rows and the chart beside them
)

QUANTITIES = (
    Quantity("gd_eta", "gd", Place("C3"), style="param", description=N_("learning rate η")),
    Quantity("gd_iteration", "gd", Place("B6"), per_image=True, style="digit", description=N_("iteration")),
    Quantity("gd_C_T", "gd", Place("C6"), per_image=True, style="cost", description=N_("C_T before the update")),
    Quantity("gd_right", "gd", Place("D6"), per_image=True, style="digit", description=N_("images right")),
)

QUANTITIES = shown_as(QUANTITIES, {
    "gd_eta": ("学习率η", "η"), "gd_iteration": ("次数", "iteration"),
    "gd_C_T": ("ＣT（更新前）", "C_T before the update"), "gd_right": ("正确数", "images right"),
})

LABELS = (
    Label("gd", "B1", "误差反向传播法：梯度下降的过程（第4章）", "title"),
    Label("gd", "B2", "从第4章的初始值出发，每次用64个图像的梯度之和更新全部参数"),
    Label("gd", "B3", "学习率η"),
    Label("gd", "B5", "次数", "header"),
    Label("gd", "C5", "ＣT（更新前）", "header"),
    Label("gd", "D5", "正确数", "header"),
)

GD_RUN = Layout(
    kind="chapter4_gd_run",
    sheets=(GD,),
    quantities=QUANTITIES,
    labels=LABELS,
    charts=(Chart("gd", "F5", "ＣT的变化", categories="gd_iteration", values="gd_C_T",
                  x_title="次数", y_title="ＣT", size=(560, 336)),),
)
