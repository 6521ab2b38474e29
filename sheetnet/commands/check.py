"""`sheetnet check`: grade students' workbooks cell by cell — root causes, diagnoses, a score each."""

from __future__ import annotations

import sys
from pathlib import Path

from sheetnet.commands.common import EXIT_UNUSABLE, KIND_CHOICES, check_output_path
from sheetnet.console import print_json, print_xml
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _


def register(sub) -> None:
    p = sub.add_parser(
        "check", help=_("grade a student's workbook cell by cell: root causes, diagnoses, a score"),
        description=_("Grade students' workbooks cell by cell: every computed cell is recomputed from the "
                      "student's own cells; each mistake is reported once, at its root, with the cells it "
                      "spoils. Exit 0: all right, 1: findings, 2: a workbook could not be used."),
        epilog=_("examples:\n"
                 "  sheetnet check my.xlsx\n"
                 "  sheetnet check my.xlsx --annotate my-marked.xlsx\n"
                 "  sheetnet check \"作业 第3章\" --csv grades.csv        (a folder: the whole class)\n"
                 "  sheetnet check my.xlsx --format json > my.json"))
    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help=_("a workbook; several workbooks or a folder of them grade a class"))
    p.add_argument("--format", choices=("text", "json", "junit"), default="text",
                   help=_("text for people (default), json or junit for programs"))
    p.add_argument("--recalc", action="store_true",
                   help=_("let LibreOffice recalculate a copy first (for files saved without values; the file "
                          "is untouched)"))
    p.add_argument("--annotate", type=Path, metavar="OUT.xlsx",
                   help=_("write a copy of the workbook with each wrong cell filled and commented"))
    p.add_argument("--csv", type=Path, metavar="GRADES.csv",
                   help=_("write one row per workbook: score, root causes, …"))
    p.add_argument("--kind", choices=KIND_CHOICES, default="auto",
                   help=_("the kind of workbook (default auto: found from each workbook's sheets)"))
    p.add_argument("-j", "--jobs", type=int, help=_("workbooks checked at once (default: one per core)"))
    p.add_argument("--rel", type=float, default=1e-9, help=_("relative tolerance (default 1e-9)"))
    p.add_argument("--abs", type=float, default=1e-12, help=_("absolute tolerance (default 1e-12)"))
    p.set_defaults(run=run, subject="files")


def run(args) -> int:
    from sheetnet.check.batch import workbooks
    from sheetnet.mirror.compare import Tolerance

    try:
        _refuse_bad_options(args)
        paths = workbooks(args.files)
    except UnusableInput as e:
        return _fail(str(e))
    tol = Tolerance(rel=args.rel, abs=args.abs)
    if len(args.files) == 1 and not args.files[0].is_dir():
        return _one(args, paths[0], tol)
    return _class(args, paths, tol)


def _refuse_bad_options(args) -> None:
    if args.annotate is not None:
        if len(args.files) != 1 or args.files[0].is_dir():
            raise UnusableInput("--annotate writes the copy of one workbook: give exactly one file")
        if args.annotate.exists() and args.files[0].exists() and args.annotate.resolve() == args.files[0].resolve():
            raise UnusableInput("--annotate: the copy cannot be the workbook itself (it is never modified)")
        _output(args.annotate, "--annotate")
    if args.csv is not None:
        _output(args.csv, "--csv")
    if args.jobs is not None and args.jobs < 1:
        raise UnusableInput("--jobs must be 1 or more")
    if not (args.rel >= 0 and args.abs >= 0):
        raise UnusableInput("--rel and --abs must be 0 or more")


def _output(path: Path, option: str) -> None:
    try:
        check_output_path(path)
    except UnusableInput as e:
        raise UnusableInput(f"{option} {path}: {e}") from None


def _one(args, path: Path, tol) -> int:
    import time

    from sheetnet.check import report
    from sheetnet.check.batch import _unusable, csv_text, outcome, write_atomically
    from sheetnet.check.checker import check
    from sheetnet.commands.common import kind_of

    start = time.perf_counter()
    try:
        result = check(path, tol=tol, recalc=args.recalc, kind=kind_of(args.kind, detect=False))
    except UnusableInput as e:
        if args.csv is not None:
            write_atomically(args.csv, csv_text([_unusable(str(path), str(e), "text", start)]))
        return _fail(f"{path}: {e}")
    if args.format == "json":
        print_json(report.json_text(result))
    elif args.format == "junit":
        print_xml(report.junit([report.junit_suite(result, time.perf_counter() - start)]))
    else:
        print(report.text(result))
    if args.annotate is not None:
        from sheetnet.check.annotate import annotate

        try:
            n = annotate(result, args.annotate)
        except UnusableInput as e:
            return _fail(f"{path}: --annotate: {e}")
        # stdout stays one JSON / XML document; the note goes to stderr then
        print(f"wrote {args.annotate}: {n} cells marked", file=sys.stdout if args.format == "text" else sys.stderr)
    if args.csv is not None:
        write_atomically(args.csv, csv_text([outcome(str(path), result)]))
    return result.exit_code


def _class(args, paths: list[Path], tol) -> int:
    import json

    from sheetnet.check import report
    from sheetnet.check.batch import csv_text, run as run_batch, summary, write_atomically

    outcomes, seconds, jobs = run_batch(paths, fmt=args.format, tol=tol, recalc=args.recalc, jobs=args.jobs, kind=args.kind)
    if args.format == "json":
        print_json(json.dumps({"schema": "sheetnet-check-batch/1", "seconds": round(seconds, 3),
                               "workbooks": [o.json for o in outcomes]}, ensure_ascii=False, indent=2))
    elif args.format == "junit":
        print_xml(report.junit([o.junit for o in outcomes]))
    else:
        print(summary(outcomes, seconds, jobs))
    if args.csv is not None:
        write_atomically(args.csv, csv_text(outcomes))
        if args.format == "text":
            print(f"wrote {args.csv}")
    return max(o.exit_code for o in outcomes)


def _fail(message: str) -> int:
    print(f"sheetnet: {message}", file=sys.stderr)
    return EXIT_UNUSABLE
