"""Cell by cell, family by family: what each graded cell holds, what it should hold, and whether the
student's formula is the book's — for any kind of workbook.

Per graded quantity, over all its cells at once (arrays in the layout's shape, flattened):
- *found*: the workbook's saved value (or, for a workbook saved without values, sheetnet's own);
- *local*: the layout's formula for that cell evaluated over the workbook's values (from the student's
  own cells: a wrong cell here is a root cause);
- *own*: the student's formula evaluated over the same values (≠ found: the saved value is stale);
- *end to end*: from the inputs alone (data and parameters), by the engine (the kind's compute);
- *equivalent*: the student's formula family is the layout's formula for those cells on the workbook's
  values and on probe values (sheetnet.check.probes) — whatever its text. A cell whose text is the
  book's is equivalent without evaluating anything (the common case: nothing per cell but a text
  comparison).

Both kinds of formula are evaluated as families (sheetnet.formula.family): one evaluation for every
cell a formula was filled to.
"""

from __future__ import annotations

import numpy as np

from sheetnet import progress
from sheetnet.check import probes
from sheetnet.errors import UnusableInput
from sheetnet.formula import values as fv
from sheetnet.formula.family import Family, group
from sheetnet.formula.grid import Book, SheetGrid
from sheetnet.formula.values import NUM, TEXT, V
from sheetnet.i18n import _
from sheetnet.layout.evaluate import ExpectedTexts, Templates, spans
from sheetnet.mirror.compare import Tolerance
from sheetnet.mirror.kinds import Kind
from sheetnet.mirror.load import Loaded
from sheetnet.record import field, record
from sheetnet.xlsx.sheetxml import formulas_of


# -- the workbook as the checker evaluates it ----------------------------------------------------------
_TEMPLATES: dict[tuple, Templates] = {}


def _templates(layout, n_images: int, n_iterations: int, sheet_names: dict[str, str]) -> Templates:
    """The layout's formulas at n images, k blocks and these sheet names, kept for the next workbook
    alike (a class check: planning the families is a tenth of each small workbook's check). Nothing in
    them depends on the workbook's cells; the entry keeps its layout alive, so an id is never reused."""
    key = (id(layout), n_images, n_iterations, tuple(sorted(sheet_names.items())))
    hit = _TEMPLATES.get(key)
    if hit is None or hit.layout is not layout:
        if len(_TEMPLATES) > 8:
            _TEMPLATES.clear()
        hit = _TEMPLATES[key] = Templates(layout, n_images, n_iterations, dict(sheet_names))
    return hit


class Workbook:
    """The student's cells as arrays (sheetnet.formula.grid), its array formulas, its defined names, and
    the layout's formulas at its cells.

    cells: the open workbook as the layout sees it (mirror.alignment.AlignedCells, from load_aligned):
    on a sheet that moved, its cells, formulas and defined names are at the layout's addresses, as in
    `loaded` — the student's formulas and the layout's are evaluated over the same coordinates."""

    def __init__(self, loaded: Loaded, cells, dialect: str = "excel"):
        self.loaded, self.layout, self.cells = loaded, loaded.layout, cells
        self.book = Book(cells.sheet_names, self._grid, cells.defined_names, dialect)
        self.templates = _templates(self.layout, loaded.n_images, loaded.n_iterations, loaded.sheet_names)
        self._reach = self.templates.reach()
        self._links: dict[str, dict] = {}

    def _grid(self, name: str) -> SheetGrid | None:
        try:
            return SheetGrid.of_cells(name, self.cells.sheet(name), self._reach.get(name, (0, 0)))
        except UnusableInput:  # a chart sheet, a part that cannot be read: nothing to read there
            return None

    def sheet_name(self, role: str) -> str:
        return self.loaded.sheet_names[role]

    def arrays(self, name: str) -> dict:
        try:
            return self.cells.array_formulas(name)
        except UnusableInput:
            return {}

    def links(self) -> dict[str, dict]:
        """Per sheet, its cells that only link another cell (for probes)."""
        if not self._links:
            for name in self.loaded.sheet_names.values():
                self._links[name] = probes.links_of(self.cells.sheet(name), name, self.book.sheet_name)
        return self._links


def calculate(wb: Workbook) -> int:
    """A workbook saved without values: every formula of the layout's sheets calculated by sheetnet
    (sheetnet.formula.recalc), into the workbook's arrays. Returns how many cells were calculated."""
    from sheetnet.formula.recalc import calculate as run

    layout, loaded = wb.layout, wb.loaded
    sheets, arrays, blocks = {}, {}, {}
    for role, name in loaded.sheet_names.items():
        sheets[name] = wb.cells.sheet(name)
        arrays[name] = wb.arrays(name)
        s = layout.sheet(role)
        if s.iteration_step != (0, 0):
            first = min(int(layout.positions(q, 1, 1)[..., 0].min()) for q in layout.quantities
                        if q.sheet == role and q.per_iteration)
            blocks[name] = (first, s.iteration_step[0])
    done, _ = run(wb.book, sheets, arrays, blocks)
    return done


# -- one graded quantity ----------------------------------------------------------------------------------
@record
class Graded:
    name: str
    shape: tuple[int, ...]  # the layout's shape of the quantity
    sheet: str
    rows: np.ndarray  # (m,) every cell, flattened
    cols: np.ndarray
    graded: np.ndarray  # (m,) bool: a formula belongs here
    texts: np.ndarray  # (m,) object: the cell's formula (a cell of an array formula: the array's), None
    expected: ExpectedTexts  # [i]: the layout's formula, None where none belongs (made when first read)
    found: V  # (m, 1, 1)
    local: V  # (m, 1, 1)
    e2e: np.ndarray  # (m,)
    same: np.ndarray  # (m,) bool: the book's text
    own: V | None = None  # (m, 1, 1): the student's formula over the workbook (None where not evaluated)
    evaluable: np.ndarray | None = None  # (m,) bool: own was evaluated
    equivalent: np.ndarray | None = None  # (m,) bool: the student's formula is the book's function
    family: np.ndarray | None = None  # (m,) int: the student's family (−1: none or the book's text)
    families: list[Family] = field(default_factory=list)  # the student's families
    layout_family: np.ndarray | None = None  # (m,) int: the layout's family (merged) of each cell
    layout_families: list[Family] = field(default_factory=list)
    unknown: dict[int, set] = field(default_factory=dict)  # student family → what it could not evaluate
    elements: list | None = None  # per cell: its place in an array formula, or None
    relabel: dict | None = None  # the student's own verdicts → the book's (a style of their own)

    @property
    def m(self) -> int:
        return len(self.rows)

    def index(self, flat: int) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(flat, self.shape))


@record
class Values:
    graded: dict[str, Graded]
    e2e: dict[str, np.ndarray]
    workbook: Workbook
    view: Book  # the workbook as the layout's formulas read it (verdicts relabelled)
    notes: list[str]
    tol: Tolerance
    relabels: list = field(default_factory=list)  # the student's own verdict symbols (probes.Relabel)



def grade(loaded: Loaded, kind: Kind, wb: Workbook, tol: Tolerance) -> Values:
    layout, n, k = loaded.layout, loaded.n_images, loaded.n_iterations
    e2e = kind.compute(loaded.inputs, n, k)[1]  # (`_` is the translator here)
    view = wb.book
    out: dict[str, Graded] = {}
    notes: list[str] = []
    relabels: list[probes.Relabel] = []
    with np.errstate(all="ignore"):
        for name in progress.each([n for n in layout.graded if n in loaded.cells],
                                  _("evaluating the workbook's own formulas"), _("quantities")):
            g = _grade_quantity(wb, view, layout[name], e2e[name], tol, relabels)
            if g.relabel:
                relabels.append(_relabel_of(wb, g))
                view = relabels[-1].view(view)
            out[name] = g
    return Values(out, e2e, wb, view, notes, tol, relabels)


def _grade_quantity(wb: Workbook, view: Book, q, e2e: np.ndarray, tol: Tolerance, relabels: list) -> Graded:
    plan = wb.templates.graded(q)  # the quantity's cells and the layout's families, once per worker
    rows, cols, expected, graded = plan.rows, plan.cols, plan.expected, plan.graded
    sheet = wb.sheet_name(q.sheet)
    texts = wb.loaded.formula_texts(q.name)  # (from the reader's columns: no look at each Cell)
    if texts is None:
        cell_objects = wb.loaded.cells[q.name].reshape(-1)
        texts = np.empty(len(cell_objects), dtype=object)
        texts[:] = formulas_of(cell_objects.tolist())
    elements = _array_members(wb, sheet, rows, cols, texts)
    same = wb.templates.same_texts(q, texts) & graded
    found = plan.read(wb.book.grid(sheet))
    # the layout's formulas, one evaluation per family (merged across the quantity's slots), and one
    # for the families of one template that read their own cells in each iteration block
    results: list[V | None] = [None] * len(plan.families)
    for e, members in enumerate(plan.evaluations):
        f = plan.together(e)
        v = f.evaluate(view)
        v = fv.error(f.m, fv.NAME) if v is None else v
        for k, span in members:
            results[k] = v if span is None else v.take(span)
    local = plan.local(results)
    e2e = np.asarray(e2e).reshape(-1)
    if relabels:  # the student's own verdicts upstream: the book's text reads them as the book's, but
        same = np.zeros_like(same)  # the student's cells hold the student's: compared like any formula
    g = Graded(q.name, plan.shape, sheet, rows, cols, graded, texts, expected, found, local, e2e, same,
               layout_family=plan.family, layout_families=plan.families, elements=elements)
    _student_families(wb, view, g, tol, relabels)
    return g


def _positions_in(f: Family, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Where each of (rows, cols) sits among the family's cells."""
    where = {(int(r), int(c)): i for i, (r, c) in enumerate(zip(f.rows.tolist(), f.cols.tolist()))}
    return np.array([where[(r, c)] for r, c in zip(rows.tolist(), cols.tolist())], dtype=np.int64)


def _array_members(wb: Workbook, sheet: str, rows, cols, texts) -> list | None:
    """For the cells of an array formula ({=…} over several cells), the formula's text and each cell's
    place in it; None when the sheet has no array formula."""
    arrays = wb.arrays(sheet)
    if not arrays:
        return None
    cells = wb.cells.sheet(sheet)
    elements = [None] * len(rows)
    for (r0, c0), (r1, c1) in arrays.items():
        inside = np.nonzero((rows >= r0) & (rows <= r1) & (cols >= c0) & (cols <= c1))[0]
        for i in inside:
            texts[i] = cells[(r0, c0)].formula
            elements[i] = (int(rows[i] - r0), int(cols[i] - c0), r0, c0)
    return elements


def _student_families(wb: Workbook, view: Book, g: Graded, tol: Tolerance, relabels: list) -> None:
    """The student's formulas that are not the book's text: grouped into families, each evaluated over
    the workbook, and compared with the layout's formula for its cells on probe values."""
    m = g.m
    g.own = g.local
    g.evaluable = np.ones(m, dtype=bool)
    g.equivalent = g.same.copy()
    g.family = np.full(m, -1)
    other = np.nonzero(g.graded & ~g.same)[0]  # (then those with a formula: the few cells, not every text)
    other = other[np.not_equal(g.texts[other], None).astype(bool)]
    if not len(other):
        return
    elements = None if g.elements is None else [None if g.elements[i] is None else g.elements[i][:2] for i in other]
    anchor_r = g.rows[other].copy()
    anchor_c = g.cols[other].copy()
    if g.elements is not None:
        for j, i in enumerate(other):
            if g.elements[i] is not None:
                anchor_r[j], anchor_c[j] = g.elements[i][2], g.elements[i][3]
    fams, which = group(g.sheet, list(g.texts[other]), anchor_r, anchor_c, elements)
    g.families = fams
    g.family[other] = which
    own_parts = [(np.arange(m), g.local)]
    evaluable = np.ones(m, dtype=bool)
    for k, f in enumerate(fams):
        cells = other[which == k]
        v = f.evaluate(wb.book)
        if v is None:
            g.unknown[k] = set(f.unknown)
            evaluable[cells] = False
            g.equivalent[cells] = False
            continue
        own_parts.append((cells, v))
    g.own = fv.stack_cells(own_parts, m) if len(own_parts) > 1 else g.local
    g.evaluable = evaluable
    # the same function as the book's? per (student family, layout family): on the workbook's values …
    pairs: dict[tuple[int, int], list[int]] = {}
    for i in other:
        if evaluable[i]:
            pairs.setdefault((int(g.family[i]), int(g.layout_family[i])), []).append(int(i))
    is_text = wb.layout[g.name].text
    mapping: dict = {}
    for (s, l), cells in pairs.items():
        cells = np.array(cells)
        if not relabels and fams[s].key is not None and fams[s].key == g.layout_families[l].key:
            continue  # the book's formula in relative form (spacing, letter case, quoting aside): no probes
        ok = _equivalent(wb, view, g, fams[s], g.layout_families[l], cells, tol, mapping if is_text else None,
                         relabels)
        g.equivalent[cells] = ok
    if is_text and mapping and any(k != v for k, v in mapping.items()) and g.equivalent[g.graded].all():
        g.relabel = mapping


def _equivalent(wb: Workbook, view: Book, g: Graded, student: Family, book: Family, cells: np.ndarray,
                tol: Tolerance, mapping: dict | None, relabels: list) -> bool:
    """Is the student's family the layout's formula at `cells`, on the workbook's values and on probes?"""
    s_index = _positions_in(student, *_anchors(g, cells))
    l_index = _positions_in(book, g.rows[cells], g.cols[cells])
    own, local = g.own.take(cells), g.local.take(cells)
    dialect = wb.book.dialect
    both = np.nonzero(probes.known(own) & probes.known(local))[0]
    if not _agree(own.take(both), local.take(both), tol, dialect, mapping):
        return False
    words = probes.vocabulary(student, book, *probes.read_values(student, wb.book, s_index),
                              *probes.read_values(book, view, l_index))
    links = wb.links()
    for round_ in range(probes.ROUNDS):
        raw = probes.probe_book(wb.book, round_, words, links)
        for r in relabels:  # the student's own verdicts get probe values among the student's symbols …
            raw = r.probes(raw, round_)
        seen = raw
        for r in relabels:  # … which the book's formula reads as the book's
            seen = r.view(seen)
        a, b = student.evaluate(raw, s_index), book.evaluate(seen, l_index)
        if a is None or b is None:
            return False
        if not _agree(a, b, tol, dialect, mapping):
            return False
    return True


def _anchors(g: Graded, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each cell's formula is written (an array formula's first cell for its other cells)."""
    r, c = g.rows[cells].copy(), g.cols[cells].copy()
    if g.elements is not None:
        for j, i in enumerate(cells):
            e = g.elements[i]
            if e is not None:
                r[j], c[j] = e[2], e[3]
    return r, c


def _agree(a: V, b: V, tol, dialect, mapping: dict | None) -> bool:
    """Do the student's results `a` agree with the book's `b` — exactly (as probes.same), or for a
    verdict through one consistent one-to-one map of the student's values onto the book's (extended
    in `mapping`)?"""
    if mapping is None:
        return bool(probes.same(a, b, tol, dialect).all())
    back = {v: k for k, v in mapping.items()}
    for i in range(a.shape[0]):
        x, y = fv.python_value(a, (i, 0, 0)), fv.python_value(b, (i, 0, 0))
        if isinstance(x, float) and x == int(x):
            x = float(x)
        if mapping.get(x, y) != y or back.get(y, x) != x:
            return False
        mapping[x], back[y] = y, x
    return True


def _relabel_of(wb: Workbook, g: Graded) -> probes.Relabel:
    grid = wb.book.grid(g.sheet)
    mask = np.zeros(grid.shape, dtype=bool)
    inside = (g.rows < mask.shape[0]) & (g.cols < mask.shape[1])
    mask[g.rows[inside & g.graded], g.cols[inside & g.graded]] = True
    return probes.Relabel(g.name, {g.sheet: mask}, dict(g.relabel))


def mapped_found(g: Graded) -> V:
    """The saved values as the book would write them (the student's own verdicts relabelled)."""
    if not g.relabel:
        return g.found
    num, kind = g.found.num.copy(), g.found.kinds.copy()
    text = np.full(num.shape, None, dtype=object) if g.found.text is None else g.found.text.copy()
    for i in range(g.m):
        x = fv.python_value(g.found, (i, 0, 0))
        if x in g.relabel:
            num[i, 0, 0], kind[i, 0, 0], text[i, 0, 0] = probes._as_cell(g.relabel[x])
    return fv.from_kinds(num, kind, text)


# -- agreement ---------------------------------------------------------------------------------------
def agree_e2e(found: V, expected: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Per cell: does the saved value agree with the engine's (end to end)? Nothing agrees with an
    error value, a blank or NaN."""
    m = found.shape[0]
    kind = None if found.kind is None else found.kind.reshape(m)
    if expected.dtype == object:
        kind = found.kinds.reshape(m)
        texts = found.texts().reshape(m)
        return np.array([kind[i] == TEXT and expected[i] is not None and texts[i] == expected[i] for i in range(m)],
                        dtype=bool)
    e = expected.astype(float)
    ok = probes.close(found.num.reshape(m), e, tol)
    return ok & np.isfinite(e) if found.kind is None else ok & (kind == NUM) & np.isfinite(e)


def agree_local(found: V, local: V, tol: Tolerance, dialect: str = "excel") -> np.ndarray:
    return probes.same(found, local, tol, dialect)


# -- what a cell reads, and the layout's typical mistakes --------------------------------------------------
def mistakes(name: str, loaded: Loaded, v: Values) -> list[tuple[str, str, np.ndarray]]:
    """(code, explanation, the values that mistake gives, flat) for a quantity, from the student's own cells."""
    from sheetnet.layout.evaluate import Evaluator

    q = loaded.layout[name]
    wb = v.workbook
    ev = Evaluator.__new__(Evaluator)
    ev.layout, ev.n, ev.n_iterations = loaded.layout, loaded.n_images, loaded.n_iterations
    ev.templates, ev.book = wb.templates, v.view
    out = []
    with np.errstate(all="ignore"):
        for m in loaded.layout.mistakes:
            if m.quantity != name:
                continue
            if not m.other_units:
                out.append((m.code, m.text, ev.quantity(q, m.template).reshape(-1)))
                continue
            units = q.place.units
            for s in range(1, units):
                out.append((m.code, m.text, ev.quantity(q, m.template, lambda u, s=s: (u + s) % units,
                                                        key=("units shifted", s)).reshape(-1)))
    return out


def reads(loaded: Loaded, v: Values, places, name: str, index: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    """The graded cells a cell's formula should read (inputs are left out: they are given, never wrong)."""
    q = loaded.layout[name]
    out = []
    for span in spans(loaded.layout, q, index, loaded.n_images, loaded.n_iterations):
        top, left, bottom, right = span.corners
        for row in range(top, bottom + 1):
            for col in range(left, right + 1):
                p = places.at(span.role, row, col)
                if p is not None and p[0] in v.graded:
                    out.append(p)
    return out


__all__ = ["Graded", "Values", "Workbook", "agree_e2e", "agree_local", "calculate", "grade", "mapped_found", "mistakes",
           "reads"]
