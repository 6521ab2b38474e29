"""Every user-facing text in the reader's language: simplified Chinese, Japanese or English.

Convention (used everywhere a student or teacher reads a text):
    from sheetnet.i18n import _, N_, ngettext
    print(_("wrote {path}: {n} cells marked").format(path=out, n=count))
- `_(msgid)` translates now; placeholders are named `{…}` and filled *after* translation, so a
  translator can move them.
- `ngettext(singular, plural, n)` for a text that depends on a count.
- `N_(msgid)` marks a text kept in data (layout labels, Mistake texts) for extraction; it is
  translated where it is shown, with `_()`.
- Call `_()` when the text is shown, never at import time: the language is chosen per command.

The catalogs are gettext's, managed with Babel (the standard tooling; see babel.cfg and
docs/translating.md): sheetnet/locale/sheetnet.pot is extracted from the source, each language's .po
holds its translations, and the compiled .mo files ship with the package, so the running program
needs only the standard library's gettext. The language is `--lang`, else $SHEETNET_LANG, else the
locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG; on Windows the user's UI language), else English.
"""

from __future__ import annotations

import gettext
import os
import sys
from pathlib import Path

DOMAIN = "sheetnet"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = {"en": "English", "zh": "简体中文", "ja": "日本語"}  # --lang's choices
_CATALOG = {"zh": "zh_CN", "ja": "ja"}  # the catalog folder of each translated language

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message


def language() -> str:
    """The language texts are shown in now: 'en', 'zh' or 'ja'."""
    return _language


def set_language(lang: str | None = None) -> str:
    """Show texts in `lang` ('en', 'zh', 'ja', or a locale name such as 'zh_CN.UTF-8', 'ja_JP');
    None: the one the environment asks for. Returns the language chosen."""
    global _translation, _language
    chosen = normalize(lang) if lang else from_environment()
    _language = chosen or "en"
    if _language in _CATALOG:
        _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[_CATALOG[_language]], fallback=True)
    else:
        _translation = gettext.NullTranslations()
    _translate_argparse()
    return _language


def normalize(name: str) -> str | None:
    """'zh_CN.UTF-8', 'zh-Hans', 'chinese' → 'zh'; 'ja_JP', 'Japanese_Japan.932' → 'ja'; 'C', 'en_US' → 'en'."""
    n = name.strip().lower().replace("-", "_")
    if n.startswith(("zh", "chinese")):
        return "zh"
    if n.startswith(("ja", "japanese")):
        return "ja"
    if n.startswith(("en", "english")) or n in ("c", "posix") or n.startswith("c."):
        return "en"
    return None


def from_environment() -> str:
    """The language the user's environment asks for (English when it asks for none we have)."""
    for var in ("SHEETNET_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        for part in value.split(":"):  # LANGUAGE may list several: the first we have wins
            if part and (found := normalize(part)):
                return found
        if value and var != "SHEETNET_LANG":
            return "en"  # the locale is set, to a language we do not have
    if sys.platform == "win32":
        return _windows_language() or "en"
    return "en"


def _windows_language() -> str | None:
    # Windows keeps the display language as a language id, not in the environment:
    # 0x04 is Chinese (0x0804 simplified), 0x11 Japanese.
    try:
        import ctypes

        lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
    except Exception:
        return None
    return {0x04: "zh", 0x11: "ja"}.get(lang_id & 0x3FF)


# argparse's own texts ("usage:", "error:", "show this help message and exit" …) go through the
# module's `_`, bound at import to gettext's default domain; point it at our catalogs instead.
ARGPARSE_TEXTS = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("expected one argument"),
    N_("argument %(argument_name)s: %(message)s"), N_("invalid %(type)s value: %(value)r"),
    N_("%(prog)s: error: %(message)s\n"), N_("not allowed with argument %s"),
    N_("ambiguous option: %(option)s could match %(matches)s"), N_("expected at least one argument"),
    N_("show program's version number and exit"),
)


def _translate_argparse() -> None:
    import argparse

    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]


set_language()  # the environment's language until a command says otherwise (--lang)


__all__ = ["_", "N_", "ngettext", "language", "set_language", "normalize", "from_environment", "LANGUAGES"]
