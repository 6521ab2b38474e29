"""Ctrl-C and SIGTERM during a class check, and signals Python could not raise where they came.

A class check stops its workers at once (one of them is made to wait forever on a workbook through
SHEETNET_PHASES: the command can only end if it stops that worker), keeps the rows it finished (the
CSV gets every workbook, those not checked saying so), ends with one line and 130 / 143, and no
worker prints a traceback. Synchronized on the phase lines the command prints, never on sleeps.
"""

from __future__ import annotations

import csv
import os
import signal
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
    wait_for(proc, "sheetnet-phase: checking s4.xlsx")
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
    # stopping the waiting worker; no worker may print a traceback.
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
    # it removes the temporary file before it ends.
    copies = tmp_path / "copies"
    proc = start([sys.executable, "-m", "sheetnet", "check", str(klass), "-j", "2", "--annotate", str(copies),
                  "--csv", str(tmp_path / "g.csv")], "write", cwd=tmp_path)
    wait_for(proc, "sheetnet-phase: write")
    send(proc, getattr(signal, sig))
    out, err = finish(proc)
    assert proc.returncode in CODES[sig], (proc.returncode, err)
    assert len(err) == 1 and err[0].startswith(f"sheetnet: {WORDS[sig]}: "), err
    assert not [p.name for p in copies.iterdir() if not p.name.endswith(".xlsx")], list(copies.iterdir())
    assert "not checked" in {r["status"] for r in _rows(tmp_path / "g.csv").values()}
    assert _group_gone(proc.pid)
