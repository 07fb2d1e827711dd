"""Diacritics put back into a question typed without them, spelled as the indexed articles spell it.

"tong kinh phi chien dich la bao nhieu" reads, to the reader (qa/answer/reader/), as a string of pieces it
rarely saw in training: on held-out question sets it found the answering window for 0.36 of such questions
against 0.73 of questions typed with diacritics. Each syllable typed without marks becomes the spelling the
articles use most often after the previous one (a syllable bigram model decoded with Viterbi; its counts are
how many passages of the index hold each spelling and each pair, which its BM25 statistics already know), so
"kinh phi" becomes "kinh phí" where the articles say so, whatever the corpus. A syllable typed with its
marks, a number, and a word no spelling is known for are kept as typed.
"""
from __future__ import annotations

import itertools
import math
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

import numpy as np

from .vntext import TONE_MARKS, canonical, fold, has_diacritics, search_form
from .vocabulary import ENGLISH_FUNCTION_WORDS, ENGLISH_QUESTION_WORDS, QUESTION_SPELLINGS, is_english

_SYLLABLE = re.compile(r"[^\W\d_]+")
_WORD = re.compile(r"\w+(?:[-/]\w+)*")
# a clause boundary: a question is restored clause by clause (and counts made from text do not cross it)
_CLAUSE = re.compile(r"[.,;:!?()\[\]\"“”«»…\n]+")
# How much a spelling's share counts beside what follows the previous syllable (the pair counts' smoothing),
# and how much the prior counts beside the text's own counts of a syllable's spellings: fitted on the
# question sets' own questions, folded and restored (`benchmarks/diacritics.py`).
PAIR_WEIGHT = 0.1
PRIOR_WEIGHT = 1.0
QUESTION_WEIGHT = 10.0


class DiacriticRestorer:
    """Counts of syllables and syllable pairs by spelling (looked up, not held: an index answers them from its
    BM25 term statistics), the spellings each folded syllable may have, and a prior over spellings;
    `restore` puts back the marks."""

    def __init__(self, unigram: Callable[[str], float], pair: Callable[[str, str], float], spellings: Iterable[str],
                 prior: dict[str, float] | None = None, question_weight: float = QUESTION_WEIGHT,
                 pair_weight: float = PAIR_WEIGHT, prior_weight: float = PRIOR_WEIGHT):
        self._unigram, self._pair = unigram, pair
        self.pair_weight, self.prior_weight = pair_weight, prior_weight
        # a question asks in words that news text rarely uses: the spellings of question phrases, counted in
        # `question_weight` times each
        self._asked, self._asked_pairs = Counter(), Counter()
        for phrase in QUESTION_SPELLINGS:
            syllables = _SYLLABLE.findall(search_form(phrase))
            for x in syllables:
                self._asked[x] += question_weight
            for x, y in zip(syllables, syllables[1:]):
                self._asked_pairs[x, y] += question_weight
        prior = prior or {}
        self.spellings: dict[str, list[str]] = defaultdict(list)  # folded syllable -> its spellings
        for spelling in sorted({*spellings, *prior, *self._asked}):
            self.spellings[fold(spelling)].append(spelling)
        # the prior's share of each spelling among those of its folded form (a softmax of its log-scores)
        self.prior_share: dict[str, float] = {}
        floor = min(prior.values()) - 1.0 if prior else 0.0
        for group in self.spellings.values():
            scores = np.array([prior.get(x, floor) for x in group])
            weights = np.exp(scores - scores.max())
            self.prior_share.update(zip(group, (weights / weights.sum()).tolist()))
        self._folded_total: dict[str, float] = {}
        self._pairs_by_fold: dict[tuple[str, str], float] = {}
        self._attested: set[str] = set()  # folded syllables whose markings were looked up

    @classmethod
    def from_texts(cls, texts: Iterable[str], prior: dict[str, float] | None = None, **weights) -> "DiacriticRestorer":
        """Counts of `texts`' own syllables (clause by clause)."""
        unigrams, bigrams = Counter(), Counter()
        for text in texts:
            for clause in _CLAUSE.split(canonical(text).lower()):
                syllables = _SYLLABLE.findall(clause)
                unigrams.update(syllables)
                bigrams.update(zip(syllables, syllables[1:]))
        return cls(unigrams.__getitem__, lambda a, b: bigrams[a, b], unigrams, prior, **weights)

    @classmethod
    def from_index(cls, document_frequency: Callable[[str, bool], int], prior: dict[str, float],
                   **weights) -> "DiacriticRestorer":
        """Counts of an index: how many passages hold each spelling and each pair of spellings (its BM25
        terms, `document_frequency(term, exact=True)`), the spellings those of the prior. Nothing is read
        ahead: a question costs a few hundred lookups, whatever the size of the index."""
        return cls(lambda x: document_frequency(x, True), lambda a, b: document_frequency(f"{a} {b}", True),
                   (), prior, **weights)

    def unigram(self, spelling: str) -> float:
        return self._unigram(spelling) + self._asked[spelling]

    def pair(self, a: str, b: str) -> float:
        return self._pair(a, b) + self._asked_pairs[a, b]

    def _candidates(self, typed: str) -> list[str]:
        low = search_form(typed)
        if has_diacritics(low):
            return [low]
        if low not in self._attested:
            # every way of marking the syllable that the counts hold (a few hundred lookups at most), with
            # the prior's and the question phrases' spellings: the counts need not list their spellings
            known = set(self.spellings.get(low, ()))
            marked = {x for x in _markings(low) if x not in known and self._unigram(x) > 0}
            if marked:
                self.spellings[low] = sorted(known | marked)
                self._folded_total.pop(low, None)
            self._attested.add(low)
        return self.spellings.get(low) or [low]

    def _forget_if_large(self) -> None:
        """The sums below are kept per syllable asked about; a server asked for months clears them now and then."""
        if len(self._pairs_by_fold) + len(self._folded_total) > 200_000:
            self._pairs_by_fold.clear()
            self._folded_total.clear()

    def _share(self, spelling: str) -> float:
        """P(spelling | its folded form): the counts smoothed towards the prior."""
        folded = fold(spelling)
        total = self._folded_total.get(folded)  # read once: another thread may clear the sums meanwhile
        if total is None:
            total = self._folded_total[folded] = sum(self.unigram(x) for x in self.spellings.get(folded, ()))
        return ((self.unigram(spelling) + self.prior_weight * self.prior_share.get(spelling, 1.0))
                / (total + self.prior_weight))

    def _log_p(self, previous: str | None, spelling: str) -> float:
        """log P(spelling | previous syllable, its folded form): the pair's count smoothed towards the
        spelling's share of its folded form."""
        share = self._share(spelling)
        if previous is None:
            return math.log(share)
        key = (previous, fold(spelling))
        total = self._pairs_by_fold.get(key)
        if total is None:
            total = self._pairs_by_fold[key] = sum(self.pair(previous, x) for x in self.spellings.get(key[1], ()))
        return math.log((self.pair(previous, spelling) + self.pair_weight * share) / (total + self.pair_weight))

    def restore_syllables(self, typed: list[str], kept: list[bool] | None = None) -> list[str]:
        """The most probable spelling of each syllable of one clause (lowercase), by Viterbi; `kept`: those
        to keep as typed (they still count as the context of their neighbours)."""
        if not typed:
            return []
        columns = [[t.lower()] if kept and kept[i] else self._candidates(t) for i, t in enumerate(typed)]
        best = {s: (self._log_p(None, s), [s]) for s in columns[0]}
        for column in columns[1:]:
            best = {s: max(((score + self._log_p(p, s), path + [s]) for p, (score, path) in best.items()),
                           key=lambda x: x[0]) for s in column}
        return max(best.values(), key=lambda x: x[0])[1]

    def restore_name(self, typed: list[str]) -> list[str | None]:
        """The spellings of a name's syllables typed without marks: of their spellings, the sequence whose
        adjacent pairs the articles write most (the sum of log(1 + passages holding each pair)), then the most
        common (the sum of each spelling's log share); None for a syllable in no written pair of that sequence
        (an English word beside the name, or a name no article holds), which is then kept as typed. Unlike
        `restore_syllables`, where an unseen pair costs nothing beside the syllables' own frequency ("đã"
        before "vy"), a name is spelled as the articles write it whole ("Đà Vy" where they write it)."""
        columns = [self._candidates(t) if not has_diacritics(t) else [search_form(t)] for t in typed]
        best = {s: ((0.0, math.log(self._share(s))), [s]) for s in columns[0]}
        for column in columns[1:]:
            step = {}
            for s in column:
                share = math.log(self._share(s))
                step[s] = max((((a + math.log1p(self.pair(p, s)), b + share), path + [s])
                               for p, ((a, b), path) in best.items()), key=lambda x: x[0])
            best = step
        path = max(best.values(), key=lambda x: x[0])[1]
        written = [self.pair(a, b) > 0 for a, b in zip(path, path[1:])]
        return [s if (i > 0 and written[i - 1]) or (i < len(written) and written[i]) else None
                for i, s in enumerate(path)]

    def restore(self, text: str) -> str:
        """`text` with the marks of its unmarked syllables put back; case, spacing and punctuation kept."""
        self._forget_if_large()
        out, at = [], 0
        for clause in _CLAUSE.finditer(text + "."):
            piece = text[at:clause.start()]
            matches = list(_SYLLABLE.finditer(piece))
            # a code ("12-KH/UBND", "ND-CP") or an acronym ("UBND", "HDND") is kept as typed
            codes = [m.span() for m in _WORD.finditer(piece)
                     if re.search(r"[\d/-]", m.group()) or (len(m.group()) > 1 and m.group().isupper())]
            kept = [any(a <= m.start() and m.end() <= b for a, b in codes) for m in matches]
            restored = self.restore_syllables([m.group() for m in matches], kept)
            last = 0
            for m, spelling in zip(matches, restored):
                out.append(piece[last:m.start()])
                out.append(_with_case(m.group(), spelling))
                last = m.end()
            out.append(piece[last:])
            out.append(text[clause.start():min(clause.end(), len(text))])
            at = clause.end()
        return "".join(out)


# Each letter of a folded syllable and the letters it may stand for (vowels with their hats, horns and tones).
_MARKED = {"a": "aàáảãạăằắẳẵặâầấẩẫậ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị", "o": "oòóỏõọôồốổỗộơờớởỡợ",
           "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ", "d": "dđ"}
MAX_MARKINGS = 20_000


def _markings(folded: str) -> list[str]:
    """Every spelling of a folded syllable with at most one tone mark (Vietnamese writes one per syllable)."""
    options = [_MARKED.get(ch, ch) for ch in folded]
    if math.prod(len(o) for o in options) > MAX_MARKINGS:
        return []
    out = []
    for letters in itertools.product(*options):
        word = "".join(letters)
        if sum(mark in TONE_MARKS for mark in unicodedata.normalize("NFD", word)) <= 1:
            out.append(canonical(word))
    return out


class QuestionSpeller:
    """Puts back the diacritics of Vietnamese questions typed without them, spelled as an index's articles
    spell them; the restorer is made on the first question that needs it, once, whichever thread asks first."""

    def __init__(self, make: Callable[[], DiacriticRestorer]):
        self._make = make
        self._restorer: DiacriticRestorer | None = None
        self._lock = threading.Lock()

    def restore_question(self, question: str) -> str:
        """`question` with its diacritics put back; as typed when it has some already or holds no word to
        spell. In an English question only its Vietnamese names are spelled (`restore_names`)."""
        if has_diacritics(question) or not _SYLLABLE.search(question):
            return question
        english = is_english(question)
        if english and not any(" " in run.group() for run in _CAPITALISED_RUN.finditer(question)):
            return question
        with self._lock:
            if self._restorer is None:
                self._restorer = self._make()
        return restore_names(self._restorer, question) if english else self._restorer.restore(question)


# A run of capitalised words, letters only (a possessive "'s" may follow): where an English question writes a
# Vietnamese name typed without marks ("Pham Thi Lan", "Thach Vy's"), and its English words ("City", "Who").
_CAPITALISED_RUN = re.compile(r"(?<![\w'’-])[A-Z][a-z]*(?: [A-Z][a-z]*)*(?![\w-])(?!['’](?!s\b))")


def restore_names(restorer: DiacriticRestorer, question: str) -> str:
    """An English question with the diacritics of its Vietnamese names put back as the articles spell them
    ("How long is the new bridge in Thach Vy?" → "… Thạch Vy?"), so that the candidate scorer and the reader
    read the name the article writes. A name is a run of capitalised words; each is spelled as the run's most
    written spelling (`restore_name`), and kept as typed when no article writes it next to its neighbour:
    "City" of "Thach Vy City", a name no article holds. A question word or article opening a sentence ("Who",
    "In", "The") is English, not the start of a name."""
    out, last = [], 0
    for run in _CAPITALISED_RUN.finditer(question):
        words = [(run.start() + m.start(), m.group()) for m in re.finditer(r"[A-Za-z]+", run.group())]
        before = question[:run.start()].rstrip()
        if words and (not before or before[-1] in ".!?:;\"“(") and words[0][1].lower() in _ENGLISH_OPENERS:
            words = words[1:]
        if len(words) < 2:
            continue
        for (start, w), spelling in zip(words, restorer.restore_name([w for _, w in words])):
            if spelling is not None:
                out.append(question[last:start])
                out.append(_with_case(w, spelling))
                last = start + len(w)
    out.append(question[last:])
    return "".join(out)


_ENGLISH_OPENERS = ENGLISH_FUNCTION_WORDS | ENGLISH_QUESTION_WORDS


def piece_prior(pieces: list[str], scores, mark: str = "\u2581") -> dict[str, float]:
    """Log-scores of whole-syllable pieces of a unigram tokenizer (lowercase, canonical tones; the best of a
    syllable's cases): what the tokenizer's training text says of how common each spelling is."""
    prior: dict[str, float] = {}
    for piece, score in zip(pieces, scores):
        if piece.startswith(mark) and _SYLLABLE.fullmatch(piece[1:]):
            spelling = search_form(piece[1:])
            prior[spelling] = max(prior.get(spelling, -math.inf), float(score))
    return prior


def _with_case(typed: str, spelling: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return spelling.upper()
    if typed[:1].isupper():
        return spelling[:1].upper() + spelling[1:]
    return spelling
