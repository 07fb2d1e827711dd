"""An answer as HTML: the short answer, its quote and sources, the side panel, refusals and problems.

Pure functions of the records (Answer, Hit, Article) and the engine's articles. Everything that
comes from an article or a user is escaped here (html.escape, quotes included) before it becomes
HTML, so the page can render it as it is; the script (static/chat.js) only moves these fragments
around and never builds HTML from text. The words themselves (labels, the tentative line, what no
article mentions) are qa/web/present.py's, shared with the CLI, /chat and Copy.
"""
from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable

from ..text.vocabulary import METADATA_NAMES
from .present import (NEAREST_ON_ABSTAIN, REF, article_date, citation_label, copy_text, dropped_line, llm_label,
                      maybe_parts, missing_line, percent, presentation, quote_of, short_span, supporting, thousands,
                      verified_claims)

if TYPE_CHECKING:  # pragma: no cover
    from ..answer.conversation import Resolution
    from ..engine import Engine
    from ..records import Answer, Article, Hit

PASSAGE_CONTEXT = 320  # characters of article text shown around the answer sentence, each side
EXCERPT_CHARS = 360  # characters shown of a related passage


# ---- small pieces ---------------------------------------------------------------------------------
def esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def br(text: str) -> str:
    """Escaped text with its paragraph breaks as <br> (inline contexts)."""
    escaped = esc(text)
    escaped = re.sub(r"\n\s*\n+", "<br><br>", escaped)
    return escaped.replace("\n", "<br>")


def meta_html(article: Article | None, hit: Hit | None = None, chunks: int | None = None) -> str:
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


def valid_span(span: Any, length: int) -> tuple[int, int] | None:
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
        piece = br(text[a:b])
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
    mark = valid_span(hit.highlight, len(text)) if hit.highlight else None
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
    sentence = valid_span((answer.start, answer.end), len(text))
    mark = valid_span(hit.highlight, len(text)) if hit.highlight else None
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


def _with_refs_html(text: str) -> str:
    """Escaped text with each [n] as a button that opens source n."""
    out, at = [], 0
    for m in REF.finditer(text):
        out.append(br(text[at:m.start()]) + " " + _ref_button(int(m.group(1))))
        at = m.end()
    return "".join(out) + br(text[at:])


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
        parts.append(f'<p class="qa-lowconf" role="note">{esc(dropped_line(answer))}</p>')
    parts.append('<p class="qa-nearest-label">Trích nguyên văn:</p>')
    parts += [f'<blockquote class="qa-quote"><mark>{br(claim["quote"])}</mark> {_ref_button(claim["citation"])}'
              '</blockquote>' for claim in verified_claims(answer)]
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
            f'<p class="qa-provisional" aria-live="off">{br(text)}</p></div>')


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
        return br(quote)
    return br(quote[:at]) + f"<mark>{br(span)}</mark>" + br(quote[at + len(span):])


def _card_html(engine: Engine, n: int, hit: Hit, passage: str, marks: list[tuple[int, int]],
               focus: tuple[int, int] | None, role: str) -> str:
    article = engine.articles.get(hit.article_id)
    title = article.title if article is not None else hit.title
    marks_attr = ",".join(f"{a}-{b}" for a, b in marks)
    focus_attr = f"{focus[0]}-{focus[1]}" if focus else (f"{hit.start}-{hit.end}")
    return (f'<article class="qa-card qa-card-{role}" data-n="{n}" data-article="{esc(hit.article_id)}">'
            f'<h4 class="qa-card-title"><span class="qa-num">[{n}]</span> {esc(title)}</h4>'
            f'<p class="qa-card-meta">{meta_html(article, hit)}</p>'
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
            marks = [(c["start"], c["end"]) for c in verified_claims(answer) if c["citation"] == n]
            start = _skip_title(article, hit.start, hit.end)
            passage = _passage_html(article.text, start, hit.end, [(a, b, "mark") for a, b in marks])
            cards.append(_card_html(engine, n, hit, passage, marks, marks[0] if marks else None, "source"))
        elif answer.kind == "summary" and answer.summary and n == sources[0]:
            spans = [s for s in (valid_span(x, len(article.text)) for x in answer.summary) if s]
            passage = "".join(f'<p class="qa-sum-src">{_passage_html(article.text, a, b, [(a, b, "sent")])}</p>'
                              for a, b in spans)
            cards.append(_card_html(engine, n, hit, passage, spans, spans[0] if spans else None, "source"))
        elif n == sources[0]:
            passage, sentence, mark = answer_passage(article, answer, hit, mark_span=not nearest)
            marks = [m for m in ((sentence if nearest else mark or sentence),) if m]
            cards.append(_card_html(engine, n, hit, passage, marks, marks[0] if marks else None, "source"))
        else:
            mark = valid_span(hit.highlight, len(article.text)) if hit.highlight and not nearest else None
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
    quote = quote_of(answer)
    span = short_span(answer, quote)
    if answer.kind == "summary" and answer.summary and article is not None:
        spans = [s for s in (valid_span(x, len(article.text)) for x in answer.summary) if s]
        parts.append(f'<p class="qa-sum-title">Tóm tắt bài «{esc(title)}»</p><ol class="qa-sum">')
        parts += [f"<li>{br(article.text[a:b])} {_ref_button(sources[0])}</li>" for a, b in spans]
        parts.append("</ol>")
        if mode != "answer":
            parts.append(f'<p class="qa-lowconf" role="note"><strong>Độ tin cậy thấp</strong> '
                         f'({percent(answer.confidence)}): hãy đối chiếu với đoạn trích trước khi dùng.</p>')
    elif answer.metadata:
        what = METADATA_NAMES.get(answer.metadata, answer.metadata)
        if mode == "answer":
            parts.append(f'<p class="qa-short">{br(span)}</p>')
        parts.append(f'<p class="qa-metadata-note">Đây là {esc(what)} của bài «{esc(title)}» {refs}, lấy từ thông tin '
                     f'của trang báo (không phải từ nội dung bài).</p>')
    else:
        if mode == "answer" and span:
            parts.append(f'<p class="qa-short">{br(span)}</p>')
        if mode == "nearest":
            parts.append('<p class="qa-nearest-label">Đoạn gần nhất (không phải câu trả lời):</p>')
        shown = _quote_html(quote, span, _span_in_quote(answer, quote, span)) if mode != "nearest" else br(quote)
        parts.append(f'<blockquote class="qa-quote">{shown} {refs}</blockquote>')
    if mode == "tentative" and answer.kind != "summary":
        lead, candidate, note = maybe_parts(answer)
        parts.append(f'<p class="qa-lowconf qa-maybe" role="note">{esc(lead)}'
                     f'{f"<mark>{br(candidate)}</mark>" if candidate else ""}{esc(note)}</p>')
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
