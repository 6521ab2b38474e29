"""Progress on a terminal (tqdm) for long work, and nothing — not even the import — otherwise."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from sheetnet import progress
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook
from sheetnet.mirror.backprop import write_backprop_workbook

ROOT = Path(__file__).resolve().parent.parent


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("progress")
    write_book_workbook(d / "a.xlsx", chapter3_params("initial"))
    write_backprop_workbook(d / "bp.xlsx", iterations=3)
    (d / "class").mkdir()
    for k in range(3):
        shutil.copyfile(d / "a.xlsx", d / "class" / f"s{k}.xlsx")
    return d


def test_a_stage_is_drawn_once_due_and_cleared_when_it_ends():
    tty = _Terminal()
    with progress.shown(tty, delay=0):
        with progress.stage("reading sheet 学习", total=1000, unit="B") as s:
            s.advance(500)
            s.note("half")
        drawn = tty.getvalue()
        for _ in progress.each(range(3), "computing", "iterations"):
            pass
    assert "reading sheet 学习" in drawn and "half" in drawn
    assert drawn.rstrip(" ").endswith("\r")  # the line is blanked: what the command prints next stands alone
    assert "computing" in tty.getvalue()


def test_the_outermost_stage_owns_the_bar():
    tty = _Terminal()
    with progress.shown(tty, delay=0):
        with progress.stage("checking workbooks", total=2, unit="workbooks") as outer:
            with progress.stage("reading sheet 学习", total=10, unit="B") as inner:
                inner.advance(10)
            outer.advance()
    assert "checking workbooks" in tty.getvalue() and "reading" not in tty.getvalue()


def test_nothing_is_drawn_before_the_delay_nor_anywhere_but_a_terminal():
    for stream, delay in ((_Terminal(), 1e9), (io.StringIO(), 0)):
        with progress.shown(stream, delay=delay):
            with progress.stage("long", total=3) as s:
                s.advance(3)
        assert stream.getvalue() == ""


def test_a_class_check_and_training_show_their_own_counters(books, monkeypatch, capsys):
    tty = _Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    monkeypatch.setattr(progress, "DELAY", 0)
    assert main(["check", str(books / "class"), "-j", "1"]) == 0
    assert "checking workbooks:   0%" in tty.getvalue() and "0/3" in tty.getvalue()
    assert "reading sheet" not in tty.getvalue()  # each workbook's own stages stay inside the count
    tty.seek(0), tty.truncate()
    assert main(["train", str(books / "a.xlsx"), "-o", str(books / "t.xlsx"), "--method", "gd",
                 "--iterations", "5"]) == 0
    assert "training (gd)" in tty.getvalue() and "cost 18.3471" in tty.getvalue()
    assert "C_T after" in capsys.readouterr().out


def _python(code: str, books: Path, on_terminal: bool) -> tuple[int, str, bytes]:
    """A fresh interpreter running `code`; stderr on a pseudo-terminal (100 columns) or a pipe."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not on_terminal:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=books, env=env, timeout=300)
        return done.returncode, done.stdout.decode(), done.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=slave, cwd=books, env=env)
    os.close(slave)
    err = b""
    while True:  # until the child closes the terminal: it has exited
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: no writer left
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    out = p.stdout.read().decode()
    return p.wait(timeout=300), out, err


RUN = ("import sys\nfrom sheetnet import progress\nprogress.DELAY = {delay}\nfrom sheetnet.cli import main\n"
       "code = main({argv!r})\nprint('tqdm imported:', 'tqdm' in sys.modules)\nsys.exit(code)\n")


def test_on_a_terminal_a_long_check_shows_its_stages(books):
    code, out, err = _python(RUN.format(delay=0, argv=["check", "bp.xlsx"]), books, on_terminal=True)
    assert code == 0 and "every computed cell is right" in out and "tqdm imported: True" in out
    frames = err.decode().split("\r")
    assert any(f.startswith("reading sheet 误差反向传播:") and "B/s" in f for f in frames), frames[:5]
    assert any(f.startswith("checking the cells:") for f in frames)
    assert not frames[-1].strip()  # and the last one cleared


@pytest.mark.parametrize("on_terminal, delay", [(False, 0), (True, 1e9)])
def test_tqdm_is_not_imported_without_a_terminal_or_before_the_delay(books, on_terminal, delay):
    code, out, err = _python(RUN.format(delay=delay, argv=["check", "bp.xlsx"]), books, on_terminal)
    assert code == 0 and "tqdm imported: False" in out and err.strip() == b""
