"""Answer quality on every question set, against the targets of the answer layer, in one table.

    python benchmarks/quality.py                      # the repository's own sets
    python benchmarks/quality.py --viquad ../shared/eval/viquad-train   # plus a UIT-ViQuAD sample, open-book

Each set is `qa eval` on the index of its articles (built into a cache folder when needed): answer
containment, span exact match and token F1, refusals of answerable and of unanswerable questions,
retrieval recall and latency. `--json FILE` writes every number. The cross-validated figures of the
shipped model (from `qa fit`) are printed beside them, read from qa/models/answer-model.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# (set, questions, articles folder or index) -- the repository's own sets
OWN_SETS = [
    ("news-train", REPO / "eval" / "news-train.jsonl", REPO / "index"),
    ("news-holdout", REPO / "eval" / "news-holdout.jsonl", REPO / "index"),
    ("train-articles", REPO / "eval" / "train-articles.jsonl", REPO / "eval" / "train-articles"),
    ("own-articles", REPO / "eval" / "own-articles.jsonl", REPO / "eval" / "own-articles"),
    ("reader-train", REPO / "eval" / "reader-train.jsonl", REPO / "eval" / "reader-train"),
    ("holdout-articles", REPO / "eval" / "holdout-articles.jsonl", REPO / "eval" / "holdout-articles"),
    ("fit-news-a", REPO / "eval" / "fit-news-a.jsonl", REPO / "eval" / "fit-news-a"),
    ("fit-news-b", REPO / "eval" / "fit-news-b.jsonl", REPO / "eval" / "fit-news-b"),
    ("fit-news-c", REPO / "eval" / "fit-news-c.jsonl", REPO / "eval" / "fit-news-c"),
    ("fresh-articles", REPO / "eval" / "fresh-articles.jsonl", REPO / "eval" / "fresh-articles"),
    # questions the shipped articles cannot answer: world news, weather, prices, literature, sport, ... (a
    # part to tune on, a part never tuned on)
    ("off-topic-tune", REPO / "eval" / "off-topic-tune.jsonl", REPO / "index"),
    ("off-topic-holdout", REPO / "eval" / "off-topic-holdout.jsonl", REPO / "index"),
]
# The targets: containment, span F1, refused answerable (at most), refused unanswerable (at least);
# off-topic sets hold no answerable question: only their refusals count.
TARGETS = {
    "news": (0.85, 0.60, 0.08, 0.80),
    "viquad": (0.80, 0.50, 0.10, 0.50),
    "off-topic": (None, None, None, 0.95),
}


def index_of(folder: Path, cache: Path) -> Path:
    from qa.train.fit import index_for

    return index_for(folder, cache, quiet=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viquad", default=None, help="a UIT-ViQuAD sample folder (questions.jsonl + corpus/)")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "hoi-dap" / "fit-indexes"))
    parser.add_argument("--json", default=None, help="write every number to this file")
    parser.add_argument("--reader", default="search", metavar="search|on|off|MODEL.json",
                        help="as `qa eval --reader`: the reader orders search (search), answers too (on), is left "
                             "out (off), or a reader model file")
    args = parser.parse_args(argv)

    import qa
    from qa.answer.scorer import AnswerModel
    from qa.evaluate import evaluate

    sets = list(OWN_SETS)
    if args.viquad:
        folder = Path(args.viquad)
        sets.append(("viquad-train", folder / "questions.jsonl", folder / "corpus"))
    cv = AnswerModel.load().info.get("cross_validation", {})
    rows, results = [], {}
    for name, questions, articles in sets:
        index = articles if (articles / "manifest.json").exists() else index_of(articles, Path(args.cache))
        report = evaluate(qa.load(index, reader=args.reader), questions)
        results[name] = {k: v for k, v in report.__dict__.items() if k != "details"}
        kind = next((k for k in ("viquad", "off-topic") if name.startswith(k)), "news")
        contain, f1, refused, refused_un = TARGETS[kind]
        verdict = all((contain is None or report.answer_accuracy >= contain, f1 is None or report.span_f1 >= f1,
                       refused is None or report.false_abstention_rate <= refused, report.abstention_rate >= refused_un))
        fold = cv.get(name, {})
        rows.append((name, f"{report.questions} ({report.answerable}/{report.unanswerable})",
                     f"{report.recall_at_5:.3f}", f"{report.answer_accuracy:.3f}", f"{report.span_exact_match:.3f}",
                     f"{report.span_f1:.3f}", f"{report.false_abstention_rate:.3f}", f"{report.abstention_rate:.3f}",
                     f"{fold['containment']:.3f} / {fold['span_f1']:.3f}" if fold else "—",
                     f"{report.confident_precision:.3f} / {report.confident_right_share:.3f} / {report.unanswerable_confident:.3f}",
                     f"{report.ask_ms_p50:.0f} / {report.ask_ms_p95:.0f}",
                     f"{'PASS' if verdict else 'FAIL'} (" + " / ".join(
                         f"{sign}{value}" for sign, value in zip(("≥", "≥", "≤", "≥"), TARGETS[kind]) if value is not None)
                     + ")"))
    headers = ("set", "n (ans/unans)", "R@5", "contains", "span EM", "span F1", "refused ans.", "refused unans.",
               "CV contains / F1", "confident: right / ans. right+conf. / unans. conf.", "ask ms p50 / p95", "targets")
    print_table(headers, rows)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def print_table(headers, rows) -> None:
    """A Markdown table, as the README shows it (benchmarks/reader_folds.py prints its own with it)."""
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    sys.exit(main())
