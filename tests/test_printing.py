"""The workbooks on paper, judged on LibreOffice's printout: each kind is printed to PDF (recalculated,
with the private profile) and the tests read each page's text: no ### anywhere, the pages designed in
the layouts' page set-up, and no image's block split between two pages.

Needs LibreOffice, poppler-utils (pdftotext, pdftoppm), and the fonts .ci/run installs: Carlito (the
metric twin of Calibri, the workbook's default font, which sets the column widths) and WenQuanYi
Micro Hei for the CJK labels. Skipped without them, except under CI=true.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import IN_CI

from sheetnet.layout.backprop import BACKPROP
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.layout.chapter5 import CNN5
from sheetnet.layout.chapter5_backprop import CNN_BACKPROP
from sheetnet.layout.gd_run import GD_RUN
from sheetnet.printout import first_page, missing_tools, pictures, print_workbook, title

NUMBER = re.compile(r"-?\d+(?:\.\d+)?%?$")


def _font(family: str) -> str:
    done = subprocess.run(["fc-match", "-f", "%{family}", family], capture_output=True, text=True)
    return done.stdout


@pytest.fixture(scope="module")
def printer(soffice, tmp_path_factory):
    """printer(name, write) → the Printout of the workbook `write(path)` makes (cached by name)."""
    absent = missing_tools()
    if shutil.which("fc-match") and "Carlito" not in _font("Calibri"):
        absent.append("the Carlito font (fonts-crosextra-carlito)")
    if shutil.which("fc-match") and "WenQuanYi" not in subprocess.run(["fc-list", ":lang=zh"], capture_output=True,
                                                                      text=True).stdout:
        absent.append("a CJK font (fonts-wqy-microhei)")
    if absent:
        if IN_CI:
            pytest.fail(f"missing under CI=true: {', '.join(absent)}")
        pytest.skip(f"not here: {', '.join(absent)}")
    folder = tmp_path_factory.mktemp("printouts")
    done = {}

    def run(name, write):
        if name not in done:
            write(folder / f"{name}.xlsx")
            done[name] = print_workbook(folder / f"{name}.xlsx", folder / f"{name}.pdf")
        return done[name]

    return run


def _answer(path):
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_answer_workbook

    write_answer_workbook(path, chapter3_params("trained"))


def _exercise(path):
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    write_book_workbook(path, chapter3_params("initial"), exercise=True)


def _backprop(path):
    from sheetnet.mirror.backprop import write_backprop_workbook

    write_backprop_workbook(path, iterations=3)  # one more block than the print area holds


def _backprop_exercise(path):
    from sheetnet.mirror.backprop import write_backprop_workbook

    write_backprop_workbook(path, iterations=3, exercise=True)


def _cnn(path):
    from sheetnet.data.chapter5 import chapter5_params
    from sheetnet.mirror.cnn import write_cnn_workbook

    write_cnn_workbook(path, chapter5_params("initial"))


def _cnn_backprop(path):
    from sheetnet.mirror.cnn_backprop import write_cnn_backprop_workbook

    write_cnn_backprop_workbook(path, iterations=2)


# workbook → how it is written, its sheets (layout, role) in order, and the pages designed for each
DESIGNED = {
    "answer": (_answer, [(CHAPTER3, "data", 4), (CHAPTER3, "learn", 8), (CHAPTER3, "test", 1), (GD_RUN, "gd", 1)]),
    "exercise": (_exercise, [(CHAPTER3, "data", 4), (CHAPTER3, "learn", 8)]),
    # two iteration blocks of two pages each, then C_T's table and chart on one page
    "backprop": (_backprop, [(BACKPROP, "data", 4), (BACKPROP, "learn", 4), (BACKPROP, "summary", 1)]),
    "backprop-exercise": (_backprop_exercise, [(BACKPROP, "data", 4), (BACKPROP, "learn", 4),
                                               (BACKPROP, "summary", 1)]),
    "cnn": (_cnn, [(CNN5, "data", 8), (CNN5, "learn", 4)]),
    # one iteration block on four pages
    "cnn-backprop": (_cnn_backprop, [(CNN_BACKPROP, "data", 8), (CNN_BACKPROP, "learn", 4),
                                     (CNN_BACKPROP, "summary", 1)]),
}


def _sheets(printout, sheets) -> dict[str, list[str]]:
    """Each sheet's pages: a sheet begins on the page whose first line is its title (a title in a
    repeated column heads every page of its sheet, so only a change of title begins a sheet)."""
    titles = {title(layout, role): role for layout, role, _ in sheets}
    out: dict[str, list[str]] = {}
    current = None
    for page in printout.pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        head = lines[0] if lines else ""
        if head in titles and titles[head] != current:
            current = titles[head]
        assert current is not None, f"a page before any sheet's title: {head!r}"
        out.setdefault(current, []).append(page)
    return out


def _after(page: str, label: str) -> list[str]:
    """The numbers (or ○/×) after the word `label` on the first line of the page that has it."""
    for line in page.splitlines():
        words = line.split()
        if label in words:
            return [w for w in words[words.index(label) + 1:] if NUMBER.match(w) or w in "○×"]
    return []


@pytest.mark.parametrize("name", list(DESIGNED))
def test_the_printout_shows_no_hashes_and_has_the_pages_designed(printer, name):
    write, sheets = DESIGNED[name]
    printout = printer(name, write)
    hashes = [i + 1 for i, page in enumerate(printout.pages) if "###" in page]
    assert hashes == [], f"### on pages {hashes}"
    pages = _sheets(printout, sheets)
    assert {role: len(p) for role, p in pages.items()} == {role: n for _, role, n in sheets}
    print(f"{name}: {len(printout.pages)} pages, " + ", ".join(f"{r} {len(p)}" for r, p in pages.items()))


@pytest.mark.parametrize("name", ["answer", "exercise"])
def test_chapter3_pages_hold_whole_image_blocks(printer, name):
    pages = _sheets(printer(name, DESIGNED[name][0]), DESIGNED[name][1])
    seen = []
    for page in pages["data"]:
        numbers = [int(v) for v in _after(page, "编号")]
        assert numbers and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        assert len(_after(page, "正解")) == len(numbers)  # the digit: the block's last column
        assert len(_after(page, "位模式")) == 3 * len(numbers)  # the first row of pixels
        seen += numbers
    assert seen == list(range(1, 65))
    seen = []
    for page in pages["learn"]:
        numbers = [int(v) for v in _after(page, "编号")]
        assert len(numbers) == 8
        if name == "answer":  # (the exercise's are empty) the pixels and, in the block's last column, C and ○/×
            assert len(_after(page, "x")) == 3 * 8 and len(_after(page, "判定")) == len(_after(page, "C")) == 8
        seen += numbers
    assert seen == list(range(1, 65))


def test_cnn_pages_hold_whole_image_blocks(printer):
    pages = _sheets(printer("cnn", _cnn), DESIGNED["cnn"][1])
    seen = []
    for page in pages["data"]:
        numbers = [int(v) for v in _after(page, "编号")]
        assert len(_after(page, "位模式")) == 6 * len(numbers)  # a row of pixels: the block's six columns
        seen += numbers
    assert seen == list(range(1, 97))
    for k, page in enumerate(pages["learn"]):
        numbers = [int(v) for v in _after(page, "编号")]
        assert numbers == list(range(4 * k + 1, 4 * k + 5))
        assert len(_after(page, "x")) == 6 * 4 and len(_after(page, "C")) == len(_after(page, "判定")) == 4


def test_iterated_workbooks_print_their_first_blocks_and_the_chart(printer):
    pages = _sheets(printer("backprop", _backprop), DESIGNED["backprop"][1])
    learn = pages["learn"]
    for block in (learn[0], learn[2]):  # a block's first page: the forward pass of images 1–4
        assert [int(v) for v in _after(block, "编号")] == [1, 2, 3, 4] and len(_after(block, "C")) == 4
    for rest in (learn[1], learn[3]):  # its second page: every ∂C/∂w of those images
        assert len(_after(rest, "∂C/∂w2")) == len(_after(rest, "∂C/∂w3")) == 4
    assert "20.312121" in learn[0] and "20.312121" not in learn[2]  # C_T of iteration 1, then of 2
    summary = pages["summary"][0]
    assert [int(v) for v in re.findall(r"^\s*(\d+)\s+\d+\.\d{6}\b", summary, re.M)] == [1, 2, 3]  # the table
    assert summary.count("次数") == 2  # the table's header and the chart's axis

    pages = _sheets(printer("cnn-backprop", _cnn_backprop), DESIGNED["cnn-backprop"][1])
    forward, errors, filters, rest = pages["learn"]
    assert [int(v) for v in _after(forward, "编号")] == [1, 2] and len(_after(forward, "C")) == 2
    assert "δO" in errors and "δF" in errors and "∂C/∂w" in filters and "∂C/∂b" in rest


def test_the_pictures_in_docs_are_made_from_the_printout(printer, tmp_path):
    from sheetnet.printout import make_pictures

    made = make_pictures(tmp_path, ["answer.png"])
    assert [p.name for p in made] == ["answer.png"] and made[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printout = printer("answer", _answer)
    assert printout.pages[first_page(printout, CHAPTER3, "test") - 1].strip().startswith("0和1的识别（测试）")
    assert set(pictures()) == {"answer.png", "backprop.png", "cnn-backprop.png"}
