"""`qa serve` as a process: request limits, malformed calls, index reloading, a graceful stop.

Each server runs on a private copy of the index, its output in a log file that is checked for
tracebacks. Covers issue 14's server rows: a body limit before anything is read (3), a rebuilt index
swapped in while serving (4), SIGTERM with requests in flight (8), malformed calls (9).
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import INDEX, REPO, stop_server
from test_app import client, free_port, wait_for_port

import qa

pytestmark = pytest.mark.slow

QUESTION = "Tóm tắt bài viết về hội nghị đối thoại"  # answered without the answer model's scores


class Server:
    """`python -m qa serve` on a copy of the index, its stdout and stderr in one log file."""

    def __init__(self, tmp: Path, index: Path, **env: str):
        self.index = tmp / "index"
        shutil.copytree(index, self.index)
        self.port = free_port()
        self.log_path = tmp / "serve.log"
        self._log = open(self.log_path, "w", encoding="utf-8")
        environment = {**os.environ, "QA_AUTH": "", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1", **env}
        self.proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--index", str(self.index),
                                      "--port", str(self.port)], cwd=REPO, env=environment,
                                     stdout=self._log, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for_port(self.port, self.proc)
        except BaseException:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def post(self, path: str, body: bytes, headers: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        stop_server(self.proc, timeout=40)  # a graceful stop may wait up to qa.app.STOP_TIMEOUT (30 s)
        self._log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("served"), INDEX, QA_RELOAD_INTERVAL="1")
    yield running
    running.stop()


def read_reply(sock: socket.socket) -> str:
    """Everything the server sends until it closes the connection (a refused body closes it)."""
    chunks = []
    while True:
        try:
            piece = sock.recv(65536)
        except OSError:
            break
        if not piece:
            break
        chunks.append(piece)
    return b"".join(chunks).decode("utf-8", "replace")


def rss_mb(pid: int) -> float:
    psutil = pytest.importorskip("psutil")
    return psutil.Process(pid).memory_info().rss / 2**20


# ---- request bodies: refused before they are read ------------------------------------------------
def test_a_declared_huge_body_is_refused_at_once(server):
    before = rss_mb(server.proc.pid)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /gradio_api/call/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 314572800\r\n\r\n" + b"{" * 4096)  # says 300 MB, sends 4 KB
        reply = read_reply(sock)
        elapsed = time.monotonic() - started
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert elapsed < 2.0
    assert "tối đa 64 KB" in reply
    assert rss_mb(server.proc.pid) - before < 20


def test_a_chunked_body_over_the_limit_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /gradio_api/call/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        piece = b"a" * 16384
        try:
            for _ in range(8):  # 128 KB, in 16 KB chunks, no length announced
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        except OSError:
            pass  # the server may close the connection once it has answered
        reply = read_reply(sock)
    assert reply.startswith("HTTP/1.1 413"), reply[:200]


def test_a_huge_question_is_refused_by_size(server):
    status, body = server.post("/gradio_api/call/ask", json.dumps({"data": ["Hà Nội " * 20_000]}).encode())
    assert status == 413
    long_but_small = "xin chào " * 500  # 4,500 characters, 4.5 KB: reaches the app, refused before any cleaning
    from gradio_client.exceptions import AppError

    api = client(server.url)
    started = time.monotonic()
    with pytest.raises(AppError, match="quá dài"):
        api.predict(long_but_small, api_name="/ask")
    assert time.monotonic() - started < 5
    assert api.predict(QUESTION, api_name="/ask")["citations"]  # and the server is fine


# ---- malformed calls: 4xx, no traceback -----------------------------------------------------------------
@pytest.mark.parametrize("path,body,status", [
    ("/gradio_api/call/v2/ask", {"question": "x", "bogus": 1}, 422),  # an unknown keyword
    ("/gradio_api/call/v2/chat", {"mesage": "x"}, 422),
    ("/gradio_api/call/v2/ask", {}, 422),  # the question missing
    ("/gradio_api/call/nope", {"data": ["x"]}, 404),
    ("/gradio_api/run/nope", {"data": ["x"]}, 404),
    ("/gradio_api/call/v2/nope", {"question": "x"}, 404),
    ("/gradio_api/queue/join", {"data": ["x"], "fn_index": 999, "session_hash": "abc"}, 404),
    ("/gradio_api/queue/join", {"data": ["x"], "fn_index": -1, "session_hash": "abc"}, 404),
    ("/gradio_api/queue/join", {"data": ["x"], "session_hash": "abc"}, 422),  # no fn_index at all
    ("/gradio_api/queue/join", {"data": "x", "fn_index": 1, "session_hash": "abc"}, 422),
    ("/gradio_api/call/ask", {"data": []}, 422),  # too few values
    ("/gradio_api/call/ask", {"data": ["x"] * 20}, 422),  # too many
    ("/gradio_api/run/predict", {"data": [], "fn_index": 0, "session_hash": "abc"}, 422),
    ("/gradio_api/queue/join", {"data": [], "fn_index": 1, "session_hash": "abc"}, 422),
    ("/gradio_api/call/ask", b"{not json", 400),
    ("/gradio_api/call/ask", [1, 2], 422),
])
def test_malformed_calls_are_4xx_without_traceback(server, path, body, status):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    got, content = server.post(path, raw)
    assert got == status, (got, content[:300])
    assert b"Traceback" not in content
    time.sleep(0.2)
    assert "Traceback" not in server.log()


def test_unknown_routes_are_404_without_traceback(server):
    for method, path in (("GET", "/nope"), ("POST", "/gradio_api/nope"), ("GET", "/gradio_api/call/nope/123")):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request(method, path, body=b"{}" if method == "POST" else None)
        response = conn.getresponse()
        assert 400 <= response.status < 500, (method, path, response.status)
        response.read()
        conn.close()
    assert "Traceback" not in server.log()


# ---- a rebuilt index is swapped in -------------------------------------------------------------------------
def swap_in(served: Path, new: Path) -> None:
    """What `qa index` does to the folder: the new index renamed into place, the old one parked and removed."""
    staged = served.parent / f".{served.name}.tmp-test"
    shutil.copytree(new, staged)
    parked = served.parent / f".{served.name}.old-test"
    os.rename(served, parked)
    os.rename(staged, served)
    shutil.rmtree(parked)


def test_a_rebuilt_index_is_served_without_a_restart(server, tiny_index):
    api = client(server.url)
    before = api.predict(QUESTION, api_name="/ask")
    assert before["index"]["articles"] == 5
    _, tiny = tiny_index
    swap_in(server.index, tiny)
    deadline = time.monotonic() + 20
    reply = before
    while time.monotonic() < deadline:
        reply = api.predict("Tóm tắt bài viết về cầu đi bộ qua hồ Thiền Quang", api_name="/ask")
        if reply["index"]["articles"] == 2:
            break
        time.sleep(0.5)
    assert reply["index"] == {"articles": 2, "chunks": len(qa.load(tiny).chunks), "generation": 2}
    tiny_ids = set(qa.load(tiny).articles)
    assert reply["citations"] and {c["article_id"] for c in reply["citations"]} <= tiny_ids
    assert "reloaded: 2 articles" in server.log()
    assert "Traceback" not in server.log()


def test_a_broken_index_keeps_the_old_one(server):
    api = client(server.url)
    served = api.predict(QUESTION, api_name="/ask")["index"]
    (server.index / "manifest.json").write_text("{ broken", encoding="utf-8")
    deadline = time.monotonic() + 20  # the watcher (every 1 s) has tried the broken manifest
    while time.monotonic() < deadline and "cannot be loaded" not in server.log():
        time.sleep(0.5)
    reply = api.predict(QUESTION, api_name="/ask")
    assert reply["index"] == served and reply["citations"]
    assert "cannot be loaded" in server.log() and "Traceback" not in server.log()


# ---- SIGHUP and SIGTERM ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory):
    """A server that checks its index only when told to (SIGHUP); stopped by the SIGTERM test."""
    running = Server(tmp_path_factory.mktemp("quiet"), INDEX, QA_RELOAD_INTERVAL="3600")
    yield running
    running.stop()


def test_sighup_reloads_at_once(quiet_server, tiny_index):
    api = client(quiet_server.url)
    assert api.predict(QUESTION, api_name="/ask")["index"]["articles"] == 5
    _, tiny = tiny_index
    swap_in(quiet_server.index, tiny)
    time.sleep(1.5)
    assert api.predict(QUESTION, api_name="/ask")["index"]["articles"] == 5  # not checked on its own
    quiet_server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and api.predict(QUESTION, api_name="/ask")["index"]["articles"] != 2:
        time.sleep(0.3)
    assert api.predict(QUESTION, api_name="/ask")["index"]["articles"] == 2


def test_sigterm_finishes_the_requests_in_flight(quiet_server):
    clients = [client(quiet_server.url) for _ in range(20)]
    questions = [f"Tóm tắt bài viết về {'hội nghị đối thoại trực tiếp với nhân dân ' * 12} lần {i}" for i in range(20)]
    from gradio_client.utils import Status

    jobs = [c.submit(q, api_name="/ask") for c, q in zip(clients, questions)]
    deadline = time.monotonic() + 20  # every request has reached the server (joined its queue)
    while time.monotonic() < deadline and any(
            not job.done() and job.status().code in (Status.STARTING, Status.JOINING_QUEUE) for job in jobs):
        time.sleep(0.02)
    started = time.monotonic()
    quiet_server.proc.send_signal(signal.SIGTERM)
    unfinished = sum(1 for job in jobs if not job.done())
    results = [job.result(timeout=60) for job in jobs]
    code = quiet_server.proc.wait(timeout=45)
    stopped_in = time.monotonic() - started
    print(f"\nSIGTERM with {unfinished}/20 requests in flight: all answered, exit {code} after {stopped_in:.1f}s")
    assert unfinished > 0, "every request had finished before SIGTERM: nothing was in flight"
    assert code == 0
    assert [r["question"] for r in results] == [" ".join(q.split()) for q in questions]
    assert all(r["kind"] == "summary" and r["citations"] for r in results)
    assert stopped_in < 40
    log = quiet_server.log()
    assert "stopping" in log and "qa: stopped" in log and "Traceback" not in log
    with pytest.raises(OSError):  # and nothing listens any more
        socket.create_connection(("127.0.0.1", quiet_server.port), timeout=2).close()
