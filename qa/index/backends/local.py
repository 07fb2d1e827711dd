"""Where an index's vectors and BM25 terms are searched: the seam between the engine and its backends.

A backend answers, in rows of `chunks.jsonl` (row i is chunk i):

    size, dim                        chunks held, vector dimension
    document_frequency(term, exact)  chunks holding a term (the question analysis weighs words by idf)
    scope(filters)                   what the searches below need to see only the allowed chunks;
                                     None for no filter, False when no chunk is allowed
    lexical_rows(terms, depth, s)    the BM25 ranking, best first (ties: lower row first)
    dense_rows(qvec, depth, s)       the cosine ranking and its cosines (ties: lower row first, see best_first)
    cosines(rows, qvec)              cosines of chunks the dense ranking did not list

A backend with `hybrid = True` also answers `fused(qvec, terms, depth, s, rrf_k)`: both rankings
fused by reciprocal rank in one request, as {row: score}.

`LocalBackend` (the default): FAISS and bm25s files in the index folder. `MilvusBackend`
(qa/index/backends/milvus.py): a Milvus collection. Fusion, collapsing and answering stay in the engine.
"""
from __future__ import annotations

import numpy as np

from ...records import Article, Chunk
from ..dense import DenseIndex
from ..lexical import LexicalIndex


def best_first(rows, scores) -> list[tuple[int, float]]:
    """(row, score) pairs best first. Scores equal to six decimals tie, and ties go to the lower row: two
    engines (FAISS, Milvus) sum a dot product in their own order and may differ in the last bit, and FAISS
    leaves exact ties in heap order, so without this two backends could rank the same passages apart."""
    return sorted(zip(rows, scores), key=lambda pair: (-round(pair[1], 6), pair[0]))


class LocalBackend:
    """FAISS (exact or HNSW) and bm25s, in memory."""

    kind = "local"
    hybrid = False

    def __init__(self, dense: DenseIndex, lexical: LexicalIndex, chunks: list[Chunk], articles: dict[str, Article]):
        self.dense = dense
        self.lexical = lexical
        self.chunks = chunks
        self.articles = articles

    @property
    def size(self) -> int:
        return len(self.chunks)

    @property
    def dim(self) -> int:
        return self.dense.dim

    def document_frequency(self, term: str, exact: bool = False) -> int:
        return self.lexical.document_frequency(term, exact)

    def scope(self, filters) -> np.ndarray | None | bool:
        """A mask of the allowed rows."""
        if filters is None:
            return None
        allowed = np.array([filters.allows(self.articles[c.article_id]) for c in self.chunks], dtype=bool)
        return allowed if allowed.any() else False

    def lexical_rows(self, terms: list[str], depth: int, allowed: np.ndarray | None) -> list[int]:
        if allowed is None:
            return self.lexical.top(terms, depth)[0].tolist()
        scores = self.lexical.scores(terms)
        scores[~allowed] = 0.0
        rows = np.flatnonzero(scores > 0)
        return rows[np.lexsort((rows, -scores[rows]))][:depth].tolist()

    def dense_rows(self, qvec: np.ndarray, depth: int, allowed: np.ndarray | None) -> tuple[list[int], list[float]]:
        dense = self.dense
        if allowed is None:
            cosines, rows = dense.search(qvec, depth)
            ranked = best_first(rows.tolist(), cosines.tolist())
            return [r for r, _ in ranked], [c for _, c in ranked]
        rows = np.flatnonzero(allowed)
        if len(rows) > 20_000:  # a broad filter: search deeper and keep the allowed rows
            cosines, found = dense.search(qvec, min(len(self.chunks), depth * 20))
            keep = [(int(r), float(c)) for r, c in zip(found, cosines) if r >= 0 and allowed[r]]
            keep = best_first([r for r, _ in keep], [c for _, c in keep])[:depth]
            return [r for r, _ in keep], [c for _, c in keep]
        scores = [float(dense.vector(int(r)) @ qvec) for r in rows]  # a narrow filter: exact
        best = best_first(rows.tolist(), scores)[:depth]
        return [r for r, _ in best], [c for _, c in best]

    def cosines(self, rows: list[int], qvec: np.ndarray) -> list[float]:
        return [float(self.dense.vector(row) @ qvec) for row in rows]
