"""The functions sheetnet evaluates: the book's dialect and what students write beside it.

Each takes the Evaluation, its argument nodes and whether it is evaluated as an array, and returns a
value (sheetnet.formula.values.V). Argument handling follows the spreadsheet: SUM, MAX, MIN, AVERAGE,
COUNT, COUNTA and COUNTIF read a range argument whole; SUMPRODUCT, MMULT and SUMXMY2 evaluate every
argument as an array; the rest take one value per cell (the implicit intersection of a range).

Where LibreOffice and Excel differ — a boolean *cell* is a number in LibreOffice, skipped by SUM and
counted as 0 by SUMPRODUCT in Excel — the Book's dialect decides.
"""

from __future__ import annotations

import re

import numpy as np

from sheetnet.formula import values as fv
from sheetnet.formula.values import BLANK, BOOL, DIV0, NA, NULL, NUM, NUMERR, TEXT, VALUE, V


def _elementwise(f, domain=None, error=NUMERR):
    """A function of one number per element (EXP, ABS, TANH, SQRT, LN)."""
    def run(ev, args, array):
        if len(args) != 1:
            return fv.error(1, VALUE)
        num, err = fv.numbers(ev.node(args[0], array))
        with np.errstate(all="ignore"):
            out = f(num)
        if domain is not None:
            bad = ~domain(num)
            if bad.any():
                err = fv.first_error(err, np.where(bad, error, 0).astype(np.int8))
        return fv.with_errors(out, err)
    return run


def _power(ev, args, array):
    if len(args) != 2:
        return fv.error(1, VALUE)
    from sheetnet.formula.evaluate import binary

    return binary("^", ev.node(args[0], array), ev.node(args[1], array))


# -- SUM and its kin: ranges read whole ---------------------------------------------------------------
def _collect(ev, args, array):
    """Each argument as (numbers (m, n), usable (m, n), first error per cell or None): what SUM and its kin
    take — from a range or an array its numbers (and, in LibreOffice, its booleans), from a single value
    also a boolean, a blank as 0, and text that reads as a number (Excel; LibreOffice: #VALUE!)."""
    parts = []
    for a in args:
        if a[0] == "missing":
            continue
        v = ev.operand(a, array, whole=True)
        m = v.shape[0]
        kind, num = v.kinds.reshape(m, -1), v.num.reshape(m, -1)
        if ev.is_range(a) or v.shape[1] * v.shape[2] > 1:
            usable = (kind == NUM) | ((kind == BOOL) & (ev.dialect == "libreoffice"))
            parts.append((np.where(usable, num, 0.0), usable,
                          _first_per_cell(np.where(kind >= NULL, kind, 0).astype(np.int8))))
            continue
        x, err = fv.numbers(v)
        if ev.dialect == "libreoffice" and (kind == TEXT).any():
            err = fv.first_error(err, np.where(v.kinds == TEXT, VALUE, 0).astype(np.int8))
        x = x.reshape(m, -1)
        parts.append((np.where(np.isfinite(x), x, 0.0), np.ones(x.shape, dtype=bool),
                      None if err is None else _first_per_cell(err.reshape(m, -1))))
    return parts


def _first_per_cell(errors: np.ndarray) -> np.ndarray | None:
    if not errors.any():
        return None
    first = np.argmax(errors != 0, axis=1)
    return errors[np.arange(len(errors)), first]


def _aggregate(reduce, empty):
    def run(ev, args, array):
        parts = _collect(ev, args, array)
        if not parts:
            return fv.number(empty) if empty is not None else fv.error(1, DIV0)
        m = max(len(p[0]) for p in parts)
        nums = np.concatenate([np.broadcast_to(p[0], (m, p[0].shape[1])) for p in parts], axis=1)
        usable = np.concatenate([np.broadcast_to(p[1], (m, p[1].shape[1])) for p in parts], axis=1)
        err = None
        for p in parts:
            if p[2] is not None:
                err = fv.first_error(err, np.broadcast_to(p[2], (m,)).astype(np.int8))
        with np.errstate(all="ignore"):
            out = reduce(nums, usable)
        if empty is None:  # AVERAGE of nothing
            none = ~usable.any(axis=1)
            if none.any():
                err = fv.first_error(err, np.where(none, DIV0, 0).astype(np.int8))
        return fv.with_errors(out.reshape(m, 1, 1), None if err is None else err.reshape(m, 1, 1))
    return run


def _sum(nums, usable):
    return np.where(usable, nums, 0.0).sum(axis=1)


def _max(nums, usable):
    return np.where(usable.any(axis=1), np.where(usable, nums, -np.inf).max(axis=1, initial=-np.inf), 0.0)


def _min(nums, usable):
    return np.where(usable.any(axis=1), np.where(usable, nums, np.inf).min(axis=1, initial=np.inf), 0.0)


def _average(nums, usable):
    return np.where(usable, nums, 0.0).sum(axis=1) / usable.sum(axis=1)


def _count(ev, args, array):
    m, total = 1, None
    for a in args:
        if a[0] == "missing":
            continue
        v = ev.operand(a, array, whole=True)
        vm, h, w = v.shape
        kind = v.kinds.reshape(vm, -1)
        if ev.is_range(a) or h * w > 1:
            n = ((kind == NUM) | ((kind == BOOL) & (ev.dialect == "libreoffice"))).sum(axis=1)
        else:
            x, err = fv.numbers(v)
            n = ((kind != BLANK) & (kind < NULL) & (err is None or (err.reshape(vm, -1) == 0))).sum(axis=1)
        total = n if total is None else total + n
        m = max(m, vm)
    return fv.number(0.0) if total is None else V(np.asarray(total, dtype=float).reshape(-1, 1, 1))


def _counta(ev, args, array):
    total = None
    for a in args:
        if a[0] == "missing":
            continue
        v = ev.operand(a, array, whole=True)
        vm = v.shape[0]
        n = (v.kinds.reshape(vm, -1) != BLANK).sum(axis=1) if (ev.is_range(a) or v.shape[1] * v.shape[2] > 1) \
            else np.ones(vm)  # a value given directly counts, even ""
        total = n if total is None else total + n
    return fv.number(0.0) if total is None else V(np.asarray(total, dtype=float).reshape(-1, 1, 1))


_CRITERION = re.compile(r"^(<>|<=|>=|=|<|>)?(.*)$", re.S)


def _countif(ev, args, array):
    if len(args) != 2 or not ev.is_range(args[0]):
        return fv.error(1, VALUE)
    cells = ev.operand(args[0], True, whole=True)
    criterion = ev.node(args[1], False)
    m = max(cells.shape[0], criterion.shape[0])
    ck, cn = criterion.kinds.reshape(-1), criterion.num.reshape(-1)
    ct = criterion.texts().reshape(-1)
    distinct = {(int(ck[i]), float(cn[i]) if ck[i] in (NUM, BOOL) else None, ct[i]) for i in range(len(ck))}
    results = {}
    for key in distinct:
        results[key] = _count_matching(cells, key, ev.dialect)
    out = np.zeros(m)
    for i in range(m):
        j = min(i, len(ck) - 1)
        key = (int(ck[j]), float(cn[j]) if ck[j] in (NUM, BOOL) else None, ct[j])
        r = results[key]
        out[i] = r[min(i, len(r) - 1)]
    err = np.where(ck >= NULL, ck, 0).astype(np.int8)
    return fv.with_errors(out.reshape(m, 1, 1), err.reshape(-1, 1, 1) if err.any() else None)


def _count_matching(cells: V, key, dialect) -> np.ndarray:
    kind, number, text = key
    m = cells.shape[0]
    k, num = cells.kinds.reshape(m, -1), cells.num.reshape(m, -1)
    numeric = (k == NUM) | ((k == BOOL) & (dialect == "libreoffice"))
    if kind in (NUM, BOOL):
        if kind == BOOL and dialect != "libreoffice":
            return ((k == BOOL) & (num == number)).sum(axis=1)
        return (numeric & (num == number)).sum(axis=1)
    if kind >= NULL:
        return np.zeros(m)
    op, rest = _CRITERION.match(text or "").groups()
    op = op or "="
    target = _number(rest)
    if target is not None:
        with np.errstate(invalid="ignore"):
            hit = numeric & {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater, "<=": np.less_equal,
                             ">=": np.greater_equal}[op](num, target)
        if op == "<>":
            hit |= ~numeric
        return hit.sum(axis=1)
    texts = cells.texts().reshape(m, -1)
    if rest == "" and op == "=":
        return (k == BLANK).sum(axis=1) + ((k == TEXT) & (texts == "")).sum(axis=1)
    if rest == "" and op == "<>":
        return (k != BLANK).sum(axis=1)
    pattern = _wildcard(rest)
    if op in ("=", "<>"):  # each distinct text matched once (a row of verdicts holds two: ○ and ×)
        hits: dict = {}
        is_text = k == TEXT
        matched = np.zeros(k.shape, dtype=bool)
        matched[is_text] = [hits[t] if t in hits else hits.setdefault(t, pattern.fullmatch(t) is not None)
                            for t in texts[is_text].tolist()]
        count = matched.sum(axis=1).astype(float)
        return count if op == "=" else k.shape[1] - count
    out = np.zeros(m)
    for i in range(m):
        for j in np.nonzero(k[i] == TEXT)[0]:
            t = texts[i, j]
            if op in ("=", "<>"):
                hit = pattern.fullmatch(t) is not None
            else:
                hit = {"<": t.lower() < rest.lower(), ">": t.lower() > rest.lower(), "<=": t.lower() <= rest.lower(),
                       ">=": t.lower() >= rest.lower()}[op]
            out[i] += hit if op != "<>" else 0
        if op == "<>":
            matches = sum(pattern.fullmatch(texts[i, j]) is not None for j in np.nonzero(k[i] == TEXT)[0])
            out[i] = k.shape[1] - matches
    return out


def _wildcard(text: str):
    """COUNTIF's pattern: * any run, ? any one character, ~ escapes; letter case ignored."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "~" and i + 1 < len(text):
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.I | re.S)


def _number(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


# -- the array functions ------------------------------------------------------------------------------
def _array_numbers(v: V, dialect: str, strict: bool):
    """(numbers, errors (m,) or None, all numbers?) of an array argument: text and blanks are 0 (strict:
    not numbers at all), booleans 0 in Excel and 0/1 in LibreOffice."""
    m = v.shape[0]
    if v.kind is None:  # numbers only (the common case): nothing to mask
        return v.num.reshape(m, -1), None, np.ones(m, dtype=bool)
    kind = v.kind.reshape(m, -1)
    numeric = (kind == NUM) | ((kind == BOOL) & (dialect == "libreoffice"))
    num = np.where(numeric, v.num.reshape(m, -1), 0.0)
    errors = _first_per_cell(np.where(kind >= NULL, kind, 0).astype(np.int8))
    return num, errors, numeric.all(axis=1)


def _sumproduct(ev, args, array):
    if not args:
        return fv.error(1, VALUE)
    values = [ev.node(a, True) for a in args]
    shapes = {v.shape[1:] for v in values}
    if len(shapes) != 1:
        return fv.error(1, VALUE)
    m = max(v.shape[0] for v in values)
    product, err = None, None
    for v in values:
        num, e, _ = _array_numbers(v, ev.dialect, False)
        product = num if product is None else product * num
        if e is not None:
            err = fv.first_error(err, np.broadcast_to(e, (m,)).astype(np.int8))
    with np.errstate(all="ignore"):
        total = np.broadcast_to(product, (m, product.shape[1])).sum(axis=1)
    return fv.with_errors(total.reshape(m, 1, 1), None if err is None else err.reshape(m, 1, 1))


def _sumxmy2(ev, args, array):
    if len(args) != 2:
        return fv.error(1, VALUE)
    a, b = ev.node(args[0], True), ev.node(args[1], True)
    if a.shape[1] * a.shape[2] != b.shape[1] * b.shape[2]:
        return fv.error(1, NA if ev.dialect == "excel" else VALUE)
    m = max(a.shape[0], b.shape[0])
    ka, kb = (np.broadcast_to(v.kinds.reshape(v.shape[0], -1), (m, a.shape[1] * a.shape[2])) for v in (a, b))
    na, nb = (np.broadcast_to(v.num.reshape(v.shape[0], -1), ka.shape) for v in (a, b))
    both = (ka == NUM) & (kb == NUM)
    with np.errstate(all="ignore"):
        total = np.where(both, (na - nb) ** 2, 0.0).sum(axis=1)
    err = fv.first_error(_first_per_cell(np.where(ka >= NULL, ka, 0).astype(np.int8)),
                         _first_per_cell(np.where(kb >= NULL, kb, 0).astype(np.int8)))
    return fv.with_errors(total.reshape(m, 1, 1), None if err is None else err.reshape(m, 1, 1))


def _mmult(ev, args, array):
    if len(args) != 2:
        return fv.error(1, VALUE)
    a, b = ev.node(args[0], True), ev.node(args[1], True)
    if a.shape[2] != b.shape[1]:
        return fv.error(1, VALUE)
    na, ea, oka = _array_numbers(a, ev.dialect, True)
    nb, eb, okb = _array_numbers(b, ev.dialect, True)
    m = max(a.shape[0], b.shape[0])
    with np.errstate(all="ignore"):
        out = np.matmul(na.reshape(a.shape), nb.reshape(b.shape))
    out = np.broadcast_to(out, (m, *out.shape[1:]))
    bad = ~(np.broadcast_to(oka, (m,)) & np.broadcast_to(okb, (m,)))
    err = fv.first_error(None if ea is None else np.broadcast_to(ea, (m,)), None if eb is None else np.broadcast_to(eb, (m,)))
    if bad.any():
        err = fv.first_error(err, np.where(bad, VALUE, 0).astype(np.int8))
    if err is None:
        return fv.with_errors(np.array(out), None)
    return fv.with_errors(np.array(out), np.broadcast_to(err.reshape(m, 1, 1), out.shape).astype(np.int8))


# -- logic --------------------------------------------------------------------------------------------
def _truth(v: V) -> tuple[np.ndarray, np.ndarray | None]:
    """(true?, error codes or None): a number or boolean is true when not 0, a blank is false, text is #VALUE!."""
    if v.kind is None:
        return v.num != 0, None
    kind = v.kind
    if (kind == BOOL).all():  # a comparison's booleans (the common case): 0 or 1, never an error
        return v.num != 0, None
    err = np.where(kind >= NULL, kind, np.where(kind == TEXT, VALUE, 0)).astype(np.int8)
    return np.where(kind == BLANK, False, np.nan_to_num(v.num) != 0), (err if err.any() else None)


def _if(ev, args, array):
    if not 1 <= len(args) <= 3:
        return fv.error(1, VALUE)
    cond = ev.node(args[0], array)
    yes = fv.boolean(True) if len(args) < 2 else ev.node(args[1], array)
    no = fv.boolean(False) if len(args) < 3 else ev.node(args[2], array)
    truth, err = _truth(cond)
    if err is None and yes.kind is None and no.kind is None and yes.num.shape[1:] == no.num.shape[1:] == truth.shape[1:]:
        return V(np.where(truth, yes.num, no.num))  # numbers either way, of one element shape (the common case)
    (c, y, n), shape = fv.broadcast(V(truth.astype(float)), yes, no)
    t = np.broadcast_to(c.num, shape) != 0
    num = np.where(t, np.broadcast_to(y.num, shape), np.broadcast_to(n.num, shape))
    kind = np.where(t, np.broadcast_to(y.kinds, shape), np.broadcast_to(n.kinds, shape)).astype(np.int8)
    text = None
    if y.text is not None or n.text is not None:
        text = np.where(t, np.broadcast_to(y.texts(), shape), np.broadcast_to(n.texts(), shape))
    if err is not None:
        e = np.broadcast_to(err, shape)
        kind = np.where(e != 0, e, kind).astype(np.int8)
        num = np.where(e != 0, np.nan, num)
    return fv.from_kinds(np.array(num), kind, text)


def _logical(reduce):
    def run(ev, args, array):
        parts = []
        for a in args:
            v = ev.operand(a, array, whole=True)
            m = v.shape[0]
            kind = v.kinds.reshape(m, -1)
            usable = (kind == NUM) | (kind == BOOL)
            truth = np.where(usable, v.num.reshape(m, -1) != 0, reduce is np.all)
            parts.append((truth, _first_per_cell(np.where(kind >= NULL, kind, 0).astype(np.int8))))
        if not parts:
            return fv.error(1, VALUE)
        m = max(len(p[0]) for p in parts)
        truth = np.concatenate([np.broadcast_to(p[0], (m, p[0].shape[1])) for p in parts], axis=1)
        out = fv.boolean(reduce(truth, axis=1).reshape(m, 1, 1))
        err = None
        for _, e in parts:
            if e is not None:
                err = fv.first_error(err, np.broadcast_to(e, (m,)).astype(np.int8))
        if err is None:
            return out
        kind = np.where(err.reshape(m, 1, 1) != 0, err.reshape(m, 1, 1), BOOL).astype(np.int8)
        return fv.from_kinds(out.num, kind)
    return run


def _not(ev, args, array):
    if len(args) != 1:
        return fv.error(1, VALUE)
    truth, err = _truth(ev.node(args[0], array))
    out = fv.boolean(~truth)
    if err is None:
        return out
    return fv.from_kinds(out.num, np.where(err != 0, err, BOOL).astype(np.int8))


FUNCTIONS = {
    "SUMPRODUCT": _sumproduct, "MMULT": _mmult, "SUMXMY2": _sumxmy2,
    "SUM": _aggregate(_sum, 0.0), "MAX": _aggregate(_max, 0.0), "MIN": _aggregate(_min, 0.0),
    "AVERAGE": _aggregate(_average, None), "COUNT": _count, "COUNTA": _counta, "COUNTIF": _countif,
    "IF": _if, "AND": _logical(np.all), "OR": _logical(np.any), "NOT": _not,
    "EXP": _elementwise(np.exp), "ABS": _elementwise(np.abs), "TANH": _elementwise(np.tanh),
    "SQRT": _elementwise(np.sqrt, lambda x: x >= 0), "LN": _elementwise(np.log, lambda x: x > 0),
    "POWER": _power,
}
