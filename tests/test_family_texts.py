"""The checker compares a student's formula texts with the layout's family by family (Layout.
same_formula_texts: a family's texts joined against the template filled in for all of them at once),
not cell by cell. It must say exactly what comparing each cell's text with its expected text says —
for any texts: the layout's own, one cell of a family changed, a cell without a formula, texts that
join to the same string — and the findings of a check must be the same either way."""

from __future__ import annotations

import numpy as np
import pytest

import checkmut
from checkcases_backprop import at, learn_part
from sheetnet.check.checker import check
from sheetnet.layout.evaluate import Templates
from sheetnet.check.report import text
from sheetnet.mirror.kinds import by_name

CASES = [("chapter3", 64, 1), ("backprop", 64, 3), ("backprop", 5, 2), ("cnn", 3, 1), ("cnn-backprop", 4, 2)]


def _per_cell(texts: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """The comparison the family one stands for: each cell's text against its expected text."""
    return (texts == expected).astype(bool) & np.not_equal(expected, None).astype(bool)


def _quantities(kind: str, n: int, k: int):
    layout = by_name(kind).layout
    names = {s.role: s.names[0] for s in layout.sheets}
    for name in layout.graded:
        q = layout[name]
        if q.sheet in names:
            yield layout, q, names, layout.formula_texts(q, n, names, k).reshape(-1)


def _with_formulas(kind: str, n: int, k: int):
    """_quantities' that hold a formula somewhere, each with the (flat) indices of its formula cells."""
    for layout, q, names, expected in _quantities(kind, n, k):
        cells = np.nonzero(np.not_equal(expected, None))[0]
        if len(cells):
            yield layout, q, names, expected, cells


def _same(layout, q, n, names, k, texts) -> np.ndarray:
    return layout.same_formula_texts(q, n, names, texts, k)


def _changed(text: str) -> str:
    """The text with its last digit changed: one reference moved by a row."""
    i = max(i for i, ch in enumerate(text) if ch.isdigit())
    return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]


@pytest.mark.parametrize("kind,n,k", CASES)
def test_the_layouts_own_texts_are_the_same_at_every_formula_cell_without_making_them(kind, n, k, monkeypatch):
    for layout, q, names, expected in _quantities(kind, n, k):
        texts = expected.copy()
        with monkeypatch.context() as m:  # each family found the same at once: no cell compared on its own
            m.setattr(type(layout), "formula_texts", lambda *a: pytest.fail("a family compared cell by cell"))
            got = _same(layout, q, n, names, k, texts)
        assert np.array_equal(got, _per_cell(texts, expected)), q.name
        assert got.sum() == np.not_equal(expected, None).sum()


@pytest.mark.parametrize("kind,n,k", CASES)
def test_one_changed_reference_typed_value_or_nul_text_in_a_family_is_found_where_it_is(kind, n, k):
    rng = np.random.default_rng(7)
    for layout, q, names, expected, cells in _with_formulas(kind, n, k):
        for change in ("reference", "typed", "nul", "swapped"):
            texts = expected.copy()
            i = int(rng.choice(cells))
            if change == "reference":
                if not any(ch.isdigit() for ch in texts[i]):
                    continue
                texts[i] = _changed(texts[i])
            elif change == "typed":
                texts[i] = None  # a number typed where the formula belongs
            elif change == "nul":  # two cells' texts moved across a NUL: joined, they read alike
                j = int(cells[cells > i][0]) if (cells > i).any() else None
                if j is None:
                    continue
                texts[i], texts[j] = texts[i] + "\0" + texts[j][:1], texts[j][1:]
            else:  # two cells' texts swapped: the same texts, in another order
                j = int(rng.choice(cells))
                texts[i], texts[j] = texts[j], texts[i]
            got = _same(layout, q, n, names, k, texts)
            assert np.array_equal(got, _per_cell(texts, expected)), (q.name, change)


@pytest.mark.parametrize("kind,n,k", CASES)
def test_a_templates_asked_again_compares_with_the_expected_texts_and_says_the_same(kind, n, k):
    # a class check's worker keeps one Templates for many workbooks: the first workbook's texts are
    # compared family by family, the next ones' with the expected texts, made once — the same answers
    rng = np.random.default_rng(11)
    for layout, q, names, expected, cells in _with_formulas(kind, n, k):
        templates = Templates(layout, n, k, names)
        first = templates.same_texts(q, expected.copy())
        assert not templates.graded(q).expected.made, q.name  # compared without making them
        texts = expected.copy()
        i, j = rng.choice(cells, 2)
        texts[j] = None  # a number typed where a formula belongs
        if any(ch.isdigit() for ch in texts[i] or ""):
            texts[i] = _changed(texts[i])
        again = templates.same_texts(q, texts)
        assert templates.graded(q).expected.made, q.name
        assert np.array_equal(first, _per_cell(expected, expected)), q.name
        assert np.array_equal(again, _per_cell(texts, expected)), q.name


@pytest.mark.parametrize("kind,n,k", CASES[:2])
def test_a_family_written_otherwise_throughout_is_not_the_same_anywhere(kind, n, k):
    for layout, q, names, expected in _quantities(kind, n, k):
        texts = np.array([None if t is None else t.replace("=", "=+", 1) for t in expected], dtype=object)
        got = _same(layout, q, n, names, k, texts)
        assert not got.any() and np.array_equal(got, _per_cell(texts, expected)), q.name


def test_a_checks_findings_are_those_of_the_cell_by_cell_comparison(tmp_path, monkeypatch):
    """A backprop workbook with a wrong reference in one cell of a family (saved with a value), a
    number typed in one cell of another, and one cell's formula in another spelling: the findings
    with the family comparison and with each cell's text compared are the same, and name those cells."""
    from sheetnet.mirror.backprop import write_backprop_workbook

    clean = tmp_path / "clean.xlsx"
    write_backprop_workbook(clean, iterations=3)
    z = at("z2", 2, 5, 2)
    wrong, typed, spelt = at("a2", 2, 7, 1), at("z3", 3, 11, 1), at("a3", 1, 3, 1)
    edits = {wrong: checkmut.Saved(f"=1/(1+EXP(-{at('z2', 2, 8, 1)}))", 0.5), typed: checkmut.Typed(0.25),
             spelt: checkmut.Saved("=1/(1+EXP(-" + at("z3", 1, 3, 1) + ")) ", 0.5)}
    book = checkmut.mutate(clean, tmp_path / "student.xlsx", edits, part=learn_part(clean))
    families = check(book)

    def per_cell(self, q, texts):
        return _per_cell(texts, self.expected_texts(q).reshape(-1))

    monkeypatch.setattr(Templates, "same_texts", per_cell)
    cells = check(book)
    assert families.findings == cells.findings and families.graded == cells.graded
    assert text(families) == text(cells)
    found = {f.cell.split("!")[1] for f in families.findings if f.is_root}
    assert {wrong, typed} <= found and z not in found


@pytest.mark.parametrize("n_iteration_fields,n_image_fields", [(0, 2), (1, 1), (2, 3), (3, 1), (4, 0)])
def test_a_familys_texts_joined_by_axes_are_each_cells_template_filled_in(n_iteration_fields, n_image_fields):
    # layout.model._joined_by_axes joins pieces instead of formatting each cell: through a row of every
    # image's texts (fewer iteration fields) or each iteration's text (more); a literal '%' stays one,
    # and a field or template holding its placeholder character is left to the caller (None)
    from sheetnet.layout.model import _joined_by_axes, _PerImage, _PerIteration

    rng = np.random.default_rng(n_iteration_fields * 10 + n_image_fields)
    n_its, n_imgs = 3, 5
    kinds = ["it"] * n_iteration_fields + ["img"] * n_image_fields
    rng.shuffle(kinds)
    varying = [_PerIteration(str(rng.integers(1, 999)) for _ in range(n_its)) if k == "it"
               else _PerImage("".join(rng.choice(list("ABZ"), rng.integers(1, 3))) for _ in range(n_imgs))
               for k in kinds]
    template = "=%%" + "".join(f"{'$' * (k % 2)}%s{'+%%s' if k % 3 == 0 else ':'}" for k in range(len(kinds))) + ")%%"
    want = "\0".join(template % tuple(v[i] if isinstance(v, _PerIteration) else v[j] for v in varying)
                     for i in range(n_its) for j in range(n_imgs))
    assert _joined_by_axes(template, varying, n_its, n_imgs) == want
    if kinds:
        k = kinds.index("it") if "it" in kinds else 0
        held = [type(v)(x + "\x01" for x in v) if n == k else v for n, v in enumerate(varying)]
        got = _joined_by_axes(template, held, n_its, n_imgs)
        assert got is None or got == "\0".join(template % tuple(v[i] if isinstance(v, _PerIteration) else v[j]
                                                                for v in held)
                                              for i in range(n_its) for j in range(n_imgs))
    assert _joined_by_axes("=\x01" + template, varying, n_its, n_imgs) is None


def test_a_corner_moving_alike_as_a_column_and_as_a_row_is_written_as_each():
    # layout.model._family_fields makes a moving corner's texts along an axis once for every field that
    # reads them: a column's letters and a row's numbers that start and move alike are not the same texts
    from sheetnet.layout.model import _family_fields, _PerImage, _PerIteration
    from sheetnet.xlsx.refs import col_letters as column_letter

    n_its, n_imgs = 3, 64
    five, along_it, along_img, still = np.array([5] * 4), np.array([1] * 4), np.array([0, 2, 0, 2]), np.zeros(4, int)
    plan = [((0, 0, 0), "={}{}+{}{}:{}{}", [(True, five, along_it, still, None), (False, five, along_it, along_img, None)])]
    (_, text, values, many), = _family_fields(plan, n_its, n_imgs, 0, n_its, per_image=True)
    assert many and sum(isinstance(v, _PerIteration) for v in values) == 4
    values = [v if isinstance(v, (str, _PerIteration, _PerImage)) else list(v) for v in values]
    for i in range(n_its):
        for j in range(n_imgs):
            got = text.format(*(v if isinstance(v, str) else v[i] if isinstance(v, _PerIteration) else
                                v[j] if isinstance(v, _PerImage) else v[i * n_imgs + j] for v in values))
            left, right = column_letter(5 + i + 2 * j), column_letter(5 + i + 2 * j)
            assert got == f"={column_letter(5 + i)}{5 + i}+{left}{5 + i}:{right}{5 + i}", (i, j)
