"""Which files a `check` of folders and files grades: a folder gives every workbook-like file under it.

Apart from the class check (check/batch.py), so that checking one workbook loads nothing of a class's.
"""

from __future__ import annotations

from pathlib import Path

from sheetnet.errors import UnusableInput
from sheetnet.i18n import _

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")  # what a teacher's folder may hold; all get a row


def workbooks(targets: list[Path]) -> list[Path]:
    """Files as given; a folder → every workbook-like file under it (lock files and hidden ones skipped)."""
    out: list[Path] = []
    for t in targets:
        if t.is_dir():
            # not only regular files: a FIFO or a broken link named like a workbook gets a row saying why
            found = sorted(p for p in t.rglob("*") if p.suffix.lower() in WORKBOOK_SUFFIXES and not p.is_dir()
                           and not p.name.startswith(("~$", ".")) and not any(part.startswith(".") for part in p.relative_to(t).parts[:-1]))
            if not found:
                raise UnusableInput(_("{folder}: the folder holds no workbooks ({suffixes})").format(
                    folder=t, suffixes=", ".join(WORKBOOK_SUFFIXES)))
            out += found
        else:
            out.append(t)
    return out


def looks_like_a_workbook(path: Path) -> bool:
    """A workbook by its name, or an existing file by its first bytes (a zip or an OLE2 document)."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return True
    try:
        if not path.is_file():  # never open a FIFO or a device to look
            return False
        with open(path, "rb") as fh:
            return fh.read(4) in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
    except OSError:
        return False
