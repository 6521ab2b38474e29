"""A check's result as people and programs read it: text grouped by root cause, JSON, JUnit XML.

The JSON schema and the score rule are documented in docs/check-json.md; keep the two in step.
"""

from __future__ import annotations

import json
import math
import re
from html import escape

from sheetnet.check.checker import CheckResult, Finding, RootCause
from sheetnet.check.diagnose import declared
from sheetnet.check.places import count_text, image_range
from sheetnet.check.rubric import RubricScore, points_text
from sheetnet.formula.values import ERROR_CODE
from sheetnet.i18n import _

SCHEMA = "sheetnet-check/2"  # 2: `score` is the rubric's (mistakes, not cells); the cell share is `cell_score`

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml(text: str, quote: bool = False) -> str:
    """Text safe inside XML 1.0 (a file name or formula may hold characters XML cannot carry)."""
    return escape(_NOT_XML.sub("\ufffd", text), quote=quote)


def _attr(text: str) -> str:
    return '"' + _xml(text, quote=True) + '"'


TITLES = {
    "stale": "stale value",
    "empty": "empty cell",
    "no_value": "no saved value",
    "external_link": "link outside the workbook",
    "typed_number": "typed number",
    "missing_bias": "missing bias",
    "wrong_weight_row": "wrong weight row",
    "wrong_image": "wrong image's cells",
    "wrong_pixels": "pixels linked from the wrong cells",
    "relative_reference": "relative reference that should be absolute",
    "absolute_reference": "absolute reference that should be relative",
    "z_for_a": "z used where a belongs",
    "range_too_short": "range too short",
    "exponent_sign": "sign of the exponent",
    "no_sigmoid": "sigmoid missing",
    "cost_without_half": "cost without ½",
    "cost_without_square": "cost without squaring",
    "teacher_swapped": "t1 and t2 swapped",
    "prediction_reversed": "prediction reversed",
    "foreign_function": "function outside the book's set",
    "wrong_reference": "wrong reference",
    "error_value": "error value",
    "unexplained": "wrong value",
    "no_sigmoid_derivative": "sigmoid's derivative missing",
    "update_sign": "update with the wrong sign",
    "eta_twice": "η applied twice",
    "gradient_not_summed": "gradient not summed over the images",
    "pooled_z": "pooling z instead of a",
    "shifted_window": "filter window shifted",
    "wrong_filter": "wrong filter",
    "error_to_every_position": "pooled error sent to every position",
    "different_function": "formula computes something else",
    "reads_text": "reads a text cell",
    "inherited": "inherited",
}



def title_of(code: str) -> str:
    """A diagnosis code's title (English; translated where shown): the checker's own, else the kind's."""
    return TITLES.get(code) or declared(code, "title") or code


_PLACES_SHOWN = 6


def value_text(v) -> str:
    if v is None:
        return "(nothing)"
    if isinstance(v, str):
        return v if v in ERROR_CODE else repr(v)  # an error value as the sheet shows it: #VALUE!
    if isinstance(v, bool):
        return str(v).upper()
    return f"{float(v):.12g}"


def _percent(v) -> str:
    return f"{float(v):.1%}" if isinstance(v, (int, float)) and not isinstance(v, bool) else value_text(v)


def headline(r: RootCause) -> str:
    """'missing bias — z2_1, 64 places (images 1–64)'."""
    f = r.first
    labels = {p.label for p in r.places}
    units = {label.split("(")[0] for label in labels}
    what = f.label if len(labels) == 1 else (f.label.split("(")[0] if len(units) == 1 else r.quantity)
    images = sorted({p.image - 1 for p in r.places if p.image})
    iterations = sorted({p.iteration - 1 for p in r.places if p.iteration})
    item, items, step, steps = f.nouns
    spans = ([image_range(images, item, items)] if images else []) + \
        ([image_range(iterations, step, steps)] if iterations else [])
    where = f" ({', '.join(spans)})" if spans else ""
    count = "1 place" if len(r.places) == 1 else f"{len(r.places)} places"
    return f"{title_of(r.diagnosis.code)} — {what}, {count}{where}"


def _what_was_found(f: Finding) -> str:
    if f.kind == "empty":
        return "empty"
    if f.kind == "no_value":
        return "no saved value"
    if f.kind == "formula":
        return f"the value {value_text(f.found)} is right here; the mistake is in how it is computed"
    if f.kind == "inherited" or f.expected_locally is None:
        return f"expected {value_text(f.expected)}, found {value_text(f.found)}"
    return f"expected {value_text(f.expected_locally)}, found {value_text(f.found)}"


# -- text --------------------------------------------------------------------------------------
def text(result: CheckResult) -> str:
    ld = result.loaded
    lines = [f"{result.path}: {count_text(ld.layout, ld.n_images, ld.n_iterations)} · {result.graded} computed cells checked: "
             f"{result.right} right ({result.score:.1%})"]
    totals = []
    for name, fmt in (("C_T", value_text), ("accuracy", _percent)):
        if name in result.totals:
            found, expected = result.totals[name]
            same = found is not None and expected is not None and fmt(found) == fmt(expected)
            totals.append(f"{name} = {fmt(found)}" + ("" if same else f" (should be {fmt(expected)})"))
    if totals:
        lines.append(" · ".join(totals))
    if result.rubric is not None:
        lines.append(score_line(result.rubric))
    lines += [f"note: {n}" for n in result.notes]
    lines += [f"style: {n}" for n in result.style]
    if not result.findings:
        lines.append("every computed cell is right")
        return "\n".join(lines)
    roots = result.root_causes
    spoiled = result.inherited
    lines.append("")
    lines.append(f"{len(roots)} root cause{'s' if len(roots) != 1 else ''}"
                 + (f"; {spoiled} more cells inherit {'them' if len(roots) != 1 else 'it'}:" if spoiled else ":"))
    for r in roots:
        f = r.first
        lines.append("")
        lines.append(f"{r.id}  {headline(r)}")
        lines.append(f"    {explanation(r.diagnosis, result.hints)}")
        lines.append(f"    {f.title}: {_what_was_found(f)}")
        if f.formula is not None or f.kind != "empty":
            lines.append(f"      formula   {f.formula if f.formula is not None else '(none: a typed value)'}")
        if f.expected_formula and f.kind != "empty" and not result.hints:
            lines.append(f"      expected  {f.expected_formula}")
        wrong = next((p for p in r.places if p.kind == "value"), None)
        if f.kind == "formula" and wrong is not None:
            lines.append(f"    {wrong.title}: {_what_was_found(wrong)}")
            lines.append(f"      formula   {wrong.formula if wrong.formula is not None else '(none: a typed value)'}")
        if len(r.places) > 1:
            shown = ", ".join(p.cell for p in r.places[:_PLACES_SHOWN])
            more = f" … and {len(r.places) - _PLACES_SHOWN} more" if len(r.places) > _PLACES_SHOWN else ""
            lines.append(f"    places: {shown}{more}")
        if r.spoils:
            parts = ", ".join(f"{k} ×{v}" for k, v in r.spoiled.items())
            lines.append(f"    spoils {r.spoils} cell{'s' if r.spoils != 1 else ''} downstream: {parts}")
    orphans = sum(1 for f in result.findings if not f.is_root and not f.caused_by)
    if orphans:
        lines.append("")
        lines.append(f"{orphans} cells are wrong only end to end, with no root cause upstream (tiny differences?)")
    return "\n".join(lines)


def score_line(r: RubricScore) -> str:
    """'score: 11/12 points (91.7%) · lost: C_T 1 (R1)'."""
    head = _("score ({title})").format(title=r.title) if r.title else _("score")
    line = _("{head}: {earned}/{possible} points ({share:.1%})").format(
        head=head, earned=points_text(r.earned), possible=points_text(r.possible), share=r.score)
    if r.lost:
        lost = ", ".join(f"{x.name} {points_text(x.points - x.earned)} ({', '.join(x.root_causes)})" for x in r.lost)
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
        f"right from this workbook's own cells, but spoilt by {', '.join(f.caused_by) or 'an earlier cell'}",
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
                "title": title_of(r.diagnosis.code),
                "explanation": explanation(r.diagnosis, result.hints),
                "quantity": r.first.label.split("(")[0],
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
            message += ("; " if message else "") + f"{inherited} cells inherit earlier mistakes"
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
def cell_note(f: Finding, result: CheckResult) -> str:
    """The comment `check --annotate` puts on a wrong cell: what is wrong, expected, found."""
    if f.is_root:
        code = f.diagnosis.code
        lines = [f"sheetnet {f.root_cause}: {title_of(code)}"]
        lines += [_what_was_found(f)] if f.kind != "empty" else []
        lines.append(explanation(f.diagnosis, result.hints))
        if f.expected_formula and f.formula != f.expected_formula and f.kind != "empty" and not result.hints:
            lines.append(f"expected formula: {f.expected_formula}")
        return "\n".join(lines)
    titles = {r.id: title_of(r.diagnosis.code) for r in result.root_causes}
    causes = ", ".join(f"{i} ({titles[i]})" for i in f.caused_by) or "an earlier cell"
    return "\n".join([f"sheetnet: inherited from {causes}", _what_was_found(f),
                      "right from this workbook's own cells; an earlier mistake spoils it"])
