"""Stage 4, render: the list of pages the site has, each rendered through its Jinja template to bytes."""
from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .model import Error, Site
from .fragments import FragmentCache, Fragments
from .parallel import can_fork, in_two, start_forked
from .references import References
from .search import FOLD, SEARCH_PAGE
from .sourcetext import source_paragraphs, supporters, target_of
from .text import Formatter, isolate_latin
from .urls import base_path, from_root, page_url, relative_url


@dataclass
class OutPage:
    """One page to render: where it goes, which template, and what the template is given."""
    path: str                           # output path, e.g. "topics/flights/index.html"
    template: str
    title: str
    description: str
    context: dict = field(default_factory=dict)
    in_sitemap: bool = True


def make_env(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        # compiled templates are kept between runs (keyed by each template's source), so a cold build
        # does not pay for compiling them again
        bytecode_cache=jinja2.FileSystemBytecodeCache())
    env.filters["bidi"] = isolate_latin
    return env


def plan_pages(site: Site) -> list[OutPage]:
    """Every page of the site, in a fixed order."""
    c = site.config
    pages = [OutPage("index.html", "home.html", c.title, c.description)]
    for topic in ordered_topics(site):
        pages.append(OutPage(f"topics/{topic.id}/index.html", "topic.html", topic.title,
                             _plain(topic.summary), {"topic": topic}))
    parts = timeline_parts(site)
    for part in parts:
        pages.append(OutPage(timeline_path(part.number), "timeline.html",
                             "الخط الزمني" + (f" ({part.number} من {len(parts)})" if len(parts) > 1 else ""),
                             "كل حدث مؤرخ في المقالات، مرتبًا بالتاريخ ومع مصدره.", {"part": part}))
    pages.append(OutPage("disagreements/index.html", "disagreements.html", "كيف تختلف المصادر",
                         "المواضع التي تختلف فيها المقالات في لقب أو تهجئة أو تاريخ أو رواية، جنبًا إلى جنب."))
    pages.append(OutPage("entities/index.html", "entities.html", "الأشخاص والممتلكات والاجتماعات",
                         "كل اسم تذكره المقالات، بتهجئاته وألقابه كما وردت في كل مصدر."))
    for entity in site.entities():
        pages.append(OutPage(f"entities/{entity.id}/index.html", "entity.html", entity.name,
                             f"{entity.name}: التهجئات والألقاب كما وردت في المصادر، والوقائع التي تذكره.",
                             {"entity": entity}))
    pages.append(OutPage("sources/index.html", "sources.html", "المصادر",
                         "المقالات التي تستند إليها كل واقعة في هذا الموقع."))
    for source in site.sources:
        pages.append(OutPage(f"sources/{source.id}/index.html", "source.html", source.headline,
                             f"نص المقال «{source.headline}» مع إبراز كل مقطع يستشهد به الموقع.",
                             {"source": source}))
    pages.append(OutPage(SEARCH_PAGE, "search.html", "البحث", "ابحث في وقائع الموقع وأسمائه ومقالاته بأي تهجئة.",
                         {"fold": json.dumps(FOLD, ensure_ascii=False, sort_keys=True)}, in_sitemap=False))
    for page in site.pages:
        pages.append(OutPage(f"{page.slug}/index.html", "page.html", page.title, page.description, {"prose": page}))
    pages.append(OutPage("404.html", "404.html", "الصفحة غير موجودة", "لا توجد صفحة بهذا العنوان.",
                         in_sitemap=False))
    return pages


TIMELINE_PAGE_SIZE = 500   # facts per timeline page: a phone still opens it, and an edit re-renders one page


@dataclass
class TimelinePart:
    """One page of the timeline: its number (1-based), how many pages there are, and its facts by year."""
    number: int
    count: int
    years: list[tuple[str, list]]


def timeline(site: Site) -> list:
    """Every dated fact, by date; facts of the same date in the order of the topics."""
    in_nav_order = [f for t in ordered_topics(site) for f in t.facts]
    return sorted((f for f in in_nav_order if f.date), key=lambda f: timeline_key(f.date.value))


def timeline_parts(site: Site) -> list[TimelinePart]:
    facts = timeline(site)
    chunks = [facts[i:i + TIMELINE_PAGE_SIZE] for i in range(0, len(facts), TIMELINE_PAGE_SIZE)] or [[]]
    parts = []
    for number, chunk in enumerate(chunks, 1):
        years: list[tuple[str, list]] = []
        for fact in chunk:
            if not years or years[-1][0] != fact.date.value[:4]:
                years.append((fact.date.value[:4], []))
            years[-1][1].append(fact)
        parts.append(TimelinePart(number, len(chunks), years))
    return parts


def timeline_path(number: int) -> str:
    return "timeline/index.html" if number == 1 else f"timeline/{number}/index.html"


def timeline_path_of(index: int) -> str:
    """The timeline page showing the fact at this place (0-based) of timeline()."""
    return timeline_path(index // TIMELINE_PAGE_SIZE + 1)


def ordered_topics(site: Site):
    by_id = {t.id: t for t in site.topics}
    return [by_id[i] for i in site.config.topics if i in by_id]


def _plain(markdown_text: str) -> str:
    return " ".join(markdown_text.replace("*", "").replace("_", "").split())


class Lookups:
    """Indexes over the site that many pages need, built once per render."""

    def __init__(self, site: Site, fmt: Formatter):
        self.site = site
        self.fmt = fmt
        self.sources = {s.id: s for s in site.sources}
        self.entities = {e.id: e for e in site.entities()}
        self.topics = {t.id: t for t in site.topics}
        self.facts = site.facts()
        self.facts_by_entity: dict[str, list] = {}
        for fact in self.facts:
            for ident in fact.entity_ids:
                self.facts_by_entity.setdefault(ident, []).append(fact)
        self.timeline = timeline(site)
        self.disputed = [f for f in self.facts if f.variants]
        self.disputed_by_topic = [(t, [f for f in t.facts if f.variants]) for t in ordered_topics(site)]
        self.disputed_by_topic = [(t, facts) for t, facts in self.disputed_by_topic if facts]
        self.meetings = [e for e in site.entities() if e.kind == "meeting"]
        # source id -> [(fact or entity, its citations of that source)], in site order: one pass, not one per page
        self.citing: dict[str, list] = {}
        for item in self.facts + site.entities():
            by_source: dict[str, list] = {}
            for c in item.all_citations():
                by_source.setdefault(c.source_id, []).append(c)
            for source_id, cites in by_source.items():
                self.citing.setdefault(source_id, []).append((item, cites))
        self.sources_by_meeting: dict[str, list] = {}
        for s in site.sources:
            self.sources_by_meeting.setdefault(s.meeting, []).append(s)


def timeline_key(value: str) -> str:
    """A year or month alone sorts after the dated days within it: "2025" means "some time in 2025"."""
    return value + "-99" * (2 - value.count("-"))


PARALLEL_FROM_FACTS = 2000   # below this, forking a second renderer costs more than it saves


def render(site: Site, env: jinja2.Environment, assets: dict[str, str], preview: bool = False,
           only: set[str] | None = None, parallel: bool | None = None,
           fragments: FragmentCache | None = None) -> tuple[dict[str, bytes], list[Error]]:
    """Render every planned page (or only those whose path is in `only`). Template errors become Errors.
    Facts and quotes are rendered once into `fragments` (kept by the caller to reuse in the next build, when
    they are still valid). A large site (or any, with parallel=True) is rendered by two processes, each taking
    half of the work."""
    look = Lookups(site, Formatter(site.config.digits))
    shared = shared_context(site, look, preview)
    keep = fragments is not None
    made = Fragments(env, shared, fragments if keep else FragmentCache())
    todo = [page for page in plan_pages(site) if only is None or page.path in only]

    def render_all(pages: list[OutPage]) -> tuple[dict[str, bytes], list[Error]]:
        out = {}
        for page in pages:
            try:
                out[page.path] = render_page(page, env, shared, made, assets).encode("utf-8")
            except Exception as exc:  # a template error, reported with its template file and line
                return out, [template_error(exc, env)]
        return out, []

    if parallel is None:  # a few pages after an edit are not worth a second process
        parallel = only is None and len(look.facts) >= PARALLEL_FROM_FACTS
    if not parallel or len(todo) < 2 or not can_fork():
        return render_all(todo)
    # facts first, half each, so that neither process renders a fact the other has rendered
    error = render_fragments_in_two(made, look.facts, env)
    if error:
        return {}, [error]
    mine, theirs = split_work(todo, look)
    other = start_forked(render_all, theirs)
    out, errors = render_all(mine)
    if not keep:  # their memory is freed before the other half of the pages arrives
        made.facts.clear()
        made.quotes.clear()
    done = other()
    theirs_out, theirs_errors = done if done is not None else render_all(theirs)
    out.update(theirs_out)
    return {page.path: out[page.path] for page in todo if page.path in out}, sorted(set(errors + theirs_errors))


def render_fragments_in_two(made: Fragments, facts: list, env: jinja2.Environment) -> Error | None:
    """Every fact's fragments, half rendered by a forked process and handed back; a template error if any."""
    def portable(some: list) -> list:
        try:
            return [made.portable(f) for f in some]
        except Exception as exc:
            return [template_error(exc, env)]

    results = in_two(portable, facts)
    error = next((r for r in results if isinstance(r, Error)), None)
    if error is None:
        for fact, fragments in zip(facts, results):
            made.adopt(fact, fragments)
    return error


def split_work(pages: list[OutPage], look: Lookups) -> tuple[list[OutPage], list[OutPage]]:
    """Two halves of about equal cost, counting each page's cost as the facts and citations it shows."""
    def cost(page: OutPage) -> int:
        c = page.context
        if "topic" in c:
            return len(c["topic"].facts)
        if "entity" in c:
            return len(look.facts_by_entity.get(c["entity"].id, ())) + 1
        if "source" in c:
            return len(look.citing.get(c["source"].id, ())) + 1
        if "part" in c:
            return sum(len(facts) for _, facts in c["part"].years)
        return {"disagreements.html": len(look.disputed)}.get(page.template, 1)

    halves: tuple[list, list] = ([], [])
    load = [0, 0]
    for page in sorted(pages, key=cost, reverse=True):
        side = 0 if load[0] <= load[1] else 1
        halves[side].append(page)
        load[side] += cost(page)
    return halves


def shared_context(site: Site, look: Lookups, preview: bool) -> dict:
    """What every template sees, whatever the page (fragments are rendered with this too)."""
    fmt = look.fmt

    def absolute(target: str) -> str:  # for canonical links and printed citations
        return from_root(site.config.base_url.rstrip("/") + "/", target)

    return dict(site=site, config=site.config, look=look, fmt=fmt, topics=ordered_topics(site), absolute=absolute,
                md=fmt.markdown, md_inline=fmt.markdown_inline, digits=fmt.digits, date=fmt.date,
                supporters=lambda source: supporters(source, look), target_of=target_of,
                csp=content_security_policy(preview), search_csp=content_security_policy(preview, search=True))


def render_page(page: OutPage, env: jinja2.Environment, shared: dict, made: Fragments, assets: dict[str, str]) -> str:
    look = shared["look"]
    refs = References(page.path, look, look.fmt, note=lambda c: made.note_html(c, page.path))

    def url(target: str) -> str:
        if page.path == "404.html":  # served at any depth, so links start from the site's root path
            return from_root(base_path(look.site.config.base_url), target)
        return relative_url(page.path, target)

    context = dict(
        shared, page=page, refs=refs, url=url, asset=lambda name: url(asset_path(assets, name)),
        canonical=shared["absolute"](page.path), cite=refs.marker_html, timeline_path=timeline_path,
        fact=lambda f, show_topic=False: made.fact_html(f, refs, page.path, show_topic),
        backlinks=refs.backlinks_html, quotes=lambda ref: made.quotes_html(ref, page.path),
        cited_source=lambda source: made.source_html(source, page.path),
        paragraphs=lambda source: source_paragraphs(source, look, url),
    )
    context.update(page.context)
    return env.get_template(page.template).render(context)


class MissingAsset(LookupError):
    pass


def asset_path(assets: dict[str, str], name: str) -> str:
    if name not in assets:
        raise MissingAsset(f"static file 'static/{name}' not found")
    return assets[name]


def content_security_policy(preview: bool, search: bool = False) -> str:
    """No script on the published site but the search page's own files: Pagefind's script, its WebAssembly and
    the index it fetches. The preview allows the live-reload script and its socket too."""
    script = ["'self' 'unsafe-inline'"] if preview else ["'self'"] if search else ["'none'"]
    script += ["'wasm-unsafe-eval'"] if search else []
    connect = "'self' ws: wss:" if preview else "'self'" if search else "'none'"
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
    elif isinstance(exc, MissingAsset):
        message = exc.args[0]
    elif isinstance(exc, jinja2.UndefinedError):
        message = f"undefined in template: {exc.message}"
    else:
        message = f"template error: {type(exc).__name__}: {exc}"
    return Error(where[0], where[1], message)
