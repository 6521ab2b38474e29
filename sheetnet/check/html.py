"""`check --format html`: one self-contained page per checked workbook, for people who never open a terminal.

The page carries everything inline — CSS, the weight pictures as SVG, no script, no font, no link
outside itself — so it opens from a mail attachment on a phone. It shows the score, C_T and the
accuracy against the expected ones, each root cause with its explanation, the graded sheet's grid
(sheetgrid: drawn from the layout, with root causes and inherited cells marked by colour AND a
symbol, so the marks survive black-and-white print and colour-blind eyes) and the first layer's
weights drawn blue/white/red like the workbook's colour scale. Only the grid may be wider than the
screen, and it scrolls inside its own box. Every text goes through sheetnet.i18n.
"""

from __future__ import annotations

import math
from html import escape
from urllib.parse import quote

import numpy as np

from sheetnet import __version__
from sheetnet.check import sheetgrid
from sheetnet.check.checker import CheckResult, Finding, RootCause
from sheetnet.check.places import count_text, number_runs
from sheetnet.check.report import _what_was_found, explanation, headline, value_text
from sheetnet.i18n import _, language, ngettext
from sheetnet.record import record

ROOT_MARK, INHERITED_MARK, RIGHT_MARK = "✗", "↓", "✓"  # drawn in every cell they mark, beside the colour
ROOT_FILL, INHERITED_FILL = "#FFC7CE", "#FFEB9C"  # as the annotated workbook fills them (annotate.FILLS)
WEIGHT_COLOURS = ("#5A8AC6", "#FFFFFF", "#F8696B")  # the workbook's weight scale: negative, 0, positive
_PLACES_SHOWN = 12

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;padding:12px;color:#1f1f1f;background:#fff;font:15px/1.45 system-ui,-apple-system,"Segoe UI",
"Microsoft YaHei","PingFang SC","Hiragino Sans","Yu Gothic","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif}
main{max-width:64rem;margin:0 auto}
h1{font-size:1.35rem;margin:.2em 0 .1em;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:1.4em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1rem;margin:0 0 .3em;overflow-wrap:anywhere}
p,li,dd{overflow-wrap:anywhere}
code{font:13px/1.4 ui-monospace,Consolas,"DejaVu Sans Mono",monospace;background:#f4f4f4;padding:0 .2em;
overflow-wrap:anywhere;word-break:break-all}
a{color:#0b57d0}
.file{color:#555;margin:0;overflow-wrap:anywhere}
.score{font-size:1.15rem;margin:.5em 0}
.ok{color:#1e6b31}.bad{color:#9c0006}
table.totals{border-collapse:collapse;margin:.4em 0}
.totals th,.totals td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
.totals th{background:#f3f3f3;text-align:left}
.totals td{word-break:break-all}
.notes{color:#555;font-size:.9rem}
.legend{display:flex;flex-wrap:wrap;gap:.4em 1.2em;padding:0;list-style:none;margin:.6em 0}
.legend li{display:flex;align-items:center;gap:.4em}
.swatch{display:inline-block;min-width:1.8em;text-align:center;font-weight:bold;padding:0 .3em}
.root{background:#FFC7CE;color:#9c0006}
.inh{background:#FFEB9C;color:#6b5000}
.swatch.root{outline:2px solid #9c0006;outline-offset:-2px}
.swatch.inh{border:1px dashed #6b5000}
.finding{border:1px solid #e0b4b4;border-left:6px solid #9c0006;border-radius:4px;padding:.6em .8em;margin:.7em 0}
.finding dl{margin:.3em 0;display:grid;grid-template-columns:minmax(5em,max-content) minmax(0,1fr);gap:.15em .8em}
.finding dt{color:#555}.finding dd{margin:0;min-width:0}
.why{margin:.2em 0 .4em}
.sheetbox{overflow-x:auto;max-width:100%;border:1px solid #bbb;margin:.4em 0;-webkit-overflow-scrolling:touch}
table.sheet{border-collapse:separate;border-spacing:0;font-size:12px;font-variant-numeric:tabular-nums}
.sheet td,.sheet th{border-right:1px solid #e2e2e2;border-bottom:1px solid #e2e2e2;padding:1px 4px;
white-space:nowrap;text-align:right;min-width:2.6em;height:1.6em}
.sheet thead th{background:#f0f0f0;color:#666;font-weight:normal;text-align:center}
.sheet tbody th{background:#f0f0f0;color:#666;font-weight:normal;position:sticky;left:0;z-index:2;
min-width:2.6em;width:2.6em;max-width:2.6em}
.sheet .lab{text-align:left;color:#333}
.sheet .hd{font-weight:bold;text-align:center}
.sheet .in{background:#E2EFDA}
.sheet .plain{color:#555;text-align:center}
.sheet .txt{text-align:center}
.sheet td.root{outline:2px solid #9c0006;outline-offset:-2px;font-weight:bold}
.sheet td.inh{outline:1px dashed #6b5000;outline-offset:-2px}
.sheet td.root a,.sheet td.inh a{color:inherit;text-decoration:none;display:block}
.sym{font-weight:bold;margin-right:.15em}
.sheet .st0,.sheet .st1{position:sticky;z-index:1;background:#fafafa;min-width:4.6em;width:4.6em;max-width:4.6em;
overflow:hidden;text-overflow:ellipsis}
.sheet .st0{left:2.6em}.sheet .st1{left:7.2em}
.sheet .gap{background:repeating-linear-gradient(135deg,#f6f6f6 0 4px,#e4e4e4 4px 8px);min-width:1.6em;
color:#666;text-align:center}
.blocknote{color:#555;font-size:.9rem;margin:.2em 0 .8em}
.weights{display:flex;flex-wrap:wrap;gap:.8em 1.2em;margin:.4em 0}
.weights figure{margin:0;text-align:center}
.weights figcaption{font-size:.85rem;color:#444}
.weights svg{display:block;border:1px solid #999}
table.class{border-collapse:collapse;width:100%}
.class th,.class td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
.class td.num{text-align:right;white-space:nowrap}
.class .wide{overflow-wrap:anywhere}
footer{margin-top:2em;color:#777;font-size:.8rem}
@media (max-width:34rem){body{padding:8px}.class .opt{display:none}
.finding dl{grid-template-columns:minmax(0,1fr)}.finding dt{font-size:.85rem;margin-top:.2em}}
@media print{.sheetbox{overflow:visible}}
"""


def _h(text) -> str:
    return escape(str(text), quote=True)


def _document(title: str, body: str) -> str:
    # texts are translated outside the f-strings: Babel does not look into them
    footer = _h(_("made by sheetnet {version}").format(version=__version__))
    return (f'<!DOCTYPE html>\n<html lang="{_h(language())}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_h(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n"
            f"<footer>{footer}</footer>\n"
            "</main>\n</body>\n</html>\n")


# -- numbers as the grid shows them ---------------------------------------------------------------
def short(v) -> str:
    """A cell's value in a few characters: 0.0218, -2.98, 1.05e-07, 64, ○."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return v if len(v) <= 10 else v[:9] + "…"
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if v == round(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.3g}"


# -- the page ---------------------------------------------------------------------------------------
def page(result: CheckResult, *, hints: bool = False, name: str | None = None) -> str:
    """The report on one workbook. hints: leave out the expected formulas (the student works them out)."""
    hints = hints or result.hints
    name = name or result.path.name
    grid = sheetgrid.build(result)
    drawn = {(c.quantity, c.index) for b in grid.blocks for c in b.cells.values() if c.finding is not None}
    title = _("Check of {file}").format(file=name)
    parts = [
        f"<header><h1>{_h(title)}</h1>",
        f'<p class="file">{_h(_describe(result))}</p></header>',
        _summary(result),
        _legend(),
        _findings(result, hints, drawn),
        _grid(result, grid),
        _weights(result),
    ]
    return _document(title, "\n".join(p for p in parts if p))


def _describe(result: CheckResult) -> str:
    ld = result.loaded
    role = sheetgrid.graded_role(ld.layout)
    title = next((str(label.text) for label in ld.layout.labels if label.sheet == role and label.style == "title"),
                 ld.sheet_names[role])  # the sheet's own title: 0和1的识别（求解器）
    text = title + " · " + count_text(ld.layout, ld.n_images, ld.n_iterations)
    if ld.n_iterations > 1 and ld.layout.has_items:
        text += " · " + ngettext("{n} iteration block", "{n} iteration blocks", ld.n_iterations).format(n=ld.n_iterations)
    return text


def _summary(result: CheckResult) -> str:
    cls = "ok" if not result.findings else "bad"
    score = _("{right} of {cells} computed cells right ({score})").format(
        right=result.right, cells=result.graded, score=f"{result.score:.1%}")
    lines = [f'<section><p class="score {cls}"><b>{_h(score)}</b></p>']
    if result.findings:
        roots = len(result.root_causes)
        lines.append("<p>" + _h(ngettext("{roots} root cause (the mistake to fix); {inherited} more cells are wrong "
                                         "only because they inherit it.",
                                         "{roots} root causes (the mistakes to fix); {inherited} more cells are wrong "
                                         "only because they inherit them.", roots)
                                .format(roots=roots, inherited=result.inherited)) + "</p>")
    else:
        lines.append("<p>" + _h(_("Every computed cell is right.")) + "</p>")
    rows = []
    layout = result.loaded.layout
    for q, fmt in (("C_T", value_text), ("accuracy", _percent)):
        if q not in result.totals:
            continue
        found, expected = result.totals[q]
        same = found is not None and expected is not None and fmt(found) == fmt(expected)
        mark = (f'<span class="ok">{RIGHT_MARK}</span>' if same else f'<span class="bad">{ROOT_MARK}</span>')
        label = sheetgrid.sheet_label(layout, q) or q
        shown = (fmt(found), fmt(expected)) if fmt is _percent else _few_digits(found, expected)
        rows.append(f"<tr><th>{_h(label)}</th><td>{_h(shown[0])}</td><td>{_h(shown[1])}</td><td>{mark}</td></tr>")
    if rows:
        yours, expected = _h(_("your sheet")), _h(_("expected"))
        lines.append(f'<table class="totals"><thead><tr><th></th><th>{yours}</th>'
                     f'<th>{expected}</th><th></th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
    if result.notes:
        lines.append('<ul class="notes">' + "".join(f"<li>{_h(n)}</li>" for n in result.notes) + "</ul>")
    lines.append("</section>")
    return "\n".join(lines)


def _few_digits(found, expected) -> tuple[str, str]:
    """Both numbers with as few digits (6 at least) as still tell them apart, as the text report does."""
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (found, expected)):
        return value_text(found), value_text(expected)
    differ = value_text(found) != value_text(expected)
    for digits in range(6, 13):
        a, b = f"{float(found):.{digits}g}", f"{float(expected):.{digits}g}"
        if (a != b) == differ:
            return a, b
    return value_text(found), value_text(expected)


def _percent(v) -> str:
    return f"{float(v):.1%}" if isinstance(v, (int, float)) and not isinstance(v, bool) else value_text(v)


def _legend() -> str:
    root = _h(_("root cause: this cell itself is wrong (its formula or its value)"))
    inherited = _h(_("inherited: right from the cells it reads, spoilt by an earlier mistake"))
    return (f'<ul class="legend"><li><span class="swatch root">{ROOT_MARK}</span>{root}</li>'
            f'<li><span class="swatch inh">{INHERITED_MARK}</span>{inherited}</li></ul>')


# -- the findings -----------------------------------------------------------------------------------
def _findings(result: CheckResult, hints: bool, drawn: set) -> str:
    if not result.root_causes:
        return ""
    out = ["<section><h2>" + _h(_("What to fix")) + "</h2>"]
    for r in result.root_causes:
        out.append(_finding(r, hints, (r.first.quantity, r.first.index) in drawn))
    orphans = sum(1 for f in result.findings if not f.is_root and not f.caused_by)
    if orphans:
        out.append("<p>" + _h(ngettext("{n} cell is wrong only end to end, with no root cause upstream (a tiny "
                                       "difference?)", "{n} cells are wrong only end to end, with no root cause "
                                       "upstream (tiny differences?)", orphans).format(n=orphans)) + "</p>")
    out.append("</section>")
    return "\n".join(out)


def _finding(r: RootCause, hints: bool, drawn: bool) -> str:
    f = r.first
    see = _h(_("see it on the sheet"))
    rows = [(_("where"), _h(f.title) + (f' · <a href="#at-{_h(r.id)}">{see}</a>' if drawn else "")),
            (_("found"), _h(_what_was_found(f)))]
    if f.kind != "empty":
        rows.append((_("your formula"), f"<code>{_h(f.formula)}</code>" if f.formula is not None
                     else _h(_("(none: a typed value)"))))
    if f.expected_formula and f.kind != "empty" and not hints:
        rows.append((_("expected formula"), f"<code>{_h(f.expected_formula)}</code>"))
    if len(r.places) > 1:
        shown = ", ".join(p.cell for p in r.places[:_PLACES_SHOWN])
        more = _(" … and {n} more").format(n=len(r.places) - _PLACES_SHOWN) if len(r.places) > _PLACES_SHOWN else ""
        rows.append((_("places"), _h(shown + more)))
    if r.spoils:
        parts = r.spoiled_text()
        rows.append((_("spoils"), _h(ngettext("{n} cell downstream: {parts}", "{n} cells downstream: {parts}",
                                              r.spoils).format(n=r.spoils, parts=parts))))
    body = "".join(f"<dt>{_h(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return (f'<article class="finding" id="{_h(r.id)}"><h3><span class="swatch root">{ROOT_MARK}</span> '
            f"{_h(r.id)} · {_h(_title(r))}</h3>"
            f'<p class="why">{_h(explanation(r.diagnosis, hints))}</p><dl>{body}</dl></article>')


def _title(r: RootCause) -> str:
    return headline(r)


# -- the grid ---------------------------------------------------------------------------------------
def _grid(result: CheckResult, grid: sheetgrid.Grid) -> str:
    out = ["<section><h2>" + _h(_("The sheet {sheet}").format(sheet=grid.sheet)) + "</h2>"]
    first_ids = {(r.first.quantity, r.first.index): r.id for r in result.root_causes}
    for block in grid.blocks:
        if block.iteration is not None:
            out.append(_iteration_heading(block.iteration))
        out.append(f'<div class="sheetbox">{_table(grid, block, first_ids)}</div>')
        gaps = [c.gap for c in block.columns if c.gap is not None]
        if gaps:
            words = []
            for g in gaps:
                what = _("images {images}").format(images=number_runs(range(g.first, g.last + 1)))
                if g.with_findings:
                    what += " " + _("({n} of them with findings, listed above)").format(n=g.with_findings)
                words.append(what)
            out.append('<p class="blocknote">⋯ ' + _h(_("not drawn: {what}").format(what="; ".join(words))) + "</p>")
    if grid.iterations_left_out:
        out.append('<p class="blocknote">' + _h(_("Iteration blocks not drawn that hold findings too: {blocks}")
                                                .format(blocks=number_runs(grid.iterations_left_out))) + "</p>")
    out.append("</section>")
    return "\n".join(out)


def _iteration_heading(iteration: int) -> str:
    return "<h3>" + _h(_("Iteration {n}").format(n=iteration + 1)) + "</h3>"


def _table(grid: sheetgrid.Grid, block: sheetgrid.Block, first_ids: dict) -> str:
    cols = block.columns
    head = ["<th></th>"]
    for c in cols:
        if c.gap is not None:
            images = _("images {images}").format(images=number_runs(range(c.gap.first, c.gap.last + 1)))
            head.append(f'<th class="gap" title="{_h(images)}">⋯</th>')
        else:
            head.append(f"<th>{grid.col_name(c.col)}</th>")
    body = []
    for row in block.rows:
        tds = [f"<th>{grid.row_name(row)}</th>"]
        skip = 0
        for i, c in enumerate(cols):
            if skip:
                skip -= 1
                continue
            if c.gap is not None:
                tds.append('<td class="gap"></td>')
                continue
            cell = block.cells.get((row, c.col))
            sticky = f" st{c.sticky}" if c.sticky is not None and c.sticky < 2 else ""
            if cell is None:
                tds.append(f'<td class="{sticky.strip()}"></td>' if sticky else "<td></td>")
                continue
            span = _span(cols, i, cell.span)
            skip = span - 1
            tds.append(_td(cell, sticky, span, first_ids))
        body.append("<tr>" + "".join(tds) + "</tr>")
    return (f'<table class="sheet"><thead><tr>{"".join(head)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _span(cols: list[sheetgrid.Column], i: int, span: int) -> int:
    """How many drawn columns a cell spanning `span` sheet columns from column i covers."""
    last = cols[i].col + span - 1
    n = 1
    while i + n < len(cols) and cols[i + n].col is not None and cols[i + n].col <= last:
        n += 1
    return n


def _td(cell: sheetgrid.GridCell, sticky: str, span: int, first_ids: dict) -> str:
    colspan = f' colspan="{span}"' if span > 1 else ""
    if cell.kind == "label":
        return f'<td class="lab{" hd" if cell.header else ""}{sticky}"{colspan}>{_h(cell.text)}</td>'
    text = _h(short(cell.text))
    classes = {"input": "in", "plain": "plain"}.get(cell.kind, "")
    if isinstance(cell.text, str):
        classes += " txt"
    f = cell.finding
    if f is None:
        cls = (classes + sticky).strip()
        attr = f' class="{cls}"' if cls else ""
        return f"<td{attr}{colspan}>{text}</td>"
    target = f.root_cause if f.is_root else (f.caused_by[0] if f.caused_by else None)
    mark, cls = (ROOT_MARK, "root") if f.is_root else (INHERITED_MARK, "inh")
    ident = first_ids.get((cell.quantity, cell.index))
    ident = f' id="at-{_h(ident)}"' if ident else ""
    tip = f"{f.title}: {_tip(f)}"
    inner = f'<span class="sym">{mark}</span>{text}'
    if target:
        inner = f'<a href="#{_h(target)}">{inner}</a>'
    return f'<td class="{cls} {classes}{sticky}"{ident}{colspan} title="{_h(tip)}">{inner}</td>'


def _tip(f: Finding) -> str:
    if f.is_root:
        return f"{f.root_cause} · {_what_was_found(f)}"
    return _("inherited from {causes}").format(causes=", ".join(f.caused_by) or "?") + " · " + _what_was_found(f)


# -- the weights, drawn -----------------------------------------------------------------------------
def _weights(result: CheckResult) -> str:
    ld = result.loaded
    layout = ld.layout
    if not layout.roles.weights:
        return ""
    name = layout.roles.weights[0][1]
    q = layout[name]
    sets = []
    if name in ld.inputs and not q.per_iteration:
        sets.append((None, np.asarray(ld.inputs[name], dtype=float)))
    elif q.per_iteration and name in ld.inputs:
        sets.append((0, np.asarray(ld.inputs[name], dtype=float)))
        if ld.n_iterations > 1 and name in ld.cells:
            last = ld.cells[name][ld.n_iterations - 1]
            sets.append((ld.n_iterations - 1, np.vectorize(_number, otypes=[float])(last)))
    if not sets:
        return ""
    out = ["<section><h2>" + _h(_("The weights, drawn")) + "</h2>",
           "<p>" + _h(_("Blue negative, white 0, red positive: each grid on its own scale, as the workbook shades "
                        "it.")) + "</p>"]
    for it, values in sets:
        if it is not None:
            out.append(_iteration_heading(it))
        out.append('<div class="weights">')
        for unit in range(values.shape[0]):
            caption = _(q.description) + " " + sheetgrid.unit_label(layout, name, unit)
            out.append(f"<figure>{weight_svg(values[unit], caption)}<figcaption>{_h(caption)}</figcaption></figure>")
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def _number(cell) -> float:
    v = getattr(cell, "value", None)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan


def weight_svg(grid: np.ndarray, caption: str, size: int = 22) -> str:
    """One unit's weights as squares, shaded like the workbook's 3-colour scale (min blue, 0 white, max red)."""
    rows, cols = grid.shape
    finite = grid[np.isfinite(grid)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 0.0
    rects = []
    for r in range(rows):
        for c in range(cols):
            v = float(grid[r, c])
            rects.append(f'<rect x="{c * size}" y="{r * size}" width="{size}" height="{size}" fill="{shade(v, low, high)}">'
                         f"<title>{_h(short(v) if math.isfinite(v) else '?')}</title></rect>")
    w, h = cols * size, rows * size
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
            f'aria-label="{_h(caption)}">{"".join(rects)}</svg>')


def shade(v: float, low: float, high: float) -> str:
    """Excel's 3-colour scale with its middle at 0: low → blue, 0 → white, high → red; not a number → grey."""
    if not math.isfinite(v):
        return "#BFBFBF"
    if v < 0 and low < 0:
        return _mix(WEIGHT_COLOURS[1], WEIGHT_COLOURS[0], min(v / low, 1.0))
    if v > 0 and high > 0:
        return _mix(WEIGHT_COLOURS[1], WEIGHT_COLOURS[2], min(v / high, 1.0))
    return WEIGHT_COLOURS[1]


def _mix(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(ca, cb))


# -- a class ----------------------------------------------------------------------------------------
@record(frozen=True)
class Row:
    """One student's line on the class page: the workbook, its page (None: unusable), what the check found."""

    name: str
    page: str | None
    status: str  # ok, findings, unusable
    score: float | None
    root_causes: int | None
    totals: dict
    first_finding: str
    error: str | None


def index_page(rows: list[Row], title: str) -> str:
    """The class page: one line per workbook, each linked to its own page."""
    counts = {s: sum(r.status == s for r in rows) for s in ("ok", "findings", "unusable")}
    head = (f"<header><h1>{_h(title)}</h1><p class=\"file\">"
            + _h(_("{n} workbooks: {ok} all right, {findings} with findings, {unusable} unusable").format(
                n=len(rows), ok=counts["ok"], findings=counts["findings"], unusable=counts["unusable"]))
            + "</p></header>")
    cols = [_("workbook"), _("score"), _("root causes"), "ＣT", _("first finding")]
    lines = [f'<table class="class"><thead><tr>{"".join(_th(c, i) for i, c in enumerate(cols))}</tr></thead><tbody>']
    for r in rows:
        name = _h(r.name)
        link = f'<a href="{_h(quote(r.page))}">{name}</a>' if r.page else name
        score = "—" if r.score is None else f"{r.score:.1%}"
        ct = r.totals.get("C_T")
        ct_text = "" if not ct else value_text(ct[0]) if ct[0] is not None else ""
        what = (_("unusable: {error}").format(error=r.error) if r.status == "unusable"
                else r.first_finding or _("all right"))
        cls = {"ok": "ok", "unusable": "bad"}.get(r.status, "")
        lines.append(f'<tr><td class="wide">{link}</td><td class="num {cls}">{_h(score)}</td>'
                     f'<td class="num">{"—" if r.root_causes is None else r.root_causes}</td>'
                     f'<td class="num opt">{_h(short(ct[0]) if ct else "")}</td>'
                     f'<td class="wide opt" title="{_h(ct_text)}">{_h(what)}</td></tr>')
    lines.append("</tbody></table>")
    return _document(title, head + "\n" + "\n".join(lines))


def _th(text: str, i: int) -> str:
    return f'<th class="{"opt" if i >= 3 else ""}">{_h(text)}</th>'
