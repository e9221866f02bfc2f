"""How a quote that is not in its article differs from the closest passage, in words an editor can act on: the
passage with the differing words marked, every invisible character named by code point and place, and a word that
differs only in Arabic letter forms, diacritics, tatweel, digits or punctuation said to be so."""
from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from .search import FOLD

WORD = re.compile(r"\S+")   # white space of any kind (NBSP, thin space...) separates words, as in FlatText
MAX_NOTES = 6               # the rest are counted: the line stays readable

# Printed as nothing, yet not white space: format characters (zero-width space and joiners, LRM/RLM/ALM, bidi
# embeddings and isolates, BOM, soft hyphen: category Cf), controls, and a few letters and marks that draw nothing.
_BLANK = {0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800} | set(range(0xFE00, 0xFE10))
TATWEEL = "\u0640"          # visible (it stretches the letter), but a spelling an editor may add or drop
# The letters an Arabic keyboard, a PDF or a Persian keyboard gives in place of the article's: what search folds
# (hamza forms of alef, ى, ة, Persian yeh and keheh), and the hamza seats and forms only words are aligned by here
LETTER_FORMS = str.maketrans({**FOLD, "ئ": "ي", "ؤ": "و", "ۀ": "ه", "ں": "ن"})


def invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cf", "Cc") or ord(ch) in _BLANK


def shown(text: str) -> str:
    """Text as the error shows it: each invisible character as <U+XXXX>, where it is."""
    return "".join(f"<U+{ord(c):04X}>" if invisible(c) else c for c in text)


_LETTERS_ONLY = re.compile("[\u0621-\u063a\u0641-\u064aA-Za-z0-9]*")   # nothing to drop or unfold


def fold(word: str) -> str:
    """A word as it reads: compatibility forms unfolded, invisible characters, marks, tatweel and punctuation
    dropped, letter forms and digits made one. Only to align words; quotes match exactly."""
    if _LETTERS_ONLY.fullmatch(word):
        return word.translate(LETTER_FORMS).casefold()
    out = []
    for c in unicodedata.normalize("NFKD", word):
        kind = unicodedata.category(c)
        if kind == "Mn" or kind[0] == "P" or c == TATWEEL or invisible(c):
            continue
        out.append(str(unicodedata.decimal(c)) if kind == "Nd" else c)
    return "".join(out).translate(LETTER_FORMS).casefold()


@dataclass
class Passage:
    """The article's words most like the quote, and the seed lines they are on."""
    words: list[str]
    first_line: int
    last_line: int


def closest_passage(quote: str, text: str) -> Passage | None:
    """The run of the article's words that lines up best with the quote's, compared as they read (fold): the
    offset most of the quote's words agree on, widened to what the quote covers."""
    spans = [(m.group(), m.start()) for m in WORD.finditer(text)]
    tokens = quote.split()
    if not spans or not tokens:
        return None
    words = [w for w, _ in spans]
    memo: dict[str, str] = {}     # an article repeats its words
    folded = [memo[w] if w in memo else memo.setdefault(w, fold(w)) for w in words]
    wanted = [fold(w) for w in tokens]
    at: dict[str, list[int]] = {}
    for j, w in enumerate(folded):
        at.setdefault(w, []).append(j)
    votes = Counter(j - i for i, w in enumerate(wanted) if w for j in at.get(w, ()))
    near = {d: sum(votes[d + k] for k in range(-2, 3)) for d in votes}
    best = max(votes, key=lambda d: (near[d], votes[d], -d), default=None)
    if best is None or near[best] * 2 < len(wanted):
        start, end = _by_letters(" ".join(wanted), folded)
    else:
        start, end = _widen(wanted, folded, best)
    if end <= start:
        return None
    lines = [text.count("\n", 0, spans[start][1]) + 1, text.count("\n", 0, spans[end - 1][1]) + 1]
    return Passage(_trim(tokens, words[start:end]), *lines)


def _trim(tokens: list[str], words: list[str]) -> list[str]:
    """The passage's first and last words cut to where the quote starts and ends: a quote may begin or end inside
    a word, before a full stop say, and that is no difference."""
    words = list(words)
    last, first = tokens[-1], tokens[0]
    if words[-1].startswith(last):
        words[-1] = last
    else:
        words[-1] = words[-1][:len(words[-1]) - max(0, _run(reversed(words[-1])) - _run(reversed(last)))]
    if words[0].endswith(first):
        words[0] = first
    else:
        words[0] = words[0][max(0, _run(words[0]) - _run(first)):]
    return [w for w in words if w]


def _run(chars) -> int:
    """How many punctuation marks the characters start with."""
    n = 0
    for c in chars:
        if unicodedata.category(c)[0] != "P":
            break
        n += 1
    return n


def _widen(wanted: list[str], folded: list[str], offset: int) -> tuple[int, int]:
    """The article's words from the one facing the quote's first word to the one facing its last, lining the
    quote up again inside a margin, so a word added, dropped, split or joined does not shift the ends."""
    margin = 2 + len(wanted) // 4
    lo, hi = max(0, offset - margin), min(len(folded), offset + len(wanted) + margin)
    blocks = [b for b in difflib.SequenceMatcher(None, wanted, folded[lo:hi], autojunk=False).get_matching_blocks()
              if b.size]
    if not blocks:
        return max(0, offset), min(len(folded), offset + len(wanted))
    first, last = blocks[0], blocks[-1]
    head, tail = lo + first.b, lo + last.b + last.size      # the first and one past the last word that agree
    before = _facing("".join(wanted[:first.a]), [folded[j] for j in range(head - 1, max(-1, head - first.a - 3), -1)],
                     first.a, reverse=True)
    after = _facing("".join(wanted[last.a + last.size:]), folded[tail:tail + len(wanted) - last.a - last.size + 2],
                    len(wanted) - last.a - last.size)
    return head - before, tail + after


def _facing(letters: str, candidates: list[str], count: int, reverse: bool = False) -> int:
    """How many of the article's words (candidates, nearest first) face the quote's unmatched edge words, whose
    letters are given: as many as the quote has, unless another number of words spells them much more alike
    (a space added or dropped)."""
    if not letters:
        return 0

    def score(n: int) -> float:
        taken = "".join(reversed(candidates[:n]) if reverse else candidates[:n])
        return difflib.SequenceMatcher(None, letters, taken, autojunk=False).ratio()

    chosen = min(count, len(candidates))
    best = max(0.6, score(chosen))
    for n in range(1, len(candidates) + 1):
        if n != chosen and score(n) > best:
            best, chosen = score(n), n
    return chosen


def _by_letters(wanted: str, folded: list[str]) -> tuple[int, int]:
    """When too few words agree (a typo in every word): the quote's number of words from where the longest run of
    letters it shares with the article puts its start."""
    joined, starts, at = [], [], 0
    for w in folded:
        starts.append(at)
        joined.append(w)
        at += len(w) + 1
    article = " ".join(joined)
    block = difflib.SequenceMatcher(None, wanted, article, autojunk=False).find_longest_match(
        0, len(wanted), 0, len(article))
    first = max(0, bisect.bisect_right(starts, block.b - block.a) - 1)
    return first, min(len(folded), first + len(wanted.split()))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def describe(text: str) -> str:
    """Characters by code point and name; a visible letter also as itself."""
    named = [f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')}" for c in text]
    if any(invisible(c) or unicodedata.category(c) == "Mn" for c in text):
        return f"{' '.join(f'U+{ord(c):04X}' for c in text)} ({' + '.join(n.split(' ', 1)[1] for n in named)})"
    return f"{text} ({' + '.join(named)})"


def place(tokens: list[str], t: int, k: int, word: str = "word") -> str:
    """Where character k of token t is, in words: after the 3rd word, inside the 2nd word after «ال»."""
    before = sum(1 for w in tokens[:t] if _visible(w))
    head, rest = _visible(tokens[t][:k]), _visible(tokens[t][k + 1:])
    if head and rest:
        return f"inside the {ordinal(before + 1)} {word}, after «{head}»"
    if head:
        return f"after the {ordinal(before + 1)} {word}"
    return f"after the {ordinal(before)} {word}" if before else f"before the first {word}"


def _visible(text: str) -> str:
    return "".join(c for c in text if not invisible(c))


KIND_NAMES = {"letters": "Arabic letter forms", "marks": "diacritics", "tatweel": "tatweel", "digits": "digits",
              "punctuation": "punctuation", "presentation": "presentation forms (as copied from a PDF)",
              "encoding": "how a letter is encoded", "case": "letter case or accents",
              "invisible": "invisible characters", "spacing": "where words are split"}
SIDES = {"quote": ("the quote", "word"), "article": ("the article", "word of the passage")}


def _kind(quote_part: str, article_part: str) -> str | None:
    """What a difference of a few characters inside a word is, or None when the word really differs."""
    both = quote_part + article_part
    if quote_part and article_part and unicodedata.normalize("NFC", quote_part) == unicodedata.normalize(
            "NFC", article_part):
        return "encoding"
    if all(unicodedata.category(c) == "Mn" for c in both):
        return "marks"
    if all(c == TATWEEL for c in both):
        return "tatweel"
    if all(unicodedata.category(c)[0] == "P" for c in both):
        return "punctuation"
    if quote_part and article_part and fold(quote_part) == fold(article_part):
        if all(unicodedata.category(c) == "Nd" for c in both):
            return "digits"
        if unicodedata.normalize("NFKC", quote_part) == unicodedata.normalize("NFKC", article_part):
            return "presentation"
        return "letters" if all("\u0600" <= c <= "\u06ff" for c in both) else "case"
    return None


class _Notes:
    """The notes on one quote's differences, and the kinds they are of."""

    def __init__(self, quote: list[str], passage: list[str]):
        self.tokens = {"quote": quote, "article": passage}
        self.items: list[str] = []
        self.kinds: set[str] = set()
        self.other = False      # a difference no note explains: a different word

    def invisible(self, side: str, t: int, ks=None) -> None:
        """Name each invisible character of token t (or those at ks) of a side, with its place."""
        tokens = self.tokens[side]
        for k in range(len(tokens[t])) if ks is None else ks:
            if invisible(tokens[t][k]):
                who, word = SIDES[side]
                self.items.append(f"{describe(tokens[t][k])} only in {who}, {place(tokens, t, k, word)}")
                self.kinds.add("invisible")

    def words(self, i1: int, i2: int, j1: int, j2: int) -> None:
        """Notes on one run of differing words: pairs that read alike, character by character; the rest, their
        invisible characters, or that they are the same letters split otherwise."""
        quote, article = self.tokens["quote"], self.tokens["article"]
        quote_f, article_f = [fold(w) for w in quote[i1:i2]], [fold(w) for w in article[j1:j2]]
        for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(None, quote_f, article_f, autojunk=False).get_opcodes():
            if tag == "equal":
                for k in range(a2 - a1):
                    self.word(i1 + a1 + k, j1 + b1 + k)
                continue
            for t in range(i1 + a1, i1 + a2):
                self.invisible("quote", t)
            for t in range(j1 + b1, j1 + b2):
                self.invisible("article", t)
            if "".join(quote_f[a1:a2]) != "".join(article_f[b1:b2]):
                self.other = True
            elif "".join(quote_f[a1:a2]):
                self.kinds.add("spacing")

    def word(self, i: int, j: int) -> None:
        """A word of the quote that reads as the article's word: each character that differs, named; an
        invisible one with its place."""
        q, a = self.tokens["quote"][i], self.tokens["article"][j]
        said = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, q, a, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            self.invisible("quote", i, range(i1, i2))
            self.invisible("article", j, range(j1, j2))
            mine, theirs = _visible(q[i1:i2]), _visible(a[j1:j2])
            if not mine and not theirs:
                continue
            kind = _kind(mine, theirs)
            if kind is None:
                self.other = True
                return
            self.kinds.add(kind)
            if mine and theirs:
                said.append(f"{describe(mine)} in the quote where the article has {describe(theirs)}")
            else:
                said.append(f"{describe(mine or theirs)} only in the {'quote' if mine else 'article'}")
        if said:
            n = sum(1 for w in self.tokens["quote"][:i + 1] if _visible(w))
            self.items.append(f"the {ordinal(n)} word «{shown(q)}» has " + ", ".join(said))

    def text(self) -> list[str]:
        notes = self.items[:MAX_NOTES]
        if len(self.items) > MAX_NOTES:
            notes.append(f"and {len(self.items) - MAX_NOTES} more")
        if self.kinds and not self.other:
            kinds = [KIND_NAMES[k] for k in KIND_NAMES if k in self.kinds]
            listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
            notes.insert(0, f"the quote differs from the article only in {listed}")
        return notes


def difference(quote: str, text: str, seed: str) -> list[tuple[str, str]]:
    """What follows «quote not found in SOURCE» as (kind, text) parts: "" plain text, "same" words the quote and
    the passage share, "quote" words only in the quote, "article" words only in the article, and "passage" the
    closest passage, whose text is the tuple of its own parts."""
    passage = closest_passage(quote, text)
    tokens = quote.split()
    notes = _Notes(tokens, passage.words if passage else [])
    if passage is None:
        for t in range(len(tokens)):
            notes.invisible("quote", t)
        return [("", "; " + "; ".join(notes.text()))] if notes.items else []
    words = passage.words
    lines = (f"line {passage.first_line}" if passage.first_line == passage.last_line
             else f"lines {passage.first_line}-{passage.last_line}")
    marked: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, tokens, words, autojunk=False).get_opcodes():
        if tag == "equal":
            marked.append(("same", shown(" ".join(tokens[i1:i2]))))
            continue
        if i1 < i2:
            marked.append(("quote", shown(" ".join(tokens[i1:i2]))))
        if j1 < j2:
            marked.append(("article", shown(" ".join(words[j1:j2]))))
        notes.words(i1, i2, j1, j2)
    passage = []
    for n, part in enumerate(marked):
        if n and not (part[0] == "article" and marked[n - 1][0] == "quote"):
            passage.append(("same", " "))
        passage.append(part)
    parts = [("", f"; closest passage (seeds/{seed} {lines}; "), ("quote", "only in the quote"), ("", " "),
             ("article", "only in the article"), ("", "): "), ("passage", tuple(passage))]
    said = notes.text()
    return parts + ([("", "; " + "; ".join(said))] if said else [])
