"""BM25 top-k selection: the shortcut that skips ranking every score must give exactly the k best."""
from __future__ import annotations

import numpy as np
import pytest

from qa.answer.question import analyse
from qa.index.lexical import _best_rows


def brute_force(scores: np.ndarray, k: int) -> list[int]:
    rows = [int(r) for r in np.flatnonzero(scores > 0)]
    return sorted(rows, key=lambda r: (-float(scores[r]), r))[:k]


def sparse_scores(n: int, seed: int, levels: int | None = None) -> np.ndarray:
    """Mostly small scores, some zeros, a few high ones; `levels` rounds them so that many tie."""
    rng = np.random.default_rng(seed)
    scores = (rng.random(n) ** 6 * 20).astype(np.float32)
    scores[rng.random(n) < 0.3] = 0
    if levels:
        scores = np.round(scores * levels / 20).astype(np.float32)
    return scores


@pytest.mark.parametrize("n", [7, 1_000, 120_000, 1_000_000])
@pytest.mark.parametrize("k", [1, 10, 50, 300])
@pytest.mark.parametrize("levels", [None, 40])
def test_best_rows_are_exactly_the_k_best_with_ties_by_row(n, k, levels):
    scores = sparse_scores(n, seed=n + k, levels=levels)
    assert _best_rows(scores, k).tolist() == brute_force(scores, k)


def test_when_fewer_rows_reach_the_sampled_threshold_every_row_is_ranked():
    # 120k rows, the sample's 10th best is the only high value class: fewer than k rows reach it.
    scores = np.full(120_000, 0.5, dtype=np.float32)
    scores[::6_000] = 9.0  # exactly one sampled row in 6,000 is high: 20 rows in all
    assert _best_rows(scores, 50).tolist() == brute_force(scores, 50)


@pytest.mark.parametrize("n", [10, 200_000])
def test_only_positive_scores_count(n):
    scores = np.zeros(n, dtype=np.float32)
    assert _best_rows(scores, 10).tolist() == []
    scores[[3, 5]] = [1.0, 2.0]
    assert _best_rows(scores, 10).tolist() == [5, 3]


def test_index_top_matches_a_full_ranking_of_its_scores(engine):
    lexical = engine._stored.lexical
    for question in ["Quyết định 2200-QĐ/TU được ban hành ngày nào?", "quyet dinh 2200 ban hanh ngay nao",
                     "Who chaired the meeting?", "zzzz"]:
        terms = list(analyse(question).search_terms)
        rows, scores = lexical.top(terms, 10)
        full = lexical.scores(terms)
        assert rows.tolist() == brute_force(full, 10)
        np.testing.assert_array_equal(scores, full[rows])
