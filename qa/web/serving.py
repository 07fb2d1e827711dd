"""What `qa serve` puts around the chat: a guard in front of Gradio, index reloading, a graceful stop.

- `RequestGuard` (ASGI middleware): request bodies over 64 KB are refused with 413 before they are
  read whole; calls to functions or endpoints that do not exist, or with unknown keywords, are 4xx
  instead of a traceback; anything that still fails is one log line and a 500; the page says
  lang="vi"; while the server stops, new work is refused with 503.
- `EngineHolder` + `IndexWatcher`: the manifest of the served index is checked every few seconds
  (and on SIGHUP); a new index is loaded beside the old one and swapped in with one assignment, so a
  request runs on one index from start to end.
- `drain`: finish what is in flight (bounded), then close.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Engine

log = logging.getLogger("qa.serve")

def _max_body() -> int:
    """Bytes a request body may have: 64 KB (a question is at most 4,000 characters and everything the
    page sends fits), or $QA_MAX_BODY_KB kilobytes."""
    import os

    try:
        return max(1, int(os.environ.get("QA_MAX_BODY_KB", "64"))) * 1024
    except ValueError:
        return 64 * 1024


API = "/gradio_api"
_WORK = re.compile(rf"^{API}/(?:queue/join|call/|run/|api/|component_server|upload)")
_LONG_LIVED = re.compile(rf"^{API}/(?:queue/data|heartbeat/|stream/|call/[^/]+/[^/]+$)")
_NAMED = re.compile(rf"^{API}/(call/v2|call|run|api)/([^/]+)/?$")
_RESULT = re.compile(rf"^{API}/call/(?:v2/)?([^/]+)/[^/]+/?$")  # GET: the result stream of a call


# ---- the served index ----------------------------------------------------------------------------
class EngineHolder:
    """The engine being served; `check()` swaps in a rebuilt index. Read `.engine` once per request."""

    def __init__(self, engine: Engine, index_dir: str | Path | None = None):
        self.engine = engine
        self.generation = 1
        self.index_dir = Path(index_dir) if index_dir is not None else getattr(engine, "index_dir", None)
        self._lock = threading.Lock()
        self._signature = self._stat()
        self._digest = self._hash()
        self._failed: tuple | None = None
        self._chunks: tuple[int, dict[str, int]] | None = None

    def _manifest(self) -> Path | None:
        return self.index_dir / "manifest.json" if self.index_dir is not None else None

    def _stat(self) -> tuple | None:
        path = self._manifest()
        try:
            st = path.stat() if path is not None else None
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size) if st else None

    def _hash(self) -> str | None:
        path = self._manifest()
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else None
        except OSError:
            return None

    def chunks_per_article(self) -> dict[str, int]:
        """Passages per article of the current engine (computed once per index)."""
        cached = self._chunks
        if cached is None or cached[0] != self.generation:
            counts: dict[str, int] = {}
            for chunk in self.engine.chunks:
                counts[chunk.article_id] = counts.get(chunk.article_id, 0) + 1
            cached = self._chunks = (self.generation, counts)
        return cached[1]

    def check(self, force: bool = False) -> bool:
        """Load the index again when its manifest changed (or when forced); True when a new one is in."""
        if self.index_dir is None:
            return False
        with self._lock:
            signature = self._stat()
            if signature is None or (signature == self._signature and not force):
                return False
            digest = self._hash()
            if digest == self._digest and not force:
                self._signature = signature  # touched, not rebuilt
                return False
            if (signature, digest) == self._failed and not force:
                return False
            try:
                engine = self._load()
            except Exception as exc:  # noqa: BLE001 - a half-written or broken index: keep serving the old one
                self._failed = (signature, digest)
                print(f"qa: warning: index {self.index_dir} changed but cannot be loaded ({exc}); "
                      "still serving the previous one", flush=True)
                return False
            self.engine = engine  # one assignment: a request that already read .engine keeps its index
            self.generation += 1
            self._signature, self._digest, self._failed = signature, digest, None
        counts = engine.manifest.get("counts", {})
        print(f"qa: index {self.index_dir} reloaded: {counts.get('articles', '?')} articles, "
              f"{counts.get('chunks', '?')} chunks", flush=True)
        return True

    def _load(self) -> Engine:
        from ..index import store
        from ..engine import Engine

        old = self.engine
        # the reader and the language model are the server's, not the index's: the new index gets them as they are
        kept = {"reader": getattr(old, "reader", None), "llm": getattr(old, "llm", None),
                "search_reader": getattr(old, "search_reader", None)}
        stored = store.load(self.index_dir)
        if stored.manifest["model"]["id"] == old.manifest["model"]["id"]:
            return Engine(stored, self.index_dir, old.embedder, **kept)  # same model: keep the loaded embedder
        engine = Engine.load(self.index_dir, reader=kept["reader"], llm=kept["llm"])
        engine.search_reader = kept["search_reader"]
        return engine


class IndexWatcher(threading.Thread):
    """Checks the served index every `interval` seconds, or at once after `wake()` (SIGHUP)."""

    def __init__(self, holder: EngineHolder, interval: float = 3.0):
        super().__init__(name="qa-index-watcher", daemon=True)
        self.holder = holder
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._forced = False

    def wake(self, force: bool = True) -> None:
        self._forced = self._forced or force
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            forced, self._forced = self._forced, False
            try:
                self.holder.check(force=forced)
            except Exception:  # noqa: BLE001 - the watcher must outlive any one bad check
                log.exception("checking the index failed")


# ---- the guard in front of Gradio ---------------------------------------------------------------------
@dataclass
class GuardState:
    """Shared between the middleware (built by Starlette) and the server that stops it."""

    blocks: Any = None
    max_body: int = field(default_factory=_max_body)
    draining: bool = False
    active: int = 0  # requests in flight, long-lived streams excepted
    _parameters: dict[str, tuple[set[str], set[str]]] | None = field(default=None, repr=False)

    def parameters(self, api_name: str) -> tuple[set[str], set[str]] | None:
        """(all, required) parameter names of a named endpoint; None when there is no such endpoint."""
        if self._parameters is None:
            found: dict[str, tuple[set[str], set[str]]] = {}
            try:
                info = self.blocks.get_api_info(all_endpoints=True)
                for name, endpoint in info.get("named_endpoints", {}).items():
                    params = endpoint.get("parameters", [])
                    found[name.lstrip("/")] = ({p["parameter_name"] for p in params if p.get("parameter_name")},
                                               {p["parameter_name"] for p in params
                                                if p.get("parameter_name") and not p.get("parameter_has_default")})
            except Exception:  # noqa: BLE001 - without the table, unknown keywords are left to Gradio
                return None
            self._parameters = found
        return self._parameters.get(api_name)

    def functions(self) -> dict:
        fns = getattr(self.blocks, "fns", None) or {}
        return fns if isinstance(fns, dict) else dict(enumerate(fns))

    def api_names(self) -> set[str]:
        return {fn.api_name for fn in self.functions().values() if getattr(fn, "api_name", None)}

    def by_name(self, api_name: str):
        return next((fn for fn in self.functions().values() if getattr(fn, "api_name", None) == api_name), None)

    @staticmethod
    def arity(fn, by_name: bool) -> set[int]:
        """How many values `data` may hold: one per input; called by name, the API's inputs alone will do
        (Gradio fills in the session state the API does not show)."""
        inputs = list(getattr(fn, "inputs", None) or [])
        shown = sum(1 for i in inputs if not getattr(i, "skip_api", False))
        return {len(inputs), shown} if by_name else {len(inputs)}


async def _send_json(send, status: int, message: str, close: bool = False) -> None:
    body = json.dumps({"detail": message}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class RequestGuard:
    """ASGI middleware: body limit, call validation, lang="vi", 503 while stopping, no tracebacks."""

    def __init__(self, app, state: GuardState):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope.get("path", ""), scope.get("method", "GET")
        state = self.state
        if state.draining and method == "POST" and _WORK.match(path):
            return await _send_json(send, 503, "Máy chủ đang dừng; hãy thử lại sau ít phút.", close=True)
        long_lived = method == "GET" and bool(_LONG_LIVED.match(path))
        if not long_lived:
            state.active += 1
        try:
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                length = dict(scope.get("headers") or []).get(b"content-length")
                try:
                    declared = int(length) if length is not None else None
                except ValueError:
                    return await _send_json(send, 400, "Content-Length không hợp lệ.", close=True)
                if declared is not None and declared > state.max_body:
                    return await self._too_large(send)
                body = await self._read(receive, state.max_body)
                if body is None:
                    return await self._too_large(send)
                problem = self._check_call(path, body)
                if problem is not None:
                    return await _send_json(send, *problem)
                receive = _replay(body, receive)
            elif method == "GET" and path in ("/", ""):
                send = _vietnamese_page(send)
            elif method == "GET" and (m := _RESULT.match(path)) and state.blocks is not None \
                    and m.group(1) not in state.api_names():
                return await _send_json(send, 404, f"Không có điểm cuối /{m.group(1)}.")
            await self._run(scope, receive, send, path, method)
        finally:
            if not long_lived:
                state.active -= 1

    async def _run(self, scope, receive, send, path, method):
        started = False

        async def tracking(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:  # noqa: BLE001 - one line in the log, not a 60-line traceback
            log.error("%s %s failed: %s: %s", method, path, type(exc).__name__, str(exc)[:200])
            if not started:
                await _send_json(send, 500, "Lỗi máy chủ khi xử lý yêu cầu này.")

    async def _too_large(self, send):
        await _send_json(send, 413, f"Yêu cầu quá lớn (tối đa {self.state.max_body // 1024} KB).", close=True)

    @staticmethod
    async def _read(receive, limit: int) -> bytes | None:
        """The whole body, or None as soon as it passes `limit` (the rest is never read)."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            piece = message.get("body", b"")
            size += len(piece)
            if size > limit:
                return None
            chunks.append(piece)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _check_call(self, path: str, body: bytes) -> tuple[int, str] | None:
        """A 4xx for a call Gradio would answer with a traceback: unknown function or endpoint, unknown keyword."""
        state = self.state
        named = _NAMED.match(path)
        if not (path.rstrip("/") == f"{API}/queue/join" or named) or state.blocks is None:
            return None
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return 400, "Nội dung yêu cầu không phải JSON hợp lệ."
        if not isinstance(data, dict):
            return 422, "Nội dung yêu cầu phải là một đối tượng JSON."
        if named and named.group(1) == "call/v2":  # keywords, not a data list
            if state.by_name(named.group(2)) is None:
                return 404, f"Không có điểm cuối /{named.group(2)}."
            return self._check_keywords(named.group(2), data)
        fn_index = data.get("fn_index")
        values = data.get("data")
        if "data" in data and not isinstance(values, list):
            return 422, "data phải là một danh sách."
        if fn_index is not None or not named:
            if isinstance(fn_index, bool) or not isinstance(fn_index, int):
                return 422, "fn_index phải là số nguyên của một hàm có trong ứng dụng."
            fn = state.functions().get(fn_index)
            if fn is None:
                return 404, f"Không có hàm số {fn_index}."
        else:
            fn = state.by_name(named.group(2))
            if fn is None:
                return 404, f"Không có điểm cuối /{named.group(2)}."
        allowed = state.arity(fn, by_name=fn_index is None)
        if isinstance(values, list) and len(values) not in allowed:
            need = " hoặc ".join(str(n) for n in sorted(allowed))
            return 422, f"Hàm này nhận {need} giá trị trong data (nhận được {len(values)})."
        return None

    def _check_keywords(self, name: str, data: dict) -> tuple[int, str] | None:
        params = self.state.parameters(name)
        if params is not None:
            names, required = params
            unknown = sorted(set(data) - names - {"oauth_token"})
            if unknown:
                return 422, f"Tham số không hợp lệ cho /{name}: {', '.join(unknown)} (có: {', '.join(sorted(names))})."
            missing = sorted(required - set(data))
            if missing:
                return 422, f"Thiếu tham số cho /{name}: {', '.join(missing)}."
        return None


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _vietnamese_page(send):
    """Rewrites the page's <html lang="en"> (and Gradio's English link preview text) on its way out."""
    start: dict | None = None
    chunks: list[bytes] = []

    async def rewriting(message):
        nonlocal start
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers") or [])
            if b"text/html" not in headers.get(b"content-type", b""):
                start = None
                return await send(message)
            start = message
            return None
        if start is None:
            return await send(message)
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return None
        page = b"".join(chunks).replace(b'lang="en"', b'lang="vi"', 1)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(page)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": page, "more_body": False})

    return rewriting


# ---- stopping ----------------------------------------------------------------------------------------------
def queue_busy(blocks) -> bool:
    """Whether Gradio's queue still holds events, runs jobs or has results to deliver."""
    queue = getattr(blocks, "_queue", None)
    if queue is None:
        return False
    try:
        if any(len(q.queue) for q in queue.event_queue_per_concurrency_id.values()):
            return True
        if any(job is not None for job in queue.active_jobs):
            return True
        for messages in list(queue.pending_messages_per_session.values()):
            if hasattr(messages, "empty") and not messages.empty():
                return True
    except Exception:  # noqa: BLE001 - Gradio internals moved: rely on the request count alone
        return False
    return False


def drain(blocks, state: GuardState, timeout: float = 30.0) -> bool:
    """Refuse new work, wait (at most `timeout` s) for what is in flight; True when nothing was left."""
    state.draining = True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state.active <= 0 and not queue_busy(blocks):
            time.sleep(0.3)  # the last results are on their way to the clients' streams
            if state.active <= 0 and not queue_busy(blocks):
                return True
        time.sleep(0.05)
    return False


__all__ = ["EngineHolder", "IndexWatcher", "GuardState", "RequestGuard", "drain", "queue_busy"]
