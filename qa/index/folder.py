"""Where a build may write: only a new, empty or index folder is ever replaced, never the seeds or the
current folder; and one line for an OS error met while writing, saying what failed and what to do."""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
from pathlib import Path

from ..errors import IndexFolderError

# The files a build writes: a local index, and one whose vectors and BM25 terms are in Milvus.

FILES = ("manifest.json", "articles.jsonl", "chunks.jsonl", "dense.faiss", "bm25", "sentences.jsonl", "sentences.npy")
MILVUS_FILES = ("manifest.json", "articles.jsonl", "chunks.jsonl", "lexicon.json", "sentences.jsonl", "sentences.npy")


def is_index_folder(folder: Path) -> bool:
    """Whether `folder` is empty or an index this project wrote: our manifest, or (a damaged index
    whose manifest was lost) nothing but the files a build writes."""
    try:
        names = {entry.name for entry in os.scandir(folder)}
    except OSError:
        return False
    lite = {name for name in names if is_lite_database(Path(folder) / name)}
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


def is_lite_database(path: Path) -> bool:
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


# ---- what a failed write says -------------------------------------------------------------------
_STRERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO)


def as_os_error(exc: Exception, path: Path) -> OSError:
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
