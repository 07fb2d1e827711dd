"""Read a seeds folder into clean Article records: walk it, read each file by its format, clean the text.

Plain text (.txt and any other text file) is read here; Markdown, saved web pages (.html/.htm) and
archives (.jsonl/.csv) in `qa/readers.py`, which hand their text to the same rules. Every file ends
up either indexed or named as a Problem with its reason.

Scraped pages come from Vietnamese news sites with their chrome still in them: comment boxes, form
errors, view counters, date widgets, image file names, diacritic-less URL slugs and blocks of
unrelated "related news" teasers. The rules below describe those shapes rather than listing the
exact strings, so new articles from the same sites clean the same way, and clean text passes
through them unchanged.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .errors import CorpusError
from .records import Article
from .text.vntext import clean_spaces, fold

MAX_FILE_BYTES = 5_000_000  # ~1,000 news articles; a bigger "article" is a dump to split first
MAX_ARCHIVE_BYTES = 200_000_000  # .jsonl/.csv exports are read row by row, never whole
ARCHIVE_SUFFIXES = (".jsonl", ".csv")
HTML_SUFFIXES = (".html", ".htm")
MARKDOWN_SUFFIXES = (".md", ".markdown")

# Interface labels of news sites and comment forms: a line that is only one of these is chrome.
_UI_LABEL = re.compile(
    r"^(?:nhập thông tin|đóng|gửi|hủy|huỷ|refresh|thông báo|tổng lượt bình luận|đọc bài viết|in bài(?: viết)?"
    r"|chia sẻ|bình luận|gửi bình luận|theo dõi|quay lại|trang chủ|lên đầu trang|tải về|xem thêm|bản in"
    r"|xem với cỡ chữ(?:.*)|(?:tags?|từ khóa|từ khoá)\s*:.*|[-•*·]?\s*lỗi\s*:.*|.*email không hợp lệ.*"
    r"|(?:lượt xem|lượt đọc|lượt thích)\s*:?\s*\d*|description\s*:\s*\S+|img_?\d+(?:\.\w+)?)$",
    re.IGNORECASE,
)
# Headings that open the comment box or the list of other stories: nothing after them is the article.
_FOOTER_START = re.compile(
    r"^(?:ý kiến bạn đọc|ý kiến của bạn|bình luận(?: của bạn)?|tin khác|các tin khác|tin mới|tin liên quan"
    r"|bài viết liên quan|tin cùng chuyên mục|cùng chuyên mục|tin đã đưa|đọc thêm|có thể bạn quan tâm"
    r"|tin bài liên quan|xem tiếp)\s*:?$",
    re.IGNORECASE,
)
_SOURCE_LINE = re.compile(r"^nguồn\s*:\s*(.*)$", re.IGNORECASE)
_URL_LINE = re.compile(r"^(?:url\s*:\s*)?(https?://\S+)$", re.IGNORECASE)
# A line that is only a site's domain ("baotintuc.vn", "www.hanoimoi.vn"): the outlet, printed as chrome.
_DOMAIN_LINE = re.compile(r"^(?:www\.)?((?:[a-z0-9-]+\.)+(?:vn|com|net|org|info|gov\.vn|edu\.vn))/?$", re.IGNORECASE)
# "(ĐTO) Thực hiện..." / "(Baodongthap.vn) – Chiều 3/2..." : the outlet opens the lead paragraph.
_OUTLET_TAG = re.compile(r"^\(([^()\d]{2,40})\)\s*[-–—]?\s*(?=\S)")
_DMY = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
_TIME = r"\d{1,2}\s*[:h]\s*\d{2}(?:\s*(?:am|pm|sa|ch))?"
_WEEKDAY = r"(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật)"
# A date/time metadata line: dates, times, pipes and labels only ("20:32 | 04/11/2019",
# "Ngày đăng 19/05/2022 | 08:03 | Lượt xem: 134", "Thứ Hai, 04/11/2019 20:32 GMT+7").
_META_WORDS = re.compile(
    r"ngày đăng|đăng lúc|cập nhật|xuất bản|lượt xem|lượt đọc|gmt\s*\+?\s*\d*|" + _WEEKDAY + r"|ngày|\|",
    re.IGNORECASE,
)
_COUNTER_PART = re.compile(r"^\s*(?:lượt xem|lượt đọc)\b", re.IGNORECASE)
# The site's "today" widget: a weekday and a spelled-out date with no time ("Thứ Bảy, ngày 8 tháng 3
# năm 2020"). It is the day the page was scraped, not the day the article was published.
_TODAY_WIDGET = re.compile(
    _WEEKDAY + r"\s*,?\s*(?:ngày\s*)?(\d{1,2})(?:\s*tháng\s*|/)(\d{1,2})(?:\s*năm\s*|/)(\d{4})", re.IGNORECASE
)
_SENTENCE_PUNCT = re.compile(r"[.?!:;,\"“”]")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# A headline does not end like a sentence or a clause; "?" and "!" headlines exist, "..." ones are cut text.
_CLAUSE_END = re.compile(r"[.,;:…]$")
_LETTER = re.compile(r"[^\W\d_]")

# ---- bylines -------------------------------------------------------------------------------------
# "Bài, ảnh: Minh Anh" / "Bài và ảnh: ..." / "Bài: ..." / "Tin, ảnh: ...": the writer, named as such.
_CREDIT = re.compile(r"^(?:bài|tin|bài viết|nhóm pv)(?:\s*(?:,|và|&|-|\+)\s*ảnh)?\s*:\s*(.+)$", re.IGNORECASE)
# "Theo Minh Anh" / "Theo TTXVN" / "Theo baochinhphu.vn": a person or an outlet, at the end.
_THEO = re.compile(r"^theo\s+(.+)$", re.IGNORECASE)
# Words that open the name of an outlet rather than a person ("Báo Tin tức", "Đài Tiếng nói ...").
_OUTLET_WORDS = re.compile(r"^(?:báo|tạp chí|đài|cổng|trang|thông tấn|tin tức|kênh|tuần báo|nhật báo)\b",
                           re.IGNORECASE)

# ---- dates implied by the text -------------------------------------------------------------------
# A day/month opening the lead ("Ngày 28/4,", "Sáng 4.7,", "Chiều 1/7") or a clause of it with a time of
# day (", sáng ngày 4/11,"). ", ngày 31/01/2019" after a document's number dates the document, not the event.
_DAY_MONTH = r"(\d{1,2})\s*[/.]\s*(\d{1,2})(?:\s*[/.]\s*(\d{4}))?(?![\d/.]*\d)"
_TIME_OF_DAY = r"(?:rạng\s+sáng|sáng|trưa|chiều|tối|đêm)\s+(?:hôm\s+)?(?:ngày\s+)?"
_LEAD_DAY = re.compile(
    r"(?:^(?:" + _TIME_OF_DAY + r"|(?:hôm|ngày)\s+)|[,;]\s*" + _TIME_OF_DAY + ")" + _DAY_MONTH, re.IGNORECASE
)
# Periods an article reports on or plans for, which name the year it was written in:
# "quý I/2020", "6 tháng đầu năm 2024", "6 tháng cuối năm 2024", "chương trình công tác năm 2019".
# Each gives (year, the month by which that period is over); a report on it comes on or after that month.
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_PERIODS: list[tuple[re.Pattern, object]] = [
    (re.compile(r"\bquý\s+(iv|i{1,3}|[1-4])\s*(?:/\s*|năm\s+)(\d{4})\b", re.IGNORECASE),
     lambda m: (int(m.group(2)), 3 * (_ROMAN.get(m.group(1).lower()) or int(m.group(1))))),
    (re.compile(r"\b(\d{1,2})\s+tháng\s+đầu\s+năm\s+(\d{4})\b", re.IGNORECASE),
     lambda m: (int(m.group(2)), int(m.group(1)))),
    (re.compile(r"\b(\d{1,2})\s+tháng\s+cuối\s+năm\s+(\d{4})\b", re.IGNORECASE),
     lambda m: (int(m.group(2)), 1)),
    (re.compile(r"\b(?:chương trình công tác|kế hoạch công tác|chủ đề)\s+năm\s+(\d{4})\b", re.IGNORECASE),
     lambda m: (int(m.group(1)), 1)),
]
_LEAD_PARAGRAPHS = 3


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


# ---- reading -------------------------------------------------------------------------------------

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
        raise CorpusError(_too_large(seed.size, seed.limit))
    suffix = Path(seed.name).suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        from .readers import read_archive

        return read_archive(seed)
    raw = _read_capped(seed.path, seed.limit)
    digest = hashlib.sha256(raw).hexdigest()
    if not raw.strip():
        raise CorpusError("empty file")
    if suffix in HTML_SUFFIXES:
        from .readers import read_html

        if b"\x00" in raw[:8192] and raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            raise CorpusError("binary file, not text")
        article = read_html(raw, seed.name, seed.name)
    else:
        text = decode_text(raw)
        if suffix in MARKDOWN_SUFFIXES:
            from .readers import parse_markdown

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


def _too_large(size: int, limit: int) -> str:
    kind = "archive file" if limit == MAX_ARCHIVE_BYTES else "article file"
    return f"too large ({size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB per {kind})"


def _read_capped(path: Path, limit: int) -> bytes:
    """At most `limit` bytes: a file that grew past it since it was walked is refused, not read whole."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise CorpusError(f"cannot read ({exc.strerror})") from None
    if len(raw) > limit:  # it grew after it was walked
        raise CorpusError(_too_large(os.stat(path).st_size, limit))
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


def with_fields(article: Article, **changes) -> Article:
    return Article(**{**{name: getattr(article, name) for name in Article.__slots__}, **changes})


def _dedupe_text(article: Article) -> str:
    """The text two copies of an article share: without a title made up from the file name."""
    derived = title_from_name(article.source)
    if article.title == derived and article.text.startswith(derived + "\n\n"):
        return article.text[len(derived) + 2:]
    return article.text


# ---- titles from file names ------------------------------------------------------------------------

_NAME_PREFIX = re.compile(
    r"^(?:\d{4}[-_.]?\d{2}[-_.]?\d{2}(?:[-_ T]\d{2}[-_.:]?\d{2}(?:[-_.:]?\d{2})?)?[-_ .]+"  # 2024-03-15_ / 20240315-
    r"|\d{1,6}[-_ .]+(?:[0-9a-f]{8,}(?:[-_ .]+|$))?"  # 003_ / 003_b6d49fa98f0d9187_
    r"|[0-9a-f]{12,}(?:[-_ .]+|$))",  # b6d49fa98f0d9187_
    re.IGNORECASE,
)


def title_from_name(source: str) -> str:
    """A title for an article whose file has no title line: its file name, as words.

    "2024-03-15_can-tho-mo-tuyen-buyt.txt" -> "can tho mo tuyen buyt"; a name that is only a number
    and a hash ("003_b6d49fa98f0d9187.txt") is kept whole rather than lost.
    """
    stem = source.rsplit("/", 1)[-1]
    stem = stem.split("#", 1)[0]
    stem = stem.rsplit(".", 1)[0] if "." in stem[1:] else stem
    words = " ".join(re.split(r"[-_\s]+", _NAME_PREFIX.sub("", stem))).strip()
    return words or " ".join(re.split(r"[-_\s]+", stem)).strip() or stem


# ---- plain text and scraped pages ----------------------------------------------------------------

@dataclass
class _Meta:
    published: str | None = None
    dateline: str | None = None
    outlet: str | None = None
    url: str | None = None
    scraped_on: date | None = None  # the page's "today" widget: no article is newer than this


def parse_article(raw_text: str, article_id: str, source: str, *, title: str | None = None,
                  fields: dict | None = None, page_rules: bool = True, name_title: str | None = None) -> Article:
    """Clean the text of one article (a scraped page or plain text of any shape) into an Article.

    The title is the first line when it reads as a headline (no sentence or clause ending, not a
    paragraph's length) and a blank line or the page's date line follows it; page chrome before it
    is dropped. Without such a line the file name gives the title. `title` and `fields` (published,
    author, outlet, url) come from a format that states them (Markdown, HTML, archives) and win
    over what the text suggests. `page_rules=False` skips the scraped-page chrome rules;
    `name_title` replaces the file name as the last-resort title (a row of an archive).
    """
    lines = _lines(raw_text)
    meta = _Meta()
    kept: list[tuple[str, bool]] = []
    closed: list[bool] = []  # a blank line or dropped chrome follows the line
    for line, glued in lines:
        if kept and not glued:
            closed[-1] = True
        if _take_meta(line, meta, page_rules):
            if kept:
                closed[-1] = True
            continue
        kept.append((line, glued))
        closed.append(False)
    if closed:
        closed[-1] = True
    if len(kept) > 1 and not any(closed[:-1]):
        closed = [True] * len(kept)  # no blank line anywhere: every line is a paragraph of its own

    body_from = 0
    if title is None:
        title_at = _find_title(kept, closed)
        if title_at is not None and title_at + 1 < len(kept):
            title = kept[title_at][0]
            body_from = title_at + 1
        else:
            body_from = _first_text_line(kept)
            if body_from is None:
                raise CorpusError("no article text found (only page chrome)")
    body = kept[body_from:]
    if page_rules:
        body = _cut_footer(body)
        body = _drop_slugs(body, title or "")
    if title:
        if body and body[0][0] == title:  # a page that prints its headline again above the text
            body = body[1:]
        body = [(line, glued) for line, glued in body if not _is_title_echo(line, title)]
    if page_rules:
        body = _cut_teasers(body)

    paragraphs: list[str] = []
    for line, _ in body:
        tag = _OUTLET_TAG.match(line)
        if tag and not paragraphs[1:] and _looks_like_outlet(tag.group(1)):
            meta.outlet = meta.outlet or tag.group(1).strip()
            line = line[tag.end():]
        paragraphs.append(line)
    if not paragraphs:
        if title:
            raise CorpusError("no article body found after the headline")
        raise CorpusError("no article text found (only page chrome)")
    if not title:
        title = name_title or title_from_name(source)

    fields = {k: v for k, v in (fields or {}).items() if v}
    author = fields.get("author") or _byline(paragraphs)
    outlet = fields.get("outlet") or meta.outlet or _outlet_from_text(paragraphs)
    published = fields.get("published") or meta.published
    inferred = None if published else infer_date(paragraphs, meta.scraped_on)
    text = "\n\n".join([title, *paragraphs])
    return Article(
        id=article_id, source=source, title=title, text=text, published=published, outlet=outlet, author=author,
        published_inferred=inferred, dateline=meta.dateline if published == meta.published else None,
        url=fields.get("url") or meta.url,
    )


def _lines(raw_text: str) -> list[tuple[str, bool]]:
    """Non-empty lines, each with whether it sits right under the previous one (no blank line between).

    A teaser's photo caption sits right on top of its section label; the article's last paragraph
    does not. A title is followed by a blank line. A hard-wrapped paragraph (a long line stopping
    mid-sentence, the next one going on in lower case) is joined back into one line.
    """
    lines: list[tuple[str, bool]] = []
    previous_blank = True
    for raw_line in clean_spaces(raw_text).splitlines():
        line = re.sub(r" {2,}", " ", raw_line).strip()
        if line and not previous_blank and lines and _wraps_into(lines[-1][0], line):
            lines[-1] = (f"{lines[-1][0]} {line}", lines[-1][1])
        elif line:
            lines.append((line, not previous_blank))
        previous_blank = not line
    return lines


def _wraps_into(previous: str, line: str) -> bool:
    return len(previous) >= 40 and not re.search(r"[.!?:;…\"”)\]]$", previous) and line[:1].islower()


def _take_meta(line: str, meta: _Meta, page_rules: bool) -> bool:
    """Record what a metadata line says (date line, source, URL, domain); True when it is not text."""
    widget = _TODAY_WIDGET.fullmatch(line.strip(" ."))
    if widget:
        meta.scraped_on = meta.scraped_on or _valid_date(*(int(g) for g in reversed(widget.groups())))
        return True
    if _is_meta_line(line):
        found = _iso_date(line)
        if found and not meta.published:
            meta.published, meta.dateline = found, _printed_dateline(line)
        return True
    source_line = _SOURCE_LINE.match(line)
    if source_line:
        value = source_line.group(1).strip(" .")
        url = _URL_LINE.match(value)
        if url:
            meta.url = meta.url or url.group(1)
            value = re.sub(r"^www\.", "", url.group(1).split("/")[2])
        meta.outlet = meta.outlet or (value or None)
        return True
    url = _URL_LINE.match(line)
    if url:
        meta.url = meta.url or url.group(1)
        return True
    domain = _DOMAIN_LINE.match(line)
    if domain:
        meta.outlet = meta.outlet or domain.group(1)
        return True
    return page_rules and bool(_UI_LABEL.match(line) or _is_breadcrumb(line))


def _find_title(kept: list[tuple[str, bool]], closed: list[bool]) -> int | None:
    """Where the headline is: the first headline-shaped line that a break follows.

    Short labels before it (a lone letter, a section name glued to the headline, a "Tin mới"
    heading) are page chrome. A line of running text before any headline means the file has no
    title line: the article starts there.
    """
    for i, (line, _) in enumerate(kept):
        if closed[i] and _is_headline(line) and not _FOOTER_START.match(line):
            return i
        if _is_short_label(line) or len(_LETTER.findall(line)) < 2 or _FOOTER_START.match(line):
            continue
        return None
    return None


def _first_text_line(kept: list[tuple[str, bool]]) -> int | None:
    """The first line that is not a chrome label, for a file without a title line."""
    for i, (line, _) in enumerate(kept):
        if len(_LETTER.findall(line)) >= 2 and not _FOOTER_START.match(line):
            return i
    return None


def _is_headline(line: str) -> bool:
    words = line.split()
    return (0 < len(words) <= 40 and len(line) <= 300 and len(_LETTER.findall(line)) >= 2
            and not _CLAUSE_END.search(line))


def _is_meta_line(line: str) -> bool:
    if not re.search(_DMY + "|" + _TIME, line):
        return False
    rest = re.sub(_DMY + "|" + _TIME, " ", line, flags=re.IGNORECASE)
    rest = _META_WORDS.sub(" ", rest)
    return not re.sub(r"[\s\d:,.\-–|/()]+", "", rest)


def _printed_dateline(line: str) -> str:
    """The date line as printed, without the view counter beside it ("Lượt xem: 134")."""
    parts = [part.strip() for part in line.split("|")]
    return " | ".join(part for part in parts if part and not _COUNTER_PART.match(part))


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _iso_date(line: str) -> str | None:
    m = re.search(_DMY, line)
    if not m:
        return None
    day, month, year = (int(g) for g in m.groups())
    found = _valid_date(year, month, day)
    return found.isoformat() if found else None


def _is_breadcrumb(line: str) -> bool:
    """A section name printed twice ("Chính trị Chính trị"): the category menu, not text."""
    parts = line.split()
    half = len(parts) // 2
    return len(parts) % 2 == 0 and 0 < half <= 4 and parts[:half] == parts[half:]


def _is_short_label(line: str) -> bool:
    return len(line.split()) <= 5 and not _SENTENCE_PUNCT.search(line)


def _cut_footer(body: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    for i, (line, _) in enumerate(body):
        if _FOOTER_START.match(line):
            return body[:i]
    return body


def _slug_words(line: str) -> int:
    """How many leading words of the line are an ASCII, lowercase URL slug."""
    count = 0
    for word in line.split():
        if not _ASCII_WORD.fullmatch(word):
            break
        count += 1
    return count


def _drop_slugs(body: list[tuple[str, bool]], title: str) -> list[tuple[str, bool]]:
    """Drop lines that start with the headline's URL slug ("doan cong tac ban chi dao ...").

    Sites print the slug as the alt text of photos and glue it to the titles of related stories,
    so a line that starts with it is either the slug alone or a related-story link: neither is
    article text. A caption on the next line stays.
    """
    title_words = set(fold(title).split())
    kept = []
    for line, glued in body:
        n = _slug_words(line)
        if n >= 6:
            slug = line.split()[:n]
            overlap = sum(w in title_words for w in slug) / n
            if overlap >= 0.8 or n >= 12:
                continue
        kept.append((line, glued))
    return kept


def _is_title_echo(line: str, title: str) -> bool:
    """The headline again with a counter or image suffix ("<title> -0"), as photo alt text does."""
    return line != title and line.startswith(title) and not re.sub(r"[\s\-–\d]+", "", line[len(title):])


def _cut_teasers(body: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Cut the block of related-news teasers that some pages append after the article.

    Teasers repeat themselves: each carries a section label ("Địa phương") that recurs, and often
    its headline twice (photo alt text, then the link). The article ends before the first of them,
    or before the photo caption or headline printed right on top of that first label.
    """
    counts: dict[str, int] = {}
    for line, _ in body:
        if _is_short_label(line):
            counts[line] = counts.get(line, 0) + 1
    labels = {line for line, n in counts.items() if n >= 2}
    for i, (line, glued) in enumerate(body):
        repeated_headline = i + 1 < len(body) and body[i + 1][0] == line and len(line.split()) >= 4
        if i >= 2 and (line in labels or repeated_headline):
            return body[:i - 1] if glued and line in labels else body[:i]
    return body


def _looks_like_outlet(tag: str) -> bool:
    """Outlet tags are short names or domains: "ĐTO", "Baodongthap.vn", "VNA", "Dân trí"."""
    tag = tag.strip()
    return len(tag.split()) <= 4 and (tag[:1].isupper() or "." in tag)


# ---- bylines and outlets -------------------------------------------------------------------------

def _is_outlet_name(name: str) -> bool:
    """"TTXVN", "VOV", "baochinhphu.vn", "Báo Tin tức": an outlet, not a person."""
    words = name.split()
    return ("." in name or any(len(w) >= 2 and w.isupper() for w in words) or bool(_OUTLET_WORDS.match(name)))


def _person(name: str) -> str | None:
    """A person's name from a credit: "Minh Anh", "Hoàng Long/TTXVN" -> "Hoàng Long"; else None."""
    name = re.split(r"\s*(?:/|\(|;| - | – )\s*", name.strip(" ."), maxsplit=1)[0].strip(" .")
    words = name.split()
    if not 1 <= len(words) <= 5 or _SENTENCE_PUNCT.search(name) or any(c.isdigit() for c in name):
        return None
    if all(w[:1].isupper() for w in words) and not _is_outlet_name(name):
        return name
    return None


def _byline(paragraphs: list[str]) -> str | None:
    """The writer: named by "Bài, ảnh:" or "Theo ..." near the end, or a person's name closing the
    article ("Đặng Trang", "PV"). A photo credit ("Ảnh: Văn Điệp/TTXVN", a caption ending in one) is not.
    """
    for paragraph in paragraphs[-2:][::-1]:
        credit = _CREDIT.match(paragraph)
        if credit:  # "Bài, ảnh: PV" names the writer, whoever it is
            return re.split(r"\s*(?:/|\(|;| - | – )\s*", credit.group(1).strip(" ."), maxsplit=1)[0] or None
        theo = _THEO.match(paragraph)
        if theo and len(paragraph.split()) <= 8 and not re.search(r"[,;:!?]", paragraph) and _person(theo.group(1)):
            return _person(theo.group(1))
    last = paragraphs[-1]
    words = last.split()
    if (1 <= len(words) <= 5 and not _SENTENCE_PUNCT.search(last) and all(w[:1].isupper() for w in words)
            and not _THEO.match(last)):  # "Theo TTXVN" names the outlet, not a writer
        return last
    return None


def _outlet_from_text(paragraphs: list[str]) -> str | None:
    """"Theo TTXVN" / "Theo baochinhphu.vn" closing the article names the outlet the story came from."""
    for paragraph in paragraphs[-2:][::-1]:
        theo = _THEO.match(paragraph)
        if theo and len(paragraph.split()) <= 8 and not re.search(r"[,;:!?]", paragraph):
            name = theo.group(1).strip(" .")
            if _is_outlet_name(name):
                return name
    return None


# ---- dates implied by the text -----------------------------------------------------------------

def infer_date(paragraphs: list[str], not_after: date | None = None) -> str | None:
    """When the article was written, from the text alone: "2020-04-28", or "2020" when only the year shows.

    The year comes from a period the article reports on or plans for ("quý I/2020", "6 tháng đầu
    năm 2024", "chương trình công tác năm 2019"), the latest one named; the day and month from the
    lead ("Ngày 28/4,", "Sáng 4.7,"). A lead date before that period is over (next year's report?),
    one whose own year is another (a history: "Đêm 21/9/1945, ..."), or one after `not_after` (the
    day the page was scraped) or today gives nothing. No period named: nothing, whatever the lead says.
    """
    latest = min(not_after or date.today(), date.today())
    periods = [make(m) for pattern, make in _PERIODS for p in paragraphs for m in pattern.finditer(p)]
    periods = [(year, month) for year, month in periods if 1945 <= year <= latest.year]
    if not periods:
        return None
    year = max(y for y, _ in periods)
    over_by = max(m for y, m in periods if y == year)
    lead = _lead_day(paragraphs)
    if lead is None:
        return str(year)
    day, month, stated_year = lead
    found = _valid_date(year, month, day)
    if found is None or (stated_year and stated_year != year) or month < over_by or found > latest:
        return None
    return found.isoformat()


def _lead_day(paragraphs: list[str]) -> tuple[int, int, int | None] | None:
    """(day, month, year or None) opening a clause of the lead's first paragraphs."""
    for paragraph in paragraphs[:_LEAD_PARAGRAPHS]:
        m = _LEAD_DAY.search(paragraph)
        if m:
            day, month = int(m.group(1)), int(m.group(2))
            if 1 <= day <= 31 and 1 <= month <= 12:
                return day, month, int(m.group(3)) if m.group(3) else None
    return None
