"""A layout's formula templates at a workbook's cells: the expected text of every cell, grouped into
formula families (sheetnet.formula.family), and evaluated by the same evaluator as a student's formulas.

A *slot* is one cell of a quantity's item (unit, row, col) with one template; across the images and
iteration blocks it is filled to, each reference of the template moves by a fixed step per image and
per block (that is what filling a formula across and down does). So the template is rendered at a few
cells only (Layout.formula), each reference's rectangle extended to every cell by those steps, the text
at every cell written from them, and the cells grouped by relative form into families — without
rendering or parsing a formula per cell. Should a template not move that way, its cells are rendered
one by one.

`Evaluator` keeps the older interface (a quantity's values from named arrays) for the tests that check
the templates against the engine.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sheetnet.formula import values as fv
from sheetnet.formula.family import Family, texts_at
from sheetnet.formula.grid import Book, SheetGrid
from sheetnet.formula.syntax import Parsed, family_key, parse
from sheetnet.layout.model import _TOKEN, TYPED, Layout, Quantity, Span

__all__ = ["Evaluator", "Slot", "Templates", "grids", "spans", "TYPED"]


@dataclass
class Slot:
    """One template at some cells of a quantity: `flat` indexes into the quantity's positions (reshaped
    to one axis), the expected text at each, and the families they form (each with the positions of its
    cells within `flat`)."""

    quantity: str
    template: str
    flat: np.ndarray
    texts: list[str]
    families: list[tuple[Family, np.ndarray]]


class Templates:
    """The layout's formulas at the cells of one workbook: n images, k iteration blocks, its sheet names."""

    def __init__(self, layout: Layout, n_images: int, n_iterations: int, sheet_names: dict[str, str]):
        self.layout, self.n, self.k, self.sheet_names = layout, n_images, n_iterations, sheet_names
        self._slots: dict[str, list[Slot]] = {}
        self._parsed: dict[tuple, Parsed] = {}

    def slots(self, q: Quantity, template: str | None = None, unit_of=None) -> list[Slot]:
        """The quantity's formula cells, slot by slot: its own templates, or `template` everywhere (with
        unit_of(unit): the unit whose cells the template names — a mistake that reads another unit)."""
        if template is None and unit_of is None and q.name in self._slots:
            return self._slots[q.name]
        pos = self.layout.positions(q, self.n, self.k)
        shape = pos.shape[:-1]
        flat_pos = pos.reshape(-1, 2)
        units, rows, cols = shape[-3:]
        its = np.arange(self.k if q.per_iteration else 1)
        images = np.arange(self.n if q.per_image else 1)
        # the template of a cell depends only on whether it is the first image and the first iteration
        by_template: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for its_part in (its[:1], its[1:]):
            for images_part in (images[:1], images[1:]):
                if not len(its_part) or not len(images_part):
                    continue
                t = template if template is not None else q.formula_for(int(images_part[0]), int(its_part[0]))
                if t and t.startswith("="):
                    by_template.setdefault(t, []).append((its_part, images_part))
        out = []
        q_t = q
        for t, parts in by_template.items():
            if template is not None:
                q_t = dataclasses.replace(q, formula=t, first_formula=None, first_iteration=None)
            at = np.concatenate([np.stack(np.meshgrid(i, j, indexing="ij"), axis=-1).reshape(-1, 2) for i, j in parts])
            order = np.lexsort((at[:, 1], at[:, 0]))
            at = at[order]
            its_t = sorted(set(at[:, 0].tolist()))
            imgs_t = sorted(set(at[:, 1].tolist()))
            lead = ([at[:, 0]] if q.per_iteration else []) + ([at[:, 1]] if q.per_image else [])
            for unit in range(units):
                for r in range(rows):
                    for c in range(cols):
                        index = np.ravel_multi_index((*lead, *(np.full(len(at), v) for v in (unit, r, c))), shape)
                        slot = self._slot(q_t, t, at, its_t, imgs_t, unit, r, c, index, flat_pos,
                                          unit if unit_of is None else unit_of(unit))
                        out.append(slot)
        if template is None and unit_of is None:
            self._slots[q.name] = out
        return out

    def expected_texts(self, q: Quantity) -> np.ndarray:
        """Every cell's formula text (None: a typed value or a constant there), shaped like q's positions."""
        shape = self.layout.positions(q, self.n, self.k).shape[:-1]
        out = np.full(int(np.prod(shape)), None, dtype=object)
        for slot in self.slots(q):
            out[slot.flat] = slot.texts
        return out.reshape(shape)

    # -- one slot -----------------------------------------------------------------------------------
    def _render(self, q: Quantity, it: int, image: int, unit: int, r: int, c: int) -> str:
        return self.layout.formula(q, self.n, self.sheet_names, image, unit, r, c, it, self.k)

    def _slot(self, q, template, cells, its, imgs, unit, r, c, index, flat_pos, unit_read) -> Slot:
        rows_cols = flat_pos[index]
        at = cells  # (m, 2): iteration, image
        base = self._structure(q, template, (int(at[0, 0]), int(at[0, 1])), unit_read, r, c)
        tokens = [m for m in _TOKEN.finditer(template) if m.group(2) != "label"]
        corners = None
        if base.tree is not None and len(tokens) == len(base.references):
            samples = [(its[0], imgs[0])]
            if len(imgs) > 1:
                samples.append((its[0], imgs[1]))
            if len(its) > 1:
                samples.append((its[1], imgs[0]))
            checks = [(its[-1], imgs[-1]), (its[len(its) // 2], imgs[len(imgs) // 2])]
            spans_at = {s: np.array([self.layout.token_span(m, q, self.n, (s[1], unit_read, r, c, s[0], self.k)).corners
                                     for m in tokens], dtype=np.int64).reshape(-1, 4) for s in samples + checks}
            corners = _affine(spans_at, samples, checks, at)
        if corners is None:  # not a plain shift: every cell rendered and parsed
            texts = [self._render(q, int(it), int(image), unit_read, r, c) for it, image in cells]
            families = _families_cell_by_cell(self.sheet_names[q.sheet], texts, rows_cols)
            return Slot(q.name, template, index, texts, families)
        texts = texts_at(base, corners, len(cells))
        families = _families(self.sheet_names[q.sheet], base, corners, texts, rows_cols)
        return Slot(q.name, template, index, texts, families)

    def _structure(self, q, template: str, first: tuple[int, int], unit_read: int, r: int, c: int) -> Parsed:
        """The template's tree and tokens, parsed once (per unit when it writes the unit's label)."""
        key = (q.name, template, unit_read if "{label}" in template else None)
        if key not in self._parsed:
            self._parsed[key] = parse(self._render(q, first[0], first[1], unit_read, r, c))
        return self._parsed[key]


def _same_shape(a: Parsed, b: Parsed) -> bool:
    if a.tree != b.tree or len(a.references) != len(b.references):
        return False
    return all((x.sheet, x.col_abs, x.row_abs) == (y.sheet, y.col_abs, y.row_abs)
               for x, y in zip(a.references, b.references))


def _affine(spans_at: dict, samples, checks, at: np.ndarray):
    """Each reference's corners at every cell (iteration, image) = base + it·step + image·step, the steps
    read off the samples; None when the checks do not fit (the references do not move that way)."""
    it0, img0 = samples[0]
    b = spans_at[samples[0]]
    d_img = np.zeros_like(b)
    d_it = np.zeros_like(b)
    for s in samples[1:]:
        v = spans_at[s]
        if s[0] == it0:
            d_img, rest = np.divmod(v - b, s[1] - img0)
        else:
            d_it, rest = np.divmod(v - b, s[0] - it0)
        if rest.any():
            return None
    for s in checks:
        if not np.array_equal(spans_at[s], b + (s[0] - it0) * d_it + (s[1] - img0) * d_img):
            return None
    di = (at[:, 0] - it0)[:, None, None]
    dj = (at[:, 1] - img0)[:, None, None]
    all_corners = b[None] + di * d_it[None] + dj * d_img[None]  # (m, refs, 4)
    return [tuple(all_corners[:, k, j] for j in range(4)) for k in range(b.shape[0])]


def _families(sheet: str, base: Parsed, corners, texts, rows_cols) -> list[tuple[Family, np.ndarray]]:
    """The slot as one family with its references' corners at every cell. It has a key (its relative
    form) when every reference sits the same way relative to every cell — a $ reference stays, one
    without moves with the cell —; a slot filled down iteration blocks that each read their own
    parameters ($D$6, then $D$72 …) has none, and is still one evaluation."""
    rows, cols = rows_cols[:, 0].astype(np.int64), rows_cols[:, 1].astype(np.int64)
    m = len(rows)
    uniform = True
    for ref, (top, left, bottom, right) in zip(base.references, corners):
        for value, at, absolute in ((top, rows, ref.row_abs[0]), (left, cols, ref.col_abs[0]),
                                    (bottom, rows, ref.row_abs[1]), (right, cols, ref.col_abs[1])):
            sit = value if absolute else value - at
            if sit.min() != sit.max():
                uniform = False
                break
        if not uniform:
            break
    origin = (int(rows[0]), int(cols[0]))
    p = _relocated(base, [tuple(int(x[0]) for x in cs) for cs in corners], texts[0])
    key = family_key(texts[0], *origin) if uniform else None
    return [(Family(key, p, sheet, origin, rows, cols, corners=corners), np.arange(m))]


def _families_cell_by_cell(sheet: str, texts, rows_cols) -> list[tuple[Family, np.ndarray]]:
    from sheetnet.formula.family import group

    rows, cols = rows_cols[:, 0].astype(np.int64), rows_cols[:, 1].astype(np.int64)
    families, which = group(sheet, texts, rows, cols)
    return [(f, np.nonzero(which == k)[0]) for k, f in enumerate(families)]


def _relocated(p: Parsed, corners: list[tuple[int, int, int, int]], text: str) -> Parsed:
    """p with its references moved to `corners` (the same formula, written at another cell)."""
    refs, it = [], iter(corners)
    for r in p.refs:
        if r is None:
            refs.append(None)
            continue
        top, left, bottom, right = next(it)
        refs.append(dataclasses.replace(r, top=top, left=left, bottom=bottom, right=right))
    return dataclasses.replace(p, text=text, refs=tuple(refs))


# -- the older interface: a quantity's values from named arrays ----------------------------------------
def grids(layout: Layout, arrays: dict[str, np.ndarray], n_images: int, n_iterations: int = 1) -> dict[str, SheetGrid]:
    """Per sheet role, a SheetGrid holding each named array at its quantity's positions: float arrays
    hold numbers (NaN: nothing there, inf: an error value), object arrays text (None: nothing)."""
    extent: dict[str, tuple[int, int]] = {}
    for name in arrays:
        q = layout[name]
        pos = layout.positions(q, n_images, n_iterations)
        er, ec = extent.get(q.sheet, (0, 0))
        extent[q.sheet] = (max(er, int(pos[..., 0].max())), max(ec, int(pos[..., 1].max())))
    out = {role: SheetGrid.empty(role, (r + 2, c + 2)) for role, (r, c) in extent.items()}
    for name, a in arrays.items():
        q = layout[name]
        pos = layout.positions(q, n_images, n_iterations)
        rows, cols = pos[..., 0], pos[..., 1]
        g = out[q.sheet]
        if a.dtype == object:
            has = np.vectorize(lambda x: x is not None, otypes=[bool])(a) if a.size else np.zeros(a.shape, bool)
            if g.text is None:
                g.text = np.full(g.num.shape, None, dtype=object)
            g.text[rows[has], cols[has]] = a[has]
            g.kind[rows[has], cols[has]] = fv.TEXT
        else:
            a = np.asarray(a, dtype=float)
            g.num[rows, cols] = np.where(np.isfinite(a), a, np.nan)
            g.kind[rows, cols] = np.where(np.isnan(a), fv.BLANK, np.where(np.isinf(a), fv.VALUE, fv.NUM))
    return out


class Evaluator:
    """Evaluates templates at the cells of a layout, over the values in `grids` (per sheet role)."""

    def __init__(self, layout: Layout, grids: dict[str, SheetGrid], n_images: int, n_iterations: int = 1):
        self.layout, self.grids, self.n, self.n_iterations = layout, grids, n_images, n_iterations
        roles = [s.role for s in layout.sheets]
        self.templates = Templates(layout, n_images, n_iterations, {role: role for role in roles})
        self.book = Book(roles, grids.get)

    def quantity(self, q: Quantity, template: str | None = None, unit_of=None) -> np.ndarray:
        """Every cell of q: its own template (or `template`) evaluated there, shaped like q's positions;
        NaN (None for text) where the template is a typed value or a constant, or the result no number."""
        shape = self.layout.positions(q, self.n, self.n_iterations).shape[:-1]
        out = np.full(int(np.prod(shape)), None if q.text else np.nan, dtype=object if q.text else float)
        for slot in self.templates.slots(q, template, unit_of):
            for family, within in slot.families:
                v = family.evaluate(self.book)
                if v is None:
                    continue
                cells = slot.flat[within]
                if q.text:
                    out[cells] = [fv.python_value(v, (i, 0, 0)) for i in range(family.m)]
                else:
                    out[cells] = np.where(v.kinds.reshape(-1) == fv.NUM, v.num.reshape(-1), np.nan)
        return out.reshape(shape)

    def spans(self, q: Quantity, index: tuple[int, ...], template: str | None = None) -> list[Span]:
        return spans(self.layout, q, index, self.n, self.n_iterations, template)


def spans(layout: Layout, q: Quantity, index: tuple[int, ...], n: int, n_iterations: int,
          template: str | None = None) -> list[Span]:
    """The cells each token of the cell's template names (what the cell reads)."""
    it, image, unit, r, c = layout.index_parts(q, index)
    t = template if template is not None else q.formula_for(image, it)
    if not t or not t.startswith("="):
        return []
    at = (image, unit, r, c, it, n_iterations)
    return [layout.token_span(m, q, n, at) for m in _TOKEN.finditer(t) if m.group(2) != "label"]
