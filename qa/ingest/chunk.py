"""Split an Article into overlapping, sentence-aligned Chunks with offsets into its text."""
from __future__ import annotations

import hashlib

from ..records import Article, Chunk
from ..settings import Settings
from ..text.vntext import canonical, sentence_spans


def chunk_article(article: Article, settings: Settings) -> list[Chunk]:
    """Chunks of whole sentences, about `chunk_words` words each (never over `max_chunk_words`
    unless one sentence is longer), each repeating the last `overlap_sentences` of the previous one.
    """
    spans = sentence_spans(article.text)
    counts = [len(article.text[a:b].split()) for a, b in spans]
    def window_end(first: int) -> int:
        last, words = first, 0
        while last < len(spans) and (words < settings.chunk_words and words + counts[last] <= settings.max_chunk_words
                                     or last == first):
            words += counts[last]
            last += 1
        return last

    windows: list[tuple[int, int]] = []  # [first, last) sentence indexes
    first = 0
    while first < len(spans):
        last = window_end(first)
        if windows and last <= windows[-1][1]:
            # the repeated sentence left no room for a new one: start after the previous chunk instead
            first = windows[-1][1]
            last = window_end(first)
        windows.append((first, last))
        if last >= len(spans):
            break
        # Repeat the last sentence(s) for context, unless they are so long that the next chunk
        # would be little more than a copy of them.
        overlap = settings.overlap_sentences
        while overlap and sum(counts[last - overlap:last]) > settings.chunk_words // 2:
            overlap -= 1
        first = max(last - overlap, first + 1)
    # A short tail reads better as part of the chunk before it than as a fragment of its own.
    if len(windows) > 1:
        tail_words = sum(counts[windows[-1][0]:windows[-1][1]])
        merged_words = sum(counts[windows[-2][0]:windows[-1][1]])
        if tail_words < settings.min_chunk_words and merged_words <= settings.max_chunk_words:
            windows[-2:] = [(windows[-2][0], windows[-1][1])]
        elif tail_words <= 10:
            # a byline ("Lê Minh Đạo") is no passage of its own: it joins the chunk before it,
            # which may then run a few words over max_chunk_words
            windows[-2:] = [(windows[-2][0], windows[-1][1])]

    chunks = []
    seen: dict[str, int] = {}
    for first, last in windows:
        start, end = spans[first][0], spans[last - 1][1]
        text = article.text[start:end]
        digest = hashlib.sha256(f"{article.id}\0{text}".encode()).hexdigest()[:16]
        seen[digest] = seen.get(digest, 0) + 1
        chunk_id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
        chunks.append(Chunk(
            id=chunk_id, article_id=article.id, source=article.source, title=article.title,
            published=article.published, outlet=article.outlet, start=start, end=end, text=text,
        ))
    return chunks


def embedding_text(chunk: Chunk) -> str:
    """What the embedder sees: the headline gives every chunk its article's context."""
    # One tone spelling ("hòa", "ủy") on both sides, so that "hoà" and "hòa" embed alike.
    if chunk.start == 0:  # the first chunk already opens with the headline
        return canonical(chunk.text)
    return canonical(f"{chunk.title}\n{chunk.text}")
