"""How well diacritics are put back into questions typed without them (qa/text/diacritics.py).

Every question of the sets typed with diacritics (not English) is folded ("Tổng kinh phí là bao nhiêu?" ->
"tong kinh phi la bao nhieu?") and restored from its own index and the reader's tokenizer prior, as
`Engine.question` restores it. Prints, per set, the share of syllables spelled back exactly and of questions
restored whole, for a grid of the restorer's three weights (the `--tune` sets choose them; the `--check` sets
are only measured), and beside the shipped restorer: counts from the articles' text read whole instead of
the index's term statistics, and the folded question as typed. Then the same for the questions' names, as
an English question's names are spelled (`restore_name`) and syllable by syllable.

    python benchmarks/diacritics.py --tune eval/news-train.jsonl eval/train-articles.jsonl:eval/train-articles \\
        --check eval/news-holdout.jsonl eval/own-articles.jsonl:eval/own-articles
"""
from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.text.diacritics import PAIR_WEIGHT, PRIOR_WEIGHT, QUESTION_WEIGHT, DiacriticRestorer, piece_prior  # noqa: E402
from qa.text.vntext import canonical, fold, has_diacritics  # noqa: E402
from qa.text.vocabulary import is_english  # noqa: E402

SYLLABLE = re.compile(r"[^\W\d_]+")


def set_questions(spec: str):
    """(set name, its questions typed with diacritics, its articles' titles and texts, its index's
    document frequencies)."""
    from qa.engine import Engine
    from qa.train.fit import CACHE_DIR, index_for
    from qa.train.reader_data import load_set

    name, items, folder = load_set(spec)
    engine = Engine.load(index_for(folder, Path(CACHE_DIR), True), reader=False)
    questions = [i.question for i in items if has_diacritics(i.question) and not is_english(i.question)]
    return name, questions, [f"{a.title}\n{a.text}" for a in engine.articles.values()], engine.backend.document_frequency


def score(restorer: DiacriticRestorer | None, questions: list[str]) -> tuple[float, float]:
    syllables = right = whole = 0
    for question in questions:
        truth = SYLLABLE.findall(canonical(question).lower())
        typed = fold(question)
        restored = SYLLABLE.findall(canonical(restorer.restore(typed) if restorer else typed).lower())
        syllables += len(truth)
        right += sum(a == b for a, b in zip(truth, restored))
        whole += truth == restored
    return right / max(syllables, 1), whole / max(len(questions), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", nargs="+", required=True, help="QUESTIONS.jsonl[:FOLDER] sets that choose the weights")
    parser.add_argument("--check", nargs="*", default=[], help="sets only measured")
    parser.add_argument("--reader", default=None, help="reader model file whose tokenizer gives the prior")
    args = parser.parse_args()
    from qa.answer.reader.model import PieceTokenizer
    from qa.answer.reader.reader import MODEL_FILE, ReaderModelFile

    spec = ReaderModelFile.read(Path(args.reader or MODEL_FILE))
    tokenizer = PieceTokenizer.from_dict(spec.tokenizer)
    prior = piece_prior(tokenizer.pieces, tokenizer.scores)
    t0 = time.time()
    tune = [set_questions(s) for s in args.tune]
    check = [set_questions(s) for s in args.check]
    print(f"loaded {len(tune) + len(check)} sets in {time.time() - t0:.0f} s", file=sys.stderr)
    grid = list(itertools.product((0.03, 0.1, 0.3, 1.0), (0.3, 1.0, 3.0, 10.0), (0.0, 3.0, 10.0, 30.0, 100.0)))
    print("| pair weight | prior weight | question weight | syllables right (tuning sets) | questions whole (tuning sets) |")
    print("|---|---|---|---|---|")
    results = {}
    for pair_weight, prior_weight, question_weight in grid:
        totals = [0.0, 0.0]
        for _, questions, _, df in tune:
            r = DiacriticRestorer.from_index(df, prior, question_weight=question_weight, pair_weight=pair_weight,
                                             prior_weight=prior_weight)
            s, w = score(r, questions)
            totals[0] += s / len(tune)
            totals[1] += w / len(tune)
        results[pair_weight, prior_weight, question_weight] = totals
        print(f"| {pair_weight} | {prior_weight} | {question_weight} | {totals[0]:.3f} | {totals[1]:.3f} |")
    best = max(results, key=lambda k: results[k][0])
    print(f"\nbest on the tuning sets: pair weight {best[0]}, prior weight {best[1]}, question weight {best[2]} "
          f"(shipped: {PAIR_WEIGHT}, {PRIOR_WEIGHT}, {QUESTION_WEIGHT})\n")
    print("| set | questions | syllables right | questions whole | from the articles' text: syllables | questions | as typed: syllables |")
    print("|---|---|---|---|---|---|---|")
    for name, questions, texts, df in tune + check:
        s, w = score(DiacriticRestorer.from_index(df, prior), questions)
        s1, w1 = score(DiacriticRestorer.from_texts(texts, prior), questions)
        s0, _ = score(None, questions)
        print(f"| {name} | {len(questions)} | {s:.3f} | {w:.3f} | {s1:.3f} | {w1:.3f} | {s0:.3f} |")
    print("\nNames (runs of two capitalised words or more, one with marks, not opening the question), folded and "
          "spelled back as an English question's are (`restore_name`) or syllable by syllable (`restore_syllables`):\n")
    print("| set | names | restore_name: syllables | names whole | restore_syllables: syllables | names whole |")
    print("|---|---|---|---|---|---|")
    for name, questions, _, df in tune + check:
        restorer = DiacriticRestorer.from_index(df, prior)
        counts = [0, 0, 0, 0, 0, 0]  # names, syllables, then right and whole for each way
        for question in questions:
            for typed, truth in names_of(question):
                by_name = [s if s is not None else t for s, t in zip(restorer.restore_name(typed), typed)]
                for i, spelled in enumerate((by_name, restorer.restore_syllables(typed))):
                    spelled = [canonical(x).lower() for x in spelled]
                    counts[2 + 2 * i] += sum(a == b for a, b in zip(spelled, truth))
                    counts[3 + 2 * i] += spelled == truth
                counts[0] += 1
                counts[1] += len(truth)
        n, syl = max(counts[0], 1), max(counts[1], 1)
        print(f"| {name} | {counts[0]} | {counts[2] / syl:.3f} | {counts[3] / n:.3f} | {counts[4] / syl:.3f} | {counts[5] / n:.3f} |")
    return 0


def names_of(question: str) -> list[tuple[list[str], list[str]]]:
    """(folded, as written) syllables of the question's names: runs of two capitalised words or more with a
    marked one, the question's first word left out (it is capitalised whatever it is)."""
    out, run = [], []
    for i, m in enumerate(SYLLABLE.finditer(question + " .")):
        word = m.group()
        if i > 0 and word[0].isupper() and (not run or question[run[-1].end():m.start()] == " "):
            run.append(m)
            continue
        words = [r.group() for r in run]
        if len(words) >= 2 and any(has_diacritics(w) for w in words):
            out.append(([fold(w).lower() for w in words], [canonical(w).lower() for w in words]))
        run = [m] if i > 0 and word[0].isupper() else []
    return out


if __name__ == "__main__":
    sys.exit(main())
