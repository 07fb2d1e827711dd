"""Milvus backend: chunk vectors, BM25 terms and filter fields in a Milvus collection, on a Milvus
server (`http://HOST:19530`, token from QA_MILVUS_TOKEN) or in Milvus Lite (a local `.db` folder,
embedded), through the same pymilvus calls.

The index folder keeps what the answer layer reads (articles, chunks, sentences) and the BM25 term
statistics (`lexicon.json`, qa/index/lexicon.py); its manifest names the collection. Rows are keyed by chunk
id (a content hash): a build writes only chunks that are new or whose stored fields changed, then
deletes the chunks that are gone.

Collection schema, version 1 (SCHEMA_VERSION):

    id                          VARCHAR primary key: the chunk id
    article_id, source, outlet  VARCHAR: the `articles` and `outlets` filters
    day                         INT64 yyyymmdd of the article's date (stated, else inferred); 0: none
    embed_hash                  VARCHAR: model + embedded text (a vector is never embedded twice)
    sig                         VARCHAR: hash of every stored field but the two vectors
    vector                      FLOAT_VECTOR(dim), inner product over normalised vectors (cosine);
                                FLAT, or HNSW with qa/index/dense.py's parameters
    terms                       SPARSE_FLOAT_VECTOR, inner product: BM25's document halves (qa/index/lexicon.py)

The collection says what it holds as {"hoi_dap": 1, "model": ..., "dim": ...}, in its description and in
a "hoi_dap" property (Milvus Lite keeps properties but not descriptions), checked whenever it is opened.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ...errors import BackendError
from ...records import Article, Chunk
from ..dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M
from ..lexicon import Lexicon
from .local import best_first

SCHEMA_VERSION = 1
DEFAULT_COLLECTION = "hoi_dap_chunks"
DEFAULT_LITE_FILE = "milvus.db"  # inside the index folder unless --milvus-uri says otherwise
TOKEN_ENV = "QA_MILVUS_TOKEN"  # "user:password" or an API key; never written anywhere
URI_ENV = "QA_MILVUS_URI"  # serve an index against another address than the one it was built with
TIMEOUT_ENV = "QA_MILVUS_TIMEOUT"  # seconds to wait for a server (default 10)
DEFAULT_SEARCH = "split"  # "hybrid": one hybrid_search request fused by Milvus (see README, "Milvus")
WRITE_BATCH = 256  # rows per upsert: ~1.6 MB of vectors and terms, far below gRPC's message limit
TEXT_BYTES = 8192  # VARCHAR room for article ids, file names and outlets
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
_OPEN_LITE: set[str] = set()  # Milvus Lite folders this process serves (it holds their lock itself)


def is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


@dataclass(frozen=True)
class Target:
    """A collection on a Milvus server (uri is its address) or in Milvus Lite (uri is an absolute path),
    and how it is searched: "split" (a dense and a BM25 request, fused by the engine as for the local
    backend) or "hybrid" (one hybrid_search request, fused by Milvus's RRF ranker)."""

    uri: str
    collection: str
    search: str = DEFAULT_SEARCH

    @property
    def lite(self) -> bool:
        return is_lite(self.uri)

    @property
    def shown(self) -> str:
        if not self.lite:
            return self.uri
        rel = os.path.relpath(self.uri)
        return self.uri if rel.startswith("../..") else rel

    @classmethod
    def parse(cls, uri: str | None, collection: str | None, index_dir: Path, search: str | None = None) -> "Target":
        """What `qa index --milvus-uri URI --milvus-collection NAME` asks for (defaults: a Milvus Lite
        file inside the index folder, collection hoi_dap_chunks)."""
        from ...errors import QAError

        uri = str(uri).strip() if uri is not None else str(Path(index_dir) / DEFAULT_LITE_FILE)
        collection = DEFAULT_COLLECTION if collection is None else str(collection)
        if not _NAME.fullmatch(collection):
            raise QAError(f"--milvus-collection must be letters, digits and underscores, starting with a letter or "
                          f"underscore (got {collection!r}), e.g. --milvus-collection {DEFAULT_COLLECTION}")
        if is_lite(uri):
            if not uri.endswith(".db"):
                raise QAError(f"--milvus-uri must be a Milvus server address (http://HOST:19530) or a Milvus Lite "
                              f"file whose name ends in .db, e.g. --milvus-uri {Path(index_dir) / DEFAULT_LITE_FILE} "
                              f"(got {uri!r})")
            uri = os.path.abspath(uri)
        if search not in (None, "split", "hybrid"):
            raise QAError(f"--milvus-search must be split or hybrid (got {search!r})")
        return cls(uri, collection, search or DEFAULT_SEARCH)

    def manifest(self, index_dir: Path) -> dict:
        """The manifest's "backend" section: a Milvus Lite path is kept relative to the index folder,
        so the folder can be moved with its database; the token is never kept."""
        uri = os.path.relpath(self.uri, os.path.abspath(index_dir)) if self.lite else self.uri
        return {"kind": "milvus", "uri": uri, "collection": self.collection, "schema_version": SCHEMA_VERSION,
                "search": self.search}

    @classmethod
    def from_manifest(cls, conf: dict, index_dir: Path) -> "Target":
        uri = os.environ.get(URI_ENV) or conf["uri"]
        if is_lite(uri) and not os.environ.get(URI_ENV):
            uri = os.path.normpath(os.path.join(os.path.abspath(index_dir), uri))
        elif is_lite(uri):
            uri = os.path.abspath(uri)
        return cls(uri, conf["collection"], conf.get("search", DEFAULT_SEARCH))

    def inside(self, index_dir: Path) -> str | None:
        """The Milvus Lite folder's path inside the index folder, when it is there (a build carries it
        into the new index folder it swaps in)."""
        if not self.lite:
            return None
        path, folder = Path(self.uri), Path(os.path.abspath(index_dir))
        return str(path.relative_to(folder)) if path.is_relative_to(folder) and path != folder else None


# ---- connecting, and pymilvus errors as one line ----------------------------------------------------

def connect(target: Target, *, create: bool = False):
    """A MilvusClient for the target; a missing, locked or unreachable database is a BackendError."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise BackendError("the Milvus backend needs pymilvus and milvus-lite: pip install 'hoi-dap[milvus]'") from None
    for name in ("pymilvus", "milvus_lite"):  # their warnings (client-side timestamps...) are not the user's business
        logging.getLogger(name).setLevel(logging.CRITICAL)  # and failures are reported as one line, below
    if target.lite:
        path = Path(target.uri)
        if path.exists() and not path.is_dir():
            raise BackendError(f"{target.shown} is a file, not a Milvus Lite database (a folder); "
                               f"pass another --milvus-uri")
        if not create and not path.is_dir():
            raise BackendError(f"the Milvus Lite database {target.shown} does not exist; build the index "
                               f"into it with `qa index --backend milvus --milvus-uri {target.shown}`")
        _check_lite_lock(path, target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendError(f"cannot create the Milvus Lite database {target.shown} ({exc.strerror})") from None
    try:
        timeout = float(os.environ.get(TIMEOUT_ENV) or 10)
    except ValueError:
        raise BackendError(f"{TIMEOUT_ENV} must be a number of seconds, e.g. 10") from None
    # Milvus Lite's in-process server allows no keepalive pings while idle: pymilvus's default (one every
    # 10 s) earns a GOAWAY ("too_many_pings") and a gRPC error line in the log of an idle `qa serve`.
    options = {"grpc_options": {"grpc.keepalive_permit_without_calls": 0}} if target.lite else {}
    try:
        client = MilvusClient(uri=target.uri, token=os.environ.get(TOKEN_ENV, ""), timeout=timeout, **options)
    except Exception as exc:  # noqa: BLE001 - pymilvus raises MilvusException, grpc errors, ImportError for Lite
        if target.lite:
            raise BackendError(f"cannot open the Milvus Lite database {target.shown} ({_reason(exc)})") from None
        raise BackendError(f"cannot reach Milvus at {target.uri} ({_reason(exc)}); start it or pass the right "
                           f"--milvus-uri (or {URI_ENV}), with its token in {TOKEN_ENV}") from None
    if target.lite:
        _OPEN_LITE.add(target.uri)
    return client


def release(target: Target, client) -> None:
    """Close the client; for Milvus Lite also stop this process's embedded server, so that its folder
    can be moved (a build swaps the index folder that holds it)."""
    with contextlib.suppress(Exception):
        client.close()
    if target.lite and target.uri in _OPEN_LITE:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(target.uri)
        _OPEN_LITE.discard(target.uri)


def _check_lite_lock(path: Path, target: Target) -> None:
    """Milvus Lite serves one process at a time; say so instead of failing inside pymilvus."""
    lock = path / "LOCK"
    if target.uri in _OPEN_LITE or not lock.exists():
        return
    import fcntl

    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BackendError(
                f"the Milvus Lite database {target.shown} is open in another process (a running `qa serve`?); "
                f"Milvus Lite serves one process at a time: stop that one, or use a Milvus server "
                f"(--milvus-uri http://HOST:19530)") from None
        fcntl.flock(handle, fcntl.LOCK_UN)


def _reason(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = " ".join(str(text).split())
    return text if len(text) <= 200 else text[:197] + "..."


class _Calls:
    """Runs pymilvus calls, turning any failure into one BackendError line naming the server."""

    def __init__(self, target: Target):
        self.target = target

    def __call__(self, what: str, fn: Callable, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BackendError:
            raise
        except Exception as exc:  # noqa: BLE001
            where = f"Milvus Lite database {self.target.shown}" if self.target.lite else f"Milvus at {self.target.uri}"
            raise BackendError(f"{what} failed on collection {self.target.collection} of {where}: "
                               f"{_reason(exc)}") from None


def _describe(client, target: Target, call: _Calls) -> dict | None:
    """The hoi-dap description of the collection, None when there is no such collection."""
    if not call("looking up the collection", client.has_collection, target.collection):
        return None
    info = call("describing the collection", client.describe_collection, target.collection)
    meta = None
    for text in ((info.get("properties") or {}).get("hoi_dap"), info.get("description")):
        with contextlib.suppress(ValueError, TypeError):
            meta = json.loads(text or "")
        if isinstance(meta, dict):
            break
    if not isinstance(meta, dict) or "hoi_dap" not in meta:
        raise BackendError(f"collection {target.collection} at {target.shown} was not made by hoi-dap; pass another "
                           f"--milvus-collection")
    if meta["hoi_dap"] != SCHEMA_VERSION:
        raise BackendError(f"collection {target.collection} at {target.shown} has hoi-dap schema {meta['hoi_dap']}, "
                           f"this hoi-dap reads schema {SCHEMA_VERSION}; build into a new collection "
                           f"(--milvus-collection NAME)")
    return meta


def _open_collection(target: Target, check: Callable[[dict | None], None], *, create: bool = False):
    """Connect, read the collection's hoi-dap description (None: no such collection), let `check`
    refuse it, and load the collection when it exists: (client, calls, description)."""
    client = connect(target, create=create)
    call = _Calls(target)
    meta = _describe(client, target, call)
    check(meta)
    if meta is not None:
        call("loading the collection", client.load_collection, target.collection)
    return client, call, meta


def _literal(text: str) -> str:
    """A Milvus filter string literal."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t"))
    return f'"{escaped}"'


def _day_number(day: str | None) -> int:
    """yyyymmdd of an ISO date, 0 for none or a partial one ("2020", "2020-04")."""
    if not day or len(day) < 10:
        return 0
    try:
        return int(day[:10].replace("-", ""))
    except ValueError:
        return 0


def filter_expression(filters) -> str:
    """The Milvus filter for `qa.engine.Filters`, field by field as `Filters.allows` decides."""
    parts = []
    if filters.articles is not None:
        names = "[" + ", ".join(_literal(a) for a in sorted(filters.articles)) + "]"
        parts.append(f"(article_id in {names} or source in {names})")
    if filters.outlets is not None:
        parts.append("outlet in [" + ", ".join(_literal(o) for o in sorted(filters.outlets)) + "]")
    if filters.since or filters.until:
        parts.append("day > 0")  # an article with no full date is outside any range
        if filters.since:
            parts.append(f"day >= {_day_number(filters.since)}")
        if filters.until:
            parts.append(f"day <= {_day_number(filters.until)}")
    return " and ".join(parts)


def _dense_params(kind: str, depth: int) -> dict:
    if kind == "hnsw":
        return {"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, depth)}}
    return {"metric_type": "IP"}


# ---- searching ----------------------------------------------------------------------------------------

class MilvusBackend:
    """The query side of a Milvus-held index (see qa/index/backends/local.py for what a backend answers)."""

    kind = "milvus"

    def __init__(self, client, target: Target, chunks: list[Chunk], articles: dict[str, Article], lexicon: Lexicon,
                 dim: int, dense_kind: str, hybrid: bool = False):
        self.client = client
        self.target = target
        self.chunks = chunks
        self.articles = articles
        self.lexicon = lexicon
        self.dim = dim
        self.dense_kind = dense_kind
        self.hybrid = hybrid
        self._row = {c.id: i for i, c in enumerate(chunks)}
        self._call = _Calls(target)

    @classmethod
    def open(cls, conf: dict, index_dir: Path, manifest: dict, chunks: list[Chunk], articles: dict[str, Article],
             lexicon: Lexicon) -> "MilvusBackend":
        """Connect and check that the collection holds this index: hoi-dap's schema, the index's model and
        dimension, and at least its chunks (a build that died before its deletes leaves extra rows,
        which searches skip)."""
        target = Target.from_manifest(conf, index_dir)
        rebuild = f"qa index --index {index_dir} --backend milvus --milvus-uri {target.shown} " \
                  f"--milvus-collection {target.collection}"
        model, dim = manifest["model"]["id"], int(manifest["model"]["dim"])

        def check(meta: dict | None) -> None:
            if meta is None:
                raise BackendError(f"{target.shown} has no collection {target.collection} (index {index_dir} keeps "
                                   f"its vectors there); build it with `{rebuild}`")
            if meta.get("model") != model or meta.get("dim") != dim:
                raise BackendError(f"collection {target.collection} at {target.shown} holds {meta.get('dim')}-d "
                                   f"vectors of model {meta.get('model')!r}, but index {index_dir} was built with "
                                   f"{model!r} ({dim}-d); rebuild it with `{rebuild}`")

        client, call, _ = _open_collection(target, check)
        rows = call("counting the chunks", client.query, target.collection, filter="", output_fields=["count(*)"])
        count = int(rows[0]["count(*)"]) if rows else 0
        if count < len(chunks):
            raise BackendError(f"collection {target.collection} at {target.shown} holds {count} chunks but index "
                               f"{index_dir} has {len(chunks)}; rebuild it with `{rebuild}`")
        kind = manifest.get("dense", {}).get("kind", "flat")
        return cls(client, target, chunks, articles, lexicon, dim, kind, target.search == "hybrid")

    @property
    def size(self) -> int:
        return len(self.chunks)

    def document_frequency(self, term: str, exact: bool = False) -> int:
        return self.lexicon.document_frequency(term, exact)

    def scope(self, filters) -> str | None | bool:
        """A Milvus filter expression over the scalar fields."""
        if filters is None:
            return None
        if not any(filters.allows(a) for a in self.articles.values()):
            return False
        return filter_expression(filters)

    def _ranked(self, hits) -> list[tuple[int, float]]:
        """(row, score) best first, ties by row as the local backend breaks them; rows of chunks this
        index does not know (left by a build that died before deleting them) are skipped."""
        known = [(self._row[h["id"]], float(h["distance"])) for h in hits if h["id"] in self._row]
        return best_first([r for r, _ in known], [d for _, d in known])

    def lexical_rows(self, terms: list[str], depth: int, scope: str | None) -> list[int]:
        query = self.lexicon.query_vector(terms)
        if not query:
            return []
        hits = self._call("BM25 search", self.client.search, self.target.collection, data=[query], anns_field="terms",
                          limit=depth, filter=scope or "", output_fields=["id"], search_params={"metric_type": "IP"})
        return [row for row, _ in self._ranked(hits[0])]

    def dense_rows(self, qvec: np.ndarray, depth: int, scope: str | None) -> tuple[list[int], list[float]]:
        hits = self._call("vector search", self.client.search, self.target.collection, data=[qvec.tolist()],
                          anns_field="vector", limit=depth, filter=scope or "", output_fields=["id"],
                          search_params=_dense_params(self.dense_kind, depth))
        ranked = self._ranked(hits[0])
        return [row for row, _ in ranked], [score for _, score in ranked]

    def fused(self, qvec: np.ndarray, terms: list[str], depth: int, scope: str | None, rrf_k: int) -> dict[int, float]:
        """One hybrid request: the dense and BM25 searches, fused by Milvus's RRF ranker (weights 1)."""
        from pymilvus import AnnSearchRequest, RRFRanker

        requests = [AnnSearchRequest([qvec.tolist()], "vector", _dense_params(self.dense_kind, depth), depth,
                                     expr=scope or None)]
        query = self.lexicon.query_vector(terms)
        if query:
            requests.append(AnnSearchRequest([query], "terms", {"metric_type": "IP"}, depth, expr=scope or None))
        # every candidate comes back (at most 2 x depth), so ties are broken here, by row, as locally
        hits = self._call("hybrid search", self.client.hybrid_search, self.target.collection, requests,
                          RRFRanker(rrf_k), limit=2 * depth, output_fields=["id"])
        return dict(self._ranked(hits[0]))

    def cosines(self, rows: list[int], qvec: np.ndarray) -> list[float]:
        ids = [self.chunks[row].id for row in rows]
        got = self._call("fetching vectors", self.client.get, self.target.collection, ids=ids, output_fields=["vector"])
        vectors = {g["id"]: np.asarray(g["vector"], dtype=np.float32) for g in got}
        return [float(vectors[i] @ qvec) if i in vectors else 0.0 for i in ids]

    def vectors_by_hash(self) -> dict[str, np.ndarray]:
        """Every stored vector by its embed hash (to switch an index back to the local backend)."""
        return _stored_rows(self.client, self.target, ["embed_hash", "vector"], self._call,
                            lambda row: (row["embed_hash"], np.asarray(row["vector"], dtype=np.float32)))


def _stored_rows(client, target: Target, fields: list[str], call: _Calls, pick: Callable) -> dict:
    iterator = call("reading the collection", client.query_iterator, target.collection, batch_size=4096,
                    filter="", output_fields=fields, consistency_level="Strong")
    out: dict = {}
    try:
        while True:
            batch = call("reading the collection", iterator.next)
            if not batch:
                break
            out.update(pick(row) for row in batch)
    finally:
        with contextlib.suppress(Exception):
            iterator.close()
    return out


# ---- building -----------------------------------------------------------------------------------------

def chunk_day(article: Article) -> int:
    return _day_number(article.published or article.published_inferred)


def signature(chunk: Chunk, article: Article, embed_hash: str, lexicon: Lexicon) -> str:
    """Everything a row stores but its vectors: a row whose signature changed is written again."""
    fields = [chunk.article_id, chunk.source, chunk.outlet or "", chunk_day(article), embed_hash, chunk.title,
              lexicon.epoch, repr(lexicon.avgdl)]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()[:16]


class CollectionWriter:
    """Brings a collection in line with an index being built.

    open -> `stored_hashes` (vectors the collection already has: not embedded again) -> write (upsert
    new and changed rows) -> the index folder is swapped in -> finish (delete the rows of chunks that
    are gone). Readers of the previous index folder meanwhile skip the ids they do not know.
    """

    def __init__(self, target: Target, model_id: str):
        self.target = target
        self.model_id = model_id

        def check(meta: dict | None) -> None:
            if meta is not None and meta.get("model") != model_id:
                raise BackendError(
                    f"collection {target.collection} at {target.shown} holds vectors of model {meta.get('model')!r} "
                    f"({meta.get('dim')}-d), not {model_id!r}; build into another collection (--milvus-collection "
                    f"NAME) or drop that one first")

        self.client, self._call, meta = _open_collection(target, check, create=True)
        self.dim: int | None = meta.get("dim") if meta else None
        # id -> (sig, embed_hash) of every row, read once: what a build must write or delete
        self.stored: dict[str, tuple[str, str]] = {} if meta is None else _stored_rows(
            self.client, target, ["sig", "embed_hash"], self._call, lambda r: (r["id"], (r["sig"], r["embed_hash"])))
        self.stale: list[str] = []
        self.written = 0
        self.deleted = 0

    @property
    def stored_hashes(self) -> set[str]:
        return {h for _, h in self.stored.values()}

    def _create(self, dim: int, kind: str) -> None:
        from pymilvus import DataType

        meta = json.dumps({"hoi_dap": SCHEMA_VERSION, "model": self.model_id, "dim": dim})
        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False, description=meta)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        for name in ("article_id", "source", "outlet"):
            schema.add_field(name, DataType.VARCHAR, max_length=TEXT_BYTES)
        schema.add_field("day", DataType.INT64)
        schema.add_field("embed_hash", DataType.VARCHAR, max_length=64)
        schema.add_field("sig", DataType.VARCHAR, max_length=64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("terms", DataType.SPARSE_FLOAT_VECTOR)
        self._call("creating the collection", self.client.create_collection, self.target.collection, schema=schema,
                   index_params=self._index_params(kind, sparse=True), consistency_level="Bounded",
                   properties={"hoi_dap": meta})
        self.dim = dim

    def _index_params(self, kind: str, sparse: bool = False):
        params = self.client.prepare_index_params()
        if kind == "hnsw":
            params.add_index("vector", index_type="HNSW", metric_type="IP",
                             params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION})
        else:
            params.add_index("vector", index_type="FLAT", metric_type="IP")
        if sparse:
            params.add_index("terms", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        return params

    def _ensure_kind(self, kind: str) -> None:
        """FLAT while exact search is fast enough, HNSW past that (as qa/index/dense.py): re-index when the
        collection grew across the line."""
        info = self._call("describing the index", self.client.describe_index, self.target.collection, "vector")
        wanted = "HNSW" if kind == "hnsw" else "FLAT"
        if (info or {}).get("index_type") == wanted:
            return
        self._call("releasing the collection", self.client.release_collection, self.target.collection)
        self._call("dropping the vector index", self.client.drop_index, self.target.collection, "vector")
        self._call("building the vector index", self.client.create_index, self.target.collection,
                   self._index_params(kind))
        self._call("loading the collection", self.client.load_collection, self.target.collection)

    def write(self, chunks: list[Chunk], articles: dict[str, Article], embed_hashes: list[str], lexicon: Lexicon,
              vector_of: Callable[[str], np.ndarray | None], dim: int, kind: str, progress: bool = False,
              known_terms: dict[tuple[str, str], list[str]] | None = None) -> None:
        """Upsert every chunk whose row is missing or differs; remember the rows to delete at `finish`.

        `known_terms`: chunks' terms already computed in this build, by (id, title); an entry is taken
        out as its row is written."""
        from tqdm import tqdm

        from ..lexical import document_terms

        known_terms = {} if known_terms is None else known_terms
        self.prepare(dim, kind)
        for chunk in chunks:
            for name in ("article_id", "source", "outlet"):
                if len((getattr(chunk, name) or "").encode()) > TEXT_BYTES:
                    raise BackendError(f"{name} of {chunk.source} is over {TEXT_BYTES} bytes, more than the "
                                       f"collection's field holds; shorten the file name")
        signatures = [signature(c, articles[c.article_id], h, lexicon) for c, h in zip(chunks, embed_hashes)]
        todo = [i for i, (c, s) in enumerate(zip(chunks, signatures)) if self.stored.get(c.id, ("",))[0] != s]
        by_hash = {h: i for i, (_, h) in self.stored.items()}  # an id holding each stored vector
        bar = tqdm(total=len(todo), desc="milvus", unit="chunk", disable=not progress or not todo, file=sys.stderr)
        for start in range(0, len(todo), WRITE_BATCH):
            batch = todo[start:start + WRITE_BATCH]
            vectors = {i: vector_of(embed_hashes[i]) for i in batch}
            missing = [by_hash[embed_hashes[i]] for i, v in vectors.items() if v is None]
            if missing:  # an unchanged vector under a changed row: read it back rather than embed it again
                got = self._call("fetching vectors", self.client.get, self.target.collection, ids=missing,
                                 output_fields=["vector", "embed_hash"])
                fetched = {g["embed_hash"]: np.asarray(g["vector"], dtype=np.float32) for g in got}
                vectors = {i: fetched[embed_hashes[i]] if v is None else v for i, v in vectors.items()}
            rows = []
            for i in batch:
                chunk = chunks[i]
                terms = known_terms.pop((chunk.id, chunk.title), None)
                if terms is None:
                    terms = document_terms(chunk.title, chunk.text)
                rows.append({
                    "id": chunk.id, "article_id": chunk.article_id, "source": chunk.source,
                    "outlet": chunk.outlet or "", "day": chunk_day(articles[chunk.article_id]),
                    "embed_hash": embed_hashes[i], "sig": signatures[i],
                    "vector": np.asarray(vectors[i], dtype=np.float32).tolist(),
                    "terms": lexicon.document_vector(terms),
                })
            self.upsert(rows)
            bar.update(len(batch))
        bar.close()
        keep = {c.id for c in chunks}
        self.stale = [i for i in self.stored if i not in keep]

    def prepare(self, dim: int, kind: str) -> None:
        """Create the collection, or check its dimension and vector index kind."""
        if self.dim is None:
            self._create(dim, kind)
        elif self.dim != dim:
            raise BackendError(f"collection {self.target.collection} at {self.target.shown} holds {self.dim}-d "
                               f"vectors, the model gives {dim}-d ones; build into another collection")
        else:
            self._ensure_kind(kind)

    def upsert(self, rows: list[dict]) -> None:
        """Write rows of the schema above (a row whose id exists replaces it)."""
        self._call("writing chunks", self.client.upsert, self.target.collection, rows)
        self.written += len(rows)

    def release(self) -> None:
        """Flush and let go of the database (Milvus Lite inside the index folder moves with the swap)."""
        self._call("flushing", self.client.flush, self.target.collection)
        release(self.target, self.client)
        self.client = None

    def finish(self) -> None:
        """Delete the rows of chunks the new index no longer has, and flush."""
        if self.client is None:
            self.client = connect(self.target)
        for start in range(0, len(self.stale), 1000):
            ids = self.stale[start:start + 1000]
            self._call("deleting chunks", self.client.delete, self.target.collection, ids=ids)
            self.deleted += len(ids)
        self._call("flushing", self.client.flush, self.target.collection)

    def close(self) -> None:
        if self.client is not None:
            release(self.target, self.client)
            self.client = None
