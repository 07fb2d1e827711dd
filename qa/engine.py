"""Engine: the one object behind the CLI, the chat and the Python API (build, load, search, ask)."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .answer.answerer import NOT_FOUND, Answerer
from .answer.question import Question, analyse, unmentioned
from .answer.reader.reader import Reader, spelling_prior
from .embed import Embedder, get_embedder, same_bundled_model
from .errors import IndexProblem, ModelError, QuestionError
from .index import store
from .index.backends.local import LocalBackend
from .index.build import BuildReport, build
from .index.fuse import reciprocal_rank_fusion
from .index.manifest import model_flag, rebuild_command
from .records import Answer, Article, Chunk, Hit
from .settings import Settings
from .text.diacritics import DiacriticRestorer, QuestionSpeller
from .text.vntext import canonical, clean_spaces, fold, unaccented

if TYPE_CHECKING:  # pragma: no cover
    from .llm import LLMAnswerer, LLMConfig, LLMResult

MAX_QUESTION_CHARS = 1000
MAX_K = 100  # passages a search or an answer may list
_LEXICAL_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="qa-bm25")
ANSWER_DEPTH = 8  # passages the answer layer reads, whatever k the caller shows

# a terminal's colour and cursor codes ("\x1b[31m") pasted with a question: not text at all
_TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def clean_question(question: str) -> str:
    """The question as searched: NFC (NFD input answers the same), no terminal escape codes or control
    characters, one line."""
    if not isinstance(question, str):
        raise QuestionError("câu hỏi phải là văn bản (the question must be text)")
    if len(question) > 4 * MAX_QUESTION_CHARS:  # checked before any cleaning: a huge paste costs nothing
        raise QuestionError(
            f"câu hỏi quá dài ({len(question):,} ký tự; tối đa {MAX_QUESTION_CHARS:,}): hãy hỏi từng ý một")
    text = clean_spaces(_TERMINAL_ESCAPE.sub("", question))
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("câu hỏi trống: hãy nhập một câu hỏi về nội dung các bài viết, "
                            "ví dụ \"Hội nghị diễn ra ngày nào?\"")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"câu hỏi quá dài ({len(text):,} ký tự; tối đa {MAX_QUESTION_CHARS:,}): hãy hỏi từng ý một")
    return text


def check_k(k) -> int:
    """`k` as search and ask accept it: a whole number from 1, at most MAX_K (larger is capped)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise QuestionError(f"k must be a whole number of passages, e.g. k=5 (got {k!r})")
    if k < 1:
        raise QuestionError(f"k must be at least 1 (got {k})")
    return min(int(k), MAX_K)


@dataclass(frozen=True)
class Filters:
    """What a question may be answered from: some articles, a date range, some outlets (None: no limit)."""

    articles: frozenset[str] | None = None
    since: str | None = None  # ISO dates, inclusive; an article with no date is kept only without a range
    until: str | None = None
    outlets: frozenset[str] | None = None

    @classmethod
    def make(cls, articles=None, since=None, until=None, outlets=None) -> "Filters | None":
        def as_set(value, name):
            if value is None:
                return None
            if isinstance(value, str):
                value = [value]
            try:
                items = frozenset(str(v) for v in value)
            except TypeError:
                raise QuestionError(f"{name} must be a list of names (got {value!r})") from None
            return items or None

        def as_date(value, name):
            try:
                return cls.day(value)
            except ValueError:
                raise QuestionError(f"{name} must be a date as YYYY-MM-DD (got {value!r})") from None

        made = cls(as_set(articles, "articles"), as_date(since, "since"), as_date(until, "until"),
                   as_set(outlets, "outlets"))
        return None if made == cls() else made

    @staticmethod
    def day(value, *, day_first: bool = False) -> str | None:
        """The ISO day of "YYYY-MM-DD…" (and, `day_first`, of "DD/MM/YYYY", as the chat's filters write it);
        None for None or ""; a ValueError when it is no day."""
        import datetime as _dt

        if value in (None, ""):
            return None
        text = str(value)
        if day_first:
            text = text.strip()
            m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
            if m:
                return _dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        return _dt.date.fromisoformat(text[:10]).isoformat()

    def allows(self, article: Article) -> bool:
        if self.articles is not None and article.id not in self.articles and article.source not in self.articles:
            return False
        if self.outlets is not None and (article.outlet or "") not in self.outlets:
            return False
        if self.since or self.until:
            day = article.published or article.published_inferred
            if not day or len(day) < 10:
                return False
            if (self.since and day < self.since) or (self.until and day > self.until):
                return False
        return True


class ArticleText:
    """The articles' titles and texts without diacritics, case kept, joined once on first need: where
    `unmentioned` (qa/answer/question.py) looks for a name the term counts say no passage holds."""

    def __init__(self, articles: dict[str, Article]):
        self.articles = articles
        self._text: str | None = None
        self._only_common: dict[str, bool] = {}  # by word: two scans of every article, asked again and again

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "\n".join(unaccented(f"{a.title}\n{a.text}") for a in self.articles.values())
        return self._text

    def holds(self, words: list[str]) -> bool:
        """Whether the words occur in this order in an article, separated by anything but a letter or digit,
        the first at a word's start, the last continued by anything but a letter or digit ("Choi Han" in
        "Choi Han-seul", "12-KH" in "12-KH/ABC"); a number's digits may be grouped ("5000" as "5.000")."""
        parts = [_number_pattern(w) if re.fullmatch(r"\d[\d.,]*", w) else re.escape(unaccented(w)) for w in words]
        if not parts:
            return True
        pattern = r"(?<!\w)" + r"[\W_]+".join(parts) + r"(?!\w)"
        return re.search(pattern, self.text, re.IGNORECASE) is not None

    def only_common(self, word: str) -> bool:
        """Whether the articles write a capitalised word only as a common word: never capitalised after a
        lower-case word, a digit, a comma or an opening bracket, and in lower case somewhere ("Pháp" where
        they have "pháp luật" and a sentence opening "Pháp luật ...")."""
        word = unaccented(word)
        if word not in self._only_common:
            as_name = r"(?:(?<=[a-z0-9,;)] )|(?<=\())" + re.escape(word) + r"(?!\w)"
            lower = r"(?<!\w)" + re.escape(word.lower()) + r"(?!\w)"
            self._only_common[word] = (re.search(as_name, self.text) is None
                                       and re.search(lower, self.text) is not None)
        return self._only_common[word]


def _number_pattern(number: str) -> str:
    """A number as printed with or without thousands separators ("5000": "5000", "5.000", "5,000"), its
    decimal mark a comma or a point ("21.1": "21,1")."""
    if not number.isdigit():
        return r"[.,]".join(re.escape(part) for part in re.split(r"[.,]", number))
    if len(number) < 4:
        return number
    head = len(number) % 3 or 3
    groups = [number[:head]] + [number[i:i + 3] for i in range(head, len(number), 3)]
    return "[.,]?".join(groups)


class Engine:
    """Search and answer over a built index. Create with `qa.load(index_dir)`."""

    def __init__(self, stored: store.StoredIndex, index_dir: Path, embedder: Embedder | None = None,
                 reader: "Reader | None" = None, llm: "LLMAnswerer | None" = None,
                 search_reader: "Reader | Path | None" = None):
        self.index_dir = Path(index_dir)
        self._stored = stored
        self.manifest = stored.manifest
        self.settings = stored.settings
        self.articles = stored.articles
        self.chunks = stored.chunks
        self.embedder = embedder or get_embedder(self.manifest["model"]["id"])
        self.reader = reader  # what ask decides with over five windows (None: the scorer's sentence, checked as below)
        # what search() orders passages with (and ask reads the scorer's sentence with): the same reader, or
        # (reader="search") the model file, loaded when first needed: opening an index never imports torch
        self.search_reader = search_reader if search_reader is not None else reader
        self.llm = llm  # answers from a language model, checked against the passages (None: extractive only)
        # the scorer's sentence is read with the search reader when there is one (loaded on the first answer or
        # search that needs it): the short answer and the verdict on it (looked up each time: a reloaded index
        # is given the server's search reader after it is made)
        self.answerer = Answerer(self.articles, stored.sentences, reader=reader, sentence_reader=self._loaded_reader)
        self.mentions = ArticleText(self.articles)  # what unmentioned() checks the term counts against
        # questions typed without diacritics get them back, as this index's passages spell them
        self.speller = QuestionSpeller(lambda: DiacriticRestorer.from_index(self.backend.document_frequency,
                                                                            spelling_prior()))
        # where the vectors and BM25 terms are searched (qa/index/backends/local.py): the manifest's backend
        self.backend = stored.backend if stored.backend is not None else LocalBackend(
            stored.dense, stored.lexical, stored.chunks, stored.articles)

    # ---- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, index_dir: str | Path = "index", *, model: str | None = None, reader: bool | str | Path = "search",
             llm: "str | LLMConfig | LLMAnswerer | None" = None) -> "Engine":
        """Open an index. `model`, when given, must be the model the index was built with. `reader`: "search"
        (the default, as measured in the README) orders search() results with the shipped reader, and ask answers
        with the candidate scorer's sentence, the reader reading it for the short answer and its verdict on
        refusal and confidence; True ("on") lets the reader decide over five windows (the scorer
        still picks the sentence where it would answer, see Answerer); False ("off") uses no
        reader; a path
        names another reader model file (`qa train-reader --out`). `llm`: an OpenAI-compatible server's URL
        (key and model from QA_LLM_API_KEY / QA_LLM_MODEL), an `LLMConfig` or an `LLMAnswerer`; None
        answers extractively only (see `open_llm`)."""
        import os

        if not isinstance(index_dir, (str, os.PathLike)) or not str(index_dir).strip():
            raise IndexProblem(f"an index is opened by the path of its folder, e.g. qa.load('index') or --index index "
                               f"(got {index_dir!r:.80})")
        index_dir = Path(index_dir)
        stored = store.load(index_dir)
        built_with = stored.manifest["model"]["id"]
        if model and model != built_with and not same_bundled_model(model, built_with):
            raise IndexProblem(
                f"index {index_dir} was built with model {built_with!r}, not {model!r}; "
                f"rebuild it with `{rebuild_command(index_dir, stored.manifest.get('seeds'), model)}`"
            )
        embedder = get_embedder(model or built_with)
        answers_with, searches_with = open_reader(reader)
        return cls(stored, index_dir, embedder, reader=answers_with, llm=open_llm(llm), search_reader=searches_with)

    def stale_files(self, seeds: str | Path | None = None) -> list[str]:
        """Seed files added, removed or changed since the index was built ([] when it is current)."""
        folder = Path(seeds or self.manifest.get("seeds") or "seeds")
        if not folder.is_dir():
            return []
        now = store.seed_hashes(folder)
        then = self.manifest.get("seed_files", {})
        return sorted(name for name in set(now) | set(then) if now.get(name) != then.get(name))

    def staleness_warning(self, seeds: str | Path | None = None) -> str | None:
        changed = self.stale_files(seeds)
        if not changed:
            return None
        folder = seeds or self.manifest.get("seeds") or "seeds"
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        return (f"index {self.index_dir} is stale: {shown} changed in {folder} since it was built; "
                f"run `{rebuild_command(self.index_dir, str(folder), model_flag(self.manifest))}`")

    # ---- building ------------------------------------------------------------------------
    @staticmethod
    def build(seeds: str | Path = "seeds", index_dir: str | Path = "index", *, settings: Settings | None = None,
              progress: bool = True, strict: bool = False, embedder: Embedder | None = None,
              backend: str | None = None, milvus_uri: str | None = None, milvus_collection: str | None = None,
              milvus_search: str | None = None) -> BuildReport:
        """Read, clean, chunk and embed `seeds`, then write the index to `index_dir` atomically; vectors of
        unchanged text are reused (see qa/index/build.py for the backend options)."""
        return build(seeds, index_dir, settings=settings, progress=progress, strict=strict, embedder=embedder,
                     backend=backend, milvus_uri=milvus_uri, milvus_collection=milvus_collection,
                     milvus_search=milvus_search)

    # ---- search --------------------------------------------------------------------------
    def question(self, text: str) -> Question:
        """The question as it is searched and answered: cleaned (`clean_question`), a Vietnamese question typed
        without diacritics given them back as these articles spell them (qa/text/diacritics.py: retrieval, the
        candidate scorer and the reader all read "kinh phí", not "kinh phi"; the answer repeats it as typed),
        and analysed once, its terms weighted by this index's idf; `retrieve` adds its vector. `search` and
        `ask` take it too."""
        typed = clean_question(text)
        restored = self.speller.restore_question(typed)
        q = self.analyse(restored)
        return q if restored == typed else replace(q, typed=typed)

    def analyse(self, question: str) -> Question:
        """A cleaned question analysed (its terms weighted by this index's idf); no vector yet."""
        backend = self.backend
        return analyse(question, backend.document_frequency, backend.size)

    def search(self, query: str | Question, k: int = 10, *, articles=None, since=None, until=None, outlets=None,
               rerank: bool = True) -> list[Hit]:
        """The k best passages for a query: dense and BM25 fused by reciprocal rank, one per passage; with the
        reader (and rerank=True), the passages it reads as answering come first, most probable first.

        Args:
            query: a question or keywords, with or without diacritics, Vietnamese or English (or the
                Question `question` made of them).
            k: how many hits to return (1 to 100).
            articles, since, until, outlets: search only these articles (ids or file names), this
                date range (ISO dates, inclusive) and these outlets.
            rerank: let the reader order the passages (as costly as `ask`); False is pure retrieval.
        Returns:
            Hits best first; overlapping chunks of one article are collapsed into the best one.
        """
        k = check_k(k)
        filters = Filters.make(articles, since, until, outlets)
        q = query if isinstance(query, Question) else self.question(query)
        reader = self._loaded_reader() if rerank else None
        if reader is None:
            return [hit for hit, _ in self.retrieve(q, k, filters)[0]]
        ranked, q = self.retrieve(q, max(k, ANSWER_DEPTH), filters)
        if not ranked:
            return []
        return self.answerer.reranked(q, ranked, reader)[:k]

    def _loaded_reader(self) -> "Reader | None":
        """The search reader, loaded on first use (reader="search": the first search that reranks, or the first
        answer, which picks its short answer with it)."""
        if isinstance(self.search_reader, Path):
            from .answer.reader.reader import shipped_reader

            self.search_reader = shipped_reader(str(self.search_reader))
        return self.search_reader

    def retrieve(self, q: Question, k: int, filters: "Filters | None" = None) -> tuple[list[tuple[Hit, float]], Question]:
        """Ranked (hit, cosine) pairs, and the question with its vector (as it was when nothing was searched).
        Pure retrieval: no answer logic here."""
        backend, settings = self.backend, self.settings
        n = backend.size
        if n == 0:
            return [], q
        scope = backend.scope(filters)  # what the backend searches: a row mask, a Milvus filter expression
        if scope is False:
            return [], q
        depth = min(n, max(50, 5 * k))
        if backend.hybrid and settings.dense_weight == settings.lexical_weight:
            # One request: the backend runs both searches and fuses them by reciprocal rank (Milvus's
            # hybrid search with its RRF ranker, whose weights are 1).
            qvec = self.embed_query(q.embedded)
            ranked = backend.fused(qvec, list(q.search_terms), depth, scope, settings.rrf_k)
            fused = {row: settings.dense_weight * score for row, score in ranked.items()}
            dense_score: dict[int, float] = {}
        else:
            # BM25 needs only the words: it runs on the second core while the query is embedded
            # (both release the GIL), which hides its cost on large indexes.
            lexical_job = _LEXICAL_POOL.submit(backend.lexical_rows, list(q.search_terms), depth, scope)
            qvec = self.embed_query(q.embedded)
            dense_rows, cosines = backend.dense_rows(qvec, depth, scope)
            dense_score = dict(zip(dense_rows, cosines))
            lexical_rows = lexical_job.result()
            fused = reciprocal_rank_fusion(
                [dense_rows, lexical_rows], [settings.dense_weight, settings.lexical_weight], settings.rrf_k,
            )
        order = sorted(fused, key=lambda r: (-fused[r], r))
        picked: list[int] = []
        taken: dict[str, list[tuple[int, int]]] = {}
        for row in order:
            chunk = self.chunks[row]
            spans = taken.setdefault(chunk.article_id, [])
            if any(max(0, min(chunk.end, e) - max(chunk.start, s)) > 0.5 * min(chunk.end - chunk.start, e - s)
                   for s, e in spans):
                continue  # mostly the text of a better chunk of the same article, or containing it
            spans.append((chunk.start, chunk.end))
            picked.append(row)
            if len(picked) == k:
                break
        missing = [row for row in picked if row not in dense_score]
        if missing:  # found by BM25 only (or fused by the backend): their cosines, in one call
            dense_score.update(zip(missing, backend.cosines(missing, qvec)))
        return [(_hit(self.chunks[row], fused[row]), dense_score[row]) for row in picked], q.with_vector(qvec)

    def embed_query(self, query: str) -> np.ndarray:
        vector = self.embedder.embed_queries([canonical(query)])[0]
        if vector.shape[0] != self.backend.dim:
            command = rebuild_command(self.index_dir, self.manifest.get("seeds"), self.embedder.model_id)
            raise IndexProblem(
                f"model {self.embedder.model_id!r} gives {vector.shape[0]}-d vectors but index {self.index_dir} "
                f"holds {self.backend.dim}-d ones; rebuild it with `{command}`"
            )
        return vector

    # ---- answers -------------------------------------------------------------------------
    def ask(self, question: str | Question, k: int = 5, *, articles=None, since=None, until=None, outlets=None,
            on_delta=None) -> Answer:
        """A short extractive answer with citations, or an abstention ("Không tìm thấy ...").

        The question is cleaned and analysed once (or given as a Question); the answer layer reads the best ANSWER_DEPTH passages and
        lists k of them as sources. Filters restrict the articles, as for `search`.

        With a language model (`llm=`), the extractive answer is computed first, as it is without one: it
        is the fallback. Then, unless the question asks for a summary or the page's metadata, or names what
        no article mentions, the model is asked with the passages the extractive answer cites (best first);
        its verified claims are the answer (`generator` "llm"), its refusal an abstention, and anything
        else the extractive answer with `note`. `on_delta` gets the model's words as they stream in
        (unverified: show them as provisional).
        """
        k = check_k(k)
        filters = Filters.make(articles, since, until, outlets)
        q = question if isinstance(question, Question) else self.question(question)
        ranked, q = self.retrieve(q, max(k, ANSWER_DEPTH), filters)
        if self._says_nothing_indexed(q):
            # not one word of the question is in any article: the collection is plainly not about it
            answer = self.answerer.refusal(q, [hit for hit, _ in ranked], k)
        else:
            answer = self.answerer.answer(q, ranked, k)
        missing = unmentioned(q, self.backend.document_frequency, self.mentions)
        if missing and answer.kind != "summary":
            # what the question names is in no article: whatever is shown is the nearest passage, never a
            # confident answer; and when that passage holds nothing else the question names, it is not near
            # at all ("Ai là chủ tịch nước Pháp?"): a refusal
            if not answer.abstained and not _holds_another_name(q, missing, answer.citations[0].text):
                answer = self.answerer.refusal(q, [hit for hit, _ in ranked], k)
            answer = replace(answer, missing_terms=missing, confident=False)
        if q.typed:
            answer = replace(answer, read_as=q.text)
        # A summary or the page's metadata is the article's own text; a name no article holds cannot be
        # answered from these passages, whatever a model makes of them.
        if self.llm is None or answer.kind == "summary" or answer.metadata or missing or not answer.citations:
            return answer
        result = self.llm.answer(q.shown, answer.citations[: self.llm.config.max_passages], self.articles,
                                 on_delta=on_delta)
        return _with_llm(answer, result, self.articles)

    def _says_nothing_indexed(self, q: Question) -> bool:
        """Whether none of the question's words (question words and filler left out) is in any passage."""
        words = [t for t in q.terms if not t.bigram]
        return bool(words) and not any(self.backend.document_frequency(t.text, t.exact) for t in words)


def _holds_another_name(q: Question, missing: tuple[str, ...], passage: str) -> bool:
    """Whether the passage holds a name, code, year or number of the question other than the missing ones."""
    gone = {fold(m) for m in missing}
    others = [n for n in (*q.names, *q.years, *q.numbers) if fold(n) not in gone]
    text = fold(passage)
    return any(re.search(r"(?<!\w)" + re.escape(fold(n)) + r"(?!\w)", text) for n in others)


def _with_llm(extractive: Answer, result: "LLMResult", articles: dict[str, Article]) -> Answer:
    """The Answer a language model's checked result makes: its verified claims (confident only when none
    of its claims was dropped), its refusal as an abstention, or the extractive answer with the note."""
    numbers = {hit.chunk_id: n for n, hit in enumerate(result.sources, 1)}
    passages = extractive.citations  # as they were sent, numbered from 1
    claims = []
    for c in result.claims:
        claims.append({"text": c.text, "passage": c.passage,
                       "citation": numbers.get(passages[c.passage - 1].chunk_id) if c.verified else None,
                       "verified": c.verified, "reason": c.reason, "article_id": c.article_id, "start": c.start,
                       "end": c.end, "quote": articles[c.article_id].text[c.start:c.end] if c.verified else None})
    if result.fallback:
        return replace(extractive, model=result.model, claims=claims, note=result.note)
    common = {"generator": "llm", "model": result.model, "claims": claims, "metadata": None, "summary": []}
    if result.status == "refused":
        return replace(extractive, text=NOT_FOUND, abstained=True, span="", start=None, end=None, confidence=0.0,
                       confident=False, citations=[replace(h, highlight=None) for h in passages], **common)
    first = result.verified[0]
    return replace(extractive, text=result.text, abstained=False, citations=list(result.sources),
                   span=articles[first.article_id].text[first.start:first.end], start=first.start, end=first.end,
                   confidence=len(result.verified) / len(result.claims),
                   confident=len(result.verified) == len(result.claims) and not result.partial, **common)


def open_llm(llm: "str | LLMConfig | LLMAnswerer | None") -> "LLMAnswerer | None":
    """The language model `Engine.load` was asked for: None none; a URL (key and model from the
    environment), an LLMConfig or an LLMAnswerer (shared, e.g. across index reloads)."""
    from .llm import LLMAnswerer, LLMConfig, LLMError

    if llm is None or isinstance(llm, LLMAnswerer):
        return llm
    if isinstance(llm, LLMConfig):
        return LLMAnswerer(llm)
    if isinstance(llm, str) and llm.strip():
        return LLMAnswerer(LLMConfig.from_env(llm.strip()))
    raise LLMError(f"llm must be the URL of an OpenAI-compatible server (e.g. 'http://127.0.0.1:11434/v1'), "
                   f"an LLMConfig or None (got {type(llm).__name__})")


def _hit(chunk: Chunk, score: float) -> Hit:
    return Hit(source=chunk.source, title=chunk.title, published=chunk.published, outlet=chunk.outlet,
               text=chunk.text, score=round(float(score), 6), start=chunk.start, end=chunk.end,
               article_id=chunk.article_id, chunk_id=chunk.id)


def load(index_dir: str | Path = "index", *, model: str | None = None, reader: bool | str | Path = "search",
         llm: "str | LLMConfig | LLMAnswerer | None" = None) -> Engine:
    """Open the index in `index_dir` (see `Engine.load`)."""
    return Engine.load(index_dir, model=model, reader=reader, llm=llm)


def open_reader(reader: "bool | str | Path | Reader | None") -> "tuple[Reader | None, Reader | Path | None]":
    """The readers `Engine.load` was asked for, as (what ask answers with, what search orders with):
    True / "on" the shipped one for both, "search" the shipped one's file for search only (loaded when first
    needed), False / "off" / None none, a path that model file for both."""
    from .answer.reader.reader import MODEL_FILE, Reader, shipped_reader

    if reader is None or reader is False or reader == "off":
        return None, None
    if reader == "search":
        return None, MODEL_FILE
    if isinstance(reader, Reader):
        return reader, reader
    if reader is True or reader == "on":
        loaded = shipped_reader(str(MODEL_FILE))
        return loaded, loaded
    if isinstance(reader, (str, Path)):
        loaded = shipped_reader(str(Path(reader)))
        return loaded, loaded
    raise ModelError(f"reader must be True, False, \"search\" or the path of a reader model file (got {reader!r:.80})")


__all__ = ["Engine", "BuildReport", "Filters", "load", "clean_question", "check_k", "MAX_QUESTION_CHARS", "ModelError"]
