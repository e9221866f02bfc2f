"""What a page read while it rendered, and what that is worth now: the dependency records behind every reuse.

Templates reach the model through Jinja's attribute and item lookups and through the tables of `Lookups`; a
`RecordingEnvironment` and the `Tracked*` tables note each read as a key, (kind, id, attribute), on the `Recorder`.
`Digests` turns a key into a hash of what it names in one build's site. A page (or fragment) rendered in one build is
still right in the next if every key it read hashes the same there: nothing is declared by hand.

Templates are read like data: each one loaded is a key, ("template", name), worth the hash of its file. A page that
shows a fact's fragment reads the fragment's output, ("fact-html", id), not what made it: after a template edit the
fragments are rendered again, and a page whose fragments came out the same, and whose own templates did not change,
is kept (early cutoff, as build systems such as Shake and Salsa do).
"""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import PurePath
from typing import Iterator

import jinja2
from jinja2.loaders import split_template_path

from .model import Entity, Fact, Page, Site, Source, Topic

# Objects with an id, named in keys by (kind, id): a read of one of their attributes depends on that attribute only,
# except for the small objects many pages name (an article, a person, a meeting): there one key for the whole object keeps the
# records short, at the cost of a few more pages rendered when one of them changes.
KINDS = {Fact: "fact", Entity: "entity", Topic: "topic", Source: "source", Page: "page", Site: "site"}
WHOLE = {"entity", "source"}
PLAIN = (str, int, type(None))     # values a key's record holds as they are: comparing them is cheaper than hashing
MISSING = ("missing",)      # what a key that names nothing is worth: equal to no value, hash or string
UNKNOWN = ("unknown",)      # what a fragment that failed to render is worth: the pages showing it render again


class _Ids:
    """Marks a list of model objects taken as one string of their kinds and ids (Digests.canon)."""

    def __repr__(self) -> str:
        return "ids"


IDS = _Ids()


def identity(obj) -> tuple | None:
    """(kind, id) of a model object with an id, else None."""
    kind = KINDS.get(type(obj))
    if kind is None:
        return None
    return (kind, "" if kind == "site" else obj.id)


class Recorder:
    """Collects the keys read by whatever is rendering now: a page, or a fragment inside it (nested)."""

    def __init__(self):
        self._open: list[set] = []

    def start(self) -> None:
        self._open.append(set())

    def stop(self, merge: bool = True) -> frozenset:
        """The keys read since the matching start(); `merge`: the page showing what was rendered read them too
        (not when the page reads the fragment's output instead, or for a module kept for the whole build)."""
        keys = frozenset(self._open.pop())
        if merge and self._open:
            self._open[-1].update(keys)
        return keys

    def note(self, key: tuple) -> None:
        if self._open:
            self._open[-1].add(key)

    def add(self, keys) -> None:
        """Keys read earlier for something this render reuses (a fragment rendered by an earlier page or build)."""
        if self._open:
            self._open[-1].update(keys)

    def read(self, obj, name) -> None:
        """An attribute (or item) of a model object was read. (Templates read hundreds of thousands: the key
        is made here, without identity().)"""
        if self._open:
            kind = KINDS.get(obj.__class__)
            if kind is not None:
                self._open[-1].add((kind, "" if kind == "site" else obj.id, None if kind in WHOLE else name))

    def whole(self, obj) -> None:
        """Everything of a model object was read (a fact placed on a page)."""
        if self._open:
            ident = identity(obj)
            if ident is not None:
                self._open[-1].add(ident + (None,))


class RecordingEnvironment(jinja2.Environment):
    """Jinja compiles `a.b` and `a[b]` to these two methods: the one place every template read passes; and every
    {% extends %}, {% include %} and {% import %} to get_template or select_template."""
    recorder: Recorder | None = None
    sources: dict[str, bytes] = {}     # template name -> hash of its file, as this environment loads them

    def get_template(self, name, parent=None, globals=None):
        if self.recorder is not None and isinstance(name, str):
            self.recorder.note(template_key(self.join_path(name, parent) if parent is not None else name))
        return super().get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):
        if self.recorder is not None and isinstance(names, (list, tuple)):  # each tried: one appearing counts too
            for name in names:
                if isinstance(name, str):
                    self.recorder.note(template_key(self.join_path(name, parent) if parent is not None else name))
        return super().select_template(names, parent, globals)

    def getattr(self, obj, attribute):
        if self.recorder is not None and obj.__class__ in KINDS:
            self.recorder.read(obj, attribute)
        return jinja2.Environment.getattr(self, obj, attribute)

    def getitem(self, obj, argument):
        if self.recorder is not None and obj.__class__ in KINDS and isinstance(argument, str):
            self.recorder.read(obj, argument)
        return jinja2.Environment.getitem(self, obj, argument)


def template_key(name: str) -> tuple:
    """("template", name as the loader finds it, None): "partials//x.html" and "partials/x.html" are one file."""
    try:
        return ("template", "/".join(split_template_path(name)), None)
    except jinja2.TemplateNotFound:     # a name going outside the folder: loading it fails anyway
        return ("template", name, None)


class TrackedMap:
    """A read-only table of the site (entities by id, facts by entity, ...) that notes each key looked up."""

    def __init__(self, name: str, data: dict, recorder: Recorder, kind: str | None = None):
        self.name, self._data, self._recorder = name, data, recorder
        self._key = (lambda key: (kind, key, None)) if kind in WHOLE else (lambda key: ("look", name, key))

    def __getitem__(self, key):
        self._recorder.note(self._key(key))
        return self._data[key]

    def get(self, key, default=None):
        self._recorder.note(self._key(key))
        return self._data.get(key, default)

    def __contains__(self, key) -> bool:
        self._recorder.note(self._key(key))
        return key in self._data

    def raw(self) -> dict:
        """The table itself, for the digests and for Python code that records its own reads."""
        return self._data


class TrackedList:
    """A read-only list of the site (topics in order, meetings, ...) that notes being read, as a whole."""

    def __init__(self, name: str, items: list, recorder: Recorder):
        self.name, self._items, self._recorder = name, items, recorder

    def __iter__(self) -> Iterator:
        self._recorder.note(("look", self.name, None))
        return iter(self._items)

    def __len__(self) -> int:
        self._recorder.note(("look", self.name, None))
        return len(self._items)

    def __getitem__(self, index):
        self._recorder.note(("look", self.name, None))
        return self._items[index]

    def __bool__(self) -> bool:
        return len(self) > 0

    def raw(self) -> list:
        return self._items


def _compare_fields(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.compare)


@dataclasses.dataclass
class Kept:
    """What Digests takes from the build before: each fact's hash while it is the same object and the articles
    are the same (loaded objects are never changed, except the citation offsets resolve_citations sets, which
    follow from the quotes and the articles alone: the caller drops `facts` when `articles` changes), and the
    hash of each canonical value it took (a value equal to one hashed then has that hash: a lookup, not a hash)."""
    facts: dict = dataclasses.field(default_factory=dict)     # id(fact) -> (fact, digest)
    hashes: dict = dataclasses.field(default_factory=dict)    # canonical value -> its hash
    articles: bytes = b""                                     # the articles' hash the fact hashes were taken with
    # id(list) -> [the list, its canonical value, its hash or None]: lists are never changed once made (the
    # lookup tables keep an unchanged one from build to build, tables.py); what they hold may be citations, whose
    # offsets follow from the articles: dropped with `facts`
    lists: dict = dataclasses.field(default_factory=dict)
    values: dict = dataclasses.field(default_factory=dict)    # id(citation) -> (citation, hash): as `facts`


class Digests:
    """Hashes of what keys name in one build's site. Model objects inside a value count by their (kind, id): what
    a template then reads of them is a key of its own."""

    def __init__(self, site: Site, tables: dict, kept: Kept | None = None):
        self.site = site
        self.tables = tables                # name -> dict or list, the Lookups tables of this build
        self.objects = {("site", ""): site}
        for kind, items in (("topic", site.topics), ("source", site.sources), ("page", site.pages),
                            ("entity", site.entities()), ("fact", site.facts())):
            for item in items:
                self.objects.setdefault((kind, item.id), item)
        kept = kept if kept is not None else Kept()
        self.kept = kept.facts          # id(fact) -> (fact, digest), from the last build, and this one's
        self.before = kept.hashes       # canonical value -> hash, from the last build
        self.hashes: dict = {}          # the same for this build: the next one's `before`
        self.lists_before = kept.lists  # id(list) -> [list, canon, hash], from the last build
        self.lists: dict = {}           # the same for this build
        self._whole: dict[int, bytes] = {}
        self._keys: dict[tuple, bytes | None] = {}
        self._fields: dict[type, tuple] = {}
        self._canon: dict[int, tuple] = {}         # id(citation, variant, date...) -> canon, for this build
        self.values_before = kept.values
        self.values: dict[int, tuple] = {}         # id(citation...) -> (it, its hash), for this build
        self.templates: dict[str, bytes] = {}      # template name -> hash of its file
        self.outputs: dict[str, object] = {}       # kind -> the hash of a fragment's output by id (fragments.py)

    def of(self, key: tuple):
        """What the key names now, as a hash, or the value itself when it is a plain string or number (comparing
        those is cheaper than hashing them); MISSING when it names nothing (an id no longer in the site)."""
        found = self._keys.get(key, self)
        if found is self:
            found = self._keys[key] = self._compute(key)
        return found

    def _compute(self, key: tuple):
        kind, ident, name = key
        if kind == "look":
            table = self.tables.get(ident)
            if table is None:
                return MISSING
            if name is None:
                return self._digest(self.canon(table))
            return self.plain_or_hash(table[name]) if name in table else MISSING
        obj = self.objects.get((kind, ident))
        if obj is None:     # a template, a fragment's output, or an object no longer in the site
            if kind in self.outputs:
                return self.outputs[kind](ident)
            return self.templates.get(ident, MISSING) if kind == "template" else MISSING
        if name is None:
            return self.whole(obj)
        value = getattr(obj, name, MISSING)
        if callable(value):     # Site.facts(), Site.entities(): read by calling them
            value = value()
        return self.plain_or_hash(value)

    def plain_or_hash(self, value):
        if type(value) in PLAIN or value is MISSING:
            return value
        if type(value) is list:
            entry = self._list(value)
            if entry[2] is None:
                entry[2] = self._digest(entry[1])
            return entry[2]
        return self._digest(self.canon(value))

    def _list(self, value: list) -> list:
        """[the list, its canonical value, its hash once taken], kept by the object from the last build."""
        entry = self.lists.get(id(value))
        if entry is None:
            entry = self.lists_before.get(id(value))
            if entry is None or entry[0] is not value:
                entry = [value, self._canon_sequence(value), None]
            self.lists[id(value)] = entry
        return entry

    def whole(self, obj) -> bytes:
        """The hash of all of a model object's content fields."""
        found = self._whole.get(id(obj))
        if found is not None:
            return found
        if type(obj) is Fact:
            entry = self.kept.get(id(obj))
            if entry is None or entry[0] is not obj:
                entry = self.kept[id(obj)] = (obj, _hash(self._canon_fields(obj)))
            found = entry[1]
        else:
            found = self._digest(self._canon_fields(obj))
        self._whole[id(obj)] = found
        return found

    def value(self, value) -> bytes:
        if dataclasses.is_dataclass(value) and identity(value) is None:   # a citation: many pages show it
            found = self.values.get(id(value))
            if found is None:
                found = self.values_before.get(id(value))
                if found is None or found[0] is not value:
                    found = (value, _hash(self.canon(value)))
                self.values[id(value)] = found
            return found[1]
        return _hash(self.canon(value))

    def output(self, html: str) -> bytes:
        """The hash of a fragment's output (its text as it is: repr() of Arabic text costs 20 times more)."""
        return hashlib.blake2b(html.encode("utf-8"), digest_size=DIGEST_SIZE).digest()

    def _digest(self, canon) -> bytes:
        """The hash of a canonical value a key names; taken from the last build when an equal value was hashed
        there (the lookup tables, articles and entities are made again each build, mostly equal)."""
        found = self.hashes.get(canon)
        if found is None:
            found = self.before.get(canon)
            if found is None:
                found = _hash(canon)
            self.hashes[canon] = found
        return found

    def canon(self, value):
        """A nested tuple standing for the value: model objects by (kind, id), other dataclasses by their fields.
        Values equal in Python but printed differently (True and 1, 1.0 and 1, a str subclass and its text) stay
        apart, so canonical values can be compared as well as hashed."""
        cls = type(value)
        if cls is str or cls is int or value is None or cls is bytes or value is MISSING:
            return value
        if cls is bool or cls is float or isinstance(value, str):
            return (cls.__name__, repr(value))
        if isinstance(value, PurePath):
            return ("path", str(value))
        if cls is list:
            return self._list(value)[1]
        if cls is tuple:
            return self._canon_sequence(value)
        if cls is dict:
            return tuple((k, self.canon(v)) for k, v in value.items())
        ident = identity(value)
        if ident is not None:
            return ident
        if dataclasses.is_dataclass(value):   # a citation or a date is in many keys: taken apart once per build
            found = self._canon.get(id(value))
            if found is None:
                found = self._canon[id(value)] = self._canon_fields(value)
            return found
        raise TypeError(f"cannot take the digest of a {cls.__name__}")

    def _canon_sequence(self, value) -> tuple:
        if value and type(value[0]) in KINDS:     # most lists are facts or entities: one string for all
            names = _ids(value)
            if names is not None:
                return (IDS, names)
        return tuple(self.canon(v) for v in value)

    def _canon_fields(self, obj) -> tuple:
        cls = type(obj)
        names = self._fields.get(cls)
        if names is None:
            names = self._fields[cls] = _compare_fields(cls)
        return (cls.__name__,) + tuple(self.canon(getattr(obj, n)) for n in names)

    def still(self, recorded: dict) -> bool:
        """Whether every key of a record hashes now as it did when it was recorded."""
        of = self.of
        return all(of(key) == digest for key, digest in recorded.items())

    def record(self, keys) -> dict:
        """{key: digest} of what was read; an attribute read of an object also read whole is left to the whole."""
        whole = {key[:2] for key in keys if key[2] is None and key[0] != "look"}
        return {key: self.of(key) for key in keys if key[2] is None or key[:2] not in whole}


def _ids(items) -> str | None:
    """"kind\x1fid\x1e..." for a list of model objects (other than the site), else None."""
    try:
        return "\x1e".join([KINDS[type(item)] + "\x1f" + item.id for item in items])
    except (KeyError, AttributeError, TypeError):   # not all model objects with a text id
        return None


DIGEST_SIZE = 16


def _hash(canon) -> bytes:
    return hashlib.blake2b(repr(canon).encode("utf-8"), digest_size=DIGEST_SIZE).digest()
