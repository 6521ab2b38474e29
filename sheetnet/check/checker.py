"""`sheetnet check`: grade a student's workbook cell by cell, name each root cause, count what it spoils.

Every graded cell is judged twice (sheetnet.check.local): locally, from the student's own cells, and
end to end, from the inputs alone. Wrong locally (or wrong in how its formula is built) = a root
cause; right locally but wrong end to end = inherited. Root causes that are the same mistake in the
same quantity and unit, with the same formula up to the per-image shift, are one finding with its
list of places; each counts the inherited cells downstream of it.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sheetnet import progress
from sheetnet.check import package
from sheetnet.check.diagnose import Diagnoser, Diagnosis
from sheetnet.check.formulas import parse, same_formula
from sheetnet.check.local import agree, known, mistakes, reads, values
from sheetnet.check.places import Places
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _
from sheetnet.mirror.compare import Tolerance
from sheetnet.mirror.kinds import Kind, detect, open_as
from sheetnet.mirror.load import Loaded, load
from sheetnet.xlsx.reader import WorkbookCells

# Mistakes that are one finding per quantity, whatever the unit or formula: a sheet left
# uncalculated, or pixels typed in instead of linked, is one thing to fix, not twelve.
_WHOLE_QUANTITY = frozenset(("stale", "empty", "no_value", "typed_number"))


@dataclass
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

    @property
    def is_root(self) -> bool:
        return self.root_cause is not None

    @property
    def title(self) -> str:
        """'学习!P14 · image 2 · a2_1' ('… · iteration 3 · image 2 · …' in an iterated workbook)."""
        return " · ".join([self.cell] + ([f"iteration {self.iteration}"] if self.iteration else [])
                          + ([f"image {self.image}"] if self.image else []) + [self.label])


@dataclass
class RootCause:
    id: str
    quantity: str
    diagnosis: Diagnosis
    places: list[Finding]
    spoiled: Counter = field(default_factory=Counter)  # quantity label → inherited cells it spoils

    @property
    def spoils(self) -> int:
        return sum(self.spoiled.values())

    @property
    def first(self) -> Finding:
        return self.places[0]


@dataclass
class CheckResult:
    path: Path
    loaded: Loaded
    graded: int  # computed cells checked
    findings: list[Finding]  # every cell that is not right, in the order the values flow
    root_causes: list[RootCause]
    notes: list[str]
    totals: dict[str, tuple[object, object]]  # C_T, accuracy: (found, expected)
    recalculated: bool = False
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
        return sum(not f.is_root for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0


def check(path: str | Path, *, tol: Tolerance = Tolerance(), recalc: bool = False, kind: Kind | None = None,
          rubric=None) -> CheckResult:
    """Check one workbook. Raises UnusableInput (one line) when it cannot be checked.

    recalc: let LibreOffice calculate a copy first and check that (the file itself is never touched).
    kind: what workbook it is (default: found from its sheets).
    rubric: check/rubric.py's Rubric the score follows (default: every graded quantity 1 point).
    """
    path = Path(path)
    kind, loaded, notes, recalculated = _load(path, kind, recalc)
    places = Places(loaded)
    with np.errstate(all="ignore"):  # a student's huge numbers overflow to inf: a wrong value, not a warning
        result = _check(loaded, kind, places, notes, recalculated, tol)
    in_workbook_terms(result)  # a sheet that moved: the findings in the workbook's own addresses
    result.rubric = rubric_score(result, rubric)
    return result


def _check(loaded: Loaded, kind: Kind, places: Places, notes: list[str], recalculated: bool,
           tol: Tolerance) -> CheckResult:
    v = values(loaded, kind)
    diagnoser = Diagnoser(places, lambda f, e: bool(agree(np.atleast_1d(f), np.atleast_1d(e), tol)[0]))
    findings: list[Finding] = []
    graded = 0
    for name in progress.each(v.found, _("checking the cells"), _("quantities")):
        judged, count = _judge_quantity(loaded, places, diagnoser, v, name, tol)
        findings += judged
        graded += count
    flow = {name: k for k, name in enumerate(loaded.layout.flow_order)}
    findings.sort(key=lambda f: ((f.iteration or 0), flow[f.quantity]))  # the order the values flow
    roots = _group(findings, places)
    _attribute(findings, roots, loaded, v, places)
    totals = {name: (_plain(v.found[name].reshape(-1)[-1]), _plain(v.end_to_end[name].reshape(-1)[-1]))
              for name in ("C_T", "accuracy") if name in v.found}
    return CheckResult(loaded.path, loaded, graded, findings, roots, notes, totals, recalculated)


def in_workbook_terms(result: CheckResult) -> None:
    if result.loaded.alignment.moves or result.loaded.alignment.moved:
        from sheetnet.check.moved import in_workbook_terms as move

        move(result)


def rubric_score(result: CheckResult, rubric=None):
    from sheetnet.check import rubric as rubrics

    return rubrics.score(result, rubric or rubrics.DEFAULT)


# -- loading -----------------------------------------------------------------------------------
def _load(path: Path, kind: Kind | None, recalc: bool) -> tuple[Kind, Loaded, list[str], bool]:
    if recalc:
        kind = kind or detect(path)
        loaded, why_not = _recalculated(path, kind.layout)
        if loaded is not None:
            notes = package.notes(path) + ["recalculated by LibreOffice first (a copy: the file itself is untouched)"]
            return kind, loaded, notes, True
    kind, loaded = open_as(path, kind)
    layout = kind.layout
    if not loaded.has("learn"):
        raise UnusableInput("has no learning sheet (the data only): there are no formulas to check")
    notes = package.notes(path)
    if recalc:
        notes.append(f"not recalculated: {why_not}, and sheetnet lets nothing follow it")
    cells = [c for name in layout.graded if name in loaded.cells for c in loaded.cells[name].reshape(-1)]
    with_formula = [c for c in cells if c is not None and c.formula is not None]
    if with_formula and all(c.kind == "" for c in with_formula):
        raise UnusableInput("its formulas have no saved values (written by a program that does not calculate): "
                            "run `sheetnet check --recalc` to let LibreOffice calculate a copy, or open and save "
                            "it in a spreadsheet program")
    return kind, loaded, notes, False


def _recalculated(path: Path, layout) -> tuple[Loaded | None, str | None]:
    from sheetnet.libreoffice import LibreOfficeError, recalculate

    with WorkbookCells(path):  # the reader's one-line answer for a file that is not a workbook
        pass
    why_not = package.reaches_outside(path)
    if why_not:
        return None, why_not
    with tempfile.TemporaryDirectory(prefix="sheetnet-check-") as tmp:
        try:
            copy = recalculate(path, Path(tmp) / "recalculated.xlsx")
        except (LibreOfficeError, OSError) as e:
            raise UnusableInput(f"--recalc: {e}") from None
        loaded = load(copy, layout)
    if not loaded.has("learn"):
        raise UnusableInput("has no learning sheet (the data only): there are no formulas to check")
    return dataclasses.replace(loaded, path=path), None


# -- judging each cell -------------------------------------------------------------------------
def _judge_quantity(loaded: Loaded, places: Places, diagnoser: Diagnoser, v, name: str,
                    tol: Tolerance) -> tuple[list[Finding], int]:
    """The findings in one quantity's cells, and how many of its cells were graded."""
    layout, n, k = loaded.layout, loaded.n_images, loaded.n_iterations
    q = layout[name]
    grid = loaded.cells[name]
    found, local, e2e = v.found[name], v.local[name], v.end_to_end[name]
    ok_e2e, ok_local, can = agree(found, e2e, tol), agree(found, local, tol), known(local)
    candidates = None
    out, graded = [], 0
    for index in np.ndindex(grid.shape):
        cell = grid[index]
        iteration, image, unit, r, c = layout.index_parts(q, index)
        template = q.formula_for(image, iteration)
        if not template or not template.startswith("="):
            continue  # a typed value (iteration 1's parameters) or a constant: given, not graded
        graded += 1
        expected_formula = layout.formula(q, n, loaded.sheet_names, image, unit, r, c, iteration, k)
        wrong_here = bool(can[index] and not ok_local[index])
        kind, d = None, None
        if cell is None or (cell.formula is None and cell.kind == ""):
            kind, d = "empty", diagnoser.empty(expected_formula)
        elif cell.kind == "":
            kind, d = "no_value", diagnoser.no_value()
        elif cell.formula is None:
            kind = "value" if wrong_here or (not can[index] and not ok_e2e[index]) else "formula"
            d = diagnoser.typed(expected_formula)
        else:
            same = same_formula(cell.formula, expected_formula)
            fd = None if same else diagnoser.from_formula(name, index, cell.formula, expected_formula)
            if fd is not None and fd.code == "external_link":
                kind, d = "external", fd
            elif wrong_here:
                kind = "value"
                if same:
                    d = diagnoser.stale()
                elif fd is not None and fd.structural:
                    d = fd
                else:
                    if not q.text and cell.kind == "n":
                        if candidates is None:
                            candidates = mistakes(name, loaded, v)
                        d = diagnoser.from_value(name, index, cell.value, candidates)
                    d = d or fd or (diagnoser.error(cell.value) if cell.kind == "e" else None)
                    d = d or diagnoser.foreign(cell.formula) or diagnoser.unexplained()
            else:
                d = fd if fd is not None and fd.structural else (None if same else diagnoser.foreign(cell.formula))
                if d is not None:
                    kind = "value" if not can[index] and not ok_e2e[index] else "formula"
        if kind is None and not ok_e2e[index]:
            kind = "inherited"
        if kind is None:
            continue
        out.append(Finding(
            quantity=name, index=index, cell=loaded.where(name, index),
            image=image + 1 if q.per_image else None, iteration=iteration + 1 if q.per_iteration else None,
            label=places.label(name, index), kind=kind, diagnosis=d,
            found=None if cell is None else cell.value, expected=_plain(e2e[index]),
            expected_locally=_plain(local[index]) if can[index] else None,
            formula=None if cell is None else cell.formula, expected_formula=expected_formula,
        ))
    return out, graded


def _plain(v):
    if v is None or isinstance(v, str):
        return v
    v = float(v)
    return None if np.isnan(v) else v


# -- root causes -------------------------------------------------------------------------------
def _group(findings: list[Finding], places: Places) -> list[RootCause]:
    groups: dict[tuple, RootCause] = {}
    for f in findings:
        if f.kind == "inherited":
            continue
        code = f.diagnosis.code
        q = places.layout[f.quantity]
        if code in _WHOLE_QUANTITY:
            key = (f.quantity, code)
        else:  # the same mistake made once and filled across the images, down the units, down the iterations
            shape = _mistake_shape(f, places) if f.formula else None
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
    for (value, kind, _), ref in zip(P.tokens, P.refs):
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
            moved = dataclasses.replace(moved, top=top, bottom=bottom)
        out.append((ref.sheet or "").upper() + "!" + (moved.text() if moved is not None else "#REF!"))
    return "".join(out)


def _attribute(findings: list[Finding], roots: list[RootCause], loaded: Loaded, v, places: Places) -> None:
    """Each inherited cell gets the root causes upstream of it; each root cause counts them."""
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


def _unit_label(f: Finding) -> str:
    return f.label.split("(")[0]
