"""An answer in words: what the CLI prints, /chat returns and the chat's Copy button copies, and the
labels the page shares with them (dates, the tentative line, names no article mentions, citations).
Plain text only; the HTML is qa/web/views.py."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

from ..text.vocabulary import METADATA_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Engine
    from ..records import Answer, Article, Hit

NEAREST_ON_ABSTAIN = 3  # passages offered when there is no answer
SHORT_ANSWER_CHARS = 120  # a longer span is shown inside its sentence, not as a headline


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


# ---- the collection ----------------------------------------------------------------------------------
def stats_text(articles: int, chunks: int) -> str:
    return f"Kho có {thousands(articles)} bài báo, {thousands(chunks)} đoạn văn."


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


# ---- an answer --------------------------------------------------------------------------------------
REF = re.compile(r"\s*\[(\d{1,2})\]")


def supporting(answer: Answer) -> list[int]:
    """Numbers (1-based) of the citations the answer text points to: its sources; the rest are related."""
    numbers = sorted({int(n) for n in REF.findall(answer.text) if 1 <= int(n) <= len(answer.citations)})
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


def quote_with_refs(answer: Answer) -> str:
    """The answer text without the short answer in front ("25/5/2017 — "), its [n] markers kept."""
    text = answer.text.strip()
    span = answer.span.strip()
    return text[len(span) + 3:] if span and text.startswith(span + " — ") else text


def quote_of(answer: Answer) -> str:
    """The quoted sentence of the answer text, without its markers and without the short answer in front."""
    return REF.sub("", quote_with_refs(answer)).strip()


def short_span(answer: Answer, quote: str) -> str:
    """The short answer when it is short and more than the whole quote (a headline or a candidate); else ""."""
    span = answer.span.strip()
    if answer.metadata:
        return span
    return span if span and span != quote.strip() and len(span) <= SHORT_ANSWER_CHARS else ""


def maybe_parts(answer: Answer) -> tuple[str, str, str]:
    """"Có thể là: ", the candidate, " (độ tin cậy thấp, 29 %) — hãy đọc đoạn trích." (the candidate may be "")."""
    span = short_span(answer, quote_of(answer))
    note = f" (độ tin cậy thấp, {percent(answer.confidence)})"
    if span:
        return "Có thể là: ", span, f"{note} — hãy đọc đoạn trích."
    return "Có thể là đoạn trích trên", "", f"{note} — hãy đọc kỹ trước khi dùng."


def maybe_line(answer: Answer) -> str:
    return "".join(maybe_parts(answer))


# ---- answers from a language model ------------------------------------------------------------------
def llm_label(answer: Answer) -> str:
    return f"Trả lời bởi mô hình {answer.model or 'ngôn ngữ'}"


def verified_claims(answer: Answer) -> list[dict]:
    """The model's verified claims, one per quote (a quote cited twice is shown once)."""
    seen: dict[tuple, dict] = {}
    for claim in answer.claims:
        if claim.get("verified") and claim.get("citation"):
            seen.setdefault((claim["citation"], claim["start"], claim["end"]), claim)
    return list(seen.values())


def dropped_line(answer: Answer) -> str:
    """Why a model's answer is not confident: some of its claims were dropped, or its reply was cut off."""
    dropped = sum(1 for c in answer.claims if not c.get("verified"))
    if dropped:
        return (f"{dropped} trong {len(answer.claims)} ý của mô hình đã bị bỏ vì trích dẫn không khớp với bài viết; "
                "hãy đọc nguồn trước khi dùng.")
    return "Câu trả lời của mô hình bị ngắt giữa chừng; chỉ những ý trọn vẹn đã kiểm chứng được giữ lại."


def answer_lines(answer: Answer) -> list[str]:
    """The answer as plain text, before its sources (the /chat text and `qa ask`): a confident answer as it
    is; a tentative one as its passage, then "Có thể là: …"; a question naming what no article mentions
    says so first, then the nearest passage; a refusal its reason."""
    mode = presentation(answer)
    lines = [missing_line(answer.missing_terms)] if answer.missing_terms else []
    if answer.note:
        lines.insert(0, answer.note)
    if answer.read_as:
        lines.insert(0, f"Hiểu là: {answer.read_as}")
    if mode == "refused":
        return lines + [f"{llm_label(answer)}: {answer.text}" if answer.generator == "llm" else answer.text]
    if mode == "llm":
        lines += [f"{llm_label(answer)} (mỗi ý có trích dẫn nguyên văn đã đối chiếu với bài viết):", answer.text]
        if not answer.confident:
            lines.append(f"({dropped_line(answer)})")
        lines.append("Trích nguyên văn:")
        lines += [f"    «{' '.join(c['quote'].split())}» [{c['citation']}]" for c in verified_claims(answer)]
        return lines
    if mode == "answer" or answer.kind == "summary":
        lines.append(answer.text)
        if mode == "tentative":
            lines.append(f"(Độ tin cậy thấp: {percent(answer.confidence)}; hãy đối chiếu với đoạn trích.)")
    elif mode == "nearest":
        lines.append(f"Đoạn gần nhất (không phải câu trả lời): {quote_with_refs(answer)}")
    else:
        lines += [quote_with_refs(answer), maybe_line(answer)]
    if answer.metadata:
        lines.append(f"(Đây là {METADATA_NAMES.get(answer.metadata, answer.metadata)} của bài, lấy từ thông tin của trang.)")
    return lines


def copy_text(engine: Engine, answer: Answer) -> str:
    """The answer as clean text with its source: "25/5/2017 — … (Tên bài, Báo, 19/05/2022)"; a tentative
    one starts "Có thể là: …", one about something no article mentions says so and quotes the nearest passage."""
    body = " ".join(REF.sub("", answer.text).split())
    missing = f"{missing_line(answer.missing_terms)} " if answer.missing_terms else ""
    mode = presentation(answer)
    if mode == "refused":
        return missing + body
    quote = " ".join(quote_of(answer).split())
    if mode == "llm":
        body = f"{body} — trả lời bởi mô hình {answer.model or 'ngôn ngữ'}, trích dẫn đã đối chiếu"
    elif mode == "nearest":
        body = f"{missing}Đoạn gần nhất: {quote}"
    elif mode == "tentative":
        span = short_span(answer, quote)
        note = f"(độ tin cậy thấp, {percent(answer.confidence)})"
        body = f"Có thể là: {span} {note} — {quote}" if span else f"Có thể là câu trả lời {note}: {quote}"
    labels = [citation_label(engine.articles.get(answer.citations[n - 1].article_id), answer.citations[n - 1])
              for n in supporting(answer)]
    return f"{body} ({'; '.join(dict.fromkeys(labels))})"


# ---- plain text (the /chat API) -------------------------------------------------------------------------
def one_line(text: str, limit: int) -> str:
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
            lines.append(f"    {one_line(hit.text, 200)}")
    return "\n".join(lines)
