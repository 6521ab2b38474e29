"""A workbook as it prints: LibreOffice's PDF of it (recalculated), the text of each page, and a
picture of a page. The tests judge the page set-up on this, and the pictures in docs/ are made by it:

    python3 -m sheetnet.printout docs      # docs/answer.png, docs/backprop.png, docs/cnn-backprop.png

Needs poppler-utils (pdftotext, pdftoppm) besides LibreOffice.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sheetnet.libreoffice import LibreOfficeError, render_pdf
from sheetnet.record import record

TOOLS = ("pdftotext", "pdftoppm")


@record(frozen=True)
class Printout:
    pdf: Path
    pages: list[str]  # each page's text, laid out as on the page (pdftotext -layout)

    def picture(self, page: int, dst: Path, *, dpi: int = 80) -> Path:
        """Page `page` (1-based) as a PNG at `dst`."""
        dst = Path(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        stem = dst.parent / f".{dst.stem}.part"
        _run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
              str(self.pdf), str(stem)])
        Path(f"{stem}.png").replace(dst)
        return dst


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def print_workbook(src: Path, pdf: Path) -> Printout:
    """Print `src` with LibreOffice to `pdf` and read back each page's text."""
    render_pdf(Path(src), Path(pdf))
    text = _run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"])
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()  # pdftotext ends every page with a form feed
    return Printout(Path(pdf), pages)


def _run(cmd: list[str]) -> str:
    if shutil.which(cmd[0]) is None:
        raise LibreOfficeError(f"{cmd[0]} not found: install poppler-utils")
    done = subprocess.run(cmd, capture_output=True, timeout=120)
    if done.returncode != 0:
        raise LibreOfficeError(f"{cmd[0]} failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    return done.stdout.decode("utf-8")


# -- the pictures in docs/ ----------------------------------------------------------------------------
def _answer(path: Path) -> None:
    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_answer_workbook

    write_answer_workbook(path, chapter3_params("trained"))


def _backprop(path: Path) -> None:
    from sheetnet.mirror.backprop import write_backprop_workbook

    write_backprop_workbook(path, iterations=2)


def _cnn_backprop(path: Path) -> None:
    from sheetnet.mirror.cnn_backprop import write_cnn_backprop_workbook

    write_cnn_backprop_workbook(path, iterations=1)


def _layouts():
    from sheetnet.layout.backprop import BACKPROP
    from sheetnet.layout.chapter3 import CHAPTER3
    from sheetnet.layout.chapter5_backprop import CNN_BACKPROP

    return CHAPTER3, BACKPROP, CNN_BACKPROP


def pictures() -> dict[str, tuple]:
    """Picture name → (how its workbook is written, its layout, the role of the sheet whose first page it shows)."""
    chapter3, backprop, cnn_backprop = _layouts()
    return {
        "answer.png": (_answer, chapter3, "test"),  # 测试: the parameters, one pattern, the verdict
        "backprop.png": (_backprop, backprop, "learn"),  # iteration 1's block, its first page
        "cnn-backprop.png": (_cnn_backprop, cnn_backprop, "learn"),
    }


def title(layout, role: str) -> str:
    """The sheet's title label: the text that marks its first printed page."""
    return next(label.text for label in layout.labels if label.sheet == role and label.style == "title")


def first_page(printout: Printout, layout, role: str) -> int:
    """The 1-based number of the page that begins the sheet of `role`."""
    text = title(layout, role)
    found = [i + 1 for i, page in enumerate(printout.pages) if text in page]
    if not found:
        raise LookupError(f"no page holds {text!r}")
    return found[0]


def make_pictures(folder: Path, names=None) -> list[Path]:
    """Write the pictures (all, or `names`) into `folder`."""
    table = pictures()
    out = []
    with tempfile.TemporaryDirectory(prefix="sheetnet-pictures-") as tmp:
        printed = {}
        for name in names or table:
            write, layout, role = table[name]
            if write not in printed:
                book = Path(tmp) / f"{write.__name__.strip('_')}.xlsx"
                write(book)
                printed[write] = print_workbook(book, book.with_suffix(".pdf"))
            printout = printed[write]
            out.append(printout.picture(first_page(printout, layout, role), Path(folder) / name))
    return out


if __name__ == "__main__":
    for path in make_pictures(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(f"wrote {path}")
