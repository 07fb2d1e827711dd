"""Nothing breaks: odd questions, odd seed files and damaged indexes, through the CLI, the API and the chat.

Each hostile question gets an answer or a one-line message (never a traceback) from
  * the Python API (`Engine.ask` / `Engine.search`),
  * the CLI (`qa ask`, `qa search`), in-process through `main()` and in real subprocesses,
  * the chat (`/chat` through gradio_client against a real server on 127.0.0.1).
Seed files that cannot be read are named and skipped (fatal with --strict); copies are indexed once.
Damaged-index cases here only add to tests/test_cli_core.py (which covers truncation, garbage,
missing files, bad manifests...): mismatched rows with valid hashes, empty folders, old formats,
every command, and the fix command each message names.
See docs/robustness.md for the table of what was tried.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from conftest import ALPHA, ALPHA_TITLE, BETA, BETA_TITLE, INDEX, REPO, run_qa
from test_cli_core import assert_one_line_error, call, edit_manifest

import qa
from qa.answer.answerer import NOT_FOUND
from qa.engine import MAX_QUESTION_CHARS, Engine, clean_question
from qa.errors import QuestionError
from qa.records import Answer

CANONICAL = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
CANONICAL_ANSWER = "25/5/2017"
CANONICAL_SOURCE = "003_b6d49fa98f0d9187.txt"
# A question the fitted model answers with a wide margin: these tests are about files and processes,
# not about answer quality (that is tests/test_answer.py and `qa eval`).
ALPHA_QUESTION = "Tổng vốn đầu tư của cây cầu đi bộ qua hồ Thiền Quang là bao nhiêu?"  # -> alpha.txt
ALPHA_ANSWER = "hơn 5.000 triệu đồng"
BETA_QUESTION = "Phường Dịch Vọng cam kết lắp đặt bao nhiêu điểm tập kết rác mới?"  # -> "40 điểm", beta.txt
BETA_ANSWERS = ("40", "40 điểm")  # the count, with or without the noun it counts


def _exactly(text: str, n: int) -> str:
    """`text` repeated and cut to exactly n characters, with no space at either end."""
    out = ((text + " ") * (n // (len(text) + 1) + 2))[:n]
    return out[:-1] + "x" if out.endswith(" ") else out


# name -> question. The `paste_100k` one is a real 100,000-character paste (~118 KB of UTF-8).
QUESTIONS = {
    "empty": "",
    "whitespace": " \t\n\r \u00a0\u3000\u200b\u2060 \n",
    "paste_100k": _exactly(CANONICAL, 100_000),
    "control_chars": "Quyết\x00 định\x07 2200\x1b[31m-QĐ/TU\x7f được\u200b ban\x0c hành\u202e ngày\x08 nào?\r\n",
    "emoji_only": "😀🎉👍🏽🇻🇳❤️‍🔥",
    "punctuation_only": "?!.,;:…—–\"'()[]{}<>/\\|@#$%^&*~`",
    "html_script": "<script>alert(1)</script><img src=x onerror=alert(1)> " + CANONICAL,
    "sql": "'; DROP TABLE articles; -- OR 1=1 UNION SELECT * FROM chunks",
    "mixed_scripts": "决定 2200-QĐ/TU 是哪一天发布的? " + CANONICAL + " Когда было принято решение?",
    "nfd": unicodedata.normalize("NFD", CANONICAL),
    "exactly_the_limit": _exactly(CANONICAL, MAX_QUESTION_CHARS),
    "one_over_the_limit": _exactly(CANONICAL, MAX_QUESTION_CHARS + 1),
}
EMPTY = {"empty", "whitespace"}
TOO_LONG = {"paste_100k", "one_over_the_limit"}
ANSWERS_CANONICAL = {"control_chars", "nfd"}  # the canonical question, only garbled


def _check_question_error(name: str, message: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    if name in EMPTY:
        assert "trống" in message and "ví dụ" in message  # says what is wrong (in Vietnamese) and gives an example
    else:
        assert f"{MAX_QUESTION_CHARS:,}" in message  # states the limit: 1,000
        assert f"{len(' '.join(QUESTIONS[name].split())):,}" in message  # and how long the question was


def test_the_hostile_questions_are_what_they_say():
    assert len(QUESTIONS["paste_100k"]) == 100_000 and len(QUESTIONS["paste_100k"].encode()) > 100_000
    assert len(QUESTIONS["exactly_the_limit"]) == MAX_QUESTION_CHARS
    assert QUESTIONS["nfd"] != CANONICAL and unicodedata.normalize("NFC", QUESTIONS["nfd"]) == CANONICAL
    # a terminal's colour code pasted inside the document code is dropped whole, not left as "[31m"
    assert clean_question(QUESTIONS["control_chars"]) == CANONICAL


# ---- the Python API ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_api_ask_answers_or_raises_a_question_error(engine, name):
    question = QUESTIONS[name]
    if name in EMPTY | TOO_LONG:
        with pytest.raises(QuestionError) as caught:
            engine.ask(question)
        _check_question_error(name, str(caught.value))
        with pytest.raises(QuestionError):
            engine.search(question)
        return
    answer = engine.ask(question)
    assert isinstance(answer, Answer) and answer.text.strip()
    assert answer.abstained == (answer.text == NOT_FOUND)
    if name in ANSWERS_CANONICAL:
        assert answer.span == CANONICAL_ANSWER and answer.citations[0].source == CANONICAL_SOURCE
    hits = engine.search(question, k=3)
    assert 1 <= len(hits) <= 3


def test_api_nfd_question_gives_the_same_answer_as_nfc(engine):
    nfc, nfd = engine.ask(CANONICAL), engine.ask(QUESTIONS["nfd"])
    assert (nfd.text, nfd.span, nfd.start, nfd.end, nfd.abstained) == (nfc.text, nfc.span, nfc.start, nfc.end, False)
    assert [(h.source, h.start, h.end) for h in nfd.citations] == [(h.source, h.start, h.end) for h in nfc.citations]


@pytest.mark.parametrize("question", [None, b"Quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh 2200", 2200, ["câu hỏi"]])
def test_api_question_that_is_not_text(engine, question):
    with pytest.raises(QuestionError, match="text"):
        engine.ask(question)


# ---- the CLI, in-process ------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_cli_answers_or_prints_one_line(capsys, monkeypatch, command, name):
    monkeypatch.chdir(REPO)  # the committed index is current against ./seeds: no staleness warning
    try:
        rc, out, err = call(capsys, command, QUESTIONS[name], "--index", INDEX, "--json")
    except SystemExit as exc:  # argparse refusing the question would be a usage error, not an answer
        pytest.fail(f"argparse refused the question: exit {exc.code}")
    except Exception as exc:  # what the user would see as a traceback
        pytest.fail(f"traceback: {type(exc).__name__}: {exc}")
    if name in EMPTY | TOO_LONG:
        line = assert_one_line_error(rc, err)
        _check_question_error(name, line)
        assert out == ""
        return
    assert rc == 0 and err == "", err
    data = json.loads(out)
    if command == "ask":
        assert data["answer"].strip() and isinstance(data["abstained"], bool)
        if name in ANSWERS_CANONICAL:
            assert data["span"] == CANONICAL_ANSWER and data["citations"][0]["source"] == CANONICAL_SOURCE
    else:
        assert 1 <= len(data) <= 10 and all(hit["source"].endswith(".txt") for hit in data)


def test_cli_sql_comment_that_starts_with_dashes_is_a_question(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    rc, out, err = call(capsys, "ask", "-- DROP TABLE articles; SELECT 1", "--index", INDEX)
    assert rc == 0 and err == "" and out.strip()


def test_cli_nfd_answer_is_the_nfc_answer(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert call(capsys, "ask", QUESTIONS["nfd"], "--index", INDEX) == call(capsys, "ask", CANONICAL, "--index", INDEX)
    assert call(capsys, "search", QUESTIONS["nfd"], "--index", INDEX, "--json") == \
        call(capsys, "search", CANONICAL, "--index", INDEX, "--json")


# ---- the CLI, real subprocesses -----------------------------------------------------------------------

@pytest.mark.slow
def test_subprocess_control_chars_and_nfd_question_is_answered():
    question = "\x1b[1m" + unicodedata.normalize("NFD", CANONICAL) + "\x07\t\u200b"  # argv cannot carry NUL
    result = run_qa("ask", question, "--json", cwd=REPO)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    data = json.loads(result.stdout)
    assert data["span"] == CANONICAL_ANSWER and data["citations"][0]["source"] == CANONICAL_SOURCE


@pytest.mark.slow
def test_subprocess_100kb_paste_is_refused_with_the_limit():
    paste = _exactly("quyet dinh 2200 ban hanh ngay nao", 100_000)  # 100 KB: under the 128 KiB argv limit
    for command in ("ask", "search"):
        result = run_qa(command, paste, cwd=REPO)
        line = assert_one_line_error(result.returncode, result.stderr, "1,000", "100,000")
        assert "quá dài" in line and result.stdout == ""


@pytest.mark.slow
def test_subprocess_whitespace_and_markup_questions():
    result = run_qa("ask", " \t \u00a0 ", cwd=REPO)
    assert_one_line_error(result.returncode, result.stderr, "trống")
    result = run_qa("search", QUESTIONS["html_script"], "-k", "2", cwd=REPO)
    assert result.returncode == 0 and result.stderr == "" and result.stdout.startswith("[1] ")
    assert CANONICAL_SOURCE in result.stdout.splitlines()[0]


@pytest.mark.slow
def test_subprocess_answer_when_stdout_is_not_utf8():
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run([sys.executable, "-m", "qa", "ask", CANONICAL], cwd=REPO, env=env,
                            capture_output=True, timeout=300)
    stdout, stderr = result.stdout.decode("cp1252", "replace"), result.stderr.decode("cp1252", "replace")
    assert "Traceback" not in stderr
    assert result.returncode == 0 and "25/5/2017" in stdout


# ---- the chat (/chat through gradio_client, served on 127.0.0.1) --------------------------------------

@pytest.fixture(scope="module")
def chat(engine):
    import qa.web.app
    from test_app import client, free_port

    demo = qa.web.app.build_app(engine)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield client(url)
    finally:
        demo.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_chat_replies_with_text(chat, name):
    from qa.web.chat import INTERNAL_ERROR

    if len(QUESTIONS[name].encode()) > 64_000:  # over the server's body limit: refused before it is read
        with pytest.raises(Exception) as refused:
            chat.predict(QUESTIONS[name], api_name="/chat")
        assert "413" in str(refused.value) or "large" in str(refused.value).lower()
        return
    reply = chat.predict(QUESTIONS[name], api_name="/chat")
    assert isinstance(reply, str) and reply.strip()
    assert "Traceback" not in reply and reply != INTERNAL_ERROR
    if name in EMPTY | TOO_LONG:
        _check_question_error(name, reply)
    elif name in ANSWERS_CANONICAL:  # confident (answer line first) or tentative (passage first): either holds it
        assert CANONICAL_ANSWER in reply and CANONICAL_SOURCE in reply
    else:
        assert "[1] " in reply  # an answer or an abstention, each with its (nearest) sources


@pytest.mark.slow
def test_chat_nfd_reply_is_the_nfc_reply(chat):
    assert chat.predict(QUESTIONS["nfd"], api_name="/chat") == chat.predict(CANONICAL, api_name="/chat")


@pytest.mark.slow
def test_chat_null_message(chat):
    reply = chat.predict(None, api_name="/chat")
    assert "trống" in reply.lower() and "Traceback" not in reply


# ---- seed files ---------------------------------------------------------------------------------------

def _variant(text: str) -> bytes:
    """The same page saved by another tool: NFD, CRLF line ends and a UTF-8 BOM, all at once."""
    return b"\xef\xbb\xbf" + unicodedata.normalize("NFD", text).replace("\n", "\r\n").encode("utf-8")


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as handle:
        handle.truncate(size)


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


PROBLEM_FILES = {  # name -> (content, what the message must say)
    "empty.txt": (b"", "empty"),
    "windows-1258.txt": (unicodedata.normalize("NFD", BETA).encode("cp1258", errors="replace"), "UTF-8"),
    "utf16.txt": (BETA.encode("utf-16"), "same article as beta.txt"),  # UTF-16 with a BOM is read: a copy of beta
    "photo.jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4, "binary"),
    "z_beta_copy.txt": (BETA.encode(), "same article as beta.txt; indexed once"),
    "z_beta_variant.txt": (_variant(BETA), "same article as beta.txt; indexed once"),
}


def test_index_names_each_problem_file_and_indexes_the_rest(capsys, make_seeds, tiny_index, tiny_index_copy):
    """alpha.txt is ALPHA saved as NFD + CRLF + BOM; a 50 MB sparse file, a copy of beta under two names..."""
    seeds = make_seeds({"alpha.txt": _variant(ALPHA), "beta.txt": BETA,
                        **{name: content for name, (content, _) in PROBLEM_FILES.items()}}, name="mixed")
    _sparse(seeds / "huge.txt", 50_000_000)
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tiny_index_copy, "--quiet")
    assert rc == 0 and "Traceback" not in err
    # alpha's NFD/CRLF/BOM page cleans to exactly the text of the tiny index's alpha: every vector is reused
    assert out.startswith("indexed 2 articles as ") and "(0 embedded, " in out, out
    lines = err.strip().splitlines()
    assert len(lines) == len(PROBLEM_FILES) + 1, err
    for name, (_, needle) in [*PROBLEM_FILES.items(), ("huge.txt", (None, "too large (50.0 MB; the limit is 5 MB"))]:
        mine = [line for line in lines if line.startswith(f"qa: skipped {name}: ")]
        assert len(mine) == 1 and needle in mine[0], (name, err)

    engine = qa.load(tiny_index_copy)
    assert set(engine.articles) == {"alpha", "beta"}
    assert engine.articles["alpha"].text == unicodedata.normalize("NFC", engine.articles["alpha"].text)
    assert "\r" not in engine.articles["alpha"].text and "\ufeff" not in engine.articles["alpha"].text
    assert engine.articles["alpha"].title == ALPHA_TITLE and engine.articles["alpha"].published == "2023-03-21"
    assert [c.text for c in engine.chunks] == [c.text for c in qa.load(tiny_index[1]).chunks]
    answer = engine.ask(ALPHA_QUESTION)
    assert answer.span == ALPHA_ANSWER and answer.citations[0].source == "alpha.txt"
    answer = engine.ask(BETA_QUESTION)
    assert answer.span in BETA_ANSWERS and answer.citations[0].source == "beta.txt"
    manifest = json.loads((tiny_index_copy / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["problems"]) == len(PROBLEM_FILES) + 1
    assert not [p.name for p in tiny_index_copy.parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_same_article_under_two_names_is_indexed_once(tiny_index, make_seeds, tmp_path):
    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA, "beta.txt.bak": BETA, "copy of beta.txt": _variant(BETA)})
    shutil.copytree(tiny_index[1], tmp_path / "idx")
    report = Engine.build(seeds, tmp_path / "idx", progress=False)
    assert (report.articles, report.embedded) == (2, 0)
    assert report.problems == ["beta.txt.bak: same article as beta.txt; indexed once",
                               "copy of beta.txt: same article as beta.txt; indexed once"]
    engine = qa.load(tmp_path / "idx")
    assert set(engine.articles) == {"alpha", "beta"}
    assert [c.text for c in engine.chunks] == [c.text for c in qa.load(tiny_index[1]).chunks]
    hits = engine.search(BETA_TITLE, k=5)
    assert hits[0].title == BETA_TITLE and len({h.text for h in hits}) == len(hits)


@pytest.mark.slow
def test_subprocess_index_with_a_50mb_text_file(make_seeds, tiny_index_copy):
    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA}, name="big")
    block = ("Một câu văn tiếng Việt khá dài để làm đầy tệp, lặp lại nhiều lần. " * 1000).encode()
    with open(seeds / "dump.txt", "wb") as handle:
        while handle.tell() < 50_000_000:
            handle.write(block)
    result = run_qa("index", "--seeds", str(seeds), "--index", str(tiny_index_copy), "--quiet",
                    cwd=tiny_index_copy.parent)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines() == [
        "qa: skipped dump.txt: too large (50.0 MB; the limit is 5 MB per article file)"]
    assert "indexed 2 articles" in result.stdout and "(0 embedded, " in result.stdout
    assert qa.load(tiny_index_copy).ask(ALPHA_QUESTION).span == ALPHA_ANSWER


STRICT_PROBLEMS = {
    "duplicate": ("beta copy.txt", BETA.encode()),
    "50 MB": ("huge.txt", None),
    "utf-16 copy": ("utf16.txt", BETA.encode("utf-16")),
    "windows-1258": ("windows-1258.txt", PROBLEM_FILES["windows-1258.txt"][0]),
}


@pytest.mark.parametrize("kind", sorted(STRICT_PROBLEMS))
def test_strict_makes_any_problem_fatal(capsys, make_seeds, tiny_index_copy, kind):
    name, content = STRICT_PROBLEMS[kind]
    seeds = make_seeds({"alpha.txt": ALPHA, "beta.txt": BETA, **({name: content} if content is not None else {})})
    if content is None:
        _sparse(seeds / name, 50_000_000)
    before = _snapshot(tiny_index_copy)
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tiny_index_copy, "--quiet", "--strict")
    assert_one_line_error(rc, err, name)
    assert out == "" and _snapshot(tiny_index_copy) == before  # the previous index is untouched


def test_strict_accepts_crlf_bom_and_nfd_pages(capsys, make_seeds, tiny_index_copy):
    seeds = make_seeds({"alpha.txt": _variant(ALPHA), "beta.txt": BETA.replace("\n", "\r\n")})
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tiny_index_copy, "--quiet", "--strict")
    assert rc == 0 and err == "" and "(0 embedded, " in out


def test_two_articles_with_the_same_stem_are_both_answerable(make_seeds, tmp_path):
    seeds = make_seeds({"alpha.txt": ALPHA, "alpha.md": BETA})
    report = Engine.build(seeds, tmp_path / "idx", progress=False)
    engine = qa.load(tmp_path / "idx")
    assert report.articles == 2 == len(engine.articles), "the manifest counts 2 articles, the index holds 1"
    assert engine.ask(ALPHA_QUESTION).span == ALPHA_ANSWER
    answer = engine.ask(BETA_QUESTION)
    assert answer.span in BETA_ANSWERS and answer.citations[0].source == "alpha.md"


def test_a_file_name_that_is_not_utf8(capsys, make_seeds, tmp_path):
    seeds = make_seeds({"alpha.txt": ALPHA})
    with open(os.fsencode(seeds) + b"/b\xe9ta.txt", "wb") as handle:  # a Latin-1 name from an old zip
        handle.write(BETA.encode())
    try:
        rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tmp_path / "idx", "--quiet")
    except Exception as exc:
        pytest.fail(f"traceback: {type(exc).__name__}: {exc}")
    assert rc == 0 and "Traceback" not in err
    engine = qa.load(tmp_path / "idx")
    assert "alpha" in engine.articles
    # either indexed, or named on one "qa: skipped" line
    assert len(engine.articles) == 2 or (len(err.strip().splitlines()) == 1 and err.startswith("qa: skipped b"))


def test_each_problem_is_reported_on_one_line(capsys, make_seeds, tmp_path):
    seeds = make_seeds({"alpha.txt": ALPHA, "bad\nname.txt": ""})
    rc, out, err = call(capsys, "index", "--seeds", seeds, "--index", tmp_path / "idx", "--quiet")
    assert rc == 0
    assert [line.startswith("qa: skipped ") for line in err.strip().splitlines()] == [True]


# ---- damaged indexes: what tests/test_cli_core.py does not already cover ------------------------------

def _rewrite_hashes(index: Path) -> None:
    """Re-sign every file in the manifest, as a careless hand-edit or a buggy tool would."""
    def change(manifest):
        manifest["files"] = {name: hashlib.sha256((index / name).read_bytes()).hexdigest()
                             for name in manifest["files"]}
    edit_manifest(index, change)


def _drop_line(path: Path, at: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[at]
    path.write_text("".join(lines), encoding="utf-8")


def _drop_chunk_row_and_fix_count(index: Path) -> None:
    _drop_line(index / "chunks.jsonl", 1)
    edit_manifest(index, lambda m: m["counts"].__setitem__("chunks", m["counts"]["chunks"] - 1))
    _rewrite_hashes(index)


def _empty_folder(index: Path) -> None:
    shutil.rmtree(index)
    index.mkdir()


DAMAGES = {  # name -> (damage, words the one-line message must hold besides the path and `qa index`)
    "one chunk row removed, hashes re-signed": (
        lambda d: (_drop_line(d / "chunks.jsonl", 1), _rewrite_hashes(d)), ["inconsistent"]),
    "one chunk row removed, count and hashes re-signed": (_drop_chunk_row_and_fix_count, ["inconsistent"]),
    "one article row removed, hashes re-signed": (
        lambda d: (_drop_line(d / "articles.jsonl", 0), _rewrite_hashes(d)), ["unknown articles"]),
    "older format_version": (lambda d: edit_manifest(d, lambda m: m.__setitem__("format_version", 0)), ["older"]),
    "newer format_version": (lambda d: edit_manifest(d, lambda m: m.__setitem__("format_version", 99)),
                             ["newer", "upgrade"]),
    "format_version not a number": (lambda d: edit_manifest(d, lambda m: m.__setitem__("format_version", "v1")),
                                    ["corrupt"]),
    "empty index folder": (_empty_folder, ["manifest.json is missing"]),
}


@pytest.mark.parametrize("command", ["ask", "search", "eval", "serve"])
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_every_command_gives_one_line_naming_the_fix(capsys, monkeypatch, tiny_index_copy, tmp_path, damage, command):
    monkeypatch.delenv("QA_AUTH", raising=False)
    change, needles = DAMAGES[damage]
    change(tiny_index_copy)
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": ALPHA_QUESTION, "answers": [ALPHA_ANSWER]},
                                    ensure_ascii=False) + "\n", encoding="utf-8")
    first = {"ask": ALPHA_QUESTION, "search": ALPHA_QUESTION, "eval": questions, "serve": None}[command]
    argv = [command, *([first] if first is not None else []), "--index", tiny_index_copy]
    if command == "serve":
        argv += ["--port", "9"]  # never reached: the index is checked before anything listens
    rc, out, err = call(capsys, *argv)
    line = assert_one_line_error(rc, err, *needles)
    assert out == ""
    assert "`qa index" in line and f"--index {tiny_index_copy}" in line, line  # the command that fixes it


def test_vectors_of_another_dimension_name_the_right_rebuild(capsys, tiny_index_copy):
    import faiss
    import numpy as np

    n = json.loads((tiny_index_copy / "manifest.json").read_text())["counts"]["chunks"]
    vectors = np.random.default_rng(0).standard_normal((n, 768)).astype(np.float32)
    index = faiss.IndexFlatIP(768)
    index.add(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    faiss.write_index(index, str(tiny_index_copy / "dense.faiss"))
    edit_manifest(tiny_index_copy, lambda m: m["model"].__setitem__("dim", 768))
    _rewrite_hashes(tiny_index_copy)
    rc, out, err = call(capsys, "ask", ALPHA_QUESTION, "--index", tiny_index_copy)
    line = assert_one_line_error(rc, err, "384", "768", "qa index")
    assert f"--index {tiny_index_copy}" in line, line
