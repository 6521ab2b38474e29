"""`sheetnet check` on the command line: JSON and JUnit output, the annotated copy, grading a class."""

import csv
import hashlib
import json
import re
import shutil
import zipfile
import xml.etree.ElementTree as ET

import pytest

from checkcases import CASES, at, build
from checkmut import LEARN_PART
from minixlsx import write_xlsx
from sheetnet.check.checker import check
from sheetnet.cli import main
from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook
from sheetnet.xlsx.reader import WorkbookCells

LEGEND = "sheetnet check"  # the annotated copy's first sheet


@pytest.fixture(scope="module")
def books(soffice, tmp_path_factory):
    return build(tmp_path_factory.mktemp("check-suite"))


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- JSON and JUnit ------------------------------------------------------------------------------
def test_json_lists_every_finding_with_the_documented_fields(books, capsys):
    assert main(["check", "--format", "json", str(books["missing bias, all images"])]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "sheetnet-check/2" and doc["ok"] is False
    assert doc["cells"] == 1794 and doc["right"] == 1794 - len(doc["findings"])
    assert doc["cell_score"] == pytest.approx(doc["right"] / doc["cells"])
    # the score counts mistakes: one wrong z2 formula filled across 64 images loses z2's point of 12
    assert (doc["points"], doc["points_possible"], doc["score"]) == (11, 12, pytest.approx(11 / 12))
    (root,) = doc["root_causes"]
    assert root["id"] == "R1" and root["diagnosis"] == "missing_bias" and len(root["places"]) == 64
    assert root["images"] == list(range(1, 65)) and root["spoils"] == len(doc["findings"]) - 64
    keys = {"sheet", "cell", "image", "quantity", "label", "kind", "expected", "expected_locally", "found", "formula",
            "expected_formula", "root_cause", "group", "caused_by", "diagnosis", "explanation"}
    for f in doc["findings"]:
        assert set(f) == keys
        assert (f["group"] == "R1") == f["root_cause"]
        assert f["caused_by"] == ([] if f["root_cause"] else ["R1"])
    first = doc["findings"][0]
    assert (first["sheet"], first["cell"], first["image"], first["quantity"], first["kind"]) == ("学习", "O11", 1, "z2_1", "value")
    assert doc["totals"]["C_T"]["expected"] == pytest.approx(18.347, abs=5e-4)


def test_junit_is_one_suite_with_a_case_per_quantity(books, capsys):
    assert main(["check", "--format", "junit", str(books["exponent sign, one image"])]) == 1
    root = ET.fromstring(capsys.readouterr().out)
    (suite,) = root
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["x", "t", "z2", "a2", "z3", "a3", "C", "answer", "predicted", "right", "C_T", "accuracy"]
    assert cases["a2"].find("failure").get("type") == "exponent_sign"
    assert cases["z2"].find("failure") is None
    assert int(root.get("failures")) == sum(c.find("failure") is not None for c in suite)


# -- the annotated copy --------------------------------------------------------------------------
def _cells(path):
    with WorkbookCells(path) as wb:
        return {name: dict(wb.sheet(name)) for name in wb.sheet_names}


def test_annotate_fills_and_comments_each_wrong_cell_and_changes_nothing_else(books, tmp_path, recalc, capsys):
    import openpyxl

    src = books["exponent sign, one image"]
    before = _sha(src)
    out = tmp_path / "marked.xlsx"
    assert main(["check", str(src), "--annotate", str(out)]) == 1
    assert f"wrote {out}: 7 cells marked" in capsys.readouterr().out
    assert _sha(src) == before and sorted(p.name for p in tmp_path.iterdir()) == ["marked.xlsx"]
    cells = _cells(out)
    assert list(cells) == [LEGEND, "Data", "学习"]  # the legend first
    assert {k: v for k, v in cells.items() if k != LEGEND} == _cells(src)  # every formula and cached value as it was
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        changed = {n for n in a.namelist() if a.read(n) != b.read(n)}
        added = set(b.namelist()) - set(a.namelist())
        # the sheet that was selected is not any more (the legend is): that attribute and nothing else
        for part in changed - {"[Content_Types].xml", "xl/styles.xml", LEARN_PART, "xl/workbook.xml",
                               "xl/_rels/workbook.xml.rels"}:
            assert part.startswith("xl/worksheets/")
            assert a.read(part).decode().replace(' tabSelected="true"', "") == b.read(part).decode()
    assert {"[Content_Types].xml", "xl/styles.xml", LEARN_PART, "xl/workbook.xml"} <= changed
    assert added == {"xl/comments1.xml", "xl/drawings/vmlDrawing1.vml", "xl/worksheets/_rels/sheet2.xml.rels",
                     "xl/worksheets/sheet3.xml"}

    original, marked = openpyxl.load_workbook(src)["学习"], openpyxl.load_workbook(out)["学习"]
    root = marked[at("a2", 3, 2)]
    assert root.fill.fgColor.rgb == "FFFFC7CE"
    assert root.comment.text.startswith("sheetnet R1: sign of the exponent")
    assert "expected 0.692415" in root.comment.text and "found 0.307584" in root.comment.text
    inherited = marked[at("C", 3)]
    assert inherited.fill.fgColor.rgb == "FFFFEB9C" and "inherited from R1" in inherited.comment.text
    for ref in (at("a2", 3, 1), at("z2", 3, 2), "D5", at("C", 4)):  # unmarked cells keep their look
        assert marked[ref].comment is None
        assert repr(marked[ref].fill) == repr(original[ref].fill)
        assert marked[ref].number_format == original[ref].number_format
    assert marked[at("a2", 3, 2)].number_format == original[at("a2", 3, 2)].number_format

    # LibreOffice, the judge, opens the copy: same cells, same findings, the comments kept
    judged = recalc(out)
    again = check(judged)
    assert {f.cell for f in again.findings if f.is_root} == {f"学习!{at('a2', 3, 2)}"}
    with zipfile.ZipFile(judged) as z:
        assert any(n.startswith("xl/comments") for n in z.namelist())
    _assert_legend_and_comments_as_libreoffice_keeps_them(judged, again, root.comment.text)


def _assert_legend_and_comments_as_libreoffice_keeps_them(judged, result, note: str) -> None:
    """The copy LibreOffice saved: the legend is still its first sheet and opens first, each root cause's
    link leads to its first cell, and each comment's box is as large as its text needs."""
    import openpyxl

    from sheetnet.check.annotate import comment_size

    wb = openpyxl.load_workbook(judged)
    assert wb.sheetnames[0] == LEGEND and wb.active.title == LEGEND
    legend = wb[LEGEND]
    links = {c.value: c.hyperlink.location for row in legend.iter_rows() for c in row if c.hyperlink}
    for r in result.root_causes:
        sheet, ref = r.first.cell.split("!")
        assert links[r.first.cell] == f"'{sheet}'!{ref}"
    texts = " ".join(str(c.value) for row in legend.iter_rows() for c in row if c.value is not None)
    assert "R1" in texts and result.root_causes[0].diagnosis.text in texts
    # LibreOffice writes the box it read: as wide and as high as the note's text needs (9 pt lines)
    with zipfile.ZipFile(judged) as z:
        vml = next(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
    from sheetnet.xlsx.refs import parse_cell

    r0, c0 = parse_cell(at("a2", 3, 2))
    shape = next(s for s in re.findall(r"<v:shape\b.*?</v:shape>", vml, re.S)
                 if f"<x:Row>{r0 - 1}</x:Row>" in s and f"<x:Column>{c0 - 1}</x:Column>" in s)
    width, height = (float(re.search(rf"{k}:([0-9.]+)pt", shape).group(1)) for k in ("width", "height"))
    want_w, want_h = comment_size(note)
    assert height >= 0.95 * want_h * 0.75 and width >= 0.95 * want_w * 0.75, (width, height, want_w, want_h)
    assert height >= 12 * len(note.split("\n"))  # every line of the note, at least, at 9 pt


def test_annotate_adds_to_comments_the_sheet_already_has(books, tmp_path, recalc):
    import openpyxl

    first = tmp_path / "first.xlsx"
    main(["check", str(books["exponent sign, one image"]), "--annotate", str(first)])
    resaved = recalc(first)  # LibreOffice's own comments part and drawing now
    second = tmp_path / "second.xlsx"
    result = check(resaved)
    from sheetnet.check.annotate import annotate

    # mark a cell that has no comment yet, next to the ones that have
    result.findings[0].cell = f"学习!{at('a2', 5, 1)}"
    annotate(result, second)
    ws = openpyxl.load_workbook(second)["学习"]
    assert ws[at("a2", 5, 1)].comment.text.startswith("sheetnet")
    assert ws[at("C", 3)].comment.text.startswith("sheetnet")
    cells = _cells(second)
    assert list(cells)[:2] == [f"{LEGEND} (2)", LEGEND]  # a second legend, named apart from the first
    assert {k: v for k, v in cells.items() if k != f"{LEGEND} (2)"} == _cells(resaved)


def test_annotate_adds_cells_and_rows_the_sheet_does_not_hold(tmp_path):
    import openpyxl

    clean = tmp_path / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    holes = tmp_path / "holes.xlsx"
    with zipfile.ZipFile(clean) as zin, zipfile.ZipFile(holes, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == LEARN_PART:
                text = data.decode()
                text = re.sub(r'<row r="21"[^>]*>.*?</row>', "", text)  # every C and C_T: the whole row
                text = re.sub(rf'<c r="{at("a2", 2, 3)}"[^>]*>.*?</c>', "", text)  # one cell
                data = text.encode()
            zout.writestr(info, data)
    out = tmp_path / "marked.xlsx"
    assert main(["check", str(holes), "--annotate", str(out)]) == 1
    ws = openpyxl.load_workbook(out)["学习"]
    for ref in ("G21", at("C", 1), at("C", 64), at("a2", 2, 3)):
        assert ws[ref].comment.text.startswith("sheetnet"), ref
        assert ws[ref].fill.fgColor.rgb == "FFFFC7CE"
    assert {k: v for k, v in _cells(out).items() if k != LEGEND} == _cells(holes)
    rows = [int(r) for r in re.findall(r'<row r="(\d+)"', zipfile.ZipFile(out).read(LEARN_PART).decode())]
    assert rows == sorted(rows) and 21 in rows
    cols = re.findall(r'<c r="([A-Z]+)21"', zipfile.ZipFile(out).read(LEARN_PART).decode())
    from sheetnet.xlsx.refs import col_number

    assert [col_number(c) for c in cols] == sorted(col_number(c) for c in cols)


def test_annotate_refuses_what_it_cannot_do(books, tmp_path, capsys):
    src = books["clean"]
    for argv, words in (
        (["check", str(src), str(src), "--annotate", str(tmp_path / "x.xlsx")], "names a folder"),
        (["check", str(src), "--annotate", str(src)], "never modified"),
        (["check", str(src), "--annotate", str(tmp_path / "nowhere" / "x.xlsx")], "does not exist"),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err, err


def test_annotate_into_a_folder_names_each_copy_after_its_workbook(books, tmp_path, capsys):
    import openpyxl

    src = books["exponent sign, one image"]
    assert main(["check", str(src), "--annotate", str(tmp_path)]) == 1  # one workbook, a folder
    assert f"wrote {tmp_path / src.name}: 7 cells marked" in capsys.readouterr().out
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ann.xlsx", "bob.xlsx"):
        shutil.copy(src, folder / name)
    marked = tmp_path / "marked"  # made by the command
    assert main(["check", str(folder), "--annotate", str(marked)]) == 1
    assert "wrote 2 annotated copies into" in capsys.readouterr().out
    assert sorted(p.name for p in marked.iterdir()) == ["ann.xlsx", "bob.xlsx"]
    assert openpyxl.load_workbook(marked / "bob.xlsx").sheetnames[0] == LEGEND
    # the copies may not replace the workbooks they are made from, nor go where the class is graded
    for argv, words in ((["check", str(folder / "ann.xlsx"), str(folder / "bob.xlsx"), "--annotate", str(folder)],
                         "would replace it"),
                        (["check", str(folder), "--annotate", str(folder / "marked")], "inside the class folder")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err, err
    assert sorted(p.name for p in folder.iterdir()) == ["ann.xlsx", "bob.xlsx"]


# -- grading a class -----------------------------------------------------------------------------
def test_a_class_of_fifty_workbooks_gets_a_summary_and_a_csv(books, tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    students = [books[c.name] for c in CASES] + [books["clean"], books["clean (LibreOffice)"], books["equivalent formulas"]]
    k = 0
    while k < 52:  # the suite, and copies of it, under student names
        shutil.copyfile(students[k % len(students)], folder / f"student{k:02d}.xlsx")
        k += 1
    (folder / "empty.xlsx").write_bytes(b"")
    (folder / "garbage.xlsx").write_bytes(bytes(range(256)) * 4)
    (folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000)
    (folder / "truncated.xlsx").write_bytes(books["clean"].read_bytes()[:5000])
    write_xlsx(folder / "nodata.xlsx", {"Sheet1": '<row r="1"><c r="A1"><v>1</v></c></row>'})
    (folder / "~$student00.xlsx").write_bytes(b"lock file")  # Excel's lock file: not a workbook
    (folder / "notes.txt").write_text("not a workbook")
    grades = tmp_path / "grades.csv"

    assert main(["check", str(folder), "--csv", str(grades)]) == 2  # the worst: an unusable file
    out, err = capsys.readouterr()
    assert err == ""  # no progress display when stderr is not a terminal
    m = re.search(r"checked (\d+) workbooks in ([\d.]+) s \((\d+) process(?:es)?\): (\d+) all right, "
                  r"(\d+) with findings, (\d+) unusable", out)
    assert m, out
    assert int(m.group(1)) == 57 and int(m.group(6)) == 5 and int(m.group(4)) + int(m.group(5)) == 52
    print(f"\n[batch] 57 workbooks in {m.group(2)} s with {m.group(3)} processes")

    with open(grades, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 57 and [r["file"] for r in rows] == sorted(r["file"] for r in rows)
    by_name = {r["file"].rsplit("/", 1)[1]: r for r in rows}
    assert "~$student00.xlsx" not in by_name and "notes.txt" not in by_name
    for bad in ("empty.xlsx", "garbage.xlsx", "old.xls", "truncated.xlsx", "nodata.xlsx"):
        assert by_name[bad]["status"] == "unusable" and by_name[bad]["error"] and not by_name[bad]["score"]
    clean = by_name[f"student{len(CASES):02d}.xlsx"]
    assert (clean["status"], clean["score"], clean["root_causes"]) == ("ok", "100.00", "0")
    bias = by_name["student00.xlsx"]
    assert bias["status"] == "findings" and bias["first_finding"].startswith("学习!O11: missing bias")
    assert float(bias["cell_score"]) == pytest.approx(100 * (1794 - 64 - 388) / 1794, abs=0.01)
    assert (float(bias["score"]), bias["points"], bias["points_possible"]) == (pytest.approx(100 * 11 / 12, abs=0.01),
                                                                               "11", "12")
    for line in out.splitlines()[1:53]:  # the table: one row per workbook, in order
        assert line.startswith(str(folder))


def test_a_class_as_json_and_junit(books, tmp_path, capsys):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    files = [str(books["clean"]), str(books["C_T range too short"]), str(broken)]
    assert main(["check", "--format", "json", "--jobs", "1", *files]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert [w["ok"] for w in doc["workbooks"]] == [True, False, False]
    assert "error" in doc["workbooks"][2] and doc["workbooks"][1]["root_causes"][0]["diagnosis"] == "range_too_short"
    assert main(["check", "--format", "junit", *files]) == 2
    root = ET.fromstring(capsys.readouterr().out)
    assert len(root) == 3 and root[2].find("testcase/error") is not None and root.get("errors") == "1"


# -- unusable input: one line, exit 2 ----------------------------------------------------------
def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make, words", [
    (lambda d: _write(d / "e.xlsx", b""), "is empty"),
    (lambda d: _write(d / "r.xlsx", bytes(range(256))), "not a zip file"),
    (lambda d: d / "missing.xlsx", "no such file"),
    (lambda d: (d / "sub").mkdir() or d / "sub", "holds no workbooks"),
])
def test_unusable_input_is_one_line_and_exit_2(tmp_path, capsys, make, words):
    assert main(["check", str(make(tmp_path))]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and words in err and err.startswith("sheetnet: ")


def test_bad_options_are_one_line_and_exit_2(books, capsys):
    for argv in (["check", "--jobs", "0", str(books["clean"])], ["check", "--rel", "-1", str(books["clean"])]):
        assert main(argv) == 2
        assert capsys.readouterr().err.count("\n") == 1
