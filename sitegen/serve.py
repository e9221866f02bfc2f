"""The preview: build into a folder the server owns, serve it with live reload, rebuild once per batch of saves.

livereload provides the browser side (livereload.js); the server side of its protocol (a hello, then one reload
after each rebuild) is ours, as are the watching (preview/watch.py: the operating system's notifications, through
watchfiles), who may ask (preview/hosts.py: only requests that name the preview, websockets only from its pages)
and how a failed build is shown (preview/errors.py: over the last good page).
"""
from __future__ import annotations

import asyncio
import errno
import gc
import hashlib
import html
import json
import logging
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
import webbrowser
from contextlib import aclosing
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from livereload.handlers import LiveReloadJSHandler
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.httputil import split_host_and_port
from tornado.netutil import bind_sockets
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .model import Error
from .pipeline import Report, build
from .preview.collector import Collector
from .preview.errors import (FILES, SERVED, TerminalFormatter, error_page, newest_first, overlay, terminal)
from .preview.hosts import Listening
from .preview.place import page_holding
from .preview.watch import Watch
from .reuse import Reuse
from .search import BUNDLE, BackgroundIndex
from .write import FINGERPRINTED as FINGERPRINTED_SUFFIXES

CANNOT_SERVE = 3            # exit code when the address cannot be listened on (1 is for content errors)
READ_AGAIN_SECONDS = 0.1    # a build that failed on files just saved waits this long for the rest of the save
SOURCE_ROOT = Path(__file__).resolve().parent.parent    # crash locations are shown relative to it
PREVIEW_FILES = Path(__file__).parent / "preview"
RELOAD = {"command": "reload", "path": "*", "liveCSS": False, "liveImg": False}
HELLO = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"],
         "serverName": "sitegen-preview"}
BUILD_HEADER = "X-Preview-Build"    # on every page while the build is broken: why the status is 500
FINGERPRINTED = re.compile(r"static/.+\.[0-9a-f]{10}(%s)"     # write.py's names for assets, by content
                           % "|".join(re.escape(suffix) for suffix in sorted(FINGERPRINTED_SUFFIXES)))
INDEX_AFTER_SECONDS = 2.0   # the search index waits for a pause in the saves: made beside a rebuild, it slows it
YOUNG_SECONDS = 0.1         # after a reload, the browsers have asked for their pages by then: a young collection
IDLE_SECONDS = 2.0          # a pause in the saves this long after a reload: the full collection (preview/collector.py)
REFUSED_LOGGED = 20         # distinct refused Host values said in the log, at most


def serve(root: Path, host: str, port: int, open_browser: bool) -> int:
    """`build.py serve`. Returns the exit code: 0 once stopped by Ctrl-C or SIGTERM, 2 for a port number that
    cannot be one, CANNOT_SERVE if the port is taken or the address cannot be listened on."""
    if not 0 <= port <= 65535:  # getaddrinfo would quietly take 70000 as 4464
        print(f"build.py serve: --port must be from 0 to 65535, not {port}", file=sys.stderr)
        return 2
    try:
        sockets = bind_sockets(port, host)
    except OSError as exc:
        print(terminal(f"build.py serve: {listen_error(host, port, exc)}"), file=sys.stderr)
        return CANNOT_SERVE
    listening = Listening.of(host, sockets)
    if listening.everywhere:
        print(terminal(f"warning: listening on all network interfaces ({host or '*'}): anyone who can reach this "
                       "machine can see the preview; --host 127.0.0.1 keeps it to this one"), file=sys.stderr)
    elif listening.public:
        print(terminal(f"warning: listening on {host}, which other machines can reach: anyone who can reach it "
                       "can see the preview; --host 127.0.0.1 keeps it to this one"), file=sys.stderr)
    log = logging.StreamHandler(sys.stderr)     # tornado's and asyncio's warnings, escaped like our own lines
    log.setFormatter(TerminalFormatter("%(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[log])
    with tempfile.TemporaryDirectory(prefix="sitegen-preview-") as tmp:
        asyncio.run(main(Preview(root, Path(tmp) / "site", listening.url), sockets, listening, open_browser))
    say("stopped")
    return 0


async def main(preview: Preview, sockets: list, listening: Listening, open_browser: bool) -> None:
    """Build once, then serve and rebuild until Ctrl-C or SIGTERM (which wait for a build under way to end)."""
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    watch = Watch(preview.root)     # before the first build, which a save may come during
    preview.show(preview.rebuild())
    say(f"serving {preview.base_url} with live reload (Ctrl-C to stop)")
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(preview.base_url,), daemon=True).start()
    await run(preview, sockets, stop, watch, listening)


async def run(preview: Preview, sockets: list, stop: asyncio.Event, watch: Watch,
              listening: Listening | None = None) -> None:
    """Serve the preview on `sockets`, rebuilding after every batch of changes `watch` reports, until `stop` is set."""
    listening = listening or Listening.of(sockets[0].getsockname()[0], sockets)
    server = HTTPServer(preview.application(listening))
    server.add_sockets(sockets)
    preview.loop = asyncio.get_running_loop()
    preview.take_search()       # an index finished before there was a loop to say so
    watcher = asyncio.create_task(preview.watch(watch, stop))
    try:
        await stop.wait()
    finally:
        stop.set()
        await watcher           # it sees `stop` within one step of watchfiles
        preview.loop = None
        if preview.search:
            preview.search.close()  # no index is written into a folder about to be removed
        for timer in (preview.waiting, preview.indexing, preview.collecting):
            if timer:
                timer.cancel()
        preview.collector.close()
        server.stop()
        for page in list(preview.pages):
            page.close()
        await server.close_all_connections()


class Preview:
    """One preview: the project, the folder it is built into, what builds keep for the next, the errors shown, the
    pages open in browsers."""

    def __init__(self, root: Path, out: Path, base_url: str, builder: Callable[..., Report] = build,
                 search: bool = True):
        self.root, self.out, self.base_url, self.builder = Path(root), Path(out), base_url, builder
        self.errors: list[Error] = []       # while not empty, every page shows them
        self.shown: list[Error] = []        # the errors the pages show now (the last build's, unless it is read again)
        self.warnings: list[str] = []
        self.overlay = b""                  # the errors, as put over the last good page
        self.last_good: Report | None = None
        self.reuse = Reuse()
        self.pending: set[str] = set()      # changed files no shown build has read yet
        self.reading_again = False          # a build failed on files saved just before: read them once more
        self.waiting: asyncio.TimerHandle | None = None     # reading a failed save again
        self.indexing: asyncio.TimerHandle | None = None    # the search index of the last good build
        self.collecting: asyncio.TimerHandle | None = None  # the cycle collection a rebuild put off
        self.collector = Collector()
        self.pages: set[ReloadSocket] = set()
        self.build = 0                      # how many builds the pages have been shown: each page says which it shows
        self.loop: asyncio.AbstractEventLoop | None = None
        # the search index lives beside the site, not in it: the builds never write or carry its files
        self.search = BackgroundIndex(self.out.with_name(self.out.name + "-search"), made=self.search_made) \
            if search else None

    def application(self, listening: Listening) -> web.Application:
        return PreviewApplication(self, listening)

    async def watch(self, watch: Watch, stop: asyncio.Event) -> None:
        try:
            async with aclosing(watch.batches(stop)) as changes:
                async for changed in changes:
                    self.changed(changed)
        except Exception as exc:  # the server cannot go on without knowing what changed: say why, and stop
            say(f"stopped watching the project's files: {type(exc).__name__}: {exc}")
            stop.set()

    def changed(self, paths: list[str]) -> None:
        """A batch of changes: rebuild, then reload every open page once."""
        if self.waiting:
            self.waiting.cancel()
        self.pending.update(paths)
        self.settle()

    def settle(self) -> None:
        self.waiting = None
        changed = sorted(self.pending)
        line = self.rebuild(changed, collect=False)
        if self.errors and not self.reading_again and {error.path for error in self.errors} & self.pending:
            # an editor's save may empty the file, then write it: what failed is read again, once the rest of the
            # save has had a moment to come, before anyone is shown an error
            self.reading_again, self.errors = True, self.shown
            self.waiting = self.loop.call_later(READ_AGAIN_SECONDS, self.settle) if self.loop else None
            return
        self.pending.clear()
        self.reading_again = False
        self.show(line)

    def rebuild(self, changed: list[str] = (), collect: bool = True) -> str:
        """Build once, reusing what earlier builds made where it is still right; returns the line to print.
        Never raises. The build runs with Python's cycle collector paused (pipeline.py); the server (collect=False)
        leaves it paused until the browsers have asked for their pages again (show, collect_later)."""
        what = "build" if not changed else changed[0] + (f" and {len(changed) - 1} more" if changed[1:] else "")
        if not collect:
            gc.disable()
        started = time.perf_counter()
        try:
            report = self.builder(self.root, self.out, self.base_url, preview=True, stages=self.reuse)
        except Exception as exc:  # a bug in the generator must not stop the preview
            for line in traceback.format_exc().splitlines():
                print(terminal(line), file=sys.stderr, flush=True)
            self.errors, self.warnings = [crash_error(exc)], []
            self.reuse = Reuse()    # what it kept may be what made it crash
            return f"{what}: the build crashed ({type(exc).__name__}); the browser shows where"
        ms = (time.perf_counter() - started) * 1000
        self.errors, self.warnings = newest_first(report.errors, self.root), report.warnings
        if report.errors:
            count = len(report.errors)
            return f"{what}: {count} error{'s' if count != 1 else ''}, shown in the browser ({ms:.0f} ms)"
        self.last_good = report
        if self.search:
            self.index_later(report.site)
        return (f"{what}: rendered {report.rendered} of {report.pages} pages, wrote {report.written} files, "
                f"kept {report.kept} in {ms:.0f} ms")

    def show(self, line: str) -> None:
        """Print what the last build did and its errors, newest first, as the browser shows them; reload."""
        self.shown = self.errors
        self.overlay = overlay(self.errors) if self.errors else b""
        for warning in self.warnings:
            print(terminal(f"warning: {warning}"), file=sys.stderr, flush=True)
        for error in self.errors:
            print(terminal(str(error)), file=sys.stderr, flush=True)
        say(line)
        self.build += 1
        for page in list(self.pages):
            page.reload(self.build)
        self.collect_later()

    def collect_later(self) -> None:
        """The young cycle collection once the browsers have asked for their pages, the full one if the editor
        pauses (preview/collector.py); at once without a loop."""
        if self.collecting:
            self.collecting.cancel()
        self.collecting = self.loop.call_later(YOUNG_SECONDS, self.collect_young) if self.loop else None
        if not self.loop:
            self.collector.after_build()

    def collect_young(self) -> None:
        self.collector.after_build()
        self.collecting = self.loop.call_later(IDLE_SECONDS - YOUNG_SECONDS, self.collect_all) if self.loop else None

    def collect_all(self) -> None:
        self.collecting = None
        if self.waiting is None:    # a failed save is read again, and then shown: it collects after that
            self.collector.full()

    def index_later(self, site) -> None:
        """Make the search index of this site once the editor pauses, so that it does not take the processor from
        the next rebuild or the pages a reload asks for (the first build's, which nothing waits for, at once)."""
        if self.indexing:
            self.indexing.cancel()
        self.indexing = self.loop.call_later(INDEX_AFTER_SECONDS, self.search.update, site) if self.loop else None
        if not self.loop:
            self.search.update(site)

    def search_made(self) -> None:
        """In the index's thread: a search index is ready, to be taken on the server's loop."""
        loop = self.loop
        if loop:
            loop.call_soon_threadsafe(self.take_search)

    def take_search(self) -> None:
        """Say that a new index is served (its thread wrote it): the search page reads it when it next loads, as
        no page needs reloading for it."""
        if self.search and self.search.take():
            say("search index: updated")


class PreviewApplication(web.Application):
    """The preview's routes, for requests whose Host names the preview; every other request is refused (421)."""

    def __init__(self, preview: Preview, listening: Listening):
        self.listening, self.refused = listening, set()
        super().__init__([
            (r"/livereload", ReloadSocket, {"preview": preview, "listening": listening}),
            (r"/livereload.js", ReloadScript),
            (re.escape(FILES) + "place", PlaceLookup, {"preview": preview}),
            (re.escape(FILES) + r"(.*)", PreviewFiles, {"path": str(PREVIEW_FILES)}),
            (re.escape(urlsplit(preview.base_url).path.rstrip("/") + "/" + BUNDLE) + r"(.*)", SearchFiles,
             {"preview": preview}),
            (r"/(.*)", SiteHandler, {"preview": preview}),
        ], transforms=[lambda request: InjectPreview(request, preview)], log_function=lambda handler: None,
            websocket_max_message_size=64 * 1024)

    def find_handler(self, request, **kwargs):
        if self.listening.accepts_host(request.headers.get("Host")):
            return super().find_handler(request, **kwargs)
        host = request.headers.get("Host", "")
        if len(self.refused) < REFUSED_LOGGED and host not in self.refused:
            self.refused.add(host)
            say(f"refused a request for Host {host!r}: this preview answers only to "
                f"{', '.join(self.listening.names())}{' or an address of this machine' if self.listening.everywhere else ''}"
                " (a page of another site may be trying to read it)")
        return self.get_handler_delegate(request, Misdirected, {"listening": self.listening})


class Misdirected(web.RequestHandler):
    """421 for a request that does not name the preview: a web page may have rebound its name to this machine."""

    def initialize(self, listening: Listening) -> None:
        self.listening = listening

    def prepare(self) -> None:
        self.set_status(421)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"421 Misdirected Request: this preview answers to {', '.join(self.listening.names())}\n")


class SiteHandler(web.StaticFileHandler):
    """The built site and nothing outside it: the error page while there has been no good build, 404.html when no
    file (with the overlay over it, like every page, while the build is broken)."""

    def initialize(self, preview: Preview) -> None:
        super().initialize(path=str(preview.out), default_filename="index.html")
        self.preview = preview

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    async def get(self, path: str, include_body: bool = True) -> None:
        if self.preview.errors and self.preview.last_good is None:
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

    def compute_etag(self) -> str | None:
        """A file's by its content, read now (tornado keeps one per path, which a rebuild makes wrong); none for a
        page, which is never answered 304: what is put in it (the errors) changes without it."""
        if self.html():
            return None
        return f'"{hashlib.sha256(Path(self.absolute_path).read_bytes()).hexdigest()[:32]}"'

    def should_return_304(self) -> bool:
        return not self.html() and "If-None-Match" in self.request.headers and self.check_etag_header()

    def set_extra_headers(self, path: str) -> None:
        if FINGERPRINTED.fullmatch(path):   # its name changes with its content: a reload need not fetch it again
            self.set_header("Cache-Control", "max-age=31536000, immutable")
        elif self.html():
            self.mark_broken()
        else:       # an image, say: kept, and asked again with its ETag on each reload (304 if the same)
            self.set_header("Cache-Control", "no-cache")

    def html(self) -> bool:
        return self.get_content_type().startswith("text/html")

    def write_error(self, status_code: int, **kwargs) -> None:
        page = self.preview.out / "404.html"
        if status_code != 404 or not page.is_file():
            return super().write_error(status_code, **kwargs)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.mark_broken()
        self.finish(page.read_bytes())

    def mark_broken(self) -> None:
        """While the build is broken, a page is the last good build's with the errors over it (InjectPreview), and
        500: it is not what the sources now make, which any client that does not look at it must learn too."""
        if self.preview.overlay and self.preview.last_good is not None:
            self.set_status(500)
            self.set_header(BUILD_HEADER, f"failed, {len(self.preview.errors)} errors; this is the last good page")


class SearchFiles(web.StaticFileHandler):
    """The search index, where the search page asks for it (pagefind/), from the folder its thread wrote: each
    file from the newest bundle, or, if only the one before holds it, from that one (a chunk named by its content,
    asked for by a page that loaded that bundle): a page never gets two bundles' files under one name."""

    def initialize(self, preview: Preview) -> None:
        folders = preview.search.folders() if preview.search else ()
        super().initialize(path=str(folders[0]) if folders else "")
        self.folders = folders

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Content-Type-Options", "nosniff")

    async def get(self, path: str, include_body: bool = True) -> None:
        if not self.folders or "\0" in path:
            raise web.HTTPError(404)
        self.root = next((str(f) for f in self.folders if (f / path).is_file()), self.root)
        try:
            await super().get(path, include_body)
        except web.HTTPError as exc:  # outside the folder: as if not there
            raise web.HTTPError(404) if exc.status_code == 403 else exc

    def compute_etag(self) -> str | None:
        """By where it is: a bundle's folder is named by its digest and never changed (tornado's own would keep a
        digest of every file ever served)."""
        return f'"{hashlib.sha256(self.absolute_path.encode()).hexdigest()[:32]}"'


class PlaceLookup(web.RequestHandler):
    """?page=/topics/visas/3/&id=visas-00250: {"page": "/topics/visas/4/"}, the page of that series now holding
    the element place.js kept the editor's place by (preview/place.py); 404 if none does."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def get(self) -> None:
        root = urlsplit(self.preview.base_url).path.rstrip("/") + "/"
        page, ident = self.get_query_argument("page", ""), self.get_query_argument("id", "")
        found = page_holding(self.preview.out, page[len(root):], ident) if page.startswith(root) else None
        if found is None:
            raise web.HTTPError(404)
        self.set_header("Cache-Control", "no-store")
        self.finish({"page": root + found})


class PreviewFiles(web.StaticFileHandler):
    """The preview's own stylesheets and scripts (the overlay's, the error page's, place.js), and none of its other
    files; asked for with ?v= (tornado's digest of the file), a file is cached for good."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not absolute_path.endswith(SERVED):
            raise web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)


def versioned(name: str) -> str:
    """A preview script's address with its digest: a reload takes it from the browser's cache."""
    return f"{FILES}{name}?v={PreviewFiles.get_version({'static_path': str(PREVIEW_FILES)}, name)}"


PLACE_SCRIPT = versioned("place.js")    # keeps the editor's place on the page across reloads
SHOWN_SCRIPT = versioned("shown.js")    # tells the preview which build the page shows


class ReloadScript(LiveReloadJSHandler):
    """livereload.js, the same until livereload is upgraded: a reloaded page takes it from the browser's cache."""

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "max-age=3600")


class ReloadSocket(WebSocketHandler):
    """livereload.js's connection, from the preview's own pages only: it says hello, we answer, and tell it to
    reload after each build. A message that is not the protocol's JSON closes the connection."""

    def initialize(self, preview: Preview, listening: Listening) -> None:
        self.preview, self.listening = preview, listening
        self.told = 0       # the last build this page was told to reload for

    def check_origin(self, origin: str) -> bool:
        return self.listening.accepts_origin(origin, self.request.headers.get("Host", ""))

    def on_message(self, message: str | bytes) -> None:
        data = message_of(message)
        if data is None:
            self.close(1003 if isinstance(message, bytes) else 1007, "not a livereload message")
        elif data["command"] == "hello":
            self.write_message(HELLO)
        elif data["command"] == "info":     # the handshake is over: this page is reloaded after each build
            self.preview.pages.add(self)
            shown = shown_build(data)
            if shown is not None and shown < self.preview.build:   # a build ended before we listened
                self.reload(self.preview.build)

    def reload(self, build: int) -> None:
        if self.told < build:
            self.told = build
            try:
                self.write_message(RELOAD)
            except WebSocketClosedError:
                self.preview.pages.discard(self)

    def on_close(self) -> None:
        self.preview.pages.discard(self)


class InjectPreview(web.OutputTransform):
    """In every HTML answer, livereload's client and place.js as scripts from the preview (its policy allows no
    inline script); in a page SiteHandler marked broken, the errors at the start of its body."""

    def __init__(self, request, preview: Preview):
        super().__init__(request)
        self.request, self.preview = request, preview

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if "text/html" not in headers.get("Content-Type", ""):
            return status_code, headers, chunk
        host, port = split_host_and_port(self.request.host)     # a Host the application has accepted
        script = (f'<script src="{html.escape(PLACE_SCRIPT)}" defer></script>'
                  f'<script src="/livereload.js?host={html.escape(host)}&amp;port={port or 80}"></script>'
                  f'<script src="{html.escape(SHOWN_SCRIPT)}" data-build="{self.preview.build}"></script>').encode()
        over = self.preview.overlay if BUILD_HEADER in headers else b""
        if self.request.method == "HEAD":   # no body here: the length GET's body has
            added = len(script) + len(over)
        else:
            before = len(chunk)
            chunk = chunk.replace(b"</head>", script + b"</head>", 1)
            body = re.search(rb"<body\b[^>]*>", chunk) if over else None
            if body:
                chunk = chunk[:body.end()] + over + chunk[body.end():]
            added = len(chunk) - before
        if "Content-Length" in headers:
            headers["Content-Length"] = str(int(headers["Content-Length"]) + added)
        return status_code, headers, chunk


def shown_build(data: dict) -> int | None:
    """The build a page says it shows, in livereload's info message (shown.js, as a plugin's data)."""
    plugins = data.get("plugins")
    mine = plugins.get("sitegen-shown-build") if isinstance(plugins, dict) else None
    build = mine.get("build") if isinstance(mine, dict) else None
    return build if isinstance(build, int) and not isinstance(build, bool) else None


def message_of(message: str | bytes) -> dict | None:
    """A livereload message ({"command": "hello", ...}) as its JSON object; None for anything else."""
    if isinstance(message, bytes):
        return None
    try:
        data = json.loads(message)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("command"), str) else None


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


def say(line: str) -> None:
    print(terminal(line), flush=True)
