"""The chat page in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright),
desktop (1366×900) and phone (390×844).

Never `playwright install`: no browser downloads here. Install the browser with `apt-get install chromium`.
Set QA_UPDATE_SCREENSHOT=1 to refresh docs/screenshot.png and docs/screenshot-phone.png from this run
(they are also written when missing).

How an answer is shown is tested with answers crafted from the shipped articles' own text (a date
with its highlight, a tentative answer, an author, a refusal), served through the real app by an
engine whose `ask` returns them for a few scripted questions; everything else goes to the real engine.
"""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import qa
import qa.web.app
from qa.engine import Engine
from qa.records import Answer

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ANSWER_TIMEOUT_MS = 30_000
CANONICAL = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
CANONICAL_ID = "003_b6d49fa98f0d9187"
DATE_Q = "Văn bản được ký ngày nào? (câu hỏi thử)"
TENTATIVE_Q = "Văn bản có hiệu lực ngày nào? (câu hỏi thử)"
AUTHOR_Q = "Ai viết bài này? (câu hỏi thử)"
REFUSED_Q = "Giá vàng hôm nay là bao nhiêu? (câu hỏi thử)"
XSS_ARTICLE = """Thời sự

Thử nghiệm an toàn hiển thị <b>đậm</b> trong bài báo mẫu

Ngày đăng 02/03/2024 | 09:15

Ủy ban nhân dân phường Mẫu Thử đã khánh thành cầu Ánh Sao vào ngày 12/3/2024 <script>alert(1)</script> với tổng vốn đầu tư 50 tỷ đồng <img src=x onerror=alert(1)> theo kế hoạch của thành phố.

Cây cầu dài 120 mét, nối hai bờ sông Mẫu và giúp người dân đi lại thuận tiện hơn.
"""
ENGLISH_UI = ["Use via API", "Settings", "Built with", "Loading", "queue:", "Submit", "Clear", "Examples",
              "Chatbot", "Copy", "Error", "Retry", "Undo", "Share", "Send"]

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
    demo = qa.web.app.build_app(engine, **kwargs)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    return demo, url


class Scripted(Engine):
    """The real engine, except for a few scripted questions whose answers are crafted from the articles."""

    def __init__(self, base: Engine, scripts: dict):
        super().__init__(base._stored, base.index_dir, base.embedder)
        self.scripts = scripts

    def ask(self, question, k=5, **filters):  # noqa: D102
        make = self.scripts.get(question)
        return make(self) if make else super().ask(question, k=k, **filters)


def _refusal(engine) -> Answer:
    hits = engine.search("giá cả thị trường", k=3)
    return Answer(question=REFUSED_Q, text="Không tìm thấy thông tin này trong các bài viết.", abstained=True,
                  citations=hits)


def _author(engine) -> Answer:
    from test_app import hit_at

    article = engine.articles[CANONICAL_ID]
    return Answer(question=AUTHOR_Q, text=f"{article.author} — tác giả bài «{article.title}» [1]", abstained=False,
                  citations=[hit_at(engine, article.id, 0)], span=article.author, kind="author", confidence=0.88,
                  confident=True, metadata="author")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from test_app import crafted_answer

    if (ROOT / "index" / "manifest.json").is_file():
        base = qa.load(ROOT / "index")
    else:
        built = tmp_path_factory.mktemp("index") / "index"
        Engine.build(ROOT / "seeds", built, progress=False)
        base = qa.load(built)
    scripts = {
        DATE_Q: lambda e: crafted_answer(e, CANONICAL_ID, "25/5/2017", related=3),
        TENTATIVE_Q: lambda e: crafted_answer(e, CANONICAL_ID, "25/5/2017", confident=False),
        AUTHOR_Q: _author,
        REFUSED_Q: _refusal,
    }
    return Scripted(base, scripts)


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

    def __init__(self, browser, viewport: dict | None = None, **context):
        phone = bool(viewport) and viewport["width"] < 500
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 1000}, locale="vi-VN",
                                           is_mobile=phone, has_touch=phone, **context)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def open(self, url: str):
        self.page.goto(url, wait_until="load")  # not "networkidle": Gradio keeps a connection open
        self.page.locator("#qa-input textarea").wait_for(state="visible")
        self.page.wait_for_function("window.hoidap && window.hoidap.ask && window.hoidap.server")
        return self.page

    def foreign_requests(self) -> list[str]:
        loopback = {"127.0.0.1", "localhost", "::1", "[::1]"}
        return [u for u in self.requests
                if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).hostname not in loopback]

    def send(self, question: str) -> None:
        box = self.page.locator("#qa-input textarea")
        box.fill(question)
        box.press("Enter")

    def ask(self, question: str, answers_before: int):
        """Send a question and wait for the answer of turn `answers_before` + 1; returns its bubble."""
        self.send(question)
        turn = self.page.locator("#qa-chat .qa-turn[data-state=done]").nth(answers_before)
        turn.wait_for(state="attached", timeout=ANSWER_TIMEOUT_MS)
        return turn.locator(".qa-a")

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser):
    w = Watched(browser, DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    yield w
    w.close()


@pytest.fixture
def phone(browser):
    w = Watched(browser, PHONE)
    yield w
    w.close()


def in_view(page, selector: str, within: str | None = None) -> bool:
    """Whether the element is wholly inside the viewport (and inside `within`'s box, when given)."""
    return page.evaluate("""([sel, within]) => {
        const el = document.querySelector(sel); if (!el) return false;
        const r = el.getBoundingClientRect();
        const box = within ? document.querySelector(within).getBoundingClientRect()
                           : {top: 0, left: 0, bottom: innerHeight, right: innerWidth};
        return r.width > 0 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.left >= box.left - 1
               && r.right <= box.right + 1;
    }""", [selector, within])


def save_screenshot(page, name: str, docs_name: str, for_docs: bool = True) -> None:
    """A picture in tests/artifacts; copied to docs/ when asked (QA_UPDATE_SCREENSHOT=1) or missing."""
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    page.screenshot(path=str(shot))
    docs = ROOT / "docs" / docs_name
    if for_docs and (os.environ.get("QA_UPDATE_SCREENSHOT") == "1" or not docs.exists()):
        docs.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, docs)


CONTRAST_JS = """() => {
  const parse = (c) => { const m = /rgba?\\(([^)]+)\\)/.exec(c || ''); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const over = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a)});
  const background = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let out = {r: 255, g: 255, b: 255}; for (const c of layers.reverse()) out = over(c, out); return out; };
  const fails = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let checked = 0;
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    if (el.checkVisibility && !el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    if (el.closest('[disabled], [aria-hidden=true]')) continue;
    const s = getComputedStyle(el), fg = parse(s.color), bg = background(el);
    const color = over(fg, bg), l1 = lum(color), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    checked += 1;
    if (ratio < need) fails.push(`${ratio.toFixed(2)} < ${need}: "${node.textContent.trim().slice(0, 40)}" (${el.className || el.tagName})`);
  }
  return {checked, fails};
}"""


# ---- answer first, sources you can open ------------------------------------------------------------
def test_answer_first_with_sources_you_can_open(url, watched, engine):
    page = watched.open(url)
    answer = watched.ask(DATE_Q, 0)
    assert answer.locator(".qa-short").count() == 1 and answer.locator(".qa-short").inner_text() == "25/5/2017"
    quote = answer.locator(".qa-quote")
    assert quote.locator("mark").inner_text() == "25/5/2017"
    assert answer.locator(".qa-lowconf").count() == 0
    assert answer.locator(".qa-panel-src").is_hidden()  # sources wait in the panel
    assert page.locator("#qa-chat .qa-q").first.inner_text().endswith(DATE_Q)  # the question stays on screen

    quote.locator(".qa-ref").click()  # [1] opens the sources panel
    panel = page.locator("#qa-panel")
    panel.wait_for(state="visible")
    article = engine.articles[CANONICAL_ID]
    source = panel.locator(".qa-card-source")
    assert source.count() == 1
    assert article.title in source.locator(".qa-card-title").inner_text()
    meta = source.locator(".qa-card-meta").inner_text()
    assert "19/05/2022" in meta and f"Tác giả: {article.author}" in meta
    assert source.locator("mark").inner_text() == "25/5/2017" and source.locator(".qa-sent").count() >= 1
    assert panel.get_by_text("Đoạn liên quan").is_visible() and panel.locator(".qa-card-related").count() == 3
    assert in_view(page, "#qa-panel .qa-card-source", "#qa-panel")

    source.get_by_role("button", name="Xem toàn bài").click()  # the whole article, scrolled to the answer
    panel.locator(".qa-doc").wait_for(state="visible")
    assert panel.locator(".qa-doc-title").inner_text() == article.title
    assert "25/5/2017" in panel.locator(".qa-doc mark").first.inner_text()
    page.wait_for_timeout(200)
    assert in_view(page, "#qa-panel .qa-doc [data-focus]", "#qa-panel .qa-panel-body")
    panel.get_by_role("button", name="← Quay lại").click()
    panel.locator(".qa-card-source").wait_for(state="visible")
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert watched.errors == [] and watched.foreign_requests() == []


def test_copy_gives_clean_text_with_its_citation(url, watched, engine):
    page = watched.open(url)
    answer = watched.ask(DATE_Q, 0)
    answer.get_by_role("button", name="Sao chép").click()
    page.wait_for_function("window.hoidap.lastCopy.length > 0")
    copied = page.evaluate("navigator.clipboard.readText()")
    title = engine.articles[CANONICAL_ID].title
    assert copied.startswith("25/5/2017 — ") and copied.endswith(f"({title}, 19/05/2022)")
    assert "[1]" not in copied and "<" not in copied
    assert answer.get_by_role("button", name="Đã chép ✓").is_visible()


def test_tentative_metadata_and_refused_answers(url, watched):
    page = watched.open(url)
    tentative = watched.ask(TENTATIVE_Q, 0)  # the passage first, the candidate marked, "Có thể là: …", no headline
    marker = tentative.locator(".qa-maybe")
    assert marker.is_visible() and marker.inner_text().startswith("Có thể là: 25/5/2017 (độ tin cậy thấp, 41 %)")
    assert tentative.locator(".qa-short").count() == 0 and tentative.locator(".qa-quote mark").inner_text() == "25/5/2017"

    author = watched.ask(AUTHOR_Q, 1)
    assert "Đây là tác giả của bài" in author.inner_text()

    refused = watched.ask(REFUSED_Q, 2)
    assert refused.locator(".qa-refusal-title").inner_text().startswith("Không tìm thấy")
    assert "Kho gồm" in refused.locator(".qa-coverage").inner_text()  # what the collection covers
    nearest = refused.locator("details.qa-nearest")
    assert nearest.get_attribute("open") is None and nearest.locator(".qa-card").first.is_hidden()  # collapsed
    nearest.locator("summary").click()
    assert nearest.locator(".qa-card").first.is_visible()
    watched.ask("Bài viết nói gì về giá vé?", 3)  # the next turn leaves the opened passages open
    assert nearest.locator(".qa-card").first.is_visible()
    assert watched.errors == []


def test_several_questions_and_follow_ups(url, watched):
    page = watched.open(url)
    first = watched.ask("ai ký?", 0)  # a follow-up with nothing before it
    assert "Câu này cần câu hỏi trước đó" in first.inner_text()

    several = watched.ask(f"{CANONICAL} Ai ký quyết định đó?", 1)
    assert "Vui lòng hỏi từng câu một" in several.inner_text()
    suggestions = several.locator(".qa-suggest")
    assert suggestions.count() == 2
    suggestions.first.click()  # asks the first part on its own
    page.locator("#qa-chat .qa-turn[data-state=done]").nth(2).wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#qa-chat .qa-turn").nth(2).locator(".qa-q").inner_text().endswith(CANONICAL)

    watched.ask("ai ký?", 3)
    understood = page.locator("#qa-chat .qa-turn").nth(3).locator(".qa-understood")
    assert understood.inner_text() == "Hiểu là: Ai ký Quyết định 2200-QĐ/TU?"
    watched.ask("thế còn năm 2024?", 4)
    assert "năm 2024" in page.locator("#qa-chat .qa-turn").nth(4).locator(".qa-understood").inner_text()

    page.get_by_role("button", name="Cuộc trò chuyện mới").click()  # a new chat forgets the previous turns
    page.locator("#qa-chat .qa-welcome").wait_for(state="visible")
    assert page.locator("#qa-chat .qa-turn").count() == 0
    again = watched.ask("ai ký?", 0)
    assert "Câu này cần câu hỏi trước đó" in again.inner_text()


def test_summary_from_an_example(url, watched, engine):
    page = watched.open(url)
    example = page.locator("#qa-chat .qa-example", has_text="Tóm tắt bài").first
    asked = example.inner_text()
    example.click()
    answer = page.locator("#qa-chat .qa-turn[data-state=done]").first.locator(".qa-a")
    answer.wait_for(timeout=ANSWER_TIMEOUT_MS)
    title = asked.split("«", 1)[1].rsplit("»", 1)[0]
    assert answer.get_attribute("data-kind") == "summary"
    assert answer.locator(".qa-sum-title").inner_text() == f"Tóm tắt bài «{title}»"
    assert answer.locator(".qa-sum li").count() >= 2
    answer.locator(".qa-sum .qa-ref").first.click()
    page.locator("#qa-panel .qa-sum-src").first.wait_for(state="visible")
    assert page.locator("#qa-panel .qa-card-source").get_attribute("data-article") == next(
        a.id for a in engine.articles.values() if a.title == title)


# ---- errors as errors ------------------------------------------------------------------------------------
def test_errors_show_under_the_input_in_vietnamese(url, watched):
    page = watched.open(url)
    watched.ask(DATE_Q, 0)
    before = page.locator("#qa-chat").inner_html()
    box, error = page.locator("#qa-input textarea"), page.locator("#qa-error")

    box.fill("   ")
    box.press("Enter")
    assert error.is_visible() and error.inner_text().startswith("Câu hỏi trống")

    long = "Xin hỏi về các bài báo. " * 130  # ~3,100 characters
    box.fill(long)
    assert "qa-over" in page.locator("#qa-count").get_attribute("class")
    assert page.locator("#qa-count").inner_text().endswith("/1.000 ký tự")
    box.press("Enter")
    assert "Câu hỏi quá dài" in error.inner_text() and "tối đa 1.000" in error.inner_text()
    assert box.input_value() == long  # kept, to be shortened
    page.wait_for_timeout(300)
    assert page.locator("#qa-chat").inner_html() == before  # nothing landed in the conversation
    assert page.locator("#qa-chat .qa-turn").count() == 1

    box.fill("Câu hỏi hợp lệ")  # typing clears the message
    assert error.is_hidden()
    assert watched.errors == []


def test_a_wrong_filter_is_an_error_and_the_question_comes_back(url, watched):
    page = watched.open(url)
    page.locator("#qa-collection input[name=since]").fill("31/02/2020")
    page.locator("#qa-collection input[name=since]").dispatch_event("change")
    watched.send(DATE_Q)
    error = page.locator("#qa-error")
    error.wait_for(state="visible")
    assert "không phải một ngày hợp lệ" in error.inner_text()
    assert page.locator("#qa-input textarea").input_value() == DATE_Q
    assert page.locator("#qa-chat .qa-turn").count() == 0


# ---- the collection and its filters ------------------------------------------------------------------------
def test_filters_from_the_article_list_apply_to_the_chat(url, watched, engine):
    page = watched.open(url)
    rows = page.locator("#qa-collection .qa-art")
    assert rows.count() == len(engine.articles)
    first = rows.first
    article_id = first.locator("input[name=article]").get_attribute("value")
    article = engine.articles[article_id]
    assert first.locator(".qa-art-title").inner_text() == article.title
    chunks = sum(1 for c in engine.chunks if c.article_id == article_id)
    assert f"{chunks} đoạn" in first.locator(".qa-art-meta").inner_text()

    first.locator("input[name=article]").check()
    bar = page.locator("#qa-input .qa-scope-bar")
    assert bar.is_visible() and "1 bài đã chọn" in bar.inner_text()
    answer = watched.ask("Tóm tắt bài viết về hội nghị đối thoại với nhân dân", 0)
    turn = page.locator("#qa-chat .qa-turn").first
    assert f"«{article.title}»" in turn.locator(".qa-scope").inner_text()
    cited = answer.locator(".qa-card").evaluate_all("cards => cards.map(c => c.dataset.article)")
    assert cited and set(cited) == {article_id}

    first.locator(".qa-view").click()  # the article list opens articles too
    page.locator("#qa-panel .qa-doc").wait_for(state="visible")
    assert page.locator("#qa-panel .qa-doc-title").inner_text() == article.title
    page.locator("#qa-panel").get_by_role("button", name="Đóng").click()

    bar.get_by_role("button", name="Bỏ lọc").click()
    assert bar.is_hidden() and not first.locator("input[name=article]").is_checked()


# ---- the page: Vietnamese, readable, offline, escaped ------------------------------------------------------
def test_page_is_vietnamese_and_readable(url, watched):
    page = watched.open(url)
    assert page.evaluate("document.documentElement.lang") == "vi"
    watched.ask(DATE_Q, 0)
    watched.ask(TENTATIVE_Q, 1)
    watched.ask(REFUSED_Q, 2)
    text = page.locator("body").inner_text()
    labels = page.evaluate("""() => [...document.querySelectorAll('[aria-label], [title], [placeholder]')]
        .map(e => ['aria-label', 'title', 'placeholder'].map(a => e.getAttribute(a) || '').join(' ')).join('\\n')""")
    for word in ENGLISH_UI:
        assert word not in text and word not in labels, word
    assert page.get_by_text("Đang tìm…").count() == 0  # shown while waiting, gone now
    result = page.evaluate(CONTRAST_JS)
    assert result["checked"] > 50 and result["fails"] == [], result["fails"][:10]
    page.locator("#qa-chat .qa-turn").first.locator(".qa-quote .qa-ref").click()
    page.locator("#qa-panel").wait_for(state="visible")
    result = page.evaluate(CONTRAST_JS)
    assert result["fails"] == [], result["fails"][:10]
    assert watched.foreign_requests() == [], "the page must work with no network"


def test_dark_mode_is_readable_too(url, browser):
    watched = Watched(browser, DESKTOP, color_scheme="dark")
    try:
        page = watched.open(url + "?__theme=dark")
        assert "dark" in page.evaluate("document.body.className")
        watched.ask(DATE_Q, 0)
        watched.ask(REFUSED_Q, 1)
        page.locator("#qa-chat .qa-turn").first.locator(".qa-quote .qa-ref").click()
        page.locator("#qa-panel").wait_for(state="visible")
        result = page.evaluate(CONTRAST_JS)
        assert result["checked"] > 50 and result["fails"] == [], result["fails"][:10]
        mark = page.locator("#qa-panel .qa-card-source mark")
        assert mark.evaluate("m => getComputedStyle(m).backgroundColor") != mark.evaluate(
            "m => getComputedStyle(m.closest('.qa-card-passage')).backgroundColor")  # the answer stands out
    finally:
        watched.close()


def test_waiting_shows_a_vietnamese_loading_text(url, watched):
    page = watched.open(url)
    page.evaluate("""() => { window.__pending = new Set();
        new MutationObserver(() => document.querySelectorAll('#qa-chat .qa-pending')
            .forEach(e => window.__pending.add(e.textContent.trim())))
          .observe(document.querySelector('#qa-chat'), {subtree: true, childList: true, characterData: true}); }""")
    for question in (DATE_Q, TENTATIVE_Q, AUTHOR_Q):  # sent at once: the later ones wait
        watched.send(question)
    page.locator("#qa-chat .qa-turn[data-state=done]").nth(2).wait_for(timeout=ANSWER_TIMEOUT_MS)
    seen = page.evaluate("[...window.__pending]")
    assert "Đang tìm…" in seen, seen
    assert all(text.startswith(("Đang tìm", "Đang chờ")) for text in seen), seen
    assert page.locator("#qa-chat .qa-pending").count() == 0


def test_html_in_articles_and_questions_stays_text(tmp_path, browser):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "900_xss.txt").write_text(XSS_ARTICLE, encoding="utf-8")
    Engine.build(tmp_path / "seeds", tmp_path / "index", progress=False)
    from test_app import XSS_QUESTION, crafted_answer

    base = qa.load(tmp_path / "index")
    article_id = next(iter(base.articles))
    asked = XSS_QUESTION
    demo, url = launch(Scripted(base, {asked: lambda e: crafted_answer(e, article_id, "12/3/2024", related=0)}))
    watched = Watched(browser, DESKTOP)
    try:
        page = watched.open(url)
        question = (f'{asked} <img src=x onerror="window.__pwned=1;alert(2)"> '
                    "<script>window.__pwned=1</script> **đậm** $$x^2$$")
        answer = watched.ask(question, 0)  # not scripted: the real engine answers it (or not)
        assert answer.count() == 1
        crafted = watched.ask(asked, 1)
        chat = page.locator("#qa-chat")
        assert "12/3/2024" in crafted.inner_text()
        assert "<script>alert(1)</script>" in crafted.inner_text()  # shown as text
        assert "<img src=x onerror=alert(1)>" in crafted.inner_text()
        assert "<img src=x onerror=" in chat.locator(".qa-q").first.inner_text()
        assert "**đậm** $$x^2$$" in chat.locator(".qa-q").first.inner_text()  # no Markdown or LaTeX from users
        crafted.locator(".qa-quote .qa-ref").click()
        page.locator("#qa-panel .qa-full").first.click()
        page.locator("#qa-panel .qa-doc").wait_for(state="visible")
        assert "<b>đậm</b>" in page.locator("#qa-panel .qa-doc").inner_text()  # the article's tag, as text
        assert page.locator("#qa-chat img[src='x'], #qa-chat script, #qa-chat b, #qa-panel img, #qa-panel b").count() == 0
        page.wait_for_timeout(500)
        assert watched.dialogs == []
        assert page.evaluate("window.__pwned") is None
        assert watched.foreign_requests() == []
    finally:
        watched.close()
        demo.close()


# ---- the phone --------------------------------------------------------------------------------------------
def test_phone_layout_fits_the_first_screen(url, phone):
    page = phone.open(url)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    assert in_view(page, "#qa-input textarea") and in_view(page, "#qa-input .qa-send")
    assert in_view(page, "#qa-chat .qa-example")  # an example to tap, above the fold
    answer = phone.ask(DATE_Q, 0)
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") < 5
    for selector in ("#qa-chat .qa-turn .qa-q", "#qa-chat .qa-turn .qa-short", "#qa-input textarea", "#qa-input .qa-send"):
        assert in_view(page, selector), selector
    assert answer.locator(".qa-quote mark").is_visible()
    width = page.evaluate("document.querySelector('#qa-chat .qa-quote').getBoundingClientRect().width")
    assert width > 300  # passages get the screen's width, not a nested column
    answer.locator(".qa-quote .qa-ref").click()
    page.locator("#qa-panel").wait_for(state="visible")
    assert page.evaluate("document.querySelector('#qa-panel').getBoundingClientRect().width") == PHONE["width"]
    assert phone.errors == []


def test_the_new_answer_stays_in_view_not_the_bottom(url, phone):
    page = phone.open(url)
    for i, question in enumerate([DATE_Q, TENTATIVE_Q, REFUSED_Q]):
        phone.ask(question, i)
    example_title = page.evaluate("""() => [...document.querySelectorAll('#qa-collection .qa-art-title')]
        .map(e => e.textContent)[0]""")
    phone.ask(f"Tóm tắt bài «{example_title}»", 3)  # a long answer
    page.wait_for_timeout(300)
    top = page.evaluate("""() => { const log = document.querySelector('#qa-chat .qa-log').getBoundingClientRect();
        const turn = document.querySelectorAll('#qa-chat .qa-turn')[3].getBoundingClientRect();
        return [turn.top - log.top, log.height]; }""")
    assert 0 <= top[0] < 40, top  # the new turn starts at the top of the conversation, its question visible
    assert in_view(page, "#qa-chat .qa-turn:nth-child(4) .qa-q", "#qa-chat .qa-log")
    assert in_view(page, "#qa-chat .qa-turn:nth-child(4) .qa-sum-title", "#qa-chat .qa-log")
    bottom, taller = page.evaluate("""() => { const l = document.querySelector('#qa-chat .qa-log');
        const turn = document.querySelectorAll('#qa-chat .qa-turn')[3];
        return [l.scrollHeight - l.scrollTop - l.clientHeight, turn.offsetHeight > l.clientHeight]; }""")
    assert taller and bottom > 10  # longer than the screen, and not scrolled to its end


@pytest.mark.parametrize("viewport,name,docs_name", [(DESKTOP, "chat.png", "screenshot.png"),
                                                     (PHONE, "chat-phone.png", "screenshot-phone.png")])
def test_readme_screenshots(url, browser, viewport, name, docs_name):
    """The README's pictures: the real engine answering the README's question (kept out of docs/ when
    the answer is not the right one, 25/5/2017 from the cited decision's article, confident or tentative)."""
    watched = Watched(browser, viewport)
    try:
        watched.open(url)
        answer = watched.ask(CANONICAL, 0)
        # right: 25/5/2017 as the answer line, or (the answer model unsure) as the candidate of a tentative one
        right = ((answer.locator(".qa-short").count() == 1 and answer.locator(".qa-short").inner_text() == "25/5/2017")
                 or (answer.locator(".qa-maybe").count() == 1 and "25/5/2017" in answer.locator(".qa-maybe").inner_text()))
        save_screenshot(watched.page, name, docs_name, for_docs=right)
        if viewport is PHONE:
            for selector in ("#qa-chat .qa-turn .qa-q", "#qa-input textarea"):
                assert in_view(watched.page, selector), selector
            # the answer may be taller than the screen (so not wholly in view), but it starts on it
            top, height, screen = watched.page.evaluate("""() => { const r = document.querySelector(
                '#qa-chat .qa-turn .qa-a').getBoundingClientRect(); return [r.top, r.height, innerHeight]; }""")
            assert height > 0 and 0 <= top < screen, (top, height, screen)
        if not right:
            pytest.skip("the answer layer does not give 25/5/2017 here: docs/ screenshots left as they were")
    finally:
        watched.close()


# ---- a rebuilt index -------------------------------------------------------------------------------------------
def test_counts_follow_a_reloaded_index(engine, tiny_index, tmp_path, browser):
    from qa.web.serving import EngineHolder
    from test_chat_server import swap_in

    served = tmp_path / "index"
    shutil.copytree(engine.index_dir, served)
    holder = EngineHolder(qa.load(served), served)
    demo, url = launch(holder)
    watched = Watched(browser, DESKTOP)
    try:
        page = watched.open(url)
        assert "5 bài báo" in page.locator("#qa-header").inner_text()
        swap_in(served, tiny_index[1])
        assert holder.check()
        watched.ask("Cầu đi bộ qua hồ Thiền Quang dài bao nhiêu mét?", 0)
        page.locator("#qa-header", has_text="2 bài báo").wait_for(timeout=5000)
        assert page.locator("#qa-collection .qa-art").count() == 2
        page.reload()
        page.locator("#qa-header", has_text="2 bài báo").wait_for(timeout=5000)
    finally:
        watched.close()
        demo.close()
