"""The chapter-3 layout writes exactly the book's formulas (../shared/book/README.md) in the book's cells."""

import numpy as np
import pytest

from sheetnet.layout.chapter3 import CHAPTER3 as L
from sheetnet.xlsx.refs import cell_name, col_letters, col_number, parse_cell, quote_sheet

NAMES = {"data": "Data", "learn": "学习"}


def formula_at(name, image=0, unit=0, r=0, c=0, n=64):
    return L.formula(L[name], n, NAMES, image, unit, r, c)


def cell_of(name, index, n=64):
    return cell_name(*(int(v) for v in L.positions(L[name], n)[index]))


@pytest.mark.parametrize("name, unit, formula", [
    ("t", 0, "=IF(Data!N9=0,1,0)"),
    ("t", 1, "=IF(Data!N9=1,1,0)"),
    ("z2", 0, "=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5"),
    ("z2", 1, "=SUMPRODUCT(L5:N8,$D$9:$F$12)+$G$9"),
    ("z2", 2, "=SUMPRODUCT(L5:N8,$D$13:$F$16)+$G$13"),
    ("a2", 0, "=1/(1+EXP(-O11))"),
    ("z3", 0, "=MMULT($D$17:$F$17,O14:O16)+$G$17"),
    ("z3", 1, "=MMULT($D$18:$F$18,O14:O16)+$G$18"),
    ("a3", 1, "=1/(1+EXP(-O18))"),
    ("C", 0, "=SUMXMY2(O19:O20,O9:O10)/2"),
    ("answer", 0, "=Data!N9"),
    ("predicted", 0, "=IF(O19>=O20,0,1)"),
    ("right", 0, '=IF(O28=O29,"○","×")'),
])
def test_image_1_formulas_are_the_books(name, unit, formula):
    assert formula_at(name, unit=unit) == formula


def test_every_other_image_is_image_1_shifted_by_four_columns():
    assert formula_at("z2", image=1) == "=SUMPRODUCT(P5:R8,$D$5:$F$8)+$G$5"
    assert formula_at("x", image=1, r=3, c=2) == "=Data!Q8"
    assert formula_at("image_no", image=1) == "=L4+1"
    assert formula_at("data_image_no", image=63) == "=IY4+1"
    assert cell_of("C", (63, 0, 0, 0)) == "JG21"
    assert cell_of("pixels", (63, 0, 0, 0)) == "JC5"


def test_totals_and_parameters_sit_where_the_book_puts_them():
    assert cell_of("C_T", (0, 0, 0)) == "G21"
    assert formula_at("C_T") == "=SUM(L21:JG21)"
    assert formula_at("accuracy") == '=COUNTIF(L30:JG30,"○")/COUNTA(L30:JG30)'
    assert [cell_of("b2", (k, 0, 0)) for k in range(3)] == ["G5", "G9", "G13"]
    assert cell_of("w2", (2, 3, 2)) == "F16"
    assert [cell_of("w3", (1, 0, c)) for c in range(3)] == ["D18", "E18", "F18"]
    assert cell_of("b3", (1, 0, 0)) == "G18"


def test_the_image_count_sets_the_total_ranges():
    assert L.formula(L["C_T"], 640, NAMES, 0, 0, 0, 0) == f"=SUM(L21:{col_letters(12 + 4 * 640 - 1)}21)"


def test_solver_settings_name_the_47_parameters_and_C_T():
    names = dict((n, v) for _, n, v in L.defined_names)
    assert names["solver_opt"] == "学习!$G$21"
    assert names["solver_adj"] == "学习!$D$5:$F$16,学习!$G$5,学习!$G$9,学习!$G$13,学习!$D$17:$G$18"
    params = sum(L.positions(L[q], 0).size // 2 for q in ("w2", "b2", "w3", "b3"))
    assert params == 47


def test_addresses_round_trip():
    for col in (1, 26, 27, 264, 702, 703, 16384):
        assert col_number(col_letters(col)) == col
    assert parse_cell("$JG$21") == (21, 267)
    assert quote_sheet("学习") == "学习"
    assert quote_sheet("my data") == "'my data'"
    assert quote_sheet("A1") == "'A1'"
    with pytest.raises(ValueError):
        parse_cell("XFE1")


def test_a_sheet_name_is_quoted_as_the_pattern_says():
    # quote_sheet says [A-Za-z_\u0080-\uffff][\w.\u0080-\uffff]* without compiling it (15 ms): the same answer
    # for every character up to the astral planes, alone and after a letter
    import re

    bare = re.compile(r"[A-Za-z_\u0080-\uffff][\w.\u0080-\uffff]*")
    names = ["", "Data", "学习", "my data", "a.b", ".a", "9a", "_x", "a-b", "a\n", "\U0001d7d8", "a\U0001d7d8", "a\U00010400"]
    names += [chr(c) for c in range(0x20000)] + ["a" + chr(c) for c in range(0x20000)]
    names += [chr(c) + "a" for c in range(0x20000)]  # … and first, before a letter
    names += [p + chr(c) + q for c in range(0x20000, 0x30000, 5) for p, q in (("", ""), ("a", ""), ("", "a"))]
    for name in names:
        expected = name if bare.fullmatch(name) and not re.fullmatch(r"[A-Za-z]{1,3}[0-9]+", name) else \
            "'" + name.replace("'", "''") + "'"
        assert quote_sheet(name) == expected, ascii(name)


def test_formula_texts_made_per_family_are_each_cells_own_and_follow_the_quantity_asked():
    # Layout.formula looks the cell up in texts made per family (moved along images and iterations):
    # every cell equals the template resolved at that cell alone; a variant of a quantity (another
    # template, same name) gets its own texts, not the cached ones of the original.
    from sheetnet.record import replace

    from sheetnet.layout.model import _TOKEN
    from sheetnet.mirror.kinds import KINDS

    for layout in [k.layout for k in KINDS]:
        names = {s.role: s.names[0] for s in layout.sheets}
        for q in layout.quantities:
            if not q.computed:
                continue
            texts = layout.formula_texts(q, 3, names, 2)
            for index in np.ndindex(texts.shape):
                it, image, unit, r, c = layout.index_parts(q, index)
                t = q.formula_for(image, it)
                here = (image, unit, r, c, it, 2)
                want = _TOKEN.sub(lambda m: layout._resolve(m, q, 3, names, here), t) if t and t.startswith("=") else None
                assert texts[index] == want, (layout.kind, q.name, index)
    z2 = L["z2"]
    other = replace(z2, formula="={z2:prev}*2", first_formula="=1")
    assert L.formula(z2, 64, NAMES, 3, 0, 0, 0) != L.formula(other, 64, NAMES, 3, 0, 0, 0) == "=W11*2"


def test_long_families_written_iteration_by_iteration_are_each_cells_own(monkeypatch):
    # In a family of many cells (images × iterations), the fields that change only with the iteration
    # or only with the image are joined into the texts by pieces (layout.model._joined_by_axes), those
    # that change with both written once per iteration and the rest per cell (_per_iteration): every cell
    # still equals the template resolved at that cell alone; a literal '%' survives both formattings
    import sheetnet.layout.model as model
    from sheetnet.layout.model import _TOKEN, _joined_by_axes, _per_iteration, _PerIteration
    from sheetnet.mirror.kinds import KINDS

    calls = []
    monkeypatch.setattr(model, "_joined_by_axes", lambda *a: calls.append(1) or _joined_by_axes(*a))
    n, k = 11, 9  # 80 cells in a family past the first image and iteration: written the long way
    for layout in [kd.layout for kd in KINDS if kd.layout.max_iterations >= k]:
        names = {s.role: s.names[0] for s in layout.sheets}
        for q in layout.quantities:
            if not (q.computed and q.per_iteration and q.per_image):
                continue
            texts = layout.formula_texts(q, n, names, k)
            for index in list(np.ndindex(texts.shape))[::7]:
                it, image, unit, r, c = layout.index_parts(q, index)
                t = q.formula_for(image, it)
                here = (image, unit, r, c, it, k)
                want = _TOKEN.sub(lambda m: layout._resolve(m, q, n, names, here), t) if t and t.startswith("=") else None
                assert texts[index] == want, (layout.kind, q.name, index)
    assert len(calls) > 20
    got = _per_iteration('=%s%%%s&"%%s"&%s', [_PerIteration(["1", "2"]), iter(["A", "B", "C", "D"]), [5, 6, 7, 8]], 2, 2)
    assert got == ['=1%A&"%s"&5', '=1%B&"%s"&6', '=2%C&"%s"&7', '=2%D&"%s"&8']
