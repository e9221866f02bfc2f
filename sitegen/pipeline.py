"""The whole generator in one function: load → validate → resolve citations → render → write."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .citations import resolve_citations
from .load import load
from .model import Error, Site
from .search import NoIndex, SiteIndex
from .tables import site_tables
from .validate import validate
from .write import Staged, Written, check_output_dir, check_static, collect_assets, site_files, write

if TYPE_CHECKING:
    from .deps import Kept
    from .fragments import FragmentStore
    from .links import LinkIndex

# The modules of rendering (Jinja, Markdown, the templates' helpers: a third of the imports) are imported by the
# stages that use them, after the search index's process has forked: it needs none of them, and works meanwhile.


@dataclass
class Report:
    errors: list[Error] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    site: Site | None = None
    out_dir: Path | None = None
    pages: int = 0              # HTML pages in the site
    files: int = 0              # files in the output, assets included
    rendered: int = 0           # pages this build rendered: all, or those whose reads changed (reuse.py)
    written: int = 0            # files written, and files kept (linked) from the previous write
    kept: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Output:
    """What render gives write: every file of the site (in memory, or written already: write.Staged), and how
    many pages were rendered to make them."""
    files: dict[str, bytes] | Staged = field(default_factory=dict)
    pages: int = 0
    rendered: int = 0
    errors: list[Error] = field(default_factory=list)


class Stages:
    """Each stage from scratch: what a one-off build runs. reuse.Reuse, the preview's, keeps what it can."""
    keeps = False       # whether rendering notes what each page reads, for a next build

    def load(self, root: Path) -> tuple[Site | None, list[Error]]:
        return load(root)

    def validate(self, site: Site, references: bool) -> list[Error]:
        return validate(site, references)

    def resolve_citations(self, site: Site) -> list[Error]:
        return resolve_citations(site)

    def render(self, site: Site, preview: bool, staged: Staged | None = None) -> Output:
        """Every file of the site; with `staged`, each page goes into its folder as soon as it is rendered."""
        from .facts_json import facts_json
        from .render import Renderer, plan_pages
        from .workbench import FILES as WORKBENCH_FILES

        names, assets = collect_assets(site.root)
        env = self.environment(site, names, preview)
        renderer = Renderer(site, env, names, preview, self.fragments(), self.fact_digests(), self.keeps,
                            self.lookup_tables(site), sink=staged.put if staged is not None else None)
        data = facts_json(site, self.topic_lines())   # first: its memory is freed before the pages'
        planned = plan_pages(site, preview)
        error = renderer.fragments_first()     # a page can be reused only once the fragments it shows are known
        if error:
            return Output(errors=[error])
        reused = self.reusable(planned, renderer.digests)
        rendered, errors = renderer.render([p for p in planned if p.path not in reused])
        if errors:
            return Output(errors=errors)
        self.remember(planned, rendered, renderer.digests)
        pages = {p.path: reused[p.path] if p.path in reused else rendered[p.path].html for p in planned}
        files = site_files(site, planned, pages, assets, data, staged)
        files.update(WORKBENCH_FILES if preview else {})
        return Output(files, len(planned), len(rendered))

    def check_links(self, files: dict[str, bytes], site: Site) -> list[Error]:
        """Every internal link and #anchor of the site leads to a file and an id it has (links.py)."""
        return self.links().check(files, site)

    def links(self) -> LinkIndex:
        from .links import LinkIndex
        return LinkIndex()

    def index(self, site: Site, preview: bool, write_output: bool) -> SiteIndex | NoIndex:
        """The search index, started as soon as the site is loaded (it reads nothing later stages make) to run
        beside them (search.SiteIndex); the preview's server makes its own beside the build (serve.py), and a
        build that writes nothing needs none."""
        return SiteIndex(site) if write_output and not preview else NoIndex()

    def staged(self, out: Path, write_output: bool):
        """Where a one-off build's files go as they are made: a new folder beside `out` (write.Staged), swapped in
        by write; none when nothing is written (`check`), or when the pages are kept for a next build (Reuse)."""
        staged = Staged.beside(out) if write_output and not self.keeps else None
        return staged if staged is not None else contextlib.nullcontext()

    def write(self, files: dict[str, bytes] | Staged, out: Path):
        return write(files, out)

    # What Reuse overrides: where rendering can start from something an earlier build made.
    def environment(self, site: Site, assets: dict[str, str], preview: bool):
        from .render import make_env
        return make_env(site.root / "templates", recording=self.keeps)

    def fragments(self) -> FragmentStore:
        from .fragments import FragmentStore
        return FragmentStore()

    def fact_digests(self) -> Kept | None:
        return None

    def lookup_tables(self, site: Site) -> dict:
        return site_tables(site)

    def topic_lines(self):
        """How facts.json gets a topic's lines: made each time, or kept by the preview (reuse.py)."""
        from .facts_json import topic_lines
        return topic_lines

    def reusable(self, planned: list, digests) -> dict[str, bytes]:
        return {}

    def remember(self, planned: list, rendered: dict, digests) -> None:
        pass


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
def build(root: Path, out: Path | None = None, base_url: str | None = None, *, write_output: bool = True,
          preview: bool = False, stages: Stages | None = None) -> Report:
    """Build the site of the project in `root` into `out` (default: output_dir of site.yaml, which must stay
    inside the project), for `base_url` (default: site.yaml's). Nothing is written unless every stage succeeds.
    `stages` runs each stage: a fresh Stages, or the preview's Reuse, which takes what it can from earlier builds."""
    started, stages = time.perf_counter(), stages or Stages()
    report = Report()
    site, errors = stages.load(Path(root).resolve())
    if site is None:
        return finished(report, errors, started)
    site = report.site = with_base_url(site, base_url)
    loaded = not errors     # a file that did not load makes references to it look wrong: they wait until it does
    with stages.index(site, preview, write_output) as index:   # Pagefind indexes what load() made, from now on
        errors += stages.validate(site, references=loaded) + check_static(site.root)
        if not loaded:
            return finished(report, errors, started)
        errors += stages.resolve_citations(site)
        out, setting = output_folder(site, out)
        errors += check_output_dir(site.root, out, setting) if write_output else []
        if errors:
            return finished(report, errors, started)
        with stages.staged(out, write_output) as staged:    # pages go to disk as they render, swapped in by write
            index.write_into(staged)     # and the index's files as Pagefind makes them
            output = stages.render(site, preview, staged)
            report.pages, report.rendered, report.files = output.pages, output.rendered, len(output.files)
            errors = output.errors or stages.check_links(output.files, site)
            if write_output and not errors:
                errors = index.add_to(output.files)
                done, errors = (Written(), errors) if errors else stages.write(output.files, out)
                report.out_dir, report.written, report.kept, report.warnings = (out, done.written, done.kept,
                                                                                done.warnings)
    return finished(report, errors, started)


def finished(report: Report, errors: list[Error], started: float) -> Report:
    report.errors, report.seconds = sorted(set(errors)), time.perf_counter() - started
    return report


def with_base_url(site: Site, base_url: str | None) -> Site:
    """The site as built for another address, leaving the loaded one as it was."""
    if not base_url:
        return site
    return dataclasses.replace(site, config=dataclasses.replace(site.config, base_url=base_url))


def output_folder(site: Site, out: Path | None) -> tuple[Path, object]:
    """The output folder, and where site.yaml chose it (None when the caller did: it may then lie anywhere)."""
    setting = None if out is not None else site.config.at("output_dir")
    out = Path(out) if out is not None else site.root / site.config.output_dir
    return (out if out.is_absolute() else Path.cwd() / out).resolve(), setting
