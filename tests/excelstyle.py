"""A workbook rewritten the way Excel saves it: formulas filled across a row as *shared formulas*.

LibreOffice and XlsxWriter write every formula in full; Excel writes a block filled from one
formula once — the master cell holds `<f t="shared" ref="L11:JG11" si="0">text</f>`, every other
cell of the block only `<f t="shared" si="0"/>` — and a reader must move the master's references
to each member's place. This converter makes such a file from any workbook: within each row, the
cells whose formulas are the same formula filled across (equal relative R1C1 form) become one
group. Values, styles and every other part stay as they were.

    python3 tests/excelstyle.py IN.xlsx OUT.xlsx
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, unescape

# A formula cell as XlsxWriter and LibreOffice write it: <c r="O11" …><f …>text</f> …
_FORMULA_CELL = re.compile(r'(<c r="([A-Z]+)([0-9]+)"[^>]*>)<f(?: aca="false")?>([^<]*)</f>')
_CELL_REF = re.compile(r'(?<![\w.$"\'])(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7})(?![\w.(!])')


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _letters(col: int) -> str:
    s = ""
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def relative(formula: str, row: int, col: int) -> str:
    """The formula with each relative coordinate as an offset from (row, col): equal for a family.
    (Enough for the book's formulas: no strings holding cell-like text, no whole-column ranges.)"""
    def one(m):
        c, r = _col(m.group(2)), int(m.group(4))
        cc = f"C{c}" if m.group(1) else f"C[{c - col}]"
        rr = f"R{r}" if m.group(3) else f"R[{r - row}]"
        return rr + cc
    return _CELL_REF.sub(one, formula)


def shared_sheet(xml: str) -> tuple[str, int]:
    """The sheet XML with each row's families of filled formulas as shared-formula groups; and how
    many cells became members (their formula text dropped)."""
    cells = [(m, int(m.group(3)), _col(m.group(2))) for m in _FORMULA_CELL.finditer(xml)]
    families: dict[tuple[int, str], list] = {}
    for m, row, col in cells:
        families.setdefault((row, relative(unescape(m.group(4)), row, col)), []).append((m, row, col))
    edits = {}  # match start → replacement
    si = 0
    for members in families.values():
        if len(members) < 2:
            continue
        first, last = members[0], members[-1]
        ref = f"{_letters(first[2])}{first[1]}:{_letters(last[2])}{last[1]}"
        m0 = first[0]
        edits[m0.start()] = (m0, f'{m0.group(1)}<f t="shared" ref="{ref}" si="{si}">{m0.group(4)}</f>')
        for m, _, _ in members[1:]:
            edits[m.start()] = (m, f'{m.group(1)}<f t="shared" si="{si}"/>')
        si += 1
    out, pos = [], 0
    for start in sorted(edits):
        m, text = edits[start]
        out.append(xml[pos:start])
        out.append(text)
        pos = m.end()
    out.append(xml[pos:])
    return "".join(out), sum(len(v) - 1 for v in families.values() if len(v) > 1)


def excel_style(src: str | Path, dst: str | Path) -> int:
    """Write dst: src with shared formulas in every worksheet. Returns the number of member cells."""
    members = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                text, n = shared_sheet(data.decode("utf-8"))
                data, members = text.encode("utf-8"), members + n
            zout.writestr(info, data)
    return members


__all__ = ["excel_style", "shared_sheet", "relative", "escape"]

if __name__ == "__main__":
    print(f"{excel_style(sys.argv[1], sys.argv[2])} cells now share a formula")
