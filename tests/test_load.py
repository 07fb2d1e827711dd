"""Load: 50 users chatting at once with a real `qa serve`, and memory over 1,000 questions.

Timings are printed (and written to tests/artifacts/load.json for docs/robustness.md), never asserted:
this 2-core machine runs other work too. What is asserted: every reply is correct, nothing errors,
everything finishes inside a bounded time, and memory does not grow without bound.
"""
from __future__ import annotations

import gc
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # gradio_client: no telemetry

import pytest  # noqa: E402
from conftest import INDEX, REPO, stop_server  # noqa: E402

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "tests" / "artifacts"
USERS = 50
QUESTIONS_PER_USER = 2
OVERALL_TIMEOUT_S = 120

# Questions the answer model answers (or refuses) with a wide margin -- this file tests load, not quality
# (tests/test_answer.py REGRESSION lists them with their margins): name -> question, answer, source file.
KNOWN = [
    ("plan-date", "Kế hoạch 74-KH/BDVTU-BCSĐUBNDTP được ban hành ngày nào?", "31/01/2019", "000_4b78a9e627b5555f.txt"),
    ("teams", "Ban Chỉ đạo thành phố thành lập mấy đoàn kiểm tra?", "3", "004_0391796bac9d7ee8.txt"),
    ("dialogues", "Bao nhiêu hội nghị đối thoại định kỳ được Bắc Từ Liêm tổ chức trong 5 năm?", "76",
     "003_b6d49fa98f0d9187.txt"),
    ("leader", "Ai dẫn đầu đoàn kiểm tra Cụm thi đua 3?", "Trương Quốc Lâm", "001_7118564227fe64c7.txt"),
    ("author", "Who wrote the article about Bắc Từ Liêm's dialogue conferences?", "Đặng Trang",
     "003_b6d49fa98f0d9187.txt"),
    ("off-topic", "Giá vàng hôm nay là bao nhiêu?", None, None),  # unanswerable: the reply must refuse
]


def check_reply(reply: str, expected: str | None, source: str | None) -> None:
    assert isinstance(reply, str), reply
    if expected is None:
        assert reply.startswith("Không tìm thấy") and "Các đoạn gần nhất:" in reply, reply[:200]
        return
    answer, _, sources = reply.partition("\n\nNguồn:\n")
    assert expected in answer and "[1]" in answer, reply[:300]
    assert sources.startswith("[1] ") and source in sources.splitlines()[0], reply[:300]


def record(name: str, numbers: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "load.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = numbers
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{name}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`qa serve` in a real subprocess on a free loopback port: (url, psutil.Process)."""
    import psutil
    from test_app import free_port, wait_for_port

    log = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {**os.environ, "QA_AUTH": "", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONIOENCODING": "utf-8"}
    with open(log / "out.log", "wb") as out, open(log / "err.log", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--index", str(INDEX), "--port", str(port)],
                                cwd=REPO, env=env, stdout=out, stderr=err)
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/", psutil.Process(proc.pid), log
    finally:
        stop_server(proc)


def test_50_users_chatting_at_once(server):
    from gradio_client import Client

    url, process, log = server
    warm = Client(url, verbose=False)
    check_reply(warm.predict(KNOWN[0][1], api_name="/chat"), *KNOWN[0][2:])
    alone = []  # one user alone: the baseline the concurrent latencies compare with
    for _, question, expected, source in KNOWN:
        t0 = time.perf_counter()
        check_reply(warm.predict(question, api_name="/chat"), expected, source)
        alone.append(time.perf_counter() - t0)
    warm.close()
    rss_before = process.memory_info().rss

    start = threading.Barrier(USERS + 1, timeout=OVERALL_TIMEOUT_S)
    latencies: list[float] = []
    connect_times: list[float] = []
    lock = threading.Lock()

    def user(n: int) -> list[tuple[str, str]]:
        t0 = time.perf_counter()
        try:
            client = Client(url, verbose=False)
        except BaseException:
            start.abort()  # nobody waits for a user who never connected
            raise
        with lock:
            connect_times.append(time.perf_counter() - t0)
        try:
            start.wait()  # everyone asks at the same moment
            replies = []
            for i in range(QUESTIONS_PER_USER):
                qid, question, *_ = KNOWN[(n + i) % len(KNOWN)]
                t1 = time.perf_counter()
                reply = client.predict(question, api_name="/chat")
                with lock:
                    latencies.append(time.perf_counter() - t1)
                replies.append((qid, reply))
            return replies
        finally:
            client.close()

    deadline = time.monotonic() + OVERALL_TIMEOUT_S
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        futures = [pool.submit(user, n) for n in range(USERS)]
        start.wait()
        began = time.perf_counter()
        done, not_done = wait(futures, timeout=max(1.0, deadline - time.monotonic()))
        wall = time.perf_counter() - began
        for future in not_done:
            future.cancel()
    assert not not_done, f"{len(not_done)} users still waiting after {OVERALL_TIMEOUT_S}s"
    by_id = {qid: (expected, source) for qid, _, expected, source in KNOWN}
    answered = 0
    for future in futures:
        for qid, reply in future.result():  # re-raises any client error
            check_reply(reply, *by_id[qid])
            answered += 1
    assert answered == USERS * QUESTIONS_PER_USER
    err = (log / "err.log").read_text(errors="replace")
    assert "Traceback" not in err and "answering" not in err, err[-2000:]

    rss_after = process.memory_info().rss
    record("concurrent_chat", {
        "single_user_median_s": round(statistics.median(alone), 3),
        "users": USERS, "questions": answered, "wall_s": round(wall, 2),
        "throughput_qps": round(answered / wall, 2),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p95_s": round(percentile(latencies, 0.95), 3),
        "latency_max_s": round(max(latencies), 3),
        "connect_p95_s": round(percentile(connect_times, 0.95), 3),
        "server_rss_before_mb": round(rss_before / 1e6, 1), "server_rss_after_mb": round(rss_after / 1e6, 1),
    })


def test_memory_stays_flat_over_1000_questions(engine):
    import psutil

    from qa.engine import MAX_QUESTION_CHARS

    words = ("quyết định ban hành ngày nào dân vận thành ủy hà nội đối thoại nhân dân quận bắc từ liêm bao nhiêu "
             "hội nghị ai chủ tịch năm 2019 2020 2024 công tác cơ sở quy chế dân chủ when who how many issued "
             "tp.hcm đoàn công tác mặt trận tổ quốc 137 5.000 xvii").split()
    rng = random.Random(1000)
    known = [q for _, q, _, _ in KNOWN]
    questions = []
    for i in range(1100):  # varied: known questions, shuffled word salads, odd ones; all different
        if i % 10 == 0:
            questions.append(f"{known[i // 10 % len(known)]} ({i})")
        elif i % 10 == 5:
            questions.append(("😀 <b>x</b> " + " ".join(rng.sample(words, 5)) + f" {i}")[:MAX_QUESTION_CHARS])
        else:
            questions.append(" ".join(rng.sample(words, rng.randint(3, 12))) + f" {i}?")
    assert len(set(questions)) == len(questions)

    process = psutil.Process()
    for question in questions[:100]:  # warm-up: model, caches, allocator
        engine.ask(question)
    gc.collect()
    rss_before = process.memory_info().rss
    t0 = time.perf_counter()
    for question in questions[100:]:
        answer = engine.ask(question)
        assert answer.text
    elapsed = time.perf_counter() - t0
    gc.collect()
    rss_after = process.memory_info().rss
    growth_mb = (rss_after - rss_before) / 1e6
    record("memory_1000_questions", {
        "questions": 1000, "rss_before_mb": round(rss_before / 1e6, 1), "rss_after_mb": round(rss_after / 1e6, 1),
        "growth_mb": round(growth_mb, 1), "seconds": round(elapsed, 1),
        "per_question_ms": round(1000 * elapsed / 1000, 1),
    })
    assert growth_mb < 50, f"RSS grew {growth_mb:.1f} MB over 1,000 questions"
