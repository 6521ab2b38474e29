"""`sheetnet check`: grade students' workbooks cell by cell — root causes, diagnoses, a score each."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sheetnet.commands.common import EXIT_UNUSABLE, KIND_CHOICES, check_output_path, path_argument, tolerance
from sheetnet.console import print_json, print_xml
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _, ngettext


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
    p.add_argument("files", nargs="+", type=path_argument, metavar="FILE",
                   help=_("a workbook; several workbooks or a folder of them grade a class"))
    p.add_argument("--format", choices=("text", "json", "junit", "html"), default="text",
                   help=_("text for people (default), json or junit for programs, html: a self-contained page per "
                          "workbook, to read in a browser or on a phone (needs -o)"))
    p.add_argument("-o", "--output", type=Path, metavar="REPORT.html|DIR",
                   help=_("with --format html: the page's file (one workbook) or a folder for a class (one page "
                          "per workbook and index.html linking them)"))
    p.add_argument("--recalc", action="store_true",
                   help=_("let LibreOffice recalculate a copy first (for files saved without values; the file "
                          "is untouched)"))
    p.add_argument("--hints", action="store_true",
                   help=_("for students checking themselves: say what is wrong and where, never the expected formula"))
    p.add_argument("--annotate", type=Path, metavar="OUT.xlsx|DIR",
                   help=_("write a copy of the workbook with each wrong cell filled and commented, and a first "
                          "sheet listing the findings; for a class, a folder: one copy per workbook, named after it"))
    p.add_argument("--csv", type=Path, metavar="GRADES.csv",
                   help=_("write one row per workbook: score, root causes, …"))
    p.add_argument("--kind", choices=KIND_CHOICES, default="auto",
                   help=_("the kind of workbook (default auto: found from each workbook's sheets)"))
    p.add_argument("--rubric", type=Path, metavar="RUBRIC.toml",
                   help=_("points per graded quantity (TOML; docs/check-json.md): a quantity with a root cause "
                          "loses its points (default: 1 point each)"))
    p.add_argument("-j", "--jobs", type=int, help=_("workbooks checked at once (default: one per core)"))
    p.add_argument("--rel", type=float, default=1e-9, help=_("relative tolerance (default 1e-9)"))
    p.add_argument("--abs", type=float, default=1e-12, help=_("absolute tolerance (default 1e-12)"))
    p.set_defaults(run=run, subject="files")


def run(args) -> int:
    from sheetnet.check import rubric
    from sheetnet.check.folders import workbooks

    try:
        _refuse_bad_options(args)
        args.rubric_read = rubric.load(args.rubric) if args.rubric is not None else None
        paths = workbooks(args.files)
        _refuse_clashes(args, paths)
        _prepare_folders(args)
    except UnusableInput as e:
        return _fail(f"{e.subject}: {e}" if e.subject is not None else str(e))
    tol = tolerance(args.rel, args.abs)
    if len(args.files) == 1 and not args.files[0].is_dir():
        return _one(args, paths[0], tol)
    return _class(args, paths, tol)


def _refuse_bad_options(args) -> None:
    one = len(args.files) == 1 and not args.files[0].is_dir()
    if (args.format == "html") != (args.output is not None):
        raise UnusableInput(_("--format html writes files: give -o REPORT.html (a folder for several workbooks)")
                            if args.format == "html" else _("-o names the page that --format html writes"))
    if one:
        for path, option in ((args.annotate, "--annotate"), (args.output, "-o")):
            if path is None or os.path.isdir(path):  # a folder: the file inside it is named after the workbook
                continue
            _output(path, option)  # the workbook itself: refused with the other clashes (_refuse_clashes)
    if args.csv is not None:
        _output(args.csv, "--csv")
    if args.jobs is not None and args.jobs < 1:
        raise UnusableInput(_("--jobs must be 1 or more"))
    tolerance(args.rel, args.abs)


def _prepare_folders(args) -> None:
    """A class's folders for its pages and copies, made last: after every refusal."""
    if len(args.files) == 1 and not args.files[0].is_dir():
        return
    from sheetnet.check.outputs import prepare_folder

    for folder, option in ((args.annotate, "--annotate"), (args.output, "-o")):
        if folder is not None:
            prepare_folder(folder, option, args.files)


def _refuse_clashes(args, paths: list[Path]) -> None:
    """No output may be a workbook being checked, or the other output; and `check --csv c/*.xlsx` (the
    CSV's name forgotten: the shell made the first workbook the CSV) must not overwrite a workbook."""
    from sheetnet.check.folders import looks_like_a_workbook

    named = (("--annotate", args.annotate), ("-o", args.output), ("--csv", args.csv))
    outputs = [(option, path) for option, path in named if path is not None and not os.path.isdir(path)]
    if outputs:  # (no output: nothing can clash)
        from sheetnet.outputs import refuse_clashes

        refuse_clashes(paths, outputs)
    if args.annotate is not None and len(paths) == 1 and not os.path.isdir(args.annotate):  # one copy, named
        from sheetnet.xlsx.patch import refuse_other_extension  # the copy's writer: only when there is a copy

        refuse_other_extension(paths[0], args.annotate, "--annotate")
    if args.csv is not None and looks_like_a_workbook(args.csv):
        raise UnusableInput(_("--csv {path}: is a workbook, not a CSV file (was the CSV's name forgotten?)").format(
            path=args.csv))


def _output(path: Path, option: str) -> None:
    try:
        check_output_path(path)
    except UnusableInput as e:
        raise UnusableInput(f"{option} {path}: {e}") from None


def _one(args, path: Path, tol) -> int:
    import time

    from sheetnet.check import report
    from sheetnet.check.checker import check
    from sheetnet.commands.common import kind_of

    # the class check's rows (--csv) and the written files (-o, --annotate) only when asked for: a plain
    # check does not load their modules
    outputs = _outputs(args, [path], single=True) if args.output is not None or args.annotate is not None else None
    try:  # before any work: a copy into a folder named after the workbook may be the workbook itself
        if outputs is not None:
            outputs.refuse_overwriting([path])
    except UnusableInput as e:
        return _fail(f"{path}: {e}")
    start = time.perf_counter()
    try:
        result = check(path, tol=tol, recalc=args.recalc, kind=kind_of(args.kind, detect=False), rubric=args.rubric_read,
                       hints=args.hints)
    except UnusableInput as e:
        if args.csv is not None:
            from sheetnet.check.batch import _unusable, write_csv

            write_csv(args.csv, [_unusable(str(path), str(e), "text", start)])
        return _fail(f"{path}: {e}")
    if args.format == "json":
        print_json(report.json_text(result))
    elif args.format == "junit":
        print_xml(report.junit([report.junit_suite(result, time.perf_counter() - start)]))
    elif args.format == "html":
        print(_("{right} of {cells} computed cells right ({score})").format(
            right=result.right, cells=result.graded, score=f"{result.score:.1%}") + ", "
            + ngettext("{n} root cause", "{n} root causes", len(result.root_causes)).format(n=len(result.root_causes)))
    else:
        print(report.text(result))
    try:
        wrote, errors = outputs.write(str(path), result) if outputs is not None else ({}, [])
    except UnusableInput as e:  # e.subject: the output that could not be written
        return _fail(f"{e.subject}: {e}" if e.subject is not None else f"{path}: {e}")
    # stdout stays one JSON / XML document; the notes go to stderr then
    note = sys.stdout if args.format in ("text", "html") else sys.stderr
    if "html" in wrote:
        print(_("wrote {path}").format(path=wrote["html"]), file=note)
    if "annotate" in wrote:
        n = len(result.findings)
        print(ngettext("wrote {path}: {n} cell marked", "wrote {path}: {n} cells marked", n).format(
            path=wrote["annotate"], n=n), file=note)
    if errors:
        option, dst, why = errors[0]
        return _fail(f"{dst}: {why}" if option == "-o" else _unwritten(path, option, dst, why))
    if args.csv is not None:
        from sheetnet.check.batch import outcome, write_csv

        write_csv(args.csv, [outcome(str(path), result)])
    return result.exit_code


def _class(args, paths: list[Path], tol) -> int:
    import json

    from sheetnet.check import report
    from sheetnet.check.batch import Interrupted, run as run_batch, summary, write_csv
    from sheetnet.check.outputs import write_index

    outputs = _outputs(args, paths, single=False)
    try:
        outputs.refuse_overwriting(paths, args.csv)
    except UnusableInput as e:
        return _fail(str(e))
    try:
        outcomes, seconds, jobs = run_batch(paths, fmt=args.format, tol=tol, recalc=args.recalc, jobs=args.jobs,
                                            kind=args.kind, outputs=outputs if outputs.wanted else None,
                                            rubric=args.rubric_read, hints=args.hints)
    except Interrupted as stop:
        raise _kept(args, stop) from None
    if args.format == "json":
        print_json(json.dumps({"schema": "sheetnet-check-batch/1", "seconds": round(seconds, 3),
                               "workbooks": [o.json for o in outcomes]}, ensure_ascii=False, indent=2))
    elif args.format == "junit":
        print_xml(report.junit([o.junit for o in outcomes]))
    else:
        print(summary(outcomes, seconds, jobs))
    failed = [(o.path, *e) for o in outcomes for e in o.output_errors]
    unwritten = _output_failures(failed)
    if args.csv is not None:
        try:
            write_csv(args.csv, outcomes)
        except UnusableInput as e:  # said with the pages' failures: the index is still written after it
            unwritten.append(f"sheetnet: {e.subject if e.subject is not None else args.csv}: {e}")
        else:
            if args.format == "text":
                print(_("wrote {path}").format(path=args.csv))
    for line in unwritten:  # before the index, whose own failure ends the command
        print(line, file=sys.stderr)
    if args.output is not None:
        index = write_index(outcomes, args.output, _("Check of {n} workbooks").format(n=len(outcomes)))
        pages = sum("html" in o.wrote for o in outcomes)
        print(ngettext("wrote {index} and {n} page beside it", "wrote {index} and {n} pages beside it", pages)
              .format(index=index, n=pages))
    if args.annotate is not None:
        copies = sum("annotate" in o.wrote for o in outcomes)
        print(ngettext("wrote {n} annotated copy into {folder}", "wrote {n} annotated copies into {folder}", copies)
              .format(n=copies, folder=args.annotate),
              file=sys.stdout if args.format in ("text", "html") else sys.stderr)
    return max([o.exit_code for o in outcomes] + ([EXIT_UNUSABLE] if unwritten else []))


def _output_failures(failed: list[tuple[str, str, str, str]], shown: int = 3) -> list[str]:
    """A line per page or copy that could not be written — (workbook, option, file, why) — but one why
    shared by many (a full disk, a folder gone) is said a few times and then counted, not 200 times."""
    lines, seen = [], {}
    for path, option, dst, why in failed:
        seen[option, why] = seen.get((option, why), 0) + 1
        if seen[option, why] <= shown:
            lines.append("sheetnet: " + _unwritten(path, option, dst, why))
    for (option, why), n in seen.items():
        if n > shown:
            lines.append("sheetnet: " + ngettext("{option}: {n} more file not written: {why}",
                                                 "{option}: {n} more files not written: {why}", n - shown)
                         .format(option=option, n=n - shown, why=why))
    return lines


def _unwritten(path, option: str, dst: str, why: str) -> str:
    """A page or copy of the workbook at path that could not be written, said in one line."""
    return f"{path}: {option} {dst}: {why}" if dst else f"{path}: {option}: {why}"


def _outputs(args, paths: list[Path], single: bool):
    """Where each workbook's page and annotated copy go (a folder given for one workbook: named after it)."""
    from sheetnet.check.outputs import Outputs, class_names

    hints = bool(getattr(args, "hints", False))
    folders = [p for p in (args.output, args.annotate) if p is not None and (not single or os.path.isdir(p))]
    names = class_names(paths) if folders else {}
    html, annotate = args.output, args.annotate
    if single:  # a file as given; a folder gets the one workbook's name inside it
        name = names.get(str(paths[0]))
        html = html / (name + ".html") if html is not None and os.path.isdir(html) else html
        annotate = annotate / (name + paths[0].suffix.lower()) if annotate is not None and os.path.isdir(annotate) else annotate
        names = {}
    return Outputs(html, annotate, names, hints)


def _kept(args, stop) -> BaseException:
    """A class check stopped by a signal keeps what it finished: the CSV gets every row (those not
    checked say so), and the signal's one line says how far it came."""
    from sheetnet.check.batch import NOT_CHECKED, write_csv
    from sheetnet.i18n import _

    done, total = stop.checked, len(stop.outcomes)
    if args.csv is not None:
        write_csv(args.csv, stop.outcomes)
        detail = _("{done} of {total} workbooks checked; {csv} holds their rows (the others say '{status}')").format(
            done=done, total=total, csv=args.csv, status=NOT_CHECKED)
    else:
        detail = _("{done} of {total} workbooks checked (with --csv their rows are kept)").format(done=done, total=total)
    return type(stop.cause)(detail)


def _fail(message: str) -> int:
    print(f"sheetnet: {message}", file=sys.stderr)
    return EXIT_UNUSABLE
