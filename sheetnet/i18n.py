"""Translation of every user-facing text (check reports, diagnoses, errors, --help).

Convention (used everywhere a student or teacher reads a text):
    from sheetnet.i18n import _, N_
    print(_("wrote {path}: {n} cells marked").format(path=out, n=count))
- `_(msgid)` translates now; placeholders are named `{…}` and filled *after* translation, so a
  translator can move them.
- `N_(msgid)` marks a text kept in data (layout labels, Mistake texts) for extraction; it is
  translated where it is shown, with `_()`.

This first version returns the text as it is (English); the gettext catalogs come later.
"""

from __future__ import annotations


def _(message: str) -> str:
    return message


def N_(message: str) -> str:
    return message


__all__ = ["_", "N_"]
