#!/usr/bin/env python3
"""How fast is the generator? Builds synthetic sites of N facts (and the real site) and prints, for each, the median
of several runs of:

  cold build      `python build.py --project DIR build --out OUT` in a fresh process, into an empty output
                  folder: wall time including Python start-up, which is what a user waits for
  no-change       a rebuild with nothing changed, in-process, through the preview server's rebuild path
                  (sitegen.serve.Preview.rebuild, or a plain build() if there is none)
  one-fact edit   the text of one fact rewritten in its topic file, timed from the file write to the last page
                  written, through the same rebuild path (the preview's debounce delay not included, nor
                  the cycle collection the server runs once the browsers have reloaded);
                  "re-rendered" is how many pages that rebuild rendered again
  template edit   templates/partials/fact.html rewritten (a comment added), then the same rebuild path
  peak memory     ru_maxrss of the cold build, in MiB: its largest process (a large site renders in two processes
                  that share most of their memory, so the two are not added)
  hugo            `hugo --quiet` on the same content written as a Hugo site (one page per fact, a list page per
                  topic, right to left), into an empty folder; only when hugo is on PATH (or --hugo)
  hugo+pagefind   the same, then Pagefind over Hugo's output: a searchable site, as a cold build of ours writes
                  (its search index included); the ratio compares with this. Our cold build and this one take
                  turns, run by run, so that the disk's state (a file system busy freeing the last run's files
                  makes new ones slowly) falls on both alike

Synthetic sites have N facts over M = max(5, N/50) sources and 5 to 10 topics, with Arabic seed articles made
from a word list and every quote cut verbatim from them (bench/synth.py). The machine has 2 cores and other work
may run on it: every figure is a median, and the load average is printed with the table. A measurement whose
--runs runs would take more than 12 s is run fewer times, but at least 3: the runs column says how many.

Run from the repository root:  python bench/bench.py [--sizes 100,1000] [--runs 5] [--no-hugo] [--profile]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hugo_site  # noqa: E402  (bench/ is on sys.path when this file runs)
import synth  # noqa: E402
from sitegen import build  # noqa: E402
from sitegen.load import load  # noqa: E402

BUDGET_SECONDS = 12.0       # a measurement whose --runs would take longer than this is run fewer times,
MIN_RUNS = 3                # but never fewer than this (or --runs, if smaller)
EDITED_TEMPLATE = "partials/fact.html"
PROFILE_DIR = ROOT / "bench" / "out"          # ignored by git
PROFILE_INTERVAL = 0.005                        # seconds between pyinstrument samples


class BenchError(Exception):
    pass


STARTED = time.perf_counter()


def progress(label: str, what: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {label}: {what}", file=sys.stderr, flush=True)


def errors_text(project: Path, errors: list) -> str:
    lines = "\n".join(str(e) for e in errors[:10])
    return f"the build of {project} failed with {len(errors)} errors:\n{lines}"


# --- The preview server's rebuild path ---------------------------------------------------------------------------
class FullRebuild:
    """build() in-process with nothing kept between builds: a preview without incremental rebuilds."""
    label = "build() in-process, nothing reused"

    def __init__(self, project: Path, out: Path):
        self.project, self.out = project, out
        self.report = None
        self.rebuild([])

    def rebuild(self, changed: list[Path]) -> None:
        self.report = build(self.project, self.out, preview=True)
        if self.report.errors:
            raise BenchError(errors_text(self.project, self.report.errors))

    def idle(self) -> None:
        pass


class ServePreview:
    """sitegen.serve.Preview.rebuild(changed): what the preview server runs once a burst of saves is over."""
    label = "sitegen.serve.Preview.rebuild() (the preview server's own rebuild, incremental where it can be)"

    def __init__(self, project: Path, out: Path):
        from sitegen.serve import Preview
        self.project = project
        # the search index, which the server makes in a thread beside its builds, is left out: it would run
        # into the next measurements (bench/search_index.py times it)
        self.preview = Preview(project, out, "http://127.0.0.1:8000/", search=False)
        self.rebuild([])

    def rebuild(self, changed: list[Path]) -> None:
        line = self.preview.rebuild([p.relative_to(self.project).as_posix() for p in changed], collect=False)
        if self.preview.errors or self.preview.last_good is None:
            raise BenchError(f"{line}\n" + errors_text(self.project, self.preview.errors))

    def idle(self) -> None:
        """What the server does once the editor pauses: the full cycle collection (preview/collector.py)."""
        self.preview.collector.full()

    @property
    def report(self):
        return self.preview.last_good


def preview_kind():
    """The rebuild path the edit rows time. To time plain build() instead, return FullRebuild."""
    try:
        from sitegen.serve import Preview  # noqa: F401
    except ImportError:
        return FullRebuild
    return ServePreview


def debounce_note() -> str:
    """What the preview server adds before a rebuild starts, which the edit rows leave out."""
    try:
        from sitegen.preview import watch
        return (f"a save's batch of file notifications ends after {watch.STEP_MS} ms without another (watchfiles' "
                "step) before the rebuild starts: not included")
    except (ImportError, AttributeError):
        return "debounce not included"


# --- Results -----------------------------------------------------------------------------------------------------
@dataclass
class Measured:
    """The median of some runs, in seconds."""
    seconds: float
    runs: int

    def __str__(self) -> str:
        return format_seconds(self.seconds)


@dataclass
class Row:
    """Every measurement of one site."""
    label: str
    facts: int
    sources: int
    pages: int
    cold: Measured
    peak_mib: float
    no_change: Measured
    fact_edit: Measured
    template_edit: Measured
    edit_rendered: int | None = None      # pages the last one-fact edit rendered again (None: not reported)
    hugo: Measured | None = None
    hugo_search: Measured | None = None   # hugo, then Pagefind over its output: a searchable site, as ours is

    @property
    def hugo_ratio(self) -> float | None:
        return self.cold.seconds / self.hugo_search.seconds if self.hugo_search else None

    @property
    def runs(self) -> str:
        warm = {self.no_change.runs, self.fact_edit.runs, self.template_edit.runs}
        parts = [str(self.cold.runs), "/".join(map(str, sorted(warm, reverse=True)))]
        return " / ".join(parts + ([str(self.hugo.runs)] if self.hugo else []))


@dataclass
class Target:
    """One goal we are judged on, beside what was measured."""
    name: str
    goal: str
    measured: str
    passed: bool | None           # None: not measured in this run


def format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


# --- Measurements ------------------------------------------------------------------------------------------------
def repeat(once: Callable[[], float], runs: int) -> Measured:
    """The median of `runs` calls of `once`; of fewer (never under MIN_RUNS) when the first is too slow for
    `runs` of them to fit in BUDGET_SECONDS."""
    return alternately([once], runs)[0]


def alternately(onces: list[Callable[[], float]], runs: int) -> list[Measured]:
    """Each of `onces` called in turn, `runs` rounds (as repeat() counts them, by the first round's time): the
    median of each. Measurements compared with one another take turns, so that what the machine and its disk
    are doing meanwhile falls on both alike."""
    times = [[once()] for once in onces]
    affordable = int(BUDGET_SECONDS / max(sum(t[0] for t in times), 1e-9))
    for _ in range(min(runs, max(MIN_RUNS, affordable)) - 1):
        for once, taken in zip(onces, times):
            taken.append(once())
    return [Measured(statistics.median(taken), len(taken)) for taken in times]


# Runs a command and prints its wall time, peak RSS (KiB) and exit code. The build is started from this small
# process, not from the benchmark: a child's ru_maxrss on Linux starts at the RSS of the process it was forked
# from, and by then the benchmark holds a 10,000-fact site.
TIMER = """
import os, subprocess, sys, time
started = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=sys.stderr)
_, status, usage = os.wait4(process.pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def cold_build(project: Path, out: Path, peaks: list[float]) -> Callable[[], float]:
    """One `python build.py build` in a fresh process into an empty folder: its wall time; its peak memory in MiB
    goes into `peaks`."""
    command = [sys.executable, str(ROOT / "build.py"), "--project", str(project), "build", "--out", str(out)]
    # As on a user's machine, Python keeps the generator's compiled modules (__pycache__, which git ignores) from
    # one run to the next: under PYTHONDONTWRITEBYTECODE every run would compile its 25 modules again (~50 ms).
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}

    def once() -> float:
        shutil.rmtree(out, ignore_errors=True)
        done = subprocess.run([sys.executable, "-c", TIMER, *command], capture_output=True, text=True, env=env)
        try:
            seconds, peak_kib, code = done.stdout.split()
        except ValueError:
            raise BenchError(f"the timer of {' '.join(command)} failed:\n{done.stderr[-2000:]}") from None
        if code != "0":
            raise BenchError(f"{' '.join(command)} exited {code}:\n{done.stderr[-2000:]}")
        peaks.append(int(peak_kib) / 1024)    # ru_maxrss is in KiB on Linux
        return float(seconds)

    return once


def measure_no_change(preview, runs: int) -> Measured:
    """A rebuild with nothing changed, through the preview's rebuild path (warm Jinja environment)."""
    def once() -> float:
        preview.idle()
        started = time.perf_counter()
        preview.rebuild([])
        return time.perf_counter() - started

    return repeat(once, runs)


def measure_fact_edit(preview, out: Path, topic_file: Path, runs: int) -> Measured:
    """Rewrite the text of a topic file's first fact on disk; time from the write to the last page written."""
    original = topic_file.read_text(encoding="utf-8")
    page = out / "topics" / topic_file.stem / "index.html"
    edits = iter(range(1, 1_000_000))

    def once() -> float:
        marker = "تعديل-" + synth_letters(next(edits))
        edited = edit_first_fact_text(original, marker)
        preview.idle()
        started = time.perf_counter()
        topic_file.write_text(edited, encoding="utf-8")
        preview.rebuild([topic_file])
        seconds = time.perf_counter() - started
        if marker not in page.read_text(encoding="utf-8"):
            raise BenchError(f"the edit of {topic_file.name} did not reach {page}")
        return seconds

    try:
        return repeat(once, runs)
    finally:
        topic_file.write_text(original, encoding="utf-8")


def measure_template_edit(preview, project: Path, runs: int) -> Measured:
    """Rewrite a template (a comment added, so every page's output stays the same) and rebuild."""
    template = project / "templates" / EDITED_TEMPLATE
    original = template.read_text(encoding="utf-8")
    edits = iter(range(1, 1_000_000))

    def once() -> float:
        edited = original + f"{{# bench edit {next(edits)} #}}\n"
        preview.idle()
        started = time.perf_counter()
        template.write_text(edited, encoding="utf-8")
        preview.rebuild([template])
        return time.perf_counter() - started

    try:
        return repeat(once, runs)
    finally:
        template.write_text(original, encoding="utf-8")


def hugo_build(folder: Path, alone: list[float]) -> Callable[[], float]:
    """One `hugo --quiet` on the Hugo version of the same content, into an empty folder, followed by Pagefind
    over what Hugo wrote (how Hugo sites get search, and what our build does too): the time of both; Hugo's
    own goes into `alone`."""
    from pagefind.service import get_executable

    command = hugo_site.hugo_command(folder)
    pagefind = [str(get_executable()), "--site", str(folder / "public"), "--silent"]

    def once() -> float:
        for name in ("public", "resources"):
            shutil.rmtree(folder / name, ignore_errors=True)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        alone.append(time.perf_counter() - started)
        if done.returncode == 0:
            done = subprocess.run(pagefind, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"hugo or pagefind failed on {folder}:\n{done.stderr[-2000:]}")
        return time.perf_counter() - started

    return once


# --- Editing content the way an editor does ----------------------------------------------------------------------
def edit_first_fact_text(yaml_text: str, marker: str) -> str:
    """The topic file with `marker` added at the end of its first fact's `text:` (a double-quoted string)."""
    lines = yaml_text.split("\n")
    in_facts = False
    for i, line in enumerate(lines):
        if line.startswith("facts:"):
            in_facts = True
        elif in_facts and line.lstrip().startswith('text: "') and line.rstrip().endswith('"'):
            lines[i] = line.rstrip()[:-1] + f' {marker}"'
            return "\n".join(lines)
    raise BenchError("no fact with a double-quoted text: to edit")


def synth_letters(number: int) -> str:
    """A number as Arabic letters: digits would be localised by the digits setting and miss the check."""
    letters = "ابتثجحخدذر"
    return "".join(letters[int(d)] for d in str(number))


# --- One site, every measurement -----------------------------------------------------------------------------------
def measure_site(label: str, project: Path, cold_project: Path, work: Path, edit_file: Path, runs: int,
                 with_hugo: bool) -> Row:
    """Every measurement of one project. `cold_project` is what the cold build reads (the real site reads the
    repository itself); the warm measurements edit files, so they run on `project`, a copy."""
    peaks: list[float] = []
    builds = [cold_build(cold_project, work / "cold-out", peaks)]
    hugo_alone: list[float] = []
    if with_hugo:   # from the site as the cold build reads it
        hugo_site.write_hugo_site(load(cold_project)[0], work / "hugo")
        builds.append(hugo_build(work / "hugo", hugo_alone))
    progress(label, "cold build" + (", hugo and pagefind, in turn" if with_hugo else ""))
    cold, *hugo_search = alternately(builds, runs)
    shutil.rmtree(work / "cold-out", ignore_errors=True)
    hugo = Measured(statistics.median(hugo_alone), len(hugo_alone)) if with_hugo else None

    progress(label, "rebuilds")
    out = work / "preview-out"
    preview = preview_kind()(project, out)      # its first build warms the Jinja environment
    first = preview.report                      # the site as written, before any edit
    no_change = measure_no_change(preview, runs)
    fact_edit = measure_fact_edit(preview, out, edit_file, runs)
    edit_rendered = getattr(preview.report, "rendered", None)
    template_edit = measure_template_edit(preview, project, runs)
    shutil.rmtree(out, ignore_errors=True)
    return Row(label, len(first.site.facts()), len(first.site.sources), first.pages, cold,
               statistics.median(peaks), no_change, fact_edit, template_edit, edit_rendered, hugo,
               hugo_search[0] if hugo_search else None)


def measure_synthetic(n_facts: int, work: Path, runs: int, with_hugo: bool) -> Row:
    progress(f"{n_facts:,} facts", "writing the corpus")
    info = synth.write_project(work / "site", n_facts)
    return measure_site(f"{n_facts:,} facts", info.root, info.root, work, info.edit_file, runs, with_hugo)


def copy_real_project(copy: Path) -> Path:
    """A copy of the repository's own project (site.yaml, content, seeds, templates, static) to edit."""
    copy.mkdir(parents=True)
    shutil.copy2(ROOT / "site.yaml", copy / "site.yaml")
    for name in ("content", "seeds", "templates", "static"):
        shutil.copytree(ROOT / name, copy / name)
    return copy


def measure_real_site(work: Path, runs: int, with_hugo: bool) -> Row:
    """The repository's own site: cold builds read it in place (into a temp --out); edits go to a copy."""
    copy = copy_real_project(work / "site")
    site, _ = load(copy)
    if site is None:
        raise BenchError("the repository's site.yaml does not load")
    topics = site.config.topics
    edit_file = copy / "content/topics" / f"{topics[len(topics) // 2]}.yaml"
    return measure_site("real site", copy, ROOT, work, edit_file, runs, with_hugo)


# --- Profiles ----------------------------------------------------------------------------------------------------
STAGES = ("load", "validate", "resolve_citations", "check_output_dir", "collect_assets", "folder_digest", "make_env",
          "facts_json", "plan_pages", "site_files", "write")


@contextmanager
def timed_stages():
    """Wall time of each stage build() calls, by name, for as long as the block runs (the stage functions named
    in sitegen.pipeline and sitegen.reuse, and Renderer.render, are wrapped, then put back)."""
    from sitegen import pipeline, render, reuse
    times: dict[str, float] = {}
    originals = [(module, name, getattr(module, name)) for module in (pipeline, reuse) for name in STAGES
                 if callable(getattr(module, name, None))]
    originals.append((render.Renderer, "render", render.Renderer.render))

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - started
        return wrapper

    for owner, name, fn in originals:
        setattr(owner, name, timed(name, fn))
    try:
        yield times
    finally:
        for owner, name, fn in originals:
            setattr(owner, name, fn)


def stage_table(title: str, total: float, times: dict[str, float]) -> str:
    rows = [[name, format_seconds(seconds), f"{100 * seconds / total:.0f}%"]
            for name, seconds in sorted(times.items(), key=lambda item: -item[1]) if seconds >= 0.0005]
    rows.append(["(the rest of build())", format_seconds(max(0.0, total - sum(times.values()))), ""])
    return f"{title}: {format_seconds(total)}\n" + table(["stage", "wall", "share"], rows, right={1, 2})


def startup_seconds(runs: int = 5) -> tuple[float, float]:
    """(Python start-up, start-up plus importing the generator), medians of fresh processes."""
    def median_of(code: str) -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    return median_of("pass"), median_of("import sitegen.pipeline")


def profile(n_facts: int, work: Path) -> list[Path]:
    """Stage times of an in-process build and of a one-fact edit, and pyinstrument profiles of a cold build
    (the whole process) and of a one-fact edit, as text and HTML, in bench/out/."""
    try:
        import pyinstrument
    except ImportError:
        raise BenchError("--profile needs pyinstrument: pip install -r requirements-dev.txt") from None
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    progress(f"{n_facts:,} facts", "writing the corpus")
    info = synth.write_project(work / "site", n_facts)

    progress(f"{n_facts:,} facts", "stage times")
    bare, imported = startup_seconds()
    with timed_stages() as cold_times:
        started = time.perf_counter()
        FullRebuild(info.root, work / "stages-out")
        cold_total = time.perf_counter() - started
    preview = preview_kind()(info.root, work / "preview-out")
    text = info.edit_file.read_text(encoding="utf-8")
    preview.idle()
    with timed_stages() as edit_times:
        started = time.perf_counter()
        info.edit_file.write_text(edit_first_fact_text(text, "تعديل"), encoding="utf-8")
        preview.rebuild([info.edit_file])
        edit_total = time.perf_counter() - started
    info.edit_file.write_text(text, encoding="utf-8")
    stages = PROFILE_DIR / f"stages-{n_facts}.txt"
    stages.write_text("\n\n".join([
        f"{n_facts:,} facts. Python start-up {format_seconds(bare)}; importing sitegen.pipeline adds "
        f"{format_seconds(imported - bare)}.",
        stage_table("build() in-process, nothing reused", cold_total, cold_times),
        stage_table(f"one-fact edit through {preview_kind().__name__}, rendered "
                    f"{getattr(preview.report, 'rendered', '?')} of {preview.report.pages} pages", edit_total,
                    edit_times),
    ]) + "\n", encoding="utf-8")

    progress(f"{n_facts:,} facts", "pyinstrument: cold build")
    cold = PROFILE_DIR / f"profile-cold-{n_facts}"
    subprocess.run([sys.executable, "-m", "pyinstrument", "-i", str(PROFILE_INTERVAL), "-r", "pyisession",
                    "-o", f"{cold}.pyisession",
                    str(ROOT / "build.py"), "--project", str(info.root), "build", "--out", str(work / "out")],
                   check=True, stdout=subprocess.DEVNULL)
    for renderer in ("text", "html"):
        subprocess.run([sys.executable, "-m", "pyinstrument", "--load", f"{cold}.pyisession", "-r", renderer,
                        "-o", f"{cold}.{'txt' if renderer == 'text' else 'html'}"], check=True)
    Path(f"{cold}.pyisession").unlink()

    progress(f"{n_facts:,} facts", "pyinstrument: one-fact edit")
    edit = PROFILE_DIR / f"profile-edit-{n_facts}"
    profiler = pyinstrument.Profiler(interval=PROFILE_INTERVAL)
    preview.idle()
    with profiler:
        info.edit_file.write_text(edit_first_fact_text(text, "تعديل-ب"), encoding="utf-8")
        preview.rebuild([info.edit_file])
    Path(f"{edit}.txt").write_text(profiler.output_text(unicode=True), encoding="utf-8")
    Path(f"{edit}.html").write_text(profiler.output_html(), encoding="utf-8")
    return [stages, Path(f"{cold}.txt"), Path(f"{cold}.html"), Path(f"{edit}.txt"), Path(f"{edit}.html")]


# --- Report ------------------------------------------------------------------------------------------------------
def targets(rows: list[Row]) -> list[Target]:
    by_label = {r.label: r for r in rows}
    real, k1, k10 = by_label.get("real site"), by_label.get("1,000 facts"), by_label.get("10,000 facts")

    def target(name: str, goal: str, measured: float | None, limit: float, show: Callable[[float], str]) -> Target:
        if measured is None:
            return Target(name, goal, "not measured", None)
        return Target(name, goal, show(measured), measured <= limit)

    def per_fact(pick: Callable[[Row], Measured]) -> str:
        return f"({per_fact_ms(k10, pick(k10)):.2f} vs {per_fact_ms(k1, pick(k1)):.2f} ms/fact)"

    out = [
        target("real site: cold build", "≤ 300 ms", real and real.cold.seconds, 0.3, format_seconds),
        target("real site: one-fact edit on disk", "≤ 30 ms", real and real.fact_edit.seconds, 0.03,
               format_seconds),
        target("10,000 facts: cold build / hugo+pagefind", "≤ 1.00×", k10 and k10.hugo_ratio, 1.0,
               lambda x: f"{x:.2f}×"),
        target("10,000 facts: one-fact edit on disk", "≤ 400 ms", k10 and k10.fact_edit.seconds, 0.4,
               format_seconds),
        target("10,000 facts: template edit", "≤ 3 s", k10 and k10.template_edit.seconds, 3.0, format_seconds),
        target("10,000 facts: peak memory", "≤ 200 MiB", k10 and k10.peak_mib, 200, lambda x: f"{x:.0f} MiB"),
        target("10,000 facts: cold cost per fact / at 1,000", "≤ 1.20×",
               cost_ratio(k1, k10, lambda r: r.cold) if k1 and k10 else None, 1.2,
               lambda x: f"{x:.2f}× {per_fact(lambda r: r.cold)}"),
    ]
    if k1 and k10:
        ratio = cost_ratio(k1, k10, lambda r: r.no_change)
        out.append(Target("  the same for a no-change rebuild (no start-up)", "info",
                          f"{ratio:.2f}× {per_fact(lambda r: r.no_change)}", None))
    return out


def per_fact_ms(row: Row, measured: Measured) -> float:
    return measured.seconds * 1000 / row.facts


def cost_ratio(small: Row, large: Row, pick: Callable[[Row], Measured]) -> float:
    return per_fact_ms(large, pick(large)) / per_fact_ms(small, pick(small))


def table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def report(rows: list[Row], load_before: float, load_after: float, hugo_note: str) -> str:
    headers = ["site", "facts", "sources", "pages", "cold build", "no-change", "one-fact edit", "re-rendered",
               "template edit", "peak MiB", "hugo", "hugo+pagefind", "ours/(hugo+pf)", "runs: cold / warm / hugo"]
    cells = [[r.label, f"{r.facts:,}", f"{r.sources:,}", f"{r.pages:,}", str(r.cold), str(r.no_change),
              str(r.fact_edit), "-" if r.edit_rendered is None else f"{r.edit_rendered:,}", str(r.template_edit),
              f"{r.peak_mib:.0f}", str(r.hugo) if r.hugo else "-", str(r.hugo_search) if r.hugo_search else "-",
              f"{r.hugo_ratio:.2f}×" if r.hugo_search else "-",
              r.runs] for r in rows]
    goals = targets(rows)
    goal_cells = [[t.name, t.goal, t.measured, {True: "pass", False: "FAIL", None: "-"}[t.passed]] for t in goals]
    busy = max(load_before, load_after) > (os.cpu_count() or 1) / 2
    return "\n".join([
        f"sitegen benchmark: medians of runs; {os.cpu_count()} cores; load average {load_before:.2f} before, "
        f"{load_after:.2f} after (other work on this machine adds noise)",
        *([f"warning: the machine was busy with other work (load average above {(os.cpu_count() or 1) / 2:g}): "
            "the times below are likely inflated"] if busy else []),
        f"rebuild rows time: {preview_kind().label}; {debounce_note()}",
        f"hugo: {hugo_note}",
        "",
        table(headers, cells, right=set(range(1, 13))),
        "",
        table(["target", "goal", "measured", "result"], goal_cells, right=set()),
    ])


# --- Command line ------------------------------------------------------------------------------------------------
def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/bench.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="numbers of facts of the synthetic sites, comma-separated (default 100,1000,10000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; the median is shown (default 5)")
    parser.add_argument("--hugo", action=argparse.BooleanOptionalAction, default=None,
                        help="also time hugo on the same content (default: when hugo is on PATH)")
    parser.add_argument("--real", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure the repository's own site (default: yes)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the generated sites into DIR (one folder per size) and keep them")
    parser.add_argument("--profile", action="store_true",
                        help="instead of timing: stage times and pyinstrument profiles of a cold build and of a "
                             "one-fact edit at the largest size, written to bench/out/")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be numbers separated by commas, got '{args.sizes}'")
    if args.runs < 1 or any(n < 10 for n in args.sizes):
        parser.error("--runs must be at least 1 and every size at least 10")
    return args


def hugo_setting(wanted: bool | None) -> tuple[bool, str]:
    """Whether to time hugo, and what the report says about it."""
    found = shutil.which("hugo")
    if not found:
        return False, "skipped: hugo is not on PATH (Debian: apt-get install hugo)"
    if wanted is False:
        return False, "skipped: --no-hugo"
    version = subprocess.run([found, "version"], capture_output=True, text=True).stdout
    return True, version.split(" BuildDate")[0].strip()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with_hugo, hugo_note = hugo_setting(args.hugo)
    if args.hugo and not with_hugo:
        print(f"bench.py: --hugo: {hugo_note}", file=sys.stderr)
        return 2
    if not with_hugo:
        print(f"bench.py: hugo comparison {hugo_note}", file=sys.stderr)
    keep = args.keep.resolve() if args.keep else None
    with tempfile.TemporaryDirectory(prefix="sitegen-bench-") as scratch:
        base = keep or Path(scratch)

        def folder(name: str) -> Path:
            path = base / name
            if path.exists():
                raise BenchError(f"{path} already exists; remove it or choose another --keep folder")
            path.mkdir(parents=True)
            return path

        jobs = [(f"{n:,} facts", lambda n=n: measure_synthetic(n, folder(f"n{n}"), args.runs, with_hugo))
                for n in args.sizes]
        if args.real:
            jobs.append(("real site", lambda: measure_real_site(folder("real"), args.runs, with_hugo)))
        if args.profile:
            n = max(args.sizes)
            jobs = [(f"profile of {n:,} facts", lambda: profile(n, folder(f"profile-{n}")))]

        load_before = os.getloadavg()[0]
        results, failures = [], []
        for label, job in jobs:
            try:
                results.append(job())
            except BenchError as exc:
                print(f"bench.py: {label}: {exc}", file=sys.stderr)
                failures.append(label)
        if args.profile:
            for paths in results:
                print(paths[0].read_text(encoding="utf-8"))
                print("written: " + ", ".join(str(p.relative_to(ROOT)) for p in paths))
        else:
            print(report(results, load_before, os.getloadavg()[0], hugo_note))
        if failures:
            print(f"not measured (see the errors above): {', '.join(failures)}")
    if keep:
        print(f"generated sites kept in {keep}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
