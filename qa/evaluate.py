"""`qa eval`: retrieval and answer quality on a question set (JSON lines, the format of dev.jsonl).

Each line: {"id", "question", "type", "variant", "source", "evidence", "answers": [...]}; an
unanswerable question has "answers": [] and "source": null.
"""
from __future__ import annotations

import collections
import json
import math
import re
import statistics
import string
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import QAError
from .text.vntext import search_form

SINGLE_VALUE_TYPES = {"date", "number", "person", "document", "metadata", "place", "organization"}


def normalise(text: str) -> str:
    """Compare form: NFC, lowercase, canonical tones, one space, dates as d/m/yyyy."""
    text = search_form(text)
    text = re.sub(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", r"\1/\2/\3", text)
    text = re.sub(r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", r"\1/\2/\3", text)
    text = re.sub(r"tháng\s+(\d{1,2})\s+năm\s+(\d{4})", r"\1/\2", text)
    text = re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", lambda m: f"{int(m.group(3))}/{int(m.group(2))}/{m.group(1)}", text)
    text = re.sub(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b",
                  lambda m: f"{int(m.group(1))}/{int(m.group(2))}/{m.group(3)}", text)
    text = re.sub(r"(?<![\d/])0(\d)/(\d{1,2})(?![\d])", r"\1/\2", text)
    return " ".join(text.split())


def contains(text: str, answer: str) -> bool:
    return normalise(answer) in normalise(text)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", normalise(text))


def _squad_tokens(text: str) -> list[str]:
    """SQuAD's answer normalisation (lowercase, no punctuation, one space), after NFC and tone spelling."""
    text = search_form(text)
    text = "".join(" " if ch in string.punctuation or ch in "“”‘’–—…«»" else ch for ch in text)
    return text.split()


def span_f1(prediction: str, answers: list[str]) -> float:
    """Token F1 of the short answer against the best gold answer (SQuAD-style)."""
    best = 0.0
    predicted = _squad_tokens(prediction)
    for answer in answers:
        gold = _squad_tokens(answer)
        common = sum((collections.Counter(predicted) & collections.Counter(gold)).values())
        if not common or not predicted or not gold:
            continue
        precision, recall = common / len(predicted), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def span_exact(prediction: str, answers: list[str]) -> bool:
    predicted = _squad_tokens(prediction)
    return any(predicted == _squad_tokens(a) for a in answers)


@dataclass
class EvalItem:
    id: str
    question: str
    type: str
    variant: str
    source: str | None
    evidence: str | None
    answers: list[str]
    note: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass
class Report:
    questions: int
    answerable: int
    unanswerable: int
    recall_at_1: float
    recall_at_5: float
    mrr_at_10: float
    answer_accuracy: float  # the answer text contains a gold answer (answerable questions; a refusal counts as wrong)
    span_exact_match: float  # the short answer (span) equals a gold answer, SQuAD-normalised
    span_f1: float  # token F1 of the short answer against the best gold answer
    citation_accuracy: float
    abstention_rate: float  # unanswerable questions refused
    false_abstention_rate: float  # answerable questions refused
    median_answer_chars: float
    recall_at_5_by_variant: dict[str, float]
    answer_accuracy_by_variant: dict[str, float]
    answer_accuracy_by_type: dict[str, float]
    search_ms_p50: float
    search_ms_p95: float
    ask_ms_p50: float
    ask_ms_p95: float
    details: list[dict] = field(default_factory=list)
    # answers shown as confident: how often they are right (an unanswerable question answered is wrong), the
    # share of answerable questions answered right and confidently, of unanswerable ones answered confidently
    confident_precision: float = 0.0
    confident_right_share: float = 0.0
    unanswerable_confident: float = 0.0


def read_items(path: str | Path) -> list[EvalItem]:
    path = Path(path)
    if not path.is_file():
        raise QAError(f"question set {str(path)!r} does not exist")
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise QAError(f"{path} is not UTF-8 text") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(EvalItem(
                id=str(row.get("id", f"line-{number}")), question=row["question"], type=row.get("type", "fact"),
                variant=row.get("variant", "plain"), source=row.get("source"), evidence=row.get("evidence"),
                answers=list(row.get("answers") or []), note=str(row.get("note") or ""),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise QAError(f"{path}:{number} is not a question record ({type(exc).__name__}: {exc}); "
                          "each line needs at least \"question\" and \"answers\"") from None
    if not items:
        raise QAError(f"{path} holds no questions")
    return items


def is_relevant(item: EvalItem, source: str, text: str) -> bool:
    """From the gold article and holding a gold answer (summaries: most of the evidence's words)."""
    if not item.answerable or source != item.source:
        return False
    if item.type == "summary" and item.evidence:
        evidence = set(_words(item.evidence))
        return len(evidence & set(_words(text))) >= 0.6 * len(evidence)
    return any(contains(text, a) for a in item.answers)


def answer_correct(item: EvalItem, answer_text: str) -> bool:
    """Single-value questions need one gold answer; list-like ones at least half of them."""
    found = sum(contains(answer_text, a) for a in item.answers)
    if item.type in SINGLE_VALUE_TYPES or len(item.answers) == 1:
        return found >= 1
    return found >= math.ceil(len(item.answers) / 2)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, rounded to 0.1."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return round(ordered[index], 1)


def evaluate(engine, path: str | Path) -> Report:
    items = read_items(path)
    search_ms, ask_ms, lengths = [], [], []
    r1 = r5 = mrr = correct = cited = abstained_right = false_abstain = 0
    exact = f1 = 0.0
    by_variant: dict[str, list[bool]] = {}
    acc_by_variant: dict[str, list[bool]] = {}
    acc_by_type: dict[str, list[bool]] = {}
    details = []
    confident_shown = confident_right = unanswerable_confident = 0
    for item in items:
        t0 = time.perf_counter()
        hits = engine.search(item.question, k=10)
        search_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        answer = engine.ask(item.question)
        ask_ms.append((time.perf_counter() - t0) * 1000)
        refused = not answer.answered  # a refusal, or "no article mentions «X»" with the nearest passage
        row = {"id": item.id, "variant": item.variant, "type": item.type, "abstained": refused,
               "answer": answer.text, "cited": answer.citations[0].source if answer.citations else None,
               "confidence": answer.confidence, "confident": answer.confident and not refused}
        if row["confident"]:
            confident_shown += 1
            confident_right += item.answerable and answer_correct(item, answer.text)
            unanswerable_confident += not item.answerable
        if item.answerable:
            ranks = [i for i, h in enumerate(hits, start=1) if is_relevant(item, h.source, h.text)]
            first = ranks[0] if ranks else None
            r1 += first == 1
            r5 += bool(first and first <= 5)
            mrr += 1 / first if first else 0.0
            by_variant.setdefault(item.variant, []).append(bool(first and first <= 5))
            ok = not refused and answer_correct(item, answer.text)
            correct += ok
            if not refused:
                exact += span_exact(answer.span, item.answers)
                f1 += span_f1(answer.span, item.answers)
            acc_by_variant.setdefault(item.variant, []).append(ok)
            acc_by_type.setdefault(item.type, []).append(ok)
            if refused:
                false_abstain += 1
            else:
                lengths.append(len(answer.text))
                cited += bool(answer.citations and answer.citations[0].source == item.source)
            row.update(rank=first, correct=ok, span=answer.span, span_f1=round(span_f1(answer.span, item.answers), 3)
                       if not refused else 0.0)
        else:
            abstained_right += refused
            row.update(correct=refused)
            if not refused:
                lengths.append(len(answer.text))
        details.append(row)
    n_ans = sum(i.answerable for i in items)
    n_un = len(items) - n_ans
    answered = n_ans - false_abstain

    def rate(a, b):
        return round(a / b, 3) if b else 0.0

    return Report(
        questions=len(items), answerable=n_ans, unanswerable=n_un,
        recall_at_1=rate(r1, n_ans), recall_at_5=rate(r5, n_ans), mrr_at_10=rate(mrr, n_ans),
        answer_accuracy=rate(correct, n_ans), span_exact_match=rate(exact, n_ans), span_f1=rate(f1, n_ans),
        citation_accuracy=rate(cited, answered),
        abstention_rate=rate(abstained_right, n_un), false_abstention_rate=rate(false_abstain, n_ans),
        median_answer_chars=float(statistics.median(lengths)) if lengths else 0.0,
        recall_at_5_by_variant={k: rate(sum(v), len(v)) for k, v in sorted(by_variant.items())},
        answer_accuracy_by_variant={k: rate(sum(v), len(v)) for k, v in sorted(acc_by_variant.items())},
        answer_accuracy_by_type={k: rate(sum(v), len(v)) for k, v in sorted(acc_by_type.items())},
        search_ms_p50=percentile(search_ms, 0.5), search_ms_p95=percentile(search_ms, 0.95),
        ask_ms_p50=percentile(ask_ms, 0.5), ask_ms_p95=percentile(ask_ms, 0.95), details=details,
        confident_precision=rate(confident_right, confident_shown), confident_right_share=rate(confident_right, n_ans),
        unanswerable_confident=rate(unanswerable_confident, n_un),
    )


def format_report(report: Report, details: bool = False) -> str:
    rows = [
        ("questions (answerable / unanswerable)", f"{report.questions} ({report.answerable} / {report.unanswerable})"),
        ("Recall@1", f"{report.recall_at_1:.3f}"),
        ("Recall@5", f"{report.recall_at_5:.3f}"),
        ("MRR@10", f"{report.mrr_at_10:.3f}"),
        ("answer accuracy (contains a gold answer)", f"{report.answer_accuracy:.3f}"),
        ("span exact match", f"{report.span_exact_match:.3f}"),
        ("span token F1", f"{report.span_f1:.3f}"),
        ("citation accuracy", f"{report.citation_accuracy:.3f}"),
        ("abstention (unanswerable)", f"{report.abstention_rate:.3f}"),
        ("false abstention (answerable)", f"{report.false_abstention_rate:.3f}"),
        ("median answer length (chars)", f"{report.median_answer_chars:.0f}"),
        ("confident answers right", f"{report.confident_precision:.3f}"),
        ("answerable answered right and confidently", f"{report.confident_right_share:.3f}"),
        ("unanswerable answered confidently", f"{report.unanswerable_confident:.3f}"),
    ]
    for variant in sorted(set(report.recall_at_5_by_variant) | set(report.answer_accuracy_by_variant)):
        rows.append((f"  {variant}: Recall@5 / accuracy",
                     f"{report.recall_at_5_by_variant.get(variant, 0):.3f} / {report.answer_accuracy_by_variant.get(variant, 0):.3f}"))
    for kind in sorted(report.answer_accuracy_by_type):
        rows.append((f"  type {kind}: accuracy", f"{report.answer_accuracy_by_type[kind]:.3f}"))
    rows += [
        ("search latency p50 / p95 (ms)", f"{report.search_ms_p50:.1f} / {report.search_ms_p95:.1f}"),
        ("ask latency p50 / p95 (ms)", f"{report.ask_ms_p50:.1f} / {report.ask_ms_p95:.1f}"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'metric'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {name.ljust(width)} | {value} |" for name, value in rows]
    if details:
        lines.append("")
        for row in report.details:
            mark = "ok " if row["correct"] else "BAD"
            lines.append(f"{mark} {row['id']} [{row['variant']}/{row['type']}] rank={row.get('rank')} "
                         f"cited={row['cited']} :: {row['answer'][:120]}")
    return "\n".join(lines)
