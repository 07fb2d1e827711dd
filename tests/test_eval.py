"""`qa eval`: a feature users run on their own question sets."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.cli import main
from qa.evaluate import answer_correct, contains, is_relevant, normalise, span_exact, span_f1, EvalItem

REPO = Path(__file__).resolve().parents[1]
HOLDOUT = REPO / "eval" / "news-holdout.jsonl"  # the repository's own held-out questions


@pytest.mark.parametrize("a,b", [
    ("25/05/2017", "25/5/2017"),
    ("ngày 25 tháng 5 năm 2017", "25/5/2017"),
    ("Thành Uỷ", "thành ủy"),
    ("HOÀ BÌNH", "hòa bình"),
    ("04/11", "4/11"),
])
def test_normalise_makes_equal_forms_equal(a, b):
    assert normalise(a) == normalise(b)


def test_contains_respects_dates_and_tones():
    assert contains("Quyết định ngày 25/05/2017 của Thành uỷ", "25/5/2017")
    assert contains("Quyết định ngày 25 tháng 5 năm 2017", "25/5/2017")
    assert not contains("ngày 5/5/2017", "25/5/2017")


def test_list_answers_need_half_of_the_gold():
    item = EvalItem("x", "q", "list", "plain", "a.txt", None, ["alpha", "beta", "gamma", "delta"])
    assert not answer_correct(item, "alpha only")
    assert answer_correct(item, "alpha and beta")
    single = EvalItem("y", "q", "date", "plain", "a.txt", None, ["25/5/2017", "2017"])
    assert answer_correct(single, "ngày 25/05/2017")


def test_relevance_needs_the_gold_source():
    item = EvalItem("x", "q", "number", "plain", "a.txt", None, ["137"])
    assert is_relevant(item, "a.txt", "tổ chức 137 đối thoại")
    assert not is_relevant(item, "b.txt", "tổ chức 137 đối thoại")


def test_span_metrics_are_squad_style():
    assert span_exact("25/05/2017.", ["25/05/2017"])
    assert span_f1("ngày 25/5/2017", ["25/5/2017"]) == pytest.approx(6 / 7)  # tokens: ngày 25 5 2017 vs 25 5 2017
    assert span_f1("Đặng Thị Hồng Liên", ["Đặng Thị Hồng Liên", "Liên"]) == 1.0
    assert span_f1("", ["x"]) == 0.0 and not span_exact("a b", ["a"])


def test_eval_on_the_holdout_set_reports_every_metric(capsys):
    assert main(["eval", str(HOLDOUT), "--index", str(REPO / "index"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("recall_at_5", "answer_accuracy", "span_exact_match", "span_f1", "abstention_rate",
                "false_abstention_rate", "answer_accuracy_by_type", "ask_ms_p95"):
        assert key in report, key
    assert report["questions"] == 110 and report["answerable"] + report["unanswerable"] == 110
    assert report["recall_at_5"] >= 0.75
    assert report["answer_accuracy"] >= 0.52 and report["span_f1"] >= 0.38
    assert report["false_abstention_rate"] <= 0.22
    assert report["median_answer_chars"] <= 400
    assert {"english", "no_diacritics", "paraphrase", "keywords"} <= set(report["recall_at_5_by_variant"])


def test_eval_on_a_users_own_question_set(tmp_path):
    questions = tmp_path / "mine.jsonl"
    rows = [
        {"id": "a", "question": "Quận Bắc Từ Liêm tổ chức bao nhiêu đối thoại đột xuất?", "type": "number",
         "variant": "plain", "source": "003_b6d49fa98f0d9187.txt", "evidence": None, "answers": ["137"]},
        {"id": "b", "question": "Quận Cầu Giấy có bao nhiêu phường?", "type": "unanswerable", "answers": []},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "qa", "eval", str(questions), "--index", str(REPO / "index")],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Recall@5" in run.stdout and "abstention" in run.stdout and "p50" in run.stdout
    assert "| answer accuracy" in run.stdout and "span token F1" in run.stdout


def test_eval_rejects_a_broken_question_file_with_its_line(tmp_path, capsys):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"question": "ok?", "answers": []}\n{not json}\n', encoding="utf-8")
    assert main(["eval", str(broken), "--index", str(REPO / "index")]) == 2
    err = capsys.readouterr().err
    assert "broken.jsonl:2" in err and err.count("\n") == 1


def test_eval_missing_file(capsys):
    assert main(["eval", "nope.jsonl", "--index", str(REPO / "index")]) == 2
    assert "does not exist" in capsys.readouterr().err
