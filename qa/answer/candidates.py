"""Candidates: the sentences of the retrieved passages (read with their neighbours' signals) and the
metadata of the retrieved articles (byline, outlet, publication date), each with the features the
answer model scores: how close it is to the question in the embedding space, how much of the question's
idf weight it and its article cover, whether it holds a span of the asked type, whether the names,
years and numbers the question states are in its article. They mean the same thing in any article.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..index.sentences import SentenceTable
from ..records import Article, Hit
from ..text.vntext import fold
from ..text.vocabulary import METADATA_LABELS
from . import spans as span_kinds
from .matching import (Profile, closeness, counts_asked, coverage, dated_codes, mentions, name_positions,
                       predicate_coverage, proximity, question_anchors, spans_of, strongly_typed, text_profile,
                       year_conflict)
from .question import Question, is_acronym
from .scorer import SENTENCE_FEATURES, feature_vector

CANDIDATE_HITS = 8  # passages whose sentences are candidates
METADATA_ARTICLES = 3  # articles whose byline, outlet and date are candidates


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


class CandidateFinder:
    """The candidates of a question among the retrieved passages, each with its features."""

    def __init__(self, articles: dict[str, Article], sentences: SentenceTable):
        self.articles = articles
        self.sentences = sentences

    def sentence_spans(self, article_id: str) -> list[tuple[int, int]]:
        """(start, end) of an article's sentences in its text, in order (as the index split them)."""
        rows = self.sentences.rows(article_id)
        return list(zip(self.sentences.starts[rows.start:rows.stop].tolist(),
                        self.sentences.ends[rows.start:rows.stop].tolist()))

    # -- article-level facts, memoised --
    def article_profile(self, article_id: str) -> Profile:
        article = self.articles[article_id]
        extra = " ".join(x for x in (article.dateline, article.published, article.published_inferred, article.outlet,
                                     article.author) if x)
        return text_profile(article.text + "\n" + extra)

    def _agreement(self, q: Question, article_id: str) -> tuple[float, float, float, float, float]:
        """(coverage in the article, largest missing idf, names / years / numbers missing)."""
        profile = self.article_profile(article_id)
        cov = coverage(q, profile)
        n = max(1.0, max((t.idf for t in q.terms), default=1.0))
        missing = max((t.idf for t in q.terms if not t.bigram and not profile.has(t)), default=0.0) / n
        names = [nm for nm in q.names if not mentions(profile.padded, nm) and not self._acronym_found(nm, article_id)]
        years = [y for y in q.years if f" {y} " not in profile.padded and y not in profile.padded]
        numbers = [x for x in q.numbers if not re.search(rf"(?<![\d.,]){re.escape(fold(x))}(?![\d])", profile.padded)]
        return (cov, missing, len(names) / len(q.names) if q.names else 0.0,
                len(years) / len(q.years) if q.years else 0.0, len(numbers) / len(q.numbers) if q.numbers else 0.0)

    @staticmethod
    def _near_agreement(q: Question, profile: "Profile") -> tuple[float, float, float]:
        """Names / years the question states that are missing around the sentence, and the largest idf of
        its words missing there: the same facts must be stated near the answer, not only somewhere."""
        names = [n for n in q.names if not mentions(profile.padded, n)]
        years = [y for y in q.years if f" {y} " not in profile.padded]
        n = max(1.0, max((t.idf for t in q.terms), default=1.0))
        missing = max((t.idf for t in q.terms if not t.bigram and not profile.has(t)), default=0.0) / n
        return (len(names) / len(q.names) if q.names else 0.0, len(years) / len(q.years) if q.years else 0.0, missing)

    def _acronym_found(self, name: str, article_id: str) -> bool:
        """A name written with an acronym in the question ("tp hcm") spelled out in the article
        ("thành phố vĩnh xuân" for "tp vx"): a part without a vowel is an acronym and matches its initials."""
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
                    if row + 1 < table.stop and announces(article.text, s, e, int(self.sentences.starts[row + 1]),
                                                           int(self.sentences.ends[row + 1])):
                        e = int(self.sentences.ends[row + 1])
                    rows.append((hit.article_id, s, e, "sentence", h, ""))
        for h, article_id in enumerate(dict.fromkeys(hit.article_id for hit, _ in ranked[:METADATA_ARTICLES])):
            article = self.articles.get(article_id)
            if article is None:
                continue
            hit_index = next(i for i, (hit, _) in enumerate(ranked) if hit.article_id == article_id)
            # an inferred date is not a publication date: "when was it posted?" is then not answered
            for kind, value in (("author", article.author), ("outlet", article.outlet), ("published", date_stated(article))):
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
            profile = text_profile(text)
            cov = coverage(q, profile)
            agreement = cache.get(("agree", article_id)) or cache.setdefault(("agree", article_id), self._agreement(q, article_id))
            spans = self._typed_spans(q, text, kind) if kind == "sentence" else [(kind, (0, 0))]
            if kind == "sentence":
                strong = float(any(strongly_typed(q.asked, k, text[a:b]) and (k != "number" or not q.asked_noun
                                                                               or counts_asked(q, text[a:b], text[b:b + 30]))
                                   for k, (a, b) in spans))
                weak = float(any(k in answers for k, _ in spans))
            else:
                strong = weak = float(kind == METADATA_ANSWERS.get(q.asked))
            anchor = 1.0 if q.before_wh and mentions(profile.padded, " ".join(q.before_wh[-2:])) else 0.0
            if kind == "sentence":
                folded_text = fold(text)
                anchors = question_anchors(q, folded_text)
                typed_proximity = max((proximity(anchors, a, b, q) for k, (a, b) in spans if k in answers), default=0.0)
                names_at = name_positions(q, folded_text)
                next_to_name = max((closeness(names_at, a, b) for k, (a, b) in spans if k in answers), default=0.0)
            else:
                typed_proximity = next_to_name = float(kind == METADATA_ANSWERS.get(q.asked))
            position = (index - table_rows.start) if index is not None and kind == "sentence" else 0
            near_names, near_years, near_idf = self._near_agreement(q, text_profile(window))
            features = {
                "cos_sentence": cos, "cos_sentence_gap": 0.0,  # the gaps to the best candidate: set below
                "cos_neighbour": max(prev_cos, next_cos), "cos_passage": hit_cos, "passage_rank": 1.0 / (1 + h),
                "passage_score": hit.score / best_score,
                "coverage": cov, "coverage_gap": 0.0, "coverage_pairs": coverage(q, profile, pairs=True),
                "coverage_window": coverage(q, text_profile(window)), "coverage_previous": coverage(q, text_profile(prev_text)),
                "coverage_article": agreement[0], "missing_idf": agreement[1], "names_missing": agreement[2],
                "years_missing": agreement[3], "numbers_missing": agreement[4],
                "typed_question": float(typed), "type_match_strong": strong, "type_match_weak": weak,
                "log_words": math.log1p(len(text.split())), "is_title": float(kind == "sentence" and s == 0),
                "is_metadata": float(kind != "sentence"),
                "metadata_match": float(kind != "sentence" and kind == METADATA_ANSWERS.get(q.asked)),
                "english": float(q.english), "lead": 1.0 / (1 + position), "anchor_in_sentence": anchor,
                "question_names": float(bool(q.names)), "typed_proximity": typed_proximity,
                "names_missing_near": near_names, "years_missing_near": near_years, "missing_idf_near": near_idf,
                "predicate_coverage": predicate_coverage(q, profile), "typed_next_to_name": next_to_name,
                "dates_named_document": float(q.asked == "date" and kind == "sentence" and bool(dated_codes(q, text))),
                "year_conflict": year_conflict(q, text),
            }
            sentence_cos.append(cos)
            coverages.append(cov)
            out_rows.append((article_id, s, e, kind, h, value, features))
        top_cos, top_cov = max(sentence_cos), max(coverages)
        candidates = []
        for article_id, s, e, kind, h, value, features in out_rows:
            features["cos_sentence_gap"] = features["cos_sentence"] - top_cos
            features["coverage_gap"] = features["coverage"] - top_cov
            candidates.append(Candidate(article_id, s, e, kind, h, feature_vector(features, SENTENCE_FEATURES), value))
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
        return [(k, (a, b)) for k, (a, b) in spans_of(sentence) if k != "clause" and fold(sentence[a:b]) not in asked]


METADATA_ANSWERS = {"author": "author", "outlet": "outlet", "published": "published"}
CREDIT_LINE = re.compile(r"^\(?(?:" + span_kinds.CREDIT_PREFIXES + r")\s*:", re.IGNORECASE)
ELABORATION = re.compile(r"^(cụ thể|theo đó|trong đó|đó là|bao gồm|gồm|như sau|chẳng hạn)\b", re.IGNORECASE)


def announces(text: str, s: int, e: int, s2: int, e2: int) -> bool:
    following = text[s2:e2]
    return text[s:e].rstrip().endswith(":") or bool(ELABORATION.match(following)) or bool(
        CREDIT_LINE.match(following) and len(following) < 80)


def date_stated(article: Article) -> str | None:
    """The publication date the page states, as it prints it (never an inferred one)."""
    if article.dateline:
        return article.dateline
    if article.published:
        y, m, d = article.published.split("-")
        return f"{int(d)}/{int(m)}/{y}"
    return None


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
