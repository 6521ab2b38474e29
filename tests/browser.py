"""A real browser for the tests: Debian's headless chromium, driven over the DevTools protocol on a pipe.

`chromium --screenshot`/`--dump-dom` cannot show a page at a phone's width (headless windows are at
least 500 px wide) and cannot say when the page is ready; the DevTools protocol can: it emulates a
390×844 phone (mobile: the page's viewport tag is honoured, as on a phone), waits for the load
event and the fonts, measures the laid-out page with a script it evaluates, records every request
the page makes, and takes the screenshot. Messages are JSON, NUL-terminated, on fds 3 (to chromium)
and 4 (from it): `--remote-debugging-pipe`. Every wait is for a message, bounded by a deadline.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
         "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe"]

PHONE = (390, 844, True)  # width, height, mobile
DESKTOP = (1280, 900, False)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    """One chromium with a fresh profile; `with Browser() as b: shot = b.load(path, PHONE)`."""

    def __init__(self, exe: str | None = None, timeout: float = 60):
        self.exe = exe or find_chromium()
        if self.exe is None:
            raise BrowserError("chromium is not installed")
        self.timeout = timeout
        self._id = 0
        self._buffer = b""
        self._events: list[dict] = []

    def __enter__(self) -> "Browser":
        self._tmp = tempfile.TemporaryDirectory(prefix="sheetnet-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # the child's ends away from 3 and 4, so that moving them there cannot close one another
        to_child_r, from_child_w = (_high(fd) for fd in (to_child_r, from_child_w))
        # chromium reads fd 3 and writes fd 4: bash (dash cannot name fds above 9) moves our pipe ends there, then becomes chromium
        shell = f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w} {to_child_r}<&- {from_child_w}>&-'
        profile = Path(self._tmp.name) / "profile"
        cmd = ["/bin/bash", "-c", shell, self.exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"]
        env = {**os.environ, "HOME": self._tmp.name}
        self.proc = subprocess.Popen(cmd, pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                     start_new_session=True)
        os.close(to_child_r)
        os.close(from_child_w)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.send("Browser.close")
        except BrowserError:
            pass
        try:
            self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: chromium and its helpers
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        self._tmp.cleanup()

    # -- the protocol --------------------------------------------------------------------------------
    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._next()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_for(self, method: str, session: str) -> dict:
        while True:
            for k, e in enumerate(self._events):
                if e.get("method") == method and e.get("sessionId") == session:
                    return self._events.pop(k)
            self._events.append(self._next())

    def _next(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_child], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"chromium said nothing for {self.timeout:g} s")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise BrowserError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    # -- a page --------------------------------------------------------------------------------------
    def load(self, path: Path, viewport: tuple[int, int, bool]) -> "Page":
        """Open a file at a viewport (width, height, mobile) and wait until it is loaded and its fonts are ready."""
        width, height, mobile = viewport
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send("Network.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}, session)
        url = Path(path).resolve().as_uri()
        self.send("Page.navigate", {"url": url}, session)
        self.wait_for("Page.loadEventFired", session)
        page = Page(self, session, url, viewport)
        page.evaluate("document.fonts.ready.then(() => true)")
        return page


def _high(fd: int) -> int:
    """fd moved to a number of 10 or more (the old one closed)."""
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Page:
    def __init__(self, browser: Browser, session: str, url: str, viewport):
        self.browser, self.session, self.url, self.viewport = browser, session, url, viewport

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        reply = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, self.session)
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression[:60]}…: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def requests(self) -> list[str]:
        """Every URL the page asked for so far (its own file included)."""
        return [e["params"]["request"]["url"] for e in self.browser._events
                if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == self.session]

    def screenshot(self, dst: Path, full_page: bool = False, fast: bool = False) -> Path:
        """A PNG of the viewport, or of the whole page (the viewport stretched to the page's height).
        fast: encoded quickly (larger; every line filtered "up", which pngread decodes at numpy speed)."""
        if full_page:
            width, _, mobile = self.viewport
            height = int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
            self.browser.send("Emulation.setDeviceMetricsOverride",
                              {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
                              self.session)
            self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
        data = self.browser.send("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": fast},
                                 self.session)["data"]
        dst = Path(dst)
        dst.write_bytes(base64.b64decode(data))
        return dst
