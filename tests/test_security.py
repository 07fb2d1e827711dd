"""Security defaults of `qa serve`, checked against real servers on loopback with raw HTTP and gradio_client.

* binds 127.0.0.1 unless --host says otherwise;
* optional login with --auth or $QA_AUTH: without it every route that reveals or does anything is refused;
* Gradio's file route serves nothing of the machine: no /etc/passwd, no seeds, no index, no code,
  however the path is spelt (.., %2F, %2e, double encoding, absolute, relative);
* nothing from an article runs in the page. tests/test_browser.py already proves that for <script>,
  <img onerror> and <b> in article text and questions (test_html_in_articles_and_questions_stays_text);
  the browser test here adds what it does not try: Markdown links and images, javascript: URLs,
  <iframe>/<svg>/<style>, and HTML in the seed file's *name*.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # gradio_client: no telemetry

import pytest  # noqa: E402
from conftest import INDEX, REPO, SEEDS, stop_server  # noqa: E402
from test_cli_core import assert_one_line_error, call  # noqa: E402

CANONICAL = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
SEED = SEEDS / "000_4b78a9e627b5555f.txt"
USER, PASSWORD = "ana", "bí-mật:42"


# ---- servers ------------------------------------------------------------------------------------------

def start_server(tmp: Path, *args: str, env: dict | None = None, host: str = "127.0.0.1"):
    from test_app import free_port

    port = free_port()
    full_env = {**os.environ, "QA_AUTH": "", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONIOENCODING": "utf-8",
                **(env or {})}
    with open(tmp / "out.log", "wb") as out, open(tmp / "err.log", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--index", str(INDEX), "--port", str(port),
                                 *args], cwd=REPO, env=full_env, stdout=out, stderr=err)
    try:
        _wait(host, port, proc)
        _wait_for_line(tmp / "out.log", "hoi-dap: serving", proc)
    except BaseException:
        stop_server(proc)
        raise
    return proc, port


def _wait(host: str, port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    import socket
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listening on {host}:{port}")


def _wait_for_line(path: Path, text: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while text not in path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} in {path.name}: {path.read_text(errors='replace')[-500:]}")
        time.sleep(0.1)




def listening(proc: subprocess.Popen) -> set[tuple[str, int]]:
    import psutil

    return {(c.laddr.ip, c.laddr.port) for c in psutil.Process(proc.pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN}


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    """`qa serve --index index` with no flags and no $QA_AUTH: the defaults a user gets."""
    tmp = tmp_path_factory.mktemp("open")
    proc, port = start_server(tmp)
    try:
        yield proc, port, tmp
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def login_server(tmp_path_factory):
    """`QA_AUTH=user:pass qa serve --host 127.0.0.2`: a login from the environment, another loopback address."""
    tmp = tmp_path_factory.mktemp("login")
    proc, port = start_server(tmp, "--host", "127.0.0.2", env={"QA_AUTH": f"{USER}:{PASSWORD}"}, host="127.0.0.2")
    try:
        yield proc, port, tmp
    finally:
        stop_server(proc)


def get(port: int, path: str, host: str = "127.0.0.1", method: str = "GET", body: bytes | None = None,
        headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One raw HTTP request with the path sent exactly as written (no client-side normalisation)."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


# ---- binding and login --------------------------------------------------------------------------------

@pytest.mark.slow
def test_default_serve_listens_on_loopback_only(open_server):
    proc, port, tmp = open_server
    addresses = listening(proc)
    assert (("127.0.0.1", port) in addresses) and {ip for ip, _ in addresses} == {"127.0.0.1"}, addresses
    out = (tmp / "out.log").read_text()
    assert f"on http://127.0.0.1:{port}/" in out and "login required" not in out
    assert "warning" not in (tmp / "err.log").read_text()


@pytest.mark.slow
def test_host_flag_binds_the_address_it_names(login_server):
    proc, port, tmp = login_server
    assert {ip for ip, _ in listening(proc)} == {"127.0.0.2"}
    with pytest.raises(OSError):
        get(port, "/", host="127.0.0.1")  # not on 127.0.0.1 any more
    assert "(login required)" in (tmp / "out.log").read_text()


@pytest.mark.slow
def test_qa_auth_login_from_the_environment(login_server):
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    _, port, _ = login_server
    url = f"http://127.0.0.2:{port}/"
    with pytest.raises(AuthenticationError):
        Client(url, verbose=False)
    with pytest.raises(ValueError, match="login"):
        Client(url, verbose=False, auth=(USER, "sai"))
    with pytest.raises(ValueError, match="login"):
        Client(url, verbose=False, auth=("admin", PASSWORD))
    client = Client(url, verbose=False, auth=(USER, PASSWORD))  # the password holds ':' and non-ASCII
    try:
        assert "25/5/2017" in client.predict(CANONICAL, api_name="/chat")
    finally:
        client.close()


@pytest.mark.slow
@pytest.mark.parametrize("method,path", [
    ("GET", "/config"), ("GET", "/gradio_api/info"), ("GET", "/gradio_api/file=/etc/passwd"),
    ("GET", "/gradio_api/queue/status"), ("POST", "/gradio_api/call/chat"), ("POST", "/gradio_api/run/chat"),
    ("POST", "/gradio_api/queue/join"), ("POST", "/gradio_api/upload"),
])
def test_without_login_nothing_is_answered(login_server, method, path):
    _, port, _ = login_server
    body = json.dumps({"data": [CANONICAL], "fn_index": 0, "session_hash": "x"}).encode() if method == "POST" else None
    status, _, content = get(port, path, host="127.0.0.2", method=method, body=body,
                             headers={"Content-Type": "application/json"})
    assert status == 401, (status, content[:200])
    assert b"25/5/2017" not in content and b"root:" not in content and b"/chat" not in content


@pytest.mark.parametrize("value", ["nocolon", ":pw", "user:"])
def test_malformed_qa_auth_is_a_one_line_error(capsys, monkeypatch, value):
    monkeypatch.setenv("QA_AUTH", value)
    rc, out, err = call(capsys, "serve", "--index", INDEX, "--port", "9")  # refused before anything listens
    assert_one_line_error(rc, err, "user:password")


# ---- file serving -------------------------------------------------------------------------------------

def _probes() -> dict[str, tuple[str, bytes]]:
    """path -> a piece of the file's content that must not come back."""
    passwd = b"root:x:0:0"
    seed_text = SEED.read_bytes()[200:260]
    manifest = b'"format_version"'
    chunks = b'"embed_hash"'
    code = b"def build_app"
    seed_rel = f"seeds/{SEED.name}"
    return {
        "/file=../../etc/passwd": passwd,
        "/file=/etc/passwd": passwd,
        "/gradio_api/file=/etc/passwd": passwd,
        "/gradio_api/file=../../etc/passwd": passwd,
        "/gradio_api/file=../../../../../../../../etc/passwd": passwd,
        "/gradio_api/file=..%2F..%2Fetc%2Fpasswd": passwd,
        "/gradio_api/file=%2Fetc%2Fpasswd": passwd,
        "/gradio_api/file=%2e%2e/%2e%2e/etc/passwd": passwd,
        "/gradio_api/file=%2e%2e%2f%2e%2e%2fetc%2fpasswd": passwd,
        "/gradio_api/file=..%252F..%252Fetc%252Fpasswd": passwd,
        "/gradio_api/file=....//....//etc/passwd": passwd,
        "/gradio_api/file=/etc/./passwd": passwd,
        "/gradio_api/file=//etc/passwd": passwd,
        "/gradio_api/file=/tmp/../etc/passwd": passwd,
        "/gradio_api/file=/proc/self/environ": b"PATH=",
        "/gradio_api/file=/proc/self/cmdline": b"qa\x00serve",
        f"/gradio_api/file={SEED}": seed_text,
        f"/gradio_api/file={seed_rel}": seed_text,
        f"/gradio_api/file=./{seed_rel}": seed_text,
        f"/file={SEED}": seed_text,
        f"/gradio_api/file={INDEX}/manifest.json": manifest,
        "/gradio_api/file=index/manifest.json": manifest,
        f"/gradio_api/file={INDEX}/chunks.jsonl": chunks,
        "/gradio_api/file=index%2Fchunks.jsonl": chunks,
        f"/gradio_api/file={REPO}/qa/web/app.py": code,
        "/gradio_api/file=qa/web/app.py": code,
        "/static/../../../etc/passwd": passwd,
        "/static/..%2F..%2F..%2Fetc%2Fpasswd": passwd,
        "/assets/..%2F..%2F..%2Fetc%2Fpasswd": passwd,
        "/assets/../../../../etc/passwd": passwd,
        "/gradio_api/static/../../../../etc/passwd": passwd,
        f"/gradio_api/file={REPO}/seeds/../index/manifest.json": manifest,
    }


PROBES = _probes()


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(PROBES))
def test_file_routes_serve_nothing_of_the_machine(open_server, path):
    _, port, _ = open_server
    status, headers, content = get(port, path)
    assert PROBES[path] not in content, (status, content[:200])
    assert status in (400, 403, 404), (status, content[:200])


@pytest.mark.slow
def test_the_page_itself_is_served(open_server):
    """The probes mean something: the same server does serve its page, config and static assets."""
    _, port, _ = open_server
    status, _, page = get(port, "/")
    assert status == 200 and b"<html" in page.lower()
    status, _, config = get(port, "/config")
    assert status == 200 and json.loads(config)["title"].startswith("hoi-dap")


def _upload(port: int, name: str, data: bytes) -> tuple[int, bytes]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status, _, content = get(port, "/gradio_api/upload", method="POST", body=body,
                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return status, content


def _forget(content: bytes) -> None:
    """Delete what an accepted upload stored in Gradio's cache (it would stay there after the test)."""
    try:
        paths = json.loads(content)
    except ValueError:
        return
    for stored in paths if isinstance(paths, list) else []:
        folder = Path(stored).parent
        if "gradio" in str(folder):
            shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_an_uploaded_page_is_never_served_as_html(open_server):
    _, port, _ = open_server
    status, content = _upload(port, "x.html", b"<html><script>window.__pwned=1</script></html>")
    try:
        if status != 200:
            return  # refused outright: even better
        stored = json.loads(content)[0]
        status, headers, served = get(port, f"/gradio_api/file={stored}")
        if status == 200:
            assert not headers.get("content-type", "").startswith("text/html"), headers
            assert headers.get("content-disposition", "").startswith("attachment"), headers
    finally:
        _forget(content)


@pytest.mark.slow
def test_big_uploads_are_refused(open_server):
    """A 6 MB upload is refused from its declared length, before the server reads the body: the reply
    arrives while the client has sent only the headers (and the server then closes the connection)."""
    import socket

    _, port, _ = open_server
    boundary = uuid.uuid4().hex
    head = (f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 6000000\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head.encode())
        reply = conn.recv(4096).decode("latin-1")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]


# ---- nothing from an article runs in the page ----------------------------------------------------------

EVIL_NAME = '901_<img src=x onerror="window.__pwned=6">.txt'
EVIL_ARTICLE = """Thời sự

Thử nghiệm [liên kết](javascript:window.__pwned=1) và ![ảnh](http://127.0.0.1:9/beacon-title.png) trong tiêu đề

Ngày đăng 02/03/2024 | 09:15

Ủy ban nhân dân phường Mẫu Thử đã khánh thành cầu Ánh Trăng vào ngày 15/4/2024 [xem chi tiết](javascript:window.__pwned=2) với tổng vốn đầu tư 50 tỷ đồng ![ảnh](http://127.0.0.1:9/beacon-body.png) theo kế hoạch <a href="javascript:window.__pwned=3">của thành phố</a> và <https://example.com/x> nữa.

Cây cầu dài 120 mét, nối hai bờ sông Mẫu <iframe src="javascript:window.__pwned=4"></iframe> và giúp người dân <svg onload="window.__pwned=5"></svg> đi lại thuận tiện hơn. <style>body{display:none}</style> [x]: javascript:window.__pwned=7
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's Chromium at /usr/bin/chromium")
def test_markdown_links_and_file_names_from_articles_stay_text(tmp_path):
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, CHROMIUM_ARGS, Watched, launch

    import qa
    from qa.engine import Engine

    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / EVIL_NAME).write_text(EVIL_ARTICLE, encoding="utf-8")
    Engine.build(tmp_path / "seeds", tmp_path / "index", progress=False)
    demo, url = launch(qa.load(tmp_path / "index"), examples=[])
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                watched = Watched(browser)
                page = watched.page
                page.goto(url, wait_until="load")
                answer = watched.ask("Cầu Ánh Trăng được khánh thành ngày nào?", 0)
                assert "15/4/2024" in answer.inner_text()
                nearest = watched.ask("Giá vàng hôm nay là bao nhiêu?", 1)  # abstains: nearest passages shown
                assert "Không tìm thấy" in nearest.inner_text()
                chat = page.locator("#qa-chat")
                nearest.locator("details.qa-nearest summary").click()  # the nearest passages, opened
                text = chat.inner_text()
                assert "[xem chi tiết](javascript:window.__pwned=2)" in text  # Markdown left as written
                answer.locator(".qa-quote .qa-ref").click()  # [1]: the sources panel, then the whole article
                page.locator("#qa-panel .qa-full").first.click()
                page.locator("#qa-panel .qa-doc").wait_for(state="visible")
                panel = page.locator("#qa-panel").inner_text()
                assert EVIL_NAME in panel  # the file name, shown as text
                assert "<iframe" in panel and "<svg" in panel  # the article's markup, shown as text
                assert page.locator("#qa-panel").locator("iframe, svg, style, script, object, embed, img").count() == 0
                page.locator("#qa-panel").get_by_role("button", name="Đóng").click()
                messages = chat.locator(".qa-a, .qa-q")  # what the app rendered (not Gradio's own icons)
                assert messages.count() == 4
                assert messages.locator("iframe, svg, style, script, object, embed, img").count() == 0
                assert chat.locator("img[src='x'], img[src*='beacon']").count() == 0
                hrefs = chat.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href') || '')")
                assert not [h for h in hrefs if h.strip().lower().startswith(("javascript", "data", "vbscript"))]
                page.wait_for_timeout(500)
                assert page.evaluate("window.__pwned") is None
                assert watched.dialogs == []
                assert page.locator("body").is_visible() and page.locator("#qa-input textarea").is_visible()
                assert not [u for u in watched.requests if "beacon" in u or "example.com" in u]
                assert watched.foreign_requests() == []
                watched.page.close()
            finally:
                browser.close()
    finally:
        demo.close()
