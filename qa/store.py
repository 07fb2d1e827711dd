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
statistics, qa/lexicon.py) and, for Milvus Lite kept inside it, milvus.db/ (see qa/milvus_store.py).
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from .dense import DenseIndex
from .errors import IndexFolderError, IndexProblem
from .lexical import LexicalIndex
from .lexicon import Lexicon
from .records import Article, Chunk
from .sentences import SentenceTable
from .settings import Settings

FORMAT_VERSION = 2  # 2: sentence vectors for the answer scorer; Article dateline / inferred date / url
FILES = ("manifest.json", "articles.jsonl", "chunks.jsonl", "dense.faiss", "bm25", "sentences.jsonl", "sentences.npy")
MILVUS_FILES = ("manifest.json", "articles.jsonl", "chunks.jsonl", "lexicon.json", "sentences.jsonl", "sentences.npy")


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
    backend: object | None = None  # its search backend (qa/backend.py); None: local FAISS + bm25s

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
    from .ingest.seeds import walk_seeds

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


# ---- where a build may write -------------------------------------------------------------------------

def is_index_folder(folder: Path) -> bool:
    """Whether `folder` is empty or an index this project wrote: our manifest, or (a damaged index
    whose manifest was lost) nothing but the files a build writes."""
    try:
        names = {entry.name for entry in os.scandir(folder)}
    except OSError:
        return False
    lite = {name for name in names if _is_lite_database(Path(folder) / name)}
    if not names - lite:  # empty, or only the Milvus Lite database a Milvus build made before its first swap
        return True
    path = Path(folder) / "manifest.json"
    with contextlib.suppress(OSError, ValueError):
        if path.stat().st_size < (1 << 24):
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(manifest, dict) and {"format_version", "model", "counts"} <= manifest.keys():
                return True
    # a damaged index (its manifest lost or garbled): nothing but our files, two of them ours alone
    return names - lite <= set(FILES + MILVUS_FILES) and len(
        names & {"chunks.jsonl", "dense.faiss", "bm25", "lexicon.json", "sentences.jsonl", "sentences.npy"}) >= 2


def _is_lite_database(path: Path) -> bool:
    """Whether `path` is a Milvus Lite database (a `.db` folder holding `collections/`)."""
    return path.name.endswith(".db") and (path / "collections").is_dir()


def check_replaceable(index_dir: Path) -> None:
    """Refuse to replace anything at `index_dir` but an index folder (or an empty folder)."""
    index_dir = Path(index_dir)
    if not os.path.lexists(index_dir):
        return
    if not index_dir.is_dir():
        raise IndexFolderError(
            f"{index_dir} is a file, not an index folder, and a build would replace it; "
            f"pass a new or empty folder (or an existing index) as --index")
    if not is_index_folder(index_dir):
        raise IndexFolderError(
            f"{index_dir} holds other files, not a hoi-dap index (it has no manifest.json of ours), and a build "
            f"would replace the whole folder; pass a new or empty folder (or an existing index) as --index, "
            f"or move those files away")


def check_build_paths(seeds: str | Path, index_dir: str | Path) -> None:
    """Refuse, before anything is read or written, a build whose swap could delete what is not an index.

    A build replaces the whole index folder, so the index folder may not be the seeds folder, hold
    it or sit inside it (symbolic links resolved), may not be the current folder, and may only be
    new, empty or an index this project wrote.
    """
    for value, flag, example in ((index_dir, "--index", "index"), (seeds, "--seeds", "seeds")):
        if isinstance(value, str) and not value.strip():
            raise IndexFolderError(f"{flag} is empty; pass a folder, e.g. {flag} {example}")
    index_dir, seeds = Path(index_dir), Path(seeds)
    index_real, seeds_real = Path(os.path.realpath(index_dir)), Path(os.path.realpath(seeds))
    instead = seeds_real.parent / "index"
    if instead == seeds_real or instead.is_relative_to(seeds_real) or seeds_real.is_relative_to(instead):
        instead = seeds_real.parent / f"{seeds_real.name}-index"
    elsewhere = f"pass an index folder outside the seeds, e.g. --index {os.path.relpath(instead)}"
    plain = (Path(os.path.abspath(index_dir)), Path(os.path.abspath(seeds)))
    linked = "" if (index_real, seeds_real) == plain else " (symbolic links resolved)"
    if index_real == seeds_real:
        raise IndexFolderError(
            f"the index folder {index_dir} is the seeds folder {seeds}{linked}: a build replaces the whole index "
            f"folder and would delete the articles; {elsewhere}")
    if seeds_real.is_relative_to(index_real):
        raise IndexFolderError(
            f"the index folder {index_dir} contains the seeds folder {seeds}{linked}: a build replaces the whole "
            f"index folder and would delete the articles; {elsewhere}")
    if index_real.is_relative_to(seeds_real):
        raise IndexFolderError(
            f"the index folder {index_dir} is inside the seeds folder {seeds}{linked}: the build's own files "
            f"would sit among the articles; {elsewhere}")
    cwd = Path(os.path.realpath(os.getcwd()))
    if cwd.is_relative_to(index_real):
        where = "is the current folder" if cwd == index_real else "holds the current folder"
        raise IndexFolderError(
            f"the index folder {index_dir} {where}, and a build replaces the whole folder; run it from outside, "
            f"e.g. `cd {os.path.relpath(index_real.parent)} && qa index --index {index_real.name}` "
            f"(with --seeds relative to that folder)")
    check_replaceable(index_dir)


_STRERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO)


def _as_os_error(exc: Exception, path: Path) -> OSError:
    """An OSError for a failed write that a library reported otherwise (faiss: a RuntimeError)."""
    text = str(exc)
    for code in _STRERRORS:
        if os.strerror(code) in text:
            return OSError(code, os.strerror(code), str(path))
    return OSError(errno.EIO, (text.splitlines() or [type(exc).__name__])[-1][:200], str(path))


def _bytes(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} bytes"  # pragma: no cover


def write_error(exc: OSError, index_dir: Path, seeds: Path | None = None) -> IndexFolderError:
    """One line for an OS error met while building `index_dir`: what failed, where, and what to do."""
    index_dir = Path(index_dir)
    path = Path(exc.filename) if isinstance(exc.filename, str) else index_dir
    reason = exc.strerror or str(exc)
    if seeds is not None and Path(os.path.realpath(path)).is_relative_to(os.path.realpath(seeds)):
        return IndexFolderError(f"cannot read {path} ({reason}); fix its permissions or move it out of {seeds}, "
                                f"then run the build again; the previous index is unchanged")
    folder = index_dir.parent
    kept = "the previous index is unchanged" if (index_dir / "manifest.json").is_file() else "nothing was written"
    if exc.filename is not None and not Path(os.path.abspath(path)).is_relative_to(os.path.abspath(folder)):
        return IndexFolderError(f"cannot build the index {index_dir}: {reason} ({path}); fix that and run the build "
                                f"again; {kept}")  # not one of the build's own files (a model file, say)
    code = exc.errno
    if code is None and re.search(r"\d+ requested and \d+ written", str(exc)):  # numpy's short write
        code = errno.ENOSPC
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        room = []
        with contextlib.suppress(OSError, StopIteration):
            if index_dir.is_dir():
                size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
                room.append(f"a build writes a second copy, about {_bytes(size)}, beside the current index")
            probe = next(p for p in (folder.absolute(), *folder.absolute().parents) if p.exists())
            room.append(f"{_bytes(shutil.disk_usage(probe).free)} free")
        what = f"the disk is full writing in {folder}" + (f" ({'; '.join(room)})" if room else "")
        todo = "free some space, or pass --index DIR on another disk"
    elif code == errno.EROFS:
        what = f"{folder} is on a read-only file system"
        todo = "pass --index DIR on a writable disk"
    elif code in (errno.EACCES, errno.EPERM):
        what = (f"no permission to move {index_dir} aside ({reason})" if path == index_dir
                else f"no permission to write in {folder} ({reason})")
        todo = "fix the folder's permissions (or run as its owner), or pass --index DIR in a folder you can write"
    elif code == errno.EBUSY:
        what = f"{index_dir} is in use (a mount point, or held by another program) and cannot be replaced"
        todo = f"a build replaces the whole folder, so pass a folder inside it, e.g. --index {index_dir / 'index'}"
    elif code in (errno.ENOTDIR, errno.EEXIST):
        what = f"a file is in the way ({path})"
        todo = "pass --index DIR where a folder can be made"
    else:
        what = f"{reason} ({path})"
        todo = "fix that and run the build again"
    return IndexFolderError(f"cannot write the index {index_dir}: {what}; {todo}; {kept}")


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
            raise _as_os_error(exc, tmp / "dense.faiss") from None
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
            if index_dir.is_dir() and not (index_dir / lite.name).exists() and _is_lite_database(lite):
                with contextlib.suppress(OSError):
                    os.rename(lite, index_dir / lite.name)
        _remove(stale)
    if index_dir.exists():
        for stale in index_dir.parent.glob(f".{index_dir.name}.old-*"):
            _remove(stale)


# ---- the manifest's schema ---------------------------------------------------------------------------
# field -> (required, what it must be, check). Checked on every load, after the format version, so
# a hand-edit is one line naming the field instead of a traceback on the first query.

def _whole(minimum: int):
    return f"a whole number ≥ {minimum}", lambda v: type(v) is int and v >= minimum


def _number(minimum: float):
    return (f"a number ≥ {minimum:g}",
            lambda v: type(v) in (int, float) and math.isfinite(v) and v >= minimum)


def _one_of(*values: str):
    return "one of " + ", ".join(f'"{v}"' for v in values), lambda v: v in values and type(v) is str


def _kind(kind: type, what: str):
    return what, lambda v: type(v) is kind


def _map_of(what: str, value_check):
    return what, lambda v: type(v) is dict and all(value_check(x) for x in v.values())


_TEXT = _kind(str, "text (a JSON string)")
_OBJECT = _kind(dict, "an object")
_SHA256 = re.compile(r"[0-9a-f]{64}")

MANIFEST_SCHEMA: dict[str, tuple[bool, str, object]] = {
    name: (required, *rule) for name, required, rule in [
        ("format_version", True, _whole(1)),
        ("package_version", False, _TEXT),
        ("built_at", False, _TEXT),
        ("model", True, _OBJECT),
        ("model.id", True, ("a model name (text)", lambda v: type(v) is str and v.strip() != "")),
        ("model.dim", True, _whole(1)),
        ("settings", True, _OBJECT),
        ("settings.model", False, _TEXT),
        ("settings.chunk_words", False, _whole(1)),
        ("settings.max_chunk_words", False, _whole(1)),
        ("settings.min_chunk_words", False, _whole(0)),
        ("settings.overlap_sentences", False, _whole(0)),
        ("settings.rrf_k", False, _whole(1)),
        ("settings.dense_weight", False, _number(0)),
        ("settings.lexical_weight", False, _number(0)),
        ("settings.answer_weight", False, _number(0)),
        ("settings.index_kind", False, _one_of("auto", "flat", "hnsw")),
        ("dense", False, _OBJECT),
        ("dense.kind", False, _one_of("flat", "hnsw")),
        ("dense.metric", False, _one_of("inner_product")),
        ("seeds", False, _TEXT),
        ("seed_files", False, _map_of("an object of file name → sha256 text", lambda x: type(x) is str)),
        ("files", False, _map_of("an object of file name → sha256 (64 hex digits)",
                                 lambda x: type(x) is str and _SHA256.fullmatch(x) is not None)),
        ("counts", True, _OBJECT),
        *((f"counts.{name}", name == "chunks", _whole(0))
          for name in ("articles", "chunks", "embedded", "reused", "sentences", "sentences_embedded")),
        ("problems", False, ("a list of text", lambda v: type(v) is list and all(type(x) is str for x in v))),
        ("timings_s", False, _map_of("an object of step → seconds", lambda x: _number(0)[1](x))),
        ("backend", False, _OBJECT),
        ("backend.kind", False, _one_of("local", "milvus")),
        ("backend.uri", False, ("a Milvus address or Milvus Lite path (text)",
                                lambda v: type(v) is str and v.strip() != "")),
        ("backend.collection", False, ("a Milvus collection name (letters, digits, _)",
                                       lambda v: type(v) is str and re.fullmatch(r"[A-Za-z_]\w{0,254}", v, re.A))),
        ("backend.schema_version", False, _whole(1)),
        ("backend.search", False, _one_of("hybrid", "split")),
    ]
}


def manifest_problem(manifest) -> str | None:
    """The first field of a manifest that breaks MANIFEST_SCHEMA, in words; None when it is valid."""
    if type(manifest) is not dict:
        return f"it must be a JSON object, not {type(manifest).__name__}"
    for name, (required, wanted, check) in MANIFEST_SCHEMA.items():
        parent, _, key = name.rpartition(".")
        holder = _field(manifest, parent) if parent else manifest
        if type(holder) is not dict:  # an optional section left out (a bad one was reported already)
            continue
        if key not in holder:
            if required:
                return f"{name} is missing"
            continue
        if not check(holder[key]):
            shown = json.dumps(holder[key], ensure_ascii=False)
            return f"{name} must be {wanted}, not {shown if len(shown) <= 40 else shown[:37] + '...'}"
    return None


def _field(manifest: dict, name: str):
    value = manifest
    for part in name.split("."):
        if type(value) is not dict:
            return None
        value = value.get(part)
    return value


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
    problem = manifest_problem(manifest)
    if problem:
        seeds = manifest.get("seeds") if type(manifest) is dict and type(manifest.get("seeds")) is str else None
        model = _field(manifest, "model.id") if type(manifest) is dict else None
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
    fix = f"run `{rebuild_command(index_dir, manifest.get('seeds'), _model_flag(manifest))}`"
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
    """An index whose vectors and BM25 terms are in a Milvus collection (qa/milvus_store.py)."""
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
        from .milvus_store import MilvusBackend

        backend = MilvusBackend.open(conf, index_dir, manifest, chunks, articles, lexicon)
    return StoredIndex(manifest, articles, chunks, embed_hashes, None, None, sentences, lexicon, backend)


def _model_flag(manifest: dict) -> str | None:
    model = manifest.get("model", {}).get("id")
    return None if model == Settings().model else model


def new_manifest(*, settings: Settings, model_id: str, dim: int, seeds: Path, seed_files: dict[str, str],
                 articles: int, chunks: int, dense_kind: str, problems: list[str], timings: dict[str, float],
                 reused: int, embedded: int, sentences: int = 0, sentences_embedded: int = 0,
                 backend: dict | None = None) -> dict:
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
        **({"backend": backend} if backend else {}),
    }
