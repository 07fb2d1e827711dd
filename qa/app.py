"""Chat UI (Gradio 6): ask in Vietnamese or English, get a short cited answer with its sources.

`build_app(engine)` makes the page, `serve(...)` loads an index and runs it (what `qa serve` calls).

Everything shown comes from articles and questions, so it is escaped (html.escape) before it goes
into the HTML of a message; the Chatbot also sanitises what it renders. The page needs no network:
system fonts, no share link, no analytics. The stable API is one endpoint, `/chat`, that takes the
question and returns the answer and its sources as plain text; the UI's own events are private.
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no phoning home

import html  # noqa: E402
import ipaddress  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

import gradio as gr  # noqa: E402

from .errors import QAError  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine
    from .records import Answer, Hit

log = logging.getLogger(__name__)

TITLE = "hoi-dap"
DESCRIPTION = ("Hỏi đáp trên các bài báo tiếng Việt: câu trả lời ngắn, trích nguyên văn từ bài viết, "
               "kèm nguồn để bạn kiểm tra.")
EXAMPLES = [
    "Quyết định 2200-QĐ/TU được ban hành ngày nào?",
    "quyet dinh 2200 ban hanh ngay nao",
    "When was Decision 2200-QĐ/TU issued?",
    "Quận Bắc Từ Liêm đã tổ chức bao nhiêu hội nghị đối thoại?",
]
CONCURRENCY = 4  # questions answered at once; retrieval is read-only, the embedder locks itself
NEAREST_ON_ABSTAIN = 3  # passages shown when there is no answer
PRIMARY_CONTEXT = 320  # characters of article text shown around the answer sentence, each side
EXCERPT_CHARS = 360  # characters shown of each further source

_SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue",
                 "Arial", "DejaVu Sans", "sans-serif"]
_MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "monospace"]

CSS = """
.qa-header h1 { font-size: 1.9rem; font-weight: 700; margin: 0 0 .15rem 0; letter-spacing: -.01em; }
.qa-header p { margin: 0; color: var(--body-text-color-subdued); font-size: 1rem; }
.qa-header .qa-stats { font-size: .85rem; margin-top: .3rem; }
.qa-a { line-height: 1.55; }
.qa-a .qa-text { font-size: 1.02rem; margin: 0 0 .6rem 0; }
.qa-a .qa-short { font-weight: 700; }
.qa-a .qa-ref { font-size: .75em; font-weight: 600; vertical-align: super; color: var(--color-accent);
  margin-left: 1px; }
.qa-a .qa-abstain { font-weight: 600; margin: 0 0 .5rem 0; }
.qa-a .qa-error { margin: 0; color: var(--error-text-color); }
.qa-a details { border: 1px solid var(--border-color-primary); border-radius: 8px; margin-top: .5rem;
  background: var(--background-fill-primary); }
.qa-a summary { cursor: pointer; padding: .4rem .7rem; font-weight: 600; font-size: .9rem;
  color: var(--body-text-color-subdued); }
.qa-a .qa-sources { padding: 0 .7rem .5rem .7rem; }
.qa-a .qa-src { padding: .55rem 0; border-top: 1px solid var(--border-color-primary); }
.qa-a .qa-main { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0 .7rem;
  background: var(--background-fill-primary); }
.qa-a .qa-main .qa-src, .qa-a .qa-sources .qa-src:first-child { border-top: none; }
.qa-a .qa-src-head { font-weight: 600; font-size: .93rem; }
.qa-a .qa-num { display: inline-block; min-width: 1.8em; color: var(--color-accent); }
.qa-a .qa-meta { font-size: .8rem; color: var(--body-text-color-subdued); margin: .1rem 0 .35rem 1.8em; }
.qa-a .qa-meta code { font-size: .78rem; padding: 0 .25em; }
.qa-a .qa-passage { font-size: .88rem; margin: 0 0 0 1.8em; padding: .35rem .6rem;
  border-left: 3px solid var(--border-color-primary); color: var(--body-text-color); }
.qa-a .qa-src.qa-primary .qa-passage { border-left-color: var(--color-accent); }
.qa-a .qa-sent { background: rgba(250, 204, 21, .16); }
.qa-a mark { background: #fde047; color: #111827; padding: 0 .15em; border-radius: 3px; font-weight: 600; }
.dark .qa-a mark { background: #ca8a04; color: #fff; }
.qa-a .qa-note { font-size: .8rem; color: var(--body-text-color-subdued); margin: .25rem 0 0 0; }
.qa-q { white-space: pre-wrap; }
footer { opacity: .8; }
"""


def make_theme() -> gr.themes.Base:
    """The default Gradio look with system fonts: the stock theme would fetch Google Fonts."""
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=_SYSTEM_FONTS, font_mono=_MONO_FONTS)


# ---- rendering ------------------------------------------------------------------------------------
def _esc(text: str) -> str:
    """Article or user text as HTML text: escaped, paragraph breaks kept, never a blank line.

    A blank line would end the HTML block in the Chatbot's Markdown renderer, so newlines become <br>.
    """
    escaped = html.escape(text, quote=True)
    escaped = re.sub(r"\n\s*\n+", "<br><br>", escaped)
    return escaped.replace("\n", "<br>")


def _date(published: str | None) -> str:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", published or "")
    return f"{m[3]}/{m[2]}/{m[1]}" if m else (published or "")


_REF = re.compile(r"\[(\d{1,2})\]")


def _answer_text_html(text: str, span: str) -> str:
    """The answer line: escaped, the short answer in bold, [n] markers as superscripts."""
    at = text.find(span) if span else -1
    if at >= 0:
        body = _esc(text[:at]) + f'<strong class="qa-short">{_esc(span)}</strong>' + _esc(text[at + len(span):])
    else:
        body = _esc(text)
    return _REF.sub(r'<sup class="qa-ref">[\1]</sup>', body)


def _valid(span: Any, length: int) -> tuple[int, int] | None:
    if not span or span[0] is None or span[1] is None:
        return None
    s, e = int(span[0]), int(span[1])
    return (s, e) if 0 <= s < e <= length else None


def _cut_left(text: str, at: int, limit: int) -> int:
    """A start at most `limit` characters before `at`, moved to a word boundary."""
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


def _passage_html(text: str, start: int, end: int, sentence: tuple[int, int] | None,
                  mark: tuple[int, int] | None) -> str:
    """text[start:end] escaped, with the answer sentence tinted and the short answer in <mark>.

    `sentence` and `mark` must lie inside [start, end], and `mark` inside `sentence` when both are given.
    """
    def marked(a: int, b: int) -> str:
        if mark is None or not (a <= mark[0] and mark[1] <= b):
            return _esc(text[a:b])
        return _esc(text[a:mark[0]]) + f"<mark>{_esc(text[mark[0]:mark[1]])}</mark>" + _esc(text[mark[1]:b])

    if sentence is not None:
        body = (_esc(text[start:sentence[0]]) + f'<span class="qa-sent">{marked(*sentence)}</span>'
                + _esc(text[sentence[1]:end]))
    else:
        body = marked(start, end)
    lead = "… " if start > 0 and text[start - 1] != "\n" else ""
    tail = " …" if end < len(text) and text[end:end + 1] != "\n" else ""
    return lead + body + tail


def _source_html(number: int, hit: Hit, passage: str, primary: bool = False) -> str:
    meta = [html.escape(hit.outlet)] if hit.outlet else []
    meta.append(html.escape(_date(hit.published)) if hit.published else "không rõ ngày đăng")
    meta.append(f"<code>{html.escape(hit.source)}</code>")
    return (f'<div class="qa-src{" qa-primary" if primary else ""}">'
            f'<div class="qa-src-head"><span class="qa-num">[{number}]</span>{html.escape(hit.title)}</div>'
            f'<div class="qa-meta">{" · ".join(meta)}</div>'
            f'<div class="qa-passage">{passage}</div></div>')


def _excerpt_html(engine: Engine, hit: Hit, limit: int = EXCERPT_CHARS) -> str:
    article = engine.articles.get(hit.article_id)
    text = article.text if article is not None else hit.text
    start, end = (hit.start, hit.end) if article is not None else (0, len(hit.text))
    start, end = max(0, start), min(len(text), end)
    if article is not None and start == 0 and hit.title and text.startswith(hit.title):
        body_at = len(text) - len(text[len(hit.title):].lstrip())  # skip the headline: it is shown above
        start = body_at if body_at < end else start
    mark = _valid(hit.highlight, len(text)) if article is not None else None
    if mark and not (start <= mark[0] and mark[1] <= end):
        mark = None
    if end - start > limit:
        if mark:  # keep the marked words in view
            start = max(start, _cut_left(text, mark[0], limit // 2))
        end = _cut_right(text, start, limit)
        if mark and mark[1] > end:
            mark = None
    return _passage_html(text, start, end, None, mark)


def _primary_html(engine: Engine, answer: Answer) -> str:
    """The passage the answer came from: its sentence tinted, the short answer marked."""
    hit = answer.citations[0]
    article = engine.articles.get(hit.article_id)
    if article is None:
        return _excerpt_html(engine, hit)
    text = article.text
    sentence = _valid((answer.start, answer.end), len(text))
    if sentence is None:
        return _excerpt_html(engine, hit)
    mark = _valid(hit.highlight, len(text))
    if (mark is None or not (sentence[0] <= mark[0] and mark[1] <= sentence[1])) and answer.span:
        at = text.find(answer.span, sentence[0], sentence[1])
        mark = (at, at + len(answer.span)) if at >= 0 else None
    if mark is not None and not (sentence[0] <= mark[0] and mark[1] <= sentence[1]):
        mark = None
    if mark is None:  # no short answer inside the sentence: the sentence is the answer
        mark = sentence
    # The answer sentence with some of its chunk around it.
    start = max(min(hit.start, sentence[0]), _cut_left(text, sentence[0], PRIMARY_CONTEXT))
    end = min(max(hit.end, sentence[1]), _cut_right(text, sentence[1], PRIMARY_CONTEXT))
    paragraph = text.rfind("\n", 0, sentence[0]) + 1  # from the answer's paragraph on: the title is shown above
    start = max(0, min(max(start, paragraph), sentence[0]))
    end = min(len(text), max(end, sentence[1]))
    return _passage_html(text, start, end, sentence, mark)


def render_answer_html(engine: Engine, answer: Answer) -> str:
    """One assistant message: the answer with [n] markers, then its sources, as one HTML block."""
    if answer.abstained or not answer.citations:
        nearest = list(answer.citations[:NEAREST_ON_ABSTAIN])
        if not nearest and answer.question:
            try:
                nearest = engine.search(answer.question, k=NEAREST_ON_ABSTAIN)
            except QAError:
                nearest = []
        parts = [f'<div class="qa-a"><p class="qa-abstain">{_esc(answer.text)}</p>']
        if nearest:
            parts.append('<details open><summary>Các đoạn gần nhất (không đoạn nào trả lời câu hỏi)</summary>'
                         '<div class="qa-sources">')
            parts += [_source_html(i, hit, _excerpt_html(engine, hit)) for i, hit in enumerate(nearest, 1)]
            parts.append("</div></details>")
        parts.append("</div>")
        return "".join(parts)

    parts = [f'<div class="qa-a"><p class="qa-text">{_answer_text_html(answer.text, answer.span)}</p>',
             '<div class="qa-sources qa-main">',
             _source_html(1, answer.citations[0], _primary_html(engine, answer), primary=True), "</div>"]
    others = answer.citations[1:]
    if others:
        parts.append(f'<details><summary>Các nguồn khác ({len(others)})</summary><div class="qa-sources">')
        parts += [_source_html(i, hit, _excerpt_html(engine, hit)) for i, hit in enumerate(others, 2)]
        parts.append("</div></details>")
    parts.append("</div>")
    return "".join(parts)


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > limit // 2 else limit] + " …"


def render_answer_text(answer: Answer) -> str:
    """The plain-text reply of the API: the answer, then the numbered sources, each with its passage."""
    lines = [answer.text]
    if answer.citations:
        lines += ["", "Các đoạn gần nhất:" if answer.abstained else "Nguồn:"]
        for i, hit in enumerate(answer.citations, 1):
            details = [hit.title]
            if hit.outlet:
                details.append(hit.outlet)
            details.append(hit.published or "không rõ ngày đăng")
            details.append(hit.source)
            lines.append(f"[{i}] " + " — ".join(details))
            lines.append(f"    {_one_line(hit.text, 200)}")
    return "\n".join(lines)


def render_question_html(question: str) -> str:
    return f'<div class="qa-q">{_esc(question)}</div>'


def render_error_html(message: str) -> str:
    return f'<div class="qa-a"><p class="qa-error">⚠ {_esc(message)}</p></div>'


INTERNAL_ERROR = "Đã xảy ra lỗi khi trả lời câu hỏi này; chi tiết có trong nhật ký của máy chủ."


def _ask(engine: Engine, question: str) -> tuple[Answer | None, str | None]:
    """(answer, None) or (None, message to show): a user's mistake or our failure, never a traceback."""
    try:
        return engine.ask(question if isinstance(question, str) else ""), None
    except QAError as exc:
        return None, str(exc)
    except Exception:  # noqa: BLE001 - the user sees one line, the log keeps the traceback
        log.exception("answering %r failed", question)
        return None, INTERNAL_ERROR


# ---- the page -------------------------------------------------------------------------------------
class HoiDapBlocks(gr.Blocks):
    """gr.Blocks whose launch() defaults to this app's offline look and never opens a share link.

    Gradio 6 takes theme, css and footer_links in launch(), not in the Blocks constructor.
    """

    def launch(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        if kwargs.get("share"):
            raise QAError("hoi-dap does not open public share links; use --host to serve on your network")
        kwargs["share"] = False
        kwargs.setdefault("theme", make_theme())
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("footer_links", ["api", "settings"])
        kwargs.setdefault("ssr_mode", False)
        kwargs.setdefault("mcp_server", False)
        kwargs.setdefault("pwa", False)
        kwargs.setdefault("enable_monitoring", False)
        kwargs.setdefault("max_file_size", "1mb")  # the chat takes no files: refuse big anonymous uploads
        return super().launch(*args, **kwargs)


def _header_html(engine: Engine) -> str:
    counts = getattr(engine, "manifest", {}).get("counts", {})
    stats = ""
    if counts.get("articles"):
        stats = (f'<p class="qa-stats">Kho dữ liệu: {int(counts["articles"])} bài báo, '
                 f'{int(counts.get("chunks", 0))} đoạn văn.</p>')
    return (f'<div class="qa-header"><h1>{TITLE}</h1><p>{html.escape(DESCRIPTION)}</p>{stats}</div>')


def build_app(engine: Engine, examples: list[str] | None = None) -> gr.Blocks:
    """The chat page for `engine`, with its queue set up; call `.launch()` on it (see `serve`).

    `examples` are the clickable sample questions (default: `EXAMPLES`, written for the bundled seeds).
    """

    def chat(message: str) -> str:
        """Answer a question about the articles. Returns the short answer with [n] markers, then the
        numbered sources (title, outlet, date, file); or a line saying why there is no answer."""
        answer, error = _ask(engine, message)
        return error if answer is None else render_answer_text(answer)

    chat.__annotations__ = {"message": str, "return": str}  # real types: gr.api documents the endpoint from them

    def add_question(message: str, history: list) -> tuple[list, str, str]:
        history = list(history or [])
        message = message if isinstance(message, str) else ""
        if message.strip():
            history.append({"role": "user", "content": render_question_html(message)})
        return history, "", message

    def answer_question(message: str, history: list) -> list:
        answer, error = _ask(engine, message)
        content = render_error_html(error) if answer is None else render_answer_html(engine, answer)
        return list(history or []) + [{"role": "assistant", "content": content}]

    with HoiDapBlocks(title="hoi-dap · Hỏi đáp tin tức", analytics_enabled=False, fill_width=False) as demo:
        gr.HTML(_header_html(engine), padding=False, js_on_load=None)
        chatbot = gr.Chatbot(
            label="Hội thoại", show_label=False, height="64vh", min_height=420, elem_id="qa-chat",
            sanitize_html=True, allow_tags=False, render_markdown=True, latex_delimiters=[],
            buttons=["copy"], feedback_options=None, layout="bubble",
            placeholder="<b>Đặt một câu hỏi về nội dung các bài báo</b><br>"
                        "Có thể gõ không dấu hoặc bằng tiếng Anh. Mỗi câu trả lời kèm nguồn trích dẫn.",
        )
        pending = gr.State("")
        with gr.Row():
            box = gr.Textbox(show_label=False, placeholder="Nhập câu hỏi, ví dụ: Quyết định 2200-QĐ/TU được "
                             "ban hành ngày nào?", lines=1, max_lines=4, autofocus=True, submit_btn="Hỏi",
                             elem_id="qa-input", scale=8)
        samples = list(EXAMPLES if examples is None else examples)
        triggers = [box.submit]
        with gr.Row():
            if samples:
                example_list = gr.Examples(examples=[[q] for q in samples], inputs=[box], label="Câu hỏi mẫu",
                                           api_visibility="private", examples_per_page=len(samples))
                triggers.append(example_list.load_input_event.then)  # a click on an example asks it
            gr.ClearButton([chatbot, box], value="Xoá hội thoại", size="sm", scale=0, min_width=140)

        for trigger in triggers:  # UI events are private: the API is /chat alone
            trigger(add_question, [box, chatbot], [chatbot, box, pending], queue=False,
                    api_visibility="private").then(
                answer_question, [pending, chatbot], [chatbot], concurrency_id="qa", show_progress="minimal",
                api_visibility="private")

        gr.api(chat, api_name="chat", concurrency_id="qa")

    demo.queue(default_concurrency_limit=CONCURRENCY)
    return demo


# ---- serving --------------------------------------------------------------------------------------
def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """'user:password' (or $QA_AUTH when auth is None) as a (user, password) pair; None for no login."""
    if auth is None:
        auth = os.environ.get("QA_AUTH") or None
    if auth is None:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise QAError("--auth / QA_AUTH must be user:password, e.g. --auth admin:secret")
    return user, password


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(index: str = "index", host: str = "127.0.0.1", port: int = 7860, auth: str | None = None) -> None:
    """Load `index` and serve the chat on http://host:port until interrupted (what `qa serve` runs)."""
    from .engine import Engine

    credentials = parse_auth(auth)
    engine = Engine.load(index)
    warning = engine.staleness_warning()
    if warning:
        print(f"qa: warning: {warning}", file=sys.stderr)
    if not _is_loopback(host) and credentials is None:
        print(f"qa: warning: serving on {host} without a login; anyone who can reach it can use it "
              "(add --auth user:password)", file=sys.stderr)
    try:  # load the embedding model now rather than on the first question
        engine.search("khởi động", k=1)
    except QAError:
        pass
    demo = build_app(engine)
    try:
        _, url, _ = demo.launch(server_name=host, server_port=port, auth=credentials, prevent_thread_lock=True,
                                auth_message="Đăng nhập để dùng hoi-dap." if credentials else None,
                                show_error=False, quiet=True)
    except OSError as exc:  # e.g. the port is taken
        raise QAError(f"cannot serve on {host}:{port}: {exc}") from None
    print(f"hoi-dap: serving {engine.manifest.get('counts', {}).get('articles', '?')} articles from {index} "
          f"on {url}{' (login required)' if credentials else ''}; Ctrl+C to stop", flush=True)
    demo.block_thread()

__all__ = ["build_app", "serve", "parse_auth", "render_answer_html", "render_answer_text", "EXAMPLES"]
