"""A check's result as people and programs read it: text grouped by root cause, JSON, JUnit XML.

The JSON schema and the score rule are documented in docs/check-json.md; keep the two in step.
"""

from __future__ import annotations

import math
import re

from sheetnet.check.checker import CheckResult, Finding, RootCause
from sheetnet.check.diagnose import declared
from sheetnet.check.places import count_text, image_range
from sheetnet.check.rubric import RubricScore, points_text
from sheetnet.formula.values import ERROR_CODE
from sheetnet.i18n import N_, _, ngettext

SCHEMA = "sheetnet-check/2"  # 2: `score` is the rubric's (mistakes, not cells); the cell share is `cell_score`

# (patterns kept as text here are compiled on first use, by re's own cache: most commands never need them)
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"


def _xml(text: str, quote: bool = False) -> str:
    """Text safe inside XML 1.0 (a file name or formula may hold characters XML cannot carry)."""
    from html import escape  # here: the text report, what a check prints most, needs no html (nor json)

    return escape(re.sub(_NOT_XML, "\ufffd", text), quote=quote)


def _attr(text: str) -> str:
    return '"' + _xml(text, quote=True) + '"'


TITLES = {
    "stale": N_("stale value"),
    "empty": N_("empty cell"),
    "no_value": N_("no saved value"),
    "external_link": N_("link outside the workbook"),
    "typed_number": N_("typed number"),
    "missing_bias": N_("missing bias"),
    "wrong_weight_row": N_("wrong weight row"),
    "wrong_image": N_("wrong image's cells"),
    "wrong_pixels": N_("pixels linked from the wrong cells"),
    "relative_reference": N_("relative reference that should be absolute"),
    "absolute_reference": N_("absolute reference that should be relative"),
    "z_for_a": N_("z used where a belongs"),
    "range_too_short": N_("range too short"),
    "exponent_sign": N_("sign of the exponent"),
    "no_sigmoid": N_("sigmoid missing"),
    "cost_without_half": N_("cost without ½"),
    "cost_without_square": N_("cost without squaring"),
    "circular_reference": N_("circular reference"),
    "teacher_swapped": N_("t1 and t2 swapped"),
    "prediction_reversed": N_("prediction reversed"),
    "foreign_function": N_("function outside the book's set"),
    "wrong_reference": N_("wrong reference"),
    "error_value": N_("error value"),
    "unexplained": N_("wrong value"),
    "no_sigmoid_derivative": N_("sigmoid's derivative missing"),
    "update_sign": N_("update with the wrong sign"),
    "eta_twice": N_("η applied twice"),
    "gradient_not_summed": N_("gradient not summed over the images"),
    "pooled_z": N_("pooling z instead of a"),
    "shifted_window": N_("filter window shifted"),
    "wrong_filter": N_("wrong filter"),
    "error_to_every_position": N_("pooled error sent to every position"),
    "different_function": N_("formula computes something else"),
    "reads_text": N_("reads a text cell"),
    "inherited": N_("inherited"),
}



def title_of(code: str) -> str:
    """A diagnosis code's title (English; translated where shown): the checker's own, else the kind's."""
    return TITLES.get(code) or declared(code, "title") or code


_PLACES_SHOWN = 6


def title(code: str) -> str:
    """A diagnosis's name, in the reader's language: 'missing bias'."""
    return _(title_of(code))


def value_text(v) -> str:
    if v is None:
        return _("(nothing)")
    if isinstance(v, str):
        return v if v in ERROR_CODE else repr(v)  # an error value as the sheet shows it: #VALUE!
    if isinstance(v, bool):
        return str(v).upper()
    return f"{float(v):.12g}"


def _percent(v) -> str:
    return f"{float(v):.1%}" if isinstance(v, (int, float)) and not isinstance(v, bool) else value_text(v)


def headline(r: RootCause) -> str:
    """'missing bias — z2_1, 64 places (images 1–64)' (quantities named as the sheet labels them)."""
    f = r.first
    labels = {p.label for p in r.places}
    units = {label.split("(")[0] for label in labels}
    shown = f.shown or f.label
    what = shown if len(labels) == 1 else (shown.split("(")[0] if len(units) == 1 else _quantity_of(shown))
    images = sorted({p.image - 1 for p in r.places if p.image})
    iterations = sorted({p.iteration - 1 for p in r.places if p.iteration})
    item, items, step, steps = f.nouns
    spans = ([image_range(images, item, items)] if images else []) + \
        ([image_range(iterations, step, steps)] if iterations else [])
    count = ngettext("{n} place", "{n} places", len(r.places)).format(n=len(r.places))
    if spans:
        return _("{title} — {what}, {count} ({where})").format(
            title=title(r.diagnosis.code), what=what, count=count, where=", ".join(spans))
    return _("{title} — {what}, {count}").format(title=title(r.diagnosis.code), what=what, count=count)


def _root_label(r: RootCause) -> str:
    """The root cause's `quantity` (JSON) as the sheet labels it."""
    return (r.first.shown or r.first.label).split("(")[0]


def _quantity_of(label: str) -> str:
    """'a2_1(1,2)' → 'a2': the quantity's part of a label."""
    base = label.split("(")[0]
    head, _sep, unit = base.rpartition("_")
    return head if head and unit.isdigit() else base


def _what_was_found(f: Finding) -> str:
    if f.kind == "empty":
        return _("empty")
    if f.kind == "no_value":
        return _("no saved value")
    if f.kind == "formula":
        return _("the value {value} is right here; the mistake is in how it is computed").format(
            value=value_text(f.found))
    expected = f.expected if f.kind == "inherited" or f.expected_locally is None else f.expected_locally
    return _("expected {expected}, found {found}").format(expected=value_text(expected), found=value_text(f.found))


# -- text --------------------------------------------------------------------------------------
def text(result: CheckResult) -> str:
    ld = result.loaded
    lines = [_("{file}: {images} · {cells} checked: {right} right ({share:.1%})").format(
        file=result.path, images=count_text(ld.layout, ld.n_images, ld.n_iterations),
        cells=ngettext("{n} computed cell", "{n} computed cells", result.graded).format(n=result.graded),
        right=result.right, share=result.score)]
    totals = []
    for name, fmt in (("C_T", value_text), ("accuracy", _percent)):
        if name in result.totals:
            found, expected = result.totals[name]
            same = found is not None and expected is not None and fmt(found) == fmt(expected)
            shown = ld.layout.shown(name) if name in ld.layout.by_name else name
            totals.append(f"{shown} = {fmt(found)}" if same else _("{name} = {found} (should be {expected})").format(
                name=shown, found=fmt(found), expected=fmt(expected)))
    if totals:
        lines.append(" · ".join(totals))
    if result.rubric is not None:
        lines.append(score_line(result.rubric, ld.layout.shown))
    lines += [_("note: {note}").format(note=n) for n in result.notes]
    lines += [_("style: {note}").format(note=n) for n in result.style]
    if not result.findings:
        lines.append(_("every computed cell is right"))
        return "\n".join(lines)
    roots = result.root_causes
    spoiled = result.inherited
    lines.append("")
    causes = ngettext("{n} root cause", "{n} root causes", len(roots)).format(n=len(roots))
    if not spoiled:
        lines.append(causes + _(":"))
    elif len(roots) == 1:
        lines.append(ngettext("{causes}; {n} more cell inherits it:", "{causes}; {n} more cells inherit it:",
                              spoiled).format(causes=causes, n=spoiled))
    else:
        lines.append(ngettext("{causes}; {n} more cell inherits them:", "{causes}; {n} more cells inherit them:",
                              spoiled).format(causes=causes, n=spoiled))
    no_formula = _("(none: a typed value)")
    for r in roots:
        f = r.first
        lines.append("")
        lines.append(f"{r.id}  {headline(r)}")
        lines.append(f"    {explanation(r.diagnosis, result.hints)}")
        lines.append("    " + _("{where}: {found}").format(where=f.title, found=_what_was_found(f)))
        if f.formula is not None or f.kind != "empty":
            lines.append(_("      formula   {formula}").format(formula=f.formula if f.formula is not None else no_formula))
        if f.expected_formula and f.kind != "empty" and not result.hints:
            lines.append(_("      expected  {formula}").format(formula=f.expected_formula))
        wrong = next((p for p in r.places if p.kind == "value"), None)
        if f.kind == "formula" and wrong is not None:
            lines.append("    " + _("{where}: {found}").format(where=wrong.title, found=_what_was_found(wrong)))
            lines.append(_("      formula   {formula}").format(
                formula=wrong.formula if wrong.formula is not None else no_formula))
        if len(r.places) > 1:
            shown = ", ".join(p.cell for p in r.places[:_PLACES_SHOWN])
            if len(r.places) > _PLACES_SHOWN:
                shown = _("{places} … and {n} more").format(places=shown, n=len(r.places) - _PLACES_SHOWN)
            lines.append(_("    places: {places}").format(places=shown))
        if r.spoils:
            lines.append("    " + ngettext("spoils {n} cell downstream: {parts}", "spoils {n} cells downstream: {parts}",
                                           r.spoils).format(n=r.spoils, parts=r.spoiled_text()))
    orphans = sum(1 for f in result.findings if not f.is_root and not f.caused_by)
    if orphans:
        lines.append("")
        lines.append(ngettext("{n} cell is wrong only end to end, with no root cause upstream (tiny differences?)",
                              "{n} cells are wrong only end to end, with no root cause upstream (tiny differences?)",
                              orphans).format(n=orphans))
    return "\n".join(lines)


def score_line(r: RubricScore, shown=str) -> str:
    """'score: 11/12 points (91.7%) · lost: ＣT 1 (R1)' (shown: a quantity's name as people read it)."""
    head = _("score ({title})").format(title=r.title) if r.title else _("score")
    line = _("{head}: {earned}/{possible} points ({share:.1%})").format(
        head=head, earned=points_text(r.earned), possible=points_text(r.possible), share=r.score)
    if r.lost:
        lost = ", ".join(f"{shown(x.name) if x.quantities == (x.name,) else x.name} {points_text(x.points - x.earned)} ({', '.join(x.root_causes)})" for x in r.lost)
        line += _(" · lost: {lost}").format(lost=lost)
    return line


# -- JSON --------------------------------------------------------------------------------------
def _jsonable(v):
    if v is None or isinstance(v, (str, bool)):
        return v
    v = float(v)
    return v if math.isfinite(v) else str(v)  # JSON has no NaN or infinity: "inf", "nan"


def explanation(d, hints: bool) -> str:
    """A diagnosis in words: in full for teachers, as a hint (never the answer) for `check --hints`."""
    if d is None:
        return ""
    return d.hint_text if hints else d.text


def _finding_json(f: Finding, hints: bool = False) -> dict:
    sheet, cell = f.cell.rsplit("!", 1)
    return {
        "sheet": sheet,
        "cell": cell,
        "image": f.image,
        **({"iteration": f.iteration} if f.iteration else {}),
        "quantity": f.label,
        "label": f.shown or f.label,
        "kind": f.kind,
        "expected": _jsonable(f.expected),
        "expected_locally": _jsonable(f.expected_locally),
        "found": _jsonable(f.found),
        "formula": f.formula,
        "expected_formula": None if hints else f.expected_formula,
        "root_cause": f.is_root,
        "group": f.root_cause,
        "caused_by": list(f.caused_by),
        "diagnosis": f.diagnosis.code if f.diagnosis else "inherited",
        "explanation": explanation(f.diagnosis, hints) if f.diagnosis else
        _("right from this workbook's own cells, but spoilt by {causes}").format(
            causes=", ".join(f.caused_by) or _("an earlier cell")),
    }


def document(result: CheckResult) -> dict:
    ld = result.loaded
    return {
        "schema": SCHEMA,
        "file": str(result.path),
        "layout": ld.layout.kind,
        "sheets": ld.sheet_names,
        "images": ld.n_images,
        "recalculated": result.recalculated,
        "hints": result.hints,
        "notes": result.notes,
        "style": result.style,
        "ok": not result.findings,
        "cells": result.graded,
        "right": result.right,
        "score": result.rubric.score,
        "points": result.rubric.earned,
        "points_possible": result.rubric.possible,
        "cell_score": result.score,
        "rubric": rubric_json(result.rubric),
        "totals": {name: {"found": _jsonable(found), "expected": _jsonable(expected)}
                   for name, (found, expected) in result.totals.items()},
        "root_causes": [
            {
                "id": r.id,
                "diagnosis": r.diagnosis.code,
                "title": title(r.diagnosis.code),
                "explanation": explanation(r.diagnosis, result.hints),
                "quantity": r.first.label.split("(")[0],
                "label": _root_label(r),
                "places": [p.cell for p in r.places],
                "images": sorted({p.image for p in r.places if p.image}),
                "spoils": r.spoils,
                "spoiled": dict(r.spoiled),
            }
            for r in result.root_causes
        ],
        "findings": [_finding_json(f, result.hints) for f in result.findings],
    }


def rubric_json(r: RubricScore) -> dict:
    return {
        "title": r.title,
        "file": r.file,
        "lines": [{"name": x.name, "quantities": list(x.quantities), "points": x.points, "earned": x.earned,
                   "root_causes": x.root_causes} for x in r.lines],
    }


def json_text(result: CheckResult) -> str:
    import json

    return json.dumps(document(result), ensure_ascii=False, indent=2)


# -- JUnit -------------------------------------------------------------------------------------
def junit_suite(result: CheckResult, seconds: float = 0.0) -> str:
    """One <testsuite> per workbook, one <testcase> per graded quantity."""
    name = str(result.path)
    cases, failures = [], 0
    by_quantity: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_quantity.setdefault(f.quantity, []).append(f)
    for q in result.loaded.layout.graded:
        if q not in result.loaded.cells:
            continue
        found = by_quantity.get(q, [])
        head = f'    <testcase classname={_attr(name)} name="{q}"'
        if not found:
            cases.append(head + "/>")
            continue
        failures += 1
        roots = [r for r in result.root_causes if r.quantity == q]
        inherited = sum(not f.is_root for f in found)
        message = "; ".join(f"{r.id} {headline(r)}" for r in roots)
        if inherited:
            message += ("; " if message else "") + ngettext(
                "{n} cell inherits earlier mistakes", "{n} cells inherit earlier mistakes", inherited).format(n=inherited)
        body = "\n".join(f"{f.title}: {f.kind}, {f.diagnosis.code if f.diagnosis else 'inherited'}: "
                         f"{_what_was_found(f)}" for f in found)
        kind = roots[0].diagnosis.code if roots else "inherited"
        cases.append(f"{head}>\n      <failure type={_attr(kind)} message={_attr(message)}>"
                     f"{_xml(body)}</failure>\n    </testcase>")
    r = result.rubric
    properties = "".join(f'\n      <property name="{k}" value="{v}"/>' for k, v in (
        ("score", f"{r.score:.6g}"), ("points", points_text(r.earned)), ("points_possible", points_text(r.possible)),
        ("cell_score", f"{result.score:.6g}")))
    return (f'  <testsuite name={_attr(name)} tests="{len(cases)}" failures="{failures}" errors="0" '
            f'time="{seconds:.3f}">\n    <properties>{properties}\n    </properties>\n' + "\n".join(cases)
            + "\n  </testsuite>")


def junit_error_suite(path: str, message: str) -> str:
    return (f'  <testsuite name={_attr(path)} tests="1" failures="0" errors="1" time="0.000">\n'
            f'    <testcase classname={_attr(path)} name="load">\n'
            f'      <error type="unusable" message={_attr(message)}/>\n    </testcase>\n  </testsuite>')


def junit(suites: list[str]) -> str:
    tests = sum(s.count("<testcase ") for s in suites)
    failures = sum(s.count("<failure ") for s in suites)
    errors = sum(s.count("<error ") for s in suites)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="sheetnet check" tests="{tests}" failures="{failures}" errors="{errors}">\n'
            + "\n".join(suites) + "\n</testsuites>")


# -- a cell's comment in an annotated copy -------------------------------------------------------
def cell_note(f: Finding, result: CheckResult, hints: bool = False) -> str:
    """The comment `check --annotate` puts on a wrong cell: what is wrong, expected, found (hints, or a
    check with hints: not the expected formula)."""
    hints = hints or result.hints
    if f.is_root:
        lines = [f"sheetnet {f.root_cause}: {title(f.diagnosis.code)}"]
        lines += [_what_was_found(f)] if f.kind != "empty" else []
        lines.append(explanation(f.diagnosis, hints))
        if f.expected_formula and f.formula != f.expected_formula and f.kind != "empty" and not hints:
            lines.append(_("expected formula: {formula}").format(formula=f.expected_formula))
        return "\n".join(lines)
    titles = {r.id: title(r.diagnosis.code) for r in result.root_causes}
    causes = ", ".join(f"{i} ({titles[i]})" for i in f.caused_by) or _("an earlier cell")
    return "\n".join([_("sheetnet: inherited from {causes}").format(causes=causes), _what_was_found(f),
                      _("right from this workbook's own cells; an earlier mistake spoils it")])
