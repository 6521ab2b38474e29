"""The HTML report as the tests render it, and the picture of it in docs/ (made the same way).

A student's chapter-3 workbook with two mistakes — z2_1 without its bias in every image, and the
sign of the exponent in image 3's a2_2 — edited in a copy of a clean workbook and calculated by
LibreOffice, as the student's spreadsheet would; `sheetnet check --format html` writes its page;
headless chromium draws it. Regenerate the picture (LibreOffice and chromium needed) with

    python3 tests/report_picture.py          # → docs/check-report.png
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]  # run as a script: the worktree's sheetnet and the test helpers

from browser import Browser  # noqa: E402

DOCS_PICTURE = HERE.parent / "docs" / "check-report.png"
DOCS_VIEWPORT = (960, 900, False)  # a laptop's window: the findings and the grid side by side with room


def example_workbook(folder: Path) -> Path:
    """The student's workbook (LibreOffice-calculated) in `folder`."""
    from checkcases import across, at
    from checkmut import mutate
    from sheetnet.data import chapter3_params
    from sheetnet.libreoffice import recalculate
    from sheetnet.mirror.answer import write_book_workbook

    clean = folder / "clean.xlsx"
    write_book_workbook(clean, chapter3_params("initial"))
    edits = {**across("=SUMPRODUCT(L5:N8,$D$5:$F$8)", "z2"), at("a2", 3, 2): f"=1/(1+EXP({at('z2', 3, 2)}))"}
    edited = mutate(clean, folder / "student-edit.xlsx", edits)
    return recalculate(edited, folder / "student.xlsx")


def write_page(workbook: Path, page: Path) -> Path:
    """`sheetnet check WORKBOOK --format html -o PAGE`, as a user runs it (exit 1: it has findings)."""
    done = subprocess.run([sys.executable, "-m", "sheetnet", "check", str(workbook), "--format", "html", "-o", str(page)],
                          capture_output=True, text=True, cwd=HERE.parent)
    assert done.returncode == 1 and page.is_file(), done.stderr
    return page


def picture(page: Path, png: Path, viewport=DOCS_VIEWPORT, *, full_page: bool = True, fast: bool = False) -> Path:
    """The page as chromium draws it at `viewport`, saved as a PNG."""
    with Browser() as browser:
        return browser.load(page, viewport).screenshot(png, full_page=full_page, fast=fast)


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="sheetnet-picture-") as tmp:
        page = write_page(example_workbook(Path(tmp)), Path(tmp) / "student.html")
        picture(page, DOCS_PICTURE)
    print(f"wrote {DOCS_PICTURE}")


if __name__ == "__main__":
    main()
