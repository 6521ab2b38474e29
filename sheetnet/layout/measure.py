"""How big things come out on screen and paper: a value as its style's number format shows it, how
wide that text is in column-width units, and the printed page.

A column's width is counted in digits of the workbook's default font (Calibri 11: 7 pixels in
Excel; LibreOffice uses Carlito, its metric twin). The cells are in Microsoft YaHei 10 pt, whose
Latin glyphs are wider than Calibri's, and LibreOffice draws them with DejaVu Sans, wider still.
CHAR_WIDTH holds, per character, the wider of the two, measured on LibreOffice's PDF (a digit of
DejaVu Sans 10 pt is 6.36 pt against 5.55 pt per width unit: 1.15) and estimated for YaHei in Excel
(about 7.6 px against 7 px: 1.1). A column at least as wide as the sum shows the text, not ###.
"""

from __future__ import annotations

import math
import re
import unicodedata

from sheetnet.layout.styles import STYLES, WIDEST

CHAR_WIDTH = {**{d: 1.15 for d in "0123456789"}, ".": 0.6, ",": 0.6, " ": 0.6, "-": 0.7, "+": 1.5, "%": 1.75,
              "E": 1.15}
_OTHER, _WIDE = 1.3, 2.0  # another Latin character; an East Asian one (a full em of 10 pt)


def text_width(text: str) -> float:
    """The width (column-width units) a cell needs to show `text` in the cells' font."""
    return sum(CHAR_WIDTH.get(ch, _WIDE if unicodedata.east_asian_width(ch) in "WFA" else _OTHER) for ch in text)


def fitted_width(text: str) -> float:
    """The column width for `text`, rounded up to a quarter unit."""
    return math.ceil(text_width(text) * 4 - 1e-9) / 4


def shown(num_format: str | None, value: float | str) -> str:
    """The text a spreadsheet shows for `value` in `num_format` (None: General), as far as its width
    goes. Formats: digits 0 # ?, a decimal point, %, E+00, _x (a space as wide as x: shown as x),
    \\x and "text" literals, up to four ;-sections. Anything else (dates, colours) raises ValueError."""
    if isinstance(value, str):
        sections = _sections(num_format or "")
        return value if len(sections) < 4 else _literal(sections[3]).replace("@", value)
    if not num_format or num_format.lower() == "general":
        return _general(value)
    sections = _sections(num_format)
    if len(sections) == 1 or value > 0 or (value == 0 and len(sections) < 3):
        section, sign = sections[0], "-" if value < 0 else ""
    elif value < 0:
        section, sign = sections[1], ""  # the negative section draws its own sign, if any
    else:
        section, sign = sections[2], ""
    return _number(section, abs(value), sign) if section else ""


def widest_shown(style: str, values) -> str:
    """The widest text a style shows over `values` (an iterable of numbers) and its planned WIDEST."""
    num_format = STYLES.get(style, {}).get("num_format")
    candidates = [shown(num_format, v) for v in values]
    if style in WIDEST:
        candidates.append(shown(num_format, WIDEST[style]))
    return max(candidates, key=text_width, default="")


def _sections(num_format: str) -> list[str]:
    return re.split(r';(?=(?:[^"]*"[^"]*")*[^"]*$)', num_format)


_LITERAL = re.compile(r'"([^"]*)"|\\(.)|_(.)')


def _literal(section: str) -> str:
    return _LITERAL.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2) or m.group(3), section)


def _number(section: str, value: float, sign: str) -> str:
    text = _literal(section)
    if re.search(r"[yYmMdDhHsS\[@]", re.sub(r"E[+-]", "", text)):
        raise ValueError(f"number format {section!r}: only digits, %, E+00 and literals are measured")
    if "%" in text:
        value *= 100
    m = re.search(r"[0#?][0#?,]*(?:\.[0#?]*)?(?:E[+-][0#?]+)?", text)
    if not m:
        return sign + text
    pattern = m.group(0)
    decimals = len(pattern.split(".")[1].split("E")[0]) if "." in pattern else 0
    if "E" in pattern:
        mantissa, exponent = f"{value:.{decimals}E}".split("E")
        digits = len(pattern.split("E")[1]) - 1
        number = f"{mantissa}E{exponent[0]}{abs(int(exponent)):0{digits}d}"
    else:
        number = f"{value:{',' if ',' in pattern else ''}.{decimals}f}"
    return text[:m.start()] + sign + number + text[m.end():]


def _general(value: float) -> str:
    """General shows as many decimals as the column holds: only the sign and integer part must fit
    (or the scientific form Excel switches to beyond 11 digits)."""
    if value != 0 and not 1e-9 <= abs(value) < 1e11:
        return f"{value:.2E}"
    return str(int(round(value)))


# -- the printed page (points) ----------------------------------------------------------------------
PAPER = 9  # A4 (XlsxWriter's paper code), 297 × 210 mm
PAPER_SIZE = (841.89, 595.28)  # landscape; portrait the other way round
MARGINS = (0.4, 0.4, 0.6, 0.6)  # left, right, top, bottom (inches); the header and footer sit in the top and bottom
USABLE = 0.92  # the share of the page a design fills, for what differs between Excel and LibreOffice


def column_px(width: float) -> int:
    """A column's width in Excel's pixels: 7 per unit and 5 of padding (XlsxWriter's rule too)."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


def column_points(width: float) -> float:
    """A column's width on paper. LibreOffice draws it a few percent wider (Carlito's digit is
    5.55 pt, not 5.25): USABLE leaves room for that."""
    return column_px(width) * 0.75


ROW_POINTS = 15.0  # a row of the default height (Calibri 11); Excel may grow one for YaHei 10 by 15 %
ROW_GROWTH = 1.15


def printable(landscape: bool) -> tuple[float, float]:
    """The width and height (points) a printed page holds inside its margins."""
    w, h = PAPER_SIZE if landscape else PAPER_SIZE[::-1]
    left, right, top, bottom = MARGINS
    return w - 72 * (left + right), h - 72 * (top + bottom)
