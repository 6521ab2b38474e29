"""`sheetnet check`: grade a student's workbook cell by cell, name each root cause, count what it spoils.

Every graded cell is judged twice (sheetnet.check.local): locally, from the student's own cells, and
end to end, from the inputs alone. Wrong locally (or wrong in how its formula is built) = a root
cause; right locally but wrong end to end = inherited. Root causes that are the same mistake in the
same quantity and unit, with the same formula up to the per-image shift, are one finding with its
list of places; each counts the inherited cells downstream of it.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from itertools import repeat
from pathlib import Path

import numpy as np

from sheetnet import progress
from sheetnet.check import package, probes
from sheetnet.check.diagnose import Diagnoser, Diagnosis, shown_symbol
from sheetnet.check.formulas import parse
from sheetnet.check.local import (Graded, Values, Workbook, agree_e2e, agree_local, calculate, grade, mapped_found,
                                  mistakes, reads)
from sheetnet.check.places import Places
from sheetnet.errors import UnusableInput
from sheetnet.formula import values as fv
from sheetnet.formula.values import BLANK, NOVALUE, NUM
from sheetnet.i18n import _
from sheetnet.mirror.compare import Tolerance
from sheetnet.mirror.kinds import Kind, detect
from sheetnet.mirror.load import Loaded, load_aligned
from sheetnet.record import field, record, records, replace
from sheetnet.xlsx.reader import WorkbookCells

# Mistakes that are one finding per quantity, whatever the unit or formula: a sheet left
# uncalculated, or pixels typed in instead of linked, is one thing to fix, not twelve.
_WHOLE_QUANTITY = frozenset(("stale", "empty", "no_value", "typed_number"))


@record
class Finding:
    quantity: str  # the layout's name: z2, a3, C_T …
    index: tuple[int, ...]  # into the quantity's layout shape
    cell: str  # '学习!O11'
    image: int | None  # 1-based; None for the totals
    iteration: int | None  # 1-based, in an iterated workbook (chapter 4); None elsewhere
    label: str  # 'z2_1', 'x(2,3)'
    kind: str  # value, formula, empty, no_value, external, inherited
    diagnosis: Diagnosis | None  # None for an inherited cell
    found: object
    expected: object  # end to end, from the inputs alone
    expected_locally: object  # from the student's own cells (None: cannot be computed)
    formula: str | None
    expected_formula: str | None
    root_cause: str | None = None  # the id of its root-cause group, for a root cause
    caused_by: tuple[str, ...] = ()  # for an inherited cell: the root causes upstream of it
    family: tuple | None = field(default=None, repr=False, compare=False)  # (student family, book family): one shape
    nouns: tuple = field(default=("image", "images", "iteration", "iterations"), repr=False, compare=False)  # Layout.nouns
    shown: str = ""  # the label as people read it, the quantity named as the sheet labels it: '预测', 'a2_1'

    @property
    def is_root(self) -> bool:
        return self.root_cause is not None

    @property
    def title(self) -> str:
        """'学习!P14 · image 2 · a2_1' ('… · iteration 3 · image 2 · …' in an iterated workbook)."""
        return " · ".join([self.cell] + ([f"{_(self.nouns[2])} {self.iteration}"] if self.iteration else [])
                          + ([f"{_(self.nouns[0])} {self.image}"] if self.image else []) + [self.shown or self.label])


@record
class RootCause:
    id: str
    quantity: str
    diagnosis: Diagnosis
    places: list[Finding]
    spoiled: Counter = field(default_factory=Counter)  # quantity label → inherited cells it spoils
    shown: dict = field(default_factory=dict)  # quantity label → that label as people read it ('predicted' → '预测')

    def spoiled_text(self) -> str:
        """'a2_1 ×64, 预测 ×1' — what it spoils, named as the sheet labels it."""
        return ", ".join(f"{self.shown.get(k, k)} ×{v}" for k, v in self.spoiled.items())

    @property
    def spoils(self) -> int:
        return sum(self.spoiled.values())

    @property
    def first(self) -> Finding:
        return self.places[0]


@record
class CheckResult:
    path: Path
    loaded: Loaded
    graded: int  # computed cells checked
    findings: list[Finding]  # every cell that is not right, in the order the values flow
    root_causes: list[RootCause]
    notes: list[str]
    totals: dict[str, tuple[object, object]]  # C_T, accuracy: (found, expected)
    recalculated: bool = False
    hints: bool = False  # a student's own check: what is wrong and where, never the expected formula
    style: list[str] = field(default_factory=list)  # the student's own conventions: notes, not mistakes
    rubric: object = None  # check/rubric.py's RubricScore: the score a teacher uses (mistakes, not cells)

    @property
    def right(self) -> int:
        return self.graded - len(self.findings)

    @property
    def score(self) -> float:
        """The share of graded cells that are right (`cell_score`; the score is the rubric's, check/rubric.py)."""
        return self.right / self.graded if self.graded else 0.0

    @property
    def inherited(self) -> int:
        return sum(f.root_cause is None for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0


def check(path: str | Path, *, tol: Tolerance = Tolerance(), recalc: bool = False, kind: Kind | None = None,
          rubric=None, hints: bool = False) -> CheckResult:
    """Check one workbook. Raises UnusableInput (one line) when it cannot be checked.

    recalc: let LibreOffice calculate a copy first and check that (the file itself is never touched).
    kind: what workbook it is (default: found from its sheets).
    rubric: check/rubric.py's Rubric the score follows (default: every graded quantity 1 point).
    hints: for students checking themselves: say what is wrong and where, never the expected formula.
    """
    path = Path(path)
    with contextlib.ExitStack() as stack:  # a temporary folder only for LibreOffice's copy (--recalc)
        source, notes, recalculated = path, [], False
        if recalc:
            kind = kind or detect(path)
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="sheetnet-check-"))
            copy, why_not = _recalculated(path, Path(tmp))
            if copy is not None:
                source, recalculated = copy, True
                notes.append(_("recalculated by LibreOffice first (a copy: the file itself is untouched)"))
            else:
                notes.append(_("not recalculated: {why}, and sheetnet lets nothing follow it").format(why=why_not))
        with WorkbookCells(source) as book:
            notes = package.notes(path, book if source == path else None) + notes
            kind = kind or detect(source, book)
            # the loaded quantities and the cells the formulas are evaluated over, both in the layout's
            # addresses (a moved sheet mapped back once, mirror/alignment.py)
            loaded, cells = load_aligned(source, kind.layout, book)
            loaded = replace(loaded, path=path)
            if not loaded.has("learn"):
                raise UnusableInput(_("has no learning sheet (the data only): there are no formulas to check"))
            wb = Workbook(loaded, cells, package.dialect(source, book.zip_file))
            if not recalculated and _without_values(loaded):
                n = calculate(wb)
                notes.append(_("saved without values (written by a program that does not calculate): sheetnet "
                               "calculated its {n} formulas itself, as a spreadsheet would (--recalc asks "
                               "LibreOffice instead)").format(n=n))
            places = Places(loaded)
            with np.errstate(all="ignore"):  # a student's huge numbers overflow: a wrong value, not a warning
                result = _check(loaded, kind, wb, places, notes, recalculated, tol, hints)
    in_workbook_terms(result)  # a sheet that moved: the findings in the workbook's own addresses
    result.rubric = rubric_score(result, rubric)
    return result


def _check(loaded: Loaded, kind: Kind, wb: Workbook, places: Places, notes: list[str], recalculated: bool,
           tol: Tolerance, hints: bool) -> CheckResult:
    v = grade(loaded, kind, wb, tol)
    diagnoser = Diagnoser(places, lambda f, e: _close(float(f), float(e), tol), v, hints)
    findings: list[Finding] = []
    found = []  # per quantity with findings: (its number among names, each one's flat index, its order key)
    graded = 0
    style = []
    flow = {name: k for k, name in enumerate(loaded.layout.flow_order)}
    names = list(v.graded)
    for n, g in enumerate(progress.each(list(v.graded.values()), _("checking the cells"), _("quantities"))):
        judged, flat, iteration, count = _judge_quantity(loaded, places, diagnoser, v, g, tol)
        if judged:
            findings += judged
            found.append((n, flat, iteration * len(flow) + flow[g.name]))
        graded += count
        if g.relabel:
            style.append(_style_note(places, g))
    roots = []
    if findings:
        # the order the values flow: by iteration (none: 0), then quantity (a stable sort keeps each
        # quantity's cells in their order)
        key = np.concatenate([k for _n, _f, k in found])
        order = np.argsort(key, kind="stable")
        findings = [findings[i] for i in order.tolist()]
        quantity = np.repeat([n for n, _f, _k in found], [len(f) for _n, f, _k in found])[order]
        flat = np.concatenate([f for _n, f, _k in found])[order]
        roots = _group(findings, places)
        if len(findings) < _FEW_FINDINGS or not _attributed(findings, names, quantity, flat, key[order], roots, loaded):
            _attribute(findings, roots, loaded, v, places)
    totals = {name: (_plain(fv.python_value(v.graded[name].found, (v.graded[name].m - 1, 0, 0))),
                     _plain(v.graded[name].e2e[-1]))
              for name in ("C_T", "accuracy") if name in v.graded}
    return CheckResult(loaded.path, loaded, graded, findings, roots, notes, totals, recalculated, hints, style)


def _close(a: float, b: float, tol: Tolerance) -> bool:
    return bool(np.isfinite(a) and np.isfinite(b) and abs(a - b) <= max(tol.rel * max(abs(a), abs(b)), tol.abs))


def in_workbook_terms(result: CheckResult) -> None:
    if result.loaded.alignment.moves or result.loaded.alignment.moved:
        from sheetnet.check.moved import in_workbook_terms as move

        move(result)


def rubric_score(result: CheckResult, rubric=None):
    from sheetnet.check import rubric as rubrics

    return rubrics.score(result, rubric or rubrics.DEFAULT)


def _style_note(places: Places, g) -> str:
    theirs = " / ".join(shown_symbol(k) for k in g.relabel)
    book = " / ".join(shown_symbol(x) for x in g.relabel.values())
    what = places.layout.shown(g.name)
    return _("{what}: your own symbols {theirs} where the book writes {book} — fine, as long as what reads them "
             "counts them (a style note, not a mistake)").format(what=what, theirs=theirs, book=book)



def _without_values(loaded: Loaded) -> bool:
    """Every formula of the graded quantities lacks a saved value: a file a program wrote without calculating."""
    any_formula = False
    for name in loaded.layout.graded:  # the first saved value settles it (a workbook that holds values)
        for c in loaded.cells.get(name, _NO_CELLS).flat:
            if c is not None and c.formula is not None:
                if c.kind != "":
                    return False
                any_formula = True
    return any_formula


_NO_CELLS = np.empty(0, dtype=object)


def _recalculated(path: Path, tmp: Path) -> tuple[Path | None, str | None]:
    from sheetnet.libreoffice import LibreOfficeError, recalculate

    with WorkbookCells(path):  # the reader's one-line answer for a file that is not a workbook
        pass
    why_not = package.reaches_outside(path)
    if why_not:
        return None, why_not
    try:
        return recalculate(path, tmp / "recalculated.xlsx"), None
    except (LibreOfficeError, OSError) as e:
        raise UnusableInput(f"--recalc: {e}") from None


# -- judging each cell -------------------------------------------------------------------------
def _judge_quantity(loaded: Loaded, places: Places, diagnoser: Diagnoser, v: Values, g: Graded,
                    tol: Tolerance) -> tuple[list[Finding], np.ndarray, np.ndarray, int]:
    """The findings in one quantity's cells, their flat indexes and iterations, and how many of its cells
    were graded. Every test is one array operation over all the quantity's cells; only the root causes'
    cells are looked at one by one (an inherited cell's finding is read from the arrays, _findings); the
    iterations (1-based, 0: none) give the order the values flow."""
    name = g.name
    q = loaded.layout[name]
    found = mapped_found(g)
    dialect = v.workbook.book.dialect
    ok_local = agree_local(found, g.local, tol, dialect)
    ok_e2e = agree_e2e(found, g.e2e, tol)
    none = np.zeros(g.m, dtype=bool)
    # (numbers only — kind None — have no blank and no unknown value: those masks are `none`, not computed)
    can = probes.known(g.local) if g.local.kind is not None else None  # not computed from a formula saved without its value
    wrong_here = ~ok_local if can is None else can & ~ok_local
    shows_wrong = wrong_here if can is None else wrong_here | (~can & ~ok_e2e)
    has_formula = np.not_equal(g.texts, None).astype(bool)
    if g.found.kind is None:
        empty = no_value = none
        typed = g.graded & ~has_formula
        formula = g.graded & has_formula
    else:
        kinds = g.found.kind.reshape(g.m)
        blank = kinds == BLANK
        unsaved = kinds == NOVALUE  # a formula saved without its value
        empty = g.graded & ~has_formula & blank
        no_value = g.graded & has_formula & (blank | unsaved)
        typed = g.graded & ~has_formula & ~blank & ~unsaved
        formula = g.graded & has_formula & ~blank & ~unsaved
    # the student's formulas over the workbook against its saved values (where every formula is the
    # book's text, that is the comparison just made: `same` is symmetric)
    own_ok = ok_local if g.own is g.local and found is g.found else agree_local(g.own, g.found, tol, dialect)
    own_can = can if g.own is g.local else (probes.known(g.own) if g.own.kind is not None else None)
    if not g.families:  # every graded formula the book's text (local._student_families made no family of
        # the others: there are none), each one evaluable: none wrong, unknown, or to look at for filling
        stale = formula & ~own_ok if own_can is None else formula & own_can & ~own_ok
        wrong = unknown = fill = none
    else:
        stale = formula & g.evaluable & ~own_ok if own_can is None else formula & g.evaluable & own_can & ~own_ok
        wrong = formula & g.evaluable & ~g.equivalent
        unknown = formula & ~g.evaluable
        different = formula & g.evaluable & g.equivalent & ~g.same  # right, but written otherwise: is it fill-proof?
        fill = _fill_mistakes(diagnoser, g, different) if different.any() else none
    problem = empty | no_value | typed | stale | wrong | unknown | fill | (g.graded & ~ok_e2e)
    memo: dict[tuple, Diagnosis] = {}
    candidates = None
    shown_by = {}  # per (student family, book family): the cell whose diagnosis all its cells share —
    for i in np.nonzero(wrong)[0]:  # one whose value is wrong where there is one (a typical mistake shows there)
        key = (int(g.family[i]), int(g.layout_family[i]))
        if key not in shown_by or (shows_wrong[i] and not shows_wrong[shown_by[key]]):
            shown_by[key] = i
    flat = np.nonzero(problem)[0]
    if not len(flat):
        return [], flat, flat, int(g.graded.sum())
    # every cell with a finding is inherited (right locally, wrong end to end) but those judged here
    kinds, diagnoses = ["inherited"] * len(flat), [None] * len(flat)
    own = (empty | no_value | typed | unknown | wrong | fill | stale)[flat]
    for j in np.nonzero(own)[0].tolist():
        i = flat[j]
        text = g.texts[i]
        expected_formula = g.expected[i]
        if empty[i]:
            kind, d = "empty", diagnoser.empty(expected_formula)
        elif no_value[i]:
            kind, d = "no_value", diagnoser.no_value()
        elif typed[i]:
            kind = "value" if shows_wrong[i] else "formula"
            d = diagnoser.typed(expected_formula)
        elif unknown[i]:
            P = parse(text)
            if P.outside:
                kind, d = "external", Diagnosis("external_link", _("refers outside this workbook ({what}): reported, not "
                                                                  "followed or run").format(what=P.outside[:80]), True)
            else:
                kind = "value" if shows_wrong[i] else "formula"
                d = diagnoser.unevaluable(text, g.found, i, g.unknown.get(int(g.family[i]), set()))
        elif wrong[i]:
            kind = "value" if shows_wrong[i] else "formula"
            key = (int(g.family[i]), int(g.layout_family[i]))
            d = memo.get(key)
            if d is None:
                if candidates is None and not q.text:
                    candidates = mistakes(name, loaded, v)
                at = shown_by[key]
                d = memo[key] = diagnoser.wrong_formula(g, at, g.index(at), candidates or [], wrong_here)
        elif fill[i]:
            kind = "value" if shows_wrong[i] else "formula"
            d = diagnoser.from_formula(name, g.index(i), text, expected_formula)
        else:  # stale
            kind, d = "value", diagnoser.stale(same=bool(g.same[i]))
        kinds[j], diagnoses[j] = kind, d
    return _findings(loaded, places, g, flat, kinds, diagnoses), flat, _iterations(q, g, flat), int(g.graded.sum())


def _findings(loaded: Loaded, places: Places, g: Graded, flat: np.ndarray, kinds: list,
              diagnoses: list) -> list[Finding]:
    """The Finding of each cell `flat` of one quantity: what each says (its index, address, labels, the
    values found and expected) read for all of them at once from the quantity's arrays."""
    layout, name = loaded.layout, g.name
    q = layout[name]
    parts = np.unravel_index(flat, g.shape)
    indexes = list(zip(*[a.tolist() for a in parts]))
    lead = [a.tolist() for a in parts[:len(g.shape) - 3]]  # (iteration,) (image,) axes before unit, row, col
    iterations = [i + 1 for i in lead[0]] if q.per_iteration else [None] * len(flat)
    images = [i + 1 for i in lead[-1]] if q.per_image else [None] * len(flat)
    # the labels depend on the cell of the item only (unit, row, col): each made once
    _cells, first, which = np.unique(np.ravel_multi_index(parts[-3:], g.shape[-3:]), return_index=True,
                                     return_inverse=True)
    labels = np.array([places.label(name, indexes[j]) for j in first.tolist()], dtype=object)
    shown = np.array([layout.shown_label(name, indexes[j]) for j in first.tolist()], dtype=object)
    which = which.reshape(-1)
    labels, shown = labels[which].tolist(), shown[which].tolist()
    where = loaded.wheres(name, g.rows[flat].tolist(), g.cols[flat].tolist())
    cells = loaded.cells[name].reshape(-1)[flat].tolist()
    texts = g.texts[flat].tolist()
    formulas = [t if c is None or c.formula is None else c.formula for c, t in zip(cells, texts)]
    expected_formulas = g.expected.array()[flat].tolist()
    found, expected, local = _plain_values(g.found, flat), _plain_array(g.e2e[flat]), _plain_values(g.local, flat)
    student, book = g.family[flat].tolist(), g.layout_family[flat].tolist()
    nouns = layout.nouns
    return records(Finding, quantity=repeat(name), index=indexes, cell=where, image=images, iteration=iterations,
                   label=labels, kind=kinds, diagnosis=diagnoses, found=found, expected=expected,
                   expected_locally=local, formula=formulas, expected_formula=expected_formulas,
                   family=[(name, s, b) if s >= 0 else None for s, b in zip(student, book)], nouns=repeat(nouns),
                   shown=shown)


def _iterations(q, g: Graded, flat: np.ndarray) -> np.ndarray:
    """Each cell's iteration, 1-based (0: a quantity without iterations), for the order the values flow."""
    if not q.per_iteration:
        return np.zeros(len(flat), dtype=np.int64)
    return np.unravel_index(flat, g.shape)[0] + 1


def _plain_values(v, flat: np.ndarray) -> list:
    """[_plain(python_value(v, (i, 0, 0))) for i in flat], numbers read at once."""
    out = _plain_array(v.num[flat, 0, 0])
    if v.kind is not None:
        for j in np.nonzero(v.kind[flat, 0, 0] != NUM)[0].tolist():
            out[j] = _plain(fv.python_value(v, (int(flat[j]), 0, 0)))
    return out


def _plain_array(a: np.ndarray) -> list:
    """[_plain(x) for x in a]: floats at once, NaN as None."""
    if a.dtype != np.float64:
        return [_plain(x) for x in a.tolist()]  # (an object array's tolist() gives its elements as they are)
    out = a.tolist()
    for j in np.nonzero(np.isnan(a))[0].tolist():
        out[j] = None
    return out


def _fill_mistakes(diagnoser: Diagnoser, g: Graded, different: np.ndarray) -> np.ndarray:
    """Among formulas that compute the book's value here, those that would not survive being filled
    across (a relative reference to the parameters): looked at once per family and book formula."""
    out = np.zeros(g.m, dtype=bool)
    seen: dict[tuple[int, int], bool] = {}
    for i in np.nonzero(different)[0]:
        key = (int(g.family[i]), int(g.layout_family[i]))
        if key not in seen:
            d = diagnoser.from_formula(g.name, g.index(i), g.texts[i], g.expected[i])
            seen[key] = d is not None and d.code in ("relative_reference", "absolute_reference")
        out[i] = seen[key]
    return out


def _plain(v):
    if v is None or isinstance(v, (str, bool)):
        return v
    v = float(v)
    return None if np.isnan(v) else v


# -- root causes -------------------------------------------------------------------------------
def _group(findings: list[Finding], places: Places) -> list[RootCause]:
    groups: dict[tuple, RootCause] = {}
    shapes: dict[tuple, str] = {}  # one student family at one book family: one shape, worked out once
    for f in findings:
        if f.kind == "inherited":
            continue
        code = f.diagnosis.code
        if code in _WHOLE_QUANTITY:
            key = (f.quantity, code)
        else:  # the same mistake made once and filled across the images, down the units, down the iterations
            if f.family is not None and f.family in shapes:
                shape = shapes[f.family]
            else:
                shape = _mistake_shape(f, places) if f.formula else None
                if f.family is not None:
                    shapes[f.family] = shape
            key = (f.quantity, code, shape) if shape is not None else (f.quantity, code, f.index[-3:])
        if key not in groups:
            groups[key] = RootCause(f"R{len(groups) + 1}", f.quantity, f.diagnosis, [])
        groups[key].places.append(f)
        f.root_cause = groups[key].id
    return list(groups.values())


def _mistake_shape(f: Finding, places: Places) -> str:
    """The formula in a form equal for every copy of one mistake: a reference that names what the
    book's formula names at that cell (with the same $ marks) is a placeholder — it was right, and
    copying kept it right, even an absolute one that differs per unit or iteration block; every
    other reference is moved back by the cell's offset from the quantity's first cell (absolute
    rows too, by the iteration block's offset: a block copied down is edited to read its own block)."""
    layout = places.layout
    q = layout[f.quantity]
    P = parse(f.formula)
    if P.unparsable:
        return P.canonical()
    pos = layout.positions(q, places.n, places.n_iterations)
    dr, dc = (int(v) for v in pos[f.index] - pos[(0,) * (pos.ndim - 1)])
    E = parse(f.expected_formula) if f.expected_formula else None
    expected = E.references if E is not None and not E.unparsable else []
    block = layout.sheet(q.sheet).iteration_step[0] * layout.index_parts(q, f.index)[0] if q.per_iteration else 0
    out = []
    for (value, kind, _subtype), ref in zip(P.tokens, P.refs):
        if kind == "WHITE-SPACE":
            continue
        if ref is None:
            out.append(value.upper())
            continue
        k = next((k for k, e in enumerate(expected) if e.same_cells(ref) and (e.col_abs, e.row_abs) == (ref.col_abs, ref.row_abs)
                  and (e.sheet or "").upper() == (ref.sheet or "").upper()), None)
        if k is not None:
            out.append(f"@{k}")
            continue
        moved = ref.shifted(-dc, -dr)
        if moved is not None and block and ref.sheet is None:
            top = moved.top - block if moved.row_abs[0] and moved.top > block else moved.top
            bottom = moved.bottom - block if moved.row_abs[1] and moved.bottom > block else moved.bottom
            moved = replace(moved, top=top, bottom=bottom)
        out.append((ref.sheet or "").upper() + "!" + (moved.text() if moved is not None else "#REF!"))
    return "".join(out)


_FEW_FINDINGS = 64  # fewer: cell by cell (_attribute) costs less than setting up the arrays (check/attribute.py)


def _attributed(*args) -> bool:
    """check/attribute.py's attribute(): all findings at once (imported only for a workbook with many)."""
    from sheetnet.check.attribute import attribute

    return attribute(*args)


def _attribute(findings: list[Finding], roots: list[RootCause], loaded: Loaded, v, places: Places) -> None:
    """Each inherited cell gets the root causes upstream of it; each root cause counts them, one cell
    at a time (a workbook with few findings, or more root causes than bit sets hold)."""
    by_id = {r.id: r for r in roots}
    wrong = {(f.quantity, f.index): f for f in findings if f.kind != "formula"}  # a right value spoils nothing
    causes: dict[tuple, frozenset] = {}
    for f in findings:  # in the order the values flow: a cell's inputs come before it
        upstream = frozenset()
        for p in reads(loaded, v, places, f.quantity, f.index):
            if p in wrong:
                upstream |= causes.get(p, frozenset())
        if f.is_root:
            causes[(f.quantity, f.index)] = upstream | {f.root_cause}
        else:
            causes[(f.quantity, f.index)] = upstream
            f.caused_by = tuple(sorted(upstream, key=lambda i: int(i[1:])))
            for rid in f.caused_by:
                by_id[rid].spoiled[_unit_label(f)] += 1
                by_id[rid].shown[_unit_label(f)] = (f.shown or f.label).split("(")[0]


def _unit_label(f: Finding) -> str:
    return f.label.split("(")[0]
