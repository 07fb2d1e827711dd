"""Plain text and scraped pages into an Article: the title, the body without the site's chrome, byline, outlet, date line.

Scraped pages come from Vietnamese news sites with their chrome still in them: comment boxes, form
errors, view counters, date widgets, image file names, diacritic-less URL slugs and blocks of
unrelated "related news" teasers. The rules below describe those shapes rather than listing the
exact strings, so new articles from the same sites clean the same way, and clean text passes
through them unchanged. The other formats (qa/ingest/readers.py) hand their text to `parse_article` too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..errors import CorpusError
from ..records import Article
from ..text.vntext import clean_spaces, fold
from .dates import DMY, infer_date, iso_date, valid_date

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
# between the names of several writers: "Thu Hà - Minh Anh", "Thu Hà – Minh Anh", "Thu Hà, Minh Anh", "Thu Hà và Minh Anh"
_WRITERS_SEPARATOR = re.compile(r"\s+[-–]\s+|\s*,\s+|\s+và\s+")
# Words that open the name of an outlet rather than a person ("Báo Tin tức", "Đài Tiếng nói ...").
_OUTLET_WORDS = re.compile(r"^(?:báo|tạp chí|đài|cổng|trang|thông tấn|tin tức|kênh|tuần báo|nhật báo)\b",
                           re.IGNORECASE)


# ---- titles from file names ------------------------------------------------------------------------
_NAME_PREFIX = re.compile(
    r"^(?:\d{4}[-_.]?\d{2}[-_.]?\d{2}(?:[-_ T]\d{2}[-_.:]?\d{2}(?:[-_.:]?\d{2})?)?[-_ .]+"  # 2024-03-15_ / 20240315-
    r"|\d{1,6}[-_ .]+(?:[0-9a-f]{8,}(?:[-_ .]+|$))?"  # 003_ / 003_b6d49fa98f0d9187_
    r"|[0-9a-f]{12,}(?:[-_ .]+|$))",  # b6d49fa98f0d9187_
    re.IGNORECASE,
)


def title_from_name(source: str) -> str:
    """A title for an article whose file has no title line: its file name, as words.

    "2024-03-15_vinh-xuan-mo-tuyen-buyt.txt" -> "vinh xuan mo tuyen buyt"; a name that is only a number
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


def with_fields(article: Article, **changes) -> Article:
    return Article(**{**{name: getattr(article, name) for name in Article.__slots__}, **changes})


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
        meta.scraped_on = meta.scraped_on or valid_date(*(int(g) for g in reversed(widget.groups())))
        return True
    if _is_meta_line(line):
        found = iso_date(line)
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
    if not re.search(DMY + "|" + _TIME, line):
        return False
    rest = re.sub(DMY + "|" + _TIME, " ", line, flags=re.IGNORECASE)
    rest = _META_WORDS.sub(" ", rest)
    return not re.sub(r"[\s\d:,.\-–|/()]+", "", rest)


def _printed_dateline(line: str) -> str:
    """The date line as printed, without the view counter beside it ("Lượt xem: 134")."""
    parts = [part.strip() for part in line.split("|")]
    return " | ".join(part for part in parts if part and not _COUNTER_PART.match(part))


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
    """A person's name from a credit: "Minh Anh", "Minh Đạo/TTXVN" -> "Minh Đạo"; else None."""
    name = re.split(r"\s*(?:/|\(|;| - | – )\s*", name.strip(" ."), maxsplit=1)[0].strip(" .")
    words = name.split()
    if not 1 <= len(words) <= 5 or _SENTENCE_PUNCT.search(name) or any(c.isdigit() for c in name):
        return None
    if all(w[:1].isupper() for w in words) and not _is_outlet_name(name):
        return name
    return None


def _credited_writers(credit: str) -> str | None:
    """The writers a credit names, as written: "Minh Anh - Thu Hà" (both), "Minh Đạo/TTXVN" and "Minh Đạo -
    TTXVN" (the outlet after the writer is not one), "PV" (whoever it is: the credit says it is the writer)."""
    credit = re.split(r"\s*(?:/|\(|;)\s*", credit.strip(" ."), maxsplit=1)[0].strip(" .")
    pieces = re.split(f"({_WRITERS_SEPARATOR.pattern})", credit)  # writer, separator, writer, ...
    kept = 1
    while 2 * kept < len(pieces) and _person(pieces[2 * kept]):
        kept += 1
    return "".join(pieces[:2 * kept - 1]).strip() or None


def _byline(paragraphs: list[str]) -> str | None:
    """The writer: named by "Bài, ảnh:" or "Theo ..." near the end, or a person's name closing the
    article ("Đặng Trang", "PV"). A photo credit ("Ảnh: Văn Điệp/TTXVN", a caption ending in one) is not.
    """
    for paragraph in paragraphs[-2:][::-1]:
        credit = _CREDIT.match(paragraph)
        if credit:  # "Bài, ảnh: PV" names the writer, whoever it is
            return _credited_writers(credit.group(1))
        theo = _THEO.match(paragraph)
        if theo and len(paragraph.split()) <= 8 and not re.search(r"[,;:!?]", paragraph) and _person(theo.group(1)):
            return _person(theo.group(1))
    last = paragraphs[-1].strip("*_ ")  # a Markdown page may set the byline in italics
    writers = _WRITERS_SEPARATOR.split(last)
    if len(writers) <= 4 and not _THEO.match(last) and all(  # "Theo TTXVN" names the outlet, not a writer
            1 <= len(w.split()) <= 5 and not _SENTENCE_PUNCT.search(w) and all(x[:1].isupper() for x in w.split())
            for w in writers):
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
