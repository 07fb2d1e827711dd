"""No question lost or answered under another's: rapid sends in one browser session, several sessions
at once, and API clients loading the same server meanwhile (issue 13, item 1).

The questions are summaries of the shipped articles named by their titles: each answer states the
title it summarises, so a mismatched answer shows. The answer bubble also carries the question the
engine answered (data-question), which must be the question of its own turn.
"""
from __future__ import annotations

import itertools
import threading
import time

import pytest
from test_app import client
# `browser` and `url` are test_browser's fixtures; `url` serves conftest's `engine` (the committed index) here
from test_browser import CHROMIUM, DESKTOP, PHONE, Watched, browser, url  # noqa: F401 (shared fixtures)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]
SHAPES = ["Tóm tắt bài «{}»", "Nội dung chính của bài «{}»", "tóm tắt «{}»", "Tóm tắt giúp tôi bài «{}»"]


def questions(engine, n: int, offset: int = 0) -> list[str]:
    titles = sorted(a.title for a in engine.articles.values())
    pairs = list(itertools.product(SHAPES, titles))
    return [shape.format(title) for shape, title in (pairs[(offset + i) % len(pairs)] for i in range(n))]


def send_fast(watched: Watched, batch: list[str]) -> float:
    """Type and send each question as fast as the page takes keystrokes; the time it took."""
    started = time.monotonic()
    for question in batch:
        watched.send(question)
    return time.monotonic() - started


def check_turns(watched: Watched, batch: list[str], timeout_ms: int = 90_000) -> None:
    page = watched.page
    page.wait_for_function(
        f"document.querySelectorAll('#qa-chat .qa-turn[data-state=done]').length >= {len(batch)}", timeout=timeout_ms)
    turns = page.evaluate("""() => [...document.querySelectorAll('#qa-chat .qa-turn')].map(t => ({
        asked: t.querySelector('.qa-q').innerText.replace(/^Bạn hỏi:\\s*/, ''),
        answered: t.querySelector('.qa-a').dataset.question || '',
        kind: t.querySelector('.qa-a').dataset.kind || '',
        summary: (t.querySelector('.qa-sum-title') || {}).textContent || ''}))""")
    assert [t["asked"] for t in turns] == batch, "every question shown once, in the order sent"
    for sent, turn in zip(batch, turns):
        assert turn["answered"] == sent, (sent, turn)
        title = sent.split("«", 1)[1].rsplit("»", 1)[0]
        assert turn["kind"] == "summary" and turn["summary"] == f"Tóm tắt bài «{title}»", (sent, turn)


def test_twenty_rapid_sends_from_one_page(url, browser, engine):
    watched = Watched(browser, DESKTOP)
    try:
        watched.open(url)
        batch = questions(engine, 20)
        took = send_fast(watched, batch)
        assert took < 10
        assert watched.page.locator("#qa-input textarea").input_value() == ""
        check_turns(watched, batch)
        assert watched.errors == []
    finally:
        watched.close()


def test_sessions_at_once_while_api_clients_load_the_server(url, browser, engine):
    stop = threading.Event()
    api_replies: list[tuple[str, dict]] = []
    failures: list[str] = []  # an exception in a thread only ends the thread: collected, asserted below

    def load(n: int) -> None:
        try:
            api = client(url)
            for question in itertools.cycle(questions(engine, 10, offset=n)):
                if stop.is_set():
                    return
                api_replies.append((question, api.predict(question, api_name="/ask")))
        except Exception as exc:  # noqa: BLE001 (reported by the test)
            failures.append(f"loader {n}: {type(exc).__name__}: {exc}")

    loaders = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(3)]
    pages = [Watched(browser, DESKTOP), Watched(browser, PHONE), Watched(browser, DESKTOP)]
    try:
        for loader in loaders:
            loader.start()
        for watched in pages:
            watched.open(url)
        batches = [questions(engine, 7, offset=5 * i + 1) for i in range(len(pages))]
        for step in range(7):  # the pages take turns, one question each, without waiting for answers
            for watched, batch in zip(pages, batches):
                send_fast(watched, batch[step:step + 1])
        for watched, batch in zip(pages, batches):
            check_turns(watched, batch, timeout_ms=120_000)
    finally:
        stop.set()
        for loader in loaders:
            loader.join(timeout=60)
        for watched in pages:
            watched.close()
    assert failures == []
    assert not any(loader.is_alive() for loader in loaders)
    assert len(api_replies) >= 4
    for question, reply in api_replies:
        assert reply["question"] == question and reply["kind"] == "summary"
        assert reply["answer"].startswith(f"Tóm tắt «{question.split('«', 1)[1].rsplit('»', 1)[0]}»")
