"""Read a seeds folder into clean Article records: walk it, read each file by its format, drop second copies.

Plain text (.txt and any other text file) is cleaned by qa/ingest/page.py; Markdown, saved web pages
(.html/.htm) and archives (.jsonl/.csv) are read by qa/ingest/readers.py, which hand their text to the
same rules. Every file ends up either indexed or named as a Problem with its reason.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import CorpusError
from ..records import Article
from .page import parse_article, title_from_name, with_fields
from .readers import parse_markdown, read_archive, read_html
from .seeds import (ARCHIVE_SUFFIXES, HTML_SUFFIXES, MARKDOWN_SUFFIXES, Problem, SeedFile, decode_text, read_capped,
                    too_large, walk_seeds)


def read_corpus(seeds: str | Path) -> tuple[list[Article], list[Problem]]:
    """Read every file of a seeds folder, subfolders included.

    Returns the articles in file order (rows of an archive in row order) and what was skipped,
    each with the reason; one bad file or row never stops the others. A second copy of an article
    is skipped as a duplicate.
    """
    files, problems = walk_seeds(seeds)
    articles: list[Article] = []
    seen: dict[str, str] = {}
    for seed in files:
        try:
            seed.name.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(Problem(seed.name, "file name is not valid UTF-8; rename the file"))
            continue
        try:
            found, row_problems = read_seed_file(seed)
        except CorpusError as exc:
            problems.append(Problem(seed.name, str(exc)))
            continue
        problems.extend(row_problems)
        for article in found:
            key = hashlib.sha256(_dedupe_text(article).encode()).hexdigest()
            if key in seen:
                problems.append(Problem(_label(article), f"same article as {seen[key]}; indexed once"))
                continue
            seen[key] = _label(article)
            articles.append(article)
    problems.sort(key=lambda p: p.source.split("/"))
    if not articles and not problems:
        raise CorpusError(f"seeds folder {str(seeds)!r} holds no article files")
    return articles, problems


def read_seed_file(seed: SeedFile) -> tuple[list[Article], list[Problem]]:
    """The articles of one seed file (one, or one per row of an archive) and the rows left out.

    The size is checked from `stat` before the file is opened, and no more than the limit is read.
    """
    if seed.size > seed.limit:
        raise CorpusError(too_large(seed.size, seed.limit))
    suffix = Path(seed.name).suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        return read_archive(seed)
    raw = read_capped(seed.path, seed.limit)
    digest = hashlib.sha256(raw).hexdigest()
    if not raw.strip():
        raise CorpusError("empty file")
    if suffix in HTML_SUFFIXES:
        if b"\x00" in raw[:8192] and raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            raise CorpusError("binary file, not text")
        article = read_html(raw, seed.name, seed.name)
    else:
        text = decode_text(raw)
        if suffix in MARKDOWN_SUFFIXES:
            article = parse_markdown(text, seed.name, seed.name)
        else:
            # ".txt" files are named by their path without the suffix ("003_b6d…"); other extensions
            # keep theirs, so that alpha.txt and alpha.md are two articles, not one
            article = parse_article(text, _txt_id(seed.name), seed.name)
    return [with_fields(article, sha256=digest)], []


def read_article(path: str | Path) -> Article:
    """Read and clean one article file; raises CorpusError naming what is wrong with it."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise CorpusError(f"cannot read ({exc.strerror})") from None
    seed = SeedFile(path=path, name=path.name, size=info.st_size, mtime_ns=info.st_mtime_ns)
    if path.suffix.lower() in ARCHIVE_SUFFIXES:
        raise CorpusError("an archive holds many articles: read it with read_corpus or read_seed_file")
    return read_seed_file(seed)[0][0]


def _label(article: Article) -> str:
    """How a user finds the article: its file, or "file#row" for a row of an archive."""
    return article.source if article.id in (article.source, _txt_id(article.source)) else article.id


def _txt_id(name: str) -> str:
    return name[:-4] if name.endswith(".txt") else name


def _dedupe_text(article: Article) -> str:
    """The text two copies of an article share: without a title made up from the file name."""
    derived = title_from_name(article.source)
    if article.title == derived and article.text.startswith(derived + "\n\n"):
        return article.text[len(derived) + 2:]
    return article.text
