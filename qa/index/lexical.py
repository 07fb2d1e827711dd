"""BM25 (bm25s) over Vietnamese terms: syllables, code parts, bigrams, exact and diacritic-folded."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import IndexProblem
from ..text.vntext import fold, has_diacritics, tokens

# Lucene's BM25 with the usual k1/b: LexicalIndex here, the Milvus backend's halves (qa/index/lexicon.py) and
# the benchmarks' synthetic matrices (benchmarks/synthetic.py) all score with these.
K1, B = 1.2, 0.75


def common_limit(n_docs: int) -> int:
    """The most documents a searched term may be in. A term in more than half the documents barely
    ranks (its IDF is near 0) but costs a scan of half the index: at 1M chunks, dropping them halves
    BM25 time (benchmarks/run.py). Below 1,000 documents every term is kept."""
    return n_docs // 2 if n_docs >= 1000 else n_docs


def term_key(term: str, exact: bool) -> str:
    """The indexed form of a word, or of a word pair "a b": exact (with diacritics, "quyết_định") or
    folded ("~quyet_dinh")."""
    return term.replace(" ", "_") if exact else "~" + fold(term).replace(" ", "_")


def indexed_terms(doc: list[str]) -> list[str]:
    """A document's terms as they are counted: an empty chunk is one empty term long."""
    return doc or [""]


def document_terms(title: str, text: str) -> list[str]:
    """Terms of a chunk; its headline is searchable with it."""
    return tokens(f"{title}\n{text}")


def query_terms(query: str, phrases: list[str] | tuple[str, ...] = ()) -> list[str]:
    """A word typed with diacritics searches the exact field ("bán" is not "ban" or "bàn"); a word
    typed without them, or a bigram with such a word, searches the folded field (any diacritics).
    `phrases` (the Vietnamese forms of the query's abbreviations and English words, which the question's
    analysis finds: qa/answer/question.py) add their terms, folded.

    Besides being what the user typed, this scans about a quarter fewer postings than searching
    both fields (BM25 at 1M chunks, benchmarks/run.py)."""
    terms = [t if all(map(has_diacritics, t.split("_"))) else "~" + fold(t)
             for t in tokens(query, exact=True, folded=False)]
    for phrase in phrases:
        terms += tokens(phrase, exact=False, folded=True)
    return terms


class LexicalIndex:
    def __init__(self, bm25):
        self.bm25 = bm25

    @classmethod
    def build(cls, documents: list[list[str]]) -> "LexicalIndex":
        import bm25s

        # Lucene's BM25 with the usual k1/b; the terms are already Vietnamese-aware, so bm25s's own
        # tokenizer (English stopwords, drops one-letter words such as "ở") is not used.
        bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
        bm25.index([indexed_terms(doc) for doc in documents], show_progress=False)
        return cls(bm25)

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every document for the query terms (unknown terms score nothing)."""
        vocab = self.bm25.vocab_dict
        n_docs = int(self.bm25.scores["num_docs"])
        indptr = self.bm25.scores["indptr"]
        common = common_limit(n_docs)
        known = [t for t in terms if t in vocab and indptr[vocab[t] + 1] - indptr[vocab[t]] <= common]
        if not known:
            return np.zeros(n_docs, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def top(self, terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the k best-scoring documents (score > 0), best first, ties by row."""
        scores = self.scores(terms)
        rows = _best_rows(scores, k)
        return rows, scores[rows]

    def document_frequency(self, term: str, exact: bool = False) -> int:
        """Chunks containing a term: exact ("quyết định", with diacritics) or folded ("quyet dinh");
        "a b" is a word pair."""
        column = self.bm25.vocab_dict.get(term_key(term, exact))
        if column is None:
            return 0
        indptr = self.bm25.scores["indptr"]
        return int(indptr[column + 1] - indptr[column])

    @property
    def size(self) -> int:
        return int(self.bm25.scores["num_docs"])

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        import bm25s

        try:
            return cls(bm25s.BM25.load(str(folder), mmap=False))
        except Exception as exc:
            raise IndexProblem(f"{folder.name}/ (the BM25 index) is unreadable ({type(exc).__name__})") from None


def _best_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k highest positive scores, best first (ties: lower row first).

    A full argpartition of 1M scores takes ~4 ms. Instead, a threshold is read off an evenly spaced
    sample (its 10 best of 20,000 stand for the ~500 best of 1M) and only the rows at or above it
    are ranked (~0.7 ms). When fewer than k rows reach it, every row is ranked: exact either way,
    since at least k scores at or above the threshold mean the k best are all among them.
    """
    candidates = None
    if len(scores) > 50_000 and k < 1_000:
        sample = scores[:: len(scores) // 20_000]
        threshold = np.partition(sample, len(sample) - 10)[len(sample) - 10]
        if threshold > 0:
            above = np.flatnonzero(scores >= threshold)
            candidates = above if len(above) >= k else None
    if candidates is None:
        candidates = np.flatnonzero(scores > 0)
    if len(candidates) > k:  # scores above the k-th, then the rows tied with it in row order
        kth = np.partition(scores[candidates], len(candidates) - k)[len(candidates) - k]
        candidates = np.concatenate([candidates[scores[candidates] > kth],
                                     candidates[scores[candidates] == kth]])[:k]
    return candidates[np.lexsort((candidates, -scores[candidates]))]
