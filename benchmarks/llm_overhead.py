#!/usr/bin/env python
"""What hoi-dap adds to a language-model server's time to first token (target: <= 50 ms).

    python benchmarks/llm_overhead.py              # 40 runs per scenario, ~30 s
    python benchmarks/llm_overhead.py --runs 100 --json llm.json

The scripted server (tests/llm_server.py) runs in its own process and streams a fixed grounded reply
over the shipped index's article 003 (8 passages, ~4.6k characters of prompt). Each run, alternately,
a plain httpx client sends the same request body and reads the stream, and `LLMAnswerer.answer` does
the whole job (passages numbered, request built, SSE read in its worker thread, words extracted, quotes
verified). Both keep one connection open, as a serving process does. Measured from the call:
- first token: the server's first content reaching the caller (plain: the first `data:` line with content);
- first answer word: the first words of the answer given to `on_delta` (plain: the arrival of the chunk
  that holds them, known in advance from the scripted reply);
- checked answer: the verified result returned (plain: `[DONE]` read). Informative, no target.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from qa.llm import RESPONSE_FORMAT, LLMAnswerer, LLMConfig, VisibleText, build_messages  # noqa: E402
from qa.records import Article, Hit  # noqa: E402

TARGET_MS = 50.0
ARTICLE = "003_b6d49fa98f0d9187"
QUESTION = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
REPLY = {"status": "answered", "claims": [
    {"passage": 1, "quote": "Quyết định 2200-QĐ/TU ngày 25/5/2017 của Thành ủy Hà Nội",
     "text": "Quyết định 2200-QĐ/TU được Thành ủy Hà Nội ban hành ngày 25/5/2017."},
    {"passage": 2, "quote": "Ngay sau khi Quyết định 2200-QĐ/TU ban hành, Quận ủy Bắc Từ Liêm đã kịp thời xây dựng "
                            "và ban hành Kế hoạch số 85-KH/QU",
     "text": "Sau đó Quận ủy Bắc Từ Liêm ban hành Kế hoạch số 85-KH/QU để thực hiện."}]}
# (name, seconds before the first byte, seconds between chunks)
SCENARIOS = (("instant server", 0.0, 0.0), ("100 ms to first token, 5 ms/chunk", 0.1, 0.005))
CHUNK = 6


def passages() -> tuple[list[Hit], dict[str, Article]]:
    article = next(Article(**r) for r in map(json.loads, (REPO / "index" / "articles.jsonl").open(encoding="utf-8"))
                   if r["id"] == ARTICLE)
    chunks = [r for r in map(json.loads, (REPO / "index" / "chunks.jsonl").open(encoding="utf-8"))
              if r["article_id"] == ARTICLE][:8]
    hits = [Hit(source=c["source"], title=c["title"], published=c["published"], outlet=c["outlet"], text=c["text"],
                score=1.0, start=c["start"], end=c["end"], article_id=ARTICLE, chunk_id=c["id"]) for c in chunks]
    return hits, {ARTICLE: article}


def first_visible_chunk(content: str) -> int:
    """Which streamed content chunk (0-based) first holds answer words."""
    visible = VisibleText()
    pieces = [content[i:i + CHUNK] for i in range(0, len(content), CHUNK)]
    return next(n for n, piece in enumerate(pieces) if visible.feed(piece))


def plain_run(client: httpx.Client, url: str, body: dict, visible_at: int) -> dict:
    started = time.perf_counter()
    first = word = done = None
    n = 0
    with client.stream("POST", url, json=body) as response:
        for line in response.iter_lines():  # to the end of the body, so the connection is kept
            if not line.startswith("data:") or done:
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                done = time.perf_counter()
            elif json.loads(data)["choices"][0]["delta"].get("content"):
                first = first or time.perf_counter()
                if n == visible_at:
                    word = time.perf_counter()
                n += 1
    return {"first token": first - started, "first answer word": word - started, "checked answer": done - started}


def project_run(answerer: LLMAnswerer, hits, articles) -> dict:
    started = time.perf_counter()
    word = []
    result = answerer.answer(QUESTION, hits, articles,
                             on_delta=lambda _: word or word.append(time.perf_counter()))
    done = time.perf_counter()
    assert result.status == "answered" and len(result.verified) == 2, result
    return {"first token": result.ttft, "first answer word": word[0] - started, "checked answer": done - started}


def scenario(name: str, delay: float, token_delay: float, runs: int, hits, articles) -> dict:
    content = json.dumps(REPLY, ensure_ascii=False)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        f.write(content)
    server = subprocess.Popen([sys.executable, str(REPO / "tests" / "llm_server.py"), "--reply", f.name,
                               "--delay", str(delay), "--token-delay", str(token_delay), "--chunk", str(CHUNK)],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[-1]
        config = LLMConfig(url, model="scripted-model", timeout=30)
        body = {"model": "scripted-model", "stream": True, "temperature": 0.0, "max_tokens": config.max_tokens,
                "response_format": RESPONSE_FORMAT,
                "messages": build_messages(QUESTION, list(zip(hits, [articles[ARTICLE]] * len(hits))),
                                           mode="json_schema", nonce="0123abcd")}
        visible_at = first_visible_chunk(content)
        plain, ours = [], []
        with httpx.Client(timeout=30) as client, LLMAnswerer(config) as answerer:
            for _ in range(3):  # connections opened, code paths warm
                plain_run(client, config.endpoint, body, visible_at)
                project_run(answerer, hits, articles)
            for _ in range(runs):
                plain.append(plain_run(client, config.endpoint, body, visible_at))
                ours.append(project_run(answerer, hits, articles))
    finally:
        server.terminate()
        server.wait(10)
        Path(f.name).unlink()
    rows = []
    for measure in ("first token", "first answer word", "checked answer"):
        a = [r[measure] * 1000 for r in plain]
        b = [r[measure] * 1000 for r in ours]
        added = [y - x for x, y in zip(a, b)]
        rows.append({"scenario": name, "measure": measure, "plain_p50": statistics.median(a),
                     "ours_p50": statistics.median(b), "added_p50": statistics.median(added),
                     "added_p95": sorted(added)[min(len(added) - 1, int(0.95 * len(added)))],
                     "target": measure != "checked answer"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    hits, articles = passages()
    rows = [row for name, delay, token_delay in SCENARIOS
            for row in scenario(name, delay, token_delay, args.runs, hits, articles)]
    print(f"What hoi-dap adds to the scripted server's time to first token ({args.runs} runs each, ms; "
          f"target: added p50 <= {TARGET_MS:g} ms)")
    header = f"{'scenario':<36} {'measure':<18} {'plain p50':>9} {'hoi-dap p50':>11} {'added p50':>9} {'added p95':>9}"
    print(header)
    print("-" * len(header) + "-------")
    ok = True
    for r in rows:
        verdict = ("PASS" if r["added_p50"] <= TARGET_MS else "FAIL") if r["target"] else ""
        ok &= verdict != "FAIL"
        print(f"{r['scenario']:<36} {r['measure']:<18} {r['plain_p50']:>9.1f} {r['ours_p50']:>11.1f} "
              f"{r['added_p50']:>9.1f} {r['added_p95']:>9.1f}  {verdict}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
