#!/usr/bin/env python
"""The Milvus backend (Milvus Lite, embedded) against the local backend (FAISS + bm25s): recall@10 and
p50/p95 latency on the seed questions and on synthetic chunks, and whether the answers are the same.

    python benchmarks/milvus.py                    # seeds + 100k synthetic chunks
    python benchmarks/milvus.py --quick            # seeds + 5k synthetic chunks (~2 min)
    python benchmarks/milvus.py --sizes 20000 --json milvus.json

What is real and what is synthetic is as in benchmarks/run.py (benchmarks/README.md): the seed corpus,
the bundled e5 model, the 110 held-out questions (eval/news-holdout.jsonl) and their query vectors are
real; at N chunks the vectors (clustered Gaussian mixture around the real mean) and the BM25 term
lists (Zipf, fitted on the real terms) come from benchmarks/synthetic.py, and both backends get the
same ones: the synthetic BM25 matrix is split into the Milvus backend's sparse vectors (term-frequency
parts; idf from the same document frequencies, qa/lexicon.py).

Everything runs in this one process, Milvus Lite's server included (its gRPC server is threads of this
process, sharing the GIL and the two cores with the client): a latency here is Milvus Lite's, a
pure-Python engine for development, not a Milvus cluster's. Query vectors are computed once with the
bundled model; the latencies are what `search` and `ask` cost on top of embedding the question.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

import qa  # noqa: E402
from qa.index import store  # noqa: E402
from qa.embed import CachedQueries  # noqa: E402
from qa.engine import Engine, clean_question  # noqa: E402
from qa.index.lexical import B, K1  # noqa: E402
from run import rss_mb, summary  # noqa: E402

QUESTIONS = REPO / "eval" / "news-holdout.jsonl"
HELD_OUT = 200  # synthetic query vectors from the same mixture, for dense recall


def search_terms(question: str) -> list[str]:
    """The BM25 terms the engine searches for a question (from its analysis, qa/answer/question.py)."""
    from qa.answer.question import analyse
    from qa.engine import clean_question

    return list(analyse(clean_question(question)).search_terms)


def log(message: str) -> None:
    print(f"[milvus-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(fn, questions: list[str], repeats: int) -> dict:
    for q in questions:  # warm: caches, Milvus Lite's per-segment indexes
        fn(q)
    ms = []
    for _ in range(repeats):
        for q in questions:
            t0 = time.perf_counter()
            fn(q)
            ms.append(1000 * (time.perf_counter() - t0))
    return summary(ms)


def answer_key(a) -> tuple:
    return (a.text, a.span, a.abstained, a.confidence, [h.chunk_id for h in a.citations])


# ---- the seed corpus -------------------------------------------------------------------------------------

def seed_phase(work: Path, questions: list[str], vectors: dict, repeats: int) -> dict:
    for name in ("local", "milvus"):
        shutil.copytree(REPO / "index", work / name)
    Engine.build(REPO / "seeds", work / "local", progress=False)
    t0 = time.perf_counter()
    report = Engine.build(REPO / "seeds", work / "milvus", progress=False, backend="milvus")
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    milvus = qa.load(work / "milvus")
    open_s = time.perf_counter() - t0
    local = qa.load(work / "local")
    local.embedder = milvus.embedder = CachedQueries(local.embedder, vectors)
    out: dict = {"chunks": len(local.chunks), "milvus_build_s": round(build_s, 2), "written": report.written,
                 "embedded": report.embedded, "milvus_open_s": round(open_s, 2)}
    for mode in ("split", "hybrid"):
        milvus.backend.hybrid = mode == "hybrid"
        same_search = sum([h.chunk_id for h in local.search(q, k=10)] == [h.chunk_id for h in milvus.search(q, k=10)]
                          for q in questions)
        same_answers = sum(answer_key(local.ask(q)) == answer_key(milvus.ask(q)) for q in questions)
        out[mode] = {"same_top10": same_search, "same_answers": same_answers,
                     "search_ms": timed(lambda q: milvus.search(q, k=10), questions, repeats),
                     "ask_ms": timed(milvus.ask, questions, repeats)}
    milvus.backend.hybrid = False
    out["local"] = {"search_ms": timed(lambda q: local.search(q, k=10), questions, repeats),
                    "ask_ms": timed(local.ask, questions, repeats)}
    out["questions"] = len(questions)
    return out


# ---- Milvus's own BM25 function, for comparison -----------------------------------------------------------

def bm25_function_phase(work: Path, real, questions: list[str]) -> dict:
    """Could Milvus's BM25 function replace the project's own sparse vectors? Its analyzer has to give
    the project's terms, and its statistics have to be the collection's. Measured on the seed chunks
    against bm25s (the local backend), top-10 per held-out question:

    * raw: the chunk text through the "standard" analyzer (Milvus Lite has standard and jieba);
    * terms: the project's own terms, each written as one word-character token (a hash), so any
      analyzer keeps them, in one segment and split over two (Milvus Lite scores a segment with
      its own statistics)."""
    import hashlib

    from pymilvus import DataType, Function, FunctionType

    from qa.index.lexical import document_terms
    from qa.index.backends.milvus import Target, connect

    def token(term: str) -> str:
        return "t" + hashlib.blake2b(term.encode(), digest_size=8).hexdigest()

    docs = [(c.id, f"{c.title}\n{c.text}", " ".join(token(t) for t in document_terms(c.title, c.text)))
            for c in real.chunks]
    row_of = {c.id: i for i, c in enumerate(real.chunks)}
    reference = {q: real._stored.lexical.top(search_terms(q), 10)[0].tolist() for q in questions}
    client = connect(Target(str(work / "bm25fn.db"), "x"), create=True)
    out = {}
    for variant, field, segments in (("raw", 1, 1), ("terms", 2, 1), ("terms_two_segments", 2, 2)):
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                     output_field_names=["sparse"]))
        params = client.prepare_index_params()
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                         params={"bm25_k1": K1, "bm25_b": B})
        client.create_collection(variant, schema=schema, index_params=params)
        rows = [{"id": d[0], "text": d[field]} for d in docs]
        for part in np.array_split(np.arange(len(rows)), segments):
            client.insert(variant, [rows[i] for i in part])
            client.flush(variant)
        same, recall = 0, []
        for q in questions:
            text = clean_question(q) if variant == "raw" else " ".join(token(t) for t in search_terms(q))
            hits = client.search(variant, [text], anns_field="sparse", limit=10, output_fields=["id"],
                                 search_params={"metric_type": "BM25"})[0]
            got = [row_of[h["id"]] for h in hits]
            want = reference[q]
            same += got == want
            if want:
                recall.append(len(set(got) & set(want)) / len(want))
        out[variant] = {"same_top10": same, "recall_at_10": round(float(np.mean(recall)), 4)}
    client.close()
    out["questions"] = len(questions)
    return out


# ---- synthetic chunks ------------------------------------------------------------------------------------

def milvus_rows(vectors: np.ndarray, by_doc, idf: np.ndarray, start: int, stop: int) -> list[dict]:
    """Rows of the Milvus schema for synthetic chunks start..stop: the BM25 matrix's weights divided by
    idf are the term-frequency parts the Milvus backend stores."""
    rows = []
    for i in range(start, stop):
        a, b = by_doc.indptr[i], by_doc.indptr[i + 1]
        cols = by_doc.indices[a:b]
        tfc = by_doc.data[a:b] / idf[cols]
        rows.append({"id": f"syn{i:07d}", "article_id": "synthetic", "source": "synthetic", "outlet": "",
                     "day": 0, "embed_hash": f"syn{i:07d}", "sig": "synthetic", "vector": vectors[i].tolist(),
                     "terms": dict(zip(cols.tolist(), tfc.tolist()))})
    return rows


def synthetic_phase(n: int, real, terms: dict, vectors_of: dict, questions: list[str], cache: Path | None,
                    work: Path, repeats: int) -> dict:
    import faiss
    import scipy.sparse as sp
    import synthetic

    from qa.index.dense import choose_kind
    from qa.index.lexical import LexicalIndex
    from qa.index.lexicon import Lexicon
    from qa.index.backends.milvus import CollectionWriter, MilvusBackend, Target

    out: dict = {"size": n}
    mean = real._stored.dense.vectors().mean(axis=0)
    vectors, held_out, info = synthetic.clustered_vectors(n, mean, extra=HELD_OUT, cache=cache)
    scores, lex_info = synthetic.synthetic_bm25(n, terms["ranked"], terms["lengths"], terms["zipf_s"],
                                                real_docs=terms["docs"], cache=cache)
    out["data"] = {"vectors_cached": info["cached"], "bm25_postings": lex_info["stored_postings"],
                   "mean_terms_per_chunk": lex_info["mean_terms_per_chunk"]}
    df = np.diff(scores["indptr"]).astype(np.int64)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    csc = sp.csc_matrix((scores["data"], scores["indices"], scores["indptr"]), shape=(n, len(terms["ranked"])))
    by_doc = csc.tocsr()
    by_doc.sort_indices()
    chunks = [dataclasses.replace(real.chunks[i % len(real.chunks)], id=f"syn{i:07d}") for i in range(n)]
    manifest = {**real.manifest, "counts": {**real.manifest["counts"], "chunks": n}}
    query_vectors = {clean_question(q): vectors_of[clean_question(q)] for q in questions}
    real_queries = np.stack(list(query_vectors.values())).astype(np.float32)

    # local: FAISS + bm25s over the same data (HNSW past 50k: its graph cached as run.py caches it)
    kind = choose_kind(n)
    dense, build_s, cached_from = synthetic.dense_index(vectors, kind, info["key"], cache)
    local_build_s = None if cached_from else round(build_s, 1)
    lexical = LexicalIndex(synthetic.bm25_object(scores, terms["ranked"]))
    manifest["dense"] = {"kind": kind, "metric": "inner_product"}
    local_stored = store.StoredIndex(manifest, real.articles, chunks, [], dense, lexical, real._stored.sentences)
    local = Engine(local_stored, work / f"local-{n}", CachedQueries(real.embedder, dict(vectors_of)))
    out["local"] = {"dense_kind": kind, "dense_build_s": local_build_s}

    # Milvus Lite: the same vectors and BM25 weights, written through CollectionWriter
    lite = (cache or work) / f"milvus-{n}-{info['key']}.db"
    target = Target(str(lite), "synthetic")
    writer = CollectionWriter(target, real.manifest["model"]["id"])
    count = len(writer.stored) if writer.dim is not None else 0
    if count != n:
        if writer.dim is not None:
            writer.client.drop_collection(target.collection)
            writer.dim = None
        log(f"writing {n:,} synthetic chunks into Milvus Lite ({lite})")
        t0 = time.perf_counter()
        writer.prepare(vectors.shape[1], kind)
        batch = 512
        for start in range(0, n, batch):
            writer.upsert(milvus_rows(vectors, by_doc, idf, start, min(n, start + batch)))
            if start and start % 20_000 == 0:
                log(f"  {start:,} written ({time.perf_counter() - t0:.0f}s)")
        writer.client.flush(target.collection)
        write_s = time.perf_counter() - t0
        (lite.parent / (lite.name + ".json")).write_text(json.dumps({"write_s": round(write_s, 1)}))
        out["milvus_write"] = {"write_s": round(write_s, 1), "rows_per_s": round(n / write_s, 1), "cached": False}
    else:
        out["milvus_write"] = {**json.loads((lite.parent / (lite.name + ".json")).read_text()), "cached": True}
    lexicon = Lexicon(list(terms["ranked"]), df, n, int(round(lex_info["mean_terms_per_chunk"] * n)),
                      float(lex_info["mean_terms_per_chunk"]), "synthetic")
    backend = MilvusBackend(writer.client, target, chunks, real.articles, lexicon, vectors.shape[1], kind)
    t0 = time.perf_counter()
    backend.dense_rows(real_queries[0], 10, None)
    backend.lexical_rows(search_terms(questions[0]), 10, None)
    out["milvus_first_search_s"] = round(time.perf_counter() - t0, 1)  # Lite builds its per-segment indexes
    milvus_stored = store.StoredIndex(manifest, real.articles, chunks, [], None, None, real._stored.sentences,
                                      lexicon, backend)
    milvus = Engine(milvus_stored, work / f"milvus-{n}", CachedQueries(real.embedder, dict(vectors_of)))
    out["rss_mb_both_loaded"] = rss_mb()

    # dense recall@10 against exact search, one query at a time
    faiss.omp_set_num_threads(1)
    truth = {"held_out": faiss.knn(held_out, vectors, 10, faiss.METRIC_INNER_PRODUCT)[1],
             "real_questions": faiss.knn(real_queries, vectors, 10, faiss.METRIC_INNER_PRODUCT)[1]}
    for name, queries in (("held_out", held_out), ("real_questions", real_queries)):
        for side, search in (("local", lambda q: dense.search(q, 10)[1].tolist()),
                             ("milvus", lambda q: backend.dense_rows(q, 10, None)[0])):
            found, ms = [], []
            for q in queries:
                t0 = time.perf_counter()
                found.append(search(q))
                ms.append(1000 * (time.perf_counter() - t0))
            recall = np.mean([len(set(f) & set(t.tolist())) / 10 for f, t in zip(found, truth[name])])
            out.setdefault("dense", {}).setdefault(side, {})[name] = {"recall_at_10": round(float(recall), 4),
                                                                      "ms": summary(ms)}
    # BM25: both exact, so recall@10 of Milvus's ranking against bm25s's
    overlap, ms_local, ms_milvus = [], [], []
    for q in questions:
        t = search_terms(q)
        t0 = time.perf_counter()
        want = local.backend.lexical_rows(t, 10, None)
        ms_local.append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        got = backend.lexical_rows(t, 10, None)
        ms_milvus.append(1000 * (time.perf_counter() - t0))
        if want:
            overlap.append(len(set(got) & set(want)) / len(want))
    out["bm25"] = {"recall_at_10_vs_bm25s": round(float(np.mean(overlap)), 4), "local_ms": summary(ms_local),
                   "milvus_ms": summary(ms_milvus)}
    # the engine's search (fusion, collapsing) on each backend; the passages Milvus gives vs local
    expected = {q: [h.chunk_id for h in local.search(q, k=10)] for q in questions}
    out["search"] = {"local_ms": timed(lambda q: local.search(q, k=10), questions, repeats)}
    for mode in ("split", "hybrid"):
        backend.hybrid = mode == "hybrid"
        got = {q: [h.chunk_id for h in milvus.search(q, k=10)] for q in questions}
        out["search"][mode] = {
            "ms": timed(lambda q: milvus.search(q, k=10), questions, repeats),
            "recall_at_10_vs_local": round(float(np.mean([len(set(got[q]) & set(expected[q])) / max(1, len(expected[q]))
                                                          for q in questions])), 4),
            "same_top10": sum(got[q] == expected[q] for q in questions)}
    backend.hybrid = False
    writer.close()
    return out


# ---- report ----------------------------------------------------------------------------------------------

def table(results: dict) -> str:
    def lat(d: dict) -> str:
        return f"{d['p50']:.1f} / {d['p95']:.1f}"

    s = results["seed"]
    rows = [("seed corpus", f"{s['chunks']} chunks, {s['questions']} held-out questions", ""),
            ("Milvus Lite build from the committed vectors", f"{s['milvus_build_s']} s ({s['written']} rows written, "
                                                              f"{s['embedded']} embedded); open {s['milvus_open_s']} s", ""),
            ("search p50 / p95 ms (query vector given)", f"local {lat(s['local']['search_ms'])}; Milvus split "
                                                         f"{lat(s['split']['search_ms'])}; hybrid "
                                                         f"{lat(s['hybrid']['search_ms'])}", ""),
            ("ask p50 / p95 ms", f"local {lat(s['local']['ask_ms'])}; Milvus split {lat(s['split']['ask_ms'])}; "
                                 f"hybrid {lat(s['hybrid']['ask_ms'])}", ""),
            ("same top-10 passages / same answers", f"split {s['split']['same_top10']} / {s['split']['same_answers']}; "
                                                    f"hybrid {s['hybrid']['same_top10']} / "
                                                    f"{s['hybrid']['same_answers']} of {s['questions']}", "")]
    f = results.get("bm25_function")
    if f:
        rows.append(("Milvus BM25 function vs bm25s, top-10 (same / recall@10)",
                     f"standard analyzer on the text {f['raw']['same_top10']} / {f['raw']['recall_at_10']:.3f}; "
                     f"the project's terms as tokens {f['terms']['same_top10']} / {f['terms']['recall_at_10']:.3f}, "
                     f"over two segments {f['terms_two_segments']['same_top10']} / "
                     f"{f['terms_two_segments']['recall_at_10']:.3f} (of {f['questions']})", ""))
    for n, r in results["synthetic"].items():
        d = r["dense"]
        rows += [
            (f"{int(n):,} synthetic chunks", f"dense index {r['local']['dense_kind']} on both sides"
                                             f"{' (M=32, efConstruction=80, ef=384)' if r['local']['dense_kind'] == 'hnsw' else ''}"
                                             f"; RSS with both loaded {r['rss_mb_both_loaded']:,.0f} MB", ""),
            ("  Milvus Lite write", f"{r['milvus_write'].get('write_s')} s "
                                    f"({'cached' if r['milvus_write']['cached'] else r['milvus_write']['rows_per_s']} rows/s); "
                                    f"first search {r['milvus_first_search_s']} s", ""),
            ("  dense recall@10 vs exact (held-out / real questions)",
             f"local {d['local']['held_out']['recall_at_10']:.3f} / {d['local']['real_questions']['recall_at_10']:.3f}; "
             f"Milvus {d['milvus']['held_out']['recall_at_10']:.3f} / {d['milvus']['real_questions']['recall_at_10']:.3f}",
             ""),
            ("  dense p50 / p95 ms", f"local {lat(d['local']['held_out']['ms'])}; Milvus {lat(d['milvus']['held_out']['ms'])}",
             ""),
            ("  BM25 recall@10 vs bm25s; p50 / p95 ms", f"{r['bm25']['recall_at_10_vs_bm25s']:.3f}; local "
                                                       f"{lat(r['bm25']['local_ms'])}; Milvus {lat(r['bm25']['milvus_ms'])}",
             ""),
            ("  search p50 / p95 ms (query vector given)", f"local {lat(r['search']['local_ms'])}; Milvus split "
                                                           f"{lat(r['search']['split']['ms'])}; hybrid "
                                                           f"{lat(r['search']['hybrid']['ms'])}", ""),
            ("  search recall@10 vs local (same top-10)", f"split {r['search']['split']['recall_at_10_vs_local']:.3f} "
                                                          f"({r['search']['split']['same_top10']}); hybrid "
                                                          f"{r['search']['hybrid']['recall_at_10_vs_local']:.3f} "
                                                          f"({r['search']['hybrid']['same_top10']})", ""),
        ]
    width = max(len(a) for a, _, _ in rows)
    return "\n".join(f"{a.ljust(width)}  {b}" for a, b, _ in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="synthetic sizes, comma-separated (default 100000)")
    parser.add_argument("--quick", action="store_true", help="5k synthetic chunks, one pass per latency")
    parser.add_argument("--repeats", type=int, default=None, help="passes over the questions per latency (default 2)")
    parser.add_argument("--json", default=None, help="write every number here")
    parser.add_argument("--cache-dir", default=None, help="synthetic data and Milvus Lite databases (default "
                                                          "$TMPDIR/hoi-dap-bench-cache)")
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)
    import synthetic

    sizes = [int(s) for s in (args.sizes or ("5000" if args.quick else "100000")).split(",")]
    repeats = args.repeats or (1 if args.quick else 2)
    cache = None if args.no_cache else synthetic.cache_dir(args.cache_dir)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hoi-dap-milvus-bench-") as tmp:
        work = Path(tmp)
        real = qa.load(REPO / "index")
        questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
                     if line.strip()]
        log(f"embedding {len(questions)} questions with the bundled model")
        vectors = {clean_question(q): real.embed_query(clean_question(q)) for q in questions}
        results: dict = {"load_avg_start": os.getloadavg()[0], "cores": os.cpu_count()}
        log("seed corpus: local vs Milvus Lite")
        results["seed"] = seed_phase(work, questions, vectors, repeats)
        log("Milvus's BM25 function on the seed chunks")
        results["bm25_function"] = bm25_function_phase(work, real, questions)
        terms = synthetic.term_profile(real.chunks)
        results["synthetic"] = {}
        for n in sizes:
            log(f"{n:,} synthetic chunks")
            results["synthetic"][str(n)] = synthetic_phase(n, real, terms, vectors, questions, cache, work, repeats)
        results["seconds"] = round(time.perf_counter() - started, 1)
        results["load_avg_end"] = os.getloadavg()[0]
    text = table(results)
    results["table"] = text
    print(text)
    print(f"\n{results['seconds']} s; load average {results['load_avg_start']:.2f} at start, "
          f"{results['load_avg_end']:.2f} at end")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
