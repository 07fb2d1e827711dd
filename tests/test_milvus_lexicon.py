"""BM25 split into sparse vectors for the Milvus backend (qa/lexicon.py), checked against bm25s.

No Milvus here: the products query_vector . document_vector are computed in numpy, so these tests say
that the Milvus backend's BM25 is the local backend's BM25 whatever store multiplies them.
"""
from __future__ import annotations

import numpy as np
import pytest

from qa.answer.question import analyse
from qa.index.lexical import LexicalIndex, document_terms
from qa.index.lexicon import AVGDL_DRIFT, Lexicon


def sparse_scores(lexicon: Lexicon, documents: list[list[str]], terms: list[str]) -> np.ndarray:
    query = lexicon.query_vector(terms)
    vectors = [lexicon.document_vector(doc) for doc in documents]
    return np.array([sum(w * v.get(i, 0.0) for i, w in query.items()) for v in vectors])


@pytest.fixture(scope="module")
def seed_documents(engine):
    return [document_terms(c.title, c.text) for c in engine.chunks]


def test_scores_are_bm25s_scores_on_the_seed_index(engine, seed_documents, holdout_questions):
    """Every held-out question scores every seed chunk as bm25s does, to float32 rounding (~2e-7)."""
    lexicon = Lexicon.build(seed_documents)
    reference = engine._stored.lexical
    for question in holdout_questions:
        terms = list(analyse(question).search_terms)
        expected = reference.scores(terms)
        got = sparse_scores(lexicon, seed_documents, terms)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_document_frequencies_are_the_local_index_ones(engine, seed_documents):
    lexicon = Lexicon.build(seed_documents)
    assert lexicon.size == len(engine.chunks)
    for term in ("quyết định", "quyet dinh", "hà nội", "ha noi", "2200-qđ/tu", "không có từ này"):
        for exact in (True, False):
            assert lexicon.document_frequency(term, exact) == engine._stored.lexical.document_frequency(term, exact)


def test_an_update_counts_like_a_fresh_count(seed_documents):
    """Chunks leaving and coming change the statistics exactly as counting the new corpus again; term
    ids never change meaning (stored vectors of other chunks stay valid)."""
    old, new = seed_documents[:30], seed_documents[10:]
    before = Lexicon.build(old)
    after = before.updated(removed=seed_documents[:10], added=seed_documents[30:])
    fresh = Lexicon.build(new)
    assert (after.docs, after.total_length) == (fresh.docs, fresh.total_length)
    for term in set(t for doc in seed_documents for t in doc):
        i = after._ids[term]
        assert after.df[i] == (fresh.df[fresh._ids[term]] if term in fresh._ids else 0)
        if term in before._ids:
            assert before._ids[term] == i
    assert before.docs == 30  # the receiver is unchanged


def test_avgdl_is_kept_until_it_drifts(seed_documents):
    lexicon = Lexicon.build(seed_documents[:40])
    small = lexicon.updated(removed=[], added=seed_documents[40:41])
    assert (small.avgdl, small.epoch) == (lexicon.avgdl, lexicon.epoch)  # one chunk more: vectors still valid
    long_chunks = [doc * 3 for doc in seed_documents[:20]]
    grown = lexicon.updated(removed=[], added=long_chunks)
    assert abs(grown.mean_length() / lexicon.avgdl - 1) > AVGDL_DRIFT
    assert grown.epoch != lexicon.epoch and grown.avgdl == grown.mean_length()  # every vector is rewritten


def test_common_terms_are_left_out_as_locally():
    """A term in more than half of 1,000+ chunks is skipped by both backends (LexicalIndex.scores)."""
    documents = [["phổ", "biến"] + (["hiếm"] if i < 10 else []) for i in range(1200)]
    lexicon = Lexicon.build(documents)
    assert set(lexicon.query_vector(["phổ", "hiếm"])) == {lexicon._ids["hiếm"]}
    local = LexicalIndex.build(documents)
    np.testing.assert_allclose(sparse_scores(lexicon, documents, ["phổ", "hiếm"]), local.scores(["phổ", "hiếm"]),
                               rtol=1e-6)


def test_saved_and_loaded_unchanged(tmp_path, seed_documents):
    lexicon = Lexicon.build(seed_documents)
    lexicon.save(tmp_path / "lexicon.json")
    loaded = Lexicon.load(tmp_path / "lexicon.json")
    assert (loaded.terms, loaded.df.tolist(), loaded.avgdl, loaded.epoch) == (
        lexicon.terms, lexicon.df.tolist(), lexicon.avgdl, lexicon.epoch)
    (tmp_path / "lexicon.json").write_text("{garbage", encoding="utf-8")
    from qa.errors import IndexProblem

    with pytest.raises(IndexProblem, match="lexicon.json .*unreadable"):
        Lexicon.load(tmp_path / "lexicon.json")
