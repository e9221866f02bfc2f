"""Stage 4, render: the list of pages the site has, each rendered through its Jinja template to bytes, with the
record of what it read (deps.py)."""
from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Callable

import jinja2
from markupsafe import Markup

from .deps import Digests, Kept, Recorder, RecordingEnvironment, TrackedList, TrackedMap
from .fragments import ByIdentity, Fragments, FragmentStore
from .model import Error, Site, Topic
from .i18n import MissingMessage, install_catalog
from .parallel import Turns, can_fork, in_two, start_forked
from .references import ListTemplate, MarkerTemplate, References
from .search import FOLD, SEARCH_PAGE
from .sourcetext import source_paragraphs
from .tables import ordered_topics, site_tables
from .text import Formatter, isolate_latin
from .workbench import cite_data, uncited
from .urls import PATTERNS, base_path, from_root, path_of, relative_url, timeline_path

FIXED_PATHS = {kind: p for kind, p in PATTERNS.items() if "{" not in p}   # pages with one address
REFERENCES = "<\x00references>"   # where the page's reference list goes, once its markers are all numbered


@dataclass
class OutPage:
    """One page to render: where it goes, which template, and what the template is given."""
    path: str                           # output path, e.g. "topics/flights/index.html"
    template: str
    title: str = ""                     # a page about one thing has its name; others name themselves in their
    description: str = ""               # template (blocks page_title and description of base.html)
    context: dict = field(default_factory=dict)
    in_sitemap: bool = True


@dataclass
class Rendered:
    html: bytes | None                  # None: handed to the renderer's sink (written already)
    reads: frozenset                    # the keys the page read (deps.py)
    references: tuple | None = None     # its reference list: (key, record, start, end in html), fragments.py


class Context(jinja2.runtime.Context):
    """Jinja's template context, calling a plain function, method or macro straight away: Jinja's own `call`
    first looks on the callable for pass_context and the like (hasattr twice, each failing with an exception
    inside, ~1 µs), and the templates make ~10,000 calls a site. Anything else takes Jinja's way."""

    @jinja2.utils.internalcode
    def call(__self, __obj, *args, **kwargs):
        kind = __obj.__class__
        if kind in _PLAIN and "jinja_pass_arg" not in (__obj.__func__ if kind is MethodType else __obj).__dict__ \
                or kind in _PLAIN_BUILTIN:
            kwargs.pop("_block_vars", None)     # what Jinja adds for a callable taking the context
            kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined("value was undefined because a callable raised a "
                                                    "StopIteration exception")
        return super().call(__obj, *args, **kwargs)


_PLAIN = (FunctionType, MethodType)
_PLAIN_BUILTIN = (BuiltinFunctionType, jinja2.runtime.Macro)


class CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's compiler, writing each autoescaped {{ value }} so that a value already Markup is output as it is:
    escape() would only copy it (a new Markup), ~750,000 times in a 10,000-fact build. The same output. (`_v`
    cannot be a template's variable: Jinja names those l_N_name.)"""

    def _as_is(self, frame, finalize) -> bool:
        return frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None

    def _output_child_pre(self, node, frame, finalize):
        if self._as_is(frame, finalize):
            self.write("(_v if (_v := ")
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node, frame, finalize):
        if self._as_is(frame, finalize):
            self.write(").__class__ is Markup else escape(_v))")
        else:
            super()._output_child_post(node, frame, finalize)


def make_env(templates: Path, recording: bool = True) -> jinja2.Environment:
    """The templates' environment; `recording` (the preview's) notes every `a.b` and `a[b]` a template reads
    (deps.py), which a one-off build, keeping nothing for a next one, does not pay for."""
    env = (RecordingEnvironment if recording else jinja2.Environment)(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        # compiled templates are kept between runs (keyed by each template's source), so a cold build
        # does not pay for compiling them again; apart from Jinja's own, since CodeGenerator compiles otherwise
        bytecode_cache=jinja2.FileSystemBytecodeCache(pattern="__sitegen_jinja2_%s.cache"))
    env.context_class = Context
    env.code_generator_class = CodeGenerator
    env.filters["bidi"] = isolate_latin
    env.catalog = install_catalog(env, templates)   # also what Formatter writes dates and letters with
    return env


def plan_pages(site: Site, preview: bool = False) -> list[OutPage]:
    """Every page of the site, in a fixed order; the preview has one more, the sentences no quote touches yet."""
    c = site.config
    pages = [OutPage(path_of("home"), "home.html", c.title, c.description)]
    for topic in ordered_topics(site):
        for pager, facts in topic_parts(topic):
            pages.append(OutPage(pager.path, "topic.html", topic.title, _plain(topic.summary),
                                 {"topic": topic, "pager": pager, "facts": facts}))
    for pager, years in timeline_parts(site):
        pages.append(OutPage(pager.path, "timeline.html", context={"pager": pager, "years": years}))
    pages.append(OutPage(path_of("disagreements"), "disagreements.html"))
    pages.append(OutPage(path_of("issues"), "issues.html"))
    pages.append(OutPage(path_of("entities"), "entities.html"))
    for entity in site.entities():
        pages.append(OutPage(entity.path, "entity.html", entity.name, context={"entity": entity}))
    pages.append(OutPage(path_of("sources"), "sources.html"))
    for source in site.sources:
        pages.append(OutPage(source.path, "source.html", source.headline or source.name, context={"source": source}))
    fold = json.dumps(FOLD, ensure_ascii=False, sort_keys=True)
    pages.append(OutPage(SEARCH_PAGE, "search.html", context={"fold": fold}, in_sitemap=False))
    for page in site.pages:
        pages.append(OutPage(page.path, "page.html", page.title, page.description, {"prose": page}))
    if preview:
        pages.append(OutPage(path_of("uncited"), "uncited.html", in_sitemap=False))
    pages.append(OutPage(path_of("not_found"), "404.html", in_sitemap=False))
    return pages


@dataclass
class Pager:
    """One page of a list split into pages (a long topic, the timeline): its number and every page's path. A page
    is given its pager and what it shows, which its record holds (reuse.page_digest): a page whose part of the
    list, number or count of pages changed is rendered again."""
    number: int                 # 1-based
    paths: list[str]            # the output path of each page, in order
    first: int                  # the places in the list of the page's first and last items, 1-based
    last: int

    @property
    def count(self) -> int:
        return len(self.paths)

    @property
    def path(self) -> str:
        return self.paths[self.number - 1]

    @property
    def previous(self) -> str:
        return self.paths[self.number - 2] if self.number > 1 else ""

    @property
    def next(self) -> str:
        return self.paths[self.number] if self.number < self.count else ""

    @property
    def shown(self) -> list[tuple[int | None, str]]:
        """What the pager lists: page numbers, and None where it skips pages; each with the screens that show it,
        "all", "wide" or "narrow". A wide screen shows the first, the last and two either side of this page, a
        phone's one either side (a single page skipped is shown instead), so that the links fit on one line."""
        wide, narrow = self._near(2), set(self._near(1))
        out: list[tuple[int | None, str]] = []
        before = before_narrow = 0
        gap = False     # a skip both show, since the last number a phone shows
        for n in wide:
            if n - before > 1:
                out.append((None, "all"))
                gap = True
            if n in narrow:
                if n - before_narrow > 1 and not gap:
                    out.append((None, "narrow"))
                out.append((n, "all"))
                before_narrow, gap = n, False
            else:
                out.append((n, "wide"))
            before = n
        return out

    def _near(self, radius: int) -> list[int]:
        near = sorted({1, self.count} | {n for n in range(self.number - radius, self.number + radius + 1)
                                         if 1 <= n <= self.count})
        return sorted(set(near) | {a + 1 for a, b in zip(near, near[1:]) if b - a == 2})


def topic_parts(topic: Topic) -> list[tuple[Pager, list]]:
    """A topic's pages: each with its facts, those whose `page` is its number (load.py numbers them)."""
    paths = [topic.page_path(n) for n in range(1, topic.page_count + 1)]
    by_page: list[list] = [[] for _ in paths]
    for fact in topic.facts:
        by_page[fact.page - 1].append(fact)
    parts, first = [], 1
    for number, facts in enumerate(by_page, 1):
        parts.append((Pager(number, paths, first, first + len(facts) - 1), facts))
        first += len(facts)
    return parts


def timeline(site: Site) -> list:
    """Every dated fact, by date; facts of the same date in the order of the topics."""
    in_nav_order = [f for t in ordered_topics(site) for f in t.facts]
    return sorted((f for f in in_nav_order if f.date), key=lambda f: timeline_key(f.date.value))


def timeline_parts(site: Site) -> list[tuple[Pager, list[tuple[str, list]]]]:
    """The timeline's pages: each with its facts by year."""
    facts, size = timeline(site), site.config.timeline_page_size
    chunks = [facts[i:i + size] for i in range(0, len(facts), size)] or [[]]
    paths = [timeline_path(n) for n in range(1, len(chunks) + 1)]
    parts = []
    for number, chunk in enumerate(chunks, 1):
        years: list[tuple[str, list]] = []
        for fact in chunk:
            if not years or years[-1][0] != fact.date.value[:4]:
                years.append((fact.date.value[:4], []))
            years[-1][1].append(fact)
        first = (number - 1) * size + 1
        parts.append((Pager(number, paths, first, first + len(chunk) - 1), years))
    return parts


def timeline_key(value: str) -> str:
    """A year or month alone sorts after the dated days within it: "2025" means "some time in 2025"."""
    return value + "-99" * (2 - value.count("-"))


def _plain(markdown_text: str) -> str:
    return " ".join(markdown_text.replace("*", "").replace("_", "").split())


class Lookups:
    """Indexes over the site that many pages need, built once per render; each notes what a page reads of it."""

    def __init__(self, site: Site, fmt: Formatter, recorder: Recorder, tables: dict | None = None):
        self.site = site
        self.fmt = fmt
        self.tables = tables if tables is not None else site_tables(site)
        for name, table in self.tables.items():   # a table of objects by id is read as the objects themselves
            tracked = (TrackedMap(name, table, recorder, BY_ID.get(name)) if isinstance(table, dict)
                       else TrackedList(name, table, recorder))
            setattr(self, name, tracked)


BY_ID = {"sources": "source", "entities": "entity"}


class Renderer:
    """Renders the pages of one site, each with the record of what it read."""

    PARALLEL_FROM_FACTS = 2000   # below this, forking a second renderer costs more than it saves

    def __init__(self, site: Site, env: jinja2.Environment, assets: dict[str, str], preview: bool,
                 store: FragmentStore | None = None, kept: Kept | None = None, record: bool = True,
                 tables: dict | None = None, sink: Callable[[str, bytes], bool] | None = None):
        self.site, self.env, self.assets, self.preview = site, env, assets, preview
        self.sink = sink        # takes each page as it is rendered (write.Staged.put): then not held in memory
        self.recorder = Recorder()
        env.recorder = self.recorder
        self.look = Lookups(site, Formatter(site.config.digits, env.catalog), self.recorder, tables)
        self.digests = Digests(site, self.look.tables, kept)
        self.shared = shared_context(site, self.look, preview, self.recorder)
        self.record = record    # a one-off build keeps nothing for a next one: it notes no reads
        if record:  # what the templates are worth, for the keys pages and fragments read of them
            self.digests.templates = env.sources
        self.made = Fragments(env, self.shared, store if store is not None else FragmentStore(), self.recorder,
                              self.digests if record else ByIdentity())
        if record:  # and the fragments' output, for the keys pages read of them
            self.digests.outputs = {"fact-html": self.made.fact_output, "topic-line": self.made.topic_output}
        self.markers = MarkerTemplate(env)
        self.lists = ListTemplate(env)

    def render(self, todo: list[OutPage], parallel: bool | None = None) -> tuple[dict[str, Rendered], list[Error]]:
        """Render these pages; a template error stops at the first page that has one. A large site (or any, with
        parallel=True) is rendered by two processes (fragments_first: the facts), each taking the next page as it
        finishes one, the largest first, so that both end together."""
        if parallel is None:  # a few pages after an edit are not worth a second process
            parallel = len(todo) > 20 and len(self.site.facts()) >= self.PARALLEL_FROM_FACTS
        if not parallel or len(todo) < 2 or not can_fork():
            return self.render_all(todo)
        error = self.fragments_first(parallel=True)
        if error:
            return {}, [error]
        order = sorted(todo, key=lambda page: page_cost(page, self.look), reverse=True)
        turns = Turns(len(order))
        try:
            other = start_forked(lambda pages: self.render_all(pages, turns), order)
            out, errors = self.render_all(order, turns)
            done = other()
        finally:
            turns.close()
        theirs_out, theirs_errors = done if done is not None else ({}, [])
        out.update(theirs_out)
        if done is None and not errors:    # the forked renderer died: what it took is rendered here
            more, errors = self.render_all([page for page in order if page.path not in out])
            out.update(more)
        return {page.path: out[page.path] for page in todo if page.path in out}, sorted(set(errors + theirs_errors))

    def render_all(self, pages: list[OutPage], turns: Turns | None = None) -> tuple[dict[str, Rendered], list[Error]]:
        """These pages, or those of them `turns` gives this process."""
        out = {}
        for number in iter(turns.take, None) if turns is not None else range(len(pages)):
            page = pages[number]
            try:
                out[page.path] = self.render_page(page)
            except Exception as exc:  # a template error, reported with its template file and line
                return out, [template_error(exc, self.env)]
        return out, []

    def fragments_first(self, parallel: bool | None = None) -> Error | None:
        """The facts' fragments not kept from an earlier build, rendered before any page is checked or rendered:
        when there are many (or `parallel`), half by a forked process, handed back; a template error if any.
        A few are left to be rendered where they are needed."""
        facts = self.made.stale(self.site.facts())
        if parallel is None:
            parallel = len(facts) >= self.PARALLEL_FROM_FACTS
        if not parallel or len(facts) < 2 or not can_fork():
            return None

        def portable(some: list) -> list:
            try:
                return [self.made.fact_entry(f) for f in some]
            except Exception as exc:
                return [template_error(exc, self.env)]

        results = in_two(portable, facts)
        error = next((r for r in results if isinstance(r, Error)), None)
        if error is None:
            for fact, entry in zip(facts, results):
                self.made.adopt(fact, entry)
        return error

    def render_page(self, page: OutPage) -> Rendered:
        if self.record:
            self.recorder.start()
        try:
            context = self.page_context(page)
            html = self.env.get_template(page.template).render(context)
            head, token, tail = html.partition(REFERENCES)
            if token and self.record:  # the list comes last, so every marker of the page is numbered by now
                listed, key, record = self.made.reference_list(context["refs"], page.path,
                                                                lambda: self.reference_list(context))
            elif token:
                listed = self.reference_list(context).encode("utf-8")
        finally:
            reads = self.recorder.stop() if self.record else frozenset()
        if not token:
            data, kept = html.encode("utf-8"), None
        else:
            start = head.encode("utf-8")
            kept = (key, record, len(start), len(start) + len(listed)) if self.record else None
            data = b"".join((start, listed, tail.encode("utf-8")))
        if self.sink is not None and self.sink(page.path, data):   # written, in this process or a forked one
            data = None
        return Rendered(data, reads, kept)

    def page_context(self, page: OutPage) -> dict:
        look, recorder = self.look, self.recorder
        refs = References(page.path, look, look.fmt, note=self.made.note_text,
                          markers=self.markers)

        def url(target) -> str:
            if not isinstance(target, str):
                recorder.read(target, "path")
                target = target.path
            if page.path == "404.html":  # served at any depth, so links start from the site's root path
                return from_root(base_path(self.site.config.base_url), target)
            return relative_url(page.path, target)

        context = dict(
            self.shared, page=page, refs=refs, url=url, asset=lambda name: url(asset_path(self.assets, name)),
            canonical=self.shared["absolute"](page.path), cite=refs.marker_html,
            fact=lambda f, show_topic=False: self.made.fact_html(f, refs, page.path, show_topic),
            references=lambda: Markup(REFERENCES),
            quotes=lambda ref: self.made.quotes_html(ref, page.path),
            cited_source=lambda source: self.made.source_html(source, page.path),
            preview=self.preview,
            paragraphs=lambda source: source_paragraphs(source, look, url, recorder, self.preview),
            cite_data=lambda source: cite_data(source, look, url, recorder),
            uncited=lambda source: uncited(source, look, recorder),
            supporters=lambda source: look.citers.get(source.id, []),
        )
        context.update(page.context)
        return context

    def reference_list(self, context: dict) -> str:
        def macro() -> str:
            return str(self.env.get_template("partials/footnotes.html").make_module(context).footnotes())
        return self.lists.render(context, macro)


def page_cost(page: OutPage, look: Lookups) -> int:
    """About what a page costs to render: the facts and citations it shows."""
    c, tables = page.context, look.tables
    if "facts" in c:
        return len(c["facts"])
    if "entity" in c:
        ident = c["entity"].id
        return len(tables["facts_by_entity"].get(ident, ())) + len(tables["facts_by_speaker"].get(ident, ())) + 1
    if "source" in c:
        return len(tables["citing"].get(c["source"].id, ())) + 1
    if "years" in c:
        return sum(len(facts) for _, facts in c["years"])
    return {"disagreements.html": len(tables["disputed"])}.get(page.template, 1)


def shared_context(site: Site, look: Lookups, preview: bool, recorder: Recorder) -> dict:
    """What every template sees, whatever the page (fragments are rendered with this too)."""
    fmt = look.fmt

    def absolute(target) -> str:  # for canonical links and printed citations
        if not isinstance(target, str):
            recorder.read(target, "path")
            target = target.path
        return from_root(site.config.base_url.rstrip("/") + "/", target)

    return dict(site=site, config=site.config, look=look, fmt=fmt, topics=look.ordered_topics, absolute=absolute,
                md=fmt.markdown, md_inline=fmt.markdown_inline, digits=fmt.digits, date=fmt.date,
                timeline_path=timeline_path, paths=FIXED_PATHS, csp=content_security_policy(preview),
                search_csp=content_security_policy(preview, search=True))


class MissingAsset(LookupError):
    pass


def asset_path(assets: dict[str, str], name: str) -> str:
    if name not in assets:
        raise MissingAsset(f"static file 'static/{name}' not found")
    return assets[name]


def content_security_policy(preview: bool, search: bool = False) -> str:
    """No script on the published site but the search page's own files: Pagefind's script, its WebAssembly and
    the index it fetches. The preview's pages also run the preview's own scripts (livereload.js), loaded from the
    preview and never inline, which connect to the preview alone ('self' includes ws: to the same host and port)."""
    script = ["'self'"] if preview or search else ["'none'"]
    script += ["'wasm-unsafe-eval'"] if search else []
    connect = "'self'" if preview or search else "'none'"
    return (f"default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; script-src {' '.join(script)}; "
            f"connect-src {connect}; base-uri 'none'; form-action 'none'")


def template_error(exc: Exception, env: jinja2.Environment) -> Error:
    """templates/NAME:LINE: message, from a Jinja exception or the template frame of any other error."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.name:
        return Error(f"templates/{exc.name}", exc.lineno or 0, f"template syntax: {exc.message}")
    templates_dir = Path(env.loader.searchpath[0]).resolve()
    where = ("templates", 0)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename)
        if path.suffix == ".html" and path.resolve().is_relative_to(templates_dir):
            where = (f"templates/{path.resolve().relative_to(templates_dir).as_posix()}", frame.lineno or 0)
            break
    if isinstance(exc, jinja2.TemplateNotFound):
        if where[1] == 0:  # the page's own template is missing
            return Error(f"templates/{exc.name}", 0, "template not found")
        message = f"template '{exc.name}' not found"
    elif isinstance(exc, (MissingAsset, MissingMessage)):
        message = exc.args[0]
    elif isinstance(exc, jinja2.UndefinedError):
        message = f"undefined in template: {exc.message}"
    else:
        message = f"template error: {type(exc).__name__}: {exc}"
    return Error(where[0], where[1], message)
