"""`check --annotate`: a copy of the student's workbook with each wrong cell filled and commented.

openpyxl would drop every cached value and chart when saving, so the copy is made by editing the
package's XML where it stands: styles.xml gains two fills and, for each style a marked cell had, a
copy of that style with the fill; the marked cells' start tags get the new style (cells that do not
exist yet are added, empty); each marked sheet gains a comments part and the legacy VML drawing that
shows comments in Excel and LibreOffice, each comment's box sized for its text. A legend sheet
(sheetnet.check.legend) is added first and made the active one: the workbook's sheet list and its
relationships gain it, sheet-local names keep pointing at their sheets, and the sheet that was selected
is no longer (two selected tabs would group them). Every other part is copied byte for byte, and the
copy is written through sheetnet.outputs (a temporary file renamed into place).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from html import escape

from sheetnet import outputs
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _
from sheetnet.record import record
from sheetnet.xlsx.parttext import part_text
from sheetnet.xlsx.patch import carry_over
from sheetnet.xlsx.reader import WorkbookCells
from sheetnet.xlsx.refs import cell_name, col_number

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
COMMENTS_TYPE = REL_NS + "/comments"
VML_TYPE = REL_NS + "/vmlDrawing"
WORKSHEET_TYPE = REL_NS + "/worksheet"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
COMMENTS_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CONTENT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
AUTHOR = "sheetnet"

# Fill colours: a root cause, and a cell that only inherits one (Excel's "bad" and "neutral" tones).
FILLS = {"root": "FFFFC7CE", "inherited": "FFFFEB9C"}

# The legend sheet's cell formats: (font change, fill, alignment).
LEGEND_STYLES = {
    "plain": (None, None, None), "percent": (None, None, None), "title": ("title", None, None), "bold": ("bold", None, None),
    "link": ("link", None, None), "wrap": (None, None, "wrap"),
    "root": ("bold", "root", "center"), "inherited": ("bold", "inherited", "center"),
}

# Where <legacyDrawing> goes: before the first of these (CT_Worksheet's element order), else at the end.
_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                 "tableParts", "extLst")


def _attr(text: str) -> str:
    return '"' + escape(text, quote=True) + '"'


@record(frozen=True)
class Mark:
    row: int
    col: int
    fill: str  # a key of FILLS
    comment: str


def annotate_workbook(src: Path, dst: Path, marks: dict[str, list[Mark]], legend=None) -> int:
    """Write dst: src with the marked cells (sheet name → marks) filled and commented. Returns cells marked.

    legend: a function (the workbook's sheet names) → (the legend sheet's name, its rows of legend.Cell),
    for a first sheet that explains the marks; None: no such sheet."""
    src, dst = Path(src), Path(dst)
    with WorkbookCells(src) as book:
        parts = {book.part_of(sheet): ms for sheet, ms in marks.items() if ms}
        sheet_names = list(book.sheet_names)
    with zipfile.ZipFile(src) as z:
        files = {info.filename: info for info in z.infolist()}
        edited: dict[str, bytes] = {}
        added: dict[str, bytes] = {}

        def read(name: str) -> str:
            return part_text(edited.get(name) or added.get(name) or z.read(name), name)  # UTF-16 parts too

        def selected(name: str) -> bool:
            return name in edited or _may_be_selected(z, files[name])

        styles_part = _styles_part(z, files)
        if styles_part not in files:
            added[styles_part] = _MINIMAL_STYLES.encode()
            _add_relationship(edited, added, files, read, "xl/_rels/workbook.xml.rels",
                              REL_NS + "/styles", posixpath.relpath(styles_part, "xl"))
            _add_override(edited, read, "/" + styles_part,
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml")
        new_styles = _StyleMap(read(styles_part))
        marked = 0
        taken = set(files)
        for k, (part, ms) in enumerate(sorted(parts.items())):
            xml = _mark_cells(read(part), {(m.row, m.col): m for m in ms}, new_styles)
            edited[part] = _add_comments(xml, part, ms, k, files, edited, added, taken, read).encode("utf-8")
            marked += len(ms)
        if legend is not None:
            name, table = legend(sheet_names)
            _add_legend_sheet(name, table, new_styles, files, edited, added, taken, read, selected)
        (added if styles_part in added else edited)[styles_part] = new_styles.xml().encode("utf-8")
        _write(z, dst, edited, added)
    return marked


# -- styles ------------------------------------------------------------------------------------
def _styles_part(z: zipfile.ZipFile, files) -> str:
    rels = "xl/_rels/workbook.xml.rels"
    if rels in files:
        text = part_text(z.read(rels), rels)
        for m in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", text):
            if f'{REL_NS}/styles"' in m.group(0):
                target = re.search(r'Target="([^"]+)"', m.group(0)).group(1)
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return "xl/styles.xml"


class _StyleMap:
    """styles.xml with the marking fills added, and a marked copy of each cell style on demand."""

    def __init__(self, xml: str):
        self._xml = xml
        fills = re.search(r"<((?:\w+:)?)fills\b([^>]*?)(/?)>", xml)
        if fills is None:
            raise UnusableInput(_("its styles.xml has no fills: cannot mark cells"))
        self.prefix = fills.group(1)
        p = self.prefix
        new = "".join(f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{rgb}"/>'
                      f'<{p}bgColor indexed="64"/></{p}patternFill></{p}fill>' for rgb in FILLS.values())
        if fills.group(3):  # <fills/>: an empty list (not valid for Excel, but be kind)
            count = 0
            xml = xml[:fills.start()] + f"<{p}fills count=\"{len(FILLS)}\">{new}</{p}fills>" + xml[fills.end():]
        else:
            end = xml.index(f"</{p}fills>", fills.end())
            count = len(re.findall(rf"<{re.escape(p)}fill\b", xml[fills.end():end]))
            xml = xml[:end] + new + xml[end:]
            xml = _set_count(xml, f"{p}fills", count + len(FILLS))
        self.fill_id = {key: count + i for i, key in enumerate(FILLS)}
        xfs = re.search(rf"<{re.escape(p)}cellXfs\b[^>]*>(.*?)</{re.escape(p)}cellXfs>", xml, re.S)
        if xfs is None:
            raise UnusableInput(_("its styles.xml has no cell formats (cellXfs): cannot mark cells"))
        self._xfs = re.findall(rf"<{re.escape(p)}xf\b(?:[^>]*/>|[^>]*>.*?</{re.escape(p)}xf>)", xfs.group(1), re.S)
        self._xml = xml
        self._added: list[str] = []
        self._index: dict[tuple, int] = {}
        self._fonts: dict[str, int] = {}  # legend font → its index

    def style(self, original: int, fill: str) -> int:
        key = (original, fill)
        if key not in self._index:
            base = self._xfs[original] if 0 <= original < len(self._xfs) else (self._xfs[0] if self._xfs else
                                                                                 f"<{self.prefix}xf/>")
            self._added.append(_with_fill(base, self.fill_id[fill]))
            self._index[key] = len(self._xfs) + len(self._added) - 1
        return self._index[key]

    def legend(self, key: str) -> int:
        """The cell format of one of LEGEND_STYLES (made once, on first use)."""
        if ("legend", key) not in self._index:
            font_change, fill, align = LEGEND_STYLES[key]
            p = self.prefix
            font = self._font(font_change) if font_change else 0
            fill_id = self.fill_id[fill] if fill else 0
            halign = ' horizontal="center"' if align == "center" else ""
            wrap = ' wrapText="1"' if align == "wrap" else ""
            number = 10 if key == "percent" else 0  # 10: Excel's built-in 0.00%
            self._added.append(f'<{p}xf numFmtId="{number}" fontId="{font}" fillId="{fill_id}" borderId="0" xfId="0" '
                               f'applyFont="1" applyFill="1" applyAlignment="1"><{p}alignment vertical="top"{halign}{wrap}/>'
                               f"</{p}xf>")
            self._index[("legend", key)] = len(self._xfs) + len(self._added) - 1
        return self._index[("legend", key)]

    def _font(self, change: str) -> int:
        """A copy of the workbook's first font, bold / larger / a link's blue underline: its index."""
        if change in self._fonts:
            return self._fonts[change]
        p = re.escape(self.prefix)
        fonts = re.search(rf"<{p}fonts\b[^>]*>(.*?)</{p}fonts>", self._xml, re.S)
        if fonts is None:
            return 0
        existing = re.findall(rf"<{p}font\b(?:[^>]*/>|[^>]*>.*?</{p}font>)", fonts.group(1), re.S)
        base = existing[0] if existing else f"<{self.prefix}font></{self.prefix}font>"
        if base.endswith("/>"):
            base = base[:-2] + f"></{self.prefix}font>"
        inner = re.sub(rf"<{p}(b|u|color|sz)\b[^>]*/>", "", base[base.index(">") + 1: base.rindex("<")])
        q = self.prefix
        extra = {"bold": f"<{q}b/>", "title": f'<{q}b/><{q}sz val="14"/>',
                 "link": f'<{q}u/><{q}color rgb="FF0563C1"/>'}[change]
        size = "" if "sz" in extra else (re.search(rf"<{p}sz\b[^>]*/>", base) or [""])[0]
        new = f"<{q}font>{extra}{size}{inner}</{q}font>"
        end = fonts.end(1)
        index = len(existing)  # the fonts added before are in `existing` too: this one goes after them
        self._xml = _set_count(self._xml[:end] + new + self._xml[end:], f"{q}fonts", index + 1)
        self._fonts[change] = index
        return index

    def xml(self) -> str:
        p = re.escape(self.prefix)
        m = re.search(rf"</{p}cellXfs>", self._xml)
        xml = self._xml[:m.start()] + "".join(self._added) + self._xml[m.start():]
        return _set_count(xml, f"{self.prefix}cellXfs", len(self._xfs) + len(self._added))


def _with_fill(xf: str, fill_id: int) -> str:
    head = re.match(r"<[^>]*?(/?)>", xf)
    tag = head.group(0)
    tag = re.sub(r'\s(fillId|applyFill)="[^"]*"', "", tag)
    closing = "/>" if tag.endswith("/>") else ">"
    tag = tag[: -len(closing)].rstrip() + f' fillId="{fill_id}" applyFill="1"' + closing
    return tag + xf[head.end():]


def _set_count(xml: str, tag: str, count: int) -> str:
    m = re.search(rf"<{re.escape(tag)}\b([^>]*)>", xml)
    attrs = re.sub(r'\scount="\d*"', "", m.group(1))
    return xml[:m.start()] + f'<{tag} count="{count}"{attrs}>' + xml[m.end():]


# -- cells -------------------------------------------------------------------------------------
_CELL = re.compile(r"<((?:\w+:)?)c\b([^>]*?)(/?)>")
_ROW = re.compile(r"<((?:\w+:)?)row\b([^>]*?)(/?)>")


def _mark_cells(xml: str, marks: dict[tuple[int, int], Mark], styles: _StyleMap) -> str:
    names = {cell_name(r, c): m for (r, c), m in marks.items()}
    seen: set[str] = set()

    def restyle(m):
        ref = re.search(r'\sr="([A-Z]+[0-9]+)"', m.group(2))
        if ref is None or ref.group(1) not in names:
            return m.group(0)
        seen.add(ref.group(1))
        old = re.search(r'\ss="(\d+)"', m.group(2))
        attrs = re.sub(r'\ss="\d+"', "", m.group(2))
        s = styles.style(int(old.group(1)) if old else 0, names[ref.group(1)].fill)
        return f'<{m.group(1)}c{attrs} s="{s}"{m.group(3)}>'

    xml = _CELL.sub(restyle, xml)
    missing = [m for ref, m in names.items() if ref not in seen]
    return _insert_cells(xml, missing, styles) if missing else xml


def _insert_cells(xml: str, missing: list[Mark], styles: _StyleMap) -> str:
    """Add empty styled cells for marks on cells the sheet does not hold, in row and column order."""
    by_row: dict[int, list[Mark]] = {}
    for m in missing:
        by_row.setdefault(m.row, []).append(m)
    data = re.search(r"<((?:\w+:)?)sheetData\b[^>]*?(/?)>", xml)
    p = data.group(1)
    if data.group(2):  # <sheetData/>
        xml = xml[:data.start()] + f"<{p}sheetData></{p}sheetData>" + xml[data.end():]
        data = re.search(r"<((?:\w+:)?)sheetData\b[^>]*?>", xml)
    end_data = xml.index(f"</{p}sheetData>", data.end())
    body = xml[data.end():end_data]
    out, pos = [], 0
    for m in _ROW.finditer(body):
        r = re.search(r'\sr="(\d+)"', m.group(2))
        row = int(r.group(1)) if r else None
        # rows the sheet lacks, that come before this one
        for new_row in sorted(k for k in by_row if row is not None and k < row):
            out.append(body[pos:m.start()])
            pos = m.start()
            out.append(_new_row(p, new_row, by_row.pop(new_row), styles))
        if row is None or row not in by_row:
            continue
        cells = sorted(by_row.pop(row), key=lambda mk: mk.col)
        if m.group(3):  # <row …/>
            out.append(body[pos:m.start()])
            out.append(f"<{p}row{m.group(2)}>" + "".join(_new_cell(p, mk, styles) for mk in cells) + f"</{p}row>")
            pos = m.end()
            continue
        close = body.index(f"</{p}row>", m.end())
        content = body[m.end():close]
        out.append(body[pos:m.end()])
        out.append(_merge_cells(p, content, cells, styles))
        pos = close
    out.append(body[pos:])
    tail = "".join(_new_row(p, r, ms, styles) for r, ms in sorted(by_row.items()))
    return xml[:data.end()] + "".join(out) + tail + xml[end_data:]


def _merge_cells(p: str, content: str, cells: list[Mark], styles: _StyleMap) -> str:
    out, pos = [], 0
    pending = list(cells)
    for m in _CELL.finditer(content):
        ref = re.search(r'\sr="([A-Z]+)[0-9]+"', m.group(2))
        col = col_number(ref.group(1)) if ref else None
        while pending and col is not None and pending[0].col < col:
            out.append(content[pos:m.start()])
            pos = m.start()
            out.append(_new_cell(p, pending.pop(0), styles))
    out.append(content[pos:])
    out.extend(_new_cell(p, mk, styles) for mk in pending)
    return "".join(out)


def _new_row(p: str, row: int, marks: list[Mark], styles: _StyleMap) -> str:
    return f'<{p}row r="{row}">' + "".join(_new_cell(p, m, styles) for m in sorted(marks, key=lambda m: m.col)) + f"</{p}row>"


def _new_cell(p: str, m: Mark, styles: _StyleMap) -> str:
    return f'<{p}c r="{cell_name(m.row, m.col)}" s="{styles.style(0, m.fill)}"/>'


# -- comments ----------------------------------------------------------------------------------
def _add_comments(xml: str, part: str, marks: list[Mark], k: int, files, edited, added, taken: set[str], read) -> str:
    rels_part = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    rels = read(rels_part) if rels_part in files else None
    existing = _related(rels, part, COMMENTS_TYPE) if rels else None
    legacy = re.search(r'<(?:\w+:)?legacyDrawing\b[^>]*\bid="([^"]+)"', xml)
    vml_existing = _related(rels, part, VML_TYPE, legacy.group(1)) if rels and legacy else None
    if existing and existing in files and vml_existing and vml_existing in files:
        # the sheet has comments already: add ours to its lists (keeping any comment already on a cell)
        have = set(re.findall(r'<(?:\w+:)?comment\b[^>]*\bref="([A-Z]+[0-9]+)"', read(existing)))
        ours = [m for m in marks if cell_name(m.row, m.col) not in have]
        edited[existing] = _append_comments(read(existing), ours).encode("utf-8")
        edited[vml_existing] = _append_shapes(read(vml_existing), ours, 4000 + 10 * k, _Geometry(xml)).encode("utf-8")
        return xml
    comments = _free_name("xl/comments{}.xml", taken)
    vml = _free_name("xl/drawings/vmlDrawing{}.vml", taken)
    added[comments] = _comments_xml(marks).encode("utf-8")
    added[vml] = _vml_xml(marks, 4000 + 10 * k, _Geometry(xml)).encode("utf-8")
    base = posixpath.dirname(part)
    _add_relationship(edited, added, files, read, rels_part, COMMENTS_TYPE, posixpath.relpath(comments, base))
    vml_id = _add_relationship(edited, added, files, read, rels_part, VML_TYPE, posixpath.relpath(vml, base))
    _add_override(edited, read, "/" + comments, COMMENTS_CONTENT)
    _add_default(edited, read, "vml", VML_CONTENT)
    if legacy:  # a legacy drawing without comments (form controls): leave it; Excel allows one
        return xml
    root = re.search(r"<((?:\w+:)?)worksheet\b[^>]*>", xml)
    prefix = root.group(1)
    declared = f'xmlns:r="{REL_NS}"' in root.group(0)
    element = (f'<{prefix}legacyDrawing r:id="{vml_id}"/>' if declared
               else f'<{prefix}legacyDrawing xmlns:r="{REL_NS}" r:id="{vml_id}"/>')
    for name in _AFTER_LEGACY:
        m = re.search(rf"<{re.escape(prefix)}{name}\b", xml)
        if m:
            return xml[:m.start()] + element + xml[m.start():]
    end = xml.rindex(f"</{prefix}worksheet>")
    return xml[:end] + element + xml[end:]


def _related(rels: str, part: str, rel_type: str, rel_id: str | None = None) -> str | None:
    for m in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        tag = m.group(0)
        if f'Type="{rel_type}"' not in tag:
            continue
        if rel_id is not None and f'Id="{rel_id}"' not in tag:
            continue
        target = re.search(r'Target="([^"]+)"', tag).group(1)
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
    return None


def _free_name(pattern: str, taken: set[str]) -> str:
    i = 1
    while pattern.format(i) in taken:
        i += 1
    taken.add(pattern.format(i))
    return pattern.format(i)


def _comment(m: Mark, author: int) -> str:
    return (f'<comment ref="{cell_name(m.row, m.col)}" authorId="{author}"><text><r><t xml:space="preserve">'
            f"{escape(m.comment, quote=False)}</t></r></text></comment>")


def _comments_xml(marks: list[Mark]) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN_NS}">'
            f"<authors><author>{AUTHOR}</author></authors><commentList>"
            + "".join(_comment(m, 0) for m in marks) + "</commentList></comments>")


def _append_comments(xml: str, marks: list[Mark]) -> str:
    authors = re.search(r"<((?:\w+:)?)authors\b[^>]*?(/?)>", xml)
    p = authors.group(1) if authors else ""
    if authors is None or authors.group(2):
        count = 0
        block = f"<{p}authors><{p}author>{AUTHOR}</{p}author></{p}authors>"
        if authors is None:
            at = re.search(r"<((?:\w+:)?)comments\b[^>]*>", xml).end()
            xml = xml[:at] + block + xml[at:]
        else:
            xml = xml[:authors.start()] + block + xml[authors.end():]
    else:
        end = xml.index(f"</{p}authors>")
        count = len(re.findall(rf"<{re.escape(p)}author\b", xml[authors.end():end]))
        xml = xml[:end] + f"<{p}author>{AUTHOR}</{p}author>" + xml[end:]
    body = "".join(_comment(m, count) for m in marks)
    if p:
        body = body.replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
    end = xml.rfind(f"</{p}commentList>")
    if end < 0:
        at = xml.rindex(f"</{p}comments>")
        return xml[:at] + f"<{p}commentList>{body}</{p}commentList>" + xml[at:]
    return xml[:end] + body + xml[end:]


_SHAPETYPE = ('<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
              '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


def _shapes(marks: list[Mark], block: int, geometry: "_Geometry") -> str:
    out = []
    for i, m in enumerate(marks):
        row, col = m.row - 1, m.col - 1
        sid = block * 1024 + 1 + i
        width, height = comment_size(m.comment)
        # the box starts right of the cell's column, a row above it; the anchor (which Excel and
        # LibreOffice both follow) is where its corners fall on this sheet's columns and rows
        left, top = (col + 1, _NOTE_DX), (max(row - 1, 0), _NOTE_DY)
        right, bottom = geometry.columns_over(*left, width), geometry.rows_over(*top, height)
        anchor = f"{left[0]}, {left[1]}, {top[0]}, {top[1]}, {right[0]}, {right[1]}, {bottom[0]}, {bottom[1]}"
        x, y = geometry.column_x(left[0]) + left[1], geometry.row_y(top[0]) + top[1]
        out.append(
            f'<v:shape id="_x0000_s{sid}" type="#_x0000_t202" style="position:absolute;margin-left:{_pt(x)}pt;'
            f'margin-top:{_pt(y)}pt;width:{_pt(width)}pt;height:{_pt(height)}pt;z-index:{i + 1};visibility:hidden" '
            f'fillcolor="#ffffe1" '
            f'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            f'<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left">'
            f"</div></v:textbox><x:ClientData ObjectType=\"Note\"><x:MoveWithCells/><x:SizeWithCells/>"
            f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row>"
            f"<x:Column>{col}</x:Column></x:ClientData></v:shape>")
    return "".join(out)


# A comment's box, in pixels: characters of the note's font (9 pt: about 7 px for a Latin one, 13 px
# for a CJK one), lines of 16 px, a margin round the text; between 180 and 400 px wide.
_NOTE_DX, _NOTE_DY = 15, 10
_CHAR_PX, _LINE_PX, _PAD_PX = 7, 16, 14
_MIN_WIDTH, _MAX_WIDTH = 180, 400


def comment_size(text: str) -> tuple[int, int]:
    """The (width, height) in pixels a comment's box needs to show all of its text, wrapped."""
    from sheetnet.check.legend import text_units

    lines = text.split("\n")
    widest = max((text_units(line) for line in lines), default=0)
    width = min(max(widest * _CHAR_PX + _PAD_PX, _MIN_WIDTH), _MAX_WIDTH)
    per_line = max((width - _PAD_PX) // _CHAR_PX, 1)
    count = sum(max(1, -(-text_units(line) // per_line)) for line in lines)
    return width, count * _LINE_PX + _PAD_PX


def _pt(px: float) -> str:
    return f"{px * 0.75:g}"


class _Geometry:
    """A sheet's column widths and row heights in pixels, from its XML (Excel's conversions: a column
    `width` characters wide is trunc(7·width + 0.5) px at the default font; a row of h points is h·4/3 px)."""

    def __init__(self, xml: str):
        head = xml[:xml.find("<sheetData") if "<sheetData" in xml else len(xml)]
        fmt = re.search(r"<(?:\w+:)?sheetFormatPr\b([^>]*)>", head)
        attrs = fmt.group(1) if fmt else ""
        default_w = re.search(r'defaultColWidth="([\d.]+)"', attrs)
        base_w = re.search(r'baseColWidth="(\d+)"', attrs)
        self.default_col = self._px(float(default_w.group(1))) if default_w else (
            (int(base_w.group(1)) * 7 + 5 + 7) // 8 * 8 if base_w else 64)
        default_h = re.search(r'defaultRowHeight="([\d.]+)"', attrs)
        self.default_row = float(default_h.group(1)) * 4 / 3 if default_h else 20.0
        self.col_ranges: list[tuple[int, int, float]] = []  # 0-based first, last column, px
        for m in re.finditer(r"<(?:\w+:)?col\b([^>]*)/?>", head):
            lo, hi = re.search(r'\bmin="(\d+)"', m.group(1)), re.search(r'\bmax="(\d+)"', m.group(1))
            w = re.search(r'\bwidth="([\d.]+)"', m.group(1))
            if lo and hi and w:
                self.col_ranges.append((int(lo.group(1)) - 1, int(hi.group(1)) - 1, self._px(float(w.group(1)))))
        self.rows: dict[int, float] = {}
        for m in re.finditer(r'<(?:\w+:)?row\b[^>]*?\br="(\d+)"[^>]*?\bht="([\d.]+)"', xml):
            self.rows[int(m.group(1)) - 1] = float(m.group(2)) * 4 / 3
        self._x, self._y = [0.0], [0.0]  # where each column and row starts, as far as asked

    @staticmethod
    def _px(width: float) -> float:
        return float(int(7 * width + 0.5))

    def col_px(self, c: int) -> float:
        return next((px for lo, hi, px in self.col_ranges if lo <= c <= hi), self.default_col)

    def row_px(self, r: int) -> float:
        return self.rows.get(r, self.default_row)

    def column_x(self, c: int) -> float:
        while len(self._x) <= c:
            self._x.append(self._x[-1] + self.col_px(len(self._x) - 1))
        return self._x[c]

    def row_y(self, r: int) -> float:
        while len(self._y) <= r:
            self._y.append(self._y[-1] + self.row_px(len(self._y) - 1))
        return self._y[r]

    def columns_over(self, c: int, offset: int, length: float) -> tuple[int, int]:
        """The (column, offset) `length` px right of (c, offset)."""
        return self._walk(c, offset, length, self.col_px)

    def rows_over(self, r: int, offset: int, length: float) -> tuple[int, int]:
        return self._walk(r, offset, length, self.row_px)

    @staticmethod
    def _walk(i: int, offset: float, length: float, size) -> tuple[int, int]:
        left = offset + length
        while left >= size(i) and size(i) > 0:
            left -= size(i)
            i += 1
        return i, int(left)


def _blocks(n: int, block: int) -> str:
    return ",".join(str(block + i) for i in range((n + 1023) // 1024 or 1))


def _vml_xml(marks: list[Mark], block: int, geometry: "_Geometry") -> str:
    # shape ids run on past 1024 per block: declare every block they use
    blocks = _blocks(len(marks) + 1, block)
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{blocks}"/></o:shapelayout>'
            + _SHAPETYPE + _shapes(marks, block, geometry) + "</xml>")


def _append_shapes(xml: str, marks: list[Mark], block: int, geometry: "_Geometry") -> str:
    if "_x0000_t202" not in xml:
        xml = xml.replace("</xml>", _SHAPETYPE + "</xml>")
    at = xml.rindex("</xml>")
    return xml[:at] + _shapes(marks, block, geometry) + xml[at:]


# -- the legend sheet --------------------------------------------------------------------------
def _add_legend_sheet(name: str, table, styles: _StyleMap, files, edited, added, taken: set[str], read,
                      selected) -> None:
    """The legend as the workbook's first sheet, the one it opens on."""
    from sheetnet.check.legend import worksheet_xml

    part = _free_name("xl/worksheets/sheet{}.xml", taken)
    xml = worksheet_xml(table, styles.legend, main_ns=MAIN_NS, rel_ns=REL_NS)
    added[part] = xml.encode("utf-8")
    rid = _add_relationship(edited, added, files, read, "xl/_rels/workbook.xml.rels", WORKSHEET_TYPE,
                            posixpath.relpath(part, "xl"))
    _add_override(edited, read, "/" + part, WORKSHEET_CONTENT)
    wb = read("xl/workbook.xml")
    sheets = re.search(r"<((?:\w+:)?)sheets\b[^>]*>", wb)
    p = sheets.group(1)
    root = re.search(r"<(?:\w+:)?workbook\b[^>]*>", wb).group(0)
    r_prefix = re.search(rf'xmlns:(\w+)="{re.escape(REL_NS)}"', root)
    ids = [int(v) for v in re.findall(r'<(?:\w+:)?sheet\b[^>]*\bsheetId="(\d+)"', wb)]
    rel = f'{r_prefix.group(1)}:id="{rid}"' if r_prefix else f'xmlns:r="{REL_NS}" r:id="{rid}"'
    element = f'<{p}sheet name={_attr(name)} sheetId="{max(ids, default=0) + 1}" {rel}/>'
    wb = wb[:sheets.end()] + element + wb[sheets.end():]
    # sheet-local names (Solver's, print areas) count sheets by position: one more sheet before them
    wb = re.sub(r'(<(?:\w+:)?definedName\b[^>]*\blocalSheetId=")(\d+)"', lambda m: f'{m.group(1)}{int(m.group(2)) + 1}"', wb)
    wb = re.sub(r"<((?:\w+:)?)workbookView\b([^>]*?)(/?)>", _first_tab_active, wb)
    edited["xl/workbook.xml"] = wb.encode("utf-8")
    for other in files:  # the tab that was selected is not any more (two would be grouped)
        if re.fullmatch(r"xl/(?:worksheets|chartsheets|dialogsheets)/[^/]+\.xml", other) and selected(other):
            text = read(other)
            unselected = re.sub(r'(<(?:\w+:)?sheetView\b[^>]*?)\s+tabSelected="(?:1|true)"', r"\1", text)
            if unselected != text:
                edited[other] = unselected.encode("utf-8")


_HEAD_BYTES = 1 << 16


def _may_be_selected(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether a sheet part may say tabSelected. Its sheetView comes before its cells (sheetData), so a
    large sheet no command reads (a scratch sheet of millions of cells) is looked at only up to there."""
    if info.file_size <= _HEAD_BYTES:
        return True
    with z.open(info) as fh:
        head = fh.read(_HEAD_BYTES)
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff")
    text = head[: len(head) // 2 * 2].decode("utf-16" if utf16 else "utf-8", errors="ignore")
    cells = re.search(r"<(?:\w+:)?sheetData\b", text)
    return cells is None or "tabSelected" in text[: cells.start()]  # no cells in sight: read it whole to be sure


def _first_tab_active(m) -> str:
    attrs = re.sub(r'\s(activeTab|firstSheet)="[^"]*"', "", m.group(2))
    return f'<{m.group(1)}workbookView{attrs} activeTab="0"{m.group(3)}>'


# -- package plumbing --------------------------------------------------------------------------
def _add_relationship(edited, added, files, read, rels_part: str, rel_type: str, target: str) -> str:
    if rels_part in files or rels_part in added:
        xml = read(rels_part)
    else:
        xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL_NS}"></Relationships>'
    ids = set(re.findall(r'\bId="([^"]+)"', xml))
    i = 1
    while f"rIdSheetnet{i}" in ids:
        i += 1
    rid = f"rIdSheetnet{i}"
    p = re.search(r"<((?:\w+:)?)Relationships\b", xml).group(1)
    new = f"<{p}Relationship Id={_attr(rid)} Type={_attr(rel_type)} Target={_attr(target)}/>"
    end = xml.rindex(f"</{p}Relationships>")
    xml = xml[:end] + new + xml[end:]
    (edited if rels_part in files else added)[rels_part] = xml.encode("utf-8")
    return rid


def _add_override(edited, read, part_name: str, content_type: str) -> None:
    xml = read("[Content_Types].xml")
    if f'PartName="{part_name}"' in xml:
        return
    p = re.search(r"<((?:\w+:)?)Types\b", xml).group(1)
    end = xml.rindex(f"</{p}Types>")
    edited["[Content_Types].xml"] = (xml[:end] + f"<{p}Override PartName={_attr(part_name)} "
                                     f"ContentType={_attr(content_type)}/>" + xml[end:]).encode("utf-8")


def _add_default(edited, read, extension: str, content_type: str) -> None:
    xml = read("[Content_Types].xml")
    if re.search(rf'<(?:\w+:)?Default\b[^>]*Extension="{extension}"', xml, re.I):
        return
    p = re.search(r"<((?:\w+:)?)Types\b[^>]*>", xml)
    at = p.end()
    edited["[Content_Types].xml"] = (xml[:at] + f"<{p.group(1)}Default Extension={_attr(extension)} "
                                     f"ContentType={_attr(content_type)}/>" + xml[at:]).encode("utf-8")


def _write(z: zipfile.ZipFile, dst: Path, edited: dict[str, bytes], added: dict[str, bytes]) -> None:
    def fill(fh) -> None:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as out:
            for info in z.infolist():
                if info.filename in edited:
                    out.writestr(info, edited[info.filename])
                else:
                    carry_over(z, out, info)
            for name, data in added.items():
                out.writestr(name, data)
    outputs.write(dst, fill)


_MINIMAL_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def annotate(result, dst: Path, *, hints: bool = False, legend: bool = True) -> int:
    """The checked workbook's copy at dst, each wrong cell filled (root cause or inherited) and commented,
    and a first sheet with the legend and the findings. hints: no expected formula in the copy."""
    from sheetnet.check import legend as legend_sheet
    from sheetnet.check.report import cell_note
    from sheetnet.xlsx.refs import parse_cell

    hints = hints or result.hints
    marks: dict[str, list[Mark]] = {}
    for f in result.findings:
        sheet, cell = f.cell.rsplit("!", 1)
        row, col = parse_cell(cell)
        note = cell_note(f, result, hints)  # hints: without the expected formula, what the student is to find
        marks.setdefault(sheet, []).append(Mark(row, col, "root" if f.is_root else "inherited", note))

    def first_sheet(names):
        return legend_sheet.sheet_name(names), legend_sheet.rows(result, hints=hints)

    return annotate_workbook(result.path, Path(dst), marks, first_sheet if legend else None)
