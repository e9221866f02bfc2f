"""Read an editor's text file safely: UTF-8 without BOM, bounded size, and YAML that keeps line numbers.

YAML is parsed with a SafeLoader that refuses aliases (no "billion laughs"), duplicate keys and any
non-standard tag, keeps dates as strings, and records the line of every mapping, key and list item.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from .model import Error

MAX_BYTES = 2_000_000   # far above any real content file; stops a runaway file before YAML sees it
MAX_DEPTH = 50          # mappings and lists inside each other; content needs about six


class Map(dict):
    """A YAML mapping that remembers its own line and the line of each key."""
    line = 0
    key_lines: dict = {}    # replaced per instance by the loader; never mutated in place

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class Seq(list):
    """A YAML list that remembers its own line and the line of each item."""
    line = 0
    item_lines: list = []   # replaced per instance by the loader; never mutated in place


class _Loader(yaml.SafeLoader):
    pass


# Keep "2025-02-27" a string: dates are validated as text, never turned into datetime objects.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _compose_node(self, parent, index):
    event = self.peek_event()
    if isinstance(event, yaml.AliasEvent):
        raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in content files",
                                          event.start_mark)
    if getattr(event, "anchor", None):  # the anchor is on the event: composed nodes do not keep it
        raise yaml.composer.ComposerError(None, None, "anchors (&name) are not allowed in content files",
                                          event.start_mark)
    return yaml.composer.Composer.compose_node(self, parent, index)


_Loader.compose_node = _compose_node


def _construct_map(loader, node):
    loader.flatten_mapping(node)
    result = Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(None, None, "a key must be plain text", key_node.start_mark)
        if key in result.key_lines:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (first on line {result.key_lines[key]})", key_node.start_mark)
        result.key_lines[key] = key_node.start_mark.line + 1
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _construct_seq(loader, node):
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _refuse_tag(loader, suffix, node):
    raise yaml.constructor.ConstructorError(None, None, f"the tag '{node.tag}' is not allowed", node.start_mark)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)
_Loader.add_multi_constructor("", _refuse_tag)
_Loader.add_constructor(None, lambda loader, node: _refuse_tag(loader, "", node))


class _Unusual(Exception):
    """Something the event reader leaves to the reference loader (which accepts it or says what is wrong)."""


_NO_KEY = object()
_PLAIN_TYPES = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
                "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _from_events(text: str):
    """The same Map/Seq/scalars _Loader gives, built straight from libyaml's parse events: about five times
    faster, as it skips PyYAML's node tree and runs tag resolution only for scalars that could be other than
    text. Aliases, anchors, tags, duplicate or complex keys and merge keys raise _Unusual."""
    stack: list[list] = []      # [container, the key waiting for its value] per open mapping or list
    result = None
    documents = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        kind = event.__class__
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            stack.pop()
            continue
        if kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Unusual
            continue
        value = _value(event)
        if value is _NO_KEY:
            continue
        if not stack:
            result = value
        else:
            _place(stack[-1], value, event)
        if value.__class__ is Map or value.__class__ is Seq:
            stack.append([value, _NO_KEY])
    return result


def _value(event):
    """What an event stands for: a scalar, or a new empty mapping or list; _NO_KEY for events that add nothing."""
    kind = event.__class__
    if kind is yaml.AliasEvent or getattr(event, "anchor", None):
        raise _Unusual
    if kind is yaml.ScalarEvent:
        return _scalar(event)
    if kind is not yaml.MappingStartEvent and kind is not yaml.SequenceStartEvent:
        return _NO_KEY
    if event.tag is not None and not event.implicit:
        raise _Unusual
    value = Map() if kind is yaml.MappingStartEvent else Seq()
    value.line = event.start_mark.line + 1
    if kind is yaml.MappingStartEvent:
        value.key_lines = {}
    else:
        value.item_lines = []
    return value


def _place(top: list, value, event) -> None:
    """Put a value into the open container: a list's next item, a mapping's next key, or that key's value."""
    container = top[0]
    if container.__class__ is Seq:
        container.append(value)
        container.item_lines.append(event.start_mark.line + 1)
    elif top[1] is _NO_KEY:
        if value.__class__ in (Map, Seq) or value in container.key_lines or value == "<<":
            raise _Unusual
        container.key_lines[value] = event.start_mark.line + 1
        top[1] = value
    else:
        container[top[1]] = value
        top[1] = _NO_KEY


def _scalar(event: yaml.ScalarEvent):
    """A scalar as _Loader constructs it: text, unless plain and shaped like null, a boolean or a number."""
    value = event.value
    if event.tag is not None and event.tag != "!":
        raise _Unusual
    if not event.implicit[0]:
        return value
    for tag, pattern in _Loader.yaml_implicit_resolvers.get(value[:1], ()):
        if pattern.match(value):
            if tag not in _PLAIN_TYPES:
                raise _Unusual
            node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark)
            return _Loader.yaml_constructors[tag](_Loader(""), node)
    return value


# Nested flow collections, or a line indented 200 deep: libyaml recurses in C without a limit (a crash, not an
# error), so such text goes to the pure-Python loader, which stops at Python's recursion limit.
_DEEP = re.compile(r"[\[{][^\]}]*[\[{]|^[ \t?:-]{200,}", re.MULTILINE)


_OTHERWISE = re.compile("[&\t\r\ufeff]")


def _load(text: str, events: bool):
    """Plain content goes through libyaml's events; anything unusual (an anchor, a control character, deep
    nesting, a document libyaml rejects) and what libyaml reads otherwise than the reference (a tab or a carriage
    return, which it lets pass where PyYAML does not; a byte order mark, which it takes for the start of a stream
    anywhere) through the pure-Python loader, whose checks and messages are the reference."""
    deep = _DEEP.search(text)
    if (events and hasattr(yaml, "CSafeLoader") and not _OTHERWISE.search(text)
            and not yaml.reader.Reader.NON_PRINTABLE.search(text) and not deep):
        try:
            return _from_events(text)
        except (yaml.YAMLError, _Unusual):
            pass
    if deep:
        _check_depth(text)
    return yaml.load(text, Loader=_Loader)


def _check_depth(text: str) -> None:
    """Raise at the first mapping or list nested deeper than MAX_DEPTH. The pure-Python parser keeps its own
    stack (no recursion), so this stops where the loader would have run out of Python's."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_DEPTH} levels deep",
                                           problem_mark=event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


# Characters no text field may hold. They pass YAML's own check through escapes ("\x1b", "\0", "\u202e") or,
# for the bidi controls, as printable text: control characters (terminal escapes, NUL), invisible line breaks, and
# bidi embeddings and overrides (U+202A-U+202E), which reorder everything after them up to the end of the
# paragraph, on every page showing the field. Bidi isolates (U+2066-U+2069) are kept within themselves, so they
# are allowed when each one is closed.
HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")
ISOLATES = re.compile("[\u2066-\u2069]")
_MAYBE_HIDDEN = re.compile(r"[\\\u202a-\u202e\u2066-\u2069]")   # a backslash, or a bidi control as written
_NAMES = {0x202A: "LEFT-TO-RIGHT EMBEDDING", 0x202B: "RIGHT-TO-LEFT EMBEDDING", 0x202C: "POP DIRECTIONAL FORMATTING",
          0x202D: "LEFT-TO-RIGHT OVERRIDE", 0x202E: "RIGHT-TO-LEFT OVERRIDE", 0x2028: "LINE SEPARATOR",
          0x2029: "PARAGRAPH SEPARATOR"}


def hidden_character(text: str) -> str | None:
    """Why `text` may not be published as it is (a control or bidi override, an unclosed isolate), or None."""
    bad = HIDDEN.search(text)
    if bad:
        code = ord(bad.group())
        name = _NAMES.get(code, "a control character")
        return f"U+{code:04X} ({name}) is not allowed in text; remove it"
    open_isolates = 0
    for mark in ISOLATES.findall(text):
        open_isolates += -1 if mark == "\u2069" else 1
        if open_isolates < 0:
            return "U+2069 (POP DIRECTIONAL ISOLATE) closes no isolate; remove it"
    if open_isolates:
        return "a bidi isolate (U+2066-U+2068) is not closed by U+2069 in the same text; close or remove it"
    return None


def text_errors(data, text: str, rel: str) -> list[Error]:
    """An error for every key or text of parsed YAML holding a character hidden_character() refuses, at its line."""
    if not _MAYBE_HIDDEN.search(text) and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        return []   # nothing in the file could have produced one: the usual case, checked in one pass
    errors = []
    stack = [(data, 1)]
    while stack:
        node, line = stack.pop()
        if isinstance(node, Map):
            for key, value in node.items():
                stack += [(key, node.line_of(key)), (value, node.line_of(key))]
        elif isinstance(node, Seq):
            stack += zip(node, node.item_lines)
        elif isinstance(node, str):
            problem = hidden_character(node)
            if problem:
                errors.append(Error(rel, line, problem))
    return errors


def read_text(path: Path, rel: str) -> tuple[str | None, list[Error]]:
    """The file's text with line endings made "\n", or the error that makes it unreadable."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, [Error(rel, 0, f"file is larger than {MAX_BYTES // 1_000_000} MB; split it")]
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [Error(rel, 0, "file not found")]
    except IsADirectoryError:
        return None, [Error(rel, 0, "is a folder, expected a file")]
    except OSError as exc:
        return None, [Error(rel, 0, f"cannot read file: {exc.strerror}")]
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [Error(rel, 1, "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, [Error(rel, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def parse_yaml(text: str, rel: str, *, events: bool = True) -> tuple[object, list[Error]]:
    """Parse YAML text into Map/Seq/scalars, or return the one error that stops it (and None). Text that may not
    be published comes back as errors beside the data: the rest of the file can still be checked.
    `events=False` reads everything with the reference loader (slower; the same result, which tests check)."""
    if not text.strip():
        return None, [Error(rel, 1, "file is empty")]
    # YAML 1.1 also breaks lines at NEL, LS and PS, which editors show inside a line (or not at all): after one,
    # every line number YAML reports would be off.
    separator = re.search("[\x85\u2028\u2029]", text)
    if separator:
        line = text.count("\n", 0, separator.start()) + 1
        return None, [Error(rel, line, f"invisible line separator U+{ord(separator.group()):04X}; "
                                       "replace it with a line break or a space")]
    try:
        data = _load(text, events)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = exc.problem or "invalid YAML"
        lines = text.split("\n")
        if 0 < line <= len(lines) and "\t" in lines[line - 1]:
            problem = "tab character: indent YAML with spaces"
        elif exc.context:
            # The parser notices an unclosed quote or bracket only lines later: name where it was opened.
            opened = exc.context_mark.line + 1 if exc.context_mark else line
            problem += f" ({exc.context}" + (f" on line {opened})" if opened != line else ")")
        return None, [Error(rel, line, f"YAML: {problem}")]
    except yaml.reader.ReaderError as exc:
        # A control character. PyYAML's own text spans two lines and gives an offset, not a line.
        line = text.count("\n", 0, exc.position) + 1
        return None, [Error(rel, line, f"YAML: special character U+{exc.character:04X} is not allowed")]
    except yaml.YAMLError as exc:
        return None, [Error(rel, 0, f"YAML: {exc}")]
    except RecursionError:
        return None, [Error(rel, 0, "YAML: nested too deeply")]
    return data, text_errors(data, text, rel)


def load_yaml(path: Path, rel: str) -> tuple[object, list[Error]]:
    text, errors = read_text(path, rel)
    if errors:
        return None, errors
    return parse_yaml(text, rel)
