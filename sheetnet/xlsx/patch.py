"""Change the values of some cells inside an .xlsx, and nothing else.

openpyxl drops charts, pictures and every cached value when it saves a workbook it loaded, so
the cells are edited where they stand, in the sheet's XML text: only the named cells' values
(and a formula cell's value type) change; every other byte of that part, and every other part
of the package, is carried over as it was. The result is written through sheetnet.outputs (a
temporary file renamed into place).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import zipfile
from pathlib import Path

from sheetnet import outputs
from sheetnet.errors import BadOption, UnusableInput
from sheetnet.i18n import _
from sheetnet.xlsx.parttext import part_text
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name

Edits = dict[str, dict[tuple[int, int], float | str | None]]  # sheet name → (row, col) → new value
# None: the cell keeps its formula and loses its cached value (a spreadsheet calculates it when opening)

_START = re.compile(r"<((?:[\w.-]+:)?)c\b([^>]*?)(/?)>")
_REF = re.compile(r'\br="([A-Z]+[0-9]+)"')
_TYPE = re.compile(r'\s+t="[^"]*"')
_VALUE_OR_INLINE = re.compile(r"<((?:[\w.-]+:)?)(v|is)\b[^>]*?(?:/>|>.*?</\1\2>)", re.S)


def escape(text: str) -> str:
    """Text as XML character data (what xml.sax.saxutils.escape does: importing that module loads
    urllib.request, ssl and email, a fifth of a check's start-up)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


WORKBOOK_PART = "xl/workbook.xml"  # the reader's too: a package without it is not a workbook


def patch_workbook(src: str | Path, dst: str | Path, edits: Edits, *, recalculate_on_open: bool = False) -> int:
    """Write a copy of src with the edited cells' values replaced; returns how many cells changed.

    recalculate_on_open: also mark the workbook for a full recalculation when it is opened
    (`<calcPr fullCalcOnLoad="1"/>`), for cached values we did not, or could not, write.
    """
    src, dst = Path(src), Path(dst)
    with WorkbookCells(src) as book:
        parts = {book.part_of(sheet): cells for sheet, cells in edits.items() if cells}
    changed = 0

    def fill(fh) -> None:
        nonlocal changed
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                if info.filename in parts:
                    text, n = patch_sheet_xml(part_text(zin.read(info), info.filename), parts[info.filename], info.filename)
                    zout.writestr(info, text.encode("utf-8"))
                    changed += n
                elif info.filename == WORKBOOK_PART and recalculate_on_open:
                    zout.writestr(info, full_calc_on_load(zin.read(info).decode("utf-8")).encode("utf-8"))
                else:
                    carry_over(zin, zout, info)
    outputs.write(dst, fill)
    return changed


def carry_over(zin: zipfile.ZipFile, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """A part copied as it is, streamed: a large sheet no command reads is never held whole in memory."""
    with zin.open(info) as part, zout.open(info, "w") as copy:
        shutil.copyfileobj(part, copy, 1 << 20)


_MACRO_MAIN = re.compile(rb'PartName="/xl/workbook\.xml"[^>]*ContentType="[^"]*macroEnabled|'
                         rb'ContentType="[^"]*macroEnabled[^"]*"[^>]*PartName="/xl/workbook\.xml"')


def refuse_other_extension(src: Path, dst: Path, option: str) -> None:
    """A copy keeps its package's content type, so it must keep the extension that type needs: Excel
    refuses to open a macro-enabled package named .xlsx, or an ordinary one named .xlsm."""
    wanted = {".xlsx": False, ".xlsm": True}.get(Path(dst).suffix.lower())
    if wanted is None or not os.path.isfile(src):  # a FIFO or a device is never opened here: the reader refuses it
        return
    try:
        with zipfile.ZipFile(src) as z:
            macros = bool(_MACRO_MAIN.search(z.read("[Content_Types].xml")[:1 << 20]))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, RuntimeError, NotImplementedError):
        return  # not a package we can look into: the reader will say what it is
    if macros != wanted:
        text = (_("{option} {path}: the workbook holds macros: Excel opens it only as .xlsm; name the copy {name}")
                if macros else
                _("{option} {path}: the workbook holds no macros: Excel opens it only as .xlsx; name the copy {name}"))
        raise BadOption(text.format(option=option, path=dst, name=Path(dst).stem + (".xlsm" if macros else ".xlsx")))




_CALC_PR = re.compile(r"<((?:[\w.-]+:)?)calcPr\b([^>]*?)(/?)>")
_FULL_CALC = re.compile(r'\s+fullCalcOnLoad="[^"]*"')
# CT_Workbook's children that come after calcPr, in order: a new calcPr goes before the first present.
_AFTER_CALC_PR = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                  "fileRecoveryPr", "webPublishObjects", "extLst")


def full_calc_on_load(xml: str) -> str:
    """workbook.xml with `fullCalcOnLoad="1"` on its calcPr (added where the schema puts it if absent)."""
    m = _CALC_PR.search(xml)
    if m:
        attrs = _FULL_CALC.sub("", m.group(2)).rstrip()
        return xml[:m.start()] + f'<{m.group(1)}calcPr{attrs} fullCalcOnLoad="1"{m.group(3)}>' + xml[m.end():]
    root = re.search(r"<((?:[\w.-]+:)?)workbook\b", xml)
    if root is None:
        raise UnusableInput(f"{WORKBOOK_PART} has no <workbook> element")
    p = root.group(1)
    at = min((m.start() for tag in _AFTER_CALC_PR if (m := re.search(rf"<{re.escape(p)}{tag}\b", xml))),
             default=xml.rfind(f"</{p}workbook>"))
    if at < 0:
        raise UnusableInput(f"{WORKBOOK_PART} is not closed")
    return xml[:at] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[at:]


def patch_sheet_xml(xml: str, cells: dict[tuple[int, int], float | str | None], part: str = "sheet") -> tuple[str, int]:
    """The sheet XML with the given cells' values replaced (formulas and styles kept)."""
    wanted = {cell_name(*pos): value for pos, value in cells.items()}
    out, pos, done = [], 0, set()
    for m in _START.finditer(xml):
        ref = _REF.search(m.group(2))
        if ref is None or ref.group(1) not in wanted:
            continue
        prefix, attrs, empty = m.group(1), m.group(2), m.group(3)
        if empty:
            body, end = "", m.end()
        else:
            close = xml.find(f"</{prefix}c>", m.end())
            if close < 0:
                raise UnusableInput(f"{part}: cell {ref.group(1)} is not closed")
            body, end = xml[m.end() : close], close + len(f"</{prefix}c>")
        out.append(xml[pos : m.start()])
        out.append(_cell(prefix, attrs, body, wanted[ref.group(1)]))
        pos = end
        done.add(ref.group(1))
    missing = wanted.keys() - done
    if missing:
        raise UnusableInput(f"{part}: cells {', '.join(sorted(missing)[:5])} are not in the sheet")
    out.append(xml[pos:])
    return "".join(out), len(done)


def _cell(prefix: str, attrs: str, body: str, value: float | str | None) -> str:
    has_formula = f"<{prefix}f" in body
    kept = _VALUE_OR_INLINE.sub("", body)  # the formula (and anything else) stays, the value goes
    attrs = _TYPE.sub("", attrs)
    if value is None:
        if not has_formula:
            raise ValueError("only a formula cell can be left without a value")
        return f"<{prefix}c{attrs}>{kept}</{prefix}c>"
    if isinstance(value, str):
        if not has_formula:
            attrs += ' t="inlineStr"'
            return f"<{prefix}c{attrs}>{kept}<{prefix}is><{prefix}t>{escape(value)}</{prefix}t></{prefix}is></{prefix}c>"
        attrs += ' t="str"'
        text = escape(value)
    else:
        if not math.isfinite(value):
            raise ValueError(f"cannot store {value} in a cell")
        text = repr(float(value))
    return f"<{prefix}c{attrs}>{kept}<{prefix}v>{text}</{prefix}v></{prefix}c>"
