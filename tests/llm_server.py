"""A real OpenAI-compatible HTTP server on 127.0.0.1 that answers with scripted replies (no model).

    with ScriptedServer([Reply(content='{"status": "not_found", "claims": []}')]) as server:
        LLMAnswerer(LLMConfig(server.url)).answer(...)
        server.requests[0]["body"]["messages"]

`POST /v1/chat/completions` answers with the next scripted `Reply`: an SSE stream (chunked, one
`data:` event per few characters, then `data: [DONE]`) when the request asks `"stream": true`, else one
JSON body; a status other than 200 sends an OpenAI-style error. `GET /v1/models` lists the model.
`python tests/llm_server.py --reply FILE` serves FILE's text as every reply (the benchmark and hand
checks of the chat use it) and prints `listening on URL`.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "scripted-model"


@dataclass
class Reply:
    """One scripted answer."""

    content: str = ""  # the assistant message
    status: int = 200  # anything else: an error body {"error": {"message": content}}
    stream: bool | None = None  # None: as the request asks
    delay: float = 0.0  # seconds before the status line (a model loading, a slow server)
    token_delay: float = 0.0  # seconds between streamed chunks
    stall_after: int | None = None  # stop sending (but keep the connection) after this many chunks
    chunk: int = 6  # characters per streamed chunk
    headers: dict = field(default_factory=dict)  # extra response headers (Retry-After, ...)
    raw: str | None = None  # a body sent as it is, instead of a chat completion
    refusal: str | None = None  # an OpenAI-style message.refusal
    model: str = MODEL


class ScriptedServer:
    """Threads of a ThreadingHTTPServer on a free port; replies are taken in order (a 500 naming the
    problem once they run out, or the last again with `repeat_last`). `json_schema=False` plays a
    server that refuses `response_format`."""

    def __init__(self, replies=(), *, json_schema: bool = True, model: str = MODEL, repeat_last: bool = False):
        self.repeat_last = repeat_last
        self.replies: list[Reply] = list(replies)
        self.requests: list[dict] = []
        self.json_schema = json_schema
        self.model = model
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.scripted = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.replies.clear()
            self.requests.clear()
        self.json_schema = True

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers sleeping in a delay
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _next(self) -> Reply:
        with self._lock:
            if not self.replies:
                return Reply(status=500, content="the test scripted no further reply")
            if self.repeat_last and len(self.replies) == 1:
                return self.replies[0]
            return self.replies.pop(0)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as real servers do
    # TCP_NODELAY, as uvicorn (vLLM) and Go (Ollama) set it: with Nagle on, each small streamed chunk
    # waits for the client's delayed ACK (~40 ms on a kept-alive connection)
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # quiet: the tests read server.requests
        pass

    def handle(self):
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass  # a client that gave up or closed its connection

    @property
    def scripted(self) -> ScriptedServer:
        return self.server.scripted

    def do_GET(self):
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": self.scripted.model, "object": "model"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._json(404, {"error": {"message": f"no route {self.path}"}})
        try:
            body = json.loads(raw)
        except ValueError:
            return self._json(400, {"error": {"message": "body is not JSON"}})
        with self.scripted._lock:
            self.scripted.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if not self.scripted.json_schema and (body.get("response_format") or {}).get("type") == "json_schema":
            return self._json(400, {"error": {"message": "response_format type json_schema is not supported"}})
        reply = self.scripted._next()
        if reply.delay and self.scripted.stopping.wait(reply.delay):
            return
        try:
            self._answer(reply, bool(body.get("stream")) if reply.stream is None else reply.stream)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to do

    def _answer(self, reply: Reply, stream: bool) -> None:
        if reply.status != 200:
            return self._json(reply.status, {"error": {"message": reply.content, "code": reply.status}},
                              reply.headers)
        if reply.raw is not None:
            return self._send(200, reply.raw.encode(), "application/json", reply.headers)
        created = int(time.time())
        if not stream:
            message = {"role": "assistant", "content": reply.content}
            if reply.refusal is not None:
                message = {"role": "assistant", "content": None, "refusal": reply.refusal}
            return self._json(200, {"id": "chatcmpl-scripted", "object": "chat.completion", "created": created,
                                    "model": reply.model, "choices": [{"index": 0, "message": message,
                                                                       "finish_reason": "stop"}]}, reply.headers)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        key = "refusal" if reply.refusal is not None else "content"
        text = reply.refusal if reply.refusal is not None else reply.content
        pieces = [text[i:i + reply.chunk] for i in range(0, len(text), reply.chunk)]
        self._event({"role": "assistant", "content": ""}, reply.model, created)
        for n, piece in enumerate(pieces):
            if reply.stall_after is not None and n >= reply.stall_after:
                self.scripted.stopping.wait(3600)
                return
            if n and reply.token_delay and self.scripted.stopping.wait(reply.token_delay):
                return
            self._event({key: piece}, reply.model, created)
        self._event({}, reply.model, created, finish="stop")
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _event(self, delta: dict, model: str, created: int, finish: str | None = None) -> None:
        chunk = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": created, "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        self._chunk(b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json", headers or {})

    def _send(self, status: int, data: bytes, content_type: str, headers: dict) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reply", required=True, help="a file whose text is every reply's content")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply's first byte")
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds between streamed chunks")
    parser.add_argument("--chunk", type=int, default=6, help="characters per streamed chunk")
    args = parser.parse_args(argv)
    with open(args.reply, encoding="utf-8") as f:
        content = f.read()
    reply = Reply(content=content, delay=args.delay, token_delay=args.token_delay, chunk=args.chunk)
    with ScriptedServer([reply], repeat_last=True) as server:
        print(f"listening on {server.url}", flush=True)
        try:
            server.stopping.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
