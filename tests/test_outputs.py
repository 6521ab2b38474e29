"""Every output of every command, whatever its path names: a new name, a file (kept mode), a symbolic
link (the file it names is replaced, the link stays), a device or FIFO (written, never replaced by a
regular file), a read-only file, an unwritable folder, a full disk, a name at the length limit.
Each is written atomically or directly, or refused in one line (exit 2) — and nothing is left behind.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from minixlsx import replace_cell
from sheetnet import outputs
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
OLD = b"the user's old file"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "answer.xlsx"
    write_book_workbook(path, chapter3_params("initial"))
    return path


@pytest.fixture(scope="module")
def wrong(good, tmp_path_factory):
    """C_T's formula replaced by a constant: one root cause, so --annotate marks cells."""
    return replace_cell(good, tmp_path_factory.mktemp("wrong") / "wrong.xlsx", 2, "G21",
                        '<c r="G21"><f>1+1</f><v>2</v></c>')


# which output → the command line writing it to `out`
WRITERS = {
    "answer -o": lambda out, good, wrong: ["answer", "-o", str(out)],
    "exercise -o": lambda out, good, wrong: ["exercise", "-o", str(out)],
    "train -o": lambda out, good, wrong: ["train", str(good), "-o", str(out)],
    "check --annotate": lambda out, good, wrong: ["check", str(wrong), "--annotate", str(out)],
    "check --csv": lambda out, good, wrong: ["check", str(good), "--csv", str(out)],
}
OK = {"answer -o": 0, "exercise -o": 0, "train -o": 0, "check --annotate": 1, "check --csv": 0}


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _written(which, code, err):
    assert code == OK[which], err
    assert "Traceback" not in err and "internal error" not in err, err


def _one_line(code, err):
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("sheetnet: ") and "internal error" not in err, err


def _looks_written(which: str, data: bytes) -> bool:
    return data.startswith(b"\xef\xbb\xbffile,status") if which == "check --csv" else data.startswith(b"PK\x03\x04")


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("which", list(WRITERS))
def test_a_new_output_gets_the_umask_mode(which, good, wrong, tmp_path, capsys, umask_022):
    out = tmp_path / "new.out"
    code, _, err = _run(WRITERS[which](out, good, wrong), capsys)
    _written(which, code, err)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # 0666 less the umask, not mkstemp's 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.out"]


@pytest.mark.parametrize("which", list(WRITERS))
def test_a_replaced_output_keeps_its_mode(which, good, wrong, tmp_path, capsys, umask_022):
    out = tmp_path / "old.out"
    out.write_bytes(OLD)
    out.chmod(0o664)
    code, _, err = _run(WRITERS[which](out, good, wrong), capsys)
    _written(which, code, err)
    assert _looks_written(which, out.read_bytes())
    assert stat.S_IMODE(out.stat().st_mode) == 0o664
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.out"]


def test_train_in_place_keeps_the_mode(good, tmp_path, capsys, umask_022):
    path = tmp_path / "mine.xlsx"
    path.write_bytes(good.read_bytes())
    path.chmod(0o660)
    code, _, err = _run(["train", path, "--in-place"], capsys)
    assert code == 0, err
    assert path.read_bytes() != good.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o660


@pytest.mark.skipif(not IS_ROOT, reason="only root may give a file to another owner")
def test_train_in_place_as_root_leaves_the_file_to_its_owner(good, tmp_path, capsys):
    # CI and containers run as root: the replaced workbook must not become root's
    path = tmp_path / "mine.xlsx"
    path.write_bytes(good.read_bytes())
    os.chown(path, 65534, 65534)
    code, _, err = _run(["train", path, "--in-place"], capsys)
    assert code == 0, err
    assert path.read_bytes() != good.read_bytes()
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


@pytest.mark.parametrize("which", list(WRITERS))
def test_a_symlink_output_replaces_the_file_it_names_and_stays_a_link(which, good, wrong, tmp_path, capsys):
    real = tmp_path / "real" / "target.out"
    real.parent.mkdir()
    real.write_bytes(OLD)
    link = tmp_path / "link.out"
    link.symlink_to(os.path.relpath(real, tmp_path))
    code, _, err = _run(WRITERS[which](link, good, wrong), capsys)
    _written(which, code, err)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert _looks_written(which, real.read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.out", "real"]
    assert [p.name for p in real.parent.iterdir()] == ["target.out"]


def test_a_dangling_symlink_output_creates_the_file_it_names(good, wrong, tmp_path, capsys):
    link = tmp_path / "link.csv"
    link.symlink_to("grades.csv")
    code, _, err = _run(WRITERS["check --csv"](link, good, wrong), capsys)
    _written("check --csv", code, err)
    assert link.is_symlink() and _looks_written("check --csv", (tmp_path / "grades.csv").read_bytes())


def test_train_in_place_on_a_symlink_trains_the_real_workbook(good, tmp_path, capsys):
    real = tmp_path / "real.xlsx"
    real.write_bytes(good.read_bytes())
    link = tmp_path / "link.xlsx"
    link.symlink_to("real.xlsx")
    code, out, err = _run(["train", link, "--in-place"], capsys)
    assert code == 0, err
    assert link.is_symlink()
    assert real.read_bytes() != good.read_bytes()
    code, out, err = _run(["recompute", real], capsys)
    assert code == 0 and "64/64 right" in out, out


def test_train_in_place_on_a_hard_linked_workbook_leaves_the_other_name_as_it_was(good, tmp_path, capsys):
    # the rename that keeps a file whole makes a new inode: the other name keeps the old workbook
    # (documented in outputs.py and the README); nothing is lost, and the trained one is complete
    path = tmp_path / "mine.xlsx"
    path.write_bytes(good.read_bytes())
    other = tmp_path / "backup.xlsx"
    os.link(path, other)
    code, _, err = _run(["train", path, "--in-place"], capsys)
    assert code == 0, err
    assert other.read_bytes() == good.read_bytes()
    assert path.read_bytes() != good.read_bytes() and path.stat().st_nlink == 1
    code, out, err = _run(["recompute", path], capsys)
    assert code == 0 and "64/64 right" in out, out


@pytest.mark.skipif(not IS_ROOT or not hasattr(os, "mknod"), reason="making a device node needs root")
@pytest.mark.parametrize("which", list(WRITERS))
def test_a_device_output_is_written_never_replaced(which, good, wrong, tmp_path, capsys):
    # A private copy of /dev/null (character device 1, 3): if it were replaced, only this copy would be.
    dev = tmp_path / "null"
    os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    code, _, err = _run(WRITERS[which](dev, good, wrong), capsys)
    _written(which, code, err)
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def _read_fifo(path: Path, got: list):
    with open(path, "rb") as fh:
        got.append(fh.read())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("which", list(WRITERS))
def test_a_fifo_output_is_written_into_the_pipe(which, good, wrong, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=_read_fifo, args=(fifo, got), daemon=True)
    reader.start()
    code, _, err = _run(WRITERS[which](fifo, good, wrong), capsys)
    reader.join(60)
    _written(which, code, err)
    assert got and _looks_written(which, got[0])
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("which", ["answer -o", "check --csv"])
def test_a_fifo_output_nobody_reads_is_refused_not_waited_for(which, good, wrong, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    run = subprocess.run([sys.executable, "-m", "sheetnet", *WRITERS[which](fifo, good, wrong)],
                         capture_output=True, text=True, timeout=120)
    _one_line(run.returncode, run.stderr)
    assert "nobody is reading" in run.stderr, run.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


class _FullDisk:
    """A file object that takes `room` bytes and then fails like a full disk."""

    def __init__(self, fh, room: int):
        self._fh, self._room = fh, room

    def write(self, data) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


@pytest.mark.parametrize("which", ["answer -o", "train -o", "check --annotate", "check --csv"])
def test_a_full_disk_is_one_line_and_leaves_the_old_file(which, good, wrong, tmp_path, capsys, monkeypatch):
    real_open = outputs._open_temporary

    def full(tmp):
        return _FullDisk(real_open(tmp), 100)
    monkeypatch.setattr(outputs, "_open_temporary", full)
    out = tmp_path / "out.file"
    out.write_bytes(OLD)
    code, _, err = _run(WRITERS[which](out, good, wrong), capsys)
    _one_line(code, err)
    assert f"{out}: cannot write: the disk is full" in err, err
    assert out.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["out.file"]


@pytest.mark.parametrize("option", ["-o", "--annotate"])
def test_a_full_disk_in_a_class_check_keeps_the_grades_and_says_a_few_lines(option, good, tmp_path, capsys,
                                                                             monkeypatch):
    # the pages (or copies) that cannot be written are the outputs' failure, not the workbooks': every row is
    # still graded, the first few failures are named and the rest counted, and the exit says it (2)
    import shutil

    class_dir = tmp_path / "class"
    class_dir.mkdir()
    for i in range(6):
        shutil.copy(good, class_dir / f"s{i}.xlsx")
    real_open = outputs._open_temporary
    monkeypatch.setattr(outputs, "_open_temporary", lambda tmp: _FullDisk(real_open(tmp), 100))
    out = tmp_path / "out"
    extra = ["--format", "html"] if option == "-o" else []
    code, stdout, err = _run(["check", class_dir, "-j", "1", *extra, option, out], capsys)
    assert code == 2
    assert "6 all right, 0 with findings, 0 unusable" in stdout, stdout
    lines = err.splitlines()
    assert len([x for x in lines if x.endswith(": cannot write: the disk is full")]) == len(lines), err
    assert f"sheetnet: {option}: 3 more files not written: cannot write: the disk is full" in lines, err
    assert len(lines) == 4 + (option == "-o"), err  # 3 named, 1 count (and, with -o, the class's index page)


def test_a_csv_that_cannot_be_written_in_a_class_check_is_one_line_and_the_index_is_still_written(
        good, tmp_path, capsys, monkeypatch):
    # the grade sheet is one output among others: its failure is said with theirs, it does not end the
    # command before the class's index page (written after it) and the exit says it (2)
    import shutil

    class_dir = tmp_path / "class"
    class_dir.mkdir()
    for i in range(2):
        shutil.copy(good, class_dir / f"s{i}.xlsx")
    csv = tmp_path / "grades.csv"
    real_open = outputs._open_temporary
    monkeypatch.setattr(outputs, "_open_temporary",
                        lambda tmp: _FullDisk(real_open(tmp), 0 if csv.name in tmp.name else 1 << 30))
    out = tmp_path / "out"
    code, stdout, err = _run(["check", class_dir, "-j", "1", "--format", "html", "-o", out, "--csv", csv], capsys)
    assert code == 2
    assert "2 all right, 0 with findings, 0 unusable" in stdout, stdout
    assert err.splitlines() == [f"sheetnet: {csv}: cannot write: the disk is full"], err
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "s0.html", "s1.html"]
    assert not csv.exists()


@pytest.mark.parametrize("which", ["answer -o", "train -o", "check --annotate", "check --csv"])
def test_a_long_name_is_written_and_a_too_long_one_is_one_line(which, good, wrong, tmp_path, capsys):
    # 77 CJK characters are 231 bytes: with '.xlsx' the name fits in 255 bytes, a temporary name
    # built by adding a suffix to it would not.
    suffix = ".csv" if which == "check --csv" else ".xlsx"
    fits = tmp_path / ("学" * 77 + suffix)
    code, _, err = _run(WRITERS[which](fits, good, wrong), capsys)
    _written(which, code, err)
    assert _looks_written(which, fits.read_bytes())
    fits.unlink()
    too_long = tmp_path / ("学" * 90 + suffix)
    code, _, err = _run(WRITERS[which](too_long, good, wrong), capsys)
    _one_line(code, err)
    assert "the file name is too long" in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("which", ["answer -o", "train -o", "check --annotate", "check --csv"])
def test_a_read_only_output_is_refused(which, good, wrong, tmp_path, capsys):
    out = tmp_path / "ro.out"
    out.write_bytes(OLD)
    out.chmod(0o444)
    code, _, err = _run(WRITERS[which](out, good, wrong), capsys)
    _one_line(code, err)
    assert "read-only" in err and str(out) in err, err
    assert out.read_bytes() == OLD


def test_train_in_place_refuses_a_read_only_workbook(good, tmp_path, capsys):
    path = tmp_path / "ro.xlsx"
    path.write_bytes(good.read_bytes())
    path.chmod(0o444)
    code, _, err = _run(["train", path, "--in-place"], capsys)
    _one_line(code, err)
    assert "read-only" in err, err
    assert path.read_bytes() == good.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["ro.xlsx"]


def _refuse_new_files(monkeypatch, folder: Path):
    """What the OS says in a folder we may not write (as root a chmod does not stop us: simulated)."""
    real = os.open

    def refuse(path, flags, *a, **k):
        if flags & os.O_CREAT and Path(path).parent == folder:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, flags, *a, **k)
    monkeypatch.setattr(os, "open", refuse)


@pytest.mark.parametrize("which", ["answer -o", "train -o", "check --annotate", "check --csv", "train --in-place"])
def test_an_unwritable_folder_is_one_line(which, good, wrong, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    if which == "train --in-place":
        out = folder / "mine.xlsx"
        out.write_bytes(good.read_bytes())
        argv = ["train", out, "--in-place"]
    else:
        out = folder / "out.file"
        argv = WRITERS[which](out, good, wrong)
    before = sorted(folder.iterdir())
    _refuse_new_files(monkeypatch, folder)
    code, _, err = _run(argv, capsys)
    _one_line(code, err)
    assert "cannot write into the folder" in err and "permission denied" in err, err
    assert sorted(folder.iterdir()) == before


@pytest.mark.skipif(IS_ROOT or not hasattr(os, "geteuid"), reason="root writes into a chmod-555 folder anyway")
def test_train_in_place_in_a_really_unwritable_folder(good, tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "mine.xlsx"
    path.write_bytes(good.read_bytes())
    folder.chmod(0o555)
    try:
        code, _, err = _run(["train", path, "--in-place"], capsys)
    finally:
        folder.chmod(0o755)
    _one_line(code, err)
    assert path.read_bytes() == good.read_bytes()


@pytest.mark.parametrize("which", ["answer -o", "train -o", "check --annotate", "check --csv"])
def test_the_temporary_file_is_synced_before_it_is_renamed(which, good, wrong, tmp_path, capsys, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.fstat(fd).st_ino))
        return real_fsync(fd)

    def replace(src, dst, **k):
        events.append(("replace", os.stat(src).st_ino))
        return real_replace(src, dst, **k)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path / "out.file"
    out.write_bytes(OLD)
    code, _, err = _run(WRITERS[which](out, good, wrong), capsys)
    _written(which, code, err)
    renamed = [ino for what, ino in events if what == "replace"]
    assert len(renamed) == 1
    assert events.index(("fsync", renamed[0])) < events.index(("replace", renamed[0])), events


# -- an output that is an input, or another output ------------------------------------------------
def _copies(good: Path, folder: Path, *names: str) -> list[Path]:
    folder.mkdir(exist_ok=True)
    out = []
    for name in names:
        (folder / name).write_bytes(good.read_bytes())
        out.append(folder / name)
    return out


def _link(folder: Path, name: str, to: Path, hard: bool) -> Path:
    path = folder / name
    os.link(to, path) if hard else path.symlink_to(to)
    return path


# case → builder(folder, good, wrong) → (argv, option words the line must hold)
CLASHES = {
    "check --csv c/*.xlsx (the CSV's name forgotten)":
        lambda d, g, w: (["check", "--csv", *_copies(g, d / "c", "a.xlsx", "b.xlsx")], "--csv"),
    "check X --csv X": lambda d, g, w: (["check", *_copies(g, d, "x.out"), "--csv", d / "x.out"], "--csv"),
    "check X --csv ./X": lambda d, g, w: (["check", *_copies(g, d, "x.out"), "--csv",
                                          (d / "sub").mkdir() or d / "." / "sub" / ".." / "x.out"], "--csv"),
    "check X --csv hard link of X": lambda d, g, w: (["check", x := _copies(g, d, "x.out")[0], "--csv",
                                                      _link(d, "h.out", x, True)], "--csv"),
    "check X --csv symlink to X": lambda d, g, w: (["check", x := _copies(g, d, "x.out")[0], "--csv",
                                                    _link(d, "s.out", x, False)], "--csv"),
    "check folder --csv a workbook in it": lambda d, g, w: (["check", d / "c", "--csv", _copies(g, d / "c", "a.xlsx", "b.xlsx")[1]],
                                                            "--csv"),
    "check X --annotate Y --csv Y": lambda d, g, w: (["check", *_copies(g, d, "x.xlsx"), "--annotate", d / "y.out",
                                                      "--csv", d / "y.out"], "--annotate"),
    "check X --annotate hard link of X": lambda d, g, w: (["check", x := _copies(g, d, "x.xlsx")[0], "--annotate",
                                                           _link(d, "h.xlsx", x, True)], "--annotate"),
    "check X --annotate symlink to X": lambda d, g, w: (["check", x := _copies(g, d, "x.xlsx")[0], "--annotate",
                                                         _link(d, "s.xlsx", x, False)], "--annotate"),
    "check x/a --annotate x (its copy, named after it, would be x/a.xlsx)":
        lambda d, g, w: (["check", *_copies(g, d / "x", "a.xlsx"), "--annotate", d / "x"], "--annotate"),
    # a class's copies and pages are named after the students: one may fall on another student's workbook
    "check x/a y/a x/x-a --annotate x (x/a's copy is x/x-a.xlsx)":
        lambda d, g, w: (["check", *_copies(g, d / "x", "a.xlsx", "x-a.xlsx")[:1], *_copies(g, d / "y", "a.xlsx"),
                          d / "x" / "x-a.xlsx", "--annotate", d / "x"], "--annotate"),
    "check x/a y/a --format html -o p --csv p/x-a.html":
        lambda d, g, w: (["check", *_copies(g, d / "x", "a.xlsx"), *_copies(g, d / "y", "a.xlsx"), "--format", "html",
                          "-o", (d / "p").mkdir() or d / "p", "--csv", d / "p" / "x-a.html"], "--csv"),
    "check x/a y/a --format html -o p --csv p/index.html":
        lambda d, g, w: (["check", *_copies(g, d / "x", "a.xlsx"), *_copies(g, d / "y", "a.xlsx"), "--format", "html",
                          "-o", (d / "p").mkdir() or d / "p", "--csv", d / "p" / "index.html"], "--csv"),
    "train X -o hard link of X": lambda d, g, w: (["train", x := _copies(g, d, "x.xlsx")[0], "-o",
                                                   _link(d, "h.xlsx", x, True)], "-o"),
    "train X -o symlink to X": lambda d, g, w: (["train", x := _copies(g, d, "x.xlsx")[0], "-o",
                                                 _link(d, "s.xlsx", x, False)], "-o"),
    "train X -o ./X": lambda d, g, w: (["train", x := _copies(g, d, "x.xlsx")[0], "-o", d / "." / "x.xlsx"], "-o"),
}


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.is_symlink(), p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", list(CLASHES))
def test_an_output_that_is_an_input_or_another_output_is_refused_before_any_work(case, good, wrong, tmp_path, capsys):
    argv, option = CLASHES[case](tmp_path, good, wrong)
    before = _tree(tmp_path)
    code, out, err = _run(argv, capsys)
    _one_line(code, err)
    assert out == "", out  # refused before anything was checked or trained
    assert option in err, err
    assert _tree(tmp_path) == before


def test_a_csv_named_like_a_workbook_is_refused(good, tmp_path, capsys):
    # not an input at all, but a workbook by its name: the CSV's name was most likely forgotten
    code, out, err = _run(["check", good, "--csv", tmp_path / "grades.xlsx"], capsys)
    _one_line(code, err)
    assert "--csv" in err and "not a CSV" in err, err
    assert list(tmp_path.iterdir()) == []


# -- train --in-place: one writer at a time -------------------------------------------------------
def test_train_in_place_refuses_a_workbook_another_command_is_updating(good, tmp_path, capsys):
    path = tmp_path / "mine.xlsx"
    path.write_bytes(good.read_bytes())
    with outputs.updating(path):
        code, out, err = _run(["train", path, "--in-place"], capsys)
        _one_line(code, err)
        assert "another sheetnet command is updating it" in err, err
        assert out == ""
    assert path.read_bytes() == good.read_bytes()
    code, out, err = _run(["train", path, "--in-place"], capsys)  # the lock went with its holder
    assert code == 0, err


def _wait_for(proc, line: str) -> list[str]:
    """stderr lines up to and including `line` (the process says it reached a phase)."""
    seen = []
    for raw in proc.stderr:
        seen.append(raw.rstrip("\n"))
        if seen[-1] == line:
            return seen
    raise AssertionError(f"{line!r} never came: {seen}")


@pytest.mark.skipif(os.name != "posix", reason="sends SIGTERM")
def test_two_train_in_place_on_one_workbook_the_second_is_refused(good, tmp_path):
    import signal

    path = tmp_path / "mine.xlsx"
    path.write_bytes(good.read_bytes())
    first = subprocess.Popen([sys.executable, "-m", "sheetnet", "train", str(path), "--in-place"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "SHEETNET_PHASES": "write"})
    try:
        _wait_for(first, "sheetnet-phase: write")  # trained, its temporary file open, waiting there
        second = subprocess.run([sys.executable, "-m", "sheetnet", "train", str(path), "--in-place"],
                                capture_output=True, text=True, timeout=120)
        _one_line(second.returncode, second.stderr)
        assert "another sheetnet command is updating it" in second.stderr, second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode == 143
    assert path.read_bytes() == good.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["mine.xlsx"]


@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="no /dev/stdout here")
@pytest.mark.parametrize("stdout", ["file", "pipe"])
def test_csv_to_dev_stdout_goes_into_the_stream(stdout, good, tmp_path):
    # `--csv /dev/stdout > out.txt` names the very file stdout writes: replacing it would drop the
    # report; a pipe is a FIFO, written directly
    argv = [sys.executable, "-m", "sheetnet", "check", str(good), "--csv", "/dev/stdout"]
    if stdout == "file":
        with open(tmp_path / "out.txt", "w") as fh:
            run = subprocess.run(argv, stdout=fh, stderr=subprocess.PIPE, text=True, timeout=120)
        text = (tmp_path / "out.txt").read_text("utf-8")
    else:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        text = run.stdout
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "every computed cell is right" in text and "\ufefffile,status,score" in text, text
    assert sorted(p.name for p in tmp_path.iterdir()) == (["out.txt"] if stdout == "file" else [])
