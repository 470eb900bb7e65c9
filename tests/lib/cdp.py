"""A small client of the Chrome DevTools Protocol for the tests.

Headless Chromium (Debian's chromium) is started with
--remote-debugging-pipe: the protocol's JSON messages, each ended by a NUL
byte, go to the browser on its descriptor 3 and come back on its descriptor
4, so no port is opened and nothing beyond Python's standard library is
needed.  One page is driven through one flat session.  Events are kept in
order for the caller to look at (exceptions, console messages, requests).
"""

import base64
import json
import os
import select
import shutil
import signal
import subprocess
import time


class CDPError(Exception):
    """The browser answered an error, went away, or did not answer."""


def find_chromium():
    """The path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """Headless Chromium with one page attached, driven over a pipe."""

    def __init__(self, binary, profile_dir, width=1280, height=900,
                 log_path=None):
        r_in, w_in = os.pipe()    # we write, the browser reads (its fd 3)
        r_out, w_out = os.pipe()  # the browser writes (its fd 4), we read

        def child_fds():
            a, b = os.dup(r_in), os.dup(w_out)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            binary, "--headless", "--remote-debugging-pipe",
            # Tests run as root, where Chromium's own sandbox cannot start.
            "--no-sandbox",
            f"--user-data-dir={profile_dir}",
            f"--window-size={width},{height}",
            "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-sync",
            # Nothing but the page's own requests: no updates, no
            # telemetry, no safe-browsing look-ups.
            "--disable-background-networking", "--disable-component-update",
            "--disable-default-apps", "--disable-domain-reliability",
            "--disable-client-side-phishing-detection", "--no-pings",
            "--metrics-recording-only", "--mute-audio",
            "about:blank",
        ]
        log = open(log_path or os.devnull, "ab")
        self.proc = subprocess.Popen(
            args, preexec_fn=child_fds, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=log, stderr=log, start_new_session=True)
        log.close()
        os.close(r_in)
        os.close(w_out)
        self.w = w_in
        self.r = r_out
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        try:
            targets = self.call("Target.getTargets", session=False)
            page = next(t for t in targets["targetInfos"] if t["type"] == "page")
            self.session = self.call("Target.attachToTarget", {
                "targetId": page["targetId"], "flatten": True},
                session=False)["sessionId"]
        except Exception:
            self.close()
            raise

    def close(self):
        """Stop the browser and everything it started."""
        for fd in (self.w, self.r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.w = self.r = -1
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("the browser did not answer in time")
            ready, _, _ = select.select([self.r], [], [], left)
            if not ready:
                continue
            data = os.read(self.r, 1 << 20)
            if not data:
                raise CDPError("the browser went away")
            self.buf += data
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=True, timeout=30):
        """Send one command and return its result (events are kept)."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self.w, data)
            data = data[n:]
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise CDPError(f"{method}: {m['error'].get('message')}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def pump(self, seconds=0.0):
        """Take in the events that arrive within seconds."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.r], [], [], max(0, left))
            if not ready and b"\0" not in self.buf:
                return
            try:
                m = self._read_message(time.monotonic() + 5)
            except CDPError:
                return
            if "method" in m:
                self.events.append(m)

    def evaluate(self, expression, timeout=30):
        """The value of a JavaScript expression in the page (awaited)."""
        r = self.call("Runtime.evaluate", {
            "expression": expression, "returnByValue": True,
            "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            raise CDPError(f"{expression!r} threw: {text}")
        return r.get("result", {}).get("value")

    def wait_for(self, expression, timeout=30, interval=0.1):
        """Wait until the expression is truthy; its value, or None."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                v = self.evaluate(expression)
            except CDPError:
                # A page on its way (a reload): not there yet.
                v = None
            if v:
                return v
            if time.monotonic() >= deadline:
                return None
            time.sleep(interval)

    def navigate(self, url):
        self.call("Page.navigate", {"url": url})

    def click(self, selector):
        """Click the middle of the element as a mouse would."""
        box = self.evaluate(
            "(() => { const e = document.querySelector(%s); if (!e) return null;"
            " e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
            % json.dumps(selector))
        if box is None:
            raise CDPError(f"no element {selector}")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {
                "type": kind, "x": box[0], "y": box[1], "button": "left",
                "clickCount": 1})

    def type_into(self, selector, text):
        """Focus the element and type text as a keyboard would."""
        self.evaluate("document.querySelector(%s).focus()" % json.dumps(selector))
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path):
        """Save the whole page as a PNG."""
        m = self.call("Page.getLayoutMetrics")
        size = m.get("cssContentSize") or m["contentSize"]
        png = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"],
                     "height": size["height"], "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(png["data"]))
