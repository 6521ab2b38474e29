"""Unusable cells: exit 2, one line naming the file and the cell, no traceback, input untouched.

Whole-file problems (not a zip, .xls, .ods, encrypted, bombs, …) are in tests/test_hostile.py,
which runs each through both recompute and check."""

import subprocess
import sys

import pytest

from minixlsx import replace_cell
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook

LEARN, DATA = 2, 1  # sheet part numbers in the workbooks we write


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "answer.xlsx"
    write_book_workbook(path, chapter3_params("initial"))
    return path


CASES = {
    "text weight": (lambda d, g: replace_cell(g, d / "tw.xlsx", LEARN, "D5", '<c r="D5" t="inlineStr"><is><t>abc</t></is></c>'),
                    "学习!D5 holds the text 'abc' where a hidden-unit weight (a number) belongs"),
    "error bias": (lambda d, g: replace_cell(g, d / "eb.xlsx", LEARN, "G9", '<c r="G9" t="e"><v>#DIV/0!</v></c>'),
                   "学习!G9 holds the error #DIV/0! where a hidden-unit bias (a number) belongs"),
    "empty output weight": (lambda d, g: replace_cell(g, d / "ew.xlsx", LEARN, "E18", None),
                            "学习!E18 is empty where an output-unit weight (a number) belongs"),
    "text pixel": (lambda d, g: replace_cell(g, d / "tp.xlsx", DATA, "O6", '<c r="O6" t="inlineStr"><is><t>x</t></is></c>'),
                   "Data!O6 holds the text 'x' where a pixel (a number) belongs"),
    "unknown digit": (lambda d, g: replace_cell(g, d / "ud.xlsx", DATA, "R9", '<c r="R9"><v>7</v></c>'),
                      "image 2's digit is 7; this workbook's digits are 0 and 1"),
    "boolean digit": (lambda d, g: replace_cell(g, d / "bd.xlsx", DATA, "N9", '<c r="N9" t="b"><v>1</v></c>'),
                      "Data!N9 holds the boolean TRUE"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_unusable_input_is_one_line_and_exit_2(case, good, tmp_path, capsys):
    make, message = CASES[case]
    d = tmp_path / "in"
    d.mkdir()
    path = make(d, good)
    before = path.read_bytes() if path.is_file() else None
    listing = sorted(p.name for p in d.iterdir())
    assert main(["recompute", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"sheetnet: {path}: "), err
    assert message in err, err
    assert "Traceback" not in err
    if before is not None:
        assert path.read_bytes() == before
    assert sorted(p.name for p in d.iterdir()) == listing  # nothing left behind


def test_no_traceback_from_the_real_command(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    run = subprocess.run([sys.executable, "-m", "sheetnet", "recompute", str(bad)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stdout == "" and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


@pytest.mark.parametrize("where, message", [
    ("missing/out.xlsx", "does not exist"),
    ("", "it is a directory"),
])
def test_answer_refuses_an_output_it_cannot_write(tmp_path, capsys, where, message):
    assert main(["answer", "-o", str(tmp_path / where)]) == 2
    assert message in capsys.readouterr().err


def test_answer_refuses_a_read_only_output(tmp_path, capsys):
    target = tmp_path / "ro.xlsx"
    target.write_bytes(b"keep me")
    target.chmod(0o444)
    assert main(["answer", "-o", str(target)]) == 2
    assert "read-only" in capsys.readouterr().err
    assert target.read_bytes() == b"keep me"
