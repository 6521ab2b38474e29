"""The `sheetnet` command: argument parsing, exit codes, and one clear line for every bad input."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sheetnet.errors import UnusableInput

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2
PARAM_CHOICES = ("initial", "book", "backprop_initial")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sheetnet",
        description="Mirror the workbooks of 'The Mathematics of Deep Learning' in NumPy, cell by cell.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("answer", help="write the book's chapter-3 workbook, every formula with its value")
    a.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx to write")
    a.add_argument("--params", choices=PARAM_CHOICES, default="book",
                   help="book: Solver's result stored in the book (default); initial: the book's starting values")

    e = sub.add_parser("exercise", help="write the student's starting workbook: data, labels, initial parameters")
    e.add_argument("-o", "--output", required=True, type=Path, help="the .xlsx to write")
    e.add_argument("--params", choices=PARAM_CHOICES, default="initial", help="the starting parameters (default initial)")

    r = sub.add_parser("recompute", help="recompute every computed cell of a workbook and compare with its cached values")
    r.add_argument("file", type=Path)
    r.add_argument("--format", choices=("text", "json"), default="text")
    r.add_argument("--rel", type=float, default=1e-9, help="relative tolerance (default 1e-9)")
    r.add_argument("--abs", type=float, default=1e-12, help="absolute tolerance (default 1e-12)")
    r.add_argument("--params", choices=PARAM_CHOICES, default="initial",
                   help="parameters for a workbook without a learning sheet (default initial)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    subject = getattr(args, "file", None) or getattr(args, "output", None)
    try:
        return COMMANDS[args.command](args)
    except UnusableInput as e:
        return _fail(f"{subject}: {e}")
    except BrokenPipeError:  # `sheetnet … | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return _fail("interrupted", code=130)
    except MemoryError:
        return _fail(f"{subject}: out of memory")
    except Exception as e:  # a bug of ours: still one line, never a traceback for the user
        return _fail(f"{subject}: internal error ({type(e).__name__}: {e}); please report it")


def _fail(message: str, code: int = EXIT_UNUSABLE) -> int:
    print(f"sheetnet: {message}", file=sys.stderr)
    return code


def check_output_path(path: Path) -> None:
    """Refuse, before any work, an output we could not or should not write."""
    if not path.parent.is_dir():
        raise UnusableInput(f"cannot write: the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise UnusableInput("cannot write: it is a directory")
    if path.exists() and not (path.stat().st_mode & 0o222):
        raise UnusableInput("cannot write: the file is read-only")
    if not os.access(path.parent, os.W_OK):
        raise UnusableInput(f"cannot write into the folder {str(path.parent)!r}")


def _answer(args, *, exercise: bool = False) -> int:
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    check_output_path(args.output)
    ev = write_book_workbook(args.output, chapter3_params(args.params), exercise=exercise)
    n = len(ev.C)
    kind = "exercise" if exercise else "answer"
    print(f"wrote {args.output} ({kind}, parameters: {args.params}): "
          f"C_T = {ev.C_T:.12g} · {int(ev.right.sum())}/{n} right ({ev.accuracy:.1%})")
    return EXIT_OK


def _recompute(args) -> int:
    from sheetnet.mirror.compare import Tolerance
    from sheetnet.mirror.recompute import recompute
    from sheetnet.report import recompute_json, recompute_text

    result = recompute(args.file, tol=Tolerance(rel=args.rel, abs=args.abs), default_params=args.params)
    print(recompute_json(result) if args.format == "json" else recompute_text(result))
    return EXIT_OK if result.comparison.all_agree else EXIT_FINDINGS


COMMANDS = {
    "answer": _answer,
    "exercise": lambda args: _answer(args, exercise=True),
    "recompute": _recompute,
}
