"""Shared fixtures: copies of fixture projects, the real site built once, a static server, headless Chromium."""
from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from sitegen import build
from tools.checks import playwright_api, require

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def copy_project(fixture: str | Path, dest: Path) -> Path:
    """A project folder: the fixture's site.yaml, content/ and seeds/, with the real templates/ and static/."""
    src = FIXTURES / fixture if isinstance(fixture, str) else fixture
    shutil.copytree(src, dest)
    for name in ("templates", "static"):
        if not (dest / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    return dest


@pytest.fixture
def project(tmp_path):
    """Factory: project("basic") -> a fresh copy of tests/fixtures/basic with the real templates."""
    counter = iter(range(1000))
    return lambda fixture="basic": copy_project(fixture, tmp_path / f"project{next(counter)}")


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Path:
    """The real site (this repository's content), built once per test session."""
    out = tmp_path_factory.mktemp("real") / "_site"
    report = build(ROOT, out)
    assert report.ok, "\n".join(map(str, report.errors))
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_directory(directory: Path, prefix: str = "/"):
    """Serve `directory` at http://127.0.0.1:PORT{prefix} in a thread; returns (base_url, stop)."""
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"

    class Handler(_QuietHandler):
        def translate_path(self, path):
            if not path.startswith(prefix):
                return str(directory / "__outside_prefix__")
            return super().translate_path("/" + path[len(prefix):])

        def send_error(self, code, message=None, explain=None):
            page = directory / "404.html"
            if code == 404 and page.exists():
                body = page.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().send_error(code, message, explain)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_address[1]}{prefix}", lambda: (server.shutdown(), server.server_close())


@pytest.fixture
def static_server():
    """Factory: static_server(dir, prefix="/") -> base URL; servers stop after the test."""
    stops = []

    def start(directory: Path, prefix: str = "/") -> str:
        url, stop = serve_directory(directory, prefix)
        stops.append(stop)
        return url

    yield start
    for stop in stops:
        stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright. Skips without Chromium, except in CI, where it fails."""
    require(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM} for the browser tests (apt-get install chromium)")
    with playwright_api().sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    tab = context.new_page()
    yield tab
    context.close()


def pytest_terminal_summary(terminalreporter):
    """Each skipped test by name, with its reason: a skip that hides a missing tool must be seen."""
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.section(f"{len(skipped)} skipped")
        for report in skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            terminalreporter.write_line(f"{report.nodeid}: {reason.removeprefix('Skipped: ')}")
