"""The preview: build into a folder the server owns, serve it with live reload, rebuild once per burst of saves.

This module owns watching, debouncing and the error page; what a page contains is build()'s business. livereload
provides the browser side (its websocket, livereload.js and the script injected into each page); the watching,
the rebuild and the single reload after it are ours, because livereload's own watcher reloads once per changed
file, polls only every 0.8 s and ignores changes within 3 s of a reload.
"""
from __future__ import annotations

import asyncio
import base64
import errno
import gc
import hashlib
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import webbrowser
from pathlib import Path
from typing import Callable

import jinja2
from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from livereload.server import LiveScriptInjector
from markupsafe import Markup
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.ioloop import PeriodicCallback
from tornado.netutil import bind_sockets
from tornado.websocket import WebSocketClosedError

from .model import Error
from .pipeline import Report, build
from .reuse import Reuse
from .search import BackgroundIndex

WATCHED = ("site.yaml", "content", "templates", "static", "seeds")   # never the output folder
POLL_SECONDS = 0.05         # how often the watched files are stat'ed: a few dozen calls
QUIET_SECONDS = 0.1         # a burst of saves is over once nothing has changed for this long,
MAX_WAIT_SECONDS = 2.0      # or once it has gone on for this long
IDLE_SECONDS = 0.5          # after a rebuild, the browsers have reloaded by then: the collector may run
ALL_INTERFACES = ("0.0.0.0", "::", "")
SOURCE_ROOT = Path(__file__).resolve().parent.parent    # crash locations are shown relative to it

# How livereload's own server injects its client, with the script loaded from this origin.
LIVE_SCRIPT = (b'<script>(function(){var s=document.createElement("script");'
               b's.src="/livereload.js?port="+(location.port||(location.protocol=="https:"?443:80));'
               b'document.head.appendChild(s);})();</script>')
RELOAD = {"command": "reload", "path": "*", "liveCSS": False, "liveImg": False}


CANNOT_SERVE = 3            # exit code when the address cannot be listened on (1 is for content errors)


def serve(root: Path, host: str, port: int, open_browser: bool) -> int:
    """`build.py serve`. Returns the exit code: 0 once stopped by Ctrl-C or SIGTERM, 2 for a port number that
    cannot be one, CANNOT_SERVE if the port is taken or the address cannot be listened on."""
    if not 0 <= port <= 65535:  # getaddrinfo would quietly take 70000 as 4464
        print(f"build.py serve: --port must be from 0 to 65535, not {port}", file=sys.stderr)
        return 2
    try:
        sockets = bind_sockets(port, host)
    except OSError as exc:
        print(f"build.py serve: {listen_error(host, port, exc)}", file=sys.stderr)
        return CANNOT_SERVE
    if host in ALL_INTERFACES:
        print(f"warning: listening on all network interfaces ({host or '*'}): anyone who can reach this machine "
              "can see the preview; --host 127.0.0.1 keeps it to this one", file=sys.stderr)
    url = f"http://{url_host(host)}:{sockets[0].getsockname()[1]}/"
    with tempfile.TemporaryDirectory(prefix="sitegen-preview-") as tmp:
        asyncio.run(main(Preview(root, Path(tmp) / "site", url), sockets, open_browser))
    say("stopped")
    return 0


async def main(preview: Preview, sockets: list, open_browser: bool) -> None:
    """Build once, then serve and rebuild until Ctrl-C or SIGTERM (which wait for a build under way to end)."""
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    say(preview.rebuild())
    say(f"serving {preview.base_url} with live reload (Ctrl-C to stop)")
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(preview.base_url,), daemon=True).start()
    await run(preview, sockets, stop)


async def run(preview: Preview, sockets: list, stop: asyncio.Event) -> None:
    """Serve the preview on `sockets`, rebuilding on every change, until `stop` is set."""
    server = HTTPServer(preview.application())
    server.add_sockets(sockets)
    watcher = PeriodicCallback(preview.poll, POLL_SECONDS * 1000)
    watcher.start()
    try:
        await stop.wait()
    finally:
        watcher.stop()
        server.stop()
        for page in list(LiveReloadHandler.waiters):
            page.close()
        await server.close_all_connections()


class Preview:
    """One preview: the project, the folder it is built into, what builds keep for the next, the current errors."""

    def __init__(self, root: Path, out: Path, base_url: str, builder: Callable[..., Report] = build,
                 search: bool = True):
        self.root, self.out, self.base_url, self.builder = Path(root), Path(out), base_url, builder
        self.errors: list[Error] = []       # while not empty, every page shows them
        self.last_good: Report | None = None
        self.reuse = Reuse()
        self.files = snapshot(self.root)
        self.pending: set[str] = set()
        self.first_change = self.last_change = 0.0
        self.read_again = False             # a build failed on files saved just before: read them once more
        self.search = BackgroundIndex() if search else None   # the search index, made beside the builds
        self.garbage_since: float | None = None     # the collector is paused from a rebuild until the preview idles

    def application(self) -> web.Application:
        return web.Application([
            (r"/livereload", LiveReloadHandler),
            (r"/livereload.js", LiveReloadJSHandler),
            (r"/(.*)", SiteHandler, {"preview": self}),
        ], transforms=[InjectLiveScript], log_function=lambda handler: None)

    def poll(self) -> None:
        """Note what changed since the last poll; once a burst of saves is over, rebuild, then reload once."""
        now = time.monotonic()
        files = snapshot(self.root)
        changed = [path for path in files.keys() | self.files.keys() if files.get(path) != self.files.get(path)]
        self.files = files
        if changed:
            self.first_change = self.first_change if self.pending else now
            self.last_change = now
            self.pending.update(changed)
        if self.pending and (now - self.last_change >= QUIET_SECONDS or now - self.first_change >= MAX_WAIT_SECONDS):
            changed, self.pending = sorted(self.pending), set()
            line = self.rebuild(changed, collect=False)
            if self.errors and not self.read_again and {e.path for e in self.errors} & set(changed):
                # an editor's save may truncate the file, then write it: what failed is read again after
                # one more quiet moment before anyone is shown an error
                self.read_again, self.errors = True, []
                self.pending.update(changed)
                self.first_change = self.last_change = time.monotonic()
                return
            self.read_again = False
            say(line)
            reload_browsers()
        if self.garbage_since is not None and not self.pending and now - self.garbage_since >= IDLE_SECONDS:
            self.collect_garbage()
        bundle = self.search.take() if self.search else None
        if bundle is not None:   # the search page reads it when it next searches: no page needs reloading
            errors = self.reuse.add_search(bundle)
            say("search index: updated" if not errors else f"search index: {errors[0]}")

    def rebuild(self, changed: list[str] = (), collect: bool = True) -> str:
        """Build once, reusing what earlier builds made where it is still right; returns the line to print.
        Never raises. The build runs with Python's cycle collector paused (pipeline.py); its first pass afterwards
        walks everything the build made (0.1-0.3 s at 10,000 facts), so the server (collect=False) leaves it
        paused until the browsers have reloaded and the preview is idle (poll, collect_garbage)."""
        what = "build" if not changed else changed[0] + (f" and {len(changed) - 1} more" if changed[1:] else "")
        if not collect and gc.isenabled():
            gc.disable()
            self.garbage_since = time.monotonic()
        started = time.perf_counter()
        try:
            report = self.builder(self.root, self.out, self.base_url, preview=True, stages=self.reuse)
        except Exception as exc:  # a bug in the generator must not stop the preview
            traceback.print_exc()
            self.errors = [crash_error(exc)]
            self.reuse = Reuse()    # what it kept may be what made it crash
            return f"{what}: the build crashed ({type(exc).__name__}); the browser shows where"
        ms = (time.perf_counter() - started) * 1000
        self.errors = report.errors
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr, flush=True)
        if report.errors:
            for error in report.errors:
                print(error, file=sys.stderr, flush=True)
            count = len(report.errors)
            return f"{what}: {count} error{'s' if count != 1 else ''}, shown in the browser ({ms:.0f} ms)"
        self.last_good = report
        if self.search:
            self.search.update(report.site)
        return (f"{what}: rendered {report.rendered} of {report.pages} pages, wrote {report.written} files, "
                f"kept {report.kept} in {ms:.0f} ms")


    def collect_garbage(self) -> None:
        """The cycle collection a rebuild put off: once nothing is pending, so memory stays flat."""
        if self.garbage_since is not None:
            self.garbage_since = None
            gc.enable()
            gc.collect()


class SiteHandler(web.StaticFileHandler):
    """The built site and nothing outside it: the error page while the build is broken, 404.html when no file."""

    def initialize(self, preview: Preview) -> None:
        super().initialize(path=str(preview.out), default_filename="index.html")
        self.preview = preview

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")

    async def get(self, path: str, include_body: bool = True) -> None:
        if self.preview.errors:
            self.set_status(500)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(error_page(self.preview.errors))  # tornado drops the body of a HEAD response
            return
        if "\0" in path:
            raise web.HTTPError(404)
        try:
            await super().get(path, include_body)
        except web.HTTPError as exc:  # 403 is tornado's answer to a path outside the folder: as if not there
            raise web.HTTPError(404) if exc.status_code == 403 else exc

    def should_return_304(self) -> bool:
        return False

    def write_error(self, status_code: int, **kwargs) -> None:
        page = self.preview.out / "404.html"
        if status_code != 404 or not page.is_file():
            return super().write_error(status_code, **kwargs)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page.read_bytes())


class InjectLiveScript(LiveScriptInjector):
    """livereload's script in every HTML page; a HEAD answer announces the length GET's body has, script included."""
    script = LIVE_SCRIPT

    def __init__(self, request):
        super().__init__(request)
        self.head = request.method == "HEAD"

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if self.head and "html" in headers.get("Content-Type", "") and "Content-Length" in headers:
            headers["Content-Length"] = str(int(headers["Content-Length"]) + len(self.script))
            return status_code, headers, chunk
        return super().transform_first_chunk(status_code, headers, chunk, finishing)


def reload_browsers() -> None:
    """Tell every open page to reload, once, now that the build has finished."""
    for page in list(LiveReloadHandler.waiters):
        try:
            page.write_message(RELOAD)
        except WebSocketClosedError:
            LiveReloadHandler.waiters.discard(page)


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """(mtime, size, inode) of every watched file, by project-relative path; editors' scratch files left out."""
    found = {}
    for name in WATCHED:
        top = os.path.join(root, name)
        walk = [(root, [], [name])] if os.path.isfile(top) else os.walk(top)
        for folder, _, files in walk:
            for file in files:
                if file.startswith(".#") or file.endswith(("~", ".swp", ".swx")):
                    continue
                path = os.path.join(folder, file)
                try:
                    st = os.stat(path)
                except OSError:  # removed while we looked
                    continue
                found[Path(path).relative_to(root).as_posix()] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return found


def crash_error(exc: Exception) -> Error:
    """Where a build crashed, as an error for the error page: the innermost frame and the exception."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    path = Path(frame.filename)
    where = path.relative_to(SOURCE_ROOT).as_posix() if path.is_relative_to(SOURCE_ROOT) else path.name
    return Error(where, frame.lineno or 0, f"the build crashed: {type(exc).__name__}: {exc}")


def listen_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is already in use on {host}; stop the other server or choose another with --port"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def url_host(host: str) -> str:
    """The host part of a URL that reaches a server bound to `host`."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def say(line: str) -> None:
    print(line, flush=True)


# The error page: the generator's own template (the site's templates may be what failed), readable without the
# site's stylesheet, its one inline style allowed by its hash, and livereload's script allowed so the next good
# build brings the site back.
ERROR_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "preview")),
                                     autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                     lstrip_blocks=True, keep_trailing_newline=True)
ERROR_STYLE = (Path(__file__).parent / "preview/error.css").read_text(encoding="utf-8")
ERROR_CSP = (f"default-src 'none'; "
             f"style-src 'sha256-{base64.b64encode(hashlib.sha256(ERROR_STYLE.encode()).digest()).decode()}'; "
             "script-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'")


def error_page(errors: list[Error]) -> bytes:
    """Every error as `file:line: message`, one per line, as the command line prints them."""
    items = [dict(zip(("where", "message"), str(error).partition(": ")[::2])) for error in errors]
    return ERROR_TEMPLATES.get_template("error.html").render(
        csp=ERROR_CSP, style=Markup(ERROR_STYLE), errors=items).encode("utf-8")
