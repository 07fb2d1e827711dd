"""The chat app: its HTML pieces, its filters, and the served app driven with gradio_client (no mocks).

Answers here are either crafted from the shipped articles' own text (to test how the page shows a
date answer, a tentative one, a metadata one, a summary) or asked for real with plain questions,
where the assertions are about the cited article and the shape of the reply, not exact wording.
"""
from __future__ import annotations

import html as html_lib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import HashEmbedder, stop_server

import qa
import qa.web.app
import qa.web.chat
import qa.web.serve
from qa.web import layout, present, views
from qa.engine import MAX_QUESTION_CHARS, Engine
from qa.errors import QAError
from qa.records import Answer, Hit
from qa.text.vntext import sentence_spans

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
CANONICAL_ID = "003_b6d49fa98f0d9187"
UNANSWERABLE = "Quận Cầu Giấy đã tổ chức bao nhiêu hội nghị đối thoại trực tiếp với Nhân dân trong 5 năm qua?"
XSS_ARTICLE = """Thời sự

Thử nghiệm an toàn hiển thị <b>đậm</b> trong bài báo mẫu

Ngày đăng 02/03/2024 | 09:15

Ủy ban nhân dân phường Mẫu Thử đã khánh thành cầu Ánh Sao vào ngày 12/3/2024 <script>alert(1)</script> với tổng vốn đầu tư 50 tỷ đồng <img src=x onerror=alert(1)> theo kế hoạch của thành phố.

Cây cầu dài 120 mét, nối hai bờ sông Mẫu và giúp người dân đi lại thuận tiện hơn.

Theo Nguyễn <i>Văn</i> Thử
"""
XSS_QUESTION = "Cầu Ánh Sao được khánh thành ngày nào?"


# ---- helpers and fixtures -----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f}s")


def client(url: str, **kwargs):
    from gradio_client import Client

    return Client(url, verbose=False, **kwargs)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    """The repo's index when built, else one built from the seeds into a temp folder."""
    if (ROOT / "index" / "manifest.json").is_file():
        return ROOT / "index"
    built = tmp_path_factory.mktemp("index") / "index"
    Engine.build(ROOT / "seeds", built, progress=False)
    return built


@pytest.fixture(scope="module")
def engine(index_dir):
    return qa.load(index_dir)


@pytest.fixture(scope="module")
def served(engine):
    demo = qa.web.app.build_app(engine)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield demo, url
    demo.close()


@pytest.fixture(scope="module")
def api(served):
    return client(served[1])


@pytest.fixture(scope="module")
def xss_engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("xss")
    (root / "seeds").mkdir()
    (root / "seeds" / "900_xss.txt").write_text(XSS_ARTICLE, encoding="utf-8")
    Engine.build(root / "seeds", root / "index", progress=False)
    return qa.load(root / "index")


def hit_at(engine, article_id: str, offset: int, highlight=None) -> Hit:
    """The passage of an article that holds `offset`, as search returns it."""
    chunk = next(c for c in engine.chunks if c.article_id == article_id and c.start <= offset < c.end)
    return Hit(source=chunk.source, title=chunk.title, published=chunk.published, outlet=chunk.outlet, text=chunk.text,
               score=0.03, start=chunk.start, end=chunk.end, article_id=article_id, chunk_id=chunk.id,
               highlight=highlight)


def crafted_answer(engine, article_id: str, span: str, *, confident: bool = True, related: int = 2) -> Answer:
    """An answer as the answer layer composes it: "span — sentence [1]", the span highlighted."""
    text = engine.articles[article_id].text
    at = text.index(span)
    s, e = next((a, b) for a, b in sentence_spans(text) if a <= at < b)
    cited = hit_at(engine, article_id, at, (at, at + len(span)))
    others = [hit_at(engine, c.article_id, c.start) for c in engine.chunks
              if c.article_id != article_id][:related]
    return Answer(question="câu hỏi thử", text=f"{span} — {text[s:e]} [1]", abstained=False,
                  citations=[cited, *others], span=span, start=s, end=e, kind="date",
                  confidence=0.93 if confident else 0.41, confident=confident)


# ---- fast: pure pieces -----------------------------------------------------------------------------
def test_offline_defaults():
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    theme = qa.web.app.make_theme()
    assert not [s for s in theme._stylesheets if s], "the theme must not pull web fonts"
    assert "googleapis" not in theme._get_theme_css()
    assert qa.web.chat.EXAMPLES == []  # no example is written into the code: they come from the index


def test_examples_come_from_the_index(engine, tmp_path):
    chunks = {a: sum(1 for c in engine.chunks if c.article_id == a) for a in engine.articles}
    examples = qa.web.chat.derived_examples(engine, chunks)
    assert 1 <= len(examples) <= qa.web.chat.EXAMPLES_SHOWN and len(set(examples)) == len(examples)
    titles = [a.title for a in engine.articles.values()]
    assert all(any(f"«{t}»" in q for t in titles) for q in examples)  # each names an article of the index
    assert any(q.startswith("Tóm tắt") for q in examples)
    listed = tmp_path / "examples.txt"
    listed.write_text("# câu hỏi mẫu\nCâu một?\n\n  Câu hai?  \n", encoding="utf-8")
    assert qa.web.chat.read_examples(listed) == ["Câu một?", "Câu hai?"]
    with pytest.raises(QAError, match="examples"):
        qa.web.chat.read_examples(tmp_path / "missing.txt")


def test_parse_auth(monkeypatch):
    monkeypatch.delenv("QA_AUTH", raising=False)
    assert qa.web.serve.parse_auth(None) is None
    assert qa.web.serve.parse_auth("ana:se:cret") == ("ana", "se:cret")
    monkeypatch.setenv("QA_AUTH", "env:pw")
    assert qa.web.serve.parse_auth(None) == ("env", "pw")
    assert qa.web.serve.parse_auth("flag:pw") == ("flag", "pw")  # the flag wins over the environment
    for bad in ("nocolon", ":pw", "user:"):
        with pytest.raises(QAError, match="user:password"):
            qa.web.serve.parse_auth(bad)


def test_loopback_is_the_default_host():
    import inspect

    from qa.cli import _parser

    assert inspect.signature(qa.web.serve.serve).parameters["host"].default == "127.0.0.1"
    assert _parser().parse_args(["serve"]).host == "127.0.0.1"
    assert _parser().parse_args(["serve", "--examples", "x.txt"]).examples == "x.txt"


def test_user_text_is_escaped():
    turn = layout.turn_html(layout.TurnView(1, '<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>', "waiting",
                                        understood="<b>hiểu</b>", scope="<i>x</i>"))
    assert "<img" not in turn and "<script" not in turn and "<b>" not in turn and "<i>" not in turn
    assert "&lt;img src=x onerror=alert(1)&gt;" in turn and "&lt;script&gt;" in turn
    assert "\n" not in turn
    assert "<script" not in views.error_html("<script>alert(1)</script>")


def test_a_date_answer_is_shown_answer_first(engine):
    answer = crafted_answer(engine, CANONICAL_ID, "25/5/2017")
    page = views.answer_html(engine, answer)
    assert page.count('class="qa-short"') == 1 and '<p class="qa-short">25/5/2017</p>' in page
    quote = re.search(r'<blockquote class="qa-quote">(.*?)</blockquote>', page).group(1)
    assert "<mark>25/5/2017</mark>" in quote and 'class="qa-ref" data-n="1"' in quote
    assert "qa-lowconf" not in page and "qa-tentative" not in page
    # the sources panel: the supporting passage first, the others as related, each with "Xem toàn bài"
    panel = page[page.index('class="qa-panel-src"'):]
    assert panel.index("Nguồn của câu trả lời") < panel.index('qa-card-source') < panel.index("Đoạn liên quan")
    assert panel.count("qa-card-source") == 1 and panel.count("qa-card-related") == 2
    assert panel.count('class="qa-full"') == 3
    assert '<span class="qa-sent">' in panel and "<mark" in panel
    assert "Tác giả: Đặng Trang" in panel and "19/05/2022" in panel  # the byline and the date
    # Copy: clean text, no markers, the citation at the end
    copied = html_lib.unescape(re.search(r'data-copy="([^"]*)"', page).group(1))
    assert "[1]" not in copied and "<" not in copied
    title = engine.articles[CANONICAL_ID].title
    assert copied.startswith("25/5/2017 — ") and copied.endswith(f"({title}, 19/05/2022)")


def test_a_tentative_answer_is_marked(engine):
    page = views.answer_html(engine, crafted_answer(engine, CANONICAL_ID, "25/5/2017", confident=False))
    assert "qa-tentative" in page and 'class="qa-short"' not in page  # never a headline
    assert "Có thể là: <mark>25/5/2017</mark> (độ tin cậy thấp, 41 %) — hãy đọc đoạn trích." in page
    text = present.answer_text(engine, crafted_answer(engine, CANONICAL_ID, "25/5/2017", confident=False))
    assert "Có thể là: 25/5/2017 (độ tin cậy thấp, 41 %)" in text and not text.startswith("25/5/2017 — ")


def test_an_inferred_date_is_marked_as_inferred(engine):
    article = next(a for a in engine.articles.values() if a.published_inferred and not a.published)
    shown, inferred = present.article_date(article)
    assert inferred and shown.startswith("khoảng ")
    meta = views.meta_html(article)
    assert "suy ra từ nội dung" in meta
    assert present.date_label(None, "2020") == ("khoảng năm 2020", True)  # a year alone, inferred
    assert present.date_label("2020") == ("năm 2020", False)  # a year alone, stated


def test_a_metadata_answer_says_it_is_the_articles_metadata(engine):
    article = next(a for a in engine.articles.values() if a.author)
    hit = hit_at(engine, article.id, 0)
    answer = Answer(question="Ai viết bài này?", text=f"{article.author} — tác giả bài «{article.title}» [1]",
                    abstained=False, citations=[hit], span=article.author, kind="author", confidence=0.9,
                    confident=True, metadata="author")
    page = views.answer_html(engine, answer)
    assert f'<p class="qa-short">{html_lib.escape(article.author)}</p>' in page
    assert "Đây là tác giả của bài" in page and "không phải từ nội dung bài" in page


def test_a_summary_lists_its_sentences(engine):
    article = engine.articles[CANONICAL_ID]
    spans = sentence_spans(article.text)[1:4]
    hit = hit_at(engine, article.id, spans[0][0])
    answer = Answer(question="Tóm tắt", text=f"Tóm tắt «{article.title}»: " + " ".join(
        f"{article.text[a:b]} [1]" for a, b in spans), abstained=False, citations=[hit], span="x", start=spans[0][0],
        end=spans[-1][1], kind="summary", confidence=1.0, confident=True, summary=spans)
    page = views.answer_html(engine, answer)
    items = re.findall(r"<li>(.*?)</li>", page.split('class="qa-panel-src"')[0])
    assert len(items) == 3 and all('data-n="1"' in i for i in items)
    assert f"Tóm tắt bài «{html_lib.escape(article.title)}»" in page
    assert page.count('class="qa-sum-src"') == 3  # each quoted sentence in the sources panel


def test_a_refusal_says_what_the_collection_covers(engine):
    hits = [hit_at(engine, c.article_id, c.start) for c in engine.chunks[:4]]
    answer = Answer(question=UNANSWERABLE, text="Không tìm thấy thông tin này trong các bài viết.", abstained=True,
                    citations=hits)
    chunks = {a: sum(1 for c in engine.chunks if c.article_id == a) for a in engine.articles}
    page = views.answer_html(engine, answer, "", layout.coverage_html(engine, chunks))
    assert 'class="qa-refusal-title">Không tìm thấy' in page
    assert f"Kho gồm {len(engine.articles)} bài" in page
    assert '<details class="qa-nearest"' in page and "<details class=\"qa-nearest\" data-key=\"nearest\" open" not in page
    assert page.count("qa-card-related") == present.NEAREST_ON_ABSTAIN


def test_filters_are_checked_in_vietnamese(engine):
    some = next(iter(engine.articles.values()))
    made = qa.web.chat.clean_filters(engine, {"articles": [some.source], "since": "01/02/2019", "until": "2024-12-31"})
    assert made == {"articles": [some.id], "since": "2019-02-01", "until": "2024-12-31", "outlets": None}
    with pytest.raises(QAError, match="không có bài"):
        qa.web.chat.clean_filters(engine, {"articles": ["khong-co.txt"]})
    with pytest.raises(QAError, match="không phải một ngày hợp lệ"):
        qa.web.chat.clean_filters(engine, {"since": "31/02/2020"})
    with pytest.raises(QAError, match="ngày bắt đầu sau ngày kết thúc"):
        qa.web.chat.clean_filters(engine, {"since": "2024-01-02", "until": "2023-01-01"})


def test_article_html_is_escaped(xss_engine):
    article = next(iter(xss_engine.articles.values()))
    answer = crafted_answer(xss_engine, article.id, "12/3/2024", related=0)
    page = views.answer_html(xss_engine, answer)
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<mark>12/3/2024</mark>" in page and "\n" not in page
    doc = layout.article_view_html(article, 3, [(answer.start, answer.end)], None)
    assert "<script" not in doc.lower() and "<img" not in doc.lower() and "&lt;b&gt;đậm&lt;/b&gt;" in doc
    listing = layout.collection_html(xss_engine, {article.id: 3})
    assert "<b>" not in listing and "<i>" not in listing and html_lib.escape(article.title) in listing
    text = present.answer_text(xss_engine, answer)  # plain text: shown as it is written
    assert "<script>alert(1)</script>" in text


# ---- the served app --------------------------------------------------------------------------------
@pytest.mark.slow
def test_api_is_ask_and_chat(api):
    info = api.view_api(return_format="dict", print_info=False)
    assert sorted(info["named_endpoints"]) == ["/ask", "/chat"]
    assert not info["unnamed_endpoints"]
    ask = info["named_endpoints"]["/ask"]
    assert [p["parameter_name"] for p in ask["parameters"]] == ["question", "previous", "articles", "since", "until",
                                                                 "outlets"]
    assert ask["returns"][0]["python_type"]["type"].startswith("dict")
    assert info["named_endpoints"]["/chat"]["returns"][0]["python_type"]["type"] == "str"


@pytest.mark.slow
def test_ask_returns_the_answer_as_json(api, engine):
    reply = api.predict(CANONICAL, api_name="/ask")
    for key in ("question", "answer", "span", "abstained", "confidence", "confident", "kind", "metadata", "start", "end",
                "summary", "citations", "refusal", "copy", "filters", "index", "understood_as"):
        assert key in reply, key
    assert reply["question"] == CANONICAL and reply["index"]["articles"] == len(engine.articles)
    assert isinstance(reply["confidence"], float) and 0.0 <= reply["confidence"] <= 1.0
    assert reply["citations"], "an answer or a refusal, each with its passages"
    for citation in reply["citations"]:
        article = engine.articles[citation["article_id"]]
        assert article.text[citation["start"]:citation["end"]] == citation["text"]  # offsets into the article
        assert citation["title"] == article.title and isinstance(citation["score"], float)
        assert citation["role"] in ("source", "related", "nearest")
    if reply["abstained"]:
        assert reply["refusal"] == "not-found" and {c["role"] for c in reply["citations"]} == {"nearest"}
    else:
        source = reply["citations"][0]
        assert source["role"] == "source" and "2200" in engine.articles[source["article_id"]].text
        assert reply["span"] in engine.articles[source["article_id"]].text
        if source["highlight"]:
            a, b = source["highlight"]
            assert engine.articles[source["article_id"]].text[a:b] == reply["span"]
        assert "[1]" not in reply["copy"] and source["title"] in reply["copy"]


@pytest.mark.slow
def test_ask_summary_of_a_named_article(api, engine):
    article = max(engine.articles.values(), key=lambda a: sum(1 for c in engine.chunks if c.article_id == a.id))
    reply = api.predict(f"Tóm tắt bài «{article.title}»", api_name="/ask")
    assert reply["kind"] == "summary" and not reply["abstained"]
    assert reply["filters"] == {"articles": [article.id]}
    assert reply["citations"][0]["article_id"] == article.id
    assert reply["summary"] and all(0 <= a < b <= len(article.text) for a, b in reply["summary"])


SUMMARY = "Tóm tắt bài viết về đối thoại với nhân dân"  # answered without the answer model's scores


@pytest.mark.slow
def test_ask_filters(api, engine):
    one = sorted(engine.articles)[0]
    reply = api.predict(SUMMARY, articles=[one], api_name="/ask")
    assert reply["citations"] and {c["article_id"] for c in reply["citations"]} == {one}
    dated = {a.id for a in engine.articles.values() if (a.published or a.published_inferred or "") >= "2022-01-01"}
    reply = api.predict(SUMMARY, since="01/01/2022", api_name="/ask")
    assert reply["filters"] == {"since": "2022-01-01"}
    assert reply["citations"] and {c["article_id"] for c in reply["citations"]} <= dated
    outlet = next(a.outlet for a in engine.articles.values() if a.outlet)
    reply = api.predict(SUMMARY, outlets=[outlet], api_name="/ask")
    assert {engine.articles[c["article_id"]].outlet for c in reply["citations"]} == {outlet}
    reply = api.predict("đối thoại", since="2099-01-01", api_name="/ask")
    assert reply["refusal"] == "filtered-out" and reply["abstained"] and reply["citations"] == []


@pytest.mark.slow
def test_ask_follow_ups_and_several_questions(api):
    reply = api.predict("thế còn năm 2022?", previous="Tóm tắt bài viết về hội nghị đối thoại năm 2019",
                        api_name="/ask")
    assert reply["understood_as"] == "Tóm tắt bài viết về hội nghị đối thoại năm 2022?"
    assert reply["kind"] == "summary" and reply["citations"]
    reply = api.predict("còn TP.HCM thì sao?", api_name="/ask")
    assert reply["refusal"] == "needs-previous" and reply["abstained"]
    reply = api.predict(f"{CANONICAL} Ai ký quyết định đó?", api_name="/ask")
    assert reply["refusal"] == "several-questions" and reply["parts"] == [CANONICAL, "Ai ký quyết định đó?"]


@pytest.mark.slow
@pytest.mark.parametrize("question,message", [("", "trống"), ("   \n ", "trống"), ("xin chào " * 200, "quá dài"),
                                              ("x" * 5000, "quá dài")])
def test_ask_errors_are_errors(api, question, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        api.predict(question, api_name="/ask")


@pytest.mark.slow
@pytest.mark.parametrize("filters,message", [({"since": "hôm qua"}, "ngày hợp lệ"),
                                             ({"articles": ["khong-co"]}, "(?i)không có bài")])
def test_ask_filter_errors_are_errors(api, filters, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        api.predict(CANONICAL, api_name="/ask", **filters)


@pytest.mark.slow
def test_an_engine_failure_is_its_one_line_on_ask_as_on_chat(engine, caplog):
    """The index is opened with a model whose vectors are of another size: every question fails in the
    engine with an IndexProblem. /ask reports that line, as /chat does, not the generic internal error."""
    from gradio_client.exceptions import AppError

    broken = Engine(engine._stored, engine.index_dir, HashEmbedder())
    with pytest.raises(QAError, match="64-d vectors"):
        broken.ask(SUMMARY)
    demo = qa.web.app.build_app(broken)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        api = client(url)
        with caplog.at_level("ERROR", logger="qa.web"):
            line = api.predict(SUMMARY, api_name="/chat")
            with pytest.raises(AppError) as raised:
                api.predict(SUMMARY, api_name="/ask")
    finally:
        demo.close()
    assert line.startswith("Model ") and "64-d vectors" in line and "rebuild it" in line
    assert str(raised.value) == line and qa.web.chat.INTERNAL_ERROR not in str(raised.value)
    assert not [r for r in caplog.records if r.name == "qa.web"]  # a known failure: no traceback in the log


@pytest.mark.slow
def test_chat_returns_text(api, engine):
    reply = api.predict(SUMMARY, api_name="/chat")
    assert reply.startswith("Tóm tắt «") and "\n\nNguồn:\n[1] " in reply and "Traceback" not in reply
    source = reply.split("\n\nNguồn:\n[1] ", 1)[1].splitlines()[0]
    assert any(source.startswith(a.title) and source.endswith(a.source) for a in engine.articles.values())
    assert api.predict("", api_name="/chat").startswith("Câu hỏi trống")  # /chat answers errors with a line of text
    assert f"{MAX_QUESTION_CHARS:,}" in api.predict("xin chào " * 200, api_name="/chat")


@pytest.mark.slow
def test_several_users_at_once(served, engine):
    url = served[1]
    titles = [a.title for a in engine.articles.values()]
    questions = [f"Tóm tắt bài «{t}»" for t in titles] * 2

    def ask(question: str) -> dict:
        return client(url).predict(question, api_name="/ask")

    with ThreadPoolExecutor(max_workers=len(questions)) as pool:
        replies = list(pool.map(ask, questions))
    for question, reply in zip(questions, replies):
        assert reply["question"] == question
        assert f"«{engine.articles[reply['citations'][0]['article_id']].title}»" in question


@pytest.mark.slow
def test_page_and_theme_are_offline(served):
    demo, url = served
    config = demo.get_config_file()
    assert not config.get("stylesheets")
    with urllib.request.urlopen(url + "theme.css", timeout=10) as response:
        css = response.read().decode()
    assert "fonts.googleapis" not in css and "@import" not in css
    with urllib.request.urlopen(url, timeout=10) as response:
        page = response.read().decode()
    assert "fonts.googleapis" not in page
    assert '<html\n\tlang="vi"' in page or 'lang="vi"' in page.split(">", 2)[0] + page.split(">", 2)[1]
    assert config["title"].startswith("hoi-dap")
    htmls = [c for c in config["components"] if c.get("type") == "html"]
    assert {c["props"].get("elem_id") for c in htmls} >= {"qa-chat", "qa-input", "qa-collection", "qa-header"}


@pytest.mark.slow
def test_share_links_are_refused(engine):
    with pytest.raises(QAError, match="share"):
        qa.web.app.build_app(engine).launch(share=True, prevent_thread_lock=True)


@pytest.mark.slow
def test_cli_serve_binds_loopback_and_requires_login(index_dir):
    psutil = pytest.importorskip("psutil")
    from gradio_client.exceptions import AuthenticationError

    port = free_port()
    env = {**os.environ, "QA_AUTH": "", "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--index", str(index_dir), "--port", str(port), "--auth", "ana:mật-khẩu"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_port(port, proc)
        listening = [c.laddr for c in psutil.Process(proc.pid).net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
        assert listening and {addr.ip for addr in listening} == {"127.0.0.1"}

        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(AuthenticationError):  # no login: the client cannot even read the config
            client(url)
        with pytest.raises(ValueError, match="login"):
            client(url, auth=("ana", "sai"))
        reply = client(url, auth=("ana", "mật-khẩu")).predict(SUMMARY, api_name="/ask")
        assert reply["question"] == SUMMARY and reply["citations"]
    finally:
        stop_server(proc)


def test_crafted_answers_use_real_offsets(engine):
    """The crafted answers above are what the answer layer would return: offsets into real text."""
    answer = crafted_answer(engine, CANONICAL_ID, "25/5/2017")
    text = engine.articles[CANONICAL_ID].text
    a, b = answer.citations[0].highlight
    assert text[a:b] == "25/5/2017" and answer.start <= a < b <= answer.end
    assert answer.confident is True
    assert crafted_answer(engine, CANONICAL_ID, "25/5/2017", confident=False).confident is False


def test_the_quote_marks_the_highlighted_span_not_an_earlier_copy_of_it():
    """An adjacent sentence quoted before the answer sentence may hold the same words (here "3"): the
    mark goes where the answer's offsets say, and falls back to the first occurrence without them."""
    article_text = "Năm ngoái có 3 đoàn. Năm nay thành phố lập 3 đoàn kiểm tra."
    at = article_text.rindex("3 đoàn")
    hit = Hit("a.txt", "T", None, None, article_text, 1.0, 0, len(article_text), "a", "a#0", highlight=(at, at + 1))
    answer = Answer(question="q", text=f"{article_text} [1]", abstained=False, citations=[hit], span="3",
                    start=0, end=len(article_text), kind="number", confidence=0.9, confident=True)
    quote = present.quote_of(answer)
    assert views._span_in_quote(answer, quote, "3") == at
    assert views._quote_html(quote, "3", at).count("<mark>") == 1
    assert views._quote_html(quote, "3", at).index("<mark>") > quote.index("Năm nay")
    moved = replace(answer, citations=[replace(hit, highlight=None)])
    assert views._span_in_quote(moved, quote, "3") == quote.index("3")
