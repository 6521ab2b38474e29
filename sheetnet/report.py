"""How results read: cells named as the student sees them, text for people, JSON for programs."""

from __future__ import annotations

import json

import numpy as np

from sheetnet.mirror.load import Loaded
from sheetnet.mirror.recompute import Recomputed

PARAM_SET_NAMES = {
    "initial": "the book's initial values (embedded)",
    "book": "Solver's result stored in the book (embedded)",
    "backprop_initial": "the book's chapter-4 starting values (embedded)",
}


def quantity_label(loaded: Loaded, name: str, index: tuple[int, ...]) -> str:
    """'a2_1', 'x(2,3)', 'C', 'C_T' — the quantity at one index, numbered from 1 like the book."""
    return loaded.layout.label(name, index)


def cell_title(loaded: Loaded, name: str, index: tuple[int, ...]) -> str:
    """'学习!S14 · image 2 · a2_1' (with 'iteration 3 · ' in an iterated workbook)."""
    q = loaded.layout[name]
    iteration, image, *_ = loaded.layout.index_parts(q, index)
    parts = [loaded.where(name, index)]
    if q.per_iteration:
        parts.append(f"iteration {iteration + 1}")
    if q.per_image:
        parts.append(f"image {image + 1}")
    parts.append(quantity_label(loaded, name, index))
    return " · ".join(parts)


def _value(v) -> str:
    if v is None:
        return "(nothing)"
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v)).upper()
    return f"{float(v):.12g}"


def recompute_text(r: Recomputed, limit: int = 20) -> str:
    ld, ev, cmp = r.loaded, r.evaluation, r.comparison
    sheets = " and ".join(f"{role} sheet {name!r}" for role, name in ld.sheet_names.items())
    contents = r.kind.contents(ld.inputs, ld.n_images, ld.n_iterations)
    lines = [f"{ld.path}: {r.kind.name} workbook; {sheets}; {contents}"]
    if r.params_from != "workbook":
        lines.append(f"no learning sheet: parameters are {PARAM_SET_NAMES.get(r.params_from, r.params_from)}")
    lines.append(ev.figures())
    lines.append(
        f"computed cells: {cmp.agree} of {cmp.cells} agree with the cached values "
        f"(largest difference {cmp.max_abs_diff:.3g}, relative {cmp.max_rel_diff:.3g})"
    )
    if cmp.no_cache:
        lines.append(f"{cmp.no_cache} formula cells have no cached value")
    for d in cmp.differences[:limit]:
        formula = f"  {d.formula}" if d.formula else ""
        lines.append(f"  {cell_title(ld, d.quantity, d.index)}: cached {_value(d.found)}, recomputed {_value(d.expected)}{formula}")
    if len(cmp.differences) > limit:
        lines.append(f"  … and {len(cmp.differences) - limit} more (--format json lists them all)")
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
    ld, ev, cmp = r.loaded, r.evaluation, r.comparison
    doc = {
        "file": str(ld.path),
        "layout": ld.layout.kind,
        "kind": r.kind.name,
        "sheets": ld.sheet_names,
        "images": ld.n_images,
        "iterations": ld.n_iterations,
        "params_from": r.params_from,
        "C_T": ev.C_T,
        "correct": ev.right,
        "accuracy": ev.accuracy,
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
                "formula": d.formula,
            }
            for d in cmp.differences
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
