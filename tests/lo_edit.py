"""Edit workbooks the way a person does, in LibreOffice itself, through its Python UNO interface.

Run by an interpreter that has `uno` (Debian's /usr/bin/python3 with python3-uno), never imported by
the project's own Python:

    /usr/bin/python3 tests/lo_edit.py JOBS.json

JOBS.json is a list of {"src": path, "dst": path, "ops": [op, …]}. One headless soffice (with a
private profile) does every job: it opens src, applies the ops in order, recalculates (unless the
document was set to manual calculation) and saves dst as .xlsx — so references move as they move when a
student inserts a row, and the cached values are LibreOffice's own.

Ops (cells and rows as the sheet shows them, 1-based):
  {"op": "formula", "sheet": S, "cell": "O11", "formula": "=…"}          type a formula
  {"op": "value", "sheet": S, "cell": "A1", "value": 3.5 | "text"}       type a number or text
  {"op": "clear", "sheet": S, "range": "O11:O13"}                        delete contents
  {"op": "copy", "sheet": S, "from": "O11:O13", "to": ["S11", "W11"]}    copy & paste (relative refs move)
  {"op": "array", "sheet": S, "range": "O17:O18", "formula": "=…"}       an array formula (Ctrl+Shift+Enter)
  {"op": "insert_rows", "sheet": S, "before": 3, "count": 1}
  {"op": "insert_columns", "sheet": S, "before": "AP", "count": 1}
  {"op": "delete_rows", "sheet": S, "first": 3, "count": 1}
  {"op": "delete_columns", "sheet": S, "first": "AP", "count": 1}
  {"op": "insert_sheet", "name": N, "position": 0}
  {"op": "rename_sheet", "sheet": S, "to": N}
  {"op": "name", "name": N, "refers_to": "$学习.$D$5:$F$8"}               a workbook-level defined name
                                                      (refers_to in LibreOffice's own grammar: $Sheet.$A$1)
Formulas are written as Excel shows them ('=SUMPRODUCT(L5:N8,$D$5:$F$8)+$G$5', 'Data!K5'), English names.
  {"op": "manual"}                                                        calculation set to manual
  {"op": "recalculate"}                                                   calculate now (even if manual)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # noqa: F401  (Debian's python3-uno)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.table import CellAddress

CONNECT_TIMEOUT = 120  # seconds for soffice to accept the connection (a loaded CI machine is slow)


def _props(**kw):
    out = []
    for k, v in kw.items():
        p = PropertyValue()
        p.Name, p.Value = k, v
        out.append(p)
    return tuple(out)


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1  # 0-based


class Office:
    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="sheetnet-uno-"))
        pipe = "sheetnet" + self.tmp.name.replace("-", "")
        profile = (self.tmp / "profile").as_uri()
        self.proc = subprocess.Popen(
            ["soffice", f"-env:UserInstallation={profile}", "--headless", "--invisible", "--norestore", "--nologo",
             "--nodefault", "--nolockcheck", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": str(self.tmp)}, start_new_session=True)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:  # poll until soffice accepts: it says so by answering, not by a delay we guess
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("soffice did not accept a UNO connection")
                time.sleep(0.1)
        self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

    def close(self):
        try:
            self.desktop.terminate()
        except Exception:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def job(self, src: str, dst: str, ops: list[dict]) -> None:
        doc = self.desktop.loadComponentFromURL(Path(src).resolve().as_uri(), "_blank", 0, _props(Hidden=True))
        try:
            manual = False
            for op in ops:
                manual = _apply(doc, op) or manual
            if not manual:
                doc.calculateAll()
            doc.storeToURL(Path(dst).resolve().as_uri(), _props(FilterName="Calc MS Excel 2007 XML"))
        finally:
            doc.close(True)


def _sheet(doc, name):
    sheets = doc.Sheets
    if not sheets.hasByName(name):
        raise KeyError(f"no sheet {name!r}: {list(sheets.ElementNames)}")
    return sheets.getByName(name)


_STRING_OR_SHEET_REF = re.compile(r'("(?:[^"]|"")*")|((?:\'(?:[^\']|\'\')+\'|[^\W\d][\w.]*)!)|(,)')


def _api_formula(formula: str) -> str:
    """Formula text as Excel shows it (commas between arguments, Sheet!A1) → the API's own grammar
    (semicolons, $Sheet.A1), which is what setFormula reads: the same formula a person types."""
    def swap(m):
        if m.group(1):
            return m.group(1)
        if m.group(2):
            return "$" + m.group(2)[:-1] + "."
        return ";"

    return _STRING_OR_SHEET_REF.sub(swap, formula)


def _apply(doc, op: dict) -> bool:
    """Apply one op; True when it set the document to manual calculation."""
    kind = op["op"]
    if kind == "manual":
        doc.enableAutomaticCalculation(False)
        return True
    if kind == "recalculate":
        doc.calculateAll()
        return False
    if kind == "insert_sheet":
        doc.Sheets.insertNewByName(op["name"], op.get("position", 0))
        return False
    if kind == "rename_sheet":
        _sheet(doc, op["sheet"]).Name = op["to"]
        return False
    if kind == "name":
        names = doc.NamedRanges
        names.addNewByName(op["name"], op["refers_to"], CellAddress(0, 0, 0), 0)
        return False
    sh = _sheet(doc, op["sheet"])
    if kind == "formula":
        sh.getCellRangeByName(op["cell"]).setFormula(_api_formula(op["formula"]))
    elif kind == "value":
        cell = sh.getCellRangeByName(op["cell"])
        if isinstance(op["value"], str):
            cell.setString(op["value"])
        else:
            cell.setValue(float(op["value"]))
    elif kind == "clear":
        # values, dates, text and formulas (CellFlags 1|2|4|16): what Delete does to a selection
        sh.getCellRangeByName(op["range"]).clearContents(1 | 2 | 4 | 16)
    elif kind == "copy":
        source = sh.getCellRangeByName(op["from"]).getRangeAddress()
        for target in op["to"]:
            dest = sh.getCellRangeByName(target).getCellAddress() if ":" not in target else \
                sh.getCellRangeByName(target).getCellByPosition(0, 0).getCellAddress()
            sh.copyRange(dest, source)
    elif kind == "array":
        sh.getCellRangeByName(op["range"]).setArrayFormula(_api_formula(op["formula"]))
    elif kind in ("insert_rows", "delete_rows"):
        rows = sh.getRows()
        first = (op["before"] if kind == "insert_rows" else op["first"]) - 1
        (rows.insertByIndex if kind == "insert_rows" else rows.removeByIndex)(first, op.get("count", 1))
    elif kind in ("insert_columns", "delete_columns"):
        cols = sh.getColumns()
        first = _col(op["before"] if kind == "insert_columns" else op["first"])
        (cols.insertByIndex if kind == "insert_columns" else cols.removeByIndex)(first, op.get("count", 1))
    else:
        raise ValueError(f"unknown op {kind!r}")
    return False


def main() -> None:
    jobs = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    office = Office()
    try:
        for job in jobs:
            office.job(job["src"], job["dst"], job["ops"])
    finally:
        office.close()


if __name__ == "__main__":
    main()
