"""The language is --lang, else $SHEETNET_LANG, else the locale; argparse's own texts follow it."""

import pytest

from sheetnet import i18n
from sheetnet.cli import main


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


@pytest.mark.parametrize("name, lang", [("zh_CN.UTF-8", "zh"), ("zh-Hans", "zh"), ("Chinese (Simplified)_China.936", "zh"),
                                        ("ja_JP.eucJP", "ja"), ("Japanese_Japan.932", "ja"), ("C", "en"),
                                        ("C.UTF-8", "en"), ("en_GB", "en"), ("fr_FR", None)])
def test_locale_names(name, lang):
    assert i18n.normalize(name) == lang


@pytest.mark.parametrize("env, lang", [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LC_ALL": "ja_JP.UTF-8", "LANG": "zh_CN.UTF-8"}, "ja"),
    ({"LANGUAGE": "fr:ja", "LANG": "en_US"}, "ja"), ({"LANG": "fr_FR"}, "en"), ({"LC_ALL": "C"}, "en"),
    ({"SHEETNET_LANG": "zh", "LANG": "ja_JP"}, "zh"), ({}, "en"),
])
def test_the_environment_chooses(monkeypatch, env, lang):
    for var in ("SHEETNET_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.from_environment() == lang


@pytest.mark.parametrize("lang, usage", [("zh", "用法："), ("ja", "使い方: "), ("en", "usage: ")])
def test_help_is_in_the_chosen_language(capsys, lang, usage):
    assert main(["check", "--help", "--lang", lang]) == 0
    assert capsys.readouterr().out.startswith(usage)


def test_an_unknown_language_is_one_line(capsys):
    assert main(["--lang", "xx", "recompute", "a.xlsx"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "sheetnet: --lang xx: choose en, zh or ja"
