"""`sheetnet exercise`: the student's starting workbook (data, labels, parameters, empty formula cells)."""

from __future__ import annotations

from pathlib import Path

from sheetnet.i18n import _
from sheetnet.mirror import authoring


def register(sub) -> None:
    p = sub.add_parser(
        "exercise", help=_("write the student's starting workbook: data, labels, initial parameters"),
        description=_("Write the student's workbook: the data, the labels and the starting parameters typed, "
                      "every formula cell empty (light blue) to fill; `sheetnet check` grades it afterwards."),
        epilog=_("examples:\n"
                 "  sheetnet exercise -o exercise.xlsx\n"
                 "  sheetnet exercise --kind backprop --iterations 5 -o \"第4章 练习.xlsx\""))
    p.add_argument("-o", "--output", required=True, type=Path, help=_("the .xlsx to write"))
    p.add_argument("--params", choices=authoring.param_choices(exercise=True), default="initial",
                   help=_("the starting parameters (default initial)"))
    p.add_argument("--kind", choices=authoring.NAMES, default="chapter3", help=authoring.kinds_help(exercise=True))
    p.add_argument("--iterations", type=int, default=None, metavar="N",
                   help=authoring.iterations_help(_("how many iteration blocks the learning sheet holds")))
    p.set_defaults(run=run, subject="output")


def run(args) -> int:
    from sheetnet.commands.answer import write

    return write(args, exercise=True)
