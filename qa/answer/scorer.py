"""The fitted answer model: two standardised logistic models, one over candidate sentences (and metadata
fields), one over the spans inside the chosen sentence, with the refusal and "confident" thresholds.

`qa fit` (qa/train/fit.py) writes it to qa/models/answer-model.json; the feature names stored in the file
must be the ones this code computes (SENTENCE_FEATURES, SPAN_FEATURES), in the same order.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .candidates import Candidate

MODEL_PATH = Path(__file__).parents[1] / "models" / "answer-model.json"

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
# The span ranker that reads with the reader (qa/answer/reader/, its model file's "span_ranker"): the span
# features above and what the reader's span head says of each span (qa/answer/short_answer.py, reader_columns).
READ_SPAN_FEATURES = SPAN_FEATURES + ("reader_span_score", "reader_span_margin", "reader_best_span")
# The reader's span scores as features are floored here (the span ranker's and the verdict's): a span cut off
# the reader's input scores far lower still, and only its being the lowest matters.
READER_SCORE_FLOOR = -20.0


def feature_vector(values: dict[str, float], names: tuple[str, ...]) -> np.ndarray:
    """The values of `names`, in that order, from a name -> value mapping: a feature computed under a name
    the model does not know, or one it knows left out, is an error, never a silent shift of the columns."""
    if len(values) != len(names) or any(name not in values for name in names):
        raise ValueError(f"features {sorted(set(values) ^ set(names))} are not the ones the model is fitted on")
    return np.array([values[name] for name in names], dtype=float)


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


def score_candidates(scorer: Linear, candidates: list[Candidate]) -> tuple[np.ndarray, int]:
    """Each candidate's probability of answering, and the index of the most probable one."""
    probabilities = scorer.probability(np.stack([c.features for c in candidates]))
    return probabilities, int(np.argmax(probabilities))
