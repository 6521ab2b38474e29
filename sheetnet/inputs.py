"""What a file argument names, said in one line before anything opens it.

Opening a FIFO waits for a writer forever and a device never ends (/dev/zero), so only a regular
file — reached through symbolic links, if any — is read as a workbook.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from sheetnet.errors import UnusableInput
from sheetnet.i18n import _


def require_file(path: Path, *, workbook: bool = True) -> None:
    """Raise UnusableInput unless path is (a link to) a regular file (workbook=False: another file, a rubric)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise UnusableInput(_("is a symbolic link to a missing file ({target})").format(
                target=os.readlink(path))) from None
        raise UnusableInput(_("no such file")) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnusableInput(_("is a symbolic link that loops")) from None
        raise UnusableInput(_("cannot be read ({reason})").format(reason=e.strerror or e)) from None
    if stat.S_ISDIR(st.st_mode):
        raise UnusableInput(_("is a directory, not a workbook") if workbook else _("is a directory"))
    if not stat.S_ISREG(st.st_mode):
        what = _("a FIFO") if stat.S_ISFIFO(st.st_mode) else _("a socket") if stat.S_ISSOCK(st.st_mode) else _("a device")
        raise UnusableInput((_("is not a regular file ({what}): give a workbook file") if workbook else
                             _("is not a regular file ({what})")).format(what=what))
