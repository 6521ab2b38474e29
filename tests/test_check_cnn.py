"""`sheetnet check` on the chapter-5 CNN workbook: a clean one checks clean, and each typical mistake
(checkcases_cnn.py) is named exactly where it is — the CNN's own diagnoses (pooling z, a shifted
window, the wrong filter) as well as chapter 3's in their CNN places."""

import zipfile

import pytest

from checkcases_cnn import CASES, N, at, build, learn_part
from sheetnet.check.checker import check
from sheetnet.cli import main
from sheetnet.layout.chapter5 import CNN5

GRADED = 157 * N + 2  # per image x 36, t 3, zF 48, aF 48, zP 12, zO 3, aO 3, C, digit, prediction, verdict; C_T, accuracy


@pytest.fixture(scope="module")
def books(soffice, tmp_path_factory):
    return build(tmp_path_factory.mktemp("check-cnn-suite"))


def _roots(result) -> dict[str, str]:
    return {f.cell.split("!")[1]: f.diagnosis.code for f in result.findings if f.is_root}


@pytest.mark.parametrize("name", ["clean", "clean (LibreOffice)"])
def test_a_right_cnn_workbook_checks_clean(books, name, capsys):
    assert main(["check", str(books[name])]) == 0  # the kind is found from the sheets
    out = capsys.readouterr().out
    assert f"{GRADED} computed cells checked: {GRADED} right (100.0%)" in out and "every computed cell is right" in out


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=c.xfail)) if c.xfail
                                  else c for c in CASES], ids=lambda c: c.name)
def test_each_cnn_mistake_is_named_exactly_where_it_is(books, case):
    r = check(books[case.name])
    assert _roots(r) == case.roots  # exactly the changed cells, each with the right diagnosis
    assert len(r.root_causes) == case.groups  # one finding however often it was filled across and down
    assert sum(len(g.places) for g in r.root_causes) == len(case.roots)
    for f in r.findings:
        if not f.is_root:
            assert f.caused_by, f"{f.title} inherits from nothing"
    assert r.exit_code == 1 and r.graded == GRADED and r.right == GRADED - len(r.findings)


def test_pooling_z_says_which_window_and_spoils_what_follows(books):
    r = check(books["pooling z instead of a, all images"])
    (root,) = r.root_causes
    first = root.first
    assert (first.cell, first.label, first.formula) == (f"卷积神经网络!{at('pool', 1)}", "pool_1(1,1)", "=MAX(N14:O15)")
    assert first.expected_formula == "=MAX(N26:O27)"
    assert "MAX of the 2×2 window of aF" in root.diagnosis.text and "N14:O15" in root.diagnosis.text
    assert root.spoiled["z_out_1"] == N and root.spoiled["C"] == N and root.spoiled["C_T"] == 1


def test_a_shifted_window_names_both_windows(books):
    r = check(books["a filter window shifted by one, one image"])
    (root,) = r.root_causes
    assert root.diagnosis.structural
    assert root.diagnosis.text.startswith("reads O5:Q7 where N5:P7 (x of image 1) belongs")
    assert "one column" in root.diagnosis.text


def test_the_wrong_filter_names_the_filter_read_and_the_one_that_belongs(books):
    r = check(books["the wrong filter, all images"])
    (root,) = r.root_causes
    assert len(root.places) == 16 * N and {f.label.split("(")[0] for f in root.places} == {"zF_2"}
    assert "filters_1 (卷积神经网络!D5:F7)" in root.diagnosis.text and "filters_2 (卷积神经网络!D8:F10)" in root.diagnosis.text


def test_the_feature_maps_have_their_own_colour_scale(books):
    with zipfile.ZipFile(books["clean"]) as z:
        learn = z.read(learn_part(books["clean"])).decode("utf-8")
    rules = [r for r in learn.split("<conditionalFormatting")[1:] if "<colorScale>" in r]
    aF = CNN5.positions(CNN5["aF"], N)
    assert sum('sqref="N26:Q29"' in r for r in rules) == 1  # image 1's aF_1, on its own
    (rule,) = [r for r in rules if 'sqref="N26:Q29"' in r]
    assert rule.count("<cfvo ") == 3 and '<cfvo type="num" val="0.1"/>' in rule and '<cfvo type="num" val="1"/>' in rule
    assert len([r for r in rules if '<cfvo type="num" val="0.1"/>' in r]) == aF.shape[0] * aF.shape[1]
