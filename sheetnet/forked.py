"""Work done on the machine's second core by a forked child process, or else here.

Reading a cell is Python (sheetnet.xlsx.sheetxml's scanner): on the iterated workbooks' 250,000-cell
sheets it is half of a check, and one process uses one core. A child forked from this process shares
everything read so far without copying it, does its part and hands back a picklable result.

Only where that is safe and pays (`available`): a process sheetnet owns (the command line: `allow`; a
class check's workers have the other worker beside them, and a program that uses sheetnet as a library
gets no process it did not ask for), Linux (fork() of a process whose libraries may not be forked —
Accelerate on macOS — or no fork() at all, Windows: the work is done here), one thread in this process
(a fork copies only the calling thread: a lock another one held would stay locked in the child), two
CPUs this process may use, and one of them idle by the last minute's load average (the two processes
together use 20–25 % more CPU than one, on this project's VM: the child's pages copied on write; on a
busy machine that is only a cost). No child can be made (the user's processes or files at their limit): the
work is done here. Whatever goes wrong in the child — an exception, a signal, killed for
memory — its result is None, and the caller does the work itself: the same answer, later.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

_ALLOWED = False  # allow() was called: this process is sheetnet's command line


def allow() -> None:
    """This process is sheetnet's own (the command line): it may fork children for work."""
    global _ALLOWED
    _ALLOWED = True


def available() -> bool:
    """May work go to a forked child now (see the module's text)?"""
    if not (_ALLOWED and sys.platform.startswith("linux") and hasattr(os, "fork")):
        return False
    if threading.current_thread() is not threading.main_thread() or threading.active_count() > 1:
        return False
    started_by = sys.modules.get("multiprocessing")  # (imported by whatever started us through it)
    if started_by is not None and started_by.parent_process() is not None:
        return False  # a class check's worker (it inherits allow()): the other worker has the other core
    try:
        cpus = len(os.sched_getaffinity(0))
        return len(os.listdir("/proc/self/task")) == 1 and cpus >= 2 and os.getloadavg()[0] < cpus - 0.5
    except OSError:
        return False


def start(work) -> "Child | None":
    """A child doing `work()`, or None when none can be made (no process or pipe left to this user)."""
    try:
        return Child(work)
    except OSError:
        return None


class Child:
    """A forked child doing `work()`; result() is its return value, or None when it could not give one."""

    def __init__(self, work):
        from sheetnet import interrupts

        read, write = os.pipe()
        try:
            with interrupts.blocked():  # no Ctrl-C between the fork and the child's own handlers
                pid = os.fork()
                if pid == 0:
                    os.close(read)
                    _child(work, write)  # never returns
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)
        self._pid, self._read = pid, read
        try:
            interrupts.phase("forked")  # (tests stop the command here: the child must not outlive it)
        except BaseException:
            self.stop()
            raise

    def result(self):
        """The child's return value (waits for it), or None: it failed, or was stopped."""
        if self._read is None:
            return None
        import pickle  # (here, not at start-up: the command line imports this module for allow())

        chunks, ended = [], False
        try:
            while chunk := os.read(self._read, 1 << 20):
                chunks.append(chunk)
            ended = True  # the child closed the pipe: it is leaving
        finally:
            self.stop(ended)
        try:
            ok, value = pickle.loads(b"".join(chunks))
        except Exception:  # cut short: the child died on the way
            return None
        return value if ok else None

    def stop(self, ended: bool = False) -> None:
        """End the child at once (ended: it closed the pipe and leaves by itself) and collect it. Idempotent."""
        if self._read is not None:
            os.close(self._read)
            self._read = None
        if self._pid:
            if not ended:
                try:
                    os.kill(self._pid, signal.SIGKILL)  # (gone already: its exit is collected below)
                except ProcessLookupError:
                    pass
            os.waitpid(self._pid, 0)
            self._pid = 0

    def __enter__(self) -> "Child":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _child(work, write: int) -> None:
    """The child's whole life: the work, its result down the pipe, and out — never back into the caller's
    code, nor through its exit handlers or buffered output (os._exit)."""
    import pickle

    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops us (stop())
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_SETMASK, set())
        try:
            payload = pickle.dumps((True, work()), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # the caller does the work itself, and meets the error in its own order
            payload = pickle.dumps((False, None))
        with open(write, "wb") as out:
            out.write(payload)
        code = 0
    except BaseException:
        pass
    finally:
        os._exit(code)
