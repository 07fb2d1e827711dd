"""The build: seeds -> articles -> chunks -> vectors (reused by content hash) -> FAISS + BM25 (or a Milvus
collection) -> sentence vectors -> manifest, written beside the old index and swapped in atomically."""
from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..embed import Embedder, get_embedder
from ..errors import QAError
from ..ingest.chunk import chunk_article, embedding_text
from ..ingest.corpus import read_corpus
from ..records import Article, Chunk
from ..settings import Settings
from . import folder, store
from .dense import DenseIndex, choose_kind
from .lexical import LexicalIndex, document_terms
from .manifest import new_manifest
from .sentences import SentenceTable, article_sentences
from .sentences import embedding_text as sentence_text

EMBED_BATCH = 16


@dataclass
class BuildReport:
    articles: int
    chunks: int
    embedded: int
    reused: int
    problems: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    dense_kind: str = "flat"
    graph_kept: int = 0  # vectors of the previous HNSW graph kept as they were (appended to, not rebuilt)
    sentences: int = 0
    sentences_embedded: int = 0
    per_file: dict[str, tuple[int, int]] = field(default_factory=dict)  # seed file -> (articles, chunks)
    backend: str = "local"  # or "milvus": where the vectors and BM25 terms went
    written: int = 0  # Milvus rows upserted (new or changed chunks)
    deleted: int = 0  # Milvus rows deleted (chunks gone)
    milvus: str = ""  # "collection NAME at URI"


def build(seeds: str | Path = "seeds", index_dir: str | Path = "index", *, settings: Settings | None = None,
          progress: bool = True, strict: bool = False, embedder: Embedder | None = None,
          backend: str | None = None, milvus_uri: str | None = None, milvus_collection: str | None = None,
          milvus_search: str | None = None) -> BuildReport:
    """Read, clean, chunk and embed `seeds`, then write the index to `index_dir` atomically.

    Vectors of chunks whose text did not change are taken from the existing index, so a
    rebuild after adding one article embeds only that article's chunks.

    `backend` "milvus" keeps the vectors and BM25 terms in a Milvus collection (`milvus_uri`: a
    server address or a Milvus Lite .db path, default a Milvus Lite file inside `index_dir`;
    `milvus_collection`, default hoi_dap_chunks; `milvus_search` "split" or "hybrid", see
    qa/index/backends/milvus.py): only new and changed chunks are written, and chunks gone are deleted.
    None keeps the backend of the index already at `index_dir`.
    """
    from filelock import FileLock, Timeout

    settings = settings or Settings()
    folder.check_build_paths(seeds, index_dir)  # the swap never deletes the seeds or a folder that is not an index
    seeds, index_dir = Path(seeds), Path(index_dir)
    target = _backend_target(index_dir, backend, milvus_uri, milvus_collection, milvus_search)
    lock = FileLock(str(index_dir.parent / f".{index_dir.name}.lock"))
    try:
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=3600)
    except Timeout:  # pragma: no cover - an hour-long build holds it
        raise QAError(f"another `qa index` is writing {index_dir}; wait for it to finish") from None
    except OSError as exc:  # read-only, full, no permission, a file in the way: one line, nothing written
        raise folder.write_error(exc, index_dir) from None
    try:
        store.remove_leftovers(index_dir)
        return _build_locked(seeds, index_dir, settings, progress, strict, embedder, target)
    except OSError as exc:
        raise folder.write_error(exc, index_dir, seeds) from None
    finally:
        lock.release()


def _build_locked(seeds: Path, index_dir: Path, settings: Settings, progress: bool, strict: bool,
                  embedder: Embedder | None, target=None) -> BuildReport:
    from tqdm import tqdm

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    seed_files = store.seed_hashes(seeds) if seeds.is_dir() else {}
    articles, problems = read_corpus(seeds)
    if problems and strict:
        raise QAError(f"{problems[0]} (and {len(problems) - 1} more)" if len(problems) > 1 else str(problems[0]))
    if not articles:
        raise QAError(f"no readable articles in {seeds}: " + "; ".join(map(str, problems)))
    chunks: list[Chunk] = [c for article in articles for c in chunk_article(article, settings)]
    per_file = {a.source: (0, 0) for a in articles}
    for a in articles:
        per_file[a.source] = (per_file[a.source][0] + 1, per_file[a.source][1])
    for c in chunks:
        per_file[c.source] = (per_file[c.source][0], per_file[c.source][1] + 1)
    timings["clean_chunk"] = time.perf_counter() - t0

    embedder = embedder or get_embedder(settings.model, threads=cpu_count())
    inputs = [embedding_text(c) for c in chunks]
    hashes = [hashlib.sha256(f"{embedder.model_id}\0{t}".encode()).hexdigest()[:24] for t in inputs]
    previous = _previous_index(index_dir, embedder.model_id)
    writer = None
    if target is not None:  # a Milvus collection: rows are compared by chunk id, and vectors it holds reused
        from .backends.milvus import CollectionWriter

        writer = CollectionWriter(target, embedder.model_id)
    cached = _vectors_by_hash(previous, index_dir, remote=writer is None)
    held = writer.stored_hashes if writer is not None else set()
    todo = sorted({h: i for i, h in reversed(list(enumerate(hashes))) if h not in cached and h not in held}.values())

    t1 = time.perf_counter()
    fresh: dict[str, np.ndarray] = {}
    bar = tqdm(total=len(todo), desc="embedding", unit="chunk", disable=not progress or not todo, file=sys.stderr)
    for i in range(0, len(todo), EMBED_BATCH):
        batch = todo[i:i + EMBED_BATCH]
        vectors = embedder.embed_passages([inputs[j] for j in batch])
        for j, vector in zip(batch, vectors):
            fresh[hashes[j]] = vector
        bar.update(len(batch))
    bar.close()
    timings["embed"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    # Nothing new to embed (a deletion, a metadata edit): the dimension comes from the vectors
    # at hand, so a sentence-transformers model is not loaded just to report its size.
    dim = len(next(iter(cached.values()))) if not todo and cached else (
        writer.dim if not todo and writer is not None and writer.dim else embedder.dim)
    kind = choose_kind(len(chunks), settings.index_kind)
    kept, dense, lexical, lexicon = 0, None, None, None
    if writer is not None:
        new_terms: dict[tuple[str, str], list[str]] = {}  # the terms of chunks new to the lexicon, counted once
        lexicon = _lexicon_for(chunks, previous, new_terms)
        writer.write(chunks, {a.id: a for a in articles}, hashes, lexicon, lambda h: fresh.get(h, cached.get(h)),
                     dim, kind, progress, new_terms)
    else:
        kept = _appended_to(previous, hashes) if kind == "hnsw" else 0
        # Rows the dense index does not hold yet: all of them, or those after the kept graph's.
        matrix = np.zeros((len(chunks) - kept, dim), dtype=np.float32)
        for row, h in enumerate(hashes[kept:]):
            matrix[row] = fresh[h] if h in fresh else cached[h]
        if kept:  # new articles came after the old ones: extend the graph rather than rebuild it
            dense = previous.dense
            dense.add(matrix)
        else:
            dense = DenseIndex.build(matrix, kind)
        lexical = LexicalIndex.build([document_terms(c.title, c.text) for c in chunks])
    timings["index"] = time.perf_counter() - t2

    # Sentence vectors for the answer scorer: same model, same reuse by content hash.
    t3 = time.perf_counter()
    sentences, sentences_embedded = _embed_sentences(articles, embedder, previous, progress, dim)
    del previous
    timings["sentences"] = time.perf_counter() - t3
    timings["total"] = time.perf_counter() - t0
    problem_lines = [str(p) for p in problems]
    manifest = new_manifest(
        settings=settings, model_id=embedder.model_id, dim=dim, seeds=seeds, seed_files=seed_files,
        articles=len(articles), chunks=len(chunks), dense_kind=kind, problems=problem_lines,
        timings={k: round(v, 3) for k, v in timings.items()}, reused=len(chunks) - len(todo), embedded=len(todo),
        sentences=len(sentences), sentences_embedded=sentences_embedded,
        backend=target.manifest(index_dir) if target is not None else None,
    )
    carry = tuple(filter(None, [target.inside(index_dir)])) if target is not None else ()
    store.save(index_dir, manifest, articles, chunks, hashes, dense, lexical, sentences, lexicon=lexicon,
               carry=carry, before_swap=writer.release if writer is not None else None)
    if writer is not None:  # the new index is in: the rows of chunks it no longer has can go
        writer.finish()
        writer.close()
    return BuildReport(len(articles), len(chunks), len(todo), len(chunks) - len(todo), problem_lines, timings, kind,
                       graph_kept=kept, sentences=len(sentences), sentences_embedded=sentences_embedded,
                       per_file=per_file, backend="local" if writer is None else "milvus",
                       written=writer.written if writer else 0, deleted=writer.deleted if writer else 0,
                       milvus=f"collection {target.collection} at {target.shown}" if target else "")


def _previous_index(index_dir: Path, model_id: str) -> store.StoredIndex | None:
    """The current index, when it was built with the same model (its vectors can be reused); of an
    index held in Milvus only the local parts are read."""
    try:
        old = store.load(index_dir, connect=False)
    except (QAError, OSError):
        return None
    return old if old.manifest["model"]["id"] == model_id else None


def _vectors_by_hash(previous: store.StoredIndex | None, index_dir: Path | None = None,
                     remote: bool = True) -> dict[str, np.ndarray]:
    """The previous index's vectors by embed hash. Of an index held in Milvus they are read from the
    collection only when `remote` (the new index is local: switching back from Milvus)."""
    if previous is None:
        return {}
    if previous.dense is None:
        if not remote:
            return {}
        from .backends.milvus import MilvusBackend, release

        try:
            backend = MilvusBackend.open(previous.manifest["backend"], Path(index_dir), previous.manifest,
                                         previous.chunks, previous.articles, previous.lexicon)
            try:
                return backend.vectors_by_hash()
            finally:  # and let go of it: the index no longer keeps its vectors there (Milvus Lite: its folder may go)
                release(backend.target, backend.client)
        except QAError:  # the collection is out of reach: embed again
            return {}
    vectors = previous.dense.vectors()
    return {h: vectors[i] for i, h in enumerate(previous.embed_hashes)}


def _lexicon_for(chunks: list[Chunk], previous: "store.StoredIndex | None",
                 new_terms: dict[tuple[str, str], list[str]] | None = None):
    """BM25 term statistics of `chunks` for the Milvus backend: the previous index's, updated with only
    the chunks that came and went (same id and title: same terms), else counted afresh.

    The terms of the chunks of `chunks` it counts are left in `new_terms` by (id, title), for the
    collection writer (those are the rows it writes, mostly)."""
    from .lexicon import Lexicon

    def terms(some: list[Chunk], keep: bool = False) -> list[list[str]]:
        made = [document_terms(c.title, c.text) for c in some]
        if keep and new_terms is not None:
            new_terms.update(zip([(c.id, c.title) for c in some], made))
        return made

    if previous is not None and previous.lexicon is not None:
        old = {(c.id, c.title) for c in previous.chunks}
        new = {(c.id, c.title) for c in chunks}
        try:
            return previous.lexicon.updated(terms([c for c in previous.chunks if (c.id, c.title) not in new]),
                                            terms([c for c in chunks if (c.id, c.title) not in old], keep=True))
        except ValueError:  # statistics that do not match their records: count again
            pass
    return Lexicon.build(terms(chunks, keep=True))


def _backend_target(index_dir: Path, backend: str | None, milvus_uri: str | None, milvus_collection: str | None,
                    milvus_search: str | None = None):
    """None for the local backend, else the Milvus collection to build into: as asked, or (backend None)
    the one the index at `index_dir` already uses."""
    current: dict = {}
    try:
        current = store.read_manifest(Path(index_dir)).get("backend") or {}
    except (QAError, OSError):
        pass
    kind = backend or current.get("kind") or ("milvus" if milvus_uri or milvus_collection else "local")
    if kind not in ("local", "milvus"):
        raise QAError(f"--backend must be local or milvus (got {kind!r})")
    if kind == "local":
        if milvus_uri or milvus_collection or milvus_search:
            raise QAError("--milvus-uri, --milvus-collection and --milvus-search go with --backend milvus")
        return None
    from .backends.milvus import Target

    if current.get("kind") == "milvus" and {"uri", "collection"} <= current.keys():
        inherited = Target.from_manifest(current, Path(index_dir))
        milvus_uri = milvus_uri or inherited.uri
        milvus_collection = milvus_collection or inherited.collection
        milvus_search = milvus_search or current.get("search")
    return Target.parse(milvus_uri, milvus_collection, Path(index_dir), milvus_search)


def _embed_sentences(articles: list[Article], embedder: Embedder, previous: "store.StoredIndex | None",
                     progress: bool, dim: int) -> tuple[SentenceTable, int]:
    """Every article's sentences and their vectors; a sentence already embedded keeps its vector."""
    from tqdm import tqdm

    ids, starts, ends, inputs = [], [], [], []
    for article in articles:
        for s, e in article_sentences(article):
            ids.append(article.id)
            starts.append(s)
            ends.append(e)
            inputs.append(sentence_text(article, s, e))
    hashes = [hashlib.sha256(f"{embedder.model_id}\0s\0{t}".encode()).hexdigest()[:24] for t in inputs]
    cached = previous.sentences.by_hash() if previous is not None else {}
    todo = sorted({h: i for i, h in reversed(list(enumerate(hashes))) if h not in cached}.values())
    fresh: dict[str, np.ndarray] = {}
    bar = tqdm(total=len(todo), desc="sentences", unit="sent", disable=not progress or not todo, file=sys.stderr)
    for i in range(0, len(todo), EMBED_BATCH * 2):
        batch = todo[i:i + EMBED_BATCH * 2]
        for j, vector in zip(batch, embedder.embed_passages([inputs[j] for j in batch])):
            fresh[hashes[j]] = vector
        bar.update(len(batch))
    bar.close()
    vectors = np.zeros((len(hashes), dim), dtype=np.float16)
    for row, h in enumerate(hashes):
        vectors[row] = fresh[h] if h in fresh else cached[h]
    table = SentenceTable(ids, np.array(starts, dtype=np.int32), np.array(ends, dtype=np.int32), hashes, vectors)
    return table, len(todo)


def _appended_to(previous: store.StoredIndex | None, hashes: list[str]) -> int:
    """How many leading rows of the new index are the previous index's rows, unchanged and in
    order, when its HNSW graph can be kept and extended with the rest (0: build it again).

    Files are read in name order, so an archive whose new files sort last (dated or numbered
    names) grows at the end; an edit or a deletion before the end renumbers the rows after it.
    """
    if previous is None or previous.dense is None or not previous.dense.extendable():
        return 0
    old = previous.embed_hashes
    if not old or len(hashes) < len(old) or hashes[:len(old)] != old or previous.dense.size != len(old):
        return 0
    return len(old)


def cpu_count() -> int:
    """Cores this process may use (what `qa index` embeds with)."""
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
