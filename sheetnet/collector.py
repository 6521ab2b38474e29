"""The garbage collector in a process that sheetnet owns: the command line's, a class check's workers'.

What a check keeps alive — the modules, a large sheet's hundreds of thousands of cells — holds no reference
cycle and lives as long as the command or the workbook, yet every full collection would walk it again (0.1 s
in a check of cnn-backprop 10). gc.freeze() leaves what is alive out of the collector's generations; the
objects are still freed by their reference counts. That is an act for the whole process, so only a process
sheetnet owns does it (`own_process`, called by the command line and a class check's worker): a program that
uses sheetnet as a library keeps its collector as it was.
"""

from __future__ import annotations

import gc

_OWNED = False  # own_process() was called: this process is sheetnet's command line or one of its workers
_FIRST_START = True  # the process's first command line has not begun
_STARTING = False  # starting() turned the collector off until started()


def own_process() -> None:
    global _OWNED
    _OWNED = True


def freeze_what_is_alive() -> None:
    """gc.freeze(), in a process sheetnet owns whose collector is on (else nothing)."""
    if _OWNED and gc.isenabled():
        gc.freeze()


def starting() -> None:
    """The process's first command line begins: the collector is off until started(). What the start-up
    makes (the modules NumPy and sheetnet import, the parser) lives as long as the process: collections
    during it would walk only objects that are never garbage, and started() then leaves them out of every
    later one (together 4–5 % of a small check's instructions). Only the first: a program that calls the
    command line again and again (the tests) freezes its objects once."""
    global _FIRST_START, _STARTING
    if _FIRST_START and gc.isenabled():
        gc.disable()
        _STARTING = True
    _FIRST_START = False


def started() -> None:
    """The start-up is over (or failed): what it made leaves the collector's scans, which go on as before."""
    global _STARTING
    if _STARTING:
        _STARTING = False
        gc.freeze()
        gc.enable()
