"""The Milvus backend (qa/index/backends/milvus.py) against Milvus Lite, for real: no mock anywhere.

Mechanics run on the deterministic HashEmbedder (tests/conftest.py), so every ranking is exact and
nothing waits for a model: build, search, filters, incremental update, delete, switching backends,
a server out of reach, a missing collection or database, a collection of another model, a database
held by another process. The slow tests compare the answers to the held-out questions with the
local backend's, from the same vectors (the committed index's: nothing is embedded again), in
process and through `qa serve`.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ALPHA, BETA, INDEX, REPO, SEEDS, HashEmbedder, run_qa, stop_server
from test_cli_core import assert_one_line_error

from qa.index import store
from qa.cli import main
from qa.embed import CachedQueries
from qa.engine import Engine
from qa.errors import BackendError, IndexProblem
from qa.index.lexical import document_terms
from qa.index.lexicon import Lexicon
from qa.index.manifest import manifest_problem

GAMMA = """Cần Thơ khai trương chợ nổi du lịch mới trên sông Hậu

Sáng 2/4/2024, UBND quận Cái Răng khai trương khu chợ nổi du lịch mới với 120 ghe hàng. Khu chợ nằm cách bến Ninh Kiều khoảng 6 km và mở cửa từ 4 giờ sáng mỗi ngày.

Theo ông Trần Văn Bình, Chủ tịch UBND quận, dự án có tổng vốn 35 tỷ đồng, gồm bến đỗ, nhà vệ sinh nổi và hệ thống thu gom rác trên sông.

Người bán hàng được tập huấn về an toàn thực phẩm và niêm yết giá. Du khách có thể mua trái cây, hủ tiếu và cà phê ngay trên ghe.

Hữu Tài"""

QUERIES = ["Hà Nội", "quyet dinh 2200 ban hanh ngay nao", "dân vận khéo", "Who led the delegation to Ho Chi Minh City?",
           "hội nghị đối thoại", "bao nhiêu đại biểu"]


class OtherEmbedder(HashEmbedder):
    """Another model: other id, other dimension."""

    model_id = "test/other-model"
    dim = 32


def build(seeds: Path, index: Path, embedder=None, **kwargs):
    return Engine.build(seeds, index, progress=False, embedder=embedder or HashEmbedder(), **kwargs)


def opened(index: Path, embedder=None) -> Engine:
    return Engine(store.load(index), index, embedder or HashEmbedder())


def results(engine: Engine, query: str, **filters) -> list[tuple[str, float]]:
    return [(h.chunk_id, h.score) for h in engine.search(query, k=10, **filters)]


def let_go(index: Path) -> None:
    """Stop this process's Milvus Lite server for an index, as another process would see it closed."""
    from qa.index.backends.milvus import Target, _OPEN_LITE

    target = Target.from_manifest(json.loads((index / "manifest.json").read_text())["backend"], index)
    if target.uri in _OPEN_LITE:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(target.uri)
        _OPEN_LITE.discard(target.uri)


@pytest.fixture(scope="module")
def hash_pair(tmp_path_factory, hash_engine):
    """seeds/ indexed with HashEmbedder twice: local files (conftest's `hash_engine`, only read here:
    searched, or its folder copied), and Milvus Lite inside the index folder."""
    root = tmp_path_factory.mktemp("pair")
    report = build(SEEDS, root / "milvus", backend="milvus")
    return hash_engine, opened(root / "milvus"), report


# ---- build and search ---------------------------------------------------------------------------------

def test_a_milvus_index_keeps_records_locally_and_vectors_in_the_collection(hash_pair):
    local, milvus, report = hash_pair
    folder = milvus.index_dir
    assert report.backend == "milvus" and report.written == report.chunks == len(local.chunks)
    assert sorted(p.name for p in folder.iterdir()) == ["articles.jsonl", "chunks.jsonl", "lexicon.json",
                                                        "manifest.json", "milvus.db", "sentences.jsonl",
                                                        "sentences.npy"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["backend"] == {"kind": "milvus", "uri": "milvus.db", "collection": "hoi_dap_chunks",
                                   "schema_version": 1, "search": "split"}
    assert manifest_problem(manifest) is None
    backend = milvus.backend
    stored = backend.client.query(backend.target.collection, filter="", output_fields=["count(*)"])
    assert stored[0]["count(*)"] == len(milvus.chunks)


@pytest.mark.parametrize("query", QUERIES)
def test_search_ranks_exactly_as_the_local_backend(hash_pair, query):
    local, milvus, _ = hash_pair
    assert results(milvus, query) == results(local, query)
    assert milvus.ask(query).text == local.ask(query).text


def test_hybrid_search_is_one_request_fused_by_milvus(hash_pair):
    """`--milvus-search hybrid`: Milvus's RRF ranker gives the local fusion's passages and scores
    (its float32 scores may order an exact tie differently)."""
    local, milvus, _ = hash_pair
    milvus.backend.hybrid = True
    try:
        for query in QUERIES:
            got, expected = results(milvus, query), results(local, query)
            assert {c for c, _ in got} == {c for c, _ in expected}
            assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-6)
    finally:
        milvus.backend.hybrid = False


def test_the_search_mode_is_kept_in_the_manifest(tmp_path, make_seeds):
    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA})
    index = tmp_path / "index"
    build(seeds, index, backend="milvus", milvus_search="hybrid")
    assert opened(index).backend.hybrid
    build(seeds, index)  # a later build keeps it
    assert json.loads((index / "manifest.json").read_text())["backend"]["search"] == "hybrid"
    assert opened(index).search("cầu đi bộ", k=1)[0].source == "alpha.txt"


FILTERS = [
    {"articles": ["003_b6d49fa98f0d9187"]},
    {"articles": ["001_7118564227fe64c7.txt", "004_0391796bac9d7ee8"]},  # a file name and an id
    {"since": "2020-01-01"},
    {"until": "2019-12-31"},
    {"since": "2019-07-01", "until": "2019-07-01"},  # an inferred date, the range inclusive
    {"outlets": ["LĐTĐ"]},
    {"outlets": [""]},  # articles that name no outlet
    {"outlets": ["LĐTĐ", "Tin tức TTXVN"], "since": "2019-01-01"},
    {"articles": ["000_4b78a9e627b5555f"], "outlets": ["Tin tức TTXVN"]},  # nothing is allowed
    {"outlets": ["không có báo này"]},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: json.dumps(f, ensure_ascii=False))
def test_filters_become_milvus_expressions_with_the_same_results(hash_pair, filters):
    local, milvus, _ = hash_pair
    for query in QUERIES[:4]:
        expected = results(local, query, **filters)
        assert results(milvus, query, **filters) == expected
        assert milvus.ask(query, **filters).text == local.ask(query, **filters).text


def test_filter_values_are_quoted_not_interpreted(tmp_path, make_seeds):
    """File names with quotes, backslashes and a newline filter as plain text in Milvus expressions."""
    odd = 'bài "trích" \\ một.txt'
    seeds = make_seeds({odd: ALPHA, "dòng\nhai.txt": BETA, "ba.txt": GAMMA})
    build(seeds, tmp_path / "local")
    build(seeds, tmp_path / "milvus", backend="milvus")
    local, milvus = opened(tmp_path / "local"), opened(tmp_path / "milvus")
    for name in (odd, "dòng\nhai.txt", 'x" or article_id != "'):
        got = results(milvus, "khánh thành", articles=[name])
        assert got == results(local, "khánh thành", articles=[name])
        assert {h.source for h in milvus.search("khánh thành", articles=[name])} <= {name}


# ---- incremental ---------------------------------------------------------------------------------------

def test_a_rebuild_writes_only_what_changed(tmp_path, make_seeds):
    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA})
    index = tmp_path / "index"
    first = build(seeds, index, backend="milvus")
    assert (first.embedded, first.written, first.deleted) == (first.chunks, first.chunks, 0)

    again = build(seeds, index)  # no --backend: the index stays in Milvus
    assert (again.backend, again.embedded, again.written, again.deleted) == ("milvus", 0, 0, 0)

    (seeds / "gamma.txt").write_text(GAMMA, encoding="utf-8")
    before = {c.id for c in opened(index).chunks}
    added = build(seeds, index)
    engine = opened(index)
    new = {c.id for c in engine.chunks} - before
    assert added.embedded == added.written == len(new) > 0 and added.deleted == 0
    assert engine.search("chợ nổi Cái Răng", k=1)[0].source == "gamma.txt"

    (seeds / "beta.txt").write_text(BETA.replace("Hơn 200 đại biểu", "Gần 300 đại biểu"), encoding="utf-8")
    before = {c.id for c in engine.chunks}
    edited = build(seeds, index)
    engine = opened(index)
    after = {c.id for c in engine.chunks}
    assert edited.embedded == edited.written == len(after - before) > 0
    assert edited.deleted == len(before - after) > 0
    assert "Gần 300 đại biểu" in engine.search("bao nhiêu đại biểu dự hội nghị đối thoại", k=1)[0].text

    # a metadata edit: same texts, another date -> rows rewritten with their stored vectors, none embedded
    (seeds / "alpha.txt").write_text(ALPHA.replace("21/03/2023", "22/03/2024"), encoding="utf-8")
    redated = build(seeds, index)
    engine = opened(index)
    alpha = [c for c in engine.chunks if c.source == "alpha.txt"]
    assert (redated.embedded, redated.written, redated.deleted) == (0, len(alpha), 0)
    assert {h.source for h in engine.search("cầu đi bộ", since="2024-01-01", until="2024-12-31")} == {"alpha.txt"}

    gone = [c.id for c in engine.chunks if c.source == "gamma.txt"]
    (seeds / "gamma.txt").unlink()
    deleted = build(seeds, index)
    engine = opened(index)
    assert (deleted.embedded, deleted.written, deleted.deleted) == (0, 0, len(gone))
    backend = engine.backend
    assert backend.client.get(backend.target.collection, ids=gone, output_fields=["id"]) == []
    stored = backend.client.query(backend.target.collection, filter="", output_fields=["count(*)"])
    assert stored[0]["count(*)"] == len(engine.chunks)
    assert all(h.source != "gamma.txt" for h in engine.search("chợ nổi Cái Răng", k=10))
    # the term statistics kept beside the collection are those of the chunks now indexed
    fresh = Lexicon.build([document_terms(c.title, c.text) for c in engine.chunks])
    lexicon = engine._stored.lexicon
    assert (lexicon.docs, lexicon.total_length) == (fresh.docs, fresh.total_length)
    assert all(lexicon.df[lexicon._ids[t]] == fresh.df[i] for t, i in fresh._ids.items())


def test_the_vector_index_follows_the_index_kind(tmp_path, make_seeds):
    """FLAT while exact search is fast enough, HNSW past that (or as --index-kind says): a collection
    that crossed the line is re-indexed in place, its rows untouched."""
    from qa.settings import Settings

    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA})
    index = tmp_path / "index"
    build(seeds, index, backend="milvus")
    before = results(opened(index), "cầu đi bộ")
    report = build(seeds, index, settings=Settings(index_kind="hnsw"))
    assert (report.dense_kind, report.written, report.deleted) == ("hnsw", 0, 0)
    engine = opened(index)
    info = engine.backend.client.describe_index(engine.backend.target.collection, "vector")
    assert info["index_type"] == "HNSW" and engine.backend.dense_kind == "hnsw"
    assert results(engine, "cầu đi bộ") == before  # a graph over a few chunks finds them all


def test_switching_backends_reuses_the_vectors(tmp_path, hash_pair):
    """local -> Milvus and Milvus -> local embed nothing: the vectors come from the other backend."""
    local, _, _ = hash_pair
    index = tmp_path / "index"
    shutil.copytree(local.index_dir, index)
    to_milvus = build(SEEDS, index, backend="milvus", milvus_uri=str(tmp_path / "outside.db"))
    assert (to_milvus.embedded, to_milvus.sentences_embedded) == (0, 0)
    assert json.loads((index / "manifest.json").read_text())["backend"]["uri"] == "../outside.db"
    assert results(opened(index), QUERIES[1]) == results(local, QUERIES[1])
    back = build(SEEDS, index, backend="local")
    assert (back.backend, back.embedded) == ("local", 0)
    assert (index / "dense.faiss").exists() and not (index / "lexicon.json").exists()
    assert results(opened(index), QUERIES[1]) == results(local, QUERIES[1])


# ---- what goes wrong, in one line ---------------------------------------------------------------------

def test_a_server_out_of_reach(tmp_path, make_seeds, capsys, monkeypatch, hash_pair):
    from test_app import free_port

    port = free_port()  # nothing listens there
    monkeypatch.setenv("QA_MILVUS_TIMEOUT", "3")
    seeds = make_seeds({"alpha.txt": ALPHA})
    t0 = time.perf_counter()
    rc = main(["index", "--seeds", str(seeds), "--index", str(tmp_path / "index"), "--quiet",
               "--backend", "milvus", "--milvus-uri", f"http://127.0.0.1:{port}"])
    assert_one_line_error(rc, capsys.readouterr().err, f"cannot reach Milvus at http://127.0.0.1:{port}",
                          "QA_MILVUS_TOKEN")
    assert not (tmp_path / "index").exists() and time.perf_counter() - t0 < 30
    # an index whose server is gone: the chat and the CLI say so when it opens
    monkeypatch.setenv("QA_MILVUS_URI", f"http://127.0.0.1:{port}")
    rc = main(["search", "Hà Nội", "--index", str(hash_pair[1].index_dir)])
    assert_one_line_error(rc, capsys.readouterr().err, "cannot reach Milvus", f"127.0.0.1:{port}")


def test_a_missing_collection_or_database(tmp_path, make_seeds, capsys):
    seeds = make_seeds({"alpha.txt": ALPHA})
    index = tmp_path / "index"
    build(seeds, index, backend="milvus", milvus_collection="tin_tuc")
    engine = opened(index)
    engine.backend.client.drop_collection("tin_tuc")
    with pytest.raises(BackendError, match=r"has no collection tin_tuc .* build it with `qa index --index .*"
                                           r"--milvus-collection tin_tuc`"):
        store.load(index)
    let_go(index)
    shutil.rmtree(index / "milvus.db")
    rc = main(["ask", "cầu đi bộ dài bao nhiêu?", "--index", str(index)])
    assert_one_line_error(rc, capsys.readouterr().err, "the Milvus Lite database", "milvus.db does not exist",
                          "--backend milvus")


def test_a_collection_of_another_model(tmp_path, make_seeds):
    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA})
    shared = str(tmp_path / "shared.db")
    build(seeds, tmp_path / "a", backend="milvus", milvus_uri=shared, milvus_collection="chung")
    with pytest.raises(BackendError, match=r"collection chung .* holds vectors of model 'test/hash-bag-of-syllables' "
                                           r"\(64-d\), not 'test/other-model'; build into another collection"):
        build(seeds, tmp_path / "b", OtherEmbedder(), backend="milvus", milvus_uri=shared, milvus_collection="chung")
    assert not (tmp_path / "b").exists()
    # someone rebuilt the collection from another index with another model: index a says so on load
    opened(tmp_path / "a").backend.client.drop_collection("chung")
    build(seeds, tmp_path / "b", OtherEmbedder(), backend="milvus", milvus_uri=shared, milvus_collection="chung")
    with pytest.raises(BackendError, match=r"holds 32-d vectors of model 'test/other-model', but index .*a was built "
                                           r"with 'test/hash-bag-of-syllables' \(64-d\); rebuild it with `qa index"):
        store.load(tmp_path / "a")
    assert opened(tmp_path / "b", OtherEmbedder()).search("cầu đi bộ", k=1)[0].source == "alpha.txt"


def test_a_database_open_in_another_process(tmp_path, make_seeds):
    seeds = make_seeds({"alpha.txt": ALPHA})
    index = tmp_path / "index"
    build(seeds, index, backend="milvus")
    let_go(index)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pymilvus import MilvusClient\nMilvusClient(sys.argv[1])\n"
                               "print('open', flush=True)\ntime.sleep(120)", str(index / "milvus.db")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(BackendError, match="open in another process .*one process at a time"):
            store.load(index)
    finally:
        holder.kill()
        holder.wait()
    assert opened(index).search("cầu đi bộ", k=1)  # free again


def test_a_hand_edited_backend_is_one_line(tmp_path, hash_pair):
    index = tmp_path / "index"
    shutil.copytree(hash_pair[0].index_dir, index)
    manifest = json.loads((index / "manifest.json").read_text())
    for backend, needle in (({"kind": "cloud"}, 'backend.kind must be one of "local", "milvus"'),
                            ({"kind": "milvus", "uri": "x.db", "collection": "bad name"}, "backend.collection must be"),
                            ({"kind": "milvus", "collection": "c"}, "backend.uri and backend.collection are needed")):
        (index / "manifest.json").write_text(json.dumps({**manifest, "backend": backend}))
        with pytest.raises(IndexProblem, match=needle):
            store.load(index)


def test_bad_milvus_options_are_refused_before_anything_is_written(tmp_path, make_seeds, capsys):
    seeds = make_seeds({"alpha.txt": ALPHA})
    index = str(tmp_path / "index")
    for args, needle in ((["--milvus-uri", "milvus.sqlite"], "ends in .db"),
                         (["--milvus-collection", "tin-tuc"], "letters, digits and underscores"),
                         (["--backend", "local", "--milvus-collection", "x"], "go with --backend milvus")):
        rc = main(["index", "--seeds", str(seeds), "--index", index, "--quiet", *(["--backend", "milvus"]
                   if "--backend" not in args else []), *args])
        assert_one_line_error(rc, capsys.readouterr().err, needle)
    assert not Path(index).exists()


# ---- the seed questions: the same answers as the local backend ---------------------------------------------

@pytest.fixture(scope="module")
def seed_pair(tmp_path_factory):
    """seeds/ indexed locally and in Milvus Lite from the committed index's vectors (nothing embedded)."""
    import qa

    root = tmp_path_factory.mktemp("seedpair")
    for name in ("local", "milvus"):
        shutil.copytree(INDEX, root / name)
    Engine.build(SEEDS, root / "local", progress=False)
    report = Engine.build(SEEDS, root / "milvus", progress=False, backend="milvus")
    local, milvus = qa.load(root / "local"), qa.load(root / "milvus")
    milvus.embedder = local.embedder = CachedQueries(local.embedder)  # one embedder for both, each question embedded once
    return local, milvus, report


def answer_of(answer) -> tuple:
    return (answer.text, answer.span, answer.abstained, answer.kind, answer.confidence, answer.start, answer.end,
            [(h.chunk_id, h.highlight) for h in answer.citations])


@pytest.mark.slow
def test_the_held_out_questions_get_the_same_answers_as_with_the_local_backend(seed_pair, holdout_questions):
    local, milvus, report = seed_pair
    assert report.backend == "milvus" and report.written == len(local.chunks)
    questions = holdout_questions
    assert len(questions) == 110
    for question in questions:
        assert results(milvus, question) == results(local, question), question
        assert answer_of(milvus.ask(question)) == answer_of(local.ask(question)), question
    milvus.backend.hybrid = True  # one hybrid_search request, fused by Milvus: the same answers too
    try:
        for question in questions:
            # Milvus ranks each of the two requests itself (float32 scores, its own order for equal ones), so
            # passages scored (nearly) alike may reach the fusion in another order than locally: the answer and
            # the passage it cites are the same, the related passages the same ones
            got, expected = answer_of(milvus.ask(question)), answer_of(local.ask(question))
            assert got[:-1] == expected[:-1] and got[-1][0] == expected[-1][0], question
            assert sorted(got[-1]) == sorted(expected[-1]), question
    finally:
        milvus.backend.hybrid = False


@pytest.mark.slow
def test_qa_index_then_qa_serve_answers_as_the_local_backend(tmp_path, seed_pair, holdout_questions):
    """`qa index --backend milvus --milvus-uri ...` then `qa serve --index ...`, as processes."""
    from test_app import client, free_port, wait_for_port

    local = seed_pair[0]
    index = tmp_path / "index"
    shutil.copytree(INDEX, index)
    built = run_qa("index", "--seeds", str(SEEDS), "--index", str(index), "--backend", "milvus",
                   "--milvus-uri", str(tmp_path / "tin-tuc.db"), "--quiet", timeout=300)
    assert built.returncode == 0, built.stderr
    assert f"milvus: {len(local.chunks)} chunks written, 0 deleted" in built.stdout
    port = free_port()
    log = open(tmp_path / "serve.log", "w", encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--index", str(index), "--port", str(port)],
                              cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "QA_AUTH": "", "GRADIO_ANALYTICS_ENABLED": "False"})
    try:
        wait_for_port(port, server)
        api = client(f"http://127.0.0.1:{port}/")
        for question in holdout_questions[:6]:
            served = api.predict(question, api_name="/ask")
            expected = local.ask(question)
            assert (served["answer"], served["span"]) == (expected.text, expected.span), question
            assert [c["article_id"] for c in served["citations"]] == [h.article_id for h in expected.citations]
    finally:
        stop_server(server, timeout=40)  # a graceful stop may wait up to qa.app.STOP_TIMEOUT (30 s)
        log.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text(encoding="utf-8")
