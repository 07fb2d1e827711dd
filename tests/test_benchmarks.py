"""Smoke test of the benchmark suite: `benchmarks/run.py --quick` runs end to end in a real
subprocess and reports every section with sane numbers. No timing is asserted: the machine is
shared, and the benchmark's own targets are reported as PASS/FAIL rather than tested here."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LATENCIES = ("embed", "search", "ask", "added", "ask_added", "dense", "lexical")


def sane_latency(block: dict) -> None:
    for name in LATENCIES:
        figure = block[name]
        assert figure["n"] > 0, name
        assert 0 <= figure["p50"] <= figure["p95"] < 60_000, (name, figure)
    assert block["embed"]["p50"] > 0 and block["search"]["p50"] > 0 and block["ask"]["p50"] > 0


def rate(value) -> bool:
    return isinstance(value, (int, float)) and 0.0 <= value <= 1.0


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "bench.json"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "TMPDIR": str(tmp)}
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    assert not [p for p in tmp.iterdir() if p.name.startswith("hoi-dap-bench-")], "work dir left behind"
    return json.loads(out.read_text(encoding="utf-8")), proc.stdout


@pytest.mark.slow
def test_quick_run_prints_one_table_with_every_section(quick):
    data, stdout = quick
    for key in ("meta", "build", "seed", "incremental", "synthetic", "targets", "table"):
        assert key in data, key
    assert data["meta"]["quick"] is True and "serve" not in data  # the server is left out of --quick
    assert data["table"] in stdout
    for section in ("Index build", "Memory, start-up", "questions, seed index", "Warm latency", "Dense recall@10",
                    "Incremental qa index", "Targets"):
        assert section in data["table"], section
    assert "synthetic" in data["table"] and "real" in data["table"]  # says what is real and what is not


@pytest.mark.slow
def test_build_and_seed_sections_hold_sane_numbers(quick):
    data, _ = quick
    build = data["build"]
    assert build["articles"] == 2 and build["chunks"] > 0 and build["embedded"] == build["chunks"]
    timings = build["timings_s"]
    assert set(timings) >= {"clean_chunk", "embed", "index", "total"}
    assert 0 < timings["embed"] <= timings["total"] <= build["wall_s"]
    assert build["chunks_per_s"] > 0 and build["total_over_embed"] >= 1.0
    assert build["langchain"]["chunks"] > 0 and build["langchain"]["embed_s"] > 0

    seed = data["seed"]
    assert seed["chunks"] == build["chunks"]
    assert 0 < seed["rss_after_load_mb"] <= seed["rss_after_first_query_mb"] < 4096
    sane_latency(seed["latency"])
    ev = seed["eval"]
    assert ev["questions"] > ev["answerable"] > 0
    for key in ("recall_at_1", "recall_at_5", "mrr_at_10", "answer_accuracy"):
        assert rate(ev[key]), key
    for baseline in ("langchain", "bm25_baseline"):
        block = seed[baseline]
        assert rate(block["recall_at_1"]) and rate(block["recall_at_5"]) and rate(block["mrr_at_10"])
        assert block["recall_at_1"] <= block["recall_at_5"]
        assert 0 <= block["p50"] <= block["p95"]
    assert seed["bm25_check_max_abs_diff"] < 1e-4  # the synthetic BM25 matrix scores as bm25s does
    assert seed["profile_ask"]["per_question_ms"]["ask_total"] > 0


@pytest.mark.slow
def test_synthetic_sizes_report_recall_memory_and_latency(quick):
    data, _ = quick
    assert sorted(int(n) for n in data["synthetic"]) == [1_000, 5_000]
    for n, block in data["synthetic"].items():
        assert "error" not in block, block.get("error")
        assert block["size"] == int(n)
        dense = block["dense"]
        assert dense["kind"] == "flat"  # small sizes search exactly...
        assert dense["recall_at_10_synthetic"] >= 0.99 and dense["recall_at_10_real_queries"] >= 0.99  # ...so ~1.0
        profile = block["vector_profile"]
        assert 0.5 < profile["pair_cos"] < profile["nn_cos_held_out"] <= 1.0  # clustered, not uniform random
        assert block["bm25"]["stored_postings"] > 0 and block["bm25"]["vocabulary"] >= block["bm25"]["real_terms"]
        assert block["rss_mb"] > 0
        sane_latency(block["latency"])


@pytest.mark.slow
def test_incremental_index_embeds_only_what_changed(quick):
    data, _ = quick
    inc = data["incremental"]
    full = inc["full"]
    assert full["articles"] == 50 and full["embedded"] == full["chunks"] > 50
    assert inc["add_one"]["articles"] == 51 and inc["add_one"]["embedded"] > 0
    assert inc["change_paragraph"]["embedded"] >= 1
    assert inc["delete_one"]["articles"] == 50 and inc["delete_one"]["embedded"] == 0
    for step in ("add_one", "change_paragraph", "delete_one"):
        assert inc[step]["only_changed"], (step, inc[step])
        assert inc[step]["embedded"] < full["chunks"]


@pytest.mark.slow
def test_targets_are_reported_as_ratios_with_a_verdict(quick):
    data, stdout = quick
    names = [t["name"] for t in data["targets"]]
    assert len(names) == 4
    assert any("ask p95" in n for n in names) and any("search adds" in n for n in names)
    assert any("recall@10" in n for n in names) and any("build" in n for n in names)
    for target in data["targets"]:
        assert isinstance(target["pass"], bool) and math.isfinite(target["ratio"])
        # "search adds" is a difference of two medians measured in one loop (BM25 overlaps the query
        # embedding), so noise can make it a little negative; every other ratio is a quotient of positives
        if "search adds" not in target["name"]:
            assert target["ratio"] >= 0, target
    assert stdout.count("PASS") + stdout.count("FAIL") >= 4
