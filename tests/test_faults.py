"""Ordinary conditions that were "internal error … please report it": each is one clear line, exit 2,
nothing left behind — stdout on a full device, training that overflows (η = inf, a pixel of 1e308),
tolerances that are not numbers 0 or more, a sheet part stored as UTF-16 (which Excel's XML allows).
(A full disk and a name too long for every writer: tests/test_outputs.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from minixlsx import replace_cell
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook

LEARN_PART = "xl/worksheets/sheet2.xml"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "answer.xlsx"
    write_book_workbook(path, chapter3_params("initial"))
    return path


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(code, err, words):
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("sheetnet: "), err
    assert "internal error" not in err and "Traceback" not in err, err
    assert words in err, err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("argv", [["recompute", "{good}"], ["check", "{good}"], ["answer", "-o", "{out}"]])
def test_stdout_on_a_full_device_is_one_line(argv, good, tmp_path):
    argv = [a.format(good=good, out=tmp_path / "a.xlsx") for a in argv]
    with open("/dev/full", "w") as full:
        run = subprocess.run([sys.executable, "-m", "sheetnet", *argv], stdout=full, stderr=subprocess.PIPE, text=True,
                             timeout=120)
    _one_line(run.returncode, run.stderr, "cannot write to the standard output (No space left on device)")
    assert run.stderr.startswith("sheetnet: cannot write"), run.stderr


@pytest.mark.parametrize("eta", ["inf", "nan", "-1", "0"])
def test_eta_must_be_a_positive_number(eta, good, tmp_path, capsys):
    code, out, err = _run(["train", good, "-o", tmp_path / "t.xlsx", "--method", "gd", "--eta", eta], capsys)
    _one_line(code, err, "--eta must be a positive number")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("method, eta", [("gd", "1e308"), ("gd", "0.2"), ("solver", None)])
def test_training_that_overflows_writes_nothing_and_says_why(method, eta, good, tmp_path, capsys):
    # η = 1e308 sends the parameters to ±inf; a pixel of 1e308 overflows z (Excel would show #NUM!)
    src = good if eta == "1e308" else replace_cell(good, tmp_path / "huge.xlsx", 1, "K5", '<c r="K5"><v>1e308</v></c>')
    listing = sorted(p.name for p in tmp_path.iterdir())
    argv = ["train", src, "-o", tmp_path / "t.xlsx", "--method", method] + (["--eta", eta] if eta else [])
    code, out, err = _run(argv, capsys)
    _one_line(code, err, "cannot be stored in a cell")
    assert "nothing was written" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


@pytest.mark.parametrize("command", ["recompute", "check"])
@pytest.mark.parametrize("option, value", [("--rel", "-1"), ("--rel", "nan"), ("--abs", "-1e-9"), ("--abs", "inf")])
def test_tolerances_must_be_numbers_0_or_more(command, option, value, good, capsys):
    code, out, err = _run([command, good, f"{option}={value}"], capsys)
    _one_line(code, err, "--rel and --abs must be numbers 0 or more")
    assert out == ""


def _utf16(src: Path, dst: Path) -> Path:
    """src with its learning sheet's part stored as UTF-16 (with a BOM, declared so)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == LEARN_PART:
                data = data.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-16")
            zout.writestr(info, data)
    return dst


def test_train_on_a_utf16_sheet(good, tmp_path, capsys):
    src = _utf16(good, tmp_path / "u16.xlsx")
    code, out, err = _run(["train", src, "-o", tmp_path / "t.xlsx"], capsys)
    assert code == 0 and err == "", err
    code, out, err = _run(["recompute", tmp_path / "t.xlsx"], capsys)
    assert code == 0 and "64/64 right" in out and "1922 of 1922 agree" in out, out


def test_annotate_on_a_utf16_sheet(good, tmp_path, capsys):
    wrong = replace_cell(good, tmp_path / "wrong.xlsx", 2, "G21", '<c r="G21"><f>1+1</f><v>2</v></c>')
    src = _utf16(wrong, tmp_path / "u16.xlsx")
    code, out, err = _run(["check", src, "--annotate", tmp_path / "marked.xlsx"], capsys)
    assert code == 1 and err == "", err
    assert "marked" in out
    with zipfile.ZipFile(tmp_path / "marked.xlsx") as z:
        sheet = z.read(LEARN_PART).decode("utf-8")
        assert sheet.startswith('<?xml version="1.0" encoding="UTF-8"') and 'r="G21"' in sheet
        assert any(n.startswith("xl/comments") for n in z.namelist())
    code, out, err = _run(["recompute", tmp_path / "marked.xlsx"], capsys)
    assert code in (0, 1) and err == "", err  # the copy reads again


def test_a_part_in_an_encoding_python_does_not_know_is_one_line():
    from sheetnet.errors import UnusableInput
    from sheetnet.xlsx.parttext import part_text

    with pytest.raises(UnusableInput, match=r"^xl/x.xml is not text in its declared encoding \(x-no-such\)$"):
        part_text(b'<?xml version="1.0" encoding="x-no-such"?><a/>', "xl/x.xml")
    assert part_text('<?xml version="1.0" encoding="GBK"?><a>学习</a>'.encode("gbk"), "p") == \
        '<?xml version="1.0" encoding="UTF-8"?><a>学习</a>'


# -- the smaller ones ------------------------------------------------------------------------------
def _macro(good: Path, dst: Path) -> Path:
    """good saved as a macro-enabled workbook: its main part's content type says so, with a VBA part."""
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                assert b"macroEnabled" in data
            zout.writestr(info, data)
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not run")
    return dst


@pytest.mark.parametrize("src_suffix, dst_suffix, words", [
    (".xlsm", ".xlsx", "holds macros: Excel opens it only as .xlsm"),
    (".xlsx", ".xlsm", "holds no macros: Excel opens it only as .xlsx"),
])
def test_a_copy_keeps_the_extension_its_content_type_needs(src_suffix, dst_suffix, words, good, tmp_path, capsys):
    src = _macro(good, tmp_path / f"in{src_suffix}") if src_suffix == ".xlsm" else good
    for option, argv in (("-o", ["train", src, "-o", tmp_path / f"t{dst_suffix}"]),
                         ("--annotate", ["check", src, "--annotate", tmp_path / f"a{dst_suffix}"])):
        code, out, err = _run(argv, capsys)
        _one_line(code, err, words)
        assert err.startswith(f"sheetnet: {option} {tmp_path}"), err
        assert out == ""
    assert not list(tmp_path.glob(f"*{dst_suffix}"))
    code, out, err = _run(["train", src, "-o", tmp_path / f"t{src_suffix}"], capsys)  # the same kind: fine
    assert code == 0, err


@pytest.mark.parametrize("method", ["gd", "solver"])
def test_numpy_and_scipy_warnings_never_reach_stderr(method, good, tmp_path):
    # a weight of 1e300 overflows inside NumPy's and SciPy's own code (not ours): no RuntimeWarning lines
    src = replace_cell(good, tmp_path / "big.xlsx", 2, "D5", '<c r="D5"><v>1e300</v></c>')
    run = subprocess.run([sys.executable, "-m", "sheetnet", "train", str(src), "-o", str(tmp_path / "t.xlsx"),
                          "--method", method], capture_output=True, text=True, timeout=120)
    assert "Warning" not in run.stderr and run.stderr.count("\n") <= 1, run.stderr


def test_train_iterations_are_bounded(good, tmp_path):
    run = subprocess.run([sys.executable, "-m", "sheetnet", "train", str(good), "-o", str(tmp_path / "t.xlsx"),
                          "--method", "gd", "--iterations", "1000000000"], capture_output=True, text=True, timeout=120)
    _one_line(run.returncode, run.stderr, "--iterations 1000000000: choose 0…100000")
    assert list(tmp_path.iterdir()) == []


def test_check_refuses_an_empty_file_name(tmp_path, capsys, monkeypatch):
    # '' would be Path('.'): the current folder graded as a class
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["check", ""], capsys)
    _one_line(code, err, "an empty file name")
    assert out == ""


@pytest.mark.parametrize("argv, line", [
    (["train", "{good}", "-o", "{out}", "--eta", "0"], "sheetnet: --eta must be a positive number\n"),
    (["train", "{good}", "-o", "{out}", "--iterations=-1"], "sheetnet: --iterations -1: choose 0…100000\n"),
    (["train", "{good}"], "sheetnet: say where to write the trained workbook: -o OUT (or --in-place)\n"),
    (["recompute", "{good}", "--rel=-1"], "sheetnet: --rel and --abs must be numbers 0 or more\n"),
    (["answer", "-o", "{out}", "--test-image", "65"], "sheetnet: --test-image 65: the images are numbered 1…64\n"),
    (["exercise", "-o", "{out}", "--iterations", "3"], "sheetnet: --iterations belongs to --kind backprop, cnn-backprop or descent\n"),
])
def test_option_errors_are_not_said_about_a_file(argv, line, good, tmp_path, capsys):
    code, out, err = _run([a.format(good=good, out=tmp_path / "o.xlsx") for a in argv], capsys)
    assert code == 2 and err == line, err


def test_file_names_a_spreadsheet_would_run_are_escaped_in_the_csv(good, tmp_path, capsys, monkeypatch):
    import csv

    names = ["=HYPERLINK(1).xlsx", "+1.xlsx", "-1.xlsx", "@SUM(1).xlsx", "plain.xlsx"]
    for name in names:
        (tmp_path / name).write_bytes(good.read_bytes())
    monkeypatch.chdir(tmp_path)  # `sheetnet check .` inside the class folder: the names start the cells
    code, out, err = _run(["check", ".", "--csv", tmp_path / "g.csv", "-j", "1"], capsys)
    assert code == 0, err
    files = [r["file"] for r in csv.DictReader((tmp_path / "g.csv").read_text("utf-8-sig").splitlines())]
    assert sorted(files) == sorted("'" + n if n[0] in "=+-@" else n for n in names)


def test_a_reader_that_leaves_keeps_the_verdict_and_the_files(good, tmp_path):
    # `sheetnet check … | head`: the pipe closed before a line is printed (its read end closed first, so
    # no timing is involved). The files asked for are still written, and the exit code is still the
    # verdict: a grader's script under `set -o pipefail` must not read a wrong workbook as right.
    bad = replace_cell(good, tmp_path / "bad.xlsx", 2, "O14", '<c r="O14" s="9"><f>1/(1+EXP(O11))</f><v>0.95</v></c>')
    for src, verdict in ((good, 0), (bad, 1)):
        marked, grades = tmp_path / f"marked-{src.stem}.xlsx", tmp_path / f"{src.stem}.csv"
        read, write = os.pipe()
        os.close(read)
        try:
            run = subprocess.run([sys.executable, "-m", "sheetnet", "check", str(src), "--annotate", str(marked),
                                  "--csv", str(grades)], stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
        finally:
            os.close(write)
        assert run.returncode == verdict, run.stderr
        assert run.stderr == "" and marked.exists() and grades.exists(), run.stderr
