"""The workbook's zip file, deflated by a thread while the parts are written (sheetnet.xlsx.zipstream,
sheetnet.xlsx.package): zipfile's bytes exactly, as XlsxWriter has it zip its part files; a failure on
either side is raised once, in the main thread, and leaves no thread waiting."""

from __future__ import annotations

import errno
from datetime import datetime
import io
import os
import random
import signal
import subprocess
import sys
import threading
import time
import zipfile

import pytest
import xlsxwriter

from sheetnet.xlsx import package, zipstream

# parts as a workbook has them: small ones, an empty one, one bigger than a chunk and than the
# compressed bytes gathered before a write, a name that is not ASCII
_rng = random.Random(7)
PARTS = [
    ("[Content_Types].xml", b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types/>'),
    ("xl/empty.xml", b""),
    ("xl/worksheets/sheet1.xml", b"".join(b'<c r="A%d"><v>%r</v></c>' % (i, _rng.random()) for i in range(120_000))),
    ("xl/noise.bin", _rng.randbytes(1_500_000)),  # incompressible: more than one write of compressed bytes
    ("xl/名前.xml", "<x>数据</x>".encode()),
]


def _zipfile_bytes(parts, tmp_path, **level) -> bytes:
    """What XlsxWriter's own close() writes: each part a temporary file (mkstemp's mode, dated
    1980-01-31 local time), zipped by ZipFile.write into memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, **level) as zf:
        for k, (name, data) in enumerate(parts):
            path = tmp_path / f"part{k}"
            path.write_bytes(data)
            os.chmod(path, 0o600)
            stamp = time.mktime((1980, 1, 31, 0, 0, 0, 0, 0, -1))
            os.utime(path, (stamp, stamp))
            zf.write(path, name)
    return out.getvalue()


def _chunks(data: bytes, seed: int):
    rng = random.Random(seed)
    at = 0
    while at < len(data):
        n = rng.choice([1, 17, 4096, 65536, 1 << 20])
        yield data[at:at + n]
        at += n


def test_the_bytes_are_zipfiles_whatever_the_chunks(tmp_path):
    expected = _zipfile_bytes(PARTS, tmp_path)
    for seed in (1, 2):
        out = io.BytesIO()
        parts = zipstream.ZipParts(out)
        for name, data in PARTS:
            parts.begin(name)
            for chunk in _chunks(data, seed):
                parts.write(chunk)
            parts.end()
        parts.close()
        assert out.getvalue() == expected


def test_the_comparison_sees_a_changed_level_or_date(tmp_path):
    # the test above would fail if the deflate level or a header field were not zipfile's
    assert _zipfile_bytes(PARTS[:3], tmp_path, compresslevel=9) != _zipfile_bytes(PARTS[:3], tmp_path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in PARTS[:3]:
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)
    assert out.getvalue() != _zipfile_bytes(PARTS[:3], tmp_path)


def test_the_thread_writes_the_same_bytes(tmp_path):
    texts = [(name, data) for name, data in PARTS if not name.endswith(".bin")]
    out = io.BytesIO()
    with zipstream.deflating(out) as zipping:
        for name, data in texts:
            zipping.begin(name)
            text = data.decode("utf-8")
            for k in range(0, len(text), 300_000):
                zipping.text(text[k:k + 300_000])
            zipping.end_part()
    assert out.getvalue() == _zipfile_bytes(texts, tmp_path)
    unseekable = _Unseekable()
    with zipstream.deflating(unseekable) as zipping:  # a pipe or a device: the same bytes, zipped in memory first
        zipping.begin("a.xml")
        zipping.text("<a/>")
        zipping.end_part()
    seekable = io.BytesIO()
    with zipstream.deflating(seekable) as zipping:
        zipping.begin("a.xml")
        zipping.text("<a/>")
        zipping.end_part()
    assert unseekable.data == seekable.getvalue() == _zipfile_bytes([("a.xml", b"<a/>")], tmp_path)


def _book(make):
    """A small workbook of each kind of part sheetnet writes: cells, strings, a chart, defined names."""
    book = make()
    fmt = book.add_format({"num_format": "0.00", "bold": True})
    ws = book.add_worksheet("データ")
    for r in range(300):
        ws.write_number(r, 0, r / 7, fmt)
        ws.write_formula(r, 1, f"=A{r + 1}*2", None, r / 3.5)
        ws.write_string(r, 2, f"文字 {r} & <x>")
    chart = book.add_chart({"type": "line"})
    chart.add_series({"values": ["データ", 0, 0, 299, 0]})
    book.add_worksheet("two").insert_chart(1, 1, chart)
    book.define_name("total", "=データ!$A$1")
    # its creation time pinned: core.xml holds it to the second, and two books made a second apart differ
    book.set_properties({"author": "sheetnet", "created": datetime(2026, 1, 1)})
    return book


def test_a_streamed_workbook_is_xlsxwriters_own_byte_for_byte(tmp_path, monkeypatch):
    monkeypatch.setattr(package, "CHUNK", 1000)  # many hand-overs within a part
    own = io.BytesIO()
    _book(lambda: xlsxwriter.Workbook(own, {"tmpdir": str(tmp_path)})).close()
    streamed = io.BytesIO()
    _book(lambda: package.StreamingWorkbook(streamed)).close()
    assert streamed.getvalue() == own.getvalue()
    assert list(tmp_path.iterdir()) == []  # XlsxWriter's temporary files were removed, ours never made


class _Unseekable:
    def __init__(self):
        self.data = b""

    def seekable(self):
        return False

    def write(self, data):
        self.data += bytes(data)
        return len(data)


class _Disk(io.BytesIO):
    """An output that fails like a full disk after `room` bytes, or waits in write until `go` is set."""

    def __init__(self, room=1 << 40, go: threading.Event | None = None):
        super().__init__()
        self.room, self.go, self.writes = room, go, 0

    def write(self, data):
        self.writes += 1
        if self.go is not None:
            self.go.wait()
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return super().write(data)


def _within(seconds, work):
    """Run work() in a thread; fail (rather than hang the suite) if it is still running after `seconds`."""
    result = {}

    def run():
        try:
            work()
        except BaseException as e:
            result["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "hung"
    return result.get("error")


def _threads():
    return [t for t in threading.enumerate() if t.name == "sheetnet-deflate"]


def test_a_full_disk_in_the_thread_is_raised_in_the_caller():
    def work():
        with zipstream.deflating(_Disk(room=5000)) as zipping:
            zipping.begin("sheet.xml")
            for _ in range(200):  # far more than the hand-over holds: the caller is waiting when the disk fills
                zipping.text("".join(map(str, range(50_000))))
            zipping.end_part()
    error = _within(60, work)
    assert isinstance(error, OSError) and error.errno == errno.ENOSPC
    assert _threads() == []


def test_a_caller_waiting_on_a_full_hand_over_gets_the_threads_error():
    go = threading.Event()
    disk = _Disk(room=0, go=go)
    handed = []

    def work():
        with zipstream.deflating(disk) as zipping:
            zipping.begin("sheet.xml")  # the thread waits in its first write (the header)
            for k in range(10):
                zipping.text("x" * 1000)
                handed.append(k)
    t = threading.Thread(target=lambda: _within(60, work), daemon=True)
    t.start()
    while len(handed) < 1 and t.is_alive():
        time.sleep(0.01)
    time.sleep(0.2)
    assert len(handed) < 10  # the caller waits: the hand-over is bounded
    go.set()  # the write fails now
    t.join(60)
    assert not t.is_alive() and _threads() == []


def test_a_failing_caller_stops_the_thread():
    go = threading.Event()
    interval = sys.getswitchinterval()

    def work():
        with zipstream.deflating(_Disk(go=go)) as zipping:
            zipping.begin("sheet.xml")
            zipping.text("x" * 1000)
            go.set()
            raise KeyboardInterrupt  # Ctrl-C while the rows are being written
    error = _within(60, work)
    assert isinstance(error, KeyboardInterrupt)
    assert _threads() == []
    assert sys.getswitchinterval() == interval  # shortened only while the thread deflates


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="POSIX file size limits")
def test_a_write_failing_in_the_thread_is_one_line_and_leaves_no_file(tmp_path):
    # the file size limit makes the deflating thread's write fail, as a full disk would: one line, a
    # non-zero exit, no temporary file left, and nothing said later by XlsxWriter's zip file (left open)
    import resource

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
    out = tmp_path / "out.xlsx"
    run = subprocess.run([sys.executable, "-m", "sheetnet", "answer", "--kind", "cnn-backprop", "--iterations", "2",
                          "-o", str(out)], capture_output=True, text=True, timeout=600, preexec_fn=limit)
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines() == [f"sheetnet: {out}: cannot write: the file is too large for this file system"]
    assert list(tmp_path.iterdir()) == []


def test_a_binary_part_is_refused_not_lost(tmp_path):
    png = tmp_path / "one.png"
    png.write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                                  "0000000d49444154789c6360000002000185d3fd0c0000000049454e44ae426082"))
    book = package.StreamingWorkbook(io.BytesIO())
    book.add_worksheet().insert_image(0, 0, str(png))
    with pytest.raises(ValueError, match="not streamed"):
        book.close()
    assert _threads() == []
