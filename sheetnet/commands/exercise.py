"""`sheetnet exercise`: the student's starting workbook (data, labels, parameters, empty formula cells)."""

from __future__ import annotations

from pathlib import Path

from sheetnet.commands.common import EXIT_OK, PARAM_CHOICES, check_output_path


def register(sub) -> None:
    p = sub.add_parser("exercise", help="write the student's starting workbook: data, labels, initial parameters")
    p.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx to write")
    p.add_argument("--params", choices=PARAM_CHOICES, default="initial", help="the starting parameters (default initial)")
    p.set_defaults(run=run, subject="output")


def run(args) -> int:
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    check_output_path(args.output)
    write_book_workbook(args.output, chapter3_params(args.params), exercise=True)
    print(f"wrote {args.output} (exercise, parameters: {args.params}): "
          f"the learning sheet's formula cells are empty (light blue) for the student to fill")
    return EXIT_OK
