"""A huge sheet's second half read by a forked child (sheetnet.forked) gives the cells, their order and
every refusal of the reader in one process — whatever the child meets, and if it dies."""

import os
import random
import re
import signal
import sys
import threading

import pytest

from minixlsx import write_xlsx
from sheetnet import forked
from sheetnet.errors import UnusableInput
from sheetnet.xlsx import sheetxml
from sheetnet.xlsx.reader import WorkbookCells

_CHILD = forked.Child  # (the fixture below counts the children through a function of its own)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="children are forked on Linux only")

_NUMBERS = ['<c r="{a}"><v>1.5</v></c>', '<c r="{a}" s="3"><f>A1+1</f><v>2.5</v></c>', '<c r="{a}" s="1"/>',
            '<c r="{a}"><f>B1</f><v></v></c>', '<c r="{a}"><v>-3e-7</v></c>']
_OTHERS = ['<c r="{a}" t="s"><v>1</v></c>', '<c r="{a}" s="2" t="b"><v>1</v></c>',
           '<c r="{a}" t="e"><f>1/0</f><v>#DIV/0!</v></c>', '<c r="{a}" t="inlineStr"><is><t>x&amp;y</t></is></c>',
           '<c r="{a}"><f aca="false">A1*2</f><v>4</v></c>', '<c r="{a}"><v>&#49;2</v></c>',
           '<c r="{a}"><f t="array" ref="{a}:{a}">SUM(A1:A2)</f><v>3</v></c>']


def _body(seed: int, rows: int = 80, forms=None) -> str:
    rng = random.Random(seed)
    out = []
    for r in range(1, rows + 1):
        cells = [rng.choice(forms or (_NUMBERS if rng.random() < 0.7 else _OTHERS)) for _ in range(rng.randrange(1, 7))]
        content = "".join(form.format(a=f"{'ABCDEFG'[k]}{r}") for k, form in enumerate(cells))
        out.append(rng.choice(['<row r="{r}">{c}</row>', '\n <row r="{r}" spans="1:7">\n  {c}\n </row>']).format(r=r, c=content))
    return "".join(out)


def _read(tmp_path, body, name="t.xlsx"):
    """(cells in order, array formulas), or the refusal's text."""
    path = write_xlsx(tmp_path / name, {"S": body}, ["zero", "one"])
    try:
        with WorkbookCells(path) as wb:
            got = wb.sheet("S")
            return list(got.items()), dict(getattr(got, "arrays", {}))
    except UnusableInput as e:
        return str(e)


@pytest.fixture
def halves(monkeypatch):
    """Every sheet's content split, a child allowed; counts the children, the halves they gave and the
    reads by the general reader."""
    seen = {"children": 0, "taken": 0, "general": 0}
    child, take, general = forked.Child, sheetxml._take_half, sheetxml._general

    def counted_child(work):
        seen["children"] += 1
        return child(work)

    def counted_take(*args):
        seen["taken"] += 1
        return take(*args)

    def counted_general(*args):
        seen["general"] += 1  # (a split read that went wrong would end there, and read alike: counted)
        return general(*args)

    monkeypatch.setattr(sheetxml, "_general", counted_general)
    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "Child", counted_child)
    monkeypatch.setattr(sheetxml, "_take_half", counted_take)
    monkeypatch.setattr(sheetxml, "SPLIT_FROM", 0)
    return seen


def _in_one_process(tmp_path, body, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(sheetxml, "SPLIT_FROM", 1 << 60)
        return _read(tmp_path, body, "one.xlsx")


@pytest.mark.parametrize("seed", range(6))
def test_the_childs_half_reads_as_in_one_process(tmp_path, monkeypatch, halves, seed):
    body = _body(seed)
    one = _in_one_process(tmp_path, body, monkeypatch)
    assert isinstance(one, tuple) and len(one[0]) > 100
    for chunk in (1, 97, 1 << 22):  # wherever the chunks of each half end
        monkeypatch.setattr(sheetxml, "_CHUNK", chunk)
        assert _read(tmp_path, body) == one
    assert halves["children"] == halves["taken"] == 3  # the child's half was the one taken, each time
    assert halves["general"] == 0


@pytest.mark.parametrize("seed", range(4))
def test_the_values_and_kinds_kept_beside_the_cells_are_theirs(tmp_path, monkeypatch, halves, seed):
    # grid.SheetGrid reads a sheet's numbers and kinds from these lists instead of from each Cell: read in one
    # process, in two, and by expat, they are each Cell's own, in cell_index's order (None only for a sheet
    # whose cells are not in key order)
    body = _body(seed)
    shuffled = "".join(reversed(re.findall(r"\s*<row.*?</row>", body, re.S)))  # the rows last to first
    for text, split, in_order in ((body, 0, True), (body, 1 << 60, True), (shuffled, 0, False)):
        monkeypatch.setattr(sheetxml, "SPLIT_FROM", split)
        for general in (False, True):
            with monkeypatch.context() as m:
                if general:
                    m.setattr(sheetxml, "_scan", lambda *args: False)
                path = write_xlsx(tmp_path / f"c{seed}{split}{general}{in_order}.xlsx", {"S": text}, ["zero", "one"])
                with WorkbookCells(path) as wb:
                    cells = wb.sheet("S")
                    columns = sheetxml.value_columns(cells)
                    found = sheetxml.cell_index(cells)[1].tolist()
            assert (columns is not None) == in_order
            if in_order:
                assert columns[0] == [c.value for c in found] and columns[1] == [c.kind for c in found]
                assert any(k != "n" for k in columns[1]) and len(found) > 100


def test_a_cell_given_twice_across_the_halves_counts_once_the_later_in_the_first_place(tmp_path, monkeypatch, halves):
    body = _body(1, forms=_NUMBERS) + '<row r="1"><c r="A1"><v>42</v></c></row>'
    one = _in_one_process(tmp_path, body, monkeypatch)
    assert _read(tmp_path, body) == one and one[0][0] == ((1, 1), sheetxml.Cell(42.0, "n"))
    assert halves["taken"] == 1 and halves["general"] == 0


def test_a_shared_formula_whose_master_is_in_the_first_half_is_moved_here(tmp_path, monkeypatch, halves):
    # Excel's sheets: a master at the top, members all the way down — the child keeps the members it
    # cannot move, the parent moves them with the master it read
    body = ('<row r="1"><c r="A1"><f t="shared" ref="A1:A80" si="0">B1*2</f><v>2</v></c></row>'
            + "".join(f'<row r="{r}"><c r="A{r}"><f t="shared" si="0"/><v>{r}</v></c><c r="B{r}"><v>{r}</v></c></row>'
                      for r in range(2, 81)))
    one = _in_one_process(tmp_path, body, monkeypatch)
    got = _read(tmp_path, body)
    assert got == one and dict(got[0])[(80, 1)].formula == "=B80*2"
    assert halves["children"] == halves["taken"] == 1 and halves["general"] == 0


def _shared_body(seed: int) -> str:
    """Rows of shared groups 0–2: masters (some redefining their group), members, members without a
    group number, plain formulas and numbers, in random places."""
    rng = random.Random(seed)
    forms = ['<c r="{a}"><f t="shared" ref="{a}:G99" si="{g}">{a}+$A$1*2</f><v>1</v></c>',
             '<c r="{a}"><f t="shared" si="{g}"/><v>2</v></c>', '<c r="{a}"><f t="shared" si="{g}"/><v>2</v></c>',
             '<c r="{a}"><f t="shared" si="{g}"/><v>2</v></c>', '<c r="{a}" t="str"><f t="shared" si="{g}"/><v>x</v></c>',
             '<c r="{a}"><f>B1</f><v>3</v></c>', '<c r="{a}"><v>4</v></c>']
    rows = ['<row r="1"><c r="A1"><f t="shared" ref="A1:G99" si="0">B1</f><v>1</v></c>'
            '<c r="B1"><f t="shared" ref="B1:G99" si="1">C1&amp;"&lt;"</f><v>1</v></c>'
            '<c r="C1"><f t="shared" ref="C1:G99" si="2">SUM($A1:A$3)</f><v>1</v></c></row>']
    for r in range(2, 90):
        cells = [rng.choice(forms).format(a=f"{'ABCDEFG'[k]}{r}", g=rng.choice("0012")) for k in range(rng.randrange(1, 7))]
        rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    never = '<row r="200"><c r="A200"><f t="shared" si="7"/><v>1</v></c></row>'  # a group never defined
    unnumbered = '<row r="201"><c r="A201"><f t="shared"/><v>1</v></c></row>'  # a member without a number
    if seed % 3:  # refused (the first one in the document is the one said)
        rows[60:60] = [never] if seed % 3 == 1 else [unnumbered, never]
    return "".join(rows)


@pytest.mark.parametrize("seed", range(9))
def test_shared_groups_read_alike_by_one_process_two_and_expat(tmp_path, monkeypatch, halves, seed):
    # the general reader (expat, cell by cell) is the meaning; the scanner gathers a chunk's members by
    # group, and a child's half leaves the members of groups defined in the first half to its parent
    body = _shared_body(seed)
    with monkeypatch.context() as m:
        m.setattr(sheetxml, "_scan", lambda *args: False)
        general = _read(tmp_path, body, "g.xlsx")
    assert (seed % 3 == 0) == isinstance(general, tuple), general
    for chunk in (1, 97, 1 << 22):
        monkeypatch.setattr(sheetxml, "_CHUNK", chunk)
        assert _in_one_process(tmp_path, body, monkeypatch) == general
        assert _read(tmp_path, body) == general
    if seed % 3 == 0:
        assert halves["taken"] == 3 and any(c.value == "x" for _p, c in general[0])


@pytest.mark.parametrize("where", ["first", "second", "both"])
def test_a_refusal_is_the_one_of_the_reading_in_one_process(tmp_path, monkeypatch, halves, where):
    rows = _body(2, forms=_NUMBERS).split("</row>")
    bad = {"first": [5], "second": [len(rows) - 5], "both": [5, len(rows) - 5]}[where]
    for k, i in enumerate(bad):
        rows[i] = rows[i].replace("<v>", f"<v>{'xy'[k]}", 1) if "<v>" in rows[i] else rows[i] + f'<c r="G{i + 1}"><v>{"xy"[k]}</v></c>'
    body = "</row>".join(rows)
    one = _in_one_process(tmp_path, body, monkeypatch)
    assert isinstance(one, str) and "'x" in one  # the first one in the document
    assert _read(tmp_path, body) == one


def test_too_many_cells_in_the_two_halves_together_is_refused(tmp_path, monkeypatch, halves):
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 101))
    monkeypatch.setattr(sheetxml, "MAX_ELEMENTS", 99)  # each half is under it
    one = _in_one_process(tmp_path, body, monkeypatch)
    assert "has more than 99 cells" in one and _read(tmp_path, body) == one and halves["taken"] == 1


def test_cells_given_again_and_again_in_each_half_count_once_past_the_cells_limit(tmp_path, monkeypatch, halves):
    # each half alone holds more entries than MAX_CELLS, fewer cells: the child makes its entries one per
    # position as the parent does (the later one in the first one's place), and nothing is refused
    body = "".join(f'<row r="{r}">' + "".join(f'<c r="A{r}"><v>{r * 10 + k}</v></c><c r="B{r}" t="s"><v>{k % 2}</v></c>'
                                             for k in range(3)) + "</row>" for r in range(1, 61))
    monkeypatch.setattr(sheetxml, "MAX_CELLS", 150)
    one = _in_one_process(tmp_path, body, monkeypatch)
    assert isinstance(one, tuple) and len(one[0]) == 120 and one[0][0] == ((1, 1), sheetxml.Cell(12.0, "n"))
    assert _read(tmp_path, body) == one and halves["taken"] == 1 and halves["general"] == 0
    with WorkbookCells(write_xlsx(tmp_path / "again.xlsx", {"S": body}, ["zero", "one"])) as wb:
        cells = wb.sheet("S")  # (the columns kept beside the Cells: made one per position alike)
    found = sheetxml.cell_index(cells)[1].tolist()
    assert sheetxml.value_columns(cells) == ([c.value for c in found], [c.kind for c in found], [c.formula for c in found])


def test_a_second_half_not_in_the_plain_form_goes_to_the_general_reader_whole(tmp_path, monkeypatch, halves):
    body = _body(3, forms=_NUMBERS) + '<row r="99"><c r="A99"><f><![CDATA[1+1]]></f><v>2</v></c></row>'
    one = _in_one_process(tmp_path, body, monkeypatch)
    assert isinstance(one, tuple) and dict(one[0])[(99, 1)].formula == "=1+1"
    assert _read(tmp_path, body) == one and halves["taken"] == 0


def test_the_row_tags_of_both_halves_are_checked_together(tmp_path, monkeypatch, halves):
    body = _body(6, forms=_NUMBERS).replace('<row r="70">', '<row r="70"><row r="70">')  # a row in a row
    one = _in_one_process(tmp_path, body, monkeypatch)
    assert isinstance(one, str) and _read(tmp_path, body) == one and halves["taken"] == 1


def test_a_child_that_dies_leaves_its_half_to_be_read_here(tmp_path, monkeypatch, halves):
    body = _body(4)
    one = _in_one_process(tmp_path, body, monkeypatch)
    monkeypatch.setattr(sheetxml, "_second_half", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
    assert _read(tmp_path, body) == one
    assert halves["children"] == 1 and halves["taken"] == halves["general"] == 0


def test_a_failing_first_half_stops_the_child(tmp_path, monkeypatch, halves):
    stopped = []
    stop = _CHILD.stop
    monkeypatch.setattr(_CHILD, "stop", lambda self: (stopped.append(self._pid), stop(self)))
    body = '<row r="1"><c r="A1"><v>x</v></c></row>' + _body(5, forms=_NUMBERS)
    assert "'x'" in _read(tmp_path, body)
    assert halves["children"] == 1 and stopped and stopped[0] > 0
    with pytest.raises(ChildProcessError):
        os.waitpid(stopped[0], os.WNOHANG)  # collected: no zombie left behind


def test_children_only_in_a_process_sheetnet_owns_with_one_thread(monkeypatch):
    monkeypatch.setattr(forked, "_ALLOWED", False)
    assert not forked.available()  # a program using sheetnet as a library gets no process it did not ask for
    monkeypatch.setattr(forked, "_ALLOWED", True)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 0.5, 0.5))
    assert forked.available()
    monkeypatch.setattr(os, "getloadavg", lambda: (1.7, 0.5, 0.5))
    assert not forked.available()  # the other core is busy: the child would only take CPU from it
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 0.5, 0.5))
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not forked.available()  # a lock another thread holds would stay locked in the child
    finally:
        release.set()
        other.join()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not forked.available()  # one CPU: the child would only take turns with us


def test_no_process_left_to_the_user_and_the_half_is_read_here(tmp_path, monkeypatch, halves):
    import errno

    body = _body(7)
    one = _in_one_process(tmp_path, body, monkeypatch)
    before = len(os.listdir("/proc/self/fd"))

    def no_fork():
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert _read(tmp_path, body) == one and halves["taken"] == 0
    assert len(os.listdir("/proc/self/fd")) == before  # the pipe closed again


def _available_in_a_worker(_):
    forked.allow()
    return forked.available()


def test_a_class_checks_worker_forks_no_child(monkeypatch):
    # a worker inherits allow() through fork(); the other worker has the other core
    import multiprocessing

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map(_available_in_a_worker, [0]) == [False]


def test_a_childs_exception_or_signal_is_a_result_of_none():
    def boom():
        raise ValueError("in the child")

    assert forked.Child(boom).result() is None
    assert forked.Child(lambda: os.kill(os.getpid(), signal.SIGKILL)).result() is None
    assert forked.Child(lambda: [1.5, "x", None]).result() == [1.5, "x", None]


@pytest.fixture(scope="module")
def huge(tmp_path_factory):
    """Backprop with 50 iteration blocks: a learning sheet of ~16 M characters, split by the command line."""
    import subprocess

    path = tmp_path_factory.mktemp("huge") / "bp50.xlsx"
    subprocess.run([sys.executable, "-m", "sheetnet", "answer", "--kind", "backprop", "--iterations", "50", "-o",
                    str(path)], check=True, capture_output=True)
    return path


@pytest.mark.skipif(len(getattr(os, "sched_getaffinity", lambda pid: ())(0)) < 2, reason="one CPU: nothing is forked")
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_command_stopped_while_its_child_reads_leaves_no_child_behind(huge, tmp_path, sig):
    from test_atomic_writes import finish, send, start, wait_for

    # the command line as `python -m sheetnet` runs it, with the load average pinned low: the test's
    # own neighbours (a loaded CI runner) must not decide whether a child is forked
    pinned = 'import os, runpy; os.getloadavg = lambda: (0.0, 0.0, 0.0); runpy.run_module("sheetnet", run_name="__main__")'
    proc = start([sys.executable, "-c", pinned, "check", str(huge)], "forked", cwd=tmp_path)
    wait_for(proc, "sheetnet-phase: forked")
    with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
        children = [int(pid) for pid in f.read().split()]
    assert len(children) == 1
    send(proc, getattr(signal, sig))
    out, err = finish(proc)
    assert proc.returncode == {"SIGINT": 130, "SIGTERM": 143}[sig]
    assert out == "" and err == [f"sheetnet: {'interrupted' if sig == 'SIGINT' else 'terminated'}"], err
    with pytest.raises(ProcessLookupError):
        os.kill(children[0], 0)  # stopped and collected before the command ended


def test_the_command_line_reads_a_huge_sheet_in_two_processes_alike(huge, monkeypatch, capsys):
    # the whole check (reader, loader, grading) of a sheet split by the command line, against one process
    from sheetnet.cli import main

    monkeypatch.setattr(sheetxml, "SPLIT_FROM", 1 << 60)
    assert main(["check", str(huge), "--format", "json"]) == 0
    one = capsys.readouterr().out
    taken = []
    take = sheetxml._take_half
    monkeypatch.setattr(sheetxml, "_take_half", lambda *args: (taken.append(1), take(*args)))
    monkeypatch.setattr(sheetxml, "SPLIT_FROM", 1 << 20)
    monkeypatch.setattr(forked, "available", lambda: True)
    assert main(["check", str(huge), "--format", "json"]) == 0
    assert capsys.readouterr().out == one and taken == [1]
