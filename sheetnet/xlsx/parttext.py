"""A package part's XML as text, whatever encoding it was saved in, ready to be edited and written
back as UTF-8.

XML allows UTF-16 (with a byte-order mark) and any declared encoding; the reader's parser honours
them, so the writers that edit parts in place (train's patch, check --annotate) must too: the text
is decoded as its bytes say, and its declaration then says UTF-8, which is how we write it.
"""

from __future__ import annotations

import codecs
import re

from sheetnet.errors import UnusableInput
from sheetnet.i18n import _

_DECLARED = re.compile(rb'^<\?xml[^>]*?encoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')
_DECLARATION = re.compile(r'^(\ufeff?<\?xml[^>]*?encoding\s*=\s*["\'])[A-Za-z0-9._-]+(["\'])')


def part_text(data: bytes, part: str) -> str:
    """The part's text; an XML declaration in it now says encoding="UTF-8"."""
    encoding = _encoding_of(data)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise UnusableInput(_("{part} is not text in its declared encoding ({encoding})").format(
            part=part, encoding=encoding)) from None
    return _DECLARATION.sub(r"\g<1>UTF-8\g<2>", text.lstrip("\ufeff"), count=1)


def _encoding_of(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data.startswith(b"<\0?\0"):
        return "utf-16-le"
    if data.startswith(b"\0<\0?"):
        return "utf-16-be"
    declared = _DECLARED.match(data)
    return declared.group(1).decode("ascii") if declared else "utf-8"
