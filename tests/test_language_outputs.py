"""Every report a student or teacher reads, in each language: no English left in Chinese and Japanese,
and quantities named as the sheet labels them (预测, 判定, ＣT …), never by internal names.

One mistaken workbook (a missing bias in z2_1 of every image, a wrong exponent sign in one a2_2), calculated
by LibreOffice as the student's spreadsheet would have: the check text report and its diagnoses, recompute,
a one-line error, a class summary from two worker processes, and --help.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sheetnet import i18n
from sheetnet.cli import main

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

# What each language must say (the check of the workbook below), and English that must not be left.
SAYS = {
    "zh": {"check": ["缺少偏置", "没有加上偏置", "影响下游", "预测 ×", "判定 ×", "ＣT", "正确率", "图像 1–64", "得分"],
           "recompute": ["计算单元格", "保存的值", "重新计算为", "学习表"],
           "error": "不是 .xlsx 工作簿", "class": ["工作簿", "根本原因", "缺少偏置", "全部正确", "已检查 2 个工作簿"],
           "help": "用法："},
    "ja": {"check": ["バイアスがない", "が加えられていません", "下流のセル", "预测 ×", "判定 ×", "ＣT", "正确率", "画像 1–64",
                     "得点"],
           "recompute": ["計算セル", "保存された値", "再計算", "学習シート"],
           "error": ".xlsx ワークブックではありません", "class": ["ワークブック", "根本原因", "バイアスがない", "すべて正しい",
                                                         "ワークブック 2 個を"],
           "help": "使い方: "},
    "en": {"check": ["missing bias", "is not added", "spoils", "prediction ×", "verdict ×", "C_T", "accuracy",
                     "images 1–64", "score"],
           "recompute": ["computed cells", "cached", "recomputed", "learn sheet"],
           "error": "is not an .xlsx workbook", "class": ["workbook", "root causes", "missing bias", "all right",
                                                          "checked 2 workbooks"],
           "help": "usage: "},
}
ENGLISH = ["missing", "bias", "spoils", "expected", "found", "root cause", "image", "places", "inherit", "right",
           "score", "formula", "cells", "cached", "recomputed", "workbook", "sheet", "checked", "process", "unusable",
           "should be", "the ", " is ", "usage", "options", "show"]
INTERNAL = ["predicted", "right ×"]  # the layout's own names, never shown (C_T and accuracy: English labels too)


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


@pytest.fixture(scope="module")
def student(recalc, tmp_path_factory) -> Path:
    from checkcases import across, at
    from checkmut import mutate
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    folder = tmp_path_factory.mktemp("lang")
    clean = folder / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    edits = {**across("=SUMPRODUCT(L5:N8,$D$5:$F$8)", "z2"), at("a2", 3, 2): f"=1/(1+EXP({at('z2', 3, 2)}))"}
    mutate(clean, folder / "edited.xlsx", edits)
    calculated = recalc(folder / "edited.xlsx")
    made = folder / "mistaken.xlsx"
    made.write_bytes(calculated.read_bytes())
    return made


def _no_english(text: str, path: Path, lang: str) -> None:
    if lang == "en":
        return
    bare = text.replace(str(path.parent), "")  # the file's folder is the test's, not a text of ours
    for formula_word in ("SUMPRODUCT", "EXP"):
        bare = bare.replace(formula_word, "")
    left = [w for w in ENGLISH if w in bare.lower()]
    assert not left, f"English left in the {lang} output: {left}\n{text}"


@pytest.mark.parametrize("lang", ["zh", "ja", "en"])
def test_the_check_report_and_its_diagnoses(student, capsys, lang):
    assert main(["check", str(student), "--lang", lang]) == 1
    out = capsys.readouterr().out
    for phrase in SAYS[lang]["check"]:
        assert phrase in out, f"{phrase!r} not in the {lang} report:\n{out}"
    for name in INTERNAL + (["C_T", "accuracy"] if lang != "en" else []):
        assert name not in out
    _no_english(out, student, lang)


@pytest.mark.parametrize("lang", ["zh", "ja", "en"])
def test_the_recompute_report(student, capsys, lang):
    assert main(["recompute", str(student), "--lang", lang]) == 1  # the cached values differ
    out = capsys.readouterr().out
    for phrase in SAYS[lang]["recompute"]:
        assert phrase in out, f"{phrase!r} not in the {lang} report:\n{out}"
    _no_english(out.replace("chapter3", ""), student, lang)


@pytest.mark.parametrize("lang", ["zh", "ja", "en"])
def test_a_one_line_error(tmp_path, capsys, lang):
    bad = tmp_path / "notes.xlsx"
    bad.write_text("not a workbook")
    assert main(["check", str(bad), "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"sheetnet: {bad}: ")
    assert SAYS[lang]["error"] in err
    _no_english(err.replace("sheetnet", "").replace(".xlsx", ""), bad, lang)


@pytest.mark.parametrize("lang, environment", [("ja", "zh"), ("zh", "en"), ("en", "ja")])
def test_a_class_in_two_processes_speaks_the_chosen_language(student, tmp_path, lang, environment):
    """Workers started by spawn (Windows' way) read the environment afresh: --lang must still win there."""
    clean = student.parent / "clean.xlsx"
    code = ("import multiprocessing, sys; multiprocessing.set_start_method('spawn', force=True); "
            "from sheetnet.cli import main; sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SHEETNET_LANG": environment, "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run([sys.executable, "-c", code, "check", str(student), str(clean), "-j", "2", "--lang", lang],
                         capture_output=True, text=True, encoding="utf-8", env=env, cwd=tmp_path, timeout=300)
    assert run.returncode == 1, run.stderr
    for phrase in SAYS[lang]["class"]:
        assert phrase in run.stdout, f"{phrase!r} not in the {lang} summary:\n{run.stdout}"
    assert "(2 " in run.stdout or "（2 " in run.stdout  # two worker processes did the work
    _no_english(run.stdout, student, lang)


COMMANDS = {"answer", "exercise", "recompute", "train", "check"}  # the command line's words, listed by name


@pytest.mark.parametrize("lang", ["zh", "ja"])
@pytest.mark.parametrize("command", [[], ["check"], ["recompute"], ["train"], ["answer"], ["exercise"]])
def test_help(capsys, lang, command):
    assert main([*command, "--help", "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert out.startswith(SAYS[lang]["help"])
    # options, metavars and examples are the command line's own words; the rest is translated
    prose = [line for line in out.splitlines()[1:] if line.strip() and not line.lstrip().startswith(("-", "sheetnet"))
             and not line.startswith(" " * 20)]
    for line in prose:
        words = [w for w in line.replace("(", " ").replace(")", " ").split()
                 if w.isascii() and w.isalpha() and w.islower() and len(w) > 3 and w not in COMMANDS]
        assert not words, f"English in the {lang} help: {line!r}"


@pytest.mark.parametrize("lang, stops", [
    ("ja", ["反復の上限 max_iterations = 2 に達した", "開始時点ですでに目標 C_T ≤ 0.01 を満たしていた"]),
    ("zh_CN", ["已达到迭代上限 max_iterations = 2", "开始时已满足目标 C_T ≤ 0.01"]),
])
def test_why_the_training_stopped_is_said_in_the_readers_language_with_its_figure(lang, stops, tmp_path, capsys):
    # the engine's reasons that carry a figure (an iteration limit, a target cost) come as a template and
    # its values, translated by the command line like the fixed ones ("gradient small enough (gtol)")
    from sheetnet.data import chapter3_params
    from sheetnet.engine.cnn_training import CNN_SOLVE_TARGET
    from sheetnet.mirror.answer import write_book_workbook

    assert f"{CNN_SOLVE_TARGET:.6g}" == "0.01"
    start = tmp_path / "initial.xlsx"
    write_book_workbook(start, chapter3_params("initial"))
    assert main(["train", str(start), "-o", str(tmp_path / "a.xlsx"), "--iterations", "2", "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert stops[0] in out and "reached" not in out
    cnn = tmp_path / "cnn.xlsx"  # the trained cnn already meets the solver's target at the start
    assert main(["answer", "--kind", "cnn", "-o", str(cnn)]) == 0
    capsys.readouterr()
    assert main(["train", str(cnn), "-o", str(tmp_path / "b.xlsx"), "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert stops[1] in out and "already met" not in out
