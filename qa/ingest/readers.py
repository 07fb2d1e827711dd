"""Format readers: Markdown, saved web pages (.html/.htm, with trafilatura + htmldate) and archives (.jsonl/.csv).

Each reader turns its format into text plus the metadata the format states, then hands both to
`page.parse_article`, so titles, bylines, date lines and inferred dates follow one set of rules.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re

from ..errors import CorpusError
from ..records import Article
from ..text.vntext import clean_spaces
from .dates import DMY, valid_date
from .page import parse_article, title_from_name, with_fields
from .seeds import MAX_FILE_BYTES, Problem, SeedFile

ARCHIVE_COLUMNS = ("title", "text", "published", "author", "outlet", "url")

# ---- Markdown ------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_ATX_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_EMPHASIS = re.compile(r"(?<![\w*_])(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1(?![\w*_])")
_MD_CODE = re.compile(r"`([^`]+)`")
_MD_LIST = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")
_MD_RULE = re.compile(r"^(?:[-*_]\s*){3,}$")
_MD_REF_DEF = re.compile(r"^\[[^\]]+\]:\s*\S+")


def parse_markdown(raw_text: str, article_id: str, source: str) -> Article:
    """A Markdown article: `# Title` (or a front-matter title) is the title; markup is removed from the text.

    Front matter (`title:`, `date:`, `author:`, `outlet:`/`source:`, `url:`) states metadata.
    Text without any Markdown reads exactly like a .txt file.
    """
    lines = clean_spaces(raw_text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields: dict[str, str] = {}
    front = _FRONT_MATTER.match("\n".join(lines))
    if front:
        for line in front.group(1).splitlines():
            key, _, value = line.partition(":")
            if value.strip().strip("\"'"):
                fields[key.strip().lower()] = value.strip().strip("\"'")
        lines = "\n".join(lines)[front.end():].split("\n")
    # setext headings ("Title" over "=====") as ATX ones
    for i in range(1, len(lines)):
        if _SETEXT.match(lines[i].strip()) and lines[i - 1].strip() and not _MD_LIST.match(lines[i - 1].strip()):
            lines[i - 1], lines[i] = "# " + lines[i - 1].strip(), ""
    title = fields.get("title")
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        heading = _ATX_HEADING.match(stripped)
        if heading:
            content = _strip_inline(heading.group(1))
            if title is None and not any(o.strip() for o in out):
                title = content
            elif content:
                out.extend(["", content, ""])  # a subheading is a paragraph of its own
            continue
        if _MD_RULE.match(stripped) or _MD_REF_DEF.match(stripped):
            out.append("")
            continue
        stripped = re.sub(r"^(?:>\s?)+", "", stripped)
        item = _MD_LIST.match(stripped)
        out.extend([_strip_inline(stripped[item.end():]), ""] if item else [_strip_inline(stripped)])
    stated = {"published": _iso_from_any(fields.get("date") or fields.get("published") or ""),
              "author": fields.get("author"), "url": fields.get("url"),
              "outlet": fields.get("outlet") or fields.get("source") or fields.get("site")}
    return parse_article("\n".join(out), article_id, source, title=title or None, fields=stated)


def _strip_inline(text: str) -> str:
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_LINK.sub(r"\1", text)
    text = _MD_CODE.sub(r"\1", text)
    for _ in range(2):  # nested emphasis: ***x***, **_x_**
        text = _MD_EMPHASIS.sub(r"\2", text)
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!])", r"\1", text).strip()


def _iso_from_any(value: str) -> str | None:
    """A stated date in the forms archives and front matter use: 2024-03-15[T...], 15/03/2024."""
    value = value.strip()
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$", value)
    if m:
        found = valid_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return found.isoformat() if found else None
    m = re.match(r"^" + DMY + r"(?:\s.*)?$", value)
    if m:
        found = valid_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return found.isoformat() if found else None
    return None


# ---- saved web pages -----------------------------------------------------------------------------

# what the HTML reader imports, as pip installs it (trafilatura -> justext -> lxml.html.clean)
HTML_PACKAGES = ("trafilatura", "htmldate", "lxml_html_clean")


def html_reader_missing(exc: ImportError) -> str:
    """One line for a page that cannot be read because a library of the HTML reader is missing:
    what is missing and the command that fixes it (the page is skipped; the rest is indexed)."""
    why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (f"saved web pages cannot be read on this machine ({why}); "
            f"install the HTML reader with `pip install {' '.join(HTML_PACKAGES)}` and index again")


def read_html(raw: bytes, article_id: str, source: str) -> Article:
    """A saved news page: main text and metadata by trafilatura, the date by htmldate when it has none.

    Photo captions are kept as paragraphs of their own (trafilatura drops figures), so "ai chụp
    ảnh" stays answerable. A date line printed in the text wins over the page's metadata.
    """
    try:
        import htmldate
        import trafilatura
        from trafilatura.utils import load_html
    except ImportError as exc:  # e.g. lxml >= 5.2 without lxml_html_clean, which justext (trafilatura) imports
        raise CorpusError(html_reader_missing(exc)) from None

    tree = load_html(raw)
    if tree is None:
        raise CorpusError("not a readable HTML page")
    _captions_as_paragraphs(tree)
    doc = trafilatura.bare_extraction(
        tree, with_metadata=True, include_comments=False, include_tables=True, include_images=False,
        # only dates the page states in its markup or URL, never one guessed from the text
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None or not (doc.text or "").strip():
        raise CorpusError("no article text found in the page")
    paragraphs = "\n\n".join(line for line in clean_spaces(doc.text).splitlines() if line.strip())
    author = doc.author if doc.author and not re.match(r"(?i)^\s*ảnh\b", doc.author) else None
    url = doc.url if doc.url and doc.url.startswith(("http://", "https://")) else None
    article = parse_article(
        paragraphs, article_id, source, title=_clean_title(doc.title, doc.sitename), page_rules=False,
        fields={"author": author, "outlet": doc.sitename or None, "url": url},
    )
    if article.published:  # from the date line printed on the page
        return article
    stated = doc.date or htmldate.find_date(raw, extensive_search=False, original_date=False, url=url)
    if stated and _valid_iso(stated):
        return with_fields(article, published=stated, published_inferred=None, dateline=None)
    return article


def _captions_as_paragraphs(tree) -> None:
    from lxml import etree

    for figure in list(tree.iter("figure")):
        caption = figure.find(".//figcaption")
        text = " ".join(caption.text_content().split()) if caption is not None else ""
        parent = figure.getparent()
        if parent is None:
            continue
        if text:
            paragraph = etree.Element("p")
            paragraph.text = text
            paragraph.tail = figure.tail
            parent.replace(figure, paragraph)
        else:
            figure.drop_tree()


def _clean_title(title: str | None, sitename: str | None) -> str | None:
    """The headline without the " - Site name" that <title> tags append."""
    if not title:
        return None
    title = " ".join(clean_spaces(title).split())
    if sitename:
        title = re.sub(r"\s*[-–|:]\s*" + re.escape(sitename) + r"\s*$", "", title, flags=re.IGNORECASE)
    return title or None


def _valid_iso(value: str) -> bool:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    return bool(m and valid_date(int(m.group(1)), int(m.group(2)), int(m.group(3))))


# ---- archives ------------------------------------------------------------------------------------

def read_archive(seed: SeedFile) -> tuple[list[Article], list[Problem]]:
    """The articles of a .jsonl (one JSON object a line) or .csv (header row) export, read row by row.

    Columns: title, text, and optionally published, author, outlet, url. Each row is an article
    with the id "<file>#<row>" (the line number in a .jsonl, the record number after the header in a
    .csv) and the file as its source. A bad row is named with its line and skipped; the rest is read.
    """
    try:
        handle = open(seed.path, "rb")
    except OSError as exc:
        raise CorpusError(f"cannot read ({exc.strerror})") from None
    digest = hashlib.sha256()
    with handle:
        head = handle.read(8192)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise CorpusError("UTF-16 text; re-save the archive as UTF-8")
        if b"\x00" in head:
            raise CorpusError("binary file, not text")
        handle.seek(0)
        for block in iter(lambda: handle.read(1 << 20), b""):  # Article.sha256 is of the raw seed file
            digest.update(block)
        handle.seek(0)
        rows = _jsonl_rows(handle) if seed.name.lower().endswith(".jsonl") else _csv_rows(handle)
        articles, problems, seen_rows = [], [], 0
        for number, line, row, error in rows:
            seen_rows += 1
            if error is None:
                try:
                    articles.append(_row_article(row, f"{seed.name}#{number}", seed.name, number))
                    continue
                except CorpusError as exc:
                    error = str(exc)
            problems.append(Problem(seed.name, f"line {line}: {error}; row skipped, the other rows are read"))
    if not seen_rows:
        raise CorpusError("empty file")
    return [with_fields(a, sha256=digest.hexdigest()) for a in articles], problems


def _jsonl_rows(stream):
    """(row number, line number, object, error) for each non-blank line."""
    for number, raw_line in enumerate(stream, start=1):
        if not raw_line.strip():
            continue
        if len(raw_line) > MAX_FILE_BYTES:
            yield number, number, None, f"row too large ({len(raw_line) / 1e6:.1f} MB)"
            continue
        try:
            line = raw_line.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError as exc:
            yield number, number, None, f"not UTF-8 text (invalid byte at column {exc.start + 1})"
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(row, dict):
            yield number, number, None, "not a JSON object ({\"title\": ..., \"text\": ...})"
            continue
        yield number, number, row, None


def _csv_rows(stream):
    """(record number, first line of the record, row, error) for each record after the header."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise CorpusError(f"cannot read the CSV header ({_csv_reason(exc)})") from None
    if not header or not any(h.strip() for h in header):
        return
    columns = [h.strip().lower() for h in header]
    if "text" not in columns:
        raise CorpusError(f"no 'text' column in the CSV header (it has: {', '.join(columns)}); "
                          f"the columns are {', '.join(ARCHIVE_COLUMNS)}")
    number = 0
    while True:
        first_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise CorpusError(f"not UTF-8 text after line {reader.line_num} ({_csv_reason(exc)}); "
                              "re-save the archive as UTF-8") from None
        except csv.Error as exc:
            number += 1
            yield number, first_line, None, f"not valid CSV ({_csv_reason(exc)})"
            continue
        if not any(v.strip() for v in values):
            continue
        number += 1
        if len(values) > len(columns):
            yield number, first_line, None, f"{len(values)} fields, the header has {len(columns)}"
            continue
        yield number, first_line, dict(zip(columns, values)), None


def _csv_reason(exc: Exception) -> str:
    return str(exc).split("\n")[0][:120]


def _row_article(row: dict, article_id: str, source: str, number: int) -> Article:
    def field(name: str) -> str | None:
        value = row.get(name)
        if value is None or isinstance(value, (dict, list)):
            return None
        value = " ".join(str(value).split()) if name != "text" else str(value)
        return value.strip() or None

    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError("no text" if not text else "'text' is not a string")
    published = field("published")
    if published and not _iso_from_any(published):
        raise CorpusError(f"published {published!r} is not a date (write it as YYYY-MM-DD)")
    url = field("url")
    return parse_article(
        text, article_id, source, title=field("title"), page_rules=False,
        name_title=f"{title_from_name(source)} #{number}",
        fields={"published": _iso_from_any(published or ""), "author": field("author"),
                "outlet": field("outlet"), "url": url},
    )
