"""The same content as a Hugo site, for a speed anchor: one page per fact and a list page per topic, right to left,
with minimal layouts of our own (baseof, single, list) showing each fact's text, its variants and its quotes.

    write_hugo_site(site, folder)      # site: a sitegen Site as load() returns it
    hugo_command(folder)               # ["hugo", "--quiet", ...] or None when hugo is not installed
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

CONFIG = """\
baseURL = "https://example.org/bench/"
title = {title}
defaultContentLanguage = "ar"
disableKinds = ["taxonomy", "term", "RSS"]
enableRobotsTXT = true

[languages.ar]
languageName = "العربية"
languageDirection = "rtl"
weight = 1
"""

BASEOF = """\
<!doctype html>
<html lang="{{ .Site.Language.Lang }}" dir="{{ .Site.Language.LanguageDirection }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ .Site.Title }}</title>
<meta name="description" content="{{ .Description }}">
<link rel="canonical" href="{{ .Permalink }}">
</head>
<body>
<header><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a>
<nav><ul>{{ range .Site.Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></nav>
</header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"""

FACT = """\
<article class="fact" id="{{ .File.ContentBaseName }}">
  <div class="fact-text">{{ .Content }}</div>
  {{ with .Params.date_text }}<p class="fact-date"><time>{{ . }}</time></p>{{ end }}
  {{ with .Params.variants }}<ul class="variants">{{ range . }}<li>{{ .text | markdownify }}
    <q>{{ range .quotes }}{{ .quote }}{{ end }}</q></li>{{ end }}</ul>{{ end }}
  <ol class="quotes">{{ range .Params.quotes }}<li><cite>{{ .source }}</cite> <q>{{ .quote }}</q></li>{{ end }}</ol>
</article>
"""

SINGLE = '{{ define "main" }}\n' + FACT + "{{ end }}\n"

LIST = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
{{ range .Pages }}
""" + FACT.replace("{{ .Content }}", '<a href="{{ .RelPermalink }}">#</a> {{ .Content }}') + """\
{{ end }}
{{ end }}
"""


def hugo_command(folder: Path) -> list[str] | None:
    hugo = shutil.which("hugo")
    return [hugo, "--quiet", "--source", str(folder), "--destination", str(folder / "public")] if hugo else None


def _front_matter(data: dict) -> str:
    """YAML front matter; JSON is valid YAML, and keeps every Arabic mark as it is."""
    return "---\n" + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in data.items()) + "\n---\n"


def _quotes(citations) -> list[dict]:
    return [{"source": c.source_id, "quote": c.quote} for c in citations]


def write_hugo_site(site, folder: Path) -> int:
    """Write the Hugo project; returns the number of content pages (facts plus topic lists)."""
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(CONFIG.format(title=json.dumps(site.config.title, ensure_ascii=False)),
                                        encoding="utf-8")
    layouts = folder / "layouts/_default"
    layouts.mkdir(parents=True)
    for name, text in (("baseof.html", BASEOF), ("single.html", SINGLE), ("list.html", LIST)):
        (layouts / name).write_text(text, encoding="utf-8")
    pages = 0
    for weight, topic in enumerate(site.topics, 1):
        section = folder / "content" / topic.id
        section.mkdir(parents=True)
        (section / "_index.md").write_text(
            _front_matter({"title": topic.title, "weight": weight}) + topic.summary + "\n", encoding="utf-8")
        pages += 1
        for number, fact in enumerate(topic.facts, 1):
            meta = {"title": " ".join(fact.text.split()[:6]), "weight": number, "quotes": _quotes(fact.citations)}
            if fact.date:
                meta["date_text"] = fact.date.value
            if fact.variants:
                meta["variants"] = [{"text": v.text, "quotes": _quotes(v.citations)} for v in fact.variants]
            (section / f"{fact.id}.md").write_text(_front_matter(meta) + fact.text + "\n", encoding="utf-8")
            pages += 1
    return pages
