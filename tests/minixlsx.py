"""Hand-made .xlsx files for tests: exactly the XML a test wants, nothing more."""

from __future__ import annotations

import zipfile
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def sheet_xml(cells: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData></worksheet>'


def write_xlsx(path: Path, sheets: dict[str, str], shared_strings: list[str] | None = None,
               extra: dict[str, bytes | str] | None = None) -> Path:
    """sheets: name → <sheetData> content (rows and cells) or a whole worksheet document."""
    names = list(sheets)
    wb = "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(len(names))
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{wb}</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        for i, n in enumerate(names):
            body = sheets[n]
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", body if body.lstrip().startswith("<?xml") else sheet_xml(body))
        if shared_strings is not None:
            items = "".join(f"<si>{s}</si>" if s.startswith("<") else f"<si><t>{s}</t></si>" for s in shared_strings)
            z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst xmlns="{MAIN}">{items}</sst>')
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def replace_cell(src: Path, dst: Path, sheet_index: int, ref: str, new_cell: str | None) -> Path:
    """A copy of src with one cell of sheet<sheet_index>.xml replaced by new_cell's XML (None: removed)."""
    import re

    part = f"xl/worksheets/sheet{sheet_index}.xml"
    pattern = re.compile(rf'<c r="{ref}"(?: [^>]*)?(?:/>|>.*?</c>)')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                text, n = pattern.subn(new_cell or "", data.decode("utf-8"), count=1)
                assert n == 1, f"{ref} not found in {part}"
                data = text.encode("utf-8")
            zout.writestr(info, data)
    return dst


def strip_cached_values(src: Path, dst: Path) -> Path:
    """A copy of src whose formula cells keep their formulas but lose their cached values."""
    import re

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                text = re.sub(r"(</f>|<f [^>]*/>)<v>[^<]*</v>", r"\1", data.decode("utf-8"))
                text = text.replace(' t="str"', "")
                data = text.encode("utf-8")
            zout.writestr(info, data)
    return dst
