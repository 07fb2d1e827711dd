"""Rank fusion of the dense and lexical result lists."""
from __future__ import annotations


def reciprocal_rank_fusion(rankings: list[list[int]], weights: list[float], k: int = 60) -> dict[int, float]:
    """Weighted RRF: score(d) = sum_i w_i / (k + rank_i(d)), ranks starting at 1.

    Rank-based, so the cosine scale of the dense side and the unbounded BM25 scale never need
    calibrating against each other.
    """
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank)
    return fused
