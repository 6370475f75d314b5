"""Headless Chromium (Debian's package) driven over the DevTools protocol: open a page, wait until
a JavaScript condition holds, read the DOM, take a screenshot. Used by the UI test and
``bench/ui_bench.py``; the browser reaches 127.0.0.1 only and is stopped by PID."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

BINARY = shutil.which("chromium") or shutil.which("chromium-browser")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         # nothing but the webserver on 127.0.0.1: any other host name fails to resolve
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]


# JavaScript run in the page: what is drawn in the lineage view's SVG right now.
# The lineage view's SVG (its class comes from a CSS module: "AssetGraphExplorer_svgContainer__<hash>",
# "AssetNodeLineageGraph_sVGContainer__<hash>" on an asset's Lineage tab;
# Dagster's data-testid attributes exist only in its own test builds). Group tiles and asset nodes
# are <foreignObject>s (tiles have class "group"); each names itself in a data-tooltip.
SVG = "document.querySelector('svg[class*=svgcontainer i]')"
DRAWN = """(() => {
  const svg = %s;
  if (!svg) return null;
  const name = o => { const t = o.querySelector('[data-tooltip]'); const d = o.firstElementChild;
    return t ? t.dataset.tooltip : d ? d.innerText.split('\\n')[0] : ''; };
  const objects = [...svg.querySelectorAll('foreignObject')];
  return {width: +svg.getAttribute('width'), height: +svg.getAttribute('height'),
          groups: objects.filter(o => o.classList.contains('group')).map(name),
          nodes: objects.filter(o => !o.classList.contains('group')).map(name),
          edges: svg.querySelectorAll('path').length};
})()""" % SVG
TOO_LARGE = "document.body.innerText.includes('This graph may be too large to display')"
# An asset page's column schema: the first cell of each row of the table headed "Column name".
COLUMN_NAMES = """(() => {
  const table = [...document.querySelectorAll('table')].find(t => t.tHead && t.tHead.innerText.includes('Column name'));
  return table ? [...table.tBodies[0].rows].map(r => r.cells[0].innerText.trim()) : null;
})()"""
# Dagster's "Join the Dagster community" dialog (an e-mail sign-up form it shows on localhost).
NUX = "document.body.innerText.includes('Join the Dagster community')"


class Timeout(AssertionError):
    pass


def _cpu_seconds(pid: int) -> float:
    """user+sys CPU of one process and of its waited-for children, from /proc."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")


class Chromium:
    """One headless browser with one page. ``with Chromium(profile_dir) as browser: ...``"""

    def __init__(self, profile: Path, width: int = 1600, height: int = 1000, binary: str | None = None):
        from websockets.sync.client import connect

        binary = binary or BINARY
        if not binary:
            raise RuntimeError("Chromium is not installed (Debian: apt-get install chromium)")
        self._stack = contextlib.ExitStack()
        profile.mkdir(parents=True, exist_ok=True)
        active = profile / "DevToolsActivePort"
        active.unlink(missing_ok=True)
        self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                                      "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not active.is_file() or len(active.read_text().split()) < 2:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"Chromium exited with {self.proc.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError("Chromium did not open its DevTools port in 60 s")
                time.sleep(0.1)
            port = int(active.read_text().split()[0])
            targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
            page = next(t for t in targets if t["type"] == "page")
            self._ws = self._stack.enter_context(connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30))
        except BaseException:
            self.close()
            raise
        self._id = 0
        self.console: list[str] = []
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Performance.enable")

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, method: str, timeout: float = 120, **params: Any) -> dict[str, Any]:
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if message.get("method") == "Runtime.consoleAPICalled":
                args = message["params"].get("args", [])
                self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def evaluate(self, expression: str, timeout: float = 120) -> Any:
        result = self.send("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(f"{expression[:80]}: {details.get('exception', {}).get('description') or details.get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float, poll: float = 0.25) -> float:
        """Seconds until ``expression`` is truthy in the page; ``Timeout`` after ``timeout``."""
        start = time.perf_counter()
        while True:
            try:
                if self.evaluate(expression, timeout=max(5.0, timeout)):
                    return time.perf_counter() - start
            except RuntimeError:
                pass  # the page is navigating
            if time.perf_counter() - start > timeout:
                raise Timeout(f"not true after {timeout:.0f} s: {expression[:120]}")
            time.sleep(poll)

    def screenshot(self, path: Path) -> Path:
        import base64

        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''")

    def js_heap_mb(self) -> float:
        metrics = {m["name"]: m["value"] for m in self.send("Performance.getMetrics")["metrics"]}
        return metrics.get("JSHeapUsedSize", 0) / 2**20

    def cpu_seconds(self) -> float:
        """CPU (user+sys) of the browser and every process it started, so far."""
        from tests.dagster.dagster_dev import _descendants

        return sum(_cpu_seconds(pid) for pid in [self.proc.pid, *_descendants(self.proc.pid)])

    def close(self) -> None:
        try:
            self._stack.close()  # the DevTools connection
        except Exception:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
