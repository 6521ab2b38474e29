"""The .xlsx's zip file, deflated in a thread of its own while the next part's XML is being made.

zlib releases the GIL while it compresses, so a part's text handed to the thread here is deflated on
the second core while the main thread goes on writing cells. The bytes are zipfile's, as XlsxWriter
has it write each part (ZipFile.write of a temporary file, to a seekable output): a local header
rewritten with the CRC and sizes once the part is done (no data descriptors), the default deflate
level, the part files' fixed date and permissions, the central directory in the parts' order.
tests/test_zipstream.py holds the bytes against zipfile's own.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import threading
import zlib
from collections import deque
from contextlib import contextmanager
from typing import BinaryIO, Iterator
from zipfile import LargeZipFile

# zipfile without ZIP64 (XlsxWriter's default): beyond these it refuses, and so do we
_LIMIT = (1 << 31) - 1
_COUNT_LIMIT = (1 << 16) - 1

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20  # zipfile's DEFAULT_VERSION: made by, and needed to extract, a deflated entry
_DEFLATED = 8
_UTF8_NAME = 0x800
_SYSTEM = 0 if sys.platform == "win32" else 3  # zipfile's create_system
# XlsxWriter dates its part files 1980-01-31 00:00 (local time, read back as local time) ...
_DOS_TIME, _DOS_DATE = 0, (1980 - 1980) << 9 | 1 << 5 | 31
# ... and zipfile stores a file's mode: mkstemp's regular file, rw------- (Windows reports rw-rw-rw-)
_ATTRIBUTES = (0o100666 if os.name == "nt" else 0o100600) << 16

SWITCH_INTERVAL = 0.001  # seconds, while a zip file is being deflated (sys.setswitchinterval)
_WRITE_AT = 1 << 20  # compressed bytes gathered before they are written out (fewer calls, fewer GIL hand-backs)


class ZipParts:
    """A zip file written entry by entry: begin(name), write(bytes)…, end(); close() adds the directory."""

    def __init__(self, fh: BinaryIO):
        self._fh = fh
        self._at = fh.tell()  # zipfile's offsets are the output's own positions
        self._entries: list[tuple[bytes, int, int, int, int, int]] = []  # name, flags, CRC, sizes, offset
        self._open: tuple[bytes, int, int] | None = None  # the entry being written: name, flags, offset

    def begin(self, name: str) -> None:
        if self._open is not None:
            raise ValueError("a zip entry is still open")
        if len(self._entries) >= _COUNT_LIMIT:
            raise LargeZipFile("Files count would require ZIP64 extensions")
        if self._at > _LIMIT:
            raise LargeZipFile("Zipfile size would require ZIP64 extensions")
        try:
            encoded, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            encoded, flags = name.encode("utf-8"), _UTF8_NAME
        self._open = (encoded, flags, self._at)
        self._crc = self._size = self._compressed = 0
        self._deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self._out: list[bytes] = []
        self._out_size = 0
        self._put(_local(encoded, flags, 0, 0, 0))  # CRC and sizes filled in by end()

    def write(self, data: bytes, crc: int | None = None) -> None:
        """The part's next bytes; crc: the part's CRC-32 up to their end, if the caller has it already."""
        self._crc = zlib.crc32(data, self._crc) if crc is None else crc
        self._size += len(data)
        packed = self._deflate.compress(data)
        if packed:
            self._out.append(packed)
            self._out_size += len(packed)
            if self._out_size >= _WRITE_AT:
                self._drain()

    def end(self) -> None:
        encoded, flags, offset = self._open
        self._out.append(self._deflate.flush())
        self._out_size += len(self._out[-1])
        self._drain()
        # XlsxWriter's ZipFile refuses a part file that could need ZIP64 (it knows the size beforehand)
        if self._size * 1.05 > _LIMIT:
            raise LargeZipFile("Filesize would require ZIP64 extensions")
        end = self._at
        self._fh.seek(offset)
        self._fh.write(_local(encoded, flags, self._crc, self._compressed, self._size))
        self._fh.seek(end)
        self._entries.append((encoded, flags, self._crc, self._compressed, self._size, offset))
        self._open = None

    def close(self) -> None:
        if self._open is not None:
            raise ValueError("a zip entry is still open")
        start = self._at
        for encoded, flags, crc, compressed, size, offset in self._entries:
            self._put(_CENTRAL.pack(b"PK\001\002", _VERSION, _SYSTEM, _VERSION, 0, flags, _DEFLATED,
                                    _DOS_TIME, _DOS_DATE, crc, compressed, size, len(encoded), 0, 0, 0, 0,
                                    _ATTRIBUTES, offset) + encoded)
        if start > _LIMIT or self._at - start > _LIMIT:
            raise LargeZipFile("Central directory offset would require ZIP64 extensions")
        count = len(self._entries)
        self._put(_END.pack(b"PK\005\006", 0, 0, count, count, self._at - start, start, 0))
        self._fh.flush()

    def _drain(self) -> None:
        self._compressed += self._out_size
        self._put(b"".join(self._out))
        self._out, self._out_size = [], 0

    def _put(self, data: bytes) -> None:
        self._fh.write(data)
        self._at += len(data)


def _local(encoded: bytes, flags: int, crc: int, compressed: int, size: int) -> bytes:
    return _LOCAL.pack(b"PK\003\004", _VERSION, 0, flags, _DEFLATED, _DOS_TIME, _DOS_DATE, crc, compressed, size,
                       len(encoded), 0) + encoded


_END_PART, _CLOSE = object(), object()


class Deflating:
    """ZipParts run by a thread: begin(name), text(str)…, end_part() and close() hand it work and return
    at once, unless `depth` texts already wait (a bounded hand-over: never the whole sheet twice).
    An error in the thread is raised by the caller's next call; abort() stops the thread."""

    def __init__(self, fh: BinaryIO, depth: int = 2):
        self._zip = ZipParts(fh)
        self._depth = depth
        self._items: deque = deque()
        self._changed = threading.Condition()
        self._error: BaseException | None = None
        self._stopped = False
        self._crc = 0  # the CRC-32 of the part being handed over, so far
        self._thread = threading.Thread(target=self._run, name="sheetnet-deflate", daemon=True)
        self._thread.start()

    def begin(self, name: str) -> None:
        self._crc = 0
        self._hand(name)

    def text(self, text: str) -> None:
        # encoded and summed here: crc32 would hand the GIL back and forth once more in the thread,
        # which waits up to a switch interval (5 ms) to get it back from the busy caller
        data = text.encode("utf-8")
        self._crc = zlib.crc32(data, self._crc)
        self._hand((data, self._crc))

    def end_part(self) -> None:
        self._hand(_END_PART)

    def close(self) -> None:
        """Finish the zip file and wait for the thread; its error, if any, raised here."""
        self._hand(_CLOSE)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stop the thread (after the text it is deflating) and wait for it: the caller failed."""
        with self._changed:
            self._stopped = True
            self._items.clear()
            self._changed.notify_all()
        self._thread.join()

    def _hand(self, item) -> None:
        with self._changed:
            while len(self._items) >= self._depth and self._error is None:
                self._changed.wait()
            if self._error is not None:
                raise self._error
            self._items.append(item)
            self._changed.notify_all()

    def _run(self) -> None:
        zip_parts = self._zip
        try:
            while True:
                with self._changed:
                    while not self._items and not self._stopped:
                        self._changed.wait()
                    if self._stopped:
                        return
                    item = self._items.popleft()
                    self._changed.notify_all()
                if item.__class__ is tuple:
                    zip_parts.write(*item)
                elif item is _END_PART:
                    zip_parts.end()
                elif item is _CLOSE:
                    zip_parts.close()
                    return
                else:
                    zip_parts.begin(item)
        except BaseException as e:  # a full disk: the main thread raises it, and is never left waiting
            with self._changed:
                self._error = e
                self._items.clear()
                self._changed.notify_all()


@contextmanager
def deflating(fh: BinaryIO) -> Iterator[Deflating]:
    """A Deflating writing into fh, closed when the block ends (aborted if it fails). An output that
    cannot seek (a device, a pipe) gets the same bytes, zipped in memory first."""
    seekable = _seekable(fh)
    target = fh if seekable else io.BytesIO()
    interval = sys.getswitchinterval()
    # The thread hands the GIL back at every zlib call and asks for it again after: the busy caller
    # lets go of it only when the switch interval has passed (5 ms by default, a third of a chunk's deflate).
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    try:
        zipping = Deflating(target)
        try:
            yield zipping
        except BaseException:
            zipping.abort()
            raise
        zipping.close()
    finally:
        sys.setswitchinterval(interval)
    if not seekable:
        fh.write(target.getbuffer())


def _seekable(fh) -> bool:
    try:
        return bool(fh.seekable())
    except (AttributeError, OSError, ValueError):
        return False
