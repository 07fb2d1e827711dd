"""The index folder on disk: manifest, records, vectors and BM25, written atomically; no pickle.

    index/
      manifest.json   format version, package version, model id + dim, settings, seed hashes, counts
      articles.jsonl  cleaned articles (answers are highlighted in their text)
      chunks.jsonl    chunk records, row i == vector i == BM25 document i
      dense.faiss     FAISS index
      bm25/           bm25s index (json + npy)
      sentences.jsonl sentence offsets of every article, row i == vector i of sentences.npy
      sentences.npy   sentence vectors (float16), for the answer scorer
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

from .dense import DenseIndex
from .errors import IndexProblem
from .lexical import LexicalIndex
from .records import Article, Chunk
from .sentences import SentenceTable
from .settings import Settings

FORMAT_VERSION = 2  # 2: sentence vectors for the answer scorer; Article dateline / inferred date / url
FILES = ("manifest.json", "articles.jsonl", "chunks.jsonl", "dense.faiss", "bm25", "sentences.jsonl", "sentences.npy")


@dataclass
class StoredIndex:
    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    embed_hashes: list[str]
    dense: DenseIndex
    lexical: LexicalIndex
    sentences: SentenceTable

    @property
    def settings(self) -> Settings:
        return Settings.from_dict(self.manifest["settings"])


def rebuild_command(index_dir: Path, seeds: str | None = None, model: str | None = None) -> str:
    parts = ["qa index"]
    if seeds and Path(seeds) != Path("seeds"):
        parts.append(f"--seeds {seeds}")
    if Path(index_dir) != Path("index"):
        parts.append(f"--index {index_dir}")
    if model:
        parts.append(f"--model {model}")
    return " ".join(parts)


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
    from .corpus import walk_seeds

    files, _ = walk_seeds(seeds)
    # a name that is not valid UTF-8 is kept as its escaped bytes, so the manifest stays JSON
    return {os.fsencode(f.name).decode("utf-8", "backslashreplace"):
            file_sha256(f.path) if f.size <= f.limit
            else hashlib.sha256(f"size {f.size} mtime_ns {f.mtime_ns}".encode()).hexdigest()
            for f in files}


def save(index_dir: Path, manifest: dict, articles: list[Article], chunks: list[Chunk],
         embed_hashes: list[str], dense: DenseIndex, lexical: LexicalIndex, sentences: SentenceTable) -> None:
    """Write a complete index next to `index_dir`, then swap it in.

    Readers see the old index or the new one, never a half-written one; a build killed at any
    point leaves the old index in place (or, killed between the two renames, restorable by `load`).
    """
    index_dir = Path(index_dir)
    parent = index_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".{index_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _write(tmp, manifest, articles, chunks, embed_hashes, dense, lexical, sentences)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a failed build leaves nothing behind
        raise
    old = parent / f".{index_dir.name}.old-{os.getpid()}"
    if index_dir.exists():
        os.rename(index_dir, old)
    os.rename(tmp, index_dir)
    shutil.rmtree(old, ignore_errors=True)


def _hashed_files(folder: Path) -> list[str]:
    """Every file of an index that load() verifies, as paths relative to the folder."""
    names = ["articles.jsonl", "chunks.jsonl", "dense.faiss", "sentences.jsonl", "sentences.npy"]
    names += sorted(f"bm25/{p.name}" for p in (folder / "bm25").iterdir() if p.is_file())
    return names


def _write(tmp: Path, manifest: dict, articles: list[Article], chunks: list[Chunk], embed_hashes: list[str],
           dense: DenseIndex, lexical: LexicalIndex, sentences: SentenceTable) -> None:
    with open(tmp / "articles.jsonl", "w", encoding="utf-8") as out:
        for article in articles:
            out.write(json.dumps(asdict(article), ensure_ascii=False) + "\n")
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as out:
        for chunk, embed_hash in zip(chunks, embed_hashes):
            out.write(json.dumps({**asdict(chunk), "embed_hash": embed_hash}, ensure_ascii=False) + "\n")
    dense.save(tmp / "dense.faiss")
    lexical.save(tmp / "bm25")
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
    """Delete the temporary and parked folders of builds that died; call it holding the build lock."""
    for stale in index_dir.parent.glob(f".{index_dir.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    if index_dir.exists():
        for stale in index_dir.parent.glob(f".{index_dir.name}.old-*"):
            shutil.rmtree(stale, ignore_errors=True)


def read_manifest(index_dir: Path, folder: Path | None = None) -> dict:
    index_dir = Path(index_dir)
    folder = folder or _resolve(index_dir)
    fix = f"run `{rebuild_command(index_dir)}`"
    if not folder.is_dir():
        raise IndexProblem(f"no index at {str(index_dir)!r}; build it with `{rebuild_command(index_dir)}`")
    path = folder / "manifest.json"
    if not path.exists():
        raise IndexProblem(f"{index_dir}/manifest.json is missing; {fix}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        version = int(manifest["format_version"])
        manifest["model"]["id"], int(manifest["model"]["dim"]), int(manifest["counts"]["chunks"])
        for section in ("settings", "files", "seed_files"):
            if not isinstance(manifest.get(section, {}), dict):
                raise TypeError(f"'{section}' is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexProblem(f"{index_dir}/manifest.json is corrupt ({type(exc).__name__}: {exc}); {fix}") from None
    if version > FORMAT_VERSION:
        raise IndexProblem(
            f"index format {version} is newer than this hoi-dap understands ({FORMAT_VERSION}); "
            f"upgrade hoi-dap or {fix}"
        )
    if version < FORMAT_VERSION:
        raise IndexProblem(f"index format {version} is from an older hoi-dap; {fix}")
    return manifest


def load(index_dir: Path) -> StoredIndex:
    """Load and cross-check every part of an index; any damage is an IndexProblem naming the fix."""
    index_dir = Path(index_dir)
    folder = _resolve(index_dir)
    if folder == index_dir:
        return _load_from(index_dir, folder)
    try:  # a parked previous index: the build may delete it under us once its swap completes
        return _load_from(index_dir, folder)
    except (IndexProblem, OSError):
        time.sleep(0.2)
        return _load_from(index_dir, _resolve(index_dir))


def _load_from(index_dir: Path, folder: Path) -> StoredIndex:
    manifest = read_manifest(index_dir, folder)
    fix = f"run `{rebuild_command(index_dir, manifest.get('seeds'), _model_flag(manifest))}`"
    for name in FILES:
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
        dense = DenseIndex.load(folder / "dense.faiss", manifest.get("dense", {}).get("kind", "flat"))
        lexical = LexicalIndex.load(folder / "bm25")
        sentences = SentenceTable.load(folder)
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
    missing = {c.article_id for c in chunks} - set(articles)
    if missing:
        raise IndexProblem(f"{index_dir} has chunks of unknown articles ({sorted(missing)[0]}…); {fix}")
    unknown = set(sentences.article_ids) - set(articles)
    if unknown or (len(sentences) and sentences.vectors.shape[1] != dense.dim):
        raise IndexProblem(f"{index_dir}/sentences.* do not match the articles and vectors of the index; {fix}")
    return StoredIndex(manifest, articles, chunks, embed_hashes, dense, lexical, sentences)


def _model_flag(manifest: dict) -> str | None:
    model = manifest.get("model", {}).get("id")
    return None if model == Settings().model else model


def new_manifest(*, settings: Settings, model_id: str, dim: int, seeds: Path, seed_files: dict[str, str],
                 articles: int, chunks: int, dense_kind: str, problems: list[str], timings: dict[str, float],
                 reused: int, embedded: int, sentences: int = 0, sentences_embedded: int = 0) -> dict:
    from . import __version__

    return {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"id": model_id, "dim": dim},
        "settings": asdict(settings),
        "dense": {"kind": dense_kind, "metric": "inner_product"},
        "seeds": str(seeds),
        "seed_files": seed_files,
        "counts": {"articles": articles, "chunks": chunks, "embedded": embedded, "reused": reused,
                   "sentences": sentences, "sentences_embedded": sentences_embedded},
        "problems": problems,
        "timings_s": timings,
    }
