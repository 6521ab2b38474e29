"""Fuzz: a valid workbook mutated (zip bytes, XML text, cell values) never escapes as anything but
UnusableInput from load, recompute or check, never modifies its input, and never takes over 5 s.

A few hundred cases here (~10 s); 10,000 with `python3 tests/fuzz_long.py --cases 10000` (not in the
default run).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

# Hypothesis keeps its files (example database, failure patches) in ./.hypothesis: not in the checkout.
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "sheetnet-hypothesis"))

from fuzzcases import Base, Timer, apply_bytes, apply_cells, apply_xml, byte_mutations, cell_mutations, xml_mutations  # noqa: E402

FAST = settings(max_examples=120, deadline=5000, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_STATE: dict = {}


def _base() -> Base:
    if "base" not in _STATE:
        from sheetnet.data import chapter3_params
        from sheetnet.mirror.answer import write_book_workbook

        d = Path(tempfile.mkdtemp(prefix="sheetnet-fuzz-"))
        write_book_workbook(d / "good.xlsx", chapter3_params("initial"))
        _STATE.update(dir=d, base=Base(d / "good.xlsx"), timer=Timer())
    return _STATE["base"]


def teardown_module():
    if "dir" in _STATE:
        shutil.rmtree(_STATE["dir"], ignore_errors=True)


def _case(apply, mutation) -> str:
    base = _base()
    with tempfile.TemporaryDirectory(prefix="case-", dir=_STATE["dir"]) as d:
        return _STATE["timer"].run(apply(base, Path(d) / "case.xlsx", mutation), mutation)


@FAST
@given(byte_mutations())
def test_fuzz_zip_bytes(mutation):
    _case(apply_bytes, mutation)


@FAST
@given(xml_mutations())
def test_fuzz_xml_text(mutation):
    _case(apply_xml, mutation)


@FAST
@given(st.data())
def test_fuzz_cell_values(data):
    _case(apply_cells, data.draw(cell_mutations(_base())))


def test_fuzz_really_ran_and_the_untouched_workbook_is_usable():
    # The fuzz tests above ran (this module, in order) and some cases got through to recompute and
    # check: a fuzz that only ever hits the zip reader's first refusal would prove little.
    base, timer = _base(), _STATE["timer"]
    with tempfile.TemporaryDirectory(prefix="case-", dir=_STATE["dir"]) as d:
        copy = Path(d) / "good.xlsx"
        copy.write_bytes(base.blob)
        assert timer.run(copy, "unchanged") == "usable"
    if timer.cases < 200:
        pytest.skip("run with the fuzz tests above (-k selected only this one)")
    assert timer.outcomes.get("usable", 0) > 20 and timer.outcomes.get("unusable", 0) > 20, timer.outcomes
    assert timer.slowest < 5, (timer.slowest, timer.slowest_case)
