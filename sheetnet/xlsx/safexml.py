"""XML from untrusted workbooks, through expat (the C parser), with every DTD refused.

A DOCTYPE is refused the moment expat meets it, before any of its declarations: with no DTD there
are no entities to expand (billion laughs) and none to fetch (XXE); a reference to an undeclared
entity is then a well-formedness error. Parameter entities and external references are switched
off besides. Sizes are bounded by whoever hands the bytes over (the zip reader).
"""

from __future__ import annotations

import pyexpat
import re

from sheetnet.i18n import _
from sheetnet.errors import UnusableInput

# The main and relationship namespaces of both dialects: Transitional (what Excel saves by
# default) and Strict (Excel's "Strict Open XML Spreadsheet"); the cells are written alike.
MAIN_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                   "http://purl.oclc.org/ooxml/spreadsheetml/main")
REL_NAMESPACES = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                  "http://purl.oclc.org/ooxml/officeDocument/relationships")
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SEP = "}"  # expat joins a namespace and a local name with it: 'http://…/main}c'


class _Refused(Exception):
    pass


def _refuse(*_args):
    raise _Refused


def parser(namespaces: bool = True):
    """An expat parser that refuses any DTD, entity declaration and external reference."""
    p = pyexpat.ParserCreate(namespace_separator=SEP if namespaces else None)
    p.StartDoctypeDeclHandler = _refuse
    p.EntityDeclHandler = _refuse
    p.UnparsedEntityDeclHandler = _refuse
    p.ExternalEntityRefHandler = _refuse
    p.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    return p


def run(p, data: bytes, name: str) -> None:
    """Parse `data` with `p`, each refusal or error as one line about the part `name`."""
    try:
        p.Parse(data, True)
    except _Refused:
        raise UnusableInput(_("{name} holds forbidden XML (a DTD: entities and DTDs are refused)").format(name=name)) from None
    except pyexpat.ExpatError as e:
        raise UnusableInput(_("{name} is not well-formed XML ({error}: line {line}, column {column})").format(
            name=name, error=pyexpat.ErrorString(e.code), line=e.lineno, column=e.offset)) from None
    except RecursionError:
        raise UnusableInput(_("{name} is nested too deeply").format(name=name)) from None


def check(data: bytes, name: str) -> None:
    """Refuse `data` unless it is well-formed XML without a DTD (no Python code runs per element)."""
    run(parser(), data, name)


def collect(data: bytes, name: str, wanted: dict[str, str], text: frozenset[str] = frozenset()) -> list:
    """(label, attributes, text) of each element whose namespaced tag ('ns}local') is in `wanted`
    (tag → label), in document order; the text is gathered only for labels in `text`."""
    out, stack = [], []
    p = parser()

    def start(tag, attrs):
        label = wanted.get(tag)
        stack.append(label)
        if label is not None:
            out.append([label, attrs, [] if label in text else None])

    def end(tag):
        stack.pop()

    def chars(data):
        if stack and stack[-1] in text and out and out[-1][2] is not None:
            out[-1][2].append(data)

    p.StartElementHandler, p.EndElementHandler = start, end
    if text:
        p.CharacterDataHandler = chars
    run(p, data, name)
    return [(label, attrs, "".join(t) if t is not None else "") for label, attrs, t in out]


_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#[xX]([0-9a-fA-F]+));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _entity(m) -> str:
    if m.group(1):
        return _NAMED[m.group(1)]
    return chr(int(m.group(2)) if m.group(2) else int(m.group(3), 16))


def unescape(text: str) -> str:
    """Character and predefined entity references → characters (in text expat has accepted, which
    holds no other kind: without a DTD nothing else is declared)."""
    return _ENTITY.sub(_entity, text) if "&" in text else text
