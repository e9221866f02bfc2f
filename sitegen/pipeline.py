"""The whole generator in one function: load → validate → resolve citations → render → write."""
from __future__ import annotations

import functools
import gc
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .citations import resolve_citations
from .facts_json import fact_records, facts_json
from .fragments import FragmentCache
from .links import LinkIndex
from .load import load
from .model import Error, Site
from .render import make_env, page_url, plan_pages, render, timeline, timeline_path_of
from .validate import validate
from .write import check_output_dir, check_static, collect_assets, count_written, robots, sitemap, write


@dataclass
class RenderCache:
    """What a build rendered and from what, so that build(previous=that report) re-renders only what changed."""
    site: Site
    inputs: tuple               # (digest of templates/, asset names, preview): any change re-renders every page
    env: jinja2.Environment
    pages: dict[str, bytes]
    files: dict[str, bytes]     # everything written, to link what did not change instead of writing it again
    out: Path
    fragments: FragmentCache    # rendered facts and quotes: valid as long as only facts change
    records: dict               # each fact's line of facts.json: valid as long as no article changes
    links: LinkIndex            # what each written file links to, read again only when its bytes change


@dataclass
class Report:
    errors: list[Error] = field(default_factory=list)
    pages: int = 0              # HTML pages in the site
    files: int = 0              # files in the output, assets included
    out_dir: Path | None = None
    seconds: float = 0.0
    site: Site | None = None
    rendered: int = 0           # HTML pages this build rendered: all, or those a change affected
    written: int = 0            # files written (or, by `check`, that would be): all, or those that changed
    cache: RenderCache | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def collector_paused(fn):
    """Python's cycle collector walks every live object each time it runs; a large site is millions of objects
    that live until the build ends, and a build makes few cycles: so it runs after the build, not during it."""
    @functools.wraps(fn)
    def paused(*args, **kwargs):
        was_on = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_on:
                gc.enable()
    return paused


@collector_paused
def build(root: Path, out_dir: Path | None = None, base_url: str | None = None, *, write_output: bool = True,
          preview: bool = False, env: jinja2.Environment | None = None, explicit_out: bool = False,
          previous: Report | None = None) -> Report:
    """Build the site of the project in `root`. Nothing is written unless every stage succeeds.

    With `previous`, an earlier report of the same project, pages no change can affect are reused from it."""
    started = time.perf_counter()
    root = Path(root).resolve()
    report = Report()

    def done(errors: list[Error]) -> Report:
        report.errors = sorted(set(errors))
        report.seconds = time.perf_counter() - started
        return report

    site, errors = load(root, previous.cache.site if previous and previous.cache else None)
    if site is None:
        return done(errors)
    if base_url:
        site.config.base_url = base_url
    report.site = site
    loaded = not errors  # a file that did not load would make every reference to it look wrong too: those wait
    errors += validate(site, references=loaded) + check_static(root)
    if not loaded:
        return done(errors)
    # topics reused from the previous build keep their resolved quotes, as long as no article changed
    same_articles = bool(previous and previous.cache and previous.cache.site.sources == site.sources)
    errors += resolve_citations(site, only_unresolved=same_articles)
    out = Path(out_dir) if out_dir else root / site.config.output_dir
    out = out if out.is_absolute() else Path.cwd() / out
    report.out_dir = out.resolve()
    if write_output:
        errors += check_output_dir(root, out, None if explicit_out else site.config.at("output_dir"))
    if errors:
        return done(errors)

    asset_names, asset_files = collect_assets(root)
    inputs = (digest(root / "templates"), asset_names, preview)
    own_env = env is None   # a caller's own environment may read other templates: then nothing is reused
    cache = previous.cache if own_env and previous and previous.cache and previous.cache.inputs == inputs else None
    env = env or (cache.env if cache else make_env(root / "templates"))
    only = affected_pages(cache.site, site) if cache else None
    records = fact_records(site, previous.cache.records if same_articles and previous.cache else {})
    data_json = facts_json(site, records)  # before the pages: its working memory is freed before theirs is taken
    # what is kept for the next build, the preview's; a one-off build frees it as soon as it can
    keep = preview and own_env
    records = records if keep else {}
    # fragments of the facts an edit did not touch are still right when only facts changed (see affected_pages)
    fragments = (cache.fragments if cache and only is not None else FragmentCache()) if keep else None
    pages, errors = render(site, env, asset_names, preview=preview, only=only, fragments=fragments)
    if errors:
        return done(errors)
    report.rendered = len(pages)
    planned = plan_pages(site)
    if only is not None:  # the rest from the previous build (a timeline page may have come or gone)
        pages = {p.path: pages[p.path] if p.path in pages else cache.pages[p.path] for p in planned}
    files = dict(pages)
    files.update(asset_files)
    files["data/facts.json"] = data_json
    files["sitemap.xml"] = sitemap(site.config.base_url, [page_url(p.path) for p in planned if p.in_sitemap])
    files["robots.txt"] = robots(site.config.base_url)
    report.pages, report.files = len(pages), len(files)
    links = cache.links if cache and keep else LinkIndex(keep)
    errors += links.check(files, site)
    if errors:
        return done(errors)
    if own_env:
        if fragments is not None:
            fragments.forget_except(site.facts())
        report.cache = RenderCache(site, inputs, env, pages, files, out, fragments or FragmentCache(), records, links)
    report.written = count_written(files, cache.files if cache and cache.out == out else None)
    if write_output:
        errors += write(files, out, written=cache.files if cache and cache.out == out else None)
    return done(errors)


def affected_pages(old: Site, new: Site) -> set[str] | None:
    """The output paths whose HTML a change from `old` to `new` may alter, or None for every page.

    Narrowed in one cheap, safe case: when only facts of topic files change (added, removed or edited, with
    titles, entities and the order of the other facts kept), only pages that show a changed fact are rendered
    again: its topic, the sources it cites, the entities it names, the timeline if it has a date, the
    disagreements if it has variants, and the small index pages. Every other change, and any page type added
    later, renders every page."""
    if (old.root, old.config, old.sources, old.pages) != (new.root, new.config, new.sources, new.pages):
        return None
    before = {t.id: t for t in old.topics}
    if before.keys() != {t.id for t in new.topics}:
        return None
    changed = [(before[t.id], t) for t in new.topics if before[t.id] != t]
    facts = []
    for a, b in changed:
        old_facts, new_facts = {f.id: f for f in a.facts}, {f.id: f for f in b.facts}
        kept_in_order = [i for i in old_facts if i in new_facts] == [i for i in new_facts if i in old_facts]
        if (a.title, a.entities) != (b.title, b.entities) or not kept_in_order:
            return None
        facts += [f for f in a.facts if new_facts.get(f.id) != f] + [f for f in b.facts if old_facts.get(f.id) != f]
    touched = {f"topics/{b.id}/index.html" for _, b in changed}
    touched |= {f"sources/{c.source_id}/index.html" for f in facts for c in f.all_citations()}
    touched |= {f"entities/{ident}/index.html" for f in facts for ident in f.entity_ids}
    planned = plan_pages(new)
    touched |= timeline_pages_showing({f.id for f in facts if f.date}, old, new, planned)
    if any(f.variants for f in facts):
        touched.add("disagreements/index.html")
    shows_facts = ({f"topics/{t.id}/index.html" for t in new.topics} | {f"{p.slug}/index.html" for p in new.pages}
                   | {f"sources/{s.id}/index.html" for s in new.sources}
                   | {f"entities/{e.id}/index.html" for e in new.entities()}
                   | {p.path for p in planned if p.template == "timeline.html"} | {"disagreements/index.html"})
    return {page.path for page in planned} - (shows_facts - touched)


def timeline_pages_showing(changed: set[str], old: Site, new: Site, planned: list) -> set[str]:
    """The timeline pages a change of these dated facts alters: the pages holding them while the timeline keeps
    its order; every page from the one where the order first differs; every page if their number changes (each
    page's title and pager count them)."""
    if not changed:
        return set()
    before, after = [f.id for f in timeline(old)], [f.id for f in timeline(new)]
    pages = [p.path for p in planned if p.template == "timeline.html"]    # in order: page 1, 2, ...
    if before == after:
        return {timeline_path_of(i) for i, ident in enumerate(after) if ident in changed}
    if timeline_path_of(max(len(before) - 1, 0)) != pages[-1]:
        return set(pages)
    first = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
    return set(pages[pages.index(timeline_path_of(first)):])


def digest(folder: Path) -> str:
    """A hash of every file under `folder`, names and contents."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
