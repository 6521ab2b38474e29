"""The `sheetnet` command: argument parsing, exit codes, and one clear line for every bad input."""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import signal
import sys
import warnings

from sheetnet import __version__, interrupts
from sheetnet.commands import NAMES
from sheetnet.commands.common import EXIT_OK, EXIT_UNUSABLE
from sheetnet.errors import BadOption, UnusableInput
from sheetnet.i18n import LANGUAGES, _, normalize, set_language


class UsageError(Exception):
    """A command line argparse refuses, said in one line (argparse's own message inside it)."""

    def __init__(self, prog: str, message: str):
        super().__init__(_("{where}: {problem} (see {prog} --help)").format(
            where=prog.replace(" ", ": ", 1), problem=message, prog=prog))


class _Formatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal; a text of several lines (the examples) kept as written."""

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """argparse, but a refused command line raises UsageError instead of printing the usage block."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(self.prog, message)


def _parser(only: str | None = None) -> Parser:
    """The command line's parser; `only`: with that command's parser alone (the others are then not
    imported nor built, which is 1–2 % of a small check's time; --help and a wrong command name ask
    for them all)."""
    p = Parser(
        prog="sheetnet",
        description=_("Mirror the workbooks of 'The Mathematics of Deep Learning' in NumPy, cell by cell."),
        epilog=_("examples:\n"
                 "  sheetnet check my.xlsx                  grade a student's workbook\n"
                 "  sheetnet answer -o answer.xlsx          the teacher's answer workbook\n"
                 "  sheetnet COMMAND --help                 what a command does, with examples"),
    )
    p.add_argument("--version", action="version", version=f"sheetnet {__version__}",
                   help=_("show program's version number and exit"))  # Python 3.11 leaves it untranslated
    p.add_argument("--lang", choices=tuple(LANGUAGES), metavar="{" + ",".join(LANGUAGES) + "}",
                   help=_("the language of every text sheetnet prints and writes: en, zh (简体中文), ja (日本語); "
                          "default: the locale ($SHEETNET_LANG, LANGUAGE, LC_ALL, LANG; Windows: the display language)"))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in NAMES if only is None else (only,):
        importlib.import_module(f"sheetnet.commands.{name}").register(sub)
    return p


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line (without --lang) → its namespace; UsageError naming the command and the problem."""
    args, extra = _parser(argv[0] if argv and argv[0] in NAMES else None).parse_known_args(argv)
    if extra:  # found by the top-level parser, which does not know whose they were: say it
        after_command = argv.index(args.command) < argv.index(extra[0]) if extra[0] in argv else True
        raise UsageError(f"sheetnet {args.command}" if after_command else "sheetnet",
                         _("unrecognized arguments: %s") % " ".join(extra))  # argparse's own text
    return args


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


def main(argv: list[str] | None = None) -> int:
    from sheetnet import blas, collector, forked

    blas.at_start()  # before NumPy is imported: its BLAS then loads with one thread (sheetnet.blas says why)
    collector.own_process()  # the command's process is ours: what lives long may leave the collector's scans
    forked.allow()  # … and it may fork a child for work on a second core (a huge sheet's second half)
    collector.starting()  # on again when the command begins its work (_run), or here at the end
    try:
        return _main_tolerant(argv)
    finally:
        collector.started()


def _main_tolerant(argv: list[str] | None) -> int:
    from sheetnet import console

    with console.tolerant():  # nothing we print may end the command: the console shows what it can
        try:
            with interrupts.handling():  # Ctrl-C / SIGTERM: one line and 130 / 143 (see sheetnet.interrupts)
                code = _main(argv)
        except BaseException as e:
            if interrupts.pending() is None and not isinstance(e, (KeyboardInterrupt, interrupts.Terminated)):
                raise
            return _stopped(e)
        if interrupts.pending() is not None:  # a signal swallowed on the way: the command did finish, but say so
            return _stopped(None)
        return code


def _main(argv: list[str] | None) -> int:
    from sheetnet import progress

    argv = list(sys.argv[1:] if argv is None else argv)
    lang, argv = _language_option(argv)
    if lang is not None and normalize(lang) is None:
        set_language()
        return _fail(_("--lang {lang}: choose en, zh or ja").format(lang=lang))
    set_language(lang)  # before the parser exists: --help and argparse's own messages are translated too
    try:
        args = parse(argv)
    except UsageError as e:
        return _fail(str(e), prefix=False)
    except SystemExit as e:  # --help, --version: printed, and done
        return e.code if isinstance(e.code, int) else EXIT_OK
    interrupts.phase("ready")
    with progress.shown():  # on a terminal, for work that takes long
        return _run(args)


def _stopped(e: BaseException | None) -> int:
    signum = interrupts.pending()
    if signum is None:
        signum = signal.SIGINT if isinstance(e, KeyboardInterrupt) else signal.SIGTERM
    detail = str(e) if isinstance(e, (KeyboardInterrupt, interrupts.Terminated)) else ""
    word = _("interrupted") if signum == signal.SIGINT else _("terminated")
    return _fail(f"{word}: {detail}" if detail else word, code=interrupts.EXIT_CODES[signum])


def _run(args) -> int:
    subject = getattr(args, args.subject, None)
    if isinstance(subject, list):  # check's files: name the one, not a list
        subject = subject[0] if len(subject) == 1 else None
    try:
        with warnings.catch_warnings():
            # NumPy's and SciPy's overflow / invalid-value notes on a student's extreme numbers (1e308 …)
            # are not for the user, wherever they arise: the results say what happened, in cells.
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            import numpy  # noqa: F401 (loaded first, so that its BLAS is the one limited)

            from sheetnet import collector
            from sheetnet.blas import one_thread

            collector.started()  # the command's work begins: its garbage is the collector's again

            with one_thread(), _reader_may_leave():
                code = args.run(args)
                try:
                    sys.stdout.flush()  # what is still buffered: a full stdout fails here, not at exit with a traceback
                except OSError as e:
                    return _stdout_failed(e)
        return code
    except BaseException:
        if interrupts.pending() is not None:  # whatever the signal turned into (an ImportError …)
            raise
        return _failure(subject)


class _StdoutWhoseReaderMayLeave:
    """The standard output while a command runs. When its reader leaves (a closed pipe: `sheetnet check
    … | head`), the rest goes to the null device and the command carries on: the files it was asked
    for (--annotate, --csv …) are still written, and its exit code is still its verdict."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._left()
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._left()

    def _left(self):
        _to_null_device(self._stream)

    def __getattr__(self, name):  # encoding, isatty, reconfigure …: the stream's own
        return getattr(self._stream, name)


@contextlib.contextmanager
def _reader_may_leave():
    stream = sys.stdout
    if stream is not None:
        sys.stdout = _StdoutWhoseReaderMayLeave(stream)
    try:
        yield
    finally:
        if stream is not None:
            sys.stdout = stream


def _failure(subject) -> int:
    """The exception being handled → one line and the exit code."""
    try:
        raise
    except BadOption as e:
        return _fail(str(e))
    except UnusableInput as e:
        return _fail(_about(e.subject if e.subject is not None else subject, str(e)))
    except BrokenPipeError:  # `sheetnet … | head`: the reader left; say nothing more
        _to_null_device(sys.stdout)
        return EXIT_OK
    except MemoryError:
        return _fail(_about(subject, _("out of memory")))
    except Exception as e:
        if isinstance(e, OSError) and e.filename is None and e.errno in _FULL:
            # files are written through sheetnet.outputs, which names them: this is print() on a
            # stdout that cannot take more (`> /dev/full`, a full disk)
            return _stdout_failed(e)
        # a bug of ours: still one line, never a traceback for the user
        return _fail(_about(subject, _("internal error ({error}); please report it").format(
            error=f"{type(e).__name__}: {e}")))


def _about(subject, message: str) -> str:
    return f"{subject}: {message}" if subject is not None else message


_FULL = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EIO") if hasattr(errno, name)}


def _stdout_failed(e: OSError) -> int:
    """One line; stdout then goes to the null device, so that the interpreter's last flush at exit
    does not fail again with a traceback."""
    _to_null_device(sys.stdout)
    return _fail(_("cannot write to the standard output ({reason})").format(reason=e.strerror or e))


def _to_null_device(stream) -> None:
    """What is still written to the stream (its descriptor) goes to the null device from now on."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)
    except (OSError, ValueError):
        pass


def _fail(message: str, code: int = EXIT_UNUSABLE, prefix: bool = True) -> int:
    try:
        print(f"sheetnet: {message}" if prefix else message, file=sys.stderr)
    except (OSError, ValueError):  # stderr itself gone: the exit code still says it
        pass
    return code
