"""The student-workbook maker (tests/lo_edit.py) edits as a person does: LibreOffice moves references."""

import math
import re
import zipfile

from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook
from sheetnet.xlsx.reader import WorkbookCells


def test_edits_made_in_libreoffice_move_references_like_a_persons(tmp_path, lo_edit):
    src = tmp_path / "book.xlsx"
    write_book_workbook(src, chapter3_params("initial"))
    made = lo_edit(tmp_path / "made", {
        "row": (src, [{"op": "insert_rows", "sheet": "学习", "before": 3, "count": 1}]),
        "sigma": (src, [{"op": "formula", "sheet": "学习", "cell": "O14", "formula": "=1/(1+1/EXP(O11))"},
                        {"op": "copy", "sheet": "学习", "from": "O14", "to": ["S14"]}]),
        "array": (src, [{"op": "array", "sheet": "学习", "range": "O17:O18",
                         "formula": "=MMULT($D$17:$F$18,O14:O16)+$G$17:$G$18"}]),
        "renamed": (src, [{"op": "insert_sheet", "name": "名前", "position": 0},
                          {"op": "rename_sheet", "sheet": "学习", "to": "learn"}]),
    })
    with WorkbookCells(made["row"]) as book:
        cells = book.sheet("学习")
        assert cells[(22, 7)].formula == "=SUM(L22:JG22)"  # C_T moved down with its row
        assert cells[(12, 15)].formula == "=SUMPRODUCT(L6:N9,$D$6:$F$9)+$G$6"
    with WorkbookCells(made["sigma"]) as book:
        cells = book.sheet("学习")
        assert cells[(14, 19)].formula == "=1/(1+1/EXP(S11))"  # pasted: the relative reference moved
        z = cells[(11, 19)].value
        assert abs(cells[(14, 19)].value - 1 / (1 + math.exp(-z))) < 1e-12  # …and LibreOffice calculated it
    with WorkbookCells(made["array"]) as book:
        assert book.sheet("学习")[(17, 15)].kind == "n"  # calculated, not #VALUE!
    xml = zipfile.ZipFile(made["array"]).read("xl/worksheets/sheet2.xml").decode()
    assert re.search(r'<f[^>]*t="array"[^>]*ref="O17:O18"', xml)
    with WorkbookCells(made["renamed"]) as book:
        assert book.sheet_names[:3] == ["名前", "Data", "learn"]
        assert book.sheet("learn")[(11, 15)].formula == "=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5"
