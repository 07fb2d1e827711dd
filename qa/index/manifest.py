"""manifest.json: how an index was built (format and package version, model, settings, seed hashes, counts),
as a dataclass with its schema. Every load checks it field by field, so a hand-edit is one line naming
the field instead of a traceback on the first query."""
from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..settings import Settings

FORMAT_VERSION = 2  # 2: sentence vectors for the answer scorer; Article dateline / inferred date / url


def rebuild_command(index_dir: Path, seeds: str | None = None, model: str | None = None) -> str:
    parts = ["qa index"]
    if seeds and Path(seeds) != Path("seeds"):
        parts.append(f"--seeds {seeds}")
    if Path(index_dir) != Path("index"):
        parts.append(f"--index {index_dir}")
    if model:
        parts.append(f"--model {model}")
    return " ".join(parts)


# ---- the manifest's schema ---------------------------------------------------------------------------

def _whole(minimum: int):
    return f"a whole number ≥ {minimum}", lambda v: type(v) is int and v >= minimum


def _number(minimum: float):
    return (f"a number ≥ {minimum:g}",
            lambda v: type(v) in (int, float) and math.isfinite(v) and v >= minimum)


def _one_of(*values: str):
    return "one of " + ", ".join(f'"{v}"' for v in values), lambda v: v in values and type(v) is str


def _kind(kind: type, what: str):
    return what, lambda v: type(v) is kind


def _map_of(what: str, value_check):
    return what, lambda v: type(v) is dict and all(value_check(x) for x in v.values())


_TEXT = _kind(str, "text (a JSON string)")
_OBJECT = _kind(dict, "an object")
_SHA256 = re.compile(r"[0-9a-f]{64}")
MANIFEST_SCHEMA: dict[str, tuple[bool, str, object]] = {
    name: (required, *rule) for name, required, rule in [
        ("format_version", True, _whole(1)),
        ("package_version", False, _TEXT),
        ("built_at", False, _TEXT),
        ("model", True, _OBJECT),
        ("model.id", True, ("a model name (text)", lambda v: type(v) is str and v.strip() != "")),
        ("model.dim", True, _whole(1)),
        ("settings", True, _OBJECT),
        ("settings.model", False, _TEXT),
        ("settings.chunk_words", False, _whole(1)),
        ("settings.max_chunk_words", False, _whole(1)),
        ("settings.min_chunk_words", False, _whole(0)),
        ("settings.overlap_sentences", False, _whole(0)),
        ("settings.rrf_k", False, _whole(1)),
        ("settings.dense_weight", False, _number(0)),
        ("settings.lexical_weight", False, _number(0)),
        ("settings.answer_weight", False, _number(0)),
        ("settings.index_kind", False, _one_of("auto", "flat", "hnsw")),
        ("dense", False, _OBJECT),
        ("dense.kind", False, _one_of("flat", "hnsw")),
        ("dense.metric", False, _one_of("inner_product")),
        ("seeds", False, _TEXT),
        ("seed_files", False, _map_of("an object of file name → sha256 text", lambda x: type(x) is str)),
        ("files", False, _map_of("an object of file name → sha256 (64 hex digits)",
                                 lambda x: type(x) is str and _SHA256.fullmatch(x) is not None)),
        ("counts", True, _OBJECT),
        *((f"counts.{name}", name == "chunks", _whole(0))
          for name in ("articles", "chunks", "embedded", "reused", "sentences", "sentences_embedded")),
        ("problems", False, ("a list of text", lambda v: type(v) is list and all(type(x) is str for x in v))),
        ("timings_s", False, _map_of("an object of step → seconds", lambda x: _number(0)[1](x))),
        ("backend", False, _OBJECT),
        ("backend.kind", False, _one_of("local", "milvus")),
        ("backend.uri", False, ("a Milvus address or Milvus Lite path (text)",
                                lambda v: type(v) is str and v.strip() != "")),
        ("backend.collection", False, ("a Milvus collection name (letters, digits, _)",
                                       lambda v: type(v) is str and re.fullmatch(r"[A-Za-z_]\w{0,254}", v, re.A))),
        ("backend.schema_version", False, _whole(1)),
        ("backend.search", False, _one_of("hybrid", "split")),
    ]
}


def manifest_problem(manifest) -> str | None:
    """The first field of a manifest that breaks MANIFEST_SCHEMA, in words; None when it is valid."""
    if type(manifest) is not dict:
        return f"it must be a JSON object, not {type(manifest).__name__}"
    for name, (required, wanted, check) in MANIFEST_SCHEMA.items():
        parent, _, key = name.rpartition(".")
        holder = field_value(manifest, parent) if parent else manifest
        if type(holder) is not dict:  # an optional section left out (a bad one was reported already)
            continue
        if key not in holder:
            if required:
                return f"{name} is missing"
            continue
        if not check(holder[key]):
            shown = json.dumps(holder[key], ensure_ascii=False)
            return f"{name} must be {wanted}, not {shown if len(shown) <= 40 else shown[:37] + '...'}"
    return None


def field_value(manifest: dict, name: str):
    """manifest["a"]["b"] for "a.b", or None where a part is missing or not an object."""
    value = manifest
    for part in name.split("."):
        if type(value) is not dict:
            return None
        value = value.get(part)
    return value


def model_flag(manifest: dict) -> str | None:
    """The --model a rebuild needs: none for the default model."""
    model = manifest.get("model", {}).get("id")
    return None if model == Settings().model else model


@dataclass(frozen=True)
class Manifest:
    """manifest.json as a record. `to_dict` is the JSON written beside the index (the keys in the order
    they have always had); `from_dict` reads one back, checked against MANIFEST_SCHEMA."""

    model: dict  # {"id": model name, "dim": vector size}
    settings: dict  # Settings as a dict
    counts: dict  # articles, chunks, embedded, reused, sentences, sentences_embedded
    format_version: int = FORMAT_VERSION
    package_version: str = ""
    built_at: str = ""
    dense: dict = field(default_factory=lambda: {"kind": "flat", "metric": "inner_product"})
    seeds: str | None = None
    seed_files: dict = field(default_factory=dict)  # file name (relative to seeds) -> sha256
    problems: list = field(default_factory=list)  # the files and rows left out, one line each
    timings_s: dict = field(default_factory=dict)
    backend: dict | None = None  # the Milvus collection holding the vectors; None: local FAISS + bm25s
    files: dict = field(default_factory=dict)  # file of the index folder -> sha256, written last

    _ORDER = ("format_version", "package_version", "built_at", "model", "settings", "dense", "seeds", "seed_files",
              "counts", "problems", "timings_s", "backend", "files")

    def to_dict(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: values[name] for name in self._ORDER if not (name in ("backend", "files") and not values[name])}

    @classmethod
    def from_dict(cls, data) -> "Manifest":
        """The manifest `data` states; a ValueError naming the first field that breaks the schema."""
        problem = manifest_problem(data)
        if problem:
            raise ValueError(problem)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def model_id(self) -> str:
        return self.model["id"]


def new_manifest(*, settings: Settings, model_id: str, dim: int, seeds: Path, seed_files: dict[str, str],
                 articles: int, chunks: int, dense_kind: str, problems: list[str], timings: dict[str, float],
                 reused: int, embedded: int, sentences: int = 0, sentences_embedded: int = 0,
                 backend: dict | None = None) -> dict:
    """The manifest of a build that just finished, as manifest.json holds it."""
    from .. import __version__

    return Manifest(
        format_version=FORMAT_VERSION, package_version=__version__,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), model={"id": model_id, "dim": dim},
        settings=asdict(settings), dense={"kind": dense_kind, "metric": "inner_product"}, seeds=str(seeds),
        seed_files=seed_files,
        counts={"articles": articles, "chunks": chunks, "embedded": embedded, "reused": reused,
                "sentences": sentences, "sentences_embedded": sentences_embedded},
        problems=problems, timings_s=timings, backend=backend or None,
    ).to_dict()
