"""`sheetnet answer`: the teacher's answer key from the embedded data, every formula with its value.

What each --kind writes, and which options it reads, is the kind's (sheetnet/mirror/authoring.py)."""

from __future__ import annotations

from pathlib import Path

from sheetnet.commands.common import EXIT_OK, check_output_path
from sheetnet.i18n import _
from sheetnet.mirror import authoring


def register(sub) -> None:
    p = sub.add_parser(
        "answer", help=_("write the teacher's answer workbook: Data, 学习, 测试 and the chapter-4 run"),
        description=_("Write the teacher's answer workbook from the book's data (no input file): every formula "
                      "cell with its value, for Excel or WPS to show and for `sheetnet check` to grade against."),
        epilog=_("examples:\n"
                 "  sheetnet answer -o answer.xlsx\n"
                 "  sheetnet answer --kind backprop --iterations 50 -o chapter4.xlsx\n"
                 "  sheetnet answer --kind cnn-backprop -o \"CNN 答案.xlsx\""))
    p.add_argument("-o", "--output", required=True, type=Path, help=_("the .xlsx to write"))
    p.add_argument("--params", choices=authoring.param_choices(exercise=False), default=None,
                   help=_("trained: solved from the book's initial values (default); book: Solver's result stored "
                          "in the book; initial: the book's starting values (cnn: its own sets, default trained "
                          "when there is one, else initial)"))
    p.add_argument("--test-image", type=int, default=1, metavar="N",
                   help=_("the image (1…64) the test sheet 测试 shows (default 1)"))
    p.add_argument("--kind", choices=authoring.NAMES, default="chapter3", help=authoring.kinds_help(exercise=False))
    p.add_argument("--iterations", type=int, default=None, metavar="N",
                   help=authoring.iterations_help(_("how many iterations (blocks) the learning sheet holds")))
    p.set_defaults(run=run, subject="output")


def run(args) -> int:
    return write(args, exercise=False)


def write(args, *, exercise: bool) -> int:
    """answer / exercise: the kind's own author writes the workbook and says what it wrote."""
    authoring.refuse_iterations(args.kind, args.iterations)
    author = authoring.by_name(args.kind).author()
    print(author(args.output, exercise=exercise, params=args.params, iterations=args.iterations,
                 test_image=getattr(args, "test_image", 1), ready=check_output_path))
    return EXIT_OK
