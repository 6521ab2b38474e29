"""sheetnet's performance figures, side by side with LibreOffice and `formulas` (issue 7).

    python3 benchmarks/run.py [--quick]

Every sheetnet figure is the median wall time of several runs of the real command line
(`python3 -m sheetnet …` in a fresh process, so interpreter start-up and imports count), on
workbooks built in a temporary folder during the run. Nothing passes or fails: the script prints
each figure next to its target and the ratios; read them.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's sheetnet, also for the subprocesses (PYTHONPATH)
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
SHEETNET = [sys.executable, "-m", "sheetnet"]
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


# ---------------------------------------------------------------- measuring

def run(cmd: list[str], ok=(0,)) -> tuple[float, str]:
    """One subprocess run: (wall seconds, stdout)."""
    start = time.perf_counter()
    p = subprocess.run(cmd, env=ENV, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
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


def peak_rss_mb(cmd: list[str], ok=(0,)) -> float:
    """Peak resident memory of one run, in MB (1e6 bytes): GNU time's maximum RSS, else getrusage."""
    if GNU_TIME:
        p = subprocess.run([GNU_TIME, "-v", *cmd], env=ENV, cwd=REPO, capture_output=True, text=True)
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


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a rough look in about a minute)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder of workbooks")
    args = ap.parse_args()
    R = 3 if args.quick else 9          # repeats of the sub-second commands
    R_LO = 1 if args.quick else 3       # LibreOffice / formulas runs
    R_BIG = 1 if args.quick else 5      # batch and the 4,000-image workbook

    print(f"sheetnet benchmarks ({'--quick' if args.quick else 'full'}; median wall time of {R} runs "
          f"unless said; one untimed warm-up run first) · {time.strftime('%Y-%m-%d %H:%M %Z')}")
    machine()
    tmp = Path(tempfile.mkdtemp(prefix="sheetnet-bench-"))
    try:
        bench(tmp, R, R_LO, R_BIG)
    finally:
        if args.keep:
            print(f"workbooks kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def bench(tmp: Path, R: int, R_LO: int, R_BIG: int) -> None:
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
    print("\n3. batch: 200 copies of that workbook (190 clean, 10 with one changed cached value) in one command")
    cls = tmp / "class"
    cls.mkdir()
    spoiled_src = tmp / "spoiled.xlsx"
    spoil(answer64, spoiled_src, "S14", 1.0)
    for i in range(200):
        src = spoiled_src if i % 20 == 7 else answer64
        shutil.copyfile(src, cls / f"student-{i:03d}.xlsx")
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
    t_py, _, _ = median_wall([sys.executable, "-c", "pass"], R)
    t_np, _, _ = median_wall([sys.executable, "-c", "import numpy"], R)
    t_help, _, _ = median_wall([*SHEETNET, "--help"], R)
    line("python3 -c pass", fmt_s(t_py))
    line("python3 -c 'import numpy'", fmt_s(t_np))
    line("python3 -m sheetnet --help", fmt_s(t_help))


if __name__ == "__main__":
    main()
