"""The translation catalogs are complete: every text the source marks is translated into Chinese and
Japanese, with the same placeholders, and the shipped .mo files are compiled from the .po files."""

import sys
from pathlib import Path

import pytest

pytest.importorskip("babel")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import catalogs  # noqa: E402


@pytest.fixture(scope="module")
def template():
    return catalogs.extract()


def test_the_template_is_what_the_source_extracts_to(template):
    pot = catalogs.LOCALE / f"{catalogs.DOMAIN}.pot"
    assert pot.read_bytes() == catalogs.dump_po(template), "run: python3 tools/catalogs.py"


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_every_text_is_translated_with_its_placeholders(template, language):
    assert catalogs.problems(template, catalogs.read(language), language) == []


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_the_shipped_catalog_is_compiled_from_its_po(language):
    mo = catalogs.po_path(language).with_suffix(".mo")
    assert mo.read_bytes() == catalogs.dump_mo(catalogs.read(language)), "run: python3 tools/catalogs.py"


def test_a_missing_translation_or_placeholder_is_caught(template):
    from babel.messages.catalog import Catalog

    broken = Catalog(locale="ja", domain="sheetnet")
    ids = [m.id for m in template if m.id]
    for mid in ids[1:]:
        broken.add(mid, ("x",) if isinstance(mid, tuple) else "x")  # a plural text's translation is a list
    found = catalogs.problems(template, broken, "ja")
    assert any("missing" in p for p in found)
    assert any("placeholders differ" in p for p in found if "%" in p)
