"""Synthetic data for the benchmarks: what is made up, and how it is kept close to the real thing.

* `clustered_vectors` - corpus vectors for the big sizes: a Gaussian mixture in 384-d around the
  mean of the real seed embeddings, with an anisotropic (power-law) spectrum, L2-normalised.
  Calibrated on the real index: random pairs ~0.89 cosine, same cluster ~0.94, nearest
  neighbour ~0.96, as the bundled e5 gives on seeds/ (uniform random vectors, cosine ~0, look
  like no real embedding and make every ANN index look worse than it is).
* `synthetic_bm25` - the BM25 matrix for the big sizes: each chunk is a bag of terms drawn from a
  Zipf law over a vocabulary whose top ranks are the real terms of seeds/ (syllables, folded
  syllables and bigrams, ranked by their real frequency) and whose long tail grows with the corpus
  (Heaps' law). Chunk lengths are drawn from the real chunks' term counts. The matrix holds the
  same Lucene BM25 weights `bm25s` would compute (checked against `bm25s.index` by `check_bm25`);
  columns of tail terms, which no question can match, are counted but not stored.
* `synthetic_articles` - seed-format article files for the incremental-index benchmark, each a
  distinct recombination of real sentences from seeds/ under its own title and date.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import time
from pathlib import Path

import numpy as np

from qa.index.lexical import B, K1

GENERATOR_VERSION = 1
DIM = 384
# Mixture parameters, calibrated on the e5 vectors of seeds/ (see module docstring).
BETWEEN_VAR = 0.045  # variance of cluster centres around the global mean (trace)
WITHIN_VAR = 0.06  # variance of a vector around its cluster centre (trace)
SPECTRUM_POWER = 1.0  # eigenvalue i of both covariances ~ i**-power
PER_CLUSTER = 50  # vectors per cluster on average (a topic / a few articles)


def cache_dir(explicit: str | None = None) -> Path:
    root = Path(explicit) if explicit else Path(os.environ.get("TMPDIR", "/tmp")) / "hoi-dap-bench-cache"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _key(**parts) -> str:
    blob = json.dumps({"v": GENERATOR_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# ---- vectors --------------------------------------------------------------------------------------
def clustered_vectors(n: int, mean: np.ndarray, *, seed: int = 0, extra: int = 0,
                      cache: Path | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """(n corpus vectors, `extra` held-out query vectors from the same mixture, info).

    A cached set is reused while the real mean it was made around is still the same direction
    (the seed index may be rebuilt, or chunked a little differently, between runs).
    """
    mean = np.asarray(mean, dtype=np.float32)
    key = _key(kind="vectors", n=n, extra=extra, seed=seed, between=BETWEEN_VAR, within=WITHIN_VAR,
               power=SPECTRUM_POWER, per_cluster=PER_CLUSTER)
    path = cache / f"vectors-{n}-{key}.npy" if cache else None
    meta = path.with_suffix(".json") if path else None
    t0 = time.perf_counter()
    clusters = max(1, n // PER_CLUSTER)
    if path and path.exists() and meta.exists():
        made_around = np.asarray(json.loads(meta.read_text())["mean"], dtype=np.float32)
        drift = 1.0 - float(made_around @ mean / (np.linalg.norm(made_around) * np.linalg.norm(mean)))
        if drift < 1e-3 and abs(np.linalg.norm(made_around) / np.linalg.norm(mean) - 1) < 0.01:
            both = np.load(path)
            return both[:n], both[n:], {"seconds": round(time.perf_counter() - t0, 2), "cached": True,
                                        "clusters": clusters, "key": key, "mean_drift": round(drift, 6)}
    rng = np.random.default_rng(seed)
    lam = np.arange(1, DIM + 1, dtype=np.float64) ** -SPECTRUM_POWER
    lam /= lam.sum()
    rotation, _ = np.linalg.qr(rng.standard_normal((DIM, DIM)))
    shape = (np.sqrt(lam)[:, None] * rotation.T).astype(np.float32)  # z @ shape ~ N(0, R diag(lam) R^T)
    centres = (rng.standard_normal((clusters, DIM), dtype=np.float32) @ shape) * np.float32(np.sqrt(BETWEEN_VAR))
    centres += mean
    total = n + extra
    out = np.empty((total, DIM), dtype=np.float32)
    block = 100_000
    for start in range(0, total, block):
        stop = min(total, start + block)
        labels = rng.integers(0, clusters, stop - start)
        x = centres[labels] + (rng.standard_normal((stop - start, DIM), dtype=np.float32) @ shape) * np.float32(
            np.sqrt(WITHIN_VAR))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[start:stop] = x
    if path:
        for stale in cache.glob(f"hnsw-{n}-{key}-*"):  # graphs built over the vectors being replaced
            stale.unlink()
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, out)
        os.replace(tmp, path)
        meta.write_text(json.dumps({"mean": mean.tolist()}))
    return out[:n], out[n:], {"seconds": round(time.perf_counter() - t0, 2), "cached": False, "clusters": clusters,
                              "key": key}


def dense_index(vectors: np.ndarray, kind: str, key: str, cache: Path | None) -> tuple:
    """(the local backend's DenseIndex over `vectors`, its build seconds, when it was built if it came
    from the cache, else None). An HNSW graph is cached next to its vectors (`key`: clustered_vectors'
    info["key"]): over 1M vectors it takes many minutes to build."""
    import faiss

    from qa.index import dense as qdense

    n = len(vectors)
    graph = None
    if kind == "hnsw" and cache is not None:
        graph = cache / f"hnsw-{n}-{key}-M{qdense.HNSW_M}-efc{qdense.HNSW_EF_CONSTRUCTION}.faiss"
    if graph is not None and graph.exists() and graph.with_suffix(".json").exists():
        built = json.loads(graph.with_suffix(".json").read_text())
        return qdense.DenseIndex.load(graph, kind), built["build_s"], built["built_at"]
    t0 = time.perf_counter()
    dense = qdense.DenseIndex.build(vectors, kind)
    build_s = time.perf_counter() - t0
    if graph is not None:
        dense.save(graph)
        graph.with_suffix(".json").write_text(json.dumps({
            "build_s": round(build_s, 2), "threads": faiss.omp_get_max_threads(),
            "built_at": time.strftime("%Y-%m-%d %H:%M")}))
    return dense, build_s, None


def cosine_profile(vectors: np.ndarray, same_group: np.ndarray | None = None, sample: int = 2000,
                   seed: int = 0) -> dict:
    """Mean cosine of random pairs and of nearest neighbours (within a sample), to compare data sets."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(vectors), min(sample, len(vectors)), replace=False)
    part = vectors[rows]
    sims = part @ part.T
    upper = np.triu_indices(len(part), 1)
    np.fill_diagonal(sims, -np.inf)
    profile = {"pair_cos": round(float(sims[upper].mean()), 3)}
    if same_group is not None:
        groups = same_group[rows]
        same = groups[:, None] == groups[None, :]
        profile["same_group_cos"] = round(float(sims[upper][same[upper]].mean()), 3) if same[upper].any() else None
    return profile


def nn_cosine(vectors: np.ndarray, queries: np.ndarray) -> float:
    """Mean cosine of each query's nearest neighbour among `vectors` (exact)."""
    import faiss

    scores, _ = faiss.knn(np.ascontiguousarray(queries), vectors, 1, faiss.METRIC_INNER_PRODUCT)
    return round(float(scores[:, 0].mean()), 3)


# ---- BM25 -----------------------------------------------------------------------------------------
def zipf_fit(counts: list[int]) -> float:
    """Zipf exponent of a rank-frequency list (least squares on log-log)."""
    f = np.sort(np.asarray(counts, dtype=np.float64))[::-1]
    ranks = np.arange(1, len(f) + 1)
    return float(-np.polyfit(np.log(ranks), np.log(f), 1)[0])


def term_profile(chunks) -> dict:
    """What the synthetic BM25 is drawn from: the real chunks' terms ranked by document frequency,
    each chunk's term count, the fitted Zipf exponent and the number of chunks."""
    from qa.index.lexical import document_terms

    terms = [document_terms(c.title, c.text) for c in chunks]
    counts: dict[str, int] = {}
    for doc in terms:
        for term in doc:
            counts[term] = counts.get(term, 0) + 1
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    return {"ranked": ranked, "lengths": [len(d) for d in terms], "zipf_s": zipf_fit(list(counts.values())),
            "docs": len(terms)}


def _alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table: O(1) sampling from a discrete distribution."""
    n = len(p)
    prob = np.asarray(p, dtype=np.float64) * n
    alias = np.zeros(n, dtype=np.int64)
    small = [i for i in range(n) if prob[i] < 1.0]
    large = [i for i in range(n) if prob[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        alias[s] = g
        prob[g] -= 1.0 - prob[s]
        (small if prob[g] < 1.0 else large).append(g)
    for i in small + large:
        prob[i] = 1.0
    return prob, alias


def vocabulary_size(n_docs: int, real_terms: int, real_docs: int) -> int:
    """Heaps' law with exponent 1/2: the vocabulary grows with the square root of the corpus."""
    return max(real_terms, int(real_terms * np.sqrt(n_docs / max(1, real_docs))))


def synthetic_bm25(n_docs: int, ranked_terms: list[str], real_lengths: list[int], zipf_s: float, *,
                   real_docs: int, seed: int = 1, cache: Path | None = None, keep_tokens: bool = False) -> tuple:
    """A bm25s-compatible `scores` dict over `n_docs` synthetic chunks, plus info (and, for
    `keep_tokens`, the sampled head-term ids and lengths of every chunk, to check against bm25s)."""
    head = len(ranked_terms)
    vocab = vocabulary_size(n_docs, head, real_docs)
    key = _key(kind="bm25", n=n_docs, seed=seed, s=round(zipf_s, 6), vocab=vocab,
               terms=hashlib.sha256("\0".join(ranked_terms).encode()).hexdigest(),
               lengths=hashlib.sha256(np.asarray(real_lengths, dtype=np.int64).tobytes()).hexdigest())
    folder = cache / f"bm25-{n_docs}-{key}" if cache and not keep_tokens else None
    t0 = time.perf_counter()
    if folder and (folder / "info.json").exists():
        scores = {name: np.load(folder / f"{name}.npy") for name in ("data", "indices", "indptr")}
        scores["num_docs"] = n_docs
        info = json.loads((folder / "info.json").read_text())
        info.update(seconds=round(time.perf_counter() - t0, 2), cached=True)
        return scores, info

    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocab + 1, dtype=np.float64)
    p = ranks ** -zipf_s
    p /= p.sum()
    p_head = float(p[:head].sum())
    prob, alias = _alias_table(p[:head] / p_head)
    lengths = rng.choice(np.asarray(real_lengths, dtype=np.int64), n_docs)
    head_counts = rng.binomial(lengths, p_head)  # the rest of each chunk's terms are tail terms
    bits = max(1, int(head - 1).bit_length())
    term_parts, tf_parts = [], []
    per_doc = np.zeros(n_docs, dtype=np.int64)
    tokens = [] if keep_tokens else None
    block = 20_000
    for start in range(0, n_docs, block):
        stop = min(n_docs, start + block)
        h = head_counts[start:stop]
        m = int(h.sum())
        pick = rng.integers(0, head, m)
        term = np.where(rng.random(m) < prob[pick], pick, alias[pick])
        doc = np.repeat(np.arange(stop - start, dtype=np.int64), h)
        if tokens is not None:
            bounds = np.cumsum(h)[:-1]
            tokens.extend(np.split(term, bounds))
        key_ = (doc << bits) | term
        key_.sort()
        first = np.empty(m, dtype=bool)
        first[:1] = True
        np.not_equal(key_[1:], key_[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, m))
        unique = key_[starts]
        term_parts.append((unique & ((1 << bits) - 1)).astype(np.int32))
        tf_parts.append(counts.astype(np.float32))
        per_doc[start:stop] = np.bincount(unique >> bits, minlength=stop - start)
        del key_, first, doc, pick, term
    terms = np.concatenate(term_parts)
    del term_parts
    weights = np.concatenate(tf_parts)
    del tf_parts
    df = np.bincount(terms, minlength=head)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)  # Lucene
    norm = (K1 * (1 - B + B * lengths / lengths.mean())).astype(np.float32)
    doc_of = np.repeat(np.arange(n_docs, dtype=np.int32), per_doc)
    weights /= weights + norm[doc_of]  # tf / (tf + k1 (1 - b + b L/avgL))
    weights *= idf[terms]
    del doc_of
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(per_doc, out=indptr[1:])
    by_doc = sp.csr_matrix((weights, terms, indptr), shape=(n_docs, head))
    del weights, terms
    by_term = by_doc.tocsc()
    del by_doc
    scores = {"data": by_term.data.astype(np.float32, copy=False), "indices": by_term.indices.astype(np.int32, copy=False),
              "indptr": by_term.indptr.astype(np.int64, copy=False), "num_docs": n_docs}
    # A chunk's tail terms (those that are not real terms) are distinct terms of their own,
    # mostly once each: an estimate of the postings a real index would hold for them.
    tail_postings = int(lengths.sum() - head_counts.sum())
    info = {"vocabulary": vocab, "real_terms": head, "zipf_s": round(zipf_s, 3), "p_real_terms": round(p_head, 3),
            "mean_terms_per_chunk": round(float(lengths.mean()), 1), "stored_postings": int(by_term.nnz),
            "tail_postings_not_stored": tail_postings, "seconds": round(time.perf_counter() - t0, 2), "cached": False}
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("data", "indices", "indptr"):
            np.save(folder / f"{name}.npy", scores[name])
        (folder / "info.json").write_text(json.dumps(info))
    if keep_tokens:
        return scores, info, tokens, lengths
    return scores, info


def bm25_object(scores: dict, ranked_terms: list[str]):
    """A bm25s.BM25 holding a precomputed matrix, as `LexicalIndex.build` would leave it."""
    import bm25s

    bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
    bm25.scores = scores
    bm25.vocab_dict = {term: i for i, term in enumerate(ranked_terms)}
    bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
    bm25.nonoccurrence_array = None
    return bm25


def check_bm25(ranked_terms: list[str], real_lengths: list[int], zipf_s: float, real_docs: int,
               n_docs: int = 300, queries: int = 20, seed: int = 7) -> float:
    """Largest score difference between `synthetic_bm25` and `bm25s.index` over the same chunks."""
    from qa.index.lexical import LexicalIndex

    scores, _info, tokens, lengths = synthetic_bm25(n_docs, ranked_terms, real_lengths, zipf_s,
                                                    real_docs=real_docs, seed=seed, keep_tokens=True)
    ours = bm25_object(scores, ranked_terms)
    documents = []
    for i, (ids, length) in enumerate(zip(tokens, lengths)):
        # tail terms: distinct terms no query holds; only their number (the chunk length) matters
        documents.append([ranked_terms[t] for t in ids] + [f"#tail{i}-{j}" for j in range(int(length) - len(ids))])
    reference = LexicalIndex.build(documents).bm25
    rng = random.Random(seed)
    worst = 0.0
    for _ in range(queries):
        query = [ranked_terms[min(int(rng.paretovariate(0.7)) - 1, len(ranked_terms) - 1)] for _ in range(12)]
        a = np.asarray(ours.get_scores(query), dtype=np.float64)
        b = np.asarray(reference.get_scores(query), dtype=np.float64)
        worst = max(worst, float(np.abs(a - b).max()))
    return worst


# ---- articles -------------------------------------------------------------------------------------
_FIRST_NAMES = ["Minh", "Thu", "Hải", "Lan", "Quang", "Hồng", "Tuấn", "Ngọc", "Bảo", "Phương", "Đức", "Thanh"]
_LAST_NAMES = ["Anh", "Hà", "Long", "Hương", "Nam", "Vân", "Sơn", "Trang", "Khoa", "Linh", "Dũng", "Mai"]


def real_sentences(seeds: Path) -> tuple[list[str], list[str]]:
    """(sentences, titles) of the real articles in `seeds`, as cleaned by hoi-dap."""
    from qa.ingest.corpus import read_corpus
    from qa.text.vntext import sentence_spans

    articles, _ = read_corpus(seeds)
    sentences, titles = [], []
    for article in articles:
        titles.append(article.title)
        body = article.text[len(article.title):]
        for a, b in sentence_spans(body):
            sentence = " ".join(body[a:b].split())
            if 6 <= len(sentence.split()) <= 120 and sentence[:1].isupper():
                sentences.append(sentence)
    return sorted(set(sentences)), titles


def article_file(title: str, paragraphs: list[str], when: tuple[int, int, int, int, int], byline: str) -> str:
    """A page in the shape of seeds/ (laodongthudo.vn): time | date line, headline, (LĐTĐ) lead."""
    day, month, year, hour, minute = when
    body = "\n\n".join(["(LĐTĐ) " + paragraphs[0], *paragraphs[1:]])
    return f"M\n{hour:02d}:{minute:02d} | {day:02d}/{month:02d}/{year}\n\n{title}\n\n{body}\n\n{byline}\n\nNguồn :\n"


def make_paragraphs(rng: random.Random, sentences: list[str], words: int) -> list[str]:
    picked, total = [], 0
    while total < words:
        sentence = rng.choice(sentences)
        if sentence in picked:
            continue
        picked.append(sentence)
        total += len(sentence.split())
    paragraphs, i = [], 0
    while i < len(picked):
        size = rng.randint(2, 4)
        paragraphs.append(" ".join(picked[i:i + size]))
        i += size
    return paragraphs


def synthetic_articles(seeds: Path, out: Path, count: int, seed: int = 11) -> dict:
    """Write `count` distinct article files (150-300 words each) made of real sentences to `out`."""
    rng = random.Random(seed)
    sentences, _titles = real_sentences(seeds)
    out.mkdir(parents=True, exist_ok=True)
    words = []
    for i in range(count):
        words.append(rng.randint(150, 300))
        paragraphs = make_paragraphs(rng, sentences, words[-1])
        lead = rng.choice(sentences).split()[:rng.randint(8, 14)]
        title = " ".join(lead).rstrip(".,;:!?\"“” ") + f" (bài {i + 1})"
        when = (rng.randint(1, 28), rng.randint(1, 12), rng.randint(2015, 2024), rng.randint(6, 22), rng.randint(0, 59))
        byline = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
        (out / f"syn_{i:05d}.txt").write_text(article_file(title, paragraphs, when, byline), encoding="utf-8")
    return {"articles": count, "sentences_pool": len(sentences), "mean_words": round(sum(words) / max(1, count), 1)}


def change_one_paragraph(path: Path, seeds: Path, seed: int = 5) -> None:
    """Replace the middle body paragraph of an article file with other real sentences."""
    rng = random.Random(seed)
    sentences, _ = real_sentences(seeds)
    parts = path.read_text(encoding="utf-8").split("\n\n")
    body = [i for i, part in enumerate(parts) if len(part.split()) > 20 and not part.startswith("(LĐTĐ)")]
    target = body[len(body) // 2] if body else len(parts) - 3
    current = parts[target]
    replacement = current
    while replacement == current:
        replacement = " ".join(rng.sample(sentences, 2))
    parts[target] = replacement
    path.write_text("\n\n".join(parts), encoding="utf-8")
