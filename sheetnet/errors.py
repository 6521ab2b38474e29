"""The one exception a user sees: a workbook we cannot use, said in one line."""

from __future__ import annotations


class UnusableInput(Exception):
    """The input cannot be used; str(e) is one line naming what is wrong (and where).

    `subject` names the file the line is about when it is not the command's own input (an
    output path that cannot be written, say); the CLI puts it in front of the message.
    """

    def __init__(self, message: str, subject: object = None):
        super().__init__(message)
        self.subject = subject


class BadOption(UnusableInput):
    """An option we refuse (`--eta 0`): said as it is, not about the command's file."""
