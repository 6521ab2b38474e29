"""Student workbooks whose layout moved, made the way a person moves it: rows and columns inserted (and
deleted), sheets inserted and renamed in LibreOffice (tests/lo_edit.py), which moves every reference as
it moves them; some also hold a mistake typed after the move, at the student's own addresses.

Each case says what `sheetnet check` must answer: the exit code, the one note (or the one line of a
refusal), and exactly the root causes (student's cell → diagnosis).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sheetnet.cli import main
from sheetnet.xlsx.refs import col_letters

L, BP, CNN, DATA = "学习", "误差反向传播", "卷积神经网络", "Data"


@dataclass(frozen=True)
class Moved:
    name: str
    source: str  # chapter3, cnn, backprop: which answer workbook the student started from
    ops: list
    exit: int = 0
    says: str = ""  # the note (exit 0/1) or the refusal's line (exit 2) contains this
    roots: dict = field(default_factory=dict)  # '学习!W12' → diagnosis
    learn: str = L  # the learning sheet's name in the student's workbook


def _c3_image_col(image: int, offset: int = 3, moved_from: int | None = None) -> str:
    """The column of image `image`'s O-column (offset 3 in its block) in 学习, one further right for
    images from `moved_from` on (a column inserted before that image)."""
    col = 12 + 4 * (image - 1) + offset
    return col_letters(col + (1 if moved_from is not None and image >= moved_from else 0))


SIGN_ACROSS = [f"{_c3_image_col(i, moved_from=11)}14" for i in range(1, 12)]  # a2_1 of images 1–11, after the move
CNN_LAST_C = col_letters(14 + 6 * 95)  # chapter 5's C of image 96 (row 46; 47 after a row at the top)
CNN_BUT_LAST_C = col_letters(14 + 6 * 94)


CASES = [
    Moved("a row at the top of 学习 with the student's name", "chapter3",
          [{"op": "insert_rows", "sheet": L, "before": 1}, {"op": "value", "sheet": L, "cell": "C1", "value": "张三 2024001"}],
          says="a row was inserted at the top of 学习; graded with that shift"),
    Moved("a row above row 3 of 学习", "chapter3", [{"op": "insert_rows", "sheet": L, "before": 3}],
          says="a row was inserted above row 3 of 学习; graded with that shift"),
    # more lines than align.MAX_INSERTED: searched as far as the sheet reaches past the layout
    Moved("200 rows at the top of 学习", "chapter3", [{"op": "insert_rows", "sheet": L, "before": 1, "count": 200}],
          says="200 rows were inserted at the top of 学习; graded with that shift"),
    Moved("60 columns between images 10 and 11 (15 images' width)", "chapter3",
          [{"op": "insert_columns", "sheet": L, "before": "AZ", "count": 60}],
          says="60 columns were inserted before image 11 (学习!AZ:DG); graded with that shift"),
    Moved("a row inside the parameter block", "chapter3", [{"op": "insert_rows", "sheet": L, "before": 7}],
          exit=2, says="a row was inserted at 学习!7:7, inside hidden-unit weight (w2) (now 学习!5:17)"),
    Moved("a row between the hidden and the output parameters", "chapter3",
          [{"op": "insert_rows", "sheet": L, "before": 17}], says="a row was inserted above row 17 of 学习"),
    Moved("a column at the left of 学习 with the student's name", "chapter3",
          [{"op": "insert_columns", "sheet": L, "before": "A"}, {"op": "value", "sheet": L, "cell": "A1", "value": "张三"}],
          says="a column was inserted at the left of 学习; graded with that shift"),  # (which of the empty
    # columns before the layout's first is the new one cannot be told: none is named)
    Moved("a blank column between images 10 and 11", "chapter3", [{"op": "insert_columns", "sheet": L, "before": "AZ"}],
          says="a column was inserted before image 11 (学习!AZ); graded with that shift"),
    Moved("a column inside image 8's pixel grid", "chapter3", [{"op": "insert_columns", "sheet": L, "before": "AO"}],
          exit=2, says="a column was inserted at 学习!AO, inside image 8's input x (now 学习!AN:AQ)"),
    Moved("a sheet inserted before Data", "chapter3", [{"op": "insert_sheet", "name": "封面", "position": 0}]),
    Moved("Data's rows moved down and a column between its images", "chapter3",
          [{"op": "insert_rows", "sheet": DATA, "before": 1, "count": 2},
           {"op": "insert_columns", "sheet": DATA, "before": "O"}],
          says="2 rows were inserted at the top of Data; a column was inserted before image 2 (Data!O); "
               "graded with those shifts"),
    Moved("a renamed learning sheet", "chapter3", [{"op": "rename_sheet", "sheet": L, "to": "训练"}], learn="训练"),
    Moved("a renamed learning sheet with a row at its top", "chapter3",
          [{"op": "rename_sheet", "sheet": L, "to": "训练"}, {"op": "insert_rows", "sheet": "训练", "before": 2}],
          says="a row was inserted at the top of 训练", learn="训练"),
    Moved("the row of C deleted", "chapter3", [{"op": "delete_rows", "sheet": L, "first": 21}],
          exit=2, says="row 21 of 学习 was deleted (it held C, C_T)"),
    Moved("an empty row deleted", "chapter3", [{"op": "delete_rows", "sheet": L, "first": 25}],
          says="a row was deleted between rows 21 and 28 of 学习; graded with that shift"),
    Moved("moved, then the bias left out of image 3's z2_1", "chapter3",
          [{"op": "insert_rows", "sheet": L, "before": 1},
           {"op": "formula", "sheet": L, "cell": "W12", "formula": "=SUMPRODUCT(T6:V9,$D$6:$F$9)"}],
          exit=1, says="a row was inserted at the top of 学习", roots={"学习!W12": "missing_bias"}),
    Moved("moved, then the exponent's sign in a2_1, filled across images 1–11", "chapter3",
          [{"op": "insert_columns", "sheet": L, "before": "AZ"},
           {"op": "formula", "sheet": L, "cell": "O14", "formula": "=1/(1+EXP(O11))"},
           {"op": "copy", "sheet": L, "from": "O14", "to": SIGN_ACROSS[1:]}],
          exit=1, says="a column was inserted before image 11 (学习!AZ)",
          roots={f"学习!{c}": "exponent_sign" for c in SIGN_ACROSS}),
    Moved("moved, then C_T over 63 images", "chapter3",
          [{"op": "insert_rows", "sheet": L, "before": 1},
           {"op": "formula", "sheet": L, "cell": "G22", "formula": "=SUM(L22:JC22)"}],
          exit=1, says="a row was inserted at the top of 学习", roots={"学习!G22": "range_too_short"}),
    # -- chapter 5 ------------------------------------------------------------------------------------
    Moved("cnn: a row at the top and a column between images 1 and 2", "cnn",
          [{"op": "insert_columns", "sheet": CNN, "before": "T"}, {"op": "insert_rows", "sheet": CNN, "before": 1}],
          says="a row was inserted at the top of 卷积神经网络; a column was inserted before image 2 (卷积神经网络!T)",
          learn=CNN),
    Moved("cnn: a column inside image 1's maps", "cnn", [{"op": "insert_columns", "sheet": CNN, "before": "P"}],
          exit=2, says="a column was inserted at 卷积神经网络!P, inside image 1's input x", learn=CNN),
    Moved("cnn: a row at the top of Data", "cnn", [{"op": "insert_rows", "sheet": DATA, "before": 1}],
          says="a row was inserted at the top of Data; graded with that shift", learn=CNN),
    Moved("cnn: moved, then C_T over 95 images", "cnn",
          [{"op": "insert_rows", "sheet": CNN, "before": 1},
           {"op": "formula", "sheet": CNN, "cell": "I6", "formula": f"=SUM(N47:{CNN_BUT_LAST_C}47)"}],
          exit=1, says="a row was inserted at the top of 卷积神经网络", roots={f"{CNN}!I6": "range_too_short"}, learn=CNN),
    # -- chapter 4: iteration blocks -------------------------------------------------------------------
    Moved("backprop: a row before iteration 2's block", "backprop", [{"op": "insert_rows", "sheet": BP, "before": 71}],
          says="a row was inserted before iteration 2's block (误差反向传播!71:71)", learn=BP),
]

SOURCES = {"chapter3": ["answer", "--params", "initial"], "cnn": ["answer", "--kind", "cnn", "--params", "initial"],
           "backprop": ["answer", "--kind", "backprop", "--iterations", "2"]}


def build(folder: Path, lo_edit) -> dict[str, Path]:
    """Every case, edited and saved by one LibreOffice; `sources` too (the unmoved workbooks)."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = {}
    for kind, argv in SOURCES.items():
        sources[kind] = folder / f"{kind}.xlsx"
        assert main([*argv, "-o", str(sources[kind])]) == 0
    made = lo_edit(folder / "made", {c.name: (sources[c.source], c.ops) for c in CASES})
    return {**made, **{f"source {k}": v for k, v in sources.items()}}
