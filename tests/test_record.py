"""sheetnet.record.records: many records made at once are the records __init__ makes one by one."""

from itertools import repeat

import pytest

from sheetnet.record import field, record, records


@record
class _Point:
    x: int
    label: str
    tags: list = field(default_factory=list)
    note: str | None = None


@record
class _Checked:
    x: int
    y: int = 0

    def __post_init__(self):
        if self.x < 0:
            raise ValueError("x < 0")


def test_records_are_made_as_init_makes_them():
    made = records(_Point, x=[1, 2, 3], label=repeat("p"), note=["a", None, "c"])
    one_by_one = [_Point(1, "p", note="a"), _Point(2, "p"), _Point(3, "p", note="c")]
    assert made == one_by_one
    assert [list(vars(p)) for p in made] == [list(vars(p)) for p in one_by_one]  # (fields in their order)
    made[0].tags.append("t")
    assert made[1].tags == []  # a default factory's value is each record's own


def test_a_record_with_post_init_still_runs_it():
    assert records(_Checked, x=[1, 2]) == [_Checked(1), _Checked(2)]
    with pytest.raises(ValueError):
        records(_Checked, x=[1, -1])


@pytest.mark.parametrize("columns, message", [({"x": [1], "label": ["a"], "colour": ["red"]}, "no field 'colour'"),
                                              ({"x": [1]}, "no values given for 'label'"),
                                              ({"x": repeat(1), "label": repeat("a")}, "no column says how many")])
def test_records_refuses_what_init_would(columns, message):
    with pytest.raises(TypeError, match=message):
        records(_Point, **columns)
