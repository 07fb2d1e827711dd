"""Summaries against reference key facts: the share of each article's key facts its summary quotes.

    python benchmarks/summaries.py                          # every set, the method before issue 25 and now
    python benchmarks/summaries.py --set own-articles --index own-articles=/tmp/oa-index --method key-facts
    python benchmarks/summaries.py --fit                    # refit the weights on the fitting sets

eval/summary-facts.jsonl holds, per article, 4-6 short verbatim phrases a good summary must contain
(written from the articles before any summary was looked at). Each article is summarised with
qa.answer.summary.summarise on its own hits ("Tóm tắt bài «TITLE»" searched within the article, as the chat
does when a title is named); a fact is held when the summary's quoted sentences contain it (the
compare form of qa/evaluate.py: case, tones and spacing do not matter; the "Tóm tắt «TITLE»:" prefix
does not count). The weights are fitted and the settings chosen on eval/train-articles and
eval/reader-train (40 articles); eval/own-articles is held out and only measured.

`--fit` fits the sentence scorer (logistic regression: does a sentence hold a key fact?) and chooses
its regularisation and the MMR redundancy by leave-one-article-out coverage on the fitting sets,
within the reading limits (at most --max-sentences sentences and --max-chars characters), then prints
the SETTINGS line for qa/summary.py. Each set's index is built (or updated) in the `qa fit` cache
unless --index SET=PATH names one.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FACTS = REPO / "eval" / "summary-facts.jsonl"
SETS = {"train-articles": REPO / "eval" / "train-articles", "reader-train": REPO / "eval" / "reader-train",
        "own-articles": REPO / "eval" / "own-articles"}
FIT_SETS = ("train-articles", "reader-train")  # own-articles is held out
# the grid --fit searches (every value is scored by held-out coverage on FIT_SET)
REGULARISATION = (0.1, 0.3, 1.0, 3.0, 10.0)
REDUNDANCY = (0.0, 0.5, 1.0, 2.0, 4.0)
SENTENCES = (4, 5, 6, 7)  # the most sentences a summary quotes, within the --max-chars reading limit


def read_facts(path: Path = FACTS) -> dict[str, list[str]]:
    """{"eval/own-articles/ho-ba-be.txt": [fact, ...], ...} from the facts file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["source"]: row["facts"] for row in rows}


def facts_held(summary: str, facts: list[str]) -> int:
    """How many of `facts` the summary text contains, compared as qa/evaluate.py compares answers."""
    from qa.evaluate import contains

    return sum(1 for fact in facts if contains(summary, fact))


def article_label(article) -> str:
    """The article's name in the facts file: its file inside the set's folder, "FILE#ROW" for an archive row."""
    return article.id if "#" in article.id else article.source


def set_articles(engine, folder: Path, facts: dict[str, list[str]]) -> list[tuple[object, list[str]]]:
    prefix = folder.relative_to(REPO).as_posix()
    found = [(a, facts[f"{prefix}/{article_label(a)}"]) for a in engine.articles.values()
             if f"{prefix}/{article_label(a)}" in facts]
    missing = {k for k in facts if k.startswith(prefix + "/")} - {f"{prefix}/{article_label(a)}" for a, _ in found}
    if missing:
        raise SystemExit(f"summaries: {len(missing)} articles of {FACTS.name} are not in the index "
                         f"(rebuild it): {sorted(missing)[:3]}")
    return found


def summary_of(engine, article, method: str, settings=None) -> tuple[str, int]:
    """(the summary's quoted sentences, how many) for one article, as the chat makes it."""
    from qa.answer.question import analyse
    from qa.answer.summary import SETTINGS, summarise

    question = f"Tóm tắt bài «{article.title}»"
    hits = engine.search(question, k=5, articles=[article.id])
    answer = summarise(analyse(question), hits, 5, engine.articles, engine.answerer.sentences, method=method,
                       settings=settings or SETTINGS)
    if answer is None:
        return "", 0
    return " ".join(article.text[a:b] for a, b in answer.summary), len(answer.summary)


def measure(engine, articles, method: str, settings=None) -> dict:
    per_article, lengths, counts, held_total, fact_total = [], [], [], 0, 0
    for article, facts in articles:
        text, count = summary_of(engine, article, method, settings)
        held = facts_held(text, facts)
        per_article.append({"article": article_label(article), "held": held, "facts": len(facts),
                            "chars": len(text), "sentences": count})
        held_total += held
        fact_total += len(facts)
        lengths.append(len(text))
        counts.append(count)
    return {"method": method, "articles": len(articles), "held": held_total, "facts": fact_total,
            "share": statistics.mean(r["held"] / r["facts"] for r in per_article),
            "median_chars": statistics.median(lengths), "median_sentences": statistics.median(counts),
            "per_article": per_article}


# ---- fitting ----------------------------------------------------------------------------------------------
def training_rows(fitting):
    """Per article: (engine, article, facts, features of its candidate sentences, does each hold a key fact)."""
    import numpy as np

    from qa.answer.summary import sentence_features

    out = []
    for engine, article, facts in fitting:
        sentences = engine.answerer.sentences
        offsets, features = sentence_features(article, sentences)
        rows = sentences.rows(article.id)
        texts = [article.text[sentences.starts[rows.start + i]:sentences.ends[rows.start + i]] for i in offsets]
        labels = np.array([facts_held(t, facts) > 0 for t in texts], dtype=int)
        out.append((engine, article, facts, features, labels))
    return out


def fit_scorer(rows, regularisation: float):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    features = np.vstack([r[3] for r in rows if len(r[3])])
    labels = np.concatenate([r[4] for r in rows if len(r[3])])
    model = LogisticRegression(C=regularisation, max_iter=5000).fit(features, labels)
    return tuple(round(float(w), 4) for w in model.coef_[0]), round(float(model.intercept_[0]), 4)


def quoted(engine, article, chosen: list[int]) -> str:
    sentences = engine.answerer.sentences
    rows = sentences.rows(article.id)
    return " ".join(article.text[sentences.starts[rows.start + i]:sentences.ends[rows.start + i]] for i in chosen)


def fit(fitting, max_chars: int, sentence_limits=SENTENCES) -> tuple[object, list[tuple]]:
    """The settings with the best leave-one-article-out coverage on `fitting` ((engine, article, facts)
    triples), and every setting's (coverage, regularisation, redundancy, most sentences, median length,
    median sentences)."""
    from qa.answer.summary import SummarySettings, key_sentences

    rows = training_rows(fitting)
    table = []
    for regularisation in REGULARISATION:
        folds = [fit_scorer(rows[:i] + rows[i + 1:], regularisation) for i in range(len(rows))]
        for redundancy in REDUNDANCY:
            for most in sentence_limits:
                shares, lengths, counts = [], [], []
                for (engine, article, facts, _, _), (weights, bias) in zip(rows, folds):
                    settings = SummarySettings(weights, bias, redundancy, most, max_chars)
                    chosen = key_sentences(article, engine.answerer.sentences, settings)
                    text = quoted(engine, article, chosen)
                    shares.append(facts_held(text, facts) / len(facts))
                    lengths.append(len(text))
                    counts.append(len(chosen))
                table.append((statistics.mean(shares), regularisation, redundancy, most,
                              statistics.median(lengths), statistics.median(counts)))
    # the best held-out coverage; among equals, fewer sentences, the stronger regularisation and the
    # stronger redundancy removal
    best = max(table, key=lambda t: (round(t[0], 6), -t[3], -t[1], t[2]))
    weights, bias = fit_scorer(rows, best[1])
    return SummarySettings(weights, bias, best[2], best[3], max_chars), table


# ---- command line -------------------------------------------------------------------------------------------
def open_index(name: str, indexes: dict[str, str]):
    import qa
    from qa.train.fit import CACHE_DIR, index_for

    path = Path(indexes[name]) if name in indexes else index_for(SETS[name], Path(CACHE_DIR), quiet=True)
    return qa.load(path)


def parse_indexes(values: list[str], chosen: str, parser) -> dict[str, str]:
    indexes = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep:
            if chosen == "all":
                parser.error(f"--index {value}: say which set it indexes, e.g. --index own-articles={value}")
            name, path = chosen, value
        if name not in SETS:
            parser.error(f"--index {value}: unknown set {name!r}; choose one of {', '.join(SETS)}")
        indexes[name] = path
    return indexes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--index", action="append", default=[], metavar="[SET=]PATH",
                        help="an index of a set's folder (else built in the `qa fit` cache); repeatable")
    parser.add_argument("--method", choices=["key-facts", "centroid", "both"], default="both",
                        help="key-facts: now; centroid: the method before issue 25")
    parser.add_argument("--fit", action="store_true", help="refit the scorer on eval/train-articles and print SETTINGS")
    parser.add_argument("--max-chars", type=int, default=900, help="--fit: the reading limit of a summary")
    parser.add_argument("--max-sentences", type=int, default=None,
                        help="--fit: the most sentences a summary quotes (default: chosen from 4-7 by coverage)")
    parser.add_argument("--json", default=None, help="write every figure to this file")
    args = parser.parse_args(argv)
    indexes = parse_indexes(args.index, args.set, parser)
    facts = read_facts()

    settings = None
    if args.fit:
        fitting = []
        for name in FIT_SETS:
            engine = open_index(name, indexes)
            fitting += [(engine, article, found) for article, found in set_articles(engine, SETS[name], facts)]
        limits = (args.max_sentences,) if args.max_sentences else SENTENCES
        settings, table = fit(fitting, args.max_chars, limits)
        print(f"leave-one-article-out key-fact coverage on {' + '.join(FIT_SETS)} ({len(fitting)} articles; "
              f"C = regularisation, mu = redundancy, n = most sentences, within {args.max_chars} characters):")
        for most in limits:
            for share, c, mu, n, chars, count in sorted((t for t in table if t[3] == most), key=lambda t: -t[0])[:2]:
                print(f"  n={n} C={c:<4} mu={mu:<4} {share:.3f}  median {chars:.0f} chars, {count:.0f} sentences")
        print(f"\nSETTINGS = {settings!r}\n")

    names = list(SETS) if args.set == "all" else [args.set]
    methods = ["centroid", "key-facts"] if args.method == "both" else [args.method]
    results = {}
    print("| set | method | articles | key facts held | mean share per article | median length | median sentences |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        engine = open_index(name, indexes)
        articles = set_articles(engine, SETS[name], facts)
        for method in methods:
            r = measure(engine, articles, method, settings if method == "key-facts" else None)
            results.setdefault(name, {})[method] = r
            print(f"| {name} | {method} | {r['articles']} | {r['held']}/{r['facts']} | {r['share']:.0%} | "
                  f"{r['median_chars']:.0f} chars | {r['median_sentences']:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
