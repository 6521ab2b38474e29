"""A student's mistakes, made by hand: copies of a clean workbook with some cells' formulas changed.

Cells are edited in the sheet XML the way a spreadsheet would store them (the formula, and no
cached value: LibreOffice then calculates it), so every other byte of the workbook stays as it was.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from sheetnet.layout.chapter3 import CHAPTER3
from sheetnet.xlsx.refs import cell_name

LEARN_PART = "xl/worksheets/sheet2.xml"  # 学习 in the workbooks sheetnet writes (and LibreOffice re-saves)
N = 64


class Typed(float):
    """A number typed into a cell where a formula belongs."""


class Saved(str):
    """A formula stored with a cached value, as a spreadsheet that calculated it would save it."""

    def __new__(cls, formula: str, value: float):
        s = super().__new__(cls, formula)
        s.value = value
        return s


def cells_of(name: str, n: int = N, layout=CHAPTER3, iterations: int = 1) -> np.ndarray:
    """The addresses of a quantity's cells, shaped like the layout ([iteration,] [image,] unit, row, col)."""
    pos = layout.positions(layout[name], n, iterations)
    out = np.empty(pos.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = cell_name(*(int(v) for v in pos[index]))
    return out


def fill_across(formula: str, first: str, cells) -> dict[str, str]:
    """Image 1's formula at `first`, filled across to every cell in `cells` (Excel's relative shift)."""
    from openpyxl.formula.translate import Translator

    return {c: Translator(formula, origin=first).translate_formula(c) for c in cells}


def mutate(src: Path, dst: Path, edits: dict[str, str | Typed | Saved | None], *, part: str = LEARN_PART,
           manual: bool = False) -> Path:
    """A copy of src with cells of one sheet replaced: a formula ('=…', no cached value), a Saved formula
    (with one), a Typed number, or None (emptied).

    manual: also set the workbook to manual calculation (a student's file saved that way).
    """
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part and edits:
                data = _edit(data.decode("utf-8"), edits).encode("utf-8")
            if info.filename == "xl/workbook.xml" and manual:
                text = data.decode("utf-8")
                text = re.sub(r"<calcPr\b[^>]*/>", "", text)
                text = text.replace("</workbook>", '<calcPr calcMode="manual"/></workbook>')
                data = text.encode("utf-8")
            zout.writestr(info, data)
    return dst


def _edit(xml: str, edits: dict[str, str | float | None]) -> str:
    def one(m):
        ref, attrs = m.group(1), m.group(2)
        if ref not in edits:
            return m.group(0)
        new = edits[ref]
        style = re.search(r'\ss="\d+"', attrs)
        s = style.group(0) if style else ""
        if new is None:
            return f'<c r="{ref}"{s}/>'
        if isinstance(new, Saved):
            return f'<c r="{ref}"{s}><f>{escape(new.lstrip("="))}</f><v>{float(new.value)!r}</v></c>'
        if isinstance(new, str):
            return f'<c r="{ref}"{s}><f>{escape(new.lstrip("="))}</f></c>'
        return f'<c r="{ref}"{s} t="n"><v>{float(new)!r}</v></c>'

    out, n = re.subn(r'<c r="([A-Z]+[0-9]+)"([^>]*?)(?:/>|>.*?</c>)', one, xml)
    missing = set(edits) - set(re.findall(r'<c r="([A-Z]+[0-9]+)"', xml))
    assert not missing, f"cells not in the sheet: {sorted(missing)[:5]}"
    return out


def sheet_part(path: Path, sheet: str) -> str:
    """A sheet's part name in a workbook (xl/worksheets/sheetN.xml), from its workbook.xml and rels."""
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    found = re.search(rf'<sheet\b[^>]*name="{sheet}"[^>]*/>', book).group(0)
    rid = re.search(r'r:id="([^"]+)"', found).group(1)
    rel = next(m.group(0) for m in re.finditer(r"<Relationship\b[^>]*/>", rels) if f'Id="{rid}"' in m.group(0))
    target = re.search(r'Target="([^"]+)"', rel).group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def recalculate_all(jobs: dict[str, Path]) -> dict[str, Path]:
    """Each workbook (name → path) calculated by LibreOffice into '…-calculated.xlsx' beside it,
    several runs at a time (LibreOffice uses one core per run)."""
    from concurrent.futures import ThreadPoolExecutor

    from sheetnet.libreoffice import recalculate

    def calc(item):
        name, path = item
        return name, recalculate(path, path.with_name(path.stem.replace("-edit", "") + "-calculated.xlsx"))

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(calc, jobs.items()))


def build_suite(clean: Path, cases, part: str) -> dict[str, Path]:
    """The clean workbook and each case's mutated copy, LibreOffice-calculated: name → path
    ('clean' is the workbook as sheetnet wrote it)."""
    out = clean.parent
    jobs = {"clean (LibreOffice)": clean}
    for k, case in enumerate(cases):
        jobs[case.name] = mutate(clean, out / f"case{k:02d}-edit.xlsx", case.edits, part=part)
    return {"clean": clean, **recalculate_all(jobs)}
