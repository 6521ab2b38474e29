"""Name a wrong cell's mistake in the student's terms: from its formula, or from its value.

Formula analysis compares what the student's formula reads with what the layout's formula reads:
a missing bias, another unit's weights, another image's pixels, z where a belongs, a sum that misses
images, a relative reference that filling across moves off the parameters. Value analysis asks
which common mistake gives the value found (the sigmoid's sign, the cost without ½ …).
Structural findings are mistakes whatever the value shows (a relative reference is right in image 1
and wrong everywhere it is filled to); the others only explain a wrong value.
"""

from __future__ import annotations

import re

import numpy as np

from sheetnet.check.explain import Explainer
from sheetnet.check.formulas import Parsed, Ref, parse
from sheetnet.check.places import Place, Places, image_range
from sheetnet.formula import values as fv
from sheetnet.formula.functions import FUNCTIONS
from sheetnet.i18n import N_, _
from sheetnet.layout.model import _TOKEN
from sheetnet.record import record

MAX_EXPAND = 20_000  # cells of one reference looked at one by one; a whole column is not

# Every code a finding can carry (docs/check-json.md lists them for the JSON's readers).
CODES = (
    "stale", "empty", "no_value", "external_link", "typed_number", "missing_bias", "wrong_weight_row",
    "wrong_image", "wrong_pixels", "relative_reference", "absolute_reference", "z_for_a", "range_too_short",
    "exponent_sign", "no_sigmoid", "cost_without_half", "cost_without_square", "teacher_swapped",
    "prediction_reversed", "foreign_function", "wrong_reference", "error_value", "unexplained", "inherited",
    "circular_reference", "no_sigmoid_derivative", "update_sign", "eta_twice", "gradient_not_summed", "pooled_z",
    "shifted_window", "wrong_filter", "error_to_every_position", "different_function", "reads_text",
)

# What each diagnosis says in hint mode (`check --hints`): what is wrong, never the expected formula.
HINTS = {
    "stale": N_("the saved value is not what the formula computes: recalculate (the workbook is set to manual?)"),
    "empty": N_("empty: a formula belongs here"),
    "no_value": N_("the formula has no saved value: recalculate and save"),
    "external_link": N_("refers outside this workbook"),
    "typed_number": N_("a typed number where a formula belongs"),
    "missing_bias": N_("the bias is not added"),
    "wrong_weight_row": N_("reads another unit's weights"),
    "wrong_image": N_("reads another image's cells"),
    "wrong_pixels": N_("links the wrong pixel"),
    "relative_reference": N_("a relative reference where filling across needs an absolute one ($)"),
    "absolute_reference": N_("an absolute reference ($) where filling across needs a relative one"),
    "z_for_a": N_("reads z where a = σ(z) belongs"),
    "range_too_short": N_("the range does not cover every image"),
    "exponent_sign": N_("look at the sign of the exponent in the sigmoid"),
    "no_sigmoid": N_("the sigmoid is missing"),
    "cost_without_half": N_("the cost is missing a factor"),
    "cost_without_square": N_("the differences in the cost are not squared"),
    "teacher_swapped": N_("t1 and t2 are the wrong way round"),
    "prediction_reversed": N_("the prediction is the wrong way round"),
    "foreign_function": N_("uses a function sheetnet cannot check"),
    "wrong_reference": N_("reads other cells than it should"),
    "error_value": N_("holds an error value"),
    "unexplained": N_("the value is wrong"),
    "circular_reference": N_("reads its own cell"),
    "no_sigmoid_derivative": N_("the sigmoid's derivative is missing"),
    "update_sign": N_("the update goes the wrong way"),
    "eta_twice": N_("η is applied more than once"),
    "gradient_not_summed": N_("the gradient is not summed over the images"),
    "pooled_z": N_("pools z where a = σ(z) belongs"),
    "shifted_window": N_("the window is in the wrong place"),
    "wrong_filter": N_("uses another filter"),
    "error_to_every_position": N_("the pooled error reaches every cell of its window"),
    "different_function": N_("computes something else than what belongs here"),
    "reads_text": N_("reads a text cell where a number belongs"),
}

_ERROR_HINTS = {
    "#NAME?": N_(" (a misspelt function or name)"),
    "#VALUE!": N_(" (text where a number belongs)"),
    "#REF!": N_(" (a reference to a cell that no longer exists)"),
    "#DIV/0!": N_(" (a division by zero)"),
    "#N/A": N_(" (a value that is not available)"),
}


@record(frozen=True)
class Diagnosis:
    code: str
    text: str
    structural: bool = False  # a mistake in the formula itself, whatever its value
    hint: str = ""  # the text for `check --hints` (default: the code's HINTS line)

    @property
    def hint_text(self) -> str:
        return self.hint or _(HINTS.get(self.code) or declared(self.code, "hint") or self.code)


def declared(code: str, what: str) -> str:
    """A kind's own diagnosis code's title or hint, as its layout's Mistake declares it ('' if none):
    a new kind names its new mistakes in its layout, not here."""
    from sheetnet.mirror.kinds import KINDS  # the kinds import the checker's neighbours: asked late

    for kind in KINDS:
        for m in kind.layout.mistakes:
            if m.code == code and getattr(m, what):
                return getattr(m, what)
    return ""


class Diagnoser:
    def __init__(self, places: Places, tol_agree, values=None, hints: bool = False):
        self.places = places
        self.layout = places.layout
        self.n = places.n
        self._agree = tol_agree  # (found, expected) numbers → bool
        self.values = values  # sheetnet.check.local.Values: the workbook as evaluated
        self.hints = hints
        roles = self.layout.roles
        self.bias, self.weights = dict(roles.bias), dict(roles.weights)
        self.z_of, self.links, self.totals = dict(roles.activation), dict(roles.links), dict(roles.totals)

    # -- from the formula ----------------------------------------------------------------------
    def from_formula(self, name: str, index: tuple[int, ...], found: str, expected: str) -> Diagnosis | None:
        """The most telling mistake in how the formula reads the sheet, or None."""
        P, E = parse(found), parse(expected)
        if P.outside:
            return Diagnosis("external_link", _("refers outside this workbook ({link}): reported, not followed "
                                                "or run").format(link=P.outside[:80]), True)
        if P.unparsable:
            return None
        if self._reads_itself(name, index, P):
            return Diagnosis("circular_reference", _("reads its own cell (a circular reference): a spreadsheet "
                                                     "cannot calculate it"), True)
        return self._fill_across(name, index, P, E) or self._fill_down(name, index, P, E) or self._as_declared(name, index, P, E,
                                                                         self._reads(name, index, P, E))

    def _reads_itself(self, name: str, index: tuple[int, ...], P: Parsed) -> bool:
        q = self.layout[name]
        row, col = (int(v) for v in self.layout.positions(q, self.n, self.places.n_iterations)[index])
        return any(
            self.places.role(r.sheet, q.sheet) == q.sheet and r.top <= row <= r.bottom and r.left <= col <= r.right
            for r in P.references
        )

    def foreign(self, found: str) -> Diagnosis | None:
        P = parse(found)
        other = [f for f in dict.fromkeys(P.functions) if f not in FUNCTIONS]
        if not other:
            return None
        return Diagnosis("foreign_function", _("uses {these}, which sheetnet does not evaluate, so it cannot tell "
                                               "whether the formula is right (it evaluates {known})").format(
            these=", ".join(other), known=", ".join(sorted(FUNCTIONS))), True)

    # -- a formula sheetnet evaluated: not the book's function -------------------------------------
    def wrong_formula(self, g, i: int, index: tuple[int, ...], candidates, wrong_here) -> Diagnosis:
        """Why the student's formula at cell i (flat) of quantity g is not the book's: a reference mistake
        the layout knows, an error it gives (reading a text cell), a typical mistake whose value it has,
        or what it computes differently, from the two trees."""
        name, text, expected = g.name, g.texts[i], g.expected[i]
        own = fv.python_value(g.own, (i, 0, 0))
        if isinstance(own, str) and own in fv.ERROR_CODE:
            d = self.reads_text(g, i, index, text, expected)
            if d is not None:
                return d
        fd = self.from_formula(name, index, text, expected)
        if fd is not None and fd.structural:
            return fd
        if isinstance(own, str) and own in fv.ERROR_CODE:
            return self.error(own)
        found = fv.python_value(g.found, (i, 0, 0))
        if wrong_here[i] and isinstance(found, float) and candidates:
            d = self.from_value(name, i, found, candidates)
            if d is not None:
                return d
        e = self.explain(g, i, index, text, expected)
        if e is not None and (e.specific or fd is None):
            return Diagnosis("different_function", e.text, True, e.hint)
        if fd is not None:
            return Diagnosis(fd.code, fd.text, True, fd.hint)
        relabels = getattr(self.values, "relabels", None)
        if e is None and relabels:  # the book's formula, but over the student's own verdict symbols
            r = relabels[0]
            theirs = " / ".join(shown_symbol(k) for k in r.mapping)
            book = " / ".join(shown_symbol(v) for v in r.mapping.values())
            what = self.layout.shown(r.quantity)
            return Diagnosis("different_function", _("reads the {what} cells as if they held the book's {book}, but "
                                                     "yours hold {theirs}").format(what=what, book=book, theirs=theirs),
                             True, _("reads the {what} cells as if they held symbols they do not hold").format(what=what))
        return Diagnosis("different_function", _("computes something else than the book's formula (on the workbook's "
                                                 "values or on probe values)"), True)

    def explain(self, g, i, index, text: str, expected: str):
        q = self.layout[g.name]
        image = self.layout.index_parts(q, index)[1] if q.per_image else None
        book = self.values.workbook.book if self.values is not None else None

        def name_cells(name):
            if book is None:
                return None
            found = book.name(name, g.sheet)
            if found is None or found.corners is None:
                return None
            role = self.places.role(found.sheet, q.sheet)
            return ("cells", role or (found.sheet or "").upper(), found.corners)

        iteration = self.layout.index_parts(q, index)[0] if q.per_iteration else None
        return Explainer(self.places, q.sheet, image, name_cells, iteration).explain(parse(text), parse(expected))

    def reads_text(self, g, i, index, text: str, expected: str) -> Diagnosis | None:
        """A formula whose error comes from a text cell it reads: which text, where, and what belongs."""
        if self.values is None:
            return None
        book = self.values.workbook.book
        q = self.layout[g.name]
        P = parse(text)
        for r in P.references:
            grid = book.grid(r.sheet or g.sheet)
            if grid is None or r.area > 20_000:
                continue
            role = self.places.role(r.sheet, q.sheet)
            for row, col in r.cells():
                v = grid.gather(np.array([[[row]]]), np.array([[[col]]]))
                if v.kinds[0, 0, 0] != fv.TEXT:
                    continue
                p = self.places.at(role, row, col) if role else None
                if p is not None and self.layout[p[0]].text:
                    continue  # a verdict: text that belongs there
                shown = v.text[0, 0, 0]
                sheet = grid.name
                from sheetnet.xlsx.refs import cell_name

                where = f"{sheet}!{cell_name(row, col)}"
                E = parse(expected)
                fset, _s = self._cells(P, q.sheet)
                eset, _e = self._cells(E, q.sheet)
                missing = eset - fset
                belongs = self.places.describe(missing) if missing else _("a number")
                return Diagnosis("reads_text", _("reads the text {t!r} in {where} where {what} belongs: the result is "
                                                 "#VALUE!").format(t=str(shown)[:30], where=where, what=belongs),
                                 True, _("reads the text {t!r} in {where}, where a number belongs").format(
                                     t=str(shown)[:30], where=where))
        return None

    def unevaluable(self, text: str, found, i: int, unknown: set) -> Diagnosis:
        """A formula outside what sheetnet evaluates: its error value, else the function it cannot check."""
        value = fv.python_value(found, (i, 0, 0))
        if isinstance(value, str) and value in fv.ERROR_CODE:
            return self.error(value)
        d = self.foreign(text)
        if d is not None:
            return d
        what = ", ".join(sorted(str(u) for u in unknown)) or _("this formula")
        return Diagnosis("foreign_function", _("sheetnet cannot evaluate {what}, so it cannot tell whether the "
                                               "formula is right").format(what=what), True)

    def _fill_across(self, name, index, P: Parsed, E: Parsed) -> Diagnosis | None:
        if self.n < 2:
            return None
        q = self.layout[name]
        own = q.sheet
        image = self.layout.index_parts(q, index)[1]
        dc = self.places.image_shift(own, image) if q.per_image else 0
        expected = [(self.places.role(e.sheet, own), e) for e in E.references]
        for r in P.references:
            role = self.places.role(r.sheet, own)
            if role is None:
                continue
            if not r.columns_absolute:
                for erole, e in expected:
                    if erole != role or not e.columns_absolute:
                        continue
                    back = r.shifted(-dc) if dc else r
                    if r.same_cells(e):
                        return Diagnosis("relative_reference",
                                         _("{ref} should be the absolute {expected} ({what}): right here, but "
                                           "filling across moves a relative reference").format(
                                             ref=r.text(), expected=e.text(), what=self._what(role, e)), True)
                    if back is not None and back.same_cells(e):
                        return Diagnosis("relative_reference",
                                         _("{ref} was filled across as a relative reference where the absolute "
                                           "{expected} ({what}) belongs: here it reads {here}").format(
                                             ref=back.text(), expected=e.text(), what=self._what(role, e),
                                             here=r.text()), True)
            elif q.per_image:
                for erole, e in expected:
                    if erole != role or any(e.col_abs) or (e.top, e.bottom) != (r.top, r.bottom):
                        continue
                    step = self.layout.sheet(role).image_step[1]
                    delta = r.left - e.left
                    if step and delta % step == 0 and r.right - e.right == delta and self._per_image(role, e):
                        j = image + delta // step
                        if 0 <= j < self.n:
                            here = (_("right here, but filling across would not move it") if j == image
                                    else _("filled across it did not move, so it reads image {n}'s cells").format(
                                        n=j + 1))
                            return Diagnosis("absolute_reference",
                                             _("{ref} is an absolute reference where the relative {expected} ({what}) "
                                               "belongs: {here}").format(ref=r.text(), expected=e.text(),
                                                                         what=self._what(role, e), here=here), True)
        return None

    def _fill_down(self, name, index, P: Parsed, E: Parsed) -> Diagnosis | None:
        """A relative row where the absolute one belongs, in a quantity filled down (one step a row:
        the descent's η in $F$5 written F5): right in the first step, moved off in every later one."""
        q = self.layout[name]
        own = q.sheet
        step = self.layout.sheet(own).iteration_step[0]
        if not (q.per_iteration and step) or self.places.n_iterations < 2:
            return None
        dr = step * self.layout.index_parts(q, index)[0]
        expected = [(self.places.role(e.sheet, own), e) for e in E.references if all(e.row_abs)]
        for r in P.references:
            role = self.places.role(r.sheet, own)
            if role is None or all(r.row_abs):
                continue
            back = r.shifted(0, -dr)
            for erole, e in expected:
                if erole != role:
                    continue
                if r.same_cells(e):
                    return Diagnosis("relative_reference", _(
                        "{ref} should be the absolute {abs} ({what}): right here, but filling down moves a relative "
                        "reference").format(ref=r.text(), abs=e.text(), what=self._what(role, e)), True)
                if back is not None and back.same_cells(e):
                    return Diagnosis("relative_reference", _(
                        "{ref} was filled down as a relative reference where the absolute {abs} ({what}) belongs: "
                        "here it reads {here}").format(ref=back.text(), abs=e.text(), what=self._what(role, e),
                                                       here=r.text()), True)
        return None

    def _reads(self, name, index, P: Parsed, E: Parsed) -> Diagnosis | None:
        own = self.layout[name].sheet
        fset, strays = self._cells(P, own)
        eset, _e = self._cells(E, own)
        missing, extra = eset - fset, fset - eset
        if not missing and not extra and not strays and not P.names:
            return None
        Mq, Xq = {m[0] for m in missing}, {x[0] for x in extra}
        d = self.places.describe
        BIAS, WEIGHTS, Z_OF, PIXEL_LINK, TOTAL_OF = self.bias, self.weights, self.z_of, self.links, self.totals
        if name in BIAS and Mq == {BIAS[name]} and not extra:
            return Diagnosis("missing_bias", _("the bias {bias} is not added: {name} = Σ w·(input) + b").format(
                bias=d(missing), name=self.layout.shown(name)), True)
        if name in WEIGHTS and extra and (Mq | Xq) <= {WEIGHTS[name], BIAS.get(name)}:
            return Diagnosis("wrong_weight_row", _("reads {found} where {wanted} belongs: another unit's "
                                                   "weights").format(found=d(extra), wanted=d(missing)), True)
        if name in PIXEL_LINK and (extra or strays) and Mq <= {PIXEL_LINK[name]} and Xq <= {PIXEL_LINK[name]}:
            found = ", ".join([d(extra)] * bool(extra) + [self._stray(r, own) for r in strays])
            return Diagnosis("wrong_pixels", _("links {found} where {wanted} belongs").format(
                found=found, wanted=d(missing)), True)
        if extra and Mq and Xq <= {Z_OF[a] for a in Mq if a in Z_OF}:
            return Diagnosis("z_for_a", _("reads {found} where {wanted} belongs: z is used where a = σ(z) "
                                          "belongs").format(found=d(extra), wanted=d(missing)), True)
        if name in TOTAL_OF and Mq == {TOTAL_OF[name]} and not extra:
            item, items = self.layout.nouns[:2]
            images = image_range([self._image(m) for m in missing], item, items)
            return Diagnosis("range_too_short", _("the range misses {images} ({n} of {total} cells): it should "
                                                  "cover every {item}").format(images=images, n=len(missing),
                                                                               total=len(eset), item=_(item)), True)
        if extra and len(Mq) == 1 and Mq == Xq and self.layout[next(iter(Mq))].per_image:
            images = {self._image(x) for x in extra}
            own_image = {self._image(m) for m in missing}
            if images.isdisjoint(own_image):
                return Diagnosis("wrong_image", _("reads {found} where {wanted} belongs").format(
                    found=d(extra), wanted=d(missing)), True)
        shifted = self._shifted_window(own, P, E, missing, extra) if extra and not strays else None
        if shifted is not None:
            r, e, which = shifted
            moved = _("the window is moved by one row") if which == "row" else _("the window is moved by one column")
            return Diagnosis("shifted_window", _("reads {found} where {wanted} ({what}) belongs: {moved}").format(
                found=r.text(), wanted=e.text(), what=self._what(own, e), moved=moved), True)
        found = ", ".join([d(extra)] * bool(extra) + [self._stray(r, own) for r in strays] + list(P.names))
        if not missing:
            return Diagnosis("wrong_reference", _("reads {found} where nothing more belongs").format(found=found))
        if not found:
            return Diagnosis("wrong_reference", _("reads nothing where {wanted} belongs").format(wanted=d(missing)))
        return Diagnosis("wrong_reference", _("reads {found} where {wanted} belongs").format(
            found=found, wanted=d(missing)))

    def _shifted_window(self, own: str, P: Parsed, E: Parsed, missing: set[Place],
                        extra: set[Place]) -> tuple[Ref, Ref, str] | None:
        """A reference of the expected one's size, moved by one row or one column within the same item
        (this image's grid of that quantity): a convolution's or a pooling's window off by one. Every
        cell read wrongly or not read must come from that one move."""
        for e in E.references:
            role = self.places.role(e.sheet, own)
            if role is None or e.area < 2 or e.area > MAX_EXPAND:
                continue
            item = self._item(role, e)
            if item is None:
                continue
            for r in P.references:
                dr, dc = r.top - e.top, r.left - e.left
                if (self.places.role(r.sheet, own) != role or abs(dr) + abs(dc) != 1
                        or (r.bottom - r.top, r.right - r.left) != (e.bottom - e.top, e.right - e.left)
                        or self._item(role, r) != item):
                    continue
                moved_in = {p for row, col in r.cells() if (p := self.places.at(role, row, col)) is not None}
                moved_out = {p for row, col in e.cells() if (p := self.places.at(role, row, col)) is not None}
                if extra <= moved_in and missing <= moved_out:
                    return r, e, "row" if dr else "column"
        return None

    def _item(self, role: str, r: Ref) -> tuple | None:
        """The one per-image grid item (quantity, [iteration,] image, unit) all of r's cells lie in, or None."""
        items = set()
        for row, col in r.cells():
            p = self.places.at(role, row, col)
            if p is None:
                return None
            q = self.layout[p[0]]
            if not q.per_image or q.place.shape == (1, 1):
                return None
            items.add((p[0], *p[1][:-2]))
        return items.pop() if len(items) == 1 else None

    def _as_declared(self, name, index, P: Parsed, E: Parsed, d: Diagnosis | None) -> Diagnosis | None:
        """A reference mistake the layout declares under a name of its own: when a structural finding's
        formula reads what one of the quantity's Mistake templates reads (and a Mistake of the finding's
        own code does not), the Mistake names it — MAX over zF's window is pooled_z, not the generic
        z_for_a; another filter's weights are wrong_filter, not wrong_weight_row."""
        if d is None or not d.structural:
            return d
        own = self.layout[name].sheet
        fset, _strays = self._cells(P, own)
        eset, _e = self._cells(E, own)
        extra = fset - eset
        if not extra:  # reads fewer cells: a declared mistake that reads exactly these (one image's gradient)
            fitting = [m for m, reads in self._mistake_reads(name, index) if fset and fset == reads]
        else:
            fitting = [m for m, reads in self._mistake_reads(name, index) if extra <= reads and fset <= eset | reads]
        if not fitting or any(m.code == d.code for m in fitting):
            return d
        m = fitting[0]
        return Diagnosis(m.code, f"{self._explain(m.text, name, index)} ({d.text})", True)

    def _mistake_reads(self, name, index):
        """(Mistake, the layout cells its template reads at this cell) for each of the quantity's mistakes,
        once per other unit when it is written for another unit."""
        q = self.layout[name]
        it, image, unit, r, c = self.layout.index_parts(q, index)
        for m in self.layout.mistakes:
            if m.quantity != name:
                continue
            units = [(unit + s) % q.place.units for s in range(1, q.place.units)] if m.other_units else [unit]
            for u in units:
                reads = set()
                for t in _TOKEN.finditer(m.template):
                    if t.group(2) == "label":
                        continue
                    span = self.layout.token_span(t, q, self.n, (image, u, r, c, it, self.places.n_iterations))
                    top, left, bottom, right = span.corners
                    reads |= {p for row in range(top, bottom + 1) for col in range(left, right + 1)
                              if (p := self.places.at(span.role, row, col)) is not None}
                yield m, reads

    def _image(self, place: Place) -> int:
        name, index = place
        return self.layout.index_parts(self.layout[name], index)[1]

    def _cells(self, P: Parsed, own: str) -> tuple[set[Place], list[Ref]]:
        """The layout's cells a formula reads, and its references that reach none of them."""
        found: set[Place] = set()
        strays: list[Ref] = []
        for r in P.references:
            role = self.places.role(r.sheet, own)
            hit = False
            if role is not None and r.area <= MAX_EXPAND:
                for row, col in r.cells():
                    p = self.places.at(role, row, col)
                    if p is not None:
                        found.add(p)
                        hit = True
            if not hit:
                strays.append(r)
        return found, strays

    def _stray(self, r: Ref, own: str) -> str:
        sheet = r.sheet if r.sheet is not None else self.places.loaded.sheet_names.get(own, "")
        return f"{sheet}!{r.text()}" if sheet else r.text()

    def _what(self, role: str, r: Ref) -> str:
        places = {p for row, col in r.cells() if (p := self.places.at(role, row, col)) is not None} if r.area <= MAX_EXPAND else set()
        return self.places.describe(places, addresses=False) if places else r.text()

    def _per_image(self, role: str, r: Ref) -> bool:
        p = self.places.at(role, r.top, r.left)
        return p is not None and self.layout[p[0]].per_image

    # -- from the value ------------------------------------------------------------------------
    def from_value(self, name: str, flat: int, found: float,
                   candidates: list[tuple[str, str, np.ndarray]]) -> Diagnosis | None:
        """The first typical mistake (the layout's Mistake templates) whose value is the one found."""
        index = tuple(int(i) for i in np.unravel_index(flat, self.layout.positions(
            self.layout[name], self.n, self.places.n_iterations).shape[:-1]))
        for code, text, values in candidates:
            v = values[flat]
            if isinstance(v, float) and not np.isnan(v) and self._agree(found, v):
                return Diagnosis(code, self._explain(text, name, index), True)
        return None

    def _explain(self, text: str, name: str, index: tuple[int, ...]) -> str:
        """A mistake's text (the layout's, translated) with {here} and {q} → the labels at this cell's image
        and unit ('z2_1'), named as the sheet labels them."""
        it, image, unit, _r, _c = self.layout.index_parts(self.layout[name], index)

        def label(m):
            other = name if m.group(1) == "here" else m.group(1)
            if other == name:
                return self.layout.shown_label(name, index)
            q = self.layout.by_name.get(other)
            if q is None:
                return m.group(0)
            at = (min(unit, q.place.units - 1), 0, 0)
            return self.layout.shown_label(other, (*((it,) if q.per_iteration else ()),
                                                   *((image,) if q.per_image else ()), *at))

        return re.sub(r"\{(\w+)\}", label, _(text))

    # -- the rest --------------------------------------------------------------------------------
    @staticmethod
    def stale(same: bool = True) -> Diagnosis:
        if same:
            return Diagnosis("stale", _("the formula is right but its saved value is not what it computes: the "
                                        "workbook was saved with calculation set to manual (recalculate, or run with "
                                        "--recalc)"))
        return Diagnosis("stale", _("the formula computes the right thing, but its saved value is not what it "
                                    "computes: the workbook was saved with calculation set to manual (recalculate, or "
                                    "run with --recalc)"))

    @staticmethod
    def empty(expected_formula: str | None) -> Diagnosis:
        return Diagnosis("empty", _("empty: {formula} belongs here").format(formula=expected_formula)
                         if expected_formula else _("empty"))

    @staticmethod
    def no_value() -> Diagnosis:
        return Diagnosis("no_value", _("the formula has no saved value (written by a program that does not "
                                       "calculate): recalculate, or run with --recalc"))

    @staticmethod
    def typed(expected_formula: str | None) -> Diagnosis:
        return Diagnosis("typed_number", _("a typed number where a formula belongs: {formula}").format(
            formula=expected_formula), True)

    @staticmethod
    def error(value) -> Diagnosis:
        return Diagnosis("error_value", _("holds the error {value}{why}").format(value=value,
                                                                                why=_(_ERROR_HINTS[str(value)]) if str(value) in _ERROR_HINTS else ""))

    @staticmethod
    def unexplained() -> Diagnosis:
        return Diagnosis("unexplained", _("no common mistake gives this value: compare the formula with the "
                                          "expected one"))


def shown_symbol(x) -> str:
    """A verdict symbol as the sheet shows it (TRUE, 1, ✓)."""
    if isinstance(x, bool):
        return str(x).upper()
    if isinstance(x, float) and x == int(x):
        return str(int(x))
    return str(x)
