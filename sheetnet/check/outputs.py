"""The files `check` writes for each workbook besides its report on stdout: the HTML page, the annotated copy.

For one workbook they go where the options say (a file, or into a folder named after the workbook);
for a class each workbook's go into the folders the options name, named after the workbook (unique,
and safe as a file name on Windows too), and the class page (index.html) links every page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sheetnet.errors import UnusableInput
from sheetnet.i18n import _
from sheetnet.outputs import same_file
from sheetnet.record import field, record

INDEX = "index.html"
_FILE_SUFFIXES = (".html", ".htm", ".xlsx", ".xlsm", ".xls", ".ods")  # what names a file, not a folder
_NOT_IN_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@record(frozen=True)
class Outputs:
    """Where one workbook's page and annotated copy go: html / annotate are files for one workbook,
    folders for a class (names: each workbook's path → the name its files get there)."""

    html: Path | None = None
    annotate: Path | None = None
    names: dict[str, str] = field(default_factory=dict)
    hints: bool = False

    @property
    def wanted(self) -> bool:
        return self.html is not None or self.annotate is not None

    def page_path(self, path: str) -> Path:
        return self.html / (self.names[path] + ".html") if self.names else self.html

    def annotate_path(self, path: str) -> Path:
        return self.annotate / (self.names[path] + Path(path).suffix.lower()) if self.names else self.annotate

    def refuse_overwriting(self, paths: list[Path], csv: Path | None = None) -> None:
        """No output may be a workbook it is made from, nor any other workbook checked (a class's copies are
        named after the students: `check x/a.xlsx y/a.xlsx y/x-a.xlsx --annotate y` would write x/a's copy
        over y/x-a.xlsx), nor the class page or the CSV."""
        from sheetnet.outputs import refuse_clashes

        written = []
        for p in paths:
            for option, dst in (("--annotate", self.annotate and self.annotate_path(str(p))),
                                ("-o", self.html and self.page_path(str(p)))):
                if dst is not None and same_file(dst, p):  # also through a link, or as a hard link
                    raise UnusableInput(_("{option}: the copy of {file} would replace it (the workbook itself is "
                                          "never modified)").format(option=option, file=p))
                if dst is not None:
                    written.append((option, dst))
        if self.html is not None and self.names:
            written.append(("-o", self.html / INDEX))
        refuse_clashes(paths, written + ([("--csv", csv)] if csv is not None else []))

    def write(self, path: str, result) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
        """Write what is asked for this checked workbook: what was written (kind → path), and per failure its
        (option, file, why) — the workbook itself was checked, and its row says so."""
        wrote, errors = {}, []
        if self.html is not None:
            dst = self.page_path(path)
            try:
                write_page(result, dst, hints=self.hints)
                wrote["html"] = str(dst)
            except UnusableInput as e:  # a full disk, a folder gone: this page only
                errors.append(("-o", str(e.subject if e.subject is not None else dst), str(e)))
        if self.annotate is not None:
            from sheetnet.check.annotate import annotate

            dst = self.annotate_path(path)
            try:
                annotate(result, dst, hints=self.hints)
                wrote["annotate"] = str(dst)
            except UnusableInput as e:  # e.subject: the copy, when it is what could not be written
                errors.append(("--annotate", "" if e.subject is None else str(e.subject), str(e)))
        return wrote, errors


def write_page(result, dst: Path, *, hints: bool = False) -> Path:
    from sheetnet.check import html
    from sheetnet.outputs import write_text

    write_text(Path(dst), html.page(result, hints=hints), encoding="utf-8")
    return Path(dst)


def write_index(outcomes, folder: Path, title: str) -> Path:
    """The class page: one line per workbook (in the order given), linked to its page."""
    from sheetnet.check import html
    from sheetnet.outputs import write_text

    rows = []
    for o in outcomes:
        page = o.wrote.get("html")
        rows.append(html.Row(name=o.path, page=Path(page).name if page else None, status=o.status, score=o.score,
                             root_causes=o.root_causes, totals=o.totals, first_finding=o.first_finding, error=o.error))
    dst = Path(folder) / INDEX
    write_text(dst, html.index_page(rows, title), encoding="utf-8")
    return dst


def class_names(paths: list[Path], reserved: tuple[str, ...] = (Path(INDEX).stem,)) -> dict[str, str]:
    """Each workbook's path → a file name for its outputs: its stem, with as many of its folders (below the
    folder they all share) in front as it takes to tell two workbooks apart ('alice', 'group1-alice'); safe
    as a file name on Windows; unique ignoring case."""
    absolute = {str(p): Path(p).resolve() for p in paths}
    common = Path(os.path.commonpath([a.parent for a in absolute.values()])) if absolute else Path()
    parts = {key: [_safe(x) for x in a.with_suffix("").relative_to(common).parts] or ["workbook"]
             for key, a in absolute.items()}
    depth = {key: 1 for key in parts}
    while True:
        names = {key: "-".join(parts[key][-depth[key]:]) for key in parts}
        seen: dict[str, list[str]] = {}
        for key, name in names.items():
            seen.setdefault(name.casefold(), []).append(key)
        clashes = [keys for keys in seen.values() if len(keys) > 1]
        grown = False
        for keys in clashes:
            for key in keys:
                if depth[key] < len(parts[key]):
                    depth[key] += 1
                    grown = True
        if not grown:
            break
    out, taken = {}, {r.casefold() for r in reserved}
    for key in parts:  # what folders cannot tell apart (a.xlsx and a.xlsm): a number
        name, k = names[key], 1
        while name.casefold() in taken:
            k += 1
            name = f"{names[key]}-{k}"
        taken.add(name.casefold())
        out[key] = name
    return out


def _safe(part: str) -> str:
    text = _NOT_IN_NAMES.sub("_", part).rstrip(" .") or "_"
    return "_" + text if text.split(".")[0].casefold() in _RESERVED else text


def prepare_folder(folder: Path, option: str, inputs: list[Path]) -> None:
    """A folder for a class's files: made if missing (its parent must exist), never inside a class folder
    (the next check of that folder would grade the copies as students)."""
    if (folder.exists() and not folder.is_dir()) or (not folder.exists() and folder.suffix.lower() in _FILE_SUFFIXES):
        raise UnusableInput(_("{option} {path}: for several workbooks this names a folder (one file per workbook "
                              "goes into it)").format(option=option, path=folder))
    where = folder.resolve()
    for t in inputs:
        if t.is_dir() and (where == t.resolve() or t.resolve() in where.parents):
            raise UnusableInput(_("{option} {path}: the folder is inside the class folder {folder}, where the next "
                                  "check would grade what is written there").format(option=option, path=folder,
                                                                                    folder=t))
    if not folder.exists():
        if not folder.parent.is_dir():
            raise UnusableInput(_("{option} {path}: the folder {parent} does not exist")
                                .format(option=option, path=folder, parent=folder.parent))
        try:
            folder.mkdir()
        except OSError as e:
            raise UnusableInput(_("{option} {path}: cannot make the folder ({error})")
                                .format(option=option, path=folder, error=e.strerror or e)) from None

