"""The short answer inside the chosen sentence: every typed span of it (qa/answer/spans.py), the clause
after the question's own words, or the whole sentence, each with its features; the span model ranks them.
"""
from __future__ import annotations

import math
import re

import numpy as np

from ..text.vntext import fold
from . import spans as span_kinds
from .matching import counts_asked, dated_codes, proximity, question_anchors, spans_of, strongly_typed
from .question import Question
from .scorer import READER_SCORE_FLOOR, SPAN_FEATURES, Linear, feature_vector

# The kinds of span a candidate may be: the registry's (qa/answer/spans.py), the clause after the question's
# own words, the whole sentence. Each is a feature of its own ("kind_date", ...).
_SPAN_KINDS = ("date", "number", "person", "role", "organization", "place", "document", "credit", "capital", "quote",
               "clause", "after_anchor", "sentence")


def span_candidates(q: Question, text: str, s: int, e: int) -> list[tuple[str, int, int, np.ndarray]]:
    """(kind, start, end, features) of every span of text[s:e] that could be the short answer."""
    sentence = text[s:e]
    folded_sentence = fold(sentence)
    question_words = set(re.findall(r"\w+", q.folded))
    words = list(re.finditer(r"\w+", folded_sentence))
    matched = [m for m in words if m.group() in question_words and len(m.group()) > 1]
    answers = span_kinds.ANSWERS.get(q.asked, set())
    typed = bool(answers) and q.asked not in ("list", "reason", "manner", "summary")
    anchors = question_anchors(q, folded_sentence)
    dated = dated_codes(q, sentence) if q.asked == "date" else set()
    options: list[tuple[str, int, int]] = [(k, a, b) for k, (a, b) in spans_of(sentence)]
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
        noun_next = float(counts_asked(q, sentence[a:b], sentence[b:b + 30]))
        features = {f"kind_{name}": float(kind == name) for name in _SPAN_KINDS}
        features.update({
            "type_match": float(kind in answers), "question_overlap": overlap,
            "anchor_distance": math.log1p(distance / 5), "after_anchor": after_anchor, "before_anchor": before_anchor,
            "log_words": math.log1p(len(span_words)), "long": float(len(span_words) > 12), "noun_next": noun_next,
            "relative_position": a / max(1, len(sentence)),
            "surname_start": float(sentence[a:b].split()[0].lower() in span_kinds.SURNAMES),
            "proximity": proximity(anchors, a, b, q), "typed_mismatch": float(typed and kind not in answers),
            "strong_match": float(strongly_typed(q.asked, kind, sentence[a:b])),
            "after_copula": float(last in _COPULA or pair in _COPULA), "after_place_word": float(last in _PLACE_WORDS),
            "after_agent_word": float(last in _AGENT_WORDS), "after_time_word": float(last in _TIME_WORDS),
            "question_word_before": float(last in question_words and len(last) > 1),
            "question_word_after": float(bool(following) and following[0] in question_words and len(following[0]) > 1),
            "no_question_words": float(overlap == 0),
            "after_horizon_word": float(bool(_HORIZON.search(fold(sentence[max(0, a - 30):a])))),
            "title_before": float(bool(span_kinds.TITLE_BEFORE.search(sentence[max(0, a - 60):a]))),
            "inside_capital_run": float(a > 1 and sentence[a - 1] == " "
                                        and bool(re.search(r"(?:^|\s)[^\W\d_]*$", sentence[:a - 1]))
                                        and sentence[:a - 1].split()[-1][:1].isupper()
                                        if sentence[:a - 1].split() else False),
            "dates_named_document": float((a, b) in dated),
        })
        out.append((kind, s + a, s + b, feature_vector(features, SPAN_FEATURES)))
    # The answer to a typed question is a span of its type when the sentence has one (the registry's
    # contract); the ranker chooses among those. Other questions choose among every span.
    if typed:
        of_type = [o for o in out if o[0] in answers]
        # a number question asking for a unit or a counted noun ("bao nhiêu mét") is answered by the
        # numbers of that unit or noun when the sentence has any
        counting = [o for o in of_type if o[0] == "number" and counts_asked(q, text[o[1]:o[2]], text[o[2]:o[2] + 30])]
        if counting:
            return counting
        if of_type:
            return of_type
    return out


def best_span(model: Linear, q: Question, text: str, s: int, e: int) -> tuple[int, int]:
    options = span_candidates(q, text, s, e)
    if not options:
        return s, e
    scores = model.probability(np.stack([f for *_, f in options]))
    _, a, b, _ = options[int(np.argmax(scores))]
    return a, b


def reader_columns(scores: np.ndarray, best: float) -> np.ndarray:
    """The reader's features of each option (READ_SPAN_FEATURES' last three): its span score, how far below the
    best span the reader reads anywhere in the window, and whether it is the best of the options (scores
    floored: a span cut off the reader's input has the lowest)."""
    scores = np.asarray(scores, dtype=float)
    return np.column_stack([np.maximum(scores, READER_SCORE_FLOOR), np.maximum(scores - best, READER_SCORE_FLOOR),
                            (scores >= scores.max(initial=-np.inf) - 1e-6).astype(float)])


# Words that, right before a span, say what kind of thing follows (general Vietnamese grammar).
_COPULA = {"la", "goi la", "ten la", "gom", "bao gom", "nhu", "chinh la", "tuc la", "la do"}
_PLACE_WORDS = {"tai", "o", "den", "tu", "toi", "ve", "qua", "thuoc"}
_AGENT_WORDS = {"do", "boi", "cua", "voi", "cho"}
_TIME_WORDS = {"vao", "ngay", "nam", "luc", "thang", "tu", "den", "truoc", "sau", "khi"}


# "tầm nhìn đến năm 2045", "giai đoạn 2021-2030": a plan's horizon, not when something happened.
_HORIZON = re.compile(r"(?:den|toi|tam nhin|giai doan|thoi ky|truoc)\s*(?:nam|thang)?\s*$")


def _phrase_end(folded_sentence: str, words: tuple[str, ...]) -> int | None:
    """Where the question's words before its question word end in the sentence (longest suffix found)."""
    return _phrase_at(folded_sentence, [" ".join(words[-n:]) for n in range(min(3, len(words)), 0, -1)], end=True)


def _phrase_start(folded_sentence: str, words: tuple[str, ...]) -> int | None:
    """Where the question's words after its question word start in the sentence (longest prefix found)."""
    return _phrase_at(folded_sentence, [" ".join(words[:n]) for n in range(min(3, len(words)), 0, -1)], end=False)


def _phrase_at(folded_sentence: str, phrases: list[str], end: bool) -> int | None:
    """The end (or start) of the first of `phrases`, longest first, found as whole words in the sentence."""
    for phrase in phrases:
        if len(phrase) < 2:
            continue
        m = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded_sentence)
        if m:
            return m.end() if end else m.start()
    return None
