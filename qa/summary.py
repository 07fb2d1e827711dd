"""Summaries ("Tóm tắt bài …"): a few of the article's sentences, quoted in text order, each cited."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .question import Question
from .records import Answer, Article, Hit
from .sentences import SentenceTable


def summarise(q: Question, hits: list[Hit], k: int, articles: dict[str, Article], sentences: SentenceTable,
              count: int = 3) -> Answer | None:
    """The article's most central sentences (closest to the mean of its sentence vectors), in text order;
    None when the article of the first hit has too few sentences to summarise."""
    article = articles[hits[0].article_id]
    rows = sentences.rows(article.id)
    if len(rows) < 2:
        return None
    vectors = np.asarray(sentences.vectors[rows.start:rows.stop], dtype=np.float32)
    centre = vectors[1:].mean(axis=0)  # the headline (row 0) is not part of the summary
    order = sorted(range(1, len(vectors)), key=lambda i: -float(vectors[i] @ centre))[:count]
    chosen = sorted(order)
    spans = [(int(sentences.starts[rows.start + i]), int(sentences.ends[rows.start + i])) for i in chosen]
    parts = [article.text[a:b] for a, b in spans]
    text = f"Tóm tắt «{article.title}»: " + " ".join(f"{p} [1]" for p in parts)
    cited = replace(hits[0], highlight=None)
    return Answer(question=q.text, text=text, abstained=False, citations=[cited, *hits[1:k]], span=" ".join(parts),
                  start=spans[0][0], end=spans[-1][1], kind="summary", confidence=1.0, confident=True, summary=spans)
