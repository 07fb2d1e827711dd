"""Small immutable records passed between the pipeline stages."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Article:
    """One cleaned news article. `text` is what a reader sees: the headline, then the body."""

    id: str  # file stem, e.g. "003_b6d49fa98f0d9187"
    source: str  # seed file name
    title: str
    text: str  # "title\n\nparagraph\n\nparagraph..."; offsets of chunks and answers point here
    published: str | None = None  # ISO date (yyyy-mm-dd) when the page or its metadata states one
    outlet: str | None = None
    author: str | None = None  # the byline: a person's name, never a photo credit
    sha256: str = ""  # of the raw seed file
    # When the page states no date: what the text implies ("2020-04-28", "2020-04" or "2020"), from a
    # day/month in the lead plus a year the article names. Always shown as inferred, never as `published`.
    published_inferred: str | None = None
    dateline: str | None = None  # the page's date line as printed ("19/05/2022 | 08:03"), when it had one
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A sentence-aligned window of an article; text == article.text[start:end]."""

    id: str  # content hash: the same text of the same article keeps its id (and its vector)
    article_id: str
    source: str
    title: str
    published: str | None
    outlet: str | None
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A chunk returned by search, with its score and rank-relevant details."""

    source: str
    title: str
    published: str | None
    outlet: str | None
    text: str
    score: float
    start: int
    end: int
    article_id: str
    chunk_id: str
    # the span of the answer inside the article text, when this hit supplied the answer
    highlight: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """What `Engine.ask` returns: a short verbatim answer with its sources, or an abstention."""

    question: str
    text: str  # the answer sentence(s) with an inline [1] marker, or "Không tìm thấy ..."
    abstained: bool
    citations: list[Hit] = field(default_factory=list)
    span: str = ""  # the short answer itself ("25/5/2017"), verbatim from the cited article
    start: int | None = None  # offsets of the answer sentence(s) in the cited article's text
    end: int | None = None
    kind: str = "fact"  # the asked type that shaped the span (date, number, person, ..., summary)
    confidence: float = 0.0  # the fitted model's probability that the answer is right
    confident: bool = False  # above the confident threshold; otherwise the answer is shown as tentative
    metadata: str | None = None  # when the answer is the article's metadata: "author", "outlet" or "published"
    summary: list[tuple[int, int]] = field(default_factory=list)  # summaries: offsets of each quoted sentence
    # names, places, document codes, numbers or years the question states that no article of the index
    # contains (exact or without diacritics), as the question wrote them: "Các bài viết không nhắc đến «…»"
    missing_terms: tuple[str, ...] = ()
    # who wrote the answer: "extractive" (copied from an article by the answer layer) or "llm" (a language
    # model's claims, each kept only when its quote was found in the passage it cites; qa/llm.py)
    generator: str = "extractive"
    model: str | None = None  # the language model asked, when one was (its answer or the fallback's)
    # every claim the model made: text, passage (as the model numbered the passages it was sent), citation
    # (the [n] of `citations`, verified claims only), verified, reason, article_id, start, end, quote (the
    # article's own text at start:end, verified claims only)
    claims: list[dict] = field(default_factory=list)
    note: str = ""  # why the model's answer is not shown: the extractive answer follows this line
    # the question as it was read, when that differs from what was typed: its diacritics put back
    # ("tong kinh phi" read as "tổng kinh phí"); shown as "Hiểu là: …" so that a misreading can be seen
    read_as: str = ""

    @property
    def answered(self) -> bool:
        """Whether an answer is given: not a refusal, and not a question naming what no article mentions
        (its passage is shown as the nearest one, "not the answer"). What `qa eval` counts as answered."""
        return not self.abstained and not self.missing_terms
