"""`qa fit`: fit the answer model on question sets, cross-validated with folds grouped by article.

    qa fit eval/news-train.jsonl ../shared/eval/viquad-train/questions.jsonl:../shared/eval/viquad-train/corpus

Each argument is QUESTIONS[:FOLDER] (default seeds/): a folder of articles, indexed with the bundled
model and cached between runs, or an index folder built by `qa index`. Every question is retrieved and turned into candidate
features exactly as `Engine.ask` does, and two scikit-learn logistic regressions are fitted: one
scores candidate sentences, one picks the span inside the chosen sentence. Thresholds come from
out-of-fold predictions on the sets named by --threshold-on (in-domain news questions: a threshold
set on Wikipedia questions does not carry over to news). The result is written as JSON, no pickle.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..answer.answerer import Answerer
from ..answer.candidates import Candidate, adjacent
from ..answer.question import Question
from ..answer.scorer import MODEL_PATH, SENTENCE_FEATURES, SPAN_FEATURES, AnswerModel, Linear, score_candidates
from ..evaluate import EvalItem, answer_correct, contains, read_items, span_exact, span_f1
from ..records import Hit

MAX_REFUSED_ANSWERABLE = 0.08  # the refusal threshold: refuse as many unanswerable questions as this allows
CONFIDENT_PRECISION = 0.75  # answers above the confident threshold were right this often out of fold
# an adjacent sentence is shown with the answer when, out of fold, sentences scored like it held an answer
# the chosen one lacked at least this often (a fifth: one extra sentence in five earns its place)
NEIGHBOUR_PRECISION = 0.2
NEIGHBOUR_RATIOS = tuple(round(x, 2) for x in np.arange(0.05, 1.0, 0.05))
FOLDS = 5
SPAN_C = 0.1  # the span ranker's regularisation (cross-validated: 0.1 beat 1.0 on both question sets)
# where the indexes of article folders are cached between runs (`qa fit --cache`)
CACHE_DIR = os.path.join(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")), "hoi-dap", "fit-indexes")


@dataclass
class Example:
    set_name: str
    item: EvalItem
    group: str
    question: Question
    ranked: list[tuple[Hit, float]]
    candidates: list[Candidate]
    labels: np.ndarray
    answerer: Answerer


@dataclass
class SetResult:
    name: str
    questions: int
    answerable: int
    unanswerable: int
    containment: float
    span_exact: float
    span_f1: float
    refused_answerable: float
    refused_unanswerable: float
    containment_never_refusing: float
    ceiling: float  # some candidate sentence holds a gold answer
    median_answer_chars: float = 0.0  # of the answers given
    extra: dict = field(default_factory=dict)


# ---- collecting candidates ------------------------------------------------------------------
def parse_spec(spec: str) -> tuple[Path, Path]:
    questions, _, folder = spec.partition(":")
    return Path(questions), Path(folder or "seeds")


def xquad_spec(source: Path, folder: Path) -> str:
    """XQuAD's Vietnamese part (`source`, its xquad.vi.json) as QUESTIONS:FOLDER, written into `folder` (outside the
    repository: the data are read where they lie, never copied into it)."""
    from ..errors import QAError
    from .reader_data import xquad_question_set

    if not source.is_file():
        raise QAError(f"XQuAD file {str(source)!r} does not exist (pass --xquad PATH/xquad.vi.json)")
    try:
        questions = xquad_question_set(source, folder)
    except (ValueError, KeyError, TypeError) as exc:
        raise QAError(f"XQuAD file {str(source)!r} cannot be read as XQuAD ({type(exc).__name__}: {exc})") from None
    return f"{questions}:{folder / 'corpus'}"


def xquad_provenance(source: Path) -> dict:
    """What a model fitted on XQuAD records of it beside the question set's own entry: the file, its sha256 and
    its licence (`qa fit --xquad`, `qa train-reader --xquad`)."""
    return {"source": str(source), "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
            "licence": "CC BY-SA 4.0 (XQuAD, Artetxe et al. 2019)"}


def set_name(questions: Path) -> str:
    """A question set's name: its file stem, or its folder's name for a generic "questions.jsonl"."""
    return questions.parent.name if questions.stem in ("questions", "train", "test", "dev") else questions.stem


def feature_code_sha256() -> str:
    """One digest of the code that turns a question and the articles into the answer model's features (the
    modules of qa/answer and qa/text): a model fitted while that code was different weighs features that are
    no longer computed the same way, so the shipped model records it and a test compares."""
    root = Path(__file__).parents[1]
    digest = hashlib.sha256()
    for path in sorted([*(root / "answer").glob("*.py"), *(root / "text").glob("*.py")]):
        digest.update(f"{path.parent.name}/{path.name}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def index_for(folder: Path, cache: Path, quiet: bool) -> Path:
    """A cached index of an articles folder (built with the bundled model, updated incrementally)."""
    from ..engine import Engine

    if (folder / "manifest.json").is_file():  # already an index
        return folder
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    index = cache / f"{folder.name}-{key}"
    Engine.build(folder, index, progress=not quiet)
    return index


def label(answerer: Answerer, item: EvalItem, candidate: Candidate) -> bool:
    if not item.answerable:
        return False
    article = answerer.articles[candidate.article_id]
    if article.source != item.source:
        return False
    text = candidate.value if candidate.kind != "sentence" else article.text[candidate.start:candidate.end]
    return any(contains(text, a) for a in item.answers)


def collect(name: str, engine, items: list[EvalItem]) -> list[Example]:
    from ..engine import ANSWER_DEPTH

    examples = []
    for item in items:
        ranked, q = engine.retrieve(engine.question(item.question), ANSWER_DEPTH)
        candidates = engine.answerer.candidates(q, ranked) if ranked else []
        labels = np.array([label(engine.answerer, item, c) for c in candidates], dtype=bool)
        examples.append(Example(name, item, _group(name, item, ranked), q, ranked, candidates, labels, engine.answerer))
    return examples


def _group(name: str, item: EvalItem, ranked) -> str:
    """The article a question was written about: folds never split one article's questions."""
    import re

    if item.source:
        return f"{name}:{item.source}"
    m = re.search(r"context:\s*(\S+?\.txt)", getattr(item, "note", "") or "")
    if m:
        return f"{name}:{m.group(1)}"
    return f"{name}:{ranked[0][0].source}" if ranked else f"{name}:none"


# ---- fitting --------------------------------------------------------------------------------
def _fit_linear(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray, names: tuple[str, ...], c: float) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((rows - mean) / scale, labels, sample_weight=weights)
    return Linear(names, mean, scale, model.coef_[0].astype(float), float(model.intercept_[0]))


def sentence_rows(examples: list[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, labels, weights = [], [], []
    for ex in examples:
        if not ex.candidates:
            continue
        rows.append(np.stack([c.features for c in ex.candidates]))
        labels.append(ex.labels)
        # every question counts the same, however many candidates it has
        weights.append(np.full(len(ex.candidates), 1.0 / len(ex.candidates)))
    return np.concatenate(rows), np.concatenate(labels), np.concatenate(weights) * len(rows)


def span_groups(examples: list[Example]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each answerable question, the span options of each sentence that holds a gold answer, with
    each option's token F1 against the gold answers."""
    out = []
    for ex in examples:
        if not ex.item.answerable:
            continue
        for candidate, positive in zip(ex.candidates, ex.labels):
            if not positive or candidate.kind != "sentence":
                continue
            article = ex.answerer.articles[candidate.article_id]
            options = ex.answerer.span_candidates(ex.question, article.text, candidate.start, candidate.end)
            if options:
                out.append((np.stack([f for *_, f in options]),
                            np.array([span_f1(article.text[a:b], ex.item.answers) for _, a, b, _ in options])))
    return out


def ranks_spans(f1: np.ndarray) -> bool:
    """Whether a sentence's span options teach the ranker anything: one close to a gold answer (F1 ≥ 0.3) and
    one clearly worse (by more than 0.25)."""
    return bool(f1.max() >= 0.3 and (f1 < f1.max() - 0.25).any())


def _fit_pairwise(groups: list[tuple[np.ndarray, np.ndarray]], names: tuple[str, ...], c: float) -> Linear:
    """A ranking model: logistic regression on differences between the best span of a sentence and
    clearly worse ones (RankSVM-style). Only the order of its scores is used, so no intercept."""
    from sklearn.linear_model import LogisticRegression

    rows = np.concatenate([x for x, _ in groups])
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    diffs, weights = [], []
    for x, f1 in groups:
        if not ranks_spans(f1):
            continue
        good, bad = f1 >= f1.max() - 1e-9, f1 < f1.max() - 0.25
        d = ((x[good][:, None, :] - x[bad][None, :, :]) / scale).reshape(-1, x.shape[1])
        diffs.append(d)
        weights.append(np.full(len(d), 1.0 / len(d)))  # every sentence counts the same
    if not diffs:
        raise SystemExit("qa fit: no span training pairs (no question's answer is in a retrieved sentence)")
    d, w = np.concatenate(diffs), np.concatenate(weights)
    model = LogisticRegression(C=c, max_iter=3000, fit_intercept=False)
    model.fit(np.concatenate([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))], sample_weight=np.r_[w, w])
    return Linear(names, mean, scale, model.coef_[0].astype(float), 0.0)


def fit_sentence(examples: list[Example], c: float) -> Linear:
    """The candidate scorer, fitted on the examples' candidates."""
    x, y, w = sentence_rows(examples)
    return _fit_linear(x, y, w, SENTENCE_FEATURES, c)


def fit_models(examples: list[Example], c: float) -> tuple[Linear, Linear]:
    return fit_sentence(examples, c), _fit_pairwise(span_groups(examples), SPAN_FEATURES, SPAN_C)


# ---- predicting and scoring -----------------------------------------------------------------
@dataclass
class Prediction:
    confidence: float
    answer: object  # Answer as it would be shown when answered (never refused)


def predict(ex: Example, model: AnswerModel) -> Prediction:
    """The answer the model gives when it does not refuse, and its confidence."""
    answerer = Answerer(ex.answerer.articles, ex.answerer.sentences, replace(model, answer_threshold=0.0))  # never refuse
    answer = answerer.answer(ex.question, ex.ranked, candidates=ex.candidates)
    return Prediction(answer.confidence, answer)


def score(name: str, examples: list[Example], predictions: list[Prediction], threshold: float) -> SetResult:
    answerable = [(ex, p) for ex, p in zip(examples, predictions) if ex.item.answerable]
    unanswerable = [(ex, p) for ex, p in zip(examples, predictions) if not ex.item.answerable]
    right = exact = f1 = refused = right_any = 0.0
    for ex, p in answerable:
        ok = not p.answer.abstained and answer_correct(ex.item, p.answer.text)
        right_any += ok
        if p.confidence < threshold or p.answer.abstained:
            refused += 1
            continue
        right += ok
        exact += span_exact(p.answer.span, ex.item.answers)
        f1 += span_f1(p.answer.span, ex.item.answers)
    refused_un = sum(p.confidence < threshold or p.answer.abstained for _, p in unanswerable)
    lengths = [len(p.answer.text) for _, p in zip(examples, predictions) if not p.answer.abstained and p.confidence >= threshold]
    n, m = len(answerable) or 1, len(unanswerable) or 1
    ceiling = sum(bool(ex.labels.any()) for ex, _ in answerable) / n
    return SetResult(name, len(examples), len(answerable), len(unanswerable), round(right / n, 3), round(exact / n, 3),
                     round(f1 / n, 3), round(refused / n, 3), round(refused_un / m, 3), round(right_any / n, 3),
                     round(ceiling, 3), float(np.median(lengths)) if lengths else 0.0)


def choose_thresholds(examples: list[Example], predictions: list[Prediction]) -> tuple[float, float]:
    """Refusal threshold: the highest that refuses at most MAX_REFUSED_ANSWERABLE of the answerable
    questions; confident threshold: the lowest above which answers were right CONFIDENT_PRECISION of the time."""
    answerable = sorted(p.confidence for ex, p in zip(examples, predictions) if ex.item.answerable)
    if not answerable:
        return 0.0, 1.0
    allowed = int(np.floor(MAX_REFUSED_ANSWERABLE * len(answerable)))
    refuse_below = answerable[allowed] if allowed < len(answerable) else answerable[-1]
    threshold = float(np.nextafter(refuse_below, 0)) if allowed else float(answerable[0]) - 1e-6
    scored = sorted(((p.confidence, ex.item.answerable and not p.answer.abstained and answer_correct(ex.item, p.answer.text))
                     for ex, p in zip(examples, predictions)), reverse=True)
    confident = 1.0
    hits = 0
    for i, (conf, ok) in enumerate(scored, start=1):
        hits += ok
        if i >= 10 and hits / i >= CONFIDENT_PRECISION:
            confident = conf
    return round(max(0.0, threshold), 6), round(max(confident, threshold), 6)


def choose_neighbour_ratio(examples: list[Example], fold_models: list[AnswerModel]) -> float:
    """The lowest ratio p(neighbour) / p(best) at which the adjacent sentences it would show held a gold
    answer the chosen sentence lacked at least NEIGHBOUR_PRECISION of the time (out of fold)."""
    ratios, useful = [], []
    for ex, model in zip(examples, fold_models):
        if not ex.candidates:
            continue
        p, best = score_candidates(model.sentence, ex.candidates)
        for j in adjacent(ex.candidates, best, ex.answerer.articles):
            ratios.append(p[j] / p[best])
            useful.append(bool(ex.labels[j] and not ex.labels[best]))
    ratios_a, useful_a = np.array(ratios), np.array(useful)
    for ratio in NEIGHBOUR_RATIOS:
        shown = ratios_a >= ratio
        if shown.sum() >= 10 and useful_a[shown].mean() >= NEIGHBOUR_PRECISION:
            return ratio
    return 1.0


def fold_splits(examples: list[Example]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) indices of FOLDS folds (fewer when fewer articles) that never split an article's questions."""
    from sklearn.model_selection import GroupKFold

    groups = [ex.group for ex in examples]
    return list(GroupKFold(n_splits=min(FOLDS, len(set(groups)))).split(np.zeros(len(examples)), groups=groups))


def cross_validate(examples: list[Example], c: float) -> list[AnswerModel]:
    """For each example, the model fitted on the folds that do not hold its article (thresholds unset)."""
    fold_models: list[AnswerModel | None] = [None] * len(examples)
    for train, test in fold_splits(examples):
        sentence, span = fit_models([examples[i] for i in train], c)
        model = AnswerModel(sentence, span, 0.0, 1.0)
        for i in test:
            fold_models[i] = model
    return fold_models  # type: ignore[return-value]


def out_of_fold(examples: list[Example], c: float) -> tuple[list[Prediction], float]:
    """Out-of-fold predictions, with the neighbour ratio chosen on them, and that ratio."""
    fold_models = cross_validate(examples, c)
    ratio = choose_neighbour_ratio(examples, fold_models)
    return [predict(ex, replace(m, neighbour_ratio=ratio)) for ex, m in zip(examples, fold_models)], ratio


# ---- command --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qa fit", description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", help="QUESTIONS.jsonl[:ARTICLES_FOLDER] (folder default: seeds)")
    parser.add_argument("--threshold-on", action="append", default=None,
                        help="question set(s) whose out-of-fold predictions set the thresholds (default: the first)")
    parser.add_argument("--out", default=str(MODEL_PATH), help=f"model file to write (default {MODEL_PATH})")
    parser.add_argument("--cache", default=CACHE_DIR)
    parser.add_argument("-C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--report", default=None, help="also write the cross-validation report as JSON here")
    parser.add_argument("--xquad", default=None, metavar="FILE",
                        help="XQuAD's xquad.vi.json (CC BY-SA 4.0), read where it lies: its paragraphs and questions are "
                             "written as a question set beside --cache and fitted on with the other sets")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        import sklearn
    except ImportError:
        print("qa: error: qa fit needs scikit-learn; install it with `pip install 'hoi-dap[fit]'`", file=sys.stderr)
        return 2
    from .. import __version__
    from ..engine import Engine

    started = time.time()
    # each set with what the model records of its source beyond the questions themselves
    sets = [(spec, {}) for spec in args.sets]
    if args.xquad:
        xquad = Path(args.xquad)
        sets.append((xquad_spec(xquad, Path(args.cache).parent / "xquad-vi"), xquad_provenance(xquad)))
    examples: list[Example] = []
    trained_on = []
    for spec, source in sets:
        questions, folder = parse_spec(spec)
        items = read_items(questions)
        engine = Engine.load(index_for(folder, Path(args.cache), args.quiet), reader=False)
        name = set_name(questions)
        examples += collect(name, engine, items)
        trained_on.append({"questions": questions.name, "articles": folder.name, "count": len(items),
                           "sha256": hashlib.sha256(questions.read_bytes()).hexdigest(), **source})
        print(f"collected {len(items)} questions of {name}", file=sys.stderr)
    predictions, neighbour_ratio = out_of_fold(examples, args.C)
    threshold_sets = {set_name(Path(parse_spec(spec)[0])) for spec in (args.threshold_on or args.sets[:1])}
    chosen = [(ex, p) for ex, p in zip(examples, predictions) if ex.set_name in threshold_sets]
    answer_threshold, confident_threshold = choose_thresholds([e for e, _ in chosen], [p for _, p in chosen])
    results = []
    for name in dict.fromkeys(ex.set_name for ex in examples):
        pairs = [(ex, p) for ex, p in zip(examples, predictions) if ex.set_name == name]
        results.append(score(name, [e for e, _ in pairs], [p for _, p in pairs], answer_threshold))
    sentence, span = fit_models(examples, args.C)
    model = AnswerModel(sentence, span, answer_threshold, confident_threshold, neighbour_ratio, {
        "trained_on": trained_on, "threshold_on": sorted(threshold_sets),
        "policy": {"max_refused_answerable": MAX_REFUSED_ANSWERABLE, "confident_precision": CONFIDENT_PRECISION,
                   "neighbour_precision": NEIGHBOUR_PRECISION},
        "cross_validation": {r.name: {k: v for k, v in r.__dict__.items() if k != "name"} for r in results},
        "fitted_with": f"scikit-learn {sklearn.__version__} LogisticRegression(C={args.C}), hoi-dap {__version__}",
        "feature_code_sha256": feature_code_sha256(),
        "command": "qa fit " + " ".join(args.sets) + (f" --xquad {args.xquad}" if args.xquad else ""),
    })
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.report:
        Path(args.report).write_text(json.dumps([r.__dict__ for r in results], indent=1), encoding="utf-8")
    print(format_results(results, answer_threshold, confident_threshold, neighbour_ratio))
    print(f"wrote {args.out} in {time.time() - started:.0f}s", file=sys.stderr)
    return 0


def format_results(results: list[SetResult], answer_threshold: float, confident_threshold: float,
                   neighbour_ratio: float) -> str:
    lines = [f"cross-validated by article ({FOLDS} folds); refuse below {answer_threshold:.3f}, "
             f"confident from {confident_threshold:.3f}, adjacent sentence shown from {neighbour_ratio:.2f} of the best",
             "| set | n (ans/unans) | ceiling | contains, never refusing | contains | span EM | span F1 | "
             "refused answerable | refused unanswerable | median answer chars |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.name} | {r.questions} ({r.answerable}/{r.unanswerable}) | {r.ceiling:.3f} | "
                     f"{r.containment_never_refusing:.3f} | {r.containment:.3f} | {r.span_exact:.3f} | {r.span_f1:.3f} | "
                     f"{r.refused_answerable:.3f} | {r.refused_unanswerable:.3f} | {r.median_answer_chars:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
