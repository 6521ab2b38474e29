"""sheetnet's performance figures, side by side with LibreOffice and `formulas` (issue 7).

    python3 benchmarks/run.py [--quick] [--checkout]

Every sheetnet figure is the median wall time of several runs of the real command line
(`python -m sheetnet …` in a fresh process, so interpreter start-up and imports count), on
workbooks built in a temporary folder during the run. sheetnet runs as a user has it after the
README's `pip install .`: this checkout is installed into the benchmark's own virtualenv first
(--checkout: this checkout, with this interpreter and whatever its site loads). Nothing passes or fails: the script prints
each figure next to its target and the ratios; read them.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's sheetnet, also for the subprocesses (PYTHONPATH)
sys.path.insert(0, str(REPO / "tests"))  # tests/excelstyle.py: a workbook as Excel saves it (shared formulas)
# The sheetnet commands timed: set by main() (use_installed / use_checkout): the interpreter, the
# command line and the environment of every sheetnet subprocess.
PYTHON = sys.executable
SHEETNET = [PYTHON, "-m", "sheetnet"]
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
CWD = REPO  # (`python -m` looks in the working folder first: an installed copy is timed from elsewhere)
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


# ---------------------------------------------------------------- measuring

CPU: list[float] = []  # CPU seconds (user + system) of each run() so far, in order: beside the wall times


def run(cmd: list[str], ok=(0,)) -> tuple[float, str]:
    """One subprocess run: (wall seconds, stdout); its CPU time (user + system) appended to CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    p = subprocess.run(cmd, env=ENV, cwd=CWD, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if p.returncode not in ok:
        raise SystemExit(f"benchmark: {' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return wall, p.stdout


def median_wall(cmd: list[str], repeats: int, ok=(0,), warmup: bool = True) -> tuple[float, list[float], str]:
    """Median wall time of `repeats` runs (after one untimed warm-up run: OS file cache, .pyc)."""
    out = ""
    if warmup:
        _, out = run(cmd, ok)
    walls = []
    for _ in range(repeats):
        w, out = run(cmd, ok)
        walls.append(w)
    return statistics.median(walls), walls, out


def cpu_note(repeats: int) -> str:
    """The median CPU time of the last `repeats` runs (a loaded machine stretches wall time, less so CPU)."""
    return f"cpu {statistics.median(CPU[-repeats:]):.3f} s"


def peak_rss_mb(cmd: list[str], ok=(0,)) -> float:
    """Peak resident memory of one run, in MB (1e6 bytes): GNU time's maximum RSS, else getrusage."""
    if GNU_TIME:
        p = subprocess.run([GNU_TIME, "-v", *cmd], env=ENV, cwd=CWD, capture_output=True, text=True)
        if p.returncode in ok:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
            if m:
                return int(m.group(1)) * 1024 / 1e6
    # fallback: a fresh Python whose only child is the command
    probe = ("import resource,subprocess,sys;subprocess.run(sys.argv[1:]);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    _, out = run([sys.executable, "-c", probe, *cmd])
    return int(out.split()[-1]) * 1024 / 1e6  # Linux: kilobytes


def fmt_s(x: float) -> str:
    return f"{x:.3f} s"


def line(label: str, value: str, target: str = "", extra: str = "") -> None:
    print(f"  {label:<44} {value:>14}   {('target ' + target) if target else '':<22} {extra}")


def met(ok: bool) -> str:
    return "[met]" if ok else "[NOT met]"


# ---------------------------------------------------------------- workbooks

def machine() -> None:
    model = "?"
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                model = ln.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or "?"
    import numpy
    lo = None
    from sheetnet.libreoffice import find_soffice
    if soffice := find_soffice():
        try:
            lo = subprocess.run([soffice, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
        except Exception:  # noqa: BLE001 - only a label
            lo = soffice
    print(f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'})"
          f" · {model}")
    print(f"python {platform.python_version()} · numpy {numpy.__version__} · {platform.platform()}")
    print(f"LibreOffice: {lo or 'not found'}")
    print(f"sheetnet from {REPO} · peak memory via {'/usr/bin/time -v' if GNU_TIME else 'getrusage(RUSAGE_CHILDREN)'}")
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (wall times stretch with it; "
          "cpu = user + system seconds of the process, median)")


INSTALL_VENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sheetnet-bench" / "sheetnet-venv"


def use_installed() -> bool:
    """Time sheetnet as a user has it after the README's `pip install .`: this checkout installed (not
    editable) into the benchmark's own virtualenv, made on first use; that venv's python runs every
    sheetnet command. (This interpreter's site may load more at each start than a user's does: an
    editable install's finder, a machine's own .pth files.) False when it cannot be installed here."""
    global PYTHON, SHEETNET, ENV, CWD
    py = INSTALL_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    try:
        if not py.exists():
            print(f"  (making {INSTALL_VENV} …)")
            subprocess.run([sys.executable, "-m", "venv", str(INSTALL_VENV)], check=True, capture_output=True)
        # the dependencies as pyproject asks (kept from the last run when they still fit), then this
        # checkout's sheetnet itself, fresh (its version number does not change between commits)
        pip = [str(py), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, str(REPO)], check=True, capture_output=True, timeout=900)
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(REPO)], check=True, capture_output=True, timeout=900)
        where = subprocess.run([str(py), "-c", "import sheetnet; print(sheetnet.__file__)"], check=True,
                               capture_output=True, text=True, cwd=INSTALL_VENV).stdout.strip()
        if not Path(where).is_relative_to(INSTALL_VENV):
            raise OSError(f"python -m sheetnet would run {where}")
    except (subprocess.SubprocessError, OSError) as e:
        print(f"  (sheetnet could not be installed into {INSTALL_VENV}: {e}; timing this checkout instead)")
        return False
    PYTHON = str(py)
    SHEETNET = [PYTHON, "-m", "sheetnet"]
    ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    CWD = INSTALL_VENV
    print(f"sheetnet timed as installed by `pip install .` into {INSTALL_VENV} ({where})")
    return True


def use_checkout() -> None:
    print(f"sheetnet timed from this checkout with {sys.executable} (PYTHONPATH={REPO})")


def compile_package() -> None:
    """Byte-compile this checkout's sheetnet, as an install does: with PYTHONDONTWRITEBYTECODE set (or a
    read-only checkout) every run would otherwise compile each module from source (+0.2 s CPU per run)."""
    import compileall

    compileall.compile_dir(REPO / "sheetnet", quiet=1)


def scale_workbook(path: Path, n: int) -> None:
    """An answer workbook in the chapter-3 layout with n images (the book's 64, repeated)."""
    import numpy as np

    from sheetnet.data import chapter3_images, chapter3_params
    from sheetnet.layout.chapter3 import CHAPTER3 as L
    from sheetnet.layout.gd_run import GD_RUN
    from sheetnet.layout.styles import CONDITIONAL, STYLES
    from sheetnet.mirror.answer import chapter4_run, gd_inputs
    from sheetnet.mirror.build import build_sheets
    from sheetnet.mirror.chapter3 import cell_values, parameter_arrays
    from sheetnet.xlsx.writer import write_xlsx

    net = chapter3_params("trained")
    images, digits = chapter3_images()
    reps = -(-n // len(images))
    images = np.concatenate([images] * reps)[:n]
    digits = np.concatenate([digits] * reps)[:n]
    inputs = {
        "pixels": images.reshape(L.positions(L["pixels"], n).shape[:-1]),
        "digit": digits.astype(float).reshape(L.positions(L["digit"], n).shape[:-1]),
        **parameter_arrays(net, L),
    }
    inputs.update({f"test_{k}": a for k, a in parameter_arrays(net, L).items()})
    inputs["test_x"] = inputs["pixels"][0].reshape(L.positions(L["test_x"], n).shape[:-1])
    _, values = cell_values(L, inputs, net)
    gd = chapter4_run(inputs, L) if n == 64 else None  # the chapter-4 sheet: as in the book's file
    sheets = build_sheets(L, n, inputs, values)
    if gd is not None:
        sheets += build_sheets(GD_RUN, gd.iterations, gd_inputs(gd), {})
    write_xlsx(path, sheets, STYLES, CONDITIONAL)


def spoil(src: Path, dst: Path, cell: str, factor: float) -> None:
    """A copy of src with one computed cell's cached value changed (the formula kept)."""
    from sheetnet.xlsx.patch import patch_workbook
    from sheetnet.xlsx.refs import parse_cell

    patch_workbook(src, dst, {"学习": {parse_cell(cell): 0.123456789 * factor}})


_SHEET_VIEW = re.compile(r'<sheetView ([^>]*?)(/?)>')
_LAST_SELECTION = re.compile(r'<selection pane="bottomRight"/>')


def as_student(src: Path, dst: Path, i: int) -> None:
    """A copy of src as student i saved it: in every sheet the cell last clicked (the sheet view's
    selection) is the student's own, so no two files of a class are the same bytes — a reader that
    remembered a whole part, or the document around the cells, by its bytes would gain nothing here
    that it would not gain in a real class."""
    import zipfile

    cell = f"{'LMNOPQRSTU'[i % 10]}{6 + i // 10}"  # below and right of any frozen pane's corner
    selection = f'<selection activeCell="{cell}" sqref="{cell}"/>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                xml = data.decode("utf-8")
                if _LAST_SELECTION.search(xml):
                    xml = _LAST_SELECTION.sub(f'<selection pane="bottomRight" activeCell="{cell}" sqref="{cell}"/>', xml, 1)
                else:
                    xml = _SHEET_VIEW.sub(lambda m: f"<sheetView {m.group(1)}>{selection}</sheetView>" if m.group(2)
                                          else m.group(0).replace(">", ">" + selection, 1), xml, 1)
                data = xml.encode("utf-8")
            zout.writestr(info, data)


def excel_style_class(tmp: Path, folder: Path, n: int, variants: int) -> None:
    """n Excel-style chapter-3 workbooks as a class hands them in: `variants` different answers (the
    book's three parameter sets, each with another image on 测试), each student's file its own bytes."""
    from excelstyle import excel_style

    made = []
    for k in range(variants):
        params, image = ("trained", "book", "initial")[k % 3], 1 + (k * 7) % 64
        plain, styled = tmp / f"variant-{k}.xlsx", tmp / f"variant-{k}-excel.xlsx"
        run([*SHEETNET, "answer", "--params", params, "--test-image", str(image), "-o", str(plain)])
        excel_style(plain, styled)
        made.append(styled)
    for i in range(n):
        as_student(made[i % variants], folder / f"student-{i:03d}.xlsx", i)


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a rough look in about a minute)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder of workbooks")
    ap.add_argument("--checkout", action="store_true",
                    help="time this checkout with this interpreter (PYTHONPATH; an editable install's finder and "
                         "whatever else this interpreter's site loads count), not a copy installed as a user installs it")
    args = ap.parse_args()
    R = 3 if args.quick else 9          # repeats of the sub-second commands
    R_LO = 1 if args.quick else 3       # LibreOffice / formulas runs
    R_BIG = 1 if args.quick else 5      # batch and the 4,000-image workbook

    print(f"sheetnet benchmarks ({'--quick' if args.quick else 'full'}; median wall time of {R} runs "
          f"unless said; one untimed warm-up run first) · {time.strftime('%Y-%m-%d %H:%M %Z')}")
    machine()
    compile_package()
    if args.checkout or not use_installed():
        use_checkout()
    tmp = Path(tempfile.mkdtemp(prefix="sheetnet-bench-"))
    try:
        bench_basic(tmp, R, R_LO, R_BIG)
        bench_kinds(tmp, R, R_LO, R_BIG, quick=args.quick)
    finally:
        if args.keep:
            print(f"workbooks kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def bench_basic(tmp: Path, R: int, R_LO: int, R_BIG: int) -> None:
    from sheetnet.libreoffice import find_soffice, recalculate

    answer, answer64 = tmp / "answer-sheetnet.xlsx", tmp / "answer.xlsx"
    # ---- 1. answer
    print("\n1. sheetnet answer -o (64 images: Data, 学习, 测试, 梯度下降)")
    t_answer, _, _ = median_wall([*SHEETNET, "answer", "-o", str(answer)], R)
    line("sheetnet answer -o answer.xlsx", fmt_s(t_answer), "<= 0.5 s", met(t_answer <= 0.5))

    # ---- 2. check one workbook vs LibreOffice vs formulas
    print("\n2. one 64-image answer workbook, recalculated by LibreOffice so it carries LibreOffice's cached values")
    soffice = find_soffice()
    t_lo = None
    if soffice:
        recalculate(answer, answer64)  # warm-up and the file itself
        lo = []
        for _ in range(R_LO):
            start = time.perf_counter()
            recalculate(answer, tmp / "lo-out.xlsx")
            lo.append(time.perf_counter() - start)
        t_lo = statistics.median(lo)
    else:
        shutil.copyfile(answer, answer64)
        print("  (LibreOffice not found: the workbook keeps sheetnet's cached values)")

    t_check, walls, out = median_wall([*SHEETNET, "check", str(answer64)], R)
    first = out.splitlines()[0] if out else ""
    line("sheetnet check answer.xlsx", fmt_s(t_check), "<= 0.25 s", met(t_check <= 0.25))
    print(f"    ({first.split(': ', 1)[-1]}; runs {min(walls):.3f}–{max(walls):.3f} s)")
    t_recompute, _, _ = median_wall([*SHEETNET, "recompute", str(answer64)], R, ok=(0, 1))
    line("sheetnet recompute answer.xlsx", fmt_s(t_recompute), "(none)")
    if t_lo is not None:
        line(f"LibreOffice recalculate (median of {R_LO})", fmt_s(t_lo), "",
             "sheetnet.libreoffice.recalculate: soffice start-up + load + recalc + save")
        ratio = t_lo / t_check
        line("  ratio LibreOffice / sheetnet check", f"{ratio:.1f}x", ">= 5x", met(ratio >= 5))
    else:
        line("LibreOffice recalculate", "skipped: LibreOffice not found")
    probe = subprocess.run([sys.executable, "-c", "import formulas"], env=ENV, capture_output=True)
    if probe.returncode == 0:
        code = ("import formulas,sys;m=formulas.ExcelModel().loads(sys.argv[1]).finish();m.calculate()")
        t_f, _, _ = median_wall([sys.executable, "-c", code, str(answer64)], R_LO, warmup=False)
        line(f"formulas load + calculate (median of {R_LO})", fmt_s(t_f))
        ratio = t_f / t_check
        line("  ratio formulas / sheetnet check", f"{ratio:.1f}x", ">= 25x", met(ratio >= 25))
    else:
        line("formulas load + calculate", "skipped: formulas not installed")

    # ---- 3. batch
    print("\n3. batch: 200 copies of that workbook (190 clean, 10 with one changed cached value) in one command,"
          " each with its student's own selection (no two files the same bytes)")
    cls = tmp / "class"
    cls.mkdir()
    spoiled_src = tmp / "spoiled.xlsx"
    spoil(answer64, spoiled_src, "S14", 1.0)
    for i in range(200):
        src = spoiled_src if i % 20 == 7 else answer64
        as_student(src, cls / f"student-{i:03d}.xlsx", i)
    t_batch, walls, out = median_wall([*SHEETNET, "check", str(cls)], R_BIG, ok=(0, 1))
    spread = f"runs {min(walls):.2f}–{max(walls):.2f} s; "
    rate = 200 / t_batch
    summary = next((ln for ln in out.splitlines() if ln.startswith("checked ")), "")
    line(f"sheetnet check class/ (median of {R_BIG})", fmt_s(t_batch), "", spread + f"default -j ({os.cpu_count()} CPUs)")
    line("  workbooks per second", f"{rate:.0f}/s", ">= 40/s", met(rate >= 40))
    if summary:
        print(f"    ({summary})")

    # ---- 4. scale
    print("\n4. scale: answer workbooks in the chapter-3 layout with 64, 640 and 4,000 images "
          "(the book's 64 repeated; cached values written by sheetnet)")
    t_per = {}
    for n in (64, 640, 4000):
        path = tmp / f"scale-{n}.xlsx"
        start = time.perf_counter()
        scale_workbook(path, n)
        built = time.perf_counter() - start
        reps = R if n < 4000 else R_BIG
        t, walls, out = median_wall([*SHEETNET, "check", str(path)], reps)
        mem = peak_rss_mb([*SHEETNET, "check", str(path)])
        cells = re.search(r"(\d+) computed cells", out)
        t_per[n] = t / n
        target = "<= 3 s, <= 300 MB" if n == 4000 else ""
        verdict = met(t <= 3 and mem <= 300) if n == 4000 else ""
        line(f"check {n:>5} images ({cells.group(1) if cells else '?'} cells, {path.stat().st_size / 1e3:.0f} kB)",
             f"{t:.3f} s", target, f"{verdict} peak {mem:.0f} MB · {1000 * t / n:.3f} ms/image "
             f"(median of {reps}, runs {min(walls):.2f}–{max(walls):.2f} s; built in {built:.1f} s)")
    fixed = (t_per[4000] * 4000 - t_per[64] * 64) / (4000 - 64)
    print(f"    marginal cost 64→4000 images: {1000 * fixed:.3f} ms/image; "
          f"the 64-image time is mostly fixed cost (start-up, imports)")

    # ---- 5. training
    print("\n5. sheetnet train --method solver, from the book's initial values (answer --params initial)")
    initial = tmp / "answer-initial.xlsx"
    run([*SHEETNET, "answer", "--params", "initial", "-o", str(initial)])
    t_train, _, out = median_wall([*SHEETNET, "train", str(initial), "-o", str(tmp / "trained.xlsx"),
                                   "--method", "solver"], R)
    m = re.search(r"C_T after:\s+(\S+).*?(\d+) iterations, ([\d.]+) s", out)
    line("sheetnet train (whole command)", fmt_s(t_train), "(none)")
    if m:
        opt, ct = float(m.group(3)), float(m.group(1))
        line("  optimization time it prints", fmt_s(opt), "<= 0.5 s", met(opt <= 0.5))
        line("  C_T after", f"{ct:.3g}", "<= 1.0452e-07", met(ct <= 1.0452e-07) + f" in {m.group(2)} iterations")

    # ---- 6. the chapter-4 and chapter-5 kinds
    print("\n6. the other kinds: write, recompute, check (no targets: figures to watch)")
    for kind, extra, label in (("backprop", ["--iterations", "50"], "backprop, 50 iteration blocks"),
                               ("cnn", [], "cnn, 96 images"),
                               ("cnn-backprop", ["--iterations", "10"], "cnn-backprop, 10 iteration blocks")):
        book = tmp / f"{kind}.xlsx"
        repeats = 1 if kind != "cnn" else R
        t_write, _, _ = median_wall([*SHEETNET, "answer", "--kind", kind, *extra, "-o", str(book)], repeats,
                                    warmup=kind == "cnn")
        t_re, _, _ = median_wall([*SHEETNET, "recompute", str(book)], repeats, warmup=False)
        t_check, _, _ = median_wall([*SHEETNET, "check", str(book)], repeats, warmup=False)
        mem = peak_rss_mb([*SHEETNET, "check", str(book)])
        line(f"answer --kind {label}", fmt_s(t_write))
        line("  recompute", fmt_s(t_re))
        line("  check", fmt_s(t_check), extra=f"peak {mem:.0f} MB")
    cnn = tmp / "cnn-initial.xlsx"
    run([*SHEETNET, "answer", "--kind", "cnn", "--params", "initial", "-o", str(cnn)])
    for method in ("solver", "gd"):
        t, _, _ = median_wall([*SHEETNET, "train", str(cnn), "-o", str(tmp / f"cnn-{method}.xlsx"),
                               "--method", method], R)
        line(f"train --method {method} (cnn, from cnn_initial)", fmt_s(t))

    # ---- baseline
    print("\nbaseline")
    pythons = {"": PYTHON} if PYTHON == sys.executable else {"": PYTHON, " (this interpreter, not timed above)": sys.executable}
    for label, py in pythons.items():
        t_py, _, _ = median_wall([py, "-c", "pass"], R)
        t_np, _, _ = median_wall([py, "-c", "import numpy"], R)
        t_np1, _, _ = median_wall([py, "-c", NUMPY_AS_SHEETNET], R)
        line(f"python -c pass{label}", fmt_s(t_py))
        line(f"python -c 'import numpy'{label}", fmt_s(t_np))
        line(f"  the same with 1 BLAS thread{label}", fmt_s(t_np1), "", "as sheetnet's command loads NumPy (sheetnet.blas)")
    t_help, _, _ = median_wall([*SHEETNET, "--help"], R)
    line("python -m sheetnet --help", fmt_s(t_help))


# ---------------------------------------------------------------- issue 14 and 17: every kind, ×10 LibreOffice

FORMULAS_VENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sheetnet-bench" / "formulas-venv"


def formulas_python() -> str | None:
    """The `formulas` package in the benchmark's own virtualenv (made on first use; never a
    dependency of sheetnet). None when it cannot be installed here."""
    py = FORMULAS_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    probe = [str(py), "-c", "import formulas, openpyxl"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return str(py)
    print(f"  (making {FORMULAS_VENV} with the `formulas` package from the package index …)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(FORMULAS_VENV)], check=True, capture_output=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "formulas[excel]"], check=True, capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as e:
        print(f"  (formulas could not be installed: {e})")
        return None
    return str(py) if subprocess.run(probe, capture_output=True).returncode == 0 else None


def lo_median(soffice_ok: bool, src: Path, out: Path, repeats: int) -> float | None:
    """Median wall time of LibreOffice's forced recalculation of src (soffice start-up included)."""
    if not soffice_ok:
        return None
    from sheetnet.libreoffice import recalculate

    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        recalculate(src, out)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def ratio_line(label: str, ours: float, theirs: float | None, target: float) -> None:
    if theirs is None:
        line(label, "skipped", f">= {target:g}x", "LibreOffice not found")
        return
    r = theirs / ours
    line(label, f"{r:.1f}x", f">= {target:g}x", met(r >= target))


def excel_style_answer(tmp: Path, src: Path) -> Path:
    """The chapter-3 answer as Excel saves it: LibreOffice's values, Excel's shared-formula groups."""
    from excelstyle import excel_style

    dst = tmp / "book-excel-style.xlsx"
    excel_style(src, dst)
    return dst


# NumPy imported as sheetnet's command imports it: OpenBLAS told to start one thread before it loads
# (sheetnet.blas.at_start), which spares the thread set-up a plain `import numpy` pays
NUMPY_AS_SHEETNET = "import os; os.environ.setdefault('OPENBLAS_NUM_THREADS', '1'); import numpy"


def bench_kinds(tmp: Path, R: int, R_LO: int, R_BIG: int, quick: bool) -> None:
    from sheetnet.libreoffice import find_soffice, recalculate

    soffice_ok = find_soffice() is not None
    print("\n7. every kind against LibreOffice's recalculation of the same file, in this run "
          "(issue 14: >= 10x; LibreOffice's figure includes its start-up)")
    books: dict[str, Path] = {}
    ch3 = tmp / "k-chapter3.xlsx"
    run([*SHEETNET, "answer", "-o", str(ch3)])
    if soffice_ok:
        recalculate(ch3, tmp / "k-chapter3-lo.xlsx")
        ch3 = tmp / "k-chapter3-lo.xlsx"
    books["chapter3 (sheetnet's answer, LibreOffice's values)"] = ch3
    books["chapter3, Excel style (shared formulas)"] = excel_style_answer(tmp, ch3)
    big = tmp / "scale-4000.xlsx"
    if not big.exists():
        scale_workbook(big, 4000)
    books["chapter3, 4,000 images"] = big
    for kind, extra in (("cnn", []), ("backprop", ["--iterations", "50"]), ("cnn-backprop", ["--iterations", "10"])):
        path = tmp / f"k-{kind}.xlsx"
        run([*SHEETNET, "answer", "--kind", kind, *extra, "-o", str(path)])
        books[{"cnn": "cnn, 96 images", "backprop": "backprop, 50 iterations",
               "cnn-backprop": "cnn-backprop, 10 iterations"}[kind]] = path
    targets = {  # (check, recompute) seconds, issue 14
        "chapter3, Excel style (shared formulas)": (0.15, 0.12), "chapter3, 4,000 images": (1.0, 1.0),
        "cnn, 96 images": (0.12, 0.12), "backprop, 50 iterations": (0.6, 0.6),
        "cnn-backprop, 10 iterations": (0.6, 0.6)}
    # what no command can go below: the interpreter's start and NumPy's import (the absolute targets of
    # the small kinds are set against it)
    t_floor, _, _ = median_wall([PYTHON, "-c", NUMPY_AS_SHEETNET], R)
    line("start-up floor (python, numpy 1 thread)", fmt_s(t_floor), "", "no command of any kind goes below it")
    for label, path in books.items():
        reps = R_BIG if path.stat().st_size > 1e6 else R
        t_check, _, out = median_wall([*SHEETNET, "check", str(path)], reps, ok=(0, 1))
        cpu_check = cpu_note(reps)
        t_re, _, _ = median_wall([*SHEETNET, "recompute", str(path)], reps, ok=(0, 1))
        cpu_re = cpu_note(reps)
        mem = peak_rss_mb([*SHEETNET, "check", str(path)], ok=(0, 1))
        mem_re = peak_rss_mb([*SHEETNET, "recompute", str(path)], ok=(0, 1))
        t_lo = lo_median(soffice_ok, path, tmp / "lo-out.xlsx", R_LO)
        cells = re.search(r"(\d+) computed cells", out)
        tc, tr = targets.get(label, (None, None))
        print(f"  {label} ({cells.group(1) if cells else '?'} graded cells, {path.stat().st_size / 1e3:,.0f} kB)")
        line("    check", fmt_s(t_check), f"<= {tc} s, <= 200 MB" if tc else "",
             (met(t_check <= tc and mem <= 200) if tc else "") + f" peak {mem:.0f} MB · {cpu_check}")
        line("    recompute", fmt_s(t_re), f"<= {tr} s, <= 200 MB" if tr else "",
             (met(t_re <= tr and mem_re <= 200) if tr else "") + f" peak {mem_re:.0f} MB · {cpu_re}")
        line("    LibreOffice recalculate", fmt_s(t_lo) if t_lo is not None else "skipped")
        ratio_line("    ratio LibreOffice / check", t_check, t_lo, 10)
        ratio_line("    ratio LibreOffice / recompute", t_re, t_lo, 10)
        if label.startswith("chapter3, Excel"):
            py = formulas_python()
            if py:
                code = "import formulas,sys;m=formulas.ExcelModel().loads(sys.argv[1]).finish();m.calculate()"
                t_f, _, _ = median_wall([py, "-c", code, str(path)], R_LO, warmup=False)
                line("    formulas load + calculate", fmt_s(t_f), "", f"formulas in {FORMULAS_VENV}")
                line("    ratio formulas / check", f"{t_f / t_check:.1f}x", ">= 40x", met(t_f / t_check >= 40))
            else:
                line("    formulas load + calculate", "skipped: formulas not installable here")

    print("\n8. answer of the iterated kinds (issue 14)")
    for kind, k, target, mem_target in (("backprop", 50, 1.5, None), ("cnn-backprop", 10, 1.5, None),
                                        ("cnn-backprop", 50, 8.0, 300)):
        out_path = tmp / f"a-{kind}-{k}.xlsx"
        cmd = [*SHEETNET, "answer", "--kind", kind, "--iterations", str(k), "-o", str(out_path)]
        reps = 1 if k == 50 and kind == "cnn-backprop" else min(R, 3)
        t, _, _ = median_wall(cmd, reps, warmup=False)
        cpu = cpu_note(reps)
        mem = peak_rss_mb(cmd)
        ok = t <= target and (mem_target is None or mem <= mem_target)
        line(f"answer --kind {kind} --iterations {k}", fmt_s(t),
             f"<= {target:g} s" + (f", <= {mem_target} MB" if mem_target else ""), met(ok) + f" peak {mem:.0f} MB · {cpu}")

    print("\n9. issue 17: three pairs")
    # (a) train with the default BLAS pool against one thread, while another process holds a core
    initial = tmp / "answer-initial.xlsx"
    if not initial.exists():
        run([*SHEETNET, "answer", "--params", "initial", "-o", str(initial)])
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        train = ["train", str(initial), "-o", str(tmp / "t.xlsx"), "--method", "solver"]
        # the default pool: neither the thread count set before NumPy loads nor threadpoolctl's limit
        default_pool = [PYTHON, "-c", "import contextlib,sys,sheetnet.blas as b;b.one_thread=contextlib.nullcontext;"
                        "b.at_start=lambda:None;from sheetnet.cli import main;sys.exit(main(sys.argv[1:]))", *train]
        t_default, _, _ = median_wall(default_pool, R)
        t_one, _, _ = median_wall([*SHEETNET, *train], R)
    finally:
        hog.kill()
        hog.wait()
    line("train --method solver, default BLAS pool", fmt_s(t_default), "", "one core held by a busy process")
    line("train --method solver, one BLAS thread", fmt_s(t_one), "<= 0.5 s", met(t_one <= 0.5) + f" {t_default / t_one:.1f}x faster")
    # (b) the sheet parse: the standard library's expat-backed ElementTree, defusedxml's, and sheetnet's reader
    parse_pair(books["backprop, 50 iterations"], R)
    # (c) a class of 200 Excel-style workbooks, -j 2: 12 different answers, every file its own bytes
    cls = tmp / "class-excel"
    cls.mkdir(exist_ok=True)
    excel_style_class(tmp, cls, 200, variants=12)
    t_cls, walls, _ = median_wall([*SHEETNET, "check", "-j", "2", str(cls)], R_BIG, ok=(0, 1))
    rate = 200 / t_cls
    line("check -j 2, 200 Excel-style workbooks (12 answers)", fmt_s(t_cls), "",
         f"runs {min(walls):.2f}–{max(walls):.2f} s · {cpu_note(R_BIG)} (both processes)")
    line("  workbooks per second", f"{rate:.0f}/s", ">= 100/s", met(rate >= 100))


def parse_pair(book: Path, repeats: int) -> None:
    """The largest sheet of `book`, parsed three ways in this process (CPU time, median)."""
    import io
    import xml.etree.ElementTree as ET
    import zipfile

    from sheetnet.xlsx.sheetxml import read_sheet

    with zipfile.ZipFile(book) as z:
        part = max((i for i in z.infolist() if i.filename.startswith("xl/worksheets/sheet")), key=lambda i: i.file_size)
        data = z.read(part.filename)

    def stdlib():
        for _, el in ET.iterparse(io.BytesIO(data)):
            el.clear()

    def defused():
        from defusedxml.ElementTree import iterparse

        for _, el in iterparse(io.BytesIO(data)):
            el.clear()

    def ours():
        read_sheet(data, part.filename, "sheet", lambda: [""] * 100_000)

    def cpu(fn) -> float:
        times = []
        for _ in range(max(3, repeats)):
            start = time.process_time()
            fn()
            times.append(time.process_time() - start)
        return statistics.median(times)

    t_std = cpu(stdlib)
    line(f"parse {part.file_size / 1e6:.1f} MB sheet: ElementTree (expat)", fmt_s(t_std), "", "elements only, no cells")
    try:
        t_def = cpu(defused)
        line("  defusedxml's iterparse (the old reader's)", fmt_s(t_def), "", f"{t_def / t_std:.2f}x the standard library's")
    except ImportError:
        line("  defusedxml's iterparse", "skipped: not installed")
    t_ours = cpu(ours)
    line("  sheetnet's reader (every cell read)", fmt_s(t_ours), "<= 1.1x stdlib", met(t_ours <= 1.1 * t_std)
         + f" {t_ours / t_std:.2f}x the standard library's")


if __name__ == "__main__":
    main()
