"""Candidates -> features -> fitted scorer -> span -> Answer (or an abstention).

The candidates (qa/answer/candidates.py) get the probability that they answer from the fitted model
(qa/answer/scorer.py); the best one's short answer is chosen among its spans (qa/answer/short_answer.py).
By default, when a reader is at hand (qa/answer/reader/), it reads the scorer's best few sentences, each in
its window, with the question: its chooser picks the sentence that answers, its span ranker the short answer
in it, and its verdict decides whether to answer and how surely. With the reader on, the best candidates are
read and the reader decides whether they answer; which sentence, the chooser where the scorer would answer
too. One calibrated confidence comes with every answer; below the fitted threshold the answer is refused.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

import numpy as np

from ..errors import QAError
from ..index.sentences import SentenceTable
from ..records import Answer, Article, Hit
from ..text.vntext import sentence_spans
from ..text.vocabulary import METADATA_NAMES
from .candidates import CANDIDATE_HITS, ELABORATION, Candidate, CandidateFinder, adjacent
from .question import Question
from .reader.reader import (CHOSEN_AMONG, SPAN_CUT_OFF, Reader, Reading, SpanReading, Window, build_windows, candidate_order,
                            chooser_features, verdict_features, window_features)
from .scorer import MODEL_PATH, READ_SPAN_FEATURES, AnswerModel, default_model, score_candidates
from .short_answer import best_span, reader_columns, span_candidates
from .summary import summarise

NOT_FOUND = "Không tìm thấy thông tin này trong các bài viết."
MAX_EXCERPT = 260  # characters of article text quoted with an answer


class Answerer:
    """Turns ranked passages into an Answer; holds the articles, their sentences and the model."""

    def __init__(self, articles: dict[str, Article], sentences: SentenceTable, model: AnswerModel | None = None,
                 reader: "Reader | None" = None, sentence_reader: "Callable[[], Reader | None] | None" = None):
        self.articles = articles
        self.sentences = sentences
        self._model = model
        # the reader (qa/answer/reader/) reads the best candidates with the question and decides; without it the
        # candidate scorer's probabilities do
        self.reader = reader
        # what gives the reader that reads the scorer's chosen sentence, for its short answer (the span ranker) and
        # the verdict on it, when first needed (the engine loads it on the first answer); giving None, or no
        # sentence_reader: the span model and the scorer's threshold alone
        self.sentence_reader = sentence_reader if sentence_reader is not None else lambda: reader
        self.finder = CandidateFinder(articles, sentences)

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
        return self.finder.sentence_spans(article_id)

    def candidates(self, q: Question, ranked: list[tuple[Hit, float]]) -> list[Candidate]:
        """The candidate sentences and metadata fields of the ranked passages, with their features."""
        return self.finder.candidates(q, ranked)

    def span_candidates(self, q: Question, text: str, s: int, e: int) -> list[tuple[str, int, int, np.ndarray]]:
        """(kind, start, end, features) of every span of text[s:e] that could be the short answer."""
        return span_candidates(q, text, s, e)

    def best_span(self, q: Question, article: Article, s: int, e: int) -> tuple[int, int]:
        """The short answer inside article.text[s:e]: with a reader that has a span ranker, ranked with what the
        reader reads in the sentence's window (README, "The reader"); else by the span model alone."""
        reader = self.sentence_reader()
        if reader is None or reader.span_ranker is None:
            return best_span(self.model.span, q, article.text, s, e)
        return self.read_span(q, article, s, e, reader)[0]

    def read_span(self, q: Question, article: Article, s: int, e: int, reader: Reader,
                  read: "tuple[list, np.ndarray, SpanReading] | None" = None) -> tuple[tuple[int, int], float, float]:
        """The span the reader's span ranker puts first in article.text[s:e], the reader's score of it, and the
        reader's probability that the sentence's window answers. `read`: read_span_options(...) of that sentence,
        when already read."""
        options, rows, reading = read if read is not None else self.read_span_options(q, article, s, e, reader)
        if not options:
            return (s, e), SPAN_CUT_OFF, reading.probability
        top = int(np.argmax(reader.span_ranker.probability(rows)))
        return (options[top][1], options[top][2]), float(reading.scores[top]), reading.probability

    def read_span_options(self, q: Question, article: Article, s: int, e: int, reader: Reader,
                          window: Window | None = None) -> tuple[list[tuple[str, int, int, np.ndarray]], np.ndarray,
                                                                 SpanReading]:
        """The span options of article.text[s:e], their rows of READ_SPAN_FEATURES (each one's span features and
        what `reader` reads of it), and the reading of the sentence's window (the sentence and its neighbours, as
        the reader reads candidates; `window`: sentence_window(...) of it, when already built)."""
        options = span_candidates(q, article.text, s, e)
        window = window or self.sentence_window(article.id, s, e)
        reading = reader.read_spans(q.text, article.title, article.text[window.start:window.end],
                                    [(a - window.start, b - window.start) for _, a, b, _ in options])
        if not options:
            return [], np.zeros((0, len(READ_SPAN_FEATURES))), reading
        return options, np.hstack([np.stack([f for *_, f in options]), reader_columns(reading.scores, reading.best)]), reading

    def sentence_window(self, article_id: str, s: int, e: int) -> Window:
        """The window the reader reads a sentence in: the sentence and its neighbours while they fit."""
        window, = build_windows([0], [(article_id, s, e)], self.sentence_spans)
        return window

    def chooser_rows(self, q: Question, candidates: list[Candidate], probabilities: np.ndarray, order: list[int],
                     reader: Reader) -> tuple[np.ndarray, list[tuple[list, np.ndarray, SpanReading]]]:
        """The CHOOSER_FEATURES row of each candidate sentence in `order`, and each one's read_span_options(...)."""
        rows, reads = [], []
        for i in order:
            c = candidates[i]
            window = self.sentence_window(c.article_id, c.start, c.end)
            read = self.read_span_options(q, self.articles[c.article_id], c.start, c.end, reader, window)
            rows.append(chooser_features(float(probabilities[i]), read[2], (c.start - window.start, c.end - window.start)))
            reads.append(read)
        return np.array(rows, dtype=float), reads

    def chosen_reading(self, q: Question, candidates: list[Candidate], probabilities: np.ndarray, best: int,
                       reader: Reader) -> tuple[int, tuple[int, int], float, float]:
        """The sentence that answers (the reader's chooser's pick among the scorer's best sentences, or without
        one the scorer's `best`), and the reader reading it: its short answer, the reader's score of that, and
        the probability that its window answers."""
        chosen, read = self.choose(q, candidates, probabilities, best, reader)
        sentence = candidates[chosen]
        return (chosen, *self.read_span(q, self.articles[sentence.article_id], sentence.start, sentence.end, reader, read))

    def choose(self, q: Question, candidates: list[Candidate], probabilities: np.ndarray, best: int,
               reader: Reader) -> tuple[int, "tuple[list, np.ndarray, SpanReading] | None"]:
        """The sentence the reader's chooser picks among the scorer's best (the scorer's `best` without a chooser
        or another sentence), and its read_span_options(...) when it was read."""
        order = sentences_to_choose(candidates, probabilities)
        if reader.chooser is None or len(order) < 2:
            return best, None
        rows, reads = self.chooser_rows(q, candidates, probabilities, order, reader)
        top = int(np.argmax(reader.chooser.probability(rows)))
        return order[top], reads[top]

    # -- answering --
    def answer(self, q: Question, ranked: list[tuple[Hit, float]], k: int = 5,
               candidates: list[Candidate] | None = None) -> Answer:
        """`candidates`: self.candidates(q, ranked) when already computed (`qa fit` holds them)."""
        hits = [hit for hit, _ in ranked]
        if q.asked == "summary" and hits:
            answer = summarise(q, hits, k, self.articles, self.sentences)
            return answer if answer is not None else self.refusal(q, hits, k)
        if candidates is None:
            candidates = self.candidates(q, ranked)
        if not candidates:
            return self.refusal(q, hits, k)
        probabilities, best = score_candidates(self.model.sentence, candidates)
        if self.reader is not None and q.asked not in SCORER_ANSWERS:
            return self._answer_read(q, candidates, probabilities, best, hits, ranked, k)
        reader = self.sentence_reader()
        if (reader is not None and reader.verdict is not None and reader.span_ranker is not None
                and candidates[best].kind == "sentence" and q.asked not in SCORER_ANSWERS):
            return self._answer_checked(q, candidates, probabilities, best, hits, ranked, k, reader)
        confidence = float(probabilities[best])
        if confidence < self.model.answer_threshold:
            return self.refusal(q, hits, k, confidence)
        return self._answer_scored(q, candidates, probabilities, best, hits, ranked, k)

    def _answer_scored(self, q: Question, candidates: list[Candidate], probabilities: np.ndarray, best: int,
                       hits: list[Hit], ranked: list[tuple[Hit, float]], k: int, confidence: float | None = None,
                       confident: bool | None = None, span_at: tuple[int, int] | None = None) -> Answer:
        """The scorer's best candidate as the answer, quoted with an adjacent sentence nearly as likely;
        `confidence` and `confident`: the reader's, when it decided whether to answer; `span_at`: the short
        answer, when already picked."""
        scored = float(probabilities[best])
        shown_with = [candidates[j] for j in adjacent(candidates, best, self.articles)
                      if probabilities[j] >= self.model.neighbour_ratio * scored]
        return self._compose(q, candidates[best], scored if confidence is None else confidence, hits, ranked, k,
                             shown_with, span_at=span_at, confident=confident)

    def _answer_checked(self, q: Question, candidates: list[Candidate], probabilities: np.ndarray, best: int,
                        hits: list[Hit], ranked: list[tuple[Hit, float]], k: int, reader: Reader) -> Answer:
        """The default with a reader: the scorer's sentence, its short answer picked with the reader, and the
        reader's verdict (Verdict) on whether to answer and how surely, from what the scorer says of the
        sentence, the reader's probability for the sentence's window and its score of the short answer."""
        chosen, span_at, answers, confidence, confident = self._read_verdict(q, candidates, probabilities, best, reader)
        if not answers:
            return self.refusal(q, hits, k, confidence)
        return self._answer_scored(q, candidates, probabilities, chosen, hits, ranked, k, confidence=confidence,
                                   confident=confident, span_at=span_at)

    def _read_verdict(self, q: Question, candidates: list[Candidate], probabilities: np.ndarray, best: int,
                      reader: Reader) -> tuple[int, tuple[int, int], bool, float, bool]:
        """The sentence that answers (chosen_reading), its short answer, and the verdict on it (answers, the
        confidence shown, confident)."""
        chosen, span_at, span_score, window_probability = self.chosen_reading(q, candidates, probabilities, best, reader)
        return (chosen, span_at, *reader.verdict.decide(
            verdict_features(probabilities, chosen, candidates[chosen].features, window_probability, span_score)))

    def read(self, q: Question, candidates: list[Candidate], reader: "Reader | None" = None) -> list[Reading]:
        """The reader's verdict on windows around the best candidates (scorer order), in that order; with its
        combiner, each window's probability weighs the reader's verdict with the candidate scorer's. `reader`:
        another than the one this answerer answers with (search's, when ask answers without one)."""
        reader = reader or self.reader
        order, scorer = candidate_order(self, candidates)
        spans = [(c.article_id, c.start, c.end) for c in candidates]
        windows = build_windows(order, spans, self.sentence_spans)
        pairs = [(self.articles[w.article_id].title, self.articles[w.article_id].text[w.start:w.end]) for w in windows]
        readings = []
        for rank, (w, (p, span)) in enumerate(zip(windows, reader.read(q.text, pairs))):
            score = 0.0 if span is None else span[1]
            if reader.combiner is not None:
                p = reader.combiner.probability(window_features(w, rank, p, score, spans, scorer))
            readings.append(Reading(w, p, None if span is None else (w.start + span[0][0], w.start + span[0][1]), score))
        return readings

    def reranked(self, q: Question, ranked: list[tuple[Hit, float]], reader: "Reader | None" = None) -> list[Hit]:
        """The passages the reader reads as answering the question (at or above its refusal threshold) first,
        most probable first, each where the answer it found lies; then the others in retrieval order."""
        reader = reader or self.reader
        hits = [hit for hit, _ in ranked]
        best: dict[int, float] = {}
        for reading in self.read(q, self.candidates(q, ranked), reader):
            if reading.probability < reader.answer_threshold:
                continue
            at = reading.span[0] if reading.span else reading.window.start
            h = next((i for i, hit in enumerate(hits) if hit.article_id == reading.window.article_id
                      and hit.start <= at < hit.end), None)
            if h is not None:
                best[h] = max(best.get(h, 0.0), reading.probability)
        first = sorted(best, key=lambda i: (-best[i], i))
        return [hits[i] for i in first] + [hit for i, hit in enumerate(hits) if i not in best]

    def _answer_read(self, q: Question, candidates: list[Candidate], probabilities: np.ndarray, first: int,
                     hits: list[Hit], ranked: list[tuple[Hit, float]], k: int) -> Answer:
        """`probabilities`, `first`: the candidate scorer's, as `answer` computed them."""
        readings = self.read(q, candidates)
        if not readings:
            return self.refusal(q, hits, k)
        best = max(readings, key=lambda r: r.probability)
        if best.probability < self.reader.answer_threshold or best.span is None:
            return self.refusal(q, hits, k, best.probability)
        # The reader decides whether the passages answer; which sentence answers, the candidate scorer when it
        # would answer too: on held-out articles the scorer's sentence holds the gold more often than the
        # reader's window (README, "The reader"), while the reader separates the unanswerable better.
        if probabilities[first] >= self.model.answer_threshold and candidates[first].kind == "sentence":
            if self.reader.verdict is not None and self.reader.span_ranker is not None:
                # the answer is the default's (the scorer's sentence), so how surely is the default's verdict on
                # it, fitted on exactly such answers; whether to answer stays the reader's over its windows
                chosen, span_at, _, confidence, confident = self._read_verdict(q, candidates, probabilities, first,
                                                                               self.reader)
                return self._answer_scored(q, candidates, probabilities, chosen, hits, ranked, k,
                                           confidence=confidence, confident=confident, span_at=span_at)
            # a reader without a verdict: confident only when both are, the scorer by its own threshold, the
            # reader by the one fitted on such answers (`qa train-reader`, confident_with_scorer)
            confident = bool(probabilities[first] >= self.model.confident_threshold
                             and best.probability >= self.reader.confident_threshold)  # not numpy's bool: JSON
            return self._answer_scored(q, candidates, probabilities, first, hits, ranked, k,
                                       confidence=best.probability, confident=confident)
        article_id, (a, b) = best.window.article_id, _trimmed(self.articles[best.window.article_id].text, *best.span)
        covering = [(s, e) for s, e in self.sentence_spans(article_id) if e > a and s < b] or [(a, b)]
        s, e = covering[0][0], covering[-1][1]
        anchor = candidates[best.window.anchor]
        hit_index = next((h for h, (hit, _) in enumerate(ranked[:CANDIDATE_HITS])
                          if hit.article_id == article_id and hit.start <= s < hit.end), anchor.hit)
        chosen = Candidate(article_id, s, e, "sentence", hit_index, np.zeros(0))
        # the scorer would refuse: the reader's own window, shown as tentative (the confident rule is fitted
        # on the scorer's confident answers only)
        return self._compose(q, chosen, best.probability, hits, ranked, k, span_at=(a, b), confident=False)

    def refusal(self, q: Question, hits: list[Hit], k: int, confidence: float = 0.0) -> Answer:
        """"Không tìm thấy …" with the nearest passages."""
        return Answer(question=q.shown, text=NOT_FOUND, abstained=True, citations=hits[:k], kind=q.asked,
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
            # The page's byline, outlet or date answers for the page the question is about. Only the first
            # retrieved article's is shown as confident: the scorer's few metadata rows cannot tell which
            # article that is ("who wrote the article on X?", when the article on X has no byline, got another
            # article's byline at 0.99); on the fitting sets every metadata answer came from that article.
            confident = confident and bool(ranked) and ranked[0][0].article_id == best.article_id
            span = _metadata_span(q, best)
            cited = replace(hit, highlight=None)
            others = [h for h in hits if h.chunk_id != hit.chunk_id][: max(0, k - 1)]
            text = f"{span} — {METADATA_NAMES[best.kind]} bài «{article.title}» [1]"
            return Answer(question=q.shown, text=text, abstained=False, citations=[cited, *others], span=span,
                          kind=q.asked, confidence=round(confidence, 3), confident=confident, metadata=best.kind)
        s, e = best.start, best.end
        if q.asked in ("list", "fact", "reason", "manner") or article.text[s:e].rstrip().endswith(":"):
            s, e = with_elaboration(article.text, s, e)
        if span_at is None:
            span_at = self.best_span(q, article, best.start, best.end)
        if span_at[1] - span_at[0] > MAX_EXCERPT:  # a clause answer longer than a quote: its first clauses
            span_at = excerpt_window(article.text, span_at[0], span_at[1], (span_at[0], span_at[0]))
        if q.asked == "list":  # the items follow the first one: quote on from it, the whole list if it fits
            a, b = excerpt_window(article.text, s, e, (span_at[0], min(e, span_at[0] + MAX_EXCERPT)),
                                  limit=2 * MAX_EXCERPT)
        else:
            a, b = excerpt_window(article.text, s, e, span_at)
        cut_before, cut_after = a > s, b < e
        for other in neighbours:  # a nearly-as-likely adjacent sentence is quoted too, verbatim
            if other.start >= e and not cut_after:
                b = excerpt_window(article.text, other.start, other.end, (other.start, other.start))[1]
                cut_after = b < other.end
            elif other.end <= s and not cut_before:
                a = excerpt_window(article.text, other.start, other.end, (other.end, other.end))[0]
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
        return Answer(question=q.shown, text=text, abstained=False, citations=[cited, *others], span=span_text,
                      start=a, end=b, kind=q.asked, confidence=round(confidence, 3), confident=confident)


# The page's own metadata (byline, outlet, date line) is not in the text the reader reads: the candidate
# scorer answers these questions, with the article's metadata among its candidates.
SCORER_ANSWERS = ("author", "outlet", "published")


def sentences_to_choose(candidates: list[Candidate], probabilities: np.ndarray) -> list[int]:
    """The candidate sentences the reader's chooser picks among: the scorer's CHOSEN_AMONG most probable, best
    first."""
    order = np.argsort(-probabilities, kind="stable")
    return [int(i) for i in order if candidates[i].kind == "sentence"][:CHOSEN_AMONG]


def _trimmed(text: str, a: int, b: int) -> tuple[int, int]:
    """A span without the spaces and trailing punctuation a token boundary may leave at its edges."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in ",;:."):
        b -= 1
    return a, b


def _metadata_span(q: Question, candidate: Candidate) -> str:
    if candidate.kind == "published" and re.search(r"\b(may gio|luc nao|gio nao|what time)\b", q.folded):
        m = re.search(r"\d{1,2}\s*[:h]\s*\d{2}", candidate.value)
        if m:
            return m.group()
    if candidate.kind == "published":
        m = re.search(r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}", candidate.value)
        return m.group() if m else candidate.value
    return candidate.value


def with_elaboration(text: str, s: int, e: int) -> tuple[int, int]:
    """A lead-in sentence ("... những nhiệm vụ sau:") is followed by what it announces."""
    following = sentence_spans(text, e, min(len(text), e + 600))
    if following and (text[s:e].rstrip().endswith(":") or ELABORATION.match(text[following[0][0]:following[0][1]])):
        return s, following[0][1]
    return s, e


def excerpt_window(text: str, s: int, e: int, span: tuple[int, int], limit: int = MAX_EXCERPT) -> tuple[int, int]:
    """At most limit characters of text[s:e] that always contain the span: whole clauses around
    it when they fit, else the span with as much of its own clause as fits."""
    if e - s <= limit:
        return s, e
    a0, b0 = max(s, span[0]), min(e, span[1])
    if b0 - a0 >= limit:
        return a0, b0
    cuts = sorted({s, e, *(s + m.end() for m in re.finditer(r"[,;:]\s+", text[s:e]))})
    best = None
    for i, a in enumerate(cuts):
        if a > a0:
            break
        for b in cuts[i + 1:]:
            if b < b0:
                continue
            if b - a > limit:
                break
            if best is None or (b - a) > (best[1] - best[0]):
                best = (a, b)
    if best is None:  # no clause boundaries close enough: centre a window on the span, at word edges
        room = limit - (b0 - a0)
        a = max(s, a0 - room // 2)
        b = min(e, b0 + (limit - (b0 - a)))
        while a > s and a < a0 and not text[a - 1].isspace():
            a += 1
        while b < e and b > b0 and not text[b].isspace():
            b -= 1
        best = (a, b)
    a, b = best
    while b > max(a, b0) and text[b - 1] in ", ;:":
        b -= 1
    return a, b
