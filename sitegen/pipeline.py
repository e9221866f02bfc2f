"""The whole generator in one function: load → validate → resolve citations → render → write."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .citations import resolve_citations
from .facts_json import facts_json
from .load import load
from .model import Error, Site
from .render import make_env, page_url, plan_pages, render
from .validate import validate
from .write import check_output_dir, collect_assets, robots, sitemap, write


@dataclass
class Report:
    errors: list[Error] = field(default_factory=list)
    pages: int = 0              # HTML pages rendered
    files: int = 0              # files in the output, assets included
    out_dir: Path | None = None
    seconds: float = 0.0
    site: Site | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def build(root: Path, out_dir: Path | None = None, base_url: str | None = None, *, write_output: bool = True,
          preview: bool = False, env: jinja2.Environment | None = None, explicit_out: bool = False) -> Report:
    """Build the site of the project in `root`. Nothing is written unless every stage succeeds."""
    started = time.perf_counter()
    root = Path(root).resolve()
    report = Report()

    def done(errors: list[Error]) -> Report:
        report.errors = sorted(set(errors))
        report.seconds = time.perf_counter() - started
        return report

    site, errors = load(root)
    if site is None:
        return done(errors)
    if base_url:
        site.config.base_url = base_url
    report.site = site
    errors += validate(site)
    errors += resolve_citations(site)
    out = Path(out_dir) if out_dir else root / site.config.output_dir
    out = out if out.is_absolute() else Path.cwd() / out
    report.out_dir = out.resolve()
    if write_output:
        errors += check_output_dir(root, out, None if explicit_out else site.config.at("output_dir"))
    if errors:
        return done(errors)

    asset_names, asset_files = collect_assets(root)
    pages, errors = render(site, env or make_env(root / "templates"), asset_names, preview=preview)
    if errors:
        return done(errors)
    files = dict(pages)
    files.update(asset_files)
    files["data/facts.json"] = facts_json(site)
    files["sitemap.xml"] = sitemap(site.config.base_url, [page_url(p.path) for p in plan_pages(site) if p.in_sitemap])
    files["robots.txt"] = robots(site.config.base_url)
    report.pages, report.files = len(pages), len(files)
    if write_output:
        errors += write(files, out)
    return done(errors)
