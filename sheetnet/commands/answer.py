"""`sheetnet answer`: the book's chapter-3 workbook from the embedded data, every formula with its value."""

from __future__ import annotations

from pathlib import Path

from sheetnet.commands.common import EXIT_OK, PARAM_CHOICES, check_output_path


def register(sub) -> None:
    p = sub.add_parser("answer", help="write the book's chapter-3 workbook, every formula with its value")
    p.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx to write")
    p.add_argument("--params", choices=PARAM_CHOICES, default="book",
                   help="book: Solver's result stored in the book (default); initial: the book's starting values")
    p.set_defaults(run=run, subject="output")


def run(args, *, exercise: bool = False) -> int:
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    check_output_path(args.output)
    ev = write_book_workbook(args.output, chapter3_params(args.params), exercise=exercise)
    kind = "exercise" if exercise else "answer"
    print(f"wrote {args.output} ({kind}, parameters: {args.params}): "
          f"C_T = {ev.C_T:.12g} · {int(ev.right.sum())}/{len(ev.C)} right ({ev.accuracy:.1%})")
    return EXIT_OK
