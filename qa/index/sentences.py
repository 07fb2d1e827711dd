"""The sentences of every article with their vectors, computed at index time for the answer scorer.

Rows are grouped by article in index order; `sentences.jsonl` holds (article id, start, end, embed
hash) per row and `sentences.npy` the vectors as float16 (half the size; the scorer's cosines need
no more precision than the ~1e-3 the model's own output varies by between CPUs).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import IndexProblem
from ..records import Article
from ..text.vntext import canonical, sentence_spans


def article_sentences(article: Article) -> list[tuple[int, int]]:
    """(start, end) of each sentence of an article's text, headline first."""
    return sentence_spans(article.text)


def embedding_text(article: Article, start: int, end: int) -> str:
    # one tone spelling on both sides ("hoà"/"hòa"), as for chunks and queries
    return canonical(article.text[start:end])


@dataclass
class SentenceTable:
    article_ids: list[str]
    starts: np.ndarray  # int32
    ends: np.ndarray
    hashes: list[str]
    vectors: np.ndarray  # float16, (rows, dim)
    _rows: dict[str, range] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        first: dict[str, int] = {}
        for row, article_id in enumerate(self.article_ids):
            first.setdefault(article_id, row)
            self._rows[article_id] = range(first[article_id], row + 1)

    def __len__(self) -> int:
        return len(self.article_ids)

    def rows(self, article_id: str) -> range:
        """The rows of one article's sentences, in text order (empty when it has none)."""
        return self._rows.get(article_id, range(0))

    def by_hash(self) -> dict[str, np.ndarray]:
        return {h: self.vectors[i] for i, h in enumerate(self.hashes)}

    def save(self, folder: Path) -> None:
        with open(folder / "sentences.jsonl", "w", encoding="utf-8") as out:
            for row, article_id in enumerate(self.article_ids):
                out.write(json.dumps({"article_id": article_id, "start": int(self.starts[row]),
                                      "end": int(self.ends[row]), "embed_hash": self.hashes[row]},
                                     ensure_ascii=False) + "\n")
        np.save(folder / "sentences.npy", np.ascontiguousarray(self.vectors, dtype=np.float16), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> "SentenceTable":
        try:
            rows = [json.loads(line) for line in (folder / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
            vectors = np.load(folder / "sentences.npy", allow_pickle=False, mmap_mode="r")
            table = cls([r["article_id"] for r in rows], np.array([r["start"] for r in rows], dtype=np.int32),
                        np.array([r["end"] for r in rows], dtype=np.int32), [r["embed_hash"] for r in rows], vectors)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexProblem(f"sentences.* (the sentence vectors) are unreadable ({type(exc).__name__})") from None
        if vectors.ndim != 2 or vectors.shape[0] != len(rows):
            raise IndexProblem(f"sentences.npy holds {vectors.shape[0] if vectors.ndim else 0} vectors for {len(rows)} sentences")
        return table

    @classmethod
    def empty(cls, dim: int) -> "SentenceTable":
        return cls([], np.zeros(0, np.int32), np.zeros(0, np.int32), [], np.zeros((0, dim), np.float16))
