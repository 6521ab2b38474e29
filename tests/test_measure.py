"""What a cell shows and how wide it is (layout/measure.py), and that every column of the workbooks we
write is wide enough for what its cells show — the exercise's empty cells in the answer's formats.
LibreOffice's printout judges the same on paper (test_printing.py)."""

from __future__ import annotations

import openpyxl
import pytest

from sheetnet.layout.measure import fitted_width, shown, text_width
from sheetnet.layout.styles import STYLES, WIDEST


@pytest.mark.parametrize("num_format, value, text", [
    ("0.000_ ", -24.2351, "-24.235 "),
    ("0.000000_ ", 1e-31, "0.000000 "),  # a trained image's C
    ("0.000000_ ", 144.0, "144.000000 "),
    ("0.0%", 1.0, "100.0%"),
    ("0", 0.6, "1"),
    (";;;", 1.0, ""),
    (None, 64.0, "64"),  # General: only the integer part has to fit, decimals give way
    (None, -3.25, "-3"),
    ("0.000E+00", 1e-31, "1.000E-31"),
    ("#,##0.00", 1234.5, "1,234.50"),
    ('0.00;(0.00);"zero"', -1.5, "(1.50)"),
    ('0.00;(0.00);"zero"', 0.0, "zero"),
    ("0.00;-0.00", -1.5, "-1.50"),
    ("General", 7.0, "7"),
])
def test_a_value_is_shown_as_its_format_says(num_format, value, text):
    assert shown(num_format, value) == text


def test_formats_it_cannot_measure_are_refused():
    with pytest.raises(ValueError, match="only digits"):
        shown("yyyy-mm-dd", 43000.0)


def test_widths_count_digits_wider_than_points_and_cjk_wider_still():
    assert text_width("1.500000 ") == pytest.approx(7 * 1.15 + 0.6 + 0.6)
    assert text_width("编号") == 4.0 and text_width("") == 0
    assert fitted_width("1.5") == 3.0 and fitted_width("-24.235 ") == 7.75  # rounded up to a quarter


def test_every_styles_widest_value_is_measurable():
    for style, value in WIDEST.items():
        assert text_width(shown(STYLES[style].get("num_format"), value)) > 0, style


def _column_widths(ws) -> dict[int, float]:
    out = {}
    for dim in ws.column_dimensions.values():
        if dim.width:
            for c in range(dim.min, dim.max + 1):
                out[c] = dim.width
    return out


def _too_narrow(wb) -> list[str]:
    """Every cell whose shown text (its cached value) needs more than its column's width (merged cells aside)."""
    bad = []
    for ws in wb:
        widths = _column_widths(ws)
        merged = {c.coordinate for rng in ws.merged_cells.ranges for row in ws[rng.coord] for c in row}
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, (int, float)) or cell.coordinate in merged:
                    continue
                text = shown(cell.number_format, float(cell.value))
                # XlsxWriter stores a width w as w + 5/7 (the padding): the layout's width is that less 5/7
                width = widths.get(cell.column, 8.43 + 5 / 7) - 5 / 7
                if text_width(text) > width + 1e-6:
                    bad.append(f"{ws.title}!{cell.coordinate} {text!r} in {width:.2f}")
    return bad


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from sheetnet.data import chapter3_params
    from sheetnet.data.chapter5 import chapter5_params
    from sheetnet.mirror.answer import write_answer_workbook
    from sheetnet.mirror.backprop import write_backprop_workbook
    from sheetnet.mirror.cnn import write_cnn_workbook
    from sheetnet.mirror.cnn_backprop import write_cnn_backprop_workbook

    folder = tmp_path_factory.mktemp("widths")
    paths = {name: folder / f"{name}.xlsx" for name in ("answer", "initial", "backprop", "cnn", "cnn-backprop")}
    write_answer_workbook(paths["answer"], chapter3_params("trained"))
    write_answer_workbook(paths["initial"], chapter3_params("initial"))
    write_backprop_workbook(paths["backprop"], iterations=2)
    write_cnn_workbook(paths["cnn"], chapter5_params("initial"))
    write_cnn_backprop_workbook(paths["cnn-backprop"], iterations=1)
    return paths


@pytest.mark.parametrize("name", ["answer", "initial", "backprop", "cnn", "cnn-backprop"])
def test_every_number_fits_its_column(written, name):
    assert _too_narrow(openpyxl.load_workbook(written[name], data_only=True)) == []


def test_a_column_too_narrow_is_found(written):
    """The check above can fail: C_T of the initial parameters (18.347…) does not fit 6 characters."""
    wb = openpyxl.load_workbook(written["initial"], data_only=True)
    wb["学习"].column_dimensions["G"].width = 6
    assert "学习!G21 '18.347094 ' in 5.29" in _too_narrow(wb)


@pytest.mark.parametrize("kind", ["chapter3", "backprop", "cnn", "cnn-backprop"])
def test_the_exercises_empty_cells_carry_the_answers_number_formats(kind, tmp_path):
    from sheetnet.cli import main

    extra = ["--iterations", "2"] if "backprop" in kind else []
    assert main(["answer", "--kind", kind, "-o", str(tmp_path / "a.xlsx"), *extra]) == 0
    assert main(["exercise", "--kind", kind, "-o", str(tmp_path / "e.xlsx"), *extra]) == 0
    answer, exercise = (openpyxl.load_workbook(tmp_path / f) for f in ("a.xlsx", "e.xlsx"))
    empty = 0
    for ws in exercise:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None and cell.fill.fgColor.rgb == "FFEAF1FB":
                    empty += 1
                    assert cell.number_format == answer[ws.title][cell.coordinate].number_format, cell.coordinate
    assert empty > 100
    learn = exercise.worksheets[1]
    assert {c.number_format for row in learn.iter_rows() for c in row
            if c.value is None and c.fill.fgColor.rgb == "FFEAF1FB"} >= {"0.000000_ ", "0.000_ "}
