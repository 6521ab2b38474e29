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


def own_process() -> None:
    global _OWNED
    _OWNED = True


def freeze_what_is_alive() -> None:
    """gc.freeze(), in a process sheetnet owns whose collector is on (else nothing)."""
    if _OWNED and gc.isenabled():
        gc.freeze()
