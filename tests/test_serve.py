"""The preview server: rebuild on save, the error page, 404s, traversal, debouncing, ports and signals, and the
incremental build it relies on, which must write exactly what a cold build writes."""
from __future__ import annotations

import asyncio
import html
import json
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from tornado.netutil import bind_sockets

from conftest import ROOT

from helpers import line_of, replace_in, tree
from sitegen import build
from sitegen.reuse import Reuse
from sitegen.preview.collector import FULL_EVERY
from sitegen.preview.watch import STEP_MS, Watch
from sitegen.serve import Preview, run

FACT = "اقترحت روسيا استئناف الرحلات المباشرة."    # a fact's text in tests/fixtures/basic/content/topics/flights.yaml
FLIGHTS = "content/topics/flights.yaml"
ERROR_TITLE = "تعذّر بناء الموقع"


# ---- helpers, shared with test_browser_reload.py ----

def wait_until(predicate, timeout: float = 15.0, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_real_project(dest: Path) -> Path:
    """This repository's site: its site.yaml, content, seeds, templates and static files, in a folder of their own."""
    dest.mkdir()
    for name in ("site.yaml", "content", "seeds", "templates", "static"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, dest / name)
    return dest


def first_fact_edited(topic_yaml: str, words: str) -> str:
    """A topic file's text with `words` put at the start of its first fact's text."""
    at = re.compile(r'^\s+text: "', re.M).search(topic_yaml, topic_yaml.index("\nfacts:")).end()
    return f"{topic_yaml[:at]}{words} {topic_yaml[at:]}"


class ServeProcess:
    """`python build.py --project PROJECT serve --port PORT` in a subprocess, its output collected line by line."""

    def __init__(self, project: Path, *args: str, env: dict | None = None, start_timeout: float = 60):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "--project", str(project), "serve", "--port", str(self.port),
             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env)
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=lambda s=stream, ls=lines: ls.extend(iter(s.readline, "")),
                                         daemon=True)
                        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self.readers:
            reader.start()
        wait_until(lambda: any(line.startswith("serving ") for line in self.out) or self.proc.poll() is not None,
                   start_timeout, "the server to start")
        assert self.proc.poll() is None, self.output()

    def output(self) -> str:
        return "".join(self.out) + "".join(self.err)

    def rebuilds(self) -> list[str]:
        return [line for line in self.out if line.startswith(("content/", "site.yaml", "templates/", "static/",
                                                               "seeds/"))]

    def stop(self, signum=signal.SIGINT, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        for reader in self.readers:     # every line the server printed is read once its pipes are at their end
            reader.join(15)
        return code


@pytest.fixture
def serve_process():
    """Factory: serve_process(project, *args) -> a running ServeProcess, stopped after the test."""
    started = []

    def start(project: Path, *args: str, env: dict | None = None) -> ServeProcess:
        started.append(ServeProcess(project, *args, env=env))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@contextmanager
def preview_server(root: Path, out: Path, builder=build, search: bool = True):
    """The preview served from a thread of this process, so a test can count builds or make one crash."""
    sockets = bind_sockets(0, "127.0.0.1")
    url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/"
    preview = Preview(root, out, url, builder, search=search)
    watch = Watch(root)     # as `build.py serve` does: watching from before the first build
    preview.rebuild()
    loop, stop = asyncio.new_event_loop(), asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(run(preview, sockets, stop, watch),), daemon=True)
    thread.start()
    try:
        yield preview, url
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def text_of(page: str) -> str:
    """The text of an HTML page, tags dropped and entities decoded, as a reader would see it."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


# ---- through the command line ----

def test_edit_break_fix_then_ctrl_c(project, serve_process):
    site = project()
    server = serve_process(site)
    status, page = fetch(server.url + "topics/flights/")
    assert status == 200 and FACT in page
    # livereload's client, from the preview itself: the preview's policy runs scripts from it and no inline one
    assert (f'<script src="/livereload.js?host=127.0.0.1&amp;port={server.port}"></script>'
            '<script src="/_preview/shown.js') in page
    assert "script-src &#39;self&#39;; connect-src &#39;self&#39;;" in page and "unsafe-inline" not in page
    assert f'<link rel="canonical" href="{server.url}topics/flights/">' in page  # built for the server's own URL

    replace_in(site / FLIGHTS, FACT, "اقترحت روسيا أمرًا جديدًا.")
    wait_until(lambda: "اقترحت روسيا أمرًا جديدًا." in fetch(server.url + "topics/flights/")[1], what="the edit")
    line = wait_until(lambda: server.rebuilds() and server.rebuilds()[-1], what="the rebuild's line")
    assert re.fullmatch(r"content/topics/flights\.yaml: rendered \d+ of \d+ pages, wrote \d+ files, kept \d+ in \d+ ms\n",
                        line)

    replace_in(site / FLIGHTS, "    text: \"اقترحت روسيا أمرًا", "    txet: \"اقترحت روسيا أمرًا")
    expected = build(site, write_output=False).errors
    assert f"{FLIGHTS}:{line_of(site / FLIGHTS, 'txet:')}: unknown key 'txet'" in "\n".join(map(str, expected))
    status, page = wait_until(lambda: (r := fetch(server.url + "topics/flights/"))[0] == 500 and r, what="errors")
    assert ERROR_TITLE in page and "اقترحت روسيا أمرًا جديدًا." in page   # over the last good page
    assert ([line for line in text_of(page).splitlines() if line.startswith(FLIGHTS)]
            == [str(e) for e in sorted(expected, key=lambda e: e.line)])
    assert fetch(server.url + "no/such/page")[0] == 500  # every page shows the errors while the build is broken
    assert server.proc.poll() is None

    replace_in(site / FLIGHTS, "    txet: \"اقترحت روسيا أمرًا", "    text: \"اقترحت روسيا أمرًا")
    status, page = wait_until(lambda: (r := fetch(server.url + "topics/flights/"))[0] == 200 and r, what="the fix")
    assert "اقترحت روسيا أمرًا جديدًا." in page
    assert server.proc.poll() is None
    assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in server.output()
    assert server.out[-1] == "stopped\n"


def test_sigterm_stops_cleanly_and_all_interfaces_warn(project, serve_process):
    server = serve_process(project(), "--host", "0.0.0.0")
    assert "warning: listening on all network interfaces (0.0.0.0)" in "".join(server.err)
    assert fetch(server.url)[0] == 200
    assert server.stop(signal.SIGTERM) == 0
    assert "Traceback" not in server.output()


def test_open_flag_opens_the_served_site_in_the_browser(project, serve_process, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" > "{opened}"\n')
    browser.chmod(0o755)
    server = serve_process(project(), "--open", env={**os.environ, "BROWSER": str(browser)})
    assert wait_until(lambda: opened.exists() and opened.read_text(), what="the browser") == server.url + "\n"


def test_localhost_only_by_default(project, serve_process):
    server = serve_process(project())
    assert "warning" not in "".join(server.err)
    listening = subprocess.run(["ss", "-ltnH", f"sport = :{server.port}"], capture_output=True, text=True)
    if listening.returncode == 0:  # ss is in iproute2; without it the URL printed is the evidence
        assert listening.stdout.split()[3] == f"127.0.0.1:{server.port}", listening.stdout
    assert any(line.startswith(f"serving http://127.0.0.1:{server.port}/") for line in server.out)


def serve_and_fail(project: Path, *args: str) -> subprocess.CompletedProcess:
    """`build.py serve` expected to exit at once, as a usage or listening error."""
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "serve", *args],
                          capture_output=True, text=True, timeout=60)


def test_port_in_use_is_one_clear_line_and_exit_3(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve_and_fail(project(), "--port", str(port))
    assert result.returncode == 3  # not 1, which says the content has errors
    assert result.stdout == ""
    assert result.stderr == (f"build.py serve: port {port} is already in use on 127.0.0.1; "
                             "stop the other server or choose another with --port\n")


def test_a_port_out_of_range_is_a_usage_error(project):
    result = serve_and_fail(project(), "--port", "70000")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "build.py serve: --port must be from 0 to 65535, not 70000\n"


# ---- the server in this process ----

@pytest.fixture
def served(project, tmp_path):
    """(project folder, preview, base URL) of the basic fixture, served from a thread."""
    site = project()
    with preview_server(site, tmp_path / "out") as (preview, url):
        yield site, preview, url


def test_unknown_paths_get_the_sites_404_page(served):
    site, preview, url = served
    for path in ("no/such/page", "topics/nope/", "static/missing.css", "topics/flights/index.htm"):
        status, page = fetch(url + path)
        assert status == 404, path
        assert page.startswith((preview.out / "404.html").read_text(encoding="utf-8").split("</head>")[0]), path
        assert "livereload.js" in page  # the 404 page reloads itself after a rebuild too
    assert fetch(url + "topics/flights/")[0] == 200
    assert fetch(url + "topics/flights")[0] == 200  # redirected to the folder


def test_the_log_counts_what_an_edit_rendered_wrote_and_kept(project, tmp_path, capsys):
    site = project()
    with preview_server(site, tmp_path / "out", search=False) as (preview, url):   # no index landing meanwhile
        log_counts_one_edit(site, preview, capsys)


def log_counts_one_edit(site: Path, preview: Preview, capsys) -> None:
    before = tree(preview.out)
    capsys.readouterr()
    edited = site / f"{FLIGHTS}.new~"     # saved in one rename, as editors do: one change, one rebuild
    edited.write_text((site / FLIGHTS).read_text(encoding="utf-8").replace(FACT, "اقترحت روسيا أمرًا آخر."),
                      encoding="utf-8")
    os.replace(edited, site / FLIGHTS)
    printed = []
    line = wait_until(lambda: printed.append(capsys.readouterr().out) or
                      next((line for line in "".join(printed).splitlines() if line.startswith(FLIGHTS)), None),
                      what="the rebuild's line")
    after = tree(preview.out)
    changed = [p for p in after if before.get(p) != after[p]]
    rendered, pages, written, kept = map(int, re.fullmatch(
        rf"{FLIGHTS}: rendered (\d+) of (\d+) pages, wrote (\d+) files, kept (\d+) in \d+ ms", line).groups())
    assert (written, kept) == (len(changed), len(after) - len(changed) - 1)   # the marker file is not the site's
    assert 0 < rendered < pages and written == rendered + 1    # the pages that show the fact, and facts.json


@pytest.mark.parametrize("broken", [False, True], ids=["site", "error-page"])
def test_head_answers_with_the_headers_get_answers(served, broken):
    site, preview, url = served
    if broken:
        replace_in(site / FLIGHTS, "    text:", "    txet:")
        wait_until(lambda: fetch(url)[0] == 500, what="the error page")
    host, port = url.split("//")[1].strip("/").split(":")
    for path in ("/", "/topics/flights/", "/no/such/page", "/static/fonts/OFL.txt"):
        answers = {}
        for method in ("GET", "HEAD"):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            connection.request(method, path)
            response = connection.getresponse()
            answers[method] = (response.status, response.getheader("Content-Length"), response.getheader("Content-Type"),
                               len(response.read()))
            connection.close()
        assert answers["HEAD"][:3] == answers["GET"][:3] and answers["HEAD"][3] == 0, (path, answers)
        assert int(answers["GET"][1]) == answers["GET"][3], (path, answers)
        page = path.endswith("/") or "such" in path     # while broken, pages are 500; their files are served
        assert answers["GET"][0] == (500 if broken and page else 404 if "such" in path else 200), (path, answers)


TRAVERSALS = ["/../secret.txt", "/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/secret.txt",
              "/..%2fsecret.txt", "/..%2Fsecret.txt", "/%2e%2e%2fsecret.txt", "/static/../../secret.txt",
              "/topics/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt", "/%252e%252e/secret.txt",
              "//secret.txt", "/%00", "/index.html%00.txt", "/.%2e/secret.txt", "/..;/secret.txt"]


def test_nothing_outside_the_output_folder_is_served(served, tmp_path):
    site, preview, url = served
    secret = "the contents of a private file"
    (preview.out.parent / "secret.txt").write_text(secret)       # beside the output folder
    (site / "secret.txt").write_text(secret)                      # in the project
    host, port = url.split("//")[1].strip("/").split(":")
    absolute = [str(preview.out.parent / "secret.txt"), "/" + str(site / "secret.txt"),
                "/" + str(site / "site.yaml"), "/etc/passwd", "//etc/passwd", "/%2Fetc%2Fpasswd"]
    for path in TRAVERSALS + absolute:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", path)  # sent as written: no client-side normalisation
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        connection.close()
        assert response.status == 404, (path, response.status)
        assert secret not in body and "root:" not in body and "base_url" not in body, path
        assert "الصفحة غير موجودة" in body, path


def mark(i: int) -> str:
    """A word unique to the i-th save, in letters (digits are shown in the site's own numerals)."""
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    return letters[i // len(letters)] + letters[i % len(letters)]


class Log:
    """The preview's output in this process, line by line, read as the test goes."""

    def __init__(self, capsys):
        self.capsys, self.lines, self.read = capsys, [], 0

    def wait_for(self, start: str) -> str:
        """The next line starting with `start`, after the last one waited for."""
        def found():
            self.lines += self.capsys.readouterr().out.splitlines()
            return next((i + 1 for i in range(self.read, len(self.lines)) if self.lines[i].startswith(start)), None)
        self.read = wait_until(found, what=f"a line starting {start!r} in {self.lines}")
        return self.lines[self.read - 1]

    def rebuilds(self) -> list[str]:
        """What each rebuild so far was for: the changed file it names, or FILE and N more."""
        self.lines += self.capsys.readouterr().out.splitlines()
        return [line.split(":")[0] for line in self.lines if ": rendered" in line or " error" in line]


def counting(builds: list) -> callable:
    def builder(*args, **kwargs):
        builds.append(time.monotonic())
        return build(*args, **kwargs)
    return builder


class Cycle:
    """An object in a reference cycle: only Python's cycle collector frees it."""

    def __init__(self):
        self.me = self


def leaving_cycles(kept: list, made: list) -> callable:
    """A build that leaves a cycle behind as garbage, and one that lives until the next build (as a page kept by
    Reuse would), each seen through a weak reference."""
    def builder(*args, **kwargs):
        report = build(*args, **kwargs)
        made.append((weakref.ref(Cycle()), weakref.ref(kept[0]) if kept else None))
        kept[:] = [Cycle()]
        return report
    return builder


def test_the_preview_frees_the_cycles_each_build_leaves_and_older_ones_within_a_bound(project, tmp_path):
    """What a build leaves in cycles is freed once its pages are shown; what an older build left, at the latest
    after FULL_EVERY builds (the server's full collection, which an editor's pause brings sooner)."""
    site, kept, made = project(), [], []
    preview = Preview(site, tmp_path / "out", "http://127.0.0.1:8000/", leaving_cycles(kept, made), search=False)
    try:
        preview.show(preview.rebuild())
        for n in range(FULL_EVERY):
            replace_in(site / FLIGHTS, FACT if n == 0 else f"نص {n - 1}.", f"نص {n}.")
            preview.show(preview.rebuild([FLIGHTS], collect=False))
            assert not preview.errors, preview.errors
            assert made[-1][0]() is None    # this build's own garbage
        assert all(older() is None for _, older in made[1:])
    finally:
        preview.collector.close()


def test_cycles_older_builds_left_are_freed_when_the_editor_pauses(project, tmp_path):
    site, kept, made = project(), [], []
    with preview_server(site, tmp_path / "out", leaving_cycles(kept, made), search=False) as (preview, url):
        replace_in(site / FLIGHTS, FACT, "نص أول.")
        wait_until(lambda: "نص أول." in fetch(url + "topics/flights/")[1], what="the save")
        wait_until(lambda: len(made) == 2 and made[1][1]() is None, what="the first build's cycle to be freed")


def test_saves_made_while_a_rebuild_runs_are_one_more_rebuild(project, tmp_path, capsys):
    """However many files are saved while a rebuild runs, they are read by one more rebuild after it."""
    site, log = project(), Log(capsys)
    builds, started, release = [], threading.Event(), threading.Event()

    def builder(*args, **kwargs):
        builds.append(time.monotonic())
        if len(builds) == 2:    # the rebuild for the first save waits while the test saves four more files
            started.set()
            release.wait(30)
        return build(*args, **kwargs)

    with preview_server(site, tmp_path / "out", builder, search=False) as (preview, url):
        replace_in(site / FLIGHTS, FACT, "نص أول.")
        assert started.wait(30)
        replace_in(site / FLIGHTS, "نص أول.", "نص أخير.")
        replace_in(site / "content/topics/meetings.yaml", "رأس ألكسندر دارشييف الوفد الروسي.", "ترأس دارشييف الوفد.")
        replace_in(site / "content/pages/about.md", "تجريبي", "تجريبي حقًا")
        replace_in(site / "site.yaml", 'title: "موقع تجريبي"', 'title: "موقع آخر"')
        release.set()
        wait_until(lambda: "نص أخير." in fetch(url + "topics/flights/")[1], what="the last save")
        log.wait_for("content/pages/about.md and 3 more: rendered")
    assert len(builds) == 3     # the first build, the one for the first save, one for the four others
    assert log.rebuilds() == [FLIGHTS, "content/pages/about.md and 3 more"]


def test_many_files_written_at_once_are_one_rebuild(project, tmp_path):
    """Files written together (a checkout, a folder of images copied in) are one batch: a new batch starts only
    after STEP_MS without a new change, so the bound counts the pauses this test really made (a busy machine may
    pause it between two writes)."""
    site, builds = project(), []
    with preview_server(site, tmp_path / "out", counting(builds), search=False) as (preview, url):
        written = []
        for i in range(40):
            before = time.monotonic()
            (site / f"static/burst-{i}.txt").write_text(f"{i}\n")
            written.append((before, time.monotonic()))
        wait_until(lambda: fetch(url + "static/burst-39.txt")[0] == 200, what="the last file")
    pauses = sum(1 for (_, after), (before, _) in zip(written, written[1:]) if before - after >= STEP_MS / 1000)
    assert 1 <= len(builds) - 1 <= 1 + pauses, f"{len(builds) - 1} rebuilds for 40 files with {pauses} pauses"


def test_the_watch_covers_the_sources_never_the_output_or_editor_scratch(project, tmp_path, capsys):
    site, log = project(), Log(capsys)
    (site / "_site").mkdir()
    (site / ".git").mkdir()
    with preview_server(site, tmp_path / "out", search=False) as (preview, url):
        (site / "_site/index.html").write_text("built")             # the output folder
        (site / "README.txt").write_text("not a source")            # beside the sources
        (site / ".git/index").write_text("git")
        (site / "content/topics/.flights.yaml.swp").write_text("vim")     # editors' scratch
        text = (site / FLIGHTS).read_text(encoding="utf-8")
        os.replace(site / FLIGHTS, site / f"{FLIGHTS}~")            # saved as vim does: the old file kept aside,
        (site / FLIGHTS).write_text(text.replace(FACT, "نص بعد الحفظ."), encoding="utf-8")   # the new one written,
        (site / f"{FLIGHTS}~").unlink()                             # the old one removed
        log.wait_for(f"{FLIGHTS}: rendered")
        for path, old, new in (("site.yaml", 'title: "موقع تجريبي"', 'title: "موقع آخر"'),
                               ("templates/base.html", "</main>", "</main>\n<!-- edited -->"),
                               ("static/style.css", ":root {", ":root {\n  --edited: 1;"),
                               ("seeds/one.txt", "شارك", "شارك\nسطر أخير")):
            replace_in(site / path, old, new)
            log.wait_for(f"{path}: rendered")
        (site / "static/images").mkdir()                            # a new folder is watched too
        log.wait_for("static/images: rendered")
        (site / "static/images/new.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
        log.wait_for("static/images/new.svg: rendered")
    assert log.rebuilds() == [FLIGHTS, "site.yaml", "templates/base.html", "static/style.css", "seeds/one.txt",
                              "static/images", "static/images/new.svg"]     # none for the other files


def test_a_crashing_build_shows_an_error_page_and_the_server_carries_on(project, tmp_path):
    site = project()
    crash_next = []

    def flaky_build(*args, **kwargs):
        if crash_next:
            crash_next.clear()
            raise KeyError("boom")
        return build(*args, **kwargs)

    with preview_server(site, tmp_path / "out", flaky_build) as (preview, url):
        crash_next.append(True)
        replace_in(site / FLIGHTS, FACT, "نص بعد الانهيار.")
        status, page = wait_until(lambda: (r := fetch(url))[0] == 500 and r, what="the crash page")
        crash_line = line_of(Path(__file__), 'raise KeyError("boom")')
        assert f"tests/test_serve.py:{crash_line}: the build crashed: KeyError: 'boom'" in text_of(page)
        replace_in(site / FLIGHTS, "نص بعد الانهيار.", "نص بعد التعافي.")
        wait_until(lambda: "نص بعد التعافي." in fetch(url + "topics/flights/")[1], what="the site to come back")


def test_a_save_caught_half_way_is_read_again_before_any_error_is_shown(project, tmp_path):
    """Most editors save by emptying the file, then writing it: a build that reads it empty must not put an
    error page in front of the editor if the file is whole once the saving is over."""
    site = project()
    failed, whole_again = [], threading.Event()

    def builder(*args, **kwargs):
        if failed:  # the second read waits until the test has finished the save and looked at the page
            whole_again.wait(30)
        report = build(*args, **kwargs)
        if not report.ok:
            failed.append(report)
        return report

    with preview_server(site, tmp_path / "out", builder) as (preview, url):
        text = (site / FLIGHTS).read_text(encoding="utf-8")
        (site / FLIGHTS).write_text("", encoding="utf-8")
        wait_until(lambda: failed, what="a build that read the empty file")
        assert fetch(url + "topics/flights/")[0] == 200    # the last good site, no error page
        (site / FLIGHTS).write_text(text.replace(FACT, "نص بعد الحفظ."), encoding="utf-8")
        whole_again.set()
        wait_until(lambda: "نص بعد الحفظ." in fetch(url + "topics/flights/")[1], what="the saved text")
        assert len(failed) == 1 and not preview.errors


def test_a_file_still_broken_after_the_save_is_shown(project, tmp_path):
    site = project()
    with preview_server(site, tmp_path / "out") as (preview, url):
        (site / FLIGHTS).write_text("", encoding="utf-8")
        status, page = wait_until(lambda: (r := fetch(url))[0] == 500 and r, what="the error page")
        assert f"{FLIGHTS}:1: file is empty" in text_of(page)


def policy_of(page: str) -> str:
    return html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))


def test_errors_go_over_the_last_good_page_escaped_and_styled_by_the_preview(served):
    site, preview, url = served
    replace_in(site / FLIGHTS, "flights-proposal", "<b>&bad</b>")
    connection = http.client.HTTPConnection(*url.split("//")[1].strip("/").split(":"), timeout=10)
    page = wait_until(lambda: fetch(url + "topics/flights/")[0] == 500 and fetch(url + "topics/flights/")[1],
                      what="the errors")
    connection.request("GET", "/topics/flights/")
    response = connection.getresponse()
    assert response.getheader("X-Preview-Build").startswith("failed, ")    # why 500: the page is the last good one
    body = response.read().decode("utf-8")
    overlay = re.search(r'<body[^>]*><div id="sitegen-build-errors" lang="ar" dir="rtl">'
                        r'<template shadowrootmode="open">(.*?)</template></div>', body, re.S)
    assert overlay and FACT in body[overlay.end():]     # the errors first, then the last good page as it was
    assert "<b>&bad</b>" not in page and "&lt;b&gt;&amp;bad&lt;/b&gt;" in overlay.group(1)
    assert '<link rel="stylesheet" href="/_preview/errors.css">' in overlay.group(1)
    assert policy_of(page) == policy_of(fetch(url)[1])  # the site's own preview policy, which the overlay keeps to
    status, css = fetch(url + "_preview/errors.css")
    assert status == 200 and ":host" in css
    for name in ("errors.html", "errors.py", "__init__.py", "../serve.py", "%2e%2e/serve.py"):    # nothing else
        status, body = fetch(url + f"_preview/{name}")
        assert status in (403, 404) and "import" not in body, name


def test_a_first_build_that_fails_shows_the_error_page(project, tmp_path):
    site = project()
    replace_in(site / FLIGHTS, "    text:", "    txet:")
    with preview_server(site, tmp_path / "out") as (preview, url):
        for path in ("", "topics/flights/", "no/such/page"):
            status, page = fetch(url + path)
            assert status == 500 and '<html lang="ar" dir="rtl">' in page and ERROR_TITLE in page, path
            assert f"{FLIGHTS}:{line_of(site / FLIGHTS, 'txet:')}: unknown key 'txet'" in text_of(page)
        assert policy_of(page) == ("default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
                                   "base-uri 'none'; form-action 'none'")
        assert '<link rel="stylesheet" href="/_preview/errors.css">' in page
        assert f'<script src="/livereload.js?host=127.0.0.1&amp;port={url.rsplit(":", 1)[1].strip("/")}">' in page
        replace_in(site / FLIGHTS, "    txet:", "    text:")
        wait_until(lambda: fetch(url + "topics/flights/")[0] == 200, what="the site")


# ---- incremental builds: the preview re-renders only what a change affects, and writes what a cold build would ----

SECOND_FACT = """  - id: flights-suspended
    text: "عُلّقت الرحلات الجوية عام 2022."
    date: "2022"
    citations:
      - source: two
        quote: "وكانت الرحلات الجوية قد علقت عام 2022 بعد بدء الحرب"
"""
EDITS = {  # name: (file, old text, new text, whether fewer pages than all are rendered)
    "fact text": (FLIGHTS, FACT, "اقترحت روسيا شيئًا آخر.", True),
    "fact date": (FLIGHTS, 'date: "2022"', 'date: "2021"', True),
    "fact removed": (FLIGHTS, SECOND_FACT, "", True),
    "fact gets a meeting and a status": (FLIGHTS, "  - id: flights-proposal\n",
                                         "  - id: flights-proposal\n    meeting: round-one\n    status: proposed\n", True),
    "fact cites another source": (FLIGHTS, SECOND_FACT[SECOND_FACT.index("      - source: two"):],
                                  '      - source: one\n        quote: "واقترحت روسيا استئناف الرحلات"\n', True),
    "fact names an entity of another topic": (FLIGHTS, '    date: "2022"', '    date: "2022"\n    entities: [darchiev]',
                                              True),
    "fact gets variants": (FLIGHTS, '    date: "2022"\n', '    date: "2022"\n    variants:\n' + "".join(
        f'      - text: "رواية."\n        citations:\n          - source: {s}\n            quote: "{q}"\n'
        for s, q in (("one", "يوم الخميس"), ("two", "بعد بدء الحرب"))), True),
    "topic summary": (FLIGHTS, "الرحلات المعلّقة واقتراح استئنافها.", "ملخص جديد.", True),
    "entity name": ("content/topics/meetings.yaml", 'name: "ألكسندر دارشييف"', 'name: "أ. دارشييف"', True),
    "source date reasoning": ("content/sources.yaml", "عن لقاء 27 فبراير.", "عن اللقاء.", True),
    "seed": ("seeds/one.txt", "شارك", "شارك\nسطر أخير", True),
    # what every page shows (the navigation, the footer) or is made with: every page
    "topic title": (FLIGHTS, 'title: "الرحلات الجوية"', 'title: "الطيران"', False),
    "site title": ("site.yaml", 'title: "موقع تجريبي"', 'title: "موقع آخر"', False),
    "template": ("templates/base.html", "</main>", "</main>\n<!-- edited -->", False),
    "stylesheet": ("static/style.css", ":root {", ":root {\n  --edited: 1;", False),
    "page body": ("content/pages/about.md", "\n---\n", "\n---\nسطر جديد.\n\n", True),
}


def cold_tree(root: Path, out: Path) -> dict[str, bytes]:
    report = build(root, out, "http://127.0.0.1:8000/", preview=True)
    assert report.ok, report.errors
    return tree(out)


def preview_build(root: Path, out: Path, reuse: Reuse):
    report = build(root, out, "http://127.0.0.1:8000/", preview=True, stages=reuse)
    assert report.ok, report.errors
    return report


@pytest.mark.parametrize("name", EDITS)
def test_incremental_rebuild_writes_exactly_what_a_cold_build_writes(project, tmp_path, name):
    path, old, new, narrowed = EDITS[name]
    site, reuse = project(), Reuse()
    first = preview_build(site, tmp_path / "inc", reuse)
    assert first.rendered == first.pages
    replace_in(site / path, old, new)
    again = preview_build(site, tmp_path / "inc", reuse)
    assert (again.rendered < again.pages) == narrowed, (again.rendered, again.pages)
    assert tree(tmp_path / "inc") == cold_tree(site, tmp_path / "cold")


def test_incremental_rebuilds_of_the_real_site_match_cold_builds_across_a_failed_build(tmp_path):
    site, reuse = copy_real_project(tmp_path / "project"), Reuse()
    out = tmp_path / "inc"
    preview_build(site, out, reuse)
    topics = sorted((site / "content/topics").glob("*.yaml"))
    for step, topic in enumerate(topics[:2]):
        topic.write_text(first_fact_edited(topic.read_text(encoding="utf-8"), f"تعديل {step}:"), encoding="utf-8")
        if step == 1:  # a broken build in between: the next good one still starts from the last good one
            broken = topic.read_text(encoding="utf-8")
            topic.write_text(broken.replace("\nfacts:", "\nfacts: [", 1), encoding="utf-8")
            assert not build(site, out, "http://127.0.0.1:8000/", preview=True, stages=reuse).ok
            topic.write_text(broken, encoding="utf-8")
        report = preview_build(site, out, reuse)
        assert report.rendered < report.pages
        assert tree(out) == cold_tree(site, tmp_path / f"cold{step}"), topic.name


def test_an_edit_renders_only_the_pages_that_read_the_changed_fact(project, tmp_path):
    site, reuse = project(), Reuse()
    preview_build(site, tmp_path / "inc", reuse)
    before = tree(tmp_path / "inc")
    # delegation-head: no date, no variants, cites source two, names darchiev
    replace_in(site / "content/topics/meetings.yaml", "رأس ألكسندر دارشييف الوفد الروسي.", "ترأس دارشييف الوفد.")
    again = preview_build(site, tmp_path / "inc", reuse)
    after = tree(tmp_path / "inc")
    changed = sorted(path for path in after if before.get(path) != after[path])
    assert changed == ["data/facts.json", "entities/darchiev/index.html", "sources/two/index.html",
                       "topics/meetings/index.html"]
    assert again.rendered == 3 and again.written == 4 and again.kept == again.files - 4
    assert after == cold_tree(site, tmp_path / "cold")


def test_a_template_that_starts_reading_more_is_followed_by_its_pages(project, tmp_path):
    site, reuse = project(), Reuse()
    out = tmp_path / "inc"
    preview_build(site, out, reuse)
    replace_in(site / "templates/entity.html", "{% endblock %}",
               '<p class="count">{{ look.topics[entity.topic_id].facts|length }} وقائع</p>\n{% endblock %}')
    preview_build(site, out, reuse)
    replace_in(site / "content/topics/meetings.yaml", "  - id: delegation-head", "  - id: delegation-head-gone")
    replace_in(site / "content/topics/meetings.yaml", "\n  - id: delegation-head-gone", "\n  - id: x\n    text: t\n"
               "    citations: [{source: two, quote: ألكسندر دارشييف}]\n  - id: y")
    report = preview_build(site, out, reuse)
    assert report.rendered < report.pages
    assert tree(out) == cold_tree(site, tmp_path / "cold")


def test_an_undone_seed_edit_leaves_no_offset_behind(project, tmp_path):
    site, reuse = project(), Reuse()
    out = tmp_path / "inc"
    preview_build(site, out, reuse)
    seed = site / "seeds/two.txt"
    original = seed.read_text(encoding="utf-8")
    seed.write_text(original.replace("ورأس الوفد", "ورأس  الوفد"), encoding="utf-8")   # a passage one longer
    preview_build(site, out, reuse)
    seed.write_text(original, encoding="utf-8")
    preview_build(site, out, reuse)
    assert tree(out) == cold_tree(site, tmp_path / "cold")


PAGED_EDITS = {  # edits that move facts on the timeline; with one fact a page, the number of pages may change
    "date moves it": (FLIGHTS, 'date: "2022"', 'date: "2026"', True),
    "a fact gets a date at the end": ("content/topics/meetings.yaml", "  - id: talks-constructive\n",
                                      '  - id: talks-constructive\n    date: "2026"\n', True),
}


@pytest.mark.parametrize("name", ["fact text", "fact date", "fact removed", "fact gets variants", *PAGED_EDITS])
def test_incremental_rebuilds_of_a_paged_timeline_write_what_a_cold_build_writes(project, tmp_path, name):
    path, old, new, _ = EDITS.get(name) or PAGED_EDITS[name]
    site, reuse = project(), Reuse()
    replace_in(site / "site.yaml", "digits: arab", "digits: arab\ntimeline_page_size: 1")
    preview_build(site, tmp_path / "inc", reuse)
    replace_in(site / path, old, new)
    again = preview_build(site, tmp_path / "inc", reuse)
    assert again.rendered < again.pages
    assert tree(tmp_path / "inc") == cold_tree(site, tmp_path / "cold")


NEW_FACT = """  - id: new-fact
    text: "واقعة جديدة."
    entities: [darchiev]
    citations:
      - source: two
        quote: "ورأس الوفد الروسي ألكسندر دارشييف"
"""


def swap_first_and_last(text: str) -> str:
    head, _, rest = text.partition("\nfacts:\n")
    first, *facts = re.split(r"(?=^  - id: )", rest, flags=re.M)[1:]
    return head + "\nfacts:\n" + "".join([facts[-1], *facts[:-1], first])


TOPIC_PAGE_EDITS = {  # meetings' three facts, two a page: edits that move facts across the pages' boundary, add a
    # page or take one away; each with the file meetings' pages then are
    "fact added first": (lambda text: text.replace("facts:\n", "facts:\n" + NEW_FACT), 2),
    "fact appended": (lambda text: text + NEW_FACT, 2),
    "facts appended: a third page": (lambda text: text + NEW_FACT + NEW_FACT.replace("new-fact", "newer-fact"), 3),
    "first fact removed: one page": (lambda text: re.sub(r"  - id: met-in-istanbul\n(    .*\n)+", "", text), 1),
    "first and last facts swapped": (swap_first_and_last, 2),
}


@pytest.mark.parametrize("name", TOPIC_PAGE_EDITS)
def test_incremental_rebuilds_of_a_topic_in_pages_write_what_a_cold_build_writes(project, tmp_path, name):
    edit, pages = TOPIC_PAGE_EDITS[name]
    site, reuse, out = project(), Reuse(), tmp_path / "inc"
    replace_in(site / "site.yaml", "digits: arab", "digits: arab\nfacts_per_page: 2")
    preview_build(site, out, reuse)
    assert (out / "topics/meetings/2/index.html").is_file()
    meetings = site / "content/topics/meetings.yaml"
    meetings.write_text(edit(meetings.read_text(encoding="utf-8")), encoding="utf-8")
    again = preview_build(site, out, reuse)
    assert again.rendered < again.pages
    assert tree(out) == cold_tree(site, tmp_path / "cold")
    assert len(list((out / "topics/meetings").rglob("index.html"))) == pages


def test_the_preview_has_a_search_index_and_keeps_it_up_to_date(project, tmp_path):
    site = project()
    with preview_server(site, tmp_path / "out") as (preview, url):
        entry = wait_until(lambda: (r := fetch(url + "pagefind/pagefind-entry.json"))[0] == 200 and r[1],
                           what="the preview's first search index")
        replace_in(site / FLIGHTS, FACT, "اقترحت روسيا فتح خطوط جديدة.")
        wait_until(lambda: "فتح خطوط جديدة" in fetch(url + "topics/flights/")[1], what="the edit")
        wait_until(lambda: fetch(url + "pagefind/pagefind-entry.json")[1] not in ("", entry),
                   what="the index of the edited site")
        status, page = fetch(url + "search/")
        assert status == 200 and 'data-bundle="../pagefind/"' in page



def test_the_search_index_is_served_beside_the_site_never_written_with_it(project, tmp_path):
    """The index is the one a fresh build makes of the same content, served at pagefind/ from outside the folder
    the builds write: a rebuild after it lands neither writes nor keeps a Pagefind file."""
    site, out = project(), tmp_path / "out"

    def built_index() -> dict[str, bytes]:
        cold = tmp_path / "cold"
        assert build(site, cold, "http://127.0.0.1:8000/").ok
        folder = next(cold.glob("pagefind/*/"))
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def served(path: str) -> bytes | int:
        try:
            with urllib.request.urlopen(url + "pagefind/" + path, timeout=10) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            return exc.code

    def written() -> list[Path]:    # in the site folder and the spare folder beside it
        return [p for folder in [out, *tmp_path.glob(".out.*")] for p in folder.rglob("*")
                if "pagefind" in p.as_posix() or p.suffix.startswith(".pf_")]

    with preview_server(site, out) as (preview, url):
        first = built_index()
        wait_until(lambda: served("pagefind-entry.json") == first["pagefind-entry.json"], what="the first index")
        assert written() == []
        replace_in(site / FLIGHTS, FACT, "اقترحت روسيا فتح خطوط جديدة.")
        wait_until(lambda: "فتح خطوط جديدة" in fetch(url + "topics/flights/")[1], what="the edit")
        second = built_index()
        assert second["pagefind-entry.json"] != first["pagefind-entry.json"]
        wait_until(lambda: served("pagefind-entry.json") == second["pagefind-entry.json"], what="the edited index")
        # every file of the new index as a fresh build makes it; a search page that loaded the index before
        # still gets that index's own files, named by their content
        assert all(served(path) == data for path, data in second.items())
        assert all(served(path) == data for path, data in first.items() if path not in second)
        assert served("no-such-file.js") == 404
        replace_in(site / FLIGHTS, "فتح خطوط جديدة", "فتح خطوط أخرى")     # a rebuild after the index landed
        wait_until(lambda: "فتح خطوط أخرى" in fetch(url + "topics/flights/")[1], what="the second edit")
        assert written() == []

# ---- closed to other sites: Host, Origin, the websocket, the warnings, the terminal ----

def ask(url: str, host: str | None, path: str = "/", version: str = "HTTP/1.1",
        headers: dict | None = None) -> tuple[int, str]:
    """A request with this Host header exactly (None: none at all), over a plain socket: (status, body)."""
    address = url.split("//")[1].strip("/")
    name, port = address.rsplit(":", 1)
    lines = [f"GET {path} {version}"] + ([f"Host: {host}"] if host is not None else [])
    lines += [f"{key}: {value}" for key, value in ({"Connection": "close"} | (headers or {})).items()] + ["", ""]
    with socket.create_connection((name.strip("[]"), int(port)), timeout=10) as conn:
        conn.sendall("\r\n".join(lines).encode("utf-8"))
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < int(
                re.search(rb"(?i)content-length: (\d+)", answer).group(1) if b"ength" in answer else 0):
            answer += conn.recv(65536) or b"\r\n\r\n"
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def test_only_requests_that_name_the_preview_are_answered(served):
    site, preview, url = served
    port = int(url.rsplit(":", 1)[1].strip("/"))
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert ask(url, host)[0] == 200, host
        assert ask(url, host, "/livereload.js")[0] == 200, host
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    for host in ("rebound.example:%d" % port, f"127.0.0.1:{port + 1}", "127.0.0.1", "localhost", f"[::1]:{port}",
                 f"0.0.0.0:{port}", f"127.0.0.2:{port}", f"localhost.:{port}", f"preview.localhost:{port}",
                 f"127.0.0.1:{port}@rebound.example", f"127.0.0.1:{port}, rebound.example", "", None):
        for path in ("/", "/topics/flights/", "/livereload.js", "/_preview/errors.css", "/no/such/page"):
            status, body = ask(url, host, path)     # 421, or tornado's own 400 for what cannot be a Host
            assert status in (400, 421) and FACT not in body and "LiveReload" not in body, (host, path)
        assert ask(url, host, "/livereload", headers=upgrade)[0] in (400, 421), host     # nor its websocket
    assert ask(url, None, version="HTTP/1.0")[0] == 421     # no Host at all


def livereload(url: str, *messages, origin: str | None = "same", host: str | None = None, replies: int = 0):
    """Open the preview's livereload websocket with this Origin ("same": the page's own), send `messages`, read
    `replies` messages, then (if `replies` is 0) read until the server closes it. Returns (status, replies, close
    code): status 101 when the connection opened, else the HTTP status that refused it."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    async def talk():
        headers = {"Host": host or url.split("//")[1].strip("/")}
        if origin:
            headers["Origin"] = url.rstrip("/") if origin == "same" else origin
        try:
            conn = await websocket_connect(HTTPRequest(url.replace("http:", "ws:") + "livereload", headers=headers,
                                                       connect_timeout=10))
        except HTTPClientError as exc:
            return exc.code, [], None
        for message in messages:
            await conn.write_message(message, binary=isinstance(message, bytes))
        got = []
        while replies == 0 or len(got) < replies:
            message = await asyncio.wait_for(conn.read_message(), 10)
            if message is None:
                break
            got.append(json.loads(message))
        code = conn.close_code
        conn.close()
        return 101, got, code

    with ThreadPoolExecutor(1) as thread:   # a loop of its own: Playwright's may be running in this thread
        return thread.submit(asyncio.run, talk()).result()


HELLO = json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]})


def test_the_websocket_accepts_only_the_previews_own_pages(served):
    site, preview, url = served
    port = url.rsplit(":", 1)[1].strip("/")
    status, got, _ = livereload(url, HELLO, replies=1)
    assert status == 101 and got[0]["command"] == "hello"
    status, got, _ = livereload(url, HELLO, origin=f"http://localhost:{port}", host=f"localhost:{port}", replies=1)
    assert status == 101 and got[0]["command"] == "hello"
    assert livereload(url, HELLO, origin=None, replies=1)[0] == 101    # not a browser: no page to protect
    for origin in ("http://rebound.example", f"http://rebound.example:{port}", "null", f"http://localhost:{port}",
                   f"http://127.0.0.1:{int(port) + 1}", "file://", f"http://127.0.0.1:{port}.rebound.example"):
        assert livereload(url, HELLO, origin=origin)[0] == 403, origin


MALFORMED = ["not json", "[1, 2]", '"hello"', "{}", '{"command": 5}', '{"command": null}', "{" * 5000,
             b"\x00\xff binary", "\x1b[2J"]


def test_malformed_websocket_messages_close_the_socket_without_a_traceback(project, serve_process):
    server = serve_process(project())
    for message in MALFORMED:
        status, got, code = livereload(server.url, HELLO, message)
        assert status == 101 and got[0]["command"] == "hello", message
        assert code == (1003 if isinstance(message, bytes) else 1007), (message, code)
    assert livereload(server.url, "x" * 70_000)[2] == 1009      # too big to read
    assert livereload(server.url, HELLO, replies=1)[1][0]["command"] == "hello"   # the server is still there
    assert fetch(server.url)[0] == 200
    assert server.stop() == 0
    assert "Traceback" not in server.output() and "ERROR" not in server.output(), server.output()


UNSPECIFIED = ["0", "0.0.0.0", "::", "::0", "0x0", "000.000.000.000", "0.0", "0:0:0:0:0:0:0:0", ""]


def this_machines_address(family: int) -> str | None:
    """An address of this machine other than loopback: the one a route to the documentation network leaves from."""
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1" if family == socket.AF_INET else "2001:db8::1", 9))   # sends nothing
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith(("127.", "::1")) else address


@pytest.mark.parametrize("host", UNSPECIFIED, ids=[h or "empty" for h in UNSPECIFIED])
def test_every_unspecified_address_warns_and_answers_this_machines_addresses(project, serve_process, host):
    server = serve_process(project(), "--host", host)
    assert f"warning: listening on all network interfaces ({host or '*'})" in "".join(server.err)
    url = next(line.split()[1] for line in server.out if line.startswith("serving "))
    ipv4 = ":" not in host or host == ""
    assert url == (f"http://127.0.0.1:{server.port}/" if ipv4 else f"http://[::1]:{server.port}/")
    assert fetch(url)[0] == 200
    mine = this_machines_address(socket.AF_INET if ipv4 else socket.AF_INET6)
    names = ["localhost", "[::1]" if not ipv4 else "127.0.0.1"] + ([f"[{mine}]" if ":" in mine else mine] if mine
                                                                   else [])
    for name in names:      # localhost and any address of this machine: an address cannot be rebound
        assert ask(url, f"{name}:{server.port}")[0] == 200, name
    for name in ("rebound.example", "0.0.0.0", "[::]", "192.0.2.200", "[2001:db8::99]", "localhost.example"):
        assert ask(url, f"{name}:{server.port}")[0] == 421, name


def test_a_loopback_address_is_quiet_and_named_hosts_are_answered_by_that_name(project, serve_process):
    server = serve_process(project(), "--host", "localhost")
    assert "warning" not in "".join(server.err)
    assert any(line.startswith(f"serving http://localhost:{server.port}/") for line in server.out)
    assert ask(server.url, f"localhost:{server.port}")[0] == 200
    assert ask(server.url, f"rebound.example:{server.port}")[0] == 421
    # the server says it before it answers, but the line reaches this process through a pipe and a thread
    wait_until(lambda: any("refused a request for Host 'rebound.example:" in line for line in server.out),
               what="the refusal in the log")


def test_what_files_say_reaches_the_terminal_escaped(project, serve_process):
    site = project()
    server = serve_process(site)
    # a key that would clear the screen, retitle the window and reverse the line; a file name that turns it red
    replace_in(site / FLIGHTS, "    text:", '    "\\e[2J\\e]0;owned\\a\\u202eevil": 1\n    text:')
    (site / "content/pages/\x1b[31mred.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    wait_until(lambda: fetch(server.url)[0] == 500, what="the errors")
    wait_until(lambda: "red.md" in server.output(), what="the errors in the terminal")
    ask(server.url, f"\x1b[31mrebound.example:{server.port}")
    assert server.stop() == 0
    output = server.output()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", output), output
    assert r"unknown key '\x1b[2J\x1b]0;owned\x07\u202eevil'" in output
    assert r"content/pages/\x1b[31mred.md:2:" in output


def test_a_reload_asks_files_again_by_content_and_pages_always(served):
    """A file comes back 304 while its content is the same, and in full once it changed (its ETag is its content,
    never a remembered one); fingerprinted names are kept for good; a page is always sent whole."""
    site, preview, url = served
    host, port = url.split("//")[1].strip("/").split(":")

    def get(path: str, etag: str | None = None):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", path, headers={"If-None-Match": etag} if etag else {})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, response.getheader("ETag"), response.getheader("Cache-Control")

    status, etag, cache = get("/static/fonts/OFL.txt")
    assert (status, cache) == (200, "no-cache") and etag
    assert get("/static/fonts/OFL.txt", etag)[0] == 304
    (site / "static/fonts/OFL.txt").write_text("another licence\n")
    wait_until(lambda: "another licence" in fetch(url + "static/fonts/OFL.txt")[1], what="the new file")
    assert get("/static/fonts/OFL.txt", etag)[0] == 200
    css = re.search(r'href="\.\./\.\./(static/style\.[0-9a-f]{10}\.css)"', fetch(url + "topics/flights/")[1]).group(1)
    assert get("/" + css)[2] == "max-age=31536000, immutable"
    status, etag, cache = get("/topics/flights/", '"anything"')
    assert (status, etag, cache) == (200, None, "no-store")


def test_a_folder_replaced_as_a_checkout_does_is_still_watched(project, tmp_path):
    site = project()
    with preview_server(site, tmp_path / "out", search=False) as (preview, url):
        partials = site / "templates/partials"
        shutil.copytree(partials, site / "templates/partials-new")
        shutil.rmtree(partials)
        os.rename(site / "templates/partials-new", partials)
        wait_until(lambda: fetch(url + "topics/flights/")[0] == 200, what="the site after the swap")
        replace_in(partials / "fact.html", "</", "<!-- edited in the new folder --></", 1)
        wait_until(lambda: "edited in the new folder" in fetch(url + "topics/flights/")[1], what="the edit")
