"""How honest the page looks, in Chromium, with the real engine on the shipped index (issue 24):
a tentative answer is a passage with a marked candidate, never a headline; a name the articles never
mention is said first and the passage shown is the nearest one.

No scripted answers here: the questions are asked of the real engine, and where a test needs an answer
of some kind (tentative, refused) it checks the engine's own answer first, in process, so a change of the
answer model shows as a clear skip or failure rather than a wrong assertion.
"""
from __future__ import annotations

import pytest
# `browser` and `url` are test_browser's fixtures; `url` serves conftest's `engine` (the committed index) here
from test_browser import CHROMIUM, DESKTOP, Watched, browser, save_screenshot, url  # noqa: F401

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]
MISSING_Q = "Quyết định 2200-QĐ/TU của Quận ủy Nam Từ Liêm ban hành ngày nào?"
MISSING_REFUSED_Q = "Ai là bí thư Đà Nẵng năm 2019?"
# answered tentatively by the shipped answer model (checked in process before the browser asks)
TENTATIVE_CANDIDATES = ["Hội nghị đối thoại diễn ra ở đâu?", "Cầu Thăng Long dài bao nhiêu mét?",
                        "Quận 9 có bao nhiêu phường?"]
OFF_TOPIC_Q = "Ai là chủ tịch nước Pháp?"


def tentative_question(engine) -> str:
    for question in TENTATIVE_CANDIDATES:
        answer = engine.ask(question)
        if not answer.abstained and not answer.confident and not answer.missing_terms and answer.kind != "summary":
            return question
    pytest.skip("none of the candidate questions is answered tentatively by this answer model; add one")


def big_text_px(page, answer) -> list[str]:
    """Text of the answer set larger than the body text (a headline), by computed font size."""
    return answer.evaluate("""(a) => { const body = parseFloat(getComputedStyle(a).fontSize);
        return [...a.querySelectorAll('*')].filter(e => e.offsetParent && e.childElementCount === 0
            && e.textContent.trim() && parseFloat(getComputedStyle(e).fontSize) > body * 1.15
            && !e.closest('.qa-panel-src')).map(e => e.textContent.trim()); }""")


# ---- issue 24: tentative answers, names the articles do not mention, off-topic questions ---------------
def test_a_tentative_answer_is_a_passage_with_its_candidate_marked(url, browser, engine):
    question = tentative_question(engine)
    expected = engine.ask(question)
    watched = Watched(browser, DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = watched.open(url)
        answer = watched.ask(question, 0)
        assert answer.get_attribute("data-presentation") == "tentative"
        assert answer.locator(".qa-short").count() == 0 and big_text_px(page, answer) == []  # no headline
        quote, maybe = answer.locator(".qa-quote"), answer.locator(".qa-maybe")
        assert quote.is_visible() and maybe.is_visible()
        assert quote.evaluate("(q, m) => !!(q.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING)",
                              maybe.element_handle())  # the passage first, then the line
        line = maybe.inner_text()
        assert line.startswith("Có thể là") and "độ tin cậy thấp" in line and "hãy đọc" in line
        percent = round(100 * expected.confidence)
        assert f"{percent} %" in line or f"{percent - 1} %" in line or f"{percent + 1} %" in line
        if expected.span and len(expected.span) <= 120:
            assert quote.locator("mark").first.inner_text() == expected.span.strip()  # the candidate, inside
            assert expected.span.strip() in line
        save_screenshot(page, "tentative.png", "screenshot-tentative.png")
        answer.get_by_role("button", name="Sao chép").click()
        page.wait_for_function("window.hoidap.lastCopy.length > 0")
        copied = page.evaluate("window.hoidap.lastCopy")
        assert copied.startswith("Có thể là") and "độ tin cậy thấp" in copied
        assert watched.errors == []
    finally:
        watched.close()


def test_a_name_no_article_mentions_is_said_first(url, browser, engine):
    assert engine.ask(MISSING_Q).missing_terms == ("Nam Từ Liêm",)  # the index's own terms say so
    watched = Watched(browser, DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = watched.open(url)
        answer = watched.ask(MISSING_Q, 0)
        assert answer.get_attribute("data-presentation") == "nearest"
        lines = [t.strip() for t in answer.inner_text().split("\n") if t.strip()]
        assert lines[0] == "Các bài viết không nhắc đến «Nam Từ Liêm»."
        assert answer.locator(".qa-short").count() == 0 and big_text_px(page, answer) == []
        assert answer.locator(".qa-maybe").count() == 0  # not offered as a possible answer either
        assert "Đoạn gần nhất" in answer.locator(".qa-nearest-label").inner_text()
        assert answer.locator(".qa-quote mark").count() == 0
        assert answer.locator(".qa-cite-label").inner_text().startswith("Đoạn gần nhất")
        answer.locator(".qa-quote .qa-ref").first.click()
        panel = page.locator("#qa-panel")
        panel.wait_for(state="visible")
        assert "Nguồn của câu trả lời" not in panel.inner_text() and "Đoạn gần nhất" in panel.inner_text()
        page.keyboard.press("Escape")
        answer.get_by_role("button", name="Sao chép").click()
        page.wait_for_function("window.hoidap.lastCopy.length > 0")
        assert page.evaluate("window.hoidap.lastCopy").startswith("Các bài viết không nhắc đến «Nam Từ Liêm».")

        refused = watched.ask(MISSING_REFUSED_Q, 1)  # a refusal names what is missing too
        if refused.get_attribute("data-abstained") == "true":
            first = [t.strip() for t in refused.inner_text().split("\n") if t.strip()][0]
            assert first == "Các bài viết không nhắc đến «Đà Nẵng»."
        save_screenshot(page, "missing-name.png", "screenshot-missing-name.png")
        assert watched.errors == []
    finally:
        watched.close()


@pytest.mark.skip(reason="enabled when the reader lands")
def test_an_off_topic_question_is_refused(url, browser):
    """"Ai là chủ tịch nước Pháp?" is about nothing the collection covers: refused, with what it covers."""
    watched = Watched(browser, DESKTOP)
    try:
        page = watched.open(url)
        answer = watched.ask(OFF_TOPIC_Q, 0)
        assert answer.get_attribute("data-abstained") == "true"
        assert answer.locator(".qa-refusal-title").inner_text().startswith("Không tìm thấy")
        assert "Kho gồm" in answer.locator(".qa-coverage").inner_text()
        assert answer.locator(".qa-short").count() == 0 and answer.locator(".qa-maybe").count() == 0
        save_screenshot(page, "off-topic.png", "screenshot-off-topic.png")
    finally:
        watched.close()
