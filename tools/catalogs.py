"""Keep the translation catalogs in step with the source (Babel, the standard gettext tooling).

    python3 tools/catalogs.py            # extract → sheetnet/locale/sheetnet.pot, update each .po, compile .mo
    python3 tools/catalogs.py --check    # only say what is out of date or untranslated (exit 1 if anything)
    python3 tools/catalogs.py --fill T.json   # put translations in: {"zh_CN": {msgid: text}, "ja": {…}}
                                              # (plural texts: keyed by the singular, a list of forms)

The same steps as `pybabel extract -F babel.cfg -k N_ -k ngettext:1,2`, `pybabel update` and
`pybabel compile`, through Babel's API so that the files carry no dates and re-running changes
nothing when the texts did not change (tests/test_catalogs.py runs the check).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sheetnet"
LOCALE = PACKAGE / "locale"
DOMAIN = "sheetnet"
LANGUAGES = ("zh_CN", "ja")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
FIXED = datetime(2017, 1, 1, tzinfo=timezone.utc)  # the book's year: no dates churn in the files
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)[a-z]|%[a-z]")


def extract() -> Catalog:
    """Every text the source marks, as a template catalog."""
    template = Catalog(project="sheetnet", domain=DOMAIN, creation_date=FIXED, revision_date=FIXED,
                       charset="utf-8", fuzzy=False)
    method_map = [("**.py", "python")]
    for _file, _line, message, _comments, context in extract_from_dir(
            PACKAGE, method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)):
        template.add(message, context=context)
    return template


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    with open(po_path(language), "rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


def dump_po(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, omit_header=False, sort_output=True, width=0, include_lineno=False,
             no_location=True)
    return buf.getvalue()


def dump_mo(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def problems(template: Catalog, catalog: Catalog, language: str) -> list[str]:
    """What keeps a catalog from being complete: missing, untranslated, fuzzy, stale, or a translation
    whose placeholders are not the original's."""
    out = []
    ids = {m.id for m in template if m.id}
    have = {m.id: m for m in catalog if m.id}
    for mid in sorted(ids - have.keys(), key=str):
        out.append(f"{language}: missing {mid!r}")
    for mid in sorted(have.keys() - ids, key=str):
        out.append(f"{language}: no longer in the source {mid!r}")
    for mid, m in have.items():
        if mid not in ids:
            continue
        strings = m.string if isinstance(m.string, (list, tuple)) else (m.string,)
        if m.fuzzy or not all(strings):
            out.append(f"{language}: untranslated {mid!r}")
            continue
        originals = mid if isinstance(mid, tuple) else (mid,)
        want = sorted(PLACEHOLDER.findall(originals[-1]))
        for s in strings:
            if sorted(PLACEHOLDER.findall(s)) != want:
                out.append(f"{language}: placeholders differ in {mid!r}: {s!r}")
    return out


def fill(tables: dict[str, dict[str, str]]) -> None:
    """Translations into the .po files (an entry already translated is replaced). A text with plural
    forms is keyed by its singular and takes a list, one text per plural form of the language."""
    for language, table in tables.items():
        catalog = read(language)
        for m in catalog:
            key = m.id[0] if isinstance(m.id, (list, tuple)) else m.id
            if key not in table:
                continue
            text = table[key]
            if isinstance(m.id, (list, tuple)):
                forms = text if isinstance(text, list) else [text]
                m.string = tuple(forms + forms[-1:] * (catalog.num_plurals - len(forms)))
            else:
                m.string = text
        po_path(language).write_bytes(dump_po(catalog))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 when a catalog is not complete")
    p.add_argument("--fill", type=Path, metavar="TABLE.json",
                   help='first put these translations in: {"zh_CN": {msgid: text, …}, "ja": {…}}')
    args = p.parse_args()
    if args.fill:
        fill(json.loads(args.fill.read_text(encoding="utf-8")))
    template = extract()
    pot = LOCALE / f"{DOMAIN}.pot"
    found = []
    if args.check:
        if not pot.exists() or pot.read_bytes() != dump_po(template):
            found.append(f"{pot.relative_to(ROOT)} is not what the source extracts to")
    else:
        pot.parent.mkdir(parents=True, exist_ok=True)
        pot.write_bytes(dump_po(template))
    for language in LANGUAGES:
        path = po_path(language)
        if path.exists():
            catalog = read(language)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project="sheetnet", creation_date=FIXED,
                              revision_date=FIXED, fuzzy=False)
        if not args.check:
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            catalog.creation_date = catalog.revision_date = FIXED
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(dump_po(catalog))
            path.with_suffix(".mo").write_bytes(dump_mo(catalog))
        else:
            mo = path.with_suffix(".mo")
            if not mo.exists() or mo.read_bytes() != dump_mo(catalog):
                found.append(f"{mo.relative_to(ROOT)} is not compiled from its .po")
        found += problems(template, catalog, language)
    for line in found:
        print(line)
    return 1 if found and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
