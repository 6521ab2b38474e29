"""Ctrl-C and SIGTERM during a class check, and signals Python could not raise where they came.

A class check stops its workers at once (one of them is made to wait forever on a workbook through
SHEETNET_PHASES: the command can only end if it stops that worker), keeps the rows it finished (the
CSV gets every workbook, those not checked saying so), ends with one line and 130 / 143, and no
worker prints a traceback. Synchronized on the phase lines the command prints, never on sleeps.
"""

from __future__ import annotations

import csv
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sheetnet import interrupts
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook
from test_atomic_writes import finish, send, start, wait_for

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and process groups")

CODES = {"SIGINT": (130,), "SIGTERM": (143,)}
WORDS = {"SIGINT": "interrupted", "SIGTERM": "terminated"}


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class") / "class"
    folder.mkdir()
    good = folder / "s1.xlsx"
    write_book_workbook(good, chapter3_params("initial"))
    for k in range(2, 7):
        (folder / f"s{k}.xlsx").write_bytes(good.read_bytes())
    return folder


def _rows(path: Path) -> dict[str, dict]:
    return {Path(r["file"]).name: r for r in csv.DictReader(path.read_text("utf-8-sig").splitlines())}


def _stop_class(klass: Path, tmp_path: Path, jobs: int, sig: str):
    """check the class with `jobs` processes, stopped by `sig` while a worker is on s4.xlsx."""
    proc = start([sys.executable, "-m", "sheetnet", "check", str(klass), "-j", str(jobs), "--csv", str(tmp_path / "g.csv")],
                 "checking s4.xlsx", cwd=tmp_path)
    # two workers: the other one has also finished the other five and idles (the command said "checked 5")
    wait_for(proc, "sheetnet-phase: checking s4.xlsx", *(["sheetnet-phase: checked 5"] if jobs > 1 else []))
    send(proc, getattr(signal, sig))
    out, err = finish(proc)
    assert proc.returncode in CODES[sig], (proc.returncode, err)
    return proc, out, err


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_one_process_keeps_the_rows_it_finished(sig, klass, tmp_path):
    # -j 1 checks in the command's own process, in order: stopped while on s4, s1–s3 are done
    proc, out, err = _stop_class(klass, tmp_path, 1, sig)
    assert out == ""
    assert err == [f"sheetnet: {WORDS[sig]}: 3 of 6 workbooks checked; {tmp_path / 'g.csv'} holds their rows "
                   f"(the others say 'not checked')"], err
    rows = _rows(tmp_path / "g.csv")
    assert [(name, r["status"]) for name, r in sorted(rows.items())] == [
        ("s1.xlsx", "ok"), ("s2.xlsx", "ok"), ("s3.xlsx", "ok"),
        ("s4.xlsx", "not checked"), ("s5.xlsx", "not checked"), ("s6.xlsx", "not checked")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.csv"]


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_workers_are_stopped_at_once_and_print_nothing(sig, klass, tmp_path):
    # Two workers: the one given s4 waits there for ever; the other finishes the rest and idles.
    # Ctrl-C reaches all three processes (SIGTERM only the parent). The command can only end by
    # stopping the waiting worker; no worker may print a traceback. (A worker stopped in the middle of
    # a workbook, wherever that is, is what the tests of worker_task and _stop_workers below are for.)
    proc, out, err = _stop_class(klass, tmp_path, 2, sig)
    assert len(err) == 1 and err[0].startswith(f"sheetnet: {WORDS[sig]}: ") and "of 6 workbooks checked" in err[0], err
    rows = _rows(tmp_path / "g.csv")
    assert sorted(rows) == [f"s{k}.xlsx" for k in range(1, 7)]
    assert rows["s4.xlsx"]["status"] == "not checked"
    assert {r["status"] for r in rows.values()} <= {"ok", "not checked"}
    assert _group_gone(proc.pid)  # no worker left behind


def test_a_signal_turned_into_another_error_still_ends_as_the_signal(tmp_path, capsys, monkeypatch):
    # NumPy's C code reports an interrupted import as an ImportError: without the recorded signal
    # this was "internal error (ImportError: …); please report it", exit 2.
    from sheetnet.mirror import recompute

    def interrupted_import(*a, **k):
        try:
            signal.raise_signal(signal.SIGTERM)
        except interrupts.Terminated:
            raise ImportError("PyCapsule_Import could not import module \"datetime\"") from None
        raise AssertionError("the handler did not raise")
    monkeypatch.setattr(recompute, "recompute", interrupted_import)
    assert main(["recompute", str(tmp_path / "x.xlsx")]) == 143
    assert capsys.readouterr().err == "sheetnet: terminated\n"


def test_a_signal_python_could_not_raise_is_not_printed_and_still_ends_the_command(tmp_path, capsys, monkeypatch):
    # A signal handled while a finalizer runs: Python prints "Exception ignored in … Traceback" and
    # goes on. Now nothing is printed, and the command ends as the signal says when it finishes.
    from sheetnet.mirror import recompute

    real = recompute.recompute

    class Finalizer:
        def __del__(self):
            signal.raise_signal(signal.SIGTERM)

    def recompute_with_a_finalizer(*a, **k):
        Finalizer()  # dropped at once: __del__ runs here, the handler raises inside it
        return real(*a, **k)
    monkeypatch.setattr(recompute, "recompute", recompute_with_a_finalizer)
    path = tmp_path / "a.xlsx"
    write_book_workbook(path, chapter3_params("initial"))
    assert main(["recompute", str(path)]) == 143
    captured = capsys.readouterr()
    assert "1922 of 1922 agree" in captured.out  # it did finish
    assert captured.err == "sheetnet: terminated\n", captured.err


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_worker_stopped_while_writing_a_copy_leaves_no_temporary_file(sig, klass, tmp_path):
    # Each worker writes its workbook's annotated copy itself: stopped in the middle of that write,
    # it removes the temporary file before it ends. Signalled once both workers say they are there:
    # after the first "write" alone, the other worker was anywhere in its check.
    copies = tmp_path / "copies"
    proc = start([sys.executable, "-m", "sheetnet", "check", str(klass), "-j", "2", "--annotate", str(copies),
                  "--csv", str(tmp_path / "g.csv")], "write", cwd=tmp_path)
    wait_for(proc, "sheetnet-phase: write", "sheetnet-phase: write")
    send(proc, getattr(signal, sig))
    out, err = finish(proc)
    assert proc.returncode in CODES[sig], (proc.returncode, err)
    assert len(err) == 1 and err[0].startswith(f"sheetnet: {WORDS[sig]}: "), err
    assert not [p.name for p in copies.iterdir() if not p.name.endswith(".xlsx")], list(copies.iterdir())
    assert "not checked" in {r["status"] for r in _rows(tmp_path / "g.csv").values()}
    assert _group_gone(proc.pid)


# A worker stopped in the middle of a workbook: the Terminated its SIGTERM raises does not always come
# back to worker_task. Each case here is what once let a worker go on to its next workbook while the
# command waited for it (for ever, when that workbook waited in a phase: a CI run's 120 s timeout).
WORKER = """
import signal, sys
from sheetnet import interrupts

interrupts.worker_init()
sys.unraisablehook = lambda hook_args: None  # what a worker inherits from the command (interrupts.handling)


class Finalizer:
    def __del__(self):
        signal.raise_signal(signal.SIGTERM)


def workbook(how):
    if how == "finalizer":
        Finalizer()  # the Terminated is raised in __del__, where Python drops it
    elif how == "turned":
        try:
            signal.raise_signal(signal.SIGTERM)
        except interrupts.Terminated:
            raise ValueError("C code reported the interruption as its own error") from None
    print("went on", flush=True)


if sys.argv[1] == "escaped":  # raised just outside worker_task's try: the pool's loop takes it as a result
    interrupts._in_task = True
    try:
        signal.raise_signal(signal.SIGTERM)
    except interrupts.Terminated:
        pass
    interrupts._in_task = False
else:
    with interrupts.worker_task():
        try:
            workbook(sys.argv[1])
        except ValueError:  # check_one makes it the row's "internal error", and returns the row
            pass
with interrupts.worker_task():
    print("took the next workbook", flush=True)
"""


@pytest.mark.parametrize("how", ["finalizer", "turned", "escaped"])
def test_a_worker_whose_stop_was_lost_on_the_way_takes_no_other_workbook(how):
    proc = subprocess.run([sys.executable, "-c", WORKER, how], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 143, (proc.returncode, proc.stderr)
    assert proc.stdout == ("went on\n" if how == "finalizer" else ""), proc.stdout
    assert proc.stderr == ""


def _deaf_to_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _say_and_wait(fd: int) -> None:
    os.write(fd, b"running\n")
    while True:
        signal.pause()


def test_a_worker_that_does_not_leave_when_stopped_is_killed():
    # The command's stop waits for its workers only so long: a worker still there after the grace
    # (deaf to SIGTERM here; in life one that went on past its stop) is killed, and the stop returns.
    from concurrent.futures import ProcessPoolExecutor

    from sheetnet.check.batch import _stop_workers

    read, write = os.pipe()
    pool = ProcessPoolExecutor(max_workers=1, initializer=_deaf_to_sigterm)
    pool.submit(_say_and_wait, write)
    (worker,) = pool._processes.values()
    try:
        ready, _, _ = select.select([read], [], [], 120)
        assert ready and os.read(read, 8) == b"running\n"  # the worker is in its task
        manager = pool._executor_manager_thread
        _stop_workers(pool, grace=0.2)
        assert not manager.is_alive()  # the pool's thread reaped the worker and ended
        assert worker.exitcode == -signal.SIGKILL
    finally:
        os.close(read)
        os.close(write)
        if worker.exitcode is None:  # failed: leave no deaf worker behind, for pytest's own exit waits for it
            os.kill(worker.pid, signal.SIGKILL)
