"""`sheetnet recompute`: every computed cell from the workbook's own inputs, against its cached value."""

from __future__ import annotations

from pathlib import Path

from sheetnet.commands.common import EXIT_FINDINGS, EXIT_OK, KIND_CHOICES, kind_of, tolerance
from sheetnet.i18n import _


def register(sub) -> None:
    p = sub.add_parser(
        "recompute", help=_("recompute every computed cell of a workbook and compare with its cached values"),
        description=_("Recompute every computed cell of a workbook from its own inputs (data, parameters, η) "
                      "and compare each with the value the spreadsheet saved. Exit 0: all agree, 1: some "
                      "differ, 2: the workbook could not be used."),
        epilog=_("examples:\n"
                 "  sheetnet recompute answer.xlsx\n"
                 "  sheetnet recompute appendix-a.xlsx --params book\n"
                 "  sheetnet recompute chapter4.xlsx --format json > chapter4.json"))
    p.add_argument("file", type=Path, metavar="FILE", help=_("the workbook (.xlsx)"))
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help=_("text for people (default), json for programs"))
    p.add_argument("--rel", type=float, default=1e-9, help=_("relative tolerance (default 1e-9)"))
    p.add_argument("--abs", type=float, default=1e-12, help=_("absolute tolerance (default 1e-12)"))
    p.add_argument("--params", default=None, metavar="SET",
                   help=_("parameters for a workbook without a learning sheet (default: the kind's first set, "
                          "chapter 3: initial)"))
    p.add_argument("--kind", choices=KIND_CHOICES, default="auto",
                   help=_("the kind of workbook (default auto: found from its sheets)"))
    p.set_defaults(run=run, subject="file")


def run(args) -> int:
    from sheetnet.console import print_json
    from sheetnet.mirror.recompute import recompute
    from sheetnet.report import recompute_json, recompute_text

    result = recompute(args.file, tol=tolerance(args.rel, args.abs), default_params=args.params,
                       kind=kind_of(args.kind, detect=False))
    if args.format == "json":
        print_json(recompute_json(result))
    else:
        print(recompute_text(result))
    return EXIT_OK if result.comparison.all_agree else EXIT_FINDINGS
