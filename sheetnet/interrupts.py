"""Ctrl-C and SIGTERM: how a stop request travels through a command, and where a test can send one.

SHEETNET_PHASES (documented in the README) makes a command say on stderr, one line each
('sheetnet-phase: write'), when it reaches a phase: start, ready, write (the temporary file exists),
replace (written and synced, not yet renamed), written, checking FILE, checked N. Set to one of those
names it also waits there for a signal, so a test can stop the command exactly in that phase
instead of guessing with sleeps.
"""

from __future__ import annotations

import os
import sys
import time


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that temporary files are removed on the way out."""


def phase(name: str) -> None:
    """Mark a phase (only when SHEETNET_PHASES is set); wait there when it names this phase."""
    wanted = os.environ.get("SHEETNET_PHASES")
    if not wanted:
        return
    try:
        sys.stderr.write(f"sheetnet-phase: {name}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    if wanted == name:
        deadline = time.monotonic() + 600  # a test that never sends its signal must not leave us forever
        while time.monotonic() < deadline:
            time.sleep(0.05)
