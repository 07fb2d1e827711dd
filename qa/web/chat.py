"""The chat's use case, without Gradio: a message becomes an Outcome (a follow-up resolved, an article named
by its title searched alone, the filters checked, the engine asked) and the Outcome becomes /ask's JSON
or the page's HTML. qa/web/app.py puts it on the page; tests and other front ends can call it directly.
"""
from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..answer.conversation import Previous, Resolution, is_summary_request, match_title, resolve
from ..engine import MAX_QUESTION_CHARS, Filters
from ..errors import QAError, QuestionError
from . import present
from .views import answer_html, error_html, no_articles_html, problem_html

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Engine
    from ..records import Answer

log = logging.getLogger("qa.web")

K = 5  # passages listed with an answer (its sources and the related ones)
EXAMPLES_SHOWN = 4
INTERNAL_ERROR = "Đã xảy ra lỗi khi trả lời câu hỏi này; chi tiết có trong nhật ký của máy chủ."

EXAMPLES: list[str] = []  # no built-in examples: they come from the loaded index (see `derived_examples`)


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
        if question and question not in out and len(question) <= MAX_QUESTION_CHARS:
            out.append(question)
    return out


# ---- filters ----------------------------------------------------------------------------------------------
def _day(value: Any, name: str) -> str | None:
    """The page's day (19/05/2024 or 2024-05-19) as Filters reads it, or the error in Vietnamese."""
    try:
        return Filters.day(value, day_first=True)
    except ValueError:
        raise QuestionError(f"{name} không phải một ngày hợp lệ ({str(value).strip()!r}); hãy ghi dạng 2024-05-19 "
                            "hoặc 19/05/2024") from None


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
        parts.append("từ " + present.date_label(filters["since"])[0])
    if filters.get("until"):
        parts.append("đến " + present.date_label(filters["until"])[0])
    return " · ".join(parts)


def _any_allowed(engine: Engine, filters: dict) -> bool:
    made = Filters.make(**filters)
    return bool(engine.articles) if made is None else any(made.allows(a) for a in engine.articles.values())


def user_message(exc: QAError) -> str:
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
        outcome.refusal, outcome.error = "error", user_message(exc)
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
        return problem_html(outcome.resolution, example)
    if outcome.refusal == "filtered-out":
        return no_articles_html(outcome.scope)
    if outcome.refusal == "error":
        return error_html(outcome.error or INTERNAL_ERROR)
    coverage = coverage if outcome.refusal == "not-found" else ""
    user_scope = outcome.scope if not outcome.title_article else ""
    return answer_html(engine, outcome.answer, user_scope, coverage, compact)


def outcome_dict(engine: Engine, outcome: Outcome, generation: int) -> dict:
    """The JSON of /ask."""
    answer = outcome.answer
    resolution = outcome.resolution
    read_as = answer.read_as if answer is not None else ""
    base = {"question": outcome.asked, "understood_as": read_as or (resolution.question if resolution.changed else None),
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
    nearest = present.presentation(answer) in ("refused", "nearest")  # no passage is the source of an answer
    sources = [] if nearest else present.supporting(answer)
    citations = []
    for n, hit in enumerate(answer.citations, 1):
        article = engine.articles.get(hit.article_id)
        date, inferred = present.article_date(article, hit)
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
            "copy": present.copy_text(engine, answer), "citations": citations, "generator": answer.generator,
            "model": answer.model, "claims": answer.claims, "note": answer.note}
