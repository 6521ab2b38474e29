"""One BLAS thread for sheetnet's own numeric calls.

sheetnet's matrices are tiny (a few thousand numbers at most): a second BLAS thread only spins,
and when another process holds a core (a teacher's laptop, a CI runner, the other worker of a class
check) the spinning costs 2–3× the whole computation. The pool is limited in-process with
threadpoolctl, for the libraries loaded when the limit is taken (NumPy's OpenBLAS; SciPy's own
copy where the solver imports it), and restored afterwards — nobody has to set environment variables.
"""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def one_thread():
    """Within: every BLAS library loaded so far runs on one thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an install without it: only slower under load
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
