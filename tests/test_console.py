"""Every command under the consoles the book's readers have: cp932, gbk, ASCII and the C locale.

Issue 13: on those, `check`, `recompute`, `answer` … ended in "internal error (UnicodeEncodeError …)"
after their file was written. Now text degrades to what the console can show, JSON and XML on a
console that is not UTF-8 are pure ASCII (the same documents), exit codes are those of a UTF-8
console, and the files written are the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from checkcases import across, at
from checkmut import Saved, mutate
from sheetnet import console
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook
from sheetnet.mirror.backprop import write_backprop_workbook

ROOT = Path(__file__).resolve().parent.parent

# (encoding, errors) as Python sets up stdout there: PYTHONIOENCODING=cp932 / gbk / ascii, and the C
# locale without UTF-8 mode (LC_ALL=C, LANG unset, PYTHONUTF8=0, PYTHONCOERCECLOCALE=0)
CONSOLES = {"cp932": ("cp932", "strict"), "gbk": ("gbk", "strict"), "ascii": ("ascii", "strict"),
            "C locale": ("ascii", "surrogateescape")}


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """Workbooks in a folder whose name has CJK characters and a space, as a reader's would."""
    w = tmp_path_factory.mktemp("console") / "作业 第3章"
    w.mkdir()
    write_book_workbook(w / "答案.xlsx", chapter3_params("initial"))
    edits = {c: Saved(f, 0.5) for c, f in across("=SUMPRODUCT(L5:N8,$D$5:$F$8)", "z2").items()}  # no bias
    edits[at("a2", 3, 2)] = Saved(f"=1/(1+EXP({at('z2', 3, 2)}))", 0.25)  # the exponent's sign
    mutate(w / "答案.xlsx", w / "错误 1.xlsx", edits)
    write_backprop_workbook(w / "第4章.xlsx", iterations=3)
    (w / "坏.xlsx").write_bytes(bytes(range(256)))
    (w / "班级").mkdir()
    for name in ("答案.xlsx", "错误 1.xlsx"):
        shutil.copyfile(w / name, w / "班级" / name)
    return w


# id → (argv with {w}: the workbooks, {o}: a folder for outputs; the files it writes)
COMMANDS = {
    "answer": (["answer", "-o", "{o}/答案 out.xlsx"], ["答案 out.xlsx"]),
    "answer backprop": (["answer", "--kind", "backprop", "--iterations", "2", "-o", "{o}/bp.xlsx"], ["bp.xlsx"]),
    "exercise": (["exercise", "-o", "{o}/练习.xlsx"], ["练习.xlsx"]),
    "exercise backprop": (["exercise", "--kind", "backprop", "--iterations", "2", "-o", "{o}/练习4.xlsx"],
                          ["练习4.xlsx"]),
    "recompute": (["recompute", "{w}/第4章.xlsx"], []),
    "recompute json": (["recompute", "{w}/第4章.xlsx", "--format", "json"], []),
    "recompute differences": (["recompute", "{w}/错误 1.xlsx"], []),
    "check": (["check", "{w}/错误 1.xlsx"], []),
    "check json": (["check", "{w}/错误 1.xlsx", "--format", "json"], []),
    "check junit": (["check", "{w}/错误 1.xlsx", "--format", "junit"], []),
    "check annotate csv": (["check", "{w}/错误 1.xlsx", "--annotate", "{o}/批改.xlsx", "--csv", "{o}/成绩 1.csv"],
                           ["批改.xlsx", "成绩 1.csv"]),
    "check class": (["check", "{w}/班级", "-j", "1", "--csv", "{o}/成绩.csv"], ["成绩.csv"]),
    "check class json": (["check", "{w}/班级", "-j", "1", "--format", "json"], []),
    "check class junit": (["check", "{w}/班级", "-j", "1", "--format", "junit"], []),
    "check unusable": (["check", "{w}/坏.xlsx"], []),
    "train": (["train", "{w}/答案.xlsx", "-o", "{o}/训练.xlsx"], ["训练.xlsx"]),
    "usage error": (["check", "--foo", "{w}/答案.xlsx"], []),
    "help": (["answer", "--help"], []),
}


def _run(monkeypatch, work: Path, out: Path, command: str, encoding: str, errors: str):
    """main() with stdout and stderr encoded as a console would: (exit code, stdout bytes, stderr bytes)."""
    argv, _ = COMMANDS[command]
    out.mkdir(parents=True, exist_ok=True)
    streams = [io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=errors) for _ in range(2)]
    monkeypatch.setattr(sys, "stdout", streams[0])
    monkeypatch.setattr(sys, "stderr", streams[1])
    code = main([a.format(w=work, o=out) for a in argv])
    for s in streams:
        s.flush()
    monkeypatch.undo()
    return code, streams[0].buffer.getvalue(), streams[1].buffer.getvalue()


_reference: dict[str, tuple] = {}


def _utf8(monkeypatch, work, tmp_root, command):
    if command not in _reference:
        _reference[command] = _run(monkeypatch, work, tmp_root / "utf-8" / command, command, "utf-8", "strict")
    return _reference[command]


def _without(doc, volatile=("seconds",)):
    if isinstance(doc, dict):
        return {k: _without(v) for k, v in doc.items() if k not in volatile}
    if isinstance(doc, list):
        return [_without(v) for v in doc]
    return doc


def _xml_items(data: bytes):
    return [(el.tag, {k: v for k, v in el.attrib.items() if k != "time"}, (el.text or "").strip())
            for el in ET.fromstring(data).iter()]


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return tmp_path_factory.mktemp("outputs")


@pytest.mark.parametrize("console_name", list(CONSOLES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_on_every_console(monkeypatch, work, tmp_root, command, console_name):
    encoding, errors = CONSOLES[console_name]
    want_code, want_out, want_err = _utf8(monkeypatch, work, tmp_root, command)
    out_dir = tmp_root / console_name / command
    code, out, err = _run(monkeypatch, work, out_dir, command, encoding, errors)
    text_err = err.decode(encoding)
    assert code == want_code, text_err
    assert "internal error" not in text_err and "Traceback" not in text_err, text_err
    assert err.count(b"\n") == want_err.count(b"\n")
    assert out.count(b"\n") == want_out.count(b"\n")
    argv = COMMANDS[command][0]
    if "json" in argv:  # the same document, in ASCII
        assert out.isascii()
        assert _without(json.loads(out.decode("ascii"))) == _without(json.loads(want_out.decode("utf-8")))
    elif "junit" in argv:  # the same XML (declared UTF-8: ASCII is UTF-8)
        assert out.isascii()
        assert _xml_items(out) == _xml_items(want_out)
    else:
        assert out.decode(encoding).strip() or code == 2 or command == "usage error"
    for name in COMMANDS[command][1]:  # files are UTF-8, whatever the console: the same contents
        assert _contents(out_dir / name) == _contents(tmp_root / "utf-8" / command / name), name


def _contents(path: Path):
    """A file's bytes; a workbook's parts (a zip's entries carry the time they were written)."""
    if path.suffix != ".xlsx":
        return path.read_bytes()
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def test_what_a_japanese_chinese_and_ascii_console_show_of_a_check(monkeypatch, work, tmp_root):
    shown = {}
    for name, (encoding, errors) in CONSOLES.items():
        code, out, _ = _run(monkeypatch, work, tmp_root / "shown", "check", encoding, errors)
        assert code == 1
        shown[name] = out.decode(encoding)
    # cp932 has Σ, ×, σ, →, ○ but not ·, — or 习: the marks a Japanese reader writes instead
    assert "z2 = Σ w・(input) + b" in shown["cp932"]
    assert "missing bias ― z2_1" in shown["cp932"] and "学\\u4e60!O11 ・ image 1 ・ z2_1" in shown["cp932"]
    # gbk carries all of these
    assert "z2 = Σ w·(input) + b" in shown["gbk"] and "学习!O11 · image 1 · z2_1" in shown["gbk"]
    # ASCII: words and escapes that still say which cell
    for name in ("ascii", "C locale"):
        assert "z2 = sum w|(input) + b" in shown[name] and "missing bias -- z2_1" in shown[name]
        assert "\\u5b66\\u4e60!O11 | image 1 | z2_1" in shown[name]


@pytest.mark.parametrize("ch, encoding, shown", [
    ("·", "cp932", "・"), ("·", "ascii", "|"), ("—", "cp932", "―"), ("—", "ascii", "--"), ("≤", "cp932", "≦"),
    ("≤", "ascii", "<="), ("≈", "cp932", "≒"), ("∂", "gbk", "d"), ("−", "gbk", "-"), ("→", "ascii", "->"),
    ("✓", "cp932", "√"), ("✗", "gbk", "×"), ("Ｃ", "ascii", "C"), ("…", "ascii", "..."), ("学", "ascii", "\\u5b66"),
    ("é", "ascii", "\\xe9"), ("😀", "gbk", "\\U0001f600"),
])
def test_a_character_the_console_lacks_becomes_its_nearest(ch, encoding, shown):
    assert console.substitute(ch, encoding) == shown
    assert f"a{ch}b".encode(encoding, console.ERRORS) == f"a{shown}b".encode(encoding)


def test_json_and_xml_for_a_console_that_is_not_utf8_are_the_same_documents_in_ascii():
    doc = {"学习": "σ(z) — 😀 · \udcff", "x": [1.5, None]}
    text = json.dumps(doc, ensure_ascii=False)
    for encoding in ("cp932", "gbk", "ascii"):
        stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
        assert console.json_for(stream, text).isascii()
        assert json.loads(console.json_for(stream, text)) == doc
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert json.loads(console.json_for(utf8, text)) == doc
    plain = json.dumps({"学习": "σ(z) — 😀"}, ensure_ascii=False)
    assert console.json_for(utf8, plain) == plain
    # a file name read in the C locale: its UTF-8 bytes as lone surrogates → its characters again
    name = "作业 1.xlsx".encode().decode("ascii", "surrogateescape")
    assert json.loads(console.json_for(io.TextIOWrapper(io.BytesIO(), encoding="ascii"), json.dumps(name, ensure_ascii=False)))\
        == "作业 1.xlsx"
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n<a b="学习 σ">Σ — 😀</a>'
    ascii_xml = console.xml_for(io.TextIOWrapper(io.BytesIO(), encoding="gbk"), xml)
    assert ascii_xml.isascii()
    parsed = ET.fromstring(ascii_xml.encode())
    assert parsed.get("b") == "学习 σ" and parsed.text == "Σ — 😀"


def test_the_consoles_error_handlers_are_restored_after_a_command(monkeypatch, capsys):
    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp932", errors="strict")
    monkeypatch.setattr(sys, "stdout", stream)
    assert main(["--version"]) == 0
    assert stream.errors == "strict"


# -- the real start-up path: environment variables, a fresh interpreter ------------------------
ENVIRONMENTS = {
    "cp932": {"PYTHONIOENCODING": "cp932"},
    "gbk": {"PYTHONIOENCODING": "gbk"},
    "ascii": {"PYTHONIOENCODING": "ascii"},
    "C locale": {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
}


@pytest.mark.parametrize("name", list(ENVIRONMENTS))
def test_a_fresh_sheetnet_under_each_console_environment(work, tmp_path, name):
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LANGUAGE", "PYTHONIOENCODING", "PYTHONUTF8")
           and not k.startswith("LC_")}
    env.update(ENVIRONMENTS[name], PYTHONPATH=str(ROOT))
    run = lambda *argv: subprocess.run([sys.executable, "-m", "sheetnet", *argv], capture_output=True, env=env,
                                       cwd=tmp_path, timeout=300)
    done = run("check", str(work / "错误 1.xlsx"), "--format", "json")
    assert done.returncode == 1, done.stderr
    assert done.stdout.isascii() and json.loads(done.stdout)["file"] == str(work / "错误 1.xlsx")
    done = run("answer", "-o", "答案.xlsx")
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    assert b"wrote " in done.stdout and (tmp_path / "答案.xlsx").exists()
    done = run("recompute", str(work / "坏.xlsx"))
    assert done.returncode == 2 and done.stderr.count(b"\n") == 1 and b"internal error" not in done.stderr
