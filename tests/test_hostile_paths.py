"""Inputs that are not workbook files: a FIFO (opening it would wait forever for a writer), a device,
a dangling or looping symbolic link — as a file argument of recompute, check and train (one line,
exit 2, no hang, nothing written) and inside a folder graded as a class (a row each, saying why).
Each command runs as a real process with a timeout, so a hang fails the test instead of stalling it.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs and symbolic links as POSIX makes them")


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "answer.xlsx"
    write_book_workbook(path, chapter3_params("initial"))
    return path


def _fifo(d: Path) -> Path:
    os.mkfifo(d / "pipe.xlsx")
    return d / "pipe.xlsx"


def _dangling(d: Path) -> Path:
    (d / "gone.xlsx").symlink_to("nowhere.xlsx")
    return d / "gone.xlsx"


def _loop(d: Path) -> Path:
    (d / "loop.xlsx").symlink_to("loop.xlsx")
    return d / "loop.xlsx"


def _device(d: Path) -> Path:
    return Path("/dev/zero")  # endless zeros: read, it would never end


# name → (builder, what the line says)
NOT_FILES = {
    "a FIFO": (_fifo, "is not a regular file (a FIFO)"),
    "a character device": (_device, "is not a regular file (a device)"),
    "a dangling symbolic link": (_dangling, "is a symbolic link to a missing file"),
    "a symbolic link loop": (_loop, "is a symbolic link that loops"),
}

COMMANDS = {
    "recompute": lambda path, d: ["recompute", str(path)],
    "check": lambda path, d: ["check", str(path)],
    "train -o": lambda path, d: ["train", str(path), "-o", str(d / "out.xlsx")],
    "train --in-place": lambda path, d: ["train", str(path), "--in-place"],
    "check --annotate --csv": lambda path, d: ["check", str(path), "--annotate", str(d / "a.xlsx"), "--csv", str(d / "g.csv")],
}


def _sheetnet(argv, cwd: Path):
    return subprocess.run([sys.executable, "-m", "sheetnet", *argv], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(NOT_FILES))
def test_a_file_argument_that_is_not_a_file_is_one_line(case, command, tmp_path):
    make, words = NOT_FILES[case]
    path = make(tmp_path)
    listing = sorted(p.name for p in tmp_path.iterdir())
    run = _sheetnet(COMMANDS[command](path, tmp_path), tmp_path)
    assert run.returncode == 2, run
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"sheetnet: {path}: {words}"), run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    if command == "check --annotate --csv":  # the CSV still gets the workbook's row
        listing.append("g.csv")
        rows = list(csv.DictReader((tmp_path / "g.csv").read_text("utf-8-sig").splitlines()))
        assert [(r["status"], words in r["error"]) for r in rows] == [("unusable", True)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(listing)


def test_a_folder_gives_each_odd_entry_a_row_saying_why(good, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ok.xlsx").write_bytes(good.read_bytes())
    for make, _ in NOT_FILES.values():
        if make is not _device:
            make(folder)
    run = _sheetnet(["check", str(folder), "--csv", str(tmp_path / "g.csv")], tmp_path)
    assert run.returncode == 2, run  # the worst of the class: unusable entries
    assert "Traceback" not in run.stderr and run.stderr == "", run.stderr
    rows = {Path(r["file"]).name: r for r in csv.DictReader((tmp_path / "g.csv").read_text("utf-8-sig").splitlines())}
    assert sorted(rows) == ["gone.xlsx", "loop.xlsx", "ok.xlsx", "pipe.xlsx"]
    assert rows["ok.xlsx"]["status"] == "ok"
    for name, case in (("pipe.xlsx", "a FIFO"), ("gone.xlsx", "a dangling symbolic link"), ("loop.xlsx", "a symbolic link loop")):
        assert rows[name]["status"] == "unusable" and NOT_FILES[case][1] in rows[name]["error"], rows[name]
    for name in ("gone.xlsx", "loop.xlsx"):
        assert (folder / name).is_symlink()


def _too_large(d: Path) -> Path:
    path = d / "big.toml"
    path.write_bytes(b"# " + b"x" * (2**20) + b"\n")  # a comment: valid TOML, only its size is wrong
    return path


RUBRICS = {**NOT_FILES, "a file larger than any rubric": (_too_large, "larger than 1 MiB")}


@pytest.mark.parametrize("case", list(RUBRICS))
def test_a_rubric_that_is_not_a_file_is_one_line(case, good, tmp_path):
    # check --rubric read it whole: a FIFO waited for ever, /dev/zero filled the memory
    make, words = RUBRICS[case]
    path = make(tmp_path)
    run = _sheetnet(["check", str(good), "--rubric", str(path)], tmp_path)
    assert run.returncode == 2, run
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"sheetnet: {path}: --rubric: {words}"), run.stderr
    assert run.stdout == ""
