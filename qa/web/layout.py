"""The page around the answers, as HTML: the turns of the conversation, the welcome, the header, the
collection with its filters, an article in full; and the page's CSS, script and input form, read from
qa/web/static/. Escaped as qa/web/views.py escapes."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING

from .present import date_label, thousands
from .views import br, esc, marked_html, meta_html, streaming_html, valid_span

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Engine
    from ..records import Article

LISTED_ARTICLES = 300  # articles listed in the collection panel (the filters reach all of them)
# what a date range does, as Filters.allows does it: the stated date, else the one inferred from the text
DATE_FILTER_NOTE = ("Lọc theo ngày dùng ngày đăng, hoặc ngày suy ra từ nội dung (ghi «khoảng …») khi trang không "
                    "ghi ngày; bài không rõ ngày, hay chỉ rõ năm, bị loại.")


# ---- the conversation ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TurnView:
    seq: int
    asked: str
    state: str  # "waiting", "answering", "done"
    body: str = ""  # the answer's HTML (done)
    understood: str = ""  # "Hiểu là: …" when the question was read as a follow-up, or with its diacritics put back
    scope: str = ""  # the filters it was answered under, in words
    ahead: int = 0  # waiting: questions before it
    provisional: str = ""  # answering: a language model's words so far (unverified)
    model: str = ""  # that model's name


def turn_html(turn: TurnView) -> str:
    parts = [f'<section class="qa-turn" data-seq="{turn.seq}" data-state="{turn.state}" aria-label="Câu hỏi {turn.seq}">',
             f'<div class="qa-q"><span class="qa-sr">Bạn hỏi: </span>{br(turn.asked)}</div>']
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
                    f'<p class="qa-art-meta">{meta_html(a, None, chunks_per_article.get(a.id, 0))}</p>'
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
    marks = [m for m in (valid_span(x, len(text)) for x in marks) if m]
    focus = valid_span(focus, len(text)) if focus else (marks[0] if marks else None)
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
            f'<p class="qa-card-meta">{meta_html(article, None, chunks)}{link}</p>'
            f'<p class="qa-muted qa-doc-file">Tệp: {esc(article.source)}</p>'
            f'<div class="qa-doc-body">{"".join(paragraphs)}</div></article>')


# ---- the page's style, script and input (qa/web/static/) --------------------------------------------


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


def _static(name: str) -> str:
    return files(__package__).joinpath("static", name).read_text(encoding="utf-8")


# Colours meet WCAG AA (4.5:1 for text) on their backgrounds in both schemes; the theme's own
# "subdued" grey is not used for text.
PAGE_CSS = _boost(_static("chat.css"))
# Loaded once in <head>. The gr.HTML components call into it from js_on_load. It never builds HTML
# from text: fragments come escaped from the server and are moved, cloned or shown.
CHAT_JS = _static("chat.js")
COMPOSER_HTML = _static("composer.html")
