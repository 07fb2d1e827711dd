"""How a question meets a text: the words of the question a text covers (idf-weighted), the names, years
and codes it states, where its words sit around a span, and the typed spans of a sentence.

General signals of any article; the candidate features (qa/answer/candidates.py) and the span features
(qa/answer/short_answer.py) are made of them.
"""
from __future__ import annotations

import functools
import math
import re

from ..text.vntext import fold, search_form
from ..text.vocabulary import YEAR_IN_TEXT
from . import spans as span_kinds
from .question import Question


class Profile:
    """What a text is matched on: exact and folded words, word pairs, and the padded folded text."""

    __slots__ = ("exact", "folded", "exact_pairs", "folded_pairs", "padded")

    def __init__(self, text: str):
        exact_words = re.findall(r"\w+(?:[-/.]\w+)*", search_form(text))
        parts = [p for w in exact_words if re.search(r"[-/.]", w) for p in re.split(r"[-/.]", w) if p]
        folded_words = [fold(w) for w in exact_words]
        self.exact = frozenset(exact_words + parts)
        self.folded = frozenset(folded_words + [fold(p) for p in parts])
        self.exact_pairs = frozenset(f"{a} {b}" for a, b in zip(exact_words, exact_words[1:]))
        self.folded_pairs = frozenset(f"{a} {b}" for a, b in zip(folded_words, folded_words[1:]))
        # every word on its own ("17-qd/ubnd" -> "17 qd ubnd"), so names are found whatever punctuation joins them
        self.padded = " " + " ".join(re.findall(r"\w+", fold(text))) + " "

    def has(self, term) -> bool:
        if term.bigram:
            return term.text in (self.exact_pairs if term.exact else self.folded_pairs)
        return term.text in (self.exact if term.exact else self.folded)


@functools.lru_cache(maxsize=200_000)
def text_profile(text: str) -> Profile:
    return Profile(text)


def coverage(q: Question, profile: Profile, pairs: bool = False) -> float:
    """The share of the question's idf weight (single words, or word pairs) found in a text."""
    terms = [t for t in q.terms if t.bigram == pairs]
    total = sum(t.idf for t in terms)
    if not total:
        return 0.0
    return sum(t.idf for t in terms if profile.has(t)) / total


def mentions(padded: str, name: str) -> bool:
    words = " ".join(re.findall(r"\w+", name))
    return f" {words} " in padded


@functools.lru_cache(maxsize=100_000)
def spans_of(sentence: str) -> tuple[tuple[str, tuple[int, int]], ...]:
    """Typed spans depend on the sentence only: computed once per sentence, whatever is asked."""
    return tuple(span_kinds.all_spans(sentence))


PRIMARY = {"date": "date", "published": "date", "number": "number", "person": "person", "author": "person",
            "photo": "credit", "role": "role", "organization": "organization", "outlet": "organization",
            "place": "place", "document": "document"}


# Units as questions name them ("bao nhiêu mét") and as articles write them ("120 m").
UNIT_ALIASES = {"met": {"m"}, "kilomet": {"km"}, "ki": {"km"}, "km": {"km", "kilomet"}, "hecta": {"ha"},
                 "hec": {"ha"}, "ha": {"ha", "hecta"}, "tan": {"tan"}, "kilogam": {"kg"}, "kg": {"kg"},
                 "phan": {"%"}, "ty": {"ty", "ti"}, "ti": {"ty", "ti"}, "trieu": {"trieu"}, "usd": {"usd", "do"},
                 "do": {"usd"}, "lit": {"lit"}, "m2": {"m2", "met vuong"}, "km2": {"km2"}}


# Amounts of money are asked by what they are ("bao nhiêu vốn / tiền / kinh phí") and answered in a currency.
for _money in ("tien", "von", "kinh", "ngan", "gia", "doanh", "kim", "chi", "muc", "tong"):
    UNIT_ALIASES.setdefault(_money, set()).update({"dong", "usd", "ty", "trieu", "nghin", "euro"})


def counts_asked(q: Question, span: str, following: str) -> bool:
    """Whether a number counts what the question asks about: "bao nhiêu hội nghị" is answered by
    "76 hội nghị", "dài bao nhiêu mét" by "120 m" (the unit inside the span or right after it)."""
    if not q.asked_noun:
        return False
    words = [w for w in re.findall(r"[^\W\d_]+|%", fold(span))] + re.findall(r"[^\W\d_]+|%", fold(following))[:2]
    asked = q.asked_noun.split()[0]
    return asked in words or bool(UNIT_ALIASES.get(asked, set()) & set(words))


def strongly_typed(asked: str, kind: str, text: str) -> bool:
    """A span of the very kind the question asks for (a person's name opens with a family name)."""
    if PRIMARY.get(asked) != kind:
        return False
    return kind != "person" or text.split()[0].lower() in span_kinds.SURNAMES


LIGHT = {"la", "co", "duoc", "cua", "va", "voi", "o", "tai", "cho", "da", "se", "dang", "thi", "ma", "nhung", "cac",
          "mot", "nay", "do", "vao", "ra", "den", "tu", "nhu", "the", "ve"}


def predicate_coverage(q: Question, profile: "Profile") -> float:
    """Share of the words around the question word ("ai | phát biểu chỉ đạo", "được gọi | là gì") found
    in the sentence: the answer attaches to that predicate, not to the question's context words."""
    words = [w for w in (*q.before_wh, *q.after_wh) if w not in LIGHT and len(w) > 1]
    if not words:
        return 0.0
    return sum(f" {w} " in profile.padded for w in words) / len(words)


def year_conflict(q: Question, text: str) -> float:
    """1 when the question names a year and the sentence names other years but not it ("năm 2023?"
    against "năm 2024 dự kiến ..."): the sentence is about another period."""
    if not q.years:
        return 0.0
    years = set(YEAR_IN_TEXT.findall(text))
    return float(bool(years) and not (years & set(q.years)))


def dated_codes(q: Question, sentence: str) -> set[tuple[int, int]]:
    """Offsets of the dates that date a document the question names ("Quyết định 17-QĐ/UBND ngày 3/2/2024"),
    matched by its number alone when the question gives only that ("quyết định 17")."""
    numbers = {re.match(r"\d+", n).group() for n in (*q.names, *q.numbers) if re.match(r"\d+", n)}
    return {m.span(2) for m in span_kinds.DOCUMENT_DATE.finditer(sentence)
            if re.match(r"\d+", m.group(1)).group() in numbers}


def name_positions(q: Question, folded_sentence: str) -> list[tuple[int, int]]:
    """Where the names, codes and years the question states occur in a sentence."""
    out = []
    for name in (*q.names, *q.years):
        words = re.findall(r"\w+", name)
        if words:
            pattern = r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)"
            out += [m.span() for m in re.finditer(pattern, folded_sentence)]
    return out


def closeness(positions: list[tuple[int, int]], a: int, b: int) -> float:
    """1 when text[a:b] sits right next to one of the positions, falling off over ~8 characters (a word or two):
    "Quyết định X ngày D" states X's date; a date three clauses away is another event's."""
    gaps = [max(0, x - b, a - y) for x, y in positions if not (a <= x and y <= b)]
    return math.exp(-min(gaps) / 8) if gaps else 0.0


def question_anchors(q: Question, folded_sentence: str) -> list[tuple[float, int, int]]:
    """Where the question's weighted words sit in a sentence: (idf, start, end) of each occurrence."""
    pattern, weights = anchor_pattern(q.terms)
    if pattern is None:
        return []
    return [(weights[m.group()], m.start(), m.end()) for m in pattern.finditer(folded_sentence)]


@functools.lru_cache(maxsize=1024)
def anchor_pattern(terms) -> tuple[re.Pattern | None, dict[str, float]]:
    """One regex for all of a question's words (compiled once per question, not once per sentence)."""
    weights: dict[str, float] = {}
    for t in terms:
        if not t.bigram and len(t.text) > 1:
            weights[fold(t.text)] = max(weights.get(fold(t.text), 0.0), t.idf)
    if not weights:
        return None, weights
    words = sorted(weights, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)"), weights


def proximity(anchors: list[tuple[float, int, int]], a: int, b: int, q: Question) -> float:
    """How much of the question's weight sits close around text[a:b] (outside it): the answer to a
    question is usually surrounded by the question's own words."""
    if not anchors:
        return 0.0
    return sum(w * math.exp(-max(0, x - b, a - y) / 40) for w, x, y in anchors if not (a <= x and y <= b)) / q.content_idf
