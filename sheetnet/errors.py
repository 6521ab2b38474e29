"""The one exception a user sees: a workbook we cannot use, said in one line."""


class UnusableInput(Exception):
    """The input cannot be used; str(e) is one line naming what is wrong (and where)."""
