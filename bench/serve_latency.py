#!/usr/bin/env python3
"""Median time from saving a fact file to the page on the server and to the reloaded page in headless Chromium.

    .venv/bin/python bench/serve_latency.py [--edits 10] [--topic flights] [--facts N] [--idle 10]

Starts `build.py serve` on a copy of the real project (or, with --facts N, on a synthetic site of N facts written
as bench/bench.py writes them), opens the edited topic's page, then edits the text of its first fact again and again.
Each time runs from the moment the file is saved (its write has returned) to
- the page on the server: the reload message arriving on a livereload websocket of this script's own, which the
  server sends once the rebuilt site is in place;
- the reloaded page: its own load event, read from the page's navigation timing, so neither this script's waiting
  nor Playwright's latency adds to it; the same timing says when the reload started, when the page's last byte
  came and when its DOM was parsed (the median of each is printed too).
Then the server is left alone, and the CPU time it uses in --idle seconds is read from /proc (the least of six such
windows, after the search index of the last edit is made).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
import synth  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the browser tests' Chromium, launched alike)
from test_serve import ServeProcess, copy_real_project, first_fact_edited, mark  # noqa: E402

CONNECTED = "() => window.LiveReload && window.LiveReload.connector.protocol > 0"
# the reloaded page's navigation timing, in ms since the epoch: its start (livereload's client calling reload()), the
# last byte of the page, the DOM parsed (deferred scripts run), the load event
MARKS = ("start", "responseEnd", "domContentLoadedEventEnd", "loadEventStart")
LOADED = """() => { const n = performance.getEntriesByType('navigation')[0];
                   return [0, n.responseEnd, n.domContentLoadedEventEnd, n.loadEventStart]
                          .map(t => performance.timeOrigin + t); }"""
HELLO = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}


class ReloadListener:
    """A livereload client of this script's own, in a thread: the time each reload message arrives."""

    def __init__(self, url: str):
        self.url, self.arrivals, self.ready = url.replace("http:", "ws:") + "livereload", [], threading.Event()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_until_complete, args=(self.listen(),), daemon=True).start()
        if not self.ready.wait(30):
            raise RuntimeError("the livereload websocket did not answer")

    async def listen(self) -> None:
        socket = await websocket_connect(self.url)
        await socket.write_message(json.dumps(HELLO))
        await socket.read_message()
        await socket.write_message(json.dumps({"command": "info", "url": self.url, "plugins": {}}))
        self.ready.set()
        while (message := await socket.read_message()) is not None:
            if json.loads(message).get("command") == "reload":
                self.arrivals.append(time.time() * 1000)

    def next_after(self, count: int) -> float:
        deadline = time.monotonic() + 30
        while len(self.arrivals) <= count:
            if time.monotonic() > deadline:
                raise RuntimeError("no reload message from the server")
            time.sleep(0.005)
        return self.arrivals[count]


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of a process so far, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quiet(pid: int, seconds: int = 4) -> None:
    """Wait until the server has used less than 2% of a core in each of `seconds` seconds in a row (longer than the
    pause the search index waits for), at most two minutes."""
    calm = 0
    for _ in range(120):
        before = cpu_seconds(pid)
        time.sleep(1)
        calm = calm + 1 if before is None or cpu_seconds(pid) - before < 0.02 else 0
        if calm >= seconds:
            return


def idle(pid: int, seconds: float, windows: int = 6) -> float | None:
    """The CPU time the server uses in `seconds` left alone: the least of a few such windows, one after the other,
    so that work left over from the edits (writing the search index at 10,000 facts) is not counted as idling."""
    used = []
    for _ in range(windows):
        before = cpu_seconds(pid)
        time.sleep(seconds)
        if before is None:
            return None
        used.append(cpu_seconds(pid) - before)
    return min(used)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--topic", default=None, help="the topic file to edit, content/topics/TOPIC.yaml "
                                                      "(default: flights, or the synthetic site's own)")
    parser.add_argument("--facts", type=int, default=0, help="a synthetic site of this many facts, not the real one")
    parser.add_argument("--idle", type=float, default=10, help="seconds of idle preview to measure its CPU time "
                                                                "(the least of six such windows)")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="serve-latency-") as tmp:
        if args.facts:
            info = synth.write_project(Path(tmp) / "project", args.facts)
            project, topic_name = info.root, args.topic or info.edit_file.stem
            site = f"a synthetic site of {args.facts:,} facts"
        else:
            project, topic_name, site = copy_real_project(Path(tmp) / "project"), args.topic or "flights", "real site"
        topic = project / "content/topics" / f"{topic_name}.yaml"
        original = topic.read_text(encoding="utf-8")
        server = ServeProcess(project, start_timeout=900)     # 10,000 facts' first build, on a busy machine
        on_server, in_browser, marks, idle_cpu = [], [], [], None
        try:
            listener = ReloadListener(server.url)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page()
                page.goto(f"{server.url}topics/{topic_name}/", timeout=120_000)
                for i in range(args.edits):
                    page.wait_for_function(CONNECTED, timeout=60_000)
                    words = f"تعديل {mark(i)}"
                    reloads = len(listener.arrivals)
                    with page.expect_event("load", timeout=60_000):
                        topic.write_text(first_fact_edited(original, words), encoding="utf-8")
                        saved = time.time() * 1000
                    marks.append([t - saved for t in page.evaluate(LOADED)])
                    in_browser.append(marks[-1][-1])
                    on_server.append(listener.next_after(reloads) - saved)
                    assert words in page.inner_text("main"), f"edit {i + 1} is not on the reloaded page"
                    print(f"edit {i + 1:2}: on the server {on_server[-1]:5.0f} ms, in the browser "
                          f"{in_browser[-1]:5.0f} ms", flush=True)
                browser.close()
            quiet(server.proc.pid)      # the search index of the last edit made
            idle_cpu = idle(server.proc.pid, args.idle)
        finally:
            server.stop(timeout=300)    # it removes its output folder: thousands of files at 10,000 facts
        rebuilds = [line for line in server.rebuilds() if " ms" in line]
        print("".join("  server: " + line for line in rebuilds), end="")
        build_ms = [float(re.search(r"(\d+) ms$", line).group(1)) for line in rebuilds]
        print(f"{site}, {len(on_server)} edits of content/topics/{topic_name}.yaml; load average "
              f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores")
        print(f"median save to page on the server: {statistics.median(on_server):.0f} ms "
              f"(min {min(on_server):.0f}, max {max(on_server):.0f}); median rebuild {statistics.median(build_ms):.0f} ms")
        print(f"median save to reloaded page: {statistics.median(in_browser):.0f} ms "
              f"(min {min(in_browser):.0f}, max {max(in_browser):.0f})")
        print("  the reloaded page, medians from the save: " + ", ".join(
            f"{name} {statistics.median(m[i] for m in marks):.0f} ms" for i, name in enumerate(MARKS)))
        if idle_cpu is not None:
            print(f"idle: {idle_cpu * 1000:.0f} ms of CPU in {args.idle:.0f} s "
                  f"({idle_cpu / args.idle * 100:.2f}% of a core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
