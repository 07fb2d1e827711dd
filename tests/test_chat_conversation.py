"""Follow-ups, several questions at once and titles named in a question (qa/conversation.py).

Every example is invented: places, people, codes and titles that are not in seeds/, so the rules are
tested as the general rules they are meant to be.
"""
from __future__ import annotations

import pytest

from qa.conversation import Previous, is_summary_request, match_title, resolve, slots, split_questions

PLACE_Q = "Quận Ba Đình tổ chức bao nhiêu hội nghị tiếp dân năm 2023?"
DOC_Q = "Kế hoạch 15-KH/UBND được ban hành ngày nào?"
PERSON_Q = "Ông Trần Văn Bình giữ chức vụ gì?"


@pytest.mark.parametrize("previous,message,expected", [
    # a place swapped in, with or without its own "quận"/"TP."
    (PLACE_Q, "còn quận Tây Hồ thì sao?", "Quận Tây Hồ tổ chức bao nhiêu hội nghị tiếp dân năm 2023?"),
    (PLACE_Q, "còn Tây Hồ thì sao?", "Quận Tây Hồ tổ chức bao nhiêu hội nghị tiếp dân năm 2023?"),
    (PLACE_Q, "con Tay Ho thi sao", "Quận Tay Ho tổ chức bao nhiêu hội nghị tiếp dân năm 2023?"),
    ("Đoàn công tác của Thành ủy Đà Nẵng làm việc với Quảng Ninh khi nào?", "còn TP.HCM thì sao?",
     "Đoàn công tác của Thành ủy Đà Nẵng làm việc với TP.HCM khi nào?"),
    # a year or a period swapped in; added when the previous question had none
    (PLACE_Q, "thế còn năm 2024?", "Quận Ba Đình tổ chức bao nhiêu hội nghị tiếp dân năm 2024?"),
    (PLACE_Q, "vậy còn 2022 thì sao", "Quận Ba Đình tổ chức bao nhiêu hội nghị tiếp dân năm 2022?"),
    ("Có bao nhiêu hội nghị tiếp dân?", "thế còn năm 2024?", "Có bao nhiêu hội nghị tiếp dân năm 2024?"),
    ("Doanh thu quý II/2023 của tỉnh Kon Tum là bao nhiêu?", "còn quý III thì sao?",
     "Doanh thu quý III của tỉnh Kon Tum là bao nhiêu?"),
    ("How many hearings did Ba Dinh district hold in 2022?", "what about 2023?",
     "How many hearings did Ba Dinh district hold in 2023?"),
    # a document code, a person
    (DOC_Q, "còn Kế hoạch 27-KH/UBND?", "Kế hoạch 27-KH/UBND được ban hành ngày nào?"),
    (PERSON_Q, "còn bà Lê Thị Hoa?", "Bà Lê Thị Hoa giữ chức vụ gì?"),
    # a place with no counterpart in the previous question is added to it
    ("Có bao nhiêu hội nghị tiếp dân?", "còn TP.HCM thì sao?", "Có bao nhiêu hội nghị tiếp dân ở TP.HCM?"),
])
def test_a_follow_up_swaps_in_what_changed(previous, message, expected):
    resolution = resolve(message, Previous(previous))
    assert resolution.question == expected
    assert resolution.changed and resolution.rule in ("swap", "append") and resolution.problem is None


@pytest.mark.parametrize("previous,message,expected", [
    (DOC_Q, "ai ký?", "Ai ký Kế hoạch 15-KH/UBND?"),
    (DOC_Q, "Ai ký văn bản đó?", "Ai ký Kế hoạch 15-KH/UBND?"),
    (DOC_Q, "khi nào?", "Kế hoạch 15-KH/UBND được ban hành khi nào?"),
    (DOC_Q, "ở đâu?", "Kế hoạch 15-KH/UBND được ban hành ở đâu?"),
    ("Quận Ba Đình tổ chức bao nhiêu hội nghị?", "khi nào?", "Quận Ba Đình tổ chức hội nghị khi nào?"),
    ("When was Decision 15-QD/UB issued?", "who signed it?", "Who signed Decision 15-QD/UB?"),
    ("When was Decision 15-QD/UB issued?", "where?", "Where was Decision 15-QD/UB issued?"),
])
def test_a_new_question_word_keeps_the_previous_subject(previous, message, expected):
    resolution = resolve(message, Previous(previous))
    assert resolution.question == expected
    assert resolution.rule == "new-question-word" and resolution.changed


@pytest.mark.parametrize("message", [
    "Ai là Bí thư Thành ủy Huế?",  # names what it asks about
    "Tóm tắt bài viết về chợ nổi Cái Răng",
    "Quyết định 47-QĐ/UBND được ký ngày nào?",
    "Làng gốm Bát Tràng có bao nhiêu hộ làm gốm năm 2021?",
    "When did the Hue festival start?",
    "Còn bao nhiêu hộ dân ở xã Tân Lập chưa được cấp nước sạch vào năm 2022?",  # "còn" opening a full question
])
def test_a_question_of_its_own_is_left_as_typed(message):
    resolution = resolve(message, Previous(PLACE_Q, "a1"))
    assert resolution.question == message and not resolution.changed and resolution.problem is None


@pytest.mark.parametrize("message", ["còn TP.HCM thì sao?", "ai ký?", "thế còn năm 2024?", "what about 2023?", "khi nào?"])
def test_a_follow_up_with_nothing_before_it_is_a_problem(message):
    resolution = resolve(message, None)
    assert resolution.problem == "needs-previous" and resolution.question == message


def test_this_article_means_the_previous_answers_article():
    resolution = resolve("ai viết bài này?", Previous("Hội chợ hoa xuân mở cửa ngày nào?", "bai-7"))
    assert resolution.article == "bai-7" and resolution.rule == "this-article" and resolution.problem is None
    assert resolve("ai viết bài này?", None).article is None  # nothing before: over all articles
    assert resolve("Who wrote this article?", Previous("When did the fair open?", "x")).article == "x"


def test_follow_ups_chain_on_the_understood_question():
    first = resolve("còn quận Tây Hồ thì sao?", Previous(PLACE_Q))
    second = resolve("thế còn năm 2021?", Previous(first.question))
    assert second.question == "Quận Tây Hồ tổ chức bao nhiêu hội nghị tiếp dân năm 2021?"


@pytest.mark.parametrize("message,parts", [
    ("Quyết định 47 được ban hành ngày nào? Ai ký quyết định đó?",
     ["Quyết định 47 được ban hành ngày nào?", "Ai ký quyết định đó?"]),
    ("Ai ký kế hoạch này và kế hoạch được ban hành khi nào?",
     ["Ai ký kế hoạch này?", "Kế hoạch được ban hành khi nào?"]),
    ("Hội chợ mở cửa khi nào; giá vé bao nhiêu?", ["Hội chợ mở cửa khi nào?", "Giá vé bao nhiêu?"]),
])
def test_several_questions_at_once_are_split(message, parts):
    assert split_questions(message) == parts
    resolution = resolve(message, None)
    assert resolution.problem == "several-questions" and list(resolution.parts) == parts


@pytest.mark.parametrize("message", [
    "Ai và cơ quan nào tham dự hội nghị?",  # one question with two question words
    "Quyết định nào được ban hành ngày nào?",
    "Tại sao giá vé tăng?",
    "Chợ nổi Cái Răng và làng gốm Bát Tràng ở đâu?",
])
def test_one_question_is_not_split(message):
    assert split_questions(message) == [message]


def test_slots_find_years_periods_codes_and_names():
    sentence = "Đoàn công tác của Thành ủy Đà Nẵng làm việc tại quận Hải Châu năm 2019 theo Kế hoạch 15-KH/UBND"
    found = {(s.kind, sentence[s.start:s.end]) for s in slots(sentence)}
    assert ("name", "Đà Nẵng") in found
    assert ("place", "quận Hải Châu") in found
    assert ("year", "năm 2019") in found
    assert ("code", "Kế hoạch 15-KH/UBND") in found


def test_a_title_named_in_a_question():
    titles = {"a": "Làng gốm Bát Tràng vào mùa Tết", "b": "Chợ nổi Cái Răng đón khách quốc tế", "c": "Huế"}
    assert match_title("Tóm tắt bài «Làng gốm Bát Tràng vào mùa Tết»", titles) == "a"
    assert match_title("Ai viết bài “Chợ nổi Cái Răng đón khách quốc tế”?", titles) == "b"
    assert match_title("tom tat bai cho noi cai rang don khach quoc te", titles) == "b"  # no quotes, no diacritics
    assert match_title("Chợ nổi ở đâu?", titles) is None  # two words of a title are not the title
    assert match_title("tom tat bai cho noi cai rang don khach quoc te", titles, quoted_only=True) is None
    assert match_title("Tóm tắt bài «Hội An về đêm»", titles) is None


def test_summary_requests():
    assert is_summary_request("Tóm tắt bài viết về lễ hội")
    assert is_summary_request("noi dung chinh cua bai nay la gi")
    assert is_summary_request("Summarize the article about the fair")
    assert not is_summary_request("Ai ký quyết định?")


def test_one_question_pasted_several_times_is_one_question():
    repeated = "Hội chợ mở cửa khi nào? " * 4
    assert split_questions(repeated) == ["Hội chợ mở cửa khi nào?"]
    resolution = resolve(repeated, None)
    assert resolution.problem is None and resolution.question == "Hội chợ mở cửa khi nào?"
