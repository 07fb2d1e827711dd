"""The index folder on disk: manifest, records, vectors and BM25, written atomically; no pickle.

    index/
      manifest.json   format version, package version, model id + dim, settings, seed hashes, counts
      articles.jsonl  cleaned articles (answers are highlighted in their text)
      chunks.jsonl    chunk records, row i == vector i == BM25 document i
      dense.faiss     FAISS index
      bm25/           bm25s index (json + npy)
      sentences.jsonl sentence offsets of every article, row i == vector i of sentences.npy
      sentences.npy   sentence vectors (float16), for the answer scorer

With the Milvus backend (manifest "backend": {"kind": "milvus", ...}) the vectors and BM25 terms are in
a Milvus collection instead of dense.faiss and bm25/; the folder holds lexicon.json (BM25 term
statistics, qa/index/lexicon.py) and, for Milvus Lite kept inside it, milvus.db/ (see
qa/index/backends/milvus.py). What the manifest holds and how it is checked: qa/index/manifest.py;
where a build may write: qa/index/folder.py.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from ..errors import IndexProblem
from ..records import Article, Chunk
from ..settings import Settings
from .dense import DenseIndex
from .folder import FILES, MILVUS_FILES, as_os_error, check_replaceable, is_index_folder, is_lite_database, write_error
from .lexical import LexicalIndex
from .lexicon import Lexicon
from .manifest import FORMAT_VERSION, Manifest, field_value, model_flag, rebuild_command
from .sentences import SentenceTable


@dataclass
class StoredIndex:
    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    embed_hashes: list[str]
    dense: DenseIndex | None  # None: the vectors are held by the backend (Milvus)
    lexical: LexicalIndex | None
    sentences: SentenceTable
    lexicon: Lexicon | None = None  # BM25 term statistics of an index held in Milvus
    backend: object | None = None  # its search backend (qa/index/backends/local.py); None: local FAISS + bm25s

    @property
    def settings(self) -> Settings:
        return Settings.from_dict(self.manifest["settings"])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seed_hashes(seeds: Path) -> dict[str, str]:
    """sha256 of every file `read_corpus` reads, by its path relative to the seeds folder.

    The same walk as the reader (subfolders, links inside the folder). A file over the size limit,
    which the reader skips unread, is fingerprinted by its size and modification time instead.
    """
    from ..ingest.seeds import walk_seeds

    files, _ = walk_seeds(seeds)

    def fingerprint(f) -> str:
        if f.size <= f.limit:
            with contextlib.suppress(OSError):  # unreadable: the reader names it as skipped
                return file_sha256(f.path)
        return hashlib.sha256(f"size {f.size} mtime_ns {f.mtime_ns}".encode()).hexdigest()

    # a name that is not valid UTF-8 is kept as its escaped bytes, so the manifest stays JSON
    return {os.fsencode(f.name).decode("utf-8", "backslashreplace"): fingerprint(f) for f in files}


def save(index_dir: Path, manifest: dict, articles: list[Article], chunks: list[Chunk],
         embed_hashes: list[str], dense: DenseIndex | None, lexical: LexicalIndex | None, sentences: SentenceTable,
         *, lexicon: Lexicon | None = None, carry: tuple[str, ...] = (), before_swap: Callable | None = None) -> None:
    """Write a complete index next to `index_dir`, then swap it in.

    `carry` names folders of the current index moved into the new one just before the swap (a
    Milvus Lite database kept inside the index folder; `before_swap` lets go of it first).

    Readers see the old index or the new one, never a half-written one; a build killed at any
    point leaves the old index in place (or, killed between the two renames, restorable by `load`).
    Only an index folder (or an empty one) is ever moved aside and deleted. An OS error (disk full,
    read-only, permission, busy) is an IndexFolderError; the temporary folder is removed and the
    previous index is back in place.
    """
    index_dir = Path(index_dir)
    parent = index_dir.parent
    tmp = parent / f".{index_dir.name}.tmp-{os.getpid()}"
    old = parent / f".{index_dir.name}.old-{os.getpid()}"
    moved = False
    carried: list[str] = []
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove(tmp)
        tmp.mkdir()
        _write(tmp, manifest, articles, chunks, embed_hashes, dense, lexical, sentences, lexicon)
        if carry and before_swap is not None:
            before_swap()
        for name in carry:
            if (index_dir / name).exists():
                (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                os.rename(index_dir / name, tmp / name)
                carried.append(name)
        if os.path.lexists(index_dir):
            check_replaceable(index_dir)  # checked again at the last moment: never move aside what is not ours
            os.rename(index_dir, old)
            moved = True
        os.rename(tmp, index_dir)
    except BaseException as exc:
        if moved:  # the new index could not take its place: put the previous one back
            with contextlib.suppress(OSError):
                os.rename(old, index_dir)
        for name in carried:  # and what was carried over, back into it
            with contextlib.suppress(OSError):
                os.rename(tmp / name, index_dir / name)
        _remove(tmp)  # a failed build leaves nothing behind
        if isinstance(exc, OSError):
            raise write_error(exc, index_dir) from None
        raise
    _remove(old)


def _remove(path: Path) -> None:
    """Delete a build's temporary or parked folder (a parked symbolic link is unlinked, not followed)."""
    if path.is_symlink():
        with contextlib.suppress(OSError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _hashed_files(folder: Path) -> list[str]:
    """Every file of an index that load() verifies, as paths relative to the folder."""
    names = [name for name in ("articles.jsonl", "chunks.jsonl", "dense.faiss", "lexicon.json", "sentences.jsonl",
                               "sentences.npy") if (folder / name).is_file()]
    if (folder / "bm25").is_dir():
        names += sorted(f"bm25/{p.name}" for p in (folder / "bm25").iterdir() if p.is_file())
    return names


def _write(tmp: Path, manifest: dict, articles: list[Article], chunks: list[Chunk], embed_hashes: list[str],
           dense: DenseIndex | None, lexical: LexicalIndex | None, sentences: SentenceTable,
           lexicon: Lexicon | None = None) -> None:
    with open(tmp / "articles.jsonl", "w", encoding="utf-8") as out:
        for article in articles:
            out.write(json.dumps(asdict(article), ensure_ascii=False) + "\n")
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as out:
        for chunk, embed_hash in zip(chunks, embed_hashes):
            out.write(json.dumps({**asdict(chunk), "embed_hash": embed_hash}, ensure_ascii=False) + "\n")
    if dense is not None:
        try:
            dense.save(tmp / "dense.faiss")
        except RuntimeError as exc:  # faiss reports a failed write (a full disk...) as a RuntimeError
            raise as_os_error(exc, tmp / "dense.faiss") from None
    if lexical is not None:
        lexical.save(tmp / "bm25")
    if lexicon is not None:
        lexicon.save(tmp / "lexicon.json")
    sentences.save(tmp)
    manifest = {**manifest, "files": {name: file_sha256(tmp / name) for name in _hashed_files(tmp)}}
    with open(tmp / "manifest.json", "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=2)
        out.flush()
        os.fsync(out.fileno())


def _build_running(index_dir: Path) -> bool:
    """Whether a `qa index` holds the build lock of this index right now."""
    lock = index_dir.parent / f".{index_dir.name}.lock"
    if not lock.exists():
        return False
    import fcntl

    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _resolve(index_dir: Path) -> Path:
    """The folder to read the index from.

    A build swaps its new index in with two renames; between them the previous index is parked as
    `.index.old-PID`. A reader arriving then reads the parked folder and leaves it where it is; a
    build killed between the renames left it there for good, and the reader puts it back.
    """
    if index_dir.exists():
        return index_dir
    parked = [old for old in sorted(index_dir.parent.glob(f".{index_dir.name}.old-*")) if (old / "manifest.json").exists()]
    if not parked:
        return index_dir
    if _build_running(index_dir):
        return parked[-1]
    with contextlib.suppress(OSError):
        os.rename(parked[-1], index_dir)
    return index_dir


def remove_leftovers(index_dir: Path) -> None:
    """Delete the temporary and parked folders of builds that died; call it holding the build lock.

    A Milvus Lite database a dying build had carried into its new folder goes back to the index."""
    for stale in index_dir.parent.glob(f".{index_dir.name}.tmp-*"):
        for lite in stale.glob("*.db"):
            if index_dir.is_dir() and not (index_dir / lite.name).exists() and is_lite_database(lite):
                with contextlib.suppress(OSError):
                    os.rename(lite, index_dir / lite.name)
        _remove(stale)
    if index_dir.exists():
        for stale in index_dir.parent.glob(f".{index_dir.name}.old-*"):
            _remove(stale)


def read_manifest(index_dir: Path, folder: Path | None = None) -> dict:
    index_dir = Path(index_dir)
    folder = folder or _resolve(index_dir)
    fix = f"run `{rebuild_command(index_dir)}`"
    if folder.exists() and not folder.is_dir():
        raise IndexProblem(f"{index_dir} is a file, not an index folder; pass the folder the index was built in "
                           f"(e.g. --index index, or qa.load('index'))")
    if not folder.is_dir():
        raise IndexProblem(f"no index at {str(index_dir)!r}; build it with `{rebuild_command(index_dir)}`")
    path = folder / "manifest.json"
    if not path.exists():
        if not is_index_folder(folder):
            raise IndexProblem(f"{index_dir} is not a hoi-dap index folder (no manifest.json); pass the index "
                               f"folder (e.g. --index index), or build one in a new folder with `qa index --index DIR`")
        raise IndexProblem(f"{index_dir}/manifest.json is missing; {fix}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise IndexProblem(f"{index_dir}/manifest.json is corrupt ({type(exc).__name__}: {exc}); {fix}") from None
    version = manifest.get("format_version") if type(manifest) is dict else None
    if type(version) is int and version > FORMAT_VERSION:
        raise IndexProblem(
            f"index format {version} is newer than this hoi-dap understands ({FORMAT_VERSION}); "
            f"upgrade hoi-dap or {fix}"
        )
    if type(version) is int and version < FORMAT_VERSION:
        raise IndexProblem(f"index format {version} is from an older hoi-dap; {fix}")
    try:
        Manifest.from_dict(manifest)
        problem = None
    except ValueError as exc:
        problem = str(exc)
    if problem:
        seeds = manifest.get("seeds") if type(manifest) is dict and type(manifest.get("seeds")) is str else None
        model = field_value(manifest, "model.id") if type(manifest) is dict else None
        command = rebuild_command(index_dir, seeds, model if type(model) is str and model != Settings().model else None)
        raise IndexProblem(f"{index_dir}/manifest.json is corrupt: {problem}; "
                           f"correct it or rebuild the index with `{command}`")
    return manifest


def load(index_dir: Path, *, connect: bool = True) -> StoredIndex:
    """Load and cross-check every part of an index; any damage is an IndexProblem naming the fix.

    An index held in Milvus is connected to (a BackendError when that fails) unless `connect` is
    False: then only its local parts are read (a build reusing the previous index's records)."""
    index_dir = Path(index_dir)
    folder = _resolve(index_dir)
    if folder == index_dir:
        return _load_from(index_dir, folder, connect)
    try:  # a parked previous index: the build may delete it under us once its swap completes
        return _load_from(index_dir, folder, connect)
    except (IndexProblem, OSError):
        time.sleep(0.2)
        return _load_from(index_dir, _resolve(index_dir), connect)


def _load_from(index_dir: Path, folder: Path, connect: bool = True) -> StoredIndex:
    manifest = read_manifest(index_dir, folder)
    fix = f"run `{rebuild_command(index_dir, manifest.get('seeds'), model_flag(manifest))}`"
    backend = manifest.get("backend") or {}
    if backend.get("kind", "local") == "milvus":
        if not {"uri", "collection"} <= backend.keys():
            raise IndexProblem(f"{index_dir}/manifest.json is corrupt: backend.uri and backend.collection are needed "
                               f"for the Milvus backend; {fix}")
        return _load_milvus(index_dir, folder, manifest, backend, fix, connect)
    articles, chunks, embed_hashes, sentences = _read_records(index_dir, folder, FILES, manifest, fix)
    try:
        dense = DenseIndex.load(folder / "dense.faiss", manifest.get("dense", {}).get("kind", "flat"))
        lexical = LexicalIndex.load(folder / "bm25")
    except IndexProblem as exc:
        raise IndexProblem(f"{index_dir}/{exc}; {fix}") from None
    n = manifest["counts"]["chunks"]
    if not (len(chunks) == dense.size == n == int(lexical.bm25.scores["num_docs"])):
        raise IndexProblem(
            f"{index_dir} is inconsistent: {len(chunks)} chunk records, {dense.size} vectors, "
            f"{int(lexical.bm25.scores['num_docs'])} BM25 documents, manifest says {n}; {fix}"
        )
    if dense.dim != int(manifest["model"]["dim"]):
        raise IndexProblem(f"{index_dir}/dense.faiss has {dense.dim}-d vectors, manifest says {manifest['model']['dim']}; {fix}")
    if len(sentences) and sentences.vectors.shape[1] != dense.dim:
        raise IndexProblem(f"{index_dir}/sentences.npy holds {sentences.vectors.shape[1]}-d vectors but dense.faiss "
                           f"{dense.dim}-d ones; {fix}")
    return StoredIndex(manifest, articles, chunks, embed_hashes, dense, lexical, sentences)


def _read_records(index_dir: Path, folder: Path, names: tuple[str, ...], manifest: dict, fix: str):
    """The files every index has, checked: articles, chunks (with their embed hashes), sentences."""
    for name in names:
        if not (folder / name).exists():
            raise IndexProblem(f"{index_dir}/{name} is missing; {fix}")
    for name, expected in manifest.get("files", {}).items():
        if (folder / name).exists() and file_sha256(folder / name) != expected:
            raise IndexProblem(f"{index_dir}/{name} was changed or damaged since the index was built; {fix}")
    try:
        articles = {}
        for line in (folder / "articles.jsonl").read_text(encoding="utf-8").splitlines():
            article = Article(**json.loads(line))
            articles[article.id] = article
        chunks, embed_hashes = [], []
        for line in (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            embed_hashes.append(row.pop("embed_hash"))
            chunks.append(Chunk(**row))
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
        raise IndexProblem(f"{index_dir} holds unreadable records ({type(exc).__name__}); {fix}") from None
    try:
        sentences = SentenceTable.load(folder)
    except IndexProblem as exc:
        raise IndexProblem(f"{index_dir}/{exc}; {fix}") from None
    missing = {c.article_id for c in chunks} - set(articles)
    if missing:
        raise IndexProblem(f"{index_dir} has chunks of unknown articles ({sorted(missing)[0]}…); {fix}")
    if set(sentences.article_ids) - set(articles):
        raise IndexProblem(f"{index_dir}/sentences.* do not match the articles of the index; {fix}")
    return articles, chunks, embed_hashes, sentences


def _load_milvus(index_dir: Path, folder: Path, manifest: dict, conf: dict, fix: str, connect: bool) -> StoredIndex:
    """An index whose vectors and BM25 terms are in a Milvus collection (qa/index/backends/milvus.py)."""
    articles, chunks, embed_hashes, sentences = _read_records(index_dir, folder, MILVUS_FILES, manifest, fix)
    try:
        lexicon = Lexicon.load(folder / "lexicon.json")
    except IndexProblem as exc:
        raise IndexProblem(f"{index_dir}/{exc}; {fix}") from None
    n, dim = manifest["counts"]["chunks"], int(manifest["model"]["dim"])
    if not len(chunks) == lexicon.docs == n:
        raise IndexProblem(f"{index_dir} is inconsistent: {len(chunks)} chunk records, {lexicon.docs} chunks in "
                           f"lexicon.json, manifest says {n}; {fix}")
    if len(sentences) and sentences.vectors.shape[1] != dim:
        raise IndexProblem(f"{index_dir}/sentences.npy holds {sentences.vectors.shape[1]}-d vectors, the manifest "
                           f"says {dim}-d; {fix}")
    backend = None
    if connect:
        from .backends.milvus import MilvusBackend

        backend = MilvusBackend.open(conf, index_dir, manifest, chunks, articles, lexicon)
    return StoredIndex(manifest, articles, chunks, embed_hashes, None, None, sentences, lexicon, backend)
