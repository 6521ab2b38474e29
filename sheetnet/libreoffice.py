"""Headless LibreOffice: recalculate a workbook's formulas, print it to PDF, or take a picture of it.

LibreOffice normally trusts the cached values stored in an .xlsx. To make it evaluate every
formula itself we start it with a throw-away user profile whose configuration says "always
recalculate on load", then let it save the workbook again. Each call gets its own profile (two
instances sharing one would hand the work to each other or fight over its lock), and a copy of
the source, so the caller's file is never touched and no lock file appears next to it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from sheetnet.i18n import _

__all__ = ["LibreOfficeError", "find_soffice", "recalculate", "render_pdf", "render_png"]

ENV_VAR = "SHEETNET_SOFFICE"

# Formula/Load recalc modes: 0 = always recalculate, 1 = never, 2 = ask (impossible headless).
_REGISTRY = """\
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_FLAGS = ["--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck"]

# Where installers put it when it is not on PATH.
_KNOWN_PATHS = [
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
]


class LibreOfficeError(RuntimeError):
    """LibreOffice is missing, hung, or produced nothing."""


def find_soffice() -> str | None:
    """The soffice executable: $SHEETNET_SOFFICE if set (and nothing else then), else PATH."""
    override = os.environ.get(ENV_VAR)
    if override:
        # An explicit choice that does not exist is "absent", not a reason to pick another one.
        return shutil.which(override)
    for name in ("soffice", "libreoffice"):
        if found := shutil.which(name):
            return found
    return next((p for p in _KNOWN_PATHS if os.access(p, os.X_OK)), None)


def recalculate(src: Path, dst: Path, *, timeout: float = 180) -> Path:
    """Open `src` with every formula recalculated and save it as .xlsx at `dst`.

    LibreOffice computes in full double precision but writes numbers (constants included)
    with 15 significant digits, so read-back values agree to about 5e-15 relative, not bitwise.
    """
    return _convert(src, dst, "xlsx:Calc MS Excel 2007 XML", ".xlsx", timeout)


def render_pdf(src: Path, dst: Path, *, timeout: float = 600) -> Path:
    """Print every sheet of the workbook, recalculated, to a PDF at `dst`, as its page set-up says
    (print areas, page breaks, scale, repeated columns)."""
    return _convert(src, dst, "pdf:calc_pdf_Export", ".pdf", timeout)


def render_png(src: Path, dst: Path, *, timeout: float = 180) -> Path:
    """Render the first page of the workbook's active sheet, recalculated, to a PNG at `dst`.

    Needs Calc's image export filters, which Debian/Ubuntu package with Draw
    (libreoffice-draw-nogui); without them this raises LibreOfficeError saying so.
    """
    return _convert(src, dst, "png", ".png", timeout)


def _convert(src: Path, dst: Path, filter_: str, suffix: str, timeout: float) -> Path:
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise FileNotFoundError(src)
    if dst.exists() and dst.resolve() == src.resolve():
        raise ValueError(f"refusing to overwrite the source {src}")
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError(_("LibreOffice (soffice) not found; install it or set ${var}").format(var=ENV_VAR))

    with tempfile.TemporaryDirectory(prefix="sheetnet-lo-") as tmp:
        tmp = Path(tmp)
        (tmp / "profile" / "user").mkdir(parents=True)
        (tmp / "profile" / "user" / "registrymodifications.xcu").write_text(
            _REGISTRY, encoding="utf-8"
        )
        # A plain ASCII name: the output is named after the input, and odd names upset soffice.
        (tmp / "in").mkdir()
        work = tmp / "in" / ("book" + src.suffix.lower())
        shutil.copyfile(src, work)
        out_dir = tmp / "out"
        out_dir.mkdir()

        cmd = [
            soffice,
            f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
            *_FLAGS,
            "--convert-to", filter_,
            "--outdir", str(out_dir),
            str(work),
        ]
        # HOME too: some parts of LibreOffice (and fontconfig) write caches there.
        env = {**os.environ, "HOME": str(tmp)}
        output = _run(cmd, env, cwd=tmp, timeout=timeout, what=src.name)

        result = out_dir / ("book" + suffix)
        if not result.is_file() or result.stat().st_size == 0:
            hint = ""
            if suffix == ".png" and "no export filter" in output:
                # Debian/Ubuntu ship Calc's image export filters with Draw, not with Calc.
                hint = _(" (install libreoffice-draw-nogui or libreoffice-draw)")
            raise LibreOfficeError(_("LibreOffice wrote no {suffix} for {file}{error}{hint}").format(
                suffix=suffix, file=src.name, error=_error_line(output), hint=hint))
        _replace(result, dst)
    return dst


def _run(cmd: list[str], env: dict[str, str], *, cwd: Path, timeout: float, what: str) -> str:
    """Run soffice; return its console output (it reports most failures there, status 0)."""
    # Own session, hence own process group: soffice is a launcher script, the real work is
    # done by its children, and a timeout must kill them all.
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        out, _err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        raise LibreOfficeError(_("LibreOffice timed out after {seconds:g} s on {file}").format(
            seconds=timeout, file=what)) from None
    except BaseException:  # e.g. KeyboardInterrupt: do not leave soffice.bin behind
        _kill(proc)
        proc.wait()
        raise
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise LibreOfficeError(_("LibreOffice exited with status {status} on {file}{error}").format(
            status=proc.returncode, file=what, error=_error_line(text)))
    return text


def _error_line(output: str) -> str:
    """': <LibreOffice's last error line>', or '' (keeps our messages to one line)."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lower().startswith("error")] or lines[-1:]
    return f": {errors[-1][:300]}" if errors else ""


def _kill(proc: subprocess.Popen) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except ProcessLookupError:
        pass


def _replace(result: Path, dst: Path) -> None:
    from sheetnet import outputs

    dst.parent.mkdir(parents=True, exist_ok=True)
    with result.open("rb") as inp:
        outputs.write(dst, lambda out: shutil.copyfileobj(inp, out))
