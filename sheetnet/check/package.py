"""What the workbook's package says beyond its cells: manual calculation, macros, links outside it.

Read, never followed or run. The parts are read with a size cap (the reader has already refused
zip bombs when it opened the file).
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from pathlib import Path

from sheetnet.i18n import _, ngettext

_READ_CAP = 64 * 1024 * 1024
_MANUAL = re.compile(rb"<(?:\w+:)?calcPr\b[^>]*\bcalcMode=\"manual\"")
# A formula that names another workbook ([1]Sheet!A1) or a program (DDE: cmd|'/c …'!A0).
_OUTSIDE_FORMULA = rb"<(?:\w+:)?f\b[^>]*>[^<]*[\[|]"  # (only --recalc looks: compiled then, by re's cache)


def notes(path: Path, book=None) -> list[str]:
    """book: the file already open (the checker's reader.WorkbookCells, which has read xl/workbook.xml),
    else it is opened here."""
    found = []
    with _zip(path, None if book is None else book.zip_file) as z:
        names = z.namelist()
        workbook = book.workbook_xml if book is not None else _read(z, "xl/workbook.xml") if "xl/workbook.xml" in names else b""
        if _MANUAL.search(workbook):
            found.append(_("calculation is set to manual in this workbook: its saved values may be out of date"))
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            found.append(_("it holds macros (VBA): reported, not run"))
        links = [n for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml")]
        if links:
            found.append(ngettext("it links to {n} other workbook (xl/externalLinks): reported, not followed",
                                  "it links to {n} other workbooks (xl/externalLinks): reported, not followed",
                                  len(links)).format(n=len(links)))
    return found


def reaches_outside(path: Path) -> str | None:
    """Why handing this workbook to a spreadsheet program could follow something outside it, or None."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if any(n.startswith("xl/externalLinks/") for n in names):
            return _("it links to other workbooks")
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            return _("it holds macros")
        for n in names:
            if n.startswith("xl/worksheets/") and n.endswith(".xml") and re.search(_OUTSIDE_FORMULA, _read(z, n)):
                return _("a formula refers outside the workbook (an external link or DDE)")
    return None


def _zip(path: Path, opened: zipfile.ZipFile | None):
    """The file as a zip, in a with-block: `opened` as it is (left open), or the path opened (and closed)."""
    return contextlib.nullcontext(opened) if opened is not None else zipfile.ZipFile(path)


def _read(z: zipfile.ZipFile, name: str) -> bytes:
    with z.open(name) as fh:
        return fh.read(_READ_CAP)


def dialect(path: Path, opened: zipfile.ZipFile | None = None) -> str:
    """Which program's rules the saved values follow: 'libreoffice' when LibreOffice (or OpenOffice) saved
    the file (docProps/app.xml), else 'excel' (Excel, WPS and the rest follow Excel's)."""
    try:
        with _zip(path, opened) as z:
            if "docProps/app.xml" not in z.namelist():
                return "excel"
            app = _read(z, "docProps/app.xml")[:4096]
    except (OSError, zipfile.BadZipFile, KeyError):
        return "excel"
    return "libreoffice" if re.search(rb"<(?:\w+:)?Application>[^<]*(LibreOffice|OpenOffice)", app) else "excel"
