"""Answers: short, verbatim, cited, typed by the question; refusals when the articles are silent.

Quality is asserted on the repository's own question sets (eval/), never on files outside it:
- eval/news-holdout.jsonl and eval/own-articles.jsonl were written by other authors before the answer
  layer was built and were never used to fit or tune it (held-out);
- the questions in REGRESSION below were written while building the rules of an earlier answer layer
  (same commits), so they are regression tests, not held-out ones.
Thresholds sit below the measured figures (README, "Quality"), by more than the numeric noise between
CPUs moves an aggregate over 100+ questions.
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

import qa
from qa.answer.answerer import MAX_EXCERPT, NOT_FOUND, Answerer, excerpt_window
from qa.answer.scorer import AnswerModel
from qa.errors import QuestionError
from qa.evaluate import answer_correct, read_items, span_f1
from qa.answer.question import analyse

REPO = Path(__file__).resolve().parents[1]
HOLDOUT = REPO / "eval" / "news-holdout.jsonl"


@pytest.fixture(scope="module")
def engine():
    return qa.load(REPO / "index")


def check_verbatim(engine, answer):
    """The quote and the short answer are exactly in the cited article; the quote contains the span."""
    assert answer.citations, "an answer always lists its sources"
    cited = answer.citations[0]
    article = engine.articles[cited.article_id]
    assert article.text[cited.start:cited.end] == cited.text
    assert "[1]" in answer.text
    if answer.metadata:  # the byline, outlet or date line of the page
        return
    excerpt = article.text[answer.start:answer.end]
    assert excerpt and excerpt in answer.text
    assert answer.span and answer.span in article.text
    if answer.kind != "summary":
        a, b = cited.highlight
        assert article.text[a:b] == answer.span
        assert answer.start <= a and b <= answer.end, "the quote contains the span it highlights"


@pytest.fixture(scope="module")
def holdout_answers(engine):
    items = read_items(HOLDOUT)
    return [(item, engine.ask(item.question)) for item in items]


def test_every_holdout_question_gets_a_verbatim_answer_or_a_refusal(engine, holdout_answers):
    for item, answer in holdout_answers:
        if answer.abstained:
            assert answer.text == NOT_FOUND and answer.citations, item.id
            continue
        check_verbatim(engine, answer)
        assert 0.0 <= answer.confidence <= 1.0
        # the span, its sentence and at most one adjacent sentence, each quote at most MAX_EXCERPT
        assert len(answer.text) <= 3 * MAX_EXCERPT + 200 or answer.kind == "summary", item.id


def test_holdout_quality_is_kept(holdout_answers):
    """Measured 0.636 containment, 0.538 span F1 (0.492 with the span model alone, --reader off), 0.091 / 0.303
    refusals, confident answers right 0.875 of the time and 0.030 of unanswerable questions answered
    confidently (README): these are floors and ceilings, set more than a few questions away from the figures
    so that numeric noise between CPUs cannot fail them."""
    answerable = [(i, a) for i, a in holdout_answers if i.answerable]
    unanswerable = [(i, a) for i, a in holdout_answers if not i.answerable]
    contains = np.mean([not a.abstained and answer_correct(i, a.text) for i, a in answerable])
    f1 = np.mean([span_f1(a.span, i.answers) if not a.abstained else 0.0 for i, a in answerable])
    refused = np.mean([not a.answered for _, a in answerable])  # as `qa eval` counts: refused, or said to be in no article
    refused_unanswerable = np.mean([not a.answered for _, a in unanswerable])
    confident = [(i, a) for i, a in holdout_answers if not a.abstained and a.confident]
    confident_right = np.mean([i.answerable and answer_correct(i, a.text) for i, a in confident])
    unanswerable_confident = np.mean([not a.abstained and a.confident for _, a in unanswerable])
    assert contains >= 0.58, contains
    assert f1 >= 0.48, f1
    assert refused <= 0.16, refused
    assert refused_unanswerable >= 0.24, refused_unanswerable
    assert confident_right >= 0.78 and len(confident) >= 10, (confident_right, len(confident))
    assert unanswerable_confident <= 0.10, unanswerable_confident


def test_confidence_orders_answers(holdout_answers):
    """Confident answers are right more often than tentative ones: the confidence means something."""
    answered = [(i, a) for i, a in holdout_answers if not a.abstained]
    right = lambda pairs: np.mean([i.answerable and answer_correct(i, a.text) for i, a in pairs])  # noqa: E731
    confident = [(i, a) for i, a in answered if a.confident]
    tentative = [(i, a) for i, a in answered if not a.confident]
    assert confident and tentative
    assert right(confident) > right(tentative) + 0.1


# Regression tests: written while building an earlier answer layer, kept where the fitted model
# answers them with a margin (confidence well above the refusal threshold).
REGRESSION = [
    ("Kế hoạch 74-KH/BDVTU-BCSĐUBNDTP được ban hành ngày nào?", "31/01/2019", "000"),
    ("Chỉ thị 05-CT/TW của Bộ Chính trị ra đời ngày nào?", "15/5/2016", "000"),
    ("Bao nhiêu hội nghị đối thoại định kỳ được Bắc Từ Liêm tổ chức trong 5 năm?", "76", "003"),
    ("Ban Chỉ đạo thành phố thành lập mấy đoàn kiểm tra?", "3", "004"),
    ("Ai là Bí thư Quận ủy Quận 9?", "Đặng Thị Hồng Liên", "001"),
    ("Ai dẫn đầu đoàn kiểm tra Cụm thi đua 3?", "Trương Quốc Lâm", "001"),
    ("Who wrote the article about Bắc Từ Liêm's dialogue conferences?", "Đặng Trang", "003"),
    ("Kế hoạch số 85-KH/QU do cơ quan nào ban hành?", "Quận ủy Bắc Từ Liêm", "003"),
    ("Ban Chỉ đạo thành phố kiểm tra bao nhiêu đơn vị?", "12", "004"),
]


@pytest.mark.parametrize("question,expected,source", REGRESSION, ids=[q for q, _, _ in REGRESSION])
def test_regression_question(engine, question, expected, source):
    answer = engine.ask(question)
    assert not answer.abstained, answer.text
    assert expected in answer.text, answer.text
    assert answer.citations[0].source.startswith(source)
    check_verbatim(engine, answer)


# Refused with a margin below the threshold (a question refused only just would test the noise).
REFUSE = [
    "Quận Nam Từ Liêm đã tổ chức bao nhiêu đối thoại đột xuất?",  # another district's figure must not answer
    pytest.param("Ai là Chủ tịch UBND Quận 9?", marks=pytest.mark.xfail(
        strict=True, reason="a role nobody is named for: the candidate scorer answers with the HĐND chair "
                            "(tentatively); the refusal the reader issue aims at")),  # the person chairs the HĐND
    "Giá vàng hôm nay là bao nhiêu?",
    # off-topic: the weather, and another work's author (not the byline of the top article)
    "Thời tiết ngày mai thế nào?",
    "thoi tiet ngay mai the nao",
    "Ai viết tiểu thuyết Số đỏ?",
    "Who is the president of France?",  # the example, in English: "France" is in no article
    "What is the population of Japan?",
]


@pytest.mark.parametrize("question", REFUSE)
def test_refuses_when_articles_are_silent(engine, question):
    answer = engine.ask(question)
    assert answer.citations, "a refusal still lists the nearest passages"
    if answer.missing_terms:  # a name no article holds: said first, the passage only the nearest one
        assert not answer.confident, answer.text
        return
    assert answer.abstained, answer.text
    assert answer.text == NOT_FOUND


def test_metadata_answers_come_from_the_page(engine):
    answer = engine.ask("Bài viết về đối thoại ở Bắc Từ Liêm do ai viết?")
    assert not answer.abstained and answer.metadata == "author"
    article = engine.articles[answer.citations[0].article_id]
    assert answer.span == article.author


def test_summary_quotes_central_sentences_of_one_article(engine):
    answer = engine.ask("Tóm tắt bài viết về đối thoại ở quận Bắc Từ Liêm")
    assert answer.kind == "summary" and not answer.abstained
    article = engine.articles[answer.citations[0].article_id]
    assert len(answer.summary) >= 2
    for a, b in answer.summary:
        assert article.text[a:b] in answer.text


def test_nfd_question_gives_the_nfc_answer(engine):
    question = "Bao nhiêu hội nghị đối thoại định kỳ được Bắc Từ Liêm tổ chức trong 5 năm?"
    nfc = engine.ask(unicodedata.normalize("NFC", question))
    nfd = engine.ask(unicodedata.normalize("NFD", question))
    assert nfd.text == nfc.text and nfd.span == nfc.span


def test_old_and_new_tone_placement_answer_alike(engine):
    a = engine.ask("Ủy ban MTTQ Việt Nam phát huy vai trò gì?")
    b = engine.ask("Uỷ ban MTTQ Việt Nam phát huy vai trò gì?")
    assert a.text == b.text


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "x" * 5000])
def test_empty_or_huge_question_is_refused_clearly(engine, bad):
    with pytest.raises(QuestionError) as info:
        engine.ask(bad)
    message = str(info.value)
    assert "\n" not in message
    assert ("trống" in message) or ("1,000" in message)


@pytest.mark.parametrize("odd", ["!!! ??? ...", "🙂🙂🙂", "<script>alert(1)</script>", "'; DROP TABLE articles; --",
                                 "Quyết định 2200 \x07\x1b[31m ngày nào"])
def test_odd_questions_get_an_answer_or_a_refusal(engine, odd):
    answer = engine.ask(odd)
    assert answer.text
    assert answer.abstained or answer.citations


def test_search_is_pure_retrieval_and_collapses_overlaps(engine):
    hits = engine.search("Quận Bắc Từ Liêm đối thoại", k=10)
    assert all(h.highlight is None for h in hits), "search marks no answer"
    for i, a in enumerate(hits):
        for b in hits[i + 1:]:
            if a.article_id == b.article_id:
                shared = max(0, min(a.end, b.end) - max(a.start, b.start))
                assert shared <= 0.5 * (b.end - b.start)


def test_filters_restrict_the_sources(engine):
    some = sorted(engine.articles)[1]
    hits = engine.search("đối thoại với nhân dân", k=10, articles=[some])
    assert hits and {h.article_id for h in hits} == {some}
    answer = engine.ask("đối thoại với nhân dân", articles=[some])
    assert all(h.article_id == some for h in answer.citations)
    dated = [a for a in engine.articles.values() if a.published]
    day = dated[0].published
    hits = engine.search("công tác dân vận", k=10, since=day, until=day)
    assert hits and all(engine.articles[h.article_id].published == day for h in hits)


@pytest.mark.parametrize("bad", [{"since": "19/05/2022"}, {"articles": 5}])
def test_bad_filters_are_one_line_errors(engine, bad):
    with pytest.raises(QuestionError):
        engine.search("đối thoại", **bad)


@pytest.mark.parametrize("question,asked", [
    ("Quyết định 17-QĐ/UBND được ban hành ngày nào?", "date"),
    ("quyet dinh 17 ban hanh khi nao", "date"),
    ("When was the decision issued?", "date"),
    ("Có bao nhiêu thôn?", "number"),
    ("How many villages are there?", "number"),
    ("Ai là trưởng đoàn?", "person"),
    ("Who led the delegation?", "person"),
    ("Bài viết do ai chấp bút?", "author"),
    ("Ảnh trong bài do ai chụp?", "photo"),
    ("Bài này đăng trên báo nào?", "outlet"),
    ("Bài viết được đăng ngày nào?", "published"),
    ("Ông Khôi giữ chức vụ gì?", "role"),
    ("Cơ quan nào ban hành kế hoạch?", "organization"),
    ("Lễ hội diễn ra ở đâu?", "place"),
    ("Những hạn chế nào được chỉ ra?", "list"),
    ("Vì sao dự án chậm tiến độ?", "reason"),
    ("Tóm tắt nội dung chính của bài", "summary"),
    ("Con cháu của họ được gọi là gì?", "fact"),
    # the page's byline, outlet and date answer questions about the page, not about another work
    ("Bài này do ai viết?", "author"),
    ("Tác giả là ai vậy?", "author"),
    ("bai ve le khanh thanh cau do ai viet", "author"),
    ("Who wrote this article?", "author"),
    ("Ai viết tiểu thuyết Bỉ vỏ?", "person"),
    ("Tác giả của bài thơ Quê hương là ai?", "person"),
    ("Who wrote the novel?", "person"),
    ("Ai viết cuốn sách về công nghệ thông tin?", "person"),  # "thông tin" is no news item
    ("Cuốn sách được xuất bản năm nào?", "date"),
    ("Bài viết được đăng trên báo nào?", "outlet"),
    ("Ảnh do ai chụp?", "photo"),
])
def test_asked_types(question, asked):
    assert analyse(question).asked == asked


def test_question_analysis_finds_names_years_and_the_words_around_the_question_word():
    q = analyse("Năm 2023, huyện Tam Nông của tỉnh Đồng Tháp được gọi là gì?")
    assert q.years == ("2023",)
    assert "tam nong" in q.names and "dong thap" in q.names
    assert q.before_wh[-2:] == ("goi", "la")
    assert analyse("Quyết định 17-QĐ/UBND ban hành khi nào?").names == ("17-qd/ubnd",)
    # the first word of a question is capitalised anyway; a capitalised common noun is not a name
    assert analyse("Quận Tam Bình đã làm gì?").names == ("tam binh",)
    assert analyse("Ban Chỉ đạo họp khi nào?").names == ("ban chi",) or "chi" not in analyse("Ban Chỉ đạo họp khi nào?").names


def test_question_without_diacritics_matches_folded_words_and_with_them_exact_ones():
    typed = analyse("Quyết định ban hành")
    bare = analyse("quyet dinh ban hanh")
    assert any(t.exact and t.text == "quyết" for t in typed.terms)
    assert all(not t.exact for t in bare.terms)


def test_window_always_contains_the_span():
    text = ("Trong năm qua, " + "các cấp, các ngành đã triển khai nhiều nhiệm vụ quan trọng, " * 10
            + "và đến ngày 12/3/2024 đã hoàn thành việc bàn giao " + "cho các địa phương trong tỉnh " * 8 + ".")
    start = text.index("12/3/2024")
    a, b = excerpt_window(text, 0, len(text), (start, start + 9))
    assert a <= start and start + 9 <= b and b - a <= MAX_EXCERPT


def test_a_list_quote_goes_on_past_the_first_item_of_a_long_sentence():
    """A list question's quote starts at its first item and may be twice as long as other quotes: the items
    that follow it are the answer too."""
    text = ("Tại hội nghị, lãnh đạo thành phố cho biết " + "trong thời gian qua các cấp, các ngành đã nỗ lực, " * 5
            + "nhưng hai thành phố vẫn đang phải tháo gỡ nhiều vấn đề như: vệ sinh môi trường, quá tải giao thông "
            "vào giờ cao điểm trên các trục đường hướng tâm, ngập úng cục bộ khi có mưa lớn kéo dài ở khu vực nội đô, "
            "thiếu trường học và cơ sở y tế ở các khu dân cư mới hình thành ven đô, ô nhiễm không khí vào mùa khô.")
    items = ("quá tải giao thông", "ngập úng", "thiếu trường học", "ô nhiễm không khí")
    start = text.index("vệ sinh")
    a, b = excerpt_window(text, 0, len(text), (start, start + 18))
    assert not all(item in text[a:b] for item in items)  # a quote of MAX_EXCERPT characters cannot hold them
    a, b = excerpt_window(text, 0, len(text), (start, min(len(text), start + MAX_EXCERPT)), limit=2 * MAX_EXCERPT)
    assert a <= start and b - a <= 2 * MAX_EXCERPT
    assert all(item in text[a:b] for item in items)


def test_numbers_are_counts_with_their_noun_and_never_the_parts_of_a_date():
    from qa.answer.spans import dates, numbers

    def texts(extract, sentence):
        return [sentence[a:b] for a, b in extract(sentence)]

    sentence = "Sáng 19/6, tỉnh khởi công dự án 320 tỷ đồng, khu neo đậu chứa được 800 tàu cá."
    assert texts(numbers, sentence) == ["320 tỷ đồng", "800", "800 tàu", "800 tàu cá"]
    sentence = "Năm học 2024–2025 có 11.862 thí sinh dự thi, năm 2024 có 42 bác sĩ và 3 người tử vong."
    assert "2024–2025" in texts(dates, sentence) and "năm 2024" in texts(dates, sentence)
    found = texts(numbers, sentence)
    assert {"11.862", "11.862 thí sinh", "42 bác sĩ", "3 người"} <= set(found)
    assert not any(t.startswith("2024") or t.startswith("2025") for t in found), found
    assert "3 người tử" not in found  # a number with its unit is not extended
    # a counted noun stops at a joining word: "5 và" is no count
    assert texts(numbers, "có 5 và 7 đoàn") == ["5", "7", "7 đoàn"]


def test_the_shipped_model_matches_the_code():
    from qa.train.fit import feature_code_sha256

    model = AnswerModel.load()
    assert 0.0 < model.answer_threshold < model.confident_threshold <= 1.0
    assert model.info["trained_on"] and "news-train.jsonl" in model.info["command"]
    # fitted by the code that computes its features now; else refit it (README: "qa fit ..."), then the reader's
    # span ranker, verdict and combiner, which are fitted on its output (tests/test_reader.py checks those)
    assert model.info.get("feature_code_sha256") == feature_code_sha256(), \
        "qa/answer or qa/text changed since qa/models/answer-model.json was fitted: refit it with the README's qa fit command"


def test_cli_ask_json(capsys):
    from qa.cli import main

    question = "Ban Chỉ đạo thành phố thành lập mấy đoàn kiểm tra?"
    assert main(["ask", question, "--index", str(REPO / "index"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"answer", "abstained", "span", "confidence", "confident", "citations"}
    assert out["abstained"] is False and out["span"] == "3"
    first = out["citations"][0]
    assert set(first) >= {"article_id", "source", "title", "published", "text", "score", "start", "end", "highlight"}


def test_cli_ask_empty_question_is_one_line_exit_2(capsys):
    from qa.cli import main

    assert main(["ask", "  ", "--index", str(REPO / "index")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qa: error:") and err.count("\n") == 1


def test_an_adjacent_sentence_scored_close_to_the_best_is_quoted_with_it(engine):
    """With the ratio at 0 every adjacent candidate sentence is shown, at 1.01 none: the quote grows by
    whole sentences of the article, stays verbatim and keeps the span it highlights."""
    from dataclasses import replace

    from qa.engine import ANSWER_DEPTH

    shipped = engine.answerer
    never, always = (Answerer(shipped.articles, shipped.sentences, replace(shipped.model, neighbour_ratio=r))
                     for r in (1.01, 0.0))
    items = [i for i in read_items(HOLDOUT) if i.answerable][:25]
    widened = 0
    for item in items:
        ranked, q = engine.retrieve(engine.analyse(item.question), ANSWER_DEPTH)
        alone = never.answer(q, ranked)
        both = always.answer(q, ranked)
        if alone.abstained or alone.metadata or alone.kind == "summary":
            continue
        check_verbatim(engine, both)
        assert both.span == alone.span, "the short answer does not move"
        assert both.start <= alone.start and alone.end <= both.end
        if (both.start, both.end) != (alone.start, alone.end):
            widened += 1
            article = engine.articles[both.citations[0].article_id]
            assert article.text[alone.start:alone.end] in both.text
    assert widened >= 5, "most answers have a candidate sentence next to them"
