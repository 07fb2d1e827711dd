"""The reader: reads the question together with each candidate passage window and says which one answers,
where the answer is inside it, and how sure it is.

The candidate scorer (qa/answer/candidates.py, qa/answer/scorer.py) ranks the sentences of the retrieved passages from features computed
on the question and the sentence apart; the reader then reads the best few as windows (the sentence with
the one before and after it, under the article's title) together with the question, through e5-small's
encoder fine-tuned for this (`qa train-reader`). Its relevance head gives each window the probability
that it answers the question; its span head points at the answer inside the best window. Refusal and
"confident" are thresholds on that probability, chosen on held-out folds when it was trained.

The weights ship in the repository (`qa/models/reader.npz`: int8 rows with one scale each, the vocabulary
pruned to the pieces Vietnamese and English text needs) with a model file (`qa/models/reader.json`) that
holds the configuration, the tokenizer, the thresholds, the training data's sha256 and the weights' sha256.
"""
from __future__ import annotations

import functools
import hashlib
import json
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import ModelError
from ...text.vntext import canonical
from ..scorer import READ_SPAN_FEATURES, READER_SCORE_FLOOR, SENTENCE_FEATURES, Linear

MODEL_DIR = Path(__file__).parents[2] / "models"  # qa/models
MODEL_FILE = MODEL_DIR / "reader.json"
FORMAT = 1
WINDOWS = 5  # windows read per question
MAX_WINDOW_CHARS = 520  # a window: the candidate sentence, then its neighbours while they fit
MAX_QUESTION_TOKENS = 48
MAX_TITLE_TOKENS = 24
MAX_TOKENS = 192  # the whole input: <s> question </s></s> title </s> window </s>
MAX_ANSWER_TOKENS = 32


@dataclass(frozen=True)
class Window:
    """Consecutive sentences of one article, read together with the question."""

    article_id: str
    start: int  # offsets in article.text
    end: int
    anchor: int  # index of the candidate it was built around (in the scorer's candidate list)


@dataclass(frozen=True)
class Reading:
    """What the reader says of one window: the probability that it answers, and the best span in it."""

    window: Window
    probability: float
    span: tuple[int, int] | None  # offsets of the answer in article.text
    span_score: float = 0.0


def build_windows(order: list[int], spans: list[tuple[str, int, int]], sentence_rows, count: int = WINDOWS,
                  max_chars: int = MAX_WINDOW_CHARS) -> list[Window]:
    """Windows around the candidates in `order` (best first): each holds its candidate's span and the
    sentences before and after it while they fit in max_chars; a candidate already inside a window
    adds none. `spans[i]` = (article id, start, end) of candidate i; `sentence_rows(article_id)` gives
    the article's sentence (start, end) pairs in text order."""
    windows: list[Window] = []
    for i in order:
        article_id, s, e = spans[i]
        if any(w.article_id == article_id and w.start <= s and e <= w.end for w in windows):
            continue
        sentences = sentence_rows(article_id)
        before = [x for x in sentences if x[1] <= s]
        after = [x for x in sentences if x[0] >= e]
        a, b = s, e
        # the sentence after first: about 40 % of the scorer's misses are a sentence that repeats the
        # question's words while the answer follows it
        for side in ("after", "before"):
            neighbour = (after[0] if after else None) if side == "after" else (before[-1] if before else None)
            if neighbour is None:
                continue
            a2, b2 = min(a, neighbour[0]), max(b, neighbour[1])
            if b2 - a2 <= max_chars:
                a, b = a2, b2
        windows.append(Window(article_id, a, b, i))
        if len(windows) == count:
            break
    return windows


def candidate_order(answerer, candidates) -> tuple[list[int], dict[int, float]]:
    """The sentence candidates, most probable first by the candidate scorer (metadata is not read), and each
    one's probability by candidate index."""
    from ..scorer import score_candidates

    rows = [i for i, c in enumerate(candidates) if c.kind == "sentence"]
    if not rows:
        return [], {}
    probabilities, _ = score_candidates(answerer.model.sentence, [candidates[i] for i in rows])
    order = [rows[j] for j in np.argsort(-probabilities, kind="stable")]
    return order, {rows[j]: float(probabilities[j]) for j in range(len(rows))}


# What decides, per window: the reader's own verdict beside the candidate scorer's, combined by a logistic
# model fitted on the articles the reader's training held out (`qa train-reader`, "combiner" in the model
# file). The scorer sees what the reader cannot (the retrieval rank, the whole article's agreement with the
# names and years the question states); the reader reads the question and the passage together.
COMBINER_FEATURES = ("reader_logit", "anchor_logit", "best_logit_inside", "span_score", "window_rank")


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def window_features(window: Window, rank: int, reader_probability: float, span_score: float,
                    spans: list[tuple[str, int, int]], scorer: dict[int, float]) -> dict[str, float]:
    """The combiner's features of one window, by name."""
    inside = [p for i, p in scorer.items() if spans[i][0] == window.article_id
              and window.start <= spans[i][1] and spans[i][2] <= window.end]
    return {"reader_logit": _logit(reader_probability), "anchor_logit": _logit(scorer.get(window.anchor, 0.0)),
            "best_logit_inside": _logit(max(inside, default=0.0)), "span_score": float(span_score),
            "window_rank": 1.0 / (1 + rank)}


@dataclass(frozen=True)
class Combiner:
    """p = sigmoid(coef . (x - mean) / scale + intercept) over COMBINER_FEATURES."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, features: dict[str, float]) -> float:
        x = np.array([features[name] for name in COMBINER_FEATURES], dtype=float)
        z = float(((x - self.mean) / self.scale) @ self.coef + self.intercept)
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    def to_dict(self) -> dict:
        return {"features": list(COMBINER_FEATURES), "mean": np.round(self.mean, 6).tolist(),
                "scale": np.round(self.scale, 6).tolist(), "coef": np.round(self.coef, 6).tolist(),
                "intercept": round(float(self.intercept), 6)}

    @classmethod
    def from_dict(cls, data: dict) -> "Combiner":
        if tuple(data["features"]) != COMBINER_FEATURES:
            raise ModelError("the reader's combiner was fitted on other features; retrain with `qa train-reader`")
        return cls(np.array(data["mean"], float), np.array(data["scale"], float), np.array(data["coef"], float),
                   float(data["intercept"]))


# How `ask` decides by default, when the scorer's best candidate is a sentence and this reader has read its
# window (qa/answer/answerer.py). Whether to answer: a logistic model over the scorer's probability for the
# sentence and the reader's for its window. How surely: another over those, the scorer's margin over its next
# candidate, the reader's score of the short answer picked, and the sentence's own scorer features. The scorer
# weighs those features to pick among sentences; here they are weighed anew for another question, whether the
# best sentence holds the answer (one that covers the question's words but lacks what it asks for is the best
# of a bad lot). They stay out of refusal: raw features shift with the kind of text indexed, and a shift there
# refuses answerable questions (on Wikipedia paragraphs, 0.20 of them against 0.09), where in "confident" it
# only leaves an answer tentative (README, "The reader"). Fitted with their thresholds on question sets neither
# the reader nor the scorer was fitted on (`qa train-reader --answer-with`), which also chooses which sentence
# features "confident" reads (those non-zero often enough to be weighed).
REFUSAL_READINGS = ("scorer_logit", "reader_logit")
# "chosen_below_first": the chooser answers with another sentence than the scorer's first. Its scorer margin is
# then negative, and such answers are right less often than a margin alone says (out of fold, reading it let
# "confident" cover 0.32 -> 0.38 of answerable questions at the same 90 % right: README, "The reader").
CONFIDENT_READINGS = ("scorer_logit", "scorer_margin", "reader_logit", "reader_span_score", "chosen_below_first")
SENTENCE_PREFIX = "sentence_"


def verdict_features(probabilities: np.ndarray, best: int, sentence_features: np.ndarray, reader_probability: float,
                     span_score: float) -> dict[str, float]:
    """Every feature a verdict may read: `probabilities`, the scorer's for each candidate of the question; `best`,
    the index of the sentence it answers with (the chooser's); `sentence_features`, that candidate's
    SENTENCE_FEATURES row."""
    runner_up = max((float(p) for i, p in enumerate(probabilities) if i != best), default=0.0)
    values = {"scorer_logit": _logit(float(probabilities[best])),
              "scorer_margin": _logit(float(probabilities[best])) - _logit(runner_up),
              "reader_logit": _logit(reader_probability), "reader_span_score": max(float(span_score), READER_SCORE_FLOOR),
              "chosen_below_first": float(best != int(np.argmax(probabilities)))}
    values.update({SENTENCE_PREFIX + name: float(v) for name, v in zip(SENTENCE_FEATURES, sentence_features)})
    return values


# Which sentence answers, by default: the candidate scorer's CHOSEN_AMONG best sentences are each read in their
# window, and a listwise linear model (`chooser` in the model file, fitted with the verdict by `qa train-reader
# --answer-with`) picks one from the scorer's logit, the reader's for the window, and whether the span the
# reader reads as the answer lies in the sentence itself rather than in a neighbour the window holds (and its
# score). The scorer's misses are mostly a sentence that repeats the question's words beside the one that
# answers (a second or third best): reading them with the question tells them apart (README, "The reader").
CHOOSER_FEATURES = ("scorer_logit", "reader_logit", "span_inside", "span_inside_score")
CHOSEN_AMONG = 3


def chooser_features(scorer_probability: float, reading: "SpanReading", sentence: tuple[int, int]) -> list[float]:
    """One candidate sentence's CHOOSER_FEATURES: `reading`, of its window; `sentence`, its (start, end) in the
    window's text."""
    inside = reading.best_at is not None and sentence[0] <= reading.best_at[0] < sentence[1]
    return [_logit(scorer_probability), _logit(reading.probability), float(inside),
            max(reading.best, READER_SCORE_FLOOR) if inside else 0.0]


@dataclass(frozen=True)
class Verdict:
    """answer: P(the answer holds the gold) from the two probabilities, refused below answer_threshold;
    confident: the same probability from everything it reads, shown as the confidence, confident at or above
    confident_threshold."""

    answer: Linear
    confident: Linear
    answer_threshold: float
    confident_threshold: float

    def decide(self, values: dict[str, float]) -> tuple[bool, float, bool]:
        """(answers, confidence shown, confident), from verdict_features(...)."""
        answers = bool(self.answer.probability(np.array([[values[n] for n in self.answer.features]]))[0]
                       >= self.answer_threshold)
        confidence = float(self.confident.probability(np.array([[values[n] for n in self.confident.features]]))[0])
        return answers, confidence, answers and confidence >= self.confident_threshold

    def to_dict(self) -> dict:
        return {"answer": self.answer.to_dict(), "confident": self.confident.to_dict(),
                "answer_threshold": round(self.answer_threshold, 6), "confident_threshold": round(self.confident_threshold, 6)}

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        known = set(CONFIDENT_READINGS) | {SENTENCE_PREFIX + name for name in SENTENCE_FEATURES}
        if not all(set(data[part]["features"]) <= known for part in ("answer", "confident")):
            raise ValueError("the verdict was fitted on features this code does not compute")
        return cls(Linear.from_dict(data["answer"], tuple(data["answer"]["features"])),
                   Linear.from_dict(data["confident"], tuple(data["confident"]["features"])),
                   float(data["answer_threshold"]), float(data["confident_threshold"]))


# ---- inputs -------------------------------------------------------------------------------------------
@dataclass
class Encoded:
    ids: list[int]
    window_from: int  # first token of the window part
    offsets: list[tuple[int, int]]  # per token of the window part: offsets in the window text
    answer_tokens: tuple[int, int] | None = None  # training label: (first, last) token of the answer


def encode_pair(tokenizer, question: str, title: str, text: str,
                answer: tuple[int, int] | None = None, encoded=None) -> Encoded:
    """<s> question </s></s> title </s> window </s>, cut to MAX_TOKENS (the window's end goes first).
    `answer` (offsets in text) becomes token positions when it survives the cut."""
    (q_ids, _), (t_ids, _), (w_ids, w_offsets) = encoded or tokenizer.encode_batch([question, title, text])
    q_ids, t_ids = q_ids[:MAX_QUESTION_TOKENS], t_ids[:MAX_TITLE_TOKENS]
    head = [tokenizer.bos, *q_ids, tokenizer.eos, tokenizer.eos, *t_ids, tokenizer.eos]
    room = MAX_TOKENS - len(head) - 1
    w_ids, w_offsets = w_ids[:room], w_offsets[:room]
    answer_tokens = None
    if answer is not None:
        inside = [i for i, (a, b) in enumerate(w_offsets) if b > answer[0] and a < answer[1]]
        if inside and w_offsets[inside[-1]][1] >= answer[1]:
            answer_tokens = (len(head) + inside[0], len(head) + inside[-1])
    return Encoded([*head, *w_ids, tokenizer.eos], len(head), w_offsets, answer_tokens)


def batch_tensors(encoded: list[Encoded], pad: int):
    import torch

    width = max(len(e.ids) for e in encoded)
    ids = torch.full((len(encoded), width), pad, dtype=torch.long)
    attention = torch.zeros((len(encoded), width), dtype=torch.long)
    for row, e in enumerate(encoded):
        ids[row, :len(e.ids)] = torch.tensor(e.ids)
        attention[row, :len(e.ids)] = 1
    return ids, attention


def best_span(start_logits, end_logits, e: Encoded) -> tuple[tuple[int, int], float] | None:
    """The (start, end) character offsets in the window text of the best span, and its score."""
    n = len(e.offsets)
    if n == 0:
        return None
    starts = np.asarray(start_logits[e.window_from:e.window_from + n], dtype=np.float32)
    ends = np.asarray(end_logits[e.window_from:e.window_from + n], dtype=np.float32)
    scores = starts[:, None] + ends[None, :]
    allowed = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(np.ones((n, n), dtype=bool), k=MAX_ANSWER_TOKENS)
    scores = np.where(allowed, scores, -np.inf)
    i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
    a, b = e.offsets[i][0], e.offsets[j][1]
    return ((a, b), float(scores[i, j])) if b > a else None


# ---- weights ----------------------------------------------------------------------------------------
def quantise_rows(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row: w ≈ q * scale[row]."""
    scale = np.abs(weight).max(axis=1) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    return np.clip(np.round(weight / scale[:, None]), -127, 127).astype(np.int8), scale


def save_weights(path: Path, state: dict) -> str:
    """int8 rows for matrices of at least 1,000 rows or columns (linear layers, word embeddings),
    float16 for the rest; returns the file's sha256."""
    arrays = {}
    for name, tensor in state.items():
        value = tensor.detach().cpu().numpy().astype(np.float32)
        if value.ndim == 2 and name != "encoder.pos.weight" and max(value.shape) >= 384 and min(value.shape) > 2:
            arrays[name + ".q8"], arrays[name + ".scale"] = quantise_rows(value)
        else:
            arrays[name + ".f16"] = value.astype(np.float16)
    with open(path, "wb") as out:
        np.savez(out, **arrays)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_weights(path: Path) -> dict:
    import torch

    with np.load(path, allow_pickle=False) as data:
        names = {k.rsplit(".", 1)[0] for k in data.files}
        state = {}
        for name in names:
            if name + ".q8" in data.files:
                state[name] = torch.from_numpy(data[name + ".q8"].astype(np.float32) * data[name + ".scale"][:, None])
            else:
                state[name] = torch.from_numpy(data[name + ".f16"].astype(np.float32))
    return state


# ---- the runtime ------------------------------------------------------------------------------------
@dataclass
class ReaderModelFile:
    config: dict
    tokenizer: dict
    weights: str  # file name beside the model file
    sha256: str
    thresholds: dict  # {"answer": p, "confident": p}
    info: dict = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> "ReaderModelFile":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"the reader's model file {path} is missing; reinstall hoi-dap, train one with "
                             f"`qa train-reader`, or answer without it (--reader off)") from None
        except (OSError, ValueError) as exc:
            raise ModelError(f"the reader's model file {path} is unreadable ({exc}); reinstall hoi-dap or "
                             f"answer without it (--reader off)") from None
        if data.get("format") != FORMAT:
            raise ModelError(f"{path} is reader format {data.get('format')}, this code reads {FORMAT}; "
                             f"reinstall hoi-dap or retrain with `qa train-reader`")
        return cls(data["config"], data["tokenizer"], data["weights"], data["sha256"], data["thresholds"],
                   {k: v for k, v in data.items() if k not in ("config", "tokenizer", "weights", "sha256",
                                                              "thresholds", "format")})

    def write(self, path: Path) -> None:
        data = {"format": FORMAT, **self.info, "thresholds": self.thresholds, "weights": self.weights,
                "sha256": self.sha256, "config": self.config, "tokenizer": self.tokenizer}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


class Reader:
    """The shipped (or a trained) reader, ready to read windows. Thread-safe; one forward pass at a time."""

    def __init__(self, model_file: Path = MODEL_FILE, *, quantised: bool = True, answer_checks: bool = True):
        """`answer_checks`: read the span ranker, chooser and verdict of the model file too (False: for the training code
        that refits them or does not use them, so that ones fitted on other features do not stop it)."""
        import torch

        from .model import Config, PieceTokenizer, ReaderNet

        spec = ReaderModelFile.read(model_file)
        weights = Path(model_file).with_name(spec.weights)
        try:
            digest = hashlib.sha256(weights.read_bytes()).hexdigest()
        except OSError as exc:
            raise ModelError(f"the reader's weights {weights} are missing ({exc.strerror}); reinstall hoi-dap "
                             f"or answer without the reader (--reader off)") from None
        if digest != spec.sha256:
            raise ModelError(f"the reader's weights {weights} are corrupt (sha256 {digest[:12]}…, the model file "
                             f"says {spec.sha256[:12]}…); reinstall hoi-dap or answer without it (--reader off)")
        self.spec = spec
        self.tokenizer = PieceTokenizer.from_dict(spec.tokenizer)
        net = ReaderNet(Config(**spec.config))
        net.load_state_dict(load_weights(weights))
        net.eval()
        if quantised:
            net = quantise_linear_layers(net)
        self.net = net
        self.combiner = Combiner.from_dict(spec.info["combiner"]) if "combiner" in spec.info else None
        # how `ask` uses this reader by default (`qa train-reader --answer-with`): the chooser that picks the sentence
        # among the scorer's best, the span ranker that picks the short answer inside it, and the verdict on whether
        # to answer and how surely
        try:
            self.span_ranker = (Linear.from_dict(spec.info["span_ranker"], READ_SPAN_FEATURES)
                                if "span_ranker" in spec.info and answer_checks else None)
            self.verdict = Verdict.from_dict(spec.info["verdict"]) if "verdict" in spec.info and answer_checks else None
            self.chooser = (Linear.from_dict(spec.info["chooser"], CHOOSER_FEATURES)
                            if "chooser" in spec.info and answer_checks else None)
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"the span ranker, chooser or verdict in {model_file} cannot be used ({exc}); refit them with "
                             f"`qa train-reader --answer-only --answer-with QUESTIONS[:FOLDER] --out {Path(model_file).parent}`") from None
        self.answer_threshold = float(spec.thresholds["answer"])
        self.confident_threshold = float(spec.thresholds["confident"])
        self._lock = threading.Lock()
        self._torch = torch

    def read(self, question: str, items: list[tuple[str, str]]) -> list[tuple[float, tuple[tuple[int, int], float] | None]]:
        """For each (title, window text): the probability that it answers the question and the best span
        (offsets in the window text, score)."""
        if not items:
            return []
        passes = self._forward(question, items)
        with self._lock, self._torch.inference_mode():
            probabilities = self.net.window_probabilities(self._torch.stack([p.relevance for p in passes])).tolist()
        return [(p, best_span(x.start, x.end, x.encoded)) for p, x in zip(probabilities, passes)]

    def read_spans(self, question: str, title: str, text: str, spans: list[tuple[int, int]]) -> "SpanReading":
        """One window read with the question: the probability that it answers (as `read` gives it for a window
        read alone) and what the span head says of each (start, end) span of `text` as the answer: its start
        logit at the span's first token plus its end logit at its last (SPAN_CUT_OFF for a span cut off the
        input), with the best score of any span of `text` (the one `read` would give)."""
        x, = self._forward(question, [(title, text)])
        n = len(x.encoded.offsets)
        starts = x.start[x.encoded.window_from:x.encoded.window_from + n]
        ends = x.end[x.encoded.window_from:x.encoded.window_from + n]
        scores = np.full(len(spans), SPAN_CUT_OFF, dtype=float)
        for k, (a, b) in enumerate(spans):
            first = next((i for i, (_, end) in enumerate(x.encoded.offsets) if end > a), None)
            last = next((i for i in range(n - 1, -1, -1) if x.encoded.offsets[i][0] < b), None)
            if first is not None and last is not None and first <= last and x.encoded.offsets[last][1] >= b:
                scores[k] = float(starts[first] + ends[last])
        best = best_span(x.start, x.end, x.encoded)
        with self._lock, self._torch.inference_mode():
            probability = float(self.net.window_probabilities(x.relevance[None])[0])
        return SpanReading(probability, scores, best[1] if best else float(scores.max(initial=SPAN_CUT_OFF)),
                           best[0] if best else None)

    def _forward(self, question: str, items: list[tuple[str, str]]) -> list["_Pass"]:
        """One forward pass per (title, window text) with the question: the relevance logit and the span head's
        start and end logits over the whole input."""
        torch = self._torch
        # one spelling of the question whatever tone placement it was typed with ("Thành uỷ" / "Thành ủy"), as
        # the query embedding has: both spellings read the same
        question = canonical(question)
        texts = [question] + [t for pair in items for t in pair]
        pieces = self.tokenizer.encode_batch(texts)
        encoded = [encode_pair(self.tokenizer, question, title, text,
                               encoded=(pieces[0], pieces[1 + 2 * i], pieces[2 + 2 * i]))
                   for i, (title, text) in enumerate(items)]
        passes = []
        with self._lock, torch.inference_mode():
            # one window at a time: no padding, so no attention mask and torch's faster attention kernel
            # (measured: as fast as one padded batch or faster, on one thread)
            for e in encoded:
                ids = torch.tensor([e.ids])
                relevance, start, end = self.net(ids, torch.ones_like(ids))
                passes.append(_Pass(e, relevance[0], start[0].numpy(), end[0].numpy()))
        return passes


@dataclass(frozen=True)
class _Pass:
    encoded: Encoded
    relevance: object  # the relevance head's logits (a torch tensor)
    start: np.ndarray  # span head logits per input token
    end: np.ndarray


SPAN_CUT_OFF = -30.0  # the span head's score of a span the input does not hold


@dataclass(frozen=True)
class SpanReading:
    """What the reader says of one window and of the given spans in it (Reader.read_spans)."""

    probability: float  # that the window answers the question
    scores: np.ndarray  # the span head's score of each span
    best: float  # the best score of any span of the window
    best_at: tuple[int, int] | None = None  # where that span is (offsets in the window's text)


def quantise_linear_layers(net):
    """torch's dynamic int8 for the linear layers (per output channel), when this torch still has it."""
    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            # in place: a copy would hold the float32 layers beside the int8 ones while it is made
            return quantize_dynamic(net, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)
    except (ImportError, AttributeError, RuntimeError):  # a torch without it: float32 gives the same answers, slower
        return net


@functools.lru_cache(maxsize=1)
def spelling_prior(model_file: str = str(MODEL_FILE)) -> dict[str, float]:
    """How common each syllable's spelling is, by the reader's tokenizer (its pieces' scores, learnt from
    e5's multilingual training text): the prior of the diacritic restorer (qa/text/diacritics.py). Empty
    when the model file cannot be read: the restorer then goes by the articles alone."""
    from ...text.diacritics import piece_prior

    try:
        tokenizer = ReaderModelFile.read(Path(model_file)).tokenizer
    except (ModelError, KeyError):
        return {}
    return piece_prior(tokenizer["pieces"], tokenizer["scores"])


@functools.lru_cache(maxsize=2)
def shipped_reader(path: str = str(MODEL_FILE)) -> Reader:
    return Reader(Path(path))
