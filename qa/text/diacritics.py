"""Diacritics put back into a question typed without them, from the articles' own spelling.

"tong kinh phi chien dich la bao nhieu" reads, to the reader (qa/answer/reader/), as a string of pieces it
rarely saw in training: on held-out question sets it found the answering window for 0.36 of such questions
against 0.73 of questions typed with diacritics. Each syllable typed without marks is replaced by the spelling
the indexed articles use most often after the previous one (a syllable bigram model over the articles' text,
decoded with Viterbi), so "kinh phi" becomes "kinh phí" where the articles say so, whatever the corpus. A
syllable typed with its marks, a number, and a word the articles never write are kept as typed.
"""
from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

import numpy as np

from .vntext import canonical, fold, has_diacritics
from .vocabulary import QUESTION_SPELLINGS, is_english

_SYLLABLE = re.compile(r"[^\W\d_]+")
# a clause boundary: the bigram counts do not cross it
_CLAUSE = re.compile(r"[.,;:!?()\[\]\"“”«»…\n]+")
# How much a spelling's share counts beside what follows the previous syllable (the pair counts' smoothing),
# and how much the prior counts beside the text's own counts of a syllable's spellings: fitted on the
# question sets' own questions, folded and restored (`benchmarks/diacritics.py`).
PAIR_WEIGHT = 0.1
PRIOR_WEIGHT = 1.0
QUESTION_WEIGHT = 10.0


class DiacriticRestorer:
    """Syllable and syllable-pair counts of some text, by spelling, and a prior over spellings; `restore`
    puts back the marks."""

    def __init__(self, unigrams: Counter, bigrams: Counter, prior: dict[str, float] | None = None,
                 pair_weight: float = PAIR_WEIGHT, prior_weight: float = PRIOR_WEIGHT):
        self.unigrams = unigrams  # spelling (lowercase, canonical tones) -> count
        self.bigrams = bigrams  # (spelling, spelling) -> count
        self.pair_weight, self.prior_weight = pair_weight, prior_weight
        self.spellings: dict[str, list[str]] = defaultdict(list)  # folded syllable -> its spellings
        for spelling in {*unigrams, *(prior or {})}:
            self.spellings[fold(spelling)].append(spelling)
        self.folded_total = Counter()
        for spelling, n in unigrams.items():
            self.folded_total[fold(spelling)] += n
        self.pairs_by_fold = Counter()  # (spelling, folded next syllable) -> count
        for (a, b), n in bigrams.items():
            self.pairs_by_fold[a, fold(b)] += n
        # the prior's share of each spelling among those of its folded form (a softmax of its log-scores)
        self.prior_share: dict[str, float] = {}
        floor = min(prior.values()) - 1.0 if prior else 0.0
        for folded, spellings in self.spellings.items():
            scores = np.array([(prior or {}).get(x, floor) for x in spellings])
            weights = np.exp(scores - scores.max())
            for x, w in zip(spellings, weights / weights.sum()):
                self.prior_share[x] = float(w)

    @classmethod
    def from_texts(cls, texts: Iterable[str], prior: dict[str, float] | None = None,
                   question_weight: float = QUESTION_WEIGHT, **weights) -> "DiacriticRestorer":
        """Counts of `texts` (the articles), and of the spellings of question phrases, each counted
        `question_weight` times: a question asks in words that news text rarely uses."""
        unigrams, bigrams = Counter(), Counter()

        def count(text: str, times: float = 1) -> None:
            for clause in _CLAUSE.split(canonical(text).lower()):
                syllables = _SYLLABLE.findall(clause)
                for x in syllables:
                    unigrams[x] += times
                for pair in zip(syllables, syllables[1:]):
                    bigrams[pair] += times

        for text in texts:
            count(text)
        if question_weight:
            for phrase in QUESTION_SPELLINGS:
                count(phrase, question_weight)
        return cls(unigrams, bigrams, prior, **weights)

    def _candidates(self, typed: str) -> list[str]:
        low = canonical(typed).lower()
        if has_diacritics(low):
            return [low]
        return self.spellings.get(low) or [low]

    def _share(self, spelling: str) -> float:
        """P(spelling | its folded form): the text's counts smoothed towards the prior."""
        folded = fold(spelling)
        return ((self.unigrams.get(spelling, 0) + self.prior_weight * self.prior_share.get(spelling, 1.0))
                / (self.folded_total.get(folded, 0) + self.prior_weight))

    def _log_p(self, previous: str | None, spelling: str) -> float:
        """log P(spelling | previous syllable, its folded form): the pair's count smoothed towards the
        spelling's share of its folded form."""
        share = self._share(spelling)
        if previous is None:
            return math.log(share)
        return math.log((self.bigrams.get((previous, spelling), 0) + self.pair_weight * share)
                        / (self.pairs_by_fold.get((previous, fold(spelling)), 0) + self.pair_weight))

    def restore_syllables(self, typed: list[str]) -> list[str]:
        """The most probable spelling of each syllable of one clause (lowercase), by Viterbi."""
        if not typed:
            return []
        columns = [self._candidates(t) for t in typed]
        best = {s: (self._log_p(None, s), [s]) for s in columns[0]}
        for column in columns[1:]:
            best = {s: max(((score + self._log_p(p, s), path + [s]) for p, (score, path) in best.items()),
                           key=lambda x: x[0]) for s in column}
        return max(best.values(), key=lambda x: x[0])[1]

    def restore(self, text: str) -> str:
        """`text` with the marks of its unmarked syllables put back; case, spacing and punctuation kept."""
        out, at = [], 0
        for clause in _CLAUSE.finditer(text + "."):
            piece = text[at:clause.start()]
            matches = list(_SYLLABLE.finditer(piece))
            restored = self.restore_syllables([m.group() for m in matches])
            last = 0
            for m, spelling in zip(matches, restored):
                out.append(piece[last:m.start()])
                out.append(_with_case(m.group(), spelling))
                last = m.end()
            out.append(piece[last:])
            out.append(text[clause.start():min(clause.end(), len(text))])
            at = clause.end()
        return "".join(out)


class QuestionSpeller:
    """Puts back the diacritics of Vietnamese questions typed without them, spelled as an index's articles
    spell them. The restorer is made on the first question that needs it (one pass over the articles' text:
    about 2 MB a second on one core), once, whichever thread asks first."""

    def __init__(self, texts: Callable[[], Iterable[str]], prior: Callable[[], dict[str, float]]):
        self._texts, self._prior = texts, prior
        self._restorer: DiacriticRestorer | None = None
        self._lock = threading.Lock()

    def restore_question(self, question: str) -> str:
        """`question` with its diacritics put back; as typed when it has some already, is English, or holds
        no word to spell."""
        if has_diacritics(question) or is_english(question) or not _SYLLABLE.search(question):
            return question
        with self._lock:
            if self._restorer is None:
                self._restorer = DiacriticRestorer.from_texts(self._texts(), self._prior())
        return self._restorer.restore(question)


def piece_prior(pieces: list[str], scores, mark: str = "\u2581") -> dict[str, float]:
    """Log-scores of whole-syllable pieces of a unigram tokenizer (lowercase, canonical tones; the best of a
    syllable's cases): what the tokenizer's training text says of how common each spelling is."""
    prior: dict[str, float] = {}
    for piece, score in zip(pieces, scores):
        if piece.startswith(mark) and _SYLLABLE.fullmatch(piece[1:]):
            spelling = canonical(piece[1:]).lower()
            prior[spelling] = max(prior.get(spelling, -math.inf), float(score))
    return prior


def _with_case(typed: str, spelling: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return spelling.upper()
    if typed[:1].isupper():
        return spelling[:1].upper() + spelling[1:]
    return spelling
