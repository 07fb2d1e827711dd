"""The chat app, served for real on a loopback port and driven with gradio_client (no mocks)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import stop_server

import qa
import qa.app
from qa.engine import MAX_QUESTION_CHARS, Engine
from qa.errors import QAError

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
CANONICAL_SOURCE = "003_b6d49fa98f0d9187.txt"
UNANSWERABLE = "Quận Cầu Giấy đã tổ chức bao nhiêu hội nghị đối thoại trực tiếp với Nhân dân trong 5 năm qua?"
XSS_ARTICLE = """Thời sự

Thử nghiệm an toàn hiển thị <b>đậm</b> trong bài báo mẫu

Ngày đăng 02/03/2024 | 09:15

Ủy ban nhân dân phường Mẫu Thử đã khánh thành cầu Ánh Sao vào ngày 12/3/2024 <script>alert(1)</script> với tổng vốn đầu tư 50 tỷ đồng <img src=x onerror=alert(1)> theo kế hoạch của thành phố.

Cây cầu dài 120 mét, nối hai bờ sông Mẫu và giúp người dân đi lại thuận tiện hơn.
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
    demo = qa.app.build_app(engine)
    port = free_port()
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
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


# ---- fast: pure pieces -----------------------------------------------------------------------------
def test_offline_defaults():
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    theme = qa.app.make_theme()
    assert not [s for s in theme._stylesheets if s], "the theme must not pull web fonts"
    assert "googleapis" not in theme._get_theme_css()
    assert CANONICAL in qa.app.EXAMPLES
    assert "quyet dinh 2200 ban hanh ngay nao" in qa.app.EXAMPLES  # typed without diacritics
    assert any(q.startswith(("When", "What", "Which", "Who", "How")) for q in qa.app.EXAMPLES)  # English


def test_parse_auth(monkeypatch):
    monkeypatch.delenv("QA_AUTH", raising=False)
    assert qa.app.parse_auth(None) is None
    assert qa.app.parse_auth("ana:se:cret") == ("ana", "se:cret")
    monkeypatch.setenv("QA_AUTH", "env:pw")
    assert qa.app.parse_auth(None) == ("env", "pw")
    assert qa.app.parse_auth("flag:pw") == ("flag", "pw")  # the flag wins over the environment
    for bad in ("nocolon", ":pw", "user:"):
        with pytest.raises(QAError, match="user:password"):
            qa.app.parse_auth(bad)


def test_loopback_is_the_default_host():
    import inspect

    from qa.cli import _parser

    assert inspect.signature(qa.app.serve).parameters["host"].default == "127.0.0.1"
    assert _parser().parse_args(["serve"]).host == "127.0.0.1"


def test_user_text_is_escaped():
    html = qa.app.render_question_html('<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>')
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;" in html
    assert "\n" not in html  # a blank line would end the HTML block in the Markdown renderer
    assert "<script" not in qa.app.render_error_html("<script>alert(1)</script>")


# ---- the served app --------------------------------------------------------------------------------
@pytest.mark.slow
def test_api_is_only_chat(api):
    info = api.view_api(return_format="dict", print_info=False)
    assert list(info["named_endpoints"]) == ["/chat"]
    assert not info["unnamed_endpoints"]
    assert info["named_endpoints"]["/chat"]["returns"][0]["python_type"]["type"] == "str"


@pytest.mark.slow
def test_canonical_question(api):
    reply = api.predict(CANONICAL, api_name="/chat")
    answer, _, sources = reply.partition("\n\nNguồn:\n")
    assert "25/5/2017" in answer and "[1]" in answer
    assert sources.startswith("[1] ") and CANONICAL_SOURCE in sources.splitlines()[0]
    assert "2022-05-19" in sources.splitlines()[0]


@pytest.mark.slow
def test_english_question(api):
    reply = api.predict("When was Decision 2200-QĐ/TU issued?", api_name="/chat")
    assert "25/5/2017" in reply and CANONICAL_SOURCE in reply


@pytest.mark.slow
def test_unanswerable_question_abstains_and_lists_nearest(api):
    reply = api.predict(UNANSWERABLE, api_name="/chat")
    assert reply.startswith("Không tìm thấy")
    assert "Các đoạn gần nhất:" in reply and "[1] " in reply


@pytest.mark.slow
@pytest.mark.parametrize("message", ["", "   \n "])
def test_empty_message_gets_a_clear_reply(api, message):
    reply = api.predict(message, api_name="/chat")
    assert "empty" in reply and "Quyết định 2200-QĐ/TU" in reply
    assert "Traceback" not in reply


@pytest.mark.slow
def test_overlong_question_gets_a_clear_reply(api):
    reply = api.predict("xin chào " * 200, api_name="/chat")
    assert f"{MAX_QUESTION_CHARS:,}" in reply and "Traceback" not in reply


@pytest.mark.slow
def test_several_users_at_once(served):
    url = served[1]
    questions = [CANONICAL, UNANSWERABLE] * 3

    def ask(question: str) -> str:
        return client(url).predict(question, api_name="/chat")

    with ThreadPoolExecutor(max_workers=len(questions)) as pool:
        replies = list(pool.map(ask, questions))
    for question, reply in zip(questions, replies):
        assert ("25/5/2017" in reply) if question == CANONICAL else reply.startswith("Không tìm thấy")


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
    assert config["title"].startswith("hoi-dap")
    chatbot = next(c for c in config["components"] if c.get("type") == "chatbot")
    assert chatbot["props"]["sanitize_html"] is True
    assert chatbot["props"]["allow_tags"] is False
    assert chatbot["props"]["latex_delimiters"] == []


@pytest.mark.slow
def test_share_links_are_refused(engine):
    with pytest.raises(QAError, match="share"):
        qa.app.build_app(engine).launch(share=True, prevent_thread_lock=True)


@pytest.mark.slow
def test_article_html_is_escaped(xss_engine):
    demo = qa.app.build_app(xss_engine, examples=[XSS_QUESTION])
    port = free_port()
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        reply = client(url).predict(XSS_QUESTION, api_name="/chat")  # plain text: shown as it is written
        assert "12/3/2024" in reply and "900_xss.txt" in reply
    finally:
        demo.close()

    answer = xss_engine.ask(XSS_QUESTION)
    html = qa.app.render_answer_html(xss_engine, answer)
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;đậm&lt;/b&gt;" in html  # the title too
    assert "<mark>12/3/2024</mark>" in html
    assert "\n" not in html

    nothing = xss_engine.ask("Giá vàng hôm nay là bao nhiêu?")  # abstains; nearest passages shown escaped
    html = qa.app.render_answer_html(xss_engine, nothing)
    assert nothing.abstained and "Không tìm thấy" in html and "900_xss.txt" in html
    assert "<script" not in html.lower() and "<img" not in html.lower()


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
        reply = client(url, auth=("ana", "mật-khẩu")).predict(CANONICAL, api_name="/chat")
        assert "25/5/2017" in reply and CANONICAL_SOURCE in reply
    finally:
        stop_server(proc)
