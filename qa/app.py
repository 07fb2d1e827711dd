"""Chat UI (Gradio 6): ask in Vietnamese or English, get a short cited answer with its sources.

`build_app(engine)` makes the page; `serve(...)` loads an index and runs it (what `qa serve` calls),
reloading the index when it is rebuilt and stopping gracefully on SIGTERM.

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

import datetime as _dt  # noqa: E402
import ipaddress  # noqa: E402
import itertools  # noqa: E402
import logging  # noqa: E402
import queue  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

import gradio as gr  # noqa: E402

from . import chatview as view  # noqa: E402
from .answer.conversation import Previous, Resolution, is_summary_request, match_title, resolve  # noqa: E402
from .errors import QAError, QuestionError  # noqa: E402
from .serving import EngineHolder, GuardState, IndexWatcher, RequestGuard, drain  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine
    from .records import Answer

log = logging.getLogger(__name__)

TITLE = "hoi-dap"
DESCRIPTION = ("Hỏi đáp trên các bài báo tiếng Việt: câu trả lời ngắn, trích nguyên văn từ bài viết, "
               "kèm nguồn để bạn kiểm tra.")
CONCURRENCY = 4  # questions answered at once; retrieval is read-only, the embedder locks itself
QUEUE_SIZE = 256  # events waiting in Gradio's queue before new ones are refused
MAX_WAITING = 30  # questions one chat may have waiting
SHOWN_TURNS = 40  # turns the page shows (each render sends the whole conversation); older ones are hidden
K = 5  # passages listed with an answer (its sources and the related ones)
EXAMPLES_SHOWN = 4
INTERNAL_ERROR = "Đã xảy ra lỗi khi trả lời câu hỏi này; chi tiết có trong nhật ký của máy chủ."
STOP_TIMEOUT = 30.0  # seconds SIGTERM waits for the questions in flight
STREAM_EVERY = 0.08  # seconds between renders of a language model's words as they stream in

_SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue",
                 "Arial", "DejaVu Sans", "sans-serif"]
_MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "monospace"]
EXAMPLES: list[str] = []  # no built-in examples: they come from the loaded index (see `derived_examples`)


def make_theme() -> gr.themes.Base:
    """The default Gradio look with system fonts: the stock theme would fetch Google Fonts."""
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=_SYSTEM_FONTS, font_mono=_MONO_FONTS)


def _max_chars() -> int:
    from .engine import MAX_QUESTION_CHARS

    return MAX_QUESTION_CHARS


# ---- examples -----------------------------------------------------------------------------------------
def read_examples(path: str | Path) -> list[str]:
    """Example questions from a text file: one per line; blank lines and lines starting with # skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QAError(f"cannot read the examples file {path}: {exc}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")][:12]


def derived_examples(engine: Engine, chunks_per_article: dict[str, int], n: int = EXAMPLES_SHOWN) -> list[str]:
    """Questions about whatever the index holds, written from its own titles and metadata."""
    articles = sorted(engine.articles.values(), key=lambda a: (-chunks_per_article.get(a.id, 0), a.id))
    out: list[str] = []
    shapes = [lambda a: f"Tóm tắt bài «{a.title}»",
              lambda a: f"Ai là tác giả bài «{a.title}»?" if a.author else None,
              lambda a: f"Nội dung chính của bài «{a.title}» là gì?",
              lambda a: f"Bài «{a.title}» được đăng trên báo nào?" if a.outlet else None]
    for shape, article in zip(itertools.cycle(shapes), itertools.chain(articles, articles)):
        if len(out) >= n:
            break
        question = shape(article)
        if question and question not in out and len(question) <= _max_chars():
            out.append(question)
    return out


# ---- filters ----------------------------------------------------------------------------------------------
def _day(value: Any, name: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    try:
        if m:
            return _dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        return _dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise QuestionError(f"{name} không phải một ngày hợp lệ ({text!r}); hãy ghi dạng 2024-05-19 hoặc 19/05/2024") from None


def _names(value: Any, name: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple, set)) or not all(isinstance(v, str) for v in value):
        raise QuestionError(f"{name} phải là một danh sách tên")
    return list(dict.fromkeys(value))


def clean_filters(engine: Engine, raw: Any) -> dict:
    """Filters as Engine.ask takes them, checked against the index (Vietnamese errors)."""
    raw = raw if isinstance(raw, dict) else {}
    articles = _names(raw.get("articles"), "articles")
    by_source = {a.source: a.id for a in engine.articles.values()}
    unknown = [a for a in articles if a not in engine.articles and a not in by_source]
    if unknown:
        raise QuestionError(f"không có bài {unknown[0]!r} trong kho (có thể chỉ mục vừa được cập nhật); "
                            "hãy chọn lại trong danh sách bài")
    articles = [by_source.get(a, a) for a in articles]
    since, until = _day(raw.get("since"), "Ngày bắt đầu"), _day(raw.get("until"), "Ngày kết thúc")
    if since and until and since > until:
        raise QuestionError("ngày bắt đầu sau ngày kết thúc: hãy đổi lại khoảng ngày")
    return {"articles": articles or None, "since": since, "until": until,
            "outlets": _names(raw.get("outlets"), "outlets") or None}


def scope_text(engine: Engine, filters: dict) -> str:
    parts = []
    if filters.get("articles"):
        titles = [f"«{engine.articles[a].title}»" for a in filters["articles"][:2] if a in engine.articles]
        more = len(filters["articles"]) - len(titles)
        parts.append(("bài " if len(filters["articles"]) == 1 else "các bài ") + ", ".join(titles)
                     + (f" và {more} bài khác" if more > 0 else ""))
    if filters.get("outlets"):
        parts.append("nguồn: " + ", ".join(o or "không rõ nguồn" for o in filters["outlets"]))
    if filters.get("since"):
        parts.append("từ " + view.date_label(filters["since"])[0])
    if filters.get("until"):
        parts.append("đến " + view.date_label(filters["until"])[0])
    return " · ".join(parts)


def _any_allowed(engine: Engine, filters: dict) -> bool:
    from .engine import Filters

    made = Filters.make(**filters)
    return bool(engine.articles) if made is None else any(made.allows(a) for a in engine.articles.values())


def _user_message(exc: QAError) -> str:
    text = str(exc).strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


# ---- one question, from text to answer ------------------------------------------------------------------------
@dataclass
class Outcome:
    """A question as it was read and answered (or not): everything the page and the API show."""

    asked: str
    resolution: Resolution
    filters: dict
    scope: str = ""  # the filters in words
    answer: Answer | None = None
    refusal: str | None = None  # "not-found", "several-questions", "needs-previous", "filtered-out", "error"
    title_article: str | None = None  # an article named by its title in the question
    error: str | None = None  # the engine failed: what the user is told


def answer_question(engine: Engine, asked: str, previous: Previous | None, filters: dict,
                    on_delta: Callable[[str], None] | None = None) -> Outcome:
    """Resolve a follow-up, restrict to a named article when there is one, ask the engine (`on_delta`: the
    language model's words as they stream in, when the engine has one)."""
    resolution = resolve(asked, previous)
    outcome = Outcome(asked, resolution, dict(filters))
    if resolution.problem:
        outcome.refusal = resolution.problem
        return outcome
    if resolution.article and resolution.article in engine.articles:
        outcome.filters["articles"] = [resolution.article]
    elif not outcome.filters.get("articles"):
        titles = {a.id: a.title for a in engine.articles.values()}
        named = match_title(asked, titles, quoted_only=not is_summary_request(asked)) if titles else None
        if named:
            outcome.filters["articles"], outcome.title_article = [named], named
    outcome.scope = scope_text(engine, outcome.filters)
    if not _any_allowed(engine, outcome.filters):
        outcome.refusal = "filtered-out"
        return outcome
    try:
        streaming = {"on_delta": on_delta} if on_delta is not None else {}
        outcome.answer = engine.ask(resolution.question, k=K, **outcome.filters, **streaming)
    except QAError as exc:
        outcome.refusal, outcome.error = "error", _user_message(exc)
        return outcome
    except Exception:  # noqa: BLE001 - the user sees one line, the log keeps the traceback
        log.exception("answering %r failed", resolution.question)
        outcome.refusal, outcome.error = "error", INTERNAL_ERROR
        return outcome
    if outcome.answer.abstained or not outcome.answer.citations:
        outcome.refusal = "not-found"
    return outcome


def outcome_html(engine: Engine, outcome: Outcome, coverage: str = "", example: str = "", compact: bool = False) -> str:
    """The answer's HTML; `coverage` (what the collection covers) is shown when nothing was found, folded
    under one line when `compact` (the chat refused a question before)."""
    if outcome.refusal in ("several-questions", "needs-previous"):
        return view.problem_html(outcome.resolution, example)
    if outcome.refusal == "filtered-out":
        return view.no_articles_html(outcome.scope)
    if outcome.refusal == "error":
        return view.error_html(outcome.error or INTERNAL_ERROR)
    coverage = coverage if outcome.refusal == "not-found" else ""
    user_scope = outcome.scope if not outcome.title_article else ""
    return view.answer_html(engine, outcome.answer, user_scope, coverage, compact)


def outcome_dict(engine: Engine, outcome: Outcome, generation: int) -> dict:
    """The JSON of /ask."""
    answer = outcome.answer
    resolution = outcome.resolution
    base = {"question": outcome.asked, "understood_as": resolution.question if resolution.changed else None,
            "refusal": outcome.refusal, "filters": {k: v for k, v in outcome.filters.items() if v},
            "index": {"articles": len(engine.articles), "chunks": len(engine.chunks), "generation": generation}}
    if answer is None:
        message = {"several-questions": "Vui lòng hỏi từng câu một.",
                   "needs-previous": "Câu này cần câu hỏi trước đó; hãy hỏi đầy đủ.",
                   "filtered-out": "Không có bài nào trong phạm vi đã chọn."}.get(outcome.refusal or "", "")
        return {**base, "answer": message, "span": "", "abstained": True, "confidence": 0.0, "confident": False,
                "kind": outcome.refusal, "metadata": None, "start": None, "end": None, "summary": [],
                "missing_terms": [], "parts": list(resolution.parts), "copy": message, "citations": [],
                "generator": "extractive", "model": None, "claims": [], "note": ""}
    nearest = view.presentation(answer) in ("refused", "nearest")  # no passage is the source of an answer
    sources = [] if nearest else view.supporting(answer)
    citations = []
    for n, hit in enumerate(answer.citations, 1):
        article = engine.articles.get(hit.article_id)
        date, inferred = view.article_date(article, hit)
        citations.append({
            "n": n, "role": "source" if n in sources else ("nearest" if nearest else "related"),
            "article_id": hit.article_id, "source": hit.source, "title": hit.title, "outlet": hit.outlet,
            "published": article.published if article is not None else hit.published,
            "published_inferred": article.published_inferred if article is not None else None,
            "date": date, "date_inferred": inferred, "author": article.author if article is not None else None,
            "start": hit.start, "end": hit.end, "score": hit.score,
            "highlight": list(hit.highlight) if hit.highlight else None, "text": hit.text})
    return {**base, "answer": answer.text, "span": answer.span, "abstained": answer.abstained,
            "confidence": answer.confidence, "confident": answer.confident, "kind": answer.kind,
            "metadata": answer.metadata, "start": answer.start, "end": answer.end,
            "summary": [list(s) for s in answer.summary], "missing_terms": list(answer.missing_terms), "parts": [],
            "copy": view.copy_text(engine, answer), "citations": citations, "generator": answer.generator,
            "model": answer.model, "claims": answer.claims, "note": answer.note}


# ---- the conversation of one browser session -------------------------------------------------------------------
@dataclass
class Turn:
    seq: int
    asked: str
    filters: dict
    state: str = "waiting"  # "waiting" -> "answering" -> "done"
    body: str = ""
    outcome: Outcome | None = None
    provisional: str = ""  # answering: the language model's words so far, unverified
    model: str = ""  # the language model they come from


class Conversation:
    """The turns of one chat. Held in gr.State (one per browser session) and changed in place under its lock.

    A plain class, not a dataclass: Gradio would serialise a dataclass's fields into the page config.
    """

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.version = 0
        self.epoch = 0  # "new chat" count: a runner answering an older chat drops its result
        self.answering = False
        self.generation_seen = 0  # the index generation whose counts and article list the page shows
        self.lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Conversation({len(self.turns)} turns)"

    def __deepcopy__(self, memo):  # gr.State copies its initial value for each session: a fresh chat
        return Conversation()

    def previous(self, turn: Turn) -> Previous | None:
        """The last turn before `turn` that asked a question: what a follow-up is read against."""
        for other in reversed(self.turns):
            if other.seq >= turn.seq or other.outcome is None or other.outcome.resolution.problem:
                continue
            answer = other.outcome.answer
            article = answer.citations[0].article_id if answer and not answer.abstained and answer.citations else None
            return Previous(other.outcome.resolution.question, article)
        return None

    def refused_before(self, turn: Turn) -> bool:
        """Whether a question before `turn` was refused as not found: its refusal block was shown in full,
        so this one's is folded under one line."""
        return any(other.seq < turn.seq and other.outcome is not None and other.outcome.refusal == "not-found"
                   for other in self.turns)

    def views(self) -> list[view.TurnView]:
        out, ahead = [], 0
        for turn in self.turns[-SHOWN_TURNS:]:
            understood = scope = ""
            if turn.outcome is not None:
                r = turn.outcome.resolution
                if r.changed and r.question != turn.asked:
                    understood = r.question
                scope = turn.outcome.scope
            elif any(turn.filters.get(k) for k in ("articles", "since", "until", "outlets")):
                scope = "theo bộ lọc đang chọn"
            out.append(view.TurnView(turn.seq, turn.asked, turn.state, turn.body, understood, scope, ahead,
                                     turn.provisional, turn.model))
            if turn.state != "done":
                ahead += 1
        return out


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
        kwargs.setdefault("head", f"<style>{view.PAGE_CSS}</style><script>{view.CHAT_JS}</script>")
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


def build_app(engine: Engine | EngineHolder, examples: list[str] | None = None) -> gr.Blocks:
    """The chat page for `engine` (or an EngineHolder that reloads it), with its queue set up.

    `examples`: the sample questions shown on an empty chat; by default written at run time from the
    loaded index's titles (`derived_examples`).
    """
    holder = engine if isinstance(engine, EngineHolder) else EngineHolder(engine)
    counter = itertools.count(1)

    cache: dict[str, tuple[int, Any]] = {}

    def cached(name: str, make) -> Any:
        """What depends only on the index (header, article list, welcome, examples, coverage) is made
        once per index."""
        generation = holder.generation
        hit = cache.get(name)
        if hit is None or hit[0] != generation:
            hit = cache[name] = (generation, make())
        return hit[1]

    def sample_questions() -> list[str]:
        """The sample questions of the index being served (read them, do not change them)."""
        if examples is not None:
            return cached("examples", lambda: list(examples))
        return cached("examples", lambda: derived_examples(holder.engine, holder.chunks_per_article()))

    def welcome() -> str:
        """What an empty chat shows: the collection in numbers and the sample questions."""
        def make() -> str:
            current = holder.engine
            return view.welcome_html(sample_questions(), view.stats_text(len(current.articles), len(current.chunks)))

        return cached("welcome", make)

    def coverage() -> str:
        """What the collection covers, said when a question is not answered by it."""
        return cached("coverage", lambda: view.coverage_html(holder.engine, holder.chunks_per_article()))

    def header() -> str:
        current = holder.engine
        return cached("header", lambda: view.header_html(len(current.articles), len(current.chunks), TITLE, DESCRIPTION))

    def collection() -> str:
        return cached("collection", lambda: view.collection_html(holder.engine, holder.chunks_per_article(),
                                                                 holder.generation))

    def render(conv: Conversation) -> str:
        """The whole conversation; call holding conv.lock."""
        conv.version += 1
        return view.log_html(conv.views(), conv.version, "" if conv.turns else welcome(),
                             hidden=max(0, len(conv.turns) - SHOWN_TURNS))

    def status(message: str = "", restore: str = "") -> str:
        if not message:
            return ""
        return (f'<p class="qa-sr" data-error="{view.esc(message)}" data-restore="{view.esc(restore)}" '
                f'data-n="{next(counter)}">{view.esc(message)}</p>')

    # -- events --
    def on_load(conv: Conversation):
        with conv.lock:
            conv.generation_seen = holder.generation
            chat = render(conv)
        return header(), chat, collection()

    def on_ask(conv: Conversation, evt: gr.EventData):
        from .engine import clean_question

        data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
        question = data.get("question")
        seq = data.get("seq")
        try:
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise QuestionError("yêu cầu không hợp lệ; hãy tải lại trang")
            cleaned = clean_question(question)
            filters = clean_filters(holder.engine, data.get("filters"))
        except QAError as exc:
            with conv.lock:
                chat = render(conv)
            return chat, status(_user_message(exc), question if isinstance(question, str) else "")
        with conv.lock:
            waiting = sum(1 for t in conv.turns if t.state != "done")
            if waiting >= MAX_WAITING:
                return render(conv), status(f"Đang có {waiting} câu hỏi chờ trả lời; hãy đợi một chút rồi gửi tiếp.",
                                            cleaned)
            turn = Turn(seq, cleaned, filters)
            while len(conv.turns) >= 4 * SHOWN_TURNS and conv.turns[0].state == "done":
                conv.turns.pop(0)  # a long chat keeps its recent turns, not everything since it began
            at = len(conv.turns)
            while at > 0 and conv.turns[at - 1].seq > seq:  # requests may overtake each other: keep sending order
                at -= 1
            conv.turns.insert(at, turn)
            return render(conv), ""

    def on_answer(conv: Conversation):
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
                    chat = render(conv)
                yield chat
                yielded = True
                current = holder.engine
                try:
                    if getattr(current, "llm", None) is None:
                        outcome = answer_question(current, turn.asked, previous, turn.filters)
                    else:
                        outcome = yield from streamed(conv, turn, current, previous)
                    example = next(iter(sample_questions()), "") if outcome.refusal == "needs-previous" else ""
                    body = outcome_html(current, outcome, coverage() if outcome.refusal == "not-found" else "", example,
                                        compact=refused_before)
                except QAError as exc:
                    outcome, body = None, view.error_html(_user_message(exc))
                except Exception:  # noqa: BLE001 - the user sees one line, the log keeps the traceback
                    log.exception("answering %r failed", turn.asked)
                    outcome, body = None, view.error_html(INTERNAL_ERROR)
                with conv.lock:
                    if epoch == conv.epoch and turn in conv.turns:
                        turn.outcome = outcome or Outcome(turn.asked, Resolution(turn.asked), turn.filters,
                                                          refusal="error")
                        turn.body, turn.state = body, "done"
                    chat = render(conv)
                yield chat
            if not yielded:  # an earlier run answered everything: nothing to show
                yield gr.skip()
        finally:
            with conv.lock:
                conv.answering = False

    def streamed(conv: Conversation, turn: Turn, current: Engine, previous: Previous | None):
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
                    chat = render(conv)
                yield chat
        with conv.lock:
            turn.provisional = ""
        if "error" in done:
            raise done["error"]
        return done["outcome"]

    def on_refresh(conv: Conversation):
        """After answers: the header's counts and the article list, when the index was reloaded."""
        with conv.lock:
            fresh = conv.generation_seen != holder.generation
            conv.generation_seen = holder.generation
        return (header(), collection()) if fresh else (gr.skip(), gr.skip())

    def on_reset(conv: Conversation):
        with conv.lock:
            conv.turns.clear()
            conv.epoch += 1
            return render(conv), ""

    def article(payload: Any) -> dict:
        """The full article for the sources panel, the given spans marked."""
        current = holder.engine
        payload = payload if isinstance(payload, dict) else {}
        found = current.articles.get(payload.get("id")) if isinstance(payload.get("id"), str) else None
        if found is None:
            return {"ok": False, "message": "Bài này không còn trong kho (chỉ mục vừa được cập nhật)."}
        marks = [m for m in (payload.get("marks") or [])[:20] if isinstance(m, list) and len(m) == 2]
        focus = payload.get("focus") if isinstance(payload.get("focus"), list) else None
        return {"ok": True, "title": found.title,
                "html": view.article_view_html(found, holder.chunks_per_article().get(found.id), marks, focus)}

    # -- the API --
    def api_filters(articles, since, until, outlets) -> dict:
        return clean_filters(holder.engine, {"articles": articles, "since": since, "until": until, "outlets": outlets})

    def api_outcome(question: str, previous: str, filters: dict) -> tuple[Engine, Outcome, int]:
        from .engine import clean_question

        current, generation = holder.engine, holder.generation
        asked = clean_question("" if question is None else question)
        before = Previous(clean_question(previous)) if isinstance(previous, str) and previous.strip() else None
        return current, answer_question(current, asked, before, filters), generation

    def ask(question: str, previous: str = "", articles: list[str] | None = None, since: str = "", until: str = "",
            outlets: list[str] | None = None) -> dict:
        """Answer a question about the articles, as JSON.

        Args:
            question: the question, Vietnamese or English, at most 1,000 characters.
            previous: the previous question, when this one is a follow-up ("còn Đà Nẵng thì sao?").
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
            current, outcome, generation = api_outcome(question, previous, api_filters(articles, since, until, outlets))
            if not outcome.error:
                return outcome_dict(current, outcome, generation)
        except QAError as exc:
            raise gr.Error(_user_message(exc), print_exception=False) from None
        except Exception:  # noqa: BLE001
            log.exception("/ask %r failed", question)
            raise gr.Error(INTERNAL_ERROR, print_exception=False) from None
        # the engine failed: its one line, as /chat says it (raised out here, where `except Exception` cannot hide it)
        raise gr.Error(outcome.error, print_exception=False)

    def chat(message: str, previous: str = "", articles: list[str] | None = None, since: str = "", until: str = "",
             outlets: list[str] | None = None) -> str:
        """Answer a question about the articles, as text: the answer with [n] markers, then the numbered
        sources and related passages (title, outlet, date, file); or why there is no answer. A wrong
        question (empty, too long) is answered with the line that says so."""
        try:
            current, outcome, _ = api_outcome(message, previous, api_filters(articles, since, until, outlets))
        except QAError as exc:
            return _user_message(exc)
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
        return view.answer_text(current, outcome.answer)

    max_chars = _max_chars()
    with HoiDapBlocks(title="hoi-dap · Hỏi đáp tin tức", analytics_enabled=False, fill_width=True) as demo:
        conv = gr.State(Conversation())
        header_box = gr.HTML(header(), elem_id="qa-header", js_on_load=None, padding=False, apply_default_css=False)
        with gr.Row(elem_id="qa-main", equal_height=False):
            with gr.Column(scale=5, min_width=340, elem_id="qa-main-col"):
                first = view.log_html([], 0, welcome())
                chat_box = gr.HTML(first, elem_id="qa-chat", padding=False, apply_default_css=False, server_functions=[article],
                                   js_on_load="hoidap.attachChat(element, props, watch, server);")
                composer = gr.HTML(view.COMPOSER_HTML, elem_id="qa-input", padding=False, apply_default_css=False, max_chars=max_chars,
                                   js_on_load="hoidap.attachComposer(element, trigger, props); // events: 'ask', 'reset'")
                status_box = gr.HTML("", elem_id="qa-status", padding=False, apply_default_css=False,
                                     js_on_load="hoidap.attachStatus(element, watch);")
            with gr.Column(scale=2, min_width=300, elem_id="qa-side"):
                collection_box = gr.HTML(collection(), elem_id="qa-collection", padding=False, apply_default_css=False,
                                         js_on_load="hoidap.attachCollection(element, watch);")
        gr.HTML(_footer_html(), elem_id="qa-footer", js_on_load=None, padding=False, apply_default_css=False)

        private = {"api_visibility": "private", "show_progress": "hidden"}
        demo.load(on_load, [conv], [header_box, chat_box, collection_box], queue=False, **private)
        composer.ask(on_ask, [conv], [chat_box, status_box], queue=False, trigger_mode="multiple", **private).then(
            on_answer, [conv], [chat_box], concurrency_id="qa", trigger_mode="multiple", **private).then(
            on_refresh, [conv], [header_box, collection_box], queue=False, trigger_mode="multiple", **private)
        composer.reset(on_reset, [conv], [chat_box, status_box], queue=False, trigger_mode="multiple", **private)

        ask.__annotations__ = {"question": str, "previous": str, "articles": list[str] | None, "since": str,
                               "until": str, "outlets": list[str] | None, "return": dict}
        chat.__annotations__ = {"message": str, "previous": str, "articles": list[str] | None, "since": str,
                                "until": str, "outlets": list[str] | None, "return": str}
        gr.api(ask, api_name="ask", concurrency_id="qa")
        gr.api(chat, api_name="chat", concurrency_id="qa")

    demo.guard = GuardState(blocks=demo)
    demo.holder = holder
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


# ---- serving ----------------------------------------------------------------------------------------------------
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


def serve(index: str = "index", host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
          examples: str | None = None, reload_interval: float | None = None, reader: bool | str | Path = True,
          llm: Any = None) -> None:
    """Load `index` and serve the chat on http://host:port until SIGTERM or Ctrl+C (what `qa serve` runs).

    The index is checked for a rebuild every `reload_interval` seconds ($QA_RELOAD_INTERVAL, default 3)
    and at once on SIGHUP. `examples` (or $QA_EXAMPLES) is a file of sample questions, one per line.
    `reader` and `llm` are `Engine.load`'s; a reloaded index keeps them.
    """
    from .engine import Engine

    credentials = parse_auth(auth)
    examples = examples or os.environ.get("QA_EXAMPLES") or None
    samples = read_examples(examples) if examples else None
    try:
        interval = float(reload_interval if reload_interval is not None else os.environ.get("QA_RELOAD_INTERVAL", 3))
    except ValueError:
        raise QAError("QA_RELOAD_INTERVAL must be a number of seconds, e.g. 3") from None
    engine = Engine.load(index, reader=reader, llm=llm)
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
    holder = EngineHolder(engine, index)
    demo = build_app(holder, examples=samples)
    try:
        _, url, _ = demo.launch(server_name=host, server_port=port, auth=credentials, prevent_thread_lock=True,
                                auth_message="Đăng nhập để dùng hoi-dap." if credentials else None,
                                show_error=False, quiet=True)
    except OSError as exc:  # e.g. the port is taken
        raise QAError(f"cannot serve on {host}:{port}: {exc}") from None
    watcher = IndexWatcher(holder, interval=max(0.5, interval))
    watcher.start()
    stop = threading.Event()

    def on_stop(*_):
        if stop.is_set():  # asked twice: stop now
            print("qa: stopped without waiting", flush=True)
            os._exit(1)
        stop.set()

    signals = {signal.SIGTERM: on_stop, signal.SIGINT: on_stop}
    if hasattr(signal, "SIGHUP"):
        signals[signal.SIGHUP] = lambda *_: watcher.wake()
    on_main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, handler) for sig, handler in signals.items()} if on_main else {}
    print(f"hoi-dap: serving {len(engine.articles)} articles from {index} on {url}"
          f"{' (login required)' if credentials else ''}; the index is reloaded when rebuilt; "
          "Ctrl+C or SIGTERM to stop", flush=True)
    if engine.llm is not None:  # the URL without user, password or query; never the key
        print(f"hoi-dap: answers from the language model at {engine.llm.config.display_url}"
              f"{f' ({engine.llm.config.model})' if engine.llm.config.model else ''}, each quote checked against "
              "its article; the extractive answer when it cannot be", flush=True)
    try:
        while not stop.wait(0.5):
            pass
        print("qa: stopping: finishing the questions in flight…", flush=True)
        finished = drain(demo, demo.guard, STOP_TIMEOUT)
        if not finished:
            print(f"qa: warning: questions still in flight after {STOP_TIMEOUT:.0f}s; stopping anyway", flush=True)
    finally:
        watcher.stop()
        demo.close(verbose=False)
        if holder.engine.llm is not None:  # one answerer for every index the server loaded
            holder.engine.llm.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("qa: stopped", flush=True)


__all__ = ["build_app", "serve", "parse_auth", "read_examples", "derived_examples", "clean_filters",
           "answer_question", "EXAMPLES", "INTERNAL_ERROR"]
