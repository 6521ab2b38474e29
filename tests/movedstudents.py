"""Students who moved their layout AND wrote formulas their own way (or made a mistake): issue 12's two
halves met in one workbook, made the way a person makes it (tests/lo_edit.py through tests/student.py).

Each student types formulas at the book's addresses, then moves the layout (a row for their name at the
top of 学习, a blank column between images 10 and 11, a sheet before Data); LibreOffice moves every
reference as it would for the student, recalculates and saves. `roots` names the root causes in the
student's own (moved) coordinates; `says` is the one note about the move.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetnet.xlsx.refs import cell_name, parse_cell
from studentcases import LEARN, across, cells, down_and_across

# the three moves: (ops, the note check prints, where a book cell of 学习 now is)
MOVES = {
    "row": ([{"op": "insert_rows", "sheet": LEARN, "before": 1},
             {"op": "value", "sheet": LEARN, "cell": "C1", "value": "张三 2024001"}],
            "a row was inserted at the top of 学习; graded with that shift", lambda r, c: (r + 1, c)),
    "column": ([{"op": "insert_columns", "sheet": LEARN, "before": "AZ"}],
               "a column was inserted before image 11 (学习!AZ); graded with that shift",
               lambda r, c: (r, c + 1 if c >= 52 else c)),
    "sheet": ([{"op": "insert_sheet", "name": "封面", "position": 0}], "", lambda r, c: (r, c)),
}


def moved(move: str, cell: str) -> str:
    """A book cell of 学习 → where the student's move put it."""
    return cell_name(*MOVES[move][2](*parse_cell(cell)))


@dataclass(frozen=True)
class MovedStudent:
    name: str
    source: str  # studentcases.sources(): initial, trained
    move: str  # a key of MOVES
    ops: list  # typed at the book's addresses, before the move
    roots: dict = field(default_factory=dict)  # the student's (moved) cell → diagnosis
    after: str = ""  # 'strip': cached values removed after LibreOffice saved it

    @property
    def all_ops(self) -> list:
        return self.ops + MOVES[self.move][0]

    @property
    def says(self) -> str:
        return MOVES[self.move][1]


def _sigma_own_way() -> list:
    """σ three ways of the student's own: a2 as 1/(EXP(-z)+1), a3 as EXP(z)/(1+EXP(z))."""
    return down_and_across("a2", "=1/(EXP(-O11)+1)") + down_and_across("a3", "=EXP(O17)/(1+EXP(O17))")


def _named_weights() -> list:
    """The student's defined name for w2_1 (typed before the move; LibreOffice moves what it points at)."""
    return [{"op": "name", "name": "w_one", "refers_to": "$学习.$D$5:$F$8"}] + across("z2", "=SUMPRODUCT(L5:N8,w_one)+$G$5")


def _named_wrong() -> list:
    """The student's name for w2_1 that points at w2_2's weights: wrong in every image's z2_1."""
    return [{"op": "name", "name": "w_one", "refers_to": "$学习.$D$9:$F$12"}] + across("z2", "=SUMPRODUCT(L5:N8,w_one)+$G$5")


def _named_late(move: str) -> list:
    """A name for image 11's input block, pointing right of the inserted column (or below the row),
    used by image 11's z2_1: the name must be read where it points now."""
    x11 = cells("x", images=[11])[0]  # image 11's first pixel, book coordinates
    r, c = parse_cell(x11)
    first, last = cell_name(r, c), cell_name(r + 3, c + 2)
    z = cells("z2", images=[11])[0]
    return [{"op": "name", "name": "image_eleven", "refers_to": f"$学习.${_abs(first)}:${_abs(last)}"},
            {"op": "formula", "sheet": LEARN, "cell": z, "formula": "=SUMPRODUCT(image_eleven,$D$5:$F$8)+$G$5"}]


def _abs(cell: str) -> str:
    letters = cell.rstrip("0123456789")
    return f"{letters}${cell[len(letters):]}"


def cases() -> list[MovedStudent]:
    out = []
    for move in MOVES:
        threshold = {moved(move, c): "different_function" for c in cells("predicted")}
        out += [
            MovedStudent(f"{move}: σ the student's own way", "initial", move, _sigma_own_way()),
            MovedStudent(f"{move}: the prediction thresholds a3_1 at 0.5", "trained", move,
                         across("predicted", "=IF(O19>0.5,0,1)"), threshold),
            MovedStudent(f"{move}: a defined name for w2_1", "initial", move, _named_weights()),
            MovedStudent(f"{move}: a defined name for w2_1 that points at w2_2", "initial", move, _named_wrong(),
                         {moved(move, c): "different_function" for c in cells("z2")}),
            MovedStudent(f"{move}: a defined name for image 11's inputs", "initial", move, _named_late(move)),
            MovedStudent(f"{move}: uncached, σ the student's own way", "initial", move, _sigma_own_way(),
                         after="strip"),
            MovedStudent(f"{move}: uncached, the prediction thresholds a3_1 at 0.5", "trained", move,
                         across("predicted", "=IF(O19>0.5,0,1)"), threshold, after="strip"),
        ]
    z11 = cells("z2", images=[11])[0]
    out.append(MovedStudent("column: image 11's z2_1 without its bias", "initial", "column",
                            [{"op": "formula", "sheet": LEARN, "cell": z11, "formula": "=SUMPRODUCT(AZ5:BB8,$D$5:$F$8)"}],
                            {moved("column", z11): "missing_bias"}))
    return out
