"""Does a speed change keep every result? Build a corpus of workbooks once, then print what a checkout's
`check` and `recompute` answer on each (JSON), to diff against another checkout's answers.

    python3 benchmarks/same_results.py build CORPUS          # once: ~150 workbooks (LibreOffice-edited too)
    python3 benchmarks/same_results.py answers CORPUS OUT [--repo CHECKOUT]  # and the corpus as one class
    diff -r OUT_BEFORE OUT_AFTER                              # nothing: the same results

The corpus: every answer and exercise variant of every kind; the book's appendix workbooks (when
../shared/book/ is there); the chapter-3 answer as Excel saves it (shared formulas); the mistake cases of
tests/checkcases.py; the student and moved-layout workbooks of the test suites, edited and saved by
LibreOffice (tests/studentcases.py, movedcases.py, movedstudents.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VARIANTS = {  # name → the answer/exercise command line
    **{f"answer-{p}": ["answer", "--params", p] for p in ("trained", "book", "initial", "backprop_initial")},
    "answer-bp": ["answer", "--kind", "backprop"], "answer-bp3": ["answer", "--kind", "backprop", "--iterations", "3"],
    "answer-bp50": ["answer", "--kind", "backprop", "--iterations", "50"],
    "answer-cnn": ["answer", "--kind", "cnn"], "answer-cnn-init": ["answer", "--kind", "cnn", "--params", "initial"],
    "answer-cnnbp": ["answer", "--kind", "cnn-backprop"],
    "answer-cnnbp10": ["answer", "--kind", "cnn-backprop", "--iterations", "10"],
    "answer-regression": ["answer", "--kind", "regression"], "answer-descent": ["answer", "--kind", "descent"],
    **{f"ex-{p}": ["exercise", "--params", p] for p in ("initial", "book")},
    "ex-bp": ["exercise", "--kind", "backprop", "--params", "backprop_initial"],
    "ex-cnn": ["exercise", "--kind", "cnn"], "ex-cnnbp3": ["exercise", "--kind", "cnn-backprop", "--iterations", "3"],
}


def build(corpus: Path) -> None:
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "tests"))
    corpus.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name, argv in VARIANTS.items():
        out = corpus / f"{name}.xlsx"
        if not out.exists():
            p = subprocess.run([sys.executable, "-m", "sheetnet", *argv, "-o", str(out)], env=env, capture_output=True)
            if p.returncode:
                print(f"skipped {name}: {p.stderr.decode()[-200:]}")
    book = REPO.parent / "shared" / "book"
    for f in ("appendix-a.xlsx", "appendix-b.xlsx"):
        if (book / f).exists():
            (corpus / f"book-{f}").write_bytes((book / f).read_bytes())
    from excelstyle import excel_style
    from sheetnet.libreoffice import recalculate

    lo = corpus / "answer-trained-lo.xlsx"
    if not lo.exists():
        recalculate(corpus / "answer-trained.xlsx", lo)
    excel_style(lo, corpus / "answer-trained-excel-style.xlsx")

    import checkcases
    import movedcases
    import movedstudents
    import studentcases
    from student import edit_many

    suites = {  # prefix → how its workbooks are made (a suite already in the corpus is not made again)
        "mistake": lambda: checkcases.build(_fresh(corpus / "checkcases")),
        "moved": lambda: movedcases.build(_fresh(corpus / "moved"), edit_many),
        "student": lambda: studentcases.make(edit_many, _fresh(corpus / "students"), studentcases.cases()),
        "moved-student": lambda: studentcases.make(edit_many, _fresh(corpus / "moved-students"),
                                                   movedstudents.cases(), lambda c: c.all_ops),
    }
    for prefix, make in suites.items():
        if not list(corpus.glob(f"{prefix}-*.xlsx")):
            for name, path in make().items():
                _link(corpus, prefix, name, path)


def _fresh(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _link(corpus: Path, prefix: str, name: str, path: Path) -> None:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:80]
    (corpus / f"{prefix}-{safe}.xlsx").write_bytes(Path(path).read_bytes())


def answers(corpus: Path, out: Path, repo: Path) -> None:
    """check and recompute --format json of every corpus workbook, with `repo`'s sheetnet, into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(repo), "SHEETNET_LANG": "en"}
    for book in sorted(corpus.glob("*.xlsx")):
        for command in ("check", "recompute"):
            p = subprocess.run([sys.executable, "-m", "sheetnet", command, str(book), "--format", "json"],
                               env=env, capture_output=True, text=True, cwd=repo)
            text = p.stdout
            try:  # the time a run took is the one field that differs between runs
                data = json.loads(text)
                text = json.dumps(_without_times(data), indent=1, ensure_ascii=False, sort_keys=True)
            except ValueError:
                pass
            (out / f"{book.stem}.{command}.txt").write_text(f"exit {p.returncode}\n{text}\n{p.stderr}")
    # the whole corpus as one class, in one worker process: what the reader remembers from one workbook
    # for the next (a class's template) must not change any workbook's result
    p = subprocess.run([sys.executable, "-m", "sheetnet", "check", "-j", "1", str(corpus), "--format", "json"],
                       env=env, capture_output=True, text=True, cwd=repo)
    text = p.stdout
    try:
        text = json.dumps(_without_times(json.loads(text)), indent=1, ensure_ascii=False, sort_keys=True)
    except ValueError:
        pass
    (out / "class.check.txt").write_text(f"exit {p.returncode}\n{text}\n{p.stderr}")


def _without_times(data):
    if isinstance(data, dict):
        return {k: _without_times(v) for k, v in data.items() if k not in ("seconds", "elapsed", "time")}
    if isinstance(data, list):
        return [_without_times(v) for v in data]
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    b = sub.add_parser("build")
    b.add_argument("corpus", type=Path)
    a = sub.add_parser("answers")
    a.add_argument("corpus", type=Path)
    a.add_argument("out", type=Path)
    a.add_argument("--repo", type=Path, default=REPO)
    args = ap.parse_args()
    if args.what == "build":
        build(args.corpus)
    else:
        answers(args.corpus, args.out, args.repo.resolve())


if __name__ == "__main__":
    main()
