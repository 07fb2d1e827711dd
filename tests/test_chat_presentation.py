"""How sure an answer is, as every output shows it (issue 24): the page's HTML, the /chat text, the Copy
text, /ask's JSON and `qa ask`; and the filter note and folded refusals of the chat (issue 25).

Answers come from the real engine on the shipped index. Which question the answer model answers
tentatively may change with the model, so the tentative case is found among a few candidates in the
engine's own answers; the place a MISSING_CANDIDATES question names is missing from the index's terms
whatever the model says (conftest.py).
"""
from __future__ import annotations

import html as html_lib
import json
import re

import pytest
from conftest import INDEX, missing_case

import qa
import qa.answer.conversation
import qa.web.app
import qa.web.chat
import qa.web.session
from qa.web import layout, present, views
from qa.cli import main

MISSING_REFUSED_Q = "Ai là bí thư Đà Nẵng năm 2019?"
CANONICAL = "Quyết định 2200-QĐ/TU được ban hành ngày nào?"
TENTATIVE_CANDIDATES = ["Hội nghị đối thoại diễn ra ở đâu?", "Cầu Thăng Long dài bao nhiêu mét?",
                        "Quận 9 có bao nhiêu phường?"]


@pytest.fixture(scope="module")
def tentative(engine):
    """A real answer below the confident threshold that names nothing the articles lack."""
    for question in TENTATIVE_CANDIDATES:
        answer = engine.ask(question)
        if not answer.abstained and not answer.confident and not answer.missing_terms:
            return answer
    pytest.skip("none of the candidate questions is answered tentatively by this answer model; add one")


@pytest.fixture(scope="module")
def missing_question(engine) -> tuple[str, str]:
    """A question naming a place no article mentions, answered with the nearest passage, and that name."""
    return missing_case(engine)


@pytest.fixture(scope="module")
def missing(engine, missing_question):
    question, name = missing_question
    answer = engine.ask(question)
    assert answer.missing_terms == (name,) and not answer.confident
    return answer


# the README's question first; the answer model may be confident about another one only
CONFIDENT_CANDIDATES = [CANONICAL, "Chỉ thị 05-CT/TW của Bộ Chính trị ra đời ngày nào?",
                        "Ban Chỉ đạo thành phố kiểm tra bao nhiêu đơn vị?", "Ai dẫn đầu đoàn kiểm tra Cụm thi đua 3?"]


@pytest.fixture(scope="module")
def confident(engine):
    """A real answer above the confident threshold (found among a few, as the tentative one is)."""
    for question in CONFIDENT_CANDIDATES:
        answer = engine.ask(question)
        if answer.confident and not answer.abstained and not answer.missing_terms and answer.kind != "summary":
            return answer
    pytest.skip("this answer model is confident about none of the candidate questions; add one")


def visible_text(fragment: str) -> str:
    """The text a reader sees in an answer's HTML, the hidden sources panel left out."""
    shown = fragment.split('<div class="qa-panel-src"', 1)[0]
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", shown))


def percent_in(text: str, confidence: float) -> bool:
    """The confidence as a percentage, give or take one (numbers differ slightly between machines)."""
    p = round(100 * confidence)
    return any(f"{n} %" in text for n in (p - 1, p, p + 1))


# ---- the words ------------------------------------------------------------------------------------
def test_missing_terms_are_joined_naturally():
    assert present.missing_line(["Nam Từ Liêm"]) == "Các bài viết không nhắc đến «Nam Từ Liêm»."
    assert present.missing_line(["Đà Nẵng", "2019"]) == "Các bài viết không nhắc đến «Đà Nẵng» và «2019»."
    assert present.missing_line(["A", "B", "C"]) == "Các bài viết không nhắc đến «A», «B» và «C»."


def test_each_answer_is_presented_by_how_sure_it_is(confident, tentative, missing, engine):
    assert present.presentation(confident) == "answer"
    assert present.presentation(tentative) == "tentative"
    assert present.presentation(missing) == "nearest"
    assert present.presentation(engine.ask("Giá vàng hôm nay là bao nhiêu?")) == "refused"


# ---- the page ---------------------------------------------------------------------------------------
def test_only_a_confident_answer_gets_the_large_answer_line(confident, tentative, missing, engine):
    assert 'class="qa-short"' in views.answer_html(engine, confident)
    for answer in (tentative, missing):
        assert 'class="qa-short"' not in views.answer_html(engine, answer)


def test_a_tentative_answer_shows_the_passage_first_then_what_it_may_be(tentative, engine):
    page = views.answer_html(engine, tentative)
    assert 'data-presentation="tentative"' in page and "qa-tentative" in page
    quote = page.index('<blockquote class="qa-quote">')
    maybe = page.index('<p class="qa-lowconf qa-maybe"')
    assert quote < maybe
    line = visible_text(page[maybe:page.index("</p>", maybe)])
    assert " ".join(line.split()).startswith("Có thể là") and "độ tin cậy thấp" in line and "hãy đọc" in line
    assert percent_in(line, tentative.confidence)
    span = tentative.span.strip()
    if span and len(span) <= present.SHORT_ANSWER_CHARS:
        assert f"<mark>{html_lib.escape(span)}</mark>" in page[quote:maybe]  # the candidate, inside the passage
        assert span in line


def test_a_name_no_article_mentions_is_said_first_and_the_passage_is_the_nearest(missing, missing_question, engine):
    page = views.answer_html(engine, missing)
    text = " ".join(visible_text(page).split())
    assert text.startswith(f"Các bài viết không nhắc đến «{missing_question[1]}».")
    assert "Đoạn gần nhất (không phải câu trả lời)" in text and "Có thể là" not in text
    shown = page.split('<div class="qa-panel-src"', 1)[0]
    assert "<mark" not in shown  # nothing in it is marked as the answer
    panel = page.split('<div class="qa-panel-src"', 1)[1]
    assert "Nguồn của câu trả lời" not in panel and "Đoạn gần nhất" in panel and "<mark" not in panel


def test_a_refusal_says_which_names_are_missing_first(engine):
    answer = engine.ask(MISSING_REFUSED_Q)
    assert "Đà Nẵng" in answer.missing_terms
    if not answer.abstained:
        pytest.skip("this answer model answers it; the refusal shape is then not what is tested")
    text = " ".join(visible_text(views.answer_html(engine, answer)).split())
    assert text.startswith(present.missing_line(answer.missing_terms) + " Không tìm thấy")
    assert present.copy_text(engine, answer).startswith(present.missing_line(answer.missing_terms))


def test_the_page_stays_escaped(missing, engine):
    from dataclasses import replace

    crafted = replace(missing, missing_terms=("<script>alert(1)</script>",))
    page = views.answer_html(engine, crafted)
    assert "<script>" not in page and "«&lt;script&gt;alert(1)&lt;/script&gt;»" in page


# ---- /chat text, Copy, qa ask -----------------------------------------------------------------------------
def test_chat_text_never_heads_with_a_tentative_answer(tentative, confident, missing, missing_question, engine):
    assert present.answer_text(engine, confident).startswith(confident.text)
    lines = present.answer_text(engine, tentative).splitlines()
    assert not lines[0].startswith(tentative.span + " — ")  # the passage, not "span — sentence"
    assert lines[1].startswith("Có thể là") and percent_in(lines[1], tentative.confidence)
    lines = present.answer_text(engine, missing).splitlines()
    assert lines[0] == f"Các bài viết không nhắc đến «{missing_question[1]}»."
    assert lines[1].startswith("Đoạn gần nhất (không phải câu trả lời): ")
    assert "Nguồn:" not in lines and "Các đoạn gần nhất:" in lines


def test_copy_says_may_be_and_missing(tentative, confident, missing, missing_question, engine):
    assert not present.copy_text(engine, confident).startswith("Có thể")
    copied = present.copy_text(engine, tentative)
    assert copied.startswith("Có thể là") and "độ tin cậy thấp" in copied and "[1]" not in copied
    copied = present.copy_text(engine, missing)
    assert copied.startswith(f"Các bài viết không nhắc đến «{missing_question[1]}». Đoạn gần nhất: ")


def test_qa_ask_prints_what_the_chat_says(capsys, tentative, missing_question):
    question, name = missing_question
    assert main(["ask", question, "--index", str(INDEX)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Các bài viết không nhắc đến «{name}»." and out[1].startswith("Đoạn gần nhất")
    assert main(["ask", tentative.question, "--index", str(INDEX)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert not out[0].startswith(tentative.span + " — ") and out[1].startswith("Có thể là")


def test_qa_ask_json_keeps_its_shape_and_adds_missing_terms(capsys, missing_question):
    question, name = missing_question
    assert main(["ask", question, "--json", "--index", str(INDEX)]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert set(reply) == {"answer", "abstained", "span", "kind", "confidence", "confident", "metadata", "start",
                          "end", "citations", "missing_terms"}
    assert reply["missing_terms"] == [name] and reply["confident"] is False
    assert main(["ask", CANONICAL, "--json", "--index", str(INDEX)]) == 0
    assert json.loads(capsys.readouterr().out)["missing_terms"] == []


# ---- /ask ---------------------------------------------------------------------------------------------------
def test_ask_json_carries_missing_terms(engine, tentative, missing_question):
    question, name = missing_question
    outcome = qa.web.chat.answer_question(engine, question, None, {})
    reply = qa.web.chat.outcome_dict(engine, outcome, 0)
    assert reply["missing_terms"] == [name] and reply["confident"] is False
    assert {c["role"] for c in reply["citations"]} == {"nearest"}  # no passage is an answer's source
    assert reply["copy"].startswith(f"Các bài viết không nhắc đến «{name}».")
    reply = qa.web.chat.outcome_dict(engine, qa.web.chat.answer_question(engine, tentative.question, None, {}), 0)
    assert reply["missing_terms"] == [] and reply["confident"] is False and reply["copy"].startswith("Có thể là")
    assert reply["citations"][0]["role"] == "source"
    reply = qa.web.chat.outcome_dict(engine, qa.web.chat.answer_question(engine, "ai ký?", None, {}), 0)
    assert reply["missing_terms"] == []  # a refusal before any search has the field too


@pytest.mark.slow
def test_ask_and_chat_endpoints_say_it(engine, missing_question):
    from test_app import client, free_port

    demo = qa.web.app.build_app(engine)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        api = client(url)
        question, name = missing_question
        reply = api.predict(question, api_name="/ask")
        assert reply["missing_terms"] == [name] and not reply["confident"]
        text = api.predict(question, api_name="/chat")
        assert text.startswith(f"Các bài viết không nhắc đến «{name}».\nĐoạn gần nhất")
    finally:
        demo.close()


# ---- issue 25: the date filter note says what the filter does; refusals after the first fold ---------------
DATED = {
    "cau-anh-sao.txt": "Khánh thành cầu Ánh Sao\n\nNgày đăng 02/03/2024 | 09:15\n\nỦy ban nhân dân phường Mẫu Thử "
                       "đã khánh thành cầu Ánh Sao với tổng vốn đầu tư 50 tỷ đồng. Cây cầu dài 120 mét, nối hai bờ "
                       "sông Mẫu.\n",
    "cho-noi.txt": "Chợ nổi Cái Răng đón khách trở lại\n\nNgày 28/4, ban quản lý chợ nổi Cái Răng cho biết lượng "
                   "khách tham quan chợ trong quý I/2020 giảm mạnh. Các thương lái vẫn buôn bán trái cây trên ghe "
                   "mỗi sáng.\n",
    "lang-gom.txt": "Làng gốm Bát Tràng vào mùa\n\nNhững ngày cuối năm, làng gốm Bát Tràng tất bật với các đơn "
                    "hàng bình hoa và bát đĩa. Nghệ nhân trong làng giữ nghề nung gốm bằng lò củi truyền thống.\n",
}


@pytest.mark.slow
def test_the_date_filter_note_says_what_the_filter_does(make_seeds, tmp_path):
    from qa.engine import Engine

    Engine.build(make_seeds(DATED), tmp_path / "index", progress=False)
    built = qa.load(tmp_path / "index")
    stated, inferred, undated = (built.articles[i] for i in ("cau-anh-sao", "cho-noi", "lang-gom"))
    assert stated.published and not inferred.published and inferred.published_inferred
    assert not undated.published and not undated.published_inferred
    listing = layout.collection_html(built, {a: 1 for a in built.articles})
    note = html_lib.unescape(re.search(r'<p class="qa-filters-note">(.*?)</p>', listing).group(1))
    # the note says: an inferred date counts (shown "khoảng …"), an article with no date is left out
    assert "ngày suy ra từ nội dung" in note and "«khoảng …»" in note and "không rõ ngày" in note and "bị loại" in note
    assert "khoảng 28/04/2020" in listing
    # ... and the filter does that: a range holding both days keeps the inferred one, never the undated one
    filters = qa.web.chat.clean_filters(built, {"since": "01/01/2020", "until": "31/12/2024"})
    found = {h.article_id for h in built.search("chợ cầu làng gốm khách", k=10, **filters)}
    assert found == {"cau-anh-sao", "cho-noi"}
    only_inferred = qa.web.chat.clean_filters(built, {"since": "2020-04-01", "until": "2020-04-30"})
    assert {h.article_id for h in built.search("chợ cầu làng gốm khách", k=10, **only_inferred)} == {"cho-noi"}


def test_a_later_refusal_is_folded_under_one_line(engine):
    refused = engine.ask("Giá vàng hôm nay là bao nhiêu?")
    assert refused.abstained
    chunks = {a: sum(1 for c in engine.chunks if c.article_id == a) for a in engine.articles}
    coverage = layout.coverage_html(engine, chunks)
    full = views.answer_html(engine, refused, "", coverage)
    folded = views.answer_html(engine, refused, "", coverage, compact=True)
    assert "qa-refusal-more" not in full and 'class="qa-coverage"' in full
    body = folded.split('<details class="qa-refusal-more" data-key="refusal">', 1)
    assert len(body) == 2 and 'class="qa-coverage"' in body[1] and 'class="qa-coverage"' not in body[0]
    summary = re.search(r"<summary>(.*?)</summary>", body[1]).group(1)
    assert visible_text(summary).split()[:4] == ["Không", "tìm", "thấy", "thông"] and "đoạn gần nhất" in summary
    assert body[1].count('class="qa-card qa-card-related"') == present.NEAREST_ON_ABSTAIN  # the passages, folded too


def test_the_chat_folds_refusals_after_its_first(engine):
    chat = qa.web.session.Conversation()
    for seq, refusal in enumerate(["answered", "not-found", None, "not-found"], 1):
        turn = qa.web.session.Turn(seq, f"câu {seq}", {}, state="done" if refusal else "waiting")
        if refusal:
            turn.outcome = qa.web.chat.Outcome(turn.asked, qa.answer.conversation.Resolution(turn.asked), {},
                                          refusal=None if refusal == "answered" else refusal)
        chat.turns.append(turn)
    assert not chat.refused_before(chat.turns[1])  # the first refusal, in full
    assert chat.refused_before(chat.turns[2]) and chat.refused_before(chat.turns[3])
