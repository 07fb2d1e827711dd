"""BM25 split in two for an index held elsewhere (Milvus): term ids and document frequencies kept
in the index folder, each chunk stored as a sparse vector of its terms' term-frequency parts, each
query sent as a sparse vector of its terms' idf.

    score(q, d) = sum over query terms t of  idf(t) * tf(t, d) / (tf(t, d) + k1 (1 - b + b |d| / avgdl))
                = query_vector(q) . document_vector(d)

This is Lucene's BM25 as `qa.lexical.LexicalIndex` (bm25s, method "lucene") computes it, over the same
terms (`document_terms` / `query_terms`), so the two backends rank alike. The idf half is computed at
query time from the document frequencies here, so adding or deleting chunks never rewrites the
other chunks' vectors. Only avgdl is fixed into the stored vectors: it is kept from the build that
wrote them until the corpus's average length drifts by more than AVGDL_DRIFT, and then every vector
is rewritten (pymilvus's BM25EmbeddingFunction fixes avgdl the same way, once, when it is fitted).
"""
from __future__ import annotations

import json
import math
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import IndexProblem
from .lexical import B, K1, common_limit, indexed_terms, term_key
AVGDL_DRIFT = 0.05  # rewrite every stored vector once the average chunk length moved by more than 5 %
VERSION = 1


@dataclass
class Lexicon:
    """Term ids (append-only: an id never changes meaning) and how many chunks hold each term now."""

    terms: list[str]
    df: np.ndarray  # int64, by term id
    docs: int
    total_length: int  # terms in all chunks, repeats counted (bm25s's document length)
    avgdl: float  # the average length the stored document vectors were computed with
    epoch: str  # names the (term ids, avgdl) the stored vectors were written under; changes force a rewrite
    _ids: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not self._ids:
            self._ids = {term: i for i, term in enumerate(self.terms)}

    # ---- building ------------------------------------------------------------------------------
    @classmethod
    def build(cls, documents: list[list[str]]) -> "Lexicon":
        """Term statistics of a whole corpus (each document a list of terms, repeats kept)."""
        made = cls([], np.zeros(0, dtype=np.int64), 0, 0, 0.0, secrets.token_hex(8))
        made._count(documents, +1)
        made.avgdl = made.mean_length()
        return made

    def updated(self, removed: list[list[str]], added: list[list[str]]) -> "Lexicon":
        """The statistics after some documents left and others came; the receiver is unchanged.

        Term ids are kept (new terms get new ids), so stored vectors of unchanged chunks stay valid
        unless avgdl drifted past AVGDL_DRIFT, in which case the result has a new epoch.
        """
        made = Lexicon(list(self.terms), self.df.copy(), self.docs, self.total_length, self.avgdl, self.epoch,
                       dict(self._ids))
        made._count(removed, -1)
        made._count(added, +1)
        if made.docs and (not made.avgdl or abs(made.mean_length() / made.avgdl - 1) > AVGDL_DRIFT):
            made.avgdl = made.mean_length()
            made.epoch = secrets.token_hex(8)
        return made

    def _count(self, documents: list[list[str]], sign: int) -> None:
        grown: list[str] = []
        for doc in documents:
            doc = indexed_terms(doc)  # as LexicalIndex.build
            self.docs += sign
            self.total_length += sign * len(doc)
            for term in set(doc):
                if term not in self._ids:
                    self._ids[term] = len(self.terms) + len(grown)
                    grown.append(term)
        if grown:
            self.terms.extend(grown)
            self.df = np.concatenate([self.df, np.zeros(len(grown), dtype=np.int64)])
        for doc in documents:
            ids = [self._ids[t] for t in set(indexed_terms(doc))]
            self.df[ids] += sign
        if self.docs < 0 or (len(self.df) and self.df.min() < 0):
            raise ValueError("removed a document that was never counted")

    def mean_length(self) -> float:
        return float(np.float64(self.total_length) / self.docs) if self.docs else 0.0

    # ---- the two halves of BM25 ----------------------------------------------------------------
    def document_vector(self, terms: list[str]) -> dict[int, float]:
        """Term id -> tf / (tf + k1 (1 - b + b |d| / avgdl)), computed as bm25s does (float64, stored
        as float32)."""
        terms = indexed_terms(terms)
        counts = Counter(terms)
        ids = [self._ids[t] for t in counts]
        tf = np.array(list(counts.values()), dtype=np.float32)
        tfc = tf / (K1 * ((1 - B) + B * len(terms) / np.float64(self.avgdl or 1.0)) + tf)
        return dict(zip(ids, tfc.astype(np.float32).tolist()))

    def query_vector(self, terms: list[str]) -> dict[int, float]:
        """Term id -> idf x (times the query holds the term), for the terms any chunk holds.

        As LexicalIndex.scores: a term in more than half of 1,000 or more chunks is left out (its
        idf is near 0, its postings are half the index)."""
        common = common_limit(self.docs)
        weights: dict[int, float] = {}
        for term, count in Counter(terms).items():
            i = self._ids.get(term)
            if i is None or not 0 < self.df[i] <= common:
                continue
            idf = np.float32(math.log(1 + (self.docs - self.df[i] + 0.5) / (self.df[i] + 0.5)))
            weights[i] = float(idf * np.float32(count))
        return weights

    def document_frequency(self, term: str, exact: bool = False) -> int:
        """Chunks containing a term, as LexicalIndex.document_frequency: exact or folded, "a b" a pair."""
        i = self._ids.get(term_key(term, exact))
        return 0 if i is None else int(self.df[i])

    @property
    def size(self) -> int:
        return self.docs

    # ---- storage -------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"version": VERSION, "k1": K1, "b": B, "docs": self.docs, "total_length": self.total_length,
                       "avgdl": self.avgdl, "epoch": self.epoch, "terms": self.terms, "df": self.df.tolist()},
                      out, ensure_ascii=False)

    @classmethod
    def load(cls, path: Path) -> "Lexicon":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("version") != VERSION or (data["k1"], data["b"]) != (K1, B):
                raise ValueError("another lexicon version or BM25 parameters")
            made = cls(list(data["terms"]), np.asarray(data["df"], dtype=np.int64), int(data["docs"]),
                       int(data["total_length"]), float(data["avgdl"]), str(data["epoch"]))
            if len(made.df) != len(made.terms) or len(made._ids) != len(made.terms):
                raise ValueError("terms and frequencies do not match")
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexProblem(f"{Path(path).name} (the BM25 term statistics) is unreadable ({exc})") from None
        return made
