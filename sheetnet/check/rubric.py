"""Scores a teacher can use: mistakes counted, not cells.

Each graded quantity of the layout (Layout.graded: x, t, z2, …, C_T, accuracy) is a line of the rubric,
worth 1 point unless a rubric file says otherwise. A line with a root cause in any of its quantities
loses all its points; cells that only inherit an earlier mistake cost nothing (they are that mistake's,
counted once where it was made). So a C_T that sums 63 of 64 images is a wrong C_T — one line lost —
and a z2 formula with the bias missing, filled across 64 images, is one mistake, not 64 wrong cells.

A line loses its points wholly, not in part: a root cause is one formula written wrong (however often
it was filled), and the places it was filled to say nothing about how wrong it is.

A rubric file (TOML, `check --rubric FILE`; docs/check-json.md has the format) sets points per
quantity, groups quantities into one line, and drops quantities (0 points).
"""

from __future__ import annotations

import math
from pathlib import Path

from sheetnet.errors import UnusableInput
from sheetnet.i18n import _
from sheetnet.inputs import require_file
from sheetnet.record import field, record


@record(frozen=True)
class Line:
    name: str
    quantities: tuple[str, ...]
    points: float


@record(frozen=True)
class Rubric:
    lines: tuple[Line, ...] = ()  # the lines the file writes out
    default: float = 1.0  # points of every graded quantity that no line names (0: not graded)
    title: str = ""
    file: str | None = None  # where it was read from; None: the default rubric
    kind: str | None = None  # the kind of workbook it is written for (None: any)

    @property
    def named(self) -> set[str]:
        return {q for line in self.lines for q in line.quantities}


DEFAULT = Rubric()


@record
class LineScore:
    name: str
    quantities: tuple[str, ...]
    points: float
    earned: float
    root_causes: list[str] = field(default_factory=list)  # the ids (R1, …) that cost it its points


@record
class RubricScore:
    title: str
    file: str | None
    lines: list[LineScore]

    @property
    def possible(self) -> float:
        return sum(line.points for line in self.lines)

    @property
    def earned(self) -> float:
        return sum(line.earned for line in self.lines)

    @property
    def score(self) -> float:
        return self.earned / self.possible if self.possible else 0.0

    @property
    def lost(self) -> list[LineScore]:
        return [line for line in self.lines if line.earned < line.points]


def score(result, rubric: Rubric = DEFAULT) -> RubricScore:
    """The rubric applied to a check's result (UnusableInput: the rubric names what this workbook lacks)."""
    layout = result.loaded.layout
    graded = [name for name in layout.graded if name in result.loaded.cells]
    if rubric.kind is not None and rubric.kind != _kind_name(layout):
        raise UnusableInput(_("the rubric {file} is for {kind} workbooks, and this is a {this} workbook").format(
            file=rubric.file, kind=rubric.kind, this=_kind_name(layout)))
    foreign = sorted(rubric.named - set(graded), key=lambda q: (q not in layout.by_name, q))
    if foreign:
        raise UnusableInput(_("the rubric {file} names {names}, which this {kind} workbook does not grade "
                              "(it grades {graded})").format(file=rubric.file, names=", ".join(foreign),
                                                             kind=_kind_name(layout), graded=", ".join(graded)))
    causes: dict[str, list[str]] = {}
    for r in result.root_causes:
        causes.setdefault(r.quantity, []).append(r.id)
    order = {name: i for i, name in enumerate(graded)}
    lines = [line for line in rubric.lines if line.points > 0]
    lines += [Line(name, (name,), rubric.default) for name in graded if name not in rubric.named and rubric.default > 0]
    lines.sort(key=lambda line: min(order[q] for q in line.quantities))
    out = []
    for line in lines:
        ids = sorted({i for q in line.quantities for i in causes.get(q, [])}, key=lambda i: int(i[1:]))
        out.append(LineScore(line.name, line.quantities, line.points, 0.0 if ids else line.points, ids))
    return RubricScore(rubric.title, rubric.file, out)


def _kind_name(layout) -> str:
    """The kind's name as the command line says it (cnn, not the layout's chapter5_cnn)."""
    from sheetnet.mirror.kinds import KINDS

    return next((k.name for k in KINDS if k.layout is layout), layout.kind)


# -- the file ----------------------------------------------------------------------------------
_TOP = {"title", "kind", "default", "line"}
_LINE = {"name", "quantities", "points"}


MAX_RUBRIC_BYTES = 2**20  # a rubric is a few lines per quantity; bounded like every input


def load(path: str | Path) -> Rubric:
    """A rubric file, checked: one clear line (UnusableInput, naming the file) for anything wrong in it."""
    import tomllib  # only a teacher's rubric file needs it

    path = Path(path)
    subject = str(path)
    try:
        require_file(path, workbook=False)  # a FIFO would wait for ever, /dev/zero never end
    except UnusableInput as e:
        raise UnusableInput(_("--rubric: {message}").format(message=e), subject) from None
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_RUBRIC_BYTES + 1)
        if len(raw) > MAX_RUBRIC_BYTES:
            raise UnusableInput(_("--rubric: larger than {size} (a rubric is a short text file)").format(
                size=f"{MAX_RUBRIC_BYTES // 2**20} MiB"), subject)
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except FileNotFoundError:
        raise UnusableInput(_("--rubric: no such file"), subject) from None
    except (OSError, UnicodeDecodeError) as e:
        raise UnusableInput(_("--rubric: cannot be read ({e})").format(e=getattr(e, "strerror", None) or e),
                            subject) from None
    except tomllib.TOMLDecodeError as e:
        raise UnusableInput(_("--rubric: not valid TOML ({e})").format(e=e), subject) from None

    def bad(message: str, **kw) -> UnusableInput:
        return UnusableInput(_("--rubric: {message}").format(message=message.format(**kw)), subject)

    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise bad(_("unknown key {keys} (a rubric has title, kind, default and [[line]] tables)"),
                  keys=", ".join(unknown))
    title = data.get("title", "")
    if not isinstance(title, str):
        raise bad(_("title must be text"))
    known = _graded_by_kind()
    kind = data.get("kind")
    if kind is not None and kind not in known:
        raise bad(_("kind {kind!r} is not one of {kinds}"), kind=kind, kinds=", ".join(known))
    default = _points(data.get("default", 1), bad, "default")
    valid = set(known[kind]) if kind else {q for names in known.values() for q in names}
    tables = data.get("line", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise bad(_("line must be [[line]] tables"))
    lines, seen = [], {}
    for k, t in enumerate(tables, 1):
        extra = sorted(set(t) - _LINE)
        if extra:
            raise bad(_("line {k}: unknown key {keys} (a line has name, quantities and points)"),
                      k=k, keys=", ".join(extra))
        qs = t.get("quantities")
        if isinstance(qs, str):
            qs = [qs]
        if not isinstance(qs, list) or not qs or not all(isinstance(q, str) for q in qs):
            raise bad(_("line {k}: quantities must be a list of the layout's quantity names"), k=k)
        for q in qs:
            if q not in valid:
                raise bad(_("line {k}: {q!r} is not a graded quantity{of} (they are: {names})"), k=k, q=q,
                          of=_(" of {kind} workbooks").format(kind=kind) if kind else "",
                          names=", ".join(known[kind] if kind else _all_names(known)))
            if q in seen:
                raise bad(_("line {k}: {q!r} is already in line {j}"), k=k, q=q, j=seen[q])
            seen[q] = k
        name = t.get("name", " + ".join(qs))
        if not isinstance(name, str) or not name.strip():
            raise bad(_("line {k}: name must be text"), k=k)
        lines.append(Line(name.strip(), tuple(qs), _points(t.get("points", default), bad, f"line {k}: points")))
    rubric = Rubric(tuple(lines), default, title, str(path), kind)
    if not any(line.points > 0 for line in lines) and default <= 0:
        raise bad(_("it gives no points to anything (default = 0 and no line has points)"))
    return rubric


def _points(value, bad, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise bad(_("{what} must be a number of points, 0 or more"), what=what)
    return float(value)


def _graded_by_kind() -> dict[str, tuple[str, ...]]:
    from sheetnet.mirror.kinds import KINDS

    return {k.name: k.layout.graded for k in KINDS}


def _all_names(known: dict[str, tuple[str, ...]]) -> list[str]:
    return list(dict.fromkeys(q for names in known.values() for q in names))


def points_text(v: float) -> str:
    """3.0 → '3', 2.5 → '2.5'."""
    return f"{v:g}"
