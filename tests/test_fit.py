"""`qa fit`: the answer model is refitted from question sets, reproducibly, and loads back."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from qa.answer.answerer import Answerer
from qa.answer.scorer import SENTENCE_FEATURES, SPAN_FEATURES, AnswerModel
from qa.train.fit import main as fit_main

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    """The first 120 questions of the project's training set (answerable and not)."""
    lines = (REPO / "eval" / "news-train.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    chosen = [r for r in rows if r["answers"]][:90] + [r for r in rows if not r["answers"]][:30]
    path = tmp_path_factory.mktemp("fit") / "small.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in chosen) + "\n", encoding="utf-8")
    return path


def test_fit_is_reproducible_and_its_model_answers(small_set, tmp_path, capsys):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for out in (first, second):
        assert fit_main([f"{small_set}:{REPO / 'index'}", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "| small |" in printed and "span F1" in printed  # the cross-validation table
    assert first.read_bytes() == second.read_bytes(), "the same data must give the same model"
    data = json.loads(first.read_text(encoding="utf-8"))
    assert data["trained_on"][0]["count"] == 120
    cv = data["cross_validation"]["small"]
    assert 0 <= cv["refused_answerable"] <= 0.15  # the refusal threshold's stated policy, out of fold
    model = AnswerModel.load(first)
    assert model.sentence.features == SENTENCE_FEATURES and model.span.features == SPAN_FEATURES

    import qa

    engine = qa.load(REPO / "index")
    engine.answerer = Answerer(engine.articles, engine._stored.sentences, model)
    answer = engine.ask("Ban Chỉ đạo thành phố thành lập mấy đoàn kiểm tra?")
    assert not answer.abstained and answer.span == "3"


def test_fit_names_a_missing_question_set(tmp_path, capsys):
    from qa.cli import main

    assert main(["fit", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1


def _xquad_file(path: Path) -> Path:
    """A file in XQuAD's layout (two paragraphs of one article, written for this test)."""
    paragraphs = [
        ("Ngày 12/3/2021, Sở Y tế tỉnh tổ chức hội nghị tổng kết công tác phòng chống dịch. Hội nghị có 120 đại "
         "biểu tham dự. Ông Lê Văn Bình, Giám đốc Sở Y tế, chủ trì hội nghị.",
         [("Hội nghị tổng kết có bao nhiêu đại biểu tham dự?", "120 đại biểu"),
          ("Ai chủ trì hội nghị tổng kết của Sở Y tế?", "Lê Văn Bình")]),
        ("Năm 2022, tỉnh trồng mới 850 ha rừng. Kinh phí trồng rừng là 40 tỷ đồng, lấy từ ngân sách tỉnh.",
         [("Năm 2022 tỉnh trồng mới bao nhiêu ha rừng?", "850 ha")]),
    ]
    data = {"version": "1.1", "data": [{"title": "Tin_tỉnh", "paragraphs": [
        {"context": context, "qas": [{"id": f"x{p}{k}", "question": q,
                                      "answers": [{"text": a, "answer_start": context.index(a)}]}
                                     for k, (q, a) in enumerate(qas)]}
        for p, (context, qas) in enumerate(paragraphs)]}]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_fit_reads_xquad_where_it_lies_and_records_its_source(small_set, tmp_path):
    """`qa fit --xquad FILE`: XQuAD's paragraphs become a question set beside the cache (not in the repository),
    fitted on with the other sets, and the model records the file, its sha256 and its licence."""
    xquad = _xquad_file(tmp_path / "xquad.vi.json")
    out = tmp_path / "m.json"
    cache = tmp_path / "cache" / "fit-indexes"
    assert fit_main([f"{small_set}:{REPO / 'index'}", "--xquad", str(xquad), "--cache", str(cache),
                     "--out", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    small, written = data["trained_on"]
    assert written["count"] == 3 and written["articles"] == "corpus" and written["licence"].startswith("CC BY-SA 4.0")
    assert written["source_sha256"] == hashlib.sha256(xquad.read_bytes()).hexdigest()
    assert len(list((cache.parent / "xquad-vi" / "corpus").iterdir())) == 2
    assert data["command"].endswith(f"--xquad {xquad}")
    assert data["threshold_on"] == ["small"]  # thresholds stay on the first (news) set


@pytest.mark.parametrize("content", [None, "{not json", '{"data": [{"paragraphs": [{}]}]}'])
def test_fit_names_a_missing_or_unreadable_xquad_file(tmp_path, capsys, content):
    from qa.cli import main

    xquad = tmp_path / "xquad.vi.json"
    if content is not None:
        xquad.write_text(content, encoding="utf-8")
    assert main(["fit", f"{REPO / 'eval' / 'news-train.jsonl'}", "--xquad", str(xquad), "--cache",
                 str(tmp_path / "fit-indexes"), "--out", str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert "xquad.vi.json" in err and err.count("\n") == 1
    assert not (tmp_path / "m.json").exists()


def test_learning_curve_prints_a_row_per_fraction_with_rates(small_set, capsys):
    """benchmarks/learning_curve.py: the scorer fitted on growing parts of each training fold; every cell
    is a rate, and with all the data the top-ranked sentence is right far more often than chance."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("learning_curve", REPO / "benchmarks" / "learning_curve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([f"{small_set}:{REPO / 'index'}", "--draws", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 0.") or line.startswith("| 1.")]
    assert [row.split("|")[1].strip() for row in rows] == [f"{f:.2f}" for f in module.FRACTIONS]
    cells = [[float(x) for x in row.split("|")[2].split("/")] for row in rows]
    assert all(0.0 <= top1 <= 1.0 and 0.0 <= auroc <= 1.0 for top1, auroc in cells)
    assert cells[-1][0] > 0.5  # candidates per question number in the dozens: chance is below 0.1
