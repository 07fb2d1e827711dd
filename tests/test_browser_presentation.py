"""How honest the page looks, in Chromium, with the real engine on the shipped index (issues 24 and 25):
a tentative answer is a passage with a marked candidate, never a headline; a name the articles never
mention is said first and the passage shown is the nearest one; feedback stays in sight; a phone reaches
the filters from the top; refusals after the first are one line.

No scripted answers here: the questions are asked of the real engine, and where a test needs an answer
of some kind (tentative, refused) it checks the engine's own answer first, in process, so a change of the
answer model shows as a clear skip or failure rather than a wrong assertion.
"""
from __future__ import annotations

import pytest
from conftest import missing_case
# `browser`, `url`, `watched` and `phone` are test_browser's fixtures; `url` serves conftest's `engine` (the committed index) here
from test_browser import (CHROMIUM, DESKTOP, PHONE, Watched, browser, in_view, phone,  # noqa: F401
                          save_screenshot, url, watched)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]
MISSING_REFUSED_Q = "Ai là bí thư Đà Nẵng năm 2019?"
# answered tentatively by the shipped answer model (checked in process before the browser asks)
TENTATIVE_CANDIDATES = ["Hội nghị đối thoại diễn ra ở đâu?", "Cầu Thăng Long dài bao nhiêu mét?",
                        "Quận 9 có bao nhiêu phường?"]
OFF_TOPIC_Q = "Ai là chủ tịch nước Pháp?"
REFUSED = ["Giá vàng hôm nay là bao nhiêu?", "Thời tiết Hà Nội ngày mai thế nào?"]


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
    question, name = missing_case(engine)  # answered with the nearest passage; the index's own terms lack the name
    watched = Watched(browser, DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = watched.open(url)
        answer = watched.ask(question, 0)
        assert answer.get_attribute("data-presentation") == "nearest"
        lines = [t.strip() for t in answer.inner_text().split("\n") if t.strip()]
        assert lines[0] == f"Các bài viết không nhắc đến «{name}»."
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
        assert page.evaluate("window.hoidap.lastCopy").startswith(f"Các bài viết không nhắc đến «{name}».")

        refused = watched.ask(MISSING_REFUSED_Q, 1)  # a refusal names what is missing too
        if refused.get_attribute("data-abstained") == "true":
            first = [t.strip() for t in refused.inner_text().split("\n") if t.strip()][0]
            assert first == "Các bài viết không nhắc đến «Đà Nẵng»."
        save_screenshot(page, "missing-name.png", "screenshot-missing-name.png")
        assert watched.errors == []
    finally:
        watched.close()


def test_an_off_topic_question_is_refused(url, browser):
    """"Ai là chủ tịch nước Pháp?" is about nothing the collection covers (it names «Pháp», which the articles
    write only in "pháp luật", and the nearest passage holds nothing else it names): refused, with what the
    collection covers."""
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


# ---- issue 25: feedback in sight, filters on a phone, refusals after the first --------------------------
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_a_long_question_keeps_its_error_and_counter_in_view(url, browser, viewport):
    watched = Watched(browser, viewport)
    try:
        page = watched.open(url)
        box = page.locator("#qa-input textarea")
        long = ("Xin cho biết chi tiết về các hội nghị đối thoại giữa lãnh đạo quận và nhân dân, "
                "những kiến nghị đã được giải quyết và những việc còn tồn đọng. ") * 11  # ~1,500 characters
        assert 1_400 < len(long) < 1_700
        box.fill(long)
        page.wait_for_timeout(200)
        assert in_view(page, "#qa-count") and "qa-over" in page.locator("#qa-count").get_attribute("class")
        box.press("Enter")
        error = page.locator("#qa-error")
        error.wait_for(state="visible")
        page.wait_for_timeout(300)
        assert "Câu hỏi quá dài" in error.inner_text()
        assert in_view(page, "#qa-error") and in_view(page, "#qa-count")
        assert in_view(page, "#qa-input .qa-send")
        assert box.input_value() == long
    finally:
        watched.close()


def test_a_phone_reaches_the_filters_from_the_top(url, phone):
    page = phone.open(url)
    entry = page.locator("#qa-header .qa-open-filters")
    assert entry.is_visible() and in_view(page, "#qa-header .qa-open-filters")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    save_screenshot(page, "phone-filters-entry.png", "screenshot-phone-filters.png")
    entry.click()
    page.wait_for_timeout(400)
    filters = page.locator("#qa-collection .qa-filters")
    assert filters.is_visible() and in_view(page, "#qa-collection .qa-coll-h")
    outlet = page.locator("#qa-collection input[name=outlet]").first
    outlet.check()
    page.locator("#qa-collection .qa-filters-done").click()
    page.wait_for_timeout(400)
    assert in_view(page, "#qa-input textarea") and in_view(page, "#qa-input .qa-scope-bar")
    assert "nguồn:" in page.locator("#qa-input .qa-scope-bar").inner_text()
    assert phone.errors == []


def test_the_desktop_has_no_extra_filter_button(url, watched):
    page = watched.open(url)
    assert page.locator("#qa-header .qa-open-filters").is_hidden()  # the collection is beside the chat
    assert page.locator("#qa-collection .qa-filters-done").is_hidden()


def test_refusals_after_the_first_are_one_line(url, browser, engine):
    for question in REFUSED:
        if not engine.ask(question).abstained:
            pytest.skip(f"the answer model no longer refuses {question!r}")
    watched = Watched(browser, DESKTOP)
    try:
        page = watched.open(url)
        first = watched.ask(REFUSED[0], 0)
        assert first.locator(".qa-coverage").is_visible()  # the first refusal in full
        second = watched.ask(REFUSED[1], 1)
        assert second.locator(".qa-refusal-title").is_visible()
        assert second.locator(".qa-coverage").is_hidden() and second.locator(".qa-card").first.is_hidden()
        summary = second.locator("details.qa-refusal-more > summary")
        line = float(summary.evaluate("s => parseFloat(getComputedStyle(s).lineHeight) || 24"))
        assert summary.bounding_box()["height"] < 1.8 * line  # one line
        assert second.bounding_box()["height"] < first.bounding_box()["height"] / 2
        summary.click()
        assert second.locator(".qa-coverage").is_visible() and second.locator(".qa-card").first.is_visible()
        third = watched.ask(REFUSED[0], 2)  # opening one leaves the next collapsed
        assert third.locator(".qa-coverage").is_hidden()
        assert second.locator(".qa-coverage").is_visible()  # and the opened one stays open
        page.get_by_role("button", name="Cuộc trò chuyện mới").click()  # a new chat starts in full again
        page.locator("#qa-chat .qa-welcome").wait_for(state="visible")
        again = watched.ask(REFUSED[1], 0)
        assert again.locator(".qa-coverage").is_visible()
        assert watched.errors == []
    finally:
        watched.close()
