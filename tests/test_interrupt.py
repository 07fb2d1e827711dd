"""Nothing is lost: `qa index` killed at any point, or run twice at once, leaves a loadable, correct index.

Every build here is a real `python -m qa index` subprocess. The index it rebuilds is a copy of a
known one; after the kill the copy must be byte-for-byte the previous index and answer the same.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock
from conftest import ALPHA, ALPHA_TITLE, BETA, INDEX, SEEDS

import qa
from qa.index import store
from qa.ingest.corpus import read_corpus
from qa.engine import Engine

CANONICAL = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
EDIT = ("các hoạt động văn hóa vào cuối tuần", "các giải thể thao vào cuối tuần")
EDIT_QUESTION = "giải thể thao cuối tuần quanh hồ"
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}

pytestmark = pytest.mark.slow


# ---- helpers ----------------------------------------------------------------------------------------

def snapshot(folder: Path) -> dict[str, str]:
    """Every file of an index folder and its hash."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def answer_of(index: Path, question: str = CANONICAL) -> tuple:
    answer = qa.load(index).ask(question)
    return answer.text, answer.span, [(h.source, h.start, h.end) for h in answer.citations]


# `python -m qa` with one addition: it touches a marker file when the build asks for the index lock.
ANNOUNCING_QA = """
import pathlib, sys
import filelock
_acquire = filelock.BaseFileLock.acquire
def acquire(self, *args, **kwargs):
    pathlib.Path(sys.argv[1]).touch()
    return _acquire(self, *args, **kwargs)
filelock.BaseFileLock.acquire = acquire
from qa.cli import main
sys.exit(main(sys.argv[2:]))
"""


def start_build(seeds: Path, index: Path, log: Path, *extra: str, announce: Path | None = None) -> subprocess.Popen:
    """A real `qa index` subprocess; with `announce`, it touches that file when it reaches the build lock."""
    command = [sys.executable, "-m", "qa"] if announce is None else [sys.executable, "-c", ANNOUNCING_QA, str(announce)]
    with open(log, "wb") as err:
        # Ctrl+C as in a terminal: a shell starts background jobs (`pytest … &`, nohup) with SIGINT ignored, and
        # a Python started with it ignored never raises KeyboardInterrupt; the build must get the default
        return subprocess.Popen([*command, "index", "--seeds", str(seeds), "--index", str(index), *extra],
                                cwd=index.parent, env=ENV, stdout=subprocess.PIPE, stderr=err,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    if proc.stdout:
        proc.stdout.close()


def wait_for(predicate, proc: subprocess.Popen, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"the build ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout:.0f}s")
        time.sleep(interval)


def synthetic_corpus(folder: Path, articles: int = 6, sentences: int = 27, seed: int = 2200) -> Path:
    """Articles made of real sentences from seeds/, shuffled: ~11 chunks each, nothing the index already has."""
    pool = []
    for article in read_corpus(SEEDS)[0]:
        for paragraph in article.text.split("\n\n")[1:]:
            pool += [s for s in re.split(r"(?<=[.!?])\s+", paragraph) if len(s.split()) >= 8]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(articles):
        picked = rng.sample(pool, sentences)
        body = "\n\n".join(" ".join(picked[j:j + 3]) for j in range(0, sentences, 3))
        (folder / f"{900 + i}_tong_hop.txt").write_text(
            f"Bài tổng hợp số {i + 1} về công tác dân vận và dân chủ ở cơ sở\n\n{body}\n", encoding="utf-8")
    return folder


@pytest.fixture
def previous(tmp_path):
    """A copy of the committed index (the one being rebuilt), with what it holds and answers now."""
    index = tmp_path / "index"
    shutil.copytree(INDEX, index)
    return index, snapshot(index), answer_of(index)


def assert_is_the_previous_index(previous) -> None:
    index, files, answer = previous
    assert snapshot(index) == files  # byte for byte: manifest, records, vectors, BM25
    assert answer_of(index) == answer
    assert answer[1] == "25/5/2017"
    assert leftovers(index.parent) == []
    lock = FileLock(str(index.parent / f".{index.name}.lock"))
    lock.acquire(timeout=5)  # a killed build does not keep the next one waiting
    lock.release()


# ---- killed rebuilds -----------------------------------------------------------------------------------

def test_kill_right_after_start(previous, tmp_path):
    big = synthetic_corpus(tmp_path / "big")
    proc = start_build(big, previous[0], tmp_path / "err.log")
    try:
        time.sleep(0.3)  # still importing
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        stop(proc)
    assert_is_the_previous_index(previous)


def test_kill_mid_embedding_keeps_the_previous_index(previous, tmp_path):
    big = synthetic_corpus(tmp_path / "big")
    log = tmp_path / "err.log"
    proc = start_build(big, previous[0], log)
    try:
        # tqdm prints "embedding:  0%| 0/66" at once, then "16/66" when the first batch of vectors is done
        wait_for(lambda: re.search(r"embedding:.*\b(1[6-9]|[2-9]\d)/\d+", log.read_text(errors="replace")),
                 proc, timeout=120, what="embedding progress")
        total = int(re.search(r"embedding:.*?/(\d+)", log.read_text(errors="replace")).group(1))
        assert total >= 48, "the corpus must take several batches to embed"
        # a reader meanwhile still gets the previous index
        assert answer_of(previous[0]) == previous[2]
        assert proc.poll() is None, "the build must still be embedding when it is killed"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        stop(proc)
    assert_is_the_previous_index(previous)


def test_ctrl_c_mid_embedding_is_one_line_and_keeps_the_previous_index(previous, tmp_path):
    big = synthetic_corpus(tmp_path / "big")
    log = tmp_path / "err.log"
    proc = start_build(big, previous[0], log)
    try:
        wait_for(lambda: "embedding:" in log.read_text(errors="replace"), proc, timeout=120, what="embedding progress")
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    finally:
        stop(proc)
    err = log.read_text(errors="replace")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.count("qa: interrupted\n") == 1 and "qa: error" not in err  # (tqdm redraws its bar around it)
    assert_is_the_previous_index(previous)


def _tiny_rebuild(tiny_index, root: Path) -> tuple[Path, Path]:
    """A copy of the tiny index and seeds with one paragraph of alpha edited (a real, short rebuild)."""
    index = root / "index"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copytree(tiny_index[1], index)
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / "alpha.txt").write_text(ALPHA.replace(*EDIT), encoding="utf-8")
    (seeds / "beta.txt").write_text(BETA, encoding="utf-8")
    return seeds, index


def kill_while_writing(tiny_index, root: Path, attempts: int = 8):
    """Run tiny rebuilds until one is caught writing its temporary folder; SIGKILL it there.

    Returns (seeds, index, manifest before, name of the temporary folder left), or None if no
    attempt was caught in the act (the write takes tens of milliseconds; polling is every 0.5 ms).
    """
    for _ in range(attempts):
        seeds, index = _tiny_rebuild(tiny_index, root)
        before = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
        proc = start_build(seeds, index, root / "err.log", "--quiet")
        caught = None
        try:
            while proc.poll() is None:
                tmp = [n for n in os.listdir(root) if ".tmp-" in n]
                if tmp:
                    proc.send_signal(signal.SIGSTOP)  # frozen mid-write; now look again
                    still = [n for n in os.listdir(root) if ".tmp-" in n]
                    caught = still[0] if still else None
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.0005)
        finally:
            stop(proc)
        if caught:
            return seeds, index, before, caught
    return None


def test_kill_while_writing_leaves_a_loadable_index(tiny_index, tmp_path):
    killed = kill_while_writing(tiny_index, tmp_path / "w")
    if killed is None:
        pytest.skip("no build was caught while writing its temporary folder")
    seeds, index, before, _ = killed
    engine = qa.load(index)  # hashes and row counts all check out
    assert engine.manifest == before  # the swap had not happened: the previous index
    assert engine.search(ALPHA_TITLE, k=1)[0].title == ALPHA_TITLE
    assert all(EDIT[1] not in c.text for c in engine.chunks)
    # and the next build just works
    report = Engine.build(seeds, index, progress=False)
    assert report.articles == 2
    assert EDIT[1] in qa.load(index).search(EDIT_QUESTION, k=1)[0].text


def test_a_build_after_a_killed_one_leaves_no_temporary_folder(tiny_index, tmp_path):
    killed = kill_while_writing(tiny_index, tmp_path / "w")
    if killed is None:
        pytest.skip("no build was caught while writing its temporary folder")
    seeds, index, _, tmp_name = killed
    assert (index.parent / tmp_name).is_dir()
    Engine.build(seeds, index, progress=False)
    assert leftovers(index.parent) == []


# ---- readers and writers at once -------------------------------------------------------------------------

def _embedded(stdout: str) -> int:
    match = re.search(r"\((\d+) embedded, (\d+) reused", stdout)
    assert match, stdout
    return int(match.group(1))


def _unembedded(seeds: Path, index: Path) -> int:
    """How many chunks of `seeds` have no vector in `index` yet (what a build from it must embed)."""
    from qa.ingest.chunk import chunk_article, embedding_text
    from qa.settings import DEFAULT_MODEL, Settings

    have = set(store.load(index).embed_hashes)
    texts = {embedding_text(c) for a in read_corpus(seeds)[0] for c in chunk_article(a, Settings())}
    return len({hashlib.sha256(f"{DEFAULT_MODEL}\0{t}".encode()).hexdigest()[:24] for t in texts} - have)


def test_two_rebuilds_at_once_are_serialised(tiny_index, tmp_path):
    """Two `qa index` into one folder at the same moment, from two seed folders that share an edited article.

    The test holds the lock until both builds wait on it, then lets them race. The lock makes one wait
    for the other: the edited chunk is embedded once (the second build reuses it from the first's
    index), both succeed, and the final index is wholly one of the two builds.
    """
    seeds_a, index = _tiny_rebuild(tiny_index, tmp_path / "w")
    seeds_b = tmp_path / "w" / "seeds_b"
    shutil.copytree(seeds_a, seeds_b)
    synthetic_corpus(seeds_b, articles=1, sentences=6, seed=7)  # plus a short third article
    new_chunks = _unembedded(seeds_b, index)
    assert new_chunks >= 2
    held = FileLock(str(index.parent / f".{index.name}.lock"))
    held.acquire(timeout=10)  # hold the builds' lock until both wait on it: they overlap for sure
    procs = []
    try:
        markers = [tmp_path / f"at_lock_{i}" for i in range(2)]
        procs = [start_build(seeds, index, tmp_path / f"err_{i}.log", "--quiet", announce=marker)
                 for i, (seeds, marker) in enumerate(zip((seeds_a, seeds_b), markers))]
        deadline = time.monotonic() + 60
        while not all(marker.exists() for marker in markers):
            assert all(proc.poll() is None for proc in procs), "a build ended before reaching the lock"
            assert time.monotonic() < deadline, "the builds never reached the lock"
            time.sleep(0.05)
        time.sleep(0.3)
        assert all(proc.poll() is None for proc in procs)  # both are waiting on the lock
        held.release()
        outs = [proc.communicate(timeout=180)[0].decode() for proc in procs]
    finally:
        if held.is_locked:
            held.release()
        for proc in procs:
            stop(proc)
    errs = [(tmp_path / f"err_{i}.log").read_text() for i in range(2)]
    assert [proc.returncode for proc in procs] == [0, 0], errs
    assert errs == ["", ""]
    # Serialised: each new chunk was embedded by exactly one of the two builds (unserialised, both
    # would have started from the previous index and embedded the edited alpha chunks twice).
    assert sum(_embedded(out) for out in outs) == new_chunks
    # The final index is one build's, whole and consistent.
    engine = qa.load(index)
    manifest = engine.manifest
    winner = Path(manifest["seeds"])
    assert winner in (seeds_a, seeds_b)
    assert manifest["seed_files"] == store.seed_hashes(winner)
    assert {f"{a}.txt" for a in engine.articles} == set(manifest["seed_files"])
    assert EDIT[1] in engine.search(EDIT_QUESTION, k=1)[0].text
    assert leftovers(index.parent) == []


def test_a_reader_during_the_swap_does_not_break_the_build(tiny_index, tmp_path, monkeypatch):
    """The exact interleaving of a `qa ask` (or a server starting) with a build's swap, made deterministic."""
    seeds, index = _tiny_rebuild(tiny_index, tmp_path / "w")
    real_rename = os.rename
    seen = []

    def rename(src, dst):
        real_rename(src, dst)
        if ".old-" in str(dst) and not seen:  # the old index was just parked; the new one is not in yet
            try:  # a reader opens the index right now
                seen.append(("answered", qa.load(index).search(ALPHA_TITLE, k=1)[0].title))
            except Exception as exc:  # noqa: BLE001
                seen.append(("failed", f"{type(exc).__name__}: {exc}"))

    monkeypatch.setattr(store.os, "rename", rename)
    try:
        Engine.build(seeds, index, progress=False)
    except OSError as exc:
        pytest.fail(f"the build crashed: {exc}")
    finally:
        monkeypatch.undo()
    assert seen == [("answered", ALPHA_TITLE)]  # the reader got the old index or the new one, not an error
    assert EDIT[1] in qa.load(index).search(EDIT_QUESTION, k=1)[0].text  # the new index is in place
    assert leftovers(index.parent) == []
