"""The chat page with a language model, in Chromium: the model's words stream in as they arrive (escaped,
marked provisional), then the verified answer replaces them, answer first, labelled with the model's name;
a reply whose quotes do not check out leaves the extractive answer with the note, and nothing of the model's.

The model is tests/llm_server.py's scripted server on 127.0.0.1, streaming slowly enough to be watched; the
engine is the real one on the shipped index.
"""
from __future__ import annotations

import json

import pytest
from conftest import INDEX
from llm_server import MODEL, Reply, ScriptedServer
# `browser` is test_browser's fixture
from test_browser import (ANSWER_TIMEOUT_MS, CHROMIUM, CONTRAST_JS, DESKTOP, Watched, browser,  # noqa: F401
                          launch, save_screenshot)

import qa
from qa.engine import Engine
from qa.llm import LLMAnswerer, LLMConfig

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]
QUESTION = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
QUOTE = "Quyết định 2200-QĐ/TU ngày 25/5/2017 của Thành ủy Hà Nội"
# the model's sentence carries markup: it must reach the page as text, while streaming and after
CLAIM = "Quyết định 2200-QĐ/TU được Thành ủy Hà Nội ban hành ngày 25/5/2017 <b>theo bài báo</b>."
INVENTED_CLAIM = "Quyết định được Chủ tịch nước ký ngày 1/1/2020."


def reply(quote: str, text: str) -> str:
    return json.dumps({"status": "answered", "claims": [{"passage": 1, "quote": quote, "text": text}]},
                      ensure_ascii=False)


@pytest.fixture(scope="module")
def llm():
    with ScriptedServer() as server:
        yield server


@pytest.fixture(scope="module")
def url(llm):
    base = qa.load(INDEX)
    answerer = LLMAnswerer(LLMConfig(llm.url, timeout=30))
    demo, address = launch(Engine(base._stored, base.index_dir, base.embedder, reader=base.reader, llm=answerer))
    yield address
    demo.close()
    answerer.close()


def test_the_models_words_stream_then_the_verified_answer_replaces_them(url, browser, llm):
    llm.reset()
    llm.script(Reply(content=reply(QUOTE, CLAIM), chunk=3, token_delay=0.08))  # ~60 chunks: about 5 s
    watched = Watched(browser, DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = watched.open(url)
        watched.send(QUESTION)
        streaming = page.locator("#qa-chat .qa-turn[data-state=answering] .qa-streaming")
        provisional = streaming.locator(".qa-provisional")
        page.wait_for_function("() => { const p = document.querySelector('#qa-chat .qa-provisional');"
                               " return p && p.textContent.length >= 12; }", timeout=ANSWER_TIMEOUT_MS)
        label = streaming.locator(".qa-llm-label").inner_text()
        assert MODEL in label and "chưa kiểm chứng" in label
        seen = provisional.inner_text()
        assert CLAIM.startswith(seen) and len(seen) < len(CLAIM)  # part of the sentence, as it arrives
        assert QUOTE not in page.locator("#qa-chat").inner_text()  # quotes are never streamed: unchecked yet
        page.wait_for_function("() => (document.querySelector('#qa-chat .qa-provisional') || {}).textContent"
                               " ?.includes('<b>')", timeout=ANSWER_TIMEOUT_MS)
        assert page.locator("#qa-chat .qa-provisional b").count() == 0  # shown as text, escaped
        save_screenshot(page, "llm-streaming.png", "screenshot-llm-streaming.png", for_docs=False)

        turn = page.locator("#qa-chat .qa-turn[data-state=done]").first
        turn.wait_for(state="attached", timeout=ANSWER_TIMEOUT_MS)
        answer = turn.locator(".qa-a")
        assert answer.get_attribute("data-presentation") == "llm" and answer.get_attribute("data-model") == MODEL
        assert page.locator("#qa-chat .qa-streaming").count() == 0
        lines = [t.strip() for t in answer.inner_text().split("\n") if t.strip()]
        assert lines[0].startswith(f"Trả lời bởi mô hình {MODEL}")  # who wrote it, first
        text = answer.locator(".qa-llm-text")
        assert text.inner_text().startswith("Quyết định 2200-QĐ/TU được Thành ủy Hà Nội ban hành ngày 25/5/2017 "
                                            "<b>theo bài báo</b>")
        assert answer.locator("b").count() == 0
        assert answer.locator(".qa-quote mark").first.inner_text() == QUOTE  # the article's words, marked
        assert "[1]" in answer.locator(".qa-cite-line").inner_text()
        save_screenshot(page, "llm-answer.png", "screenshot-llm.png", for_docs=False)

        answer.locator(".qa-llm-text .qa-ref").first.click()
        panel = page.locator("#qa-panel")
        panel.wait_for(state="visible")
        assert panel.locator(".qa-card-source mark").first.inner_text() == QUOTE
        page.keyboard.press("Escape")
        answer.get_by_role("button", name="Sao chép").click()
        page.wait_for_function("window.hoidap.lastCopy.length > 0")
        copied = page.evaluate("window.hoidap.lastCopy")
        assert copied.startswith("Quyết định 2200-QĐ/TU được Thành ủy Hà Nội") and f"mô hình {MODEL}" in copied
        contrast = page.evaluate(CONTRAST_JS)
        assert contrast["fails"] == [], contrast["fails"]
        assert watched.errors == [] and watched.foreign_requests() == []
    finally:
        watched.close()


def test_an_unverified_reply_leaves_the_extractive_answer_with_the_note(url, browser, llm):
    llm.reset()
    llm.script(Reply(content=reply("Quyết định do Chủ tịch nước ký ngày 1/1/2020", INVENTED_CLAIM), chunk=8,
                     token_delay=0.02))
    watched = Watched(browser, DESKTOP)
    try:
        page = watched.open(url)
        answer = watched.ask(QUESTION, 0)
        assert answer.get_attribute("data-presentation") != "llm"
        note = answer.locator(".qa-llm-note")
        assert note.is_visible() and note.inner_text().startswith(f"Không kiểm chứng được câu trả lời của mô hình {MODEL}")
        lines = [t.strip() for t in answer.inner_text().split("\n") if t.strip()]
        assert lines[0] == note.inner_text().strip()  # said first, then the extractive answer
        assert "25/5/2017" in answer.inner_text()
        chat = page.locator("#qa-chat").inner_text()
        assert "1/1/2020" not in chat and "Chủ tịch nước" not in chat  # nothing of the model's is left
        assert page.locator("#qa-chat .qa-streaming").count() == 0
        contrast = page.evaluate(CONTRAST_JS)
        assert contrast["fails"] == [], contrast["fails"]
        assert watched.errors == []
    finally:
        watched.close()
