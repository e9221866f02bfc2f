"""A synthetic project of any size, in the real content schema: N facts over M sources, Arabic seed articles made
from a word list, and every quote cut verbatim from those seeds (some across a line break).

    info = write_project(folder, n_facts=1000)

writes site.yaml, content/ (sources.yaml, topics/*.yaml, pages/about.md), seeds/, and copies the repository's
templates/ and static/. The same `n_facts` and `seed` always give the same project.
"""
from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Word lists for plausible news sentences about the talks. Sentences are built slot by slot
# (verb, subject, action, object, place, tail), so a run of six words is almost always unique in its article.
VERBS = ["قالت", "أعلنت", "أكدت", "اقترحت", "ناقشت", "بحثت", "رفضت", "أوضحت", "ذكرت", "طالبت", "نفت",
         "أشارت إلى", "وصفت", "عرضت", "دعت إلى", "تناولت", "أبدت", "اتفقت على", "رحبت بـ", "انتقدت"]
SUBJECTS = ["وزارة الخارجية الروسية", "الخارجية الأمريكية", "الوفد الروسي", "الوفد الأمريكي",
            "السفارة الروسية في واشنطن", "السفارة الأمريكية في موسكو", "المتحدثة باسم الوزارة", "رئيس الوفد",
            "نائب وزير الخارجية", "مصادر دبلوماسية", "البيت الأبيض", "الكرملين", "مسؤول في الوزارة",
            "الجانبان", "الدبلوماسيون الروس", "الدبلوماسيون الأمريكيون", "لجنة العمل المشتركة", "وكالة تاس"]
ACTIONS = ["استعادة", "تطبيع", "تخفيف", "إعادة", "تسهيل", "رفع", "بحث", "مناقشة", "تمويل", "ضمان", "تعيين",
           "استئناف", "تنظيم", "تجميد", "مراجعة", "توسيع"]
OBJECTS = ["الرحلات الجوية المباشرة", "عمل السفارات", "القيود المصرفية", "الممتلكات الدبلوماسية",
           "تأشيرات الدبلوماسيين", "البعثات القنصلية", "حركة الموظفين", "الحسابات المصرفية", "السفراء الجدد",
           "الملفات العالقة", "العلاقات الثنائية", "الحوار المنتظم", "المقار الدبلوماسية", "عدد الموظفين",
           "الخدمات القنصلية", "قنوات الاتصال"]
ADJECTIVES = ["الكاملة", "المتبادلة", "العاجلة", "التدريجية", "المشتركة", "الفنية", "السابقة", "الجديدة",
              "الثنائية", "الرسمية", "المعلقة", "الطويلة"]
PLACES = ["في إسطنبول", "في الرياض", "في واشنطن", "في موسكو", "بين البلدين", "خلال الجولة الثانية",
          "على أساس المعاملة بالمثل", "دون عوائق", "في أقرب وقت", "بعد سنوات من الطرد المتبادل",
          "خلال محادثات استمرت ست ساعات", "منذ عام 2022", "في 27 فبراير", "قبل نهاية العام",
          "في مقر القنصلية العامة", "عبر القنوات الدبلوماسية"]
TAILS = ["، وهو ما وصفه الجانبان بأنه “خطوة أولى”", "، بحسب بيان صدر يوم الخميس",
         "، وفق ما نقلته وكالة «نوفوستي»", "، حسب ما أفاد مراسل RT", "، في حين بقيت ملفات أخرى عالقة",
         "، وقال المتحدث إن المحادثات كانت “بناءة” و“عملية”", "، مؤكدة أن «الطريق ما زال طويلًا»",
         "", "", "", "", ""]
FIRST_NAMES = ["ألكسندر", "سيرغي", "ماركو", "سوناتا", "دميتري", "ماريا", "جون", "أندريه", "ليندا", "يوري",
               "كريستوفر", "أناتولي"]
LAST_NAMES = ["دارشييف", "لافروف", "روبيو", "كولتر", "ريابكوف", "زاخاروفا", "سوليفان", "بيسكوف", "توماس",
              "أوشاكوف", "سميث", "أنتونوف"]
PROPERTIES = ["مبنى القنصلية في سان فرانسيسكو", "منزل ريفي في ماريلاند", "مجمع دبلوماسي في نيويورك",
              "مقر السكن في سياتل", "دارة ريفية قرب موسكو", "مستودع السفارة في سانت بطرسبرغ"]
ORGANIZATIONS = ["وزارة الخارجية", "لجنة الشؤون الدولية", "المصرف المركزي", "هيئة الطيران المدني",
                 "مكتب البعثات الأجنبية", "مجلس الأمن القومي"]
MONTHS = ["فبراير", "مارس", "أبريل", "مايو"]
FURNITURE = ["شارك", "تعليقات (3)", "اقرأ أيضا: روسيا تعلق على المحادثات", "Facebook Twitter WhatsApp",
             "أخبار ذات صلة", "الأكثر قراءة"]
TOPIC_IDS = ["talks", "embassies", "properties", "flights", "negotiators", "visas", "staff", "banking",
             "consulates", "media"]
TOPIC_TITLES = ["المحادثات", "السفارتان", "الممتلكات", "الرحلات الجوية", "المفاوضون", "التأشيرات", "الموظفون",
                "المصارف", "القنصليات", "الإعلام"]
FURNITURE_TOP = 3          # lines before the body: headline, lede, furniture (then one empty line)


@dataclass
class Seed:
    """One synthetic article: its lines, and which of them are the body."""
    source_id: str
    lines: list[str]
    body: tuple[int, int]       # 1-based, inclusive

    def body_words(self, number: int) -> list[str]:
        return self.lines[number - 1].split()


@dataclass
class ProjectInfo:
    """What a benchmark needs to know about a written project."""
    root: Path
    facts: int
    sources: int
    topics: int
    entities: int
    edit_file: Path                                 # a topic file whose first fact the one-fact edit changes
    topic_ids: list[str] = field(default_factory=list)


def sizes_for(n_facts: int) -> tuple[int, int, int]:
    """(sources, topics, entities) that scale with the number of facts."""
    sources = max(5, n_facts // 50)
    topics = min(10, max(5, n_facts // 1000))
    entities = max(8, n_facts // 50)
    return sources, topics, entities


class Writer:
    """Random but reproducible Arabic text, quotes and YAML for one project."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    # --- prose -----------------------------------------------------------------------------------------------
    def sentence(self) -> str:
        r = self.rng
        words = [r.choice(VERBS), r.choice(SUBJECTS), r.choice(ACTIONS), r.choice(OBJECTS)]
        if r.random() < 0.6:
            words.append(r.choice(ADJECTIVES))
        words.append(r.choice(PLACES))
        if r.random() < 0.3:
            words += ["و" + r.choice(ACTIONS), r.choice(OBJECTS)]
        return " ".join(words) + r.choice(TAILS) + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))

    def fact_text(self) -> str:
        """The site's own words: one sentence, sometimes with Markdown emphasis."""
        text = self.sentence()
        if self.rng.random() < 0.1:
            first, rest = text.split(" ", 1)
            text = f"{first} **{rest.split(' ', 1)[0]}** {rest.split(' ', 1)[1]}"
        return text

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    # --- seeds and quotes ------------------------------------------------------------------------------------
    def seed(self, source_id: str, paragraphs: int) -> Seed:
        r = self.rng
        headline = " ".join(self.sentence().split()[:7]).rstrip("،.")
        lines = [headline, self.paragraph(), r.choice(FURNITURE), ""]
        first = len(lines) + 1
        lines += [self.paragraph() for _ in range(paragraphs)]
        last = len(lines)
        lines += ["", r.choice(FURNITURE), r.choice(FURNITURE)]
        return Seed(source_id, lines, (first, last))

    def quote(self, seed: Seed) -> str:
        """Words cut from the article body exactly as printed; about one in ten spans a line break."""
        r = self.rng
        first, last = seed.body
        number = r.randint(first, last)
        words = seed.body_words(number)
        if r.random() < 0.1 and number < last:
            tail = words[-r.randint(2, 4):]
            head = seed.body_words(number + 1)[:r.randint(2, 4)]
            return " ".join(tail + head)
        length = r.randint(4, 9)
        start = r.randint(0, max(0, len(words) - length))
        return " ".join(words[start:start + length])

    def citations(self, seeds: list[Seed], count: int) -> list[dict]:
        return [{"source": s.source_id, "quote": self.quote(s)} for s in self.rng.sample(seeds, count)]

    def date(self):
        r = self.rng
        value = r.choice(["2025", f"2025-0{r.randint(2, 5)}", f"2025-0{r.randint(2, 5)}-{r.randint(1, 28):02d}"])
        if r.random() < 0.3:
            return {"value": value, "inferred": f"يقول المقال «يوم الخميس» عن لقاء {r.randint(1, 28)} "
                                                f"{r.choice(MONTHS)}، والسنة من مقال آخر."}
        return value


def write_project(root: Path, n_facts: int, seed: int = 8) -> ProjectInfo:
    """Write a complete, valid project of `n_facts` facts into `root` (which must not exist yet)."""
    n_sources, n_topics, n_entities = sizes_for(n_facts)
    w = Writer(seed * 1_000_003 + n_facts)
    root.mkdir(parents=True)
    for name in ("templates", "static"):
        shutil.copytree(REPO / name, root / name)

    quotes_per_source = (n_facts * 1.9 + n_entities * 3) / n_sources
    paragraphs = max(12, int(quotes_per_source / 3))
    seeds = [w.seed(f"source-{i:04d}", paragraphs) for i in range(1, n_sources + 1)]
    (root / "seeds").mkdir()
    for s in seeds:
        (root / "seeds" / f"{s.source_id}.txt").write_text("\n".join(s.lines) + "\n", encoding="utf-8")

    topic_ids = TOPIC_IDS[:n_topics]
    entities = make_entities(w, seeds, topic_ids, n_entities)
    meetings = [e["id"] for e in entities if e["kind"] == "meeting"]
    write_sources(root, w, seeds, meetings)

    entity_ids = [e["id"] for e in entities]
    facts_by_topic: dict[str, list[dict]] = {t: [] for t in topic_ids}
    for i in range(n_facts):
        topic = topic_ids[i % n_topics]
        facts_by_topic[topic].append(make_fact(w, f"{topic}-{i:05d}", seeds, entity_ids))

    (root / "content/topics").mkdir(parents=True)
    for number, topic in enumerate(topic_ids):
        mine = [e for e in entities if e["topic"] == topic]
        write_topic(root / "content/topics" / f"{topic}.yaml", TOPIC_TITLES[number], w.paragraph(), mine,
                    facts_by_topic[topic])
    (root / "content/pages").mkdir()
    (root / "content/pages/about.md").write_text(
        '---\ntitle: "عن هذا الموقع"\ndescription: "موقع اصطناعي لقياس سرعة المولّد."\n---\n'
        f"## ما هذا الموقع\n\n{w.paragraph()}\n\n- **{w.sentence()}**\n- {w.sentence()}\n", encoding="utf-8")
    write_site_yaml(root, w, topic_ids)
    middle = topic_ids[len(topic_ids) // 2]
    return ProjectInfo(root, n_facts, n_sources, n_topics, len(entities),
                       root / "content/topics" / f"{middle}.yaml", topic_ids)


MEETINGS = ["الجولة الأولى في الرياض", "الجولة الثانية في إسطنبول", "الجولة الثالثة في إسطنبول"]


def make_entities(w: Writer, seeds: list[Seed], topic_ids: list[str], count: int) -> list[dict]:
    """Three meetings (every source reports one), then people, properties and organizations."""
    r = w.rng
    out = []
    for i in range(count):
        kind = "meeting" if i < len(MEETINGS) else r.choice(["person", "person", "property", "organization"])
        name = {"meeting": lambda: MEETINGS[i], "person": w.person, "property": lambda: r.choice(PROPERTIES),
                "organization": lambda: r.choice(ORGANIZATIONS)}[kind]()
        spellings = [name] + [w.person() if kind == "person" else f"{name} {r.choice(ADJECTIVES)}"
                              for _ in range(r.randint(0, 2))]
        out.append({"id": f"{kind}-{i:04d}", "kind": kind, "name": name,
                    "names": [{"text": text, "citations": w.citations(seeds, 1)} for text in spellings],
                    "roles": [{"text": w.sentence()[:-1], "citations": w.citations(seeds, 1)}
                              for _ in range(r.randint(0, 2))],
                    "topic": topic_ids[0] if kind == "meeting" else r.choice(topic_ids)})
    return out


def make_fact(w: Writer, fact_id: str, seeds: list[Seed], entity_ids: list[str]) -> dict:
    r = w.rng
    fact = {"id": fact_id, "text": w.fact_text(),
            "citations": w.citations(seeds, min(len(seeds), r.choices([1, 2, 3], [50, 35, 15])[0]))}
    if r.random() < 0.6:
        fact["date"] = w.date()
    if r.random() < 0.6:
        fact["entities"] = r.sample(entity_ids, r.randint(1, 3))
    if r.random() < 0.1 and len(seeds) >= 2:   # versions that differ come from different articles
        picked = r.sample(seeds, min(len(seeds), r.randint(2, 3)))
        fact["variants"] = [{"text": w.fact_text(), "citations": [{"source": s.source_id, "quote": w.quote(s)}]}
                            for s in picked]
    return fact


# --- YAML, written by hand in the style of content/ (JSON strings are valid YAML double-quoted strings) ---------
def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def yaml_date(value, indent: str) -> list[str]:
    if isinstance(value, str):
        return [f"{q(value)}"]
    return ["", f"{indent}  value: {q(value['value'])}", f"{indent}  inferred: {q(value['inferred'])}"]


def yaml_citations(cites: list[dict], indent: str) -> list[str]:
    lines = []
    for c in cites:
        lines += [f"{indent}- source: {c['source']}", f"{indent}  quote: {q(c['quote'])}"]
    return lines


def yaml_variants(variants: list[dict], indent: str) -> list[str]:
    lines = []
    for v in variants:
        lines += [f"{indent}- text: {q(v['text'])}", f"{indent}  citations:"]
        lines += yaml_citations(v["citations"], indent + "    ")
    return lines


def write_topic(path: Path, title: str, summary: str, entities: list[dict], facts: list[dict]) -> None:
    lines = [f"title: {q(title)}", f"summary: {q(summary)}"]
    if entities:
        lines.append("entities:")
        for e in entities:
            lines += [f"  - id: {e['id']}", f"    kind: {e['kind']}", f"    name: {q(e['name'])}", "    names:"]
            lines += yaml_variants(e["names"], "      ")
            if e["roles"]:
                lines.append("    roles:")
                lines += yaml_variants(e["roles"], "      ")
    lines.append("facts:")
    for f in facts:
        lines += [f"  - id: {f['id']}", f"    text: {q(f['text'])}"]
        if "date" in f:
            date = yaml_date(f["date"], "    ")
            lines += [f"    date: {date[0]}"] + date[1:]
        if "entities" in f:
            lines.append(f"    entities: [{', '.join(f['entities'])}]")
        lines.append("    citations:")
        lines += yaml_citations(f["citations"], "      ")
        if "variants" in f:
            lines.append("    variants:")
            lines += yaml_variants(f["variants"], "      ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_sources(root: Path, w: Writer, seeds: list[Seed], meetings: list[str]) -> None:
    r = w.rng
    lines = ["sources:"]
    for s in seeds:
        published = yaml_date(w.date(), "    ")
        lines += [f"  - id: {s.source_id}", f"    seed: {s.source_id}.txt", f"    headline: {q(s.lines[0])}",
                  f"    outlet: {q(r.choice(['', '', 'وكالة تاس', 'RT World News']))}",
                  f"    author: {q(r.choice(['', w.person()]))}", f"    meeting: {r.choice(meetings)}",
                  f"    published: {published[0]}", *published[1:], f"    body: [{s.body[0]}, {s.body[1]}]"]
    (root / "content").mkdir(exist_ok=True)
    (root / "content/sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_site_yaml(root: Path, w: Writer, topic_ids: list[str]) -> None:
    (root / "site.yaml").write_text("\n".join([
        f"title: {q('موقع اصطناعي: ' + w.sentence()[:-1])}",
        f"description: {q(w.sentence())}",
        "language: ar", "direction: rtl",
        'base_url: "https://example.org/bench/"', "output_dir: _site", "digits: latn", "source_text: full",
        f"publisher: {q('فريق القياس')}",
        f"intro: {q(w.paragraph())}",
        f"topics: [{', '.join(topic_ids)}]",
    ]) + "\n", encoding="utf-8")
