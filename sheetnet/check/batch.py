"""Grade a class: many workbooks checked in parallel, one row each, a broken file never stops the rest.

Each worker checks one workbook and sends back only what the output needs (a row, and the JSON
document or JUnit suite when asked for), never the arrays behind it.
"""

from __future__ import annotations

import io
import os
import time
import unicodedata
from pathlib import Path

from sheetnet import i18n, progress
from sheetnet.errors import UnusableInput
from sheetnet.i18n import _, ngettext
from sheetnet.mirror.compare import Tolerance
from sheetnet.record import field, record

CSV_COLUMNS = ("file", "status", "score", "points", "points_possible", "cell_score", "cells", "right", "root_causes",
               "inherited", "C_T", "C_T_expected", "accuracy", "accuracy_expected", "first_finding", "error")


@record
class Outcome:
    path: str
    status: str  # ok, findings, unusable
    error: str | None = None
    score: float | None = None  # the rubric's: points earned / points possible
    points: float | None = None
    points_possible: float | None = None
    cell_score: float | None = None  # right cells / graded cells
    cells: int | None = None
    right: int | None = None
    root_causes: int | None = None
    inherited: int | None = None
    totals: dict = field(default_factory=dict)  # name → (found, expected)
    first_finding: str = ""
    seconds: float = 0.0
    json: dict | None = None  # the JSON document, when asked for
    junit: str | None = None  # the JUnit <testsuite>, when asked for
    wrote: dict = field(default_factory=dict)  # what outputs.Outputs wrote for it: 'html'/'annotate' → path
    output_errors: list = field(default_factory=list)  # one line each: an output that could not be written

    @property
    def exit_code(self) -> int:
        return {"ok": 0, "findings": 1}.get(self.status, 2)


def _worker_init(language: str) -> None:
    """A worker process: the parent's signal handling and its language (--lang; a spawned worker would
    otherwise take the environment's); the checker imported, and everything made so far (modules,
    layouts) left out of the garbage collector's scans, which would otherwise walk it again and again
    while each workbook's objects come and go."""
    from sheetnet import collector, interrupts
    from sheetnet.check import checker  # noqa: F401 (imported before the freeze)

    interrupts.worker_init()
    i18n.set_language(language)
    collector.own_process()  # (a spawned worker, as on Windows, does not inherit the command line's word)
    collector.freeze_what_is_alive()


def check_one(path: str, fmt: str = "text", tol: Tolerance = Tolerance(), recalc: bool = False,
              kind: str = "auto", outputs=None, rubric=None, hints: bool = False) -> Outcome:
    """One workbook → its row. Every failure becomes the row's one-line error.

    outputs: an outputs.Outputs that writes the workbook's own files (its page, its annotated copy)
    here, in the worker, while its result is at hand. rubric: check/rubric.py's Rubric (None: the
    default). hints: `check --hints`."""
    from sheetnet import interrupts

    with interrupts.worker_task():  # stopped by the parent: its temporary files go, then the worker
        return _check_one(path, fmt, tol, recalc, kind, outputs, rubric, hints)


def _check_one(path: str, fmt: str, tol: Tolerance, recalc: bool, kind: str, outputs, rubric,
               hints: bool) -> Outcome:
    from sheetnet import interrupts
    from sheetnet.check.checker import check

    interrupts.phase(f"checking {Path(path).name}")
    start = time.perf_counter()
    try:
        from sheetnet.mirror.kinds import by_name

        result = check(path, tol=tol, recalc=recalc, kind=None if kind == "auto" else by_name(kind), rubric=rubric,
                       hints=hints)
    except UnusableInput as e:
        return _unusable(path, str(e), fmt, start)
    except MemoryError:
        return _unusable(path, _("out of memory"), fmt, start)
    except Exception as e:  # a bug of ours: still one row, and the other workbooks go on
        return _unusable(path, _("internal error ({error}); please report it").format(
            error=f"{type(e).__name__}: {e}"), fmt, start)
    o = outcome(path, result, fmt, time.perf_counter() - start)
    if outputs is not None:
        o.wrote, o.output_errors = outputs.write(path, result)
    return o


def outcome(path: str, result, fmt: str = "text", seconds: float = 0.0) -> Outcome:
    """A checked workbook's row (and its JSON document or JUnit suite when the format asks for it)."""
    from sheetnet.check import report

    first = result.root_causes[0] if result.root_causes else None
    o = Outcome(
        path=path, status="findings" if result.findings else "ok", score=result.rubric.score,
        points=result.rubric.earned, points_possible=result.rubric.possible, cell_score=result.score, cells=result.graded,
        right=result.right, root_causes=len(result.root_causes), inherited=result.inherited, totals=result.totals,
        first_finding=f"{first.first.cell}: {report.headline(first)}" if first else "", seconds=seconds,
    )
    if fmt == "json":
        o.json = report.document(result)
    elif fmt == "junit":
        o.junit = report.junit_suite(result, seconds)
    return o


def _unusable(path: str, message: str, fmt: str, start: float) -> Outcome:
    from sheetnet.check import report

    o = Outcome(path=path, status="unusable", error=message, seconds=time.perf_counter() - start)
    if fmt == "json":
        o.json = {"schema": report.SCHEMA, "file": path, "ok": False, "error": message}
    elif fmt == "junit":
        o.junit = report.junit_error_suite(path, message)
    return o


def run(paths: list[Path], *, fmt: str = "text", tol: Tolerance = Tolerance(), recalc: bool = False,
        jobs: int | None = None, kind: str = "auto", outputs=None,
        rubric=None, hints: bool = False) -> tuple[list[Outcome], float, int]:
    """Check every workbook; the outcomes in the order given, the wall time, and the workers used."""
    from concurrent.futures import ProcessPoolExecutor, as_completed  # only a class pays for the pool

    from sheetnet import interrupts

    start = time.perf_counter()
    names = [str(p) for p in paths]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(names)))
    done: dict[int, Outcome] = {}
    show = progress.begin(_("checking workbooks"), len(names), _("workbooks"))  # on a terminal only
    try:
        if jobs == 1:
            for i, name in enumerate(names):
                row = check_one(name, fmt, tol, recalc, kind, outputs, rubric, hints)
                interrupts.raise_pending()  # a signal an import turned into this row's error: not a row
                done[i] = row
                show.advance()
                interrupts.phase(f"checked {len(done)}")
        else:
            pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(i18n.language(),))
            try:
                with interrupts.blocked():  # the workers start here (see interrupts.worker_init)
                    futures = {pool.submit(check_one, name, fmt, tol, recalc, kind, outputs, rubric, hints): i
                               for i, name in enumerate(names)}
                for fut in as_completed(futures):
                    i = futures[fut]
                    try:
                        done[i] = fut.result()
                    except Exception as e:  # a worker died (killed, out of memory): that row only
                        done[i] = Outcome(names[i], "unusable", error=_("the check stopped ({error})").format(
                            error=type(e).__name__))
                    show.advance()
                    interrupts.phase(f"checked {len(done)}")
            except BaseException:
                _stop_workers(pool)
                raise
            pool.shutdown()
    except (KeyboardInterrupt, interrupts.Terminated) as e:
        rows = [done.get(i) or Outcome(name, NOT_CHECKED, error=_("the check was stopped before this workbook"))
                for i, name in enumerate(names)]
        raise Interrupted(e, rows) from None
    finally:
        show.done()
    return [done[i] for i in range(len(names))], time.perf_counter() - start, jobs


NOT_CHECKED = "not checked"  # a row's status when the class check was stopped before that workbook


class Interrupted(BaseException):
    """A class check stopped by Ctrl-C or SIGTERM: `outcomes` has every workbook's row in order (those
    not checked say so), `cause` is the KeyboardInterrupt or Terminated that stopped it."""

    def __init__(self, cause: BaseException, outcomes: list[Outcome]):
        super().__init__(cause, outcomes)
        self.cause, self.outcomes = cause, outcomes

    @property
    def checked(self) -> int:
        return sum(o.status != NOT_CHECKED for o in self.outcomes)


STOP_GRACE = 5.0  # seconds a stopped worker has to remove its temporary file and leave before it is killed


def _stop_workers(pool, grace: float = STOP_GRACE) -> None:
    """Stop at once: a worker can be minutes into a big workbook, and its result is not wanted.

    Every wait here is bounded. SIGTERM lets a worker remove a half-written copy; one still there after
    `grace` seconds (it went on past its stop, or is stuck) is killed. Only then does the pool's own
    thread end: it waits, without a limit, for every worker (ProcessPoolExecutor.shutdown(wait=True)
    did that wait here, and a worker that went on after its stop held Ctrl-C for ever). The workers
    are watched through their sentinels, never joined here: the pool's thread reaps them."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # (3.14's shutdown forgets them)
    manager = getattr(pool, "_executor_manager_thread", None)
    for stop in ("terminate", "kill"):
        for process in processes:
            try:
                getattr(process, stop)()
            except (OSError, ValueError, AttributeError):  # already gone
                pass
        if _all_ended(processes, grace):
            break
    pool.shutdown(wait=False, cancel_futures=True)
    if manager is not None:
        manager.join(grace)  # quick once the workers are gone; bounded whatever else it waits on


def _all_ended(processes: list, timeout: float) -> bool:
    """Wait until every process has ended (its sentinel is ready), for at most `timeout` seconds."""
    from multiprocessing.connection import wait

    deadline = time.monotonic() + timeout
    waiting = []
    for process in processes:
        try:
            waiting.append(process.sentinel)
        except ValueError:  # closed: long gone
            pass
    while waiting:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        for ready in wait(waiting, left):
            waiting.remove(ready)
    return True


# -- output ------------------------------------------------------------------------------------
def _score(o: Outcome) -> str:
    return f"{o.score:.1%}" if o.score is not None else "—"


def summary(outcomes: list[Outcome], seconds: float, jobs: int) -> str:
    def last(o: Outcome) -> str:
        if o.status == "unusable":
            return _("unusable: {error}").format(error=o.error)
        if o.status == NOT_CHECKED:
            return _("not checked: {why}").format(why=o.error)
        return o.first_finding or _("all right")

    rows = [(o.path, _score(o), "—" if o.root_causes is None else str(o.root_causes), last(o)) for o in outcomes]
    head = (_("workbook"), _("score"), _("root causes"), _("first finding"))
    width = [max(_width(r[k]) for r in rows + [head]) for k in range(3)]
    width[0] = min(width[0], 60)
    lines = ["  ".join([_pad(head[0], width[0]), _pad(head[1], width[1], True), _pad(head[2], width[2], True),
                        head[3]])]
    for r in rows:
        lines.append("  ".join([_pad(r[0], width[0]), _pad(r[1], width[1], True), _pad(r[2], width[2], True), r[3]]))
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "findings", "unusable")}
    lines.append("")
    lines.append(ngettext("checked {n} workbook in {seconds:.2f} s ({processes}): {ok} all right, {findings} with "
                          "findings, {unusable} unusable",
                          "checked {n} workbooks in {seconds:.2f} s ({processes}): {ok} all right, {findings} with "
                          "findings, {unusable} unusable", len(outcomes)).format(
        n=len(outcomes), seconds=seconds, processes=ngettext("{n} process", "{n} processes", jobs).format(n=jobs),
        ok=counts["ok"], findings=counts["findings"], unusable=counts["unusable"]))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a text takes on a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(0, width - _width(text))
    return space + text if right else text + space


def csv_text(outcomes: list[Outcome]) -> str:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for o in outcomes:
        ct = o.totals.get("C_T", (None, None))
        acc = o.totals.get("accuracy", (None, None))
        w.writerow([_text(o.path), o.status, _percent(o.score), _points(o.points), _points(o.points_possible),
                    _percent(o.cell_score), _blank(o.cells), _blank(o.right),
                    _blank(o.root_causes), _blank(o.inherited), *(_number(v) for v in (*ct, *acc)),
                    _text(o.first_finding), _text(o.error or "")])
    return buf.getvalue()


def _text(v: str) -> str:
    """A text cell a spreadsheet would run as a formula (a file named '=HYPERLINK(…).xlsx') starts with
    an apostrophe: shown as text (the usual defence against CSV injection)."""
    return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


def _percent(v) -> str:
    return "" if v is None else f"{v * 100:.2f}"


def _points(v) -> str:
    return "" if v is None else f"{v:g}"


def _blank(v) -> str:
    return "" if v is None else str(v)


def _number(v) -> str:
    return "" if v is None or isinstance(v, str) else repr(float(v))


def write_csv(path: Path, outcomes: list[Outcome]) -> None:
    from sheetnet import outputs

    # utf-8 with a BOM: Excel, where teachers open grade sheets, then reads 学习 as it is
    outputs.write_text(path, csv_text(outcomes), encoding="utf-8-sig")
