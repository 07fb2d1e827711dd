"""The question, analysed once: its forms, weighted terms, the asked type and what it names.

Retrieval uses its terms; answering uses all of it. Everything here is general Vietnamese (and
English) question grammar: question words, the kinds of answer they ask for, and the words around
them. Nothing depends on the articles except the term weights (idf from the index).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from ..index.lexical import query_terms
from ..text.glossary import GLOSSARY_WORDS, english_places, english_to_vietnamese, expand_abbreviations
from ..text.vntext import fold, has_diacritics, search_form, vietnamese_syllable
from ..text.vocabulary import (CODE, ENGLISH_QUESTION_WORDS, NUMBER, QUESTION_WORDS, SUMMARY_WORDS, YEAR, is_english,
                               reads_as_english)

# Asked types, from the question words (patterns run on the folded question, or on English).
# Order matters: the first that matches wins ("ai viết bài" asks for the author, not any person).
_ASKED: list[tuple[str, re.Pattern]] = [
    ("summary", SUMMARY_WORDS),
    ("photo", re.compile(r"\b(ai chup|chup boi|nguoi chup|tac gia (buc |cua )?anh|who took|photo(graph)? (credit|by)|photographer)\b"
                         r"|^(buc |nhung |tam )?anh\b.{0,120}\b(do ai|cua ai|nguon nao|lay tu|ai cung cap)\b"
                         r"|\b(photo|picture|image)\b.{0,80}\b(who|source|credit)")),
    ("author", re.compile(r"\b(ai viet|tac gia|nguoi viet|phong vien nao|but danh|chap but|ky ten|do ai thuc hien|ai thuc hien bai|"
                          r"who wrote|written by|author|byline|reporter)\b")),
    ("outlet", re.compile(r"\b(bao nao|to bao|trang (bao|tin|web) nao|dang tren|dang o|nguon (bai|tin|nao|cua bai)|co quan bao chi|"
                          r"which (news)?paper|which (outlet|site|website|publication|newspaper)|what (outlet|newspaper|site|publication)|published (by|in|on) which|source of (the|this) article)\b")),
    ("published", re.compile(r"\b((duoc )?(dang|dang tai|xuat ban|dang len|phat hanh)( bai| tin)? (vao |luc |trong )?(ngay nao|khi nao|luc nao|bao gio|hom nao|may gio|thoi gian nao|nam nao)|"
                             r"ngay dang|gio dang|thoi gian dang|ngay xuat ban|"
                             r"when was .{0,60}(published|posted)|what (time|date|day) was .{0,60}(published|posted)|publication date|date of publication)\b")),
    ("role", re.compile(r"\b(chuc vu|chuc danh|giu chuc|cuong vi|vai tro gi|lam chuc|what (position|title|role|post)|which (position|title|post))\b")),
    ("reason", re.compile(r"\b(vi sao|tai sao|ly do|nguyen nhan|why|what caused|reason)\b")),
    ("date", re.compile(r"\b(ngay nao|ngay may|ngay bao nhieu|khi nao|bao gio|nam nao|nam bao nhieu|thang nao|thang may|luc nao|"
                        r"hom nao|thoi gian nao|thoi diem nao|vao thoi gian|the ky nao|may gio|gio nao|thoi gian|"
                        r"when|what date|which date|what day|what year|which year|which month|what time|what century)\b")),
    ("number", re.compile(r"\b(bao nhieu|may|so luong|ty le|how many|how much|what number|what percentage|what share|how long|how far|how old)\b")),
    ("person", re.compile(r"(^|\W)(ai|nguoi nao|vi nao|dong chi nao|ong nao|ba nao|nhan vat nao|who|whom|whose)(\W|$)")),
    ("organization", re.compile(r"\b(co quan nao|don vi nao|to chuc nao|ban nao|so nao|bo nao|cong ty nao|doanh nghiep nao|hoi nao|"
                                r"(which|what) ((\w+ ){0,4})(body|bodies|agency|agencies|organi[sz]ations?|committees?|commission|department|ministry|company|unit|units))\b")),
    ("place", re.compile(r"\b(o dau|tai dau|den dau|di dau|noi nao|cho nao|dia diem|dia ban nao|dia phuong nao|quan nao|huyen nao|tinh nao|"
                         r"thanh pho nao|phuong nao|xa nao|nuoc nao|quoc gia nao|vung nao|khu vuc nao|where|which (city|country|province|district|ward|place|region))\b")),
    ("document", re.compile(r"\b((quyet dinh|ke hoach|chi thi|nghi quyet|ket luan|thong tu|nghi dinh|quy dinh|cong van|van ban|luat|"
                            r"hiep uoc|hiep dinh|tac pham|cuon sach|bo luat|sac lenh|du an|de an|chuong trinh)( so)? (nao|gi)|"
                            r"(which|what) (decision|plan|directive|resolution|conclusion|circular|decree|document|regulation|law|treaty|book|work|programme|program))\b")),
    ("list", re.compile(r"\b(nhung|cac) (\w+ ){0,3}(nao|gi)\b|\bgom (nhung )?(gi|nao)\b|\bwhich (\w+ )?\w+s\b|\bwhat (\w+ )?(tasks|measures|solutions|contents|things)\b")),
    ("manner", re.compile(r"\b(nhu the nao|the nao|ra sao|bang cach nao|lam sao|how did|how does|how do|how is|how are|how was|how were|in what way)\b")),
]
# Chat filler around a question ("cho mình hỏi", "vậy", "ạ"): not content.
_FILLER = re.compile(r"\b(cho (minh|em|toi|to|tui) hoi|xin hoi|cho hoi|ban oi|ad oi|oi|a|nhe|nha|vay|the|nhi|ha|hả|voi)\b")


@dataclass(frozen=True, slots=True)
class Term:
    """A question word or word pair, in the form it is matched in, with its weight."""

    text: str  # "quyết định" (exact: typed with diacritics) or "quyet dinh" (folded)
    exact: bool
    idf: float
    bigram: bool = False


@dataclass(frozen=True, slots=True)
class Question:
    """A question analysed once: what retrieval searches (its BM25 terms, then its vector) and what the answer
    layer matches (its idf-weighted terms, the asked type, the names, years and numbers it states)."""

    text: str  # as asked (cleaned: NFC, one line)
    folded: str
    english: bool
    asked: str  # one of ASKED_TYPES
    terms: tuple[Term, ...]  # for the answer layer: content words and pairs, without question words or chat filler
    names: tuple[str, ...] = ()  # folded capitalised names ("Cầu Mới" -> "cau moi"), acronyms and codes the question names
    years: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    before_wh: tuple[str, ...] = ()  # folded content words right before the question word ("duoc goi la")
    after_wh: tuple[str, ...] = ()
    # one-syllable capitalised words taken for common nouns ("Quyết" of "Quyết định"), as typed: one no article
    # holds in any form is a name after all ("Úc" of "Thủ đô của Úc là gì?"; `unmentioned`)
    capitalised: tuple[str, ...] = ()
    asked_noun: str = ""  # folded noun the question word qualifies: "co quan" in "cơ quan nào", "hoi nghi" in "bao nhiêu hội nghị"
    # for BM25 (qa/index/lexical.py): every word as typed, plus the Vietnamese forms of its abbreviations and
    # (an English question) of its English words
    search_terms: tuple[str, ...] = ()
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)  # added by Engine.retrieve
    typed: str = ""  # as typed, when `text` is that with its diacritics put back (Engine.question)
    glossed: tuple[str, ...] = ()  # an English question's Vietnamese words (the glossary's), in order
    # the countries and world regions it names in English ("France"), with their Vietnamese forms (`unmentioned`)
    places: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def embedded(self) -> str:
        """The text the query vector is made of: an English question followed by its Vietnamese words, which
        pull the vector towards the Vietnamese passages that hold them (the embedder bridges languages less
        well than it matches words: on the fitting sets the scorer's first sentence held the gold for 0.60 of
        English questions with the question alone, 0.64 with its words)."""
        return f"{self.text} ({', '.join(self.glossed)})" if self.glossed else self.text

    @property
    def shown(self) -> str:
        """The question as the user typed it (cleaned), for the answer to repeat."""
        return self.typed or self.text

    @property
    def content_idf(self) -> float:
        return sum(t.idf for t in self.terms if not t.bigram) or 1.0

    def with_vector(self, vector: np.ndarray) -> "Question":
        return replace(self, vector=vector)


ASKED_TYPES = ("summary", "photo", "author", "outlet", "published", "role", "reason", "date", "number", "person",
               "organization", "place", "document", "list", "manner", "fact")


def asked_type(question: str, folded: str | None = None) -> str:
    """The kind of answer a question asks for (one of ASKED_TYPES); `folded`: fold(question), when known."""
    folded = fold(question) if folded is None else folded
    folded = re.sub(r"\bmay (lanh|bay|tinh|moc|anh)\b", " ", folded)  # "máy" typed without tones is no question word
    for name, pattern in _ASKED:
        if pattern.search(folded) and (name not in PAGE_TYPES or _about_the_page(folded, pattern)):
            return name
    return "fact"


# What the page itself answers (its byline, outlet, date line), when the question is about the
# page: "Bài này do ai viết?", "Tác giả là ai?" — not "Ai viết tiểu thuyết Số đỏ?" or "Truyện Kiều được xuất
# bản năm nào?", which ask about a work the articles may not even mention.
PAGE_TYPES = ("author", "outlet", "published")  # a photo is the page's own: its caption names who took it
# "bài" is the article unless it names another kind of piece ("bài thơ", "bài hát", "bài phát biểu").
_THE_PAGE = re.compile(r"\bbai\b(?! (tho|hat|ca|phat bieu|toan|giang|thuoc)\b)"
                       r"|(?<!thong )\b(tin|tin bai|ban tin|trang nay|article|articles|story|report|piece|post|news|byline|"
                       r"reporter)\b")  # "tin" is the news item, not the "thông tin" (information) of a book
# Words that name nothing: question words, copulas, demonstratives, particles ("Tác giả là ai vậy?").
_NAMES_NOTHING = {"ai", "la", "cua", "do", "boi", "duoc", "vay", "a", "nhe", "nha", "nhi", "the", "nao", "gi", "day", "nay",
                  "ay", "kia", "vao", "luc", "ngay", "khi", "bao", "gio", "who", "is", "was", "of", "by", "it", "this",
                  "that", "what", "which", "when", "did", "so", "cho", "minh", "hoi", "oi", "vi", "con", "thi", "ha",
                  "published", "posted", "wrote", "written", "took", "taken"}


def _about_the_page(folded: str, pattern: re.Pattern) -> bool:
    """Whether a question a PAGE_TYPES pattern matched asks about the page: it says "bài" / "tin" / "article",
    or names nothing beside what it asks ("Ai viết?")."""
    if _THE_PAGE.search(folded):
        return True
    return all(w in _NAMES_NOTHING for w in re.findall(r"\w+", pattern.sub(" ", folded)))


def analyse(question: str, df=None, n_docs: int = 0) -> Question:
    """Analyse a cleaned question. `df(term, exact) -> documents containing it` gives term weights."""
    english = is_english(question)
    folded = fold(question)
    asked = asked_type(question, folded)
    # the Vietnamese forms of the question's abbreviations ("UBND") and, in English, of its English words:
    # the answer layer and BM25 both search them
    abbreviations = expand_abbreviations(question)
    glossed = english_to_vietnamese(question) if english else []
    terms = _terms(question, folded, english, abbreviations, glossed, df, n_docs)
    common: list[str] = []
    names = _names(question, english, common)
    years = tuple(dict.fromkeys(YEAR.findall(question)))
    numbers = tuple(dict.fromkeys(n for n in NUMBER.findall(question) if n not in years))
    before, after, noun = _around_question_word(folded) if not english else ((), (), _english_noun(question))
    return Question(text=question, folded=folded, english=english, asked=asked, terms=terms, names=names,
                    years=years, numbers=numbers, before_wh=before, after_wh=after, asked_noun=noun,
                    capitalised=tuple(common), glossed=tuple(dict.fromkeys(glossed)),
                    places=tuple((typed, tuple(forms)) for typed, forms in english_places(question)),
                    search_terms=tuple(query_terms(question, abbreviations + glossed)))


def _idf(df, term: str, exact: bool, n_docs: int) -> float:
    if df is None or not n_docs:
        return 1.0
    count = df(term, exact)
    # BM25's idf; a word no passage holds gets the largest weight: if the question needs it, its absence matters
    return math.log(1 + (n_docs - count + 0.5) / (count + 0.5))


def _terms(question: str, folded: str, english: bool, abbreviations: list[str], glossed: list[str], df,
           n_docs: int) -> tuple[Term, ...]:
    """Content words and word pairs of the question (Vietnamese words of an English one), weighted by idf."""
    if english:
        sources = [(p, False) for p in glossed]
        sources += [(w, False) for w in re.findall(r"[^\W_]*[À-ỹĐđ][^\W_]*|\b[A-Z][\w-]+|\d[\w/.-]*", question)]
        sources = [(s, False) for s, _ in sources]
    else:
        sources = [(_strip_filler(question, folded), True)]
    sources += [(form, False) for form in abbreviations]
    found: dict[tuple[str, bool, bool], float] = {}
    for text, keep_exact in sources:
        words = re.findall(r"\w+(?:[-/.]\w+)*", search_form(text))
        kept = []
        for w in words:
            if fold(w) in QUESTION_WORDS or (english and w in ENGLISH_QUESTION_WORDS):
                kept.append(None)
                continue
            exact = keep_exact and has_diacritics(w)
            form = w if exact else fold(w)
            kept.append((form, exact))
            key = (form, exact, False)
            found[key] = max(found.get(key, 0.0), _idf(df, form, exact, n_docs))
        for a, b in zip(kept, kept[1:]):
            if a is None or b is None:
                continue
            exact = a[1] and b[1]
            form = f"{a[0]} {b[0]}" if exact else f"{fold(a[0])} {fold(b[0])}"
            key = (form, exact, True)
            found[key] = max(found.get(key, 0.0), _idf(df, form, exact, n_docs))
    return tuple(Term(text=k[0], exact=k[1], idf=round(v, 4), bigram=k[2]) for k, v in found.items())


def _strip_filler(question: str, folded: str) -> str:
    out = list(question)
    # fold() keeps one character per character of NFC text, so folded offsets are question offsets
    if len(folded) == len(question):
        for m in _FILLER.finditer(folded):
            if m.group() in {"a", "the", "ha", "voi", "oi"} and not (m.start() > len(folded) - 6 or m.group() == "oi"):
                continue  # "a", "thế", "hà", "với" are words inside a question; filler only at its end
            for i in range(m.start(), m.end()):
                out[i] = " "
    return "".join(out)


_HONORIFICS = {"ông", "bà", "anh", "chị", "cô", "chú", "em", "ngài", "mr", "mrs", "ms", "dr"}


def _names(question: str, english: bool = False, common: list[str] | None = None) -> tuple[str, ...]:
    """Folded proper names, acronyms and codes the question names (what the answer's article must name).

    The question's first word is capitalised whatever it is ("Huyện Tân Lạc ...", "Phía TP ..."), so
    it is dropped from a run it opens; honorifics ("Ông", "Bà") are not part of a name. In an English
    question only acronyms, codes and Vietnamese-spelled stretches of syllables count: "Paris" or "Decision"
    are English; "Thạch Vy" is the name in "Thạch Vy Economic Zone".
    `common` gets the one-syllable capitalised words taken for common nouns, as typed ("Quyết" of "Quyết
    định", and "Úc" of "Thủ đô của Úc là gì?", which is a name: see `unmentioned`).
    """
    names: list[str] = []
    text = question.replace("’s", "").replace("'s", "")
    for m in CODE.finditer(text):
        names.append(fold(m.group()))
    text = CODE.sub(lambda m: " " * len(m.group()), text)  # a code's letters are not names of their own
    tokens = list(re.finditer(r"[^\W\d_]+", text))
    runs: list[list[str]] = []
    run: list[str] = []
    ends_before_lower: set[int] = set()  # runs directly followed by a lowercase word ("Quyết định")
    for i, tok in enumerate(tokens):
        word = tok.group()
        glued = i > 0 and text[tokens[i - 1].end():tok.start()] in (" ", ".", ". ", "-")
        if word[:1].isupper():
            if run and not glued:
                runs.append(run)
                run = []
            if i == 0:
                continue  # the sentence's own capital
            run.append(word)
        else:
            if run:
                if text[tokens[i - 1].end():tok.start()] == " ":
                    ends_before_lower.add(len(runs))
                runs.append(run)
            run = []
    if run:
        runs.append(run)
    for index, run in enumerate(runs):
        # One capitalised syllable before a lowercase one is a capitalised common noun ("Quyết định",
        # "Trung ương"), not a name; a foreign one-word name ("Kudaya và ...") has several syllables.
        if len(run) == 1 and index in ends_before_lower and not run[0].isupper() and len(
                re.findall(r"[aeiouy]+", fold(run[0]))) < 2:
            if common is not None:
                common.append(run[0])
            continue
        while run and (run[0].lower() in _HONORIFICS or [w.lower() for w in run[:2]] == ["đồng", "chí"]):
            run = run[2:] if run[0].lower() == "đồng" else run[1:]
        if not run:
            continue
        acronym = len(run) == 1 and run[0].isupper() and len(run[0]) >= 2
        if english and not acronym:
            # "Vĩnh Xuân Party Secretary Lê Minh Đạo", "Thạch Vy City": the Vietnamese names are the
            # stretches of words shaped like Vietnamese syllables, none an English word of the glossary
            # ("Long"), that have an accented word (the articles' spelling); "An" of "Kha An" is a name here:
            # no function word is capitalised inside a run
            stretches = [[]]
            for w in run:
                if vietnamese_syllable(w) and w.lower() not in GLOSSARY_WORDS:
                    stretches[-1].append(w)
                else:
                    stretches.append([])
            # a name typed without marks is two syllables or more ("Le Thanh", not "Long"), none spelled by
            # the articles (restore_names would have): where no article holds it, `unmentioned` says so
            names.extend(fold(" ".join(s)) for s in stretches
                         if any(has_diacritics(w) for w in s) or len(s) >= 2)
            continue
        phrase = " ".join(run)
        names.append(fold(phrase))
    return tuple(dict.fromkeys(n for n in names if n))


def _around_question_word(folded: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Words right before and after the question word, and the noun it qualifies.

    "Con cháu của họ được gọi là gì?" -> before ("duoc", "goi", "la"): in the article the answer
    follows these words. "Ai là Bí thư Quận ủy?" -> after ("la", "bi", "thu"): the answer precedes
    or neighbours them. "Cơ quan nào ban hành ...?" -> noun "co quan".
    """
    words = re.findall(r"\w+(?:[-/.]\w+)*", folded)
    spot = None
    for i, w in enumerate(words):
        if w in ("gi", "nao", "ai", "dau") or (w == "bao" and i + 1 < len(words) and words[i + 1] in ("nhieu", "gio")) \
                or (w == "may" and i + 1 < len(words)):
            spot = i
            break
    if spot is None:
        return (), (), ""
    before = tuple(w for w in words[max(0, spot - 3):spot])
    skip = 2 if words[spot] == "bao" else 1
    after = tuple(w for w in words[spot + skip:spot + skip + 3])
    noun = ""
    if words[spot] == "nao" and spot >= 1:
        noun = " ".join(words[max(0, spot - 2):spot]) if spot >= 2 and words[spot - 2] not in ("la", "o", "tai", "cua", "vao", "nhung", "cac") \
            else words[spot - 1]
    elif words[spot] in ("bao", "may"):
        # "bao nhiêu cuộc đối thoại": the classifier ("cuộc", "lần", "chiếc") is not what is counted
        counted = [w for w in words[spot + skip:spot + skip + 3] if w not in _CLASSIFIERS][:2]
        noun = " ".join(counted) if counted and counted[0] not in _NOT_NOUNS else ""
    return before, after, noun


_CLASSIFIERS = {"cuoc", "lan", "chiec", "con", "cai", "buoi", "dot", "luot", "vu"}
_NOT_NOUNS = {"de", "cho", "cua", "va", "la", "thi", "nam", "khi", "trong", "tai", "o", "voi", "duoc", "da"}


def _english_noun(question: str) -> str:
    m = re.search(r"\bhow (?:many|much) ([a-z' -]+?)(?: did| do| does| were| was| are| is| have| has| in| of|\?|$)",
                  question.lower())
    if m:
        vietnamese = english_to_vietnamese(m.group(1))
        return fold(vietnamese[0]) if vietnamese else ""
    return ""


def is_acronym(word: str) -> bool:
    """Vietnamese syllables always have a vowel; "hcm", "ubnd", "tp" do not."""
    return 2 <= len(word) <= 6 and word.isalpha() and not re.search(r"[aeiouy]", word)


def unmentioned(q: Question, df, text=None) -> tuple[str, ...]:
    """The names, codes, years and numbers the question states that no passage of the index holds, as the
    question spells them. `df(term, exact)` is the index's document frequency; a name is unmentioned when one
    of its words, or of its adjacent word pairs, is in no passage (diacritic-folded, so a name typed with or
    without diacritics is the same name). Word pairs may each occur elsewhere and the name still be absent:
    this errs on the side of "mentioned". So does an acronym ("UBND", "IOC"): an article may spell it out
    ("Ủy ban nhân dân"), which no term count can tell, so only a name's other words count. An English
    question's names are its stretches of Vietnamese syllables (`_names`: "Vinh Xuan" of "Vinh Xuan City").
    Its countries and world regions ("France", the glossary's PLACES) are looked for in their Vietnamese forms.

    `text` (the articles' own text, see Engine) checks what the term counts flag, and a one-word name's case:
    `text.holds(words)` finds the words in this order in an article however they are separated or continued
    ("Choi Han" in "Choi Han-seul", "42.5" as "42,5", "5000" as "5.000", "12-KH" in "12-KH/ABC"), and
    `text.only_common(word)` says whether the articles never write a capitalised word as a name ("Pháp"
    where they have only "pháp luật")."""
    missing = []
    english = q.english or reads_as_english(q.text)
    for name in (*q.names, *q.years, *q.numbers):
        words = [w for w in re.split(r"\s+", name) if w]
        written, as_typed = _as_written(q, words) or (None, words)
        if text is not None and written is None:
            continue  # not a run of whole words of the question ("d" of "D01"): nothing to look for
        if english and not q.english and written and not has_diacritics(written) and name in q.names:
            continue  # a follow-up in English ("what about Vinh Xuan?") was analysed as Vietnamese
        spelled = [None if is_acronym(w) or (len(t) > 1 and t.isalpha() and t.isupper()) else w
                   for w, t in zip(words, as_typed)]
        if _in_no_passage(spelled, df):
            if text is None or not text.holds([t for t, w in zip(as_typed, spelled) if w]):
                missing.append(written or name)
        elif (text is not None and name in q.names and len(words) == 1 and spelled[0]
              and written[:1].isupper() and text.only_common(written)):
            missing.append(written)
    for typed, forms in q.places if english else ():
        # an English question's country or region: missing when the articles write it in none of its forms
        if not any(_writes_place(form, df, text) for form in (*forms, typed)):
            missing.append(typed)
    for word in () if english else q.capitalised:
        # a capitalised syllable no passage holds in any case or spelling is no common noun of these articles
        if _in_no_passage([fold(word)], df) and (text is None or not text.holds([word])):
            missing.append(word)
    return tuple(dict.fromkeys(missing))


def _in_no_passage(words: list[str | None], df) -> bool:
    """Whether one of the folded words, or of its adjacent word pairs, is in no passage (`df(term, exact)`: the
    index's document frequency); a None (an acronym, never looked for) breaks the pairs around it."""
    keys = [w for w in words if w] + [f"{a} {b}" for a, b in zip(words, words[1:]) if a and b]
    return bool(keys) and any(df(key, False) == 0 for key in keys)


def _writes_place(form: str, df, text=None) -> bool:
    """Whether the articles write a place in this form ("nhật bản", "Japan"): each word and word pair in some
    passage; with their text, the words in this order, and a one-word form ("pháp") as a name somewhere, not
    only inside common words ("pháp luật")."""
    words = fold(form).split()
    if not words or _in_no_passage(words, df):
        return False
    if text is None:
        return True
    if len(words) == 1:
        return not text.only_common(form[:1].upper() + form[1:])
    return text.holds(form.split())


def _as_written(q: Question, words: list[str]) -> tuple[str, list[str]] | None:
    """The question's own spelling of a folded name ("tp hcm" -> "TP.HCM"), and of each of its words ("TP",
    "HCM"): fold() keeps one character per character of NFC text, so an offset in the folded question is an
    offset in the question."""
    if len(q.folded) != len(q.text):
        return None
    m = re.search(r"(?<!\w)" + r"\W+".join(f"({re.escape(w)})" for w in words) + r"(?!\w)", q.folded)
    if not m:
        return None
    return q.text[m.start():m.end()], [q.text[m.start(i):m.end(i)] for i in range(1, len(words) + 1)]
