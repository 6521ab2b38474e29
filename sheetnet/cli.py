"""The `sheetnet` command: argument parsing, exit codes, and one clear line for every bad input."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import warnings

from sheetnet.commands import NAMES
from sheetnet.commands.common import EXIT_OK, EXIT_UNUSABLE
from sheetnet.errors import UnusableInput
from sheetnet.i18n import LANGUAGES, _, normalize, set_language


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sheetnet",
        description=_("Mirror the workbooks of 'The Mathematics of Deep Learning' in NumPy, cell by cell."),
    )
    p.add_argument("--lang", choices=tuple(LANGUAGES), metavar="{" + ",".join(LANGUAGES) + "}",
                   help=_("the language of every text sheetnet prints and writes: en, zh (简体中文), ja (日本語); "
                          "default: the locale ($SHEETNET_LANG, LANGUAGE, LC_ALL, LANG; Windows: the display language)"))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in NAMES:
        importlib.import_module(f"sheetnet.commands.{name}").register(sub)
    return p


def _language_option(argv: list[str]) -> tuple[str | None, list[str]]:
    """--lang X (or --lang=X) wherever it is on the command line, and the arguments without it."""
    lang, rest, k = None, [], 0
    while k < len(argv):
        a = argv[k]
        if a == "--":
            rest += argv[k:]
            break
        if a == "--lang" and k + 1 < len(argv):
            lang, k = argv[k + 1], k + 2
            continue
        if a.startswith("--lang="):
            lang, k = a.split("=", 1)[1], k + 1
            continue
        rest.append(a)
        k += 1
    return lang, rest


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so that half-written temporary files are removed."""


def _on_sigterm(signum, frame):
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang, argv = _language_option(argv)
    if lang is not None and normalize(lang) is None:
        set_language()
        return _fail(_("--lang {lang}: choose en, zh or ja").format(lang=lang))
    set_language(lang)  # before the parser exists: --help and argparse's own messages are translated too
    args = _parser().parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
    try:
        return _run(args)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _run(args) -> int:
    subject = getattr(args, args.subject, None)
    try:
        with warnings.catch_warnings():
            # NumPy's overflow / invalid-value notes on a student's extreme numbers (1e308 …) are not
            # for the user: the results say what happened, in cells. Only sheetnet's own lines warn.
            warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"sheetnet\.")
            return args.run(args)
    except UnusableInput as e:
        return _fail(f"{e.subject if e.subject is not None else subject}: {e}")
    except BrokenPipeError:  # `sheetnet … | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return _fail("interrupted", code=130)
    except _Terminated:
        return _fail("terminated", code=143)
    except MemoryError:
        return _fail(f"{subject}: out of memory")
    except Exception as e:  # a bug of ours: still one line, never a traceback for the user
        return _fail(f"{subject}: internal error ({type(e).__name__}: {e}); please report it")


def _fail(message: str, code: int = EXIT_UNUSABLE) -> int:
    print(f"sheetnet: {message}", file=sys.stderr)
    return code
