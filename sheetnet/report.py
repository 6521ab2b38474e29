"""How results read: cells named as the student sees them, text for people, JSON for programs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sheetnet.i18n import N_, _, ngettext
from sheetnet.record import record

if TYPE_CHECKING:  # annotations only: an answer's cost line needs no reader
    from sheetnet.mirror.load import Loaded
    from sheetnet.mirror.recompute import Recomputed

PARAM_SET_NAMES = {
    "initial": N_("the book's initial values (embedded)"),
    "book": N_("Solver's result stored in the book (embedded)"),
    "backprop_initial": N_("the book's chapter-4 starting values (embedded)"),
}

SHEET_ROLES = {"data": N_("data"), "learn": N_("learn"), "test": N_("test"), "summary": N_("summary"),
               "gd": N_("gradient descent")}  # a sheet's part, as the layouts name it


def quantity_label(loaded: Loaded, name: str, index: tuple[int, ...]) -> str:
    """'a2_1', 'x(2,3)', 'C', 'C_T' — the quantity at one index, numbered from 1 like the book."""
    return loaded.layout.label(name, index)


def cell_title(loaded: Loaded, name: str, index: tuple[int, ...]) -> str:
    """'学习!S14 · image 2 · a2_1' (with 'iteration 3 · ' in an iterated workbook; the layout's own nouns)."""
    q = loaded.layout[name]
    iteration, image = loaded.layout.index_parts(q, index)[:2]
    parts = [loaded.where(name, index)]
    if q.per_iteration:
        parts.append(f"{_(loaded.layout.iteration_noun)} {iteration + 1}")
    if q.per_image:
        parts.append(f"{_(loaded.layout.item_noun)} {image + 1}")
    parts.append(loaded.layout.shown_label(name, index))
    return " · ".join(parts)


# -- the cost's path over an iterated workbook's iterations ----------------------------------------
@record(frozen=True)
class Rise:
    """C_T going up at every update from iteration `start` to iteration `end` (numbered from 1)."""

    start: int
    end: int
    before: float
    after: float


def rises(history) -> list[Rise]:
    """Every stretch of iterations over which C_T rises (differences below rounding noise ignored)."""
    out: list[Rise] = []
    start = None
    for k in range(1, len(history) + 1):
        up = k < len(history) and history[k] > history[k - 1] + 1e-12 * abs(history[k - 1])
        if up and start is None:
            start = k - 1
        elif not up and start is not None:
            out.append(Rise(start + 1, k, float(history[start]), float(history[k - 1])))
            start = None
    return out


def cost_path_text(history, cost: str = "C_T", shown: int = 3) -> str:
    """One line: the cost's first, lowest and last values over the iterations, and every rise."""
    if len(history) == 1:
        return _("{cost} = {c:.6g} (one iteration)").format(cost=cost, c=history[0])
    lowest = int(np.argmin(history))
    line = _("{cost} over {n} iterations: first {first:.6g}, lowest {lowest:.6g} (iteration {at}), "
             "last {last:.6g}").format(cost=cost, n=len(history), first=history[0], lowest=history[lowest],
                                       at=lowest + 1, last=history[-1])
    up = rises(history)
    if not up:
        return line + _("; it never rises")
    spans = [_("{before:.6g} → {after:.6g} over iterations {start}–{end}").format(
        before=r.before, after=r.after, start=r.start, end=r.end) for r in up[:shown]]
    more = _(" and {n} more").format(n=len(up) - shown) if len(up) > shown else ""
    return line + _("; it RISES {spans}{more}").format(spans=", ".join(spans), more=more)


def cost_path_json(history) -> dict:
    """C_T of every iteration and the stretches where it rises, for --format json."""
    return {"C_T_by_iteration": [float(c) for c in history],
            "C_T_rises": [{"from_iteration": r.start, "to_iteration": r.end, "from": r.before, "to": r.after}
                          for r in rises(history)]}


def _value(v) -> str:
    if v is None:
        return _("(nothing)")
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v)).upper()
    return f"{float(v):.12g}"


def recompute_text(r: Recomputed, limit: int = 20) -> str:
    ld, ev, cmp = r.loaded, r.evaluation, r.comparison
    sheets = _(" and ").join(_("{role} sheet {name!r}").format(role=_(SHEET_ROLES.get(role, role)), name=name)
                          for role, name in ld.sheet_names.items())
    contents = r.kind.contents(ld.inputs, ld.n_images, ld.n_iterations)
    lines = [_("{file}: {kind} workbook; {sheets}; {contents}").format(file=ld.path, kind=r.kind.name, sheets=sheets,
                                                                       contents=contents)]
    if r.params_from != "workbook":
        params = _(PARAM_SET_NAMES[r.params_from]) if r.params_from in PARAM_SET_NAMES else r.params_from
        lines.append(_("no learning sheet: parameters are {params}").format(params=params))
    if note := ld.alignment.note("recomputed"):
        lines.append(_("note: {note}").format(note=note))
    shown = ld.layout.shown
    lines.append(ev.figures(shown))
    if len(ev.history) > 1:
        lines.append(cost_path_text(ev.history, shown(ev.cost)))
    lines.append(_("computed cells: {agree} of {cells} agree with the cached values (largest difference {abs:.3g}, "
                   "relative {rel:.3g})").format(agree=cmp.agree, cells=cmp.cells, abs=cmp.max_abs_diff,
                                                 rel=cmp.max_rel_diff))
    if cmp.no_cache:
        lines.append(ngettext("{n} formula cell has no cached value", "{n} formula cells have no cached value",
                              cmp.no_cache).format(n=cmp.no_cache))
    for d in cmp.differences[:limit]:
        written = ld.written(d.quantity, d.index, d.formula)
        formula = f"  {written}" if written else ""
        lines.append("  " + _("{cell}: cached {found}, recomputed {expected}").format(
            cell=cell_title(ld, d.quantity, d.index), found=_value(d.found), expected=_value(d.expected)) + formula)
    if len(cmp.differences) > limit:
        lines.append("  " + _("… and {n} more (--format json lists them all)").format(n=len(cmp.differences) - limit))
    return "\n".join(lines)


def _jsonable(v):
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return float(v)


def _image(loaded: Loaded, name: str, index: tuple[int, ...]) -> int | None:
    q = loaded.layout[name]
    return loaded.layout.index_parts(q, index)[1] + 1 if q.per_image else None


def recompute_json(r: Recomputed) -> str:
    import json  # (only for --format json)

    ld, ev, cmp = r.loaded, r.evaluation, r.comparison
    doc = {
        "file": str(ld.path),
        "layout": ld.layout.kind,
        "kind": r.kind.name,
        "sheets": ld.sheet_names,
        "images": ld.n_images,
        "iterations": ld.n_iterations,
        "params_from": r.params_from,
        "notes": [n for n in (ld.alignment.note("recomputed"),) if n],
        "C_T": ev.C_T,
        "correct": ev.right,
        "accuracy": ev.accuracy,
        **cost_path_json(ev.history),
        "cells": cmp.cells,
        "agree": cmp.agree,
        "no_cache": cmp.no_cache,
        "max_abs_diff": cmp.max_abs_diff,
        "max_rel_diff": cmp.max_rel_diff,
        "ok": cmp.all_agree,
        "differences": [
            {
                "cell": ld.where(d.quantity, d.index),
                "image": _image(ld, d.quantity, d.index),
                "quantity": quantity_label(ld, d.quantity, d.index),
                "found": _jsonable(d.found),
                "expected": _jsonable(d.expected),
                "formula": ld.written(d.quantity, d.index, d.formula),
            }
            for d in cmp.differences
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
