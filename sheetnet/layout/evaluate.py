"""A layout's formula templates evaluated over arrays of cell values, vectorized over images.

This is how the checker knows what a cell should hold *from the student's own cells*: the formula
the layout puts there, evaluated with the values the workbook shows for the cells it reads. It
evaluates only our own templates (never a student's formula text), in the book's dialect:
arithmetic, comparisons, SUMPRODUCT, MMULT, SUMXMY2, SUM, MAX, EXP, ABS, IF, COUNTIF, COUNTA.

Values follow spreadsheet semantics where they matter for grading: NaN is a cell without a
number (nothing can be computed from it), +inf is a cell holding an error value (SUM and MAX skip
empty and text cells but not errors), and text cells (○/×) are compared as text.

A token names the same cells for every image, shifted by a fixed step (that is what filling a
formula across does), so each token is resolved at two images and gathered for all at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sheetnet.layout.model import _TOKEN, TYPED, Layout, Quantity, Span

ERROR = np.inf  # a cell holding an error value (#DIV/0!, #VALUE! …)


# -- the sheets as arrays -------------------------------------------------------------------------
@dataclass
class Grid:
    """One sheet's cells the layout knows: numbers (NaN: no number, inf: an error) and text."""

    numbers: np.ndarray
    text: np.ndarray  # object: the text of text cells, None elsewhere


def grids(layout: Layout, arrays: dict[str, np.ndarray], n_images: int, n_iterations: int = 1) -> dict[str, Grid]:
    """Per sheet role, a Grid holding each named array at its quantity's positions.

    Arrays are shaped like the layout's positions; float arrays hold numbers (NaN / inf as above),
    object arrays hold text (None: no text).
    """
    extent: dict[str, tuple[int, int]] = {}
    for name in arrays:
        q = layout[name]
        pos = layout.positions(q, n_images, n_iterations)
        r, c = int(pos[..., 0].max()), int(pos[..., 1].max())
        er, ec = extent.get(q.sheet, (0, 0))
        extent[q.sheet] = (max(er, r), max(ec, c))
    out = {role: Grid(np.full((r + 2, c + 2), np.nan), np.full((r + 2, c + 2), None, dtype=object))
           for role, (r, c) in extent.items()}
    for name, a in arrays.items():
        q = layout[name]
        pos = layout.positions(q, n_images, n_iterations)
        rows, cols = pos[..., 0], pos[..., 1]
        g = out[q.sheet]
        if a.dtype == object:
            g.text[rows, cols] = a
        else:
            g.numbers[rows, cols] = a
    return out


# -- templates → syntax trees ---------------------------------------------------------------------
_LEX = re.compile(r"""\s*(?:
    (?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
  | (?P<str>"(?:[^"]|"")*")
  | (?P<tok>\{[^{}]+\})
  | (?P<fn>[A-Z][A-Z0-9.]*)\(
  | (?P<op><>|<=|>=|[-+*/^=<>(),&])
)""", re.VERBOSE)

_BINARY = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}


@lru_cache(maxsize=1024)
def parse_template(template: str):
    """'=SUMPRODUCT({x},{$w2})+{$b2}' → a tree of tuples: ('num', v), ('str', s), ('tok', match),
    ('fn', NAME, args), ('neg', a), ('bin', op, a, b)."""
    text = template[1:] if template.startswith("=") else template
    items, i = [], 0
    while i < len(text):
        m = _LEX.match(text, i)
        if not m or m.end() == i:
            if text[i:].strip() == "":
                break
            raise ValueError(f"template {template!r}: cannot read {text[i:i + 10]!r}")
        kind = m.lastgroup
        items.append((kind, m.group(kind)))
        i = m.end()
    tree, k = _expression(items, 0, 0)
    if k != len(items):
        raise ValueError(f"template {template!r}: unexpected {items[k][1]!r}")
    return tree


def _expression(items, k, min_level):
    left, k = _unary(items, k)
    while k < len(items) and items[k][0] == "op" and items[k][1] in _BINARY and _BINARY[items[k][1]] >= min_level:
        op = items[k][1]
        level = _BINARY[op]
        right, k = _expression(items, k + 1, level + 1)  # left-associative
        left = ("bin", op, left, right)
    return left, k


def _unary(items, k):
    kind, value = items[k]
    if kind == "op" and value in "+-":
        operand, k = _unary(items, k + 1)
        return (("neg", operand) if value == "-" else operand), k
    if kind == "num":
        return ("num", float(value)), k + 1
    if kind == "str":
        return ("str", value[1:-1].replace('""', '"')), k + 1
    if kind == "tok":
        return ("tok", _TOKEN.fullmatch(value)), k + 1
    if kind == "fn":
        args, k = [], k + 1
        if items[k] == ("op", ")"):
            return ("fn", value, ()), k + 1
        while True:
            arg, k = _expression(items, k, 0)
            args.append(arg)
            if items[k] == ("op", ","):
                k += 1
                continue
            if items[k] == ("op", ")"):
                return ("fn", value, tuple(args)), k + 1
            raise ValueError(f"unexpected {items[k][1]!r}")
    if (kind, value) == ("op", "("):
        inner, k = _expression(items, k + 1, 0)
        if items[k] != ("op", ")"):
            raise ValueError("a parenthesis is not closed")
        return inner, k + 1
    raise ValueError(f"unexpected {value!r}")


# -- evaluation ------------------------------------------------------------------------------------
class Evaluator:
    """Evaluates templates at the cells of a layout, over the values in `grids`."""

    def __init__(self, layout: Layout, grids: dict[str, Grid], n_images: int, n_iterations: int = 1):
        self.layout, self.grids, self.n, self.n_iterations = layout, grids, n_images, n_iterations

    def quantity(self, q: Quantity, template: str | None = None, unit_of=None) -> np.ndarray:
        """Every cell of q: its own template (or `template`) evaluated there, shaped like q's positions.

        unit_of(unit) → the unit whose cells the tokens name (another unit's weights, another
        filter: the mistakes that read the wrong unit); default the cell's own unit.
        Cells whose template is a typed value or a constant get NaN (nothing to evaluate).
        """
        shape = self.layout.positions(q, self.n, self.n_iterations).shape[:-1]
        out = np.full(shape, None, dtype=object) if q.text else np.full(shape, np.nan)
        iterations = range(self.n_iterations) if q.per_iteration else range(1)
        images = self.n if q.per_image else 1
        units, (rows, cols) = q.place.units, q.place.shape
        # one batch per template: every (iteration, image) it is written at, evaluated at once
        groups: dict[str, list[tuple[int, int]]] = {}
        for it in iterations:
            for image in range(images):
                t = template if template is not None else q.formula_for(image, it)
                if t and t.startswith("="):
                    groups.setdefault(t, []).append((it, image))
        for t, batch in groups.items():
            tree = parse_template(t)
            its, imgs = np.array([b[0] for b in batch]), np.array([b[1] for b in batch])
            for unit in range(units):
                for r in range(rows):
                    for c in range(cols):
                        v = _cell(self._eval(tree, q, batch, (unit if unit_of is None else unit_of(unit), r, c)))
                        if q.per_iteration and q.per_image:
                            out[its, imgs, unit, r, c] = v
                        elif q.per_iteration:
                            out[its, unit, r, c] = v
                        elif q.per_image:
                            out[imgs, unit, r, c] = v
                        else:
                            out[unit, r, c] = v[0]
        return out

    def spans(self, q: Quantity, index: tuple[int, ...], template: str | None = None) -> list[Span]:
        """The cells each token of the cell's template names (what the cell reads)."""
        it, image, unit, r, c = self.layout.index_parts(q, index)
        t = template if template is not None else q.formula_for(image, it)
        if not t or not t.startswith("="):
            return []
        at = (image, unit, r, c, it, self.n_iterations)
        return [self.layout.token_span(m, q, self.n, at) for m in _TOKEN.finditer(t) if m.group(2) != "label"]

    # -- one syntax tree, for a group of images at once --------------------------------------------
    def _eval(self, node, q: Quantity, imgs: list[tuple[int, int]], at):
        kind = node[0]
        if kind in ("num", "str"):
            return node[1]
        if kind == "tok":
            return self._token(node[1], q, imgs, at)
        if kind == "neg":
            return -_num(self._eval(node[1], q, imgs, at))
        if kind == "bin":
            return _binary(node[1], self._eval(node[2], q, imgs, at), self._eval(node[3], q, imgs, at))
        name, args = node[1], [self._eval(a, q, imgs, at) for a in node[2]]
        return _FUNCTIONS[name](*args)

    def _token(self, m, q: Quantity, batch: list[tuple[int, int]], at):
        unit, r, c = at
        if m.group(2) == "label":
            return float(self.layout.class_labels[unit])

        def span(it, image):
            return self.layout.token_span(m, q, self.n, (image, unit, r, c, it, self.n_iterations))

        it0, im0 = batch[0]
        first = span(it0, im0)
        corners = np.array([first.corners])
        if len(batch) > 1:  # filled across and down: the same rectangle, moved by a fixed step per image and iteration
            its = np.array([b[0] for b in batch]) - it0
            ims = np.array([b[1] for b in batch]) - im0
            base = corners[0]
            step_img = np.subtract(span(it0, im0 + 1).corners, base) if ims.any() else 0 * base
            step_it = np.subtract(span(it0 + 1, im0).corners, base) if its.any() else 0 * base
            corners = base + ims[:, None] * step_img + its[:, None] * step_it
            if tuple(corners[-1]) != span(*batch[-1]).corners:  # not a plain shift: resolve cell by cell
                corners = np.array([span(*b).corners for b in batch])
        h, w = first.shape
        rows = corners[:, 0, None, None] + np.arange(h)[None, :, None]
        cols = corners[:, 1, None, None] + np.arange(w)[None, None, :]
        grid = self.grids.get(first.role)
        if grid is None:
            return np.full((len(batch), h, w), np.nan)
        # beyond the known cells: nothing there
        rows = np.minimum(np.maximum(rows, 0), grid.numbers.shape[0] - 1)
        cols = np.minimum(np.maximum(cols, 0), grid.numbers.shape[1] - 1)
        if self.layout[first.quantity].text:
            return grid.text[rows, cols]
        return grid.numbers[rows, cols]


def _cell(v) -> np.ndarray:
    """A formula's result → one value per image (a single cell: the range's top-left, as Excel shows)."""
    if isinstance(v, np.ndarray):
        return v.reshape(len(v), -1)[:, 0] if v.ndim == 3 else v.reshape(-1)
    return np.array([v], dtype=object if isinstance(v, str) else float)


def _num(v):
    """A value as numbers for arithmetic: text → NaN, and an error (inf) → NaN, so that it spoils
    everything computed from it, as an error value does in a spreadsheet."""
    if isinstance(v, np.ndarray) and v.dtype == object:
        return np.array([[[x if isinstance(x, float) else np.nan for x in row] for row in img] for img in v], dtype=float)
    if isinstance(v, np.ndarray):
        return np.where(np.isinf(v), np.nan, v)
    return v


def _raw(v):
    """A value as SUM and MAX read it: text → NaN (skipped), errors kept as inf."""
    if isinstance(v, np.ndarray) and v.dtype == object:
        return _num(v)
    return v


def _is_text(v) -> bool:
    return isinstance(v, str) or (isinstance(v, np.ndarray) and v.dtype == object)


def _binary(op, a, b):
    if op in ("=", "<>") and (_is_text(a) or _is_text(b)):
        eq = np.vectorize(lambda x, y: np.nan if x is None or y is None else float(x == y), otypes=[float])(a, b)
        return eq if op == "=" else np.where(np.isnan(eq), np.nan, 1.0 - eq)
    a, b = _num(a), _num(b)
    with np.errstate(all="ignore"):
        if op in ("=", "<>", "<", ">", "<=", ">="):
            result = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater, "<=": np.less_equal,
                      ">=": np.greater_equal}[op](a, b).astype(float)
            return np.where(np.isnan(a) | np.isnan(b), np.nan, result)
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power}[op](a, b)


def _per_image(v) -> np.ndarray:
    """A value → (images, cells): a range's cells per image, or one scalar."""
    v = np.asarray(v)
    return v.reshape(len(v), -1) if v.ndim == 3 else v.reshape(-1, 1)


def _skip_blanks(v) -> np.ndarray:
    """SUM/MAX's reading of a range: empty and text cells are skipped (NaN), errors kept (inf)."""
    return _per_image(_raw(v))


def _sum(*args):
    parts = [_skip_blanks(a) for a in args]
    total = sum(np.nansum(p, axis=1) for p in parts)
    error = np.any([np.isinf(p).any(axis=1) for p in parts], axis=0)
    return np.where(error, np.nan, total)[:, None, None]


def _max(*args):
    cells = np.concatenate([_skip_blanks(a) for a in args], axis=1)
    error = np.isinf(cells).any(axis=1)
    with np.errstate(all="ignore"), _quiet():
        m = np.where(np.isnan(cells).all(axis=1), 0.0, np.nanmax(np.where(np.isnan(cells), -np.inf, cells), axis=1))
    return np.where(error, np.nan, m)[:, None, None]


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def _sumproduct(*args):
    parts = [_per_image(_num(a)) for a in args]
    product = parts[0]
    for p in parts[1:]:
        if p.shape[1] != product.shape[1]:
            return np.full((len(product), 1, 1), np.nan)  # #VALUE!: ranges of different sizes
        product = product * p
    return product.sum(axis=1)[:, None, None]


def _mmult(a, b):
    a, b = np.asarray(_num(a), dtype=float), np.asarray(_num(b), dtype=float)
    if a.ndim < 3 or b.ndim < 3 or a.shape[-1] != b.shape[-2]:
        return np.full((max(len(np.atleast_1d(a)), 1), 1, 1), np.nan)
    return np.matmul(a, b)


def _sumxmy2(a, b):
    a, b = _per_image(_num(a)), _per_image(_num(b))
    if a.shape[1] != b.shape[1]:
        return np.full((len(a), 1, 1), np.nan)
    return ((a - b) ** 2).sum(axis=1)[:, None, None]


def _if(cond, yes, no=0.0):
    cond = _num(cond)
    if _is_text(yes) or _is_text(no):
        shape = np.broadcast(cond, yes if isinstance(yes, np.ndarray) else 0, no if isinstance(no, np.ndarray) else 0).shape
        out = np.empty(shape, dtype=object)
        c = np.broadcast_to(cond, shape)
        y, n = np.broadcast_to(np.asarray(yes, dtype=object), shape), np.broadcast_to(np.asarray(no, dtype=object), shape)
        for index in np.ndindex(shape):
            out[index] = None if np.isnan(c[index]) else (y[index] if c[index] else n[index])
        return out
    with np.errstate(all="ignore"):
        return np.where(np.isnan(cond), np.nan, np.where(cond != 0, yes, no))


def _countif(values, criterion):
    v = np.asarray(values)
    flat = v.reshape(len(v), -1) if v.ndim == 3 else v.reshape(1, -1)
    hits = np.vectorize(lambda x: x == criterion, otypes=[bool])(flat) if flat.size else np.zeros(flat.shape, bool)
    return hits.sum(axis=1).astype(float)[:, None, None]


def _counta(values):
    v = np.asarray(values)
    flat = v.reshape(len(v), -1) if v.ndim == 3 else v.reshape(1, -1)
    if flat.dtype == object:
        filled = np.vectorize(lambda x: x is not None, otypes=[bool])(flat) if flat.size else np.zeros(flat.shape, bool)
    else:
        filled = ~np.isnan(flat)
    return filled.sum(axis=1).astype(float)[:, None, None]


def _exp(a):
    with np.errstate(all="ignore"):
        return np.exp(_num(a))


_FUNCTIONS = {
    "SUMPRODUCT": _sumproduct, "MMULT": _mmult, "SUMXMY2": _sumxmy2, "SUM": _sum, "MAX": _max, "EXP": _exp,
    "ABS": lambda a: np.abs(_num(a)), "IF": _if, "COUNTIF": _countif, "COUNTA": _counta,
}

__all__ = ["ERROR", "Evaluator", "Grid", "grids", "parse_template", "TYPED"]
