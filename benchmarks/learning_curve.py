"""Would more training questions help the answer model? A learning curve, cross-validated by article.

    python benchmarks/learning_curve.py eval/news-train.jsonl eval/train-articles.jsonl:eval/train-articles \
        ../shared/eval/viquad-train/questions.jsonl:../shared/eval/viquad-train/corpus

Arguments are those of `qa fit` (QUESTIONS[:FOLDER]). For each fraction of the training questions, the
candidate scorer is fitted exactly as `qa fit` fits it, on that fraction of each training fold only
(folds grouped by article, fractions drawn at random, several draws), and the table shows, out of fold:
how often the sentence it ranks first holds a gold answer (answerable questions), and how well its
best probability separates right answers from the rest (AUROC over all questions). A flat curve says
the scorer is limited by what its features can tell apart, not by how many questions it was fitted on.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FRACTIONS = (0.25, 0.5, 0.75, 1.0)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from qa.train import fit

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", help="QUESTIONS.jsonl[:ARTICLES_FOLDER] (folder default: seeds)")
    parser.add_argument("--draws", type=int, default=3, help="random draws per fraction below 1")
    parser.add_argument("--cache", default=fit.CACHE_DIR)
    args = parser.parse_args(argv)

    from sklearn.metrics import roc_auc_score

    from qa.answer.scorer import score_candidates
    from qa.engine import Engine
    from qa.evaluate import read_items

    examples: list[fit.Example] = []
    for spec in args.sets:
        questions, folder = fit.parse_spec(spec)
        engine = Engine.load(fit.index_for(folder, Path(args.cache), True))
        examples += fit.collect(fit.set_name(questions), engine, read_items(questions))
    examples = [ex for ex in examples if ex.candidates]
    names = list(dict.fromkeys(ex.set_name for ex in examples))
    folds = fit.fold_splits(examples)  # as `qa fit` does
    rng = np.random.default_rng(0)

    print(f"| training fraction | {' | '.join(f'{n}: top-1 / AUROC' for n in names)} |")
    print("|---|" + "---|" * len(names))
    for fraction in FRACTIONS:
        top1 = {n: [] for n in names}
        auroc = {n: [] for n in names}
        for _ in range(args.draws if fraction < 1 else 1):
            right, best = np.zeros(len(examples), bool), np.zeros(len(examples))
            for train, test in folds:
                if fraction < 1:
                    train = train[rng.random(len(train)) < fraction]
                scorer = fit.fit_sentence([examples[i] for i in train], 1.0)
                for i in test:
                    p, top = score_candidates(scorer, examples[i].candidates)
                    right[i], best[i] = bool(examples[i].labels[top]), float(p[top])
            for n in names:
                of_set = [i for i, ex in enumerate(examples) if ex.set_name == n]
                answerable = [i for i in of_set if examples[i].item.answerable]
                top1[n].append(right[answerable].mean())
                target = [bool(right[i] and examples[i].item.answerable) for i in of_set]
                auroc[n].append(roc_auc_score(target, best[of_set]))
        cells = " | ".join(f"{np.mean(top1[n]):.3f} / {np.mean(auroc[n]):.3f}" for n in names)
        print(f"| {fraction:.2f} | {cells} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
