"""Formula text for the checker: what a formula reads, calls and reaches (sheetnet.formula.syntax), the
book's dialect, and whether two formula texts are the same formula.
"""

from __future__ import annotations

from sheetnet.formula.syntax import Parsed, Ref, parse  # noqa: F401  (the checker's vocabulary)

# The book's dialect: what its workbooks use, so that every spreadsheet program recomputes them.
BOOK_FUNCTIONS = frozenset(("SUMPRODUCT", "EXP", "MMULT", "SUMXMY2", "MAX", "SUM", "IF", "COUNTIF", "COUNTA"))


def same_formula(found: str | None, expected: str | None) -> bool:
    """The same formula up to spacing, letter case, sheet-name quoting and Excel's _xlfn. prefixes."""
    if found is None or expected is None:
        return found is expected
    if _squeeze(found) == _squeeze(expected):
        return True
    return parse(found).canonical() == parse(expected).canonical()


def _squeeze(formula: str) -> str:
    return formula.replace(" ", "").upper()
