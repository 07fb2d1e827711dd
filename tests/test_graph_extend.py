"""Incremental `qa index` on an HNSW index: new articles that sort last extend the graph instead of
rebuilding it (at 1M vectors a rebuild takes ~10 minutes); anything else rebuilds it. Real models,
real FAISS graphs, with HNSW forced on a small corpus (auto picks it past 50k chunks)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import ALPHA, BETA, SEEDS

import qa
from qa.engine import Engine
from qa.settings import Settings

QUESTIONS = ["cầu đi bộ hồ Thiền Quang dài bao nhiêu", "thu gom rác thải Dịch Vọng", "đối thoại với người dân",
             "Quyết định 2200-QĐ/TU"]


@pytest.fixture
def build(minilm_path):
    def run(seeds, index, kind: str = "hnsw"):
        return Engine.build(seeds, index, settings=Settings(model=minilm_path, index_kind=kind), progress=False)

    return run


def ranked_ids(index, model):
    engine = qa.load(index, model=model)
    return [[hit.chunk_id for hit in engine.search(q, k=5)] for q in QUESTIONS]


def test_articles_added_after_the_others_extend_the_graph(make_seeds, tmp_path, build, minilm_path):
    seeds = make_seeds({"a.txt": ALPHA, "b.txt": BETA})
    index = tmp_path / "index"
    first = build(seeds, index)
    assert first.dense_kind == "hnsw" and first.graph_kept == 0
    (seeds / "c.txt").write_text((SEEDS / sorted(p.name for p in SEEDS.iterdir())[3]).read_text(encoding="utf-8"),
                                 encoding="utf-8")
    second = build(seeds, index)
    assert second.graph_kept == first.chunks
    assert second.embedded == second.chunks - first.chunks > 0

    # The extended graph holds the same vectors, in the same rows, as one built from scratch ...
    fresh = tmp_path / "fresh"
    build(seeds, fresh)
    extended, rebuilt = qa.load(index, model=minilm_path), qa.load(fresh, model=minilm_path)
    assert extended._stored.dense.size == rebuilt._stored.dense.size == second.chunks
    np.testing.assert_allclose(extended._stored.dense.vectors(), rebuilt._stored.dense.vectors(), atol=1e-6)
    # ... and answers the same searches.
    assert ranked_ids(index, minilm_path) == ranked_ids(fresh, minilm_path)
    assert any(hit.article_id == "c" for hit in extended.search("Quyết định 2200-QĐ/TU", k=3))


def test_a_rebuild_with_nothing_changed_keeps_the_graph(make_seeds, tmp_path, build):
    seeds = make_seeds({"a.txt": ALPHA, "b.txt": BETA})
    index = tmp_path / "index"
    first = build(seeds, index)
    again = build(seeds, index)
    assert again.graph_kept == again.chunks == first.chunks and again.embedded == 0


@pytest.mark.parametrize("change", ["file sorting first", "edited article", "deleted article", "flat index"])
def test_anything_but_an_append_builds_the_graph_again(make_seeds, tmp_path, build, minilm_path, change):
    seeds = make_seeds({"b.txt": BETA, "c.txt": ALPHA})
    index = tmp_path / "index"
    kind = "flat" if change == "flat index" else "hnsw"
    build(seeds, index, kind)
    if change == "file sorting first":
        (seeds / "a.txt").write_text(ALPHA.replace("Thiền Quang", "Hoàn Kiếm"), encoding="utf-8")
    elif change == "edited article":
        (seeds / "b.txt").write_text(BETA.replace("rác thải", "rác thải sinh hoạt"), encoding="utf-8")
    elif change == "deleted article":
        (seeds / "b.txt").unlink()
    else:
        (seeds / "d.txt").write_text(BETA.replace("Dịch Vọng", "Mai Dịch"), encoding="utf-8")
    report = build(seeds, index, kind)
    assert report.graph_kept == 0
    # still a complete, consistent index
    fresh = tmp_path / "fresh"
    build(seeds, fresh, kind)
    assert ranked_ids(index, minilm_path) == ranked_ids(fresh, minilm_path)


def test_only_a_graph_built_with_todays_parameters_is_extended(monkeypatch):
    from qa.index import dense

    vectors = np.random.default_rng(0).standard_normal((40, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert dense.DenseIndex.build(vectors, "hnsw").extendable()
    assert not dense.DenseIndex.build(vectors, "flat").extendable()
    today = dense.HNSW_EF_CONSTRUCTION
    monkeypatch.setattr(dense, "HNSW_EF_CONSTRUCTION", today + 40)  # a graph built under other settings ...
    older = dense.DenseIndex.build(vectors, "hnsw")
    monkeypatch.setattr(dense, "HNSW_EF_CONSTRUCTION", today)  # ... is rebuilt, not extended
    assert not older.extendable()
