"""`sheetnet answer`: the teacher's answer key from the embedded data, every formula with its value.

What each --kind writes, and which options it reads, is the kind's (sheetnet/mirror/authoring.py)."""

from __future__ import annotations

from pathlib import Path

from sheetnet.commands.common import EXIT_OK, check_output_path
from sheetnet.mirror import authoring


def register(sub) -> None:
    p = sub.add_parser("answer", help="write the teacher's answer workbook: Data, 学习, 测试 and the chapter-4 run")
    p.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx to write")
    p.add_argument("--params", choices=authoring.param_choices(exercise=False), default=None,
                   help="trained: solved from the book's initial values (default); book: Solver's result stored "
                        "in the book; initial: the book's starting values (cnn: its own sets, default trained "
                        "when there is one, else initial)")
    p.add_argument("--test-image", type=int, default=1, metavar="N",
                   help="the image (1…64) the test sheet 测试 shows (default 1)")
    p.add_argument("--kind", choices=authoring.NAMES, default="chapter3", help=authoring.kinds_help(exercise=False))
    p.add_argument("--iterations", type=int, default=None, metavar="N",
                   help=authoring.iterations_help("how many iterations (blocks) the learning sheet holds"))
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
