"""The mistake suite of `sheetnet check`: a student's mistakes, each made in a copy of a clean workbook.

Each case changes formulas the way a student would — in one image, or in image 1 and filled across all
64 — and says which cells must come out as root causes, with which diagnosis (and nothing else may).
LibreOffice then calculates each copy, as the student's spreadsheet would have. Built once per test
session, several LibreOffice runs at a time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path


from checkmut import Saved, Typed, cells_of, fill_across, mutate
from sheetnet.data import chapter3_params
from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.mirror.answer import book_inputs, write_book_workbook
from sheetnet.mirror.chapter3 import cell_values

Q = {name: cells_of(name) for name in ("x", "t", "z2", "a2", "z3", "a3", "C", "predicted", "right", "answer")}
PIXELS = cells_of("pixels")
_, VALUES = cell_values(CHAPTER3, book_inputs(chapter3_params("initial")), chapter3_params("initial"))


def at(name: str, image: int, unit: int = 1, r: int = 1, c: int = 1) -> str:
    """A cell of a quantity, numbered from 1 like the book: at('a2', 3, 2) is image 3's a2_2."""
    return Q[name][image - 1, unit - 1, r - 1, c - 1]


def span(name: str, image: int) -> str:
    """All units of a quantity in one image, as a range: span('a2', 4) = 'AA14:AA16'."""
    cells = Q[name][image - 1].reshape(-1)
    return f"{cells[0]}:{cells[-1]}"


def value(name: str, image: int, unit: int = 1) -> float:
    return float(VALUES[name][image - 1, unit - 1, 0, 0])


def across(formula: str, name: str, unit: int = 1, r: int = 1, c: int = 1) -> dict[str, str]:
    """Image 1's formula, filled across every image."""
    cells = Q[name][:, unit - 1, r - 1, c - 1]
    return fill_across(formula, cells[0], cells)


@dataclass(frozen=True)
class Case:
    name: str
    edits: dict  # learning-sheet cell → new formula / Typed / Saved / None
    expect: dict = field(default_factory=dict)  # cell → diagnosis; empty: every edited cell → `code`
    code: str = ""
    groups: int = 1  # root-cause groups the report shows
    recalc: bool = True  # let LibreOffice calculate the copy (False: saved as the edit left it)

    @property
    def roots(self) -> dict[str, str]:
        return self.expect or {cell: self.code for cell in self.edits}


def _cases() -> list[Case]:
    img = 3
    return [
        # the diagnoses, once in one image and filled across all 64
        Case("missing bias, all images", across("=SUMPRODUCT(L5:N8,$D$5:$F$8)", "z2"), code="missing_bias"),
        Case("missing bias, one image", {at("z3", 15, 2): f"=MMULT($D$18:$F$18,{span('a2', 15)})"}, code="missing_bias"),
        Case("exponent sign, one image", {at("a2", img, 2): f"=1/(1+EXP({at('z2', img, 2)}))"}, code="exponent_sign"),
        Case("exponent sign, all images", across("=1/(1+EXP(O17))", "a3"), code="exponent_sign"),
        Case("cost without half, all images", across("=SUMXMY2(O19:O20,O9:O10)", "C"), code="cost_without_half"),
        Case("cost without square, one image",
             {at("C", 5): "=(({t1}-{a1})+({t2}-{a2}))/2".format(t1=at("t", 5, 1), t2=at("t", 5, 2), a1=at("a3", 5, 1),
                                                               a2=at("a3", 5, 2))}, code="cost_without_square"),
        Case("t1/t2 swapped, all images", {**across("=IF(Data!N9=1,1,0)", "t", 1), **across("=IF(Data!N9=0,1,0)", "t", 2)},
             code="teacher_swapped", groups=2),
        Case("t1/t2 swapped in the cost, one image",
             {at("C", 16): "=(({t1}-{a2})^2+({t2}-{a1})^2)/2".format(t1=at("t", 16, 1), t2=at("t", 16, 2),
                                                                   a1=at("a3", 16, 1), a2=at("a3", 16, 2))},
             code="teacher_swapped"),
        Case("z for a, one image", {at("z3", 4, 1): f"=MMULT($D$17:$F$17,{span('z2', 4)})+$G$17"}, code="z_for_a"),
        Case("z for a in the cost, all images", across("=SUMXMY2(O17:O18,O9:O10)/2", "C"), code="z_for_a"),
        Case("wrong weight row, all images", across("=SUMPRODUCT(L5:N8,$D$13:$F$16)+$G$9", "z2", 2),
             code="wrong_weight_row"),
        Case("wrong weight row, one image", {at("z3", 13, 1): f"=MMULT($D$18:$F$18,{span('a2', 13)})+$G$17"},
             code="wrong_weight_row"),
        Case("C_T range too short", {"G21": "=SUM(L21:DW21)"}, code="range_too_short"),
        Case("accuracy range too short", {"G30": '=COUNTIF(L30:EE30,"○")/COUNTA(L30:EE30)'}, code="range_too_short"),
        Case("pixels from the wrong cells, all images", across("=Data!K6", "x", 1, 1, 2), code="wrong_pixels"),
        Case("pixels from the wrong cells, one image", {at("x", 7, 1, 2, 1): f"=Data!{PIXELS[6, 0, 0, 0]}"},
             code="wrong_pixels"),
        Case("relative reference, all images", across("=SUMPRODUCT(L5:N8,D13:F16)+G13", "z2", 3),
             code="relative_reference"),
        Case("relative reference, one image",
             {at("z2", 19, 1): f"=SUMPRODUCT({Q['x'][18, 0, 0, 0]}:{Q['x'][18, 0, 3, 2]},D5:F8)+G5"},
             code="relative_reference"),
        Case("absolute reference, all images", across("=SUMPRODUCT($L$5:$N$8,$D$5:$F$8)+$G$5", "z2"),
             code="absolute_reference"),
        Case("another image's pixels, one image",
             {at("z2", 10, 1): f"=SUMPRODUCT({Q['x'][8, 0, 0, 0]}:{Q['x'][8, 0, 3, 2]},$D$5:$F$8)+$G$5"},
             code="wrong_image"),
        Case("typed numbers, one image each", {at("a2", 2, 1): Typed(value("a2", 2, 1)), at("z3", 20, 2): Typed(0.5)},
             code="typed_number", groups=2),
        # a function sheetnet does not evaluate (TANH it does: (1+TANH(z/2))/2 is σ and checks clean)
        Case("a function outside the book's set, one image",
             {at("a3", 8, 1): f"=1/(1+EXP(-INDEX({span('z3', 8)},1)))"}, code="foreign_function"),
        Case("sigmoid missing, one image", {at("a3", 11, 2): f"={at('z3', 11, 2)}"}, code="no_sigmoid"),
        Case("prediction reversed, all images", across("=IF(O19>=O20,1,0)", "predicted"), code="prediction_reversed"),
        Case("a misspelt function, one image", {at("a2", 21, 1): f"=1/(1+EXPP(-{at('z2', 21, 1)}))"},
             code="error_value"),
        # no typical mistake gives it: what it computes differently is said from the two formulas
        Case("a formula no mistake explains, one image", {at("a2", 22, 1): f"={at('z2', 22, 1)}*2"},
             code="different_function"),
        # saved by a spreadsheet that followed them (and happened to get the right values): no recalculation
        Case("links outside the workbook", {at("z3", 9, 2): Saved("=[1]Sheet1!A1", value("z3", 9, 2)),
                                            at("a2", 10, 1): Saved("=cmd|' /C calc'!A0", value("a2", 10, 1))},
             code="external_link", groups=2, recalc=False),
    ]


CASES = _cases()


def stale_case() -> Case:
    """A weight changed while calculation was manual: every z2_1 that reads it keeps its old value."""
    uses_it = [at("z2", i + 1, 1) for i in range(64) if book_inputs(chapter3_params("initial"))["pixels"][i, 0, 0, 0]]
    return Case("stale values (manual calculation)", {"D5": Typed(0.9)}, {c: "stale" for c in uses_it}, recalc=False)


# Formulas that differ from the book's but compute the same: none of them is a finding.
EQUIVALENT = {
    **across("=" + "+".join(f"{x}*{w}" for x, w in zip(
        ["L5", "M5", "N5", "L6", "M6", "N6", "L7", "M7", "N7", "L8", "M8", "N8"],
        ["$D$5", "$E$5", "$F$5", "$D$6", "$E$6", "$F$6", "$D$7", "$E$7", "$F$7", "$D$8", "$E$8", "$F$8"])) + "+$G$5", "z2"),
    **across("=SUMPRODUCT(Data!K5:M8,$D$9:$F$12)+$G$9", "z2", 2),
    **across("=EXP(O11)/(1+EXP(O11))", "a2"),
    **across("=$D$17*O14+$E$17*O15+$F$17*O16+$G$17", "z3"),
    **across("=((O9-O19)^2+(O10-O20)^2)/2", "C"),
    **across("=IF(O28=0,1,0)", "t"),
    **across("=IF(O19<O20,1,0)", "predicted"),
    **across('=IF(O29=Data!N9,"○","×")', "right"),
    "G21": "=SUM(O21:JG21)",
    "G30": '=COUNTIF(L30:JG30,"○")/64',
}

_built: dict[str, Path] = {}


def build(out: Path) -> dict[str, Path]:
    """Every workbook of the suite (name → path), LibreOffice-calculated; built once per session."""
    if _built:
        return _built
    from sheetnet.libreoffice import recalculate

    clean = out / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    book = out / "clean-book.xlsx"
    write_book_workbook(book, chapter3_params("book"))
    jobs = {"clean (LibreOffice)": clean, "book parameters (LibreOffice)": book}
    jobs["equivalent formulas"] = mutate(clean, out / "equivalent-edit.xlsx", EQUIVALENT)
    books = {"clean": clean}
    for k, case in enumerate(CASES + [stale_case()]):
        edited = out / f"case{k:02d}-edit.xlsx"
        mutate(clean, edited, case.edits, manual=case.name.startswith("stale"))
        (jobs if case.recalc else books)[case.name] = edited

    def calc(item):
        name, path = item
        return name, recalculate(path, path.with_name(path.stem.replace("-edit", "") + "-calculated.xlsx"))

    with ThreadPoolExecutor(max_workers=3) as pool:  # LibreOffice uses one core per run
        books.update(pool.map(calc, jobs.items()))
    _built.update(books)
    return _built
