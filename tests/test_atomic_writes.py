"""Stopping `sheetnet answer` or `train` in each phase of its write leaves the old file or the complete
new one; SIGTERM and Ctrl-C also remove the temporary file and end with one line (143 / 130).

The command says where it is (SHEETNET_PHASES, see sheetnet/interrupts.py) and waits in the named
phase until the signal comes, so each case stops it exactly there, however loaded the machine.
"""

import os
import select
import signal
import subprocess
import sys
from collections import Counter

import pytest

from sheetnet.data import chapter3_params
from sheetnet.mirror.answer import write_book_workbook

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

OLD = b"the user's old file"
# phase → what the target holds after a stop there
PHASES = {"start": "old", "ready": "old", "write": "old", "replace": "old", "written": "new"}
SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT, "SIGKILL": signal.SIGKILL}


def _command(kind, source, target):
    if kind == "answer":
        return [sys.executable, "-m", "sheetnet", "answer", "-o", str(target)]
    return [sys.executable, "-m", "sheetnet", "train", str(source), "-o", str(target), "--method", "gd",
            "--iterations", "200"]


def start(argv, stop_at: str, **kw) -> subprocess.Popen:
    """The command in its own process group (as a shell starts a job), stopping at phase `stop_at`."""
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "SHEETNET_PHASES": stop_at}, **kw)


def wait_for(proc: subprocess.Popen, *lines: str, hang: float = 120) -> None:
    """Read the command's stderr until it has said each of `lines` (in any order; a line listed twice,
    twice): it is waiting there then. Byte by byte from the pipe, so that nothing after that is taken
    from finish() (communicate reads the pipe itself, not what a line iterator has buffered); `hang`
    only turns a command that never says them into a failure."""
    awaited = Counter(lines)
    seen, current = [], bytearray()
    fd = proc.stderr.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], hang)
        if not ready:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"{sorted(awaited.elements())} never came in {hang} s; stderr: {seen}")
        byte = os.read(fd, 1)
        if not byte:
            raise AssertionError(f"{sorted(awaited.elements())} never came; stderr: "
                                 f"{seen + [current.decode(errors='replace')]}")
        if byte != b"\n":
            current += byte
            continue
        seen.append(current.decode("utf-8", errors="replace"))
        current.clear()
        if awaited[seen[-1]] > 0:
            awaited[seen[-1]] -= 1
            if not +awaited:
                return


def finish(proc: subprocess.Popen) -> tuple[str, list[str]]:
    """stdout, and the stderr lines that are not phase marks."""
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # it did not stop: fail, and leave no process waiting behind
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return out, [ln for ln in err.splitlines() if not ln.startswith("sheetnet-phase: ")]


def send(proc: subprocess.Popen, sig: int) -> None:
    """SIGINT as Ctrl-C sends it (to the whole process group), the others to the process."""
    os.killpg(proc.pid, sig) if sig == signal.SIGINT else proc.send_signal(sig)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("atomic") / "initial.xlsx"
    write_book_workbook(path, chapter3_params("initial"))
    return path


@pytest.fixture(scope="module")
def complete(source, tmp_path_factory):
    """kind → the bytes a finished run writes (the writers are deterministic)."""
    folder = tmp_path_factory.mktemp("complete")
    out = {}
    for kind in ("answer", "train"):
        subprocess.run(_command(kind, source, folder / f"{kind}.xlsx"), check=True, capture_output=True)
        out[kind] = (folder / f"{kind}.xlsx").read_bytes()
    return out


@pytest.mark.parametrize("phase", list(PHASES))
@pytest.mark.parametrize("sig", list(SIGNALS))
@pytest.mark.parametrize("kind", ["answer", "train"])
def test_the_target_is_old_or_complete(kind, sig, phase, source, complete, tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(OLD)
    proc = start(_command(kind, source, target), phase)
    wait_for(proc, f"sheetnet-phase: {phase}")
    send(proc, SIGNALS[sig])
    out, err = finish(proc)
    expected = OLD if PHASES[phase] == "old" else complete[kind]
    assert target.read_bytes() == expected, f"{kind} stopped by {sig} in phase {phase}"
    if sig == "SIGKILL":  # no clean-up is possible; at most the temporary file stays, under its own name
        assert all(p.name == "out.xlsx" or p.name.endswith(".sheetnet-tmp") for p in tmp_path.iterdir())
        return
    assert sorted(os.listdir(tmp_path)) == ["out.xlsx"], os.listdir(tmp_path)
    # exactly 130 / 143: the command caught the signal and said so (a KeyboardInterrupt that escaped
    # would make CPython end the process by SIGINT, -2)
    assert proc.returncode == (143 if sig == "SIGTERM" else 130), (proc.returncode, err)
    assert err == ["sheetnet: terminated" if sig == "SIGTERM" else "sheetnet: interrupted"], err
