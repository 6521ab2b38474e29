"""The alignment model: a moved sheet's lines, and formula references moved back and forth (no LibreOffice)."""

import pytest

from sheetnet.mirror.alignment import Alignment, Axis, SheetMap

# 学习: a row inserted above row 3 and a column before AZ (image 11); Data: 2 rows at the top
MOVED = Alignment({"learn": SheetMap(Axis(((3, 1),)), Axis(((52, 1),))), "data": SheetMap(Axis(((1, 2),)))},
                  {"learn": "学习", "data": "Data"})


def test_an_axis_is_a_piecewise_shift_with_inserted_and_deleted_lines():
    a = Axis(((3, 1), (7, -1)), frozenset({5, 6}))  # a line inserted before 3; lines 5 and 6 deleted
    assert [a.forward(i) for i in range(1, 9)] == [1, 2, 4, 5, None, None, 6, 7]
    assert [a.back(j) for j in range(1, 9)] == [1, 2, None, 3, 4, 7, 8, 9]
    assert a.back(70_000) == 70_001  # past the lookup list: computed
    assert a.back_within(2, 3) == (2, 2)  # a range ending on the inserted line is narrowed to the layout's lines


@pytest.mark.parametrize("written, layout", [
    ("=SUMPRODUCT(L6:N9,$D$6:$F$9)+$G$6", "=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5"),
    ("=Data!K7+'学习'!BA6", "=Data!K5+'学习'!AZ5"),  # another sheet's shift, a quoted sheet
    ("=SUM(L22:JH22)", "=SUM(L21:JG21)"),  # a range widened by the inserted column: its ends move
    ('=IF(O29=O30,"○","×")', '=IF(O28=O29,"○","×")'),  # strings untouched
    ("=SUM(A:BA)+SUM(4:5)", "=SUM(A:AZ)+SUM(3:4)"),  # whole columns and rows
    ("=LOG10(A10)+w2_1+AB3C", "=LOG10(A9)+w2_1+AB3C"),  # functions and names are not references
    ("=[1]Sheet1!A1+Other!C9", "=[1]Sheet1!A1+Other!C9"),  # other workbooks and sheets the layout does not know
])
def test_references_move_back_to_the_layout_and_forward_again(written, layout):
    assert MOVED.back_formula(written, "learn") == layout
    assert MOVED.forward_formula(layout, "learn") == written


def test_messages_name_the_students_cells_and_leave_quantity_names_alone():
    text = "the bias b2_1 (学习!G5) is not added: z2 = Σ w·(input) + b; reads AZ5 and Data!K5"
    assert MOVED.forward_text(text, "learn") == ("the bias b2_1 (学习!G6) is not added: z2 = Σ w·(input) + b; "
                                                 "reads BA6 and Data!K7")


def test_the_note_is_one_sentence_for_every_move():
    al = Alignment(MOVED.maps, MOVED.names, ("a row was inserted above row 3 of 学习", "a column was inserted …"))
    assert al.note() == "a row was inserted above row 3 of 学习; a column was inserted …; graded with those shifts"
    assert Alignment().note() is None and not Alignment().moved


@pytest.mark.parametrize("k", [1, 2, 7])
def test_the_labels_looked_for_in_each_block_are_the_layouts_labels_moved_by_whole_steps(k):
    # align._label_cells builds every label's blocks at once; one by one, they are these
    from sheetnet.mirror import align
    from sheetnet.mirror.kinds import KINDS
    from sheetnet.xlsx.refs import parse_cell

    seen = 0
    for kind in KINDS:
        layout = kind.layout
        for role in {lb.sheet for lb in layout.labels}:
            step = layout.sheet(role).iteration_step
            want = [(lb.text, j, r + step[0] * j, c + step[1] * j)
                    for lb in layout.labels if lb.sheet == role and isinstance(lb.text, str)
                    for r, c in [parse_cell(lb.cell)] for j in range(k if lb.per_iteration else 1)]
            texts, blocks, rows, cols = align._label_cells(layout, role, k)
            assert list(zip(texts, blocks, rows.tolist(), cols.tolist())) == want
            seen += any(j for _t, j, _r, _c in want)
    assert seen >= (2 if k > 1 else 0)  # (the iterated kinds' labels repeat in every block)
