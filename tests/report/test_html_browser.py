"""The demo's HTML report in headless Chromium: loads offline, no console errors, table and images shown.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
JSON messages separated by NUL bytes, commands on fd 3, replies and events on fd 4),
so no port, no websocket library and no network are needed. The test is skipped
where Chromium is not installed (``.ci/run`` installs Debian's ``chromium``). A
screenshot is saved to ``test-artifacts/report-screenshot.png`` (gitignored).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

CHROMIUM = next(
    (path for path in (shutil.which("chromium"), "/usr/bin/chromium") if path and Path(path).exists()), None
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HANG_GUARD_SECONDS = 120  # only to stop a hung browser; nothing is timed


class DevTools:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, user_data_dir: Path) -> None:
        to_child_read, self._write = os.pipe()
        self._read, from_child_write = os.pipe()

        def wire_fds() -> None:  # in the child: commands on fd 3, replies on fd 4
            os.dup2(to_child_read, 3)
            os.dup2(from_child_write, 4)

        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                f"--user-data-dir={user_data_dir}",
                "--remote-debugging-pipe",
                "--window-size=1280,1800",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            close_fds=False,
        )
        os.close(to_child_read)
        os.close(from_child_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _message(self) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], HANG_GUARD_SECONDS)
            if not ready:
                raise RuntimeError("Chromium stopped answering on the DevTools pipe")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._message()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except RuntimeError:
            pass
        try:
            self.process.wait(timeout=HANG_GUARD_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._read)
        os.close(self._write)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    from nn2crn.report.demo import run_demo
    from tests.report.test_demo import write_iris_model

    root = tmp_path_factory.mktemp("browser")
    model = write_iris_model(root / "model.json")
    run_demo(root / "demo", model=model)
    return root / "demo"


STATE_SCRIPT = """({
    tables: document.querySelectorAll('table').length,
    rows: document.querySelectorAll('tbody tr').length,
    images: Array.from(document.images).map(i => [i.src.slice(0, 22), i.complete, i.naturalWidth]),
    title: document.title,
    text: document.body.innerText,
})"""


def load_page(path: Path, profile: Path) -> tuple[dict, list[str], bytes]:
    """Open `path` in headless Chromium; return the page state, the problems seen and a PNG screenshot.

    Problems: uncaught exceptions, console errors and warnings, browser log errors
    and warnings, and any request that is not to a data:, file: or about: URL.
    """
    browser = DevTools(profile)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        state = browser.send(
            "Runtime.evaluate", {"returnByValue": True, "expression": STATE_SCRIPT}, session=session
        )["result"]["value"]
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
    finally:
        browser.close()
    problems = []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            problems.append(str(params["exceptionDetails"].get("exception", {}).get("description")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            problems.append(" ".join(str(arg.get("value")) for arg in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            problems.append(params["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            requested = params["request"]["url"]
            if not requested.startswith(("data:", "file:", "about:")):
                problems.append(f"network request to {requested}")
    return state, problems, base64.b64decode(shot["data"])


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)


@needs_chromium
def test_the_harness_sees_console_errors_and_exceptions(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body><p>x</p>'
        '<script>console.error("deliberate console error"); undefinedFunction();</script></body></html>'
    )
    state, problems, png = load_page(page, tmp_path / "profile")
    assert state["title"] == "bad"
    assert any("deliberate console error" in problem for problem in problems)
    assert any("undefinedFunction" in problem for problem in problems)
    assert png.startswith(b"\x89PNG")


@needs_chromium
def test_report_renders_in_headless_chromium_without_errors(demo_folder, tmp_path):
    state, problems, png = load_page(demo_folder / "report.html", tmp_path / "profile")
    assert problems == []
    assert state["title"].startswith("nn2crn demo")
    assert state["tables"] >= 3 and state["rows"] >= 10
    assert len(state["images"]) >= 5
    for source, complete, width in state["images"]:
        assert source.startswith("data:image/png;base64")
        assert complete and width > 100  # decoded and drawn
    assert "CRN accuracy, exact" in state["text"] and "not exact" in state["text"]

    assert png.startswith(b"\x89PNG")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report-screenshot.png").write_bytes(png)
    (tmp_path / "screenshot.png").write_bytes(png)
    from matplotlib.image import imread

    pixels = imread(tmp_path / "screenshot.png")
    assert np.std(pixels[..., :3]) > 0.05  # not a blank page
