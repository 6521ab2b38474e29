"""What the student's formula computes differently from the book's, read off the two syntax trees.

Both formulas at the same cell are parsed; each reference becomes the cells it names (so the student's
defined name or another sheet's name for the same cells compares equal), and the trees are compared
from the top: equal parts are skipped (+, *, = in either order, SUMPRODUCT's arguments in any order),
and each smallest part that differs is phrased in the student's terms (quantity labels, not addresses).
A few differences have their own phrasing — a threshold where the book compares two values, a term
left out or added, another function, another reference, the opposite sign —; any other gets the
generic "computes … where the book computes …".

In hint mode (`check --hints`) only the student's side is said: what the formula does, never what the
book's does.
"""

from __future__ import annotations

from sheetnet.check.places import Places
from sheetnet.formula.syntax import Parsed
from sheetnet.i18n import _
from sheetnet.record import record

_COMPARISONS = ("=", "<>", "<", ">", "<=", ">=")
_COMMUTATIVE = ("+", "*", "=", "<>")
_MAX_TEXT = 70


@record(frozen=True)
class Explanation:
    text: str  # what differs, both sides
    hint: str  # the student's side only
    specific: bool  # one of the named phrasings (False: the generic one)


class Explainer:
    def __init__(self, places: Places, own_role: str, image: int | None, name_cells=None, iteration: int | None = None):
        self.places, self.own_role, self.image, self.iteration = places, own_role, image, iteration
        self.name_cells = name_cells  # a defined name → ("cells", role, corners), or None

    def explain(self, student: Parsed, book: Parsed) -> Explanation | None:
        if student.tree is None or book.tree is None:
            return None
        a, b = self._resolve(student.tree, student), self._resolve(book.tree, book)
        pairs = _diff(a, b)
        if not pairs:
            return None
        said = [self._phrase(*pair) for pair in pairs[:2]]
        more = _(" (and {n} more differences)").format(n=len(pairs) - 2) if len(pairs) > 2 else ""
        text = "; ".join(s[0] for s in said) + more
        hint = "; ".join(s[1] for s in said) + more
        return Explanation(text, hint, all(s[2] for s in said))

    # -- trees with references as cells ---------------------------------------------------------------
    def _resolve(self, node, p: Parsed):
        kind = node[0]
        if kind == "ref":
            r = p.references[node[1]]
            role = self.places.role(r.sheet, self.own_role)
            return ("cells", role or (r.sheet or "").upper(), (r.top, r.left, r.bottom, r.right))
        if kind == "name":
            found = self.name_cells(node[1]) if self.name_cells else None
            return node if found is None else found
        if kind == "bin":
            return ("bin", node[1], self._resolve(node[2], p), self._resolve(node[3], p))
        if kind in ("neg", "pct"):
            return (kind, self._resolve(node[1], p))
        if kind == "fn":
            return ("fn", node[1], tuple(self._resolve(a, p) for a in node[2]))
        return node

    # -- phrasing ------------------------------------------------------------------------------------
    def _phrase(self, a, b, op=None) -> tuple[str, str, bool]:
        r = self.render
        if a is None:  # terms or factors of the book's that the student's formula does not have
            parts = " ".join(f"{_op(op)} {r(x)}" for x in b)
            return (_("leaves out {parts}").format(parts=parts), _("leaves out a part of the formula"), True)
        if b is None:  # … and ones it has that the book's does not
            parts = " ".join(f"{_op(op)} {r(x)}" for x in a)
            return (_("adds {parts}, which the book does not").format(parts=parts),
                    _("adds {parts}, which does not belong").format(parts=parts), True)
        if a[0] == b[0] == "bin" and a[1] == b[1] == "-" and _eq(a[2], b[3]) and _eq(a[3], b[2]):
            return (_("subtracts the other way round: {a} where the book has {b} (the opposite sign)").format(
                a=r(a), b=r(b)), _("look at the order of the subtraction {a}").format(a=r(a)), True)
        if a[0] == "bin" and b[0] == "bin" and a[1] in _COMPARISONS and b[1] in _COMPARISONS:
            if _eq(a[2], b[2]) and a[3][0] == "num" and b[3][0] != "num":
                return (_("this thresholds {x} at {t}; the book compares {x} with {y}").format(
                    x=r(a[2]), t=r(a[3]), y=r(b[3])), _("this thresholds {x} at {t}").format(x=r(a[2]), t=r(a[3])), True)
            if _eq(a[2], b[2]) and _eq(a[3], b[3]):
                return (_("compares with {a} where the book uses {b} (they differ when the two are equal)").format(
                    a=a[1], b=b[1]) if {a[1], b[1]} in ({">", ">="}, {"<", "<="}) else
                    _("compares with {a} where the book uses {b}").format(a=a[1], b=b[1]),
                    _("look at the comparison {a}").format(a=a[1]), True)
        if a[0] == "cells" and b[0] == "cells":
            return (_("reads {a} where the book reads {b}").format(a=r(a), b=r(b)),
                    _("reads {a} here").format(a=r(a)), True)
        if a[0] == "fn" and b[0] == "fn" and a[1] != b[1]:
            return (_("uses {f} where the book uses {g}").format(f=a[1], g=b[1]),
                    _("uses {f} here").format(f=a[1]), True)
        if a[0] == "num" and b[0] == "num":
            return (_("uses {a} where the book uses {b}").format(a=r(a), b=r(b)),
                    _("uses the number {a} here").format(a=r(a)), True)
        if b[0] == "bin" and b[1] in ("+", "-", "*", "/"):
            if _eq(a, b[2]):
                return (_("leaves out {op} {y}").format(op=_op(b[1]), y=r(b[3])),
                        _("leaves out a part of the formula"), True)
            if _eq(a, b[3]) and b[1] in ("+", "*"):
                return (_("leaves out {y} {op}").format(op=_op(b[1]), y=r(b[2])),
                        _("leaves out a part of the formula"), True)
        if a[0] == "bin" and a[1] in ("+", "-", "*", "/", "^"):
            if _eq(a[2], b):
                return (_("adds {op} {y}, which the book does not").format(op=_op(a[1]), y=r(a[3])),
                        _("adds {op} {y}, which does not belong").format(op=_op(a[1]), y=r(a[3])), True)
            if _eq(a[3], b) and a[1] in ("+", "*"):
                return (_("adds {y} {op}, which the book does not").format(op=_op(a[1]), y=r(a[2])),
                        _("adds {y} {op}, which does not belong").format(op=_op(a[1]), y=r(a[2])), True)
        if (a[0] == "neg" and _eq(a[1], b)) or (b[0] == "neg" and _eq(b[1], a)):
            return (_("has the opposite sign: {a} where the book has {b}").format(a=r(a), b=r(b)),
                    _("look at the sign of {a}").format(a=r(a)), True)
        return (_("computes {a} where the book computes {b}").format(a=r(a), b=r(b)),
                _("computes {a}, which is not what belongs here").format(a=r(a)), False)

    def render(self, node) -> str:
        text = self._render(node, 0)
        return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT - 1] + "…"

    def _render(self, node, level: int) -> str:
        kind = node[0]
        if kind == "num":
            x = node[1]
            return str(int(x)) if x == int(x) and abs(x) < 1e15 else format(x, ".6g")
        if kind == "str":
            return '"' + node[1] + '"'
        if kind == "bool":
            return "TRUE" if node[1] else "FALSE"
        if kind in ("err", "name"):
            return node[1]
        if kind == "missing":
            return ""
        if kind == "cells":
            return self._cells(node)
        if kind == "neg":
            return "−" + self._render(node[1], 9)
        if kind == "pct":
            return self._render(node[1], 9) + "%"
        if kind == "fn":
            return node[1] + "(" + ", ".join(self._render(a, 0) for a in node[2]) + ")"
        if kind == "bin":
            mine = {"^": 5, "*": 4, "/": 4, "+": 3, "-": 3, "&": 2}.get(node[1], 1)
            text = self._render(node[2], mine) + _op(node[1]) + self._render(node[3], mine + 1)
            return f"({text})" if mine < level else text
        return "…"

    def _cells(self, node) -> str:
        role, (top, left, bottom, right) = node[1], node[2]
        from sheetnet.xlsx.refs import range_name

        if (bottom - top + 1) * (right - left + 1) <= 20_000:
            found = {p for row in range(top, bottom + 1) for col in range(left, right + 1)
                     if (p := self.places.at(role, row, col)) is not None}
            cells = (bottom - top + 1) * (right - left + 1)
            if found and len(found) == cells:
                text = self._part(found, bottom - top + 1, right - left + 1) or self.places.describe(found, addresses=False)
                if self.image is not None:  # this cell's own image goes without saying
                    text = text.replace(_("{what} of image {n}").format(what="", n=self.image + 1), "")
                if self.iteration is not None:
                    text = text.replace(_("{what} in iteration {n}").format(what="", n=self.iteration + 1), "")
                return text
        sheet = self.places.loaded.sheet_names.get(role, role) if role in self.places.loaded.sheet_names else role
        address = range_name(top, left, bottom, right)
        return address if role == self.own_role else f"{sheet}!{address}"


    def _part(self, found: set, h: int, w: int) -> str | None:
        """Part of one item (a window of a feature map): 'aF_1(1,1)–(3,3)', of its image as describe says."""
        items = {(name, index[:-2]) for name, index in found}
        if len(items) != 1 or len(found) < 2:
            return None
        name, head = next(iter(items))
        q = self.places.layout[name]
        if len(found) >= q.place.shape[0] * q.place.shape[1]:
            return None
        ordered = sorted(found, key=lambda p: p[1])
        first, last = self.places.layout.shown_label(*ordered[0]), self.places.layout.shown_label(*ordered[-1])
        tail = last[last.index("("):] if "(" in last else last
        whole = self.places.describe({ordered[0]}, addresses=False)  # 'aF_1(1,1) of image 2', as translated
        return whole.replace(first, f"{first}–{tail}", 1) + f" ({h}×{w})"


def _op(op: str) -> str:
    return {"-": "−", "*": "×", "/": "/", "<=": "≤", ">=": "≥", "<>": "≠"}.get(op, op)


def _chain(node, op: str) -> list:
    """The operands of a chain of one associative operator (a·b·c, a+b+c), in any grouping."""
    if node[0] == "bin" and node[1] == op:
        return _chain(node[2], op) + _chain(node[3], op)
    return [node]


def _unmatched(xs: list, ys: list) -> tuple[list, list]:
    """What is left of two operand lists once equal operands are paired off."""
    rest = list(ys)
    left = []
    for x in xs:
        k = next((k for k, y in enumerate(rest) if _eq(x, y)), None)
        if k is None:
            left.append(x)
        else:
            rest.pop(k)
    return left, rest


def _eq(a, b) -> bool:
    if a == b:
        return True
    if a[0] != b[0]:
        return False
    if a[0] == "bin" and a[1] == b[1]:
        if a[1] in ("+", "*"):
            left, rest = _unmatched(_chain(a, a[1]), _chain(b, b[1]))
            return not left and not rest
        return (_eq(a[2], b[2]) and _eq(a[3], b[3])) or (a[1] in _COMMUTATIVE and _eq(a[2], b[3]) and _eq(a[3], b[2]))
    if a[0] == "fn" and a[1] == b[1] and len(a[2]) == len(b[2]):
        if a[1] == "SUMPRODUCT":
            left, rest = _unmatched(list(a[2]), list(b[2]))
            return not left and not rest
        return all(_eq(x, y) for x, y in zip(a[2], b[2]))
    if a[0] in ("neg", "pct"):
        return _eq(a[1], b[1])
    return False


def _diff(a, b) -> list[tuple]:
    """The smallest differing parts of two trees: (student's, book's) pairs, or (None, [book's], op) for
    what the student's leaves out of a sum or product, ([student's], None, op) for what it adds."""
    if _eq(a, b):
        return []
    for op in ("+", "*"):
        if (a[0] == "bin" and a[1] == op) or (b[0] == "bin" and b[1] == op):
            left, rest = _unmatched(_chain(a, op), _chain(b, op))
            if len(left) + len(rest) < len(_chain(a, op)) + len(_chain(b, op)):  # something in common
                if not left:
                    return [(None, rest, op)]
                if not rest:
                    return [(left, None, op)]
                if len(left) == 1 and len(rest) == 1:
                    return _diff(left[0], rest[0])
    if a[0] == b[0] == "bin" and a[1] == b[1]:
        straight = _diff(a[2], b[2]) + _diff(a[3], b[3])
        if a[1] in _COMMUTATIVE:
            crossed = _diff(a[2], b[3]) + _diff(a[3], b[2])
            if len(crossed) < len(straight):
                return crossed
        if a[1] == "-" and _eq(a[2], b[3]) and _eq(a[3], b[2]):
            return [(a, b)]
        return straight if len(straight) <= 2 else [(a, b)]
    if a[0] == b[0] == "fn" and a[1] == b[1] and len(a[2]) == len(b[2]):
        parts = []
        for x, y in zip(a[2], b[2]):
            parts += _diff(x, y)
        return parts if len(parts) <= 2 else [(a, b)]
    if a[0] == b[0] and a[0] in ("neg", "pct"):
        return _diff(a[1], b[1])
    return [(a, b)]
