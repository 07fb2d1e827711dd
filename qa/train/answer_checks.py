"""How `ask` uses a written reader by default, fitted on question sets the reader was not trained on
(`qa train-reader --answer-with`, README "The reader"): the span ranker that picks the short answer inside
a sentence with the reader's span scores, the chooser that picks which of the candidate scorer's best
sentences answers, and the verdict on whether to answer and how surely. Each is fitted on the answers the
ones before it give, and written into the reader's model file with its out-of-fold validation and the
sets' provenance; the rows are collected through the Engine exactly as `ask` reads them.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..answer.reader.reader import ReaderModelFile
from .reader_data import load_set, stable_seed
from .reader_train import choose_thresholds, lowest_precise, record_answer_model, set_provenance

# The verdict reads a sentence feature only when at least this share of its fitting rows set it (fit_verdict).
VERDICT_FEATURE_SHARE = 0.02
CHOOSER_L2 = 0.01  # the chooser's ridge on its standardised coefficients (it has four; the fit barely needs one)


def set_engine(folder: Path, queries: dict | None = None):
    """The engine over a question set's articles (its cached index), embedding each question once: `queries`, the
    query vectors shared between the span ranker's, chooser's and verdict's passes over the same questions."""
    from ..embed import CachedQueries
    from ..engine import Engine
    from .fit import CACHE_DIR, index_for

    engine = Engine.load(index_for(folder, Path(CACHE_DIR), True), reader=False)
    engine.embedder = CachedQueries(engine.embedder, {} if queries is None else queries)
    return engine


def span_ranker_groups(model_file: Path, specs: list[str], quiet: bool = False, queries: dict | None = None) -> list[dict]:
    """For each answerable question of the sets, each retrieved sentence that holds a gold answer (as `qa fit`
    fits the span model on): its span options' rows of READ_SPAN_FEATURES as `ask` computes them with this
    reader, each option's token F1 against the gold answers, and the question's set and article (the folds)."""
    from ..answer.reader.reader import Reader
    from ..evaluate import span_f1
    from .fit import collect

    reader = Reader(model_file, answer_checks=False)  # the span ranker is what is fitted on these rows
    groups = []
    for spec in specs:
        name, items, folder = load_set(spec)
        engine = set_engine(folder, queries)
        for ex in collect(name, engine, [item for item in items if item.answerable]):
            for candidate, positive in zip(ex.candidates, ex.labels):
                if not positive or candidate.kind != "sentence":
                    continue
                article = engine.articles[candidate.article_id]
                options, rows, _ = engine.answerer.read_span_options(ex.question, article, candidate.start, candidate.end,
                                                                  reader)
                if options:
                    groups.append({"set": name, "group": ex.group, "rows": rows,
                                   "f1": np.array([span_f1(article.text[a:b], ex.item.answers) for _, a, b, _ in options])})
        if not quiet:
            print(f"  span ranker rows of {name}: {sum(g['set'] == name for g in groups)} sentences", file=sys.stderr)
    return groups


def fit_span_ranker(groups: list[dict], folds: int = 5) -> tuple[dict, dict]:
    """The span ranker over READ_SPAN_FEATURES (pairwise, as `qa fit` fits the span model), and per set the
    out-of-fold token F1 of the span it ranks first (folds grouped by article) beside the shipped span model's."""
    from sklearn.model_selection import GroupKFold

    from ..answer.scorer import READ_SPAN_FEATURES, SPAN_FEATURES, default_model
    from .fit import SPAN_C, _fit_pairwise, ranks_spans

    def fitted(idx):
        return _fit_pairwise([(groups[i]["rows"], groups[i]["f1"]) for i in idx], READ_SPAN_FEATURES, SPAN_C)

    plain = default_model().span
    articles = np.array([g["group"] for g in groups])
    chosen = np.full(len(groups), np.nan)  # out of fold; NaN where the other folds teach nothing (tiny sets)
    if len(set(articles)) >= 2:
        for train_idx, test_idx in GroupKFold(n_splits=min(folds, len(set(articles)))).split(articles, groups=articles):
            if any(ranks_spans(groups[i]["f1"]) for i in train_idx):
                ranker = fitted(train_idx)
                for i in test_idx:
                    chosen[i] = groups[i]["f1"][int(np.argmax(ranker.probability(groups[i]["rows"])))]
    validation = {}
    for name in dict.fromkeys(g["set"] for g in groups):
        idx = [i for i, g in enumerate(groups) if g["set"] == name and not np.isnan(chosen[i])]
        if not idx:
            continue
        before = [groups[i]["f1"][int(np.argmax(plain.probability(groups[i]["rows"][:, :len(SPAN_FEATURES)])))] for i in idx]
        validation[name] = {"sentences": len(idx), "span_f1_span_model": round(float(np.mean(before)), 3),
                            "span_f1_with_reader": round(float(np.mean(chosen[idx])), 3)}
    return fitted(np.arange(len(groups))).to_dict(), validation


def default_examples(engine, name: str, items: list) -> list:
    """The questions of a set on which `ask`'s default consults the reader's chooser and verdict: retrieved as `ask`
    retrieves them, and not about the page (author, outlet, date), a summary, or naming what no article holds
    (other rules decide those)."""
    from ..answer.answerer import SCORER_ANSWERS
    from ..answer.question import unmentioned
    from .fit import collect

    return [ex for ex in collect(name, engine, items)
            if ex.candidates and ex.question.asked not in SCORER_ANSWERS and ex.question.asked != "summary"
            and not engine._says_nothing_indexed(ex.question)
            and not unmentioned(ex.question, engine.backend.document_frequency, engine.mentions)]


def chooser_groups(model_file: Path, specs: list[str], quiet: bool = False, queries: dict | None = None) -> list[dict]:
    """For each answerable question of the sets on which the default consults the reader (default_examples), whose
    scorer's best candidate is a sentence: the CHOOSER_FEATURES rows of the sentences the chooser picks among
    (sentences_to_choose), as `ask` reads them with this reader, whether each holds a gold answer, and the
    question's set and article (the folds)."""
    from ..answer.answerer import sentences_to_choose
    from ..answer.reader.reader import Reader
    from ..answer.scorer import score_candidates

    reader = Reader(model_file, answer_checks=False)
    groups = []
    for spec in specs:
        name, items, folder = load_set(spec)
        engine = set_engine(folder, queries)
        for ex in default_examples(engine, name, [item for item in items if item.answerable]):
            probabilities, best = score_candidates(engine.answerer.model.sentence, ex.candidates)
            order = sentences_to_choose(ex.candidates, probabilities)
            if ex.candidates[best].kind != "sentence" or len(order) < 2:
                continue
            rows, _ = engine.answerer.chooser_rows(ex.question, ex.candidates, probabilities, order, reader)
            groups.append({"set": name, "group": ex.group, "rows": rows, "labels": ex.labels[order]})
        if not quiet:
            print(f"  chooser rows of {name}: {sum(g['set'] == name for g in groups)} questions", file=sys.stderr)
    return groups


def _fit_listwise(groups: list[dict], idx, l2: float = CHOOSER_L2):
    """A linear score over CHOOSER_FEATURES (standardised) maximising the softmax likelihood, within each
    question, of the sentences that hold a gold answer (questions none of whose sentences does teach nothing)."""
    from scipy.optimize import minimize

    from ..answer.reader.reader import CHOOSER_FEATURES
    from ..answer.scorer import Linear

    taught = [groups[i] for i in idx if groups[i]["labels"].any()]
    every = np.vstack([g["rows"] for g in taught])
    mean, scale = every.mean(axis=0), every.std(axis=0)
    scale[scale < 1e-9] = 1.0
    xs = [(g["rows"] - mean) / scale for g in taught]
    ys = [g["labels"].astype(bool) for g in taught]

    def loss(w):
        total, grad = l2 * w @ w, 2 * l2 * w
        for x, y in zip(xs, ys):
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            q = np.where(y, p, 0.0)
            q /= q.sum()
            total -= np.log(p[y].sum()) / len(xs)
            grad -= (q - p) @ x / len(xs)
        return total, grad

    w = minimize(loss, np.zeros(len(CHOOSER_FEATURES)), jac=True, method="L-BFGS-B").x
    return Linear(CHOOSER_FEATURES, mean, scale, w, 0.0)


def fit_chooser(groups: list[dict], folds: int = 5) -> tuple[dict, dict]:
    """The chooser (_fit_listwise), and per set how often, out of fold (folds grouped by article), the sentence it
    picks holds a gold answer beside the scorer's best."""
    from sklearn.model_selection import GroupKFold

    articles = np.array([g["group"] for g in groups])
    picked = np.full(len(groups), np.nan)
    if len(set(articles)) >= 2:
        for train_idx, test_idx in GroupKFold(n_splits=min(folds, len(set(articles)))).split(articles, groups=articles):
            if not any(groups[i]["labels"].any() for i in train_idx):
                continue
            chooser = _fit_listwise(groups, train_idx)
            for i in test_idx:
                picked[i] = groups[i]["labels"][int(np.argmax(chooser.probability(groups[i]["rows"])))]
    validation = {}
    for name in dict.fromkeys(g["set"] for g in groups):
        idx = [i for i, g in enumerate(groups) if g["set"] == name and not np.isnan(picked[i])]
        if idx:
            validation[name] = {"questions": len(idx),
                                "sentence_right_scorer": round(float(np.mean([groups[i]["labels"][0] for i in idx])), 3),
                                "sentence_right_chosen": round(float(np.mean(picked[idx])), 3)}
    return _fit_listwise(groups, np.arange(len(groups))).to_dict(), validation


def add_answer_checks(model_file: Path, specs: list[str], quiet: bool = False) -> dict:
    """Fit how `ask` uses a written reader by default, on question sets it was not trained on, and write them
    into its model file with their out-of-fold validation and the sets' provenance: the span ranker, the
    chooser, then (answering with both) the verdict."""
    from .fit import ranks_spans

    spec = ReaderModelFile.read(model_file)
    trained_on = {(d["set"], d["questions_sha256"]) for d in spec.info.get("data", [])}
    provenance = [set_provenance(name, Path(x.partition(":")[0]), folder) for x in specs for name, _, folder in [load_set(x)]]
    seen = [p["set"] for p in provenance if (p["set"], p["questions_sha256"]) in trained_on]
    if seen:
        print(f"qa train-reader: warning: the reader was trained on {', '.join(seen)}; it reads those better than new "
              f"articles, so what is fitted there will lean on it too much", file=sys.stderr)
    queries: dict = {}  # every question is retrieved by all three fits: each is embedded once
    groups = span_ranker_groups(model_file, specs, quiet, queries)
    if not any(ranks_spans(g["f1"]) for g in groups):
        raise SystemExit("qa train-reader: no span training pairs in the --answer-with sets (no gold answer in a "
                         "retrieved sentence among other spans)")
    ranker, span_validation = fit_span_ranker(groups)
    spec.info["span_ranker"] = ranker
    spec.info["span_ranker_validation"] = span_validation
    spec.info["answer_checks_on"] = provenance
    record_answer_model(spec, "span_ranker_and_verdict")
    for part in ("verdict", "chooser", "chooser_validation"):
        spec.info.pop(part, None)
    spec.write(model_file)
    choices = chooser_groups(model_file, specs, quiet, queries)
    if any(g["labels"].any() for g in choices):  # the verdict is fitted on the answers of the sentence it picks
        spec.info["chooser"], spec.info["chooser_validation"] = fit_chooser(choices)
        spec.write(model_file)
    rows = verdict_rows(model_file, specs, quiet, queries)
    if {r["right"] for r in rows} != {True, False} or len({r["group"] for r in rows}) < 2:
        raise SystemExit("qa train-reader: the --answer-with sets need right and wrong answers on at least two articles "
                         "to fit the verdict")
    verdict, verdict_validation = fit_verdict(rows)
    spec = ReaderModelFile.read(model_file)
    spec.info["verdict"] = verdict
    spec.info["verdict_validation"] = verdict_validation
    spec.write(model_file)
    return {"span_ranker": span_validation, "chooser": spec.info.get("chooser_validation", {}), "verdict": verdict_validation,
            "thresholds": {k: verdict[k] for k in ("answer_threshold", "confident_threshold")}}


def verdict_rows(model_file: Path, specs: list[str], quiet: bool = False, queries: dict | None = None) -> list[dict]:
    """Per question of the sets (answerable or not) on which `ask`'s default would consult the verdict (its
    scorer's best candidate a sentence; not a question about the page, a summary, or one naming what no
    article holds, which other rules decide): the verdict's features as `ask` computes them with this reader
    and its span ranker, whether the answer it would give holds a gold answer, and its set and article. Each
    set is also asked a sample of the other sets' questions (off-topic, unanswerable there, as the reader is
    trained): a verdict fitted on questions about the articles alone learns nothing of questions about none."""
    import random
    from dataclasses import replace as replaced

    from ..answer.answerer import Answerer
    from ..answer.reader.reader import Reader, verdict_features
    from ..answer.scorer import score_candidates
    from ..evaluate import answer_correct

    reader = Reader(model_file)  # its span ranker and chooser, as `ask` answers with them
    reader.verdict = None  # the answers the verdict is fitted on are the ones it decides about: never refused
    rows = []
    sets = [load_set(spec) for spec in specs]
    for name, items, folder in sets:
        engine = set_engine(folder, queries)
        answerer = Answerer(engine.articles, engine.answerer.sentences,
                            model=replaced(engine.answerer.model, answer_threshold=0.0), sentence_reader=lambda: reader)
        foreign = [replaced(item, source=None, evidence=None, answers=[], type="unanswerable")
                   for other, other_items, _ in sets if other != name for item in other_items if item.answerable]
        random.Random(stable_seed("off-topic", name)).shuffle(foreign)
        foreign = foreign[:max(40, len(items) // 4)]
        asked_off_topic = {id(item) for item in foreign}
        for ex in default_examples(engine, name, items + foreign):
            q = ex.question
            probabilities, best = score_candidates(answerer.model.sentence, ex.candidates)
            if ex.candidates[best].kind != "sentence":
                continue
            chosen, span_at, span_score, window_probability = answerer.chosen_reading(q, ex.candidates, probabilities,
                                                                                      best, reader)
            answer = answerer._answer_scored(q, ex.candidates, probabilities, chosen, [hit for hit, _ in ex.ranked],
                                             ex.ranked, 5, span_at=span_at)
            rows.append({"set": name, "group": ex.group, "answerable": ex.item.answerable,
                         "off_topic": id(ex.item) in asked_off_topic,
                         "right": bool(ex.item.answerable and answer_correct(ex.item, answer.text)),
                         "features": verdict_features(probabilities, chosen, ex.candidates[chosen].features,
                                                      window_probability, span_score)})
        if not quiet:
            print(f"  verdict rows of {name}: {sum(r['set'] == name for r in rows)} questions", file=sys.stderr)
    return rows


def fit_verdict(rows: list[dict], folds: int = 5) -> tuple[dict, dict]:
    """The verdict's two logistic models and their thresholds, chosen out of fold (folds grouped by article):
    refusal, the highest threshold of the answer model refusing ≤ 8 % of answerable questions; confident, the
    lowest of the confident model above which the answers given were right ≥ 90 % of the time. Per set, what
    those thresholds did out of fold. The answer model reads REFUSAL_READINGS; the confident model reads
    CONFIDENT_READINGS and the sentence features non-zero in at least VERDICT_FEATURE_SHARE of the rows: a
    feature almost never set (a title, the page's metadata, a year the sentence lacks) gets a coefficient on a
    tiny scale, which a single question that sets it multiplies by its z-score (tens)."""
    from sklearn.model_selection import GroupKFold

    from ..answer.reader.reader import CONFIDENT_READINGS, REFUSAL_READINGS, SENTENCE_PREFIX, Verdict
    from ..answer.scorer import SENTENCE_FEATURES
    from .fit import _fit_linear

    y = np.array([r["right"] for r in rows], dtype=int)
    groups = np.array([r["group"] for r in rows])
    sentence = tuple(SENTENCE_PREFIX + n for n in SENTENCE_FEATURES
                     if np.mean([r["features"][SENTENCE_PREFIX + n] != 0 for r in rows]) >= VERDICT_FEATURE_SHARE)

    def fitted(names, idx):
        x = np.array([[rows[i]["features"][n] for n in names] for i in idx], dtype=float)
        return _fit_linear(x, y[idx], np.ones(len(idx)), names, 1.0)

    def probabilities(model, idx):
        return model.probability(np.array([[rows[i]["features"][n] for n in model.features] for i in idx], dtype=float))

    answer_oof, confident_oof = np.zeros(len(rows)), np.zeros(len(rows))
    for train_idx, test_idx in GroupKFold(n_splits=min(folds, len(set(groups)))).split(y, y, groups):
        if len(set(y[train_idx])) < 2:
            continue
        answer_oof[test_idx] = probabilities(fitted(REFUSAL_READINGS, train_idx), test_idx)
        confident_oof[test_idx] = probabilities(fitted(CONFIDENT_READINGS + sentence, train_idx), test_idx)
    answer_threshold = choose_thresholds([{"p": p, "answerable": r["answerable"], "window_right": r["right"]}
                                          for p, r in zip(answer_oof, rows)])["answer"]
    confident_threshold = lowest_precise([{"p": c, "right": r["right"]} for a, c, r in zip(answer_oof, confident_oof, rows)
                                          if a >= answer_threshold], 0.0, "right")
    everything = np.arange(len(rows))
    verdict = Verdict(fitted(REFUSAL_READINGS, everything), fitted(CONFIDENT_READINGS + sentence, everything),
                      answer_threshold, confident_threshold)
    validation = {}
    for name in dict.fromkeys(r["set"] for r in rows):
        idx = [i for i, r in enumerate(rows) if r["set"] == name and not r.get("off_topic")]
        answerable = [i for i in idx if rows[i]["answerable"]]
        unanswerable = [i for i in idx if not rows[i]["answerable"]]
        answered = [i for i in idx if answer_oof[i] >= answer_threshold]
        confident = [i for i in answered if confident_oof[i] >= confident_threshold]
        validation[name] = {
            "questions": len(idx), "answerable": len(answerable),
            "right": round(sum(rows[i]["right"] for i in answered) / max(1, len(answerable)), 3),
            "refused_answerable": round(sum(answer_oof[i] < answer_threshold for i in answerable) / max(1, len(answerable)), 3),
            "refused_unanswerable": round(sum(answer_oof[i] < answer_threshold for i in unanswerable) / max(1, len(unanswerable)), 3),
            "confident_right": round(sum(rows[i]["right"] for i in confident) / max(1, len(confident)), 3),
            "right_and_confident": round(sum(rows[i]["right"] for i in confident) / max(1, len(answerable)), 3),
            "unanswerable_confident": round(sum(not rows[i]["answerable"] for i in confident) / max(1, len(unanswerable)), 3),
        }
    off_topic = [i for i, r in enumerate(rows) if r.get("off_topic")]
    if off_topic:
        validation["off-topic"] = {
            "questions": len(off_topic),
            "refused": round(sum(answer_oof[i] < answer_threshold for i in off_topic) / len(off_topic), 3),
            "confident": round(sum(answer_oof[i] >= answer_threshold and confident_oof[i] >= confident_threshold
                                   for i in off_topic) / len(off_topic), 3)}
    return verdict.to_dict(), validation
