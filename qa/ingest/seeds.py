"""The seeds folder: walk it (subfolders, links inside it), check sizes before reading, decode text.

Nothing here parses an article: `walk_seeds` is shared by the reader (qa/ingest/corpus.py) and the
index's seed hashes (qa/index/store.py), so both see exactly the same files.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError

MAX_FILE_BYTES = 5_000_000  # ~1,000 news articles; a bigger "article" is a dump to split first
MAX_ARCHIVE_BYTES = 200_000_000  # .jsonl/.csv exports are read row by row, never whole
ARCHIVE_SUFFIXES = (".jsonl", ".csv")
HTML_SUFFIXES = (".html", ".htm")
MARKDOWN_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True, slots=True)
class Problem:
    """A seed file (or a row of an archive) that could not be read, or was left out, and why."""

    source: str
    message: str

    def __str__(self) -> str:
        # a file name may hold newlines or undecodable bytes: show it on one printable line
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in self.source)
        return f"{shown}: {self.message}"


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A file of the seeds folder to read: where it is, its name in the index, its size when walked."""

    path: Path  # to open (inside the seeds folder, or a symbolic link that resolves inside it)
    name: str  # path relative to the seeds folder with "/" separators: the article's `source`
    size: int
    mtime_ns: int

    @property
    def limit(self) -> int:
        return MAX_ARCHIVE_BYTES if self.name.lower().endswith(ARCHIVE_SUFFIXES) else MAX_FILE_BYTES


# ---- walking the seeds folder --------------------------------------------------------------------

def walk_seeds(seeds: str | Path) -> tuple[list[SeedFile], list[Problem]]:
    """Every file under a seeds folder, subfolders included, in path order; and what was left out.

    Symbolic links are followed when they resolve inside the seeds folder; links that leave it,
    dangling links, loops and hidden files or folders are named as problems. Nothing is read here
    (only `stat`), so `store.seed_hashes` and `read_corpus` see exactly the same files.
    """
    folder = Path(seeds)
    if not folder.is_dir():
        raise CorpusError(f"seeds folder {str(folder)!r} does not exist (pass --seeds DIR)")
    root = Path(os.path.realpath(folder))
    files: list[SeedFile] = []
    problems: list[Problem] = []
    seen_files: dict[str, str] = {}  # real path -> the name it was first reached by
    seen_dirs: dict[str, str] = {str(root): "."}
    _walk_dir(folder, "", root, [str(root)], seen_dirs, seen_files, files, problems)
    return files, problems


def _walk_dir(folder: Path, prefix: str, root: Path, stack: list[str], seen_dirs: dict[str, str],
              seen_files: dict[str, str], files: list[SeedFile], problems: list[Problem]) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        problems.append(Problem(prefix.rstrip("/") or ".", f"cannot read this folder ({exc.strerror})"))
        return
    for entry in entries:
        name = prefix + entry.name
        if entry.name.startswith("."):
            kind = "folder" if entry.is_dir(follow_symlinks=False) else "file"
            problems.append(Problem(name, f"hidden {kind}; rename it to index it"))
            continue
        path = Path(entry.path)
        linked = entry.is_symlink()
        try:
            info = os.stat(path)  # follows links: a loop or a dangling link fails here
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                problems.append(Problem(name, "symbolic link loop; not followed"))
            elif linked and exc.errno == errno.ENOENT:
                problems.append(Problem(name, f"broken symbolic link (its target {os.readlink(path)} does not exist)"))
            else:
                problems.append(Problem(name, f"cannot read ({exc.strerror})"))
            continue
        real = os.path.realpath(path)
        if linked and not Path(real).is_relative_to(root):
            problems.append(Problem(name, f"symbolic link to {real}, outside the seeds folder; not followed"))
            continue
        if stat.S_ISDIR(info.st_mode):
            if (path / "manifest.json").is_file() and (path / "chunks.jsonl").is_file():
                problems.append(Problem(name, "a hoi-dap index folder, not articles; not read"))
            elif real in stack:
                problems.append(Problem(name, f"symbolic link loop (leads back to {seen_dirs[real]}); not followed"))
            elif real in seen_dirs:
                problems.append(Problem(name, f"same folder as {seen_dirs[real]}; read once"))
            else:
                seen_dirs[real] = name
                _walk_dir(path, name + "/", root, [*stack, real], seen_dirs, seen_files, files, problems)
            continue
        if not stat.S_ISREG(info.st_mode):
            problems.append(Problem(name, "not a regular file (a pipe, socket or device); not read"))
            continue
        if real in seen_files:
            problems.append(Problem(name, f"same file as {seen_files[real]} (a symbolic link); indexed once"))
            continue
        seen_files[real] = name
        files.append(SeedFile(path=path, name=name, size=info.st_size, mtime_ns=info.st_mtime_ns))


# ---- reading a file ------------------------------------------------------------------------------

def too_large(size: int, limit: int) -> str:
    kind = "archive file" if limit == MAX_ARCHIVE_BYTES else "article file"
    return f"too large ({size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB per {kind})"


def read_capped(path: Path, limit: int) -> bytes:
    """At most `limit` bytes: a file that grew past it since it was walked is refused, not read whole."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise CorpusError(f"cannot read ({exc.strerror})") from None
    if len(raw) > limit:  # it grew after it was walked
        raise CorpusError(too_large(os.stat(path).st_size, limit))
    return raw


def decode_text(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with its BOM; anything else is named, not guessed."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark (Windows "Unicode" text)
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise CorpusError("damaged UTF-16 text; re-save it as UTF-8") from None
    if b"\x00" in raw[:8192]:
        raise CorpusError("binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not UTF-8 text (invalid byte at offset {exc.start}); re-save it as UTF-8") from None
