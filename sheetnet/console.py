"""What the console can show: sheetnet's output degrades, never crashes, on any console encoding.

The book's readers run sheetnet in Windows consoles and pipes encoded in cp936/gbk or cp932, and
sometimes in an ASCII locale. Python writes to such a stream strictly: one character the code page
lacks (· is not in cp932, ∂ not in gbk) ends the command with a UnicodeEncodeError after its work
is done. So, while a command runs:

- text goes out through an error handler that writes, for a character the stream cannot carry, the
  nearest one it can: first what readers of that code page write themselves (・ for ·, ― for —,
  ≦ for ≤ in cp932), then ASCII (->, <=, x, sigma), then Unicode's compatibility form
  (fullwidth Ｃ → C), and last the character's escape (\\u4e60), never a '?' that hides which;
  a file name's bytes that Python could not decode are written back as they were;
- JSON and XML documents on a stream that is not UTF-8 are written in pure ASCII, with JSON's
  \\uXXXX escapes and XML's &#N; references: lossless, and valid whatever the reader decodes them as.

Files sheetnet writes (JSON, JUnit, CSV, HTML, workbooks) never go through this: they are UTF-8.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import re
import sys

ERRORS = "sheetnet-console"

# Nearest characters, in order of preference; the first the stream's encoding has is written.
# The CJK code pages' own conventions come first (what a Japanese or Chinese reader types), ASCII last.
SUBSTITUTES: dict[str, tuple[str, ...]] = {
    "·": ("・", "|"),
    "—": ("―", "--"),
    "–": ("-",),
    "−": ("-",),
    "…": ("...",),
    "→": ("->",),
    "←": ("<-",),
    "↔": ("⇔", "<->"),
    "≤": ("≦", "<="),
    "≥": ("≧", ">="),
    "≈": ("≒", "~"),
    "×": ("x",),
    "○": ("o",),
    "✓": ("√", "v"),
    "✔": ("√", "v"),
    "✗": ("×", "x"),
    "✘": ("×", "x"),
    "σ": ("sigma",),
    "Σ": ("sum",),
    "η": ("eta",),
    "δ": ("delta",),
    "θ": ("theta",),
    "∂": ("d",),
    "∇": ("grad",),
    "²": ("^2",),
    "½": ("1/2",),
    "ᵀ": ("^T",),
    "⊙": ("*",),
    "‖": ("||",),
    "′": ("'",),
    "∞": ("inf",),
    "、": (", ",),
    "。": (". ",),
}


@functools.lru_cache(maxsize=4096)
def substitute(ch: str, encoding: str) -> str:
    """What to write for `ch`, which `encoding` cannot carry."""
    import unicodedata  # (only on a console that cannot show everything)

    for candidate in (*SUBSTITUTES.get(ch, ()), unicodedata.normalize("NFKC", ch)):
        if candidate != ch and _carries(encoding, candidate):
            return candidate
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _carries(encoding: str, text: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeError, LookupError):
        return False
    return True


def _escaped_byte(ch: str) -> bool:
    """A byte of a file name Python could not decode (PEP 383: U+DC80…U+DCFF stand for 0x80…0xFF)."""
    return "\udc80" <= ch <= "\udcff"


def _handler(err: UnicodeError):
    if not isinstance(err, UnicodeEncodeError):
        raise err
    text = err.object[err.start:err.end]
    n = next((k for k, ch in enumerate(text) if _escaped_byte(ch) != _escaped_byte(text[0])), len(text))
    if _escaped_byte(text[0]):  # the file name's own bytes, as Python's surrogateescape writes them
        return bytes(ord(ch) - 0xDC00 for ch in text[:n]), err.start + n
    return "".join(substitute(ch, err.encoding) for ch in text[:n]), err.start + n


codecs.register_error(ERRORS, _handler)


def is_unicode(stream) -> bool:
    """Whether the stream carries every character (a UTF encoding)."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


@contextlib.contextmanager
def tolerant():
    """stdout and stderr write what their encoding cannot carry as its nearest (see above), for
    the duration; then their own error handlers again."""
    previous = []
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            previous.append((stream, stream.errors))
            stream.reconfigure(errors=ERRORS)
    try:
        yield
    finally:
        for stream, errors in previous:
            with contextlib.suppress(ValueError, OSError):  # closed meanwhile
                stream.reconfigure(errors=errors)


# (patterns kept as text are compiled on first use, by re's own cache: only JSON output needs them)
_NON_ASCII = r"[^\x00-\x7f]"


def _json_escape(m: re.Match) -> str:
    code = ord(m.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
    return f"\\u{0xd800 + (code >> 10):04x}\\u{0xdc00 + (code & 0x3ff):04x}"


_LONE_SURROGATE = r"[\ud800-\udfff]"


def json_for(stream, text: str) -> str:
    """A JSON document as `stream` can carry it: itself on UTF-8, else pure ASCII (outside its
    strings JSON is ASCII already, so escaping every other character keeps the same document).
    A file name read in an ASCII locale holds its UTF-8 bytes as lone surrogates: they become its
    characters again (what could not be escaped as \\udcXX)."""
    if re.search(_LONE_SURROGATE, text):
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
        except UnicodeError:
            pass
    return re.sub(_LONE_SURROGATE, _json_escape, text) if is_unicode(stream) else re.sub(_NON_ASCII, _json_escape, text)


def xml_for(stream, text: str) -> str:
    """An XML document (declared UTF-8) as `stream` can carry it: pure ASCII with character
    references when the stream is not UTF-8 — still the same document, and still valid UTF-8."""
    return text if is_unicode(stream) else text.encode("ascii", "xmlcharrefreplace").decode("ascii")


def print_json(text: str) -> None:
    print(json_for(sys.stdout, text))


def print_xml(text: str) -> None:
    print(xml_for(sys.stdout, text))
