"""Killing `sheetnet answer` or `train` while it writes leaves the old file or the complete new one."""

import os
import signal
import subprocess
import sys
import time

import pytest

from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook

# Delays spread over the command's life (start-up ≈ 0.1 s, whole run ≈ 0.3–0.6 s), so some kills
# land before, some during and some after the write.
DELAYS = [0.05 * k for k in range(1, 15)]


def _command(kind, source, target):
    if kind == "answer":
        return [sys.executable, "-m", "sheetnet", "answer", "-o", str(target)]
    return [sys.executable, "-m", "sheetnet", "train", str(source), "-o", str(target), "--method", "gd",
            "--iterations", "200"]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("atomic") / "initial.xlsx"
    write_book_workbook(path, chapter3_params("initial"))
    return path


@pytest.mark.parametrize("kind", ["answer", "train"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_the_target_is_old_or_complete(kind, sig, source, tmp_path):
    old = b"the user's old file"
    complete = tmp_path / "complete.xlsx"
    subprocess.run(_command(kind, source, complete), check=True, capture_output=True)
    new = complete.read_bytes()  # the writers are deterministic: a finished run gives these bytes
    outcomes = set()
    for delay in DELAYS:
        folder = tmp_path / f"run-{delay:.2f}"
        folder.mkdir()
        target = folder / "out.xlsx"
        target.write_bytes(old)
        proc = subprocess.Popen(_command(kind, source, target), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        got = target.read_bytes()
        assert got in (old, new), f"{kind} killed after {delay:.2f} s left a broken target"
        outcomes.add("old" if got == old else "new")
        if sig == signal.SIGTERM:  # a clean stop removes its temporary file
            assert sorted(os.listdir(folder)) == ["out.xlsx"], (delay, os.listdir(folder))
            assert b"Traceback" not in err
    assert "old" in outcomes  # the kills did land before the end
