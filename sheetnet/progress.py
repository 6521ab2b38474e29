"""Progress of long work, on the terminal (tqdm), and nothing anywhere else.

The CLI turns it on for the command it runs (`shown()`), and only when stderr is a terminal. Work
that can take long says what it does:

    with progress.stage(_("reading {sheet}").format(sheet=name), total=size, unit="B") as s:
        ...
        s.advance(len(chunk))

Nothing is drawn — and tqdm is not even imported — until the command has run for DELAY seconds:
checking one workbook takes 0.15 s and pays nothing. The outermost open stage owns the bar (a
class's count of workbooks is not replaced by each workbook's own stages), each stage's bar is
cleared when it ends (so the command's output never mixes with it), and a worker process of a
class check draws nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

DELAY = 1.0  # seconds of work before a bar appears


class Stage:
    """One step of the work: what it is, how much of it there is (None: unknown), how far it got."""

    def __init__(self, display: "_Display | None", what: str, total: float | None, unit: str):
        self._display, self.what, self.total, self.unit, self.n = display, what, total, unit, 0
        self.note_text = ""

    def advance(self, n: float = 1) -> None:
        self.n += n
        if self._display is not None:
            self._display.moved(self, n)

    def note(self, text: str) -> None:
        """A short text beside the bar (the cost so far, say)."""
        self.note_text = text
        if self._display is not None:
            self._display.noted(self)

    def done(self) -> None:
        """The step is over: its bar is cleared."""
        if self._display is not None:
            self._display.end()
            self._display = None


class _Display:
    def __init__(self, stream, delay: float):
        self.stream, self.delay = stream, delay
        self.started, self.pid = time.perf_counter(), os.getpid()
        self.stage: Stage | None = None
        self.bar = None

    def due(self) -> bool:
        return time.perf_counter() - self.started >= self.delay

    def begin(self, stage: Stage) -> None:
        self.stage = stage
        if self.due():
            self._draw()

    def moved(self, stage: Stage, n: float) -> None:
        if self.bar is not None:
            self.bar.update(n)
        elif self.due():
            self._draw()

    def noted(self, stage: Stage) -> None:
        if self.bar is not None:  # drawn now the first time, then with the (rate-limited) updates
            self.bar.set_postfix_str(stage.note_text, refresh=not self.bar.postfix)
        elif self.due():
            self._draw()

    def end(self) -> None:
        if self.bar is not None:
            self.bar.close()  # leave=False: the line is cleared
        self.stage, self.bar = None, None

    def _draw(self) -> None:
        from tqdm import tqdm  # imported only now: the work is long and someone is watching

        s = self.stage
        opaque = s.total is None and not s.unit  # work that cannot say how far it got: its name only
        self.bar = tqdm(total=s.total, initial=s.n, desc=s.what, unit=s.unit or "it", unit_scale=s.unit == "B",
                        bar_format="{desc} …" if opaque else None, file=self.stream, leave=False,
                        dynamic_ncols=True, mininterval=0.2)
        if s.note_text:
            self.bar.set_postfix_str(s.note_text)


_display: _Display | None = None


@contextlib.contextmanager
def shown(stream=None, *, delay: float | None = None):
    """Show the stages of the work inside on `stream` (default stderr) when it is a terminal, once
    the work has taken `delay` seconds (default DELAY)."""
    global _display
    stream = sys.stderr if stream is None else stream
    delay = DELAY if delay is None else delay
    if _display is not None or stream is None or not _isatty(stream):
        yield
        return
    _display = _Display(stream, delay)
    try:
        yield
    finally:
        if _display.stage is not None:
            _display.end()
        _display = None


def begin(what: str, total: float | None = None, unit: str = "") -> Stage:
    """A step of the work, shown as a bar until its done() (see the module's note for when)."""
    d = _display
    if d is None or d.stage is not None or d.pid != os.getpid():
        return Stage(None, what, total, unit)
    s = Stage(d, what, total, unit)
    d.begin(s)
    return s


@contextlib.contextmanager
def stage(what: str, total: float | None = None, unit: str = ""):
    """begin() … done() around the block."""
    s = begin(what, total, unit)
    try:
        yield s
    finally:
        s.done()


def each(items, what: str, unit: str = ""):
    """The items, one by one, as a stage that advances by one for each (a loop that shows itself)."""
    items = list(items) if not hasattr(items, "__len__") else items
    with stage(what, total=len(items), unit=unit) as step:
        for item in items:
            yield item
            step.advance()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
