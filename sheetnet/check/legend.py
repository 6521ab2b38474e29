"""The first sheet of an annotated copy: what the marks mean, the score, and every root cause linked to its cell.

A student who opens the copy in Excel or WPS lands here: the legend (the two fills, with the symbol
each stands for), the score, C_T and accuracy against the expected ones, then one row per root
cause — its id, a link that jumps to its first cell, what it is, the explanation, what was found and
expected, where else it is, what it spoils. Written as a plain worksheet part with inline strings
(the workbook's shared strings stay as they were), row heights set for the wrapped text.
"""

from __future__ import annotations

import math
import unicodedata
from html import escape

from sheetnet.check.checker import CheckResult
from sheetnet.i18n import _, ngettext
from sheetnet.record import record
from sheetnet.xlsx.refs import cell_name

ROOT_MARK, INHERITED_MARK = "✗", "↓"

# (width in characters) of the columns: id, cell, mistake, explanation, found, expected, places, spoils
WIDTHS = (6, 16, 36, 60, 18, 18, 8, 8)
_LINE_POINTS = 15.0


@record(frozen=True)
class Cell:
    text: object  # str or a number
    style: str = "plain"  # a key of annotate's LEGEND_STYLES
    link: str | None = None  # an internal location: 'sheet'!A1


def sheet_name(taken: list[str]) -> str:
    """The legend sheet's name: not one the workbook has (sheet names are compared ignoring case)."""
    base = _("sheetnet check")[:28]
    used = {t.casefold() for t in taken}
    name, k = base, 1
    while name.casefold() in used:
        k += 1
        name = f"{base} ({k})"
    return name


def location(cell: str) -> str:
    """'学习!O11' → "'学习'!O11": a hyperlink's place inside the workbook."""
    sheet, ref = cell.rsplit("!", 1)
    return "'" + sheet.replace("'", "''") + "'!" + ref


def rows(result: CheckResult, *, hints: bool = False) -> list[list[Cell]]:
    from sheetnet.check.report import _what_was_found, explanation as explain, headline, value_text

    hints = hints or result.hints
    out: list[list[Cell]] = [
        [Cell(_("sheetnet check of {file}").format(file=result.path.name), "title")],
        [Cell(_("{right} of {cells} computed cells right ({score})").format(
            right=result.right, cells=result.graded, score=f"{result.score:.1%}") + "; " + _counts(result))],
    ]
    from sheetnet.check.sheetgrid import sheet_label

    for name, (found, expected) in result.totals.items():
        style = "percent" if name == "accuracy" else "plain"
        shown = f"{expected:.1%}" if style == "percent" and isinstance(expected, float) else value_text(expected)
        out.append([Cell(sheet_label(result.loaded.layout, name) or name, "bold"), Cell(_number(found), style),
                    Cell(_("expected: {value}").format(value=shown))])
    out += [[], [Cell(_("What the marks mean"), "bold")],
            [Cell(ROOT_MARK, "root"), Cell(_("root cause: this cell itself is wrong (its formula or its value)"))],
            [Cell(INHERITED_MARK, "inherited"),
             Cell(_("inherited: right from the cells it reads, spoilt by an earlier mistake"))],
            [Cell(""), Cell(_("Each marked cell has a comment saying what is wrong there. Click a cell below to go "
                              "to it."))], []]
    if not result.root_causes:
        out.append([Cell(_("Every computed cell is right."), "bold")])
        return out
    out.append([Cell(t, "bold") for t in (_("id"), _("first cell"), _("mistake"), _("explanation"), _("found"),
                                          _("expected"), _("places"), _("spoils"))])
    for r in result.root_causes:
        f = r.first
        explanation = explain(r.diagnosis, hints)
        if f.expected_formula and f.kind != "empty" and not hints:
            explanation += "\n" + _("expected formula: {formula}").format(formula=f.expected_formula)
        expected = f.expected_locally if f.expected_locally is not None else f.expected
        out.append([Cell(r.id, "root"), Cell(f.cell, "link", location(f.cell)),
                    Cell(headline(r), "wrap"),
                    Cell(explanation, "wrap"),
                    Cell(_what_was_found(f) if f.kind in ("empty", "no_value", "formula") else _number(f.found), "wrap"),
                    Cell(_number(expected) if f.kind not in ("empty", "no_value") else value_text(expected), "wrap"),
                    Cell(len(r.places)), Cell(r.spoils)])
    inherited = next((f for f in result.findings if not f.is_root), None)
    if inherited is not None:
        out += [[], [Cell(INHERITED_MARK, "inherited"), Cell(inherited.cell, "link", location(inherited.cell)),
                     Cell(ngettext("{n} cell inherits these mistakes: this one", "{n} cells inherit these mistakes; "
                                   "the first of them", result.inherited).format(n=result.inherited), "wrap")]]
    return out


def _counts(result: CheckResult) -> str:
    roots = ngettext("{n} root cause", "{n} root causes", len(result.root_causes)).format(n=len(result.root_causes))
    return roots + ", " + ngettext("{n} inherited cell", "{n} inherited cells", result.inherited).format(
        n=result.inherited)


def _number(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else (
        "" if v is None else str(v))


def text_units(text: str) -> int:
    """A text's width in Latin characters: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def lines_needed(text: str, width: float) -> int:
    """Lines a text takes wrapped in a column `width` characters wide."""
    per_line = max(int(width) - 1, 1)
    return sum(max(1, math.ceil(text_units(line) / per_line)) for line in str(text).split("\n"))


def worksheet_xml(table: list[list[Cell]], style, *, main_ns: str, rel_ns: str) -> str:
    """The sheet's XML (style: a key → the cell format's index), its links to cells inside the workbook."""
    out_rows, links = [], []
    for r, row in enumerate(table, start=1):
        cells, lines = [], 1
        for c, cell in enumerate(row, start=1):
            ref = cell_name(r, c)
            s = style(cell.style)
            if isinstance(cell.text, (int, float)) and not isinstance(cell.text, bool):
                cells.append(f'<c r="{ref}" s="{s}"><v>{cell.text!r}</v></c>')
            elif cell.text != "":
                text = escape(str(cell.text), quote=False)
                cells.append(f'<c r="{ref}" s="{s}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
                if cell.style == "wrap" and c <= len(WIDTHS):
                    lines = max(lines, lines_needed(str(cell.text), WIDTHS[c - 1]))
            if cell.link:
                links.append((ref, cell.link))
        height = f' ht="{lines * _LINE_POINTS:g}" customHeight="1"' if lines > 1 else ""
        out_rows.append(f'<row r="{r}"{height}>' + "".join(cells) + "</row>")
    last = cell_name(max(len(table), 1), len(WIDTHS))
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(WIDTHS, start=1))
    hyperlinks = "".join(f'<hyperlink ref="{ref}" location="{escape(loc, quote=True)}" display="{escape(loc, quote=True)}"/>'
                         for ref, loc in links)
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{main_ns}" xmlns:r="{rel_ns}">'
           f'<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="A1:{last}"/><sheetViews><sheetView tabSelected="1" workbookViewId="0">'
           f'<selection activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
           f'<sheetFormatPr defaultRowHeight="{_LINE_POINTS:g}"/><cols>{cols}</cols>'
           f'<sheetData>{"".join(out_rows)}</sheetData>'
           + (f"<hyperlinks>{hyperlinks}</hyperlinks>" if hyperlinks else "")
           + '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
           + '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>')
    return xml
