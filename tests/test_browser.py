"""The chat page in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright).

Never `playwright install`: no browser downloads here. Install the browser with `apt-get install chromium`.
Set QA_UPDATE_SCREENSHOT=1 to refresh docs/screenshot.png from this run (it is also written when missing).
"""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import qa
import qa.app
from qa.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"
CANONICAL = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
ENGLISH = "When was Decision 2200-QĐ/TU issued?"
ANSWER_TIMEOUT_MS = 30_000
XSS_ARTICLE = """Thời sự

Thử nghiệm an toàn hiển thị <b>đậm</b> trong bài báo mẫu

Ngày đăng 02/03/2024 | 09:15

Ủy ban nhân dân phường Mẫu Thử đã khánh thành cầu Ánh Sao vào ngày 12/3/2024 <script>alert(1)</script> với tổng vốn đầu tư 50 tỷ đồng <img src=x onerror=alert(1)> theo kế hoạch của thành phố.

Cây cầu dài 120 mét, nối hai bờ sông Mẫu và giúp người dân đi lại thuận tiện hơn.
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium "
                       "(apt-get install -y chromium); playwright's own browser downloads are not used"),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(engine, **kwargs) -> tuple:
    demo = qa.app.build_app(engine, **kwargs)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    return demo, url


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    if (ROOT / "index" / "manifest.json").is_file():
        return qa.load(ROOT / "index")
    built = tmp_path_factory.mktemp("index") / "index"
    Engine.build(ROOT / "seeds", built, progress=False)
    return qa.load(built)


@pytest.fixture(scope="module")
def url(engine):
    demo, url = launch(engine)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Watched:
    """A page with every request, script error and dialog it caused recorded."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="vi-VN")
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def foreign_requests(self) -> list[str]:
        loopback = {"127.0.0.1", "localhost", "::1", "[::1]"}
        return [u for u in self.requests
                if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).hostname not in loopback]

    def ask(self, question: str, answers_before: int) -> object:
        box = self.page.locator("#qa-input textarea")
        box.fill(question)
        box.press("Enter")
        answer = self.page.locator("#qa-chat .qa-a").nth(answers_before)
        answer.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
        return answer


@pytest.fixture
def watched(browser):
    w = Watched(browser)
    yield w
    w.page.close()


def test_chat_answers_with_cited_highlighted_source(url, watched):
    page = watched.page
    page.goto(url, wait_until="load")  # not "networkidle": Gradio keeps a connection open
    page.locator("#qa-input textarea").wait_for(state="visible")
    assert page.get_by_text("hoi-dap", exact=True).first.is_visible()
    assert page.get_by_text("quyet dinh 2200 ban hanh ngay nao", exact=True).is_visible()  # an example

    answer = watched.ask(CANONICAL, 0)
    assert "25/5/2017" in answer.locator(".qa-text").inner_text()
    assert answer.locator(".qa-text .qa-ref").first.inner_text() == "[1]"
    source = answer.locator(".qa-primary")
    assert source.is_visible()
    assert "Tăng cường mối quan hệ mật thiết giữa Đảng, chính quyền với Nhân dân" in source.inner_text()
    assert source.get_by_text("003_b6d49fa98f0d9187.txt").is_visible()
    assert "19/05/2022" in source.locator(".qa-meta").inner_text()
    mark = source.locator("mark")
    assert mark.count() == 1 and mark.inner_text() == "25/5/2017" and mark.is_visible()
    assert page.locator("#qa-chat .qa-q").first.inner_text() == CANONICAL  # the question stays on screen

    page.wait_for_timeout(300)  # let the message's entrance settle before the picture
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "chat.png"
    page.screenshot(path=str(shot))
    docs = ROOT / "docs" / "screenshot.png"
    if os.environ.get("QA_UPDATE_SCREENSHOT") == "1" or not docs.exists():
        docs.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, docs)

    # A second turn: the first answer keeps its own sources; clicking an example asks it.
    page.get_by_text(ENGLISH, exact=True).click()
    second = page.locator("#qa-chat .qa-a").nth(1)
    second.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    assert "25/5/2017" in second.inner_text()
    assert page.locator("#qa-chat .qa-q").count() == 2
    assert page.locator("#qa-chat .qa-a").first.locator(".qa-primary mark").inner_text() == "25/5/2017"

    # An empty question is answered with a message, not an error.
    page.locator("#qa-input textarea").press("Enter")
    third = page.locator("#qa-chat .qa-a").nth(2)
    third.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    assert "empty" in third.inner_text()

    assert watched.errors == []
    assert watched.foreign_requests() == [], "the page must work with no network"


def test_abstention_shows_nearest_passages(url, watched):
    page = watched.page
    page.goto(url, wait_until="load")
    answer = watched.ask("Quận Cầu Giấy đã tổ chức bao nhiêu hội nghị đối thoại trực tiếp với Nhân dân "
                         "trong 5 năm qua?", 0)
    assert answer.locator(".qa-abstain").inner_text().startswith("Không tìm thấy")
    assert answer.locator(".qa-src").count() >= 1 and answer.locator(".qa-src").first.is_visible()
    assert watched.foreign_requests() == []


def test_html_in_articles_and_questions_stays_text(tmp_path, browser):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "900_xss.txt").write_text(XSS_ARTICLE, encoding="utf-8")
    Engine.build(tmp_path / "seeds", tmp_path / "index", progress=False)
    demo, url = launch(qa.load(tmp_path / "index"), examples=["Cầu Ánh Sao được khánh thành ngày nào?"])
    watched = Watched(browser)
    try:
        page = watched.page
        page.goto(url, wait_until="load")
        question = ('Cầu Ánh Sao được khánh thành ngày nào? <img src=x onerror="window.__pwned=1;alert(2)"> '
                    "<script>window.__pwned=1</script> **đậm** $$x^2$$")
        answer = watched.ask(question, 0)
        chat = page.locator("#qa-chat")
        assert "12/3/2024" in answer.inner_text()
        assert "<script>alert(1)</script>" in answer.inner_text()  # shown as text
        assert "<img src=x onerror=alert(1)>" in answer.inner_text()
        assert "<b>đậm</b>" in answer.inner_text()  # the title's tag, as text
        assert "<img src=x onerror=" in chat.locator(".qa-q").inner_text()
        assert "**đậm** $$x^2$$" in chat.locator(".qa-q").inner_text()  # no Markdown or LaTeX from users
        assert chat.locator("img[src='x'], script, b").count() == 0
        page.wait_for_timeout(500)
        assert watched.dialogs == []
        assert page.evaluate("window.__pwned") is None
        assert watched.foreign_requests() == []
    finally:
        watched.page.close()
        demo.close()
