"""Training examples for the reader: (question, passage window) pairs read exactly as `ask` reads them.

For every question of a training set, the question is retrieved and its candidate sentences scored as
`Engine.ask` does; the windows the reader would read are built around the best of them (qa/answer/reader/reader.py
`windows`), and each window is labelled: does it hold a gold answer of the gold article, and where.
The gold window is added when the candidate scorer missed it, so that every answerable question teaches
the span head. Three kinds of questions teach refusal, all labelled exactly:

- the sets' own unanswerable questions (written to be tempting);
- answerable questions with a name, year, number or document code swapped for one that no article of
  the collection contains ("Quyết định 2200 …" -> "Quyết định 3167 …"): nothing can answer them;
- questions of one collection asked of another (Wikipedia questions of a news archive): off-topic.

Data that may shape shipped weights: the repository's own question sets and XQuAD's Vietnamese part
(CC BY-SA 4.0, read from where it lies, never copied into the repository).
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ..answer.question import asked_type
from ..evaluate import EvalItem, normalise, read_items
from ..text.vntext import fold, sentence_spans
from ..text.vocabulary import NUMBER_NOT_AFTER_COMMA, YEAR_FROM_1900


@dataclass
class WindowExample:
    """One window the reader reads, with its label: answer offsets inside `text` (empty: no answer)."""

    question: str
    title: str
    text: str  # the window: consecutive sentences of one article
    answers: list[tuple[int, int]]  # gold answer spans in `text`
    group: str  # the article it comes from: folds are grouped by it
    origin: str  # "gold", "candidate", "unanswerable", "swapped", "off-topic"
    set_name: str


def write_examples(path: Path, examples: list[WindowExample]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for e in examples:
            out.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")


def read_examples(path: Path) -> list[WindowExample]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        row["answers"] = [tuple(a) for a in row["answers"]]
        out.append(WindowExample(**row))
    return out


# ---- XQuAD (Vietnamese) as a question set over a folder of paragraphs ---------------------------
def xquad_question_set(source: Path, folder: Path) -> Path:
    """Write XQuAD's Vietnamese paragraphs as articles (title, blank line, paragraph) and its questions in
    the repository's question-set format; returns the questions file. Written outside the repository."""
    data = json.loads(Path(source).read_text(encoding="utf-8"))
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    rows = []
    for a, article in enumerate(data["data"]):
        title = article["title"].replace("_", " ")
        for p, paragraph in enumerate(article["paragraphs"]):
            name = f"xq_{a:02d}_{p}.txt"
            context = paragraph["context"]
            (corpus / name).write_text(f"{title}\n\n{context}\n", encoding="utf-8")
            spans = sentence_spans(context)
            for qa_item in paragraph["qas"]:
                answer = qa_item["answers"][0]
                start = answer["answer_start"]
                sentence = next((context[s:e] for s, e in spans if s <= start < e), context)
                if answer["text"] not in sentence:  # an answer crossing a sentence boundary: the paragraph is evidence
                    sentence = context
                rows.append({"id": qa_item["id"], "question": qa_item["question"], "type": _type_of(qa_item["question"]),
                             "variant": "plain", "source": name, "evidence": sentence,
                             "answers": [answer["text"]], "note": f"XQuAD {article['title']}"})
    questions = folder / "questions.jsonl"
    with open(questions, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return questions


def _type_of(question: str) -> str:
    asked = asked_type(question)
    return asked if asked in ("date", "number", "person", "place", "organization", "document") else "fact"


# ---- gold answers inside an article ----------------------------------------------------------------
def gold_spans(item: EvalItem, text: str) -> list[tuple[int, int]]:
    """Offsets of the gold answers in an article's text: inside the evidence sentence when it is found
    there (an answer string may occur elsewhere with another meaning), else every occurrence."""
    if not item.answerable:
        return []
    regions = []
    if item.evidence:
        regions = _find_all(text, item.evidence)
    if not regions:
        regions = [(0, len(text))]
    spans: list[tuple[int, int]] = []
    for answer in item.answers:  # the first answer's occurrences first: it is the one the span head learns
        for a, b in regions:
            spans += [(a + s, a + e) for s, e in _find_all(text[a:b], answer) if (a + s, a + e) not in spans]
    return spans


def _find_all(text: str, needle: str) -> list[tuple[int, int]]:
    """Occurrences of needle in text, exact first, then ignoring case and runs of spaces."""
    needle = needle.strip()
    if not needle:
        return []
    exact = [(m.start(), m.end()) for m in re.finditer(re.escape(needle), text)]
    if exact:
        return exact
    pattern = r"\s+".join(re.escape(part) for part in needle.split())
    return [(m.start(), m.end()) for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def holds_answer(item: EvalItem, window_text: str) -> bool:
    """Whether a window's text contains a gold answer, compared as `qa eval` compares."""
    return item.answerable and any(normalise(a) in normalise(window_text) for a in item.answers)


# ---- unanswerable questions made from answerable ones ----------------------------------------------
_CODE_NUMBER = re.compile(r"(?<![\w/.-])(\d+)(?=[-/][^\W\d_])")


def swapped_questions(items: list[EvalItem], present, names: list[str], seed: int) -> list[EvalItem]:
    """Answerable questions with one thing they state replaced by one no article of their collection holds.

    `present(text) -> bool` says whether the collection mentions a name, year or number (the index's
    terms, diacritic-folded); `names` are proper names from another collection to swap in. A year moves a
    few years away, a number or a document code's number changes its digits, a name becomes another
    name; the result is kept only when `present` says the new value is in no article."""
    rng = random.Random(seed)
    out = []
    for item in items:
        if not item.answerable or item.type in ("metadata", "summary"):
            continue
        options = []
        for m in YEAR_FROM_1900.finditer(item.question):
            options += [(m.span(), str(int(m.group()) + d)) for d in (-7, -5, -3, 3, 5, 7)]
        for m in _CODE_NUMBER.finditer(item.question):
            options += [(m.span(1), str(rng.randint(10, 9999)))]
        for m in NUMBER_NOT_AFTER_COMMA.finditer(item.question):
            if not YEAR_FROM_1900.fullmatch(m.group()):
                digits = m.group()
                options += [(m.span(), re.sub(r"\d", lambda _: str(rng.randint(1, 9)), digits, count=1))]
        for m in _capitalised_runs(item.question):
            options += [(m, rng.choice(names))] if names else []
        rng.shuffle(options)
        for (a, b), new in options:
            old = item.question[a:b]
            if fold(new) == fold(old) or present(new):
                continue
            question = item.question[:a] + new + item.question[b:]
            out.append(EvalItem(id=f"{item.id}-swap", question=question, type="unanswerable", variant="swapped",
                                source=None, evidence=None, answers=[], note=f"{old} -> {new}"))
            break
    return out


_WORD = re.compile(r"(?<!\w)[^\W\d_]+(?!\w)")  # a whole word of letters


def _capital_word_runs(text: str) -> list[list[re.Match]]:
    """Runs of two or more whole words that begin with a capital letter, one space apart. (A character
    range such as À-Ỹ also holds lowercase letters with diacritics, and a pattern without word boundaries
    starts inside words: "đối thoại định kỳ" would hold the "name" "ại định".)"""
    runs, current = [], []
    for m in _WORD.finditer(text):
        if m.group()[0].isupper() and (not current or text[current[-1].end():m.start()] == " "):
            current.append(m)
            continue
        if len(current) >= 2:
            runs.append(current)
        current = [m] if m.group()[0].isupper() else []
    if len(current) >= 2:
        runs.append(current)
    return runs


def _capitalised_runs(question: str) -> list[tuple[int, int]]:
    """Runs of two or more capitalised words after the question's first word (proper names)."""
    return [(run[0].start(), run[-1].end()) for run in _capital_word_runs(question) if run[0].start() > 0]


def proper_names(texts: list[str], limit: int = 2000) -> list[str]:
    """Runs of two to four capitalised words inside sentences (after a lowercase word or a comma, so not a
    sentence's first word): names to swap into questions."""
    found: dict[str, None] = {}
    for text in texts:
        for run in _capital_word_runs(text):
            before = text[:run[0].start()]
            if not re.search(r"(?:(?<!\w)[^\W\d_]*[^\W\d_A-Z]|,) $", before) or before[-2:-1].isupper():
                continue
            found.setdefault(text[run[0].start():run[min(len(run), 4) - 1].end()], None)
            if len(found) >= limit:
                return list(found)
    return list(found)


def stable_seed(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)


def load_set(spec: str) -> tuple[str, list[EvalItem], Path]:
    """QUESTIONS[:FOLDER] as `qa fit` takes it."""
    questions, _, folder = spec.partition(":")
    path = Path(questions)
    name = path.parent.name if path.stem in ("questions", "train", "test", "dev") else path.stem
    return name, read_items(path), Path(folder or "seeds")


# ---- windows of a question set, as `ask` would read them ------------------------------------------
TRAIN_WINDOWS = 6  # one more than `ask` reads: the reader also learns from the window it would not see


def gold_article(engine, item: EvalItem):
    """The article a question is about: its source file, and of an archive's rows the one holding the evidence."""
    found = [a for a in engine.articles.values() if a.source == item.source]
    if len(found) > 1 and item.evidence:
        found = [a for a in found if _find_all(a.text, item.evidence)] or found
    return found[0] if found else None


def question_windows(engine, item: EvalItem, count: int = TRAIN_WINDOWS, with_gold: bool = True):
    """(question text, [(Window, article, answer spans in the window)]) for one question."""
    from ..answer.reader.reader import Window, build_windows, candidate_order
    from ..engine import ANSWER_DEPTH

    ranked, q = engine.retrieve(engine.question(item.question), ANSWER_DEPTH)
    text = q.text
    if not ranked:
        return text, []
    answerer = engine.answerer
    candidates = answerer.candidates(q, ranked)
    order, _ = candidate_order(answerer, candidates)
    spans = [(c.article_id, c.start, c.end) for c in candidates]
    windows = build_windows(order, spans, answerer.sentence_spans, count=count)
    gold = gold_article(engine, item) if item.answerable else None
    golds = gold_spans(item, gold.text) if gold is not None else []
    if with_gold and golds and not any(w.article_id == gold.id and w.start <= s and e <= w.end
                                       for w in windows for s, e in golds):
        s, e = golds[0]
        sentence = next(((a, b) for a, b in answerer.sentence_spans(gold.id) if a <= s < b), (s, e))
        extra = build_windows([0], [(gold.id, min(s, sentence[0]), max(e, sentence[1]))], answerer.sentence_spans,
                              count=1)
        windows = windows + [Window(gold.id, extra[0].start, extra[0].end, -1)]
    out = []
    for w in windows:
        inside = [(s - w.start, e - w.start) for s, e in golds if gold is not None and w.article_id == gold.id
                  and w.start <= s and e <= w.end]
        out.append((w, engine.articles[w.article_id], inside))
    return text, out


def collect_set(set_name: str, engine, items: list[EvalItem], origin: str | None = None) -> list[WindowExample]:
    """Window examples of every question of a set (metadata and summary questions are not the reader's).
    origin "off-topic": the questions belong to another collection; every window is a negative, except one
    that happens to hold their answer (left out)."""
    examples = []
    off_topic = origin == "off-topic"
    for item in items:
        if item.type in ("metadata", "summary"):
            continue
        asked = EvalItem(item.id, item.question, "unanswerable", item.variant, None, None, []) if off_topic else item
        kind = origin or ("unanswerable" if not item.answerable else "candidate")
        text, windows = question_windows(engine, asked, with_gold=asked.answerable)
        for w, article, inside in windows:
            window_text = article.text[w.start:w.end]
            if not inside and holds_answer(item, window_text) and (off_topic or article.source == item.source):
                continue  # the answer's words outside the evidence sentence: neither a clean positive nor a negative
            examples.append(WindowExample(text, article.title, window_text, inside,
                                          group=f"{set_name}:{article.source}", origin="gold" if w.anchor < 0 else kind,
                                          set_name=set_name))
    return examples
