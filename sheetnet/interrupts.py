"""Ctrl-C and SIGTERM: one line and exit 130 / 143, whenever the signal comes.

The handlers are installed before anything else is imported (sheetnet/__main__.py). Until the
command runs they only record the signal: an exception raised in the middle of an import can be
turned into another error by C code (NumPy reports an ImportError) or printed as "Exception
ignored … Traceback"; nothing needs cleaning up then, so the command stops at its first step.
While it runs, the first signal raises KeyboardInterrupt (SIGINT) or Terminated (SIGTERM), so
temporary files are removed on the way out and a class check keeps the rows it finished; further
signals are only recorded, so that clean-up is not itself interrupted. Whatever exception a
recorded signal turned into, the command ends with the signal's line and code
(sheetnet.cli), and an interrupt Python could not raise is not printed (sys.unraisablehook).

SHEETNET_PHASES (documented in the README) makes a command say on stderr, one line each
('sheetnet-phase: write'), when it reaches a phase: start (handlers installed, nothing imported
yet), ready (arguments parsed), write (the temporary file exists), replace (written and synced, not
yet renamed), written, checking FILE (a worker starts a workbook), checked N (N workbooks done),
forked (a child reads a huge sheet's second half, sheetnet.forked).
Set to one of those names it also waits there until a signal comes, so a test can stop the
command exactly in that phase instead of guessing with sleeps.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that temporary files are removed on the way out."""


_pending: int | None = None  # the first signal received
_armed = False  # raise on the first signal (the command runs), or only record it (still starting)
_installed = False


def _on_signal(signum, frame):
    global _pending
    if _pending is not None:
        return  # a second Ctrl-C must not interrupt the clean-up of the first
    _pending = signum
    if _armed:
        raise exception_for(signum)


def exception_for(signum: int, detail: str = "") -> BaseException:
    return (KeyboardInterrupt if signum == signal.SIGINT else Terminated)(*([detail] if detail else []))


def pending() -> int | None:
    """The signal received, if any."""
    return _pending


def raise_pending() -> None:
    """At a step boundary: raise for a signal that arrived but was swallowed on the way (an import
    turned it into an ImportError that was reported as one workbook's error, say)."""
    if _pending is not None:
        raise exception_for(_pending)


def install() -> None:
    """Record SIGINT and SIGTERM from now on (main thread only; idempotent)."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    for signum in EXIT_CODES:
        signal.signal(signum, _on_signal)
    _installed = True
    phase("start")


@contextmanager
def handling():
    """While a command runs: signals raise (see the module's text); then the previous handlers return."""
    global _armed, _pending, _installed
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in EXIT_CODES}
    fresh = not _installed
    if fresh:
        _pending = None
    install()
    previous_hook = sys.unraisablehook

    def unraisable(hook_args):
        if isinstance(hook_args.exc_value, (KeyboardInterrupt, Terminated)):
            return  # recorded in _pending: the command stops at its next step, and says so in one line
        previous_hook(hook_args)
    sys.unraisablehook = unraisable
    _armed = True
    try:
        if _pending is not None:  # came while starting: stop before doing anything
            raise exception_for(_pending)
        yield
    finally:
        _armed = False
        sys.unraisablehook = previous_hook
        if fresh:  # called in-process (tests): leave the caller's handlers as they were
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            _installed = False


def worker_init() -> None:
    """In a class check's worker process: Ctrl-C reaches the whole process group, but only the parent
    decides (no worker prints a traceback); SIGTERM from the parent ends a worker at once (see
    worker_task)."""
    import warnings

    global _worker, _pending
    _worker = True
    _pending = None  # the worker's own stop (a signal the parent recorded before forking is the parent's)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_on_sigterm)
    if hasattr(signal, "pthread_sigmask"):  # blocked by the parent while it started us (see blocked())
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(EXIT_CODES))
    warnings.filterwarnings("ignore", category=RuntimeWarning)  # spawned workers (Windows) do not inherit ours


_worker = False  # this process is a class check's worker
_in_task = False  # … and it is checking a workbook now


def _worker_on_sigterm(signum, frame):
    global _pending
    _pending = signum  # remembered: the worker ends with this workbook whatever becomes of the exception
    if _in_task:
        raise Terminated  # through the workbook's clean-up (a half-written copy's temporary file) first
    os._exit(EXIT_CODES[signal.SIGTERM])  # idle: nothing to clean up, and no traceback from the pool's loop


@contextmanager
def worker_task():
    """Around one workbook's work in a worker: stopped by the parent, the worker removes what it was
    writing and then ends, instead of handing the pool an exception and taking the next workbook.

    The Terminated raised for the stop does not always come back here: raised in a finalizer
    (__del__, a weakref callback) Python drops it, C code can turn it into another error (a row's
    "internal error"), and raised just outside the try below it reaches the pool's loop, which hands
    it to the parent as the workbook's exception and takes the next one (CPython gh-125886). A worker
    that went on after its stop then held the parent's stop for as long as its queued workbooks took,
    or for ever in a phase wait (SHEETNET_PHASES). So the stop is also remembered (_pending), and a
    task that ends, or a next one that begins, after it ends the worker."""
    global _in_task
    if not _worker:
        yield
        return
    if _pending is not None:  # stopped, and the Terminated escaped the last task: take no other
        os._exit(EXIT_CODES[signal.SIGTERM])
    _in_task = True
    try:
        yield
    except Terminated:
        os._exit(EXIT_CODES[signal.SIGTERM])
    finally:
        _in_task = False
        if _pending is not None:  # the Terminated was dropped or turned into another error on the way
            os._exit(EXIT_CODES[signal.SIGTERM])


@contextmanager
def blocked():
    """Hold SIGINT and SIGTERM back while worker processes are started: a forked worker would otherwise
    run our raising handler until worker_init replaces it. They are delivered when this ends."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, set(EXIT_CODES))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def phase(name: str) -> None:
    """Mark a phase (only when SHEETNET_PHASES is set); wait there when it names this phase."""
    wanted = os.environ.get("SHEETNET_PHASES")
    if not wanted:
        return
    try:
        sys.stderr.write(f"sheetnet-phase: {name}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    if wanted == name:
        deadline = time.monotonic() + 600  # a test that never sends its signal must not leave us forever
        while _pending is None and time.monotonic() < deadline:
            time.sleep(0.01)
