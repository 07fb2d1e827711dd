"""Answers from a language model, end to end: `qa ask/eval/serve --llm`, `qa.load(index, llm=...)`, the
Engine's fallback to its extractive answer, `/ask` and `/chat` through a served app, a reloaded index keeping
its reader and model. The model is tests/llm_server.py's scripted OpenAI-compatible server on 127.0.0.1:
no model, no network.
"""
from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time

import pytest
from conftest import INDEX, REPO, stop_server
from llm_server import MODEL, Reply, ScriptedServer
from test_app import client, free_port, wait_for_port

import qa
import qa.web.app
from qa.cli import main
from qa.engine import Engine
from qa.llm import EXTRACTIVE, LLMAnswerer, LLMConfig, LLMError
from qa.web.serving import EngineHolder

QUESTION = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
ARTICLE = "003_b6d49fa98f0d9187"
QUOTE = "Quyết định 2200-QĐ/TU ngày 25/5/2017 của Thành ủy Hà Nội"
CLAIM = "Quyết định 2200-QĐ/TU được Thành ủy Hà Nội ban hành ngày 25/5/2017."
INVENTED = "Quyết định 2200-QĐ/TU do Chủ tịch nước ký ngày 1/1/2020"
KEY = "sk-test-0123456789abcdef-never-shown"
NO_LLM_ENV = ("QA_LLM_URL", "QA_LLM_MODEL", "QA_LLM_API_KEY", "QA_LLM_TIMEOUT")


def reply(*claims: tuple[int, str, str], status: str = "answered") -> str:
    """A JSON reply: claims as (passage, quote, text)."""
    return json.dumps({"status": status, "claims": [{"passage": n, "quote": q, "text": t} for n, q, t in claims]},
                      ensure_ascii=False)


RIGHT = reply((1, QUOTE, CLAIM))
WRONG = reply((1, INVENTED, "Quyết định được ký ngày 1/1/2020."))
REFUSAL = reply(status="not_found")


@pytest.fixture(autouse=True)
def no_llm_env(monkeypatch):
    """A developer's own QA_LLM_* settings must not reach these tests."""
    for name in NO_LLM_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def server():
    with ScriptedServer() as running:
        yield running


@pytest.fixture
def llm(server):
    server.reset()
    return server


@pytest.fixture(scope="module")
def plain():
    return qa.load(INDEX)


@pytest.fixture(scope="module")
def with_llm(server, plain):
    """The shipped index with the scripted model; answers fail over fast (1 s backoff at most)."""
    answerer = LLMAnswerer(LLMConfig(server.url, timeout=5, backoff=0.05))
    yield Engine(plain._stored, plain.index_dir, plain.embedder, reader=plain.reader, llm=answerer,
                 search_reader=plain.search_reader)
    answerer.close()


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"  # a port nobody listens on: connections are refused


def ask_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["ask", QUESTION, "--index", str(INDEX), *args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("qa: error: "), err
    assert "Traceback" not in err


# ---- the engine and the Python API ---------------------------------------------------------------------
def test_a_verified_answer_is_the_models_claims_with_their_quotes(with_llm, llm):
    llm.script(Reply(content=RIGHT))
    words: list[str] = []
    answer = with_llm.ask(QUESTION, on_delta=words.append)
    assert answer.generator == "llm" and answer.model == MODEL and answer.note == ""
    assert answer.text == "Quyết định 2200-QĐ/TU được Thành ủy Hà Nội ban hành ngày 25/5/2017 [1]."
    assert not answer.abstained and answer.confident and answer.confidence == 1.0
    article = with_llm.articles[ARTICLE].text
    assert answer.span == QUOTE == article[answer.start:answer.end]
    [source] = answer.citations
    assert source.article_id == ARTICLE and source.highlight == (answer.start, answer.end)
    assert source.start <= answer.start < answer.end <= source.end
    [claim] = answer.claims
    assert claim == {"text": CLAIM, "passage": 1, "citation": 1, "verified": True, "reason": "", "article_id": ARTICLE,
                     "start": answer.start, "end": answer.end, "quote": QUOTE}
    assert "".join(words) == CLAIM  # the model's words streamed as they came, before the check
    sent = llm.requests[0]["body"]["messages"][1]["content"]
    assert QUESTION in sent and "[1]" in sent and "Quyết định 2200-QĐ/TU ngày 25/5/2017" in sent


def test_the_model_reads_the_passages_the_extractive_answer_cites(with_llm, plain, llm):
    llm.script(Reply(content=RIGHT))
    with_llm.ask(QUESTION)
    extractive = plain.ask(QUESTION)
    sent = llm.requests[0]["body"]["messages"][1]["content"]
    blocks = re.findall(r"<<<ĐOẠN \[(\d+)\] \w+>>>\n(.*?)\n<<<HẾT ĐOẠN", sent, re.S)
    assert len(blocks) == min(len(extractive.citations), LLMConfig("http://x").max_passages)
    for (n, block), hit in zip(blocks, extractive.citations):  # best first, as the answer cites them
        assert block.endswith(plain.articles[hit.article_id].text[hit.start:hit.end])


def test_a_claim_whose_quote_fails_is_dropped_and_the_answer_is_not_confident(with_llm, llm):
    llm.script(Reply(content=reply((1, QUOTE, CLAIM), (1, INVENTED, "Chủ tịch nước ký ngày 1/1/2020."))))
    answer = with_llm.ask(QUESTION)
    assert answer.generator == "llm" and not answer.confident and answer.confidence == 0.5
    assert "1/1/2020" not in answer.text and "Chủ tịch nước" not in answer.text
    assert [c["verified"] for c in answer.claims] == [True, False]
    dropped = answer.claims[1]
    assert dropped["quote"] is None and dropped["start"] is None and "not found" in dropped["reason"]


@pytest.mark.parametrize("script, fallback", [
    (Reply(content=WRONG), "Không kiểm chứng được câu trả lời của mô hình"),
    (Reply(content="Tôi nghĩ là năm 2017, nhưng không chắc."), "Không đọc được câu trả lời"),
    (Reply(status=500, content="model crashed"), "Máy chủ mô hình báo lỗi (HTTP 500)"),
])
def test_anything_but_a_verified_answer_is_the_extractive_answer_with_a_note(with_llm, plain, llm, script, fallback):
    llm.script(*([script] * 3))  # a 500 is retried
    answer = with_llm.ask(QUESTION)
    extractive = plain.ask(QUESTION)
    assert answer.generator == "extractive" and answer.model == MODEL
    assert answer.note.startswith(fallback) and answer.note.endswith(EXTRACTIVE)
    assert (answer.text, answer.span, answer.citations, answer.confident) == \
        (extractive.text, extractive.span, extractive.citations, extractive.confident)
    assert "1/1/2020" not in answer.text


def test_a_refusal_by_the_model_is_an_abstention(with_llm, llm):
    llm.script(Reply(content=REFUSAL))
    answer = with_llm.ask(QUESTION)
    assert answer.generator == "llm" and answer.abstained and not answer.confident
    assert answer.text.startswith("Không tìm thấy") and answer.claims == [] and answer.span == ""
    assert answer.citations and all(h.highlight is None for h in answer.citations)  # nearest passages, unmarked


def test_summaries_metadata_and_unknown_names_are_not_sent_to_the_model(with_llm, plain, llm):
    title = plain.articles[ARTICLE].title
    for question in (f"Tóm tắt bài «{title}»", "Quyết định 2200-QĐ/TU của Quận ủy Nam Từ Liêm ban hành ngày nào?"):
        answer = with_llm.ask(question)
        assert answer.generator == "extractive" and answer.note == "" and answer.model is None
        assert answer == plain.ask(question)
    assert llm.requests == []


def test_a_server_that_is_down_or_slow_falls_back_on_time(plain, llm):
    for url, script, limit in ((dead_url(), None, 3.0), (llm.url, Reply(content=RIGHT, delay=3), 2.5)):
        if script:
            llm.script(script)
        answerer = LLMAnswerer(LLMConfig(url, timeout=1.0, backoff=0.05))
        engine = Engine(plain._stored, plain.index_dir, plain.embedder, llm=answerer, search_reader=plain.search_reader)
        started = time.monotonic()
        answer = engine.ask(QUESTION)
        assert time.monotonic() - started < limit
        assert answer.generator == "extractive" and answer.note.endswith(EXTRACTIVE)
        assert answer.text == plain.ask(QUESTION).text
        answerer.close()


def test_qa_load_takes_a_url_a_config_or_an_answerer(server, monkeypatch):
    monkeypatch.setenv("QA_LLM_API_KEY", KEY)
    monkeypatch.setenv("QA_LLM_MODEL", "qwen2.5:7b")
    by_url = qa.load(INDEX, llm=server.url)
    assert isinstance(by_url.llm, LLMAnswerer) and by_url.llm.config.url == server.url
    assert by_url.llm.config.model == "qwen2.5:7b" and by_url.llm.config.api_key.reveal() == KEY  # from the environment
    assert KEY not in repr(by_url.llm) and KEY not in json.dumps(by_url.llm.config.to_dict())
    config = LLMConfig(server.url, model="m", timeout=7)
    assert qa.load(INDEX, llm=config).llm.config is config
    shared = LLMAnswerer(config)
    assert qa.load(INDEX, llm=shared).llm is shared
    assert qa.load(INDEX).llm is None  # the environment alone does not turn it on in Python
    for wrong in ("", "   ", 42, "ftp://example.org", "127.0.0.1:11434"):
        with pytest.raises(LLMError):
            qa.load(INDEX, llm=wrong)


def test_an_answer_without_a_model_is_unchanged(plain):
    answer = plain.ask(QUESTION)
    assert (answer.generator, answer.model, answer.claims, answer.note) == ("extractive", None, [], "")


def test_a_reload_keeps_the_reader_and_the_model(with_llm, llm):
    holder = EngineHolder(with_llm, INDEX)
    assert holder.check(force=True)
    assert holder.engine is not with_llm
    assert holder.engine.llm is with_llm.llm and holder.engine.reader is with_llm.reader
    assert holder.engine.embedder is with_llm.embedder
    llm.script(Reply(content=RIGHT))
    assert holder.engine.ask(QUESTION).generator == "llm"


# ---- the command line ----------------------------------------------------------------------------------
def test_qa_ask_llm_prints_the_verified_answer_labelled_with_the_model(llm, capsys):
    llm.script(Reply(content=RIGHT))
    code, out, err = ask_cli(capsys, "--llm", llm.url)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"Trả lời bởi mô hình {MODEL}")
    assert lines[1] == "Quyết định 2200-QĐ/TU được Thành ủy Hà Nội ban hành ngày 25/5/2017 [1]."
    assert f"«{QUOTE}» [1]" in out
    llm.script(Reply(content=RIGHT))
    code, out, _ = ask_cli(capsys, "--llm", llm.url, "--llm-model", "qwen2.5:7b", "--json")
    data = json.loads(out)
    assert data["generator"] == "llm" and data["model"] == MODEL  # the name the server reports
    assert llm.requests[-1]["body"]["model"] == "qwen2.5:7b"  # the name asked for
    assert data["claims"][0]["verified"] and data["claims"][0]["quote"] == QUOTE and data["note"] == ""
    assert data["citations"][0]["highlight"] == [data["start"], data["end"]]


def test_qa_ask_llm_with_an_invented_quote_prints_the_extractive_answer_and_the_note(llm, capsys):
    llm.script(Reply(content=WRONG))
    code, out, err = ask_cli(capsys, "--llm", llm.url)
    assert code == 0
    assert out.splitlines()[0].startswith(f"Không kiểm chứng được câu trả lời của mô hình {MODEL}")
    assert "1/1/2020" not in out and "Chủ tịch nước" not in out
    assert "Trả lời bởi mô hình" not in out
    llm.script(Reply(content=WRONG))
    data = json.loads(ask_cli(capsys, "--llm", llm.url, "--json")[1])
    assert data["generator"] == "extractive" and data["note"].endswith(EXTRACTIVE)
    assert [c["verified"] for c in data["claims"]] == [False] and data["claims"][0]["quote"] is None


def test_qa_ask_llm_with_the_server_down_answers_extractively_in_a_real_process():
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "qa", "ask", QUESTION, "--index", str(INDEX), "--llm", dead_url()],
                          cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**{k: v for k, v in os.environ.items() if k not in NO_LLM_ENV},
                               "PYTHONIOENCODING": "utf-8", "QA_LLM_TIMEOUT": "3", "QA_LLM_API_KEY": KEY})
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30
    assert done.stdout.startswith("Không kết nối được tới mô hình ngôn ngữ (127.0.0.1)")
    assert "25/5/2017" in done.stdout  # the extractive answer follows the note
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 1
    assert KEY not in done.stdout + done.stderr


def test_the_api_key_is_sent_but_never_shown(llm, capsys, caplog, monkeypatch):
    monkeypatch.setenv("QA_LLM_API_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    llm.script(Reply(content=RIGHT), Reply(status=401, content=f"invalid api key {KEY}"))
    shown = [ask_cli(capsys, "--llm", llm.url, "--json"), ask_cli(capsys, "--llm", llm.url, "--json")]
    assert [r["headers"].get("Authorization") for r in llm.requests] == [f"Bearer {KEY}"] * 2
    assert json.loads(shown[1][1])["note"].startswith("Máy chủ mô hình báo lỗi (HTTP 401)")
    everything = "".join(out + err for _, out, err in shown) + caplog.text
    assert KEY not in everything and "sk-test" not in everything


def test_bad_llm_settings_are_one_line_errors(capsys, monkeypatch):
    for args in (["--llm", "ftp://127.0.0.1/v1"], ["--llm", "localhost:11434"], ["--llm-model", "qwen2.5:7b"]):
        code, out, err = ask_cli(capsys, *args)
        assert code == 2 and out == ""
        assert_one_line(err)
    monkeypatch.setenv("QA_LLM_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("QA_LLM_TIMEOUT", "soon")
    code, _, err = ask_cli(capsys)
    assert code == 2 and "QA_LLM_TIMEOUT" in err
    assert_one_line(err)
    monkeypatch.delenv("QA_LLM_TIMEOUT")
    monkeypatch.setenv("QA_LLM_API_KEY", KEY)  # and a password in the URL: httpx would send that instead of the key
    code, _, err = ask_cli(capsys, "--llm", "http://someone:hunter2@127.0.0.1:9/v1")
    assert code == 2 and "give one of them" in err and "hunter2" not in err and KEY not in err
    assert_one_line(err)


def test_qa_eval_llm_answers_with_the_model(llm, capsys, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": QUESTION, "answers": ["25/5/2017"],
                                     "source": f"{ARTICLE}.txt"}, ensure_ascii=False) + "\n", encoding="utf-8")
    llm.script(Reply(content=RIGHT))
    assert main(["eval", str(questions), "--index", str(INDEX), "--llm", llm.url, "--json", "--details"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(llm.requests) == 1
    assert report["details"][0]["answer"].startswith("Quyết định 2200-QĐ/TU được Thành ủy Hà Nội")


# ---- the served app ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(with_llm):
    demo = qa.web.app.build_app(with_llm)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield client(url)
    demo.close()


def test_ask_json_carries_the_generator_the_model_and_each_claims_check(served, llm):
    llm.script(Reply(content=reply((1, QUOTE, CLAIM), (1, INVENTED, "Ký ngày 1/1/2020."))))
    data = served.predict(QUESTION, api_name="/ask")
    assert data["generator"] == "llm" and data["model"] == MODEL and data["note"] == ""
    assert data["answer"] == "Quyết định 2200-QĐ/TU được Thành ủy Hà Nội ban hành ngày 25/5/2017 [1]."
    assert data["confident"] is False and data["span"] == QUOTE
    assert [(c["verified"], c["citation"]) for c in data["claims"]] == [(True, 1), (False, None)]
    assert "not found" in data["claims"][1]["reason"]
    [source] = data["citations"]
    assert source["role"] == "source" and source["highlight"] == [data["start"], data["end"]]
    assert "1/1/2020" not in data["copy"] and f"mô hình {MODEL}" in data["copy"]

    llm.script(Reply(content=WRONG))
    data = served.predict(QUESTION, api_name="/ask")
    assert data["generator"] == "extractive" and data["model"] == MODEL
    assert data["note"].startswith("Không kiểm chứng được") and "1/1/2020" not in data["answer"]

    llm.script(Reply(content=RIGHT))
    text = served.predict(QUESTION, api_name="/chat")
    assert text.startswith(f"Trả lời bởi mô hình {MODEL}") and f"«{QUOTE}» [1]" in text and "Nguồn:" in text
    llm.script(Reply(content=WRONG))
    assert served.predict(QUESTION, api_name="/chat").startswith("Không kiểm chứng được câu trả lời")


def test_ask_json_without_a_model_says_extractive(plain):
    demo = qa.web.app.build_app(plain)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        data = client(url).predict(QUESTION, api_name="/ask")
    finally:
        demo.close()
    assert (data["generator"], data["model"], data["claims"], data["note"]) == ("extractive", None, [], "")


@pytest.mark.slow
def test_qa_serve_llm_answers_with_the_model_and_never_shows_the_key(llm, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**{k: v for k, v in os.environ.items() if k not in NO_LLM_ENV}, "QA_AUTH": "", "PYTHONUNBUFFERED": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "QA_LLM_API_KEY": KEY}
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--index", str(INDEX), "--port", str(port),
                                 "--reader", "off", "--llm", llm.url, "--llm-model", "qwen2.5:7b"],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for_port(port, proc)
            llm.script(Reply(content=RIGHT), Reply(content=WRONG))
            api = client(f"http://127.0.0.1:{port}/")
            data = api.predict(QUESTION, api_name="/ask")
            assert data["generator"] == "llm" and data["claims"][0]["verified"]
            assert llm.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"
            assert api.predict(QUESTION, api_name="/ask")["note"].startswith("Không kiểm chứng được")
        finally:
            stop_server(proc, timeout=40)
    text = log.read_text(encoding="utf-8")
    assert proc.returncode == 0, text
    assert f"answers from the language model at http://127.0.0.1:{llm._httpd.server_address[1]}/v1 (qwen2.5:7b)" in text
    assert KEY not in text


def test_qa_serve_takes_the_reader_and_llm_options():
    from qa.cli import _parser

    args = _parser().parse_args(["serve", "--reader", "off", "--llm", "http://127.0.0.1:11434/v1", "--llm-model", "m"])
    assert (args.reader, args.llm, args.llm_model) == ("off", "http://127.0.0.1:11434/v1", "m")
    assert _parser().parse_args(["serve"]).reader == "search"  # the scorer answers, the reader orders search (README)


def test_serve_passes_the_reader_and_the_model_to_the_engine(monkeypatch):
    seen = {}

    def fake_load(index, **kwargs):
        seen.update(kwargs)
        raise qa.QAError("stop here")

    monkeypatch.setattr(Engine, "load", staticmethod(fake_load))
    assert main(["serve", "--index", str(INDEX), "--reader", "off", "--llm", "http://127.0.0.1:9/v1"]) == 2
    assert seen["reader"] is False and isinstance(seen["llm"], LLMConfig) and seen["llm"].url.endswith(":9/v1")


def test_the_readme_documents_the_language_model():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Answers from a language model", 1)[1].split("\n## ", 1)[0]
    for needed in ("--llm", "QA_LLM_URL", "QA_LLM_API_KEY", "qa.load", "httpx", "confident", "note"):
        assert needed in section, needed

