"""Which quantities depend on which: read off the formula templates, so it can never disagree with them."""

from __future__ import annotations

from sheetnet.layout.model import Layout, references


def direct_inputs(layout: Layout, name: str) -> set[str]:
    """The quantities named in `name`'s formula templates."""
    q = layout[name]
    refs: set[str] = set()
    for template in (q.formula, q.first_formula, q.first_iteration):
        if template:
            refs |= set(references(template))
    return refs


def dependents(layout: Layout, changed: set[str]) -> set[str]:
    """Every computed quantity whose value can change when the quantities in `changed` change."""
    found: set[str] = set()
    grew = True
    while grew:
        grew = False
        for q in layout.quantities:
            if q.computed and q.name not in found and direct_inputs(layout, q.name) & (changed | found):
                found.add(q.name)
                grew = True
    return found
