"""`sheetnet check --format html`: the page a student reads on a phone, judged in a real browser.

Debian's headless chromium loads each page at a phone's viewport (390×844, mobile) and a desktop's,
and the tests assert on what it laid out and drew: nothing wider than the screen but the sheet's grid
(which scrolls in its own box), the marked cells' colours and symbols, the weight pictures drawn with
a size, no request but the page itself; then on the screenshot's pixels (decoded with zlib and numpy).
The screenshots are kept in the test's tmp folder and their paths printed.
"""

from __future__ import annotations

import re
import shutil
import zipfile

import pytest

import checkmut
from browser import DESKTOP, PHONE, Browser
from pngread import colours
from report_picture import DOCS_PICTURE, example_workbook, picture, write_page
from sheetnet.check import html, sheetgrid
from sheetnet.check.checker import check
from sheetnet.cli import main
from sheetnet.xlsx.refs import cell_name

ROOT_RGB, INHERITED_RGB = (255, 199, 206), (255, 235, 156)
BLUE_RGB = (90, 138, 198)  # a unit's most negative weight, as the workbook's scale draws it

# What the page is measured by: a script the test evaluates in the laid-out page (the page has none),
# given the screen's width (a phone widens its layout to fit a page wider than the screen: innerWidth
# would then hide the overflow it is asked about).
MEASURE = r"""((screen) => {
  const vw = window.innerWidth;
  const inGrid = e => e.closest('.sheetbox') !== null;
  const wide = [...document.querySelectorAll('body *')].filter(e => !inGrid(e) && !e.closest('svg'))
    .filter(e => e.getBoundingClientRect().right > screen + 0.5).map(e => e.tagName + '.' + e.className);
  const marked = sel => [...document.querySelectorAll(sel)].map(e => ({
    bg: getComputedStyle(e).backgroundColor, text: e.textContent,
    href: e.querySelector('a') ? e.querySelector('a').getAttribute('href') : null}));
  const links = [...document.querySelectorAll('[href],[src]')].map(e => e.getAttribute('href') || e.getAttribute('src'));
  return {
    vw, scrollWidth: document.documentElement.scrollWidth, wide,
    boxes: [...document.querySelectorAll('.sheetbox')].map(b => ({
      width: b.getBoundingClientRect().width, scroll: b.scrollWidth, client: b.clientWidth})),
    roots: marked('td.root'), inherited: marked('td.inh'),
    svgs: [...document.querySelectorAll('.weights svg')].map(s => ({
      width: s.getBoundingClientRect().width, height: s.getBoundingClientRect().height,
      fills: [...s.querySelectorAll('rect')].map(r => r.getAttribute('fill'))})),
    scripts: document.scripts.length, links,
    dangling: links.filter(h => h.startsWith('#') && !document.getElementById(decodeURIComponent(h.slice(1)))),
  };
})"""


def _measure(page, viewport) -> dict:
    return page.evaluate(f"{MEASURE}({viewport[0]})")


# Where the cell marked as a root cause's first place sits: its column letter and row number as drawn.
WHERE = r"""((id) => {
  const td = document.getElementById(id);
  const left = td.getBoundingClientRect().left;
  const head = [...td.closest('table').querySelectorAll('thead th')]
    .find(th => Math.abs(th.getBoundingClientRect().left - left) < 0.5);
  return head.textContent + td.parentElement.firstElementChild.textContent;
})"""


@pytest.fixture(scope="module")
def student(soffice, tmp_path_factory):
    return example_workbook(tmp_path_factory.mktemp("html-student"))


def _show(record_property, name: str, png) -> None:
    print(f"\n[screenshot] {name}: {png}")
    record_property(f"screenshot {name}", str(png))


# -- the page in a browser ---------------------------------------------------------------------------
def test_the_page_reads_on_a_phone_and_a_desktop(student, chromium, tmp_path, record_property):
    page = write_page(student, tmp_path / "student.html")
    result = check(student)
    with Browser(chromium) as browser:
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            p = browser.load(page, viewport)
            m = _measure(p, viewport)
            png = p.screenshot(tmp_path / f"{name}.png", full_page=True, fast=True)
            _show(record_property, name, png)

            assert m["vw"] == viewport[0]
            assert m["scrollWidth"] <= m["vw"] and m["wide"] == []  # nothing wider than the screen …
            (box,) = m["boxes"]
            assert box["width"] <= m["vw"]  # … but the grid, which scrolls inside its own box
            if name == "phone":
                assert box["scroll"] > box["client"]
            # the root causes: z2_1 in the six images drawn, a2_2 in image 3; each in colour AND with its symbol
            assert len(m["roots"]) == 7
            assert all(c["bg"] == "rgb(255, 199, 206)" and c["text"].startswith("✗") for c in m["roots"])
            assert {c["href"] for c in m["roots"]} == {"#R1", "#R2"}
            assert len(m["inherited"]) == _drawn(result, inherited=True) > 0
            assert all(c["bg"] == "rgb(255, 235, 156)" and c["text"].startswith("↓") for c in m["inherited"])
            # the three hidden units' weights, drawn 4×3 with a size, shaded (not all white)
            assert len(m["svgs"]) == 3
            for svg in m["svgs"]:
                assert svg["width"] > 0 and svg["height"] > 0 and len(svg["fills"]) == 12
                assert set(svg["fills"]) - {"#FFFFFF"}
            # self-contained: no script, nothing asked for but the page itself, every link inside it
            assert m["scripts"] == 0 and p.requests() == [p.url]
            assert all(h.startswith("#") for h in m["links"]) and m["dangling"] == []
            assert p.evaluate(WHERE + "('at-R1')") == "O11" and p.evaluate(WHERE + "('at-R2')") == "W15"

            # the pixels: both marks' colours drawn, and the weights' blue
            drawn = colours(png)
            assert drawn[ROOT_RGB] > 100 and drawn[INHERITED_RGB] > 100 and drawn[BLUE_RGB] > 100, name


def _drawn(result, *, inherited: bool) -> int:
    grid = sheetgrid.build(result)
    return sum(1 for b in grid.blocks for c in b.cells.values()
               if c.finding is not None and c.finding.is_root != inherited)


def test_the_page_carries_each_finding_and_the_totals(student, tmp_path):
    result = check(student)
    text = html.page(result)
    for r in result.root_causes:
        assert f'id="{r.id}"' in text and html._h(r.diagnosis.text) in text
        assert html._h(r.first.expected_formula) in text
    assert "ＣT" in text and "正确率" in text and "<td>18.3471</td>" in text  # the sheet's labels, the expected C_T
    hinted = html.page(result, hints=True)
    assert all(html._h(r.first.expected_formula) not in hinted for r in result.root_causes)
    assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_picture_in_docs_is_made_the_tests_way(student, chromium, tmp_path, record_property):
    page = write_page(student, tmp_path / "student.html")
    png = picture(page, tmp_path / "check-report.png", fast=True)
    _show(record_property, "docs' viewport", png)
    drawn = colours(png)
    assert drawn[ROOT_RGB] > 100 and drawn[INHERITED_RGB] > 100 and drawn[BLUE_RGB] > 100
    assert DOCS_PICTURE.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # regenerate: python3 tests/report_picture.py
    docs = colours(DOCS_PICTURE)
    assert docs[ROOT_RGB] > 100 and docs[INHERITED_RGB] > 100 and docs[BLUE_RGB] > 100


# -- every kind: the grid comes from the layout ------------------------------------------------------
def _with_one_mistake(tmp_path, kind: str, iterations: int | None) -> tuple:
    """An answer workbook of `kind` with one formula changed as a student would, LibreOffice-calculated:
    the first bias's update with the wrong sign in iteration 2 (iterated kinds), or zF_2(1,1) of image 5
    without its bias (cnn). Returns the workbook and the changed cell."""
    from sheetnet.mirror.kinds import by_name
    from sheetnet.libreoffice import recalculate

    clean = tmp_path / f"{kind}.xlsx"
    argv = ["answer", "--kind", kind, "-o", str(clean)] + (["--iterations", str(iterations)] if iterations else [])
    assert main(argv) == 0
    layout = by_name(kind).layout
    role = sheetgrid.graded_role(layout)
    names = {s.role: s.names[0] for s in layout.sheets}
    n = 96 if kind.startswith("cnn") else 64
    if iterations:
        q = layout[layout.roles.bias[0][1]]  # b2 / filter_b
        index, where = (1, 0, 0, 0), dict(image=0, unit=0, r=0, c=0, iteration=1, n_iterations=iterations)
        formula = layout.formula(q, n, names, **where).replace("-", "+", 1)
    else:
        q = layout["zF"]
        index, where = (4, 1, 0, 0), dict(image=4, unit=1, r=0, c=0)
        formula = layout.formula(q, n, names, **where).rsplit("+", 1)[0]
    row, col = (int(v) for v in layout.positions(q, n, iterations or 1)[index])
    ref = cell_name(row, col)
    part = checkmut.sheet_part(clean, names[role])
    edited = checkmut.mutate(clean, tmp_path / f"{kind}-edit.xlsx", {ref: formula}, part=part)
    return recalculate(edited, tmp_path / f"{kind}-student.xlsx"), ref


@pytest.mark.parametrize("kind, iterations, blocks, weights", [
    ("backprop", 4, ["Iteration 1", "Iteration 2", "Iteration 3"], (4, 3)),
    ("cnn", None, [], (3, 3)),
    ("cnn-backprop", 2, ["Iteration 1", "Iteration 2"], (3, 3)),
])
def test_each_kind_draws_its_sheet_from_its_layout(soffice, chromium, tmp_path, record_property,
                                                   kind, iterations, blocks, weights):
    student, ref = _with_one_mistake(tmp_path, kind, iterations)
    result = check(student)
    first = result.root_causes[0].first
    assert first.cell.endswith("!" + ref)
    page = tmp_path / f"{kind}.html"
    assert main(["check", str(student), "--format", "html", "-o", str(page)]) == 1
    text = page.read_text(encoding="utf-8")
    assert re.findall(r"<h3>(Iteration \d+)</h3>", text)[:len(blocks)] == blocks
    if kind == "backprop":  # iteration 4 inherits too, and is said, not drawn
        assert "Iteration blocks not drawn that hold findings too: 4" in text
    layout = result.loaded.layout
    row_labels = {str(label.text) for label in layout.labels if label.sheet == "learn" and label.style != "title"}
    shown = set(re.findall(r'<td class="lab[^"]*">([^<]+)</td>', text))
    assert {"x", "C", "判定" if kind == "cnn" else "C"} <= shown <= row_labels
    with Browser(chromium) as browser:
        p = browser.load(page, PHONE)
        m = _measure(p, PHONE)
        _show(record_property, kind, p.screenshot(tmp_path / f"{kind}-phone.png", fast=True))
        assert m["scrollWidth"] <= m["vw"] and m["wide"] == [] and m["scripts"] == 0
        assert p.evaluate(WHERE + f"('at-{result.root_causes[0].id}')") == ref  # drawn where the sheet has it
        rows, cols = weights
        assert m["svgs"] and all(len(s["fills"]) == rows * cols and s["width"] > 0 for s in m["svgs"])
        assert p.requests() == [p.url]


# -- a class -----------------------------------------------------------------------------------------
def test_a_class_gets_a_page_each_and_an_index(student, chromium, tmp_path, capsys, record_property):
    folder = tmp_path / "class"
    (folder / "b").mkdir(parents=True)
    shutil.copy(student, folder / "alice.xlsx")
    shutil.copy(student, folder / "b" / "alice.xlsx")  # the same name in another folder
    clean = folder / "张三.xlsx"
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    write_book_workbook(clean, chapter3_params("initial"))
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    pages, copies = tmp_path / "pages", tmp_path / "marked"
    assert main(["check", str(folder), "--format", "html", "-o", str(pages), "--annotate", str(copies),
                 "--csv", str(tmp_path / "grades.csv"), "--jobs", "2"]) == 2  # the worst: the broken file
    out = capsys.readouterr().out
    assert f"wrote {pages / 'index.html'} and 3 pages beside it" in out
    assert sorted(p.name for p in pages.iterdir()) == ["alice.html", "b-alice.html", "index.html", "张三.html"]
    assert sorted(p.name for p in copies.iterdir()) == ["alice.xlsx", "b-alice.xlsx", "张三.xlsx"]
    with zipfile.ZipFile(copies / "alice.xlsx") as z:
        assert any(n.startswith("xl/comments") for n in z.namelist())
    index = (pages / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"#]+)"', index) == ["alice.html", "b-alice.html", "%E5%BC%A0%E4%B8%89.html"]
    assert "unusable:" in index and "broken.xlsx" in index
    with Browser(chromium) as browser:
        p = browser.load(pages / "index.html", PHONE)
        m = _measure(p, PHONE)
        _show(record_property, "class index", p.screenshot(tmp_path / "index-phone.png", fast=True))
        assert m["scrollWidth"] <= m["vw"] and m["wide"] == [] and m["dangling"] == []
        targets = p.evaluate("[...document.querySelectorAll('a')].map(a => a.href)")
        assert [t.rsplit("/", 1)[1] for t in targets] == ["alice.html", "b-alice.html", "%E5%BC%A0%E4%B8%89.html"]


def test_html_options_are_refused_in_one_line(student, tmp_path, capsys):
    for argv, words in (
        (["check", str(student), "--format", "html"], "give -o"),
        (["check", str(student), "-o", str(tmp_path / "r.html")], "-o names the page"),
        (["check", str(student), str(student), "--format", "html", "-o", str(tmp_path / "r.html")], "names a folder"),
        (["check", str(student), "--format", "html", "-o", str(tmp_path / "no" / "r.html")], "does not exist"),
        (["check", str(student.parent), "--format", "html", "-o", str(student.parent / "pages")], "inside the class"),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err, err
    assert not (tmp_path / "r.html").exists() and not (student.parent / "pages").exists()
