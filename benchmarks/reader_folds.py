"""The reader on the questions of the articles its training held out, asked end to end as `qa eval` asks.

    python benchmarks/reader_folds.py eval/news-train.jsonl eval/train-articles.jsonl:eval/train-articles \\
        eval/reader-train.jsonl:eval/reader-train [--reader qa/models/reader.json] [--json FILE]

`qa train-reader` holds out a share of each training set's articles (folds grouped by article: no question
of a held-out article, and no window of it, was trained on) and chooses its thresholds there. This asks
those held-out questions through the whole pipeline (retrieval, candidate scorer, reader) and prints the
same figures as `qa eval` for them, beside the scorer alone (`--reader off`) on the same questions.
The held-out articles are recomputed from the reader's seed, validation share and the question sets.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def held_out_questions(name: str, work: Path, share: float, seed: int) -> set[str]:
    """The questions of one set that `qa train-reader` held out, exactly as reader_train.split_by_article chose
    them, from the window examples it cached in its work folder."""
    from qa.train.reader_data import read_examples
    from qa.train.reader_train import split_by_article

    files = sorted(work.glob(f"examples-{name}-*.jsonl"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise SystemExit(f"no cached examples of {name} in {work}: run `qa train-reader` with that --work first")
    examples = read_examples(files[-1])
    _, valid = split_by_article(examples, share, seed)
    return {examples[i].question for i in valid}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", metavar="QUESTIONS[:FOLDER]")
    parser.add_argument("--reader", default=str(REPO / "qa" / "models" / "reader.json"))
    parser.add_argument("--json", default=None)
    parser.add_argument("--work", default=str(Path.home() / ".cache" / "hoi-dap" / "reader-run"),
                        help="the work folder of the `qa train-reader` run (its cached examples)")
    args = parser.parse_args(argv)

    import qa
    from qa.engine import clean_question
    from qa.evaluate import evaluate
    from qa.train.fit import CACHE_DIR, index_for
    from qa.answer.reader.reader import ReaderModelFile
    from qa.train.reader_data import load_set
    from quality import print_table  # benchmarks/, this script's folder

    info = ReaderModelFile.read(Path(args.reader)).info
    seed, share = info["trained"]["seed"], info["trained"]["validation_share"]
    rows, results = [], {}
    for spec in args.sets:
        name, items, folder = load_set(spec)
        index = index_for(folder, Path(CACHE_DIR), quiet=True)
        engine_on = qa.load(index, reader=args.reader)
        engine_off = qa.load(index, reader=False)
        held = held_out_questions(name, Path(args.work), share, seed)
        chosen = [i for i in items if clean_question(i.question) in held]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as out:
            for i in chosen:
                out.write(json.dumps({"id": i.id, "question": i.question, "type": i.type, "variant": i.variant,
                                      "source": i.source, "evidence": i.evidence, "answers": i.answers}, ensure_ascii=False) + "\n")
        for label, engine in (("reader", engine_on), ("scorer alone", engine_off)):
            report = evaluate(engine, out.name)
            results.setdefault(name, {})[label] = {k: v for k, v in report.__dict__.items() if k != "details"}
            rows.append((name, label, f"{report.questions} ({report.answerable}/{report.unanswerable})",
                         f"{report.answer_accuracy:.3f}", f"{report.span_exact_match:.3f}", f"{report.span_f1:.3f}",
                         f"{report.false_abstention_rate:.3f}", f"{report.abstention_rate:.3f}",
                         f"{report.confident_precision:.3f}", f"{report.confident_right_share:.3f}",
                         f"{report.unanswerable_confident:.3f}", f"{report.recall_at_1:.3f}"))
        os.unlink(out.name)
    headers = ("set (held-out articles)", "answers by", "n (ans/unans)", "contains", "span EM", "span F1", "refused ans.",
               "refused unans.", "confident right", "ans. right+confident", "unans. confident", "search R@1")
    print_table(headers, rows)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
