"""Student workbooks made the way a person makes them: edited in LibreOffice (tests/lo_edit.py).

    made = edit_many(tmp, {"renamed": (src, [ops…]), "row inserted": (src, [ops…])})  → {name: path}

Needs LibreOffice and an interpreter with its UNO bridge (Debian's python3-uno for /usr/bin/python3);
tests skip without them, except under CI=true (tests/conftest.py's rule).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNO_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3-uno")


def uno_python() -> str | None:
    """An interpreter that can `import uno`, or None."""
    for candidate in UNO_PYTHONS:
        if Path(candidate).exists() and subprocess.run([candidate, "-c", "import uno"], capture_output=True).returncode == 0:
            return candidate
    return None


def edit_many(folder: Path, jobs: dict[str, tuple[Path, list[dict]]], *, timeout: float = 600) -> dict[str, Path]:
    """Each job (source workbook, ops) → a workbook saved by LibreOffice in `folder`; one soffice for all."""
    python = uno_python()
    if python is None or shutil.which("soffice") is None:
        raise RuntimeError("LibreOffice with its Python UNO bridge (python3-uno) is needed")
    folder.mkdir(parents=True, exist_ok=True)
    out = {name: folder / f"{k:02d}-{_safe(name)}.xlsx" for k, name in enumerate(jobs)}
    spec = [{"src": str(src), "dst": str(out[name]), "ops": ops} for name, (src, ops) in jobs.items()]
    spec_file = folder / "jobs.json"
    spec_file.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([python, str(HERE / "lo_edit.py"), str(spec_file)], capture_output=True, text=True,
                         timeout=timeout)
    if run.returncode != 0:
        raise RuntimeError(f"lo_edit.py failed: {run.stderr[-2000:]}")
    return out


def edit(src: Path, dst: Path, ops: list[dict]) -> Path:
    made = edit_many(dst.parent, {dst.stem: (src, ops)})[dst.stem]
    made.replace(dst)
    return dst


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:60]
