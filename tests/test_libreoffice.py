"""LibreOffice as an independent spreadsheet engine: does it recalculate our formula dialect?

Skipped when LibreOffice is not installed, except on CI (CI=true), where it must be.
The cheap tests use a fake soffice (a shell script) and do not start LibreOffice at all.
"""

import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import xlsxwriter

from sheetnet.libreoffice import LibreOfficeError, find_soffice, recalculate, render_png

ON_CI = os.environ.get("CI", "").lower() in ("true", "1")

if find_soffice() is None and not ON_CI:
    pytest.skip("LibreOffice (soffice) is not installed", allow_module_level=True)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="fake soffice is a sh script")

CIRCLE, CROSS = "○", "×"
WRONG = 999  # cached value XlsxWriter stores for every formula: only a recalculation fixes it

rng = np.random.default_rng(20240229)
X = rng.normal(size=3)  # row vector A3:C3
Y = rng.normal(size=3)  # column vector E3:E5
U = rng.normal(size=3)  # rows A6:C6 and A7:C7
V = rng.normal(size=3)
BIAS = -0.3141592653589793  # A8
LABELS = [CIRCLE, CROSS, CIRCLE, None, "=formula", 5]  # A10:A15, A14 a formula giving ○

# Formula cells in column H, with what NumPy says they must be.
EXPECTED = {
    "H1": ("=SUMPRODUCT(A6:C6,A7:C7)", U @ V),
    "H2": ("=EXP(A3)", np.exp(X[0])),
    "H3": ("=MMULT(A3:C3,E3:E5)", X @ Y),  # 1×3 by 3×1, a normal (non-array) formula
    "H4": ("=SUMXMY2(A6:C6,A7:C7)", np.sum((U - V) ** 2)),
    "H5": ('=COUNTIF(A10:A15,"○")', 3),
    "H6": ("=COUNTA(A10:A15)", 5),
    "H7": ("=1/(1+EXP(-(SUMPRODUCT(A6:C6,A7:C7)+A8)))", 1 / (1 + np.exp(-(U @ V + BIAS)))),
    "H8": ("=EXP(-30*A3*A3-20)", np.exp(-30 * X[0] ** 2 - 20)),  # tiny: relative precision
    "H9": ("=MMULT(A3:C3,E3:E5)*2+1", 2 * (X @ Y) + 1),  # MMULT inside an expression
}


def write_workbook(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("sheet")
    ws.write("A1", 21)
    ws.write_formula("B1", "=A1*2", None, WRONG)
    ws.write_row("A3", X.tolist())
    ws.write_column("E3", Y.tolist())
    ws.write_row("A6", U.tolist())
    ws.write_row("A7", V.tolist())
    ws.write("A8", BIAS)
    for row, label in enumerate(LABELS, start=10):
        if label == "=formula":
            ws.write_formula(f"A{row}", f'=IF(A1>0,"{CIRCLE}","{CROSS}")', None, CROSS)
        elif label is not None:
            ws.write(f"A{row}", label)
    for cell, (formula, _) in EXPECTED.items():
        ws.write_formula(cell, formula, None, WRONG)
    ws.write_formula("H10", f'=IF(H3>0,"{CIRCLE}","{CROSS}")', None, "stale")
    wb.close()
    return path


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """(source, its bytes before, its folder listing before, recalculated sheet, seconds)."""
    folder = tmp_path_factory.mktemp("lo")
    src = write_workbook(folder / "source.xlsx")
    before, listing = src.read_bytes(), sorted(p.name for p in folder.iterdir())
    start = time.perf_counter()
    dst = recalculate(src, folder / "out" / "recalculated.xlsx")
    seconds = time.perf_counter() - start
    sheet = openpyxl.load_workbook(dst, data_only=True)["sheet"]
    return src, before, listing, sheet, seconds


def test_soffice_is_available():
    # Only reachable without LibreOffice on CI, where it must fail rather than skip.
    assert find_soffice() is not None, "CI must have LibreOffice (soffice) installed"


def test_stale_cached_value_is_recalculated(recalculated):
    *_, sheet, seconds = recalculated
    assert sheet["B1"].value == 42  # the file said 999
    print(f"recalculation took {seconds:.2f} s")


@pytest.mark.parametrize("cell", sorted(EXPECTED))
def test_formula_dialect_matches_numpy(recalculated, cell):
    *_, sheet, _ = recalculated
    formula, expected = EXPECTED[cell]
    got = sheet[cell].value
    assert isinstance(got, (int, float)), f"{cell} {formula} gave {got!r}"
    assert got == pytest.approx(float(expected), rel=1e-12, abs=0), formula


def test_text_results(recalculated):
    *_, sheet, _ = recalculated
    assert sheet["A14"].value == CIRCLE  # cached "×" was stale
    assert sheet["H10"].value == (CIRCLE if X @ Y > 0 else CROSS)


def test_source_is_untouched(recalculated):
    src, before, listing, *_ = recalculated
    assert src.read_bytes() == before
    # No lock file or other litter next to the source; only our output folder is new.
    assert sorted(p.name for p in src.parent.iterdir()) == sorted([*listing, "out"])
    assert [p.name for p in (src.parent / "out").iterdir()] == ["recalculated.xlsx"]


def test_concurrent_calls_each_get_their_own_profile(tmp_path):
    src = write_workbook(tmp_path / "source.xlsx")
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda i: recalculate(src, tmp_path / f"r{i}.xlsx"), range(2)))
    for out in outs:
        assert openpyxl.load_workbook(out, data_only=True)["sheet"]["B1"].value == 42


def test_render_png(tmp_path):
    src = write_workbook(tmp_path / "source.xlsx")
    try:
        png = render_png(src, tmp_path / "pictures" / "sheet.png")
    except LibreOfficeError as err:
        if "libreoffice-draw" in str(err) and not ON_CI:
            pytest.skip(str(err))  # Debian's calc-nogui alone has no Calc→PNG filter
        raise
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in png.parent.iterdir()] == ["sheet.png"]  # no .part left over


def test_missing_soffice_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEETNET_SOFFICE", str(tmp_path / "no-such-soffice"))
    assert find_soffice() is None
    src = write_workbook(tmp_path / "source.xlsx")
    with pytest.raises(LibreOfficeError, match="not found"):
        recalculate(src, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_refuses_to_overwrite_source(tmp_path):
    src = write_workbook(tmp_path / "source.xlsx")
    with pytest.raises(ValueError):
        recalculate(src, src)


# --- a fake soffice: the process handling, without starting LibreOffice --------------------


@pytest.fixture
def fake_soffice(tmp_path, monkeypatch):
    """Install a sh script as soffice; returns (write body, private temp root, log folder)."""
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    log = tmp_path / "log"
    log.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_root))  # see what is left behind

    def install(body: str) -> Path:
        script = tmp_path / "soffice"
        script.write_text(f"#!/bin/sh\nLOG='{log}'\n{body}\n")
        script.chmod(0o755)
        monkeypatch.setenv("SHEETNET_SOFFICE", str(script))
        return script

    return install, temp_root, log


@posix_only
def test_child_gets_private_profile_and_home(tmp_path, fake_soffice):
    install, temp_root, log = fake_soffice
    install(
        'echo "$HOME" > "$LOG/home"; printf "%s\\n" "$@" > "$LOG/args"\n'
        'profile=$(printf "%s" "$1" | sed "s#^-env:UserInstallation=file://##")\n'
        'cp "$profile/user/registrymodifications.xcu" "$LOG/"\n'
        'for last; do :; done; cp "$last" "$LOG/out.xlsx"; cp "$last" "$(dirname "$last")/../out/"'
    )
    src = write_workbook(tmp_path / "source.xlsx")
    recalculate(src, tmp_path / "dst.xlsx")
    args = (log / "args").read_text().splitlines()
    assert args[0].startswith("-env:UserInstallation=file:///")
    assert {"--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck"} <= set(args)
    assert args[args.index("--convert-to") + 1] == "xlsx:Calc MS Excel 2007 XML"
    home = Path((log / "home").read_text().strip())
    assert home.parent == temp_root  # not the real home
    xcu = (log / "registrymodifications.xcu").read_text()
    assert '"OOXMLRecalcMode"' in xcu and '"ODFRecalcMode"' in xcu
    assert (tmp_path / "dst.xlsx").read_bytes() == src.read_bytes()
    assert list(temp_root.iterdir()) == []  # temp dirs cleaned up


@posix_only
def test_no_output_raises(tmp_path, fake_soffice):
    install, temp_root, _ = fake_soffice
    install('echo "Error: no export filter for x found, aborting." >&2')
    src = write_workbook(tmp_path / "source.xlsx")
    with pytest.raises(LibreOfficeError, match="wrote no .xlsx.*no export filter"):
        recalculate(src, tmp_path / "dst.xlsx")
    assert not (tmp_path / "dst.xlsx").exists()
    assert list(temp_root.iterdir()) == []


@posix_only
def test_failure_status_raises(tmp_path, fake_soffice):
    install, temp_root, _ = fake_soffice
    install('echo "something broke"; exit 3')
    src = write_workbook(tmp_path / "source.xlsx")
    with pytest.raises(LibreOfficeError, match="status 3.*something broke"):
        recalculate(src, tmp_path / "dst.xlsx")
    assert list(temp_root.iterdir()) == []


@posix_only
def test_timeout_kills_the_whole_process_group(tmp_path, fake_soffice):
    install, temp_root, log = fake_soffice
    # Like the real launcher, the work happens in a child process.
    install('sleep 60 & echo $! > "$LOG/child"; wait')
    src = write_workbook(tmp_path / "source.xlsx")
    start = time.monotonic()
    with pytest.raises(LibreOfficeError, match="timed out"):
        recalculate(src, tmp_path / "dst.xlsx", timeout=1)
    assert time.monotonic() - start < 55  # did not wait for the child's 60 s (a loose bound: load never reaches it)
    child = int((log / "child").read_text())
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:  # SIGKILL is asynchronous: wait for it to land
        time.sleep(0.05)
    assert not _alive(child)
    assert list(temp_root.iterdir()) == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of an exited shell may linger as a zombie until init reaps it.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return True
