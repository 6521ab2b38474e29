"""The long fuzz run (not part of the default tests): 10,000 mutated workbooks by default.

    python3 tests/fuzz_long.py --cases 10000 [--seed N] [--minutes M]

Splits the cases over the three mutation kinds (zip bytes, XML text, cell values), runs load,
recompute and check on each (tests/fuzzcases.py), and fails on any exception but UnusableInput or any
case over 5 s. Prints the number of cases, the outcomes, and the slowest case. --minutes stops early
(and says so) when a time budget is reached.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

from fuzzcases import Base, Timer, apply_bytes, apply_cells, apply_xml, byte_mutations, cell_mutations, xml_mutations  # noqa: E402


class OutOfTime(Exception):
    pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=None, help="stop after this long (a partial run, reported)")
    args = ap.parse_args()

    from sheetnet.data import chapter3_params
    from sheetnet.mirror.answer import write_book_workbook

    work = Path(tempfile.mkdtemp(prefix="sheetnet-fuzz-long-"))
    set_hypothesis_home_dir(str(work / ".hypothesis"))
    write_book_workbook(work / "good.xlsx", chapter3_params("initial"))
    base, timer = Base(work / "good.xlsx"), Timer()
    stop_at = time.monotonic() + args.minutes * 60 if args.minutes else None
    per_kind = -(-args.cases // 3)
    config = settings(max_examples=per_kind, deadline=5000, database=None, phases=[Phase.generate, Phase.shrink],
                      suppress_health_check=list(HealthCheck))

    def case(apply, mutation):
        if stop_at is not None and time.monotonic() > stop_at:
            raise OutOfTime
        with tempfile.TemporaryDirectory(prefix="case-", dir=work) as d:
            timer.run(apply(base, Path(d) / "case.xlsx", mutation), mutation)

    @seed(args.seed)
    @config
    @given(byte_mutations())
    def zip_bytes(m):
        case(apply_bytes, m)

    @seed(args.seed)
    @config
    @given(xml_mutations())
    def xml_text(m):
        case(apply_xml, m)

    @seed(args.seed)
    @config
    @given(st.data())
    def cell_values(data):
        case(apply_cells, data.draw(cell_mutations(base)))

    start, partial = time.monotonic(), False
    try:
        for name, test in (("zip bytes", zip_bytes), ("XML text", xml_text), ("cell values", cell_values)):
            before = timer.cases
            t = time.monotonic()
            try:
                test()
            except OutOfTime:
                partial = True
            print(f"{name}: {timer.cases - before} cases in {time.monotonic() - t:.1f} s", flush=True)
            if partial:
                break
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{timer.cases} cases in {time.monotonic() - start:.1f} s{' (stopped at the time budget)' if partial else ''}: "
          f"{timer.outcomes}; slowest {timer.slowest:.3f} s: {timer.slowest_case!r}"[:600])
    if timer.slowest > 5:
        print("FAIL: a case took over 5 s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
