"""`qa serve`: load an index and serve the chat until SIGTERM or Ctrl+C, reloading the index when it is
rebuilt (qa/web/serving.py), with an optional login."""
from __future__ import annotations

import ipaddress
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..errors import QAError
from .app import build_app
from .chat import read_examples
from .serving import EngineHolder, IndexWatcher, drain

STOP_TIMEOUT = 30.0  # seconds SIGTERM waits for the questions in flight


# ---- serving ----------------------------------------------------------------------------------------------------
def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """'user:password' (or $QA_AUTH when auth is None) as a (user, password) pair; None for no login."""
    if auth is None:
        auth = os.environ.get("QA_AUTH") or None
    if auth is None:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise QAError("--auth / QA_AUTH must be user:password, e.g. --auth admin:secret")
    return user, password


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(index: str = "index", host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
          examples: str | None = None, reload_interval: float | None = None, reader: bool | str | Path = "search",
          llm: Any = None) -> None:
    """Load `index` and serve the chat on http://host:port until SIGTERM or Ctrl+C (what `qa serve` runs).

    The index is checked for a rebuild every `reload_interval` seconds ($QA_RELOAD_INTERVAL, default 3)
    and at once on SIGHUP. `examples` (or $QA_EXAMPLES) is a file of sample questions, one per line.
    `reader` and `llm` are `Engine.load`'s; a reloaded index keeps them.
    """
    from ..engine import Engine

    credentials = parse_auth(auth)
    examples = examples or os.environ.get("QA_EXAMPLES") or None
    samples = read_examples(examples) if examples else None
    try:
        interval = float(reload_interval if reload_interval is not None else os.environ.get("QA_RELOAD_INTERVAL", 3))
    except ValueError:
        raise QAError("QA_RELOAD_INTERVAL must be a number of seconds, e.g. 3") from None
    engine = Engine.load(index, reader=reader, llm=llm)
    warning = engine.staleness_warning()
    if warning:
        print(f"qa: warning: {warning}", file=sys.stderr)
    if not _is_loopback(host) and credentials is None:
        print(f"qa: warning: serving on {host} without a login; anyone who can reach it can use it "
              "(add --auth user:password)", file=sys.stderr)
    try:  # load the embedding model and the reader (which reads every answer) now rather than on the first question
        engine.ask("khởi động", k=1)
    except QAError:
        pass
    holder = EngineHolder(engine, index)
    demo = build_app(holder, examples=samples)
    try:
        _, url, _ = demo.launch(server_name=host, server_port=port, auth=credentials, prevent_thread_lock=True,
                                auth_message="Đăng nhập để dùng hoi-dap." if credentials else None,
                                show_error=False, quiet=True)
    except OSError as exc:  # e.g. the port is taken
        raise QAError(f"cannot serve on {host}:{port}: {exc}") from None
    watcher = IndexWatcher(holder, interval=max(0.5, interval))
    watcher.start()
    stop = threading.Event()

    def on_stop(*_):
        if stop.is_set():  # asked twice: stop now
            print("qa: stopped without waiting", flush=True)
            os._exit(1)
        stop.set()

    signals = {signal.SIGTERM: on_stop, signal.SIGINT: on_stop}
    if hasattr(signal, "SIGHUP"):
        signals[signal.SIGHUP] = lambda *_: watcher.wake()
    on_main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, handler) for sig, handler in signals.items()} if on_main else {}
    print(f"hoi-dap: serving {len(engine.articles)} articles from {index} on {url}"
          f"{' (login required)' if credentials else ''}; the index is reloaded when rebuilt; "
          "Ctrl+C or SIGTERM to stop", flush=True)
    if engine.llm is not None:  # the URL without user, password or query; never the key
        print(f"hoi-dap: answers from the language model at {engine.llm.config.display_url}"
              f"{f' ({engine.llm.config.model})' if engine.llm.config.model else ''}, each quote checked against "
              "its article; the extractive answer when it cannot be", flush=True)
    try:
        while not stop.wait(0.5):
            pass
        print("qa: stopping: finishing the questions in flight…", flush=True)
        finished = drain(demo, demo.guard, STOP_TIMEOUT)
        if not finished:
            print(f"qa: warning: questions still in flight after {STOP_TIMEOUT:.0f}s; stopping anyway", flush=True)
    finally:
        watcher.stop()
        demo.close(verbose=False)
        if holder.engine.llm is not None:  # one answerer for every index the server loaded
            holder.engine.llm.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("qa: stopped", flush=True)
