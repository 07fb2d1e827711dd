"""Summaries ("Tóm tắt bài …"): an article's lead and the sentences holding its key facts, in text order, cited.

A news summary carries the lead and the sentences with the article's central facts (figures, dates,
decisions, who did what). Each sentence gets a score from general signals of news writing — where it
stands, how much of the headline it repeats, how many figures, dates and names the span extractors of
qa/answer/spans.py find in it, whether it opens a paragraph, states a total, is a quote or a detail of the
sentence before — weighted by a logistic model fitted to reference key facts. The lead is taken first,
then sentences by maximal marginal relevance over the stored sentence vectors (score minus `redundancy`
times the cosine to the closest sentence already taken), within `max_sentences` and `max_chars`.

The weights and settings below were fitted and chosen by `python benchmarks/summaries.py --fit` on
eval/train-articles against eval/summary-facts.jsonl (eval/own-articles is held out); the method used
before issue 25 (the sentences closest to the article's mean vector) stays selectable as "centroid".
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from ..index.sentences import SentenceTable
from ..records import Answer, Article, Hit
from ..text.vntext import fold
from . import spans as span_kinds
from .question import Question

METHODS = ("key-facts", "centroid")
# The signals a sentence is scored on, in the order of SummarySettings.weights.
FEATURES = ("position", "headline_words", "headline_cosine", "centrality", "numbers", "quantities", "names", "density",
            "paragraph_start", "total", "quote", "speech", "detail", "consequence")


@dataclass(frozen=True, slots=True)
class SummarySettings:
    weights: tuple[float, ...]  # one per FEATURES
    bias: float
    redundancy: float  # MMR: how much a sentence's cosine to one already taken costs it
    max_sentences: int
    max_chars: int  # the sentences after the lead must fit in this many characters with it


# Fitted by `python benchmarks/summaries.py --fit` (see the module docstring).
SETTINGS = SummarySettings(weights=(-1.0147, 0.9907, 0.1312, 0.0058, 1.0805, 0.5191, -0.0755, -0.0934, 0.5456, 0.9191,
                                    -0.1412, -0.4367, -0.5205, 0.6131), bias=-1.3399, redundancy=2.0, max_sentences=6,
                           max_chars=900)

_CREDIT_LINE = re.compile(r"^\(?\s*(?:" + span_kinds.CREDIT_PREFIXES + r")\s*:", re.IGNORECASE)
# A sentence ends with its stop (a closing quote or bracket may follow); a headline, byline, dateline or
# subheading has none, and a line ending with ":" only announces what follows.
_SENTENCE_END = re.compile(r"[.!?…;][\"”’'»)\]]*\s*$|[\"”»]\s*$")
_QUOTE = re.compile(r"^[\"“«]|[\"”»],?\s+\w")
# Reported speech: the verbs that attribute a statement to its speaker (general Vietnamese news usage).
_SPEECH = re.compile(r"(?<!\w)(?:cho biết|nói|nhấn mạnh|chia sẻ|khẳng định|bày tỏ|nhận định|đánh giá|"
                     r"lưu ý|thừa nhận|phấn khởi|tâm sự)(?!\w)", re.IGNORECASE)
# A total or a whole: "Tổng …", "toàn tỉnh …", "cả nước …".
_TOTAL = re.compile(r"(?<!\w)(?:tổng|toàn (?:tỉnh|thành phố|huyện|quốc|ngành)|cả nước|tất cả)(?!\w)",
                    re.IGNORECASE)
# Openers of a detail of what the sentence before said ("Trong đó, …", "Riêng …", "Ngoài ra, …").
_DETAIL = re.compile(r"^(?:trong đó|riêng|tiếp đến|tiếp theo|ngoài ra|bên cạnh đó|cũng tại|ngoài)(?!\w)",
                     re.IGNORECASE)
# Openers of what follows from it ("Theo đó, …", "Kết quả, …", "Tính chung, …").
_CONSEQUENCE = re.compile(r"^(?:theo đó|kết quả|như vậy|tính chung|tính đến|kết luận)(?!\w)", re.IGNORECASE)


def summarise(q: Question, hits: list[Hit], k: int, articles: dict[str, Article], sentences: SentenceTable,
              method: str = "key-facts", settings: SummarySettings = SETTINGS) -> Answer | None:
    """A summary of the article of the first hit: its lead and key-fact sentences ("key-facts") or its
    three sentences closest to its mean vector ("centroid"), quoted in text order, each cited [1].
    None when the article has no sentence to summarise."""
    if method not in METHODS:
        raise ValueError(f"unknown summary method {method!r}; choose one of {', '.join(METHODS)}")
    article = articles[hits[0].article_id]
    rows = sentences.rows(article.id)
    if method == "key-facts":
        chosen = key_sentences(article, sentences, settings)
    else:
        chosen = central_sentences(article, sentences)
    if not chosen:
        return None
    spans = [(int(sentences.starts[rows.start + i]), int(sentences.ends[rows.start + i])) for i in chosen]
    parts = [article.text[a:b] for a, b in spans]
    text = f"Tóm tắt «{article.title}»: " + " ".join(f"{p} [1]" for p in parts)
    cited = replace(hits[0], highlight=None)
    return Answer(question=q.shown, text=text, abstained=False, citations=[cited, *hits[1:k]], span=" ".join(parts),
                  start=spans[0][0], end=spans[-1][1], kind="summary", confidence=1.0, confident=True, summary=spans)


def central_sentences(article: Article, sentences: SentenceTable, count: int = 3) -> list[int]:
    """The method before issue 25: the `count` sentences closest to the mean of the article's sentence
    vectors (the headline, row 0, left out), as row offsets in text order."""
    rows = sentences.rows(article.id)
    if len(rows) < 2:
        return []
    vectors = np.asarray(sentences.vectors[rows.start:rows.stop], dtype=np.float32)
    centre = vectors[1:].mean(axis=0)
    return sorted(sorted(range(1, len(vectors)), key=lambda i: -float(vectors[i] @ centre))[:count])


def key_sentences(article: Article, sentences: SentenceTable, settings: SummarySettings = SETTINGS) -> list[int]:
    """The lead and the key-fact sentences of an article, as row offsets (row 0 is the headline) in text
    order: the lead first, then maximal marginal relevance within the settings' sentence and character limits."""
    offsets, features = sentence_features(article, sentences)
    if not offsets:
        return []
    rows = sentences.rows(article.id)
    vectors = np.asarray(sentences.vectors[rows.start:rows.stop], dtype=np.float32)
    lengths = [int(sentences.ends[rows.start + i] - sentences.starts[rows.start + i]) for i in offsets]
    scores = features @ np.asarray(settings.weights, dtype=np.float64) + settings.bias
    texts = [article.text[sentences.starts[rows.start + i]:sentences.ends[rows.start + i]] for i in offsets]
    chosen, used = [0], lengths[0]  # the lead, whatever its length
    while len(chosen) < settings.max_sentences:
        best, best_value = None, -math.inf
        for j in range(len(offsets)):
            if j in chosen or used + lengths[j] > settings.max_chars or texts[j] in (texts[c] for c in chosen):
                continue
            closest = max(float(vectors[offsets[j]] @ vectors[offsets[c]]) for c in chosen)
            value = scores[j] - settings.redundancy * closest
            if value > best_value:
                best, best_value = j, value
        if best is None:
            break
        chosen.append(best)
        used += lengths[best]
    return sorted(offsets[j] for j in chosen)


def candidates(article: Article, sentences: SentenceTable) -> list[int]:
    """Row offsets of the sentences a summary may quote: not the headline, a photo caption or its credit
    line, a byline, dateline or subheading (no sentence stop), a line announcing a list (":"), or a fragment."""
    rows = sentences.rows(article.id)
    texts = [article.text[sentences.starts[r]:sentences.ends[r]].strip() for r in rows]
    kept = []
    for i in range(1, len(texts)):
        text = texts[i]
        if _CREDIT_LINE.match(text) or not _SENTENCE_END.search(text) or len(text.split()) < 4:
            continue
        if i + 1 < len(texts) and _CREDIT_LINE.match(texts[i + 1]):
            continue  # a photo's caption: its credit line follows
        kept.append(i)
    return kept


def sentence_features(article: Article, sentences: SentenceTable) -> tuple[list[int], np.ndarray]:
    """(row offsets of the candidate sentences, their FEATURES as a matrix), in text order."""
    offsets = candidates(article, sentences)
    rows = sentences.rows(article.id)
    if not offsets:
        return [], np.zeros((0, len(FEATURES)))
    headline = article.text[sentences.starts[rows.start]:sentences.ends[rows.start]]
    headline_words = set(re.findall(r"\w+", fold(headline)))
    vectors = np.asarray(sentences.vectors[rows.start:rows.stop], dtype=np.float32)
    centre = vectors[offsets].mean(axis=0)
    centre /= float(np.linalg.norm(centre)) or 1.0
    matrix = []
    for rank, i in enumerate(offsets):
        start, end = int(sentences.starts[rows.start + i]), int(sentences.ends[rows.start + i])
        text = article.text[start:end]
        found = span_kinds.all_spans(text)
        numbers = {span for kind, span in found if kind in ("number", "date")}
        names = {span for kind, span in found if kind in ("document", "person", "organization", "place")}
        # a quantity: a number with what it counts ("21.350 tỷ đồng", "35%", "412 ca"), not a bare date
        quantities = [s for s in span_kinds.numbers(text) if re.search(r"\d", text[s[0]:s[1]])
                      and re.search(r"[^\W\d_]|%", text[s[0]:s[1]])]
        words = re.findall(r"\w+", fold(text))
        values = {
            "position": math.log1p(rank),
            "headline_words": len(set(words) & headline_words) / max(1, len(headline_words)),
            "headline_cosine": float(vectors[i] @ vectors[0]),
            "centrality": float(vectors[i] @ centre),
            "numbers": math.log1p(len(numbers)),
            "quantities": math.log1p(len(quantities)),
            "names": math.log1p(len(names)),
            "density": (len(numbers) + len(names)) / max(1, len(words)),
            "paragraph_start": float(start == 0 or article.text[start - 1] == "\n"),
            "total": float(bool(_TOTAL.search(text))),
            "quote": float(bool(_QUOTE.search(text))),
            "speech": float(bool(_SPEECH.search(text))),
            "detail": float(bool(_DETAIL.match(text))),
            "consequence": float(bool(_CONSEQUENCE.match(text))),
        }
        matrix.append([values[name] for name in FEATURES])
    return offsets, np.asarray(matrix, dtype=np.float64)
