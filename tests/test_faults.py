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
