"""Candidates -> features -> fitted scorer -> span -> Answer (or an abstention).

Candidates are the sentences of the retrieved passages (with their neighbours' signals) and the
metadata of the retrieved articles (byline, outlet, publication date). Each gets features that
mean the same thing in any article: how close it is to the question in the embedding space, how
much of the question's idf weight it and its article cover, whether it holds a span of the asked
type, whether the names, years and numbers the question states are in its article. A logistic
model fitted on question sets (`qa fit`, qa/models/answer-model.json) turns them into the
probability that the candidate answers; a second fitted model picks the span inside it. One
calibrated confidence comes with every answer; below the fitted threshold the answer is refused.
"""
from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import spans as span_kinds
from .errors import QAError
from .question import Question, is_acronym
from .reader import Reader, Reading, build_windows, candidate_order
from .records import Answer, Article, Hit
from .index.sentences import SentenceTable
from .summary import summarise
from .text.vntext import fold, search_form, sentence_spans
from .text.vocabulary import METADATA_LABELS, METADATA_NAMES, YEAR_IN_TEXT

NOT_FOUND = "Không tìm thấy thông tin này trong các bài viết."
MAX_EXCERPT = 260  # characters of article text quoted with an answer
CANDIDATE_HITS = 8  # passages whose sentences are candidates
METADATA_ARTICLES = 3  # articles whose byline, outlet and date are candidates
MODEL_PATH = Path(__file__).with_name("models") / "answer-model.json"
MODEL_FORMAT = 2

SENTENCE_FEATURES = (
    "cos_sentence", "cos_sentence_gap", "cos_neighbour", "cos_passage", "passage_rank", "passage_score",
    "coverage", "coverage_gap", "coverage_pairs", "coverage_window", "coverage_previous", "coverage_article",
    "missing_idf", "names_missing", "years_missing", "numbers_missing",
    "typed_question", "type_match_strong", "type_match_weak", "log_words", "is_title", "is_metadata", "metadata_match",
    "english", "lead", "anchor_in_sentence", "question_names", "typed_proximity",
    "names_missing_near", "years_missing_near", "missing_idf_near", "predicate_coverage", "typed_next_to_name",
    "dates_named_document", "year_conflict",
)
SPAN_FEATURES = (
    "kind_date", "kind_number", "kind_person", "kind_role", "kind_organization", "kind_place", "kind_document",
    "kind_credit", "kind_capital", "kind_quote", "kind_clause", "kind_after_anchor", "kind_sentence",
    "type_match", "question_overlap", "anchor_distance", "after_anchor", "before_anchor", "log_words", "long",
    "noun_next", "relative_position", "surname_start", "proximity", "typed_mismatch", "strong_match",
    "after_copula", "after_place_word", "after_agent_word", "after_time_word", "question_word_before",
    "question_word_after", "no_question_words", "after_horizon_word", "title_before", "inside_capital_run",
    "dates_named_document",
)


# ---- the fitted model -----------------------------------------------------------------------
@dataclass(frozen=True)
class Linear:
    """A standardised logistic model: p = sigmoid(coef . (x - mean) / scale + intercept)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.round(6).tolist(), "scale": self.scale.round(6).tolist(),
                "coef": self.coef.round(6).tolist(), "intercept": round(float(self.intercept), 6)}

    @classmethod
    def from_dict(cls, data: dict, expected: tuple[str, ...]) -> "Linear":
        if tuple(data["features"]) != expected:
            raise ValueError("the model's features are not the ones this code computes; refit with `qa fit`")
        return cls(tuple(data["features"]), np.array(data["mean"], float), np.array(data["scale"], float),
                   np.array(data["coef"], float), float(data["intercept"]))


@dataclass(frozen=True)
class AnswerModel:
    sentence: Linear
    span: Linear
    answer_threshold: float  # below: refuse ("not in these articles")
    confident_threshold: float  # at or above: a confident answer; between the two: a tentative one
    # an adjacent sentence scored at least this fraction of the best one's probability is shown with it:
    # the answer often sits in the sentence after (or before) the one that repeats the question's words
    neighbour_ratio: float = 1.0
    info: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> "AnswerModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"answer model format {data.get('format')} is not {MODEL_FORMAT}; refit with `qa fit`")
        return cls(Linear.from_dict(data["sentence"], SENTENCE_FEATURES), Linear.from_dict(data["span"], SPAN_FEATURES),
                   float(data["thresholds"]["answer"]), float(data["thresholds"]["confident"]),
                   float(data["thresholds"]["neighbour"]),
                   {k: v for k, v in data.items() if k not in ("sentence", "span", "thresholds")})

    def to_dict(self) -> dict:
        return {"format": MODEL_FORMAT, **self.info, "thresholds": {"answer": self.answer_threshold,
                                                                     "confident": self.confident_threshold,
                                                                     "neighbour": self.neighbour_ratio},
                "sentence": self.sentence.to_dict(), "span": self.span.to_dict()}


@functools.lru_cache(maxsize=4)
def default_model(path: str = str(MODEL_PATH)) -> AnswerModel | None:
    return AnswerModel.load(path) if Path(path).exists() else None


# ---- candidates ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence of an article, or one of its metadata fields, that may answer the question."""

    article_id: str
    start: int  # offsets in article.text (metadata: -1)
    end: int
    kind: str  # "sentence", or the metadata field: "author", "outlet", "published"
    hit: int  # index of the passage it came from in the ranked list
    features: np.ndarray
    value: str = ""  # metadata: the field's text as the page prints it


class _Profile:
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
def _profile(text: str) -> _Profile:
    return _Profile(text)


def coverage(q: Question, profile: _Profile, pairs: bool = False) -> float:
    """The share of the question's idf weight (single words, or word pairs) found in a text."""
    terms = [t for t in q.terms if t.bigram == pairs]
    total = sum(t.idf for t in terms)
    if not total:
        return 0.0
    return sum(t.idf for t in terms if profile.has(t)) / total


def _mentions(padded: str, name: str) -> bool:
    words = " ".join(re.findall(r"\w+", name))
    return f" {words} " in padded


class Answerer:
    """Turns ranked passages into an Answer; holds the articles, their sentences and the model."""

    def __init__(self, articles: dict[str, Article], sentences: SentenceTable, model: AnswerModel | None = None,
                 reader: "Reader | None" = None):
        self.articles = articles
        self.sentences = sentences
        self._model = model
        # the reader (qa/reader.py) reads the best candidates with the question and decides; without it the
        # candidate scorer's probabilities do
        self.reader = reader

    @property
    def model(self) -> AnswerModel:
        """The fitted model, loaded on first use (finding candidates needs none, so `qa fit` runs without one)."""
        if self._model is None:
            try:
                self._model = default_model()
            except (ValueError, KeyError, OSError) as exc:
                raise QAError(f"the answer model {MODEL_PATH} cannot be used ({exc})") from None
            if self._model is None:
                raise QAError(f"the answer model {MODEL_PATH} is missing; reinstall hoi-dap or run `qa fit`")
        return self._model

    def sentence_spans(self, article_id: str) -> list[tuple[int, int]]:
        """(start, end) of an article's sentences in its text, in order (as the index split them)."""
        rows = self.sentences.rows(article_id)
        return list(zip(self.sentences.starts[rows.start:rows.stop].tolist(),
                        self.sentences.ends[rows.start:rows.stop].tolist()))

    # -- article-level facts, memoised --
    def article_profile(self, article_id: str) -> _Profile:
        article = self.articles[article_id]
        extra = " ".join(x for x in (article.dateline, article.published, article.published_inferred, article.outlet,
                                     article.author) if x)
        return _profile(article.text + "\n" + extra)

    def _agreement(self, q: Question, article_id: str) -> tuple[float, float, float, float, float]:
        """(coverage in the article, largest missing idf, names / years / numbers missing)."""
        profile = self.article_profile(article_id)
        cov = coverage(q, profile)
        n = max(1.0, max((t.idf for t in q.terms), default=1.0))
        missing = max((t.idf for t in q.terms if not t.bigram and not profile.has(t)), default=0.0) / n
        names = [nm for nm in q.names if not _mentions(profile.padded, nm) and not self._acronym_found(nm, article_id)]
        years = [y for y in q.years if f" {y} " not in profile.padded and y not in profile.padded]
        numbers = [x for x in q.numbers if not re.search(rf"(?<![\d.,]){re.escape(fold(x))}(?![\d])", profile.padded)]
        return (cov, missing, len(names) / len(q.names) if q.names else 0.0,
                len(years) / len(q.years) if q.years else 0.0, len(numbers) / len(q.numbers) if q.numbers else 0.0)

    @staticmethod
    def _near_agreement(q: Question, profile: "_Profile") -> tuple[float, float, float]:
        """Names / years the question states that are missing around the sentence, and the largest idf of
        its words missing there: the same facts must be stated near the answer, not only somewhere."""
        names = [n for n in q.names if not _mentions(profile.padded, n)]
        years = [y for y in q.years if f" {y} " not in profile.padded]
        n = max(1.0, max((t.idf for t in q.terms), default=1.0))
        missing = max((t.idf for t in q.terms if not t.bigram and not profile.has(t)), default=0.0) / n
        return (len(names) / len(q.names) if q.names else 0.0, len(years) / len(q.years) if q.years else 0.0, missing)

    def _acronym_found(self, name: str, article_id: str) -> bool:
        """A name written with an acronym in the question ("tp hcm") spelled out in the article
        ("thành phố cần thơ" for "tp ct"): a part without a vowel is an acronym and matches its initials."""
        parts = re.findall(r"\w+", name)
        if not any(is_acronym(part) for part in parts):
            return False
        pattern = " ".join(
            f"(?:{part}|{' '.join(c + '[a-z]*' for c in part)})" if is_acronym(part) else re.escape(part)
            for part in parts)
        return re.search(f" {pattern} ", self.article_profile(article_id).padded) is not None

    # -- candidates and their features --
    def candidates(self, q: Question, ranked: list[tuple[Hit, float]]) -> list[Candidate]:
        rows: list[tuple[str, int, int, str, int, str]] = []  # article, start, end, kind, hit, value
        seen: set[tuple[str, int]] = set()
        for h, (hit, _) in enumerate(ranked[:CANDIDATE_HITS]):
            if hit.article_id not in self.articles:
                continue
            article = self.articles[hit.article_id]
            table = self.sentences.rows(hit.article_id)
            for row in table:
                s, e = int(self.sentences.starts[row]), int(self.sentences.ends[row])
                if e > hit.start and s < hit.end and (hit.article_id, s) not in seen:
                    seen.add((hit.article_id, s))
                    # a lead-in ("... những hạn chế:", then "Cụ thể, ...") is read with what it announces, and a
                    # photo caption with the credit line under it ("Ảnh: ...")
                    if row + 1 < table.stop and _announces(article.text, s, e, int(self.sentences.starts[row + 1]),
                                                           int(self.sentences.ends[row + 1])):
                        e = int(self.sentences.ends[row + 1])
                    rows.append((hit.article_id, s, e, "sentence", h, ""))
        for h, article_id in enumerate(dict.fromkeys(hit.article_id for hit, _ in ranked[:METADATA_ARTICLES])):
            article = self.articles.get(article_id)
            if article is None:
                continue
            hit_index = next(i for i, (hit, _) in enumerate(ranked) if hit.article_id == article_id)
            # an inferred date is not a publication date: "when was it posted?" is then not answered
            for kind, value in (("author", article.author), ("outlet", article.outlet), ("published", _date_stated(article))):
                if value:
                    rows.append((article_id, -1, -1, kind, hit_index, value))
        if not rows:
            return []
        return self._featurise(q, ranked, rows)

    def _featurise(self, q: Question, ranked, rows) -> list[Candidate]:
        qvec = q.vector
        best_score = max((hit.score for hit, _ in ranked), default=1.0) or 1.0
        typed = q.asked not in ("fact", "summary", "list", "reason", "manner")
        answers = span_kinds.ANSWERS.get(q.asked, set())
        out_rows = []
        sentence_cos: list[float] = []
        coverages: list[float] = []
        cache: dict[tuple, tuple] = {}
        for article_id, s, e, kind, h, value in rows:
            article = self.articles[article_id]
            hit, hit_cos = ranked[h]
            table_rows = self.sentences.rows(article_id)
            index = self._row_of(article_id, s) if kind == "sentence" else (table_rows.start if len(table_rows) else None)
            cos = self._cos(qvec, index)
            prev_cos = self._cos(qvec, index - 1) if kind == "sentence" and index is not None and index > table_rows.start else 0.0
            next_cos = self._cos(qvec, index + 1) if kind == "sentence" and index is not None and index + 1 < table_rows.stop else 0.0
            if kind == "sentence":
                text = article.text[s:e]
                prev_text = (article.text[int(self.sentences.starts[index - 1]):s]
                             if index is not None and index > table_rows.start else "")
                window = article.text[max(0, s - 250):min(len(article.text), e + 250)]
            else:
                text = f"{METADATA_LABELS[kind]}: {value}"
                prev_text, window = "", text
            profile = _profile(text)
            cov = coverage(q, profile)
            agreement = cache.get(("agree", article_id)) or cache.setdefault(("agree", article_id), self._agreement(q, article_id))
            spans = self._typed_spans(q, text, kind) if kind == "sentence" else [(kind, (0, 0))]
            if kind == "sentence":
                strong = float(any(_strong(q.asked, k, text[a:b]) and (k != "number" or not q.asked_noun
                                                                         or _counts_asked(q, text[a:b], text[b:b + 30]))
                                   for k, (a, b) in spans))
                weak = float(any(k in answers for k, _ in spans))
            else:
                strong = weak = float(kind == _METADATA_ANSWERS.get(q.asked))
            anchor = 1.0 if q.before_wh and _mentions(profile.padded, " ".join(q.before_wh[-2:])) else 0.0
            if kind == "sentence":
                folded_text = fold(text)
                anchors = _anchors(q, folded_text)
                typed_proximity = max((_proximity(anchors, a, b, q) for k, (a, b) in spans if k in answers), default=0.0)
                names_at = _name_positions(q, folded_text)
                next_to_name = max((_closeness(names_at, a, b) for k, (a, b) in spans if k in answers), default=0.0)
            else:
                typed_proximity = next_to_name = float(kind == _METADATA_ANSWERS.get(q.asked))
            position = (index - table_rows.start) if index is not None and kind == "sentence" else 0
            features = [
                cos, 0.0, max(prev_cos, next_cos), hit_cos, 1.0 / (1 + h), hit.score / best_score,
                cov, 0.0, coverage(q, profile, pairs=True), coverage(q, _profile(window)), coverage(q, _profile(prev_text)),
                agreement[0], agreement[1], agreement[2], agreement[3], agreement[4],
                float(typed), strong, weak, math.log1p(len(text.split())),
                float(kind == "sentence" and s == 0), float(kind != "sentence"),
                float(kind != "sentence" and kind == _METADATA_ANSWERS.get(q.asked)),
                float(q.english), 1.0 / (1 + position), anchor, float(bool(q.names)), typed_proximity,
                *self._near_agreement(q, _profile(window)), _predicate_coverage(q, profile), next_to_name,
                float(q.asked == "date" and kind == "sentence" and bool(_dated_codes(q, text))),
                _year_conflict(q, text),
            ]
            sentence_cos.append(cos)
            coverages.append(cov)
            out_rows.append((article_id, s, e, kind, h, value, features))
        top_cos, top_cov = max(sentence_cos), max(coverages)
        candidates = []
        for article_id, s, e, kind, h, value, features in out_rows:
            features[1] = features[0] - top_cos
            features[7] = features[6] - top_cov
            candidates.append(Candidate(article_id, s, e, kind, h, np.array(features, dtype=float), value))
        return candidates

    def _row_of(self, article_id: str, start: int) -> int | None:
        rows = self.sentences.rows(article_id)
        if not len(rows):
            return None
        i = int(np.searchsorted(self.sentences.starts[rows.start:rows.stop], start))
        return rows.start + i if i < len(rows) and self.sentences.starts[rows.start + i] == start else None

    def _cos(self, qvec, row: int | None) -> float:
        if qvec is None or row is None or row >= len(self.sentences):
            return 0.0
        return float(np.asarray(self.sentences.vectors[row], dtype=np.float32) @ qvec)

    def _typed_spans(self, q: Question, sentence: str, kind: str) -> list[tuple[str, tuple[int, int]]]:
        """Typed spans of a sentence that do not merely repeat the question."""
        asked = q.folded
        return [(k, (a, b)) for k, (a, b) in _spans_of(sentence) if k != "clause" and fold(sentence[a:b]) not in asked]

    # -- answering --
    def answer(self, q: Question, ranked: list[tuple[Hit, float]], k: int = 5,
               candidates: list[Candidate] | None = None) -> Answer:
        """`candidates`: self.candidates(q, ranked) when already computed (`qa fit` holds them)."""
        hits = [hit for hit, _ in ranked]
        if q.asked == "summary" and hits:
            answer = summarise(q, hits, k, self.articles, self.sentences)
            return answer if answer is not None else self._refusal(q, hits, k)
        if candidates is None:
            candidates = self.candidates(q, ranked)
        if not candidates:
            return self._refusal(q, hits, k)
        if self.reader is not None and q.asked not in SCORER_ANSWERS:
            return self._answer_read(q, candidates, hits, ranked, k)
        probabilities, best = score_candidates(self.model.sentence, candidates)
        confidence = float(probabilities[best])
        if confidence < self.model.answer_threshold:
            return self._refusal(q, hits, k, confidence)
        shown_with = [candidates[j] for j in adjacent(candidates, best, self.articles)
                      if probabilities[j] >= self.model.neighbour_ratio * confidence]
        return self._compose(q, candidates[best], confidence, hits, ranked, k, shown_with)

    def read(self, q: Question, candidates: list[Candidate]) -> list[Reading]:
        """The reader's verdict on windows around the best candidates (scorer order), in that order."""
        order = candidate_order(self, candidates)
        spans = [(c.article_id, c.start, c.end) for c in candidates]
        windows = build_windows(order, spans, self.sentence_spans)
        pairs = [(self.articles[w.article_id].title, self.articles[w.article_id].text[w.start:w.end]) for w in windows]
        return [Reading(w, p, None if span is None else (w.start + span[0][0], w.start + span[0][1]),
                        0.0 if span is None else span[1])
                for w, (p, span) in zip(windows, self.reader.read(q.text, pairs))]

    def reranked(self, q: Question, ranked: list[tuple[Hit, float]]) -> list[Hit]:
        """The passages the reader reads as answering the question (at or above its refusal threshold) first,
        most probable first, each where the answer it found lies; then the others in retrieval order."""
        hits = [hit for hit, _ in ranked]
        best: dict[int, float] = {}
        for reading in self.read(q, self.candidates(q, ranked)):
            if reading.probability < self.reader.answer_threshold:
                continue
            at = reading.span[0] if reading.span else reading.window.start
            h = next((i for i, hit in enumerate(hits) if hit.article_id == reading.window.article_id
                      and hit.start <= at < hit.end), None)
            if h is not None:
                best[h] = max(best.get(h, 0.0), reading.probability)
        first = sorted(best, key=lambda i: (-best[i], i))
        return [hits[i] for i in first] + [hit for i, hit in enumerate(hits) if i not in best]

    def _answer_read(self, q: Question, candidates: list[Candidate], hits: list[Hit],
                     ranked: list[tuple[Hit, float]], k: int) -> Answer:
        readings = self.read(q, candidates)
        if not readings:
            return self._refusal(q, hits, k)
        best = max(readings, key=lambda r: r.probability)
        if best.probability < self.reader.answer_threshold or best.span is None:
            return self._refusal(q, hits, k, best.probability)
        article_id, (a, b) = best.window.article_id, _trimmed(self.articles[best.window.article_id].text, *best.span)
        covering = [(s, e) for s, e in self.sentence_spans(article_id) if e > a and s < b] or [(a, b)]
        s, e = covering[0][0], covering[-1][1]
        anchor = candidates[best.window.anchor]
        hit_index = next((h for h, (hit, _) in enumerate(ranked[:CANDIDATE_HITS])
                          if hit.article_id == article_id and hit.start <= s < hit.end), anchor.hit)
        chosen = Candidate(article_id, s, e, "sentence", hit_index, np.zeros(0))
        return self._compose(q, chosen, best.probability, hits, ranked, k, span_at=(a, b),
                             confident=best.probability >= self.reader.confident_threshold)

    def _refusal(self, q: Question, hits: list[Hit], k: int, confidence: float = 0.0) -> Answer:
        return Answer(question=q.text, text=NOT_FOUND, abstained=True, citations=hits[:k], kind=q.asked,
                      confidence=round(confidence, 3))

    def _compose(self, q: Question, best: Candidate, confidence: float, hits: list[Hit],
                 ranked: list[tuple[Hit, float]], k: int, neighbours: list[Candidate] = (),
                 span_at: tuple[int, int] | None = None, confident: bool | None = None) -> Answer:
        """`span_at` and `confident`: the reader's, when it decided; else the scorer's span ranker and threshold."""
        article = self.articles[best.article_id]
        if confident is None:
            confident = confidence >= self.model.confident_threshold
        hit = hits[best.hit]
        if best.kind != "sentence":
            span = _metadata_span(q, best)
            cited = replace(hit, highlight=None)
            others = [h for h in hits if h.chunk_id != hit.chunk_id][: max(0, k - 1)]
            text = f"{span} — {METADATA_NAMES[best.kind]} bài «{article.title}» [1]"
            return Answer(question=q.text, text=text, abstained=False, citations=[cited, *others], span=span,
                          kind=q.asked, confidence=round(confidence, 3), confident=confident, metadata=best.kind)
        s, e = best.start, best.end
        if q.asked in ("list", "fact", "reason", "manner") or article.text[s:e].rstrip().endswith(":"):
            s, e = _with_elaboration(article.text, s, e)
        if span_at is None:
            span_at = self.best_span(q, article.text, best.start, best.end)
        if span_at[1] - span_at[0] > MAX_EXCERPT:  # a clause answer longer than a quote: its first clauses
            span_at = _window(article.text, span_at[0], span_at[1], (span_at[0], span_at[0]))
        a, b = _window(article.text, s, e, span_at)
        cut_before, cut_after = a > s, b < e
        for other in neighbours:  # a nearly-as-likely adjacent sentence is quoted too, verbatim
            if other.start >= e and not cut_after:
                b = _window(article.text, other.start, other.end, (other.start, other.start))[1]
                cut_after = b < other.end
            elif other.end <= s and not cut_before:
                a = _window(article.text, other.start, other.end, (other.end, other.end))[0]
                cut_before = a > other.start
        excerpt = article.text[a:b]
        shown = ("…" if cut_before else "") + excerpt + ("…" if cut_after else "")
        span_text = article.text[span_at[0]:span_at[1]]
        # the short answer first, unless it is most of the quote anyway
        text = f"{span_text} — {shown} [1]" if len(span_text) < 0.6 * len(excerpt) else f"{shown} [1]"
        # the passage that holds the quoted sentence is the citation (a neighbour chunk may hold it better)
        holder = next((h for h, _ in ranked if h.article_id == article.id and h.start <= a and b <= h.end), hit)
        cited = replace(holder, highlight=span_at)
        others = [h for h in hits if h.chunk_id != holder.chunk_id][: max(0, k - 1)]
        return Answer(question=q.text, text=text, abstained=False, citations=[cited, *others], span=span_text,
                      start=a, end=b, kind=q.asked, confidence=round(confidence, 3), confident=confident)

    # -- spans --
    def span_candidates(self, q: Question, text: str, s: int, e: int) -> list[tuple[str, int, int, np.ndarray]]:
        """(kind, start, end, features) of every span of text[s:e] that could be the short answer."""
        sentence = text[s:e]
        folded_sentence = fold(sentence)
        question_words = set(re.findall(r"\w+", q.folded))
        words = list(re.finditer(r"\w+", folded_sentence))
        matched = [m for m in words if m.group() in question_words and len(m.group()) > 1]
        answers = span_kinds.ANSWERS.get(q.asked, set())
        typed = bool(answers) and q.asked not in ("list", "reason", "manner", "summary")
        anchors = _anchors(q, folded_sentence)
        dated = _dated_codes(q, sentence) if q.asked == "date" else set()
        options: list[tuple[str, int, int]] = [(k, a, b) for k, (a, b) in _spans_of(sentence)]
        anchor_end = _phrase_end(folded_sentence, q.before_wh)
        if anchor_end is not None:  # "được gọi là | Anak Kudaya Nagar ..." up to the clause end
            rest = sentence[anchor_end:]
            stop = re.search(r"[,;:.()]|\s(?:và|nhưng|để|nhằm|vì|do|khi|sau khi|trước khi)\s", rest)
            b = anchor_end + (stop.start() if stop else len(rest))
            a = anchor_end + len(rest) - len(rest.lstrip())
            if b > a:
                options.append(("after_anchor", a, b))
        options.append(("sentence", 0, len(sentence.rstrip(" .!?…"))))
        before_at = _phrase_start(folded_sentence, q.after_wh)
        out = []
        seen = set()
        for kind, a, b in options:
            if (kind, a, b) in seen or b <= a:
                continue
            seen.add((kind, a, b))
            span_words = re.findall(r"\w+", fold(sentence[a:b]))
            if not span_words or (kind != "sentence" and all(w in question_words for w in span_words)):
                continue  # a span the question already says is not its answer
            overlap = sum(w in question_words for w in span_words) / len(span_words)
            distance = min((max(0, m.start() - b, a - m.end()) for m in matched), default=len(sentence))
            after_anchor = 1.0 if anchor_end is not None and 0 <= a - anchor_end <= 3 else 0.0
            before_anchor = 1.0 if before_at is not None and 0 <= before_at - b <= 3 else 0.0
            following = fold(sentence[b:b + 30]).split()[:2]
            before = re.findall(r"\w+", fold(sentence[max(0, a - 25):a]))[-2:]
            last = before[-1] if before else ""
            pair = " ".join(before)
            noun_next = float(_counts_asked(q, sentence[a:b], sentence[b:b + 30]))
            features = [float(kind == name) for name in ("date", "number", "person", "role", "organization", "place",
                                                          "document", "credit", "capital", "quote", "clause",
                                                          "after_anchor", "sentence")]
            features += [float(kind in answers), overlap, math.log1p(distance / 5), after_anchor, before_anchor,
                         math.log1p(len(span_words)), float(len(span_words) > 12), noun_next, a / max(1, len(sentence)),
                         float(sentence[a:b].split()[0].lower() in span_kinds.SURNAMES),
                         _proximity(anchors, a, b, q),
                         float(typed and kind not in answers), float(_strong(q.asked, kind, sentence[a:b])),
                         float(last in _COPULA or pair in _COPULA), float(last in _PLACE_WORDS),
                         float(last in _AGENT_WORDS), float(last in _TIME_WORDS),
                         float(last in question_words and len(last) > 1),
                         float(bool(following) and following[0] in question_words and len(following[0]) > 1),
                         float(overlap == 0),
                         float(bool(_HORIZON.search(fold(sentence[max(0, a - 30):a])))),
                         float(bool(span_kinds.TITLE_BEFORE.search(sentence[max(0, a - 60):a]))),
                         float(a > 1 and sentence[a - 1] == " " and bool(re.search(r"(?:^|\s)[^\W\d_]*$", sentence[:a - 1]))
                               and sentence[:a - 1].split()[-1][:1].isupper() if sentence[:a - 1].split() else False),
                         float((a, b) in dated)]
            out.append((kind, s + a, s + b, np.array(features, dtype=float)))
        # The answer to a typed question is a span of its type when the sentence has one (the registry's
        # contract); the ranker chooses among those. Other questions choose among every span.
        if typed:
            of_type = [o for o in out if o[0] in answers]
            # a number question asking for a unit or a counted noun ("bao nhiêu mét") is answered by the
            # numbers of that unit or noun when the sentence has any
            counting = [o for o in of_type if o[0] == "number" and _counts_asked(q, text[o[1]:o[2]], text[o[2]:o[2] + 30])]
            if counting:
                return counting
            if of_type:
                return of_type
        return out

    def best_span(self, q: Question, text: str, s: int, e: int) -> tuple[int, int]:
        options = self.span_candidates(q, text, s, e)
        if not options:
            return s, e
        scores = self.model.span.probability(np.stack([f for *_, f in options]))
        _, a, b, _ = options[int(np.argmax(scores))]
        return a, b


# The page's own metadata (byline, outlet, date line) is not in the text the reader reads: the candidate
# scorer answers these questions, with the article's metadata among its candidates.
SCORER_ANSWERS = ("author", "outlet", "published")


def _trimmed(text: str, a: int, b: int) -> tuple[int, int]:
    """A span without the spaces and trailing punctuation a token boundary may leave at its edges."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in ",;:."):
        b -= 1
    return a, b


_PRIMARY = {"date": "date", "published": "date", "number": "number", "person": "person", "author": "person",
            "photo": "credit", "role": "role", "organization": "organization", "outlet": "organization",
            "place": "place", "document": "document"}


# Units as questions name them ("bao nhiêu mét") and as articles write them ("120 m").
_UNIT_ALIASES = {"met": {"m"}, "kilomet": {"km"}, "ki": {"km"}, "km": {"km", "kilomet"}, "hecta": {"ha"},
                 "hec": {"ha"}, "ha": {"ha", "hecta"}, "tan": {"tan"}, "kilogam": {"kg"}, "kg": {"kg"},
                 "phan": {"%"}, "ty": {"ty", "ti"}, "ti": {"ty", "ti"}, "trieu": {"trieu"}, "usd": {"usd", "do"},
                 "do": {"usd"}, "lit": {"lit"}, "m2": {"m2", "met vuong"}, "km2": {"km2"}}
# Amounts of money are asked by what they are ("bao nhiêu vốn / tiền / kinh phí") and answered in a currency.
for _money in ("tien", "von", "kinh", "ngan", "gia", "doanh", "kim", "chi", "muc", "tong"):
    _UNIT_ALIASES.setdefault(_money, set()).update({"dong", "usd", "ty", "trieu", "nghin", "euro"})


def _counts_asked(q: Question, span: str, following: str) -> bool:
    """Whether a number counts what the question asks about: "bao nhiêu hội nghị" is answered by
    "76 hội nghị", "dài bao nhiêu mét" by "120 m" (the unit inside the span or right after it)."""
    if not q.asked_noun:
        return False
    words = [w for w in re.findall(r"[^\W\d_]+|%", fold(span))] + re.findall(r"[^\W\d_]+|%", fold(following))[:2]
    asked = q.asked_noun.split()[0]
    return asked in words or bool(_UNIT_ALIASES.get(asked, set()) & set(words))


def _strong(asked: str, kind: str, text: str) -> bool:
    """A span of the very kind the question asks for (a person's name opens with a family name)."""
    if _PRIMARY.get(asked) != kind:
        return False
    return kind != "person" or text.split()[0].lower() in span_kinds.SURNAMES


_CREDIT_LINE = re.compile(r"^\(?(?:" + span_kinds.CREDIT_PREFIXES + r")\s*:", re.IGNORECASE)


def score_candidates(scorer: Linear, candidates: list[Candidate]) -> tuple[np.ndarray, int]:
    """Each candidate's probability of answering, and the index of the most probable one."""
    probabilities = scorer.probability(np.stack([c.features for c in candidates]))
    return probabilities, int(np.argmax(probabilities))


def adjacent(candidates: list[Candidate], best: int, articles: dict[str, Article]) -> list[int]:
    """The candidate sentences right before and right after candidates[best] in its article."""
    c = candidates[best]
    if c.kind != "sentence":
        return []
    text = articles[c.article_id].text
    return [j for j, o in enumerate(candidates)
            if j != best and o.kind == "sentence" and o.article_id == c.article_id
            and ((o.start >= c.end and not text[c.end:o.start].strip())
                 or (o.end <= c.start and not text[o.end:c.start].strip()))]


def _announces(text: str, s: int, e: int, s2: int, e2: int) -> bool:
    following = text[s2:e2]
    return text[s:e].rstrip().endswith(":") or bool(_ELABORATION.match(following)) or bool(
        _CREDIT_LINE.match(following) and len(following) < 80)


@functools.lru_cache(maxsize=100_000)
def _spans_of(sentence: str) -> tuple[tuple[str, tuple[int, int]], ...]:
    """Typed spans depend on the sentence only: computed once per sentence, whatever is asked."""
    return tuple(span_kinds.all_spans(sentence))


# Words that, right before a span, say what kind of thing follows (general Vietnamese grammar).
_COPULA = {"la", "goi la", "ten la", "gom", "bao gom", "nhu", "chinh la", "tuc la", "la do"}
_PLACE_WORDS = {"tai", "o", "den", "tu", "toi", "ve", "qua", "thuoc"}
_AGENT_WORDS = {"do", "boi", "cua", "voi", "cho"}
_TIME_WORDS = {"vao", "ngay", "nam", "luc", "thang", "tu", "den", "truoc", "sau", "khi"}

# "tầm nhìn đến năm 2045", "giai đoạn 2021-2030": a plan's horizon, not when something happened.
_HORIZON = re.compile(r"(?:den|toi|tam nhin|giai doan|thoi ky|truoc)\s*(?:nam|thang)?\s*$")

_LIGHT = {"la", "co", "duoc", "cua", "va", "voi", "o", "tai", "cho", "da", "se", "dang", "thi", "ma", "nhung", "cac",
          "mot", "nay", "do", "vao", "ra", "den", "tu", "nhu", "the", "ve"}


def _predicate_coverage(q: Question, profile: "_Profile") -> float:
    """Share of the words around the question word ("ai | phát biểu chỉ đạo", "được gọi | là gì") found
    in the sentence: the answer attaches to that predicate, not to the question's context words."""
    words = [w for w in (*q.before_wh, *q.after_wh) if w not in _LIGHT and len(w) > 1]
    if not words:
        return 0.0
    return sum(f" {w} " in profile.padded for w in words) / len(words)


def _year_conflict(q: Question, text: str) -> float:
    """1 when the question names a year and the sentence names other years but not it ("năm 2023?"
    against "năm 2024 dự kiến ..."): the sentence is about another period."""
    if not q.years:
        return 0.0
    years = set(YEAR_IN_TEXT.findall(text))
    return float(bool(years) and not (years & set(q.years)))


def _dated_codes(q: Question, sentence: str) -> set[tuple[int, int]]:
    """Offsets of the dates that date a document the question names ("Quyết định 17-QĐ/UBND ngày 3/2/2024"),
    matched by its number alone when the question gives only that ("quyết định 17")."""
    numbers = {re.match(r"\d+", n).group() for n in (*q.names, *q.numbers) if re.match(r"\d+", n)}
    return {m.span(2) for m in span_kinds.DOCUMENT_DATE.finditer(sentence)
            if re.match(r"\d+", m.group(1)).group() in numbers}


def _name_positions(q: Question, folded_sentence: str) -> list[tuple[int, int]]:
    """Where the names, codes and years the question states occur in a sentence."""
    out = []
    for name in (*q.names, *q.years):
        words = re.findall(r"\w+", name)
        if words:
            pattern = r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)"
            out += [m.span() for m in re.finditer(pattern, folded_sentence)]
    return out


def _closeness(positions: list[tuple[int, int]], a: int, b: int) -> float:
    """1 when text[a:b] sits right next to one of the positions, falling off over ~8 characters (a word or two):
    "Quyết định X ngày D" states X's date; a date three clauses away is another event's."""
    gaps = [max(0, x - b, a - y) for x, y in positions if not (a <= x and y <= b)]
    return math.exp(-min(gaps) / 8) if gaps else 0.0


def _anchors(q: Question, folded_sentence: str) -> list[tuple[float, int, int]]:
    """Where the question's weighted words sit in a sentence: (idf, start, end) of each occurrence."""
    pattern, weights = _anchor_pattern(q.terms)
    if pattern is None:
        return []
    return [(weights[m.group()], m.start(), m.end()) for m in pattern.finditer(folded_sentence)]


@functools.lru_cache(maxsize=1024)
def _anchor_pattern(terms) -> tuple[re.Pattern | None, dict[str, float]]:
    """One regex for all of a question's words (compiled once per question, not once per sentence)."""
    weights: dict[str, float] = {}
    for t in terms:
        if not t.bigram and len(t.text) > 1:
            weights[fold(t.text)] = max(weights.get(fold(t.text), 0.0), t.idf)
    if not weights:
        return None, weights
    words = sorted(weights, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)"), weights


def _proximity(anchors: list[tuple[float, int, int]], a: int, b: int, q: Question) -> float:
    """How much of the question's weight sits close around text[a:b] (outside it): the answer to a
    question is usually surrounded by the question's own words."""
    if not anchors:
        return 0.0
    return sum(w * math.exp(-max(0, x - b, a - y) / 40) for w, x, y in anchors if not (a <= x and y <= b)) / q.content_idf


_METADATA_ANSWERS = {"author": "author", "outlet": "outlet", "published": "published"}


def _date_stated(article: Article) -> str | None:
    """The publication date the page states, as it prints it (never an inferred one)."""
    if article.dateline:
        return article.dateline
    if article.published:
        y, m, d = article.published.split("-")
        return f"{int(d)}/{int(m)}/{y}"
    return None


def _metadata_span(q: Question, candidate: Candidate) -> str:
    if candidate.kind == "published" and re.search(r"\b(may gio|luc nao|gio nao|what time)\b", q.folded):
        m = re.search(r"\d{1,2}\s*[:h]\s*\d{2}", candidate.value)
        if m:
            return m.group()
    if candidate.kind == "published":
        m = re.search(r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}", candidate.value)
        return m.group() if m else candidate.value
    return candidate.value


def _phrase_end(folded_sentence: str, words: tuple[str, ...]) -> int | None:
    """Where the question's words before its question word end in the sentence (longest suffix found)."""
    for n in range(min(3, len(words)), 0, -1):
        phrase = " ".join(words[-n:])
        if len(phrase) < 2:
            continue
        m = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded_sentence)
        if m:
            return m.end()
    return None


def _phrase_start(folded_sentence: str, words: tuple[str, ...]) -> int | None:
    for n in range(min(3, len(words)), 0, -1):
        phrase = " ".join(words[:n])
        if len(phrase) < 2:
            continue
        m = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded_sentence)
        if m:
            return m.start()
    return None


_ELABORATION = re.compile(r"^(cụ thể|theo đó|trong đó|đó là|bao gồm|gồm|như sau|chẳng hạn)\b", re.IGNORECASE)


def _with_elaboration(text: str, s: int, e: int) -> tuple[int, int]:
    """A lead-in sentence ("... những nhiệm vụ sau:") is followed by what it announces."""
    following = sentence_spans(text, e, min(len(text), e + 600))
    if following and (text[s:e].rstrip().endswith(":") or _ELABORATION.match(text[following[0][0]:following[0][1]])):
        return s, following[0][1]
    return s, e


def _window(text: str, s: int, e: int, span: tuple[int, int]) -> tuple[int, int]:
    """At most MAX_EXCERPT characters of text[s:e] that always contain the span: whole clauses around
    it when they fit, else the span with as much of its own clause as fits."""
    if e - s <= MAX_EXCERPT:
        return s, e
    a0, b0 = max(s, span[0]), min(e, span[1])
    if b0 - a0 >= MAX_EXCERPT:
        return a0, b0
    cuts = sorted({s, e, *(s + m.end() for m in re.finditer(r"[,;:]\s+", text[s:e]))})
    best = None
    for i, a in enumerate(cuts):
        if a > a0:
            break
        for b in cuts[i + 1:]:
            if b < b0:
                continue
            if b - a > MAX_EXCERPT:
                break
            if best is None or (b - a) > (best[1] - best[0]):
                best = (a, b)
    if best is None:  # no clause boundaries close enough: centre a window on the span, at word edges
        room = MAX_EXCERPT - (b0 - a0)
        a = max(s, a0 - room // 2)
        b = min(e, b0 + (MAX_EXCERPT - (b0 - a)))
        while a > s and a < a0 and not text[a - 1].isspace():
            a += 1
        while b < e and b > b0 and not text[b].isspace():
            b -= 1
        best = (a, b)
    a, b = best
    while b > max(a, b0) and text[b - 1] in ", ;:":
        b -= 1
    return a, b
