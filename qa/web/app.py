"""Chat UI (Gradio 6): ask in Vietnamese or English, get a short cited answer with its sources.

`build_app(engine)` makes the page: a `ChatPage` holds what its events share (the served index, the
parts made once per index) and answers them; the use case itself is qa/web/chat.py, the HTML
qa/web/views.py and qa/web/layout.py, and `serve` (qa/web/serve.py) runs it (what `qa serve` calls).

How a question travels: the page's script sends it with a per-page sequence number and the filters
of the moment (`ask` event, not queued); it becomes a turn of the session's `Conversation` at once
(shown with "Đang chờ…"). A queued runner then answers the session's waiting turns one by one, in
order, each from the question stored in its own turn: answers cannot cross, and a question sent
while another is pending waits its turn. Every render of the conversation carries a version, and
the page ignores a render older than the one it shows.

Public API endpoints: `/ask` (JSON: the answer, its span, confidence, sources with offsets) and
`/chat` (the same as plain text). The page's own events are private.
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no phoning home

import itertools  # noqa: E402
import logging  # noqa: E402
import queue  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

import gradio as gr  # noqa: E402

from ..answer.conversation import Previous, Resolution  # noqa: E402
from ..engine import MAX_QUESTION_CHARS, clean_question  # noqa: E402
from ..errors import QAError, QuestionError  # noqa: E402
from .chat import (INTERNAL_ERROR, Outcome, answer_question, clean_filters, derived_examples, outcome_dict,  # noqa: E402
                   outcome_html, user_message)
from .layout import (CHAT_JS, COMPOSER_HTML, PAGE_CSS, article_view_html, collection_html, coverage_html,  # noqa: E402
                   header_html, log_html, welcome_html)
from .present import answer_text, stats_text  # noqa: E402
from .serving import EngineHolder, GuardState, RequestGuard  # noqa: E402
from .session import MAX_WAITING, SHOWN_TURNS, Conversation, Turn  # noqa: E402
from .views import error_html, esc  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Engine

log = logging.getLogger("qa.web")

TITLE = "hoi-dap"
DESCRIPTION = ("Hỏi đáp trên các bài báo tiếng Việt: câu trả lời ngắn, trích nguyên văn từ bài viết, "
               "kèm nguồn để bạn kiểm tra.")
CONCURRENCY = 4  # questions answered at once; retrieval is read-only, the embedder locks itself
QUEUE_SIZE = 256  # events waiting in Gradio's queue before new ones are refused
STREAM_EVERY = 0.08  # seconds between renders of a language model's words as they stream in
_SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue",
                 "Arial", "DejaVu Sans", "sans-serif"]
_MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "monospace"]


def make_theme() -> gr.themes.Base:
    """The default Gradio look with system fonts: the stock theme would fetch Google Fonts."""
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=_SYSTEM_FONTS, font_mono=_MONO_FONTS)


# ---- the page -------------------------------------------------------------------------------------------------
class HoiDapBlocks(gr.Blocks):
    """gr.Blocks whose launch() defaults to this app's offline, Vietnamese look and puts the request
    guard in front of Gradio. Gradio 6 takes theme, css, head and footer_links in launch()."""

    guard: GuardState

    def launch(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        from starlette.middleware import Middleware

        if kwargs.get("share"):
            raise QAError("hoi-dap does not open public share links; use --host to serve on your network")
        kwargs["share"] = False
        kwargs.setdefault("theme", make_theme())
        # Our CSS goes in <head> as it is: Gradio's `css=` prefixes rules inside @media with its own
        # container selector, which breaks the phone layout's :root variables and outer paddings.
        kwargs.setdefault("head", f"<style>{PAGE_CSS}</style><script>{CHAT_JS}</script>")
        kwargs.setdefault("footer_links", [])  # the page has its own Vietnamese footer
        kwargs.setdefault("ssr_mode", False)
        kwargs.setdefault("mcp_server", False)
        kwargs.setdefault("pwa", False)
        kwargs.setdefault("run_history", False)
        kwargs.setdefault("enable_monitoring", False)
        kwargs.setdefault("max_file_size", "1mb")  # the chat takes no files
        app_kwargs = dict(kwargs.get("app_kwargs") or {})
        app_kwargs["middleware"] = [*app_kwargs.get("middleware", []), Middleware(RequestGuard, state=self.guard)]
        kwargs["app_kwargs"] = app_kwargs
        return super().launch(*args, **kwargs)


def _footer_html() -> str:
    return ('<footer class="qa-footer">hoi-dap · câu trả lời trích nguyên văn từ các bài báo trong kho; hãy mở nguồn '
            'để kiểm tra. Dành cho lập trình viên: điểm cuối <code>/ask</code> (JSON) và <code>/chat</code> '
            '(văn bản), xem README.</footer>')


class ChatPage:
    """What the page's events share, and the events themselves: the served index (an EngineHolder that
    reloads it), the parts of the page made once per index, and the handlers Gradio calls."""

    def __init__(self, holder: EngineHolder, examples: list[str] | None = None):
        self.holder = holder
        self.examples = examples
        self.counter = itertools.count(1)
        self.cache: dict[str, tuple[int, Any]] = {}

    # -- the parts made once per index --
    def cached(self, name: str, make) -> Any:
        """What depends only on the index (header, article list, welcome, examples, coverage) is made
        once per index."""
        generation = self.holder.generation
        hit = self.cache.get(name)
        if hit is None or hit[0] != generation:
            hit = self.cache[name] = (generation, make())
        return hit[1]

    def sample_questions(self) -> list[str]:
        """The sample questions of the index being served (read them, do not change them)."""
        if self.examples is not None:
            return self.cached("examples", lambda: list(self.examples))
        return self.cached("examples", lambda: derived_examples(self.holder.engine, self.holder.chunks_per_article()))

    def welcome(self) -> str:
        """What an empty chat shows: the collection in numbers and the sample questions."""
        def make() -> str:
            current = self.holder.engine
            return welcome_html(self.sample_questions(), stats_text(len(current.articles), len(current.chunks)))

        return self.cached("welcome", make)

    def coverage(self) -> str:
        """What the collection covers, said when a question is not answered by it."""
        return self.cached("coverage", lambda: coverage_html(self.holder.engine, self.holder.chunks_per_article()))

    def header(self) -> str:
        current = self.holder.engine
        return self.cached("header", lambda: header_html(len(current.articles), len(current.chunks), TITLE, DESCRIPTION))

    def collection(self) -> str:
        return self.cached("collection", lambda: collection_html(self.holder.engine, self.holder.chunks_per_article(),
                                                                 self.holder.generation))

    def render(self, conv: Conversation) -> str:
        """The whole conversation; call holding conv.lock."""
        conv.version += 1
        return log_html(conv.views(), conv.version, "" if conv.turns else self.welcome(),
                        hidden=max(0, len(conv.turns) - SHOWN_TURNS))

    def status(self, message: str = "", restore: str = "") -> str:
        if not message:
            return ""
        return (f'<p class="qa-sr" data-error="{esc(message)}" data-restore="{esc(restore)}" '
                f'data-n="{next(self.counter)}">{esc(message)}</p>')

    # -- events --
    def on_load(self, conv: Conversation):
        with conv.lock:
            conv.generation_seen = self.holder.generation
            chat = self.render(conv)
        return self.header(), chat, self.collection()

    def on_ask(self, conv: Conversation, evt: gr.EventData):
        data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
        question = data.get("question")
        seq = data.get("seq")
        try:
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise QuestionError("yêu cầu không hợp lệ; hãy tải lại trang")
            cleaned = clean_question(question)
            filters = clean_filters(self.holder.engine, data.get("filters"))
        except QAError as exc:
            with conv.lock:
                chat = self.render(conv)
            return chat, self.status(user_message(exc), question if isinstance(question, str) else "")
        with conv.lock:
            waiting = sum(1 for t in conv.turns if t.state != "done")
            if waiting >= MAX_WAITING:
                busy = f"Đang có {waiting} câu hỏi chờ trả lời; hãy đợi một chút rồi gửi tiếp."
                return self.render(conv), self.status(busy, cleaned)
            turn = Turn(seq, cleaned, filters)
            while len(conv.turns) >= 4 * SHOWN_TURNS and conv.turns[0].state == "done":
                conv.turns.pop(0)  # a long chat keeps its recent turns, not everything since it began
            at = len(conv.turns)
            while at > 0 and conv.turns[at - 1].seq > seq:  # requests may overtake each other: keep sending order
                at -= 1
            conv.turns.insert(at, turn)
            return self.render(conv), ""

    def on_answer(self, conv: Conversation):
        """Answer this chat's waiting questions in order, each from its own turn.

        One run per chat at a time: a run that finds another at work yields a skip and ends, the
        other picks its question up. A generator's outputs stream as diffs of its own yields and a
        gr.skip() after a value would blank the page's output, so a run yields only skips or only values.
        """
        with conv.lock:
            busy = conv.answering
            conv.answering = True
        if busy:
            yield gr.skip()
            return
        yielded = False
        try:
            while True:
                with conv.lock:
                    turn = next((t for t in conv.turns if t.state == "waiting"), None)
                    if turn is None:
                        conv.answering = False
                        break
                    turn.state = "answering"
                    previous = conv.previous(turn)
                    refused_before = conv.refused_before(turn)
                    epoch = conv.epoch
                    chat = self.render(conv)
                yield chat
                yielded = True
                current = self.holder.engine
                try:
                    if getattr(current, "llm", None) is None:
                        outcome = answer_question(current, turn.asked, previous, turn.filters)
                    else:
                        outcome = yield from self.streamed(conv, turn, current, previous)
                    example = next(iter(self.sample_questions()), "") if outcome.refusal == "needs-previous" else ""
                    body = outcome_html(current, outcome, self.coverage() if outcome.refusal == "not-found" else "", example,
                                        compact=refused_before)
                except QAError as exc:
                    outcome, body = None, error_html(user_message(exc))
                except Exception:  # noqa: BLE001 - the user sees one line, the log keeps the traceback
                    log.exception("answering %r failed", turn.asked)
                    outcome, body = None, error_html(INTERNAL_ERROR)
                with conv.lock:
                    if epoch == conv.epoch and turn in conv.turns:
                        turn.outcome = outcome or Outcome(turn.asked, Resolution(turn.asked), turn.filters,
                                                          refusal="error")
                        turn.body, turn.state = body, "done"
                    chat = self.render(conv)
                yield chat
            if not yielded:  # an earlier run answered everything: nothing to show
                yield gr.skip()
        finally:
            with conv.lock:
                conv.answering = False

    def streamed(self, conv: Conversation, turn: Turn, current: Engine, previous: Previous | None):
        """Answer `turn` with the engine's language model in a worker thread, yielding the conversation each
        time its words arrive (at most every STREAM_EVERY seconds); returns the Outcome."""
        pieces: queue.SimpleQueue = queue.SimpleQueue()
        done: dict = {}

        def work() -> None:
            try:
                done["outcome"] = answer_question(current, turn.asked, previous, turn.filters, on_delta=pieces.put)
            except BaseException as exc:  # noqa: BLE001 - raised again in the runner, which reports it
                done["error"] = exc
            finally:
                pieces.put(None)

        threading.Thread(target=work, name="qa-answer", daemon=True).start()
        finished = False
        while not finished:
            words = []
            piece = pieces.get()
            deadline = time.monotonic() + STREAM_EVERY
            while piece is not None:  # what else arrives within the interval goes in the same render
                words.append(piece)
                try:
                    piece = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            finished = piece is None
            if words:
                with conv.lock:
                    turn.provisional += "".join(words)
                    turn.model = current.llm.model  # known once the server has been asked
                    chat = self.render(conv)
                yield chat
        with conv.lock:
            turn.provisional = ""
        if "error" in done:
            raise done["error"]
        return done["outcome"]

    def on_refresh(self, conv: Conversation):
        """After answers: the header's counts and the article list, when the index was reloaded."""
        with conv.lock:
            fresh = conv.generation_seen != self.holder.generation
            conv.generation_seen = self.holder.generation
        return (self.header(), self.collection()) if fresh else (gr.skip(), gr.skip())

    def on_reset(self, conv: Conversation):
        with conv.lock:
            conv.turns.clear()
            conv.epoch += 1
            return self.render(conv), ""

    def article(self, payload: Any) -> dict:
        """The full article for the sources panel, the given spans marked."""
        current = self.holder.engine
        payload = payload if isinstance(payload, dict) else {}
        found = current.articles.get(payload.get("id")) if isinstance(payload.get("id"), str) else None
        if found is None:
            return {"ok": False, "message": "Bài này không còn trong kho (chỉ mục vừa được cập nhật)."}
        marks = [m for m in (payload.get("marks") or [])[:20] if isinstance(m, list) and len(m) == 2]
        focus = payload.get("focus") if isinstance(payload.get("focus"), list) else None
        return {"ok": True, "title": found.title,
                "html": article_view_html(found, self.holder.chunks_per_article().get(found.id), marks, focus)}

    # -- the API --
    def api_filters(self, articles, since, until, outlets) -> dict:
        return clean_filters(self.holder.engine, {"articles": articles, "since": since, "until": until, "outlets": outlets})

    def api_outcome(self, question: str, previous: str, filters: dict) -> tuple[Engine, Outcome, int]:
        current, generation = self.holder.engine, self.holder.generation
        asked = clean_question("" if question is None else question)
        before = Previous(clean_question(previous)) if isinstance(previous, str) and previous.strip() else None
        return current, answer_question(current, asked, before, filters), generation

    def ask(self, question: str, previous: str = "", articles: list[str] | None = None, since: str = "", until: str = "",
            outlets: list[str] | None = None) -> dict:
        """Answer a question about the articles, as JSON.

        Args:
            question: the question, Vietnamese or English, at most 1,000 characters.
            previous: the previous question, when this one is a follow-up ("còn Long Xuyên thì sao?").
            articles: answer only from these articles (ids or file names, as listed in the page).
            since: only articles published on or after this day (2024-05-19 or 19/05/2024).
            until: only articles published on or before this day.
            outlets: only articles from these outlets.
        Returns:
            answer, span, abstained, confidence, confident, kind, metadata, start/end, summary,
            missing_terms (what the question names that no article mentions), refusal, understood_as,
            copy, citations (n, role, article_id, title, outlet, date, author, start, end, score,
            highlight, text), filters, index.
        """
        try:
            current, outcome, generation = self.api_outcome(question, previous, self.api_filters(articles, since, until, outlets))
            if not outcome.error:
                return outcome_dict(current, outcome, generation)
        except QAError as exc:
            raise gr.Error(user_message(exc), print_exception=False) from None
        except Exception:  # noqa: BLE001
            log.exception("/ask %r failed", question)
            raise gr.Error(INTERNAL_ERROR, print_exception=False) from None
        # the engine failed: its one line, as /chat says it (raised out here, where `except Exception` cannot hide it)
        raise gr.Error(outcome.error, print_exception=False)

    def chat(self, message: str, previous: str = "", articles: list[str] | None = None, since: str = "", until: str = "",
             outlets: list[str] | None = None) -> str:
        """Answer a question about the articles, as text: the answer with [n] markers, then the numbered
        sources and related passages (title, outlet, date, file); or why there is no answer. A wrong
        question (empty, too long) is answered with the line that says so."""
        try:
            current, outcome, _ = self.api_outcome(message, previous, self.api_filters(articles, since, until, outlets))
        except QAError as exc:
            return user_message(exc)
        except Exception:  # noqa: BLE001
            log.exception("/chat %r failed", message)
            return INTERNAL_ERROR
        if outcome.error:
            return outcome.error
        if outcome.answer is None:
            parts = "\n".join(f"- {p}" for p in outcome.resolution.parts)
            return {"several-questions": f"Vui lòng hỏi từng câu một:\n{parts}",
                    "needs-previous": "Câu này cần câu hỏi trước đó (tham số previous); hãy hỏi đầy đủ.",
                    "filtered-out": "Không có bài nào trong phạm vi đã chọn."}.get(outcome.refusal or "", "")
        return answer_text(current, outcome.answer)


# Gradio builds the /ask and /chat API from these (the module's annotations are strings)
ChatPage.ask.__annotations__ = {"question": str, "previous": str, "articles": list[str] | None, "since": str,
                                "until": str, "outlets": list[str] | None, "return": dict}
ChatPage.chat.__annotations__ = {"message": str, "previous": str, "articles": list[str] | None, "since": str,
                                 "until": str, "outlets": list[str] | None, "return": str}


def build_app(engine: Engine | EngineHolder, examples: list[str] | None = None) -> gr.Blocks:
    """The chat page for `engine` (or an EngineHolder that reloads it), with its queue set up.

    `examples`: the sample questions shown on an empty chat; by default written at run time from the
    loaded index's titles (`derived_examples`).
    """
    holder = engine if isinstance(engine, EngineHolder) else EngineHolder(engine)
    page = ChatPage(holder, examples)

    def article(payload: Any) -> dict:  # a server function: Gradio marks it, which a bound method cannot take
        return page.article(payload)

    with HoiDapBlocks(title="hoi-dap · Hỏi đáp tin tức", analytics_enabled=False, fill_width=True) as demo:
        conv = gr.State(Conversation())
        header_box = gr.HTML(page.header(), elem_id="qa-header", js_on_load=None, padding=False, apply_default_css=False)
        with gr.Row(elem_id="qa-main", equal_height=False):
            with gr.Column(scale=5, min_width=340, elem_id="qa-main-col"):
                first = log_html([], 0, page.welcome())
                chat_box = gr.HTML(first, elem_id="qa-chat", padding=False, apply_default_css=False, server_functions=[article],
                                   js_on_load="hoidap.attachChat(element, props, watch, server);")
                composer = gr.HTML(COMPOSER_HTML, elem_id="qa-input", padding=False, apply_default_css=False, max_chars=MAX_QUESTION_CHARS,
                                   js_on_load="hoidap.attachComposer(element, trigger, props); // events: 'ask', 'reset'")
                status_box = gr.HTML("", elem_id="qa-status", padding=False, apply_default_css=False,
                                     js_on_load="hoidap.attachStatus(element, watch);")
            with gr.Column(scale=2, min_width=300, elem_id="qa-side"):
                collection_box = gr.HTML(page.collection(), elem_id="qa-collection", padding=False, apply_default_css=False,
                                         js_on_load="hoidap.attachCollection(element, watch);")
        gr.HTML(_footer_html(), elem_id="qa-footer", js_on_load=None, padding=False, apply_default_css=False)

        private = {"api_visibility": "private", "show_progress": "hidden"}
        demo.load(page.on_load, [conv], [header_box, chat_box, collection_box], queue=False, **private)
        composer.ask(page.on_ask, [conv], [chat_box, status_box], queue=False, trigger_mode="multiple", **private).then(
            page.on_answer, [conv], [chat_box], concurrency_id="qa", trigger_mode="multiple", **private).then(
            page.on_refresh, [conv], [header_box, collection_box], queue=False, trigger_mode="multiple", **private)
        composer.reset(page.on_reset, [conv], [chat_box, status_box], queue=False, trigger_mode="multiple", **private)

        gr.api(page.ask, api_name="ask", concurrency_id="qa")
        gr.api(page.chat, api_name="chat", concurrency_id="qa")

    demo.guard = GuardState(blocks=demo)
    demo.holder = holder
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo
