"""One BLAS thread for sheetnet's own numeric calls.

sheetnet's matrices are tiny (a few thousand numbers at most): a second BLAS thread only spins,
and when another process holds a core (a teacher's laptop, a CI runner, the other worker of a class
check) the spinning costs 2–3× the whole computation. The pool is limited in-process with
threadpoolctl, for the libraries loaded when the limit is taken (NumPy's OpenBLAS; SciPy's own
copy where a caller has imported SciPy), and restored afterwards — nobody has to set environment variables.

The command line does it more cheaply (`at_start`): OpenBLAS reads its thread count when it loads and
sets up every thread then (≈ 60 ms of CPU of `import numpy` on a 2-core machine, measured), so the
command says "one thread" before NumPy is imported, and threadpoolctl is then not needed at all.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

_ONE_FROM_LOAD = False  # at_start() came before NumPy: every OpenBLAS loads with one thread


def at_start() -> None:
    """The command line's first step: each OpenBLAS loaded from now on (NumPy's, SciPy's) starts with one
    thread, and so do the worker processes of a class check, which inherit the environment. A thread
    count the user set is kept (one_thread() still limits sheetnet's own calls); too late once NumPy is in."""
    global _ONE_FROM_LOAD
    if "numpy" in sys.modules:
        return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _ONE_FROM_LOAD = os.environ["OPENBLAS_NUM_THREADS"] == "1"


@contextmanager
def one_thread():
    """Within: every BLAS library loaded so far runs on one thread."""
    if _ONE_FROM_LOAD and all(_has_openblas(sys.modules[m]) for m in ("numpy", "scipy") if m in sys.modules):
        # loaded with one thread already
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an install without it: only slower under load
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _has_openblas(package) -> bool:
    """NumPy's or SciPy's BLAS reads OPENBLAS_NUM_THREADS (the wheels' OpenBLAS does; MKL, Accelerate … do not)."""
    try:
        blas = package.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError, AttributeError):  # NumPy < 1.26 has no mode="dicts": ask threadpoolctl
        return False
    return "openblas" in str(blas.get("name", "")).lower()
