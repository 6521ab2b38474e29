"""XlsxWriter's packager, its parts streamed into the zip file as they are written.

XlsxWriter writes every part to a temporary file, then zips the files one after the other: the
deflating waits for the last cell and runs on the same core. Here each part's XML goes, a chunk at a
time, to a thread that deflates it (sheetnet.xlsx.zipstream) while the next rows are being written;
the parts reach the zip in the order XlsxWriter makes them, which is the order it zips them in, so
the bytes are the same. Nothing is written to temporary files.
"""

from __future__ import annotations

import io
from typing import BinaryIO

import xlsxwriter
from xlsxwriter.packager import Packager

from sheetnet.xlsx import zipstream

CHUNK = 1 << 20  # characters of a part handed to the deflating thread at once


class PartText(io.StringIO):
    """A part's XML, handed over a chunk at a time. A StringIO only so that XlsxWriter writes into it
    rather than opening a file of that name; its write is a list's append (C: XlsxWriter makes
    hundreds of thousands of small writes)."""

    def __init__(self, zipping: zipstream.Deflating):
        super().__init__()
        self._pieces: list[str] = []
        self.write = self._pieces.append
        self._held: list[str] = []  # joined, not handed over yet
        self._held_size = 0
        self._zipping = zipping

    def spill(self) -> None:
        """Hand over the text written so far once there is a chunk of it (the writer calls this between rows)."""
        if self._pieces:
            text = "".join(self._pieces)
            self._pieces.clear()  # cleared, never replaced: the writer holds its append
            self._held.append(text)
            self._held_size += len(text)
            if self._held_size >= CHUNK:
                self._hand_over()

    def finish(self) -> None:
        self.spill()
        if self._held:
            self._hand_over()
        self._zipping.end_part()

    def _hand_over(self) -> None:
        self._zipping.text("".join(self._held))
        self._held.clear()
        self._held_size = 0


class _StreamingPackager(Packager):
    def __init__(self, out: BinaryIO):
        super().__init__()
        self._out = out
        self._zipping: zipstream.Deflating | None = None
        self._part: PartText | None = None

    def _create_package(self):
        book = self.workbook
        if book.images or book.embedded_images.images or book.vba_project or book.vba_project_signature:
            raise ValueError("binary parts (images, macros) are not streamed")  # sheetnet writes none
        with zipstream.deflating(self._out) as zipping:
            self._zipping = zipping
            super()._create_package()
            self._end_part()
        return []  # every part is in the zip file already: none left for XlsxWriter's own

    def _filename(self, xml_filename):
        # a part begins where the one before it ends: XlsxWriter writes each part whole, in zip order
        self._end_part()
        self._zipping.begin(xml_filename)
        self._part = PartText(self._zipping)
        self.filenames.append((self._part, xml_filename, False))
        return self._part

    def _end_part(self) -> None:
        if self._part is not None:
            self._part.finish()
            self._part = None


class StreamingWorkbook(xlsxwriter.Workbook):
    """A Workbook whose zip file is `out`: its parts are streamed there as they are written."""

    def __init__(self, out: BinaryIO, options: dict | None = None):
        super().__init__(_Nowhere(), options)
        self._out = out

    def _get_packager(self):
        return _StreamingPackager(self._out)


class _Nowhere:
    """Where XlsxWriter's own zip file goes (its close() still opens one, and gets no parts). When a
    write fails, that zip file is left open and closed by the garbage collector, possibly at exit
    after a BytesIO would have been: this takes the bytes whenever they come, without complaint."""

    def write(self, data) -> int:
        return len(data)

    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        pass
