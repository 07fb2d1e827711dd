"""Diacritics put back into questions typed without them (qa/text/diacritics.py), before the reader reads them."""
from __future__ import annotations

import re

from conftest import INDEX, REPO
from qa.text.diacritics import DiacriticRestorer, QuestionSpeller, piece_prior
from qa.text.vntext import fold

# written for this test: no article's text
ARTICLES = [
    "Sáng nay, cây cầu mới dài 250 m qua sông đã được đưa vào sử dụng sau 9 tháng thi công. Tổng vốn đầu tư là 40 tỷ đồng.",
    "Báo cáo của sở cho biết nhiều hộ dân đã nhận tiền bồi thường; tổng kinh phí bồi thường hơn 12 tỷ đồng.",
    "Ngôi trường mới có 30 phòng học, khai giảng ngày 5/9 và đón hơn 1.200 học sinh trong năm học đầu tiên.",
]


def restorer(**kwargs) -> DiacriticRestorer:
    return DiacriticRestorer.from_texts(ARTICLES, **kwargs)


def test_a_question_typed_without_diacritics_is_spelled_as_the_articles_spell_it():
    r = restorer()
    assert r.restore("tong von dau tu cay cau moi la bao nhieu?") == "tổng vốn đầu tư cây cầu mới là bao nhiêu?"
    assert r.restore("Truong moi co bao nhieu phong hoc") == "Trường mới có bao nhiêu phòng học"


def test_question_words_are_spelled_as_questions_spell_them_not_as_news_does():
    """News text says "báo cáo", "nhiều hộ": a question says "bao nhiêu"."""
    bare = restorer(question_weight=0.0)
    assert bare.restore("bao nhieu") != "bao nhiêu"  # what the articles alone would say
    assert restorer().restore("kinh phi boi thuong bao nhieu") == "kinh phí bồi thường bao nhiêu"


def test_marked_syllables_numbers_case_and_punctuation_are_kept_as_typed():
    r = restorer()
    assert r.restore("Cầu Moi dai 250 m, von 40 ty?") == "Cầu Mới dài 250 m, vốn 40 tỷ?"
    assert r.restore("MOI dai") == "MOI dài"  # a word in capitals may be an acronym: kept
    assert r.restore("  khai giang   ngay 5/9 !") == "  khai giảng   ngày 5/9 !"
    # a syllable typed with its marks is never changed, even where the articles would spell it otherwise
    assert r.restore("tổng von") == "tổng vốn"
    # a word the articles never write is kept as it was typed
    assert r.restore("xyzw qua song") == "xyzw qua sông"
    assert r.restore("") == ""


def test_the_tokenizer_prior_spells_words_the_articles_never_use():
    """With no article holding a syllable, the tokenizer's piece scores choose its spelling."""
    prior = piece_prior(["\u2581nhiều", "\u2581nhiêu", "\u2581Hà", "\u2581ha", "\u2581ab1", "nhieu"], [-10.0, -13.0, -9.0, -8.0, -1.0, -1.0])
    assert prior == {"nhiều": -10.0, "nhiêu": -13.0, "hà": -9.0, "ha": -8.0}  # whole syllables, lowercase
    r = DiacriticRestorer.from_texts([], prior, question_weight=0.0)
    assert r.restore("nhieu") == "nhiều"


def test_the_engine_spells_questions_typed_without_diacritics_and_answers_them_as_typed():
    """Retrieval, the candidate scorer and the reader read the restored question; the answer repeats the
    question as typed; a question typed with diacritics, or in English, is analysed as typed."""
    import qa

    engine = qa.load(INDEX, reader=False)
    folded = engine.question("quyet dinh duoc ban hanh ngay nao")
    assert folded.typed == "quyet dinh duoc ban hanh ngay nao" and folded.shown == folded.typed
    assert fold(folded.text) == folded.typed and "quyết định" in folded.text and "ngày nào" in folded.text
    assert engine.ask("quyet dinh duoc ban hanh ngay nao").question == "quyet dinh duoc ban hanh ngay nao"
    for typed in ("Quyết định được ban hành ngày nào?", "When was the decision issued?", "2200-QĐ/TU", "???"):
        q = engine.question(typed)
        assert q.text == typed and q.typed == "" and q.shown == typed


def test_the_speller_makes_its_restorer_once_and_keeps_english_and_marked_questions():
    made = []

    def make():
        made.append(1)
        return restorer()

    speller = QuestionSpeller(make)
    assert speller.restore_question("How long is the bridge?") == "How long is the bridge?"
    assert speller.restore_question("Cầu mới dài bao nhiêu?") == "Cầu mới dài bao nhiêu?"
    assert made == []  # nothing to restore yet: nothing made
    assert speller.restore_question("Cau moi qua song dai bao nhieu?") == "Cầu mới qua sông dài bao nhiêu?"
    assert speller.restore_question("Tong von dau tu la bao nhieu") == "Tổng vốn đầu tư là bao nhiêu"
    assert made == [1]


# written for this test (invented places): "Đà Vy", and the word "đã", far more common on its own
NAMED = [
    "Thị xã Đà Vy đã khánh thành cây cầu mới qua sông; Đà Vy đã đầu tư 40 tỷ đồng.",
    "Huyện Thạch Vy đã xây trường mới; năng lực của trường đã được nâng cao.",
    "Dự án đã hoàn thành, năng suất đã tăng; tỉnh đã có kế hoạch mới.",
    "Người dân đã nhận tiền; cơ sở đã đóng cửa; sản xuất đã tăng.",
]


def test_a_name_is_spelled_as_the_articles_write_it_whole():
    """Syllable by syllable, "da" is most often "đã" and an unseen pair costs nothing; a name is spelled as
    the pairs the articles write: "Đà Vy"."""
    r = DiacriticRestorer.from_texts(NAMED)
    assert r.restore("da vy") == "đã vy"  # what the syllable model says
    assert r.restore_name(["Da", "Vy"]) == ["đà", "vy"]
    assert r.restore_name(["Thach", "Vy", "City"]) == ["thạch", "vy", None]  # English: in no written pair
    assert r.restore_name(["Le", "Xyz"]) == [None, None]  # no article writes it: kept as typed


def test_an_english_question_has_its_vietnamese_names_spelled_and_the_rest_kept():
    speller = QuestionSpeller(lambda: DiacriticRestorer.from_texts(NAMED))
    assert (speller.restore_question("How much did Da Vy invest in the new bridge over the river?")
            == "How much did Đà Vy invest in the new bridge over the river?")
    # a possessive, a name beside an English word, a question word opening the question
    assert speller.restore_question("What is Da Vy's plan?") == "What is Đà Vy's plan?"
    assert (speller.restore_question("Who built the school in Thach Vy District?")
            == "Who built the school in Thạch Vy District?")
    assert speller.restore_question("In Da Vy, what was built?") == "In Đà Vy, what was built?"
    # one capitalised word may be English ("Long", "Hue"): kept; so is a name no article writes
    for typed in ("Who is Tran Van Xyz?", "How long is the bridge in Hue?", "When was the decision issued?"):
        assert speller.restore_question(typed) == typed


def test_an_index_restorer_finds_every_spelling_its_counts_hold_and_keeps_codes():
    """From an index's document frequencies alone (no list of its words): the markings of each syllable the
    counts hold are found; a code or an acronym is kept as typed; without a prior it still restores."""
    from collections import Counter

    counts = Counter()
    for text in ARTICLES:
        words = [w.lower() for w in re.findall(r"[^\W\d_]+", text)]
        counts.update(words)
        counts.update(f"{a} {b}" for a, b in zip(words, words[1:]))

    def df(term, exact):
        assert exact
        return counts[term]

    r = DiacriticRestorer.from_index(df, {})
    assert r.restore("tong von dau tu cay cau moi la bao nhieu?") == "tổng vốn đầu tư cây cầu mới là bao nhiêu?"
    assert r.restore("Quyet dinh 2200-QD/TU, UBND tinh") == "Quyet dinh 2200-QD/TU, UBND tinh"  # never written here
    assert r.restore("khai giang ND-CP") == "khai giảng ND-CP"


def test_how_a_question_was_read_is_shown_to_the_user():
    """The answer says how a question typed without diacritics was read ("Hiểu là: …"): in the API's
    Answer, the plain-text answer (CLI, Copy), the chat's JSON and the chat page; not for one typed with them."""
    import qa
    from qa.web import chat, present, session

    engine = qa.load(INDEX, reader=False)
    typed = "quyet dinh 2200-QD/TU duoc ban hanh ngay nao"
    answer = engine.ask(typed)
    assert answer.question == typed and answer.read_as == engine.question(typed).text != typed
    assert present.answer_lines(answer)[0] == f"Hiểu là: {answer.read_as}"
    assert engine.ask("Quyết định 2200-QĐ/TU được ban hành ngày nào?").read_as == ""

    outcome = chat.answer_question(engine, typed, None, {})
    assert chat.outcome_dict(engine, outcome, 0)["understood_as"] == answer.read_as
    conversation = session.Conversation()
    conversation.turns.append(session.Turn(1, typed, {}, state="done", outcome=outcome))
    assert conversation.views()[0].understood == answer.read_as
    marked = chat.answer_question(engine, "Quyết định 2200-QĐ/TU được ban hành ngày nào?", None, {})
    assert chat.outcome_dict(engine, marked, 0)["understood_as"] is None


def test_the_restorer_keeps_its_held_out_accuracy():
    """eval/news-holdout (never fitted or tuned on): its questions typed with diacritics, folded, come back from
    the shipped index with 0.907 of their syllables spelled right (benchmarks/diacritics.py; folded as typed:
    0.147). A floor a little below: the counts are integers and the prior fixed, so no CPU changes it."""
    import qa
    from qa.evaluate import read_items
    from qa.text.vntext import canonical, has_diacritics
    from qa.text.vocabulary import is_english

    engine = qa.load(INDEX, reader=False)
    right = total = 0
    for item in read_items(REPO / "eval" / "news-holdout.jsonl"):
        if not has_diacritics(item.question) or is_english(item.question):
            continue
        truth = re.findall(r"[^\W\d_]+", canonical(item.question).lower())
        restored = re.findall(r"[^\W\d_]+", canonical(engine.speller.restore_question(fold(item.question))).lower())
        assert len(restored) == len(truth)
        total += len(truth)
        right += sum(a == b for a, b in zip(truth, restored))
    assert total > 500 and right / total >= 0.88, right / total
