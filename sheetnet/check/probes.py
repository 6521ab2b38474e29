"""Is the student's formula the book's formula, whatever its text? Compared on probe values.

Two formulas at the same cells are the same function of what they read when they agree on the
workbook's own values and on a few *probe* rounds: every cell either formula reads gets another value —
a deterministic function of its place and the round, so every run gives the same verdict — and both
are evaluated again. Numbers get numbers (from several ranges: −2…2, 0/1 for ties and digits, …),
text gets one of the texts around (the verdicts ○ × and the formulas' own strings), a boolean a boolean;
blanks and error values stay. A cell that only links another (=Data!K5) gets that cell's probe value,
so reading the pixels through x or from Data directly is the same function.

A verdict may be the student's own (✓/✗, 1/0, TRUE/FALSE): for a text quantity the student's results
need only map one-to-one onto the book's (`Relabel`), and the book's formulas downstream then read
the student's verdicts through that map.
"""

from __future__ import annotations

import re

import numpy as np

from sheetnet.formula import values as fv
from sheetnet.formula.family import Family
from sheetnet.formula.grid import Book, SheetGrid
from sheetnet.formula.values import BLANK, BOOL, NOVALUE, NULL, NUM, TEXT, V
from sheetnet.record import record

ROUNDS = 4  # probe rounds besides the workbook's own values
LINK_DEPTH = 128  # links followed from link to link at most, over all the sheets: a circular chain (=L6 in L5,
# =L5 in L6, saved by Excel with a warning and zeros) would never end; a longer one's last cells keep their own
# probe values (two frames of Python's stack a link)
_LINK = r"^=\s*((?:'(?:[^']|'')+'|[^\W\d][\w.]*)!)?\$?([A-Za-z]{1,3})\$?([0-9]{1,7})\s*$"  # (compiled by links_of, when first used)


def same(a: V, b: V, tol, dialect: str = "excel") -> np.ndarray:
    """Per cell (first axis): do two results agree? Numbers within tol, text exactly, booleans and
    blanks alike, any error value with any error value (programs differ in which one they give);
    nothing agrees with a value that is not known (computed from a formula saved without its value)."""
    if not len(a.num):  # no cell to compare (a reshape to (0, -1) would fail)
        return np.zeros(0, dtype=bool)
    if a.kind is None and b.kind is None:  # numbers only (the common case): within tol, element by element
        return close(a.num.reshape(len(a.num), -1), b.num.reshape(len(b.num), -1), tol).all(axis=1)
    ka, kb = a.kinds.reshape(len(a.num), -1), b.kinds.reshape(len(b.num), -1)
    na, nb = a.num.reshape(ka.shape), b.num.reshape(kb.shape)
    if dialect == "libreoffice":  # a boolean is a number there
        ka, kb = np.where(ka == BOOL, NUM, ka), np.where(kb == BOOL, NUM, kb)
    ea, eb = (ka >= NULL) & (ka != NOVALUE), (kb >= NULL) & (kb != NOVALUE)
    out = ((ka == kb) & (ka != NOVALUE)) | (ea & eb)
    numeric = (ka == NUM) & (kb == NUM)
    out &= ~numeric | close(na, nb, tol)
    out &= ~((ka == BOOL) & (kb == BOOL)) | (na == nb)
    texts = (ka == TEXT) & (kb == TEXT)
    if texts.any():
        ta, tb = a.texts().reshape(ka.shape), b.texts().reshape(kb.shape)
        out &= ~texts | (ta == tb)
    return out.all(axis=1)


def close(a: np.ndarray, b: np.ndarray, tol) -> np.ndarray:
    """Element by element: within tol.rel of the larger of the two, or within tol.abs (NaN: close to nothing)."""
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= np.maximum(tol.rel * np.maximum(np.abs(a), np.abs(b)), tol.abs)


# -- probe values ------------------------------------------------------------------------------------
def _unit(rows: np.ndarray, cols: np.ndarray, round_: int, salt: int) -> np.ndarray:
    """A deterministic number in [0, 1) per (row, col, round, sheet): an integer hash, no random state."""
    x = (rows.astype(np.uint64) * np.uint64(0x9E3779B1) + cols.astype(np.uint64) * np.uint64(0x85EBCA77)
         + np.uint64(round_ * 0x27D4EB2F + salt + 1))
    x ^= x >> np.uint64(15)
    x *= np.uint64(0x2C1B3C6D)
    x ^= x >> np.uint64(12)
    x *= np.uint64(0x297A2D39)
    x ^= x >> np.uint64(15)
    return (x % np.uint64(1 << 24)).astype(np.float64) / float(1 << 24)


def _numbers(u: np.ndarray, round_: int) -> np.ndarray:
    if round_ == 0:
        return u * 4.0 - 2.0  # −2…2: signs, sizes, no ties
    if round_ == 1:
        return np.floor(u * 2.0)  # 0 or 1: ties, digits, pixels
    if round_ == 2:
        return u  # 0…1: the sigmoid's range
    return np.floor(u * 4.0) - 1.0  # −1, 0, 1, 2: small integers


class ProbeGrid:
    """A sheet's cells with probe values in place of its numbers, text and booleans (see the module)."""

    def __init__(self, base: SheetGrid, round_: int, salt: int, vocabulary: list[str], links: dict, book: "Book",
                 following: list[int] | None = None):
        self.base, self.round, self.salt, self.vocabulary, self.links, self.book = base, round_, salt, vocabulary, links, book
        self.name = base.name
        self.following = following if following is not None else [0]  # links being followed now (a gather
        # within a gather), shared by the probe book's sheets

    @property
    def shape(self):
        return self.base.shape

    def gather(self, rows: np.ndarray, cols: np.ndarray) -> V:
        v = self.base.gather(rows, cols)
        rows, cols = np.broadcast_arrays(rows, cols)
        kind = v.kinds.copy()
        u = _unit(rows, cols, self.round, self.salt)
        num = np.where(kind == NUM, _numbers(u, self.round), np.nan)
        is_bool = kind == BOOL
        num = np.where(is_bool, (u < 0.5).astype(float), num)
        text = None
        if (kind == TEXT).any():
            words = np.array(self.vocabulary or ["a", "b"], dtype=object)
            text = np.where(kind == TEXT, words[np.minimum((u * len(words)).astype(int), len(words) - 1)], None)
        if self.links and self.following[0] < LINK_DEPTH:
            self.following[0] += 1
            try:
                text = self._follow(rows, cols, kind, num, text)
            finally:
                self.following[0] -= 1
        return fv.from_kinds(num, kind, text)

    def _follow(self, rows: np.ndarray, cols: np.ndarray, kind: np.ndarray, num: np.ndarray,
                text: np.ndarray | None) -> np.ndarray | None:
        """The linked cells' values put in place of their own (kind, num in place; the texts returned):
        each sheet's read at once, a link to a link too (a gather cell by cell made chapter 3's 64 images ×
        12 pixels ~10,000 gathers for a student's own formulas)."""
        at = np.nonzero((kind != BLANK) & (kind < NULL))
        targets = list(map(self.links.get, zip(rows[at].tolist(), cols[at].tolist())))
        by_sheet: dict[str, list[int]] = {}
        for n, target in enumerate(targets):
            if target is not None:
                by_sheet.setdefault(target[0], []).append(n)
        for sheet, ns in by_sheet.items():
            grid = self.book.grid(sheet)
            if grid is None:
                continue
            t = grid.gather(np.array([targets[n][1] for n in ns]).reshape(-1, 1, 1),
                            np.array([targets[n][2] for n in ns]).reshape(-1, 1, 1))
            where = tuple(axis[ns] for axis in at)
            kind[where], num[where] = t.kinds.reshape(-1), t.num.reshape(-1)
            if t.text is not None:
                if text is None:
                    text = np.full(kind.shape, None, dtype=object)
                text[where] = t.text.reshape(-1)
        return text


class MappedGrid:
    """A sheet seen through relabelled verdicts: at `cells`, the student's values read as the book's."""

    def __init__(self, base, mask: np.ndarray, mapping: dict):
        self.base, self.mask, self.mapping, self.name = base, mask, mapping, base.name

    @property
    def shape(self):
        return self.base.shape

    def gather(self, rows: np.ndarray, cols: np.ndarray) -> V:
        v, rows, cols, hit = _masked_gather(self.base, self.mask, rows, cols)
        if not hit.any():
            return v
        num, kind = v.num.copy(), v.kinds.copy()
        text = np.full(num.shape, None, dtype=object) if v.text is None else v.text.copy()
        for index in zip(*np.nonzero(hit)):
            found = self.mapping.get(fv.python_value(v, index), _MISSING)
            if found is _MISSING:
                continue
            num[index], kind[index], text[index] = _as_cell(found)
        return fv.from_kinds(num, kind, text)


_MISSING = object()


def _masked_gather(base, mask: np.ndarray, rows: np.ndarray, cols: np.ndarray):
    """The base sheet's values at (rows, cols), the broadcast addresses, and which of them fall in `mask`."""
    v = base.gather(rows, cols)
    rows, cols = np.broadcast_arrays(rows, cols)
    R, C = mask.shape
    inside = (rows < R) & (cols < C)
    hit = np.zeros(rows.shape, dtype=bool)
    hit[inside] = mask[rows[inside], cols[inside]]
    return v, rows, cols, hit


def _as_cell(x) -> tuple[float, int, object]:
    if isinstance(x, bool):
        return float(x), BOOL, None
    if isinstance(x, str) and x.startswith("#") and x in fv.ERROR_CODE:
        return np.nan, fv.ERROR_CODE[x], None
    if isinstance(x, str):
        return np.nan, TEXT, x
    if x is None:
        return np.nan, BLANK, None
    return float(x), NUM, None


class ChoiceGrid:
    """Probe values of the student's own verdicts: at `mask`, one of the student's symbols (so that the
    book's formula, reading them through the Relabel's map, sees the book's)."""

    def __init__(self, base, mask: np.ndarray, choices: list, round_: int):
        self.base, self.mask, self.choices, self.round, self.name = base, mask, choices, round_, base.name

    @property
    def shape(self):
        return self.base.shape

    def gather(self, rows: np.ndarray, cols: np.ndarray) -> V:
        v, rows, cols, hit = _masked_gather(self.base, self.mask, rows, cols)
        if not hit.any():
            return v
        u = _unit(rows, cols, self.round + 101, 7)
        num, kind = v.num.copy(), v.kinds.copy()
        text = np.full(num.shape, None, dtype=object) if v.text is None else v.text.copy()
        for index in zip(*np.nonzero(hit)):
            num[index], kind[index], text[index] = _as_cell(self.choices[int(u[index] * len(self.choices))])
        return fv.from_kinds(num, kind, text)


@record
class Relabel:
    """The student's own verdict symbols: at these cells (sheet name → dense mask), value → the book's."""

    quantity: str
    masks: dict[str, np.ndarray]
    mapping: dict

    def view(self, book: Book) -> Book:
        """The book as the layout's formulas read it: the student's symbols as the book's."""
        return book.derived({name: MappedGrid(book.grid(name), mask, self.mapping) for name, mask in self.masks.items()})

    def probes(self, book: Book, round_: int) -> Book:
        """Probe values in the student's own symbols at the relabelled cells."""
        choices = list(self.mapping)
        return book.derived({name: ChoiceGrid(book.grid(name), mask, choices, round_) for name, mask in self.masks.items()})


def probe_book(book: Book, round_: int, vocabulary: list[str], links: dict[str, dict]) -> Book:
    """The workbook with probe values in every sheet (lazily, sheet by sheet)."""
    probes = Book.__new__(Book)
    probes.__dict__.update(book.__dict__)
    base_load = book.grid

    def load(name: str):
        base = base_load(name)
        if base is None:
            return None
        salt = sum(ord(ch) * (k + 1) for k, ch in enumerate(name.upper())) % 65_521
        return ProbeGrid(base, round_, salt, vocabulary, links.get(name, {}), probes, following)

    following = [0]  # (one count for all the sheets: a circular chain may run through several)
    probes._load = load
    probes._grids = {}
    return probes


def links_of(sheet_cells: dict, sheet: str, sheet_name_of) -> dict[tuple[int, int], tuple[str, int, int]]:
    """Cells whose formula only links one other cell (=Data!K5, =O28): (row, col) → (sheet, row, col)."""
    from sheetnet.xlsx.refs import col_number

    out, link = {}, re.compile(_LINK)
    for (r, c), cell in sheet_cells.items():
        f = cell.formula
        if f is None or len(f) > 48 or "(" in f:
            continue
        m = link.match(f)
        if not m:
            continue
        target_sheet = sheet
        if m.group(1):
            raw = m.group(1)[:-1]
            raw = raw[1:-1].replace("''", "'") if raw.startswith("'") else raw
            target_sheet = sheet_name_of(raw)
            if target_sheet is None:
                continue
        out[(r, c)] = (target_sheet, int(m.group(3)), col_number(m.group(2).upper()))
    return out


def vocabulary(*families_and_values) -> list[str]:
    """The texts probes choose from: the formulas' string constants and the texts their cells hold."""
    words: set[str] = set()
    for item in families_and_values:
        if isinstance(item, Family):
            words |= _strings(item.parsed.tree)
        elif isinstance(item, V) and item.text is not None:
            words |= {t for t in item.text.reshape(-1) if isinstance(t, str)}
    return sorted(words) or ["a", "b"]


def _strings(tree) -> set[str]:
    if not isinstance(tree, tuple):
        return set()
    if tree and tree[0] == "str":
        return {tree[1]}
    out = set()
    for part in tree[1:]:
        if isinstance(part, tuple):
            if part and isinstance(part[0], str):
                out |= _strings(part)
            else:
                for p in part:
                    out |= _strings(p)
    return out


def read_values(family: Family, book: Book, index=None) -> list[V]:
    """What the family's references hold at its cells (for the vocabulary of text probes)."""
    out = []
    cells = family.cells(index)
    for k, (top, left, bottom, right) in enumerate(cells.corners):
        sheet = cells.ref_sheets[k] or family.sheet
        grid = book.grid(sheet)
        if grid is None:
            continue
        top, left, bottom, right = (np.broadcast_to(np.asarray(x), (cells.m,)) for x in (top, left, bottom, right))
        if cells.m == 0:
            continue
        h, w = int(bottom[0] - top[0]) + 1, int(right[0] - left[0]) + 1
        if h * w * cells.m > 200_000 or h <= 0 or w <= 0:
            continue
        out.append(grid.gather(top[:, None, None] + np.arange(h)[None, :, None], left[:, None, None] + np.arange(w)[None, None, :]))
    return out


def known(v: V) -> np.ndarray:
    """Per cell: is the value known (not computed from a formula saved without its value)?"""
    if not len(v.num):
        return np.zeros(0, dtype=bool)
    if v.kind is None:  # numbers only
        return np.ones(len(v.num), dtype=bool)
    return (v.kinds.reshape(len(v.num), -1) != NOVALUE).all(axis=1)
