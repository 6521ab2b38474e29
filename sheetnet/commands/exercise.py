"""`sheetnet exercise`: the student's starting workbook (data, labels, parameters, empty formula cells)."""

from __future__ import annotations

from pathlib import Path

from sheetnet.mirror import authoring


def register(sub) -> None:
    p = sub.add_parser("exercise", help="write the student's starting workbook: data, labels, initial parameters")
    p.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx to write")
    p.add_argument("--params", choices=authoring.param_choices(exercise=True), default="initial",
                   help="the starting parameters (default initial)")
    p.add_argument("--kind", choices=authoring.NAMES, default="chapter3", help=authoring.kinds_help(exercise=True))
    p.add_argument("--iterations", type=int, default=None, metavar="N",
                   help=authoring.iterations_help("how many iteration blocks the learning sheet holds"))
    p.set_defaults(run=run, subject="output")


def run(args) -> int:
    from sheetnet.commands.answer import write

    return write(args, exercise=True)
