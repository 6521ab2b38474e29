"""Empty columns (and rows) deleted at the left (top) of a sheet, in LibreOffice as a student deletes them.

Every layout leaves a margin: the learning sheets start at column C, Data at column J, the summary of
the iterated kinds at column B. A student who deletes some of it moves every cell one column left; the
sheet is graded with that shift, said once, and scores what the unedited workbook scores — for a column
as for two, for every kind, with a row deleted at the top as well. A deletion that takes the layout's
own cells (its labels, its parameters) is one line naming what was deleted, exit 2, never a list of
findings that are not there.
"""

from __future__ import annotations

import pytest

from sheetnet.check.checker import check
from sheetnet.cli import main

L, BP, CNN, CBP, DATA = "学习", "误差反向传播", "卷积神经网络", "卷积网络反向传播", "Data"

SOURCES = {"chapter3": ["answer"], "cnn": ["answer", "--kind", "cnn"],
           "backprop": ["answer", "--kind", "backprop", "--iterations", "3"],
           "cnn-backprop": ["answer", "--kind", "cnn-backprop", "--iterations", "2"]}


def _columns(sheet: str, first: str, count: int = 1) -> dict:
    return {"op": "delete_columns", "sheet": sheet, "first": first, "count": count}


def _rows(sheet: str, first: int, count: int = 1) -> dict:
    return {"op": "delete_rows", "sheet": sheet, "first": first, "count": count}


# name → (source, ops, the note check prints)
GRADED = {
    "cnn: column A": ("cnn", [_columns(CNN, "A")],
                      "a column was deleted at the left of 卷积神经网络; graded with that shift"),
    "chapter 3: column A": ("chapter3", [_columns(L, "A")],
                            "a column was deleted at the left of 学习; graded with that shift"),
    "chapter 3's test sheet: column A": ("chapter3", [_columns("测试", "A")],
                                         "a column was deleted at the left of 测试; graded with that shift"),
    "backprop: column A": ("backprop", [_columns(BP, "A")],
                           "a column was deleted at the left of 误差反向传播; graded with that shift"),
    "cnn-backprop: column A": ("cnn-backprop", [_columns(CBP, "A")],
                               "a column was deleted at the left of 卷积网络反向传播; graded with that shift"),
    "chapter 3: row 1 and column A": ("chapter3", [_rows(L, 1), _columns(L, "A")],
                                      "a row was deleted at the top of 学习; a column was deleted at the left of "
                                      "学习; graded with those shifts"),
}
REFUSED = {  # name → (source, ops, what the one line says)
    "cnn: columns A:C, C holding the labels": ("cnn", [_columns(CNN, "A", 3)], "column C of 卷积神经网络 was deleted"),
    "chapter 3: column C, the labels": ("chapter3", [_columns(L, "C")], "column C of 学习 was deleted"),
}
MISTAKE = "chapter 3: column A, then image 3's z2_1 without its bias"  # typed at the student's moved cells
EDITS = {**{name: (src, ops) for name, (src, ops, _says) in {**GRADED, **REFUSED}.items()},
         MISTAKE: ("chapter3", [_columns(L, "A"),
                                {"op": "formula", "sheet": L, "cell": "V11", "formula": "=SUMPRODUCT(S5:U8,$C$5:$E$8)"}])}


@pytest.fixture(scope="module")
def made(lo_edit, tmp_path_factory):
    folder = tmp_path_factory.mktemp("deleted")
    sources = {}
    for kind, argv in SOURCES.items():
        sources[kind] = folder / f"{kind}.xlsx"
        assert main([*argv, "-o", str(sources[kind])]) == 0
    edited = lo_edit(folder / "made", {name: (sources[src], ops) for name, (src, ops) in EDITS.items()})
    return {**edited, **sources}


@pytest.mark.parametrize("name", GRADED)
def test_an_empty_leading_column_deleted_is_graded_with_that_shift(made, name, capsys):
    source, _ops, says = GRADED[name]
    code = main(["check", str(made[name])])
    out, err = capsys.readouterr()
    assert code == 0 and err == "", out + err
    assert [line for line in out.splitlines() if "shift" in line] == [f"note: {says}"]  # said once
    edited, unedited = check(made[name]), check(made[source])
    assert (edited.graded, edited.right, edited.rubric.earned) == (unedited.graded, unedited.right, unedited.rubric.earned)
    assert edited.right == edited.graded and not edited.findings


@pytest.mark.parametrize("name", REFUSED)
def test_a_deletion_that_takes_the_layouts_cells_is_one_line(made, name, capsys):
    _source, _ops, says = REFUSED[name]
    path = made[name]
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"sheetnet: {path}: "), err
    assert says in err and "undo the deletion" in err and "Traceback" not in err, err


def test_a_mistake_after_the_deletion_is_found_at_the_students_own_cell(made):
    r = check(made[MISTAKE])
    assert {f.cell: f.diagnosis.code for f in r.findings if f.is_root} == {"学习!V11": "missing_bias"}
    assert r.exit_code == 1
    assert [n for n in r.notes if "shift" in n] == ["a column was deleted at the left of 学习; graded with that shift"]
