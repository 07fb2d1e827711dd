"""The chat page as HTML: answers, sources, articles, the collection; its CSS and its script.

Pure functions of the records (Answer, Hit, Article) and the engine's articles. Everything that
comes from an article or a user is escaped here (html.escape, quotes included) before it becomes
HTML, so the page can render it as it is; the script (CHAT_JS) only moves these fragments around
and never builds HTML from text.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterable

from .text.vocabulary import METADATA_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .answer.conversation import Resolution
    from .engine import Engine
    from .records import Answer, Article, Hit

NEAREST_ON_ABSTAIN = 3  # passages offered when there is no answer
PASSAGE_CONTEXT = 320  # characters of article text shown around the answer sentence, each side
EXCERPT_CHARS = 360  # characters shown of a related passage
SHORT_ANSWER_CHARS = 120  # a longer span is shown inside its sentence, not as a headline
LISTED_ARTICLES = 300  # articles listed in the collection panel (the filters reach all of them)
# what a date range does, as Filters.allows does it: the stated date, else the one inferred from the text
DATE_FILTER_NOTE = ("Lọc theo ngày dùng ngày đăng, hoặc ngày suy ra từ nội dung (ghi «khoảng …») khi trang không "
                    "ghi ngày; bài không rõ ngày, hay chỉ rõ năm, bị loại.")


# ---- small pieces ---------------------------------------------------------------------------------
def esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _br(text: str) -> str:
    """Escaped text with its paragraph breaks as <br> (inline contexts)."""
    escaped = esc(text)
    escaped = re.sub(r"\n\s*\n+", "<br><br>", escaped)
    return escaped.replace("\n", "<br>")


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def date_label(published: str | None, inferred: str | None = None) -> tuple[str, bool]:
    """(the date as shown, whether it is inferred from the text): "19/05/2022", "khoảng 28/04/2020"."""
    for value, guessed in ((published, False), (inferred, True)):
        if not value:
            continue
        parts = value.split("-")
        shown = "/".join(reversed(parts)) if len(parts) > 1 else f"năm {parts[0]}"
        return (f"khoảng {shown}" if guessed else shown), guessed
    return "", False


def article_date(article: Article | None, hit: Hit | None = None) -> tuple[str, bool]:
    if article is not None:
        return date_label(article.published, article.published_inferred)
    return date_label(hit.published if hit is not None else None)


def citation_label(article: Article | None, hit: Hit) -> str:
    """"Tên bài, Báo, 19/05/2022": what a copied answer ends with."""
    title = article.title if article is not None else hit.title
    outlet = article.outlet if article is not None else hit.outlet
    date, _ = article_date(article, hit)
    return ", ".join(x for x in (title, outlet, date) if x)


def _meta_html(article: Article | None, hit: Hit | None = None, chunks: int | None = None) -> str:
    outlet = (article.outlet if article is not None else hit.outlet if hit is not None else None)
    date, guessed = article_date(article, hit)
    items = [f'<span class="qa-outlet">{esc(outlet)}</span>' if outlet else '<span>không rõ nguồn</span>']
    if date:
        note = ' <span class="qa-inferred">(suy ra từ nội dung, trang không ghi ngày đăng)</span>' if guessed else ""
        items.append(f'<span class="qa-date">{esc(date)}</span>{note}')
    else:
        items.append("<span>không rõ ngày đăng</span>")
    if article is not None and article.author:
        items.append(f'<span class="qa-author">Tác giả: {esc(article.author)}</span>')
    if chunks is not None:
        items.append(f"<span>{thousands(chunks)} đoạn</span>")
    return " · ".join(items)


def _valid(span: Any, length: int) -> tuple[int, int] | None:
    try:
        s, e = int(span[0]), int(span[1])
    except (TypeError, ValueError, IndexError):
        return None
    return (s, e) if 0 <= s < e <= length else None


def _cut_left(text: str, at: int, limit: int) -> int:
    start = max(0, at - limit)
    if start > 0:
        space = text.find(" ", start, at)
        start = space + 1 if space >= 0 else start
    return start


def _cut_right(text: str, at: int, limit: int) -> int:
    end = min(len(text), at + limit)
    if end < len(text):
        space = text.rfind(" ", at, end)
        end = space if space > at else end
    return end


def marked_html(text: str, start: int, end: int, spans: Iterable[tuple[int, int, str]] = (),
                focus: tuple[int, int] | None = None) -> str:
    """text[start:end] escaped, each (s, e, kind) span wrapped: kind "mark" in <mark>, others in a
    <span class="qa-KIND">. Spans may nest or overlap; each piece of text gets all its kinds."""
    spans = [(max(start, s), min(end, e), k) for s, e, k in spans if s < end and e > start and s < e]
    cuts = sorted({start, end, *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        piece = _br(text[a:b])
        kinds = sorted({k for s, e, k in spans if s <= a and b <= e})
        if "mark" in kinds:
            extra = " ".join(f"qa-{k}" for k in kinds if k != "mark")
            attrs = (f' class="{extra}"' if extra else "") + (' data-focus="1"' if focus and a <= focus[0] < b else "")
            out.append(f"<mark{attrs}>{piece}</mark>")
        elif kinds:
            out.append(f'<span class="{" ".join(f"qa-{k}" for k in kinds)}">{piece}</span>')
        else:
            out.append(piece)
    return "".join(out)


def _passage_html(text: str, start: int, end: int, spans: list[tuple[int, int, str]]) -> str:
    lead = "… " if start > 0 and text[start - 1] != "\n" else ""
    tail = " …" if end < len(text) and text[end:end + 1] != "\n" else ""
    return lead + marked_html(text, start, end, spans) + tail


def _skip_title(article: Article, start: int, end: int) -> int:
    """A passage that opens with the headline starts after it: the headline is shown above."""
    if start == 0 and article.title and article.text.startswith(article.title):
        body = len(article.text) - len(article.text[len(article.title):].lstrip())
        return body if body < end else start
    return start


def excerpt_html(article: Article | None, hit: Hit, limit: int = EXCERPT_CHARS) -> str:
    """A passage of a hit, at most `limit` characters, its highlight (when any) marked and in view."""
    if article is None:
        return _passage_html(hit.text, 0, min(len(hit.text), limit), [])
    text = article.text
    start, end = max(0, hit.start), min(len(text), hit.end)
    start = _skip_title(article, start, end)
    mark = _valid(hit.highlight, len(text)) if hit.highlight else None
    if mark and not (start <= mark[0] and mark[1] <= end):
        mark = None
    if end - start > limit:
        if mark:
            start = max(start, _cut_left(text, mark[0], limit // 2))
        end = _cut_right(text, start, limit)
        if mark and mark[1] > end:
            mark = None
    return _passage_html(text, start, end, [(mark[0], mark[1], "mark")] if mark else [])


def answer_passage(article: Article, answer: Answer, hit: Hit, mark_span: bool = True
                   ) -> tuple[str, tuple[int, int] | None, tuple[int, int] | None]:
    """(the passage around the answer, the answer sentence, the short answer) in article offsets; with
    `mark_span` False the short answer is found but not marked (a nearest passage, not an answer)."""
    text = article.text
    sentence = _valid((answer.start, answer.end), len(text))
    mark = _valid(hit.highlight, len(text)) if hit.highlight else None
    if sentence is None:
        return excerpt_html(article, hit), None, mark
    if (mark is None or not (sentence[0] <= mark[0] and mark[1] <= sentence[1])) and answer.span:
        at = text.find(answer.span, sentence[0], sentence[1])
        mark = (at, at + len(answer.span)) if at >= 0 else None
    if mark is not None and not (sentence[0] <= mark[0] and mark[1] <= sentence[1]):
        mark = None
    start = max(min(hit.start, sentence[0]), _cut_left(text, sentence[0], PASSAGE_CONTEXT))
    end = min(max(hit.end, sentence[1]), _cut_right(text, sentence[1], PASSAGE_CONTEXT))
    paragraph = text.rfind("\n", 0, sentence[0]) + 1
    start = max(0, min(max(start, paragraph), sentence[0]))
    end = min(len(text), max(end, sentence[1]))
    spans = [(sentence[0], sentence[1], "sent")] + ([(mark[0], mark[1], "mark")] if mark and mark_span else [])
    return _passage_html(text, start, end, spans), sentence, mark


# ---- an answer --------------------------------------------------------------------------------------
_REF = re.compile(r"\s*\[(\d{1,2})\]")


def supporting(answer: Answer) -> list[int]:
    """Numbers (1-based) of the citations the answer text points to: its sources; the rest are related."""
    numbers = sorted({int(n) for n in _REF.findall(answer.text) if 1 <= int(n) <= len(answer.citations)})
    return numbers or ([1] if answer.citations else [])


# ---- how sure the answer is shown ----------------------------------------------------------------
def presentation(answer: Answer) -> str:
    """How an answer is shown: "answer" (confident: the short answer in large type), "tentative" (below the
    confident threshold: the passage first with the candidate marked in it, then "Có thể là: …"),
    "nearest" (the question names something no article mentions: that is said first, and the passage is
    the nearest one, not an answer), "llm" (a language model's verified claims, labelled with its name)
    or "refused"."""
    if answer.abstained or not answer.citations:
        return "refused"
    if answer.missing_terms:
        return "nearest"
    if answer.generator == "llm":
        return "llm"
    return "answer" if answer.confident else "tentative"


def percent(confidence: float) -> str:
    return f"{round(100 * confidence)} %"


def missing_line(terms: Iterable[str]) -> str:
    """"Các bài viết không nhắc đến «X»." ("«A», «B» và «C»" for several)."""
    quoted = [f"«{t}»" for t in terms]
    joined = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " và " + quoted[-1]
    return f"Các bài viết không nhắc đến {joined}."


def _quote_with_refs(answer: Answer) -> str:
    """The answer text without the short answer in front ("25/5/2017 — "), its [n] markers kept."""
    text = answer.text.strip()
    span = answer.span.strip()
    return text[len(span) + 3:] if span and text.startswith(span + " — ") else text


def _quote_of(answer: Answer) -> str:
    """The quoted sentence of the answer text, without its markers and without the short answer in front."""
    return _REF.sub("", _quote_with_refs(answer)).strip()


def _short_span(answer: Answer, quote: str) -> str:
    """The short answer when it is short and more than the whole quote (a headline or a candidate); else ""."""
    span = answer.span.strip()
    if answer.metadata:
        return span
    return span if span and span != quote.strip() and len(span) <= SHORT_ANSWER_CHARS else ""


def _maybe_parts(answer: Answer) -> tuple[str, str, str]:
    """"Có thể là: ", the candidate, " (độ tin cậy thấp, 29 %) — hãy đọc đoạn trích." (the candidate may be "")."""
    span = _short_span(answer, _quote_of(answer))
    note = f" (độ tin cậy thấp, {percent(answer.confidence)})"
    if span:
        return "Có thể là: ", span, f"{note} — hãy đọc đoạn trích."
    return "Có thể là đoạn trích trên", "", f"{note} — hãy đọc kỹ trước khi dùng."


def maybe_line(answer: Answer) -> str:
    return "".join(_maybe_parts(answer))


# ---- answers from a language model ------------------------------------------------------------------
def llm_label(answer: Answer) -> str:
    return f"Trả lời bởi mô hình {answer.model or 'ngôn ngữ'}"


def _verified(answer: Answer) -> list[dict]:
    """The model's verified claims, one per quote (a quote cited twice is shown once)."""
    seen: dict[tuple, dict] = {}
    for claim in answer.claims:
        if claim.get("verified") and claim.get("citation"):
            seen.setdefault((claim["citation"], claim["start"], claim["end"]), claim)
    return list(seen.values())


def _dropped_line(answer: Answer) -> str:
    """Why a model's answer is not confident: some of its claims were dropped, or its reply was cut off."""
    dropped = sum(1 for c in answer.claims if not c.get("verified"))
    if dropped:
        return (f"{dropped} trong {len(answer.claims)} ý của mô hình đã bị bỏ vì trích dẫn không khớp với bài viết; "
                "hãy đọc nguồn trước khi dùng.")
    return "Câu trả lời của mô hình bị ngắt giữa chừng; chỉ những ý trọn vẹn đã kiểm chứng được giữ lại."


def _with_refs_html(text: str) -> str:
    """Escaped text with each [n] as a button that opens source n."""
    out, at = [], 0
    for m in _REF.finditer(text):
        out.append(_br(text[at:m.start()]) + " " + _ref_button(int(m.group(1))))
        at = m.end()
    return "".join(out) + _br(text[at:])


def note_html(answer: Answer) -> str:
    """The language model's answer could not be used: the line that says so, above the extractive answer."""
    return f'<p class="qa-llm-note" role="note">{esc(answer.note)}</p>' if answer.note else ""


def llm_answer_html(engine: Engine, answer: Answer) -> str:
    """A language model's answer, answer first: who wrote it, its verified claims with [n], each claim's quote
    as the article has it, the source line, Copy, the sources panel. Not confident (claims were dropped):
    in body type, with the line that says what was dropped."""
    sources = supporting(answer)
    first = answer.citations[sources[0] - 1]
    article = engine.articles.get(first.article_id)
    title = article.title if article is not None else first.title
    classes = "qa-a qa-llm" + ("" if answer.confident else " qa-tentative")
    parts = [f'<div class="{classes}" data-question="{esc(answer.question)}" data-kind="{esc(answer.kind)}" '
             f'data-abstained="false" data-confidence="{answer.confidence:.3f}" data-presentation="llm" '
             f'data-generator="llm" data-model="{esc(answer.model or "")}" data-article="{esc(first.article_id)}">',
             f'<p class="qa-llm-label">{esc(llm_label(answer))} · mỗi ý có trích dẫn nguyên văn đã đối chiếu với '
             'bài viết</p>',
             f'<p class="qa-llm-text{"" if answer.confident else " qa-llm-text-tentative"}">'
             f'{_with_refs_html(answer.text)}</p>']
    if not answer.confident:
        parts.append(f'<p class="qa-lowconf" role="note">{esc(_dropped_line(answer))}</p>')
    parts.append('<p class="qa-nearest-label">Trích nguyên văn:</p>')
    parts += [f'<blockquote class="qa-quote"><mark>{_br(claim["quote"])}</mark> {_ref_button(claim["citation"])}'
              '</blockquote>' for claim in _verified(answer)]
    cite = _cite_buttons(engine, answer, sources)
    parts.append(f'<p class="qa-cite-line"><span class="qa-cite-label">Nguồn:</span> {cite}</p>')
    parts.append('<div class="qa-actions">'
                 f'<button type="button" class="qa-copy" data-copy="{esc(copy_text(engine, answer))}">Sao chép</button>'
                 f'<button type="button" class="qa-open-sources" data-n="{sources[0]}">Nguồn</button></div>')
    parts.append(_panel_html(engine, answer, title))
    parts.append("</div>")
    return "".join(parts)


def streaming_html(text: str, model: str) -> str:
    """A language model's words as they arrive: provisional, unverified, escaped."""
    return ('<div class="qa-a qa-streaming" data-provisional="true" aria-busy="true">'
            f'<p class="qa-llm-label" role="status"><span class="qa-spinner" aria-hidden="true"></span> '
            f'Mô hình {esc(model or "ngôn ngữ")} đang trả lời · chưa kiểm chứng: các trích dẫn được đối chiếu với bài '
            'viết khi trả lời xong</p>'
            f'<p class="qa-provisional" aria-live="off">{_br(text)}</p></div>')


def answer_lines(answer: Answer) -> list[str]:
    """The answer as plain text, before its sources (the /chat text and `qa ask`): a confident answer as it
    is; a tentative one as its passage, then "Có thể là: …"; a question naming what no article mentions
    says so first, then the nearest passage; a refusal its reason."""
    mode = presentation(answer)
    lines = [missing_line(answer.missing_terms)] if answer.missing_terms else []
    if answer.note:
        lines.insert(0, answer.note)
    if mode == "refused":
        return lines + [f"{llm_label(answer)}: {answer.text}" if answer.generator == "llm" else answer.text]
    if mode == "llm":
        lines += [f"{llm_label(answer)} (mỗi ý có trích dẫn nguyên văn đã đối chiếu với bài viết):", answer.text]
        if not answer.confident:
            lines.append(f"({_dropped_line(answer)})")
        lines.append("Trích nguyên văn:")
        lines += [f"    «{' '.join(c['quote'].split())}» [{c['citation']}]" for c in _verified(answer)]
        return lines
    if mode == "answer" or answer.kind == "summary":
        lines.append(answer.text)
        if mode == "tentative":
            lines.append(f"(Độ tin cậy thấp: {percent(answer.confidence)}; hãy đối chiếu với đoạn trích.)")
    elif mode == "nearest":
        lines.append(f"Đoạn gần nhất (không phải câu trả lời): {_quote_with_refs(answer)}")
    else:
        lines += [_quote_with_refs(answer), maybe_line(answer)]
    if answer.metadata:
        lines.append(f"(Đây là {METADATA_NAMES.get(answer.metadata, answer.metadata)} của bài, lấy từ thông tin của trang.)")
    return lines


def copy_text(engine: Engine, answer: Answer) -> str:
    """The answer as clean text with its source: "25/5/2017 — … (Tên bài, Báo, 19/05/2022)"; a tentative
    one starts "Có thể là: …", one about something no article mentions says so and quotes the nearest passage."""
    body = " ".join(_REF.sub("", answer.text).split())
    missing = f"{missing_line(answer.missing_terms)} " if answer.missing_terms else ""
    mode = presentation(answer)
    if mode == "refused":
        return missing + body
    quote = " ".join(_quote_of(answer).split())
    if mode == "llm":
        body = f"{body} — trả lời bởi mô hình {answer.model or 'ngôn ngữ'}, trích dẫn đã đối chiếu"
    elif mode == "nearest":
        body = f"{missing}Đoạn gần nhất: {quote}"
    elif mode == "tentative":
        span = _short_span(answer, quote)
        note = f"(độ tin cậy thấp, {percent(answer.confidence)})"
        body = f"Có thể là: {span} {note} — {quote}" if span else f"Có thể là câu trả lời {note}: {quote}"
    labels = [citation_label(engine.articles.get(answer.citations[n - 1].article_id), answer.citations[n - 1])
              for n in supporting(answer)]
    return f"{body} ({'; '.join(dict.fromkeys(labels))})"


def _cite_buttons(engine: Engine, answer: Answer, numbers: list[int]) -> str:
    """"[1] Tên bài, Báo, 19/05/2022" for each citation number, each opening its source."""
    return "".join(f'<button type="button" class="qa-ref qa-cite" data-n="{n}">[{n}] '
                   f'{esc(citation_label(engine.articles.get(answer.citations[n - 1].article_id), answer.citations[n - 1]))}'
                   f'</button>' for n in numbers)


def _ref_button(n: int) -> str:
    return f'<button type="button" class="qa-ref" data-n="{n}" aria-label="Mở nguồn {n}">[{n}]</button>'


def _span_in_quote(answer: Answer, quote: str, span: str) -> int:
    """Where the highlighted span sits in the quote: from the offsets (the span's words may also occur
    earlier, e.g. in an adjacent sentence quoted before it), else its first occurrence."""
    highlight = answer.citations[0].highlight if answer.citations else None
    if highlight is not None and answer.start is not None and span and span != quote:
        at = highlight[0] - answer.start + (1 if quote.startswith("…") else 0)
        if quote[at:at + len(span)] == span:
            return at
    return quote.find(span) if span and span != quote else -1


def _quote_html(quote: str, span: str, at: int) -> str:
    if at < 0:
        return _br(quote)
    return _br(quote[:at]) + f"<mark>{_br(span)}</mark>" + _br(quote[at + len(span):])


def _card_html(engine: Engine, n: int, hit: Hit, passage: str, marks: list[tuple[int, int]],
               focus: tuple[int, int] | None, role: str) -> str:
    article = engine.articles.get(hit.article_id)
    title = article.title if article is not None else hit.title
    marks_attr = ",".join(f"{a}-{b}" for a, b in marks)
    focus_attr = f"{focus[0]}-{focus[1]}" if focus else (f"{hit.start}-{hit.end}")
    return (f'<article class="qa-card qa-card-{role}" data-n="{n}" data-article="{esc(hit.article_id)}">'
            f'<h4 class="qa-card-title"><span class="qa-num">[{n}]</span> {esc(title)}</h4>'
            f'<p class="qa-card-meta">{_meta_html(article, hit)}</p>'
            f'<div class="qa-card-passage">{passage}</div>'
            f'<button type="button" class="qa-full" data-article="{esc(hit.article_id)}" data-marks="{marks_attr}" '
            f'data-focus="{focus_attr}">Xem toàn bài</button></article>')


def _panel_html(engine: Engine, answer: Answer, title: str) -> str:
    """What the sources panel shows for an answer: its sources, then the related passages. For a question
    naming what no article mentions, the same passages as the nearest ones, nothing marked as the answer."""
    nearest = presentation(answer) == "nearest"
    sources = supporting(answer)
    cards = []
    for n in sources:
        hit = answer.citations[n - 1]
        article = engine.articles.get(hit.article_id)
        if article is None:
            cards.append(_card_html(engine, n, hit, excerpt_html(None, hit), [], None, "source"))
            continue
        if answer.generator == "llm":
            marks = [(c["start"], c["end"]) for c in _verified(answer) if c["citation"] == n]
            start = _skip_title(article, hit.start, hit.end)
            passage = _passage_html(article.text, start, hit.end, [(a, b, "mark") for a, b in marks])
            cards.append(_card_html(engine, n, hit, passage, marks, marks[0] if marks else None, "source"))
        elif answer.kind == "summary" and answer.summary and n == sources[0]:
            spans = [s for s in (_valid(x, len(article.text)) for x in answer.summary) if s]
            passage = "".join(f'<p class="qa-sum-src">{_passage_html(article.text, a, b, [(a, b, "sent")])}</p>'
                              for a, b in spans)
            cards.append(_card_html(engine, n, hit, passage, spans, spans[0] if spans else None, "source"))
        elif n == sources[0]:
            passage, sentence, mark = answer_passage(article, answer, hit, mark_span=not nearest)
            marks = [m for m in ((sentence if nearest else mark or sentence),) if m]
            cards.append(_card_html(engine, n, hit, passage, marks, marks[0] if marks else None, "source"))
        else:
            mark = _valid(hit.highlight, len(article.text)) if hit.highlight and not nearest else None
            shown = excerpt_html(article, hit if mark else replace(hit, highlight=None))
            cards.append(_card_html(engine, n, hit, shown, [mark] if mark else [], mark, "source"))
    related = [(n, hit) for n, hit in enumerate(answer.citations, 1) if n not in sources]
    heading = ("Đoạn gần nhất <span class=\"qa-muted\">(không trả lời câu hỏi)</span>" if nearest
               else "Nguồn của câu trả lời")
    parts = [f'<h3 class="qa-panel-h">{heading}</h3>', *cards]
    if related:
        parts.append('<h3 class="qa-panel-h">Đoạn liên quan <span class="qa-muted">(không dùng để trả lời)</span></h3>')
        parts += [_card_html(engine, n, hit, excerpt_html(engine.articles.get(hit.article_id), hit), [], None, "related")
                  for n, hit in related]
    label = f"{'Đoạn gần nhất' if nearest else 'Nguồn'}: {title}"
    return (f'<div class="qa-panel-src" hidden data-title="{esc(label)}">' + "".join(parts) + "</div>")


def answer_html(engine: Engine, answer: Answer, scope: str = "", collection: str = "", compact: bool = False) -> str:
    """One answer. Confident: the short answer in large type, its sentence with [n], the source line, Copy.
    Tentative: the sentence first with the candidate marked, then "Có thể là: … (độ tin cậy thấp, 29 %)".
    Naming what no article mentions: "Các bài viết không nhắc đến «…»." first, then the nearest passage.
    A refusal: see `not_found_html` (`compact`: collapsed to one line, for refusals after the first)."""
    mode = presentation(answer)
    if mode == "refused":
        return not_found_html(engine, answer, scope, collection, compact)
    if mode == "llm":
        return llm_answer_html(engine, answer)
    sources = supporting(answer)
    first = answer.citations[sources[0] - 1]
    article = engine.articles.get(first.article_id)
    title = article.title if article is not None else first.title
    classes = ["qa-a", f"qa-kind-{esc(answer.kind)}"] + ([] if mode == "answer" else ["qa-tentative"])
    parts = [f'<div class="{" ".join(classes)}" data-question="{esc(answer.question)}" data-kind="{esc(answer.kind)}" '
             f'data-abstained="false" data-confidence="{answer.confidence:.3f}" data-presentation="{mode}" '
             f'data-article="{esc(first.article_id)}">', note_html(answer)]
    if mode == "nearest":
        parts.append(f'<p class="qa-missing" role="note">{esc(missing_line(answer.missing_terms))}</p>')
    refs = "".join(_ref_button(n) for n in sources)
    quote = _quote_of(answer)
    span = _short_span(answer, quote)
    if answer.kind == "summary" and answer.summary and article is not None:
        spans = [s for s in (_valid(x, len(article.text)) for x in answer.summary) if s]
        parts.append(f'<p class="qa-sum-title">Tóm tắt bài «{esc(title)}»</p><ol class="qa-sum">')
        parts += [f"<li>{_br(article.text[a:b])} {_ref_button(sources[0])}</li>" for a, b in spans]
        parts.append("</ol>")
        if mode != "answer":
            parts.append(f'<p class="qa-lowconf" role="note"><strong>Độ tin cậy thấp</strong> '
                         f'({percent(answer.confidence)}): hãy đối chiếu với đoạn trích trước khi dùng.</p>')
    elif answer.metadata:
        what = METADATA_NAMES.get(answer.metadata, answer.metadata)
        if mode == "answer":
            parts.append(f'<p class="qa-short">{_br(span)}</p>')
        parts.append(f'<p class="qa-metadata-note">Đây là {esc(what)} của bài «{esc(title)}» {refs}, lấy từ thông tin '
                     f'của trang báo (không phải từ nội dung bài).</p>')
    else:
        if mode == "answer" and span:
            parts.append(f'<p class="qa-short">{_br(span)}</p>')
        if mode == "nearest":
            parts.append('<p class="qa-nearest-label">Đoạn gần nhất (không phải câu trả lời):</p>')
        shown = _quote_html(quote, span, _span_in_quote(answer, quote, span)) if mode != "nearest" else _br(quote)
        parts.append(f'<blockquote class="qa-quote">{shown} {refs}</blockquote>')
    if mode == "tentative" and answer.kind != "summary":
        lead, candidate, note = _maybe_parts(answer)
        parts.append(f'<p class="qa-lowconf qa-maybe" role="note">{esc(lead)}'
                     f'{f"<mark>{_br(candidate)}</mark>" if candidate else ""}{esc(note)}</p>')
    cite = _cite_buttons(engine, answer, sources)
    related = len(answer.citations) - len(sources)
    label = "Đoạn gần nhất:" if mode == "nearest" else "Nguồn:"
    parts.append(f'<p class="qa-cite-line"><span class="qa-cite-label">{label}</span> {cite}</p>')
    parts.append('<div class="qa-actions">'
                 f'<button type="button" class="qa-copy" data-copy="{esc(copy_text(engine, answer))}">Sao chép</button>'
                 f'<button type="button" class="qa-open-sources" data-n="{sources[0]}">'
                 + (f"Các đoạn gần nhất ({len(answer.citations)})" if mode == "nearest"
                    else f'Nguồn{f" · {related} đoạn liên quan" if related else ""}') + '</button></div>')
    parts.append(_panel_html(engine, answer, title))
    parts.append("</div>")
    return "".join(parts)


def not_found_html(engine: Engine, answer: Answer, scope: str = "", collection: str = "", compact: bool = False) -> str:
    """"Not in these articles": what the question names that no article mentions (when any), what the
    collection covers, and the nearest passages (collapsed). `compact` (a refusal after the first one of the
    chat): all of it folded under one line, "Không tìm thấy … · Phạm vi kho, 3 đoạn gần nhất"."""
    nearest = list(answer.citations[:NEAREST_ON_ABSTAIN])
    parts = [f'<div class="qa-a qa-refusal qa-refusal-notfound{" qa-refusal-compact" if compact else ""}" '
             f'data-question="{esc(answer.question)}" data-kind="{esc(answer.kind)}" data-abstained="true" '
             f'data-presentation="refused" data-generator="{esc(answer.generator)}">', note_html(answer)]
    if answer.generator == "llm":
        parts.append(f'<p class="qa-llm-label">{esc(llm_label(answer))}</p>')
    if answer.missing_terms:
        parts.append(f'<p class="qa-missing" role="note">{esc(missing_line(answer.missing_terms))}</p>')
    if compact:
        what = ["phạm vi kho"] + ([f"{len(nearest)} đoạn gần nhất"] if nearest else [])
        parts.append(f'<details class="qa-refusal-more" data-key="refusal"><summary><span class="qa-refusal-title">'
                     f'{esc(answer.text)}</span> <span class="qa-muted">· {esc(", ".join(what))}</span></summary>')
    else:
        parts.append(f'<p class="qa-refusal-title">{esc(answer.text)}</p>')
    parts.append(f'<p class="qa-refusal-text">Các bài viết{" trong phạm vi " + esc(scope) if scope else " trong kho"} '
                 'không nói về điều này; hệ thống chỉ trả lời bằng nội dung có trong bài, không đoán.</p>')
    if collection:
        parts.append(f'<p class="qa-coverage">{collection}</p>')
    if scope:
        parts.append('<p class="qa-refusal-text">Đang lọc theo phạm vi trên. '
                     '<button type="button" class="qa-clear-filters">Bỏ lọc</button> rồi hỏi lại để tìm trong cả kho.</p>')
    cards = [_card_html(engine, i, hit, excerpt_html(engine.articles.get(hit.article_id), hit), [], None, "related")
             for i, hit in enumerate(nearest, 1)]
    if cards and compact:
        parts.append(f'<p class="qa-panel-h">Các đoạn gần nhất ({len(cards)}), không đoạn nào trả lời câu hỏi</p>')
        parts += cards
    elif cards:
        parts.append(f'<details class="qa-nearest" data-key="nearest"><summary>Các đoạn gần nhất ({len(cards)}), '
                     'không đoạn nào trả lời câu hỏi</summary>')
        parts += cards
        parts.append("</details>")
    if compact:
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def problem_html(resolution: Resolution, example: str = "") -> str:
    """"Please ask one question" and "this needs the previous question": nothing was searched."""
    if resolution.problem == "several-questions":
        items = "".join(f'<li><button type="button" class="qa-suggest" data-q="{esc(p)}">{esc(p)}</button></li>'
                        for p in resolution.parts)
        return ('<div class="qa-a qa-refusal qa-refusal-several" data-abstained="true" data-kind="several">'
                '<p class="qa-refusal-title">Vui lòng hỏi từng câu một.</p>'
                f'<p class="qa-refusal-text">Tin nhắn này có {len(resolution.parts)} câu hỏi. Mỗi câu trả lời được trích '
                'từ một đoạn của bài báo, nên hãy hỏi lần lượt; bấm vào một câu để hỏi:</p>'
                f'<ul class="qa-suggests">{items}</ul></div>')
    hint = f' Ví dụ: <button type="button" class="qa-suggest" data-q="{esc(example)}">{esc(example)}</button>' \
        if example else ""
    return ('<div class="qa-a qa-refusal qa-refusal-previous" data-abstained="true" data-kind="needs-previous">'
            '<p class="qa-refusal-title">Câu này cần câu hỏi trước đó.</p>'
            '<p class="qa-refusal-text">Có vẻ đây là câu hỏi tiếp theo (như “còn … thì sao?”, “ai ký?”), nhưng cuộc '
            f'trò chuyện chưa có câu hỏi nào trước nó. Hãy hỏi đầy đủ.{hint}</p></div>')


def no_articles_html(scope: str) -> str:
    return ('<div class="qa-a qa-refusal qa-refusal-filtered" data-abstained="true" data-kind="filtered-out">'
            '<p class="qa-refusal-title">Không có bài nào trong phạm vi đã chọn.</p>'
            f'<p class="qa-refusal-text">Bộ lọc ({esc(scope)}) loại hết các bài của kho, nên không có gì để tìm. '
            '<button type="button" class="qa-clear-filters">Bỏ lọc</button></p></div>')


def error_html(message: str) -> str:
    return f'<div class="qa-a qa-refusal qa-failed" data-kind="error"><p class="qa-refusal-title">⚠ {esc(message)}</p></div>'


# ---- the conversation ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TurnView:
    seq: int
    asked: str
    state: str  # "waiting", "answering", "done"
    body: str = ""  # the answer's HTML (done)
    understood: str = ""  # "Hiểu là: …" when the question was read as a follow-up
    scope: str = ""  # the filters it was answered under, in words
    ahead: int = 0  # waiting: questions before it
    provisional: str = ""  # answering: a language model's words so far (unverified)
    model: str = ""  # that model's name


def turn_html(turn: TurnView) -> str:
    parts = [f'<section class="qa-turn" data-seq="{turn.seq}" data-state="{turn.state}" aria-label="Câu hỏi {turn.seq}">',
             f'<div class="qa-q"><span class="qa-sr">Bạn hỏi: </span>{_br(turn.asked)}</div>']
    if turn.understood:
        parts.append(f'<p class="qa-understood"><span class="qa-understood-label">Hiểu là:</span> {esc(turn.understood)}</p>')
    if turn.scope:
        parts.append(f'<p class="qa-scope">Phạm vi: {esc(turn.scope)}</p>')
    if turn.state == "done":
        parts.append(turn.body)
    elif turn.state == "answering" and turn.provisional:
        parts.append(streaming_html(turn.provisional, turn.model))
    elif turn.state == "answering":
        parts.append('<div class="qa-a qa-pending" role="status"><span class="qa-spinner" aria-hidden="true"></span>'
                     'Đang tìm…</div>')
    else:
        ahead = f" (còn {turn.ahead} câu trước)" if turn.ahead else ""
        parts.append(f'<div class="qa-a qa-pending qa-waiting" role="status">Đang chờ{ahead}…</div>')
    parts.append("</section>")
    return "".join(parts)


def log_html(turns: list[TurnView], version: int, welcome: str, hidden: int = 0) -> str:
    body = "".join(turn_html(t) for t in turns) if turns else welcome
    if hidden:
        body = (f'<p class="qa-hidden-turns">{thousands(hidden)} câu hỏi trước đã được ẩn để trang nhẹ hơn; '
                'bấm «Cuộc trò chuyện mới» để bắt đầu lại.</p>') + body
    return (f'<div class="qa-log" data-version="{version}" tabindex="0" role="log" aria-label="Hội thoại">'
            f"{body}</div>")


def welcome_html(examples: list[str], stats: str) -> str:
    items = "".join(f'<li><button type="button" class="qa-example" data-q="{esc(q)}">{esc(q)}</button></li>'
                    for q in examples)
    return ('<div class="qa-welcome">'
            '<p class="qa-welcome-title">Hỏi về nội dung các bài báo trong kho</p>'
            f'<p class="qa-welcome-text">{esc(stats)} Câu trả lời được trích nguyên văn từ bài viết, kèm nguồn để bạn '
            'kiểm tra. Có thể gõ không dấu hoặc bằng tiếng Anh, và hỏi tiếp kiểu “còn … thì sao?”.</p>'
            + (f'<p class="qa-ex-label">Câu hỏi mẫu</p><ul class="qa-examples">{items}</ul>' if items else "")
            + "</div>")


# ---- the collection ----------------------------------------------------------------------------------
def stats_text(articles: int, chunks: int) -> str:
    return f"Kho có {thousands(articles)} bài báo, {thousands(chunks)} đoạn văn."


def coverage_html(engine: Engine, chunks_per_article: dict[str, int]) -> str:
    """What the collection covers, in one or two sentences (for "not in these articles")."""
    articles = list(engine.articles.values())
    if not articles:
        return ""
    days = sorted(d for a in articles for d in [a.published or a.published_inferred] if d)
    outlets = Counter(a.outlet for a in articles if a.outlet)
    span = ""
    if days:
        first, _ = date_label(days[0])
        last, _ = date_label(days[-1])
        span = f", từ {esc(first)} đến {esc(last)}" if first != last else f", ngày {esc(first)}"
    named = ", ".join(esc(o) for o, _ in outlets.most_common(4))
    titles = "; ".join(f"«{esc(a.title)}»" for a in sorted(articles, key=lambda a: -chunks_per_article.get(a.id, 0))[:3])
    more = f" và {thousands(len(articles) - 3)} bài khác" if len(articles) > 3 else ""
    return (f"Kho gồm {thousands(len(articles))} bài{span}{f' (nguồn: {named})' if named else ''}, về: {titles}{more}. "
            "Xem danh sách ở mục «Kho bài báo».")


def header_html(articles: int, chunks: int, title: str, description: str) -> str:
    return (f'<header class="qa-header"><div class="qa-brand"><h1>{esc(title)}</h1>'
            f'<p class="qa-stats">{thousands(articles)} bài báo · {thousands(chunks)} đoạn</p>'
            f'<p class="qa-desc">{esc(description)}</p></div>'
            '<button type="button" class="qa-open-filters" aria-controls="qa-collection">Bộ lọc</button>'
            '<button type="button" class="qa-new-chat">Cuộc trò chuyện mới</button></header>')


def collection_html(engine: Engine, chunks_per_article: dict[str, int], generation: int = 0) -> str:
    """The articles (title, outlet, date, passages) with the filters that apply to the next questions."""
    articles = sorted(engine.articles.values(), key=lambda a: (a.published or a.published_inferred or "", a.title),
                      reverse=True)
    outlets = Counter(a.outlet or "" for a in articles)
    days = sorted(d[:10] for a in articles for d in [a.published or a.published_inferred] if d and len(d) >= 10)
    lo, hi = (days[0], days[-1]) if days else ("", "")
    outlet_boxes = "".join(
        f'<label class="qa-check"><input type="checkbox" name="outlet" value="{esc(o)}"> '
        f'{esc(o) if o else "không rõ nguồn"} <span class="qa-muted">({n})</span></label>'
        for o, n in sorted(outlets.items(), key=lambda x: (x[0] == "", -x[1], x[0])))
    rows = []
    for i, a in enumerate(articles[:LISTED_ARTICLES]):
        rows.append(f'<li class="qa-art"><div class="qa-art-row"><input type="checkbox" name="article" id="qa-art-{i}" '
                    f'value="{esc(a.id)}"><label for="qa-art-{i}" class="qa-art-title">{esc(a.title)}</label></div>'
                    f'<p class="qa-art-meta">{_meta_html(a, None, chunks_per_article.get(a.id, 0))}</p>'
                    f'<button type="button" class="qa-view" data-article="{esc(a.id)}" '
                    f'aria-label="Xem toàn bài: {esc(a.title)}">Xem bài</button></li>')
    more = (f'<p class="qa-muted">Hiện {LISTED_ARTICLES} bài mới nhất trong {thousands(len(articles))}; '
            'dùng bộ lọc ngày và nguồn cho các bài còn lại.</p>') if len(articles) > LISTED_ARTICLES else ""
    return (f'<section class="qa-coll" data-generation="{generation}" aria-label="Kho bài báo và bộ lọc">'
            '<details class="qa-coll-box" data-key="collection" open><summary><span class="qa-coll-h">Kho bài báo</span> '
            f'<span class="qa-muted">{thousands(len(articles))} bài · {thousands(len(engine.chunks))} đoạn</span></summary>'
            '<div class="qa-filters" role="group" aria-label="Bộ lọc câu hỏi">'
            f'<p class="qa-filters-note">Câu hỏi tiếp theo chỉ được trả lời từ các bài khớp bộ lọc. {DATE_FILTER_NOTE}</p>'
            '<div class="qa-dates">'
            f'<label>Từ ngày <input type="text" name="since" inputmode="numeric" placeholder="{("vd. " + esc(date_label(lo)[0])) if lo else "ngày/tháng/năm"}" '
            'autocomplete="off" size="11"></label>'
            f'<label>Đến ngày <input type="text" name="until" inputmode="numeric" placeholder="{("vd. " + esc(date_label(hi)[0])) if hi else "ngày/tháng/năm"}" '
            'autocomplete="off" size="11"></label></div>'
            f'<fieldset class="qa-outlets"><legend>Nguồn</legend>{outlet_boxes}</fieldset>'
            '<div class="qa-filter-actions"><button type="button" class="qa-clear-filters">Bỏ lọc</button>'
            '<button type="button" class="qa-filters-done">Xong, về ô hỏi</button></div></div>'
            '<p class="qa-art-note">Đánh dấu bài để chỉ hỏi trong các bài đó:</p>'
            f'<ul class="qa-articles">{"".join(rows)}</ul>{more}</details></section>')


def article_view_html(article: Article, chunks: int | None, marks: list[tuple[int, int]],
                      focus: tuple[int, int] | None) -> str:
    """The full article, paragraph by paragraph, the given spans marked; the focused one is scrolled to."""
    text = article.text
    marks = [m for m in (_valid(x, len(text)) for x in marks) if m]
    focus = _valid(focus, len(text)) if focus else (marks[0] if marks else None)
    spans = [(a, b, "mark") for a, b in marks]
    if focus and not any(a <= focus[0] < b for a, b in marks):
        spans.append((focus[0], focus[1], "passage"))
    paragraphs = []
    for m in re.finditer(r"[^\n]+", text):
        a, b = m.start(), m.end()
        if a == 0 and text[a:b].strip() == article.title.strip():
            continue  # the headline is the view's title
        inner = marked_html(text, a, b, spans, focus)
        anchor = ' data-focus="1"' if focus and a <= focus[0] < b + 1 and "data-focus" not in inner else ""
        paragraphs.append(f"<p{anchor}>{inner}</p>")
    url = article.url if article.url and re.match(r"https?://", article.url) else ""
    link = (f' · <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">bài gốc</a>' if url else "")
    return (f'<article class="qa-doc" data-article="{esc(article.id)}"><h3 class="qa-doc-title">{esc(article.title)}</h3>'
            f'<p class="qa-card-meta">{_meta_html(article, None, chunks)}{link}</p>'
            f'<p class="qa-muted qa-doc-file">Tệp: {esc(article.source)}</p>'
            f'<div class="qa-doc-body">{"".join(paragraphs)}</div></article>')


# ---- plain text (the /chat API) -------------------------------------------------------------------------
def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > limit // 2 else limit] + " …"


def answer_text(engine: Engine, answer: Answer) -> str:
    """The answer as `answer_lines` says it, then its sources and the related passages, as plain text."""
    lines = answer_lines(answer)
    if not answer.citations:
        return "\n".join(lines)
    sources = [] if answer.abstained else supporting(answer)
    groups = [("Nguồn:", sources), ("Liên quan (không dùng để trả lời):",
                                    [n for n in range(1, len(answer.citations) + 1) if n not in sources])]
    if answer.abstained or answer.missing_terms:
        groups = [("Các đoạn gần nhất:", list(range(1, len(answer.citations) + 1)))]
    for label, numbers in groups:
        if not numbers:
            continue
        lines += ["", label]
        for n in numbers:
            hit = answer.citations[n - 1]
            article = engine.articles.get(hit.article_id)
            lines.append(f"[{n}] {citation_label(article, hit)} — {hit.source}")
            lines.append(f"    {_one_line(hit.text, 200)}")
    return "\n".join(lines)


# ---- CSS -------------------------------------------------------------------------------------------------
# Colours meet WCAG AA (4.5:1 for text) on their backgrounds in both schemes; the theme's own
# "subdued" grey is not used for text.
CSS = """
:root { --qa-text:#111827; --qa-muted:#475569; --qa-accent:#1d4ed8; --qa-accent-text:#ffffff; --qa-border:#cbd5e1;
  --qa-bg:#ffffff; --qa-soft:#f1f5f9; --qa-q:#e0e7ff; --qa-mark:#fde047; --qa-mark-text:#111827; --qa-sent:#fef9c3;
  --qa-warn-bg:#fffbeb; --qa-warn:#92400e; --qa-err:#b91c1c; --qa-chrome:228px; }
.dark { --qa-text:#f1f5f9; --qa-muted:#cbd5e1; --qa-accent:#93c5fd; --qa-accent-text:#0b0f19; --qa-border:#475569;
  --qa-bg:#0b0f19; --qa-soft:#1e293b; --qa-q:#1e3a8a; --qa-mark:#facc15; --qa-mark-text:#111827; --qa-sent:#3f3a12;
  --qa-warn-bg:#422006; --qa-warn:#fde68a; --qa-err:#fca5a5; }
.gradio-container { max-width: 1400px !important; }
.qa-sr { position:absolute; width:1px; height:1px; padding:0; margin:-1px; overflow:hidden; clip:rect(0,0,0,0); border:0; }
.qa-muted { color: var(--qa-muted); font-weight: 400; }
#qa-header, #qa-chat, #qa-composer, #qa-status, #qa-collection, #qa-footer { color: var(--qa-text); }
.qa-header { display:flex; align-items:center; gap:.5rem 1rem; }
.qa-brand { flex: 1 1 auto; min-width: 0; display:flex; flex-wrap:wrap; align-items:baseline; gap:.1rem .9rem; }
.qa-header h1 { font-size:1.6rem; font-weight:700; margin:0; letter-spacing:-.01em; color: var(--qa-text); }
.qa-desc { margin:0; color: var(--qa-muted); font-size:.95rem; flex-basis:100%; }
.qa-stats { margin:0; color: var(--qa-muted); font-size:.9rem; }
button.qa-new-chat { flex: 0 0 auto; }
#qa-status { display:none !important; }
button.qa-new-chat, button.qa-send, button.qa-copy, button.qa-open-sources, button.qa-full, button.qa-view,
button.qa-clear-filters, button.qa-panel-close, button.qa-panel-back {
  font: inherit; font-size:.88rem; border-radius:8px; padding:.35rem .75rem; cursor:pointer;
  border:1px solid var(--qa-border); background: var(--qa-bg); color: var(--qa-text); }
button.qa-send { background: var(--qa-accent); color: var(--qa-accent-text); border-color: var(--qa-accent);
  font-weight:600; padding:.5rem 1.1rem; font-size:1rem; }
button:focus-visible, textarea:focus-visible, input:focus-visible, summary:focus-visible, .qa-log:focus-visible {
  outline: 3px solid var(--qa-accent); outline-offset: 2px; }
.qa-log { position:relative; height: calc(100vh - var(--qa-chrome) - var(--qa-grow, 0px));
  height: calc(100dvh - var(--qa-chrome) - var(--qa-grow, 0px));
  min-height: 280px; overflow-y:auto; padding: .25rem .5rem .5rem .25rem; scroll-padding-top: .5rem;
  border:1px solid var(--qa-border); border-radius: 10px; background: var(--qa-bg); }
.qa-turn { padding:.6rem .4rem .9rem .4rem; border-bottom:1px solid var(--qa-border); }
.qa-turn:last-child { border-bottom:none; }
.qa-q { background: var(--qa-q); color: var(--qa-text); border-radius: 10px; padding:.45rem .75rem; margin: 0 0 .45rem auto;
  width: fit-content; max-width: 85%; white-space: pre-wrap; overflow-wrap:anywhere; font-weight:500; }
.qa-understood, .qa-scope { margin:.1rem 0 .35rem 0; font-size:.85rem; color: var(--qa-muted); }
.qa-understood-label { font-weight:600; color: var(--qa-text); }
.qa-a { line-height:1.55; overflow-wrap:anywhere; }
.qa-short { font-size:1.35rem; font-weight:700; margin:.1rem 0 .3rem 0; line-height:1.3; }
.qa-quote { margin:.2rem 0 .4rem 0; padding:.3rem .7rem; border-left:4px solid var(--qa-accent); background: var(--qa-soft);
  border-radius: 0 8px 8px 0; font-size:1rem; }
.qa-a mark, #qa-panel mark, .qa-doc mark { background: var(--qa-mark); color: var(--qa-mark-text); padding:0 .12em;
  border-radius:3px; font-weight:600; }
.qa-sent { background: var(--qa-sent); }
.qa-passage { outline: 2px dashed var(--qa-accent); outline-offset: 1px; }
button.qa-ref { font: inherit; font-size:.78em; font-weight:700; color: var(--qa-accent); background:none; border:none;
  padding:0 .1em; cursor:pointer; vertical-align: super; text-decoration: underline; }
button.qa-ref.qa-cite { vertical-align: baseline; font-size:.88rem; font-weight:500; text-align:left; padding:0; }
.qa-cite-line { margin:.2rem 0; font-size:.88rem; color: var(--qa-muted); }
.qa-cite-label { font-weight:600; color: var(--qa-text); margin-right:.25rem; }
.qa-actions { display:flex; gap:.5rem; flex-wrap:wrap; margin-top:.35rem; }
.qa-lowconf { margin:.3rem 0; padding:.3rem .6rem; border-radius:8px; background: var(--qa-warn-bg); color: var(--qa-warn);
  font-size:.9rem; }
.qa-tentative .qa-quote { border-left-style: dashed; }
.qa-metadata-note { margin:.1rem 0 .3rem 0; font-size:.92rem; }
.qa-sum-title { font-weight:700; margin:.1rem 0 .3rem 0; }
.qa-sum { margin:.1rem 0 .3rem 0; padding:0 0 0 1.5rem; }
.qa-sum li { margin:.15rem 0; }
.qa-refusal-title { font-weight:700; margin:.1rem 0 .25rem 0; }
.qa-refusal-text, .qa-coverage { margin:.15rem 0; font-size:.95rem; }
.qa-coverage { color: var(--qa-muted); }
.qa-failed .qa-refusal-title { color: var(--qa-err); }
.qa-suggests { margin:.3rem 0 0 0; padding:0; list-style:none; display:flex; flex-direction:column; gap:.3rem; }
button.qa-suggest, button.qa-example { font: inherit; text-align:left; border:1px solid var(--qa-border); border-radius: 8px;
  background: var(--qa-soft); color: var(--qa-text); padding:.35rem .65rem; cursor:pointer; font-size:.93rem; }
details.qa-nearest { margin-top:.4rem; border:1px solid var(--qa-border); border-radius:8px; padding:0 .6rem; }
details.qa-nearest > summary { cursor:pointer; padding:.4rem 0; font-weight:600; font-size:.9rem; }
.qa-pending { color: var(--qa-muted); font-style: italic; display:flex; align-items:center; gap:.5rem; }
.qa-spinner { width:.9rem; height:.9rem; border:2px solid var(--qa-border); border-top-color: var(--qa-accent);
  border-radius:50%; animation: qa-spin .8s linear infinite; }
@keyframes qa-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .qa-spinner { animation:none; } }
.qa-welcome { padding: .75rem .5rem; }
.qa-hidden-turns { font-size:.85rem; color: var(--qa-muted); margin:.3rem .4rem; }
.qa-welcome-title { font-size:1.15rem; font-weight:700; margin:0 0 .3rem 0; }
.qa-welcome-text { margin:0 0 .6rem 0; color: var(--qa-muted); }
.qa-ex-label { font-weight:600; margin:.4rem 0 .3rem 0; }
.qa-examples { list-style:none; margin:0; padding:0; display:flex; flex-direction:column; gap:.35rem; }
.qa-card { border:1px solid var(--qa-border); border-radius: 8px; padding:.5rem .7rem; margin:.5rem 0; background: var(--qa-bg); }
.qa-card-related { border-style: dashed; }
.qa-card-title { margin:0; font-size:.98rem; font-weight:650; }
.qa-num { color: var(--qa-accent); margin-right:.2rem; }
.qa-card-meta { margin:.15rem 0 .35rem 0; font-size:.85rem; color: var(--qa-muted); }
.qa-inferred { font-style: italic; }
.qa-card-passage { font-size:.92rem; margin:.2rem 0 .45rem 0; }
.qa-sum-src { margin:.2rem 0; }
.qa-form { display:flex; flex-direction:column; gap:.2rem; }
.qa-input-row { display:flex; gap:.5rem; align-items:flex-end; }
.qa-input-row textarea { flex:1 1 auto; min-width:0; resize:none; font: inherit; font-size:1rem; line-height:1.4;
  padding:.55rem .7rem; border:1px solid var(--qa-border); border-radius: 10px; background: var(--qa-bg); color: var(--qa-text);
  max-height: 7.5em; }
.qa-input-row textarea::placeholder { color: var(--qa-muted); opacity:1; }
.qa-under { display:flex; justify-content:space-between; gap:.5rem; font-size:.8rem; color: var(--qa-muted); }
.qa-count.qa-over { color: var(--qa-err); font-weight:700; }
.qa-error { margin:.15rem 0 0 0; color: var(--qa-err); font-weight:600; font-size:.92rem; }
.qa-scope-bar { font-size:.85rem; color: var(--qa-text); background: var(--qa-soft); border-radius: 8px; padding:.25rem .5rem;
  display:flex; gap:.5rem; align-items:center; flex-wrap:wrap; }
.qa-scope-bar[hidden] { display:none; }
.qa-coll { font-size:.92rem; }
.qa-coll-box > summary { cursor:pointer; padding:.3rem 0; }
.qa-coll-h { font-weight:700; font-size:1.05rem; }
.qa-filters { border:1px solid var(--qa-border); border-radius: 8px; padding:.4rem .6rem; margin:.3rem 0 .6rem 0; }
.qa-filters-note, .qa-art-note { margin:.1rem 0 .35rem 0; color: var(--qa-muted); font-size:.85rem; }
.qa-dates { display:flex; gap:.5rem; flex-wrap:wrap; }
.qa-dates label { display:flex; flex-direction:column; font-size:.85rem; gap:.1rem; }
.qa-dates input { font: inherit; padding:.2rem .3rem; border:1px solid var(--qa-border); border-radius:6px; background: var(--qa-bg);
  color: var(--qa-text); }
.qa-outlets { border:none; margin:.35rem 0; padding:0; display:flex; flex-wrap:wrap; gap:.2rem .8rem; }
.qa-outlets legend { font-size:.85rem; font-weight:600; padding:0; margin-bottom:.15rem; }
.qa-check { display:flex; gap:.3rem; align-items:center; }
.qa-articles { list-style:none; margin:0; padding:0; max-height: 60vh; overflow-y:auto; }
.qa-art { border-top:1px solid var(--qa-border); padding:.45rem 0; }
.qa-art-row { display:flex; gap:.45rem; align-items:flex-start; }
.qa-art-row input { margin-top:.3rem; }
.qa-art-title { font-weight:600; cursor:pointer; }
.qa-art-meta { margin:.1rem 0 .25rem 1.5rem; color: var(--qa-muted); font-size:.82rem; }
.qa-art button.qa-view { margin-left:1.5rem; font-size:.8rem; padding:.15rem .55rem; }
#qa-panel { position: fixed; top:0; right:0; bottom:0; width:min(560px, 100vw); z-index: 1000; background: var(--qa-bg);
  color: var(--qa-text); border-left:1px solid var(--qa-border); box-shadow: -8px 0 24px rgba(15,23,42,.18);
  display:flex; flex-direction:column; }
#qa-panel[hidden] { display:none; }
.qa-panel-head { display:flex; align-items:center; gap:.5rem; padding:.6rem .8rem; border-bottom:1px solid var(--qa-border); }
.qa-panel-title { flex:1 1 auto; margin:0; font-size:1.02rem; font-weight:700; min-width:0; overflow:hidden;
  text-overflow:ellipsis; white-space:nowrap; }
button.qa-panel-back, button.qa-panel-close { white-space: nowrap; flex: 0 0 auto; }
.qa-panel-body { overflow-y:auto; padding:.4rem .8rem 1rem .8rem; flex: 1 1 auto; }
.qa-panel-h { font-size:.95rem; margin:.7rem 0 .2rem 0; }
.qa-doc-title { font-size:1.1rem; margin:.4rem 0 .2rem 0; }
.qa-doc-body p { margin:.5rem 0; line-height:1.6; }
.qa-doc-file { font-size:.8rem; margin:0; }
.qa-doc a { color: var(--qa-accent); }
/* how sure an answer is (tentative, nearest passage), folded refusals, the phone's filter entry point */
.qa-missing { font-weight:700; margin:.1rem 0 .3rem 0; }
.qa-nearest-label { margin:.2rem 0 .1rem 0; font-size:.9rem; font-weight:600; color: var(--qa-muted); }
.qa-maybe mark { font-weight:600; }
details.qa-refusal-more { border:1px solid var(--qa-border); border-radius:8px; padding:0 .6rem; }
details.qa-refusal-more > summary { cursor:pointer; padding:.35rem 0; white-space:nowrap; overflow:hidden;
  text-overflow:ellipsis; }
.qa-filter-actions { display:flex; gap:.5rem; flex-wrap:wrap; }
button.qa-open-filters, button.qa-filters-done { display:none; font: inherit; font-size:.8rem; border-radius:8px;
  padding:.25rem .55rem; cursor:pointer; border:1px solid var(--qa-accent); background: var(--qa-bg); color: var(--qa-accent);
  font-weight:600; flex: 0 0 auto; }
@media (max-width: 720px) { button.qa-open-filters, button.qa-filters-done { display:inline-block; }
  .qa-stats { white-space:nowrap; } }
/* answers from a language model: who wrote them, the streamed words (provisional), the fallback's note */
.qa-llm-label { margin:.1rem 0 .25rem 0; font-size:.85rem; color: var(--qa-muted); display:flex; align-items:center;
  gap:.4rem; flex-wrap:wrap; }
.qa-llm-text { font-size:1.12rem; font-weight:600; margin:.1rem 0 .35rem 0; line-height:1.45; }
.qa-llm-text.qa-llm-text-tentative { font-size:1rem; font-weight:400; }
.qa-provisional { margin:.1rem 0; color: var(--qa-muted); font-style: italic; white-space: pre-wrap; }
.qa-llm-note { margin:.1rem 0 .35rem 0; padding:.3rem .6rem; border-radius:8px; background: var(--qa-warn-bg);
  color: var(--qa-warn); font-size:.9rem; }
.qa-footer { font-size:.82rem; color: var(--qa-muted); text-align:center; margin:.2rem 0; }
.qa-footer code { font-size:.8rem; color: var(--qa-text); }
@media (max-width: 720px) {
  :root { --qa-chrome: 206px; }
  .gradio-container .main { padding: 6px 8px !important; }
  .gradio-container .main .column, #qa-main, #qa-main-col { gap: 8px !important; }
  .qa-desc { display:none; }
  .qa-header { gap:.25rem .6rem; }
  .qa-header h1 { font-size:1.2rem; }
  .qa-stats { font-size:.8rem; }
  button.qa-new-chat { padding:.25rem .55rem; font-size:.8rem; }
  .qa-q { max-width: 92%; }
  .qa-short { font-size:1.2rem; }
  .qa-under .qa-hint { display:none; }
  #qa-panel { width:100vw; border-left:none; }
  .qa-log { border-radius: 8px; }
}
"""


def _boost(css: str, prefix: str = "html body:not(#qa-none) ") -> str:
    """Every selector prefixed with `prefix` (an id's weight, through :not), so that these rules outrank
    Gradio's own element styles (".gradio-container-X [type=submit]" and the like) wherever they meet. :root, .dark and html rules and
    @keyframes steps are left as they are; rules inside @media are prefixed too."""
    pieces = re.split(r"([{}])", css)
    out: list[str] = []
    stack: list[bool] = []  # for each open block: is it @keyframes
    for i, piece in enumerate(pieces):
        if piece == "{":
            stack.append(bool(stack and stack[-1]) or pieces[i - 1].strip().startswith("@keyframes"))
            out.append(piece)
        elif piece == "}":
            if stack:
                stack.pop()
            out.append(piece)
        elif i + 1 < len(pieces) and pieces[i + 1] == "{":  # a selector list or an at-rule's prelude
            head = piece.strip()
            if not head or head.startswith(("@", ":root", ".dark", "html")) or (stack and stack[-1]):
                out.append(piece)
            else:
                out.append("\n" + ", ".join(prefix + sel.strip() for sel in head.split(",")) + " ")
        else:  # declarations
            out.append(piece)
    return "".join(out)


PAGE_CSS = _boost(CSS)


# ---- the page's script ------------------------------------------------------------------------------------
# Loaded once in <head>. The gr.HTML components call into it from js_on_load. It never builds HTML
# from text: fragments come escaped from the server and are moved, cloned or shown.
CHAT_JS = r"""
(() => {
  if (window.hoidap) return;
  const H = window.hoidap = { filters: {articles: [], outlets: [], since: '', until: ''}, seq: 0, version: 0,
    states: {}, open: new Set(), follow: true, maxChars: 1000, lastCopy: '',
    bound: new WeakSet() };  // elements given listeners (a data- attribute would not survive Gradio's re-render)
  const root = document.documentElement;
  const keepLang = () => { if (root.getAttribute('lang') !== 'vi') root.setAttribute('lang', 'vi'); };
  keepLang();
  new MutationObserver(keepLang).observe(root, {attributes: true, attributeFilter: ['lang']});

  // ---- the sources panel ----
  function panel() {
    let p = document.getElementById('qa-panel');
    if (p) return p;
    p = document.createElement('aside');
    p.id = 'qa-panel'; p.hidden = true; p.setAttribute('role', 'dialog'); p.setAttribute('aria-labelledby', 'qa-panel-title');
    p.innerHTML = '<div class="qa-panel-head"><button type="button" class="qa-panel-back" hidden>← Quay lại</button>' +
      '<h2 class="qa-panel-title" id="qa-panel-title"></h2><button type="button" class="qa-panel-close">Đóng</button></div>' +
      '<div class="qa-panel-body" tabindex="-1"></div>';
    document.body.appendChild(p);
    return p;
  }
  H.openPanel = (nodes, title, target) => {
    const p = panel(), body = p.querySelector('.qa-panel-body');
    H.backStack = [];
    p.querySelector('.qa-panel-back').hidden = true;
    body.replaceChildren(...nodes);
    p.querySelector('.qa-panel-title').textContent = title;
    p.hidden = false;
    const focus = target ? body.querySelector(target) : null;
    if (focus) focus.scrollIntoView({block: target === '[data-focus]' ? 'center' : 'start'});
    else body.scrollTop = 0;
    body.focus({preventScroll: true});
  };
  H.closePanel = () => {
    const p = document.getElementById('qa-panel');
    if (!p || p.hidden) return;
    p.hidden = true;
    if (H.opener && document.contains(H.opener)) H.opener.focus({preventScroll: true});
  };
  function openSources(button) {
    const bubble = button.closest('.qa-a');
    const src = bubble && bubble.querySelector('.qa-panel-src');
    if (!src) return;
    H.opener = button;
    const nodes = Array.from(src.cloneNode(true).childNodes);
    H.openPanel(nodes, src.dataset.title || 'Nguồn', `.qa-card[data-n="${button.dataset.n || 1}"]`);
  }
  async function showArticle(button) {
    if (!H.server) return;
    const id = button.dataset.article;
    const marks = (button.dataset.marks || '').split(',').filter(Boolean).map(m => m.split('-').map(Number));
    const focus = (button.dataset.focus || '').split('-').filter(Boolean).map(Number);
    const p = panel(), body = p.querySelector('.qa-panel-body');
    const before = p.hidden ? null : Array.from(body.childNodes);
    const title = p.querySelector('.qa-panel-title').textContent;
    H.opener = H.opener && !p.hidden ? H.opener : button;
    let result;
    try { result = await H.server.article({id: id, marks: marks, focus: focus.length === 2 ? focus : null}); }
    catch (err) { result = {ok: false, message: 'Không mở được bài viết (mất kết nối tới máy chủ?).'}; }
    const holder = document.createElement('div');
    if (result && result.ok) holder.innerHTML = result.html;  // escaped by the server
    else { const e = document.createElement('p'); e.className = 'qa-error'; e.textContent = (result && result.message) || 'Không mở được bài viết.'; holder.appendChild(e); }
    H.openPanel(Array.from(holder.childNodes), (result && result.title) || 'Bài viết', '[data-focus]');
    if (before) { H.backStack = [[before, title]]; p.querySelector('.qa-panel-back').hidden = false; }
  }
  function panelBack() {
    const p = panel(), last = (H.backStack || []).pop();
    if (!last) return;
    p.querySelector('.qa-panel-body').replaceChildren(...last[0]);
    p.querySelector('.qa-panel-title').textContent = last[1];
    p.querySelector('.qa-panel-back').hidden = !(H.backStack || []).length;
  }

  async function copy(button) {
    const text = button.dataset.copy || '';
    H.lastCopy = text;
    let ok = false;
    try { await navigator.clipboard.writeText(text); ok = true; } catch (err) {
      const area = document.createElement('textarea');
      area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
      document.body.appendChild(area); area.select();
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      area.remove();
    }
    const label = button.textContent;
    button.textContent = ok ? 'Đã chép ✓' : 'Không chép được';
    setTimeout(() => { button.textContent = label === 'Đã chép ✓' ? 'Sao chép' : label; }, 1500);
  }

  document.addEventListener('click', (e) => {
    const t = e.target.closest('button');
    if (!t) return;
    if (t.matches('.qa-example, .qa-suggest')) { H.ask && H.ask(t.dataset.q || ''); }
    else if (t.matches('.qa-ref, .qa-open-sources')) { openSources(t); }
    else if (t.matches('.qa-copy')) { copy(t); }
    else if (t.matches('.qa-full, .qa-view')) { showArticle(t); }
    else if (t.matches('.qa-new-chat')) { H.reset && H.reset(); }
    else if (t.matches('.qa-open-filters')) { H.showFilters(); }
    else if (t.matches('.qa-filters-done')) { H.backToBox(); }
    else if (t.matches('.qa-clear-filters')) { H.clearFilters(); }
    else if (t.matches('.qa-panel-close')) { H.closePanel(); }
    else if (t.matches('.qa-panel-back')) { panelBack(); }
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') H.closePanel(); });

  // ---- filters (the collection panel) ----
  function fmt(day) { const p = (day || '').split('-'); return p.length === 3 ? `${p[2]}/${p[1]}/${p[0]}` : day; }
  H.scopeText = () => {
    const f = H.filters, out = [];
    if (f.articles.length) out.push(f.articles.length === 1 ? '1 bài đã chọn' : `${f.articles.length} bài đã chọn`);
    if (f.outlets.length) out.push('nguồn: ' + f.outlets.map(o => o || 'không rõ nguồn').join(', '));
    if (f.since) out.push('từ ' + fmt(f.since));
    if (f.until) out.push('đến ' + fmt(f.until));
    return out.join(' · ');
  };
  H.readFilters = () => {
    const c = document.querySelector('.qa-coll');
    if (!c) return;
    H.filters = {
      articles: Array.from(c.querySelectorAll('input[name=article]:checked')).map(i => i.value),
      outlets: Array.from(c.querySelectorAll('input[name=outlet]:checked')).map(i => i.value),
      since: (c.querySelector('input[name=since]') || {}).value || '',
      until: (c.querySelector('input[name=until]') || {}).value || '',
    };
    H.showScope();
  };
  H.applyFilters = () => {
    const c = document.querySelector('.qa-coll');
    if (!c) return;
    const f = H.filters;
    c.querySelectorAll('input[name=article]').forEach(i => { i.checked = f.articles.includes(i.value); });
    c.querySelectorAll('input[name=outlet]').forEach(i => { i.checked = f.outlets.includes(i.value); });
    const s = c.querySelector('input[name=since]'), u = c.querySelector('input[name=until]');
    if (s) s.value = f.since; if (u) u.value = f.until;
    H.readFilters();
  };
  // a phone shows the collection below the input: the header's "Bộ lọc" opens it and scrolls to it, "Xong" comes back
  H.showFilters = () => {
    const box = document.querySelector('.qa-coll-box');
    if (!box) return;
    box.open = true;
    box.scrollIntoView({block: 'start'});
    box.querySelector('summary').focus({preventScroll: true});
  };
  H.backToBox = () => { if (H.box) { H.box.scrollIntoView({block: 'end'}); H.box.focus({preventScroll: true}); } };
  H.clearFilters = () => { H.filters = {articles: [], outlets: [], since: '', until: ''}; H.applyFilters(); H.showScope(); };
  H.showScope = () => {
    const bar = document.querySelector('.qa-scope-bar');
    if (!bar) return;
    const text = H.scopeText();
    bar.hidden = !text;
    bar.querySelector('.qa-scope-text').textContent = text;
  };
  document.addEventListener('change', (e) => { if (e.target.closest('.qa-coll')) H.readFilters(); });
  document.addEventListener('input', (e) => { if (e.target.closest('.qa-coll') && e.target.type === 'date') H.readFilters(); });

  H.attachCollection = (element, watch) => {
    const restore = () => {
      const box = element.querySelector('.qa-coll-box');
      if (box && window.matchMedia('(max-width: 720px)').matches && !H.collectionTouched) box.open = false;
      else if (box && H.collectionOpen !== undefined) box.open = H.collectionOpen;
      if (box && !H.bound.has(box)) { H.bound.add(box);
        box.addEventListener('toggle', () => { H.collectionOpen = box.open; H.collectionTouched = true; }); }
      H.applyFilters();
    };
    restore();
    watch('value', restore);
  };

  // ---- the composer ----
  function shownLength(text) { return text.replace(/\s+/g, ' ').trim().length; }
  function num(n) { return n.toLocaleString('vi-VN'); }
  H.attachComposer = (element, trigger, props) => {
    H.maxChars = Number(props.max_chars) || H.maxChars;
    const box = element.querySelector('textarea'), form = element.querySelector('form');
    const count = element.querySelector('.qa-count'), error = element.querySelector('.qa-error');
    H.box = box;
    const update = () => {
      const n = shownLength(box.value);
      count.textContent = `${num(n)}/${num(H.maxChars)} ký tự`;
      count.classList.toggle('qa-over', n > H.maxChars);
      box.style.height = 'auto'; box.style.height = Math.min(box.scrollHeight + 2, 180) + 'px';
    };
    H.showError = (message) => {
      error.textContent = message; error.hidden = !message;
      if (message) requestAnimationFrame(() => requestAnimationFrame(() => {  // after the layout has made room
        const r = error.getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) error.scrollIntoView({block: 'nearest'});
      }));
    };
    // the conversation gives up the height the input grows by (a long question, an error, the filter bar),
    // so that the counter and the error stay on screen
    let base = Infinity;
    new ResizeObserver(() => { const h = form.offsetHeight; if (!h) return; base = Math.min(base, h);
      root.style.setProperty('--qa-grow', (h - base) + 'px'); }).observe(form);
    H.refreshBox = update;
    H.ask = (text) => {
      const fromBox = text === undefined;
      const q = fromBox ? box.value : text;
      const n = shownLength(q);
      if (!n) { H.showError('Câu hỏi trống: hãy nhập một câu hỏi về nội dung các bài báo.'); box.focus(); return false; }
      if (n > H.maxChars || q.length > 4 * H.maxChars) {
        H.showError(`Câu hỏi quá dài (${num(n)} ký tự; tối đa ${num(H.maxChars)}): hãy rút gọn hoặc hỏi từng ý một.`);
        box.focus(); return false;
      }
      H.showError('');
      H.seq += 1; H.follow = true;
      trigger('ask', {question: q, seq: H.seq, filters: H.filters});
      if (fromBox) { box.value = ''; update(); }
      return true;
    };
    H.reset = () => { H.showError(''); H.closePanel(); H.states = {}; H.open.clear(); trigger('reset', {}); box.focus(); };
    form.addEventListener('submit', (e) => { e.preventDefault(); H.ask(); });
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); H.ask(); }
    });
    box.addEventListener('input', () => { update(); if (error.textContent && shownLength(box.value)) H.showError(''); });
    update();
    H.showScope();
  };
  H.attachStatus = (element, watch) => {
    const show = () => {
      const p = element.querySelector('[data-error]');
      if (!p || !H.showError) return;
      if (p.dataset.restore && H.box && !H.box.value) { H.box.value = p.dataset.restore; H.refreshBox && H.refreshBox(); }
      H.showError(p.dataset.error || '');
    };
    watch('value', show);
  };

  // ---- the conversation ----
  H.attachChat = (element, props, watch, server) => {
    H.server = server;
    const log = () => element.querySelector('.qa-log');
    let pinned = null;
    const onUser = () => { H.follow = false; };
    const bind = () => {
      const l = log();
      if (l && !H.bound.has(l)) { H.bound.add(l); l.addEventListener('wheel', onUser, {passive: true});
        l.addEventListener('touchmove', onUser, {passive: true});
        l.addEventListener('toggle', (e) => { const d = e.target; if (d.matches && d.matches('details')) {
          const key = d.closest('.qa-turn')?.dataset.seq + ':' + (d.dataset.key || '');
          if (d.open) H.open.add(key); else H.open.delete(key); } }, true); }
    };
    const updated = () => {
      const l = log();
      if (!l) return;
      const v = Number(l.dataset.version || 0);
      if (v < H.version && H.lastHtml) { props.value = H.lastHtml; return; }  // an older render arrived late
      H.version = v; H.lastHtml = props.value;
      bind();
      l.querySelectorAll('.qa-turn details').forEach(d => {
        const key = d.closest('.qa-turn').dataset.seq + ':' + (d.dataset.key || '');
        if (H.open.has(key)) d.open = true;
      });
      let answered = null, added = null;
      l.querySelectorAll('.qa-turn').forEach(t => {
        const seq = t.dataset.seq, state = t.dataset.state, before = H.states[seq];
        if (state === 'done' && before !== 'done') answered = t;
        if (before === undefined && state !== 'done') added = added || t;
        H.states[seq] = state;
      });
      if (!H.follow) return;
      const target = answered || added;
      if (!target) return;
      l.scrollTop = Math.max(0, target.offsetTop - 6);
      const box = l.getBoundingClientRect();
      if (box.top < 0 || box.top > window.innerHeight * 0.5) window.scrollBy(0, box.top - 4);
      if (answered) {
        const live = document.getElementById('qa-live');
        const a = answered.querySelector('.qa-llm-note, .qa-missing, .qa-short, .qa-llm-text, .qa-refusal-title, .qa-sum-title, .qa-quote');
        if (live && a) live.textContent = 'Đã trả lời: ' + a.textContent.slice(0, 200);
      }
    };
    updated();
    watch('value', updated);
  };
})();
"""

COMPOSER_HTML = """
<form class="qa-form" autocomplete="off" novalidate>
  <div class="qa-scope-bar" hidden><span>Đang lọc:</span> <span class="qa-scope-text"></span>
    <button type="button" class="qa-clear-filters">Bỏ lọc</button></div>
  <div class="qa-input-row">
    <label for="qa-box" class="qa-sr">Câu hỏi của bạn</label>
    <textarea id="qa-box" rows="1" placeholder="Nhập câu hỏi…" aria-describedby="qa-count qa-error"></textarea>
    <button type="submit" class="qa-send">Hỏi</button>
  </div>
  <div class="qa-under"><span id="qa-count" class="qa-count" aria-live="off"></span>
    <span class="qa-hint">Enter để gửi · Shift+Enter xuống dòng</span></div>
  <p id="qa-error" class="qa-error" role="alert" hidden></p>
  <p id="qa-live" class="qa-sr" aria-live="polite"></p>
</form>
"""
