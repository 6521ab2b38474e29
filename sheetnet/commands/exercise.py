"""`sheetnet exercise`: the student's starting workbook (data, labels, parameters, empty formula cells)."""

from __future__ import annotations

from pathlib import Path

from sheetnet.commands import answer
from sheetnet.commands.common import PARAM_CHOICES


def register(sub) -> None:
    p = sub.add_parser("exercise", help="write the student's starting workbook: data, labels, initial parameters")
    p.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx to write")
    p.add_argument("--params", choices=PARAM_CHOICES, default="initial", help="the starting parameters (default initial)")
    p.set_defaults(run=run, subject="output")


def run(args) -> int:
    return answer.run(args, exercise=True)
