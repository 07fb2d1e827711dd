"""Read scraped article files and turn them into clean Article records (title, date, outlet, body).

The pages come from Vietnamese news sites with their chrome still in them: comment boxes, form
errors, view counters, date widgets, image file names, diacritic-less URL slugs and blocks of
unrelated "related news" teasers. The rules below describe those shapes rather than listing the
exact strings, so new articles from the same sites clean the same way.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .errors import CorpusError
from .records import Article
from .vntext import clean_spaces, fold

MAX_FILE_BYTES = 5_000_000  # ~1,000 news articles; a bigger "article" is a dump to split first

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
# "(LĐTĐ) Thực hiện..." / "(Thanhuytphcm.vn) – Chiều 1/7..." : the outlet opens the lead paragraph.
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
# The site's "today" widget: a weekday and a spelled-out date with no time ("Chủ Nhật, ngày 19 tháng 1
# năm 2020"). It is the day the page was scraped, not the day the article was published.
_TODAY_WIDGET = re.compile(
    _WEEKDAY + r"\s*,?\s*(?:ngày\s*)?\d{1,2}(?:\s*tháng\s*|/)\d{1,2}(?:\s*năm\s*|/)\d{4}", re.IGNORECASE
)
_SENTENCE_PUNCT = re.compile(r"[.?!:;,\"“”]")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Problem:
    """A seed file that could not be read, or was left out, and why."""

    source: str
    message: str

    def __str__(self) -> str:
        # a file name may hold newlines or undecodable bytes: show it on one printable line
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in self.source)
        return f"{shown}: {self.message}"


def read_corpus(seeds: str | Path) -> tuple[list[Article], list[Problem]]:
    """Read every file of a seeds folder.

    Returns the articles in file-name order and the files that were skipped, each with the reason;
    one bad file never stops the others. A second copy of an article is skipped as a duplicate.
    """
    folder = Path(seeds)
    if not folder.is_dir():
        raise CorpusError(f"seeds folder {str(folder)!r} does not exist (pass --seeds DIR)")
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        try:
            path.name.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(Problem(path.name, "file name is not valid UTF-8; rename the file"))
            continue
        try:
            article = read_article(path)
        except CorpusError as exc:
            problems.append(Problem(path.name, str(exc)))
            continue
        key = hashlib.sha256(article.text.encode()).hexdigest()
        if key in seen:
            problems.append(Problem(path.name, f"same article as {seen[key]}; indexed once"))
            continue
        seen[key] = path.name
        articles.append(article)
    if not articles and not problems:
        raise CorpusError(f"seeds folder {str(folder)!r} holds no article files")
    return articles, problems


def read_article(path: str | Path) -> Article:
    """Read and clean one seed file; raises CorpusError naming what is wrong with it."""
    path = Path(path)
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_FILE_BYTES:
        raise CorpusError(
            f"too large ({len(raw) / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB per article file)"
        )
    if not raw.strip():
        raise CorpusError("empty file")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark (Windows "Unicode" text)
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise CorpusError("damaged UTF-16 text; re-save it as UTF-8") from None
    if b"\x00" in raw[:8192]:
        raise CorpusError("binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not UTF-8 text (invalid byte at offset {exc.start}); re-save it as UTF-8") from None
    # ".txt" files are named by their stem ("003_b6d…"); other extensions keep theirs, so that
    # alpha.txt and alpha.md are two articles, not one
    article_id = path.stem if path.suffix == ".txt" else path.name
    article = parse_article(text, article_id, path.name)
    return Article(**{**_as_dict(article), "sha256": digest})


def _as_dict(article: Article) -> dict:
    return {name: getattr(article, name) for name in Article.__slots__}


def parse_article(raw_text: str, article_id: str, source: str) -> Article:
    """Clean the text of one scraped page into an Article."""
    # Each line remembers whether a blank line separated it from the one before: a teaser's photo
    # caption sits right on top of its section label, the article's last paragraph does not.
    lines: list[tuple[str, bool]] = []
    previous_blank = True
    for raw_line in clean_spaces(raw_text).splitlines():
        line = re.sub(r" {2,}", " ", raw_line).strip()
        if line:
            lines.append((line, not previous_blank))
        previous_blank = not line

    published: str | None = None
    outlet: str | None = None
    kept: list[tuple[str, bool]] = []
    for line, glued in lines:
        if _TODAY_WIDGET.fullmatch(line.strip(" .")):
            continue
        if _is_meta_line(line):
            published = published or _iso_date(line)
            continue
        source_line = _SOURCE_LINE.match(line)
        if source_line:
            outlet = outlet or (source_line.group(1).strip(" .") or None)
            continue
        if _UI_LABEL.match(line) or _is_breadcrumb(line):
            continue
        kept.append((line, glued))

    title_at = next((i for i, (line, _) in enumerate(kept) if len(line.split()) >= 4), None)
    if title_at is None:
        raise CorpusError("no article text found (only page chrome)")
    title = kept[title_at][0]
    body = kept[title_at + 1:]
    body = _cut_footer(body)
    body = _drop_slugs(body, title)
    body = [(line, glued) for line, glued in body if not _is_title_echo(line, title)]
    body = _cut_teasers(body)

    paragraphs: list[str] = []
    for line, _ in body:
        tag = _OUTLET_TAG.match(line)
        if tag and not paragraphs[1:] and _looks_like_outlet(tag.group(1)):
            outlet = outlet or tag.group(1).strip()
            line = line[tag.end():]
        paragraphs.append(line)
    if not paragraphs:
        raise CorpusError("no article body found after the headline")

    author = _byline(paragraphs[-1])
    text = "\n\n".join([title, *paragraphs])
    return Article(
        id=article_id, source=source, title=title, text=text, published=published, outlet=outlet, author=author
    )


def _is_meta_line(line: str) -> bool:
    if not re.search(_DMY + "|" + _TIME, line):
        return False
    rest = re.sub(_DMY + "|" + _TIME, " ", line, flags=re.IGNORECASE)
    rest = _META_WORDS.sub(" ", rest)
    return not re.sub(r"[\s\d:,.\-–|/()]+", "", rest)


def _iso_date(line: str) -> str | None:
    m = re.search(_DMY, line)
    if not m:
        return None
    day, month, year = (int(g) for g in m.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


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
    """Outlet tags are short names or domains: "LĐTĐ", "Thanhuytphcm.vn", "TTXVN", "Dân trí"."""
    tag = tag.strip()
    return len(tag.split()) <= 4 and (tag[:1].isupper() or "." in tag)


def _byline(last_paragraph: str) -> str | None:
    """The author's name on the last line ("Đặng Trang", "Bùi Hiệp Thọ", "PV"), if it is one."""
    words = last_paragraph.split()
    if not 1 <= len(words) <= 5 or _SENTENCE_PUNCT.search(last_paragraph):
        return None
    if all(w[:1].isupper() for w in words):
        return last_paragraph
    return None
